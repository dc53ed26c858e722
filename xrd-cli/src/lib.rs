#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// The SVG figures (xrd-figures), which the workbench and the examples draw too.
pub use xrd_figures as figures;
pub mod inputs;
pub mod output;
pub mod progress;
pub mod run;
