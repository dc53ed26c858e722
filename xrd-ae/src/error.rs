//! The error type of xrd-ae.

use std::path::PathBuf;

/// Result alias of xrd-ae.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong building, training, running, saving or loading a network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is out of its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_core::InvalidParameter),
    /// An input array does not have the shape the network expects.
    #[error(transparent)]
    ShapeMismatch(#[from] xrd_core::ShapeMismatch),
    /// An input contains NaN or ±infinity.
    #[error(transparent)]
    NonFinite(#[from] xrd_core::NonFinite),
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

xrd_core::shared_errors!(Error, shape);
