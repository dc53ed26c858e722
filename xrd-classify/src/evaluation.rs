//! Scores of predictions against known space groups: top-1/top-k accuracy, crystal-system
//! accuracy, the accuracy–coverage curve of the refusal, the crystal-system confusion matrix and
//! the majority-class baselines.

use serde::{Deserialize, Serialize};

use xrd_io::coverage::{Answer, CoveragePoint, accuracy_at_coverage, coverage_curve};
use xrd_io::{Location, NonFinite};

use crate::{CrystalSystem, Error, Evidence, Prediction, Result, Stages};

/// How well predictions match the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Number of patterns.
    pub patterns: usize,
    /// Top-1 space-group accuracy.
    pub space_group_top1: f64,
    /// Fraction whose true space group is among the reported top-k (k = `top_k`).
    pub space_group_top_k: f64,
    /// The k of [`Evaluation::space_group_top_k`] (the shortest top list of the predictions).
    pub top_k: usize,
    /// Crystal-system accuracy.
    pub crystal_system: f64,
    /// Accuracy of always answering the most frequent true space group.
    pub majority_space_group: f64,
    /// Accuracy of always answering the most frequent true crystal system.
    pub majority_crystal_system: f64,
    /// Fraction answered at the classifier's own threshold (not refused).
    pub coverage_at_threshold: f64,
    /// Top-1 space-group accuracy on the patterns answered at the threshold (`NaN` if none).
    pub accuracy_at_threshold: f64,
    /// Top-1 space-group accuracy on the most certain half (the fewest most certain patterns
    /// that make at least half: equal certainties are answered together).
    pub accuracy_at_half_coverage: f64,
    /// The accuracy–coverage curve of the top-1 space group, one point per distinct certainty,
    /// by decreasing certainty.
    pub coverage_curve: Vec<CoveragePoint>,
    /// The same curve for the crystal system.
    pub system_coverage_curve: Vec<CoveragePoint>,
    /// Counts by true (row) and predicted (column) crystal system, International Tables order.
    pub confusion: [[usize; 7]; 7],
    /// The reliability curve: the predictions in ten bins of certainty (0–0.1, …, 0.9–1), each
    /// with its mean certainty and space-group accuracy; a certainty that means the probability
    /// of being right puts every bin on the diagonal.
    pub reliability: Vec<ReliabilityBin>,
    /// Expected calibration error: the bins' |accuracy − mean certainty| weighted by their share
    /// of the predictions (0 for a calibrated certainty).
    pub calibration_error: f64,
}

/// One bin of a reliability curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower end of the certainty bin (inclusive).
    pub lo: f64,
    /// Upper end (exclusive; the last bin includes 1).
    pub hi: f64,
    /// Predictions in the bin.
    pub count: usize,
    /// Their mean certainty (NaN when empty).
    pub mean_certainty: f64,
    /// Their space-group accuracy (NaN when empty).
    pub accuracy: f64,
}

/// Bins of the reliability curve.
const RELIABILITY_BINS: usize = 10;

/// The reliability curve of certainties and whether each answer was right, and the expected
/// calibration error.
fn reliability(scored: &[(f64, bool)]) -> (Vec<ReliabilityBin>, f64) {
    let nb = RELIABILITY_BINS;
    let mut sums = vec![(0usize, 0.0f64, 0usize); nb];
    for &(c, right) in scored {
        let b = ((c * nb as f64).floor().max(0.0) as usize).min(nb - 1);
        sums[b].0 += 1;
        sums[b].1 += c;
        sums[b].2 += usize::from(right);
    }
    let n = scored.len().max(1) as f64;
    let mut ece = 0.0;
    let bins = sums
        .iter()
        .enumerate()
        .map(|(b, &(count, csum, right))| {
            let (mean, acc) = (fraction_f(csum, count), fraction(right, count));
            if count > 0 {
                ece += count as f64 / n * (acc - mean).abs();
            }
            ReliabilityBin {
                lo: b as f64 / nb as f64,
                hi: (b + 1) as f64 / nb as f64,
                count,
                mean_certainty: mean,
                accuracy: acc,
            }
        })
        .collect();
    (bins, ece)
}

fn fraction_f(sum: f64, of: usize) -> f64 {
    if of == 0 { f64::NAN } else { sum / of as f64 }
}

fn fraction(n: usize, of: usize) -> f64 {
    if of == 0 {
        f64::NAN
    } else {
        n as f64 / of as f64
    }
}

/// Scores `predictions` against the true space groups `truth`.
///
/// # Errors
/// [`Error::ShapeMismatch`] for different lengths or no patterns; [`Error::SpaceGroup`] outside 1–230.
pub fn evaluate(predictions: &[Prediction], truth: &[u8]) -> Result<Evaluation> {
    let n = predictions.len();
    if n != truth.len() || n == 0 {
        return Err(Error::shape(
            "predictions and truth",
            format!("{n} true space groups (≥ 1)"),
            format!("{}", truth.len()),
        ));
    }
    let systems = truth
        .iter()
        .map(|&g| crate::system_of(g))
        .collect::<Result<Vec<_>>>()?;
    let top_k = predictions.iter().map(|p| p.top.len()).min().unwrap_or(0);
    let (mut top1, mut topk, mut sys) = (0, 0, 0);
    let mut confusion = [[0usize; 7]; 7];
    let (mut answered, mut answered_right) = (0, 0);
    for ((p, &g), &s) in predictions.iter().zip(truth).zip(&systems) {
        let right = p.space_group == g;
        top1 += usize::from(right);
        topk += usize::from(p.top.iter().take(top_k).any(|&(t, _)| t == g));
        sys += usize::from(p.crystal_system == s);
        confusion[s.index()][p.crystal_system.index()] += 1;
        if !p.refused {
            answered += 1;
            answered_right += usize::from(right);
        }
    }
    let majority = |keys: Vec<usize>| {
        let mut counts = std::collections::HashMap::new();
        for k in keys {
            *counts.entry(k).or_insert(0usize) += 1;
        }
        fraction(counts.values().copied().max().unwrap_or(0), n)
    };
    let curve = |right: &dyn Fn(usize) -> bool| {
        coverage_curve(
            (0..n).map(|i| (predictions[i].certainty, right(i))),
            n,
            Answer::HighestFirst,
        )
        .map_err(|_| {
            let at = predictions
                .iter()
                .position(|p| p.certainty.is_nan())
                .unwrap_or(0);
            Error::from(NonFinite::new("certainties", Location::Point(at), f64::NAN))
        })
    };
    let coverage_curve = curve(&|i| predictions[i].space_group == truth[i])?;
    let scored: Vec<(f64, bool)> = predictions
        .iter()
        .zip(truth)
        .map(|(p, &g)| (p.certainty, p.space_group == g))
        .collect();
    let (reliability, calibration_error) = reliability(&scored);
    let system_coverage_curve = curve(&|i| predictions[i].crystal_system == systems[i])?;
    Ok(Evaluation {
        patterns: n,
        space_group_top1: fraction(top1, n),
        space_group_top_k: fraction(topk, n),
        top_k,
        crystal_system: fraction(sys, n),
        majority_space_group: majority(truth.iter().map(|&g| g as usize).collect()),
        majority_crystal_system: majority(systems.iter().map(|s| s.index()).collect()),
        coverage_at_threshold: fraction(answered, n),
        accuracy_at_threshold: fraction(answered_right, answered),
        accuracy_at_half_coverage: accuracy_at_coverage(&coverage_curve, 0.5),
        coverage_curve,
        system_coverage_curve,
        confusion,
        reliability,
        calibration_error,
    })
}

/// One kind of evidence's accuracies on labelled patterns (a row of `classify evaluate`'s
/// `stages`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageScores {
    /// Space-group accuracy of the first answer.
    pub space_group_top1: f64,
    /// Share with the true space group among the top five.
    pub space_group_top5: f64,
    /// Crystal-system accuracy.
    pub crystal_system: f64,
    /// Space-group accuracy on the most certain half.
    pub accuracy_at_half_coverage: f64,
    /// Share answered at the refusal threshold.
    pub coverage_at_threshold: f64,
    /// Space-group accuracy of those answers.
    pub accuracy_at_threshold: f64,
    /// Expected calibration error of the certainties.
    pub calibration_error: f64,
}

impl From<&Evaluation> for StageScores {
    fn from(e: &Evaluation) -> Self {
        Self {
            space_group_top1: e.space_group_top1,
            space_group_top5: e.space_group_top_k,
            crystal_system: e.crystal_system,
            accuracy_at_half_coverage: e.accuracy_at_half_coverage,
            coverage_at_threshold: e.coverage_at_threshold,
            accuracy_at_threshold: e.accuracy_at_threshold,
            calibration_error: e.calibration_error,
        }
    }
}

/// The library's evidence alone: scored on the patterns it found a candidate for, except the
/// space-group and crystal-system accuracies, which count the others as wrong (shares of all
/// patterns).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LibraryStageScores {
    /// The scores (`None` when no pattern had a candidate).
    #[serde(flatten)]
    pub scores: Option<StageScores>,
    /// Patterns the library found a candidate for.
    pub patterns_with_a_candidate: usize,
}

/// A classifier's predictions scored stage by stage ([`evaluate_stages`]): the combined answer
/// and each kind of evidence on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEvaluation {
    /// The answers as given ([`Stages::combined`]).
    pub combined: Evaluation,
    /// The networks alone.
    pub networks: StageScores,
    /// The networks with the indexing (a pattern without an accepted cell keeps the networks'
    /// answer); `None` without indexing.
    pub networks_indexing: Option<StageScores>,
    /// The library alone; `None` without a library stage.
    pub library: Option<LibraryStageScores>,
    /// How many answers each kind of evidence decided (library, indexing, networks).
    pub decided_by: [(Evidence, usize); 3],
}

/// Scores `stages` (a classifier's [`predict_stages`](crate::Classifier::predict_stages) of labelled patterns) against
/// the true space groups `truth`, stage by stage; `indexing` and `library` say whether the
/// classifier had those stages.
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_stages(
    stages: &[Stages],
    truth: &[u8],
    indexing: bool,
    library: bool,
) -> Result<StageEvaluation> {
    let combined: Vec<Prediction> = stages.iter().map(|s| s.combined.clone()).collect();
    let e = evaluate(&combined, truth)?;
    let networks: Vec<Prediction> = stages.iter().map(|s| s.networks.clone()).collect();
    let networks = StageScores::from(&evaluate(&networks, truth)?);
    let networks_indexing = if indexing {
        let indexed: Vec<Prediction> = stages
            .iter()
            .map(|s| s.indexed.clone().unwrap_or_else(|| s.networks.clone()))
            .collect();
        Some(StageScores::from(&evaluate(&indexed, truth)?))
    } else {
        None
    };
    let library = if library {
        let (lib, lib_truth): (Vec<Prediction>, Vec<u8>) = stages
            .iter()
            .zip(truth)
            .filter_map(|(s, &g)| s.library.clone().map(|p| (p, g)))
            .unzip();
        let scores = if lib.is_empty() {
            None
        } else {
            let mut v = StageScores::from(&evaluate(&lib, &lib_truth)?);
            // As shares of all patterns: a pattern without a candidate is not answered.
            let all = stages.len() as f64;
            let right = lib
                .iter()
                .zip(&lib_truth)
                .filter(|(p, g)| p.space_group == **g)
                .count();
            v.space_group_top1 = right as f64 / lib.len() as f64 * (lib.len() as f64 / all);
            v.crystal_system = lib
                .iter()
                .zip(&lib_truth)
                .filter(|(p, g)| {
                    CrystalSystem::from_space_group(**g).ok() == Some(p.crystal_system)
                })
                .count() as f64
                / all;
            Some(v)
        };
        Some(LibraryStageScores {
            scores,
            patterns_with_a_candidate: lib.len(),
        })
    } else {
        None
    };
    let decided_by = [Evidence::Library, Evidence::Indexing, Evidence::Networks]
        .map(|d| (d, combined.iter().filter(|p| p.decided_by == d).count()));
    Ok(StageEvaluation {
        combined: e,
        networks,
        networks_indexing,
        library,
        decided_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(g: u8, top: &[u8], certainty: f64, refused: bool) -> Prediction {
        Prediction {
            space_group: g,
            crystal_system: crate::system_of(g).unwrap(),
            certainty,
            system_certainty: certainty,
            top: top.iter().map(|&t| (t, 0.0)).collect(),
            refused,
            warnings: Vec::new(),
            cell: None,
            phase: None,
            decided_by: crate::Evidence::Networks,
        }
    }

    #[test]
    fn scores_by_hand() {
        let preds = [
            pred(225, &[225, 221], 0.9, false), // right
            pred(62, &[62, 14], 0.6, false),    // wrong (14), system wrong, in top-2
            pred(221, &[221, 225], 0.3, true),  // wrong (225), system right
            pred(14, &[14, 2], 0.2, true),      // right
        ];
        let truth = [225, 14, 225, 14];
        let e = evaluate(&preds, &truth).unwrap();
        assert_eq!(e.patterns, 4);
        assert_eq!(e.space_group_top1, 0.5);
        assert_eq!(e.top_k, 2);
        assert_eq!(e.space_group_top_k, 1.0);
        assert_eq!(e.crystal_system, 0.75);
        assert_eq!(e.majority_space_group, 0.5);
        assert_eq!(e.majority_crystal_system, 0.5);
        assert_eq!(e.coverage_at_threshold, 0.5);
        assert_eq!(e.accuracy_at_threshold, 0.5);
        assert_eq!(e.accuracy_at_half_coverage, 0.5);
        let acc: Vec<f64> = e.coverage_curve.iter().map(|c| c.accuracy).collect();
        assert_eq!(acc, [1.0, 0.5, 1.0 / 3.0, 0.5]);
        assert_eq!(e.coverage_curve[0].threshold, 0.9);
        // Cubic (6) → cubic twice; monoclinic (1) → orthorhombic (2) once, monoclinic once.
        assert_eq!(e.confusion[6][6], 2);
        assert_eq!(e.confusion[1][2], 1);
        assert_eq!(e.confusion[1][1], 1);
        // Certainties 0.9 (right), 0.6 (wrong), 0.3 (wrong), 0.2 (right): four bins of one.
        let filled: Vec<(usize, f64, f64)> = e
            .reliability
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| (b.count, b.mean_certainty, b.accuracy))
            .collect();
        assert_eq!(
            filled,
            [(1, 0.2, 1.0), (1, 0.3, 0.0), (1, 0.6, 0.0), (1, 0.9, 1.0)]
        );
        let ece = (0.8 + 0.3 + 0.6 + 0.1) / 4.0;
        assert!((e.calibration_error - ece).abs() < 1e-12);
        assert_eq!(e.reliability.len(), 10);
        assert_eq!(e.reliability[9].hi, 1.0);
    }

    #[test]
    fn a_certainty_of_one_falls_in_the_last_bin() {
        let (bins, ece) = reliability(&[(1.0, true), (0.0, false)]);
        assert_eq!((bins[9].count, bins[0].count), (1, 1));
        assert_eq!(ece, 0.0);
    }

    #[test]
    fn bad_inputs() {
        let p = [pred(1, &[1], 1.0, false)];
        assert!(matches!(evaluate(&p, &[]), Err(Error::ShapeMismatch(_))));
        assert!(matches!(evaluate(&[], &[]), Err(Error::ShapeMismatch(_))));
        assert!(matches!(evaluate(&p, &[0]), Err(Error::SpaceGroup(0))));
    }
}
