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
    // Absent from settings saved before it existed: off, as they searched.
    #[serde(default)]
    shared_noise: bool,
}

impl Default for LineSearch {
    fn default() -> Self {
        LineSearch {
            relative_height: 0.01,
            noise_multiple: 5.0,
            min_separation: 0.08,
            background_window: 2.0,
            alpha2_tolerance: 0.04,
            shared_noise: true,
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
        /// (its point-to-point scatter, raised where neighbouring points share their noise:
        /// [`shared_noise`](Self::shared_noise)), ≥ 0. Default 5.
        noise_multiple, get_noise_multiple: f64;

        /// Smallest distance between two lines (degrees 2θ; the taller kept), ≥ 0. Default 0.08°.
        min_separation, get_min_separation: f64;

        /// Width (degrees 2θ) of the rolling minimum that estimates the background, > 0. Default
        /// 2°: wider than a lab line, narrower than an amorphous hump.
        background_window, get_background_window: f64;

        /// How close (degrees 2θ) a weaker line must sit to a stronger line's Kα2 position to be
        /// taken for its partner and left out, > 0. Default 0.04°.
        alpha2_tolerance, get_alpha2_tolerance: f64;

        /// Whether the noise threshold allows for noise that neighbouring points share (a
        /// strip detector's channels, a rebinned or smoothed file): the point-to-point noise is
        /// multiplied by the [`crate::correlation_factor`] read on the pattern's background
        /// ([`SearchNoise`]). Default true: indexing wants no wiggle of the noise for a line.
        /// A profile fit, which tests each line's area against its esd, searches without it
        /// (`xrd_refine::peaks::PeakFitParams`): the higher threshold also passes over real
        /// weak and broad lines, whose residue then spoils the fit.
        shared_noise, get_shared_noise: bool;
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
pub(crate) const SMOOTH: [f64; 9] = [-21.0, 14.0, 39.0, 54.0, 59.0, 54.0, 39.0, 14.0, -21.0];

/// The lines of `pattern` measured at `wavelength`, sorted by position:
/// [`search_lines`]`(…).lines`.
///
/// # Errors
/// As [`search_lines`].
pub fn observed_lines(
    pattern: &Pattern,
    wavelength: Wavelength,
    params: &LineSearch,
) -> Result<Vec<ObservedLine>> {
    Ok(search_lines(pattern, wavelength, params)?.lines)
}

/// The noise a line search held its lines to ([`search_lines`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SearchNoise {
    /// The point-to-point σ of the evenly spaced pattern ([`crate::noise_sigma`]).
    pub point_to_point: f64,
    /// The smoothing's [`crate::smoothing_noise_ratio`] on the pattern's background: how much
    /// more noise the smoothing left than it would in independent noise of that σ. `None` where
    /// it was not read: [`LineSearch::shared_noise`] off, lines of a median FWHM under 8 points
    /// (noise shared by a few neighbours cannot be told from them), too little background
    /// between them, or a background that reads as a smooth curve, not noise.
    pub ratio: Option<f64>,
    /// What the thresholds multiplied `point_to_point` by: the [`crate::correlation_factor`]
    /// of `ratio` (1 for independent noise, and without a ratio).
    pub factor: f64,
}

impl SearchNoise {
    /// The noise the `noise_multiple` threshold is a multiple of: `point_to_point × factor`.
    pub fn sigma(&self) -> f64 {
        self.point_to_point * self.factor
    }
}

/// What [`search_lines`] found: the lines, and the noise they were held to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FoundLines {
    /// The lines, sorted by position.
    pub lines: Vec<ObservedLine>,
    /// The noise of the thresholds.
    pub noise: SearchNoise,
}

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
/// smooth pattern's threshold is its relative one; where neighbouring points share their noise
/// (a strip detector's channels, a rebinned or smoothed file), the differences see only part of
/// it and the smoothing averages less of it away, so the noise is multiplied by the
/// [`crate::correlation_factor`] read on the pattern's background ([`SearchNoise`]).
///
/// # Errors
/// [`Error::InvalidParameter`] for bad `params` or a pattern of fewer than two points or no
/// range; what [`Pattern::prepare`] and [`find_peaks`] refuse.
pub fn search_lines(
    pattern: &Pattern,
    wavelength: Wavelength,
    params: &LineSearch,
) -> Result<FoundLines> {
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
    let point_to_point = crate::noise_sigma(y.iter().copied());
    let independent = SearchNoise {
        point_to_point,
        ratio: None,
        factor: 1.0,
    };
    let none = FoundLines {
        lines: Vec::new(),
        noise: independent,
    };
    if n < SMOOTH.len() {
        return Ok(none);
    }
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
        return Ok(none);
    }
    let x: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    let ratio = if params.shared_noise {
        // The noise about the background, unclipped (the signal is clipped at zero).
        let about: Vec<f64> = y
            .iter()
            .zip(&prepared.background)
            .map(|(v, b)| v - b)
            .collect();
        background_ratio(&about, &s, max, &x, step, point_to_point)?
    } else {
        None
    };
    let noise = SearchNoise {
        ratio,
        factor: ratio.map_or(1.0, crate::correlation_factor),
        ..independent
    };
    let floor = (params.noise_multiple * noise.sigma() / max).min(1.0);
    let peak_params = PeakParams::default()
        .relative_height(params.relative_height.max(floor))
        .min_prominence((0.5 * params.relative_height).max(floor))
        .min_separation(params.min_separation);
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
    Ok(FoundLines { lines, noise })
}

/// Candidates of the background's mask stand this many point-to-point σ above the background
/// and above their neighbours: the lines, and the noise's own larger wiggles.
const MASK_SIGMAS: f64 = 3.0;

/// The median FWHM (points) of a pattern's lines of 10 % of the strongest or more below which
/// its noise's correlation is not read: where lines are a few points wide, noise shared by 1–3
/// neighbours cannot be told from them (synthetic patterns of independent noise at coarse steps
/// read as correlated otherwise). 8, not 10: MnO's lab scan (`real/autoxrd_MnO.xy`) reads just
/// under 10.
const MIN_LINE_POINTS: f64 = 8.0;

/// The smoothing's [`crate::smoothing_noise_ratio`] on the background of `z`, the pattern minus
/// its background, unclipped (so that a sloping background adds no slope to the differences), of
/// point-to-point noise `noise`: every candidate of `s`, `z` smoothed on the points `x` (its
/// maximum `max`), masked out to four half widths (of 4 points at least) and 4 points beyond,
/// and the 8 points at each end where the smoothing has no value. `None` where the lines are too narrow in points to tell the
/// noise's correlation from them, or the background is too short.
fn background_ratio(
    z: &[f64],
    s: &[f64],
    max: f64,
    x: &[f64],
    step: f64,
    noise: f64,
) -> Result<Option<f64>> {
    if !(noise > 0.0 && max > 0.0 && step > 0.0) {
        return Ok(None);
    }
    let r = (MASK_SIGMAS * noise / max).min(1.0);
    let candidates = find_peaks(
        x,
        s,
        &PeakParams::default().relative_height(r).min_prominence(r),
    )?;
    let mut widths: Vec<f64> = (candidates.iter())
        .filter(|p| p.height >= 0.1 * max)
        .map(|p| p.fwhm / step)
        .collect();
    let median = xrd_core::median(&mut widths);
    // NaN: no line.
    if median.is_nan() || median < MIN_LINE_POINTS {
        return Ok(None);
    }
    let n = z.len();
    let edge = SMOOTH.len() - 1;
    let mut keep: Vec<bool> = (0..n).map(|i| i >= edge && i + edge < n).collect();
    for p in &candidates {
        let half = (0.5 * p.fwhm / step).max(4.0);
        let reach = (4.0 * half) as usize + 4;
        keep[p.index.saturating_sub(reach)..(p.index + reach + 1).min(n)].fill(false);
    }
    Ok(crate::smoothing_noise_ratio(z, &keep, &SMOOTH))
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
    use crate::noise::tests::shared;

    /// Eight lines (FWHM 0.19°, 19 points) on a background of 300 counts, 20–80° in 0.01°
    /// steps, with counting noise shared by `m` neighbouring points (1: independent; the
    /// moving sum scaled back to the counting σ), rounded to whole counts; and the lines'
    /// positions.
    fn scan(m: usize, seed: u64) -> (Pattern, Vec<f64>) {
        let centres = [24.0, 28.5, 33.0, 39.5, 45.0, 52.5, 61.0, 70.5];
        let heights = [3000.0, 600.0, 1500.0, 400.0, 2200.0, 300.0, 900.0, 500.0];
        let e = shared(m, 6001, seed);
        let y: Vec<f64> = (0..6001)
            .map(|i| {
                let x = 20.0 + 0.01 * i as f64;
                let lambda = 300.0
                    + (centres.iter().zip(&heights))
                        .map(|(c, h)| h * (-0.5 * ((x - c) / 0.08f64).powi(2)).exp())
                        .sum::<f64>();
                (lambda + lambda.sqrt() * e[i] / (m as f64).sqrt()).round()
            })
            .collect();
        (Pattern::uniform(20.0, 0.01, y).unwrap(), centres.to_vec())
    }

    /// Whether every line is one of `centres` (within 0.05°).
    fn all_true(found: &FoundLines, centres: &[f64]) -> bool {
        (found.lines.iter()).all(|l| centres.iter().any(|c| (l.two_theta - c).abs() < 0.05))
    }

    #[test]
    fn noise_shared_by_neighbours_raises_the_threshold_over_its_wiggles() {
        // Monochromatic: no Kα2 partners to leave out.
        let w = Wavelength::synchrotron(1.0);
        let on = LineSearch::default();
        let off = LineSearch::default().shared_noise(false);
        let (mut wiggles, mut seeds) = (0, 0);
        for seed in 1..=4 {
            let (p, centres) = scan(3, seed);
            let found = search_lines(&p, w, &on).unwrap();
            let ratio = found.noise.ratio.unwrap();
            // 2.709 for noise shared by 3 neighbours.
            assert!((2.2..3.0).contains(&ratio), "seed {seed}: {ratio}");
            assert_eq!(found.noise.factor, ratio);
            assert!((found.noise.sigma() / found.noise.point_to_point - ratio).abs() < 1e-12);
            assert_eq!(found.lines.len(), 8, "seed {seed}: {:?}", found.lines);
            assert!(all_true(&found, &centres), "{:?}", found.lines);
            // Read as independent, the noise's wiggles pass as lines.
            let plain = search_lines(&p, w, &off).unwrap();
            assert_eq!((plain.noise.ratio, plain.noise.factor), (None, 1.0));
            wiggles += plain.lines.len().saturating_sub(8);
            seeds += usize::from(!all_true(&plain, &centres));
        }
        assert!(
            wiggles >= 8 && seeds == 4,
            "{wiggles} wiggles in {seeds} seeds"
        );
    }

    #[test]
    fn independent_noise_keeps_the_point_to_point_threshold() {
        let w = Wavelength::synchrotron(1.0);
        for seed in 1..=4 {
            let (p, centres) = scan(1, seed);
            let found = search_lines(&p, w, &LineSearch::default()).unwrap();
            let ratio = found.noise.ratio.unwrap();
            assert!((0.85..1.15).contains(&ratio), "seed {seed}: {ratio}");
            assert_eq!(found.noise.factor, 1.0);
            let plain = search_lines(&p, w, &LineSearch::default().shared_noise(false)).unwrap();
            assert_eq!(found.lines, plain.lines);
            assert!(
                all_true(&found, &centres) && found.lines.len() == 8,
                "{:?}",
                found.lines
            );
        }
    }

    /// The lines of [`scan`] as `profile(x − centre)` (unit height) on the background
    /// `background(i)` of point i, with independent noise of σ `sigma(λ)`.
    fn lines_on(
        seed: u64,
        profile: impl Fn(f64) -> f64,
        scale: f64,
        background: impl Fn(f64) -> f64,
        sigma: impl Fn(f64) -> f64,
    ) -> Pattern {
        let centres = [24.0, 28.5, 33.0, 39.5, 45.0, 52.5, 61.0, 70.5];
        let heights = [3000.0, 600.0, 1500.0, 400.0, 2200.0, 300.0, 900.0, 500.0];
        let e = shared(1, 6001, seed);
        let y: Vec<f64> = (0..6001)
            .map(|i| {
                let x = 20.0 + 0.01 * i as f64;
                let lines: f64 = (centres.iter().zip(&heights))
                    .map(|(c, h)| scale * h * profile(x - c))
                    .sum();
                let lambda = background(i as f64) + lines;
                lambda + sigma(lambda) * e[i]
            })
            .collect();
        Pattern::uniform(20.0, 0.01, y).unwrap()
    }

    /// Whether the shared-noise ratio of `p` is read, near 1, and moves nothing.
    fn reads_independent(p: &Pattern, what: &str) {
        let found = search_lines(p, Wavelength::synchrotron(1.0), &LineSearch::default()).unwrap();
        let ratio = found
            .noise
            .ratio
            .unwrap_or_else(|| panic!("{what}: not read"));
        assert!((0.85..1.2).contains(&ratio), "{what}: {ratio}");
        assert_eq!(found.noise.factor, 1.0, "{what}");
        // Every line found (a sloping background's first points may add one at the edge).
        let (_, centres) = scan(1, 1);
        for c in centres {
            let near = |l: &ObservedLine| (l.two_theta - c).abs() < 0.05;
            assert!(
                found.lines.iter().any(near),
                "{what}: {c} in {:?}",
                found.lines
            );
        }
    }

    #[test]
    fn settings_saved_before_the_shared_noise_search_as_they_did() {
        let saved = r#"{"relative_height":0.01,"noise_multiple":5.0,"min_separation":0.08,"background_window":2.0,"alpha2_tolerance":0.04}"#;
        let search: LineSearch = serde_json::from_str(saved).unwrap();
        assert_eq!(search, LineSearch::default().shared_noise(false));
        let again = serde_json::to_string(&LineSearch::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<LineSearch>(&again).unwrap(),
            LineSearch::default()
        );
    }

    #[test]
    fn a_sloping_background_is_no_shared_noise() {
        // A background falling by the noise's σ at every point (from 310 to 10 over 6,000
        // points, σ 0.05, lines 1.5 to 15 high): read on the pattern itself rather than about
        // its background, the slope triples γ(3) and reads as shared noise.
        let gauss = |d: f64| (-0.5 * (d / 0.08f64).powi(2)).exp();
        for seed in 1..=4 {
            let p = lines_on(seed, gauss, 0.005, |i| 310.0 - 0.05 * i, |_| 0.05);
            reads_independent(&p, &format!("sloped, seed {seed}"));
        }
    }

    #[test]
    fn lorentzian_tails_beyond_the_mask_are_no_shared_noise() {
        // Pseudo-Voigt lines (η 0.5, FWHM 0.19°) on 300 counts with counting noise: their
        // tails outside the mask slope as a background does.
        let voigt = |d: f64| {
            let u = (d / 0.095f64).powi(2);
            0.5 * (-u * std::f64::consts::LN_2).exp() + 0.5 / (1.0 + u)
        };
        for seed in 1..=4 {
            let p = lines_on(seed, voigt, 1.0, |_| 300.0, f64::sqrt);
            reads_independent(&p, &format!("pseudo-Voigt, seed {seed}"));
        }
    }

    #[test]
    fn a_noiseless_pattern_or_lines_few_points_wide_read_no_correlation() {
        // Noiseless lines 19 points wide on a curved background: a smooth curve, not noise.
        let (p, _) = scan(1, 1);
        let smooth: Vec<f64> = (0..p.len())
            .map(|i| {
                let x = 20.0 + 0.01 * i as f64;
                let line = |c: f64, h: f64| h * (-0.5 * ((x - c) / 0.08f64).powi(2)).exp();
                300.0 + 2000.0 * (-(x - 20.0) / 8.0).exp() + line(33.0, 1500.0) + line(52.5, 600.0)
            })
            .collect();
        let p = Pattern::uniform(20.0, 0.01, smooth).unwrap();
        let found = search_lines(&p, Wavelength::synchrotron(1.0), &LineSearch::default()).unwrap();
        assert!(found.noise.point_to_point > 0.0);
        assert_eq!((found.noise.ratio, found.noise.factor), (None, 1.0));
        // The shared-noise scan on every fourth point: lines of about 5 points.
        let (p, _) = scan(3, 1);
        let coarse: Vec<f64> = p.intensity().iter().step_by(4).copied().collect();
        let p = Pattern::uniform(20.0, 0.04, coarse).unwrap();
        let found = search_lines(&p, Wavelength::synchrotron(1.0), &LineSearch::default()).unwrap();
        assert_eq!((found.noise.ratio, found.noise.factor), (None, 1.0));
    }

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
