#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod choice;
mod confirm;
mod entry;
mod error;
mod evaluation;
mod evidence;
mod formula;
mod library;
mod phases;
mod profile;
mod references;
mod report;
mod search;
mod spec;

#[cfg(feature = "amcsd")]
#[cfg_attr(docsrs, doc(cfg(feature = "amcsd")))]
pub mod amcsd;

pub use choice::{
    CELL_DEVIATION, IMPLAUSIBLE_MEAN_B, MODERN_YEAR, SUPERCELL, SWITCH_MARGIN, Suitability,
    TRACE_PENALTY, choose, default_b, judge, preference_order, ranked, with_default_b,
};
pub use confirm::{
    ConfirmParams, Confirmation, DEFAULT_EXTRA_CANDIDATES, DEFAULT_MIN_RWP_GAIN,
    DEFAULT_SIGNIFICANCE,
};
pub use entry::{
    AMBIENT_PRESSURE_GPA, AMBIENT_TEMPERATURE_K, Conditions, Entry, EntrySite, Publication,
};
pub use error::{Error, Result};
pub use evaluation::{EvaluatedPattern, SearchEvaluation};
pub use formula::{Composition, SAME_FORMULA_TOLERANCE, TRACE_FRACTION};
pub use library::{
    FORMAT_NAME, FORMAT_VERSION, Library, LibraryInfo, MAX_DECOMPRESSED_BYTES, Rejected, SYMPREC,
};
pub use phases::{
    CLOSE_SCORE, DEFAULT_MAX_PHASES, DEFAULT_MIN_PEAK_HEIGHT, DEFAULT_MIN_SHARE,
    DEFAULT_NOISE_SIGMAS, FoundPhase, Identification, PhaseParams,
};
pub use references::{
    DEFAULT_MIN_RELATIVE_INTENSITY, DEFAULT_TWO_THETA_MAX, ReferenceParams, ReferenceSet, Stick,
};
pub use report::{RefinedShare, ReportedPhase};
pub use search::{
    Background, Candidate, DEFAULT_BACKGROUND_WIDTH, DEFAULT_INTENSITY_POWER, DEFAULT_MAX_STRAIN,
    DEFAULT_MAX_ZERO_SHIFT, DEFAULT_MIN_SCORE, DEFAULT_NOISE_FLOOR, DEFAULT_REFINED,
    DEFAULT_RELATIVE_FLOOR, DEFAULT_SMOOTHING, DEFAULT_STRAIN_PRIOR, DEFAULT_STRAIN_STEP,
    DEFAULT_TOP, Matcher, SearchParams,
};
pub use spec::{
    ChoiceReport, Compared, ComparedReport, DEFAULT_MAX_CANDIDATES, PAWLEY_PREFIX, PONKCS_PREFIX,
    PhaseSpec, RefineSetup, SpecCandidate, SpecRefinement, reference_phase, refine_specs,
    resolve_structure,
};
