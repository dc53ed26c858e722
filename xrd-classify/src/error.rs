//! The error type of xrd-classify.

use std::path::PathBuf;

/// Result alias of xrd-classify.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong training, running, saving or loading a classifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is out of its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// An input does not have the shape the classifier expects.
    #[error(transparent)]
    ShapeMismatch(#[from] xrd_io::ShapeMismatch),
    /// An input contains NaN or ±infinity.
    #[error(transparent)]
    NonFinite(#[from] xrd_io::NonFinite),
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

xrd_io::shared_errors!(Error, shape, wraps Io, Ae, Index, Minerals, Sim);
