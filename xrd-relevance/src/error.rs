//! The error type of xrd-relevance.

/// Result alias of xrd-relevance.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong computing a relevance profile or its peak-level summary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is outside its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// Two sizes that must agree do not (pattern length vs grid, encoder output rows vs batch, …).
    #[error(transparent)]
    ShapeMismatch(#[from] xrd_io::ShapeMismatch),
    /// A value that must be finite is NaN or infinite.
    #[error(transparent)]
    NonFinite(#[from] xrd_io::NonFinite),
    /// A computation is undefined for its input (no peaks, an empty ensemble, …).
    #[error("{what} is undefined: {reason}")]
    Degenerate {
        /// Which computation.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The encoder failed.
    #[error("encoder: {0}")]
    Encoder(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An error of xrd-ae (an input that does not fit the network, …).
    #[error(transparent)]
    Ae(#[from] xrd_ae::Error),
    /// An error of xrd-io (grids, peak search).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl Error {
    /// Wraps any error raised by an encoder.
    pub fn encoder(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Encoder(Box::new(e))
    }
}

/// The `reason` of an [`Error::InvalidParameter`]: the value given and what was expected.
pub(crate) fn reason(value: impl std::fmt::Display, expected: &str) -> String {
    format!("{value} (expected {expected})")
}

#[cfg(test)]
pub(crate) use xrd_io::refused;

xrd_io::shared_errors!(Error, shape, wraps Ae, Io);
