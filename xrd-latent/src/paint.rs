//! Painting the plane: the estimate over a rectangular grid (the paper's Fig. 4).

use ndarray::{Array2, Array3, Zip};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::cells::CellPainter;
use crate::estimator::{Core, Scratch};
use crate::geometry::{FixedTriangle, barycentric, enclosing};
use crate::tile::{IN, MAX_TABLE, OUT, TileGeometry};
use crate::{Error, EstimateKind, OutsideRule, RefusalPolicy, Result, TriangleEstimator};

/// A rectangular grid of query points: `nx` columns spaced evenly over `[x_min, x_max]` and
/// `ny` rows over `[y_min, y_max]`, both ends included (like `numpy.linspace`). A single
/// column (row) sits at `x_min` (`y_min`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PaintGrid {
    /// Left edge (first column).
    pub x_min: f64,
    /// Right edge (last column).
    pub x_max: f64,
    /// Bottom edge (first row).
    pub y_min: f64,
    /// Top edge (last row).
    pub y_max: f64,
    /// Number of columns.
    pub nx: usize,
    /// Number of rows.
    pub ny: usize,
}

xrd_core::param_guard!(Error => PaintGrid);

impl PaintGrid {
    /// A checked grid over `x = [x_min, x_max]`, `y = [y_min, y_max]`.
    ///
    /// # Errors
    /// See [`check`](Self::check).
    pub fn new(x: [f64; 2], y: [f64; 2], nx: usize, ny: usize) -> Result<Self> {
        let grid = Self {
            x_min: x[0],
            x_max: x[1],
            y_min: y[0],
            y_max: y[1],
            nx,
            ny,
        };
        grid.check()?;
        Ok(grid)
    }

    /// The bounding box of `points` widened by `margin` × its size on every side.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for no points, [`Error::InvalidParameter`] for a negative or non-finite
    /// margin or a box without area, plus the errors of [`check`](Self::check).
    pub fn around<F: Float>(points: &[[F; 2]], margin: f64, nx: usize, ny: usize) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::shape("points", "at least 1 point", "0"));
        }
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(Error::param(
                "margin",
                crate::error::reason(margin.to_string(), "need a finite value ≥ 0"),
            ));
        }
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in points {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d].as_f64());
                hi[d] = hi[d].max(p[d].as_f64());
            }
        }
        let pad = [(hi[0] - lo[0]) * margin, (hi[1] - lo[1]) * margin];
        Self::new(
            [lo[0] - pad[0], hi[0] + pad[0]],
            [lo[1] - pad[1], hi[1] + pad[1]],
            nx,
            ny,
        )
    }

    /// Validates the grid.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite bound, `nx` or `ny` of 0, or `min > max`
    /// (`min == max` is allowed only with a single column/row).
    pub fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::param(name, crate::error::reason(value, reason)))
        };
        for (name, v) in [
            ("x_min", self.x_min),
            ("x_max", self.x_max),
            ("y_min", self.y_min),
            ("y_max", self.y_max),
        ] {
            if !v.is_finite() {
                return bad(name, v.to_string(), "need a finite bound");
            }
        }
        if self.nx == 0 {
            return bad("nx", "0".into(), "need at least one column");
        }
        if self.ny == 0 {
            return bad("ny", "0".into(), "need at least one row");
        }
        if self.x_min > self.x_max || (self.x_min == self.x_max && self.nx > 1) {
            return bad(
                "x_max",
                self.x_max.to_string(),
                "need x_max > x_min (or one column)",
            );
        }
        if self.y_min > self.y_max || (self.y_min == self.y_max && self.ny > 1) {
            return bad(
                "y_max",
                self.y_max.to_string(),
                "need y_max > y_min (or one row)",
            );
        }
        Ok(())
    }

    /// x of column `i`.
    pub fn x(&self, i: usize) -> f64 {
        lin(self.x_min, self.x_max, self.nx, i)
    }

    /// y of row `j`.
    pub fn y(&self, j: usize) -> f64 {
        lin(self.y_min, self.y_max, self.ny, j)
    }
}

fn lin(lo: f64, hi: f64, n: usize, i: usize) -> f64 {
    if n < 2 || i == 0 {
        lo
    } else if i == n - 1 {
        hi
    } else {
        lo + (hi - lo) * (i as f64 / (n - 1) as f64)
    }
}

/// A painted map: the estimate at every grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct Painted<F = f64> {
    /// The grid painted.
    pub grid: PaintGrid,
    /// Column coordinates (`nx`).
    pub x: Vec<F>,
    /// Row coordinates (`ny`).
    pub y: Vec<F>,
    /// Estimated values, `ny × nx × m` (row j, column i is the point `(x[i], y[j])`).
    pub values: Array3<F>,
    /// Coverage mask, `ny × nx`: `true` where P lies inside a triangle of known points
    /// ([`EstimateKind::is_inside`](crate::EstimateKind::is_inside)).
    pub covered: Array2<bool>,
    /// Distance from each grid point to the nearest known point, `ny × nx`.
    pub distance: Array2<F>,
}

impl<F: Float> Painted<F> {
    /// Fraction of grid points covered.
    pub fn coverage(&self) -> f64 {
        let n = self.covered.len();
        self.covered.iter().filter(|&&c| c).count() as f64 / n as f64
    }

    /// Where `policy` would answer, `ny × nx`.
    pub fn accepted(&self, policy: &RefusalPolicy) -> Array2<bool> {
        let mut out = self.covered.clone();
        Zip::from(&mut out).and(&self.distance).for_each(|o, &d| {
            *o = (*o || !policy.refuse_outside) && d.as_f64() <= policy.max_distance;
        });
        out
    }
}

/// `n` copies of `value`, written by the pool's threads: the allocator hands a repeated paint
/// the last map's memory, which `vec!` would clear on one thread (2.1 ms of a 1000 × 1000
/// map's 19 ms on two Zen 2 cores).
fn filled<T: Copy + Send + Sync>(n: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(value, n));
    v
}

/// Rows of a tile, and of the band of rows one rayon task paints.
const TILE_ROWS: usize = 16;
/// Rows of the band one rayon task paints by cells (a cell is clipped to its band).
const CELL_ROWS: usize = 128;
/// Columns of a tile.
const TILE_COLS: usize = 16;
/// Triangle searches remembered per tile.
const MEMOS: usize = 6;
/// Unproven triangles one fast triangle search may test before leaving the pixel to the full
/// rule (they cost as much as the rule's own tests; with `f32` few triangles can be proven).
const MAX_UNPROVEN: usize = 24;
/// The fast triangle search is skipped for the rest of a tile once its score (+1 per success,
/// −`FAILURE_COST` per failure, from 0) falls to `GIVE_UP`.
const FAILURE_COST: i32 = 4;
const GIVE_UP: i32 = -16;
/// Rank at which the fast path's triangle search first tries to prove the pixel outside.
const PIXEL_APART_RANK: usize = 4;

/// Paints a band of rows tile by tile, incrementally.
///
/// One k-d-tree query per tile proves a short candidate list: with tile centre c and
/// half-diagonal h, every pixel p of the tile has `|p − c| ≤ h`, so its k-th nearest distance
/// is at most `r_k(c) + h` and its k nearest known points lie within `r_k(c) + 2h` of c
/// (triangle inequality). Pixels are visited in a snake order (left to right, then right to
/// left on the next row), so consecutive pixels are neighbours and keep most of their k
/// nearest: per pixel the squared distances of all candidates are updated (computed as
/// `dx·dx + dy·dy` like the tree, with `dy·dy` once per row), the previous pixel's k nearest
/// are re-sorted by `(distance², index)` (an insertion sort, about one pass), and a count of
/// the candidates not beyond the k-th proves they are still the k nearest; only when it fails
/// are all candidates re-sorted. The list then equals the tree's k nearest (same distances,
/// same tie-breaking).
///
/// The rule itself is [`TriangleEstimator::decide`], called with the first m ≤ k neighbours,
/// m predicted from the previous pixel (3 after an answer from the three nearest; after a
/// triangle of the k nearest, one more than it takes to include its farthest vertex). An
/// answer inside a triangle found among the first m is the answer with all k: `decide` tries
/// the three nearest first and then triangles by increasing rank of their farthest vertex,
/// stopping at the first rank with an enclosing one, and its early "clearly outside the k
/// nearest" exit cannot fire for a superset of points that is not clearly outside. Any other
/// answer is recomputed with all k, so every pixel gets [`TriangleEstimator::estimate`]'s
/// answer bit for bit.
///
/// With the default outside rule most pixels skip the sorted k nearest and `decide` (see
/// [`fast_core`](Self::fast_core)): only the nearest few are kept, and the tile's proofs of
/// which candidate triangles accept all, none or some of its pixels ([`TileGeometry`]) stand
/// in for the triangle search; searches are remembered per ordered set of nearest points.
struct TilePainter<'a, F: Float> {
    est: &'a TriangleEstimator<F>,
    scratch: Scratch<F>,
    /// Candidates of the tile (indices into the estimator's points) and their coordinates.
    ids: Vec<u32>,
    x: Vec<F>,
    y: Vec<F>,
    /// `dy²` of each candidate for the current row, and `d²` for the current pixel.
    dy2: Vec<F>,
    d2: Vec<F>,
    /// All candidate positions, sorted by `(d², index)` when last re-sorted.
    order: Vec<u32>,
    /// The k nearest (or all candidates when fewer) as `(d², index, position)`, sorted for the
    /// last pixel.
    top: Vec<(F, u32, u32)>,
    /// The first m of `top` as `(d², index)`, handed to `decide`.
    pairs: Vec<(F, u32)>,
    /// How many neighbours the next pixel's first `decide` gets.
    m: usize,
    /// The fast path (below) applies: the `Nearest` outside rule and a usable tile bound.
    fast: bool,
    /// Candidate coordinates as pairs, for the fast path.
    xy: Vec<[F; 2]>,
    /// Which candidate triangles accept all, none or some pixels of the tile.
    geo: TileGeometry<F>,
    /// Candidate positions of the nearest few, sorted by `(d², index)` for the last pixel.
    pre: Vec<u32>,
    /// The last fast answer from a larger triangle, reused while its nearest points stay.
    memos: Vec<Memo<F>>,
    /// Successes minus failures of the fast triangle search in this tile (see [`GIVE_UP`]).
    search_score: i32,
    /// Scratch list of the triangles not proven out.
    tris: Vec<(u8, u8, u8, u8, F)>,
    /// Whether the tile is [`apart`](TileGeometry::apart), once asked.
    apart: Option<bool>,
    /// The three nearest of the last pixel (candidate positions, in order) and their
    /// triangle, prepared for the paper's test.
    three: Option<([u32; 3], FixedTriangle<F>)>,
}

/// A fast answer from a triangle of the k nearest: with the same `c + 1` nearest points in
/// the same order, every triangle up to rank `c` keeps its tile status, so only the triangles
/// not proven out need a look: those of ranks below `c` must still reject the pixel, and at
/// rank `c` the accepting one of smallest spread wins, in `decide`'s order.
#[derive(Debug, Clone)]
struct Memo<F> {
    /// Candidate positions of ranks `0..=c`.
    pre: Vec<u32>,
    /// Triangles not proven out, as ranks `(a, b, c)` with their status and robust-inside
    /// threshold, in `decide`'s order.
    tris: Vec<(u8, u8, u8, u8, F)>,
}

impl<'a, F: Float> TilePainter<'a, F> {
    fn new(est: &'a TriangleEstimator<F>) -> Self {
        Self {
            est,
            scratch: est.scratch(),
            ids: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            dy2: Vec::new(),
            d2: Vec::new(),
            order: Vec::new(),
            top: Vec::new(),
            pairs: Vec::new(),
            m: 3,
            fast: false,
            xy: Vec::new(),
            geo: TileGeometry::new(est.collinear_tolerance(), est.edge_tolerance()),
            pre: Vec::new(),
            memos: Vec::new(),
            tris: Vec::new(),
            search_score: 0,
            apart: None,
            three: None,
        }
    }

    /// Collects the candidates of the tile spanning `[x0, x1] × [y0, y1]`; `false` when the
    /// bound cannot be used (non-finite coordinates), and pixels must be searched one by one.
    fn prepare(&mut self, x: [F; 2], y: [F; 2]) -> bool {
        let two = F::of(2.0);
        let c = [(x[0] + x[1]) / two, (y[0] + y[1]) / two];
        let h = (x[1] - x[0]).hypot(y[1] - y[0]) / two;
        if !(c[0].is_finite() && c[1].is_finite() && h.is_finite()) {
            return false;
        }
        let k = self.est.fitted_with().get_neighbours();
        let index = self.est.index();
        index.knn_into(c, k, &mut self.scratch.nb);
        let reach = match self.scratch.nb.d2.get(k - 1) {
            Some(&d2) => d2.sqrt() + two * h,
            None => F::infinity(),
        };
        // A relative margin keeps rounding from dropping a point on the boundary.
        let r2 = reach * reach * F::of(1.0 + 1e-6) + F::min_positive_value();
        self.ids.clear();
        index.within_into(c, r2, &mut self.ids);
        let points = self.est.points();
        self.x.clear();
        self.y.clear();
        for &i in &self.ids {
            let q = points[i as usize];
            self.x.push(q[0]);
            self.y.push(q[1]);
        }
        let n = self.ids.len();
        self.dy2.resize(n, F::zero());
        self.d2.resize(n, F::zero());
        self.order.clear();
        self.order.extend(0..n as u32);
        // An empty top forces a full sort at the first pixel.
        self.top.clear();
        self.xy.clear();
        self.xy
            .extend(self.x.iter().zip(&self.y).map(|(&a, &b)| [a, b]));
        self.pre.clear();
        self.memos.clear();
        self.search_score = 0;
        self.apart = None;
        self.three = None;
        // Beyond MAX_TABLE candidates (dense clusters) the proofs' O(n³) cost outweighs them.
        self.fast = self.est.fitted_with().get_outside() == OutsideRule::Nearest
            && (3..=MAX_TABLE).contains(&n);
        if self.fast {
            self.geo.reset([x[0], y[0]], [x[1], y[1]], n);
        }
        true
    }

    /// Starts a row of the tile at height `y`.
    fn row(&mut self, y: F) {
        for (d, &q) in self.dy2.iter_mut().zip(&self.y) {
            let dy = q - y;
            *d = dy * dy;
        }
    }

    /// The answer at pixel `p`, whose row was started.
    #[inline]
    fn core(&mut self, p: [F; 2]) -> Core<F> {
        for ((d, &q), &dy2) in self.d2.iter_mut().zip(&self.x).zip(&self.dy2) {
            let dx = q - p[0];
            *d = dx * dx + dy2;
        }
        let found = if self.fast { self.fast_core(p) } else { None };
        if let Some(core) = found {
            return core;
        }
        self.slow_core(p)
    }

    /// Whether `pre` (candidate positions) is, in this order, the true prefix of the sorted
    /// candidates for the current pixel.
    #[inline]
    fn is_prefix(d2: &[F], ids: &[u32], pre: &[u32]) -> bool {
        let key = |e: u32| (d2[e as usize], ids[e as usize]);
        let less = |a: (F, u32), b: (F, u32)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
        if !pre.windows(2).all(|w| less(key(w[0]), key(w[1]))) {
            return false;
        }
        let Some(&last) = pre.last() else {
            return true;
        };
        let (td, ti) = key(last);
        let n = pre.len();
        // Branch-free counts first; the exact count by `(d², index)` only for ties at `td`.
        if d2.iter().filter(|&&d| d <= td).count() == n {
            return true;
        }
        if d2.iter().filter(|&&d| d < td).count() >= n {
            return false; // a candidate outside `pre` is strictly nearer than its last
        }
        d2.iter()
            .zip(ids)
            .filter(|&(&d, &i)| d < td || (d == td && i <= ti))
            .count()
            == n
    }

    /// Extends `pre` by selection until it holds the `len` nearest (or all candidates).
    #[inline]
    fn extend_prefix(&mut self, len: usize) {
        let (d2, ids) = (&self.d2, &self.ids);
        while self.pre.len() < len.min(ids.len()) {
            let (ld, li) = match self.pre.last() {
                Some(&e) => (d2[e as usize], ids[e as usize]),
                None => (F::neg_infinity(), 0),
            };
            let first = self.pre.is_empty();
            let (mut bd, mut bi, mut be) = (F::infinity(), u32::MAX, u32::MAX);
            for (e, (&d, &i)) in d2.iter().zip(ids).enumerate() {
                let after = d > ld || (d == ld && (i > li || first));
                if after && (d < bd || (d == bd && i < bi)) {
                    (bd, bi, be) = (d, i, e as u32);
                }
            }
            if be == u32::MAX {
                break;
            }
            self.pre.push(be);
        }
    }

    /// The answer from a remembered triangle search whose nearest points this pixel shares
    /// (see [`Memo`]), called once the three nearest (in `pre`) are known not to accept the
    /// pixel: `None` when no memo applies or the one that applies cannot settle it.
    fn recall(&self, p: [F; 2]) -> Option<Core<F>> {
        let (d2, ids, xy) = (&self.d2, &self.ids, &self.xy);
        let memo = self.memos.iter().find(|m| {
            (m.pre[0], m.pre[1], m.pre[2]) == (self.pre[0], self.pre[1], self.pre[2])
                && Self::is_prefix(d2, ids, &m.pre)
        })?;
        let est = self.est;
        let (collinear, tol) = (est.collinear_tolerance(), est.edge_tolerance());
        let min3 = |l: [F; 3]| l[0].min(l[1]).min(l[2]);
        let pre = &memo.pre;
        let d2_0 = d2[pre[0] as usize];
        if d2_0 == F::zero() {
            return None;
        }
        let v = |r: usize| xy[pre[r] as usize];
        let c = pre.len() - 1;
        let mut best: Option<(usize, usize, F, Option<[F; 3]>)> = None;
        let mut proven_in = false;
        for &(a, b, r, st, from) in &memo.tris {
            let (a, b, r) = (a as usize, b as usize, r as usize);
            let found = if st == IN {
                proven_in = true;
                None
            } else {
                let Some(l) = enclosing(v(a), v(b), v(r), p, collinear, tol) else {
                    continue;
                };
                proven_in |= min3(l) >= from;
                Some(l)
            };
            if r < c {
                return None; // a lower rank accepts it now
            }
            let spread = d2[pre[a] as usize] + d2[pre[b] as usize];
            if best.is_none_or(|(_, _, s, _)| spread < s) {
                best = Some((a, b, spread, found));
            }
        }
        let (a, b, _, found) = best?;
        if !proven_in {
            return None; // only the cone test could tell
        }
        let l = found.or_else(|| barycentric(v(a), v(b), v(c), p, collinear))?;
        let tri = [a, b, c].map(|r| ids[pre[r] as usize]);
        let kind = EstimateKind::InsideKNearest;
        Some(est.labelled(tri, l, p, kind, d2_0.sqrt()))
    }

    /// The answer of [`TriangleEstimator::decide`] with all k nearest, when the tile's
    /// triangle statuses settle it without the sorted k nearest; `None` sends the pixel to
    /// [`slow_core`](Self::slow_core).
    ///
    /// `decide` first tries the three nearest (done here exactly as there). When the tile is
    /// [`apart`](TileGeometry::apart) from its candidates, no other triangle of the k nearest
    /// can accept the pixel, so whatever the cone test says the answer is the nearest point.
    /// Otherwise ranks c = 3, 4, … are walked as in `decide`: every triangle with farthest
    /// rank below c proven out, and at rank c only proven-in or proven-out triangles, give the
    /// same first rank and the same smallest spread; a proven-in triangle also keeps the cone
    /// test from calling the pixel outside. Any unproven triangle gives `None`.
    fn fast_core(&mut self, p: [F; 2]) -> Option<Core<F>> {
        let est = self.est;
        let neg_tol = -est.edge_tolerance();
        let collinear = est.collinear_tolerance();
        let min3 = |l: [F; 3]| l[0].min(l[1]).min(l[2]);
        // The three nearest: re-sort last pixel's, prove them, or select afresh.
        self.pre.truncate(3);
        insertion_sort(&mut self.pre, |e| {
            (self.d2[e as usize], self.ids[e as usize])
        });
        if self.pre.len() < 3 || !Self::is_prefix(&self.d2, &self.ids, &self.pre) {
            self.pre.clear();
            self.extend_prefix(3);
        }
        let first = self.pre[0] as usize;
        if self.d2[first] == F::zero() {
            return None;
        }
        let distance = self.d2[first].sqrt();
        let pos = [self.pre[0], self.pre[1], self.pre[2]];
        let tri3 = pos.map(|e| self.ids[e as usize]);
        if self.three.as_ref().is_none_or(|t| t.0 != pos) {
            let v = pos.map(|e| self.xy[e as usize]);
            self.three = Some((pos, FixedTriangle::new(v, collinear)));
        }
        let (_, three) = self.three.as_ref()?;
        if let Some(l) = three.barycentric(p)
            && min3(l) >= neg_tol
        {
            let order = three.labels(p);
            let kind = EstimateKind::Inside;
            return Some(TriangleEstimator::labelled_by(
                order,
                three.canonical_order(),
                tri3,
                l,
                kind,
                distance,
            ));
        }
        let outside = est.nearest_core(tri3, distance);
        if self.apart == Some(true) {
            return Some(outside);
        }
        if let Some(found) = self.recall(p) {
            return Some(found);
        }
        if *self.apart.get_or_insert_with(|| self.geo.apart(&self.xy)) {
            return Some(outside);
        }
        if self.search_score <= GIVE_UP {
            return None; // the proofs keep failing in this tile: the full rule is cheaper
        }
        let k = est.fitted_with().get_neighbours().min(self.ids.len());
        let tol = est.edge_tolerance();
        self.tris.clear();
        let mut unproven = 0;
        for c in 3..k {
            // Deep searches are mostly outside points near the hull: try the proof for the pixel.
            if c == PIXEL_APART_RANK && self.geo.pixel_apart(&self.xy, p) {
                return Some(outside);
            }
            self.extend_prefix(c + 1);
            let mut best: Option<(usize, usize, F, Option<[F; 3]>)> = None;
            let mut proven_in = false;
            for b in 1..c {
                for a in 0..b {
                    let (ea, eb, ec) = (self.pre[a], self.pre[b], self.pre[c]);
                    let (st, from) = self.geo.status(&self.xy, ea, eb, ec);
                    if st == OUT {
                        continue;
                    }
                    self.tris.push((a as u8, b as u8, c as u8, st, from));
                    let found = if st == IN {
                        proven_in = true;
                        None
                    } else {
                        unproven += 1;
                        if unproven > MAX_UNPROVEN {
                            self.search_score -= FAILURE_COST;
                            return None;
                        }
                        let [va, vb, vc] = [ea, eb, ec].map(|e| self.xy[e as usize]);
                        let Some(l) = enclosing(va, vb, vc, p, collinear, tol) else {
                            continue;
                        };
                        proven_in |= min3(l) >= from;
                        Some(l)
                    };
                    let spread = self.d2[ea as usize] + self.d2[eb as usize];
                    if best.is_none_or(|(_, _, s, _)| spread < s) {
                        best = Some((a, b, spread, found));
                    }
                }
            }
            if let Some((a, b, _, found)) = best {
                if !proven_in {
                    self.search_score -= FAILURE_COST;
                    return None; // only the cone test could tell
                }
                self.search_score = (self.search_score + 1).min(-GIVE_UP);
                let [ea, eb, ec] = [a, b, c].map(|r| self.pre[r] as usize);
                let l = match found {
                    Some(l) => l,
                    None => barycentric(self.xy[ea], self.xy[eb], self.xy[ec], p, collinear)?,
                };
                self.memos.truncate(MEMOS - 1);
                self.memos.insert(
                    0,
                    Memo {
                        pre: self.pre[..=c].to_vec(),
                        tris: self.tris.clone(),
                    },
                );
                let tri = [self.ids[ea], self.ids[eb], self.ids[ec]];
                return Some(est.labelled(tri, l, p, EstimateKind::InsideKNearest, distance));
            }
        }
        if self.tris.iter().any(|t| t.3 == IN) {
            return None; // unreachable: a proven-in triangle accepts every pixel
        }
        // Every triangle of the k nearest is proven out.
        Some(outside)
    }

    /// The answer through the sorted k nearest and [`TriangleEstimator::decide`].
    fn slow_core(&mut self, p: [F; 2]) -> Core<F> {
        let (d2, ids) = (&self.d2, &self.ids);
        let key = |e: u32| (d2[e as usize], ids[e as usize]);
        let k = self.est.fitted_with().get_neighbours().min(ids.len());
        for t in self.top.iter_mut() {
            t.0 = d2[t.2 as usize];
        }
        insertion_sort_top(&mut self.top);
        // The k kept are still the k nearest iff exactly k candidates are not beyond the last.
        let valid = self.top.len() == k
            && self.top.last().is_none_or(|&(td, ti, _)| {
                // Without ties at the k-th distance, counting `d² ≤ d²_k` decides (a branch-free
                // loop); with ties, the exact count by `(d², index)` does.
                let le = d2.iter().map(|&d| usize::from(d <= td)).sum::<usize>();
                le == k
                    || d2
                        .iter()
                        .zip(ids)
                        .filter(|&(&d, &i)| d < td || (d == td && i <= ti))
                        .count()
                        == k
            });
        if !valid {
            if self.top.is_empty() {
                // First pixel of the tile: the candidates are in index order.
                self.order.sort_unstable_by(|&a, &b| {
                    let ((da, ia), (db, ib)) = (key(a), key(b));
                    da.partial_cmp(&db)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(ia.cmp(&ib))
                });
            } else {
                insertion_sort(&mut self.order, key);
            }
            self.top.clear();
            self.top.extend(
                self.order[..k]
                    .iter()
                    .map(|&e| (d2[e as usize], ids[e as usize], e)),
            );
        }
        // First with the predicted m, then with all k unless that answer is final.
        let m = self.m.min(k);
        let core = self.decide(p, m);
        let core = match core.kind {
            EstimateKind::Outside { .. } if m < k => self.decide(p, k),
            _ => core,
        };
        self.m = match core.kind {
            EstimateKind::Inside => 3,
            EstimateKind::InsideKNearest => {
                let nb = &self.scratch.nb;
                let rank = |t: u32| nb.ids.iter().position(|&i| i == t).unwrap_or(k);
                core.tri.iter().map(|&t| rank(t)).max().unwrap_or(k) + 2
            }
            EstimateKind::Outside { .. } => k,
        };
        core
    }

    /// [`TriangleEstimator::decide`] with the first `m` of the k nearest.
    fn decide(&mut self, p: [F; 2], m: usize) -> Core<F> {
        self.pairs.clear();
        self.pairs
            .extend(self.top[..m].iter().map(|&(d, i, _)| (d, i)));
        let k = self.est.fitted_with().get_neighbours();
        self.scratch.nb.set_sorted(k, &self.pairs);
        self.est.decide(p, &self.scratch.nb)
    }
}

/// Sorts `(d², index, position)` by `(d², index)`; linear on nearly sorted input.
#[inline]
fn insertion_sort_top<F: Float>(v: &mut [(F, u32, u32)]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && (v[j - 1].0 > x.0 || (v[j - 1].0 == x.0 && v[j - 1].1 > x.1)) {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// Sorts positions by `key`; linear on nearly sorted input.
#[inline]
fn insertion_sort<F: Float>(v: &mut [u32], key: impl Fn(u32) -> (F, u32)) {
    for i in 1..v.len() {
        let e = v[i];
        let (kd, ki) = key(e);
        let mut j = i;
        while j > 0 {
            let (pd, pi) = key(v[j - 1]);
            if pd < kd || (pd == kd && pi < ki) {
                break;
            }
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = e;
    }
}

impl<F: Float> TriangleEstimator<F> {
    /// Estimates at every point of `grid`, in bands of rows in parallel (rayon). With the
    /// nearest-point outside rule in f64, each band is painted by cells: convex regions where
    /// every decision of the rule provably stays the one taken at a seed pixel, whose pixels
    /// then evaluate only the value expression. Otherwise (f32, the extrapolating rule) tiles
    /// of 16 × 16 pixels share one k-d-tree query and are painted incrementally. Every pixel
    /// gets exactly [`estimate`](Self::estimate)'s answer, whatever the number of threads.
    ///
    /// # Errors
    /// The errors of [`PaintGrid::check`].
    pub fn paint(&self, grid: &PaintGrid) -> Result<Painted<F>> {
        grid.check()?;
        let (nx, ny, m) = (grid.nx, grid.ny, self.n_values());
        let x: Vec<F> = (0..nx).map(|i| F::of(grid.x(i))).collect();
        let y: Vec<F> = (0..ny).map(|j| F::of(grid.y(j))).collect();
        let mut values = filled(ny * nx * m, F::zero());
        let mut covered = filled(ny * nx, false);
        let mut distance = filled(ny * nx, F::zero());
        // Cells prove the nearest-point rule's answers in f64; the tiles paint the rest.
        let cells =
            self.fitted_with().get_outside() == OutsideRule::Nearest && CellPainter::<F>::usable();
        let band_rows = if cells { CELL_ROWS } else { TILE_ROWS };
        values
            .par_chunks_mut(band_rows * nx * m)
            .zip(covered.par_chunks_mut(band_rows * nx))
            .zip(distance.par_chunks_mut(band_rows * nx))
            .enumerate()
            .for_each_init(
                // One cell painter per rayon split (a band, as rayon splits these): measured on
                // Zen 2, keeping one per thread across its bands changed nothing.
                || cells.then(|| CellPainter::new(self, &x, &y)),
                |painter, (band, ((vals, cov), dist))| {
                    let rows = &y[band * band_rows..(band * band_rows + band_rows).min(ny)];
                    match painter {
                        Some(painter) => painter.paint_band(&x, rows, vals, cov, dist),
                        None => self.paint_band(&x, rows, vals, cov, dist),
                    }
                },
            );
        let shape = |e: ndarray::ShapeError| {
            Error::shape("painted map", format!("{ny} × {nx}"), e.to_string())
        };
        Ok(Painted {
            grid: *grid,
            values: Array3::from_shape_vec((ny, nx, m), values).map_err(shape)?,
            covered: Array2::from_shape_vec((ny, nx), covered).map_err(shape)?,
            distance: Array2::from_shape_vec((ny, nx), distance).map_err(shape)?,
            x,
            y,
        })
    }

    /// Paints the rows `ys` (row-major outputs of `ys.len() × xs.len()` pixels).
    fn paint_band(&self, xs: &[F], ys: &[F], vals: &mut [F], cov: &mut [bool], dist: &mut [F]) {
        let (nx, m) = (xs.len(), self.n_values());
        let mut painter = TilePainter::new(self);
        for start in (0..nx).step_by(TILE_COLS) {
            let cols = start..(start + TILE_COLS).min(nx);
            let (Some(&y0), Some(&y1)) = (ys.first(), ys.last()) else {
                return;
            };
            let incremental = painter.prepare([xs[cols.start], xs[cols.end - 1]], [y0, y1]);
            for (j, &yj) in ys.iter().enumerate() {
                painter.row(yj);
                // Snake order: consecutive pixels are always neighbours.
                let forward = j % 2 == 0;
                for step in 0..cols.len() {
                    let i = if forward {
                        cols.start + step
                    } else {
                        cols.end - 1 - step
                    };
                    let p = [xs[i], yj];
                    let core = if incremental && p[0].is_finite() && p[1].is_finite() {
                        painter.core(p)
                    } else {
                        self.core(p, &mut painter.scratch)
                    };
                    let at = j * nx + i;
                    self.values_into(&core, &mut vals[at * m..(at + 1) * m]);
                    cov[at] = core.kind.is_inside();
                    dist[at] = core.distance;
                }
            }
        }
    }
}
