//! Shared helpers of the xrd end-to-end examples: SVG figures, command-line parsing, the steps
//! the examples share, and the main job's steps ([`paper`]).

pub mod alloy;
pub mod args;
pub mod estimation;
pub mod figures;
pub mod inputs;
pub mod latent;
pub mod measures;
pub mod paper;
pub mod run;
pub mod split;
pub mod training;
