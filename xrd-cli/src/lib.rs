#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod figures;
pub mod inputs;
pub mod output;
pub mod progress;
pub mod run;
