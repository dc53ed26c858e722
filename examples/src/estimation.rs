//! Estimating compositions from latent points with the triangle estimator, and the examples'
//! refusal policy.

use ndarray::{Array2, ArrayView2};
use serde::Serialize;
use xrd_latent::{EstimateKind, RefusalPolicy, TriangleEstimator, delta};

use xrd_cli::run::Result;

/// One row of the paper's Table II.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateRow {
    /// Row of the data set.
    pub index: usize,
    /// Name of the pattern.
    pub name: String,
    /// True values.
    pub truth: Vec<f64>,
    /// Estimated values.
    pub estimated: Vec<f64>,
    /// δ = Σ (estimated − true)² (paper Eq. 3).
    pub delta: f64,
    /// How the estimate was obtained (`inside`, `inside-k-nearest`, `outside`).
    pub kind: String,
    /// Distance to the nearest known point.
    pub distance: f64,
    /// Whether the refusal policy declined to answer.
    pub refused: bool,
}

/// Estimates the values of `query` points with an estimator fitted on `known` points, scoring
/// against `truth` when given, and marks the answers `policy` declines.
pub fn estimate_rows(
    known: &[[f64; 2]],
    known_values: ArrayView2<'_, f64>,
    query: &[(usize, String, [f64; 2])],
    truth: Option<ArrayView2<'_, f64>>,
    policy: &RefusalPolicy,
) -> Result<(TriangleEstimator<f64>, Vec<EstimateRow>)> {
    let pts = Array2::from_shape_fn((known.len(), 2), |(i, j)| known[i][j]);
    let estimator = TriangleEstimator::params().fit(pts.view(), known_values)?;
    let mut out = Vec::with_capacity(query.len());
    for (k, (index, name, p)) in query.iter().enumerate() {
        let est = estimator.estimate(*p);
        let kind = match est.kind {
            EstimateKind::Inside => "inside",
            EstimateKind::InsideKNearest => "inside-k-nearest",
            EstimateKind::Outside { .. } => "outside",
        };
        let distance = est.distance;
        let refused = !policy.accepts(&est.kind, distance);
        let t: Vec<f64> = truth.map_or_else(Vec::new, |t| t.row(k).to_vec());
        out.push(EstimateRow {
            index: *index,
            name: name.clone(),
            delta: if t.is_empty() {
                f64::NAN
            } else {
                delta(&est.value, &t)
            },
            truth: t,
            estimated: est.value.clone(),
            kind: kind.to_string(),
            distance,
            refused,
        });
    }
    Ok((estimator, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_three_known_points_exactly_inside() {
        let known = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let values = ndarray::array![[0.0], [1.0], [0.0], [1.0]];
        let truth = ndarray::array![[0.25]];
        let q = [(0usize, "q".to_string(), [0.25, 0.25])];
        let policy = RefusalPolicy::within_extent(&known, 0.3);
        assert!((policy.max_distance - 0.3 * 2f64.sqrt()).abs() < 1e-12);
        let (_, rows) =
            estimate_rows(&known, values.view(), &q, Some(truth.view()), &policy).unwrap();
        assert!((rows[0].estimated[0] - 0.25).abs() < 1e-12);
        assert!(rows[0].delta < 1e-20);
        assert!(!rows[0].refused);
        // Farther than 0.1 of the diagonal from every known point: declined.
        let (_, rows) = estimate_rows(
            &known,
            values.view(),
            &q,
            Some(truth.view()),
            &RefusalPolicy::within_extent(&known, 0.1),
        )
        .unwrap();
        assert!(rows[0].refused);
    }
}
