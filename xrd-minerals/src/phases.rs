//! Several phases: the best reference is fitted to the pattern and subtracted, and the residual
//! is searched again (as XRD-AutoAnalyzer and Dara do), until the residual has no significant
//! peak or nothing matches it.
//!
//! A phase's profile is its reflections at the cell scale and zero shift the search found, each a
//! pseudo-Voigt (with the Kα2 partner of a doublet) whose width and Lorentzian share are chosen
//! from a small grid to fit the residual best; its scale is the least-squares one, and then each
//! reflection's height is refined within a factor [`TEXTURE`] of the reference's (preferred
//! orientation). The residual searched for a further phase has the found phases' strong lines
//! masked over ± their width (a misfit of shape is left there), and a further phase must take
//! away at least two of the residual's significant peaks: one peak fits a line of many
//! references. A residual peak is significant when, smoothed over a few points (a spike of
//! counting noise is one point wide), it stands above the residual's median by more than
//! [`PhaseParams::min_peak_height`] of the strongest measured point and
//! [`PhaseParams::noise_sigmas`] times the noise.

use serde::{Deserialize, Serialize};
use xrd_io::Pattern;
use xrd_io::peaks::{PeakParams, find_peaks};
use xrd_sim::powder::Profile;

use crate::error::invalid;
use crate::profile::{Measured, convolve, gaussian};
use crate::search::{Candidate, Matcher};
use crate::{Error, Result};

/// Default largest number of phases.
pub const DEFAULT_MAX_PHASES: usize = 3;
/// Default height of a significant residual peak, as a fraction of the strongest measured point.
pub const DEFAULT_MIN_PEAK_HEIGHT: f64 = 0.03;
/// Default height of a significant residual peak in units of the noise.
pub const DEFAULT_NOISE_SIGMAS: f64 = 6.0;
/// Default smallest share of the measured intensity a further phase must explain.
pub const DEFAULT_MIN_SHARE: f64 = 0.02;

/// Widths (σ, ° 2θ) and Lorentzian shares tried for a phase's profile.
const WIDTHS: [f64; 8] = [0.02, 0.035, 0.05, 0.07, 0.1, 0.14, 0.2, 0.3];
const ETAS: [f64; 3] = [0.0, 0.5, 1.0];
/// Lines of a found phase at least this fraction of its strongest are masked in the residual
/// searched for further phases, over ± this many degrees or the phase's FWHM, whichever is more.
const MASK_MIN_LINE: f64 = 0.05;
const MASK_HALF_WIDTH: f64 = 0.25;
/// Profiles are cut at this many widths.
const PROFILE_REACH: f64 = 12.0;
/// A reflection's fitted height may differ from the reference's by this factor either way
/// (preferred orientation of ±50 % and more, and the reference's own intensity errors).
const TEXTURE: f64 = 1.5;
/// A further phase must take away at least this many significant peaks of the residual.
const MIN_PEAKS_EXPLAINED: usize = 2;
/// Residual peaks closer than this (°) are the same peak (when they are found and when they are
/// compared before and after a phase).
pub(crate) const SAME_PEAK: f64 = 0.1;
/// σ, in points, of the Gaussian that smooths a residual before its peaks are tested.
const SIGNIFICANCE_SMOOTHING: f64 = 2.0;
/// Coordinate-descent sweeps over the reflections of a phase.
const HEIGHT_SWEEPS: usize = 8;

/// Settings of a multi-phase identification (builder; defaults `DEFAULT_*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhaseParams {
    max_phases: usize,
    min_peak_height: f64,
    noise_sigmas: f64,
    min_share: f64,
}

impl Default for PhaseParams {
    fn default() -> Self {
        Self {
            max_phases: DEFAULT_MAX_PHASES,
            min_peak_height: DEFAULT_MIN_PEAK_HEIGHT,
            noise_sigmas: DEFAULT_NOISE_SIGMAS,
            min_share: DEFAULT_MIN_SHARE,
        }
    }
}

xrd_io::param_guard!(crate::Error => PhaseParams);

impl PhaseParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    xrd_io::setters! {
        /// At most this many phases (≥ 1); default [`DEFAULT_MAX_PHASES`].
        #[must_use]
        max_phases, get_max_phases: usize;

        /// A significant residual peak is higher than this fraction of the strongest measured
        /// point; default [`DEFAULT_MIN_PEAK_HEIGHT`].
        #[must_use]
        min_peak_height, get_min_peak_height: f64;

        /// … and higher than this many noise standard deviations; default
        /// [`DEFAULT_NOISE_SIGMAS`].
        #[must_use]
        noise_sigmas, get_noise_sigmas: f64;

        /// A phase after the first must explain at least this share of the measured intensity;
        /// default [`DEFAULT_MIN_SHARE`].
        #[must_use]
        min_share, get_min_share: f64;
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setter.
    pub fn check(&self) -> Result<()> {
        if !(1..=20).contains(&self.max_phases) {
            return Err(invalid(
                "max_phases",
                format!("{} (expected 1 to 20)", self.max_phases),
            ));
        }
        if !(self.min_peak_height.is_finite()
            && self.min_peak_height > 0.0
            && self.min_peak_height < 1.0)
        {
            return Err(invalid(
                "min_peak_height",
                format!("{} (expected 0 < fraction < 1)", self.min_peak_height),
            ));
        }
        if !(self.noise_sigmas.is_finite() && self.noise_sigmas >= 0.0) {
            return Err(invalid(
                "noise_sigmas",
                format!("{} (expected a finite number ≥ 0)", self.noise_sigmas),
            ));
        }
        if !(self.min_share.is_finite() && (0.0..1.0).contains(&self.min_share)) {
            return Err(invalid(
                "min_share",
                format!("{} (expected 0 ≤ share < 1)", self.min_share),
            ));
        }
        Ok(())
    }
}

/// One phase found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPhase {
    /// The reference, its score against what was left of the pattern when it was found, its cell
    /// scale and zero shift.
    pub candidate: Candidate,
    /// Share of the measured intensity its fitted profile explains: its area over the sum of the
    /// phases' areas and the residual's area above the noise threshold.
    pub share: f64,
    /// The fitted profile on the pattern's 2θ (measured scale: strongest point 1).
    pub profile: Vec<f64>,
    /// 2θ (°) and relative intensity (strongest 1) of its reflections in the range, Kα1.
    pub sticks: Vec<(f64, f64)>,
    /// Full width at half maximum (°) of each line of the fitted profile.
    pub fwhm: f64,
    /// Other candidates of the same search (the same residual) scoring within
    /// [`CLOSE_SCORE`] of it, best first: what a refinement compares it with.
    pub alternatives: Vec<Candidate>,
}

/// Candidates of one search scoring within this of the chosen one are its alternatives.
pub const CLOSE_SCORE: f64 = 0.05;

/// What a multi-phase identification found.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    /// The phases, in the order found; empty when nothing matches.
    pub phases: Vec<FoundPhase>,
    /// The best single-phase candidates of the whole pattern.
    pub candidates: Vec<Candidate>,
    /// Significant peaks no phase explains (away from the phases' strong lines): 2θ (°) and
    /// height (strongest measured point 1), in 2θ order.
    pub unexplained: Vec<(f64, f64)>,
    /// 2θ of the pattern (°).
    pub two_theta: Vec<f64>,
    /// The pattern with its background removed, strongest point 1.
    pub measured: Vec<f64>,
    /// What the phases leave of it.
    pub residual: Vec<f64>,
    /// The best candidates of the last search of the residual, which named no further phase (of
    /// the whole pattern when nothing was found or the residual had no significant peak): the
    /// phases a refinement may still confirm.
    pub residual_candidates: Vec<Candidate>,
}

impl Matcher {
    /// Identifies up to [`PhaseParams::max_phases`] phases of `pattern` (see the module docs).
    ///
    /// # Errors
    /// As [`Matcher::search`]; invalid `params`.
    pub fn identify(&self, pattern: &Pattern, params: &PhaseParams) -> Result<Identification> {
        params.check()?;
        self.check_wavelength(pattern)?;
        let prep = self.preparation();
        let first = Measured::new(pattern, &prep)?;
        let two_theta = first.two_theta.clone();
        let measured = first.linear.clone();
        let peaks = PeakTest::new(&first, params);
        let candidates = self.search_prepared(&first, &[]);
        let mut residual = measured.clone();
        let mut phases: Vec<FoundPhase> = Vec::new();
        let mut skip: Vec<usize> = Vec::new();
        let mut residual_candidates = candidates.clone();
        while phases.len() < params.max_phases {
            let (cands, before) = if phases.is_empty() {
                (candidates.clone(), Vec::new())
            } else {
                let positive = masked(&two_theta, &residual, &phases);
                let before = peaks.significant(&positive)?;
                if before.is_empty() {
                    break;
                }
                match Measured::from_background_free(two_theta.clone(), positive, &prep) {
                    Ok(mut m) => {
                        m.hidden = masked_spans(&phases);
                        (self.search_prepared(&m, &skip), before)
                    }
                    Err(Error::Pattern(_)) => break,
                    Err(e) => return Err(e),
                }
            };
            let mut found = None;
            for c in cands
                .iter()
                .filter(|c| !self.same_mineral(c.entry, &phases))
            {
                if c.score < self.params().get_min_score() {
                    break;
                }
                let (profile, sticks, fwhm) = self.fit(c, &two_theta, &residual);
                let phase = FoundPhase {
                    candidate: *c,
                    share: area(&profile, &first.weight, 0.0),
                    profile,
                    sticks,
                    fwhm,
                    alternatives: cands
                        .iter()
                        .filter(|a| {
                            a.entry != c.entry
                                && a.score >= c.score - CLOSE_SCORE
                                && !self.same_mineral(a.entry, &phases)
                        })
                        .copied()
                        .collect(),
                };
                if phases.is_empty() {
                    found = Some(phase);
                    break;
                }
                if phase.share < params.min_share {
                    break;
                }
                // A further phase is named from two residual peaks at least: one peak alone
                // fits a line of many references.
                let left: Vec<f64> = residual
                    .iter()
                    .zip(&phase.profile)
                    .map(|(r, p)| r - p)
                    .collect();
                let after =
                    peaks.significant(&masked(&two_theta, &left, std::slice::from_ref(&phase)))?;
                let explained = before
                    .iter()
                    .filter(|(t, _)| !after.iter().any(|(u, _)| (t - u).abs() < SAME_PEAK))
                    .count();
                if explained >= MIN_PEAKS_EXPLAINED {
                    found = Some(phase);
                    break;
                }
            }
            let Some(phase) = found else {
                residual_candidates = cands;
                break;
            };
            for (r, p) in residual.iter_mut().zip(&phase.profile) {
                *r -= p;
            }
            skip.push(phase.candidate.entry);
            phases.push(phase);
        }
        // Residual peaks at a found phase's strong lines are its intensity misfit, not peaks
        // that nothing explains.
        // Shares: of the phases' areas plus what stands above the noise in the residual.
        let left = area(&residual, &first.weight, params.noise_sigmas * first.noise);
        let whole = phases.iter().map(|p| p.share).sum::<f64>() + left;
        if whole > 0.0 {
            phases.iter_mut().for_each(|p| p.share /= whole);
        }
        let unexplained = peaks.significant(&masked(&two_theta, &residual, &phases))?;
        Ok(Identification {
            phases,
            candidates,
            unexplained,
            two_theta,
            measured,
            residual,
            residual_candidates,
        })
    }

    /// Whether entry `i` is a mineral (by name) already among `phases`.
    fn same_mineral(&self, i: usize, phases: &[FoundPhase]) -> bool {
        let entries = self.library().entries();
        let name = &entries[i].mineral;
        !name.is_empty()
            && phases
                .iter()
                .any(|p| &entries[p.candidate.entry].mineral == name)
    }

    /// The profile of a candidate fitted to `target` (best width and shape, least-squares scale,
    /// then each reflection's height refined within [`TEXTURE`]), its sticks and its FWHM.
    fn fit(
        &self,
        c: &Candidate,
        two_theta: &[f64],
        target: &[f64],
    ) -> (Vec<f64>, Vec<(f64, f64)>, f64) {
        let lines = self.lines_in(c, two_theta);
        let mut best: (f64, f64, f64, f64) = (f64::NEG_INFINITY, WIDTHS[0], 0.0, 0.0);
        for &width in &WIDTHS {
            for &eta in &ETAS {
                let p = render(&lines, two_theta, width, eta);
                let pp: f64 = p.iter().map(|v| v * v).sum();
                if pp <= 0.0 {
                    continue;
                }
                let tp: f64 = p.iter().zip(target).map(|(a, b)| a * b).sum();
                let scale = (tp / pp).max(0.0);
                // Residual sum of squares after the fit: Σt² − (t·p)²/(p·p).
                let gain = scale * tp;
                if gain > best.0 {
                    best = (gain, width, eta, scale);
                }
            }
        }
        let (_, width, eta, scale) = best;
        let profile = refine_heights(&lines, two_theta, target, width, eta, scale);
        let sticks = lines.iter().filter(|l| l.2).map(|l| (l.0, l.1)).collect();
        (profile, sticks, fwhm_of(width))
    }

    /// The lines of a candidate in the pattern's range (see [`Matcher::lines`]).
    fn lines_in(&self, c: &Candidate, two_theta: &[f64]) -> Vec<(f64, f64, bool)> {
        let (lo, hi) = (two_theta[0], two_theta[two_theta.len() - 1]);
        self.lines(c.entry, c.cell_scale, c.zero_shift)
            .filter(|l| (lo..=hi).contains(&l.0))
            .collect()
    }
}

/// ∫ max(y − floor, 0) d2θ.
fn area(y: &[f64], weight: &[f64], floor: f64) -> f64 {
    y.iter()
        .zip(weight)
        .map(|(v, w)| (v - floor).max(0.0) * w)
        .sum()
}

/// The residual's positive part, zero near the strong lines of the phases found: a profile
/// fitted with one width per phase leaves wiggles at its strongest peaks that would otherwise
/// look like peaks of a further phase.
fn masked(two_theta: &[f64], residual: &[f64], phases: &[FoundPhase]) -> Vec<f64> {
    let mut out: Vec<f64> = residual.iter().map(|v| v.max(0.0)).collect();
    for (a, b) in masked_spans(phases) {
        let lo = two_theta.partition_point(|&x| x < a);
        let hi = two_theta.partition_point(|&x| x <= b);
        out[lo..hi].iter_mut().for_each(|v| *v = 0.0);
    }
    out
}

impl Matcher {
    /// The search of what `found`'s phases leave (masked as its residual searches are) among
    /// the entries `keep` keeps; none when no unexplained peak is left or the residual holds
    /// no signal.
    pub(crate) fn residual_search_among(
        &self,
        found: &Identification,
        keep: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<Candidate> {
        if found.unexplained.is_empty() {
            return Vec::new();
        }
        let positive = masked(&found.two_theta, &found.residual, &found.phases);
        let hidden = masked_spans(&found.phases);
        Measured::from_background_free(found.two_theta.clone(), positive, &self.preparation())
            .map(|mut m| {
                m.hidden = hidden;
                self.search_prepared_among(&m, keep)
            })
            .unwrap_or_default()
    }
}

/// The 2θ spans (°) around the strong lines of `phases` where [`masked`] hides the residual:
/// no unexplained peak is looked for there.
pub(crate) fn masked_spans<'a>(
    phases: impl IntoIterator<Item = &'a FoundPhase>,
) -> Vec<(f64, f64)> {
    let mut spans = Vec::new();
    for p in phases {
        let strongest = p.sticks.iter().map(|s| s.1).fold(0.0, f64::max);
        let half = MASK_HALF_WIDTH.max(p.fwhm);
        spans.extend(
            p.sticks
                .iter()
                .filter(|&&(_, h)| h >= MASK_MIN_LINE * strongest)
                .map(|&(t, _)| (t - half, t + half)),
        );
    }
    spans
}

/// The fitted profile with each reflection's height (a Kα1 line and its Kα2 partner together)
/// refined by least squares within `scale`/[`TEXTURE`] … `scale`·[`TEXTURE`], by coordinate
/// descent over the reflections: preferred orientation and the reference's own intensity
/// errors change heights by tens of per cent, and a profile with the reference's heights leaves
/// residual peaks at the phase's own lines that look like a further phase.
fn refine_heights(
    lines: &[(f64, f64, bool)],
    two_theta: &[f64],
    target: &[f64],
    sigma: f64,
    eta: f64,
    scale: f64,
) -> Vec<f64> {
    // Each reflection's unit-scale profile, on its own span of points.
    let mut parts: Vec<(usize, Vec<f64>)> = Vec::new();
    let reach = PROFILE_REACH * fwhm_of(sigma);
    let mut start = 0;
    while start < lines.len() {
        let mut end = start + 1;
        while end < lines.len() && !lines[end].2 {
            end += 1;
        }
        let group = &lines[start..end];
        let lo = group.iter().map(|l| l.0).fold(f64::INFINITY, f64::min) - reach;
        let hi = group.iter().map(|l| l.0).fold(f64::NEG_INFINITY, f64::max) + reach;
        let (a, b) = (
            two_theta.partition_point(|&x| x < lo),
            two_theta.partition_point(|&x| x <= hi),
        );
        if a < b {
            parts.push((a, render(group, &two_theta[a..b], sigma, eta)));
        }
        start = end;
    }
    let mut height = vec![scale; parts.len()];
    let mut model = vec![0.0; two_theta.len()];
    for (&(a, ref p), h) in parts.iter().zip(&height) {
        model[a..a + p.len()]
            .iter_mut()
            .zip(p)
            .for_each(|(m, v)| *m += h * v);
    }
    if scale <= 0.0 {
        return model;
    }
    let (lo, hi) = (scale / TEXTURE, scale * TEXTURE);
    for _ in 0..HEIGHT_SWEEPS {
        for ((a, p), h) in parts.iter().zip(height.iter_mut()) {
            let span = &mut model[*a..*a + p.len()];
            let target = &target[*a..*a + p.len()];
            let pp: f64 = p.iter().map(|v| v * v).sum();
            if pp <= 0.0 {
                continue;
            }
            // The best height of this reflection with the others fixed.
            let rp: f64 = span
                .iter()
                .zip(target)
                .zip(p)
                .map(|((m, t), v)| (t - m + *h * v) * v)
                .sum();
            let new = (rp / pp).clamp(lo, hi);
            span.iter_mut()
                .zip(p)
                .for_each(|(m, v)| *m += (new - *h) * v);
            *h = new;
        }
    }
    model
}

/// The FWHM of a Gaussian of standard deviation σ.
fn fwhm_of(sigma: f64) -> f64 {
    sigma * 2.0 * (2.0 * std::f64::consts::LN_2).sqrt()
}

/// Pseudo-Voigt lines (area-normalised, FWHM from σ, cut at [`PROFILE_REACH`] FWHM) summed on
/// `two_theta`, by xrd-sim's renderer (its grid kernel on the uniform scans most files hold).
fn render(lines: &[(f64, f64, bool)], two_theta: &[f64], sigma: f64, eta: f64) -> Vec<f64> {
    let profile = Profile {
        window: PROFILE_REACH,
        ..Profile::pseudo_voigt(eta, fwhm_of(sigma))
    };
    profile.render(two_theta, lines.iter().map(|l| (l.0, l.1)))
}

/// Which residual peaks are significant: on the residual smoothed with a Gaussian of
/// [`SIGNIFICANCE_SMOOTHING`] points (a peak spans several points, a spike of counting noise
/// one), above the residual's median by more than [`PhaseParams::min_peak_height`] of the
/// strongest smoothed measured point and [`PhaseParams::noise_sigmas`] times the noise left after
/// smoothing.
struct PeakTest<'a> {
    two_theta: &'a [f64],
    weight: &'a [f64],
    sigma: f64,
    /// The strongest point of the smoothed measured pattern.
    strongest: f64,
    /// Absolute height a smoothed residual peak must exceed.
    threshold: f64,
}

impl<'a> PeakTest<'a> {
    fn new(m: &'a Measured, params: &PhaseParams) -> Self {
        let (a, b) = m.range;
        let sigma = SIGNIFICANCE_SMOOTHING * (b - a) / (m.two_theta.len() - 1).max(1) as f64;
        let smooth = convolve(&m.two_theta, &m.linear, &m.weight, sigma, &m.two_theta);
        let strongest = smooth.iter().copied().fold(0.0, f64::max);
        // White noise of σ per point is left with σ·√(Σⱼ kⱼ²) by a kernel of weights kⱼ.
        let mid = m.two_theta.len() / 2;
        let x = m.two_theta[mid];
        let k2: f64 = m
            .two_theta
            .iter()
            .zip(&m.weight)
            .map(|(t, w)| (w * gaussian(x - t, sigma)).powi(2))
            .sum();
        let threshold =
            (params.min_peak_height * strongest).max(params.noise_sigmas * m.noise * k2.sqrt());
        Self {
            two_theta: &m.two_theta,
            weight: &m.weight,
            sigma,
            strongest,
            threshold,
        }
    }

    /// Significant peaks of `y`, as (2θ, height relative to the strongest smoothed measured point).
    fn significant(&self, y: &[f64]) -> Result<Vec<(f64, f64)>> {
        let mut smooth = convolve(self.two_theta, y, self.weight, self.sigma, self.two_theta);
        // Peaks stand on the residual's baseline, its median: a rolling background runs along
        // the noise's minima and leaves the baseline a few noise σ above zero.
        let mut sorted = smooth.clone();
        let mid = sorted.len() / 2;
        let (_, base, _) = sorted.select_nth_unstable_by(mid, f64::total_cmp);
        let base = *base;
        smooth.iter_mut().for_each(|v| *v = (*v - base).max(0.0));
        let max = smooth.iter().copied().fold(0.0, f64::max);
        if !(max >= self.threshold && max > 0.0) {
            return Ok(Vec::new());
        }
        let params = PeakParams::default()
            .relative_height(self.threshold / max)
            .min_prominence(self.threshold / max)
            .min_separation(SAME_PEAK);
        let mut peaks: Vec<(f64, f64)> = find_peaks(self.two_theta, &smooth, &params)?
            .into_iter()
            .map(|p| (p.position, p.height / self.strongest))
            .collect();
        // In 2θ order, as the line test looks them up.
        peaks.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(peaks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three reflections, the first two overlapping, the second with its Kα2 partner.
    fn lines() -> Vec<(f64, f64, bool)> {
        vec![
            (20.0, 1.0, true),
            (20.3, 0.6, true),
            (20.36, 0.3, false),
            (25.0, 0.4, true),
        ]
    }

    fn two_theta() -> Vec<f64> {
        (0..1500).map(|i| 18.0 + 0.005 * f64::from(i)).collect()
    }

    /// `lines` with reflection `k`'s intensities times `factors[k]`.
    fn scaled(factors: [f64; 3]) -> Vec<(f64, f64, bool)> {
        let group = [0, 1, 1, 2];
        lines()
            .into_iter()
            .zip(group)
            .map(|((t, i, p), g)| (t, i * factors[g], p))
            .collect()
    }

    #[test]
    fn refined_heights_recover_texture_within_bounds() {
        let tt = two_theta();
        let target = render(&scaled([1.3, 0.8, 1.2]), &tt, 0.05, 0.5);
        let fitted = refine_heights(&lines(), &tt, &target, 0.05, 0.5, 1.0);
        let peak = target.iter().copied().fold(0.0, f64::max);
        let worst = fitted
            .iter()
            .zip(&target)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-3 * peak, "worst {worst} of {peak}");
    }

    #[test]
    fn refined_heights_stop_at_the_texture_bound() {
        // The first reflection twice as strong: it can rise to TEXTURE times only.
        let tt = two_theta();
        let target = render(&scaled([2.0, 1.0, 1.0]), &tt, 0.05, 0.0);
        let fitted = refine_heights(&lines(), &tt, &target, 0.05, 0.0, 1.0);
        let want = render(&scaled([TEXTURE, 1.0, 1.0]), &tt, 0.05, 0.0);
        let worst = fitted
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let peak = want.iter().copied().fold(0.0, f64::max);
        assert!(worst < 1e-3 * peak, "worst {worst} of {peak}");
    }
}
