//! Plane geometry of one triangle: barycentric coordinates and the paper's A, B, C labelling.

use xrd_core::Float;

#[inline]
pub(crate) fn sub<F: Float>(a: [F; 2], b: [F; 2]) -> [F; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

#[inline]
pub(crate) fn dot<F: Float>(u: [F; 2], v: [F; 2]) -> F {
    u[0] * v[0] + u[1] * v[1]
}

#[inline]
pub(crate) fn cross<F: Float>(u: [F; 2], v: [F; 2]) -> F {
    u[0] * v[1] - u[1] * v[0]
}

/// The positions of the three vertices `v` in their canonical order: ascending by x, then
/// by y. The arithmetic of a triangle runs on its vertices in this order, so that its
/// answers (coordinates, weights, values) are those of the triangle as a set of points, bit
/// for bit, whatever order the rule visits or labels its vertices in.
#[inline(always)]
pub(crate) fn canonical<F: Float>(v: &[[F; 2]; 3]) -> [usize; 3] {
    let before =
        |i: usize, j: usize| v[i][0] < v[j][0] || (v[i][0] == v[j][0] && v[i][1] < v[j][1]);
    let [mut a, mut b, mut c] = [0, 1, 2];
    if before(b, a) {
        std::mem::swap(&mut a, &mut b);
    }
    if before(c, b) {
        std::mem::swap(&mut b, &mut c);
        if before(b, a) {
            std::mem::swap(&mut a, &mut b);
        }
    }
    [a, b, c]
}

/// `x` (in the order `o`) back in the order of the vertices given: `x[k]` belongs to
/// vertex `o[k]`.
#[inline(always)]
fn unpermute<F: Float>(o: [usize; 3], x: [F; 3]) -> [F; 3] {
    // Selects rather than stores at computed places: the result stays in registers.
    let of = |v: usize| {
        if o[0] == v {
            x[0]
        } else if o[1] == v {
            x[1]
        } else {
            x[2]
        }
    };
    [of(0), of(1), of(2)]
}

/// Barycentric coordinates `[1 − s − t, s, t]` of `p` in the triangle `(a, b, c)`, where
/// `x_AP = s·x_AB + t·x_AC` (the paper's Eq. 1), or `None` when the triangle is degenerate:
/// `|x_AB × x_AC| ≤ collinear · (longest edge)²` (this also catches NaN). Computed with the
/// vertices in their [`canonical`] order and returned in the order given.
#[inline(always)]
pub(crate) fn barycentric<F: Float>(
    a: [F; 2],
    b: [F; 2],
    c: [F; 2],
    p: [F; 2],
    collinear: F,
) -> Option<[F; 3]> {
    let v = [a, b, c];
    let o = canonical(&v);
    let l = barycentric_in_order(v[o[0]], v[o[1]], v[o[2]], p, collinear)?;
    Some(unpermute(o, l))
}

/// [`barycentric`]'s arithmetic with `a` as the vertex A.
#[inline(always)]
fn barycentric_in_order<F: Float>(
    a: [F; 2],
    b: [F; 2],
    c: [F; 2],
    p: [F; 2],
    collinear: F,
) -> Option<[F; 3]> {
    let ab = sub(b, a);
    let ac = sub(c, a);
    let det = cross(ab, ac);
    let bc = sub(c, b);
    let longest = dot(ab, ab).max(dot(ac, ac)).max(dot(bc, bc));
    let proper = det.abs() > collinear * longest;
    if !proper {
        return None;
    }
    let ap = sub(p, a);
    let s = cross(ap, ac) / det;
    let t = cross(ab, ap) / det;
    Some([F::one() - s - t, s, t])
}

/// [`barycentric`] when the triangle encloses `p` within `tol`, else `None`. Sign tests on the
/// undivided numerators (in the canonical order too) reject most triangles before the
/// degeneracy check and the divisions; accepted triangles are re-checked on the divided
/// coordinates, so the answer is the one [`barycentric`] gives.
#[inline(always)]
pub(crate) fn enclosing<F: Float>(
    a: [F; 2],
    b: [F; 2],
    c: [F; 2],
    p: [F; 2],
    collinear: F,
    tol: F,
) -> Option<[F; 3]> {
    let v = [a, b, c];
    let o = canonical(&v);
    let [a, b, c] = o.map(|k| v[k]);
    let ab = sub(b, a);
    let ac = sub(c, a);
    let ap = sub(p, a);
    let det = cross(ab, ac);
    let (mut s, mut t) = (cross(ap, ac), cross(ab, ap));
    let mut d = det;
    if det < F::zero() {
        (s, t, d) = (-s, -t, -det);
    }
    // A margin of twice the tolerance keeps rounding from rejecting what the divided test accepts.
    let slack = (tol + tol) * d;
    if s < -slack || t < -slack || s + t > d + slack {
        return None;
    }
    let l = barycentric_in_order(a, b, c, p, collinear)?;
    (l[0].min(l[1]).min(l[2]) >= -tol).then(|| unpermute(o, l))
}

/// Rounding factor of `surely_apart`, in units of ε·R² (R: the distance to the farthest of
/// the seed's nearest).
pub(crate) const PREFILTER_ROUNDING: f64 = 512.0;

/// The orientation of `p` against the directed line `a → b`: twice the signed area of
/// `(a, b, p)`, positive when `p` lies to the left.
#[inline]
pub(crate) fn orientation(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
}

/// Whether [`enclosing`] surely rejects the triangle `(a, b, c)` at P, from P's orientations
/// against its edges `a → b`, `b → c`, `c → a`, whose exact sum is the triangle's doubled
/// signed area `d`, and each of which is `d` times a barycentric coordinate. With R the
/// distance from P to the farthest of the points searched (P's nearest), P is within R of each
/// vertex and the vertices within 2R of each other, so each orientation is off by at most
/// 32εR², `d` by 128εR², and `enclosing`'s coordinates (in its canonical order) by 177εR²/|d|
/// near the triangle. A triangle it accepts therefore has every signed orientation above
/// `−tol·|d| − 512εR²` (`apart_by` = 512εR²), with the sign of `d` right whenever
/// `|d| > 512εR²`; nearly flat triangles are left to `enclosing`.
#[inline]
pub(crate) fn surely_apart(edges: [f64; 3], tol: f64, apart_by: f64) -> bool {
    let d = edges[0] + edges[1] + edges[2];
    // (NaN is never apart.)
    if d.abs().partial_cmp(&apart_by) != Some(std::cmp::Ordering::Greater) {
        return false;
    }
    let limit = -(tol * d.abs() + apart_by);
    let s = d.signum();
    edges.iter().any(|&e| s * e < limit)
}

/// The paper's labelling rule: of the three vertices, A is the one whose two inner products
/// `x_AB · x_AP` and `x_AC · x_AP` are jointly largest, i.e. it maximises the smaller of the
/// two (ties: the earlier vertex). B and C keep their given order. Returns the positions of
/// A, B, C in `v`.
#[inline]
pub(crate) fn paper_labels<F: Float>(v: [[F; 2]; 3], p: [F; 2]) -> [usize; 3] {
    let mut best = [0, 1, 2];
    let mut best_score = F::neg_infinity();
    for order in LABELLINGS {
        let a = v[order[0]];
        let ap = sub(p, a);
        let score = dot(sub(v[order[1]], a), ap).min(dot(sub(v[order[2]], a), ap));
        if score > best_score {
            best_score = score;
            best = order;
        }
    }
    best
}

/// The labellings [`paper_labels`] tries, in its order: the vertex taken as A first.
pub(crate) const LABELLINGS: [[usize; 3]; 3] = [[0, 1, 2], [1, 0, 2], [2, 0, 1]];

/// One triangle with what [`barycentric`] and [`paper_labels`] compute before they look at the
/// query point, for many queries (a painted tile): the answers are theirs, bit for bit, since
/// the same operations run on the same values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixedTriangle<F> {
    /// The vertex A of the [`canonical`] order, and the edges AB, AC.
    a: [F; 2],
    ab: [F; 2],
    ac: [F; 2],
    det: F,
    /// The canonical order of the vertices given.
    order: [usize; 3],
    /// Not degenerate (else [`barycentric`] gives `None`).
    proper: bool,
    /// Per labelling of [`LABELLINGS`]: the vertex A and the edges AB, AC.
    labels: [[[F; 2]; 3]; 3],
}

impl<F: Float> FixedTriangle<F> {
    pub(crate) fn new(v: [[F; 2]; 3], collinear: F) -> Self {
        let order = canonical(&v);
        let [a, b, c] = order.map(|k| v[k]);
        let (ab, ac, bc) = (sub(b, a), sub(c, a), sub(c, b));
        let det = cross(ab, ac);
        let longest = dot(ab, ab).max(dot(ac, ac)).max(dot(bc, bc));
        let labels = LABELLINGS.map(|o| {
            let a = v[o[0]];
            [a, sub(v[o[1]], a), sub(v[o[2]], a)]
        });
        Self {
            a,
            ab,
            ac,
            det,
            order,
            proper: det.abs() > collinear * longest,
            labels,
        }
    }

    /// The positions of the vertices given in their [`canonical`] order.
    #[inline]
    pub(crate) fn canonical_order(&self) -> [usize; 3] {
        self.order
    }

    /// [`barycentric`] of `p`.
    #[inline]
    pub(crate) fn barycentric(&self, p: [F; 2]) -> Option<[F; 3]> {
        self.proper.then(|| self.coordinates(p))
    }

    /// [`barycentric`] of `p` for a proper triangle.
    #[inline]
    pub(crate) fn coordinates(&self, p: [F; 2]) -> [F; 3] {
        unpermute(self.order, self.canonical_coordinates(p))
    }

    /// [`coordinates`](Self::coordinates) in the canonical order of the vertices.
    #[inline]
    pub(crate) fn canonical_coordinates(&self, p: [F; 2]) -> [F; 3] {
        let ap = sub(p, self.a);
        let s = cross(ap, self.ac) / self.det;
        let t = cross(self.ab, ap) / self.det;
        [F::one() - s - t, s, t]
    }

    /// [`paper_labels`] of `p`.
    #[inline]
    pub(crate) fn labels(&self, p: [F; 2]) -> [usize; 3] {
        let mut best = LABELLINGS[0];
        let mut best_score = F::neg_infinity();
        for (order, [a, ab, ac]) in LABELLINGS.iter().zip(&self.labels) {
            let ap = sub(p, *a);
            let score = dot(*ab, ap).min(dot(*ac, ap));
            if score > best_score {
                best_score = score;
                best = *order;
            }
        }
        best
    }
}

/// Whether `p` lies clearly outside the convex hull of `pts` (angular gap around `p`
/// larger than π + `eps`), in one pass with early exit: the smallest cone of directions
/// from `p` holding all points is grown point by point, and the answer is "no" as soon as it
/// reaches a half-turn. A "no" is conservative: points near the hull's boundary get `false`.
/// Every point must differ from `p`.
pub(crate) fn clearly_outside<F: Float>(
    p: [F; 2],
    mut pts: impl Iterator<Item = [F; 2]>,
    eps: F,
) -> bool {
    let zero = F::zero();
    let Some(first) = pts.next() else { return true };
    // The cone runs counter-clockwise from `r` to `l`, spanning less than a half-turn.
    let (mut r, mut l) = (sub(first, p), sub(first, p));
    for q in pts {
        let d = sub(q, p);
        let (cr, cl) = (cross(r, d), cross(l, d));
        if cr >= zero && cl <= zero && (cr != zero || cl != zero || dot(r, d) > zero) {
            continue; // within the cone
        } else if cr > zero && cl > zero {
            l = d; // just counter-clockwise of the cone, still less than a half-turn from r
        } else if cr < zero && cl < zero {
            r = d; // just clockwise of the cone
        } else {
            return false;
        }
        if cross(r, l) < zero {
            return false; // grew past a half-turn
        }
    }
    let norms = (dot(r, r) * dot(l, l)).sqrt();
    dot(r, l) >= zero || cross(r, l) > eps * norms
}

/// Score of the labelling `order` under the rule of [`paper_labels`] (for tests).
#[cfg(test)]
pub(crate) fn label_score<F: Float>(v: [[F; 2]; 3], p: [F; 2], order: [usize; 3]) -> F {
    let a = v[order[0]];
    let ap = sub(p, a);
    dot(sub(v[order[1]], a), ap).min(dot(sub(v[order[2]], a), ap))
}

/// The six orders of a triangle's vertices (for tests).
#[cfg(test)]
pub(crate) const VERTEX_ORDERS: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barycentric_of_the_paper_figure() {
        let (a, b, c) = ([0.0, 0.0], [4.0, 0.0], [0.0, 2.0]);
        let l = barycentric(a, b, c, [1.0, 0.5], 1e-12).unwrap();
        assert_eq!(l, [0.5, 0.25, 0.25]);
        assert!(barycentric(a, b, [8.0, 0.0], [1.0, 0.5], 1e-12).is_none());
        assert!(barycentric(a, a, a, [1.0, 0.5], 0.0).is_none());
        assert!(barycentric(a, b, [f64::NAN, 0.0], [1.0, 0.5], 0.0).is_none());
    }

    fn brute_outside(p: [f64; 2], pts: &[[f64; 2]]) -> Option<bool> {
        // Outside iff some direction from p has every point strictly on one side; try the
        // directions perpendicular to each point's direction, both ways, with a margin.
        let mut best = f64::NEG_INFINITY;
        for k in 0..3600 {
            let a = k as f64 * std::f64::consts::TAU / 3600.0;
            let u = [a.cos(), a.sin()];
            let worst = pts
                .iter()
                .map(|q| {
                    let d = sub(*q, p);
                    dot(u, d) / dot(d, d).sqrt()
                })
                .fold(f64::INFINITY, f64::min);
            best = best.max(worst);
        }
        if best > 0.01 {
            Some(true)
        } else if best < -0.01 {
            Some(false)
        } else {
            None
        }
    }

    #[test]
    fn hull_test_matches_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let mut decided = 0;
        for _ in 0..400 {
            let n = rng.random_range(1..12);
            let pts: Vec<[f64; 2]> = (0..n).map(|_| [rng.random(), rng.random()]).collect();
            let p = [rng.random_range(-0.5..1.5), rng.random_range(-0.5..1.5)];
            let fast = clearly_outside(p, pts.iter().copied(), 1e-9);
            if let Some(truth) = brute_outside(p, &pts) {
                assert_eq!(fast, truth, "{p:?} {pts:?}");
                decided += 1;
            }
        }
        assert!(decided > 300);
        // Opposite directions: p on the segment is not outside; on the ray it is.
        assert!(!clearly_outside(
            [0.5, 0.0],
            [[0.0, 0.0], [1.0, 0.0]].into_iter(),
            1e-9
        ));
        assert!(clearly_outside(
            [2.0, 0.0],
            [[0.0, 0.0], [1.0, 0.0]].into_iter(),
            1e-9
        ));
    }

    #[test]
    fn enclosing_agrees_with_barycentric() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(12);
        for _ in 0..5000 {
            let mut pt = || [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let (a, b, c, p) = (pt(), pt(), pt(), pt());
            let full = barycentric(a, b, c, p, 1e-10).filter(|l| l.iter().all(|&x| x >= -1e-9));
            assert_eq!(enclosing(a, b, c, p, 1e-10, 1e-9), full);
            // Points on an edge (within rounding) are accepted by both.
            let m = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            let full = barycentric(a, b, c, m, 1e-10).filter(|l| l.iter().all(|&x| x >= -1e-9));
            assert_eq!(enclosing(a, b, c, m, 1e-10, 1e-9), full);
        }
    }

    #[test]
    fn coordinates_are_the_triangles_whatever_the_vertex_order() {
        // Each order of the vertices gives the same coordinates, permuted, bit for bit: the
        // arithmetic runs in the canonical order (in the order given, it fails here).
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(47);
        let bits = |l: Option<[f64; 3]>| l.map(|l| l.map(f64::to_bits));
        let mut tied_x = 0;
        for k in 0..3000 {
            let mut pt = || [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let mut v = [pt(), pt(), pt()];
            if k % 5 == 0 {
                v[1][0] = v[0][0]; // a tie in x: the canonical order falls back on y
                tied_x += 1;
            }
            let p = [rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5)];
            let want = barycentric(v[0], v[1], v[2], p, 1e-10);
            let want_in = enclosing(v[0], v[1], v[2], p, 1e-10, 1e-9);
            for o in VERTEX_ORDERS {
                let w = o.map(|i| v[i]);
                let permuted = |l: Option<[f64; 3]>| l.map(|l| o.map(|i| l[i]));
                assert_eq!(
                    bits(barycentric(w[0], w[1], w[2], p, 1e-10)),
                    bits(permuted(want))
                );
                assert_eq!(
                    bits(enclosing(w[0], w[1], w[2], p, 1e-10, 1e-9)),
                    bits(permuted(want_in))
                );
                let fixed = FixedTriangle::new(w, 1e-10);
                assert_eq!(bits(fixed.barycentric(p)), bits(permuted(want)));
            }
        }
        assert_eq!(tied_x, 600);
    }

    /// `surely_apart` never rejects a triangle `enclosing` accepts: points on edges, near
    /// vertices and inside, flat triangles, with and without a tolerance.
    #[test]
    fn the_orientation_prefilter_never_rejects_an_enclosing_triangle() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut rejected, mut checked) = (0, 0);
        for k in 0..20_000 {
            let pt = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus| {
                [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)]
            };
            let mut v = [pt(&mut rng), pt(&mut rng), pt(&mut rng)];
            if k % 7 == 0 {
                // Nearly flat.
                v[2] = [0.5 * (v[0][0] + v[1][0]), 0.5 * (v[0][1] + v[1][1]) + 1e-9];
            }
            let t: f64 = rng.random_range(0.0..1.0);
            let (i, j) = [(0, 1), (1, 2), (2, 0)][k % 3];
            let p = match k % 4 {
                // On an edge (to rounding).
                0 => [
                    v[i][0] + t * (v[j][0] - v[i][0]),
                    v[i][1] + t * (v[j][1] - v[i][1]),
                ],
                1 => v[i].map(|x| x + 1e-12),
                _ => pt(&mut rng),
            };
            let r2 = v
                .iter()
                .map(|q| (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2))
                .fold(0.0, f64::max);
            for tol in [0.0, 1e-9] {
                let apart_by = PREFILTER_ROUNDING * f64::EPSILON * r2;
                let edges = [
                    orientation(v[0], v[1], p),
                    orientation(v[1], v[2], p),
                    -orientation(v[0], v[2], p),
                ];
                let apart = surely_apart(edges, tol, apart_by);
                let found = enclosing(v[0], v[1], v[2], p, 1e-10, tol);
                assert!(!(apart && found.is_some()), "{v:?} {p:?} tol {tol}");
                rejected += usize::from(apart);
                checked += 1;
            }
        }
        // It does reject: most random points lie outside their triangle.
        assert!(rejected > checked / 3, "{rejected} of {checked}");
    }

    #[test]
    fn fixed_triangles_answer_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(31);
        let bits = |l: Option<[f64; 3]>| l.map(|l| l.map(f64::to_bits));
        for k in 0..4000 {
            let mut pt = || [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let mut v = [pt(), pt(), pt()];
            if k % 4 == 0 {
                v[2] = [v[0][0] + v[1][0], v[0][1] + v[1][1]].map(|x: f64| x / 2.0); // collinear
            }
            let fixed = FixedTriangle::new(v, 1e-10);
            for _ in 0..5 {
                let p = [rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0)];
                let want = barycentric(v[0], v[1], v[2], p, 1e-10);
                assert_eq!(bits(fixed.barycentric(p)), bits(want));
                assert_eq!(fixed.labels(p), paper_labels(v, p));
            }
        }
    }

    #[test]
    fn labelling_puts_a_at_the_acute_vertex_facing_p() {
        // Obtuse at the origin; P near the long edge: A must not be the obtuse vertex.
        let v = [[0.0, 0.0], [-3.0, 1.0], [3.0, 1.0]];
        let p = [0.0, 0.9];
        let l = paper_labels(v, p);
        assert_ne!(l[0], 0);
        for order in [[0, 1, 2], [1, 0, 2], [2, 0, 1]] {
            assert!(label_score(v, p, l) >= label_score(v, p, order));
        }
    }
}
