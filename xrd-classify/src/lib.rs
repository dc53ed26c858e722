#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod calibration;
mod classifier;
mod error;
mod evaluation;
mod fit;
pub mod input;
mod library;
pub mod measured;
mod params;
pub mod persist;
mod predict;
mod search;
mod source;
mod synthetic;

pub use calibration::CalibrationConfig;
pub use classifier::Classifier;
pub use classifier::{Gathered, Stages};
pub use error::{Error, Result};
pub use evaluation::{
    Evaluation, LibraryStageScores, ReliabilityBin, StageEvaluation, StageScores, evaluate,
    evaluate_stages,
};
pub use fit::Progress;
pub use input::{BACKGROUND_WINDOW, Intensity};
pub use library::{DEFAULT_LIBRARY_FRACTION, DEFAULT_STRAIN, LibraryPatterns, MixedPatterns};
pub use measured::{InputWarning, TRAINING_WAVELENGTH};
pub use params::{
    ArchitectureConfig, ClassifierConfig, ClassifierParams, DEFAULT_AUTOCORRELATION,
    DEFAULT_DROPOUT, DEFAULT_ENSEMBLE, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PEAK_THRESHOLD,
    DEFAULT_POOL, DEFAULT_SHARED_PATTERNS, DEFAULT_SYSTEM_NETWORK, DEFAULT_THRESHOLD_COVERAGE,
    DEFAULT_TOP_K, InputConfig, LossSchedule, Sampling, ScheduleConfig, VECSEI_HIDDEN,
    VECSEI_THRESHOLD,
};
pub use predict::{Evidence, Prediction, system_probabilities};
pub use search::{
    DEFAULT_DECISIVE_MERIT, DEFAULT_LIBRARY_THRESHOLD, DEFAULT_MIDPOINT, DEFAULT_TEMPERATURE,
    DEFAULT_WIDTH, LibrarySearch, LibraryWeighting, PhaseMatch,
};
pub use source::{LabelledPatterns, PatternSource};
pub use synthetic::{DEFAULT_MEASURED_NOISE, SyntheticPatterns};
/// A point of the accuracy–coverage curve (xrd-io's, shared by the workspace).
pub use xrd_io::coverage::CoveragePoint;
/// The seven crystal systems (xrd-sim's, International Tables order).
pub use xrd_sim::CrystalSystem;

/// Number of space groups, the width of the classifier's output (output `i` is space group
/// `i + 1`).
pub const SPACE_GROUPS: usize = 230;

/// The crystal system of space group `g`.
///
/// # Errors
/// [`Error::SpaceGroup`] outside 1–230.
pub(crate) fn system_of(g: u8) -> Result<CrystalSystem> {
    CrystalSystem::from_space_group(g).map_err(|_| Error::SpaceGroup(g))
}
