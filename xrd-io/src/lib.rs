#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
pub mod conversion;
mod dataset;
mod error;
mod float;
mod formats;
mod grid;
mod kalpha2;
mod normalize;
mod numpy;
pub mod params;
mod pattern;
pub mod peaks;
mod resample;
pub mod similarity;
mod stats;
mod wavelength;
mod write;

pub use background::snip;
pub use dataset::{Dataset, LoadFailure, LoadReport};
pub use error::{Error, Location, Result};
pub use float::Float;
pub use formats::{Format, MAX_MEMBER_BYTES, detect_format, read, read_as, read_bytes};
pub use grid::Grid;
pub use normalize::{Normalization, normalize};
pub use numpy::{NPZ_PATTERNS, NPZ_TWO_THETA};
pub use params::{Checked, Fit, FitWith, ParamGuard, Predict};
pub use pattern::{Metadata, Pattern};
pub use resample::{OutOfRange, resample_into};
pub use stats::MeanSd;
pub use wavelength::{Anode, Line, Wavelength};
pub use write::{OutputFormat, save, write, write_atomic};
