//! Hyper-parameters of [`TriangleEstimator`](crate::TriangleEstimator) and their defaults.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::{Error, Result, TriangleEstimator};

/// Default number of nearest known points searched for an enclosing triangle (`k`).
///
/// The paper's three nearest enclose only about a quarter of the points inside uniformly
/// scattered data; on 150 (400) uniform points, the share of interior queries left without
/// an enclosing triangle is 4.8 % (8.7 %) at k = 8, 0.04 % (1.2 %) at k = 12 and 0 % (0.07 %)
/// at k = 16.
pub const DEFAULT_NEIGHBOURS: usize = 16;
/// Largest accepted `k`: the fallback tries up to C(k, 3) triangles (4,960 at 32).
pub const MAX_NEIGHBOURS: usize = 32;
/// Default tolerance on the barycentric coordinates: P counts as inside when
/// `s, t ≥ −tol` and `s + t ≤ 1 + tol`. Barycentric units, so independent of the plane's scale.
pub const DEFAULT_EDGE_TOLERANCE: f64 = 1e-9;
/// Default degeneracy threshold: a triangle is treated as collinear when
/// `|x_AB × x_AC| ≤ tol · (longest edge)²` (the left side is twice its area; an equilateral
/// triangle scores √3/2 ≈ 0.87, a needle with apex angle θ about θ).
pub const DEFAULT_COLLINEAR_TOLERANCE: f64 = 1e-10;
/// Default tolerance of [`locate`](crate::TriangleEstimator::locate), relative to each target
/// component's range over the known values.
pub const DEFAULT_LOCATE_TOLERANCE: f64 = 1e-6;
/// Both geometric tolerances are raised to at least this many machine epsilons of the float
/// type, so `f32` estimators do not reject points lying on an edge because of rounding.
pub const ROUNDING_SLACK: f64 = 16.0;

/// What to answer for a point that no triangle of its `k` nearest known points contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OutsideRule {
    /// The value of the nearest known point (weights `[1, 0, 0]`): bounded, never extrapolates.
    #[default]
    Nearest,
    /// Linear extrapolation (Eq. 2 with unconstrained `s`, `t`) from the non-degenerate triangle
    /// of the `k` nearest whose smallest barycentric coordinate is largest, i.e. the triangle P
    /// is "least outside" of. With smallest coordinate `−e`, every weight lies in `[−e, 1 + 2e]`,
    /// so this choice minimises the amplification of the known values. Falls back to
    /// [`OutsideRule::Nearest`] when all those triangles are degenerate. Costs a search of all
    /// C(k, 3) triangles per outside point (560 at k = 16), which `Nearest` skips.
    Extrapolate,
}

/// Hyper-parameters of [`TriangleEstimator`]; build with [`TriangleEstimator::params`].
///
/// | parameter | default | valid |
/// |---|---|---|
/// | [`neighbours`](Self::neighbours) `k` | [`DEFAULT_NEIGHBOURS`] = 16 | `3 ≤ k ≤` [`MAX_NEIGHBOURS`] |
/// | [`edge_tolerance`](Self::edge_tolerance) | [`DEFAULT_EDGE_TOLERANCE`] = 1e-9 | finite, `0 ≤ tol ≤ 0.1` |
/// | [`collinear_tolerance`](Self::collinear_tolerance) | [`DEFAULT_COLLINEAR_TOLERANCE`] = 1e-10 | finite, `0 ≤ tol < 0.5` |
/// | [`outside`](Self::outside) | [`OutsideRule::Nearest`] | any |
/// | [`locate_tolerance`](Self::locate_tolerance) | [`DEFAULT_LOCATE_TOLERANCE`] = 1e-6 | finite, `> 0` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriangleParams {
    neighbours: usize,
    edge_tolerance: f64,
    collinear_tolerance: f64,
    outside: OutsideRule,
    locate_tolerance: f64,
}

impl Default for TriangleParams {
    fn default() -> Self {
        Self {
            neighbours: DEFAULT_NEIGHBOURS,
            edge_tolerance: DEFAULT_EDGE_TOLERANCE,
            collinear_tolerance: DEFAULT_COLLINEAR_TOLERANCE,
            outside: OutsideRule::default(),
            locate_tolerance: DEFAULT_LOCATE_TOLERANCE,
        }
    }
}

xrd_core::param_guard!(Error => TriangleParams);

impl TriangleParams {
    xrd_core::setters! {
        /// Number `k` of nearest known points among which an enclosing triangle is sought when the
        /// three nearest do not enclose P.
        neighbours, get_neighbours: usize;

        /// Tolerance on the barycentric coordinates for "inside" (see [`DEFAULT_EDGE_TOLERANCE`]).
        edge_tolerance, get_edge_tolerance: f64;

        /// Degeneracy threshold for triangles (see [`DEFAULT_COLLINEAR_TOLERANCE`]).
        collinear_tolerance, get_collinear_tolerance: f64;

        /// Answer for points outside every candidate triangle.
        outside, get_outside: OutsideRule;

        /// Relative tolerance of the inverse look-up (see [`DEFAULT_LOCATE_TOLERANCE`]).
        locate_tolerance, get_locate_tolerance: f64;
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid parameter.
    pub fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::param(name, crate::error::reason(value, reason)))
        };
        if !(3..=MAX_NEIGHBOURS).contains(&self.neighbours) {
            return bad("neighbours", self.neighbours.to_string(), "need 3 ≤ k ≤ 32");
        }
        if !(self.edge_tolerance.is_finite() && (0.0..=0.1).contains(&self.edge_tolerance)) {
            return bad(
                "edge_tolerance",
                self.edge_tolerance.to_string(),
                "need a finite value in [0, 0.1]",
            );
        }
        if !(self.collinear_tolerance.is_finite()
            && self.collinear_tolerance >= 0.0
            && self.collinear_tolerance < 0.5)
        {
            return bad(
                "collinear_tolerance",
                self.collinear_tolerance.to_string(),
                "need a finite value in [0, 0.5)",
            );
        }
        if !(self.locate_tolerance.is_finite() && self.locate_tolerance > 0.0) {
            return bad(
                "locate_tolerance",
                self.locate_tolerance.to_string(),
                "need a finite value > 0",
            );
        }
        Ok(())
    }

    /// Checks the parameters and fits an estimator on `points` (n × 2) with `values` (n × m).
    ///
    /// Points with identical coordinates are merged: their values are averaged and the first
    /// row represents them in [`Estimate::triangle`](crate::Estimate::triangle).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`], [`Error::ShapeMismatch`] (points not n × 2, values not n × m with m ≥ 1),
    /// [`Error::NonFinite`], [`Error::TooFewPoints`] (fewer than 3 distinct points).
    pub fn fit<F: Float>(
        &self,
        points: ArrayView2<'_, F>,
        values: ArrayView2<'_, F>,
    ) -> Result<TriangleEstimator<F>> {
        xrd_core::Fit::fit(self, (points, values))
    }
}

impl<'a, 'b, F: Float> xrd_core::Fit<(ArrayView2<'a, F>, ArrayView2<'b, F>)> for TriangleParams {
    type Object = TriangleEstimator<F>;

    /// Fits `data = (points, values)`: known points (n × 2) and their values (n × m); the fit of
    /// [`TriangleParams::fit`].
    fn fit_checked(
        params: &xrd_core::Checked<Self>,
        (points, values): (ArrayView2<'a, F>, ArrayView2<'b, F>),
    ) -> Result<TriangleEstimator<F>> {
        TriangleEstimator::from_checked(TriangleParams::clone(params), points, values)
    }
}
