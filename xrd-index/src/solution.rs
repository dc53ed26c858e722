//! What an indexing finds: the best cell of each metric, the accepted one, and the space groups
//! whose absences explain the lines.

use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;
use xrd_sim::Lattice;

use crate::groups::{self, GroupFit};
use crate::indexer::Lines;
use crate::lines::Line;
use crate::metric::Metric;
use crate::params::IndexingParams;

/// The best cell of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Its metric.
    pub metric: Metric,
    /// The reciprocal-metric parameters (Å⁻², see [`Metric`]).
    pub parameters: Vec<f64>,
    /// The direct cell (a along x; for an orthorhombic metric the axes in the order of the
    /// parameters, which the search sorts).
    pub cell: Lattice,
    /// The refined zero shift, degrees 2θ (observed = true + shift).
    pub zero_shift: f64,
    /// How many of the lines it indexes within the tolerance.
    pub indexed: usize,
    /// The share of the lines' weight (√height) it indexes.
    pub indexed_weight: f64,
    /// How many lines were indexed against.
    pub lines: usize,
    /// De Wolff's figure of merit M_N (N = `lines`).
    pub merit: f64,
}

impl Solution {
    /// The fraction of the lines indexed (unweighted).
    pub fn indexed_fraction(&self) -> f64 {
        self.indexed as f64 / self.lines.max(1) as f64
    }

    pub(crate) fn meets(&self, params: &IndexingParams) -> bool {
        let unknowns = (self.metric.parameters() + 1) as f64;
        self.indexed_weight >= params.min_indexed
            && self.merit >= params.min_merit
            && self.lines as f64 >= params.lines_per_unknown * unknowns
    }
}

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

/// The share of the lines' weight a space group of `solution`'s systems must explain: all the
/// cell indexes (less rounding).
pub(crate) fn group_need(solution: &Solution, params: &IndexingParams) -> f64 {
    params.min_indexed.max(solution.indexed_weight - 1e-9)
}

/// √(height / highest) of each line.
pub(crate) fn weights(lines: &[Line]) -> Vec<f64> {
    let top = lines.iter().map(|l| l.height).fold(0.0, f64::max);
    lines.iter().map(|l| (l.height / top).sqrt()).collect()
}
