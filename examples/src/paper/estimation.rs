//! Section III.A: the test and held-out compositions estimated from the training patterns'
//! latent points (Table II, Fig. 4), for any 2-D feature space.

use ndarray::Axis;
use serde::Serialize;
use xrd_latent::TriangleEstimator;

use super::{Data, REFUSAL_FRACTION, Split};
use crate::estimation::{EstimateRow, estimate_rows};
use xrd_cli::run::Result;
use xrd_io::median;

/// Rows of Table II the summary keeps.
pub const WORST_ROWS: usize = 10;

/// What the summary reports of the estimation of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimationResult {
    /// Median δ over the test rows.
    pub test_delta_median: f64,
    /// Largest δ over the test rows.
    pub test_delta_worst: f64,
    /// Test rows the refusal policy declined.
    pub refused: usize,
    /// Median δ over the held-out composition's rows.
    pub held_out_delta_median: f64,
    /// The [`WORST_ROWS`] test rows of largest δ, largest first (Table II).
    pub worst: Vec<EstimateRow>,
}

/// The fitted estimator (for the maps of Fig. 4) and the measures.
#[derive(Debug, Clone)]
pub struct Estimation {
    /// Estimator of the (Sm, Zr, Fe, Ti) composition from the training rows' latent points.
    pub estimator: TriangleEstimator<f64>,
    /// The training rows' latent points.
    pub known: Vec<[f64; 2]>,
    /// The measures.
    pub result: EstimationResult,
}

/// Estimates the (Sm, Zr, Fe, Ti) composition of the test and held-out rows from the training
/// rows, given every pattern's latent point, declining by [`REFUSAL_FRACTION`].
pub fn estimate(data: &Data, split: &Split, points: &[[f64; 2]]) -> Result<Estimation> {
    let b = &data.builtin;
    let known: Vec<[f64; 2]> = split.train.iter().map(|&i| points[i]).collect();
    let known_values = b.composition.select(Axis(0), &split.train);
    let policy = xrd_latent::RefusalPolicy::within_extent(&known, REFUSAL_FRACTION);
    let rows_of = |rows: &[usize]| {
        let query: Vec<(usize, String, [f64; 2])> = rows
            .iter()
            .map(|&i| (i, b.config_id[i].clone(), points[i]))
            .collect();
        let truth = b.composition.select(Axis(0), rows);
        estimate_rows(
            &known,
            known_values.view(),
            &query,
            Some(truth.view()),
            &policy,
        )
    };
    let (estimator, mut rows) =
        rows_of(&split.test).map_err(|e| format!("estimating the test compositions: {e}"))?;
    let (_, held_rows) = rows_of(&split.held_out)?;
    let mut held_deltas: Vec<f64> = held_rows.iter().map(|r| r.delta).collect();
    let refused = rows.iter().filter(|r| r.refused).count();
    let mut deltas: Vec<f64> = rows.iter().map(|r| r.delta).collect();
    let test_delta_median = median(&mut deltas);
    let test_delta_worst = deltas.iter().copied().fold(0.0, f64::max);
    rows.sort_by(|a, b| b.delta.total_cmp(&a.delta));
    rows.truncate(WORST_ROWS);
    Ok(Estimation {
        estimator,
        known,
        result: EstimationResult {
            test_delta_median,
            test_delta_worst,
            refused,
            held_out_delta_median: median(&mut held_deltas),
            worst: rows,
        },
    })
}
