//! Inverse look-up: where in the plane does the estimate take given values? Two ways: `locate`
//! searches every candidate triangle; `walk` follows a contour from a starting point.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::{Float, NonFinite};

use crate::estimator::Scratch;
use crate::geometry::sub;
use crate::kdtree::Neighbours;
use crate::{Error, Estimate, Result, TriangleEstimator};

/// Relative threshold below which the 2 × 2 normal matrix of a triangle's value map counts as
/// singular (its image is a segment or a point rather than a triangle).
const SINGULAR: f64 = 1e-12;

/// Cap on the extra triangles `locate` follows after the candidate list.
const MAX_FOLLOW_UPS: usize = 4096;

/// Most Newton steps of [`TriangleEstimator::walk`].
pub const MAX_WALK_STEPS: usize = 32;

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
        self.check_target(target)?;
        let scales: Vec<F> = target.iter().map(|&(c, _)| self.range(c)).collect();
        let mut search = Search {
            est: self,
            target,
            scales: &scales,
            tol: F::of(self.fitted_with().get_locate_tolerance()),
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

    /// Follows the contour of `target` (as for [`locate`](Self::locate)) from `start` to a point
    /// whose estimate takes the target values: Newton steps on the piecewise-affine estimate,
    /// in `f64`. Each step goes to the point nearest to the current one where the affine map of
    /// the triangle in use takes the target (least squares over the target components, scaled by
    /// their ranges; through the pseudo-inverse where the map is singular), at most half that
    /// triangle's mean edge long.
    ///
    /// Where `locate` searches every candidate triangle for the solution nearest to the data,
    /// the walk stays on the branch of the contour it starts on: targets that change a little
    /// from one to the next, each walked from the previous point, give points that change
    /// continuously wherever the contour does.
    ///
    /// # Errors
    /// The target errors of [`locate`](Self::locate); [`Error::NotReachable`] when the walk
    /// leaves the data (an outside estimate) or has not converged within [`MAX_WALK_STEPS`]
    /// steps (within [`locate_tolerance`](crate::TriangleParams::locate_tolerance)).
    pub fn walk(&self, target: &[(usize, F)], start: [F; 2]) -> Result<Located<F>> {
        self.check_target(target)?;
        let goal: Vec<(usize, f64)> = target.iter().map(|&(c, v)| (c, v.as_f64())).collect();
        let scales: Vec<f64> = target
            .iter()
            .map(|&(c, _)| self.range(c).as_f64())
            .collect();
        let tol = self.fitted_with().get_locate_tolerance();
        let mut p = [start[0].as_f64(), start[1].as_f64()];
        for _ in 0..=MAX_WALK_STEPS {
            let point = [F::of(p[0]), F::of(p[1])];
            let est = self.estimate(point);
            if !est.kind.is_inside() {
                return Err(Error::NotReachable);
            }
            let deviations = goal
                .iter()
                .zip(&scales)
                .map(|(&(c, q), &sc)| ((q - est.value[c].as_f64()) / sc).abs());
            if deviations.clone().all(|d| d <= tol) {
                let residual = F::of(deviations.fold(0.0, f64::max));
                return Ok(Located {
                    point,
                    estimate: est,
                    residual,
                });
            }
            let tri = est.triangle.map(|i| i as u32);
            let [a, b, c] = tri.map(|i| {
                let v = self.point(i);
                [v[0].as_f64(), v[1].as_f64()]
            });
            let q = self
                .nearest_solution(tri, &goal, &scales, p)
                .ok_or(Error::NotReachable)?;
            let step = [q[0] - p[0], q[1] - p[1]];
            // Trust region: at most half the triangle's mean edge per step, so the walk moves
            // along the contour instead of leaping to a distant branch.
            let edge =
                |u: [f64; 2], v: [f64; 2]| ((u[0] - v[0]).powi(2) + (u[1] - v[1]).powi(2)).sqrt();
            let edges = (edge(a, b) + edge(b, c) + edge(a, c)) / 3.0;
            let len = (step[0] * step[0] + step[1] * step[1]).sqrt();
            let k = if len > 0.5 * edges {
                0.5 * edges / len
            } else {
                1.0
            };
            p = [p[0] + k * step[0], p[1] + k * step[1]];
        }
        Err(Error::NotReachable)
    }

    /// Validates a target of [`locate`](Self::locate) or [`walk`](Self::walk).
    fn check_target(&self, target: &[(usize, F)]) -> Result<()> {
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
                return Err(NonFinite::cell("target value", i, c, v.as_f64()).into());
            }
        }
        Ok(())
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
            let k = self.fitted_with().get_neighbours() + 1;
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
        let rows = tri.map(|i| self.value_row(i));
        let [uu, uv, vv, ur, vr] = normal_equations(|k, c| rows[k][c], target, scales);
        let zero = F::zero();
        let one = F::one();
        if let Some((s, t)) = regular_solution([uu, uv, vv, ur, vr]) {
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

    /// The point of the plane nearest to `p` where the affine map of triangle `tri` takes the
    /// target (in `f64`): the unique solution when the map is regular, else the nearest point of
    /// the solution line inside the triangle, or of the whole line when it misses the triangle.
    /// `None` for a degenerate triangle or constant values.
    fn nearest_solution(
        &self,
        tri: [u32; 3],
        target: &[(usize, f64)],
        scales: &[f64],
        p: [f64; 2],
    ) -> Option<[f64; 2]> {
        let rows = tri.map(|i| self.value_row(i));
        let n = normal_equations(|k, c| rows[k][c].as_f64(), target, scales);
        let [a, b, c] = tri.map(|i| {
            let v = self.point(i);
            [v[0].as_f64(), v[1].as_f64()]
        });
        let (ab, ac) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
        let plane = |s: f64, t: f64| [a[0] + s * ab[0] + t * ac[0], a[1] + s * ab[1] + t * ac[1]];
        if let Some((s, t)) = regular_solution(n) {
            return Some(plane(s, t));
        }
        let [uu, uv, vv, ur, vr] = n;
        // Rank one: the solutions are the line n·(s, t) = h.
        let (n, h) = if uu >= vv {
            ([uu, uv], ur)
        } else {
            ([uv, vv], vr)
        };
        let nn = n[0] * n[0] + n[1] * n[1];
        if nn <= SINGULAR {
            return None;
        }
        // Barycentric coordinates of p, and its projection onto the line.
        let mdet = ab[0] * ac[1] - ac[0] * ab[1];
        if mdet.abs() <= SINGULAR * (ab[0].hypot(ab[1]) * ac[0].hypot(ac[1])).max(f64::MIN_POSITIVE)
        {
            return None;
        }
        let (px, py) = (p[0] - a[0], p[1] - a[1]);
        let sp = (px * ac[1] - ac[0] * py) / mdet;
        let tp = (ab[0] * py - px * ab[1]) / mdet;
        let off = (h - n[0] * sp - n[1] * tp) / nn;
        let foot = [sp + off * n[0], tp + off * n[1]];
        // Clip the line to the simplex s, t ≥ 0, s + t ≤ 1 (parametrised along d ⊥ n).
        let d = [-n[1], n[0]];
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut clip = |g: f64, dg: f64| {
            // Keep g + λ·dg ≥ 0.
            if dg.abs() <= f64::EPSILON {
                if g < 0.0 {
                    lo = f64::INFINITY;
                }
            } else if dg > 0.0 {
                lo = lo.max(-g / dg);
            } else {
                hi = hi.min(-g / dg);
            }
        };
        clip(foot[0], d[0]);
        clip(foot[1], d[1]);
        clip(1.0 - foot[0] - foot[1], -d[0] - d[1]);
        let lambda = if lo <= hi && lo < f64::INFINITY && hi > f64::NEG_INFINITY {
            0.0f64.clamp(lo, hi)
        } else {
            0.0
        };
        let (s, t) = (foot[0] + lambda * d[0], foot[1] + lambda * d[1]);
        Some(plane(s, t))
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

/// Normal equations `[uu, uv, vv, ur, vr]` of the scaled least-squares problem `u·s + v·t = r`
/// over the target components, where `u`, `v`, `r` are the changes of component `c` from vertex
/// 0 to vertices 1 and 2 and to the target, each divided by the component's scale; `q(k, c)` is
/// the value of component `c` at vertex `k`.
fn normal_equations<T: Float>(
    q: impl Fn(usize, usize) -> T,
    target: &[(usize, T)],
    scales: &[T],
) -> [T; 5] {
    let (mut uu, mut uv, mut vv, mut ur, mut vr) =
        (T::zero(), T::zero(), T::zero(), T::zero(), T::zero());
    for (&(c, goal), &sc) in target.iter().zip(scales) {
        let qa = q(0, c);
        let (u, v, r) = ((q(1, c) - qa) / sc, (q(2, c) - qa) / sc, (goal - qa) / sc);
        uu += u * u;
        uv += u * v;
        vv += v * v;
        ur += u * r;
        vr += v * r;
    }
    [uu, uv, vv, ur, vr]
}

/// The unique `(s, t)` of the normal equations, `None` when their matrix is singular (relative
/// to [`SINGULAR`]).
fn regular_solution<T: Float>([uu, uv, vv, ur, vr]: [T; 5]) -> Option<(T, T)> {
    let det = uu * vv - uv * uv;
    (det > T::of(SINGULAR) * uu * vv && det > T::zero())
        .then(|| ((ur * vv - vr * uv) / det, (uu * vr - uv * ur) / det))
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
