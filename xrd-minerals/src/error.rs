//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in `xrd-minerals`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter out of range; `name` is its setter.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// The operating system could not read or write a file.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A library or reference file that is corrupt, truncated or of another version.
    #[error("{what}: {reason}")]
    Format {
        /// Which file or section.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A value that must be finite is NaN or infinite.
    #[error(transparent)]
    NonFinite(#[from] xrd_io::NonFinite),
    /// A pattern that cannot be searched (too few points, no signal, no overlap with the
    /// references' range).
    #[error("pattern: {0}")]
    Pattern(String),
    /// An error of xrd-io (pattern files, resampling).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
    /// An error of xrd-sim (structures, simulation).
    #[error(transparent)]
    Sim(#[from] xrd_sim::Error),
    /// A refinement failed (see [`xrd_refine::Error`]).
    #[error(transparent)]
    Refine(#[from] xrd_refine::Error),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::param(name, reason)
}

pub(crate) fn format(what: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Format {
        what: what.into(),
        reason: reason.into(),
    }
}

xrd_io::shared_errors!(Error, wraps Io, Sim, Refine);
