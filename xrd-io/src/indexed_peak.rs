//! A peak with Miller indices: what a diffraction simulator produces and what relevance analysis
//! (which peaks a feature space relies on) consumes. Here, beside the patterns both work on, so
//! that a consumer does not depend on the simulator for one struct.

use serde::{Deserialize, Serialize};

use crate::conversion::d_from_two_theta;
use crate::{Result, Wavelength};

/// One peak of a powder pattern with its Miller indices: one reflection, or the reflections
/// (symmetry equivalents, Friedel mates, nearly coincident families) that fall together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IndexedPeak {
    /// 2θ (degrees).
    pub two_theta: f64,
    /// d-spacing (Å).
    pub d_spacing: f64,
    /// Intensity, on the producer's scale (e.g. the simulator's integrated |F|² LP, or relative
    /// to the strongest peak); consumers use it to order peaks.
    pub intensity: f64,
    /// Miller indices of a representative reflection: integers in the structure's own cell,
    /// fractional for superstructure reflections indexed in a parent cell (e.g. (½ ½ 0)).
    pub hkl: [f64; 3],
    /// Number of reflections merged into the peak.
    pub multiplicity: u32,
}

impl IndexedPeak {
    /// A single reflection (multiplicity 1) `hkl` at `two_theta` measured with `wavelength`
    /// (its primary line), its d-spacing from Bragg's law. `hkl` may be integers (`[1, 1, 0]`) or fractions
    /// (`[0.5, 0.5, 0.0]`).
    ///
    /// ```
    /// use xrd_io::{IndexedPeak, Wavelength};
    /// let p = IndexedPeak::at(28.44, Wavelength::CU_KA1, 100.0, [1, 1, 1])?;
    /// assert!((p.d_spacing - 3.1357).abs() < 1e-3);
    /// assert_eq!(p.hkl, [1.0, 1.0, 1.0]);
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::OutOfDomain`](crate::Error::OutOfDomain) unless 0 < 2θ ≤ 180°.
    pub fn at<T: Into<f64>>(
        two_theta: f64,
        wavelength: Wavelength,
        intensity: f64,
        hkl: [T; 3],
    ) -> Result<IndexedPeak> {
        Ok(IndexedPeak {
            two_theta,
            d_spacing: d_from_two_theta(two_theta, wavelength)?,
            intensity,
            hkl: hkl.map(Into::into),
            multiplicity: 1,
        })
    }
}
