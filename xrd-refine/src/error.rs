//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong in a refinement.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter or starting value is out of range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// The measured pattern cannot be refined (NaN, negative counts, too few points, …).
    #[error("pattern: {0}")]
    Pattern(String),
    /// A phase has no reflection inside the measured 2θ range.
    #[error("phase `{0}` has no reflection in the measured range {1:.2}°–{2:.2}°")]
    NoReflections(String, f64, f64),
    /// The normal matrix is singular: these parameters cannot be told apart by the data.
    #[error("singular normal matrix: {0} cannot be told apart by the data (fix one of them)")]
    Singular(String),
    /// The atomic mass of an element is not tabulated (weight fractions need it).
    #[error("no atomic mass for {0}")]
    NoAtomicMass(String),
    /// An instrument file could not be read or written.
    #[error("instrument file {path}: {message}")]
    Instrument {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A PONKCS calibration file could not be read or written.
    #[error("calibration file {path}: {message}")]
    Calibration {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A structure could not be read or simulated.
    #[error(transparent)]
    Sim(#[from] xrd_sim::Error),
    /// An error of xrd-io.
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
    /// The refinement was cancelled through its [`xrd_core::Control`].
    #[error(transparent)]
    Cancelled(#[from] xrd_core::Cancelled),
}

xrd_io::shared_errors!(Error, wraps Sim, Io);

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter(xrd_io::InvalidParameter::new(name, reason))
}
