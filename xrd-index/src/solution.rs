//! The best cell of one metric.

use serde::{Deserialize, Serialize};
use xrd_sim::Lattice;

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
