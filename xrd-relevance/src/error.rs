//! The error type of xrd-relevance.

/// Result alias of xrd-relevance.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong computing a relevance profile or its peak-level summary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter (builder method) or input.
        name: &'static str,
        /// The value given and what was expected.
        reason: String,
    },
    /// Two sizes that must agree do not (pattern length vs grid, encoder output rows vs batch, …).
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// Which quantity.
        what: &'static str,
        /// The required size.
        expected: usize,
        /// The actual size.
        found: usize,
    },
    /// A value that must be finite is NaN or infinite.
    #[error("{what} at index {index} is {value} (expected a finite number)")]
    NonFinite {
        /// Which quantity (`"intensity"`, `"latent point"`, …).
        what: &'static str,
        /// Where (point, window or row index).
        index: usize,
        /// The offending value.
        value: f64,
    },
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
