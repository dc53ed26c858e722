//! Shared helpers of the xrd end-to-end examples: SVG figures and command-line parsing.

pub mod args;
pub mod figures;
