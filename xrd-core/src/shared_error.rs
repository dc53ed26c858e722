//! The payloads of the error cases every crate of the workspace shares: a hyper-parameter out of
//! range, shapes that do not fit together, a NaN or ±∞ input. Each is defined once here, with
//! one field shape, and wrapped by each crate's `Error` (`InvalidParameter(#[from]
//! xrd_core::InvalidParameter)`, …), as ndarray's `ShapeError` or linfa's errors are wrapped, so
//! that a match on the parameter's name reads the same in every crate:
//!
//! ```
//! use xrd_core::coverage::{Answer, score_at_coverage};
//! use xrd_core::{Error, InvalidParameter};
//!
//! let err = score_at_coverage(&[0.5], 1.5, Answer::HighestFirst).unwrap_err();
//! assert!(matches!(
//!     err,
//!     Error::InvalidParameter(InvalidParameter { name: "coverage", .. })
//! ));
//! assert_eq!(err.invalid_parameter().map(|p| p.name), Some("coverage"));
//! ```
//!
//! The fields are public for matching; the types are `#[non_exhaustive]`, so they are built
//! with their constructors.

use std::fmt;

use crate::Location;

/// A hyper-parameter (or an input that plays one's part) outside its valid range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{name}`: {reason}")]
#[non_exhaustive]
pub struct InvalidParameter {
    /// The setter (builder method) or config field that was refused, or the input's name.
    pub name: &'static str,
    /// What is wrong with the value: the value given and what a valid one looks like.
    pub reason: String,
}

impl InvalidParameter {
    /// The parameter `name` was refused because of `reason`.
    pub fn new(name: &'static str, reason: impl Into<String>) -> Self {
        InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Array shapes or sequence lengths that do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shape mismatch for {what}: expected {expected}, found {found}")]
#[non_exhaustive]
pub struct ShapeMismatch {
    /// Which input (or pair of inputs).
    pub what: &'static str,
    /// The expected shape or length, printed.
    pub expected: String,
    /// The shape or length given, printed.
    pub found: String,
}

impl ShapeMismatch {
    /// `what` should have the shape `expected` but has `found` (both printed with `Display`).
    pub fn new(what: &'static str, expected: impl fmt::Display, found: impl fmt::Display) -> Self {
        ShapeMismatch {
            what,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// A NaN or ±∞ in an input that must be finite.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{what} at {at} is {value} (expected a finite number)")]
#[non_exhaustive]
pub struct NonFinite {
    /// Which input (`"training data"`, `"intensity"`, …).
    pub what: &'static str,
    /// Where in it: a [`Location::Point`] of a sequence or a [`Location::Cell`] of a matrix.
    pub at: Location,
    /// The offending value.
    pub value: f64,
}

impl NonFinite {
    /// `what` holds the non-finite `value` at `at`.
    pub fn new(what: &'static str, at: Location, value: f64) -> Self {
        NonFinite { what, at, value }
    }

    /// `what` holds the non-finite `value` at `(row, col)` of a matrix.
    pub fn cell(what: &'static str, row: usize, col: usize, value: f64) -> Self {
        NonFinite::new(what, Location::Cell { row, col }, value)
    }
}

/// Writes the two methods every crate's `Error` has for its `InvalidParameter(#[from]
/// xrd_core::InvalidParameter)` variant: `pub(crate) fn param(name, reason) -> Self`, the
/// constructor the crate's code uses, and `pub fn invalid_parameter(&self) ->
/// Option<&InvalidParameter>`, the refused parameter whether the error is the crate's own or that
/// of a wrapped crate (the variants named after `wraps`, whose errors have the same method).
/// With `shape` after the type, for an enum with a `ShapeMismatch(#[from] xrd_core::ShapeMismatch)`
/// variant, also `pub(crate) fn shape(what, expected, found) -> Self`.
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// enum Error {
///     #[error(transparent)]
///     InvalidParameter(#[from] xrd_core::InvalidParameter),
///     #[error(transparent)]
///     ShapeMismatch(#[from] xrd_core::ShapeMismatch),
///     #[error(transparent)]
///     Core(#[from] xrd_core::Error),
///     #[error("something else")]
///     Other,
/// }
///
/// xrd_core::shared_errors!(Error, shape, wraps Core);
///
/// let own = Error::param("window", "0 (expected at least one point)");
/// assert_eq!(own.invalid_parameter().map(|p| p.name), Some("window"));
/// use xrd_core::coverage::{Answer, score_at_coverage};
/// let wrapped = Error::from(score_at_coverage(&[0.5], 0.0, Answer::HighestFirst).unwrap_err());
/// assert_eq!(wrapped.invalid_parameter().map(|p| p.name), Some("coverage"));
/// assert!(Error::Other.invalid_parameter().is_none());
/// let shape = Error::shape("weights", "3 × 4", "3 × 5");
/// assert_eq!(shape.to_string(), "shape mismatch for weights: expected 3 × 4, found 3 × 5");
/// ```
#[macro_export]
macro_rules! shared_errors {
    ($error:ident, shape $(, wraps $($wrapped:ident),+)?) => {
        $crate::shared_errors!($error $(, wraps $($wrapped),+)?);

        impl $error {
            /// `what` should have the shape `expected` but has `found`.
            pub(crate) fn shape(
                what: &'static str,
                expected: impl ::core::fmt::Display,
                found: impl ::core::fmt::Display,
            ) -> Self {
                $crate::ShapeMismatch::new(what, expected, found).into()
            }
        }
    };
    ($error:ident $(, wraps $($wrapped:ident),+)?) => {
        impl $error {
            /// The parameter `name` was refused because of `reason`.
            pub(crate) fn param(name: &'static str, reason: impl ::core::convert::Into<String>) -> Self {
                $crate::InvalidParameter::new(name, reason).into()
            }

            /// The refused parameter of an `InvalidParameter` error, this crate's or a wrapped
            /// crate's.
            pub fn invalid_parameter(&self) -> ::core::option::Option<&$crate::InvalidParameter> {
                match self {
                    $error::InvalidParameter(p) => ::core::option::Option::Some(p),
                    $($($error::$wrapped(e) => e.invalid_parameter(),)+)?
                    #[allow(unreachable_patterns)]
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl $crate::NamesParameter for $error {
            fn refused_parameter(&self) -> ::core::option::Option<&$crate::InvalidParameter> {
                self.invalid_parameter()
            }
        }
    };
}

/// An error that may be a refused hyper-parameter: every crate's `Error` ([`shared_errors!`]
/// implements it with the crate's `invalid_parameter`).
pub trait NamesParameter: std::fmt::Debug {
    /// The refused parameter, when the error is one.
    fn refused_parameter(&self) -> Option<&InvalidParameter>;
}

/// For tests of invalid values: `ok` for no error, the name of the refused parameter, or the
/// other error (debug-printed), so that a test checks which value was refused.
///
/// ```
/// use xrd_core::coverage::{Answer, score_at_coverage};
/// assert_eq!(xrd_core::refused(score_at_coverage(&[0.5], 0.0, Answer::HighestFirst)), "coverage");
/// assert_eq!(xrd_core::refused(score_at_coverage(&[0.5], 0.5, Answer::HighestFirst)), "ok");
/// ```
pub fn refused<T, E: NamesParameter>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => match e.refused_parameter() {
            Some(p) => p.name.into(),
            None => format!("{e:?}"),
        },
    }
}
