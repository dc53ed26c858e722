//! Preferred orientation (texture) after March (1932) and Dollase (1986).

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid;

/// March–Dollase preferred orientation: a reflection whose normal makes the angle α with the
/// preferred direction is weighted W(α) = (r² cos²α + sin²α / r)^(−3/2). r = 1 is a random
/// powder; r < 1 plates lying on the preferred direction (its reflections stronger), r > 1
/// needles. W averages to 1 over all directions, so total intensity is kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarchDollase {
    /// The preferred direction as the Miller indices of a reciprocal-lattice vector (the normal
    /// of the (hkl) planes that lie parallel to the sample surface).
    pub direction: [i32; 3],
    /// The March parameter r > 0.
    pub r: f64,
}

xrd_io::param_guard!(crate::Error => MarchDollase);

impl MarchDollase {
    /// Validates direction and r.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for a zero direction or r that is not finite and > 0.
    pub fn check(&self) -> Result<()> {
        if self.direction == [0; 3] {
            return Err(invalid("direction", "must not be (0, 0, 0)"));
        }
        if !(self.r.is_finite() && self.r > 0.0) {
            return Err(invalid("r", format!("{} must be finite and > 0", self.r)));
        }
        Ok(())
    }

    /// W for a reflection whose normal makes an angle with cos²α = `cos2` with the direction.
    pub fn weight(&self, cos2: f64) -> f64 {
        let c2 = cos2.clamp(0.0, 1.0);
        let r = self.r;
        let x = r * r * c2 + (1.0 - c2) / r;
        1.0 / (x * x.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_is_normalised_and_invalid_values_are_rejected() {
        for r in [0.5, 0.8, 1.0, 1.4] {
            let md = MarchDollase {
                direction: [0, 0, 1],
                r,
            };
            assert!(md.check().is_ok());
            // Mean over the sphere: ∫₀¹ W(μ) dμ with μ = cos α uniform.
            let n = 100_000;
            let mean: f64 = (0..n)
                .map(|i| {
                    let mu = (i as f64 + 0.5) / n as f64;
                    md.weight(mu * mu)
                })
                .sum::<f64>()
                / n as f64;
            assert!((mean - 1.0).abs() < 1e-6, "{r} {mean}");
        }
        let plate = MarchDollase {
            direction: [0, 0, 1],
            r: 0.7,
        };
        assert!(plate.weight(1.0) > 1.0 && plate.weight(0.0) < 1.0);
        let mut names = ["direction", "r", "r"].into_iter();
        for bad in [
            MarchDollase {
                direction: [0; 3],
                r: 1.0,
            },
            MarchDollase {
                direction: [1, 0, 0],
                r: 0.0,
            },
            MarchDollase {
                direction: [1, 0, 0],
                r: f64::NAN,
            },
        ] {
            assert_eq!(
                crate::error::refused(bad.check()),
                names.next().unwrap_or("none"),
                "{bad:?}"
            );
        }
        assert_eq!(names.next(), None, "fewer invalid values than names");
    }
}
