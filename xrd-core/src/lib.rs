#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod atomic;
mod control;
pub mod coverage;
pub mod cpu;
mod error;
mod float;
pub mod linalg;
mod location;
pub mod params;
pub mod random;
mod shared_error;
mod stats;

pub use atomic::{atomically, write_atomic};
pub use control::{Cancelled, Control, Progress};
pub use error::{Error, Result};
pub use float::Float;
pub use location::Location;
pub use params::{Checked, Fit, FitWith, ParamGuard, Predict};
pub use shared_error::{InvalidParameter, NamesParameter, NonFinite, ShapeMismatch, refused};
pub use stats::{MeanSd, median};
