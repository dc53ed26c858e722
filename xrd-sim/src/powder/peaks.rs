//! Peak lists.

use serde::{Deserialize, Serialize};

/// One powder peak: all reflections whose 2θ fall in one merge bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    /// 2θ (degrees) of the first reflection of the bin.
    pub two_theta: f64,
    /// Integrated intensity Σ |F|² LP (arbitrary units; see [`PeakList::scaled`]).
    pub intensity: f64,
    /// d-spacing (Å).
    pub d_spacing: f64,
    /// Representative Miller indices: the lexicographically largest of the merged reflections
    /// (e.g. `[2, 2, 0]` for the {220} family).
    pub hkl: [i32; 3],
    /// Number of reflections (hkl and their Friedel mates) merged into the peak.
    pub multiplicity: u32,
}

/// The peaks of one structure at one wavelength, sorted by 2θ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakList {
    wavelength: f64,
    peaks: Vec<Peak>,
}

impl PeakList {
    pub(crate) fn new(wavelength: f64, peaks: Vec<Peak>) -> Self {
        Self { wavelength, peaks }
    }

    /// The wavelength (Å).
    pub fn wavelength(&self) -> f64 {
        self.wavelength
    }

    /// The peaks, by increasing 2θ.
    pub fn peaks(&self) -> &[Peak] {
        &self.peaks
    }

    /// Number of peaks.
    pub fn len(&self) -> usize {
        self.peaks.len()
    }

    /// `true` without peaks.
    pub fn is_empty(&self) -> bool {
        self.peaks.is_empty()
    }

    /// The largest intensity (0 when empty).
    pub fn max_intensity(&self) -> f64 {
        self.peaks.iter().map(|p| p.intensity).fold(0.0, f64::max)
    }

    /// A copy with intensities scaled so that the strongest is `max` (e.g. 100).
    #[must_use]
    pub fn scaled(&self, max: f64) -> Self {
        let m = self.max_intensity();
        let f = if m > 0.0 { max / m } else { 0.0 };
        Self {
            wavelength: self.wavelength,
            peaks: self
                .peaks
                .iter()
                .map(|p| Peak {
                    intensity: p.intensity * f,
                    ..*p
                })
                .collect(),
        }
    }
}
