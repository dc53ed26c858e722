#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
pub mod conversion;
pub mod coverage;
pub mod cpu;
mod dataset;
mod error;
mod files;
mod float;
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
pub mod params;
mod pattern;
pub mod peaks;
mod resample;
mod shared_error;
pub mod similarity;
mod stats;
mod wavelength;
mod write;

pub use background::{
    running_maximum, running_minimum, snip, without_rolling_background, without_top_hat_background,
};
pub use dataset::Dataset;
pub use error::{Error, Location, Result};
pub use files::list_files;
pub use float::Float;
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use folder::{LoadFailure, LoadReport};
pub use format::Format;
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use formats::{MAX_MEMBER_BYTES, detect_format, read, read_as, read_bytes};
pub use grid::Grid;
pub use indexed_peak::IndexedPeak;
pub use noise::{MIN_PEAK_SIGMAS, noise_sigma, peak_sigmas};
pub use normalize::{Normalization, normalize};
#[cfg(feature = "formats")]
#[cfg_attr(docsrs, doc(cfg(feature = "formats")))]
pub use numpy::{NPZ_PATTERNS, NPZ_TWO_THETA};
pub use params::{Checked, Fit, FitWith, ParamGuard, Predict};
pub use pattern::{Metadata, Pattern};
pub use resample::{OutOfRange, resample_into};
pub use shared_error::{InvalidParameter, NamesParameter, NonFinite, ShapeMismatch, refused};
pub use stats::{MeanSd, median};
pub use wavelength::{Anode, Line, Wavelength};
pub use write::{OutputFormat, save, write, write_atomic};
