#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod estimation;
pub mod figures;
pub mod inputs;
pub mod latent;
pub mod measures;
pub mod output;
pub mod progress;
pub mod run;
pub mod split;
pub mod training;
