//! Peak-level relevance: `Dev` integrated over each peak, rankings, and the strong-but-irrelevant
//! peaks.

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};
use xrd_io::peaks::{Peak, PeakParams, find_peaks};
use xrd_io::{Float, IndexedPeak};

use crate::rank::spearman;
use crate::{DevProfile, Error, Result};

/// Default of [`PeakRelevanceParams::strong`].
pub const DEFAULT_STRONG: f64 = 0.2;
/// Default of [`PeakRelevanceParams::irrelevant`].
pub const DEFAULT_IRRELEVANT: f64 = 0.05;

/// How peaks are found and when a peak counts as strong but irrelevant (builder).
///
/// **Criterion.** Heights and relevances are taken relative to the largest among the pattern's
/// peaks. A peak is *strong but irrelevant* when its relative height is at least
/// [`strong`](Self::strong) (default 0.2) and its relative integrated relevance is at most
/// [`irrelevant`](Self::irrelevant) (default 0.05): at least a fifth of the tallest peak, yet under
/// a twentieth of the most relevant one's relevance — the paper's "significant intensity, relevance
/// almost zero".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakRelevanceParams {
    peaks: PeakParams,
    strong: f64,
    irrelevant: f64,
}

impl Default for PeakRelevanceParams {
    fn default() -> Self {
        Self {
            peaks: PeakParams::default(),
            strong: DEFAULT_STRONG,
            irrelevant: DEFAULT_IRRELEVANT,
        }
    }
}

xrd_io::param_guard!(Error => PeakRelevanceParams);

impl PeakRelevanceParams {
    xrd_io::setters! {
        /// Peak search thresholds (default: xrd-io's defaults, peaks of at least 10 % of the
        /// maximum).
        peaks, get_peaks: PeakParams;

        /// Minimum relative height of a strong peak, in (0, 1] (default [`DEFAULT_STRONG`] = 0.2).
        strong, get_strong: f64;

        /// Maximum relative relevance of an irrelevant peak, in [0, 1) (default
        /// [`DEFAULT_IRRELEVANT`] = 0.05).
        irrelevant, get_irrelevant: f64;
    }

    /// Validates the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `strong` outside (0, 1] or `irrelevant` outside [0, 1);
    /// [`Error::Io`] for invalid peak-search thresholds.
    pub fn check(&self) -> Result<()> {
        if !(self.strong > 0.0 && self.strong <= 1.0) {
            return Err(Error::param(
                "strong",
                crate::error::reason(self.strong.to_string(), "a fraction in (0, 1]"),
            ));
        }
        if !(self.irrelevant >= 0.0 && self.irrelevant < 1.0) {
            return Err(Error::param(
                "irrelevant",
                crate::error::reason(self.irrelevant.to_string(), "a fraction in [0, 1)"),
            ));
        }
        self.peaks.check()?;
        Ok(())
    }
}

/// One peak of the pattern with its relevance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakRelevance {
    /// The peak as found by `xrd_io::peaks::find_peaks` (position, height, FWHM, area, …).
    pub peak: Peak,
    /// First grid point of the peak's extent: the maximum ± one FWHM, cut halfway to the
    /// neighbouring peaks so that no point counts twice.
    pub start: usize,
    /// One past the last grid point of the extent.
    pub end: usize,
    /// Relevance integrated over the extent: `Σ ρ(i) · step` with `ρ` = [`DevProfile::per_point`]
    /// (units: Dev × degrees).
    pub relevance: f64,
    /// Largest `Dev` of a window overlapping the extent.
    pub max_dev: f64,
    /// Height over the tallest peak's height.
    pub relative_height: f64,
    /// Relevance over the largest peak relevance (0 when every peak has relevance 0).
    pub relative_relevance: f64,
    /// 1 for the tallest peak (ties broken by position).
    pub intensity_rank: usize,
    /// 1 for the most relevant peak (ties broken by position).
    pub relevance_rank: usize,
    /// Miller indices of the indexed reflections inside the extent, strongest first (empty
    /// without an indexed peak list or when none falls inside).
    pub hkl: Vec<[f64; 3]>,
    /// Whether the peak meets the strong-but-irrelevant criterion of [`PeakRelevanceParams`].
    pub strong_but_irrelevant: bool,
}

/// Every peak of a pattern with its relevance, and how relevance follows intensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakReport {
    /// The peaks by increasing 2θ.
    pub peaks: Vec<PeakRelevance>,
    /// Spearman correlation (ties handled) between peak height and integrated relevance; `None`
    /// with fewer than two peaks or when either is constant.
    pub spearman: Option<f64>,
}

impl PeakReport {
    /// The peaks, most relevant first.
    pub fn by_relevance(&self) -> Vec<&PeakRelevance> {
        let mut v: Vec<_> = self.peaks.iter().collect();
        v.sort_by_key(|p| p.relevance_rank);
        v
    }

    /// The peaks, tallest first.
    pub fn by_intensity(&self) -> Vec<&PeakRelevance> {
        let mut v: Vec<_> = self.peaks.iter().collect();
        v.sort_by_key(|p| p.intensity_rank);
        v
    }

    /// The strong-but-irrelevant peaks, tallest first.
    pub fn strong_but_irrelevant(&self) -> Vec<&PeakRelevance> {
        self.by_intensity()
            .into_iter()
            .filter(|p| p.strong_but_irrelevant)
            .collect()
    }
}

/// Finds the peaks of `pattern` (the pattern `profile` was computed from) and scores each by the
/// relevance profile; `indexed` (e.g. a simulation's reflections) labels them with Miller indices.
///
/// # Errors
/// Invalid `params`; [`Error::ShapeMismatch`] when `pattern` is not on the profile's grid;
/// errors of the peak search (non-finite intensities).
pub fn peak_relevance<F: Float>(
    profile: &DevProfile<F>,
    pattern: ArrayView1<'_, F>,
    indexed: Option<&[IndexedPeak]>,
    params: &PeakRelevanceParams,
) -> Result<PeakReport> {
    params.check()?;
    let grid = profile.grid();
    if pattern.len() != grid.len() {
        return Err(Error::shape(
            "pattern length (profile grid points)",
            grid.len(),
            pattern.len(),
        ));
    }
    let y = pattern.to_vec();
    let found = find_peaks(&grid.positions(), &y, &params.peaks)?;
    let rho: Vec<f64> = profile.per_point().iter().map(|v| v.as_f64()).collect();
    let n = grid.len();
    let index_of = |tt: f64| (tt - grid.start()) / grid.step();

    let mut peaks: Vec<PeakRelevance> = found
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let mut lo = p.position - p.fwhm;
            let mut hi = p.position + p.fwhm;
            if k > 0 {
                lo = lo.max(0.5 * (found[k - 1].position + p.position));
            }
            if let Some(next) = found.get(k + 1) {
                hi = hi.min(0.5 * (p.position + next.position));
            }
            let start = (index_of(lo).ceil().max(0.0) as usize).min(p.index);
            let end = ((index_of(hi).floor() + 1.0).max(0.0) as usize).clamp(p.index + 1, n);
            let relevance = rho[start..end].iter().sum::<f64>() * grid.step();
            let max_dev = profile
                .windows()
                .iter()
                .zip(profile.dev())
                .filter(|(w, _)| w.start < end && w.end > start)
                .fold(0.0f64, |m, (_, d)| m.max(d.as_f64()));
            let mut hkl: Vec<&IndexedPeak> = indexed
                .unwrap_or_default()
                .iter()
                .filter(|r| r.two_theta.is_finite())
                .filter(|r| {
                    let i = index_of(r.two_theta).round();
                    i >= start as f64 && i < end as f64
                })
                .collect();
            hkl.sort_by(|a, b| b.intensity.total_cmp(&a.intensity));
            PeakRelevance {
                peak: *p,
                start,
                end,
                relevance,
                max_dev,
                relative_height: 0.0,
                relative_relevance: 0.0,
                intensity_rank: 0,
                relevance_rank: 0,
                hkl: hkl.into_iter().map(|r| r.hkl).collect(),
                strong_but_irrelevant: false,
            }
        })
        .collect();

    let max_height = peaks.iter().fold(0.0f64, |m, p| m.max(p.peak.height));
    let max_relevance = peaks.iter().fold(0.0f64, |m, p| m.max(p.relevance));
    for p in &mut peaks {
        p.relative_height = if max_height > 0.0 {
            p.peak.height / max_height
        } else {
            0.0
        };
        p.relative_relevance = if max_relevance > 0.0 {
            p.relevance / max_relevance
        } else {
            0.0
        };
        p.strong_but_irrelevant =
            p.relative_height >= params.strong && p.relative_relevance <= params.irrelevant;
    }
    let ranks = |key: &dyn Fn(&PeakRelevance) -> f64| {
        let mut order: Vec<usize> = (0..peaks.len()).collect();
        order.sort_by(|&a, &b| key(&peaks[b]).total_cmp(&key(&peaks[a])));
        let mut rank = vec![0; peaks.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r + 1;
        }
        rank
    };
    let by_height = ranks(&|p| p.peak.height);
    let by_relevance = ranks(&|p| p.relevance);
    for (p, (h, r)) in peaks
        .iter_mut()
        .zip(by_height.into_iter().zip(by_relevance))
    {
        p.intensity_rank = h;
        p.relevance_rank = r;
    }
    let heights: Vec<f64> = peaks.iter().map(|p| p.peak.height).collect();
    let relevances: Vec<f64> = peaks.iter().map(|p| p.relevance).collect();
    Ok(PeakReport {
        spearman: spearman(&heights, &relevances),
        peaks,
    })
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, ArrayView2};
    use xrd_io::Grid;

    use super::*;
    use crate::{Relevance, Span};

    /// Cu Kα1 (Å), the wavelength of the hand-made reflection lists.
    const CU: xrd_io::Wavelength = xrd_io::Wavelength::synchrotron(1.5406);

    /// Three Gaussian peaks (heights 1, 0.6, 0.3 at 2θ = 11, 12, 13) on a 0.01° grid, and an encoder
    /// blind to 11.8°…12.2°: the 0.6 peak is strong but irrelevant.
    fn setup() -> (Grid, Array1<f64>, DevProfile<f64>) {
        let grid = Grid::new(10.0, 0.01, 400).unwrap();
        let x = Array1::from_shape_fn(400, |i| {
            let t = grid.x(i);
            [(11.0, 1.0), (12.0, 0.6), (13.0, 0.3)]
                .iter()
                .map(|&(c, h)| h * (-((t - c) / 0.03f64).powi(2)).exp())
                .sum::<f64>()
        });
        let a = Array2::from_shape_fn((2, 400), |(r, i)| {
            let t = grid.x(i);
            if (11.8..12.2).contains(&t) {
                0.0
            } else {
                1.0 + r as f64 * (t - 10.0)
            }
        });
        let enc = move |b: ArrayView2<'_, f64>| Ok::<_, Error>(b.dot(&a.t()));
        let profile = Relevance::params()
            .width(Span::Points(3))
            .build(&grid)
            .unwrap()
            .profile(&enc, x.view())
            .unwrap();
        (grid, x, profile)
    }

    #[test]
    fn the_blind_spot_is_strong_but_irrelevant_and_carries_its_hkl() {
        let (_, x, profile) = setup();
        let hkl = [
            IndexedPeak::at(11.0, CU, 100.0, [1, 1, 0]).unwrap(),
            IndexedPeak::at(12.0, CU, 60.0, [0, 0, 1]).unwrap(),
            IndexedPeak::at(12.01, CU, 5.0, [2, 0, 0]).unwrap(),
            IndexedPeak::at(13.0, CU, 30.0, [1, 1, 1]).unwrap(),
            IndexedPeak::at(50.0, CU, 1.0, [9, 9, 9]).unwrap(),
        ];
        let report = peak_relevance(
            &profile,
            x.view(),
            Some(&hkl),
            &PeakRelevanceParams::default(),
        )
        .unwrap();
        assert_eq!(report.peaks.len(), 3);
        let [a, b, c] = [&report.peaks[0], &report.peaks[1], &report.peaks[2]];
        assert_eq!(b.hkl, [[0.0, 0.0, 1.0], [2.0, 0.0, 0.0]]);
        assert_eq!(a.hkl, [[1.0, 1.0, 0.0]]);
        assert_eq!(c.hkl, [[1.0, 1.0, 1.0]]);
        assert_eq!(b.relevance, 0.0);
        assert_eq!(
            (a.intensity_rank, b.intensity_rank, c.intensity_rank),
            (1, 2, 3)
        );
        assert_eq!(
            (a.relevance_rank, b.relevance_rank, c.relevance_rank),
            (1, 3, 2)
        );
        assert!(b.strong_but_irrelevant && !a.strong_but_irrelevant && !c.strong_but_irrelevant);
        assert_eq!(report.strong_but_irrelevant().len(), 1);
        assert_eq!(report.by_relevance()[2].peak.index, b.peak.index);
        assert_eq!(report.by_intensity()[0].peak.index, a.peak.index);
        // Heights rank 1, 2, 3; relevances 1, 3, 2: Spearman = 1 − 6·2/(3·8) = 0.5.
        assert!((report.spearman.unwrap() - 0.5).abs() < 1e-12);
        // Extents are ±1 FWHM around each maximum and disjoint.
        assert!(a.end <= b.start && b.end <= c.start);
        assert!(a.start < a.peak.index && a.peak.index < a.end);
        // The integrated relevance is the per-point relevance summed over the extent.
        let rho = profile.per_point();
        let sum: f64 = rho[a.start..a.end].iter().sum::<f64>() * 0.01;
        assert!((a.relevance - sum).abs() < 1e-12);
        assert!(a.max_dev > 0.0 && b.max_dev == 0.0);
    }

    #[test]
    fn without_hkl_peaks_carry_none_and_thresholds_move_the_verdict() {
        let (_, x, profile) = setup();
        let report =
            peak_relevance(&profile, x.view(), None, &PeakRelevanceParams::default()).unwrap();
        assert!(report.peaks.iter().all(|p| p.hkl.is_empty()));
        let strict = PeakRelevanceParams::default().strong(0.7);
        let report = peak_relevance(&profile, x.view(), None, &strict).unwrap();
        assert!(report.strong_but_irrelevant().is_empty());
    }

    #[test]
    fn a_pattern_off_the_profile_grid_is_an_error() {
        let (_, x, profile) = setup();
        let short = x.slice(ndarray::s![..399]);
        let e = peak_relevance(&profile, short, None, &PeakRelevanceParams::default());
        assert!(matches!(e, Err(Error::ShapeMismatch(_))));
    }

    #[test]
    fn strong_outside_zero_one_is_invalid() {
        for s in [0.0, -0.1, 1.5, f64::NAN] {
            assert_eq!(
                crate::error::refused(PeakRelevanceParams::default().strong(s).check()),
                "strong",
                "{s}"
            );
        }
        assert!(PeakRelevanceParams::default().strong(1.0).check().is_ok());
    }

    #[test]
    fn irrelevant_outside_zero_one_is_invalid() {
        for s in [1.0, -0.1, f64::NAN] {
            assert_eq!(
                crate::error::refused(PeakRelevanceParams::default().irrelevant(s).check()),
                "irrelevant",
                "{s}"
            );
        }
        assert!(
            PeakRelevanceParams::default()
                .irrelevant(0.0)
                .check()
                .is_ok()
        );
    }

    #[test]
    fn invalid_peak_search_thresholds_are_invalid() {
        let p = PeakRelevanceParams::default().peaks(PeakParams::default().relative_height(2.0));
        assert!(matches!(p.check(), Err(Error::Io(_))));
    }
}
