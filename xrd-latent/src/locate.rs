//! Inverse look-up: where in the plane does the estimate take given values?

use std::collections::HashSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::Float;

use crate::estimator::Scratch;
use crate::geometry::sub;
use crate::kdtree::Neighbours;
use crate::{Error, Estimate, Result, TriangleEstimator};

/// Relative threshold below which the 2 × 2 normal matrix of a triangle's value map counts as
/// singular (its image is a segment or a point rather than a triangle).
const SINGULAR: f64 = 1e-12;

/// Cap on the extra triangles `locate` follows after the candidate list.
const MAX_FOLLOW_UPS: usize = 4096;

/// A point found by [`TriangleEstimator::locate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Located<F = f64> {
    /// The point P of the plane.
    pub point: [F; 2],
    /// The estimate at P; its values match the target on the chosen components.
    pub estimate: Estimate<F>,
    /// Largest deviation `|Q_P,j − q_j| / range_j` over the target components, where `range_j`
    /// is the spread of component j over the known values (1 when constant).
    pub residual: F,
}

/// A candidate solution inside one triangle, as barycentric `(s, t)` of `(a, b, c)`.
type Candidate<F> = ([u32; 3], F, F);

impl<F: Float> TriangleEstimator<F> {
    /// Finds a point P whose estimate takes the target values: `target` lists
    /// `(component, value)` pairs. Two components generically fix a point; one component
    /// leaves a contour, of which the point nearest to the data is returned.
    ///
    /// The search solves Eq. 2 backwards on candidate triangles (every local triangle — a
    /// known point and two of its k nearest neighbours, k =
    /// [`neighbours`](crate::TriangleParams::neighbours) — plus the triangle the estimator
    /// uses at each local triangle's centroid): the affine map (s, t) ↦ Q is inverted (least
    /// squares over the target components, or the solution segment when the map is
    /// singular), restricted to the triangle, mapped back to the plane and *verified* with
    /// [`estimate`](Self::estimate), because the estimator there may use another triangle;
    /// that triangle is then searched too. If nothing verifies, a second pass walks from
    /// every candidate's unconstrained solution to the triangle used there. Returned points
    /// are always true solutions; a miss can only show as [`Error::NotReachable`] (none in
    /// the 90 targets of the tests: 30 estimates on 120 random points, three component sets
    /// each). Among verified solutions the one with the smallest distance to the
    /// nearest known point wins (ties: smaller residual). Unreachable targets cost the
    /// second pass: about one estimate per candidate triangle.
    ///
    /// # Errors
    /// [`Error::EmptyTarget`], [`Error::ComponentOutOfRange`], [`Error::DuplicateComponent`],
    /// [`Error::NonFinite`] for a non-finite target value, and [`Error::NotReachable`] when no
    /// verified solution exists (within
    /// [`locate_tolerance`](crate::TriangleParams::locate_tolerance)).
    pub fn locate(&self, target: &[(usize, F)]) -> Result<Located<F>> {
        if target.is_empty() {
            return Err(Error::EmptyTarget);
        }
        for (i, &(c, v)) in target.iter().enumerate() {
            if c >= self.n_values() {
                return Err(Error::ComponentOutOfRange {
                    component: c,
                    available: self.n_values(),
                });
            }
            if target[..i].iter().any(|&(d, _)| d == c) {
                return Err(Error::DuplicateComponent { component: c });
            }
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "target value",
                    row: i,
                    col: c,
                });
            }
        }
        let scales: Vec<F> = target.iter().map(|&(c, _)| self.range(c)).collect();
        let mut search = Search {
            est: self,
            target,
            scales: &scales,
            tol: F::of(self.get_params().get_locate_tolerance()),
            scratch: self.scratch(),
            best: None,
            queue: Vec::new(),
            seen: HashSet::new(),
        };
        // 1. Every candidate whose vertex values bracket the target, solved inside it.
        let candidates = self.candidates();
        for &tri in candidates {
            search.constrained(tri);
        }
        search.follow_ups();
        // 2. Nothing verified: walk from every candidate's unconstrained solution (where its
        //    affine model puts the target) to the triangle the estimator uses there.
        if search.best.is_none() {
            let (lo, hi) = self.bounds();
            for &tri in candidates {
                search.unconstrained(tri, lo, hi);
            }
            search.follow_ups();
        }
        search.best.ok_or(Error::NotReachable)
    }

    /// Bounding box of the known points.
    fn bounds(&self) -> ([F; 2], [F; 2]) {
        let mut lo = [F::infinity(); 2];
        let mut hi = [F::neg_infinity(); 2];
        for p in self.points() {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        (lo, hi)
    }

    /// Spread of component `c` over the known values, or 1 when constant.
    fn range(&self, c: usize) -> F {
        let col = self.values().column(c).to_owned();
        let lo = col.iter().copied().fold(F::infinity(), F::min);
        let hi = col.iter().copied().fold(F::neg_infinity(), F::max);
        if hi > lo { hi - lo } else { F::one() }
    }

    /// The triangles searched by `locate`, built on first use: every *local* triangle (a known
    /// point and two of its k nearest neighbours) plus every triangle the estimator itself
    /// uses at the centroid of a local triangle. The second set catches the larger triangles
    /// of the k-nearest fallback, whose vertices need not be near each other in rank.
    fn candidates(&self) -> &[[u32; 3]] {
        self.candidates.get_or_init(|| {
            let k = self.get_params().get_neighbours() + 1;
            let mut nb = Neighbours::with_capacity(k);
            let mut all = Vec::new();
            for (i, &p) in self.points().iter().enumerate() {
                self.index().knn_into(p, k, &mut nb);
                let others: Vec<u32> = nb
                    .ids
                    .iter()
                    .copied()
                    .filter(|&j| j as usize != i)
                    .collect();
                for (x, &j) in others.iter().enumerate() {
                    for &l in &others[x + 1..] {
                        let mut t = [i as u32, j, l];
                        t.sort_unstable();
                        all.push(t);
                    }
                }
            }
            all.sort_unstable();
            all.dedup();
            let used: Vec<[u32; 3]> = all
                .par_iter()
                .map_init(
                    || self.scratch(),
                    |scratch, &tri| {
                        let [a, b, c] = tri.map(|i| self.point(i));
                        let third = F::one() / F::of(3.0);
                        let g = [(a[0] + b[0] + c[0]) * third, (a[1] + b[1] + c[1]) * third];
                        let core = self.core(g, scratch);
                        let mut t = core.tri;
                        t.sort_unstable();
                        if core.kind.is_inside() { t } else { tri }
                    },
                )
                .collect();
            all.extend(used);
            all.sort_unstable();
            all.dedup();
            all
        })
    }

    /// Cheap filter: every target value within the range of the triangle's vertex values.
    fn may_reach(&self, tri: [u32; 3], target: &[(usize, F)], scales: &[F], tol: F) -> bool {
        let rows = tri.map(|i| self.value_row(i));
        target.iter().zip(scales).all(|(&(c, q), &sc)| {
            let lo = rows[0][c].min(rows[1][c]).min(rows[2][c]);
            let hi = rows[0][c].max(rows[1][c]).max(rows[2][c]);
            q >= lo - tol * sc && q <= hi + tol * sc
        })
    }

    /// Candidate `(s, t)` inside triangle `tri` solving Eq. 2 for the target, best first.
    fn solve(
        &self,
        tri: [u32; 3],
        target: &[(usize, F)],
        scales: &[F],
        unconstrained: bool,
    ) -> Vec<Candidate<F>> {
        let [qa, qb, qc] = tri.map(|i| self.value_row(i));
        // Normal equations of the scaled least-squares problem u·s + v·t = r.
        let (mut uu, mut uv, mut vv, mut ur, mut vr) =
            (F::zero(), F::zero(), F::zero(), F::zero(), F::zero());
        for (&(c, q), &sc) in target.iter().zip(scales) {
            let (u, v, r) = ((qb[c] - qa[c]) / sc, (qc[c] - qa[c]) / sc, (q - qa[c]) / sc);
            uu += u * u;
            uv += u * v;
            vv += v * v;
            ur += u * r;
            vr += v * r;
        }
        let det = uu * vv - uv * uv;
        let zero = F::zero();
        let one = F::one();
        if det > F::of(SINGULAR) * uu * vv && det > zero {
            let s = (ur * vv - vr * uv) / det;
            let t = (uu * vr - uv * ur) / det;
            let tol = self.edge_tolerance();
            if unconstrained {
                return vec![(tri, s, t)];
            }
            if s >= -tol && t >= -tol && s + t <= one + tol {
                let (s, t) = clamp_to_simplex(s, t);
                return vec![(tri, s, t)];
            }
            return Vec::new();
        }
        // Singular: the solutions form the line n·(s, t) = h (rank 1) or the whole triangle
        // (rank 0, constant values). Use the larger normal-equation row as the line.
        let (n, h) = if uu >= vv {
            ([uu, uv], ur)
        } else {
            ([uv, vv], vr)
        };
        if n[0].abs() + n[1].abs() <= F::of(SINGULAR) {
            return vec![(tri, zero, zero)];
        }
        if unconstrained {
            // The point of the line nearest to the centroid (1/3, 1/3).
            let third = F::one() / F::of(3.0);
            let k = (h - (n[0] + n[1]) * third) / (n[0] * n[0] + n[1] * n[1]);
            return vec![(tri, third + k * n[0], third + k * n[1])];
        }
        let Some((e0, e1)) = line_in_simplex(n, h) else {
            return Vec::new();
        };
        // Prefer the point of the segment nearest to a vertex (the data), then its middle.
        let [a, b, c] = tri.map(|i| self.point(i));
        let (ab, ac) = (sub(b, a), sub(c, a));
        let to_plane = |st: [F; 2]| {
            [
                a[0] + st[0] * ab[0] + st[1] * ac[0],
                a[1] + st[0] * ab[1] + st[1] * ac[1],
            ]
        };
        let (p0, p1) = (to_plane(e0), to_plane(e1));
        let d = sub(p1, p0);
        let dd = d[0] * d[0] + d[1] * d[1];
        let mut nearest = (F::infinity(), zero);
        for v in [a, b, c] {
            let w = sub(v, p0);
            let u = if dd > zero {
                ((w[0] * d[0] + w[1] * d[1]) / dd).max(zero).min(one)
            } else {
                zero
            };
            let q = [p0[0] + u * d[0] - v[0], p0[1] + u * d[1] - v[1]];
            let dist = q[0] * q[0] + q[1] * q[1];
            if dist < nearest.0 {
                nearest = (dist, u);
            }
        }
        let at = |u: F| {
            (
                tri,
                e0[0] + u * (e1[0] - e0[0]),
                e0[1] + u * (e1[1] - e0[1]),
            )
        };
        vec![at(nearest.1), at(F::of(0.5))]
    }

    fn plane_point(&self, tri: [u32; 3], s: F, t: F) -> [F; 2] {
        let [a, b, c] = tri.map(|i| self.point(i));
        [
            a[0] + s * (b[0] - a[0]) + t * (c[0] - a[0]),
            a[1] + s * (b[1] - a[1]) + t * (c[1] - a[1]),
        ]
    }
}

/// State of one `locate` search.
struct Search<'a, F: Float> {
    est: &'a TriangleEstimator<F>,
    target: &'a [(usize, F)],
    scales: &'a [F],
    tol: F,
    scratch: Scratch<F>,
    best: Option<Located<F>>,
    /// Triangles met during the search that are not candidates, to be searched too.
    queue: Vec<[u32; 3]>,
    seen: HashSet<[u32; 3]>,
}

impl<F: Float> Search<'_, F> {
    /// Tries the solutions of Eq. 2 inside `tri`.
    fn constrained(&mut self, tri: [u32; 3]) {
        if !self.est.may_reach(tri, self.target, self.scales, self.tol) {
            return;
        }
        for (tri, s, t) in self.est.solve(tri, self.target, self.scales, false) {
            if self.verify(self.est.plane_point(tri, s, t)) {
                break;
            }
        }
    }

    /// Tries where the affine model of `tri` puts the target, if within the data's box.
    fn unconstrained(&mut self, tri: [u32; 3], lo: [F; 2], hi: [F; 2]) {
        for (tri, s, t) in self.est.solve(tri, self.target, self.scales, true) {
            let p = self.est.plane_point(tri, s, t);
            if p[0] >= lo[0] && p[0] <= hi[0] && p[1] >= lo[1] && p[1] <= hi[1] {
                self.verify(p);
            }
        }
    }

    /// Searches the queued triangles (which may queue more, up to [`MAX_FOLLOW_UPS`]).
    fn follow_ups(&mut self) {
        let mut next = 0;
        while next < self.queue.len() && self.seen.len() <= MAX_FOLLOW_UPS {
            let tri = self.queue[next];
            next += 1;
            self.constrained(tri);
        }
        self.queue.clear();
    }

    /// Estimates at `p`; keeps it when it reproduces the target, otherwise queues the
    /// triangle the estimator used there. Returns whether `p` was a solution.
    fn verify(&mut self, p: [F; 2]) -> bool {
        let est = self.est;
        let core = est.core(p, &mut self.scratch);
        if !core.kind.is_inside() {
            return false;
        }
        let mut values = vec![F::zero(); est.n_values()];
        est.values_into(&core, &mut values);
        let residual = self
            .target
            .iter()
            .zip(self.scales)
            .map(|(&(c, q), &sc)| (values[c] - q).abs() / sc)
            .fold(F::zero(), F::max);
        if residual > self.tol {
            let mut used = core.tri;
            used.sort_unstable();
            if est.candidates().binary_search(&used).is_err() && self.seen.insert(used) {
                self.queue.push(used);
            }
            return false;
        }
        let better = self
            .best
            .as_ref()
            .is_none_or(|b| (core.distance, residual) < (b.estimate.distance, b.residual));
        if better {
            self.best = Some(Located {
                point: p,
                estimate: est.assemble(&core),
                residual,
            });
        }
        true
    }
}

/// Projects `(s, t)` (already within tolerance of the simplex) onto it.
fn clamp_to_simplex<F: Float>(s: F, t: F) -> (F, F) {
    let (s, t) = (s.max(F::zero()), t.max(F::zero()));
    let sum = s + t;
    if sum > F::one() {
        (s / sum, t / sum)
    } else {
        (s, t)
    }
}

/// The segment where the line `n·x = h` crosses the simplex `x ≥ 0, x₀ + x₁ ≤ 1`.
fn line_in_simplex<F: Float>(n: [F; 2], h: F) -> Option<([F; 2], [F; 2])> {
    let (zero, one) = (F::zero(), F::one());
    let verts = [[zero, zero], [one, zero], [zero, one]];
    let f = verts.map(|v| n[0] * v[0] + n[1] * v[1] - h);
    let mut pts: Vec<[F; 2]> = Vec::with_capacity(3);
    for i in 0..3 {
        let j = (i + 1) % 3;
        let (fi, fj) = (f[i], f[j]);
        if fi == zero {
            pts.push(verts[i]);
        } else if (fi < zero) != (fj < zero) && fj != zero {
            let u = fi / (fi - fj);
            pts.push([
                verts[i][0] + u * (verts[j][0] - verts[i][0]),
                verts[i][1] + u * (verts[j][1] - verts[i][1]),
            ]);
        }
    }
    match pts.as_slice() {
        [] => None,
        [p] => Some((*p, *p)),
        [p, q, ..] => Some((*p, *q)),
    }
}
