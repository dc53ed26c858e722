//! Measured patterns onto the classifier's grid: wavelength conversion to Cu Kα, resampling,
//! padding, scaling to max 1 — and the warnings that say what was done.

use serde::{Deserialize, Serialize};
use xrd_io::{Anode, Grid, Normalization, OutOfRange, Pattern, Wavelength};

use crate::Result;

/// The wavelength the classifier is trained for: Cu Kα (Kα1 1.5406 Å with Kα2 at half intensity).
pub const TRAINING_WAVELENGTH: Wavelength = Wavelength::CU_KA;

/// Something done to a measured pattern to classify it, reported with its prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputWarning {
    /// The file gives no wavelength; it is taken to be Cu Kα.
    AssumedCuKAlpha,
    /// The file states another wavelength (Kα1 or single line, Å); every point kept its
    /// d-spacing and moved to the 2θ of Cu Kα (no Lorentz-polarisation correction).
    ConvertedWavelength {
        /// The stated wavelength in ångström.
        from: f64,
    },
    /// The measured range does not cover the grid: the missing ends are padded with zeros.
    Padded {
        /// First and last measured 2θ (after any wavelength conversion), degrees.
        measured: (f64, f64),
        /// Fraction of the grid's points that are padding.
        fraction: f64,
    },
    /// The pattern's strongest point stands less than [`xrd_io::MIN_PEAK_SIGMAS`] noise σ above
    /// its background (over the library search's window,
    /// [`xrd_minerals::DEFAULT_BACKGROUND_WIDTH`]): a scan of noise holds no crystal's pattern,
    /// and the prediction is refused whatever its certainty.
    NoPeaks {
        /// How many noise σ the strongest point stands ([`xrd_io::Pattern::peak_sigmas`]).
        sigmas: f64,
    },
}

impl std::fmt::Display for InputWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputWarning::AssumedCuKAlpha => write!(f, "no wavelength given, assumed Cu Kα"),
            InputWarning::ConvertedWavelength { from } => {
                write!(f, "converted from {from} Å to Cu Kα through d-spacing")
            }
            InputWarning::Padded { measured, fraction } => write!(
                f,
                "measured 2θ {:.2}–{:.2}° covers less than the grid: {:.1} % of the grid padded with zeros",
                measured.0,
                measured.1,
                fraction * 100.0
            ),
            InputWarning::NoPeaks { sigmas } => write!(
                f,
                "no peak: the strongest point stands {sigmas:.1} noise σ above the background \
                 (at least {} needed), refused",
                xrd_io::MIN_PEAK_SIGMAS
            ),
        }
    }
}

/// Whether `w` is a copper line (then no conversion is needed: Kα1 and Kα2 are both in the
/// training patterns).
fn is_copper(w: Wavelength) -> bool {
    w.anode() == Some(Anode::Cu)
}

/// `pattern` as the classifier sees it: converted to Cu Kα if it states another wavelength,
/// linearly resampled onto `grid` (zeros outside the measured range) and scaled to max 1.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the conversion reaches no point, or nothing
/// positive lies on the grid.
pub fn prepare(pattern: &Pattern, grid: &Grid) -> Result<(Vec<f32>, Vec<InputWarning>)> {
    let mut warnings = Vec::new();
    let converted;
    let pattern = match pattern.wavelength() {
        None => {
            warnings.push(InputWarning::AssumedCuKAlpha);
            pattern
        }
        Some(w) if is_copper(w) => pattern,
        Some(w) => {
            converted = pattern.at_wavelength(TRAINING_WAVELENGTH)?;
            warnings.push(InputWarning::ConvertedWavelength { from: w.angstrom() });
            &converted
        }
    };
    let (lo, hi) = pattern.range();
    let half = 0.5 * grid.step();
    let outside = (0..grid.len())
        .filter(|&i| {
            let t = grid.x(i);
            t < lo - half || t > hi + half
        })
        .count();
    if outside > 0 {
        warnings.push(InputWarning::Padded {
            measured: (lo, hi),
            fraction: outside as f64 / grid.len() as f64,
        });
    }
    let mut values = vec![0.0f32; grid.len()];
    xrd_io::resample_into(
        pattern.two_theta(),
        pattern.intensity(),
        grid,
        OutOfRange::Zero,
        &mut values,
    )?;
    xrd_io::normalize(&mut values, Normalization::Max)?;
    Ok((values, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::new(10.0, 0.5, 61).unwrap() // 10–40°
    }

    #[test]
    fn copper_pattern_on_the_grid_needs_no_warning() {
        let x: Vec<f64> = (0..=80).map(|i| 5.0 + 0.5 * f64::from(i)).collect();
        let y: Vec<f64> = x.iter().map(|t| 2.0 + (t - 20.0).abs()).collect();
        let p = Pattern::new(x, y)
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA1));
        let (v, w) = prepare(&p, &grid()).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v.len(), 61);
        let max = v.iter().copied().fold(0.0f32, f32::max);
        assert_eq!(max, 1.0);
        // 20° is grid point 20, where y = 2 (the minimum); max y on 10–40° is 22 at 40°.
        assert!((v[20] - 2.0 / 22.0).abs() < 1e-6);
    }

    #[test]
    fn short_range_is_padded_and_says_so() {
        let p = Pattern::new(vec![20.0, 30.0], vec![1.0, 3.0])
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA));
        let (v, w) = prepare(&p, &grid()).unwrap();
        assert_eq!(v[0], 0.0);
        assert_eq!(v[60], 0.0);
        assert_eq!(v[40], 1.0);
        match &w[..] {
            [InputWarning::Padded { measured, fraction }] => {
                assert_eq!(*measured, (20.0, 30.0));
                assert!((fraction - 40.0 / 61.0).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_wavelength_moves_peaks_through_d_spacing() {
        // A Mo Kα1 peak at 2θ = 12° has d = λ/(2 sin 6°); at Cu Kα1 it lies at 2θ = 26.9°.
        let x: Vec<f64> = (0..=400).map(|i| 2.0 + 0.05 * f64::from(i)).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|t| (-((t - 12.0) / 0.1).powi(2)).exp() + 0.01)
            .collect();
        let p = Pattern::new(x, y)
            .unwrap()
            .with_wavelength(Some(Wavelength::MO_KA1));
        let (v, w) = prepare(&p, &grid()).unwrap();
        assert!(matches!(w[0], InputWarning::ConvertedWavelength { from } if from == 0.709317));
        let d = 0.709317 / (2.0 * 6f64.to_radians().sin());
        let expected = 2.0 * (1.540598 / (2.0 * d)).asin().to_degrees();
        let peak = v
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| grid().x(i))
            .unwrap();
        assert!((peak - expected).abs() <= 0.5, "{peak} vs {expected}");
    }

    #[test]
    fn missing_wavelength_is_assumed_copper() {
        let p = Pattern::new(vec![10.0, 40.0], vec![1.0, 2.0]).unwrap();
        let (_, w) = prepare(&p, &grid()).unwrap();
        assert_eq!(w, [InputWarning::AssumedCuKAlpha]);
    }

    #[test]
    fn pattern_off_the_grid_is_an_error() {
        let p = Pattern::new(vec![60.0, 70.0], vec![1.0, 2.0])
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA));
        assert!(matches!(prepare(&p, &grid()), Err(crate::Error::Io(_))));
    }
}
