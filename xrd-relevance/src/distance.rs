//! Distances between latent points.

use serde::{Deserialize, Serialize};
use xrd_io::Float;

/// How far the masked pattern's latent point lies from the unmasked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Distance {
    /// `√Σ (aᵢ − bᵢ)²`, the paper's "normal distance on the feature space".
    #[default]
    Euclidean,
    /// `Σ |aᵢ − bᵢ|`.
    Manhattan,
    /// `maxᵢ |aᵢ − bᵢ|`.
    Chebyshev,
}

impl Distance {
    /// The distance between two latent points of equal dimension.
    ///
    /// Extra components of the longer slice are ignored; callers check the dimensions.
    pub fn between<F: Float>(self, a: &[F], b: &[F]) -> F {
        let diffs = a.iter().zip(b).map(|(&a, &b)| a - b);
        match self {
            Distance::Euclidean => {
                // Scaled so that tiny and huge latent scales neither underflow nor overflow.
                let scale = diffs.clone().fold(F::zero(), |m, d| m.max(d.abs()));
                if scale == F::zero() || !scale.is_finite() {
                    return scale;
                }
                scale * diffs.map(|d| (d / scale) * (d / scale)).sum::<F>().sqrt()
            }
            Distance::Manhattan => diffs.map(F::abs).sum(),
            Distance::Chebyshev => diffs.fold(F::zero(), |m, d| m.max(d.abs())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_of_a_3_4_displacement() {
        let a = [1.0f64, 2.0];
        let b = [4.0, -2.0];
        assert_eq!(Distance::Euclidean.between(&a, &b), 5.0);
        assert_eq!(Distance::Manhattan.between(&a, &b), 7.0);
        assert_eq!(Distance::Chebyshev.between(&a, &b), 4.0);
        assert_eq!(Distance::Euclidean.between(&a, &a), 0.0);
    }

    #[test]
    fn euclidean_does_not_underflow_in_f32() {
        let d = Distance::Euclidean.between(&[3e-30f32, 0.0], &[0.0, 4e-30]);
        assert!((d / 5e-30 - 1.0).abs() < 1e-6, "{d}");
    }
}
