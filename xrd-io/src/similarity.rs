//! Dissimilarity of two patterns sampled on the same grid: DeepXRD (Dong et al. 2022) Eq. 1–5 and
//! dynamic time warping.
//!
//! Every function takes two slices of the same length (DTW: any lengths), is generic over
//! [`Float`], accumulates in `F` and returns a [`Result`]: empty slices, mismatched lengths and
//! inputs for which the measure is undefined are errors, never NaN.
//!
//! ```
//! use xrd_io::similarity::{cosine_distance, pearson, mse};
//! let s = [0.0f64, 1.0, 0.0, 2.0];
//! let t = [0.0f64, 2.0, 0.0, 4.0];
//! assert!(cosine_distance(&s, &t)?.abs() < 1e-12); // same shape
//! assert!((pearson(&s, &t)? - 1.0).abs() < 1e-12);
//! assert_eq!(mse(&s, &t)?, 1.25);
//! # Ok::<(), xrd_io::Error>(())
//! ```

use crate::{Error, Float, Location, Result};

fn check_pair<F: Float>(what: &'static str, s: &[F], t: &[F]) -> Result<()> {
    if s.len() != t.len() {
        return Err(Error::shape(what, s.len(), t.len()));
    }
    if s.is_empty() {
        return Err(Error::Degenerate {
            what,
            reason: "the patterns are empty".into(),
        });
    }
    Ok(())
}

/// Mean squared error, Eq. 1: (1/n) Σ (sᵢ − tᵢ)².
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::Degenerate`] for empty slices.
pub fn mse<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    check_pair("MSE", s, t)?;
    Ok(s.iter().zip(t).map(|(&a, &b)| (a - b) * (a - b)).sum::<F>() / F::of_usize(s.len()))
}

/// Mean squared logarithmic error, Eq. 2: (1/n) Σ (ln(sᵢ + 1) − ln(tᵢ + 1))².
///
/// # Errors
/// As [`mse`], and [`Error::OutOfDomain`] for a value ≤ −1.
pub fn msle<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    check_pair("MSLE", s, t)?;
    for xs in [s, t] {
        if let Some(i) = xs.iter().position(|&v| v <= -F::one()) {
            return Err(Error::OutOfDomain {
                what: "MSLE",
                at: Location::Point(i),
                value: xs[i].as_f64(),
                expected: "a value > −1",
            });
        }
    }
    Ok(s.iter()
        .zip(t)
        .map(|(&a, &b)| (a.ln_1p() - b.ln_1p()).powi(2))
        .sum::<F>()
        / F::of_usize(s.len()))
}

/// Cosine distance, Eq. 3: 1 − s·t / (‖s‖ ‖t‖); 0 for patterns of the same shape, 2 at most.
///
/// # Errors
/// As [`mse`], and [`Error::Degenerate`] when either pattern is all zeros.
pub fn cosine_distance<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    check_pair("cosine distance", s, t)?;
    let (mut st, mut ss, mut tt) = (F::zero(), F::zero(), F::zero());
    for (&a, &b) in s.iter().zip(t) {
        st += a * b;
        ss += a * a;
        tt += b * b;
    }
    if ss == F::zero() || tt == F::zero() {
        return Err(Error::Degenerate {
            what: "cosine distance",
            reason: "a pattern is all zeros".into(),
        });
    }
    Ok(F::one() - st / (ss.sqrt() * tt.sqrt()))
}

/// Pearson product-moment correlation r of `s` and `t`, in [−1, 1].
///
/// # Errors
/// As [`mse`], and [`Error::Degenerate`] when either pattern is constant.
pub fn pearson<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    check_pair("Pearson correlation", s, t)?;
    let n = F::of_usize(s.len());
    let ms = s.iter().copied().sum::<F>() / n;
    let mt = t.iter().copied().sum::<F>() / n;
    let (mut st, mut ss, mut tt) = (F::zero(), F::zero(), F::zero());
    for (&a, &b) in s.iter().zip(t) {
        let (da, db) = (a - ms, b - mt);
        st += da * db;
        ss += da * da;
        tt += db * db;
    }
    if ss == F::zero() || tt == F::zero() {
        return Err(Error::Degenerate {
            what: "Pearson correlation",
            reason: "a pattern is constant".into(),
        });
    }
    // Rounding can push |r| a hair above 1.
    Ok((st / (ss.sqrt() * tt.sqrt())).max(-F::one()).min(F::one()))
}

/// Pearson distance, Eq. 4: 1 − r, in [0, 2].
///
/// # Errors
/// As [`pearson`].
pub fn pearson_distance<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    Ok(F::one() - pearson(s, t)?)
}

/// Jensen–Shannon divergence, Eq. 5, of the two patterns scaled to unit sum (as probability
/// distributions over 2θ), with base-2 logarithms so that the value lies in [0, 1]:
/// ½ Σ sᵢ log₂(2sᵢ/(sᵢ+tᵢ)) + ½ Σ tᵢ log₂(2tᵢ/(sᵢ+tᵢ)), with 0·log 0 = 0.
///
/// # Errors
/// As [`mse`]; [`Error::OutOfDomain`] for a negative value; [`Error::Degenerate`] when a pattern
/// sums to zero.
pub fn js_divergence<F: Float>(s: &[F], t: &[F]) -> Result<F> {
    check_pair("Jensen–Shannon divergence", s, t)?;
    let mut sums = [F::zero(); 2];
    for (k, xs) in [s, t].into_iter().enumerate() {
        if let Some(i) = xs.iter().position(|&v| v < F::zero()) {
            return Err(Error::OutOfDomain {
                what: "Jensen–Shannon divergence",
                at: Location::Point(i),
                value: xs[i].as_f64(),
                expected: "an intensity ≥ 0",
            });
        }
        sums[k] = xs.iter().copied().sum();
        if sums[k] <= F::zero() {
            return Err(Error::Degenerate {
                what: "Jensen–Shannon divergence",
                reason: "a pattern sums to zero".into(),
            });
        }
    }
    let two = F::of(2.0);
    let term = |p: F, m: F| {
        if p > F::zero() {
            p * (two * p / m).log2()
        } else {
            F::zero()
        }
    };
    let mut d = F::zero();
    for (&a, &b) in s.iter().zip(t) {
        let (p, q) = (a / sums[0], b / sums[1]);
        let m = p + q;
        d += term(p, m) + term(q, m);
    }
    // Rounding can make a divergence of identical patterns a hair below 0.
    Ok((d / two).max(F::zero()))
}

/// Dynamic time warping distance with absolute-difference cost: the minimum over monotone
/// alignments of Σ |sᵢ − tⱼ| along the warping path (Salvador & Chan 2007).
///
/// `band` = `Some(w)` restricts the path to the Sakoe–Chiba band |i − j| ≤ w (in points); `None`
/// allows any path. The slices may differ in length. Runs in O(n·m) (O(n·w) with a band) time and
/// O(m) memory.
///
/// # Errors
/// [`Error::Degenerate`] for an empty slice; [`Error::InvalidParameter`] when the band is narrower
/// than the length difference (no path exists).
pub fn dtw<F: Float>(s: &[F], t: &[F], band: Option<usize>) -> Result<F> {
    if s.is_empty() || t.is_empty() {
        return Err(Error::Degenerate {
            what: "DTW",
            reason: "a pattern is empty".into(),
        });
    }
    let (n, m) = (s.len(), t.len());
    let w = band.unwrap_or(n.max(m));
    if w < n.abs_diff(m) {
        return Err(Error::param(
            "DTW band",
            crate::error::reason(
                w.to_string(),
                "a band at least as wide as the length difference of the patterns",
            ),
        ));
    }
    let inf = F::infinity();
    let mut prev = vec![inf; m + 1];
    let mut cur = vec![inf; m + 1];
    prev[0] = F::zero();
    for i in 1..=n {
        let lo = i.saturating_sub(w).max(1);
        let hi = (i + w).min(m);
        cur.iter_mut().for_each(|c| *c = inf);
        let a = s[i - 1];
        for j in lo..=hi {
            let best = prev[j - 1].min(prev[j]).min(cur[j - 1]);
            cur[j] = (a - t[j - 1]).abs() + best;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(prev[m])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn hand_computed_values() {
        let s = [1.0f64, 2.0, 3.0];
        let t = [1.0, 0.0, 5.0];
        assert!((mse(&s, &t).unwrap() - 8.0 / 3.0).abs() < TOL);
        let l = |v: f64| (v + 1.0).ln();
        let want = ((l(2.0) - l(0.0)).powi(2) + (l(3.0) - l(5.0)).powi(2)) / 3.0;
        assert!((msle(&s, &t).unwrap() - want).abs() < TOL);
        // s·t = 16, |s| = √14, |t| = √26.
        assert!(
            (cosine_distance(&s, &t).unwrap() - (1.0 - 16.0 / (14.0f64 * 26.0).sqrt())).abs() < TOL
        );
        // Deviations (−1, 0, 1) and (−1, −2, 3): r = 4 / (√2 √14).
        assert!((pearson(&s, &t).unwrap() - 4.0 / (2.0f64 * 14.0).sqrt()).abs() < TOL);
        // Disjoint supports: maximal divergence 1 bit.
        assert!((js_divergence(&[1.0f64, 0.0], &[0.0, 3.0]).unwrap() - 1.0).abs() < TOL);
        // p = (½, ½), q = (1, 0): ½[½ log₂(2/3)·... ] computed by hand = 0.311278...
        let p = js_divergence(&[1.0, 1.0], &[1.0, 0.0]).unwrap();
        let want = 0.5
            * (0.5 * (1.0f64 / 1.5).log2() + 0.5 * (1.0f64 / 0.5).log2() + (2.0f64 / 1.5).log2());
        assert!((p - want).abs() < TOL);
        // DTW: t is s shifted by one point; warping absorbs the shift apart from the ends.
        assert_eq!(
            dtw(&[0.0, 1.0, 0.0, 0.0], &[0.0, 0.0, 1.0, 0.0], None).unwrap(),
            0.0
        );
        assert_eq!(
            dtw(&[0.0, 1.0, 0.0, 0.0], &[0.0, 0.0, 1.0, 0.0], Some(0)).unwrap(),
            2.0
        );
        assert_eq!(dtw(&[1.0, 2.0, 3.0], &[1.0, 3.0], None).unwrap(), 1.0);
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        assert!(matches!(
            mse(&[1.0], &[1.0, 2.0]),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            mse::<f64>(&[], &[]),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            msle(&[-1.0], &[1.0]),
            Err(Error::OutOfDomain { .. })
        ));
        assert!(matches!(
            cosine_distance(&[0.0, 0.0], &[1.0, 2.0]),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            pearson(&[3.0, 3.0], &[1.0, 2.0]),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            js_divergence(&[-1.0, 2.0], &[1.0, 2.0]),
            Err(Error::OutOfDomain { .. })
        ));
        assert!(matches!(
            js_divergence(&[0.0, 0.0], &[1.0, 2.0]),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            dtw(&[1.0; 5], &[1.0; 2], Some(2)),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            dtw::<f32>(&[], &[1.0], None),
            Err(Error::Degenerate { .. })
        ));
    }

    /// Full O(n·m) DTW matrix with an explicit band test, the textbook definition.
    fn dtw_naive(s: &[f64], t: &[f64], w: usize) -> f64 {
        let (n, m) = (s.len(), t.len());
        let mut d = vec![vec![f64::INFINITY; m + 1]; n + 1];
        d[0][0] = 0.0;
        for i in 1..=n {
            for j in 1..=m {
                if i.abs_diff(j) <= w {
                    d[i][j] = (s[i - 1] - t[j - 1]).abs()
                        + d[i - 1][j - 1].min(d[i - 1][j]).min(d[i][j - 1]);
                }
            }
        }
        d[n][m]
    }

    fn pattern() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(0.0f64..100.0, 2..24)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn identical_patterns_have_zero_distance(s in pattern()) {
            prop_assert_eq!(mse(&s, &s).unwrap(), 0.0);
            prop_assert_eq!(msle(&s, &s).unwrap(), 0.0);
            prop_assert_eq!(dtw(&s, &s, Some(0)).unwrap(), 0.0);
            if s.iter().any(|&v| v > 0.0) {
                prop_assert!(cosine_distance(&s, &s).unwrap().abs() < 1e-12);
                prop_assert!(js_divergence(&s, &s).unwrap().abs() < 1e-12);
            }
            if let Ok(r) = pearson(&s, &s) {
                prop_assert!((r - 1.0).abs() < 1e-12);
            }
        }

        #[test]
        fn symmetric_measures_are_symmetric(s in pattern(), t in pattern(), w in 0usize..30) {
            let t: Vec<f64> = t.iter().cycle().take(s.len()).copied().collect();
            prop_assert!((mse(&s, &t).unwrap() - mse(&t, &s).unwrap()).abs() < 1e-9);
            prop_assert!((msle(&s, &t).unwrap() - msle(&t, &s).unwrap()).abs() < 1e-9);
            if let (Ok(a), Ok(b)) = (cosine_distance(&s, &t), cosine_distance(&t, &s)) {
                prop_assert!((a - b).abs() < 1e-12 && (-1e-12..=2.0 + 1e-12).contains(&a));
            }
            if let (Ok(a), Ok(b)) = (pearson_distance(&s, &t), pearson_distance(&t, &s)) {
                prop_assert!((a - b).abs() < 1e-12 && (0.0..=2.0).contains(&a));
            }
            if let (Ok(a), Ok(b)) = (js_divergence(&s, &t), js_divergence(&t, &s)) {
                prop_assert!((a - b).abs() < 1e-12 && (0.0..=1.0 + 1e-12).contains(&a));
            }
            prop_assert!((dtw(&s, &t, Some(w)).unwrap() - dtw(&t, &s, Some(w)).unwrap()).abs() < 1e-9);
        }

        #[test]
        fn dtw_matches_the_full_matrix(s in pattern(), t in pattern(), w in 0usize..30) {
            let w = w.max(s.len().abs_diff(t.len()));
            let fast = dtw(&s, &t, Some(w)).unwrap();
            prop_assert!((fast - dtw_naive(&s, &t, w)).abs() < 1e-9);
            prop_assert!(dtw(&s, &t, None).unwrap() <= fast + 1e-9);
        }
    }
}
