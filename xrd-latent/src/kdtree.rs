//! A 2-D k-d tree: the nearest-neighbour index behind the estimator.

use std::cmp::Ordering;

use xrd_core::{Float, NonFinite};

use crate::{Error, Result};

/// Largest number of points in a leaf; small leaves keep the search exact and cheap in 2-D.
pub const LEAF_SIZE: usize = 8;

/// A known point returned by a nearest-neighbour query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour<F = f64> {
    /// Index of the point in the slice the tree was built from.
    pub index: usize,
    /// Euclidean distance from the query.
    pub distance: F,
}

#[derive(Debug, Clone, Copy)]
enum Node<F> {
    Leaf {
        start: u32,
        end: u32,
    },
    Split {
        dim: u8,
        at: F,
        left: u32,
        right: u32,
    },
}

/// A static 2-D k-d tree (median splits along the wider extent, leaves of at most
/// [`LEAF_SIZE`] points) answering exact k-nearest-neighbour queries.
///
/// Ties in distance are broken by the smaller index, so results are deterministic and equal
/// to a brute-force sort by `(distance², index)`.
#[derive(Debug, Clone)]
pub struct KdTree<F = f64> {
    points: Vec<[F; 2]>,
    ids: Vec<u32>,
    nodes: Vec<Node<F>>,
}

/// The `k` best `(distance², id)` pairs seen so far, sorted ascending.
#[derive(Debug, Clone, Default)]
pub(crate) struct Neighbours<F> {
    pub(crate) d2: Vec<F>,
    pub(crate) ids: Vec<u32>,
    k: usize,
}

impl<F: Float> Neighbours<F> {
    pub(crate) fn with_capacity(k: usize) -> Self {
        Self {
            d2: Vec::with_capacity(k + 1),
            ids: Vec::with_capacity(k + 1),
            k,
        }
    }

    fn reset(&mut self, k: usize) {
        self.d2.clear();
        self.ids.clear();
        self.k = k;
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Replaces the content with `sorted` (already the k nearest, ascending).
    pub(crate) fn set_sorted(&mut self, k: usize, sorted: &[(F, u32)]) {
        self.reset(k);
        for &(d2, i) in sorted {
            self.d2.push(d2);
            self.ids.push(i);
        }
    }

    #[inline]
    fn worst(&self) -> F {
        if self.ids.len() < self.k {
            F::infinity()
        } else {
            self.d2[self.ids.len() - 1]
        }
    }

    #[inline]
    fn offer(&mut self, d2: F, id: u32) {
        let n = self.ids.len();
        if n == self.k {
            let (wd, wi) = (self.d2[n - 1], self.ids[n - 1]);
            if d2 > wd || (d2 == wd && id > wi) {
                return;
            }
        }
        // Insertion point keeping (d2, id) ascending.
        let mut pos = n;
        while pos > 0 {
            let (pd, pi) = (self.d2[pos - 1], self.ids[pos - 1]);
            if pd < d2 || (pd == d2 && pi < id) {
                break;
            }
            pos -= 1;
        }
        if n < self.k {
            self.d2.push(d2);
            self.ids.push(id);
        }
        let last = self.ids.len() - 1;
        for j in (pos..last).rev() {
            self.d2[j + 1] = self.d2[j];
            self.ids[j + 1] = self.ids[j];
        }
        self.d2[pos] = d2;
        self.ids[pos] = id;
    }
}

impl<F: Float> KdTree<F> {
    /// Builds the tree over `points`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite coordinate; [`Error::ShapeMismatch`] for more than
    /// `u32::MAX` points.
    pub fn new(points: &[[F; 2]]) -> Result<Self> {
        if points.len() > u32::MAX as usize {
            return Err(Error::shape(
                "k-d tree points",
                format!("at most {}", u32::MAX),
                points.len().to_string(),
            ));
        }
        let mut items = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            for (col, c) in p.iter().enumerate() {
                if !c.is_finite() {
                    return Err(NonFinite::cell("point coordinate", i, col, c.as_f64()).into());
                }
            }
            items.push((*p, i as u32));
        }
        let mut nodes = Vec::new();
        if !items.is_empty() {
            build(&mut items, 0, &mut nodes);
        }
        let (points, ids) = items.into_iter().unzip();
        Ok(Self { points, ids, nodes })
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the tree holds no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The nearest indexed point to `p`, or `None` for an empty tree.
    pub fn nearest(&self, p: [F; 2]) -> Option<Neighbour<F>> {
        self.k_nearest(p, 1).into_iter().next()
    }

    /// The `k` nearest indexed points to `p`, nearest first (fewer when the tree is smaller).
    pub fn k_nearest(&self, p: [F; 2], k: usize) -> Vec<Neighbour<F>> {
        let mut nb = Neighbours::with_capacity(k);
        self.knn_into(p, k, &mut nb);
        nb.d2
            .iter()
            .zip(&nb.ids)
            .map(|(&d2, &i)| Neighbour {
                index: i as usize,
                distance: d2.sqrt(),
            })
            .collect()
    }

    /// Fills `out` with the `k` nearest points as `(distance², index)`, ascending.
    pub(crate) fn knn_into(&self, p: [F; 2], k: usize, out: &mut Neighbours<F>) {
        out.reset(k);
        if k > 0 && !self.nodes.is_empty() {
            self.search(0, p, out);
        }
    }

    /// Appends to `out` the ids of all points with squared distance `≤ r2` from `p`.
    pub(crate) fn within_into(&self, p: [F; 2], r2: F, out: &mut Vec<u32>) {
        if !self.nodes.is_empty() {
            self.search_within(0, p, r2, out);
        }
    }

    fn search_within(&self, node: u32, p: [F; 2], r2: F, out: &mut Vec<u32>) {
        match self.nodes[node as usize] {
            Node::Leaf { start, end } => {
                for i in start as usize..end as usize {
                    let q = self.points[i];
                    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
                    if dx * dx + dy * dy <= r2 {
                        out.push(self.ids[i]);
                    }
                }
            }
            Node::Split {
                dim,
                at,
                left,
                right,
            } => {
                let diff = p[dim as usize] - at;
                if diff <= F::zero() || diff * diff <= r2 {
                    self.search_within(left, p, r2, out);
                }
                if diff >= F::zero() || diff * diff <= r2 {
                    self.search_within(right, p, r2, out);
                }
            }
        }
    }

    fn search(&self, node: u32, p: [F; 2], out: &mut Neighbours<F>) {
        match self.nodes[node as usize] {
            Node::Leaf { start, end } => {
                for i in start as usize..end as usize {
                    let q = self.points[i];
                    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
                    out.offer(dx * dx + dy * dy, self.ids[i]);
                }
            }
            Node::Split {
                dim,
                at,
                left,
                right,
            } => {
                let diff = p[dim as usize] - at;
                let (near, far) = if diff < F::zero() {
                    (left, right)
                } else {
                    (right, left)
                };
                self.search(near, p, out);
                // `<=` keeps equidistant points with smaller ids reachable.
                if diff * diff <= out.worst() {
                    self.search(far, p, out);
                }
            }
        }
    }
}

/// Builds the subtree over `items` (whose first element sits at `offset` in the final
/// order) and returns its node index.
fn build<F: Float>(items: &mut [([F; 2], u32)], offset: usize, nodes: &mut Vec<Node<F>>) -> u32 {
    let idx = nodes.len() as u32;
    let n = items.len();
    let leaf = Node::Leaf {
        start: offset as u32,
        end: (offset + n) as u32,
    };
    if n <= LEAF_SIZE {
        nodes.push(leaf);
        return idx;
    }
    let (mut lo, mut hi) = ([F::infinity(); 2], [F::neg_infinity(); 2]);
    for (p, _) in items.iter() {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    let dim = usize::from(hi[1] - lo[1] > hi[0] - lo[0]);
    if hi[dim] == lo[dim] {
        // All points coincide: nothing to split.
        nodes.push(leaf);
        return idx;
    }
    let mid = n / 2;
    items.select_nth_unstable_by(mid, |a, b| {
        a.0[dim].partial_cmp(&b.0[dim]).unwrap_or(Ordering::Equal)
    });
    let at = items[mid].0[dim];
    nodes.push(leaf);
    let (l, r) = items.split_at_mut(mid);
    let left = build(l, offset, nodes);
    let right = build(r, offset + mid, nodes);
    nodes[idx as usize] = Node::Split {
        dim: dim as u8,
        at,
        left,
        right,
    };
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn brute(points: &[[f64; 2]], p: [f64; 2], k: usize) -> Vec<(f64, usize)> {
        let mut all: Vec<(f64, usize)> = points
            .iter()
            .enumerate()
            .map(|(i, q)| ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2), i))
            .collect();
        all.sort_by(|a, b| a.partial_cmp(b).unwrap());
        all.truncate(k);
        all
    }

    fn check(points: &[[f64; 2]], queries: &[[f64; 2]], k: usize) {
        let tree = KdTree::new(points).unwrap();
        let mut nb = Neighbours::with_capacity(k);
        for &q in queries {
            tree.knn_into(q, k, &mut nb);
            let got: Vec<(f64, usize)> = nb
                .d2
                .iter()
                .zip(&nb.ids)
                .map(|(&d, &i)| (d, i as usize))
                .collect();
            assert_eq!(got, brute(points, q, k), "query {q:?}, k {k}");
        }
    }

    #[test]
    fn matches_brute_force_on_uniform_points() {
        for seed in [1u64, 2, 3] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let n = rng.random_range(1..400);
            let pts: Vec<[f64; 2]> = (0..n).map(|_| [rng.random(), rng.random()]).collect();
            let qs: Vec<[f64; 2]> = (0..200)
                .map(|_| [rng.random_range(-0.5..1.5), rng.random_range(-0.5..1.5)])
                .collect();
            for k in [1, 3, 8, 17] {
                check(&pts, &qs, k);
            }
        }
    }

    #[test]
    fn matches_brute_force_with_clusters_ties_and_duplicates() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        // Integer lattice points: many exact distance ties; plus exact duplicates and a
        // far cluster (the shape of latent spaces).
        let mut pts: Vec<[f64; 2]> = (0..150)
            .map(|_| [rng.random_range(0..6) as f64, rng.random_range(0..6) as f64])
            .collect();
        pts.extend((0..50).map(|_| [100.0 + rng.random::<f64>() * 1e-3, -50.0]));
        pts.extend(std::iter::repeat_n([3.0, 3.0], 20));
        let qs: Vec<[f64; 2]> = (0..300)
            .map(|i| {
                if i % 3 == 0 {
                    [
                        rng.random_range(0..6) as f64 + 0.5,
                        rng.random_range(0..6) as f64,
                    ]
                } else {
                    [
                        rng.random_range(-10.0..110.0),
                        rng.random_range(-60.0..10.0),
                    ]
                }
            })
            .collect();
        for k in [1, 4, 8, 32] {
            check(&pts, &qs, k);
        }
    }

    #[test]
    fn small_and_empty_trees() {
        let empty: KdTree<f64> = KdTree::new(&[]).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.nearest([0.0, 0.0]), None);
        let one = KdTree::new(&[[1.0, 2.0]]).unwrap();
        assert_eq!(one.len(), 1);
        let n = one.nearest([4.0, 6.0]).unwrap();
        assert_eq!((n.index, n.distance), (0, 5.0));
        assert_eq!(one.k_nearest([0.0, 0.0], 5).len(), 1);
    }

    #[test]
    fn rejects_non_finite_points() {
        let err = KdTree::new(&[[0.0, 0.0], [f64::INFINITY, 1.0]]).unwrap_err();
        assert!(matches!(
            err,
            Error::NonFinite(e) if e == NonFinite::cell("point coordinate", 1, 0, f64::INFINITY)
        ));
    }
}
