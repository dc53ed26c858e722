//! Several phases: the best reference is fitted to the pattern and subtracted, and the residual
//! is searched again (as XRD-AutoAnalyzer and Dara do), until the residual has no significant
//! peak or nothing matches it.
//!
//! A phase's profile is its reflections at the cell scale and zero shift the search found, each a
//! pseudo-Voigt (with the Kα2 partner of a doublet) whose width and Lorentzian share are chosen
//! from a small grid to fit the residual best; its scale is the least-squares one. A residual
//! peak is significant when it stands higher than [`PhaseParams::min_peak_height`] of the
//! strongest measured point and [`PhaseParams::noise_sigmas`] times the noise.

use serde::{Deserialize, Serialize};
use xrd_io::Pattern;
use xrd_io::peaks::{PeakParams, find_peaks};

use crate::error::invalid;
use crate::profile::Measured;
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
/// searched for further phases, over ± this many degrees.
const MASK_MIN_LINE: f64 = 0.05;
const MASK_HALF_WIDTH: f64 = 0.25;
/// Profiles are cut at this many widths.
const PROFILE_REACH: f64 = 12.0;

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
pub struct Phase {
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
}

/// What a multi-phase identification found.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    /// The phases, in the order found; empty when nothing matches.
    pub phases: Vec<Phase>,
    /// The best single-phase candidates of the whole pattern.
    pub candidates: Vec<Candidate>,
    /// Significant peaks no phase explains (away from the phases' strong lines): 2θ (°) and
    /// height (strongest measured point 1).
    pub unexplained: Vec<(f64, f64)>,
    /// 2θ of the pattern (°).
    pub two_theta: Vec<f64>,
    /// The pattern with its background removed, strongest point 1.
    pub measured: Vec<f64>,
    /// What the phases leave of it.
    pub residual: Vec<f64>,
}

impl Matcher<'_> {
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
        let threshold = params
            .min_peak_height
            .max(params.noise_sigmas * first.noise);
        let candidates = self.search_prepared(&first, &[]);
        let mut residual = measured.clone();
        let mut phases: Vec<Phase> = Vec::new();
        let mut skip: Vec<usize> = Vec::new();
        while phases.len() < params.max_phases {
            let cands = if phases.is_empty() {
                candidates.clone()
            } else {
                let positive = masked(&two_theta, &residual, &phases);
                if significant_peaks(&two_theta, &positive, threshold)?.is_empty() {
                    break;
                }
                match Measured::from_background_free(two_theta.clone(), positive, &prep) {
                    Ok(m) => self.search_prepared(&m, &skip),
                    Err(Error::Pattern(_)) => break,
                    Err(e) => return Err(e),
                }
            };
            let Some(best) = cands
                .iter()
                .find(|c| !self.same_mineral(c.entry, &phases))
                .copied()
            else {
                break;
            };
            if best.score < self.params().get_min_score() {
                break;
            }
            let (profile, sticks) = self.fit(&best, &two_theta, &residual);
            let share = area(&profile, &first.weight, 0.0);
            if !phases.is_empty() && share < params.min_share {
                break;
            }
            for (r, p) in residual.iter_mut().zip(&profile) {
                *r -= p;
            }
            skip.push(best.entry);
            phases.push(Phase {
                candidate: best,
                share,
                profile,
                sticks,
            });
        }
        // Residual peaks at a found phase's strong lines are its intensity misfit, not peaks
        // that nothing explains.
        // Shares: of the phases' areas plus what stands above the noise in the residual.
        let left = area(&residual, &first.weight, params.noise_sigmas * first.noise);
        let whole = phases.iter().map(|p| p.share).sum::<f64>() + left;
        if whole > 0.0 {
            phases.iter_mut().for_each(|p| p.share /= whole);
        }
        let unexplained = significant_peaks(
            &two_theta,
            &masked(&two_theta, &residual, &phases),
            threshold,
        )?;
        Ok(Identification {
            phases,
            candidates,
            unexplained,
            two_theta,
            measured,
            residual,
        })
    }

    /// Whether entry `i` is a mineral (by name) already among `phases`.
    fn same_mineral(&self, i: usize, phases: &[Phase]) -> bool {
        let entries = self.library().entries();
        let name = &entries[i].mineral;
        !name.is_empty()
            && phases
                .iter()
                .any(|p| &entries[p.candidate.entry].mineral == name)
    }

    /// The profile of a candidate fitted to `target` (best width and shape, least-squares scale),
    /// and its sticks.
    fn fit(&self, c: &Candidate, two_theta: &[f64], target: &[f64]) -> (Vec<f64>, Vec<(f64, f64)>) {
        let lines = self.lines_in(c, two_theta);
        let mut best: (f64, Vec<f64>) = (f64::NEG_INFINITY, vec![0.0; two_theta.len()]);
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
                    best = (gain, p.iter().map(|v| v * scale).collect());
                }
            }
        }
        let sticks = lines.iter().filter(|l| l.2).map(|l| (l.0, l.1)).collect();
        (best.1, sticks)
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
fn masked(two_theta: &[f64], residual: &[f64], phases: &[Phase]) -> Vec<f64> {
    let mut out: Vec<f64> = residual.iter().map(|v| v.max(0.0)).collect();
    for p in phases {
        let strongest = p.sticks.iter().map(|s| s.1).fold(0.0, f64::max);
        for &(t, h) in &p.sticks {
            if h < MASK_MIN_LINE * strongest {
                continue;
            }
            let lo = two_theta.partition_point(|&x| x < t - MASK_HALF_WIDTH);
            let hi = two_theta.partition_point(|&x| x <= t + MASK_HALF_WIDTH);
            out[lo..hi].iter_mut().for_each(|v| *v = 0.0);
        }
    }
    out
}

/// Pseudo-Voigt lines (area-normalised, FWHM from σ) summed on `two_theta`.
fn render(lines: &[(f64, f64, bool)], two_theta: &[f64], sigma: f64, eta: f64) -> Vec<f64> {
    let fwhm = sigma * 2.0 * (2.0 * std::f64::consts::LN_2).sqrt();
    let gamma = fwhm / 2.0;
    let reach = PROFILE_REACH * fwhm;
    let mut out = vec![0.0; two_theta.len()];
    for &(t, intensity, _) in lines {
        let start = two_theta.partition_point(|&x| x < t - reach);
        for (i, &x) in two_theta.iter().enumerate().skip(start) {
            if x > t + reach {
                break;
            }
            let dx = x - t;
            let g = crate::profile::gaussian(dx, sigma);
            let l = gamma / (std::f64::consts::PI * (dx * dx + gamma * gamma));
            out[i] += intensity * ((1.0 - eta) * g + eta * l);
        }
    }
    out
}

/// Peaks of `y` higher than `threshold` (absolute), as (2θ, height).
fn significant_peaks(two_theta: &[f64], y: &[f64], threshold: f64) -> Result<Vec<(f64, f64)>> {
    let max = y.iter().copied().fold(0.0, f64::max);
    if max < threshold {
        return Ok(Vec::new());
    }
    let params = PeakParams::default()
        .relative_height(threshold / max)
        .min_prominence(threshold / max)
        .min_separation(0.1);
    Ok(find_peaks(two_theta, y, &params)?
        .into_iter()
        .map(|p| (p.position, p.height))
        .collect())
}
