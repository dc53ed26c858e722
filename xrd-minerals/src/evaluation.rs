//! How well search-match names the space group of labelled patterns: the first candidate's
//! space group and crystal system, top-5, refusal at the threshold and the accuracy–coverage
//! curve (most similar first).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::Pattern;
use xrd_io::coverage::{Answer, CoveragePoint, accuracy_at_coverage, coverage_curve};
use xrd_sim::CrystalSystem;

use crate::{Candidate, Matcher, Result};

/// One labelled pattern searched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedPattern {
    /// Its index among the patterns given.
    pub index: usize,
    /// Its true space group.
    pub truth: u8,
    /// The candidates (empty when the pattern could not be searched).
    pub candidates: Vec<Candidate>,
    /// Why it could not be searched (it then counts as unanswered and wrong).
    pub error: Option<String>,
}

/// The result of [`Matcher::evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchEvaluation {
    /// Every pattern, in order.
    pub patterns: Vec<EvaluatedPattern>,
    /// Patterns that could not be searched.
    pub unsearchable: usize,
    /// First candidate of the right space group.
    pub space_group_accuracy: f64,
    /// First candidate of the right crystal system.
    pub crystal_system_accuracy: f64,
    /// The right space group among the first five candidates.
    pub space_group_top5: f64,
    /// The refusal threshold ([`crate::SearchParams::min_score`]).
    pub min_score: f64,
    /// Share of the patterns whose best score reaches the threshold.
    pub answered_fraction: f64,
    /// Space-group accuracy among them (0 when none).
    pub space_group_accuracy_answered: f64,
    /// Space-group accuracy on the most similar half (the fewest most similar patterns that
    /// make at least half).
    pub space_group_accuracy_certain_half: f64,
    /// Accuracy against coverage, one point per distinct first score, the most similar first
    /// (xrd-io's curve; unsearchable patterns score 0).
    pub coverage_curve: Vec<CoveragePoint>,
}

impl Matcher {
    /// Searches `patterns` with known space groups `truth`, in parallel, and scores the first
    /// candidates. `progress` is called after each pattern with the number done (in the order
    /// they finish).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `truth` does not have one group (1–230) per
    /// pattern. A pattern that cannot be searched is recorded, not an error.
    pub fn evaluate(
        &self,
        patterns: &[Pattern],
        truth: &[u8],
        progress: impl Fn(usize) + Sync,
    ) -> Result<SearchEvaluation> {
        let unknown = |g: &u8| CrystalSystem::from_space_group(*g).is_err();
        if truth.len() != patterns.len() || truth.iter().any(unknown) {
            return Err(crate::Error::param(
                "truth",
                format!(
                    "{} space groups for {} patterns, each in 1–230",
                    truth.len(),
                    patterns.len()
                ),
            ));
        }
        // A search scores few references in parallel (its bound leaves out the rest), so the
        // patterns are searched in parallel too.
        let done = std::sync::atomic::AtomicUsize::new(0);
        let evaluated: Vec<EvaluatedPattern> = patterns
            .par_iter()
            .zip(truth)
            .enumerate()
            .map(|(index, (pattern, &g))| {
                let (candidates, error) = match self.search(pattern) {
                    Ok(c) => (c, None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                };
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                EvaluatedPattern {
                    index,
                    truth: g,
                    candidates,
                    error,
                }
            })
            .collect();
        Ok(self.score(evaluated))
    }

    fn score(&self, patterns: Vec<EvaluatedPattern>) -> SearchEvaluation {
        let entries = self.library().entries();
        let group = |c: &Candidate| entries[c.entry].space_group;
        let system = |g: u8| CrystalSystem::from_space_group(g).ok();
        let n = patterns.len().max(1) as f64;
        let (mut sg, mut cs, mut top5) = (0usize, 0usize, 0usize);
        let mut scored: Vec<(f64, bool)> = Vec::with_capacity(patterns.len());
        for p in &patterns {
            let first = p.candidates.first();
            let predicted = first.map(group);
            let right = predicted == Some(p.truth);
            sg += usize::from(right);
            cs += usize::from(predicted.is_some_and(|g| system(g) == system(p.truth)));
            top5 += usize::from(p.candidates.iter().take(5).any(|c| group(c) == p.truth));
            scored.push((first.map_or(0.0, |c| c.score), right));
        }
        // Scores are finite similarities (0 for an unsearchable pattern): no NaN to refuse.
        let curve = coverage_curve(scored.iter().copied(), patterns.len(), Answer::HighestFirst)
            .unwrap_or_default();
        let share = |s: &[(f64, bool)]| {
            if s.is_empty() {
                0.0
            } else {
                s.iter().filter(|x| x.1).count() as f64 / s.len() as f64
            }
        };
        let min_score = self.params().get_min_score();
        let answered: Vec<(f64, bool)> = scored
            .iter()
            .copied()
            .filter(|s| s.0 >= min_score)
            .collect();
        SearchEvaluation {
            unsearchable: patterns.iter().filter(|p| p.error.is_some()).count(),
            space_group_accuracy: sg as f64 / n,
            crystal_system_accuracy: cs as f64 / n,
            space_group_top5: top5 as f64 / n,
            min_score,
            answered_fraction: answered.len() as f64 / n,
            space_group_accuracy_answered: share(&answered),
            space_group_accuracy_certain_half: accuracy_at_coverage(&curve, 0.5),
            coverage_curve: curve,
            patterns,
        }
    }
}
