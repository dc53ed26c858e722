//! What holds for a whole tile of painted pixels: which triangles of the tile's candidate
//! points accept every pixel, none, or some (then tested pixel by pixel), and whether the
//! tile lies so far outside the candidates that no triangle can accept any of its pixels.
//!
//! Both are proofs about the floating-point tests of [`crate::geometry`], not estimates: a
//! barycentric coordinate is affine in the pixel, so its extremes over the tile sit at the
//! four corners, and a rounding bound covers the gap between the computed and the exact
//! value (relative error of the cross products and of the determinant).

use xrd_core::Float;

use crate::geometry::{cross, dot, sub};

const UNKNOWN: u8 = 0;
/// No pixel of the tile lies in the triangle (within the edge tolerance), in any vertex order.
pub(crate) const OUT: u8 = 1;
/// Every pixel lies robustly inside: accepted in any vertex order, and the cone test of
/// [`clearly_outside`](crate::geometry::clearly_outside) cannot call it outside.
pub(crate) const IN: u8 = 2;
/// Neither is proven: test pixel by pixel.
pub(crate) const MIXED: u8 = 3;

/// Largest candidate count of a tile painted with the proofs (its tables hold n³ entries).
pub(crate) const MAX_TABLE: usize = 48;
/// Rounding bound factor: the computed barycentric coordinates differ from the exact ones
/// by at most `64·ε·q·(1 + q)` with `q = D² / |det|` (D: diameter of tile and triangle);
/// `IN` asks for 16 times more so the angular cone test is robust as well.
const IN_MARGIN: f64 = 1024.0;
const ROUNDING: f64 = 64.0;
/// Relative separation asked of a tile outside the candidates' hull (fraction of the largest
/// tile-to-candidate distance, on top of the edge tolerance).
const APART_MARGIN: f64 = 1e-3;

/// The triangle statuses of one tile, computed on first use.
#[derive(Debug, Clone)]
pub(crate) struct TileGeometry<F> {
    lo: [F; 2],
    hi: [F; 2],
    collinear: F,
    tol: F,
    n: usize,
    /// Status by triangle, valid where `stamps` holds the current tile's stamp.
    table: Vec<u8>,
    stamps: Vec<u32>,
    stamp: u32,
    /// For `MIXED` triangles: the smallest computed barycentric coordinate that proves a
    /// pixel robustly inside (as `IN` does for the whole tile).
    inside_from: Vec<F>,
    stale: bool,
    /// Separating directions, computed on first use in the tile.
    sep: Option<Separation>,
    sep_done: bool,
    /// Whether the candidates' flattest triangle leaves the separation margin intact.
    flat_ok: Option<bool>,
}

/// Directions separating candidates from the tile or from single pixels.
#[derive(Debug, Clone)]
struct Separation {
    /// Gap asked (see [`TileGeometry::apart`]).
    need: f64,
    /// Unit directions u with the smallest `u·q` over the candidates q.
    dirs: Vec<([f64; 2], f64)>,
    /// Whether one of them separates the whole tile.
    tile: bool,
}

impl<F: Float> TileGeometry<F> {
    pub(crate) fn new(collinear: F, tol: F) -> Self {
        Self {
            lo: [F::zero(); 2],
            hi: [F::zero(); 2],
            collinear,
            tol,
            n: 0,
            table: Vec::new(),
            stamps: Vec::new(),
            stamp: 0,
            inside_from: Vec::new(),
            stale: true,
            sep: None,
            sep_done: false,
            flat_ok: None,
        }
    }

    /// Starts a tile spanning `[lo, hi]` with `n` candidates.
    pub(crate) fn reset(&mut self, lo: [F; 2], hi: [F; 2], n: usize) {
        self.lo = lo;
        self.hi = hi;
        self.n = n;
        self.stale = true;
        self.sep_done = false;
        self.flat_ok = None;
    }

    /// Status of the triangle of candidates at positions `i`, `j`, `l` (all distinct), and
    /// for `MIXED` the smallest computed barycentric coordinate that proves a pixel robustly
    /// inside (infinite when none can).
    #[inline]
    pub(crate) fn status(&mut self, pts: &[[F; 2]], i: u32, j: u32, l: u32) -> (u8, F) {
        let n = self.n;
        if n > MAX_TABLE {
            return (MIXED, F::infinity());
        }
        if self.stale {
            // A new stamp invalidates every entry without clearing the table.
            let size = n * n * n;
            if self.stamp == u32::MAX {
                self.stamps.clear();
                self.stamp = 0;
            }
            if self.stamps.len() < size {
                self.stamps.resize(size, 0);
                self.table.resize(size, UNKNOWN);
                self.inside_from.resize(size, F::infinity());
            }
            self.stamp += 1;
            self.stale = false;
        }
        let (mut a, mut b, mut c) = (i as usize, j as usize, l as usize);
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        if b > c {
            std::mem::swap(&mut b, &mut c);
        }
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        let at = (a * n + b) * n + c;
        if self.stamps[at] == self.stamp {
            return (self.table[at], self.inside_from[at]);
        }
        let (s, from) = self.classify(pts[a], pts[b], pts[c]);
        self.stamps[at] = self.stamp;
        self.table[at] = s;
        self.inside_from[at] = from;
        (s, from)
    }

    /// The largest squared distance between two of `pts` and the tile's corners (an upper
    /// bound from the bounding box).
    fn diameter2(&self, pts: &[[F; 2]]) -> F {
        let (mut lo, mut hi) = (self.lo, self.hi);
        for q in pts {
            for d in 0..2 {
                lo[d] = lo[d].min(q[d]);
                hi[d] = hi[d].max(q[d]);
            }
        }
        let (w, h) = (hi[0] - lo[0], hi[1] - lo[1]);
        w * w + h * h
    }

    fn corners(&self) -> [[F; 2]; 4] {
        let (lo, hi) = (self.lo, self.hi);
        [lo, [hi[0], lo[1]], [lo[0], hi[1]], hi]
    }

    fn classify(&self, a: [F; 2], b: [F; 2], c: [F; 2]) -> (u8, F) {
        let inf = F::infinity();
        let eps = F::epsilon();
        let (ab, ac, bc) = (sub(b, a), sub(c, a), sub(c, b));
        let det = cross(ab, ac);
        // `longest` is the same in every vertex order; `det` differs by at most 8ε·longest.
        let longest = dot(ab, ab).max(dot(ac, ac)).max(dot(bc, bc));
        let threshold = self.collinear * longest;
        let slack = F::of(16.0) * eps * longest;
        let adet = det.abs();
        if adet + slack <= threshold {
            return (OUT, inf); // degenerate in every order: `barycentric` gives None
        }
        // (NaN, from infinite coordinates, is never proven.)
        if adet.is_nan() || adet <= threshold + slack + slack {
            return (MIXED, inf);
        }
        let q = self.diameter2(&[a, b, c]) / adet;
        let bound = eps * q * (F::one() + q);
        let (e_in, e_out) = (F::of(IN_MARGIN) * bound, F::of(ROUNDING) * bound);
        if e_in.is_nan() || e_in >= F::of(0.01) {
            return (MIXED, inf);
        }
        let mut min_all = F::infinity();
        let mut max_each = [F::neg_infinity(); 3];
        for p in self.corners() {
            let ap = sub(p, a);
            let s = cross(ap, ac) / det;
            let t = cross(ab, ap) / det;
            let l = [F::one() - s - t, s, t];
            for (m, &x) in max_each.iter_mut().zip(&l) {
                *m = m.max(x);
                min_all = min_all.min(x);
            }
        }
        // The corners' own rounding is covered by a second bound.
        if min_all >= e_in + e_out {
            (IN, inf)
        } else if max_each.iter().any(|&m| m <= -(self.tol + e_out + e_out)) {
            (OUT, inf)
        } else {
            (MIXED, e_in + e_out)
        }
    }

    /// Whether no triangle of `pts` (the tile's candidates) can accept any pixel of the tile:
    /// a line separates the tile from every point with a margin of [`APART_MARGIN`] of the
    /// largest distance plus four edge tolerances, and no triangle of `pts` is so flat that
    /// rounding could undo it. Computed on first use in the tile.
    pub(crate) fn apart(&mut self, pts: &[[F; 2]]) -> bool {
        self.separation(pts);
        let Some(sep) = &self.sep else { return false };
        if !sep.tile {
            return false;
        }
        self.flat_enough(pts)
    }

    /// [`apart`](Self::apart) for the single pixel `p` of the tile.
    pub(crate) fn pixel_apart(&mut self, pts: &[[F; 2]], p: [F; 2]) -> bool {
        self.separation(pts);
        let Some(sep) = &self.sep else { return false };
        let p = [p[0].as_f64(), p[1].as_f64()];
        let separated = sep
            .dirs
            .iter()
            .any(|&(u, near)| near - (u[0] * p[0] + u[1] * p[1]) >= sep.need);
        separated && self.flat_enough(pts)
    }

    fn flat_enough(&mut self, pts: &[[F; 2]]) -> bool {
        if self.flat_ok.is_none() {
            self.flat_ok = Some(self.none_too_flat(pts));
        }
        self.flat_ok == Some(true)
    }

    /// Computes the separating directions of the tile once.
    fn separation(&mut self, pts: &[[F; 2]]) {
        if self.sep_done {
            return;
        }
        self.sep_done = true;
        self.sep = None;
        let dmax = self.diameter2(pts).as_f64().sqrt();
        let need = dmax * (APART_MARGIN + 4.0 * self.tol.as_f64());
        if !(need.is_finite() && dmax > 0.0) {
            return;
        }
        let corners = self.corners().map(|c| [c[0].as_f64(), c[1].as_f64()]);
        let p64: Vec<[f64; 2]> = pts.iter().map(|q| [q[0].as_f64(), q[1].as_f64()]).collect();
        let near = |u: [f64; 2]| {
            p64.iter()
                .map(|q| u[0] * q[0] + u[1] * q[1])
                .fold(f64::INFINITY, f64::min)
        };
        // Two convex sets are separated along an edge normal of one of them: the axes (the
        // tile's) and the inward normals of the candidates' counter-clockwise hull.
        let mut dirs: Vec<([f64; 2], f64)> = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]
            .into_iter()
            .map(|u| (u, near(u)))
            .collect();
        let hull = convex_hull(&p64);
        for (k, &v) in hull.iter().enumerate() {
            let w = hull[(k + 1) % hull.len()];
            let (dx, dy) = (w[0] - v[0], w[1] - v[1]);
            let len = dx.hypot(dy);
            if len > 0.0 {
                let u = [-dy / len, dx / len];
                dirs.push((u, near(u)));
            }
        }
        let tile = dirs.iter().any(|&(u, near)| {
            let far = corners
                .iter()
                .map(|c| u[0] * c[0] + u[1] * c[1])
                .fold(f64::NEG_INFINITY, f64::max);
            near - far >= need
        });
        self.sep = Some(Separation { need, dirs, tile });
    }

    /// Whether every proper triangle of `pts` keeps `ROUNDING·ε·q·(1 + q) < APART_MARGIN / 4`
    /// with `q = D² / |det|` (D: diameter of tile and points), so that rounding cannot undo
    /// the separation margin; degenerate triangles, which every order rejects, are skipped.
    /// Checked as `D² < q_max·(|det| − slack)` against the largest admissible q, with no
    /// division, stopping at the first triangle too flat or too close to call.
    fn none_too_flat(&self, pts: &[[F; 2]]) -> bool {
        let eps = F::epsilon().as_f64();
        // q² + q < K; the root is shrunk a little against the rounding of this formula.
        let k = APART_MARGIN / (4.0 * ROUNDING * eps);
        let q_max = (-1.0 + (1.0 + 4.0 * k).sqrt()) / 2.0 * (1.0 - 1e-6);
        if q_max.is_nan() || q_max <= 1.0 {
            return false;
        }
        let d2 = self.diameter2(pts).as_f64();
        let coll = self.collinear.as_f64();
        let p: Vec<[f64; 2]> = pts.iter().map(|q| [q[0].as_f64(), q[1].as_f64()]).collect();
        for c in 2..p.len() {
            for b in 1..c {
                let cb = sub(p[c], p[b]);
                let lcb = dot(cb, cb);
                for a in 0..b {
                    let (ab, ac) = (sub(p[b], p[a]), sub(p[c], p[a]));
                    let det = cross(ab, ac).abs();
                    let longest = dot(ab, ab).max(dot(ac, ac)).max(lcb);
                    // In F the determinant is off by at most 16ε·longest (far less in f64).
                    let slack = 32.0 * eps * longest;
                    if det + slack <= coll * longest {
                        continue;
                    }
                    // (Also false for NaN and for `det ≤ slack`, too close to call.)
                    let ok = d2 < q_max * (det - slack);
                    if !ok {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Counter-clockwise convex hull (Andrew's monotone chain), without collinear points.
pub(crate) fn convex_hull(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut p = pts.to_vec();
    p.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let turn = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| cross(sub(a, o), sub(b, o));
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(2 * p.len());
    let push = |hull: &mut Vec<[f64; 2]>, start: usize, q: [f64; 2]| {
        while hull.len() >= start + 2 && turn(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0.0
        {
            hull.pop();
        }
        hull.push(q);
    };
    for &q in &p {
        push(&mut hull, 0, q);
    }
    hull.pop();
    let start = hull.len();
    for &q in p.iter().rev() {
        push(&mut hull, start, q);
    }
    hull.pop();
    hull
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;
    use crate::geometry::{VERTEX_ORDERS as ORDERS, enclosing};

    /// Pixels of the tile: its corners, edges and interior on a 9 × 9 lattice.
    fn pixels(lo: [f64; 2], hi: [f64; 2]) -> Vec<[f64; 2]> {
        let mut out = Vec::new();
        for i in 0..9 {
            for j in 0..9 {
                let (u, v) = (i as f64 / 8.0, j as f64 / 8.0);
                out.push([lo[0] + (hi[0] - lo[0]) * u, lo[1] + (hi[1] - lo[1]) * v]);
            }
        }
        out
    }

    #[test]
    fn triangle_statuses_hold_for_every_pixel_and_vertex_order() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
        let (coll, tol) = (1e-10, 1e-9);
        let mut geo = TileGeometry::new(coll, tol);
        let mut seen = [0usize; 4];
        for _ in 0..3000 {
            let lo = [rng.random_range(-0.2..1.0), rng.random_range(-0.2..1.0)];
            let size = [rng.random_range(0.0..0.05), rng.random_range(0.0..0.02)];
            let hi = [lo[0] + size[0], lo[1] + size[1]];
            // Random, nearly collinear, and lattice triangles.
            let pts: Vec<[f64; 2]> = match rng.random_range(0..3) {
                0 => (0..3).map(|_| [rng.random(), rng.random()]).collect(),
                1 => {
                    let t: [f64; 3] = [rng.random(), rng.random(), rng.random()];
                    t.iter()
                        .map(|&t| [t, 0.5 * t + 1e-9 * rng.random::<f64>()])
                        .collect()
                }
                _ => (0..3)
                    .map(|_| {
                        [
                            rng.random_range(0..4) as f64 / 3.0,
                            rng.random_range(0..4) as f64 / 3.0,
                        ]
                    })
                    .collect(),
            };
            geo.reset(lo, hi, 3);
            let (st, from) = geo.status(&pts, 0, 1, 2);
            seen[st as usize] += 1;
            for p in pixels(lo, hi) {
                for o in ORDERS {
                    let got = enclosing(pts[o[0]], pts[o[1]], pts[o[2]], p, coll, tol);
                    match st {
                        IN => assert!(got.is_some_and(|l| l.iter().all(|&x| x >= 0.0))),
                        OUT => assert!(got.is_none(), "{pts:?} {p:?}"),
                        _ => {}
                    }
                    if st == MIXED
                        && let Some(l) = got
                        && l.iter().all(|&x| x >= from)
                    {
                        // Robustly inside: strictly positive in exact terms as well.
                        assert!(l.iter().all(|&x| x > 0.0));
                    }
                }
            }
        }
        assert!(
            seen[IN as usize] > 100 && seen[OUT as usize] > 100 && seen[MIXED as usize] > 100,
            "{seen:?}"
        );
    }

    /// The direct form of [`TileGeometry::none_too_flat`]'s bound: the largest q, then the
    /// test on it.
    fn flat_reference(geo: &TileGeometry<f64>, pts: &[[f64; 2]]) -> bool {
        let d2 = geo.diameter2(pts);
        let mut worst: f64 = 1.0;
        for c in 2..pts.len() {
            for b in 1..c {
                for a in 0..b {
                    let (ab, ac, bc) = (
                        sub(pts[b], pts[a]),
                        sub(pts[c], pts[a]),
                        sub(pts[c], pts[b]),
                    );
                    let det = cross(ab, ac).abs();
                    let longest = dot(ab, ab).max(dot(ac, ac)).max(dot(bc, bc));
                    let slack = 32.0 * f64::EPSILON * longest;
                    if det + slack <= geo.collinear * longest {
                        continue;
                    }
                    if det.is_nan() || det <= slack {
                        return false;
                    }
                    worst = worst.max(d2 / (det - slack));
                }
            }
        }
        ROUNDING * f64::EPSILON * worst * (1.0 + worst) < APART_MARGIN / 4.0
    }

    #[test]
    fn flatness_check_matches_its_direct_form() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
        let mut geo = TileGeometry::new(1e-10, 1e-9);
        let (mut flat, mut fine) = (0, 0);
        for case in 0..2000 {
            let n = rng.random_range(3..10);
            let mut pts: Vec<[f64; 2]> = (0..n).map(|_| [rng.random(), rng.random()]).collect();
            // A nearly collinear triple, of a flatness around the bound's limit (q ≈ 1e5-1e6).
            if case % 2 == 0 {
                let t: f64 = rng.random();
                let off = 10f64.powf(rng.random_range(-8.0..-3.0));
                pts[2] = [
                    pts[0][0] + t * (pts[1][0] - pts[0][0]) + off,
                    pts[0][1] + t * (pts[1][1] - pts[0][1]),
                ];
            }
            geo.reset([0.4, 0.4], [0.41, 0.41], n);
            let (got, want) = (geo.none_too_flat(&pts), flat_reference(&geo, &pts));
            // Never more lenient; stricter only by the 1e-6 shrink of q_max.
            assert!(!got || want, "{pts:?}");
            assert_eq!(got, want, "{pts:?}");
            flat += usize::from(!want);
            fine += usize::from(want);
        }
        assert!(flat > 100 && fine > 100, "{flat} {fine}");
    }

    #[test]
    fn apart_tiles_have_no_accepting_triangle() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let (coll, tol) = (1e-10, 1e-9);
        let mut geo = TileGeometry::new(coll, tol);
        let (mut apart, mut pixel) = (0, 0);
        for _ in 0..400 {
            let pts: Vec<[f64; 2]> = (0..rng.random_range(3..9))
                .map(|_| [rng.random(), rng.random()])
                .collect();
            let lo = [rng.random_range(-0.5..1.5), rng.random_range(-0.5..1.5)];
            let hi = [lo[0] + 0.03, lo[1] + 0.01];
            geo.reset(lo, hi, pts.len());
            let whole = geo.apart(&pts);
            for p in pixels(lo, hi) {
                let single = geo.pixel_apart(&pts, p);
                assert!(!whole || single, "a tile apart is apart at each pixel");
                pixel += usize::from(single);
                if !single {
                    continue;
                }
                for c in 2..pts.len() {
                    for b in 1..c {
                        for a in 0..b {
                            for o in ORDERS {
                                let t = [pts[a], pts[b], pts[c]];
                                assert!(
                                    enclosing(t[o[0]], t[o[1]], t[o[2]], p, coll, tol).is_none()
                                );
                            }
                        }
                    }
                }
            }
            apart += usize::from(whole);
        }
        assert!(apart > 50 && pixel > 50 * 81, "{apart} {pixel}");
    }
}
