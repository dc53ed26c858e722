//! Peak-position errors of a Bragg–Brentano diffractometer.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid;

/// Zero shift and sample displacement: a peak at 2θ is observed at
/// 2θ + zero_shift − (2 s cos θ / R)·180/π (degrees), s the displacement of the sample surface
/// from the focusing circle (mm, positive = towards the tube–detector chord, peaks move to lower
/// angles) and R the goniometer radius (mm).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    /// Zero shift (degrees 2θ).
    pub zero_shift: f64,
    /// Sample displacement s (mm).
    pub displacement: f64,
    /// Goniometer radius R (mm).
    pub radius: f64,
}

xrd_io::param_guard!(crate::Error => Geometry);

impl Geometry {
    /// No shift at all (R = 240 mm, a common goniometer).
    pub const IDEAL: Self = Self {
        zero_shift: 0.0,
        displacement: 0.0,
        radius: 240.0,
    };

    /// Validates the values.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for non-finite values or R ≤ 0.
    pub fn check(&self) -> Result<()> {
        if !(self.zero_shift.is_finite() && self.displacement.is_finite()) {
            return Err(invalid(
                "geometry",
                "zero shift and displacement must be finite",
            ));
        }
        if !(self.radius.is_finite() && self.radius > 0.0) {
            return Err(invalid(
                "radius",
                format!("{} mm must be finite and > 0", self.radius),
            ));
        }
        Ok(())
    }

    /// Observed 2θ of a peak at `two_theta` (degrees).
    pub fn observed(&self, two_theta: f64) -> f64 {
        let theta = (two_theta / 2.0).to_radians();
        two_theta + self.zero_shift
            - (2.0 * self.displacement * theta.cos() / self.radius).to_degrees()
    }
}

impl Default for Geometry {
    fn default() -> Self {
        Self::IDEAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_invalid_values() {
        assert_eq!(Geometry::IDEAL.observed(40.0), 40.0);
        let g = Geometry {
            zero_shift: 0.05,
            displacement: 0.1,
            radius: 240.0,
        };
        let want = 40.05 - (0.2 * 20f64.to_radians().cos() / 240.0).to_degrees();
        assert!((g.observed(40.0) - want).abs() < 1e-12);
        // Displacement moves low angles more than high ones.
        assert!(g.observed(20.0) - 20.0 < g.observed(120.0) - 120.0);
        assert!(g.check().is_ok());
        let mut names = ["geometry", "geometry", "radius"].into_iter();
        for bad in [
            Geometry {
                zero_shift: f64::NAN,
                ..g
            },
            Geometry {
                displacement: f64::INFINITY,
                ..g
            },
            Geometry { radius: 0.0, ..g },
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
