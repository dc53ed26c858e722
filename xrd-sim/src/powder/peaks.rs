//! Peak lists: [`IndexedPeak`]s (xrd-io's indexed-peak type, which xrd-relevance consumes) of one
//! structure at one wavelength. Each peak gathers the reflections whose 2θ fall in one merge bin:
//! 2θ of the first, d-spacing, integrated intensity Σ |F|² LP (arbitrary units; see
//! [`PeakList::scaled`]), the lexicographically largest Miller indices (e.g. `[2, 2, 0]` for
//! the {220} family) and the number of reflections (hkl and their Friedel mates).

use serde::{Deserialize, Serialize};
use xrd_io::{IndexedPeak, Wavelength};

/// The peaks of one structure at one wavelength, sorted by 2θ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakList {
    wavelength: Wavelength,
    peaks: Vec<IndexedPeak>,
}

impl PeakList {
    pub(crate) fn new(wavelength: Wavelength, peaks: Vec<IndexedPeak>) -> Self {
        Self { wavelength, peaks }
    }

    /// The source the peaks were computed for (at its primary line).
    pub fn wavelength(&self) -> Wavelength {
        self.wavelength
    }

    /// The peaks, by increasing 2θ.
    pub fn peaks(&self) -> &[IndexedPeak] {
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

    /// A copy with each peak's intensity multiplied by `factor(peak)`: a texture, an
    /// absorption or an extinction correction of one's own.
    #[must_use]
    pub fn weighted(&self, factor: impl Fn(&IndexedPeak) -> f64) -> Self {
        Self {
            wavelength: self.wavelength,
            peaks: self
                .peaks
                .iter()
                .map(|p| IndexedPeak {
                    intensity: p.intensity * factor(p),
                    ..*p
                })
                .collect(),
        }
    }

    /// A copy with intensities scaled so that the strongest is `max` (e.g. 100).
    #[must_use]
    pub fn scaled(&self, max: f64) -> Self {
        let m = self.max_intensity();
        let f = if m > 0.0 { max / m } else { 0.0 };
        self.weighted(|_| f)
    }
}
