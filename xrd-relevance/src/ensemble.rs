//! Stability over an ensemble of encoders: is a relevance finding robust or a training accident?
//!
//! Autoencoders trained from different seeds place patterns in differently scaled, rotated and
//! mirrored latent spaces, so their `Dev` values are not comparable as they stand; each member's
//! profile is first scaled ([`ProfileScaling`], default: its maximum becomes 1), then averaged.

use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::peaks::Peak;
use xrd_io::{Float, Grid, IndexedPeak, MeanSd};

use crate::rank::spearman;
use crate::{
    DevProfile, Encoder, Error, LayeredEncoder, PeakRelevanceParams, Relevance, Result, Window,
    peak_relevance,
};

/// How each member's [`DevProfile`] is scaled before averaging (not to be confused with
/// `xrd_io::Normalization`, which scales the intensities of a pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProfileScaling {
    /// Raw `Dev` values (only meaningful when the members share a latent scale).
    None,
    /// Divided by the member's largest `Dev` (an all-zero profile stays zero).
    #[default]
    Max,
    /// Divided by the member's total `Dev` (an all-zero profile stays zero).
    Sum,
}

/// The relevance profile of one pattern under several encoders: per-window mean and spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleProfile {
    grid: Grid,
    windows: Vec<Window>,
    #[serde(alias = "normalization")]
    scaling: ProfileScaling,
    members: Array2<f64>,
    mean: Vec<f64>,
    std: Vec<f64>,
    agreement: Option<f64>,
}

impl EnsembleProfile {
    /// Combines profiles of the same pattern computed with the same windows.
    ///
    /// # Errors
    /// [`Error::Degenerate`] for no profiles; [`Error::ShapeMismatch`] when their grids or
    /// windows differ.
    pub fn from_profiles<F: Float>(
        profiles: &[DevProfile<F>],
        scaling: ProfileScaling,
    ) -> Result<Self> {
        let first = profiles.first().ok_or_else(|| Error::Degenerate {
            what: "ensemble profile",
            reason: "no member profiles".into(),
        })?;
        if let Some(p) = profiles
            .iter()
            .find(|p| p.windows() != first.windows() || p.grid() != first.grid())
        {
            return Err(Error::shape(
                "windows of every member profile",
                first.len(),
                p.len(),
            ));
        }
        let (m, k) = (profiles.len(), first.len());
        let mut members = Array2::zeros((m, k));
        for (mut row, p) in members.outer_iter_mut().zip(profiles) {
            let dev: Vec<f64> = p.dev().iter().map(|d| d.as_f64()).collect();
            let scale = match scaling {
                ProfileScaling::None => 1.0,
                ProfileScaling::Max => dev.iter().fold(0.0f64, |a, &d| a.max(d)),
                ProfileScaling::Sum => dev.iter().sum(),
            };
            let scale = if scale > 0.0 { scale } else { 1.0 };
            for (r, d) in row.iter_mut().zip(&dev) {
                *r = d / scale;
            }
        }
        let stats: Vec<MeanSd> = members
            .columns()
            .into_iter()
            .map(|c| MeanSd::of(&c.to_vec()))
            .collect();
        let mean = stats.iter().map(|s| s.mean).collect();
        let std = stats.iter().map(|s| s.sd).collect();
        let rows: Vec<Vec<f64>> = members.outer_iter().map(|r| r.to_vec()).collect();
        let pairs: Vec<f64> = (0..m)
            .flat_map(|a| (a + 1..m).map(move |b| (a, b)))
            .filter_map(|(a, b)| spearman(&rows[a], &rows[b]))
            .collect();
        let agreement = (!pairs.is_empty()).then(|| pairs.iter().sum::<f64>() / pairs.len() as f64);
        Ok(Self {
            grid: *first.grid(),
            windows: first.windows().to_vec(),
            scaling,
            members,
            mean,
            std,
            agreement,
        })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The windows.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// How the members were scaled.
    pub fn scaling(&self) -> ProfileScaling {
        self.scaling
    }

    /// Scaled member profiles, members × windows.
    pub fn members(&self) -> &Array2<f64> {
        &self.members
    }

    /// Mean scaled `Dev` per window.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Sample standard deviation of the scaled `Dev` per window (0 for a single member).
    pub fn std(&self) -> &[f64] {
        &self.std
    }

    /// Standard deviation over mean per window (0 where the mean is 0): small where the members
    /// agree.
    pub fn coefficient_of_variation(&self) -> Vec<f64> {
        self.mean
            .iter()
            .zip(&self.std)
            .map(|(&m, &s)| if m > 0.0 { s / m } else { 0.0 })
            .collect()
    }

    /// Mean Spearman correlation between the members' profiles over all pairs (1 = the members
    /// order the windows identically); `None` for a single member or constant profiles.
    pub fn agreement(&self) -> Option<f64> {
        self.agreement
    }

    /// The mean profile as a [`DevProfile`] (for [`peak_relevance`]; its latent point is empty).
    pub fn mean_profile(&self) -> DevProfile<f64> {
        DevProfile::from_parts(
            self.grid,
            self.windows.clone(),
            self.mean.clone(),
            Vec::new(),
        )
    }
}

/// One peak's relevance across an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakStability {
    /// The peak (found once in the pattern, the same for every member).
    pub peak: Peak,
    /// Miller indices of the indexed reflections inside the peak, strongest first.
    pub hkl: Vec<[f64; 3]>,
    /// Height over the tallest peak's height.
    pub relative_height: f64,
    /// Mean over members of the relative integrated relevance (relevance over the member's most
    /// relevant peak).
    pub relative_relevance_mean: f64,
    /// Sample standard deviation of the same (0 for one member).
    pub relative_relevance_std: f64,
    /// Best (smallest) and worst relevance rank over the members.
    pub relevance_rank_range: (usize, usize),
    /// How many members flag the peak as strong but irrelevant.
    pub strong_but_irrelevant_votes: usize,
    /// Number of members.
    pub members: usize,
}

/// Peak-level relevance of one pattern under each member's profile, aggregated per peak: a peak
/// that every member calls strong but irrelevant is a robust finding; one that a single member
/// flags is likely a training accident.
///
/// # Errors
/// As [`peak_relevance`]; [`Error::Degenerate`] for no profiles.
pub fn peak_stability<F: Float>(
    profiles: &[DevProfile<F>],
    pattern: ArrayView1<'_, F>,
    indexed: Option<&[IndexedPeak]>,
    params: &PeakRelevanceParams,
) -> Result<Vec<PeakStability>> {
    if profiles.is_empty() {
        return Err(Error::Degenerate {
            what: "peak stability",
            reason: "no member profiles".into(),
        });
    }
    let reports = profiles
        .par_iter()
        .map(|p| peak_relevance(p, pattern, indexed, params))
        .collect::<Result<Vec<_>>>()?;
    let m = reports.len();
    let first = &reports[0];
    Ok((0..first.peaks.len())
        .map(|i| {
            let rel: Vec<f64> = reports
                .iter()
                .map(|r| r.peaks[i].relative_relevance)
                .collect();
            let MeanSd { mean, sd: std, .. } = MeanSd::of(&rel);
            let ranks = reports.iter().map(|r| r.peaks[i].relevance_rank);
            let p = &first.peaks[i];
            PeakStability {
                peak: p.peak,
                hkl: p.hkl.clone(),
                relative_height: p.relative_height,
                relative_relevance_mean: mean,
                relative_relevance_std: std,
                relevance_rank_range: (ranks.clone().min().unwrap_or(0), ranks.max().unwrap_or(0)),
                strong_but_irrelevant_votes: reports
                    .iter()
                    .filter(|r| r.peaks[i].strong_but_irrelevant)
                    .count(),
                members: m,
            }
        })
        .collect())
}

/// The members' profiles with their combination.
fn combine<F: Float>(
    profiles: Vec<DevProfile<F>>,
    scaling: ProfileScaling,
) -> Result<(EnsembleProfile, Vec<DevProfile<F>>)> {
    Ok((
        EnsembleProfile::from_profiles(&profiles, scaling)?,
        profiles,
    ))
}

impl Relevance {
    /// Relevance profiles of one pattern under every encoder of an ensemble (generic path, members
    /// in parallel), scaled by `scaling` and combined.
    ///
    /// # Errors
    /// As [`Relevance::profile`]; [`Error::Degenerate`] for an empty ensemble.
    pub fn ensemble<F, E>(
        &self,
        encoders: &[E],
        x: ArrayView1<'_, F>,
        scaling: ProfileScaling,
    ) -> Result<(EnsembleProfile, Vec<DevProfile<F>>)>
    where
        F: Float,
        E: Encoder<F> + Sync,
    {
        let profiles = encoders
            .par_iter()
            .map(|e| self.profile(e, x))
            .collect::<Result<Vec<_>>>()?;
        combine(profiles, scaling)
    }

    /// [`Relevance::ensemble`] through the exact fast path.
    ///
    /// # Errors
    /// As [`Relevance::profile_exact`]; [`Error::Degenerate`] for an empty ensemble.
    pub fn ensemble_exact<F, E>(
        &self,
        encoders: &[E],
        x: ArrayView1<'_, F>,
        scaling: ProfileScaling,
    ) -> Result<(EnsembleProfile, Vec<DevProfile<F>>)>
    where
        F: Float,
        E: LayeredEncoder<F> + Sync,
    {
        let profiles = encoders
            .par_iter()
            .map(|e| self.profile_exact(e, x))
            .collect::<Result<Vec<_>>>()?;
        combine(profiles, scaling)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, ArrayView2};

    use super::*;
    use crate::Span;

    type Enc = Box<dyn Fn(ArrayView2<'_, f64>) -> Result<Array2<f64>> + Sync>;

    fn linear(a: Array2<f64>) -> Enc {
        Box::new(move |b: ArrayView2<'_, f64>| Ok(b.dot(&a.t())))
    }

    fn setup() -> (Relevance, Array1<f64>, Array2<f64>) {
        let grid = Grid::new(10.0, 0.01, 60).unwrap();
        let rel = Relevance::params()
            .width(Span::Points(3))
            .build(&grid)
            .unwrap();
        let x = Array1::from_shape_fn(60, |i| 1.0 + (i % 7) as f64);
        let a = Array2::from_shape_fn((2, 60), |(r, i)| ((r * 5 + i * 3) % 11) as f64 - 5.0);
        (rel, x, a)
    }

    #[test]
    fn rescaled_copies_agree_perfectly_after_normalisation() {
        let (rel, x, a) = setup();
        let members = vec![linear(a.clone()), linear(&a * 3.0), linear(-&a)];
        let (ens, profiles) = rel
            .ensemble(&members, x.view(), ProfileScaling::Max)
            .unwrap();
        assert_eq!(profiles.len(), 3);
        assert!(ens.std().iter().all(|&s| s < 1e-12));
        assert!((ens.agreement().unwrap() - 1.0).abs() < 1e-12);
        assert!((ens.mean().iter().fold(0.0f64, |m, &v| m.max(v)) - 1.0).abs() < 1e-12);
        assert!(ens.coefficient_of_variation().iter().all(|&c| c < 1e-12));
        let raw = EnsembleProfile::from_profiles(&profiles, ProfileScaling::None).unwrap();
        assert!(raw.std().iter().any(|&s| s > 0.1));
        let sum = EnsembleProfile::from_profiles(&profiles, ProfileScaling::Sum).unwrap();
        assert!((sum.members().row(0).sum() - 1.0).abs() < 1e-12);
        assert_eq!(ens.mean_profile().dev(), ens.mean());
    }

    #[test]
    fn different_members_show_spread_and_lower_agreement() {
        let (rel, x, a) = setup();
        let b = Array2::from_shape_fn((2, 60), |(r, i)| ((r * 3 + i * 7) % 13) as f64 - 6.0);
        let (ens, _) = rel
            .ensemble(&[linear(a), linear(b)], x.view(), ProfileScaling::Max)
            .unwrap();
        assert!(ens.std().iter().any(|&s| s > 0.01));
        assert!(ens.agreement().unwrap() < 0.99);
        assert_eq!(ens.members().nrows(), 2);
    }

    #[test]
    fn empty_or_mismatched_ensembles_are_errors() {
        let (rel, x, a) = setup();
        let none: Vec<Enc> = Vec::new();
        assert!(matches!(
            rel.ensemble(&none, x.view(), ProfileScaling::Max),
            Err(Error::Degenerate { .. })
        ));
        let p = rel.profile(&linear(a.clone()), x.view()).unwrap();
        let other = Relevance::params()
            .width(Span::Points(2))
            .build(rel.grid())
            .unwrap();
        let q = other.profile(&linear(a), x.view()).unwrap();
        assert!(matches!(
            EnsembleProfile::from_profiles(&[p, q], ProfileScaling::Max),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            peak_stability::<f64>(&[], x.view(), None, &PeakRelevanceParams::default()),
            Err(Error::Degenerate {
                what: "peak stability",
                ..
            })
        ));
    }

    #[test]
    fn votes_separate_robust_findings_from_accidents() {
        // Peaks at 10.1, 10.3 and 10.5 (heights 1, 0.8, 0.6); member k is blind around the peak
        // listed for it: the 10.3 peak is blind in both members, the 10.5 one only in the second.
        let grid = Grid::new(10.0, 0.01, 60).unwrap();
        let rel = Relevance::params()
            .width(Span::Points(3))
            .build(&grid)
            .unwrap();
        let x = Array1::from_shape_fn(60, |i| {
            let t = grid.x(i);
            [(10.1, 1.0), (10.3, 0.8), (10.5, 0.6)]
                .iter()
                .map(|&(c, h)| h * (-((t - c) / 0.02f64).powi(2)).exp())
                .sum::<f64>()
        });
        let blind = |spots: &'static [f64]| {
            let a = Array2::from_shape_fn((2, 60), |(r, i)| {
                let t = grid.x(i);
                if spots.iter().any(|s| (t - s).abs() < 0.06) {
                    0.0
                } else {
                    1.0 + r as f64
                }
            });
            linear(a)
        };
        let (_, profiles) = rel
            .ensemble(
                &[blind(&[10.3]), blind(&[10.3, 10.5])],
                x.view(),
                ProfileScaling::Max,
            )
            .unwrap();
        let hkl = [IndexedPeak::at(
            10.3,
            xrd_io::Wavelength::synchrotron(1.5406),
            1.0,
            [0, 0, 1],
        )
        .unwrap()];
        let params = PeakRelevanceParams::default().strong(0.5);
        let s = peak_stability(&profiles, x.view(), Some(&hkl), &params).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.iter()
                .map(|p| p.strong_but_irrelevant_votes)
                .collect::<Vec<_>>(),
            [0, 2, 1]
        );
        assert_eq!(s[1].hkl, [[0.0, 0.0, 1.0]]);
        assert_eq!(s[1].relative_relevance_mean, 0.0);
        assert!(s[2].relative_relevance_std > 0.1);
        assert_eq!(s[0].relevance_rank_range, (1, 1));
        assert!(s.iter().all(|p| p.members == 2));
    }
}
