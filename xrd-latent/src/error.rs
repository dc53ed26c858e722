//! The error type of xrd-latent.

/// Result alias of xrd-latent.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong fitting, querying or evaluating an estimator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter or configuration value outside its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_core::InvalidParameter),
    /// Arrays whose shapes do not fit together.
    #[error(transparent)]
    ShapeMismatch(#[from] xrd_core::ShapeMismatch),
    /// A NaN or infinite input value.
    #[error(transparent)]
    NonFinite(#[from] xrd_core::NonFinite),
    /// Fewer than three distinct known points: no triangle can be formed.
    #[error("need at least 3 distinct known points, got {distinct}")]
    TooFewPoints {
        /// Number of distinct points given.
        distinct: usize,
    },
    /// A value component index not below the number of value columns.
    #[error("value component {component} out of range (the estimator has {available})")]
    ComponentOutOfRange {
        /// Requested component.
        component: usize,
        /// Number of value components.
        available: usize,
    },
    /// The same component appears twice in a look-up target.
    #[error("value component {component} appears twice in the target")]
    DuplicateComponent {
        /// Repeated component.
        component: usize,
    },
    /// A look-up target with no `(component, value)` pair.
    #[error("empty target: give at least one (component, value) pair")]
    EmptyTarget,
    /// [`locate`](crate::TriangleEstimator::locate): no triangle's image contains the target.
    #[error("target not reachable: no triangle of known points maps onto it")]
    NotReachable,
    /// An error of xrd-ae (training or encoding in the feature-space pipeline).
    #[error(transparent)]
    Ae(#[from] xrd_ae::Error),
}

/// The `reason` of an [`Error::InvalidParameter`]: the value given and what a valid one looks
/// like.
pub(crate) fn reason(value: impl std::fmt::Display, expected: &str) -> String {
    format!("{value} ({expected})")
}

xrd_core::shared_errors!(Error, shape, wraps Ae);
