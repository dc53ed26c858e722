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
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// Inputs whose shapes do not fit together.
    #[error(transparent)]
    ShapeMismatch(#[from] xrd_io::ShapeMismatch),
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

xrd_io::shared_errors!(Error, shape, wraps Ae, Latent, Io);
