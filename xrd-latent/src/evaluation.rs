//! Measuring an estimator: the paper's δ (Eq. 3), leave-one-out, train/test, worst-k tables,
//! accuracy-versus-coverage curves.

use std::fmt;

use ndarray::{ArrayView2, Axis};
use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::coverage::{Answer, CoveragePoint, coverage_curve};
use xrd_core::{Float, NonFinite};

use crate::{Error, Estimate, EstimateKind, Result, TriangleEstimator, TriangleParams};

/// The paper's error (Eq. 3): `δ = Σ_α (c_α^(E) − c_α^(A))²` over the value components.
///
/// # Panics
/// Never; extra components of the longer slice are ignored (callers pass equal lengths).
pub fn delta<F: Float>(estimated: &[F], truth: &[F]) -> F {
    estimated
        .iter()
        .zip(truth)
        .map(|(&e, &a)| (e - a) * (e - a))
        .sum()
}

/// One evaluated point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<F = f64> {
    /// Row of the point in the evaluated set.
    pub index: usize,
    /// Known values (the paper's answer, A).
    pub truth: Vec<F>,
    /// The estimate (E).
    pub estimate: Estimate<F>,
    /// δ of Eq. 3 between the two.
    pub delta: F,
}

/// The results of an evaluation, one [`Record`] per evaluated point in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation<F = f64> {
    /// Per-point results.
    pub records: Vec<Record<F>>,
}

impl<F: Float> Evaluation<F> {
    /// Number of evaluated points.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was evaluated.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Mean δ over all points (0 when empty).
    pub fn mean_delta(&self) -> F {
        if self.records.is_empty() {
            return F::zero();
        }
        self.records.iter().map(|r| r.delta).sum::<F>() / F::of_usize(self.records.len())
    }

    /// Largest δ (0 when empty).
    pub fn max_delta(&self) -> F {
        self.records.iter().map(|r| r.delta).fold(F::zero(), F::max)
    }

    /// Number of points per estimate kind: `(inside, inside_k_nearest, outside)`.
    pub fn kind_counts(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for r in &self.records {
            match r.estimate.kind {
                EstimateKind::Inside => n.0 += 1,
                EstimateKind::InsideKNearest => n.1 += 1,
                EstimateKind::Outside { .. } => n.2 += 1,
            }
        }
        n
    }

    /// The `k` worst points by δ, worst first (the paper's Table II); ties keep input order.
    pub fn worst(&self, k: usize) -> WorstTable<'_, F> {
        let mut rows: Vec<&Record<F>> = self.records.iter().collect();
        rows.sort_by(|a, b| {
            b.delta
                .partial_cmp(&a.delta)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        rows.truncate(k);
        WorstTable { rows }
    }

    /// Accuracy versus coverage as the distance threshold of a
    /// [`RefusalPolicy`](crate::RefusalPolicy) sweeps over the observed distances (Vecsei et
    /// al. 2019, Fig. 5d-e, with distance in place of certainty): xrd-io's curve, the nearest
    /// first, the threshold a distance. With `refuse_outside`, outside points are never
    /// answered, so the last point's coverage is the inside fraction. A point counts as accurate
    /// when `δ ≤ tolerance`. One curve point per distinct distance, ascending.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN distance.
    pub fn coverage_curve(&self, tolerance: F, refuse_outside: bool) -> Result<Vec<CoveragePoint>> {
        let eligible = self
            .records
            .iter()
            .filter(|r| !refuse_outside || r.estimate.kind.is_inside());
        coverage_curve(
            eligible.map(|r| (r.estimate.distance.as_f64(), r.delta <= tolerance)),
            self.records.len(),
            Answer::LowestFirst,
        )
        .map_err(|_| {
            let row = self
                .records
                .iter()
                .position(|r| r.estimate.distance.is_nan())
                .unwrap_or(0);
            NonFinite::cell("distances", row, 0, f64::NAN).into()
        })
    }
}

/// The worst rows of an [`Evaluation`]; `Display` prints them as a table.
#[derive(Debug, Clone)]
pub struct WorstTable<'a, F = f64> {
    /// The rows, worst first.
    pub rows: Vec<&'a Record<F>>,
}

impl<F: Float> fmt::Display for WorstTable<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[F]| {
            v.iter()
                .map(|x| format!("{:.3}", x.as_f64()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        writeln!(
            f,
            "{:>4} {:>6}  {:<10} {:>10}  true → estimated",
            "rank", "index", "kind", "δ"
        )?;
        for (k, r) in self.rows.iter().enumerate() {
            let kind = match r.estimate.kind {
                EstimateKind::Inside => "inside",
                EstimateKind::InsideKNearest => "inside-k",
                EstimateKind::Outside { .. } => "outside",
            };
            writeln!(
                f,
                "{:>4} {:>6}  {:<10} {:>10.2e}  [{}] → [{}]",
                k + 1,
                r.index,
                kind,
                r.delta.as_f64(),
                list(&r.truth),
                list(&r.estimate.value)
            )?;
        }
        Ok(())
    }
}

impl<F: Float> TriangleEstimator<F> {
    /// Evaluates on a labelled test set: `points` (n × 2), `values` (n × m), in parallel.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for mismatched shapes, [`Error::NonFinite`] for non-finite values.
    pub fn evaluate(
        &self,
        points: ArrayView2<'_, F>,
        values: ArrayView2<'_, F>,
    ) -> Result<Evaluation<F>> {
        if values.nrows() != points.nrows() || values.ncols() != self.n_values() {
            return Err(Error::shape(
                "test values",
                format!("{} × {}", points.nrows(), self.n_values()),
                format!("{} × {}", values.nrows(), values.ncols()),
            ));
        }
        if let Some(((row, col), v)) = values.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(NonFinite::cell("test value", row, col, v.as_f64()).into());
        }
        let estimates = self.estimate_all(points)?;
        let records = estimates
            .into_iter()
            .enumerate()
            .map(|(index, estimate)| {
                let truth = values.row(index).to_vec();
                let delta = delta(&estimate.value, &truth);
                Record {
                    index,
                    truth,
                    estimate,
                    delta,
                }
            })
            .collect();
        Ok(Evaluation { records })
    }
}

impl TriangleParams {
    /// Leave-one-out: for every row, fits on all other rows and estimates the left-out point
    /// (in parallel). A duplicate of the left-out point stays in the fit and answers exactly.
    ///
    /// # Errors
    /// The errors of [`fit`](Self::fit) on the full set, or [`Error::TooFewPoints`] when
    /// leaving a point out leaves fewer than 3 distinct points.
    pub fn leave_one_out<F: Float>(
        &self,
        points: ArrayView2<'_, F>,
        values: ArrayView2<'_, F>,
    ) -> Result<Evaluation<F>> {
        self.fit(points, values)?;
        let n = points.nrows();
        let records: Result<Vec<Record<F>>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let keep: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                let (p, v) = (points.select(Axis(0), &keep), values.select(Axis(0), &keep));
                let est = self.fit(p.view(), v.view())?;
                let estimate = est.estimate([points[[i, 0]], points[[i, 1]]]);
                let truth = values.row(i).to_vec();
                let delta = delta(&estimate.value, &truth);
                Ok(Record {
                    index: i,
                    truth,
                    estimate,
                    delta,
                })
            })
            .collect();
        Ok(Evaluation { records: records? })
    }

    /// Random train/test split: a shuffled `test_fraction` of the rows is held out, the
    /// rest is fitted; records carry the held-out rows' original indices.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < test_fraction < 1` leaves at least one test row,
    /// plus the errors of [`fit`](Self::fit) and [`TriangleEstimator::evaluate`].
    pub fn train_test<F: Float, R: Rng>(
        &self,
        points: ArrayView2<'_, F>,
        values: ArrayView2<'_, F>,
        test_fraction: f64,
        rng: &mut R,
    ) -> Result<Evaluation<F>> {
        let n = points.nrows();
        let n_test = (test_fraction * n as f64).round() as usize;
        if !(test_fraction > 0.0 && test_fraction < 1.0) || n_test == 0 || n_test >= n {
            return Err(Error::param(
                "test_fraction",
                crate::error::reason(
                    test_fraction.to_string(),
                    "need 0 < fraction < 1 leaving at least one test and one training row",
                ),
            ));
        }
        if values.nrows() != n {
            return Err(Error::shape(
                "values",
                format!("{n} × m"),
                format!("{} × {}", values.nrows(), values.ncols()),
            ));
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let (test, train) = order.split_at(n_test);
        let est = self.fit(
            points.select(Axis(0), train).view(),
            values.select(Axis(0), train).view(),
        )?;
        let (tp, tv) = (points.select(Axis(0), test), values.select(Axis(0), test));
        let mut eval = est.evaluate(tp.view(), tv.view())?;
        for r in &mut eval.records {
            r.index = test[r.index];
        }
        Ok(eval)
    }
}
