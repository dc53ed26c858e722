//! The error type of xrd-ae.

use std::path::PathBuf;

/// Result alias of xrd-ae.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong building, training, running, saving or loading a network.
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
    /// An input array does not have the shape the network expects.
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
        /// Which input (e.g. `"training data"`).
        what: &'static str,
        /// Row of the first offending value.
        row: usize,
        /// Column of the first offending value.
        col: usize,
    },
    /// Not enough rows to train (or to split off a validation set).
    #[error("not enough samples: {0}")]
    TooFewSamples(String),
    /// The loss became NaN or infinite during training; the model is discarded.
    #[error("training diverged at epoch {epoch}: loss {loss}")]
    Diverged {
        /// 1-based epoch in which the loss stopped being finite.
        epoch: usize,
        /// The offending loss value.
        loss: f64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A weights file is corrupt, truncated, of another format version or does not match the model.
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
