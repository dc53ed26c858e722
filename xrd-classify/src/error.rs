//! The error type of xrd-classify.

use std::path::PathBuf;

/// Result alias of xrd-classify.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong training, running, saving or loading a classifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The builder method / config field.
        name: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// An input does not have the shape the classifier expects.
    #[error("shape mismatch: expected {expected}, found {found}")]
    ShapeMismatch {
        /// The expected shape, in words.
        expected: String,
        /// The shape that was given.
        found: String,
    },
    /// An input contains NaN or ±infinity.
    #[error("non-finite value in {what} at row {row}, column {col}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Row of the first offending value.
        row: usize,
        /// Column of the first offending value.
        col: usize,
    },
    /// A space group outside 1–230.
    #[error("space group {0} is not in 1–230")]
    SpaceGroup(u8),
    /// A training source failed to produce patterns.
    #[error("training source: {0}")]
    Source(String),
    /// A measured pattern cannot be put on the classifier's grid (nothing of it lies on the grid,
    /// a wavelength conversion failed, …).
    #[error("pattern cannot be classified: {0}")]
    Io(#[from] xrd_io::Error),
    /// The network engine refused (shape, divergence, …).
    #[error(transparent)]
    Ae(#[from] xrd_ae::Error),
    /// The indexing refused a pattern or its parameters.
    #[error(transparent)]
    Index(#[from] xrd_index::Error),
    /// The mineral library or its search refused (parameters, reference patterns).
    #[error(transparent)]
    Minerals(#[from] xrd_minerals::Error),
    /// The simulator rejected the parameters of a synthetic source.
    #[error(transparent)]
    Sim(#[from] xrd_sim::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A classifier file is corrupt, truncated, of another format version or inconsistent.
    #[error("{path}: {reason}")]
    Format {
        /// The file (`<memory>` for bytes).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn shape(expected: impl Into<String>, found: impl Into<String>) -> Self {
        Error::ShapeMismatch {
            expected: expected.into(),
            found: found.into(),
        }
    }
}
