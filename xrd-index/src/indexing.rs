//! What an indexing finds: the best cell of each metric, the accepted one, and the space groups
//! whose absences explain the lines.

use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;

use crate::groups::{self, GroupFit, group_need};
use crate::lines::{Line, Lines};
use crate::metric::Metric;
use crate::params::IndexingParams;
use crate::solution::Solution;

/// The outcome of indexing one pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indexing {
    /// The observed lines indexed against: the first [`lines`](IndexingParams::lines) of the
    /// pattern, by angle.
    pub lines: Vec<Line>,
    /// The best cell of each metric searched that found one, most symmetric first: the metrics
    /// down to the accepted one, or all of them ([`Indexer::every_metric`](crate::Indexer::every_metric)).
    pub solutions: Vec<Solution>,
    /// Index into `solutions` of the accepted cell: the most symmetric that meets the
    /// thresholds.
    pub accepted: Option<usize>,
    /// The source the lines were measured with (its primary line).
    pub wavelength: Wavelength,
    /// The parameters it was indexed with (their thresholds decide what is tested and which
    /// space groups are likely).
    pub params: IndexingParams,
    /// The noise the lines were held to, when they were found in a pattern
    /// ([`Indexer::index_pattern_at`](crate::Indexer::index_pattern_at)); its factor is over 1
    /// where neighbouring points share their noise. `None` for lines given.
    #[serde(default)]
    pub search_noise: Option<xrd_io::observed::SearchNoise>,
}

impl Indexing {
    /// The accepted cell, if any.
    pub fn accepted(&self) -> Option<&Solution> {
        self.accepted.and_then(|i| self.solutions.get(i))
    }

    /// The metrics tried that had enough lines to be accepted
    /// ([`lines_per_unknown`](IndexingParams::lines_per_unknown)): those whose failure rules
    /// their systems out.
    pub fn tested(&self) -> Vec<Metric> {
        let params = &self.params;
        Metric::ALL
            .into_iter()
            .filter(|m| {
                params.metrics.contains(m)
                    && self.lines.len() as f64
                        >= params.lines_per_unknown * (m.parameters() + 1) as f64
            })
            .collect()
    }

    /// The best cell found for `metric`, accepted or not.
    pub fn solution(&self, metric: Metric) -> Option<&Solution> {
        self.solutions.iter().find(|s| s.metric == metric)
    }

    /// Every space group of the accepted cell's crystal systems, scored by how well its allowed
    /// reflections (those its systematic absences leave) explain the lines; empty without an
    /// accepted cell.
    pub fn space_groups(&self) -> Vec<GroupFit> {
        let params = &self.params;
        let Some(solution) = self.accepted() else {
            return Vec::new();
        };
        let lines = Lines::new(&self.lines, self.wavelength.angstrom(), params.tolerance);
        groups::fit_groups(solution, &lines, params, group_need(solution, params))
    }

    /// The space groups whose allowed reflections explain every line the cell indexes (and so
    /// at least [`min_indexed`](IndexingParams::min_indexed) of the lines' weight: a group may
    /// not make an observed line absent) with the highest merit (within 1 % of it: groups of
    /// one set of absences score alike); empty when none does.
    pub fn likely_space_groups(&self) -> Vec<u8> {
        let params = &self.params;
        let Some(solution) = self.accepted() else {
            return Vec::new();
        };
        let need = group_need(solution, params);
        let fits: Vec<GroupFit> = self
            .space_groups()
            .into_iter()
            .filter(|f| f.explained >= need)
            .collect();
        let best = fits.iter().map(|f| f.merit).fold(0.0, f64::max);
        fits.iter()
            .filter(|f| f.merit >= 0.99 * best)
            .map(|f| f.space_group)
            .collect()
    }
}
