//! Refusal by a score: the accuracy–coverage curve of answering only the most confident cases,
//! and the score threshold that answers a given share of them — one home for the classifier's
//! certainty, the feature space's distance and the library search's score.
//!
//! ```
//! use xrd_core::coverage::{Answer, accuracy_at_coverage, coverage_curve, score_at_coverage};
//! // Certainties (higher answered first) and whether each answer was right.
//! let certainty = [0.9, 0.2, 0.7, 0.7, 0.4];
//! let right = [true, false, true, false, true];
//! let curve = coverage_curve(certainty.iter().copied().zip(right), 5, Answer::HighestFirst)?;
//! // Equal scores are answered together: 0.9, then both 0.7, then 0.4, then 0.2.
//! assert_eq!(curve.len(), 4);
//! assert_eq!((curve[1].answered, curve[1].accuracy), (3, 2.0 / 3.0));
//! assert_eq!(accuracy_at_coverage(&curve, 0.5), 2.0 / 3.0);
//! // The threshold that answers at least 40 % of them: the 2nd highest certainty.
//! assert_eq!(score_at_coverage(&certainty, 0.4, Answer::HighestFirst)?, Some(0.7));
//! # Ok::<(), xrd_core::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Location, Result};

/// Which cases are answered first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Answer {
    /// The highest scores first (a certainty, a similarity).
    HighestFirst,
    /// The lowest scores first (a distance, an error).
    LowestFirst,
}

impl Answer {
    /// Whether score `a` is answered before `b`.
    fn before(self, a: f64, b: f64) -> std::cmp::Ordering {
        match self {
            Answer::HighestFirst => b.total_cmp(&a),
            Answer::LowestFirst => a.total_cmp(&b),
        }
    }
}

/// One point of an accuracy–coverage curve: every case whose score is at least as confident as
/// `threshold` is answered, the rest refused.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoveragePoint {
    /// The score of the least confident answered case (the threshold that gives this coverage).
    pub threshold: f64,
    /// How many cases are answered.
    pub answered: usize,
    /// `answered / total`.
    pub coverage: f64,
    /// The share of the answered cases that are right.
    pub accuracy: f64,
}

/// The accuracy–coverage curve of `cases` (score, right) among `total` cases (those not given
/// are never answered): one point per distinct score, from the most confident, since equal
/// scores cannot be told apart by a threshold.
///
/// # Errors
/// [`Error::NonFinite`] for a NaN score; [`Error::InvalidParameter`] when more than `total`
/// cases are given.
pub fn coverage_curve(
    cases: impl IntoIterator<Item = (f64, bool)>,
    total: usize,
    order: Answer,
) -> Result<Vec<CoveragePoint>> {
    let mut cases: Vec<(f64, bool)> = cases.into_iter().collect();
    if let Some(i) = cases.iter().position(|c| c.0.is_nan()) {
        return Err(nan_score(i));
    }
    if cases.len() > total {
        return Err(Error::param(
            "total",
            crate::error::reason(total.to_string(), "at least the number of cases"),
        ));
    }
    cases.sort_by(|a, b| order.before(a.0, b.0));
    let mut curve = Vec::new();
    let mut right = 0usize;
    for (k, &(score, ok)) in cases.iter().enumerate() {
        right += usize::from(ok);
        let last_of_tie = cases.get(k + 1).is_none_or(|next| next.0 != score);
        if last_of_tie {
            let answered = k + 1;
            curve.push(CoveragePoint {
                threshold: score,
                answered,
                coverage: answered as f64 / total as f64,
                accuracy: right as f64 / answered as f64,
            });
        }
    }
    Ok(curve)
}

/// The accuracy of the smallest answered set that covers at least `coverage` (NaN when the
/// curve never does).
pub fn accuracy_at_coverage(curve: &[CoveragePoint], coverage: f64) -> f64 {
    curve
        .iter()
        .find(|p| p.coverage >= coverage)
        .map_or(f64::NAN, |p| p.accuracy)
}

/// The score that answers at least the share `coverage` of `scores` (those as confident or
/// more): the ⌈coverage · n⌉-th most confident — for [`Answer::LowestFirst`] the nearest-rank
/// quantile. None for no scores.
///
/// # Errors
/// [`Error::InvalidParameter`] unless 0 < `coverage` ≤ 1; [`Error::NonFinite`] for a NaN
/// score.
pub fn score_at_coverage(scores: &[f64], coverage: f64, order: Answer) -> Result<Option<f64>> {
    if !(coverage > 0.0 && coverage <= 1.0) {
        return Err(Error::param(
            "coverage",
            crate::error::reason(coverage.to_string(), "a share in (0, 1]"),
        ));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(nan_score(i));
    }
    if scores.is_empty() {
        return Ok(None);
    }
    let mut s = scores.to_vec();
    s.sort_by(|a, b| order.before(*a, *b));
    let k = ((coverage * s.len() as f64).ceil() as usize).clamp(1, s.len());
    Ok(Some(s[k - 1]))
}

fn nan_score(i: usize) -> Error {
    crate::NonFinite::new("score", Location::Point(i), f64::NAN).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a direct count for every threshold.
    #[test]
    fn the_curve_counts_what_each_threshold_answers() {
        let scores = [0.3, 0.1, 0.3, 0.8, 0.5, 0.1, 0.9];
        let right = [true, false, false, true, true, true, false];
        for order in [Answer::HighestFirst, Answer::LowestFirst] {
            let curve = coverage_curve(scores.iter().copied().zip(right), 10, order).unwrap();
            assert_eq!(curve.len(), 5);
            for p in &curve {
                let answered: Vec<usize> = (0..7)
                    .filter(|&i| match order {
                        Answer::HighestFirst => scores[i] >= p.threshold,
                        _ => scores[i] <= p.threshold,
                    })
                    .collect();
                assert_eq!(p.answered, answered.len());
                assert_eq!(p.coverage, answered.len() as f64 / 10.0);
                let ok = answered.iter().filter(|&&i| right[i]).count();
                assert_eq!(p.accuracy, ok as f64 / answered.len() as f64);
            }
        }
    }

    #[test]
    fn thresholds_answer_the_share_asked() {
        let s = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(
            score_at_coverage(&s, 0.5, Answer::LowestFirst).unwrap(),
            Some(2.0)
        );
        assert_eq!(
            score_at_coverage(&s, 0.51, Answer::LowestFirst).unwrap(),
            Some(3.0)
        );
        assert_eq!(
            score_at_coverage(&s, 1.0, Answer::HighestFirst).unwrap(),
            Some(1.0)
        );
        assert_eq!(
            score_at_coverage(&s, 0.01, Answer::HighestFirst).unwrap(),
            Some(4.0)
        );
        assert_eq!(
            score_at_coverage(&[], 0.5, Answer::HighestFirst).unwrap(),
            None
        );
        for c in [0.0, 1.5, f64::NAN] {
            assert!(matches!(
                score_at_coverage(&s, c, Answer::LowestFirst),
                Err(Error::InvalidParameter(crate::InvalidParameter {
                    name: "coverage",
                    ..
                }))
            ));
        }
        assert!(matches!(
            score_at_coverage(&[1.0, f64::NAN], 0.5, Answer::LowestFirst),
            Err(Error::NonFinite(crate::NonFinite {
                at: Location::Point(1),
                ..
            }))
        ));
        assert!(matches!(
            coverage_curve([(f64::NAN, true)], 1, Answer::LowestFirst),
            Err(Error::NonFinite(_))
        ));
        assert!(matches!(
            coverage_curve([(1.0, true), (2.0, true)], 1, Answer::LowestFirst),
            Err(Error::InvalidParameter(crate::InvalidParameter {
                name: "total",
                ..
            }))
        ));
        assert!(accuracy_at_coverage(&[], 0.5).is_nan());
    }
}
