#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
pub mod conversion;
mod dataset;
mod error;
mod files;
#[cfg(feature = "formats")]
mod folder;
mod format;
#[cfg(feature = "formats")]
mod formats;
mod grid;
pub mod halves;
mod indexed_peak;
mod kalpha2;
mod noise;
mod normalize;
#[cfg(feature = "formats")]
mod npy_array;
#[cfg(feature = "formats")]
mod numpy;
pub mod observed;
mod pattern;
pub mod peaks;
mod preparation;
mod resample;
pub mod similarity;
mod wavelength;
mod write;

pub use background::{
    rolling_background, running_maximum, running_minimum, snip, without_rolling_background,
    without_top_hat_background,
};
pub use dataset::Dataset;
pub use error::{Error, Location, Result};
pub use files::list_files;
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use folder::{LoadFailure, LoadReport};
pub use format::Format;
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use formats::{
    MAX_MEMBER_BYTES, detect_format, pattern_number, read, read_as, read_bytes,
    split_pattern_number,
};
pub use grid::Grid;
pub use indexed_peak::IndexedPeak;
pub use noise::{
    CORRELATION_FULL, CORRELATION_ONSET, MIN_PEAK_SIGMAS, correlation_factor, noise_sigma,
    peak_sigmas, smoothing_noise_ratio,
};
pub use normalize::{Normalization, normalize};
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use numpy::{NPZ_PATTERNS, NPZ_TWO_THETA};
pub use pattern::{Metadata, Pattern};
pub use preparation::{Background, Preparation, Prepared};
pub use resample::{OutOfRange, resample_into};
pub use wavelength::{Anode, Line, Wavelength};
// The common ground (xrd-core), re-exported so that a user of xrd-io needs one import path.
pub use write::{OutputFormat, save, write};
pub use xrd_core::write_atomic;
pub use xrd_core::{
    Checked, Fit, FitWith, Float, InvalidParameter, MeanSd, NamesParameter, NonFinite, ParamGuard,
    Predict, ShapeMismatch, coverage, cpu, median, param_guard, params, refused, setters,
    shared_errors,
};
