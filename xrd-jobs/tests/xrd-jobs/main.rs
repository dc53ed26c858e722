//! The jobs on small synthetic inputs: an identification and a refinement cancelled inside,
//! a refinement's rows and errors, a series cancelled
//! (within 100 ms of the cancel) and resumed to the rows of an uncancelled run.

#![allow(clippy::unwrap_used)]

mod fixtures;
mod identify;
mod index;
mod refine;
mod series;
mod simulate;
