//! The error type of xrd-interp.

/// Result alias of xrd-interp.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong building a pattern model, generating a pattern or evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No point of the feature space maps onto the requested composition: the composition
    /// contour does not pass through it (it lies outside what the training compositions span,
    /// or in a gap of the contour). Nothing is guessed.
    #[error(
        "composition {composition:?} is not reachable: no triangle of training points in the \
         feature space maps onto it (outside the compositions the model was trained on, or in a \
         gap of the composition contour)"
    )]
    NotReachable {
        /// The requested composition.
        composition: Vec<f64>,
    },
    /// A blend baseline found no known compositions bracketing the request.
    #[error(
        "composition {composition:?} is not bracketed by known compositions (no segment or \
         triangle of them contains it)"
    )]
    NotBracketed {
        /// The requested composition.
        composition: Vec<f64>,
    },
    /// A composition with the wrong number of components, or NaN/inf components.
    #[error("invalid composition {composition:?}: {reason}")]
    InvalidComposition {
        /// The composition given.
        composition: Vec<f64>,
        /// What is wrong.
        reason: String,
    },
    /// A hyper-parameter outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The builder method / config field.
        name: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// Inputs whose shapes do not fit together.
    #[error("shape mismatch for {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// Which input.
        what: &'static str,
        /// The expected shape, in words.
        expected: String,
        /// The shape given.
        found: String,
    },
    /// An evaluation hold-out composition that matches no row of the data set.
    #[error("hold-out composition {composition:?} matches no pattern of the data set")]
    EmptyHoldout {
        /// The hold-out composition.
        composition: Vec<f64>,
    },
    /// From the autoencoder / network engine.
    #[error(transparent)]
    Ae(#[from] xrd_ae::Error),
    /// From the triangle estimator.
    #[error(transparent)]
    Latent(#[from] xrd_latent::Error),
    /// From the pattern tools (metrics, peaks, data sets).
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
