//! Estimators of labels (compositions) from latent points beside the paper's triangle rule —
//! local linear regression on the k nearest labelled points and a global linear fit — with
//! extrapolation detected and bounded, nearly degenerate triangles never used silently, and a
//! choice among them by leave-one-out.
//!
//! A composition series (a substitution series, a thin-film spread, a doping series) puts its
//! latent points along a curve: the nearest triangles are nearly collinear and a point beyond the
//! last labelled one is extrapolated through them. Linear fits in the points' principal frame
//! ([`SeriesParams::min_axis_ratio`]) stay well posed there; where the curve bends, the points a
//! fit rests on are made to surround the point estimated, or the answer is flagged.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::ParamGuard;

use crate::frame::Frame;
use crate::kdtree::{KdTree, Neighbour};
use crate::{Error, Result, TriangleEstimator, TriangleParams, delta};

/// Default number of labelled points of a local linear fit.
pub const DEFAULT_LOCAL_NEIGHBOURS: usize = 6;
/// Default ratio of standard deviations (minor / major) above which the minor direction of a
/// neighbourhood counts: below it the points lie on a curve, fits use the major direction alone
/// and extrapolation is judged along it.
pub const DEFAULT_MIN_AXIS_RATIO: f64 = 0.1;
/// The neighbour counts [`SeriesParams::choose`] tries for the local linear fit: two follow a
/// curve (a line through the two nearest), more average noise away.
pub const CANDIDATE_NEIGHBOURS: [usize; 5] = [2, 3, 4, 6, 8];
/// Default bound of an extrapolated estimate under [`Extrapolation::Clamp`]: at most this many
/// times the range of the labelled values used beyond that range (1: as far again as they span).
pub const DEFAULT_EXTRAPOLATION_MARGIN: f64 = 1.0;
/// Default conditioning below which a triangle is nearly degenerate and not used: twice its area
/// over its longest edge squared (0.87 for an equilateral triangle, about the apex angle in
/// radians for a needle).
pub const DEFAULT_MIN_CONDITIONING: f64 = 0.05;

/// A label estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EstimatorKind {
    /// The paper's nearest triangle (Eq. 1-2, [`TriangleEstimator`]); an ill-conditioned triangle
    /// hands over to the local linear fit (the answer says so).
    Triangle,
    /// Weighted linear regression on the k nearest labelled points in their principal frame.
    LocalLinear,
    /// One linear fit of every labelled point.
    Linear,
}

impl EstimatorKind {
    /// Every estimator, in the order [`SeriesParams::choose`] breaks ties.
    pub const ALL: [EstimatorKind; 3] = [
        EstimatorKind::Triangle,
        EstimatorKind::LocalLinear,
        EstimatorKind::Linear,
    ];

    /// `triangle`, `local-linear` or `linear`.
    pub fn name(self) -> &'static str {
        match self {
            EstimatorKind::Triangle => "triangle",
            EstimatorKind::LocalLinear => "local-linear",
            EstimatorKind::Linear => "linear",
        }
    }
}

/// What to do with an estimate that extrapolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Extrapolation {
    /// Bound each value to the range of the values of the nearest labelled points (see
    /// [`Answer::extrapolated`]), widened on each side by
    /// [`SeriesParams::extrapolation_margin`] times that range (the default).
    #[default]
    Clamp,
    /// Refuse: [`Answer::refused`] is set.
    Refuse,
    /// Keep the extrapolated value (flagged all the same).
    Allow,
}

/// One estimate of [`SeriesEstimator::estimate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The estimated values (bounded when extrapolated, under [`Extrapolation::Clamp`]).
    pub value: Vec<f64>,
    /// The estimator that answered (the local linear fit when a triangle was ill-conditioned).
    pub by: EstimatorKind,
    /// The estimate extrapolates: the point lies beyond an end of the series (its nearest
    /// labelled point holds the smallest or largest value of a component, and the point lies
    /// farther out than it from the next labelled point inwards); or the labelled points it rests
    /// on do not surround it while their values differ (no two of them have the point between
    /// them, `(a − p)·(b − p) ≤ 0`, even after the nearest labelled point on the far side was
    /// looked for: see [`SeriesEstimator::estimate`]; a triangle holding the point surrounds
    /// it); or the answer leaves the range of the values of the points it rests on, its
    /// [`neighbours`](SeriesParams::neighbours) nearest (all of them for
    /// [`EstimatorKind::Linear`], which is judged by the ends and the values alone).
    pub extrapolated: bool,
    /// The triangle rule's triangle was nearly degenerate (and not used).
    pub ill_conditioned: bool,
    /// The policy declined to answer ([`Extrapolation::Refuse`]).
    pub refused: bool,
    /// Distance to the nearest labelled point.
    pub distance: f64,
}

/// Hyper-parameters of the label estimators (builder; defaults in the table).
///
/// | parameter | default | valid |
/// |---|---|---|
/// | [`neighbours`](Self::neighbours) | [`DEFAULT_LOCAL_NEIGHBOURS`] = 6 | ≥ 2 |
/// | [`min_axis_ratio`](Self::min_axis_ratio) | [`DEFAULT_MIN_AXIS_RATIO`] = 0.1 | in (0, 1] |
/// | [`min_conditioning`](Self::min_conditioning) | [`DEFAULT_MIN_CONDITIONING`] = 0.05 | in [0, 0.8] |
/// | [`extrapolation`](Self::extrapolation) | [`Extrapolation::Clamp`] | any |
/// | [`extrapolation_margin`](Self::extrapolation_margin) | [`DEFAULT_EXTRAPOLATION_MARGIN`] = 1 | finite, ≥ 0 |
/// | [`triangle`](Self::triangle) | [`TriangleParams::default`] | as its `check` |
///
/// ```
/// use ndarray::array;
/// use xrd_latent::{EstimatorKind, SeriesParams};
///
/// // A series on a curve: label = arc position.
/// let t = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
/// let points = ndarray::Array2::from_shape_fn((8, 2), |(i, j)| if j == 0 { t[i] } else { t[i] * t[i] });
/// let labels = ndarray::Array2::from_shape_fn((8, 1), |(i, _)| t[i]);
/// let params = SeriesParams::new();
/// let choice = params.choose(points.view(), labels.view())?;
/// let best = choice.evaluation(choice.chosen).unwrap();
/// assert!(best.mean_delta() < 0.1 * choice.mean_predictor_delta, "{}", best.mean_delta());
/// let fitted = choice.fit(points.view(), labels.view())?;
/// let beyond = fitted.estimate([0.9, 0.81]);
/// assert!(beyond.extrapolated && beyond.value[0] <= 0.9);
/// # Ok::<(), xrd_latent::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesParams {
    neighbours: usize,
    min_axis_ratio: f64,
    min_conditioning: f64,
    extrapolation: Extrapolation,
    extrapolation_margin: f64,
    triangle: TriangleParams,
}

impl Default for SeriesParams {
    fn default() -> Self {
        Self {
            neighbours: DEFAULT_LOCAL_NEIGHBOURS,
            min_axis_ratio: DEFAULT_MIN_AXIS_RATIO,
            min_conditioning: DEFAULT_MIN_CONDITIONING,
            extrapolation: Extrapolation::Clamp,
            extrapolation_margin: DEFAULT_EXTRAPOLATION_MARGIN,
            triangle: TriangleParams::default(),
        }
    }
}

xrd_core::param_guard!(Error => SeriesParams);

impl<'a, 'b> xrd_core::Fit<(EstimatorKind, ArrayView2<'a, f64>, ArrayView2<'b, f64>)>
    for SeriesParams
{
    type Object = SeriesEstimator;

    /// Fits `data = (kind, points, values)`; the fit of [`SeriesParams::fit`].
    fn fit_checked(
        params: &xrd_core::Checked<Self>,
        (kind, points, values): (EstimatorKind, ArrayView2<'a, f64>, ArrayView2<'b, f64>),
    ) -> Result<SeriesEstimator> {
        // The triangle estimator checks shapes, finiteness and distinct points for every kind;
        // its parameters were checked with the series parameters.
        let triangle = TriangleEstimator::from_checked(params.triangle.clone(), points, values)?;
        let pts: Vec<[f64; 2]> = points.rows().into_iter().map(|r| [r[0], r[1]]).collect();
        let index = KdTree::new(&pts)?;
        let global = (kind == EstimatorKind::Linear).then(|| {
            let all: Vec<usize> = (0..pts.len()).collect();
            LinearFit::of(
                &pts,
                values,
                &all,
                &vec![1.0; pts.len()],
                params.min_axis_ratio,
            )
        });
        let ranges = value_ranges(values);
        let ends = series_ends(&pts, values, &ranges);
        Ok(SeriesEstimator {
            kind,
            params: SeriesParams::clone(params),
            points: pts,
            values: values.to_owned(),
            index,
            triangle,
            global,
            ranges,
            ends,
        })
    }
}

impl SeriesParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    xrd_core::setters! {
        /// Labelled points of a local linear fit (and of the neighbourhood that judges
        /// extrapolation for the triangle rule).
        neighbours, get_neighbours: usize;

        /// See [`DEFAULT_MIN_AXIS_RATIO`].
        min_axis_ratio, get_min_axis_ratio: f64;

        /// See [`DEFAULT_MIN_CONDITIONING`].
        min_conditioning, get_min_conditioning: f64;

        /// What extrapolated estimates become.
        extrapolation, get_extrapolation: Extrapolation;

        /// See [`DEFAULT_EXTRAPOLATION_MARGIN`].
        extrapolation_margin, get_extrapolation_margin: f64;
    }

    /// The triangle rule's own parameters.
    pub fn triangle(mut self, params: TriangleParams) -> Self {
        self.triangle = params;
        self
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid one.
    pub fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::param(name, crate::error::reason(value, reason)))
        };
        if self.neighbours < 2 {
            return bad("neighbours", self.neighbours.to_string(), "need k ≥ 2");
        }
        if !(self.min_axis_ratio > 0.0 && self.min_axis_ratio <= 1.0) {
            return bad(
                "min_axis_ratio",
                self.min_axis_ratio.to_string(),
                "need a value in (0, 1]",
            );
        }
        if !(0.0..=0.8).contains(&self.min_conditioning) {
            return bad(
                "min_conditioning",
                self.min_conditioning.to_string(),
                "need a value in [0, 0.8]",
            );
        }
        if !(self.extrapolation_margin.is_finite() && self.extrapolation_margin >= 0.0) {
            return bad(
                "extrapolation_margin",
                self.extrapolation_margin.to_string(),
                "need a finite value ≥ 0",
            );
        }
        self.triangle.check()
    }

    /// Fits estimator `kind` on labelled `points` (n × 2) with `values` (n × m).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`]; [`Error::ShapeMismatch`] for shapes that do not fit;
    /// [`Error::NonFinite`]; [`Error::TooFewPoints`] with fewer than 3 distinct points.
    pub fn fit(
        &self,
        kind: EstimatorKind,
        points: ArrayView2<'_, f64>,
        values: ArrayView2<'_, f64>,
    ) -> Result<SeriesEstimator> {
        xrd_core::Fit::fit(self, (kind, points, values))
    }

    /// Leave-one-out of estimator `kind`: each labelled point estimated from the others.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), for the full set and every subset.
    pub fn leave_one_out(
        &self,
        kind: EstimatorKind,
        points: ArrayView2<'_, f64>,
        values: ArrayView2<'_, f64>,
    ) -> Result<SeriesEvaluation> {
        let params = self.clone().into_checked()?;
        params.fit((kind, points, values))?;
        let n = points.nrows();
        let records = (0..n)
            .into_par_iter()
            .map(|i| {
                let keep: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                let est = params.fit((
                    kind,
                    points.select(Axis(0), &keep).view(),
                    values.select(Axis(0), &keep).view(),
                ))?;
                let answer = est.estimate([points[[i, 0]], points[[i, 1]]]);
                let truth = values.row(i).to_vec();
                let delta = if answer.refused {
                    f64::NAN
                } else {
                    delta(&answer.value, &truth)
                };
                Ok(SeriesRecord {
                    index: i,
                    truth,
                    answer,
                    delta,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SeriesEvaluation {
            kind,
            neighbours: self.neighbours,
            records,
        })
    }

    /// Leave-one-out of every estimator — the local linear fit with each of
    /// [`CANDIDATE_NEIGHBOURS`], the others with [`neighbours`](Self::neighbours) — and of the
    /// mean of the others (the baseline any estimator must beat). The evaluation of lowest mean
    /// δ is chosen (ties: the first in the order of [`EstimatorKind::ALL`], fewer neighbours
    /// first); [`Selection::params`] are the parameters to fit it with. Under
    /// [`Extrapolation::Refuse`] the leave-one-out bounds instead of refusing, so that every
    /// point counts in every estimator's mean.
    ///
    /// # Errors
    /// As [`leave_one_out`](Self::leave_one_out).
    pub fn choose(
        &self,
        points: ArrayView2<'_, f64>,
        values: ArrayView2<'_, f64>,
    ) -> Result<Selection> {
        // Refused answers would leave the mean δ: every point counts, bounded.
        let scored = match self.extrapolation {
            Extrapolation::Refuse => self.clone().extrapolation(Extrapolation::Clamp),
            _ => self.clone(),
        };
        let mut evaluations = Vec::new();
        for kind in EstimatorKind::ALL {
            if kind == EstimatorKind::LocalLinear {
                for k in CANDIDATE_NEIGHBOURS {
                    let params = scored.clone().neighbours(k);
                    evaluations.push(params.leave_one_out(kind, points, values)?);
                }
            } else {
                evaluations.push(scored.leave_one_out(kind, points, values)?);
            }
        }
        let best = evaluations
            .iter()
            .min_by(|a, b| a.mean_delta().total_cmp(&b.mean_delta()))
            .map_or((EstimatorKind::Triangle, self.neighbours), |e| {
                (e.kind, e.neighbours)
            });
        Ok(Selection {
            chosen: best.0,
            params: self.clone().neighbours(best.1),
            evaluations,
            mean_predictor_delta: mean_predictor_delta(values),
        })
    }
}

/// Mean δ of predicting each row's values by the mean of the other rows.
pub fn mean_predictor_delta(values: ArrayView2<'_, f64>) -> f64 {
    let n = values.nrows();
    if n < 2 {
        return f64::NAN;
    }
    let sum = values.sum_axis(Axis(0));
    let total: f64 = values
        .rows()
        .into_iter()
        .map(|row| {
            let others: Vec<f64> = sum
                .iter()
                .zip(row)
                .map(|(s, v)| (s - v) / (n - 1) as f64)
                .collect();
            delta(&others, &row.to_vec())
        })
        .sum();
    total / n as f64
}

/// A fitted label estimator ([`SeriesParams::fit`]).
#[derive(Debug, Clone)]
pub struct SeriesEstimator {
    kind: EstimatorKind,
    params: SeriesParams,
    points: Vec<[f64; 2]>,
    values: Array2<f64>,
    index: KdTree<f64>,
    triangle: TriangleEstimator<f64>,
    global: Option<LinearFit>,
    /// Per value component: the smallest and largest labelled value.
    ranges: Vec<(f64, f64)>,
    /// Per labelled point holding a component's smallest or largest value: the next point
    /// inwards (the nearest with another value of that component) and its distance.
    ends: Vec<Vec<(usize, f64)>>,
}

/// The smallest and largest value of each column.
fn value_ranges(values: ArrayView2<'_, f64>) -> Vec<(f64, f64)> {
    values
        .columns()
        .into_iter()
        .map(|c| {
            c.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                })
        })
        .collect()
}

/// For each point at an end of a component's range, the next point inwards and its distance
/// (see [`SeriesEstimator::beyond_end`]).
fn series_ends(
    points: &[[f64; 2]],
    values: ArrayView2<'_, f64>,
    ranges: &[(f64, f64)],
) -> Vec<Vec<(usize, f64)>> {
    let dist = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]);
    let mut ends = vec![Vec::new(); points.len()];
    for (j, &(lo, hi)) in ranges.iter().enumerate() {
        if hi - lo <= 0.0 {
            continue;
        }
        let tol = 1e-12 * (hi - lo);
        let column = values.column(j);
        for (n1, end) in ends.iter_mut().enumerate() {
            let v = column[n1];
            if v - lo > tol && hi - v > tol {
                continue;
            }
            let inward = (0..points.len())
                .filter(|&i| (column[i] - v).abs() > tol)
                .map(|i| (i, dist(points[n1], points[i])))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            end.extend(inward);
        }
    }
    ends
}

impl SeriesEstimator {
    /// Whether `p` lies beyond an end of the series: its nearest labelled point `n1` holds the
    /// smallest or largest labelled value of a component, and `p` is farther than `n1` from `n2`,
    /// the labelled point nearest `n1` with another value of that component (the next one
    /// inwards), and at least a quarter of that step from `n1`.
    fn beyond_end(&self, p: [f64; 2], n1: usize) -> bool {
        let dist = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]);
        let at = self.points[n1];
        self.ends[n1]
            .iter()
            .any(|&(n2, step)| dist(p, self.points[n2]) > step && dist(p, at) >= 0.25 * step)
    }

    /// The `k` nearest labelled points to `p` (`near`, nearest first), made to surround `p` where
    /// the labelled points allow, and whether they do.
    ///
    /// Points surround `p` when two of them, `a` and `b`, have `p` between them:
    /// `(a − p)·(b − p) ≤ 0`, i.e. `p` lies in the disc with diameter `ab` (a point inside a
    /// triangle always has such a pair, and no parameter is needed). When none do, the farthest
    /// gives way to the nearest labelled point `b` within 1.5 × the k-th distance with
    /// `(b − p)·(n₁ − p) < 0` (`n₁` the nearest), except beyond an end of the series
    /// (`beyond_end`): see [`estimate`](Self::estimate).
    fn surround(
        &self,
        p: [f64; 2],
        mut near: Vec<Neighbour<f64>>,
        beyond_end: bool,
    ) -> (Vec<Neighbour<f64>>, bool) {
        let offset = |i: usize| [self.points[i][0] - p[0], self.points[i][1] - p[1]];
        let dot = |a: [f64; 2], b: [f64; 2]| a[0] * b[0] + a[1] * b[1];
        let surrounds = |near: &[Neighbour<f64>]| {
            near.iter().enumerate().any(|(i, a)| {
                near[i + 1..]
                    .iter()
                    .any(|b| dot(offset(a.index), offset(b.index)) <= 0.0)
            })
        };
        if surrounds(&near) {
            return (near, true);
        }
        if beyond_end {
            return (near, false);
        }
        let (Some(first), Some(last)) = (near.first(), near.last()) else {
            return (near, false);
        };
        let toward = offset(first.index);
        let reach = 1.5 * last.distance;
        let mut within = Vec::new();
        self.index.within_into(p, reach * reach, &mut within);
        let opposite = within
            .into_iter()
            .map(|i| i as usize)
            .filter(|&i| dot(offset(i), toward) < 0.0)
            .map(|i| Neighbour {
                index: i,
                distance: (self.points[i][0] - p[0]).hypot(self.points[i][1] - p[1]),
            })
            .min_by(|a, b| a.distance.total_cmp(&b.distance));
        match opposite {
            // Not among the k nearest, b is no nearer than the last: the order holds.
            Some(b) => {
                near.pop();
                near.push(b);
                (near, true)
            }
            None => (near, false),
        }
    }

    /// Which estimator this is.
    pub fn kind(&self) -> EstimatorKind {
        self.kind
    }

    /// The estimate at `p`. A non-finite `p` is refused with NaN values.
    ///
    /// The local fit rests on the [`neighbours`](SeriesParams::neighbours) nearest labelled
    /// points — unless they all lie on one side of `p`, as on a series that PCA folds into a
    /// curve, where a line through them extrapolates to `p` while its answer can stay within
    /// their values. Then the farthest of them gives way to the nearest labelled point on the
    /// other side of `p` from the nearest one, within the fit's reach (1.5 × the k-th distance,
    /// where the tricube weights end) and not beyond an end of the series (where the nearest
    /// point across is the series' other end if the curve closes on itself). If there is none,
    /// the answer is flagged [`extrapolated`](Answer::extrapolated).
    pub fn estimate(&self, p: [f64; 2]) -> Answer {
        let m = self.values.ncols();
        if !(p[0].is_finite() && p[1].is_finite()) {
            return Answer {
                value: vec![f64::NAN; m],
                by: self.kind,
                extrapolated: false,
                ill_conditioned: false,
                refused: true,
                distance: f64::NAN,
            };
        }
        let k = self.params.neighbours.min(self.points.len());
        let near = self.index.k_nearest(p, k);
        let beyond_end = near.first().is_some_and(|n| self.beyond_end(p, n.index));
        let (near, surrounded) = self.surround(p, near, beyond_end);
        let distance = near.first().map_or(f64::NAN, |n| n.distance);
        let rows: Vec<usize> = near.iter().map(|n| n.index).collect();
        // Tricube weights over 1.5 × the k-th distance: the nearest count most, none counts 0.
        let reach = 1.5 * near.last().map_or(0.0, |n| n.distance);
        let weights: Vec<f64> = near
            .iter()
            .map(|n| {
                if reach > 0.0 {
                    (1.0 - (n.distance / reach).powi(3)).powi(3)
                } else {
                    1.0
                }
            })
            .collect();
        let local = || {
            LinearFit::of(
                &self.points,
                self.values.view(),
                &rows,
                &weights,
                self.params.min_axis_ratio,
            )
        };
        // Whether the labelled points the answer rests on surround p (the global fit rests on
        // all of them: only the series' ends and its values bound it).
        let (mut value, by, ill_conditioned, rests_around) = match self.kind {
            EstimatorKind::Linear => {
                let value = match &self.global {
                    Some(fit) => fit.predict(p),
                    None => local().predict(p),
                };
                (value, EstimatorKind::Linear, false, true)
            }
            EstimatorKind::LocalLinear => (
                local().predict(p),
                EstimatorKind::LocalLinear,
                false,
                surrounded,
            ),
            EstimatorKind::Triangle => {
                let est = self.triangle.estimate(p);
                // A triangle answers when it weighs more than one point; nearly degenerate, it
                // would extrapolate across its thin side: the local fit answers instead.
                let weighs_several = est.weights.iter().filter(|w| **w != 0.0).count() > 1;
                if weighs_several && self.conditioning(est.triangle) < self.params.min_conditioning
                {
                    (
                        local().predict(p),
                        EstimatorKind::LocalLinear,
                        true,
                        surrounded,
                    )
                } else {
                    // A triangle holding p surrounds it; outside every triangle the rule
                    // answers from the nearest point (or extrapolates) and p is judged by its
                    // neighbourhood.
                    let around = est.kind.is_inside() || surrounded;
                    (est.value, EstimatorKind::Triangle, false, around)
                }
            }
        };
        // Not surrounded by the points used, beyond an end of the series, or an answer that
        // leaves the values of the points used (of all, for the global fit, which answers for
        // the whole series).
        let bounds: Vec<(f64, f64)> = if self.kind == EstimatorKind::Linear {
            self.ranges.clone()
        } else {
            value_ranges(self.values.select(Axis(0), &rows).view())
        };
        let beyond_values = value
            .iter()
            .zip(&bounds)
            .any(|(v, (lo, hi))| *v < lo - 1e-9 * (hi - lo) || *v > hi + 1e-9 * (hi - lo));
        // Points of one value answer that value wherever p lies: nothing is carried beyond them.
        let varies = bounds
            .iter()
            .zip(&self.ranges)
            .any(|((lo, hi), (glo, ghi))| hi - lo > 1e-12 * (ghi - glo));
        let extrapolated = (!rests_around && varies) || beyond_end || beyond_values;
        let mut refused = false;
        if extrapolated {
            match self.params.extrapolation {
                Extrapolation::Clamp => {
                    let margin = self.params.extrapolation_margin;
                    for (j, v) in value.iter_mut().enumerate() {
                        let (lo, hi) = bounds[j];
                        *v = v.clamp(lo - margin * (hi - lo), hi + margin * (hi - lo));
                    }
                }
                Extrapolation::Refuse => refused = true,
                Extrapolation::Allow => {}
            }
        }
        Answer {
            value,
            by,
            extrapolated,
            ill_conditioned,
            refused,
            distance,
        }
    }

    /// Twice the area of the triangle of input rows `tri` over its longest edge squared
    /// (0 for a degenerate one).
    fn conditioning(&self, tri: [usize; 3]) -> f64 {
        let [a, b, c] = tri.map(|i| self.points[i]);
        let cross = ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])).abs();
        let edge2 = |p: [f64; 2], q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
        let longest = edge2(a, b).max(edge2(b, c)).max(edge2(a, c));
        if longest > 0.0 { cross / longest } else { 0.0 }
    }
}

/// A weighted linear fit of the values in a frame of the points used.
#[derive(Debug, Clone)]
struct LinearFit {
    frame: Frame,
    /// Per value component: intercept, then one slope per kept axis.
    coefficients: Vec<Vec<f64>>,
}

impl LinearFit {
    fn of(
        points: &[[f64; 2]],
        values: ArrayView2<'_, f64>,
        rows: &[usize],
        weights: &[f64],
        min_axis_ratio: f64,
    ) -> LinearFit {
        let used: Vec<[f64; 2]> = rows.iter().map(|&i| points[i]).collect();
        let mut frame = Frame::of(&used, weights, min_axis_ratio);
        // Two axes need three points off one line; fewer points fit the major axis alone.
        if rows.len() < 3 {
            frame.axes.truncate(1);
        }
        let p = frame.axes.len() + 1;
        // Design rows [1, u_1, (u_2)] with weights; normal equations with a tiny ridge on the
        // slopes (relative to their scale), solved by Gaussian elimination.
        let design: Vec<Vec<f64>> = used
            .iter()
            .map(|&q| {
                std::iter::once(1.0)
                    .chain((0..frame.axes.len()).map(|k| frame.coordinate(q, k)))
                    .collect()
            })
            .collect();
        let mut normal = vec![vec![0.0; p]; p];
        for (x, &w) in design.iter().zip(weights) {
            for a in 0..p {
                for b in 0..p {
                    normal[a][b] += w * x[a] * x[b];
                }
            }
        }
        for (a, row) in normal.iter_mut().enumerate().skip(1) {
            row[a] += 1e-12 * row[a].max(f64::MIN_POSITIVE);
        }
        let m = values.ncols();
        let mut coefficients = Vec::with_capacity(m);
        for j in 0..m {
            let mut rhs = vec![0.0; p];
            for ((x, &w), &i) in design.iter().zip(weights).zip(rows) {
                let v = values[[i, j]];
                for a in 0..p {
                    rhs[a] += w * x[a] * v;
                }
            }
            // Weights are positive (tricube within 1.5 × the k-th distance, or 1).
            let mean = || {
                let total: f64 = weights.iter().sum();
                let s: f64 = rows
                    .iter()
                    .zip(weights)
                    .map(|(&i, &w)| w * values[[i, j]])
                    .sum();
                s / total
            };
            let beta = solve(&normal, &rhs).unwrap_or_else(|| {
                // Singular (all weight on one point): the weighted mean, flat.
                std::iter::once(mean())
                    .chain(std::iter::repeat_n(0.0, p - 1))
                    .collect()
            });
            coefficients.push(beta);
        }
        LinearFit {
            frame,
            coefficients,
        }
    }

    fn predict(&self, q: [f64; 2]) -> Vec<f64> {
        let u: Vec<f64> = (0..self.frame.axes.len())
            .map(|k| self.frame.coordinate(q, k))
            .collect();
        self.coefficients
            .iter()
            .map(|beta| beta[0] + beta[1..].iter().zip(&u).map(|(b, x)| b * x).sum::<f64>())
            .collect()
    }
}

/// Solves `a x = b` (small, dense; [`xrd_core::linalg::solve`]); `None` when singular (a pivot
/// below 10⁻¹⁴ of the largest entry).
fn solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let m: Vec<f64> = a.iter().flatten().copied().collect();
    xrd_core::linalg::solve(&m, b, 1e-14)
}

/// One labelled point estimated from the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRecord {
    /// Row of the labelled point.
    pub index: usize,
    /// Its values.
    pub truth: Vec<f64>,
    /// The estimate from the others.
    pub answer: Answer,
    /// δ of Eq. 3 (NaN when refused).
    pub delta: f64,
}

/// Leave-one-out of one estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesEvaluation {
    /// The estimator.
    pub kind: EstimatorKind,
    /// Its neighbour count ([`SeriesParams::neighbours`]).
    pub neighbours: usize,
    /// One record per labelled point, in row order.
    pub records: Vec<SeriesRecord>,
}

impl SeriesEvaluation {
    fn answered(&self) -> impl Iterator<Item = f64> + '_ {
        self.records
            .iter()
            .map(|r| r.delta)
            .filter(|d| d.is_finite())
    }

    /// Mean δ over the answered points (NaN when none was answered).
    pub fn mean_delta(&self) -> f64 {
        let (n, s) = self
            .answered()
            .fold((0usize, 0.0), |(n, s), d| (n + 1, s + d));
        if n == 0 { f64::NAN } else { s / n as f64 }
    }

    /// Median δ over the answered points.
    pub fn median_delta(&self) -> f64 {
        xrd_core::median(&mut self.answered().collect::<Vec<f64>>())
    }

    /// Largest δ over the answered points.
    pub fn max_delta(&self) -> f64 {
        self.answered().fold(f64::NAN, f64::max)
    }

    /// Points estimated by extrapolation.
    pub fn extrapolated(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.answer.extrapolated)
            .count()
    }

    /// Points whose triangle was ill-conditioned.
    pub fn ill_conditioned(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.answer.ill_conditioned)
            .count()
    }

    /// Points refused.
    pub fn refused(&self) -> usize {
        self.records.iter().filter(|r| r.answer.refused).count()
    }

    /// Answered points with δ above `factor` × the median δ and above `floor` that were not
    /// flagged as extrapolated: wild answers given without warning. (The floor keeps rounding
    /// from counting when most points have a twin of their label and the median is 0.)
    pub fn unflagged_outliers(&self, factor: f64, floor: f64) -> Vec<usize> {
        let threshold = (factor * self.median_delta()).max(floor);
        self.records
            .iter()
            .filter(|r| r.delta > threshold && !r.answer.extrapolated)
            .map(|r| r.index)
            .collect()
    }
}

/// What [`SeriesParams::choose`] measured and chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The estimator of lowest leave-one-out mean δ.
    pub chosen: EstimatorKind,
    /// The parameters it was evaluated with (its neighbour count).
    pub params: SeriesParams,
    /// Leave-one-out of each estimator (and neighbour count), in the order tried.
    pub evaluations: Vec<SeriesEvaluation>,
    /// Mean δ of predicting each point by the mean of the others.
    pub mean_predictor_delta: f64,
}

impl Selection {
    /// The best evaluation of `kind` (lowest mean δ over its neighbour counts).
    pub fn evaluation(&self, kind: EstimatorKind) -> Option<&SeriesEvaluation> {
        self.evaluations
            .iter()
            .filter(|e| e.kind == kind)
            .min_by(|a, b| a.mean_delta().total_cmp(&b.mean_delta()))
    }

    /// Fits the chosen estimator on all of `points` and `values`.
    ///
    /// # Errors
    /// As [`SeriesParams::fit`].
    pub fn fit(
        &self,
        points: ArrayView2<'_, f64>,
        values: ArrayView2<'_, f64>,
    ) -> Result<SeriesEstimator> {
        self.params.fit(self.chosen, points, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_matches_a_known_system() {
        let x = solve(&[vec![2.0, 1.0], vec![1.0, 3.0]], &[3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(&[vec![1.0, 2.0], vec![2.0, 4.0]], &[1.0, 2.0]).is_none());
    }
}
