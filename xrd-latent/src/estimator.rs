//! The nearest-triangle estimator of Utimula et al. 2022, Sec. III.A.

use std::sync::OnceLock;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::{Float, NonFinite};

use crate::geometry::{
    PREFILTER_ROUNDING, barycentric, canonical, clearly_outside, enclosing, orientation,
    paper_labels, surely_apart,
};
use crate::kdtree::{KdTree, Neighbours};
use crate::params::{MAX_NEIGHBOURS, OutsideRule, ROUNDING_SLACK, TriangleParams};
use crate::{Error, Result};

/// How an [`Estimate`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum EstimateKind<F = f64> {
    /// The three nearest known points enclose P (the paper's case), or P is a known point.
    Inside,
    /// The three nearest do not enclose P, but another triangle of the `k` nearest does.
    InsideKNearest,
    /// No triangle of the `k` nearest known points encloses P; the value follows the
    /// configured [`OutsideRule`].
    Outside {
        /// Distance from P to the nearest known point.
        distance: F,
    },
}

impl<F> EstimateKind<F> {
    /// Whether P lies inside the triangle used (either inside kind).
    pub fn is_inside(&self) -> bool {
        !matches!(self, Self::Outside { .. })
    }
}

/// The estimate at one point P.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate<F = f64> {
    /// Estimated values `Q_P` (one per value column), `Σ weights[i] · Q[triangle[i]]`, summed
    /// with the vertices in their canonical order (by x, then y) so that the value is the
    /// triangle's whatever its labelling; with the nearest-point rule outside, the nearest
    /// point's values themselves.
    pub value: Vec<F>,
    /// Rows of the known points used, labelled `[A, B, C]` by the paper's inner-product rule
    /// when P is inside (see the crate docs). For a known point or the nearest-point rule,
    /// `triangle[0]` is that point and the other two are the next nearest.
    pub triangle: [usize; 3],
    /// Weights `[1 − s − t, s, t]` of `[A, B, C]` (Eq. 1-2). They sum to 1; inside they are
    /// in `[0, 1]`; extrapolated outside estimates may have negative weights.
    pub weights: [F; 3],
    /// How the estimate was obtained.
    pub kind: EstimateKind<F>,
    /// Distance from P to the nearest known point (for every kind; the refusal score).
    pub distance: F,
}

/// What one query resolved to, before values are gathered (no allocation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Core<F> {
    /// Indices of distinct points, labelled.
    pub(crate) tri: [u32; 3],
    pub(crate) w: [F; 3],
    /// The positions in `tri` of its vertices in their canonical order (the order the value
    /// is summed in).
    pub(crate) canon: [usize; 3],
    pub(crate) kind: EstimateKind<F>,
    pub(crate) distance: F,
}

/// Per-thread scratch space of the queries.
#[derive(Debug, Clone)]
pub(crate) struct Scratch<F> {
    pub(crate) nb: Neighbours<F>,
}

/// Value estimation in a 2-D plane from the triangle of nearby known points
/// (Utimula et al. 2022, Sec. III.A, Eq. 1-2), with the fallbacks, refusal, painting and
/// inverse look-up described in the crate docs.
///
/// ```
/// use ndarray::array;
/// use xrd_latent::{EstimateKind, TriangleEstimator};
///
/// let points = array![[0.0_f64, 0.0], [1.0, 0.0], [0.0, 1.0]];
/// let values = array![[10.0], [20.0], [30.0]];
/// let est = TriangleEstimator::params().fit(points.view(), values.view())?;
/// let e = est.estimate([0.25, 0.25]);
/// assert!((e.value[0] - 17.5).abs() < 1e-12);
/// assert_eq!(e.kind, EstimateKind::Inside);
/// # Ok::<(), xrd_latent::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TriangleEstimator<F = f64> {
    params: TriangleParams,
    points: Vec<[F; 2]>,
    values: Vec<F>,
    rows: Vec<usize>,
    m: usize,
    index: KdTree<F>,
    edge_tol: F,
    collinear_tol: F,
    /// Local triangles searched by `locate`, built on first use.
    pub(crate) candidates: OnceLock<Vec<[u32; 3]>>,
}

impl TriangleEstimator {
    /// Default hyper-parameters, to adjust and then [`fit`](TriangleParams::fit).
    pub fn params() -> TriangleParams {
        TriangleParams::default()
    }
}

impl<F: Float> TriangleEstimator<F> {
    pub(crate) fn from_checked(
        params: TriangleParams,
        points: ArrayView2<'_, F>,
        values: ArrayView2<'_, F>,
    ) -> Result<Self> {
        let n = points.nrows();
        if points.ncols() != 2 {
            return Err(Error::shape(
                "points",
                "n × 2",
                format!("{n} × {}", points.ncols()),
            ));
        }
        if values.nrows() != n || values.ncols() == 0 {
            return Err(Error::shape(
                "values",
                format!("{n} × m with m ≥ 1"),
                format!("{} × {}", values.nrows(), values.ncols()),
            ));
        }
        for ((row, col), v) in points.indexed_iter() {
            if !v.is_finite() {
                return Err(NonFinite::cell("point coordinate", row, col, v.as_f64()).into());
            }
        }
        for ((row, col), v) in values.indexed_iter() {
            if !v.is_finite() {
                return Err(NonFinite::cell("value", row, col, v.as_f64()).into());
            }
        }
        let m = values.ncols();
        // `+ 0` turns −0 into +0 so that equal points sort next to each other.
        let pt = |i: usize| [points[[i, 0]] + F::zero(), points[[i, 1]] + F::zero()];
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (pt(i), pt(j));
            a.partial_cmp(&b)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(i.cmp(&j))
        });
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &i in &order {
            match groups.last_mut() {
                Some(g) if pt(g[0]) == pt(i) => g.push(i),
                _ => groups.push(vec![i]),
            }
        }
        if groups.len() < 3 {
            return Err(Error::TooFewPoints {
                distinct: groups.len(),
            });
        }
        // Keep the input order of first appearance so indices are stable and predictable.
        groups.sort_by_key(|g| g[0]);
        let mut uniq = Vec::with_capacity(groups.len());
        let mut vals = Vec::with_capacity(groups.len() * m);
        let mut rows = Vec::with_capacity(groups.len());
        for g in &groups {
            uniq.push(pt(g[0]));
            rows.push(g[0]);
            let count = F::of_usize(g.len());
            for j in 0..m {
                let sum: F = g.iter().map(|&i| values[[i, j]]).sum();
                vals.push(if g.len() == 1 { sum } else { sum / count });
            }
        }
        let index = KdTree::new(&uniq)?;
        let slack = F::of(ROUNDING_SLACK) * F::epsilon();
        Ok(Self {
            edge_tol: F::of(params.get_edge_tolerance()).max(slack),
            collinear_tol: F::of(params.get_collinear_tolerance()).max(slack),
            params,
            points: uniq,
            values: vals,
            rows,
            m,
            index,
            candidates: OnceLock::new(),
        })
    }

    /// The hyper-parameters this estimator was fitted with.
    pub fn fitted_with(&self) -> &TriangleParams {
        &self.params
    }

    /// Number of distinct known points (duplicates merged).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Always `false`: a fitted estimator has at least three distinct points.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of value components `m`.
    pub fn n_values(&self) -> usize {
        self.m
    }

    /// The distinct known points, in order of first appearance.
    pub fn points(&self) -> &[[F; 2]] {
        &self.points
    }

    /// The values of the distinct known points (`len() × m`; duplicates averaged).
    pub fn values(&self) -> ArrayView2<'_, F> {
        ArrayView2::from_shape((self.points.len(), self.m), &self.values)
            .unwrap_or_else(|_| unreachable!("values are stored len × m"))
    }

    /// The input row that each distinct point stands for.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// The nearest-neighbour index over the distinct points.
    pub fn index(&self) -> &KdTree<F> {
        &self.index
    }

    pub(crate) fn scratch(&self) -> Scratch<F> {
        Scratch {
            nb: Neighbours::with_capacity(self.params.get_neighbours()),
        }
    }

    pub(crate) fn value_row(&self, i: u32) -> &[F] {
        let i = i as usize;
        &self.values[i * self.m..(i + 1) * self.m]
    }

    /// The effective edge tolerance (barycentric units).
    pub(crate) fn edge_tolerance(&self) -> F {
        self.edge_tol
    }

    /// The effective degeneracy threshold of triangles.
    pub(crate) fn collinear_tolerance(&self) -> F {
        self.collinear_tol
    }

    pub(crate) fn point(&self, i: u32) -> [F; 2] {
        self.points[i as usize]
    }

    /// Estimates the values at `p`.
    ///
    /// Never fails and never returns NaN for finite `p`; a non-finite `p` gives an
    /// [`EstimateKind::Outside`] estimate whose values and distance are NaN.
    pub fn estimate(&self, p: [F; 2]) -> Estimate<F> {
        let mut scratch = self.scratch();
        let core = self.core(p, &mut scratch);
        self.assemble(&core)
    }

    /// Estimates at every row of `points` (n × 2), in parallel.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `points` has two columns.
    pub fn estimate_all(&self, points: ArrayView2<'_, F>) -> Result<Vec<Estimate<F>>> {
        if points.ncols() != 2 {
            return Err(Error::shape(
                "query points",
                "n × 2",
                format!("{} × {}", points.nrows(), points.ncols()),
            ));
        }
        Ok((0..points.nrows())
            .into_par_iter()
            .map_init(
                || self.scratch(),
                |s, i| {
                    let core = self.core([points[[i, 0]], points[[i, 1]]], s);
                    self.assemble(&core)
                },
            )
            .collect())
    }

    /// Estimated values only, n × m (NaN rows for non-finite query points).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `points` has two columns.
    pub fn predict(&self, points: ArrayView2<'_, F>) -> Result<Array2<F>> {
        let all = self.estimate_all(points)?;
        let mut out = Array2::zeros((all.len(), self.m));
        for (mut row, e) in out.outer_iter_mut().zip(&all) {
            for (o, v) in row.iter_mut().zip(&e.value) {
                *o = *v;
            }
        }
        Ok(out)
    }

    pub(crate) fn assemble(&self, core: &Core<F>) -> Estimate<F> {
        let mut value = vec![F::zero(); self.m];
        self.values_into(core, &mut value);
        Estimate {
            value,
            triangle: core.tri.map(|i| self.rows[i as usize]),
            weights: core.w,
            kind: core.kind,
            distance: core.distance,
        }
    }

    /// Writes `Σ w_i Q_i` into `out` (length m), summed with the vertices in their
    /// [`canonical`] order: the value is the triangle's, whatever its labelling. The
    /// nearest-point rule's answer outside is the nearest point's values themselves (NaN for
    /// a query that is not finite).
    #[inline]
    pub(crate) fn values_into(&self, core: &Core<F>, out: &mut [F]) {
        if !core.kind.is_inside()
            && self.params.get_outside() == OutsideRule::Nearest
            && !core.distance.is_nan()
        {
            out.copy_from_slice(self.value_row(core.tri[0]));
            return;
        }
        let o = core.canon;
        mix(
            o.map(|k| core.w[k]),
            o.map(|k| self.value_row(core.tri[k])),
            out,
        );
    }

    /// Resolves `p` to a labelled triangle and weights. The heart of the crate.
    pub(crate) fn core(&self, p: [F; 2], scratch: &mut Scratch<F>) -> Core<F> {
        if !(p[0].is_finite() && p[1].is_finite()) {
            let nan = F::nan();
            return Core {
                tri: [0, 1, 2],
                w: [nan; 3],
                canon: [0, 1, 2],
                kind: EstimateKind::Outside { distance: nan },
                distance: nan,
            };
        }
        self.index
            .knn_into(p, self.params.get_neighbours(), &mut scratch.nb);
        self.decide(p, &scratch.nb)
    }

    /// The decision of [`core`](Self::core) once the k nearest of a finite `p` are known.
    pub(crate) fn decide(&self, p: [F; 2], nb: &Neighbours<F>) -> Core<F> {
        let (zero, one) = (F::zero(), F::one());
        let ids = &nb.ids;
        let d2 = &nb.d2;
        if d2[0] == zero {
            let tri = [ids[0], ids[1], ids[2]];
            return Core {
                tri,
                w: [one, zero, zero],
                canon: self.canonical_of(tri),
                kind: EstimateKind::Inside,
                distance: zero,
            };
        }
        let distance = d2[0].sqrt();
        let neg_tol = -self.edge_tol;
        // The neighbours' coordinates, gathered once for the triangle search.
        let mut v = [[zero; 2]; MAX_NEIGHBOURS];
        for (slot, &i) in v.iter_mut().zip(ids) {
            *slot = self.point(i);
        }
        let v = &v[..nb.len().min(MAX_NEIGHBOURS)];
        let bary =
            |a: usize, b: usize, c: usize| barycentric(v[a], v[b], v[c], p, self.collinear_tol);
        let min3 = |l: [F; 3]| l[0].min(l[1]).min(l[2]);

        // The paper's rule: the three nearest points.
        let mut extrapolate: Option<([usize; 3], [F; 3], F)> = None;
        if let Some(l) = bary(0, 1, 2) {
            let worst = min3(l);
            if worst >= neg_tol {
                return self.labelled(
                    [ids[0], ids[1], ids[2]],
                    l,
                    p,
                    EstimateKind::Inside,
                    distance,
                );
            }
            extrapolate = Some(([0, 1, 2], l, worst));
        }

        // A triangle of the k nearest can only enclose P if P lies in their convex hull; when
        // it clearly does not (the usual case beyond the data), skip the C(k, 3) search.
        // Fallback: the best enclosing triangle among the k nearest. Triangles are visited by
        // increasing rank of their farthest vertex c, so the first c with an enclosing triangle
        // gives the smallest disc around P; among those, the smallest sum of squared vertex
        // distances wins.
        let extrapolating = self.params.get_outside() == OutsideRule::Extrapolate;
        if !extrapolating {
            if clearly_outside(p, v.iter().copied(), self.edge_tol) {
                return self.nearest_core([ids[0], ids[1], ids[2]], distance);
            }
            let mut search = RankSearch::new(p, v, &d2[..v.len()]);
            for c in 3..v.len() {
                let (tol, collinear) = (self.edge_tol, self.collinear_tol);
                if let Some((t, l)) = search.at_rank(c, v, d2, p, collinear, tol, |_| {}) {
                    let tri = t.map(|r| ids[r]);
                    return self.labelled(tri, l, p, EstimateKind::InsideKNearest, distance);
                }
            }
            return self.nearest_core([ids[0], ids[1], ids[2]], distance);
        }
        // Extrapolating, every triangle's coordinates are needed: the least outside one
        // answers when none encloses P.
        let mut best: Option<([usize; 3], [F; 3], F)> = None;
        for c in 3..v.len() {
            for b in 1..c {
                for a in 0..b {
                    let Some(l) = bary(a, b, c) else { continue };
                    let worst = min3(l);
                    if worst >= neg_tol {
                        let spread = d2[a] + d2[b];
                        if best.is_none_or(|(_, _, s)| spread < s) {
                            best = Some(([a, b, c], l, spread));
                        }
                    } else if extrapolate.is_none_or(|(_, _, w)| worst > w) {
                        extrapolate = Some(([a, b, c], l, worst));
                    }
                }
            }
            if let Some(([a, b, c], l, _)) = best {
                let tri = [ids[a], ids[b], ids[c]];
                return self.labelled(tri, l, p, EstimateKind::InsideKNearest, distance);
            }
        }

        let kind = EstimateKind::Outside { distance };
        match (self.params.get_outside(), extrapolate) {
            (OutsideRule::Extrapolate, Some(([a, b, c], l, _))) => {
                self.labelled([ids[a], ids[b], ids[c]], l, p, kind, distance)
            }
            _ => self.nearest_core([ids[0], ids[1], ids[2]], distance),
        }
    }

    /// Orders the triangle `[A, B, C]` by the paper's inner-product rule and permutes the
    /// barycentric coordinates with it. Eq. 2 is the unique affine interpolant on the
    /// triangle, so the labelling changes the reported order, not the value: coordinates and
    /// values are computed in the vertices' canonical order, so not even its rounding does.
    /// Inside, the coordinates (≥ −tolerance) are clipped at 0 and renormalised so weights
    /// are a convex combination (exact sums of the same numbers in any order, since one
    /// clipped weight is 0).
    pub(crate) fn labelled(
        &self,
        tri: [u32; 3],
        l: [F; 3],
        p: [F; 2],
        kind: EstimateKind<F>,
        distance: F,
    ) -> Core<F> {
        let v = tri.map(|i| self.point(i));
        let order = paper_labels(v, p);
        Self::labelled_by(order, canonical(&v), tri, l, kind, distance)
    }

    /// [`labelled`](Self::labelled) with the labelling `order` and the canonical order
    /// `canon` (positions in `tri`) already known.
    #[inline]
    pub(crate) fn labelled_by(
        order: [usize; 3],
        canon: [usize; 3],
        tri: [u32; 3],
        l: [F; 3],
        kind: EstimateKind<F>,
        distance: F,
    ) -> Core<F> {
        let w = if kind.is_inside() {
            inside_weights(order, l)
        } else {
            order.map(|k| l[k])
        };
        // Where each vertex goes in the labelled order.
        let mut at = [0; 3];
        for (j, &k) in order.iter().enumerate() {
            at[k] = j;
        }
        Core {
            tri: order.map(|k| tri[k]),
            w,
            canon: canon.map(|k| at[k]),
            kind,
            distance,
        }
    }

    /// The positions in `tri` of its vertices in their canonical order.
    #[inline]
    pub(crate) fn canonical_of(&self, tri: [u32; 3]) -> [usize; 3] {
        canonical(&tri.map(|i| self.point(i)))
    }

    /// The nearest-point answer at `distance` from the three nearest `tri` (in order): weight
    /// 1 on the nearest. (Its value is the nearest point's row under the nearest-point rule;
    /// the canonical order matters only to the extrapolating rule's fallback to it.)
    #[inline]
    pub(crate) fn nearest_core(&self, tri: [u32; 3], distance: F) -> Core<F> {
        let canon = if self.params.get_outside() == OutsideRule::Nearest {
            [0, 1, 2]
        } else {
            self.canonical_of(tri)
        };
        Core {
            tri,
            w: [F::one(), F::zero(), F::zero()],
            canon,
            kind: EstimateKind::Outside { distance },
            distance,
        }
    }
}

/// The fallback's search, rank by rank, for the rule without extrapolation (see
/// [`TriangleEstimator::decide`]): P's orientations against pairs of its nearest reject most
/// triangles before [`enclosing`] (see [`surely_apart`]). Shared by `decide` and the painter's
/// cells, so both search alike.
pub(crate) struct RankSearch {
    p64: [f64; 2],
    v64: [[f64; 2]; MAX_NEIGHBOURS],
    apart_by: f64,
    /// P's orientation against `v64[i] → v64[c]`, for the rank c at hand.
    to_c: [f64; MAX_NEIGHBOURS],
}

impl RankSearch {
    /// The search around `p` among its nearest `v` (squared distances `d2`, ascending).
    pub(crate) fn new<F: Float>(p: [F; 2], v: &[[F; 2]], d2: &[F]) -> Self {
        let mut v64 = [[0.0; 2]; MAX_NEIGHBOURS];
        for (slot, q) in v64.iter_mut().zip(v) {
            *slot = [q[0].as_f64(), q[1].as_f64()];
        }
        let r2 = d2.iter().fold(0.0_f64, |m, x| m.max(x.as_f64()));
        Self {
            p64: [p[0].as_f64(), p[1].as_f64()],
            v64,
            apart_by: PREFILTER_ROUNDING * F::epsilon().as_f64().max(f64::EPSILON) * r2,
            to_c: [0.0; MAX_NEIGHBOURS],
        }
    }

    /// Of the triangles `(a, b, c)`, `a < b < c`, that enclose `p` within `tol`, the one of
    /// smallest spread `d2[a] + d2[b]` (the first on ties), with its coordinates. `seen` is
    /// told for every pair, `b` outer and `a` inner, whether its triangle encloses `p`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn at_rank<F: Float>(
        &mut self,
        c: usize,
        v: &[[F; 2]],
        d2: &[F],
        p: [F; 2],
        collinear: F,
        tol: F,
        mut seen: impl FnMut(bool),
    ) -> Option<([usize; 3], [F; 3])> {
        let (p64, tol64) = (self.p64, tol.as_f64());
        for i in 0..c {
            self.to_c[i] = orientation(self.v64[i], self.v64[c], p64);
        }
        let mut best: Option<([usize; 3], [F; 3], F)> = None;
        for b in 1..c {
            for a in 0..b {
                let ab = orientation(self.v64[a], self.v64[b], p64);
                let apart = surely_apart([ab, self.to_c[b], -self.to_c[a]], tol64, self.apart_by);
                let found = if apart {
                    None
                } else {
                    enclosing(v[a], v[b], v[c], p, collinear, tol)
                };
                seen(found.is_some());
                let Some(l) = found else { continue };
                let spread = d2[a] + d2[b];
                if best.is_none_or(|(_, _, s)| spread < s) {
                    best = Some(([a, b, c], l, spread));
                }
            }
        }
        best.map(|(t, l, _)| (t, l))
    }
}

/// `Σ w_i Q_i` into `out`: the value of an estimate from its weights and its vertices' value
/// rows (length m each).
#[inline]
pub(crate) fn mix<F: Float>([wa, wb, wc]: [F; 3], [a, b, c]: [&[F]; 3], out: &mut [F]) {
    // Slices of one length let the compiler drop the index checks.
    let n = out.len().min(a.len()).min(b.len()).min(c.len());
    let (out, a, b, c) = (&mut out[..n], &a[..n], &b[..n], &c[..n]);
    for j in 0..n {
        out[j] = wa * a[j] + wb * b[j] + wc * c[j];
    }
}

/// The weights of an inside estimate: the barycentric coordinates `l` in the labelling
/// `order`, clipped at 0 and renormalised when one is negative (within the edge tolerance), so
/// that they are a convex combination.
#[inline]
pub(crate) fn inside_weights<F: Float>(order: [usize; 3], l: [F; 3]) -> [F; 3] {
    let w = order.map(|k| l[k]);
    if w.iter().any(|&x| x < F::zero()) {
        let w = w.map(|x| x.max(F::zero()));
        let sum = w[0] + w[1] + w[2];
        w.map(|x| x / sum)
    } else {
        w
    }
}

impl<'a, F: Float> xrd_core::Predict<ArrayView2<'a, F>, Array2<F>> for TriangleEstimator<F> {
    type Error = Error;

    fn predict(&self, points: ArrayView2<'a, F>) -> Result<Array2<F>> {
        TriangleEstimator::predict(self, points)
    }
}
