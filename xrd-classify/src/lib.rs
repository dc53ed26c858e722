#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod classifier;
mod crystal_system;
mod error;
mod evaluation;
mod fit;
pub mod measured;
mod params;
pub mod persist;
mod predict;
mod source;

pub use classifier::Classifier;
pub use crystal_system::CrystalSystem;
pub use error::{Error, Result};
pub use evaluation::{CoveragePoint, Evaluation, evaluate};
pub use fit::{History, Progress};
pub use measured::{InputWarning, TRAINING_WAVELENGTH};
pub use params::{
    ClassifierConfig, ClassifierParams, DEFAULT_DROPOUT, LossSchedule, Sampling, VECSEI_HIDDEN,
    VECSEI_THRESHOLD,
};
pub use predict::{Prediction, system_probabilities};
pub use source::{LabelledPatterns, PatternSource};

/// Number of space groups, the width of the classifier's output (output `i` is space group
/// `i + 1`).
pub const SPACE_GROUPS: usize = 230;
