//! Whether the background follows the pattern: how far more Chebyshev terms would lower Rwp,
//! read from the finished fit's residuals by one linear least-squares step (the background is
//! linear in its terms, so that step predicts a refit with them to within a few per cent of
//! the drop; docs/experiments/2026-11-29-background-advice.md).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::model::chebyshev;
use crate::params::MAX_BACKGROUND_TERMS as MAX_TERMS;

/// The check tries this many Chebyshev terms beyond the fit's (up to the 20 a fit may have).
pub const BACKGROUND_CHECK_TERMS: usize = 6;

/// A refinement advises more background terms when they would lower its Rwp by this share
/// or more. The weighed mixtures of dara_dev (lab scans fitted with their weighed phases) gain
/// 3–10 % from six more terms; scans whose background rises steeply at low angle or carries
/// a hump gain 25 % and more.
pub const BACKGROUND_ADVICE_GAIN: f64 = 0.15;

/// What more background terms would do to a fit ([`crate::Refinement::background_check`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackgroundCheck {
    /// The fit's Chebyshev terms.
    pub terms: usize,
    /// The fit's Rwp with its own terms solved once more, the rest held: its Rwp when it
    /// converged (so that a fit stopped early, or a term held, is not taken for a slow part
    /// the background misses).
    pub rwp: f64,
    /// The terms tried: [`BACKGROUND_CHECK_TERMS`] more, at most 20.
    pub more_terms: usize,
    /// The Rwp they would give, the rest held.
    pub rwp_with_more: f64,
}

impl BackgroundCheck {
    /// Whether the terms tried lower Rwp by [`BACKGROUND_ADVICE_GAIN`] or more: the background
    /// misses a slow part of the pattern.
    pub fn advised(&self) -> bool {
        self.rwp_with_more <= self.rwp * (1.0 - BACKGROUND_ADVICE_GAIN)
    }

    /// The finding in words, without what to do about it (which each front end says its way):
    /// "the background misses a slow part of the pattern: 12 Chebyshev terms instead of 6
    /// would lower Rwp from 6.74 % to about 4.97 %".
    pub fn finding(&self) -> String {
        format!(
            "the background misses a slow part of the pattern: {} Chebyshev terms instead of {} \
             would lower Rwp from {:.2} % to about {:.2} %",
            self.more_terms,
            self.terms,
            100.0 * self.rwp,
            100.0 * self.rwp_with_more
        )
    }
}

/// The check of a fit over the points `tt` with observations `y`, weights `w` and calculated
/// `f`, whose background has `terms` Chebyshev terms: the Rwp with
/// [`BACKGROUND_CHECK_TERMS`] more (at most [`MAX_TERMS`]) added to the fit, the rest held.
/// `None` when the fit already has the most terms, or the step cannot be taken (no weighted
/// intensity, a singular basis).
pub(crate) fn check(
    tt: &[f64],
    y: &[f64],
    w: &[f64],
    f: &[f64],
    terms: usize,
) -> Option<BackgroundCheck> {
    let n = (terms + BACKGROUND_CHECK_TERMS).min(MAX_TERMS);
    if n <= terms || tt.len() <= n || tt[tt.len() - 1] <= tt[0] {
        return None;
    }
    let basis = chebyshev(tt, n);
    // Normal equations of the weighted residual on the whole basis (the fit's own terms
    // included, which take up whatever the fit left of them).
    let mut normal = DMatrix::<f64>::zeros(n, n);
    let mut rhs = DVector::<f64>::zeros(n);
    let (mut chi2, mut swy2) = (0.0, 0.0);
    let mut row = vec![0.0; n];
    for i in 0..tt.len() {
        let (wi, r) = (w[i], y[i] - f[i]);
        chi2 += wi * r * r;
        swy2 += wi * y[i] * y[i];
        for (k, v) in row.iter_mut().enumerate() {
            *v = basis[k][i];
        }
        for a in 0..n {
            rhs[a] += wi * row[a] * r;
            for b in 0..=a {
                normal[(a, b)] += wi * row[a] * row[b];
            }
        }
    }
    for a in 0..n {
        for b in 0..a {
            normal[(b, a)] = normal[(a, b)];
        }
    }
    if !(swy2 > 0.0 && chi2.is_finite()) {
        return None;
    }
    // One factorisation serves both fits: with AᵀWA = LLᵀ and z = L⁻¹(AᵀW r), the χ² a fit on
    // the first k terms takes away is Σ_{i<k} zᵢ² (L's leading k × k block factors theirs).
    let l = normal.cholesky()?.unpack();
    let z = l.solve_lower_triangular(&rhs)?;
    let after = |k: usize| (chi2 - z.rows(0, k).norm_squared()).max(0.0);
    Some(BackgroundCheck {
        terms,
        rwp: (after(terms) / swy2).sqrt(),
        more_terms: n,
        rwp_with_more: (after(n) / swy2).sqrt(),
    })
}

/// The warning a refinement with `humps` broad background peaks gives when `check` is
/// [`BackgroundCheck::advised`]; without one it names [`BACKGROUND_ADVICE`] too.
pub(crate) fn advice(check: Option<BackgroundCheck>, humps: usize) -> Option<String> {
    let c = check.filter(BackgroundCheck::advised)?;
    Some(format!(
        "{} (`--background {}`){}",
        c.finding(),
        c.more_terms,
        hump_hint(humps)
    ))
}

/// What the advice adds for a fit (or a series) with `humps` background peaks: the hint to
/// try one ([`BACKGROUND_ADVICE`]) when it has none.
pub(crate) fn hump_hint(humps: usize) -> String {
    if humps == 0 {
        format!("; {BACKGROUND_ADVICE}")
    } else {
        String::new()
    }
}

/// What else to look at when the background misses a slow part of the pattern.
pub(crate) const BACKGROUND_ADVICE: &str = "a broad hump (an amorphous part, the sample \
     holder) is fitted better by a broad peak (`--humps 1`)";

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<f64> {
        (0..2000).map(|i| 10.0 + 0.04 * i as f64).collect()
    }

    /// A residual that is a combination of the basis is taken away entirely; the fit's own
    /// terms too.
    #[test]
    fn a_residual_in_the_basis_is_taken_away() {
        let tt = grid();
        let basis = chebyshev(&tt, 12);
        let f: Vec<f64> = tt.iter().map(|_| 1000.0).collect();
        let y: Vec<f64> = (0..tt.len())
            .map(|i| 1000.0 + 30.0 * basis[9][i] - 12.0 * basis[2][i])
            .collect();
        let w: Vec<f64> = y.iter().map(|v| 1.0 / v).collect();
        let c = check(&tt, &y, &w, &f, 6).unwrap();
        assert_eq!((c.terms, c.more_terms), (6, 12));
        assert!(c.rwp > 0.01 && c.rwp_with_more < 1e-6, "{c:?}");
    }

    /// What the fit's own terms leave (a fit stopped early, a term held) is not taken for a
    /// slow part more terms would fit.
    #[test]
    fn what_the_fit_s_own_terms_can_take_is_not_advised() {
        let tt = grid();
        let basis = chebyshev(&tt, 12);
        let f = vec![1000.0; tt.len()];
        let y: Vec<f64> = (0..tt.len()).map(|i| 1000.0 - 40.0 * basis[2][i]).collect();
        let w: Vec<f64> = y.iter().map(|v| 1.0 / v).collect();
        let c = check(&tt, &y, &w, &f, 6).unwrap();
        // χ² − cᵀb cancels to the rounding of a 4 % Rwp.
        assert!(c.rwp < 1e-6 && c.rwp_with_more < 1e-6, "{c:?}");
        assert!(!c.advised());
    }

    /// The prediction against the naive computation: refit of the residual by dense least
    /// squares on the extended basis (QR of the weighted design).
    #[test]
    fn the_prediction_matches_a_dense_least_squares_fit() {
        let tt = grid();
        let mut state = 7_u64;
        let mut noise = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let y: Vec<f64> = tt
            .iter()
            .map(|t| 800.0 + 400.0 * (-(t - 14.0_f64).powi(2) / 8.0).exp() + 40.0 * noise())
            .collect();
        let f: Vec<f64> = tt.iter().map(|t| 900.0 - 2.0 * t).collect();
        let w: Vec<f64> = y.iter().map(|v| 1.0 / v).collect();
        let c = check(&tt, &y, &w, &f, 4).unwrap();
        assert_eq!(c.more_terms, 10);
        let basis = chebyshev(&tt, 10);
        let swy2: f64 = y.iter().zip(&w).map(|(y, w)| w * y * y).sum();
        // Rwp after a dense least-squares fit of the residual on the first `k` terms.
        let dense = |k: usize| {
            let a = DMatrix::from_fn(tt.len(), k, |i, j| w[i].sqrt() * basis[j][i]);
            let b = DVector::from_fn(tt.len(), |i, _| w[i].sqrt() * (y[i] - f[i]));
            let x = a.clone().svd(true, true).solve(&b, 1e-12).unwrap();
            ((&b - &a * x).norm_squared() / swy2).sqrt()
        };
        assert!(
            (dense(10) - c.rwp_with_more).abs() < 1e-9,
            "{} {c:?}",
            dense(10)
        );
        assert!((dense(4) - c.rwp).abs() < 1e-9, "{} {c:?}", dense(4));
        assert!(c.rwp_with_more < c.rwp);
    }

    /// No check at the most terms; the advice only past the gain.
    #[test]
    fn no_check_at_the_most_terms_and_advice_only_past_the_gain() {
        let tt = grid();
        let y = vec![100.0; tt.len()];
        let w = vec![0.01; tt.len()];
        assert!(check(&tt, &y, &w, &y, MAX_TERMS).is_none());
        assert_eq!(check(&tt, &y, &w, &y, 16).unwrap().more_terms, MAX_TERMS);
        let at = |rwp_with_more| BackgroundCheck {
            terms: 6,
            rwp: 0.1,
            more_terms: 12,
            rwp_with_more,
        };
        assert!(!at(0.0851).advised() && advice(Some(at(0.0851)), 0).is_none());
        assert!(at(0.0849).advised());
        let text = advice(Some(at(0.0849)), 0).unwrap();
        assert!(text.contains("12 Chebyshev terms instead of 6"), "{text}");
        assert!(text.contains("from 10.00 % to about 8.49 %"), "{text}");
        assert!(text.contains("(`--background 12`)"), "{text}");
        assert!(text.ends_with(BACKGROUND_ADVICE));
        // A fit with a hump is not told to add one.
        let humped = advice(Some(at(0.0849)), 1).unwrap();
        assert!(humped.ends_with("(`--background 12`)"), "{humped}");
        assert!(advice(None, 0).is_none());
    }
}
