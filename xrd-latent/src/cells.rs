//! Painting by cells: convex regions of the plane where every decision of the rule provably
//! is the one it takes at a seed pixel, so that a pixel there costs only the value expression.
//!
//! In exact arithmetic every test of [`TriangleEstimator::decide`] compares quantities whose
//! difference is affine in the query point P: two squared distances, a barycentric coordinate
//! and the edge tolerance, two spreads of triangles. The decision at a seed therefore holds on
//! an intersection of half-planes, one per test it made. Each half-plane is moved inwards by a
//! bound on the rounding of its test (and of its evaluation here), so that inside it the
//! floating-point test agrees with the exact one. Since a triangle's arithmetic runs in the
//! canonical order of its vertices, only the *sets* of nearest points the answer rests on
//! matter, not their order or the labelling (which orders what `estimate` reports, not its
//! values). The pixels of the polygon share the seed's kind and triangle, and compute only the
//! barycentric coordinates, the distance (the smallest to the set it rests on) and the values,
//! with the operations `estimate` runs on the same numbers. Their answers are `estimate`'s, bit
//! for bit. A pixel in no certified cell (within a margin of a boundary, or where a proof
//! fails) is itself a seed, answered by `estimate`'s own code, and so is a pixel on a known
//! point.

// Every test is written so that NaN fails it (`!(x >= 0.0)`), and one column index runs over
// the grid and the outputs alike.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::needless_range_loop)]

use xrd_core::Float;

use crate::TriangleEstimator;
use crate::estimator::{Core, RankSearch, Scratch, inside_weights, mix};
use crate::geometry::{FixedTriangle, barycentric, canonical, clearly_outside};
use crate::kdtree::Neighbours;
use crate::params::MAX_NEIGHBOURS;
use crate::tile::convex_hull;

/// Rounding factor of the margins: each bound below counts a few ε per operation; the factor
/// leaves a wide allowance on top.
const ROUNDING: f64 = 64.0;
/// Relative width of the band of doubt around a column bound (see `span`): far above the
/// rounding of the bound, far below a column.
const DOUBT: f64 = 1e-9;
/// Rounding factor of the barycentric coordinates (see `bary_forms`).
const BARY_ROUNDING: f64 = 128.0;
/// The chosen triangle of the k-nearest fallback is asked this many rounding margins inside,
/// so that the angular cone test before the fallback is robust as well (as the tiles' `IN`).
const ROBUST_IN: f64 = 16.0;
/// A polygon edge as a bound `k·y + c` on the column, with its band of doubt over the cell's
/// rows (see `span`).
#[derive(Debug, Clone, Copy)]
struct Bound {
    k: f64,
    c: f64,
    doubt: f64,
}

/// An affine function `a·x + b·y + c` of the query point, `[a, b, c]`; as a constraint,
/// `≥ 0` with the margins folded into `c`.
type Affine = [f64; 3];

/// What every pixel of a cell shares.
#[derive(Debug, Clone, Copy)]
enum Shape<F> {
    /// Interpolated in the triangle `fixed` of the points `tri`, both in the vertices'
    /// canonical order (the order `estimate` computes in).
    Inside {
        tri: [u32; 3],
        fixed: FixedTriangle<F>,
    },
    /// The nearest-point rule: the values of the point `nearest`.
    Outside { nearest: u32 },
}

/// Most points whose smallest distance a cell computes per pixel (else it fixes the nearest).
const NEAR: usize = 6;

#[derive(Debug, Clone, Copy)]
struct Template<F> {
    /// The points of which one is the nearest everywhere in the cell: the distance is their
    /// smallest (the first `n_near`).
    near: [u32; NEAR],
    n_near: usize,
    shape: Shape<F>,
}

impl<F: Float> Template<F> {
    /// The cell of `shape` whose nearest point is one of `near` (at most [`NEAR`]).
    fn new(near: &[u32], shape: Shape<F>) -> Self {
        let mut set = [0; NEAR];
        set[..near.len()].copy_from_slice(near);
        Self {
            near: set,
            n_near: near.len(),
            shape,
        }
    }
}

/// The cell shape of the triangle `tri` (vertices `v`): both in their canonical order.
fn inside<F: Float>(tri: [u32; 3], v: [[F; 2]; 3], collinear: F) -> Shape<F> {
    let o = canonical(&v);
    Shape::Inside {
        tri: o.map(|k| tri[k]),
        fixed: FixedTriangle::new(o.map(|k| v[k]), collinear),
    }
}

/// The pixels one cell may cover: columns and rows of the band, as index ranges.
#[derive(Debug, Clone, Copy)]
struct Window {
    cols: [usize; 2],
    rows: [usize; 2],
}

/// Neighbours a seed asks for first: enough for the paper's case and most fallbacks (rank of
/// the farthest vertex below this), far cheaper to find than k; outside answers and deeper
/// fallbacks ask for all k.
const FIRST_NEIGHBOURS: usize = 8;

/// Slots of the cache of hull proofs (see `beyond_hull`), a power of two: a set's fingerprint
/// names its one slot.
const HULL_CACHE: usize = 1024;

/// What the hull proof needs of a set of points.
#[derive(Debug, Clone)]
enum HullFact {
    /// Every triangle is degenerate in every order of its vertices.
    Degenerate,
    /// A triangle is too close to degenerate to call.
    Undecided,
    /// Per edge of the hull, the half-plane beyond it where every proper triangle fails
    /// (normalised: its value is the distance beyond that line).
    Hull(Vec<Affine>),
}

#[derive(Debug, Clone)]
struct HullEntry {
    print: u64,
    key: Vec<u32>,
    fact: HullFact,
}

/// The outputs of a run of pixels (a band, or one row of it): `m` values per pixel, coverage,
/// distance, and whether the pixel is painted yet.
struct Out<'r, F> {
    vals: &'r mut [F],
    cov: &'r mut [bool],
    dist: &'r mut [F],
    done: &'r mut [bool],
}

impl<F: Float> Out<'_, F> {
    /// The pixels `range` (as a row of this run, `m` values each).
    fn part(&mut self, range: std::ops::Range<usize>, m: usize) -> Out<'_, F> {
        Out {
            vals: &mut self.vals[range.start * m..range.end * m],
            cov: &mut self.cov[range.clone()],
            dist: &mut self.dist[range.clone()],
            done: &mut self.done[range],
        }
    }

    /// Writes the rule's answer `core` at pixel `at`.
    fn put(&mut self, est: &TriangleEstimator<F>, at: usize, core: &Core<F>) {
        let m = est.n_values();
        est.values_into(core, &mut self.vals[at * m..(at + 1) * m]);
        self.cov[at] = core.kind.is_inside();
        self.dist[at] = core.distance;
        self.done[at] = true;
    }
}

/// Paints bands of rows cell by cell (see the module docs).
pub(crate) struct CellPainter<'a, F: Float> {
    est: &'a TriangleEstimator<F>,
    scratch: Scratch<F>,
    halves: Vec<Affine>,
    /// Pixels at known points a cell covered (band-relative), answered after it.
    known: Vec<usize>,
    /// The vertices of a triangle the cell lies in, if any: the chosen triangle of a
    /// k-nearest cell (robustly inside it), or the paper's triangle widened by the edge
    /// tolerance (see `widened`).
    within: Option<[[f64; 2]; 3]>,
    /// Per pair of the rank tried by `certify`: whether its triangle encloses the seed.
    encloses: Vec<bool>,
    active: Vec<Affine>,
    /// The pixels of the band painted so far.
    done: Vec<bool>,
    /// The polygon's vertices, each with the half-plane of the edge it starts
    /// (`u32::MAX`: the window's).
    poly: Vec<([f64; 2], u32)>,
    next: Vec<([f64; 2], u32)>,
    /// The half-planes of the polygon's edges, and as bounds: on the first and last column
    /// of a row, and on the row itself (horizontal edges).
    edges: Vec<Affine>,
    lefts: Vec<Bound>,
    rights: Vec<Bound>,
    flats: Vec<Affine>,
    values: Vec<f64>,
    found: Vec<u32>,
    mark: Vec<u32>,
    stamp: u32,

    /// Hull proofs of recent sets, and the sorted ids of the set at hand.
    hulls: Vec<Option<HullEntry>>,
    key: Vec<u32>,
    /// F's rounding unit.
    eps: f64,
    /// Bound on the squared diameter of grid and points plus the squared largest coordinate:
    /// every squared distance and inner product the rule computes is below it.
    s2: f64,
    /// Largest coordinate (for the rounding of the affine forms evaluated here).
    big: f64,
}

impl<'a, F: Float> CellPainter<'a, F> {
    /// Whether cells can prove anything in `F`: their margins need f64's precision.
    pub(crate) fn usable() -> bool {
        F::epsilon().as_f64() <= f64::EPSILON
    }

    pub(crate) fn new(est: &'a TriangleEstimator<F>, xs: &[F], ys: &[F]) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        let grid = [[xs[0], ys[0]], [xs[xs.len() - 1], ys[ys.len() - 1]]];
        for q in est.points().iter().chain(&grid) {
            for d in 0..2 {
                lo[d] = lo[d].min(q[d].as_f64());
                hi[d] = hi[d].max(q[d].as_f64());
            }
        }
        let big = lo.iter().chain(&hi).fold(0.0_f64, |m, v| m.max(v.abs()));
        let diam2 = (hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2);
        Self {
            est,
            scratch: est.scratch(),
            halves: Vec::new(),
            known: Vec::new(),
            within: None,
            encloses: Vec::new(),
            active: Vec::new(),
            done: Vec::new(),
            poly: Vec::new(),
            next: Vec::new(),
            edges: Vec::new(),
            lefts: Vec::new(),
            rights: Vec::new(),
            flats: Vec::new(),
            values: Vec::new(),
            found: Vec::new(),
            mark: vec![0; est.len()],
            stamp: 0,

            hulls: vec![None; HULL_CACHE],
            key: Vec::new(),
            eps: F::epsilon().as_f64(),
            s2: diam2 + big * big,
            big,
        }
    }

    /// Paints the rows `ys` (row-major outputs of `ys.len() × xs.len()` pixels).
    pub(crate) fn paint_band(
        &mut self,
        xs: &[F],
        ys: &[F],
        vals: &mut [F],
        cov: &mut [bool],
        dist: &mut [F],
    ) {
        let nx = xs.len();
        let mut done = std::mem::take(&mut self.done);
        done.clear();
        done.resize(nx * ys.len(), false);
        let mut out = Out {
            vals,
            cov,
            dist,
            done: &mut done,
        };
        let est = self.est;
        let k = est.fitted_with().get_neighbours();
        for j in 0..ys.len() {
            for i in 0..nx {
                let at = j * nx + i;
                if out.done[at] {
                    continue;
                }
                let p = [xs[i], ys[j]];
                if !(p[0].is_finite() && p[1].is_finite()) {
                    let core = est.core(p, &mut self.scratch);
                    out.put(est, at, &core);
                    continue;
                }
                let mut nb = std::mem::take(&mut self.scratch.nb);
                // The paper's case and most fallbacks are settled by the few nearest; only
                // outside answers and deep fallbacks need all k: the k nearest are asked for
                // in two steps.
                let first = FIRST_NEIGHBOURS.min(k);
                est.index().knn_into(p, first, &mut nb);
                let mut all = first == k;
                let mut cell = self.certify(p, &nb, k, xs, ys, all);
                if cell.is_none() && !all {
                    est.index().knn_into(p, k, &mut nb);
                    all = true;
                    cell = self.certify(p, &nb, k, xs, ys, all);
                }
                let mut known = std::mem::take(&mut self.known);
                if let Some((tpl, win)) = cell {
                    self.paint_cell(&tpl, &win, xs, ys, &mut out, &mut known);
                }
                // The seed takes its cell's answer when the cell covers it, else the rule's.
                if !out.done[at] {
                    if !all {
                        est.index().knn_into(p, k, &mut nb);
                    }
                    out.put(est, at, &est.decide(p, &nb));
                }
                self.scratch.nb = nb;
                // Known points the cell covered take the rule's own answer (they may have
                // been painted before, by their own seed).
                for at in known.drain(..) {
                    let (j, i) = (at / nx, at % nx);
                    let core = est.core([xs[i], ys[j]], &mut self.scratch);
                    out.put(est, at, &core);
                }
                self.known = known;
            }
        }
        self.done = done;
    }

    /// Paints the pixels of the certified cell `tpl` in `win`.
    /// The pixels at known points are added to `known` (band-relative indices).
    fn paint_cell(
        &self,
        tpl: &Template<F>,
        win: &Window,
        xs: &[F],
        ys: &[F],
        out: &mut Out<'_, F>,
        known: &mut Vec<usize>,
    ) {
        let (nx, m) = (xs.len(), self.est.n_values());
        for jj in win.rows[0]..=win.rows[1] {
            if let Some(span) = self.span(xs, ys[jj], win.cols) {
                let row = jj * nx;
                if self.fill_span(tpl, xs, ys[jj], span, out.part(row..row + nx, m)) {
                    let dist = &out.dist[row + span[0]..=row + span[1]];
                    known.extend(
                        (span[0]..=span[1])
                            .zip(dist)
                            .filter(|(_, d)| **d == F::zero())
                            .map(|(i, _)| row + i),
                    );
                }
            }
        }
    }

    /// Fills the pixels `i0..=i1` of the row at `y` with the cell's answers: the operations
    /// `estimate` runs for that answer, on the same numbers. A pixel another cell painted
    /// already is painted again: both cells are proven to give `estimate`'s answer there.
    /// Returns whether a pixel sits on a known point (distance 0), whose answer is the rule's
    /// own (see `paint_band`).
    #[inline]
    fn fill_span(
        &self,
        tpl: &Template<F>,
        xs: &[F],
        y: F,
        [i0, i1]: [usize; 2],
        out: Out<'_, F>,
    ) -> bool {
        let est = self.est;
        let m = est.n_values();
        let xs = &xs[i0..=i1];
        let vals = &mut out.vals[i0 * m..(i1 + 1) * m];
        let dist = &mut out.dist[i0..=i1];
        // The k-d tree's squared distance, operation for operation, the smallest of the
        // points one of which is the nearest (their number as a constant, so that the points
        // stay in registers).
        let near = &tpl.near[..tpl.n_near];
        let known = match near.len() {
            1 => nearest_distances::<F, 1>(est, near, xs, y, dist),
            3 => nearest_distances::<F, 3>(est, near, xs, y, dist),
            4 => nearest_distances::<F, 4>(est, near, xs, y, dist),
            5 => nearest_distances::<F, 5>(est, near, xs, y, dist),
            _ => nearest_distances::<F, NEAR>(est, near, xs, y, dist),
        };
        let inside = match tpl.shape {
            Shape::Inside { tri, fixed } => {
                let rows = tri.map(|k| est.value_row(k));
                // The usual few values in a loop without branches; pixels whose coordinates
                // need clipping are done again the full way.
                let clipped = match m {
                    1 => fill_inside::<F, 1>(&fixed, rows, xs, y, vals),
                    2 => fill_inside::<F, 2>(&fixed, rows, xs, y, vals),
                    3 => fill_inside::<F, 3>(&fixed, rows, xs, y, vals),
                    4 => fill_inside::<F, 4>(&fixed, rows, xs, y, vals),
                    _ => true,
                };
                if clipped {
                    for (o, &x) in vals.chunks_exact_mut(m).zip(xs) {
                        let l = fixed.canonical_coordinates([x, y]);
                        mix(inside_weights([0, 1, 2], l), rows, o);
                    }
                }
                true
            }
            Shape::Outside { nearest } => {
                // The usual few values as one fixed-size copy per pixel, not a call.
                let row = est.value_row(nearest);
                match m {
                    1 => fill_rows::<F, 1>(vals, row),
                    2 => fill_rows::<F, 2>(vals, row),
                    3 => fill_rows::<F, 3>(vals, row),
                    4 => fill_rows::<F, 4>(vals, row),
                    _ => vals
                        .chunks_exact_mut(m)
                        .for_each(|o| o.copy_from_slice(row)),
                }
                false
            }
        };
        out.cov[i0..=i1].fill(inside);
        out.done[i0..=i1].fill(true);
        known
    }

    /// The columns of row `y` inside every active half-plane, within `cols`.
    #[inline]
    fn span(&self, xs: &[F], y: F, cols: [usize; 2]) -> Option<[usize; 2]> {
        let y = y.as_f64();
        // Column bounds from the polygon's edges (`x ≥ k·y + c` or `x ≤ k·y + c` in columns),
        // each with a band of doubt far wider than its rounding: a column in the band is
        // tested against the edge's half-plane itself. The other active half-planes are
        // tested at the two ends: each is affine along the row, so holding at both ends it
        // holds between them.
        if !self.flats.iter().all(|h| h[1] * y + h[2] >= 0.0) {
            return None;
        }
        let (mut left, mut right) = ([f64::NEG_INFINITY; 2], [f64::INFINITY; 2]);
        for e in &self.lefts {
            let x = e.k * y + e.c;
            left[0] = left[0].max(x - e.doubt);
            left[1] = left[1].max(x + e.doubt);
        }
        for e in &self.rights {
            let x = e.k * y + e.c;
            right[0] = right[0].min(x + e.doubt);
            right[1] = right[1].min(x - e.doubt);
        }
        let (lo, hi) = (cols[0] as isize, cols[1] as isize);
        // On [-1, len + 1] truncation gives the floor (x + 1 is not negative).
        let limit = (xs.len() + 1) as f64;
        let floor = |x: f64| ((x.clamp(-1.0, limit) + 1.0) as isize) - 1;
        let ceil = |x: f64| {
            let f = floor(x);
            if (f as f64) < x.clamp(-1.0, limit) {
                f + 1
            } else {
                f
            }
        };
        let on_edges = |i: isize| {
            let x = xs[i as usize].as_f64();
            self.edges.iter().all(|h| at3(h, [x, y]) >= 0.0)
        };
        let mut i0 = ceil(left[0]).max(lo);
        while i0 <= hi && (i0 as f64) < left[1] && !on_edges(i0) {
            i0 += 1;
        }
        let mut i1 = floor(right[0]).min(hi);
        while i1 >= i0 && (i1 as f64) > right[1] && !on_edges(i1) {
            i1 -= 1;
        }
        if self.active.is_empty() || i0 > i1 {
            return (i0 <= i1).then_some([i0 as usize, i1 as usize]);
        }
        let inside = |i: isize| {
            let x = xs[i as usize].as_f64();
            self.active.iter().all(|h| at3(h, [x, y]) >= 0.0) && on_edges(i)
        };
        while i0 <= i1 && !inside(i0) {
            i0 += 1;
        }
        while i1 >= i0 && !inside(i1) {
            i1 -= 1;
        }
        (i0 <= i1).then_some([i0 as usize, i1 as usize])
    }

    /// The cell of the seed `p` (its k nearest `nb`, or with `all` false its first few): the
    /// template and the window to scan, with the active half-planes in `self.active`; `None`
    /// when no cell can be proven, or when the answer needs more neighbours than `nb` holds.
    fn certify(
        &mut self,
        p: [F; 2],
        nb: &Neighbours<F>,
        k: usize,
        xs: &[F],
        ys: &[F],
        all: bool,
    ) -> Option<(Template<F>, Window)> {
        let est = self.est;
        let (ids, d2) = (&nb.ids, &nb.d2);
        let n = nb.len().min(MAX_NEIGHBOURS);
        if n < 3 || d2[0] == F::zero() {
            return None;
        }
        let (collinear, tol) = (est.collinear_tolerance(), est.edge_tolerance());
        let neg_tol = -tol;
        let mut v = [[F::zero(); 2]; MAX_NEIGHBOURS];
        let mut v64 = [[0.0; 2]; MAX_NEIGHBOURS];
        for r in 0..n {
            v[r] = est.point(ids[r]);
            v64[r] = [v[r][0].as_f64(), v[r][1].as_f64()];
        }
        let (v, v64) = (&v[..n], &v64[..n]);
        let p64 = [p[0].as_f64(), p[1].as_f64()];
        let tolf = tol.as_f64();
        let min3 = |l: [F; 3]| l[0].min(l[1]).min(l[2]);
        self.halves.clear();
        self.within = None;

        // The ranks that delimit the groups of nearest points whose order the answer needs
        // (ranks `..cuts[0]` as a set, then `cuts[0]..cuts[1]`, …).
        let mut cuts = [3, 0, 0];
        let mut n_cuts = 1;
        let template = 'decided: {
            let l012 = barycentric(v[0], v[1], v[2], p, collinear);
            if let Some(l) = l012
                && min3(l) >= neg_tol
            {
                // The paper's case: the three nearest enclose P. Only their set matters: the
                // arithmetic runs in the canonical order, and the distance is their smallest.
                let tri = [ids[0], ids[1], ids[2]];
                self.inside_halves([v64[0], v64[1], v64[2]], p64, -tolf)?;
                self.within = Some(widened([v64[0], v64[1], v64[2]], tolf));
                let shape = inside(tri, [v[0], v[1], v[2]], collinear);
                break 'decided Template::new(&ids[..3], shape);
            }
            let outside = Template::new(&ids[..1], Shape::Outside { nearest: ids[0] });
            // With the first few neighbours only, "clearly outside" (which more points can
            // only make false) and "no triangle found" are not yet answers: all k decide them.
            // A triangle found at rank c < n is the rule's answer whatever lies beyond: the
            // cone test stays false with more points, and ranks up to c are the same.
            if clearly_outside(p, v.iter().copied(), tol) {
                if !all {
                    return None;
                }
                break 'decided outside;
            }
            // The rule's own search (`decide`'s), noting which triangles at the rank found
            // enclose P, in the order of the pairs below.
            let mut search = RankSearch::new(p, v, &d2[..n]);
            let mut encloses = std::mem::take(&mut self.encloses);
            for c in 3..n {
                encloses.clear();
                let note = |e| encloses.push(e);
                let Some(([a, b, _], _)) = search.at_rank(c, v, d2, p, collinear, tol, note) else {
                    continue;
                };
                self.encloses = std::mem::take(&mut encloses);
                // Every triangle of the c nearest keeps failing: P stays beyond their hull.
                self.beyond_hull(&ids[..c], &v64[..c], p64)?;
                // The chosen triangle stays robustly inside; every other triangle at rank c
                // either keeps failing or keeps a larger spread.
                self.inside_halves([v64[a], v64[b], v64[c]], p64, 0.0)?;
                self.within = Some([v64[a], v64[b], v64[c]]);
                let mut pair = 0;
                for bb in 1..c {
                    for aa in 0..bb {
                        let enclosed = self.encloses[pair];
                        pair += 1;
                        if (aa, bb) == (a, b) {
                            continue;
                        }
                        // Either a larger spread than the chosen triangle's or failing keeps
                        // this one from being chosen: of the two that hold at the seed, the
                        // one farther from its line (the larger cell).
                        let spread = self.spread_less([v64[a], v64[b]], [v64[aa], v64[bb]]);
                        if self.redundant(&self.slackened(spread)) {
                            continue; // a larger spread throughout the chosen triangle
                        }
                        let by_spread = (at3(&spread, p64) >= 0.0).then_some(spread);
                        // Its vertices' order may change in the cell: only a triangle that
                        // is proper (or degenerate) in every order can be called.
                        let by_failing = match self.proper([v64[aa], v64[bb], v64[c]]) {
                            Some(false) => continue,
                            // (`enclosing` is `barycentric` within the tolerance.)
                            Some(true) if enclosed => None,
                            Some(true) => self.fail_half([v64[aa], v64[bb], v64[c]], p64, -tolf),
                            None => None,
                        };
                        let half = match (by_spread, by_failing) {
                            (Some(x), Some(y)) => {
                                if reach(&x, p64) >= reach(&y, p64) {
                                    x
                                } else {
                                    y
                                }
                            }
                            (Some(x), None) | (None, Some(x)) => x,
                            (None, None) => return None,
                        };
                        self.push(half);
                    }
                }
                let shape = inside([ids[a], ids[b], ids[c]], [v[a], v[b], v[c]], collinear);
                // Only the set of the c nearest and the (c + 1)-th matter: every triangle of
                // the set fails, and the chosen one is computed in its canonical order. The
                // distance is the smallest of the set's, or for a large set the nearest's.
                if c <= NEAR {
                    (cuts, n_cuts) = ([c, c + 1, 0], 2);
                    break 'decided Template::new(&ids[..c], shape);
                }
                (cuts, n_cuts) = ([1, c, c + 1], 3);
                break 'decided Template::new(&ids[..1], shape);
            }
            self.encloses = encloses;
            if !all {
                return None;
            }
            outside
        };
        if !matches!(template.shape, Shape::Outside { .. }) {
            let win = self.build(p64, nb, xs, ys, &cuts[..n_cuts], false)?;
            return Some((template, win));
        }
        // An outside cell: the nearest, the set of the k nearest, and every triangle of that
        // set failing (P beyond its hull).
        let set = k.min(n);
        let cuts: &[usize] = &[1, set];
        let win = self.build(p64, nb, xs, ys, cuts, true)?;
        Some((template, win))
    }

    /// Completes the cell of the seed `p64` from the half-planes of its decision: the groups
    /// of its nearest `nb` that `cuts` delimit (ranks `0..cuts[0]`, `cuts[0]..cuts[1]`, …)
    /// keep their order as groups, every other point stays farther than the last group, and
    /// with `beyond_set` every triangle of the set `..cuts.last()` keeps failing. Clips the
    /// polygon in the band, sets the edges and active half-planes and returns the window to
    /// scan.
    fn build(
        &mut self,
        p64: [f64; 2],
        nb: &Neighbours<F>,
        xs: &[F],
        ys: &[F],
        cuts: &[usize],
        beyond_set: bool,
    ) -> Option<Window> {
        let band = Window {
            cols: [0, xs.len() - 1],
            rows: [0, ys.len() - 1],
        };
        let est = self.est;
        let ids = &nb.ids;
        let n = nb.len().min(MAX_NEIGHBOURS);
        let set = *cuts.last()?;
        if set > n || cuts[0] == 0 || cuts.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let decided = self.halves.len();
        let mut v64 = [[0.0; 2]; MAX_NEIGHBOURS];
        for (slot, &i) in v64.iter_mut().zip(&ids[..n]) {
            let q = est.point(i);
            *slot = [q[0].as_f64(), q[1].as_f64()];
        }
        let v64 = &v64[..n];
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        let mut from = 0;
        for w in cuts.windows(2) {
            for x in from..w[0] {
                for y in w[0]..w[1] {
                    let h = self.nearer(v64[x], v64[y]);
                    self.push(h);
                }
            }
            from = w[0];
        }
        let last = from;
        // The members that every point outside the set must be farther than.
        let tail = &v64[last..set];
        for &i in &ids[..set] {
            self.mark[i as usize] = self.stamp;
        }
        for q in &v64[set..n] {
            for t in tail {
                let h = self.nearer(*t, *q);
                self.push(h);
            }
        }
        for &i in &ids[set..n] {
            self.mark[i as usize] = self.stamp;
        }
        // Every half-plane must hold at the seed; else it sits in a margin.
        if !self.halves.iter().all(|h| at3(h, p64) >= 0.0) {
            return None;
        }
        if beyond_set {
            // Every triangle of the set keeps failing.
            self.beyond_hull(&ids[..set], &v64[..set], p64)?;
        }
        let rect = |w: &Window| {
            [
                [xs[w.cols[0]].as_f64(), ys[w.rows[0]].as_f64()],
                [xs[w.cols[1]].as_f64(), ys[w.rows[1]].as_f64()],
            ]
        };
        let mut bx = self.clip(rect(&band), decided)?;
        // Points beyond the k nearest that could come nearer than a member of the tail
        // somewhere in the cell's box: within the farthest distance from the box to the tail.
        let r = corners(bx)
            .iter()
            .flat_map(|c| {
                tail.iter()
                    .map(move |t| ((c[0] - t[0]).powi(2) + (c[1] - t[1]).powi(2)).sqrt())
            })
            .fold(0.0_f64, f64::max);
        let centre = [(bx[0][0] + bx[1][0]) / 2.0, (bx[0][1] + bx[1][1]) / 2.0];
        let half_diag =
            ((bx[1][0] - bx[0][0]).powi(2) + (bx[1][1] - bx[0][1]).powi(2)).sqrt() / 2.0;
        let reach = (r + half_diag) * (1.0 + 1e-6) + 1e-300;
        self.found.clear();
        est.index().within_into(
            [F::of(centre[0]), F::of(centre[1])],
            F::of(reach * reach),
            &mut self.found,
        );
        let start = self.halves.len();
        // A point whose nearest squared distance to the box exceeds a member's farthest (by
        // far more than the margin) stays farther than that member throughout the box.
        let mut far2 = [0.0_f64; MAX_NEIGHBOURS];
        for (f, t) in far2.iter_mut().zip(tail) {
            *f = corners(bx)
                .iter()
                .map(|c| (c[0] - t[0]).powi(2) + (c[1] - t[1]).powi(2))
                .fold(0.0_f64, f64::max)
                * (1.0 + 1e-6)
                + 2.0 * ROUNDING * self.eps * self.s2;
        }
        for idx in 0..self.found.len() {
            let i = self.found[idx];
            if self.mark[i as usize] == self.stamp {
                continue;
            }
            let q = est.point(i);
            let q = [q[0].as_f64(), q[1].as_f64()];
            let gap = |d: usize| (bx[0][d] - q[d]).max(q[d] - bx[1][d]).max(0.0);
            let near2 = gap(0).powi(2) + gap(1).powi(2);
            for (&t, &f) in v64[last..set].iter().zip(&far2) {
                if near2 > f {
                    continue;
                }
                let h = self.nearer(t, q);
                if !(at3(&h, p64) >= 0.0) {
                    return None;
                }
                self.push(h);
            }
        }
        if self.halves.len() > start {
            bx = self.clip_more(start)?;
        }
        // The window: the rows and columns of the band within the cell's box.
        let cols = index_range(xs, [bx[0][0], bx[1][0]], band.cols)?;
        let rows = index_range(ys, [bx[0][1], bx[1][1]], band.rows)?;
        let win = Window { cols, rows };
        // Only half-planes that some point of the window's box violates are tested per row.
        let [lo, hi] = rect(&win);
        self.edges.clear();
        self.lefts.clear();
        self.rights.clear();
        self.flats.clear();
        // Columns of the even grid as an affine function of x.
        let (x0, x1) = (xs[0].as_f64(), xs[xs.len() - 1].as_f64());
        let per = if xs.len() > 1 {
            (xs.len() - 1) as f64 / (x1 - x0)
        } else {
            0.0
        };
        let y_big = lo[1].abs().max(hi[1].abs());
        for &(_, label) in &self.poly {
            let Some(h) = self.halves.get(label as usize) else {
                continue;
            };
            self.edges.push(*h);
            // a·x + b·y + c ≥ 0 as a column bound: x ≥ or ≤ −(b·y + c)/a.
            if h[0] == 0.0 {
                self.flats.push(*h);
                continue;
            }
            let (k, c) = (-h[1] / h[0] * per, (-h[2] / h[0] - x0) * per);
            let bound = Bound {
                k,
                c,
                doubt: DOUBT * (1.0 + k.abs() * y_big + c.abs()),
            };
            if h[0] > 0.0 {
                self.lefts.push(bound);
            } else {
                self.rights.push(bound);
            }
        }
        // The half-planes besides the edges that some point of the window's box violates.
        self.active.clear();
        for (idx, h) in self.halves.iter().enumerate() {
            let x = if h[0] > 0.0 { lo[0] } else { hi[0] };
            let y = if h[1] > 0.0 { lo[1] } else { hi[1] };
            if !(at3(h, [x, y]) >= 0.0) && !self.poly.iter().any(|&(_, e)| e as usize == idx) {
                self.active.push(*h);
            }
        }
        Some(win)
    }

    /// Adds a half-plane `f ≥ 0` with the rounding of its evaluation here folded in, unless
    /// it holds on the whole triangle the cell lies in (`within`).
    fn push(&mut self, f: Affine) {
        let h = self.slackened(f);
        if !self.redundant(&h) {
            self.halves.push(h);
        }
    }

    /// `f` moved in by the rounding of its evaluation here.
    fn slackened(&self, f: Affine) -> Affine {
        let slack =
            4.0 * f64::EPSILON * (f[0].abs() * self.big + f[1].abs() * self.big + f[2].abs());
        [f[0], f[1], f[2] - slack]
    }

    /// Whether `h` holds on the triangle the cell lies in (`within`; at its three vertices, so
    /// on all of it): the cell needs no proof of it.
    fn redundant(&self, h: &Affine) -> bool {
        self.within
            .is_some_and(|t| t.iter().all(|&v| at3(h, v) >= 0.0))
    }

    /// `d²(s) < d²(t)` by the rounding margin of two squared distances.
    fn nearer(&self, s: [f64; 2], t: [f64; 2]) -> Affine {
        let m = ROUNDING * self.eps * self.s2;
        [
            2.0 * (s[0] - t[0]),
            2.0 * (s[1] - t[1]),
            (t[0] * t[0] + t[1] * t[1]) - (s[0] * s[0] + s[1] * s[1]) - m,
        ]
    }

    /// `d²(a) + d²(b) < d²(a') + d²(b')` by the rounding margin of two spreads.
    fn spread_less(&self, [a, b]: [[f64; 2]; 2], [a2, b2]: [[f64; 2]; 2]) -> Affine {
        let m = 2.0 * ROUNDING * self.eps * self.s2;
        let n2 = |q: [f64; 2]| q[0] * q[0] + q[1] * q[1];
        [
            2.0 * (a[0] + b[0] - a2[0] - b2[0]),
            2.0 * (a[1] + b[1] - a2[1] - b2[1]),
            (n2(a2) + n2(b2)) - (n2(a) + n2(b)) - m,
        ]
    }

    /// The barycentric coordinates `[1 − s − t, s, t]` of the triangle as affine functions,
    /// and `w = 128·ε·q` (`q = D² / |det|`, D bounding every distance): [`barycentric`]'s
    /// coordinates are off by at most `44·ε·q·(1 + |λ_min|)` (each cross product by `8εD²`,
    /// each quotient by `9εq(1 + |s|)`, and `Σ|λ| ≤ 1 + 4|λ_min|`), so by at most `w` inside
    /// and by `w·(1 + |λ_min|)` outside. `None` unless `w < 1/2`.
    fn bary_forms(&self, [a, b, c]: [[f64; 2]; 3]) -> Option<([Affine; 3], f64)> {
        let ab = [b[0] - a[0], b[1] - a[1]];
        let ac = [c[0] - a[0], c[1] - a[1]];
        let det = ab[0] * ac[1] - ab[1] * ac[0];
        if !(det.abs() > 0.0) {
            return None;
        }
        let s = [
            ac[1] / det,
            -ac[0] / det,
            (a[1] * ac[0] - a[0] * ac[1]) / det,
        ];
        let t = [
            -ab[1] / det,
            ab[0] / det,
            (a[0] * ab[1] - a[1] * ab[0]) / det,
        ];
        let l0 = [-s[0] - t[0], -s[1] - t[1], 1.0 - s[2] - t[2]];
        let m = BARY_ROUNDING * self.eps * self.s2 / det.abs();
        (m < 0.5).then_some(([l0, s, t], m))
    }

    /// Whether `barycentric` takes the triangle as proper in every order of its vertices (its
    /// determinant against the collinearity threshold, by a rounding margin); `None` when
    /// too close to call.
    fn proper(&self, v: [[f64; 2]; 3]) -> Option<bool> {
        self.proper_det(v).map(|(proper, _)| proper)
    }

    /// [`proper`](Self::proper) with the triangle's |det|.
    #[inline]
    fn proper_det(&self, [a, b, c]: [[f64; 2]; 3]) -> Option<(bool, f64)> {
        let sub = |u: [f64; 2], w: [f64; 2]| [u[0] - w[0], u[1] - w[1]];
        let (ab, ac, bc) = (sub(b, a), sub(c, a), sub(c, b));
        let det = (ab[0] * ac[1] - ab[1] * ac[0]).abs();
        let n2 = |u: [f64; 2]| u[0] * u[0] + u[1] * u[1];
        let longest = n2(ab).max(n2(ac)).max(n2(bc));
        let threshold = self.est.collinear_tolerance().as_f64() * longest;
        let slack = ROUNDING * self.eps * longest;
        if det > threshold + slack {
            Some((true, det))
        } else if det + slack < threshold {
            Some((false, det))
        } else {
            None
        }
    }

    /// Every proper triangle of `pts` keeps failing: P lies beyond the line of a hull edge of
    /// `pts` by `h`, where a point that far out has a barycentric coordinate below
    /// `−h / (2·D)` in every triangle (D: the largest distance of a point from the line),
    /// and `h` makes that more negative than the tolerance and the rounding of the flattest
    /// proper triangle. `None` when a triangle is too close to degenerate to call, or when
    /// `p` is not that far out.
    fn beyond_hull(&mut self, ids: &[u32], pts: &[[f64; 2]], p: [f64; 2]) -> Option<()> {
        // Neighbouring cells share their sets: the hull and the flattest triangle are kept.
        self.key.clear();
        self.key.extend_from_slice(ids);
        self.key.sort_unstable();
        // A cheap fingerprint first (FNV-1a over the sorted ids), then the ids themselves.
        let print = self.key.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &i| {
            (h ^ u64::from(i)).wrapping_mul(0x0100_0000_01b3)
        });
        // One slot per fingerprint: a new set evicts the one that was there.
        let slot = (print as usize) & (HULL_CACHE - 1);
        let hit = self.hulls[slot]
            .as_ref()
            .is_some_and(|h| h.print == print && h.key == self.key);
        if !hit {
            let fact = self.hull_fact(pts);
            let key = self.key.clone();
            self.hulls[slot] = Some(HullEntry { print, key, fact });
        }
        let Some(entry) = &self.hulls[slot] else {
            return None;
        };
        let halves = match &entry.fact {
            HullFact::Degenerate => return Some(()),
            HullFact::Undecided => return None,
            HullFact::Hull(halves) => halves,
        };
        // The edge P is farthest beyond (the half-planes are normalised).
        let half = halves
            .iter()
            .copied()
            .max_by(|x, y| at3(x, p).total_cmp(&at3(y, p)))?;
        (at3(&half, p) >= 0.0).then(|| self.push(half))
    }

    /// The half-planes beyond the hull of `pts` where every proper triangle of `pts` fails:
    /// beyond an edge by h, a point has a barycentric coordinate below `−h / (2·depth)` in
    /// every triangle (depth: the largest distance of a point inside the edge's line), and
    /// `h` keeps that below the tolerance by the rounding of the flattest proper triangle.
    fn hull_fact(&self, pts: &[[f64; 2]]) -> HullFact {
        // The flattest proper triangle has the largest rounding bound (see `bary_forms`).
        let mut flattest = f64::INFINITY;
        for c in 2..pts.len() {
            for b in 1..c {
                for a in 0..b {
                    match self.proper_det([pts[a], pts[b], pts[c]]) {
                        None => return HullFact::Undecided,
                        Some((false, _)) => {}
                        Some((true, det)) => flattest = flattest.min(det),
                    }
                }
            }
        }
        if flattest == f64::INFINITY {
            // Every triangle is degenerate in every order: the rule skips them all.
            return HullFact::Degenerate;
        }
        let worst = BARY_ROUNDING * self.eps * self.s2 / flattest;
        if !(worst < 0.5) {
            return HullFact::Undecided;
        }
        let hull = convex_hull(pts);
        if hull.len() < 3 {
            return HullFact::Undecided;
        }
        let tol = self.est.edge_tolerance().as_f64();
        let mut halves = Vec::with_capacity(hull.len());
        for (e, &u) in hull.iter().enumerate() {
            let w = hull[(e + 1) % hull.len()];
            let d = [w[0] - u[0], w[1] - u[1]];
            let len = (d[0] * d[0] + d[1] * d[1]).sqrt();
            if !(len > 0.0) {
                continue;
            }
            // Signed distance beyond the edge (the hull runs counter-clockwise).
            let out = [d[1] / len, -d[0] / len, (d[0] * u[1] - d[1] * u[0]) / len];
            let depth = pts.iter().map(|q| -at3(&out, *q)).fold(0.0_f64, f64::max);
            // Some λ ≤ −h / (2·depth) must stay below −tol by the rounding, as in `fail_half`.
            let h = 2.0 * depth * (tol + worst) / (1.0 - worst) * (1.0 + 1e-6)
                + ROUNDING * f64::EPSILON * self.big;
            halves.push([out[0], out[1], out[2] - h]);
        }
        HullFact::Hull(halves)
    }

    /// The half-plane that keeps the triangle failing: one of its coordinates below `thr` by
    /// the margin, the one whose line is farthest from `p`. `None` when none holds at `p`.
    fn fail_half(&self, v: [[f64; 2]; 3], p: [f64; 2], thr: f64) -> Option<Affine> {
        let (forms, m) = self.bary_forms(v)?;
        // λ + m·(1 + |λ|) < thr for a negative λ: λ < (thr − m) / (1 − m).
        let bound = (thr - m) / (1.0 - m);
        forms
            .iter()
            .map(|f| [-f[0], -f[1], bound - f[2]])
            .filter(|h| at3(h, p) >= 0.0)
            .max_by(|x, y| reach(x, p).total_cmp(&reach(y, p)))
    }

    /// The triangle keeps P inside: each coordinate above `thr` by the margin, and by
    /// [`ROBUST_IN`] margins when `thr` is not negative. `None` when `p` sits in a margin.
    /// (The labelling may change in the cell: it orders what `estimate` reports, not the
    /// values, which are computed in the vertices' canonical order.)
    fn inside_halves(&mut self, v: [[f64; 2]; 3], p: [f64; 2], thr: f64) -> Option<()> {
        let (forms, m) = self.bary_forms(v)?;
        let m = if thr >= 0.0 { ROBUST_IN * m } else { m };
        for f in forms {
            let h = [f[0], f[1], f[2] - thr - m];
            if !(at3(&h, p) >= 0.0) {
                return None;
            }
            self.push(h);
        }
        Some(())
    }

    /// Clips `rect` by every half-plane; returns the polygon's bounding box.
    fn clip(&mut self, rect: [[f64; 2]; 2], first: usize) -> Option<[[f64; 2]; 2]> {
        let [lo, hi] = rect;
        self.poly.clear();
        let free = u32::MAX;
        self.poly.extend([
            ([lo[0], lo[1]], free),
            ([hi[0], lo[1]], free),
            ([hi[0], hi[1]], free),
            ([lo[0], hi[1]], free),
        ]);
        // The half-planes from `first` on (the nearest points' order, which bounds the cell
        // tightly) first: the others then mostly fall to the one-evaluation box test.
        self.clip_range(first..self.halves.len())?;
        self.clip_range(0..first)
    }

    /// Clips the current polygon by the half-planes from `start` on (see `clip_range`).
    fn clip_more(&mut self, start: usize) -> Option<[[f64; 2]; 2]> {
        self.clip_range(start..self.halves.len())
    }

    /// Clips the current polygon by the half-planes of `range`; returns its bounding box,
    /// widened a little against the rounding of the clipping (the rows are tested against
    /// the half-planes themselves).
    fn clip_range(&mut self, range: std::ops::Range<usize>) -> Option<[[f64; 2]; 2]> {
        let mut bx = bounds_of(&self.poly);
        for k in range {
            let h = &self.halves[k];
            // Most half-planes hold over the polygon's box (one evaluation) or at every vertex
            // (one pass, no copy).
            let x = if h[0] > 0.0 { bx[0][0] } else { bx[1][0] };
            let y = if h[1] > 0.0 { bx[0][1] } else { bx[1][1] };
            if at3(h, [x, y]) >= 0.0 {
                continue;
            }
            self.values.clear();
            self.values
                .extend(self.poly.iter().map(|(u, _)| at3(h, *u)));
            if self.values.iter().all(|&f| f >= 0.0) {
                continue;
            }
            self.next.clear();
            let n = self.poly.len();
            for e in 0..n {
                let f = if e + 1 == n { 0 } else { e + 1 };
                let ((u, label), (w, _)) = (self.poly[e], self.poly[f]);
                let (fu, fw) = (self.values[e], self.values[f]);
                let cut = |t: f64| [u[0] + t * (w[0] - u[0]), u[1] + t * (w[1] - u[1])];
                match (fu >= 0.0, fw >= 0.0) {
                    (true, true) => self.next.push((u, label)),
                    (true, false) => {
                        self.next.push((u, label));
                        self.next.push((cut(fu / (fu - fw)), k as u32));
                    }
                    (false, true) => self.next.push((cut(fu / (fu - fw)), label)),
                    (false, false) => {}
                }
            }
            std::mem::swap(&mut self.poly, &mut self.next);
            if self.poly.is_empty() {
                return None;
            }
            bx = bounds_of(&self.poly);
        }
        let [lo, hi] = bx;
        let pad = 1e-9 * (hi[0] - lo[0] + hi[1] - lo[1]) + 1e-12 * self.big;
        Some([[lo[0] - pad, lo[1] - pad], [hi[0] + pad, hi[1] + pad]])
    }
}

/// `f` at `p`.
#[inline]
fn at3(f: &Affine, p: [f64; 2]) -> f64 {
    f[0] * p[0] + f[1] * p[1] + f[2]
}

/// The distance from `p` to the line of `f` (signed, positive where `f > 0`).
#[inline]
fn reach(f: &Affine, p: [f64; 2]) -> f64 {
    at3(f, p) / (f[0] * f[0] + f[1] * f[1]).sqrt()
}

/// The bounding box of a polygon.
fn bounds_of(poly: &[([f64; 2], u32)]) -> [[f64; 2]; 2] {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (q, _) in poly {
        for d in 0..2 {
            lo[d] = lo[d].min(q[d]);
            hi[d] = hi[d].max(q[d]);
        }
    }
    [lo, hi]
}

fn corners([lo, hi]: [[f64; 2]; 2]) -> [[f64; 2]; 4] {
    [
        [lo[0], lo[1]],
        [hi[0], lo[1]],
        [hi[0], hi[1]],
        [lo[0], hi[1]],
    ]
}

/// The indices of ascending `v` within `[lo, hi]`, restricted to `within`.
fn index_range<F: Float>(v: &[F], [lo, hi]: [f64; 2], within: [usize; 2]) -> Option<[usize; 2]> {
    let part = &v[within[0]..=within[1]];
    let i0 = within[0] + part.partition_point(|x| x.as_f64() < lo);
    let i1 = within[0] + part.partition_point(|x| x.as_f64() <= hi);
    (i1 > i0).then(|| [i0, i1 - 1])
}

/// Every row of `M` values in `vals` set to `row`.
#[inline]
fn fill_rows<F: Copy, const M: usize>(vals: &mut [F], row: &[F]) {
    if let Ok(row) = <[F; M]>::try_from(row) {
        for o in vals.chunks_exact_mut(M) {
            o.copy_from_slice(&row);
        }
    }
}

/// The values of a span of inside pixels with `M` values each, from unclipped coordinates
/// (`mix`'s operations on `inside_weights`' answer when no coordinate is negative). Returns
/// whether some pixel had a negative coordinate, whose values must be done again.
#[inline]
fn fill_inside<F: Float, const M: usize>(
    fixed: &FixedTriangle<F>,
    rows: [&[F]; 3],
    xs: &[F],
    y: F,
    vals: &mut [F],
) -> bool {
    let (Ok(a), Ok(b), Ok(c)) = (
        <[F; M]>::try_from(rows[0]),
        <[F; M]>::try_from(rows[1]),
        <[F; M]>::try_from(rows[2]),
    ) else {
        return true;
    };
    let zero = F::zero();
    let mut clipped = false;
    for (o, &x) in vals.chunks_exact_mut(M).zip(xs) {
        let [wa, wb, wc] = fixed.canonical_coordinates([x, y]);
        clipped |= (wa < zero) | (wb < zero) | (wc < zero);
        for j in 0..M {
            o[j] = wa * a[j] + wb * b[j] + wc * c[j];
        }
    }
    clipped
}

/// The distances of the pixels `xs` of the row at `y` to the nearest of the points `near`
/// (at most `N`; the k-d tree's squared distances, then the root of the smallest). Returns
/// whether some pixel sits on a known point.
#[inline]
fn nearest_distances<F: Float, const N: usize>(
    est: &TriangleEstimator<F>,
    near: &[u32],
    xs: &[F],
    y: F,
    dist: &mut [F],
) -> bool {
    let n = near.len().min(N);
    let mut qx = [F::zero(); N];
    let mut dy2 = [F::zero(); N];
    for r in 0..n {
        let q = est.point(near[r]);
        let dy = q[1] - y;
        qx[r] = q[0];
        dy2[r] = dy * dy;
    }
    // Fewer points than N repeat the first (the minimum is the same).
    for r in n..N {
        qx[r] = qx[0];
        dy2[r] = dy2[0];
    }
    let mut known = false;
    for (d, &x) in dist.iter_mut().zip(xs) {
        let dx = qx[0] - x;
        let mut d2 = dx * dx + dy2[0];
        for r in 1..N {
            let dx = qx[r] - x;
            d2 = d2.min(dx * dx + dy2[r]);
        }
        known |= d2 == F::zero();
        *d = d2.sqrt();
    }
    known
}

/// The triangle where every barycentric coordinate of `v` is at least `−tol`: the vertex `i`
/// moves to `(1 + 2τ)·vᵢ − τ·(vⱼ + vₖ)`, with τ a little above `tol` against the rounding of
/// these few operations.
fn widened(v: [[f64; 2]; 3], tol: f64) -> [[f64; 2]; 3] {
    if !(tol > 0.0) {
        return v;
    }
    let tau = tol * (1.0 + 1e-6);
    [0, 1, 2].map(|i| {
        let (j, k) = ((i + 1) % 3, (i + 2) % 3);
        [0, 1].map(|d| (1.0 + 2.0 * tau) * v[i][d] - tau * (v[j][d] + v[k][d]))
    })
}
