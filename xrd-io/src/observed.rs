//! The observed lines of a measured pattern: peak positions to index or fit, with the
//! background, the noise and the Kα2 partners of stronger lines left out.
//!
//! ```
//! use xrd_io::observed::{LineSearch, observed_lines};
//! use xrd_io::{Pattern, Wavelength};
//! let y: Vec<f64> = (0..3001)
//!     .map(|i| {
//!         let x = 20.0 + 0.01 * i as f64;
//!         10.0 + 500.0 * (-(x - 31.7f64).powi(2) / 0.002).exp() + 200.0 * (-(x - 45.4f64).powi(2) / 0.002).exp()
//!     })
//!     .collect();
//! let pattern = Pattern::uniform(20.0, 0.01, y)?;
//! let lines = observed_lines(&pattern, Wavelength::CU_KA1, &LineSearch::default())?;
//! assert_eq!(lines.len(), 2);
//! assert!((lines[0].two_theta - 31.7).abs() < 0.005);
//! # Ok::<(), xrd_io::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::peaks::{PeakParams, find_peaks};
use crate::{Background, Error, Pattern, Preparation, Result, Wavelength};

/// How [`observed_lines`] finds the lines of a measured pattern (builder; defaults on each
/// setter, those of `xrd_index::IndexingParams`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LineSearch {
    relative_height: f64,
    noise_multiple: f64,
    min_separation: f64,
    background_window: f64,
    alpha2_tolerance: f64,
}

impl Default for LineSearch {
    fn default() -> Self {
        LineSearch {
            relative_height: 0.01,
            noise_multiple: 5.0,
            min_separation: 0.08,
            background_window: 2.0,
            alpha2_tolerance: 0.04,
        }
    }
}

crate::param_guard!(Error => LineSearch);

impl LineSearch {
    crate::setters! {
        /// Smallest height of a line above the background, as a fraction of the strongest's, in
        /// [0, 1). Default 0.01.
        relative_height, get_relative_height: f64;

        /// Smallest height of a line above the background in multiples of the pattern's noise
        /// (its point-to-point scatter), ≥ 0. Default 5.
        noise_multiple, get_noise_multiple: f64;

        /// Smallest distance between two lines (degrees 2θ; the taller kept), ≥ 0. Default 0.08°.
        min_separation, get_min_separation: f64;

        /// Width (degrees 2θ) of the rolling minimum that estimates the background, > 0. Default
        /// 2°: wider than a lab line, narrower than an amorphous hump.
        background_window, get_background_window: f64;

        /// How close (degrees 2θ) a weaker line must sit to a stronger line's Kα2 position to be
        /// taken for its partner and left out, > 0. Default 0.04°.
        alpha2_tolerance, get_alpha2_tolerance: f64;
    }

    /// Validates the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad value.
    pub fn check(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.relative_height) {
            return Err(Error::param(
                "relative_height",
                crate::error::reason(self.relative_height.to_string(), "a fraction in [0, 1)"),
            ));
        }
        for (name, v) in [
            ("noise_multiple", self.noise_multiple),
            ("min_separation", self.min_separation),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::param(
                    name,
                    crate::error::reason(v.to_string(), "a finite value ≥ 0"),
                ));
            }
        }
        for (name, v) in [
            ("background_window", self.background_window),
            ("alpha2_tolerance", self.alpha2_tolerance),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::param(
                    name,
                    crate::error::reason(v.to_string(), "a finite width > 0 degrees"),
                ));
            }
        }
        Ok(())
    }
}

/// One observed line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObservedLine {
    /// Position, degrees 2θ (the maximum, refined by a parabola through its neighbours).
    pub two_theta: f64,
    /// Height above the background, on the pattern's scale.
    pub height: f64,
}

/// Savitzky–Golay weights (quadratic, 9 points), ×231: they smooth the noise of a measured
/// pattern without moving a peak's maximum.
const SMOOTH: [f64; 9] = [-21.0, 14.0, 39.0, 54.0, 59.0, 54.0, 39.0, 14.0, -21.0];

/// The lines of `pattern` measured at `wavelength`, sorted by position: the maxima of the
/// background-free, smoothed pattern that stand at least `relative_height` of its maximum and
/// `noise_multiple` times its noise above the background, at least `min_separation` degrees
/// apart, without the lines that sit at the Kα2 position of a stronger line (when `wavelength`
/// is a doublet).
///
/// The pattern is read on its own points when they are evenly spaced, else linearly
/// interpolated onto even steps of its mean spacing (the smoothing needs even steps); its
/// wavelength is never changed. The background is a rolling minimum over
/// [`background_window`](LineSearch::background_window) degrees
/// ([`crate::without_rolling_background`]). The noise is estimated from the point-to-point
/// differences (their median absolute value, scaled to a normal standard deviation), so a
/// smooth pattern's threshold is its relative one.
pub fn observed_lines(
    pattern: &Pattern,
    wavelength: Wavelength,
    params: &LineSearch,
) -> Result<Vec<ObservedLine>> {
    params.check()?;
    let (first, last) = pattern.range();
    if pattern.len() < 2 || last <= first {
        return Err(Error::param(
            "pattern",
            format!("{} points over {first}–{last}° hold no line", pattern.len()),
        ));
    }
    let prepared = pattern.prepare(
        &Preparation::default()
            .evenly_spaced(true)
            .background(Background::RollingMinimum)
            .background_width(params.background_window),
    )?;
    let (start, y, z) = (prepared.two_theta[0], &prepared.intensity, &prepared.signal);
    // Evenly spaced by construction: its own step, else the mean spacing it was put on.
    let step = prepared
        .step
        .unwrap_or((last - first) / (pattern.len() - 1) as f64);
    let n = y.len();
    if n < SMOOTH.len() {
        return Ok(Vec::new());
    }
    let noise = crate::noise_sigma(y.iter().copied());
    let mut s = vec![0.0; n];
    for i in 4..n - 4 {
        s[i] = SMOOTH
            .iter()
            .zip(&z[i - 4..=i + 4])
            .map(|(w, v)| w * v)
            .sum::<f64>()
            / 231.0;
    }
    let max = s.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Ok(Vec::new());
    }
    let floor = (params.noise_multiple * noise / max).min(1.0);
    let peak_params = PeakParams::default()
        .relative_height(params.relative_height.max(floor))
        .min_prominence((0.5 * params.relative_height).max(floor))
        .min_separation(params.min_separation);
    let x: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    let peaks = find_peaks(&x, &s, &peak_params)?;
    let mut lines: Vec<ObservedLine> = peaks
        .iter()
        .map(|p| {
            let i = p.index;
            let (a, b, c) = (s[i - 1], s[i], s[i + 1]);
            let den = a - 2.0 * b + c;
            let off = if den < 0.0 {
                (0.5 * (a - c) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            ObservedLine {
                two_theta: x[i] + off * step,
                height: b,
            }
        })
        .collect();
    // A grid may reach 0° or 180°, where no line can be indexed.
    lines.retain(|l| l.two_theta > 0.0 && l.two_theta < 180.0 && l.height > 0.0);
    if let (Some(l2), ratio) = (wavelength.alpha2(), wavelength.ratio()) {
        drop_alpha2(
            &mut lines,
            wavelength.angstrom(),
            l2,
            ratio,
            params.alpha2_tolerance,
        );
    }
    Ok(lines)
}

/// Removes the lines within `tolerance` (degrees) of the Kα2 position of a stronger line: a Kα2
/// line is `ratio` of its Kα1 line, so a line there no taller than min(1.6 `ratio`, 0.8) of the
/// stronger one is taken for its partner (the margin covers overlap with the Kα1 tail).
fn drop_alpha2(lines: &mut Vec<ObservedLine>, l1: f64, l2: f64, ratio: f64, tolerance: f64) {
    let limit = (1.6 * ratio).min(0.8);
    let mut keep = vec![true; lines.len()];
    for i in 0..lines.len() {
        let s = (0.5 * lines[i].two_theta).to_radians().sin() * l2 / l1;
        if s >= 1.0 {
            continue;
        }
        let partner = 2.0 * s.asin().to_degrees();
        for j in i + 1..lines.len() {
            if (lines[j].two_theta - partner).abs() <= tolerance
                && lines[j].height <= limit * lines[i].height
            {
                keep[j] = false;
            }
        }
    }
    let mut k = keep.iter();
    lines.retain(|_| k.next().copied().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauss(x: f64, c: f64, h: f64) -> f64 {
        h * (-(x - c).powi(2) / (2.0 * 0.03f64.powi(2))).exp()
    }

    /// Three lines and their Cu Kα2 partners at half height on a sloping background.
    fn doublets() -> (Pattern, [(f64, f64); 3]) {
        let w = Wavelength::CU_KA;
        let l2 = w.alpha2().unwrap();
        let partner = |t: f64| {
            2.0 * ((0.5 * t).to_radians().sin() * l2 / w.angstrom())
                .asin()
                .to_degrees()
        };
        let centres = [(25.3, 1.0), (41.77, 0.4), (55.5, 0.2)];
        let y: Vec<f64> = (0..4001)
            .map(|i| {
                let x = 20.0 + 0.01 * i as f64;
                let mut v = 0.05 + 0.001 * x;
                for &(c, h) in &centres {
                    v += gauss(x, c, h) + gauss(x, partner(c), 0.5 * h);
                }
                f64::from(v as f32)
            })
            .collect();
        (Pattern::uniform(20.0, 0.01, y).unwrap(), centres)
    }

    #[test]
    fn finds_lines_and_drops_the_alpha2_partners() {
        let (pattern, centres) = doublets();
        let params = LineSearch::default();
        let lines = observed_lines(&pattern, Wavelength::CU_KA, &params).unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        // At 25° the Kα2 tail (0.064° away) pulls the maximum by 0.006°.
        for (l, &(c, _)) in lines.iter().zip(&centres) {
            assert!((l.two_theta - c).abs() < 0.01, "{l:?} vs {c}");
        }
        let single = observed_lines(&pattern, Wavelength::CU_KA1, &params).unwrap();
        // Without the doublet the partners stay, but the one 0.064° from 25.3° merges into it
        // (closer than the 0.08° separation).
        assert_eq!(single.len(), 5);
    }

    #[test]
    fn uneven_points_are_read_at_their_mean_spacing() {
        let (even, _) = doublets();
        // The same pattern with every other point nudged by a fifth of a step.
        let x: Vec<f64> = even
            .two_theta()
            .iter()
            .enumerate()
            .map(|(i, &t)| if i % 2 == 1 { t + 0.002 } else { t })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&t| {
                let (i, f) = (
                    ((t - 20.0) / 0.01).floor() as usize,
                    ((t - 20.0) / 0.01).fract(),
                );
                let yy = even.intensity();
                yy[i] * (1.0 - f) + yy[(i + 1).min(yy.len() - 1)] * f
            })
            .collect();
        let uneven = Pattern::new(x, y).unwrap();
        assert!(uneven.step().is_none());
        let params = LineSearch::default();
        let a = observed_lines(&even, Wavelength::CU_KA, &params).unwrap();
        let b = observed_lines(&uneven, Wavelength::CU_KA, &params).unwrap();
        assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(&b) {
            assert!((a.two_theta - b.two_theta).abs() < 0.005, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn a_pattern_of_one_point_is_refused_and_a_short_one_has_no_lines() {
        let p = LineSearch::default();
        let one = Pattern::new(vec![30.0], vec![1.0]).unwrap();
        assert!(matches!(
            observed_lines(&one, Wavelength::CU_KA, &p),
            Err(Error::InvalidParameter(crate::InvalidParameter {
                name: "pattern",
                ..
            }))
        ));
        let short = Pattern::uniform(30.0, 0.01, vec![1.0, 2.0, 1.0]).unwrap();
        assert!(
            observed_lines(&short, Wavelength::CU_KA, &p)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn every_bad_threshold_is_refused_by_name() {
        let bad = [
            (
                "relative_height",
                LineSearch::default().relative_height(1.0),
            ),
            (
                "relative_height",
                LineSearch::default().relative_height(-0.1),
            ),
            (
                "noise_multiple",
                LineSearch::default().noise_multiple(f64::NAN),
            ),
            ("min_separation", LineSearch::default().min_separation(-1.0)),
            (
                "background_window",
                LineSearch::default().background_window(0.0),
            ),
            (
                "alpha2_tolerance",
                LineSearch::default().alpha2_tolerance(f64::INFINITY),
            ),
        ];
        let (pattern, _) = doublets();
        for (name, p) in bad {
            match observed_lines(&pattern, Wavelength::CU_KA, &p) {
                Err(Error::InvalidParameter(e)) => assert_eq!(e.name, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
