//! Integration tests of xrd-sim: one binary, one module per topic.
//!
//! One binary per crate keeps a fresh `cargo test --workspace` short: linking a test
//! binary against the crate and its dependencies costs far more than compiling its tests.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cif_files;
mod isa;
mod naive;
mod oracle;
mod poscar;
mod real_tio2;
mod symmetry;
mod training_stream;
