//! The error type of xrd-index.

/// Result alias of xrd-index.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong indexing a pattern.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter or an input value is out of its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// The pattern could not be read into evenly spaced points (xrd-io's error).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
}

xrd_io::shared_errors!(Error, wraps Io);
