//! Peak-position errors of a diffractometer: a zero shift and the sample's offset, a Bragg–Brentano
//! plate's or a Debye–Scherrer cylinder's.

use serde::{Deserialize, Serialize};

use crate::error::invalid;
use crate::{Error, Result};

/// Zero shift and sample offset. A Bragg–Brentano plate: a peak at 2θ is observed at
/// 2θ + zero_shift − (2 s cos θ / R)·180/π (degrees), s the displacement of the sample surface
/// from the focusing circle (mm, positive = towards the tube–detector chord, peaks move to lower
/// angles) and R the goniometer radius (mm). A Debye–Scherrer cylinder: at
/// 2θ + zero_shift + ((s cos 2θ + a sin 2θ) / R)·180/π, s its offset across the beam (mm,
/// positive = peaks below 90° move up, those above down) and a along it (mm, positive = every
/// peak moves up, most at 90°).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    /// Zero shift (degrees 2θ).
    pub zero_shift: f64,
    /// Sample displacement s (mm): off the focusing circle (Bragg–Brentano) or across the beam
    /// (Debye–Scherrer).
    pub displacement: f64,
    /// Goniometer radius R (mm).
    pub radius: f64,
    /// How the sample sits in the beam (default a Bragg–Brentano plate).
    #[serde(default)]
    pub sample: SampleGeometry,
    /// A Debye–Scherrer sample's offset a along the beam (mm); unused for a plate.
    #[serde(default)]
    pub offset_along: f64,
}

xrd_io::param_guard!(crate::Error => Geometry);

impl Geometry {
    /// No shift at all (R = 240 mm, a common goniometer).
    pub const IDEAL: Self = Self {
        zero_shift: 0.0,
        displacement: 0.0,
        radius: 240.0,
        sample: SampleGeometry::BraggBrentano,
        offset_along: 0.0,
    };

    /// Validates the values.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for non-finite values or R ≤ 0.
    pub fn check(&self) -> Result<()> {
        if !(self.zero_shift.is_finite()
            && self.displacement.is_finite()
            && self.offset_along.is_finite())
        {
            return Err(invalid(
                "geometry",
                "zero shift, displacement and offset must be finite",
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
        let ([across, along], _) = self.sample.terms((two_theta / 2.0).to_radians());
        // The shapes are the refinement's (one home); the plate's sign and factor 2 are its
        // geometry's.
        let shift = match self.sample {
            SampleGeometry::BraggBrentano => -2.0 * self.displacement * across,
            SampleGeometry::DebyeScherrer => self.displacement * across + self.offset_along * along,
        };
        two_theta + self.zero_shift + (shift / self.radius).to_degrees()
    }
}

/// How the specimen sits in the beam: what its displacement from the diffractometer's axis
/// does to the peak positions.
///
/// ```
/// use xrd_sim::SampleGeometry;
/// let g: SampleGeometry = "debye-scherrer".parse()?;
/// assert_eq!(g, SampleGeometry::DebyeScherrer);
/// assert_eq!(g.to_string(), "debye_scherrer");
/// // An offset across the beam shifts a peak as cos 2θ, one along it as sin 2θ.
/// let ([across, along], _) = g.terms(30f64.to_radians());
/// assert!((across - 0.5).abs() < 1e-12 && (along - 0.75f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), xrd_sim::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SampleGeometry {
    /// A flat plate in reflection: a displacement s off the focusing circle of radius R shifts a
    /// peak by −2s·cosθ/R, one term (xrd-refine's `specimen.displacement`, the shift × cosθ).
    #[default]
    BraggBrentano,
    /// A cylinder in transmission (a capillary, a neutron can): an offset across the beam shifts
    /// a peak as cos 2θ, one along it as sin 2θ, two terms (xrd-refine's
    /// `specimen.displacement` × cos 2θ + `specimen.displacement_along` × sin 2θ, in degrees and
    /// added; GSAS-II's DisplaceX and DisplaceY have the same shapes, but in µm of the sample
    /// and subtracted, so their values do not compare directly).
    DebyeScherrer,
}

impl SampleGeometry {
    /// Both names, as written and serialised: `bragg_brentano`, `debye_scherrer`.
    pub const NAMES: [&'static str; 2] = ["bragg_brentano", "debye_scherrer"];

    /// The geometry an instrument implies when nothing says otherwise: a constant-wavelength
    /// neutron diffractometer measures a can, and a capillary is a cylinder, both in
    /// transmission (Debye–Scherrer); anything else a laboratory flat plate (Bragg–Brentano).
    pub fn implied(probe: crate::Probe, capillary: bool) -> Self {
        if capillary || probe == crate::Probe::Neutron {
            Self::DebyeScherrer
        } else {
            Self::BraggBrentano
        }
    }

    /// The peak shift per unit of each displacement term at Bragg angle `theta` (radians) — the
    /// term across the beam (Bragg–Brentano's only one) and the term along it (0 for
    /// Bragg–Brentano) — and their derivatives in θ.
    pub fn terms(self, theta: f64) -> ([f64; 2], [f64; 2]) {
        match self {
            Self::BraggBrentano => {
                let (sin, cos) = theta.sin_cos();
                ([cos, 0.0], [-sin, 0.0])
            }
            Self::DebyeScherrer => {
                let (sin2, cos2) = (2.0 * theta).sin_cos();
                ([cos2, sin2], [-2.0 * sin2, 2.0 * cos2])
            }
        }
    }

    /// How many displacement terms it has.
    pub fn displacements(self) -> usize {
        match self {
            Self::BraggBrentano => 1,
            Self::DebyeScherrer => 2,
        }
    }
}

impl std::fmt::Display for SampleGeometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BraggBrentano => Self::NAMES[0],
            Self::DebyeScherrer => Self::NAMES[1],
        })
    }
}

impl std::str::FromStr for SampleGeometry {
    type Err = Error;

    /// `bragg_brentano` (or `reflection`), `debye_scherrer` (or `capillary`),
    /// any case, `-` for `_`.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "bragg_brentano" | "reflection" => Ok(Self::BraggBrentano),
            "debye_scherrer" | "capillary" => Ok(Self::DebyeScherrer),
            _ => Err(invalid(
                "geometry",
                format!(
                    "`{s}` is no sample geometry: `{}` or `{}`",
                    Self::NAMES[0],
                    Self::NAMES[1]
                ),
            )),
        }
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
    fn a_cylinders_offsets() {
        let g = Geometry {
            displacement: 0.2,
            offset_along: -0.1,
            sample: SampleGeometry::DebyeScherrer,
            ..Geometry::IDEAL
        };
        let tt = 50f64;
        let want =
            tt + ((0.2 * tt.to_radians().cos() - 0.1 * tt.to_radians().sin()) / 240.0).to_degrees();
        assert!((g.observed(tt) - want).abs() < 1e-12);
        // Across the beam: low and high angles move apart; at 2θ = 90° only the offset along.
        let across = Geometry {
            offset_along: 0.0,
            ..g
        };
        assert!(across.observed(20.0) > 20.0 && across.observed(160.0) < 160.0);
        assert!((across.observed(90.0) - 90.0).abs() < 1e-12);
        assert_eq!(
            crate::error::refused(
                Geometry {
                    offset_along: f64::NAN,
                    ..g
                }
                .check()
            ),
            "geometry"
        );
    }

    #[test]
    fn shifts_and_invalid_values() {
        assert_eq!(Geometry::IDEAL.observed(40.0), 40.0);
        let g = Geometry {
            zero_shift: 0.05,
            displacement: 0.1,
            ..Geometry::IDEAL
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
