//! The error type of xrd-core: the shared payloads alone.

/// Result alias of xrd-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the common ground refuses: a parameter out of range, a NaN or infinite input, shapes
/// that do not fit. Every crate of the workspace wraps these payloads in its own error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter outside its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] crate::InvalidParameter),
    /// A NaN or infinite input value.
    #[error(transparent)]
    NonFinite(#[from] crate::NonFinite),
    /// Sequences or arrays whose lengths or shapes do not fit together.
    #[error(transparent)]
    ShapeMismatch(#[from] crate::ShapeMismatch),
}

/// The `reason` of an [`Error::InvalidParameter`]: the value given and what was expected.
pub(crate) fn reason(value: impl std::fmt::Display, expected: &str) -> String {
    format!("{value} (expected {expected})")
}

crate::shared_errors!(Error);
