//! Inverse look-up: where in the plane does the estimate take given values?

use std::collections::HashSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::Float;

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
    /// The search solves Eq. 2 backwards on every *local* triangle (a known point and two of
    /// its 2k nearest neighbours, k = [`neighbours`](crate::TriangleParams::neighbours)): the
    /// affine map (s, t) ↦ Q is inverted (least squares over the target components, or the
    /// solution segment when the map is singular), restricted to the triangle, mapped back to
    /// the plane and then *verified* with [`estimate`](Self::estimate), because the estimator
    /// at that point may use another triangle; that other triangle is then searched too.
    /// A returned point is therefore always a true solution; a solution owned by a triangle
    /// the search never meets can be missed (rare: 2 of 4,287 targets built from random
    /// inside estimates on 150 random points missed it). Among verified inside solutions the one with
    /// the smallest distance to the nearest known point wins (ties: smaller residual).
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
        let tol = F::of(self.get_params().get_locate_tolerance());
        let mut scratch = self.scratch();
        let mut best: Option<Located<F>> = None;
        // Candidates first; then the triangles the estimator actually used where a candidate's
        // solution failed verification (a short walk towards the triangle that owns q).
        let candidates = self.candidates();
        let mut queue: Vec<[u32; 3]> = Vec::new();
        let mut seen: HashSet<[u32; 3]> = HashSet::new();
        let mut next = 0;
        let mut tried = 0;
        loop {
            let tri = if tried < candidates.len() {
                tried += 1;
                candidates[tried - 1]
            } else if next < queue.len() && next < MAX_FOLLOW_UPS {
                next += 1;
                queue[next - 1]
            } else {
                break;
            };
            if !self.may_reach(tri, target, &scales, tol) {
                continue;
            }
            for (tri, s, t) in self.solve(tri, target, &scales) {
                let p = self.plane_point(tri, s, t);
                let core = self.core(p, &mut scratch);
                if !core.kind.is_inside() {
                    continue;
                }
                let est = self.assemble(&core);
                let residual = target
                    .iter()
                    .zip(&scales)
                    .map(|(&(c, q), &sc)| (est.value[c] - q).abs() / sc)
                    .fold(F::zero(), F::max);
                if residual > tol {
                    let mut used = core.tri;
                    used.sort_unstable();
                    if candidates.binary_search(&used).is_err() && seen.insert(used) {
                        queue.push(used);
                    }
                    continue;
                }
                let better = best
                    .as_ref()
                    .is_none_or(|b| (est.distance, residual) < (b.estimate.distance, b.residual));
                if better {
                    best = Some(Located {
                        point: p,
                        estimate: est,
                        residual,
                    });
                }
                break;
            }
        }
        best.ok_or(Error::NotReachable)
    }

    /// Spread of component `c` over the known values, or 1 when constant.
    fn range(&self, c: usize) -> F {
        let col = self.values().column(c).to_owned();
        let lo = col.iter().copied().fold(F::infinity(), F::min);
        let hi = col.iter().copied().fold(F::neg_infinity(), F::max);
        if hi > lo { hi - lo } else { F::one() }
    }

    /// The triangles searched by `locate`, built on first use: every *local* triangle (a known
    /// point and two of its 2k nearest neighbours) plus every triangle the estimator itself
    /// uses at the centroid of a local triangle. The second set catches the larger triangles
    /// of the k-nearest fallback, whose vertices need not be near each other in rank.
    fn candidates(&self) -> &[[u32; 3]] {
        self.candidates.get_or_init(|| {
            let k = 2 * self.get_params().get_neighbours() + 1;
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
    fn solve(&self, tri: [u32; 3], target: &[(usize, F)], scales: &[F]) -> Vec<Candidate<F>> {
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
