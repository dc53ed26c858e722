//! The error type of xrd-index.

/// Result alias of xrd-index.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong indexing a pattern.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter or an input value is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The builder method, or the input (`lines`, `wavelength`).
        name: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// The pattern could not be read into evenly spaced points (xrd-io's error).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
}

impl Error {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}
