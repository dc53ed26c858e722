//! Shared helpers of the xrd end-to-end examples: SVG figures, command-line parsing and the
//! pipeline steps the examples share.

pub mod args;
pub mod figures;
pub mod pipeline;
