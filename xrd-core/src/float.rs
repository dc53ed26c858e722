//! The one floating-point trait of the workspace.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point scalar usable everywhere in the xrd workspace: `f32` for speed, `f64` for checks.
///
/// Every generic numeric API of the workspace is written against this trait, so a model trained in
/// `f32` and a gradient check in `f64` run the same code.
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::ToPrimitive
    + num_traits::NumAssignOps
    + ndarray::ScalarOperand
    + ndarray::LinalgScalar
    + Sum
    + for<'a> Sum<&'a Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + serde::Serialize
    + serde::de::DeserializeOwned
    + 'static
{
    /// Short type name (`"f32"` or `"f64"`), e.g. for file metadata.
    const NAME: &'static str;

    /// Converts an `f64` (rounding to nearest for `f32`).
    fn of(x: f64) -> Self;

    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;

    /// Converts a `usize` count (rounding for very large values).
    fn of_usize(n: usize) -> Self {
        Self::of(n as f64)
    }
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Float;

    fn mean<F: Float>(xs: &[F]) -> F {
        xs.iter().sum::<F>() / F::of_usize(xs.len())
    }

    #[test]
    fn generic_code_runs_in_both_precisions() {
        assert_eq!(mean(&[1.0f32, 2.0, 3.0]), 2.0);
        assert_eq!(mean(&[1.0f64, 2.0, 4.0]), 7.0 / 3.0);
        assert_eq!(f32::of(0.1), 0.1f32);
        assert_eq!(0.5f32.as_f64(), 0.5);
        assert_eq!(<f64 as Float>::NAME, "f64");
    }
}
