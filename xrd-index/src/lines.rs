//! The observed lines of a measured pattern: peak positions an indexing can trust, with the
//! background, the noise and the Kα2 partners of stronger lines left out.

use xrd_io::observed::{FoundLines, LineSearch};
use xrd_io::{Pattern, Wavelength};

use crate::params::IndexingParams;
use crate::{Error, Result};

/// One observed line ([`xrd_io::observed::ObservedLine`]).
pub use xrd_io::observed::ObservedLine as Line;

/// The lines of `pattern` measured at `wavelength`, and the noise they were held to
/// ([`xrd_io::observed::search_lines`]), with the indexing's thresholds.
pub(crate) fn observed_lines(
    pattern: &Pattern,
    wavelength: Wavelength,
    params: &IndexingParams,
) -> Result<FoundLines> {
    let search = LineSearch::default()
        .relative_height(params.relative_height)
        .noise_multiple(params.noise_multiple)
        .min_separation(params.min_separation)
        .background_window(params.background_window)
        .alpha2_tolerance(params.tolerance);
    // A refused setting or pattern as this crate's own InvalidParameter, as the docs say.
    xrd_io::observed::search_lines(pattern, wavelength, &search).map_err(|e| match e {
        xrd_io::Error::InvalidParameter(p) => Error::InvalidParameter(p),
        other => Error::Io(other),
    })
}

/// The lines in d*² with what converts 2θ errors into d*² errors.
pub(crate) struct Lines {
    /// sin θ and cos θ of each line (θ half its 2θ): with a zero shift z, sin(θ − z/2) is
    /// sin θ cos(z/2) − cos θ sin(z/2), so that a refinement step needs one sine, not one per
    /// line.
    sin_cos: Vec<(f64, f64)>,
    /// √(height / highest).
    pub(crate) weight: Vec<f64>,
    pub(crate) total: f64,
    pub(crate) wavelength: f64,
    pub(crate) tolerance: f64,
}

impl Lines {
    /// `lines` (sorted by angle) measured at `wavelength`, matched within `tolerance` degrees.
    pub(crate) fn new(lines: &[Line], wavelength: f64, tolerance: f64) -> Lines {
        let weight = weights(lines);
        Lines {
            sin_cos: lines
                .iter()
                .map(|l| (0.5 * l.two_theta).to_radians().sin_cos())
                .collect(),
            total: weight.iter().sum(),
            weight,
            wavelength,
            tolerance,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.sin_cos.len()
    }

    /// d*² = 1/d² and d(d*²)/d(2θ) (per degree) of every line after removing the zero shift,
    /// into `qs` and `slopes`, from one sine and cosine.
    pub(crate) fn at_zero(&self, zero: f64, qs: &mut [f64], slopes: &mut [f64]) {
        let (sz, cz) = (0.5 * zero).to_radians().sin_cos();
        let k = (2.0 / self.wavelength).powi(2);
        let per_degree = 1f64.to_radians();
        for ((&(s, c), q), slope) in self.sin_cos.iter().zip(qs).zip(slopes) {
            // θ − z/2: sin and cos by the difference formulas; sin 2θ' = 2 sin θ' cos θ'.
            let (s1, c1) = (s * cz - c * sz, c * cz + s * sz);
            *q = k * s1 * s1;
            *slope = k * s1 * c1 * per_degree;
        }
    }
}

/// √(height / highest) of each line.
pub(crate) fn weights(lines: &[Line]) -> Vec<f64> {
    let top = lines.iter().map(|l| l.height).fold(0.0, f64::max);
    lines.iter().map(|l| (l.height / top).sqrt()).collect()
}
