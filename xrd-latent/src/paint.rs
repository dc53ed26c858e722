//! Painting the plane: the estimate over a rectangular grid (the paper's Fig. 4).

use ndarray::{Array2, Array3, Axis, Zip};
use serde::{Deserialize, Serialize};
use xrd_io::Float;

use crate::estimator::{Core, Scratch};
use crate::{Error, RefusalPolicy, Result, TriangleEstimator};

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
    /// [`Error::Shape`] for no points, [`Error::InvalidParam`] for a negative or non-finite
    /// margin or a box without area, plus the errors of [`check`](Self::check).
    pub fn around<F: Float>(points: &[[F; 2]], margin: f64, nx: usize, ny: usize) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::Shape {
                what: "points",
                expected: "at least 1 point".into(),
                got: "0".into(),
            });
        }
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(Error::InvalidParam {
                name: "margin",
                value: margin.to_string(),
                reason: "need a finite value ≥ 0",
            });
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
    /// [`Error::InvalidParam`] for a non-finite bound, `nx` or `ny` of 0, or `min > max`
    /// (`min == max` is allowed only with a single column/row).
    pub fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParam {
                name,
                value,
                reason,
            })
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

/// Pixels per row segment sharing one candidate list.
const SEGMENT: usize = 32;

/// Paints one row segment by segment. For a segment with centre c and half-width h, every
/// pixel's k nearest known points lie within `r_k(c) + 2h` of c (triangle inequality), so one
/// tree query per segment yields a short candidate list. The list is kept sorted by
/// `(distance², index)` from the current pixel; moving to the next pixel changes the order
/// little, so an insertion sort restores it in about one pass. The first k entries are then
/// exactly the tree's k nearest (same distances, same tie-breaking), so painted values equal
/// [`TriangleEstimator::estimate`] bit for bit.
struct RowPainter<'a, F: Float> {
    est: &'a TriangleEstimator<F>,
    scratch: Scratch<F>,
    /// `(distance², index)` of the segment's candidates, sorted for the last pixel.
    candidates: Vec<(F, u32)>,
    ids: Vec<u32>,
    /// Whether `candidates` is valid for the current segment.
    ready: bool,
}

impl<'a, F: Float> RowPainter<'a, F> {
    fn new(est: &'a TriangleEstimator<F>) -> Self {
        Self {
            est,
            scratch: est.scratch(),
            candidates: Vec::new(),
            ids: Vec::new(),
            ready: false,
        }
    }

    fn prepare(&mut self, xs: &[F], y: F) {
        self.candidates.clear();
        self.ids.clear();
        self.ready = false;
        let (Some(&first), Some(&last)) = (xs.first(), xs.last()) else {
            return;
        };
        let two = F::of(2.0);
        let c = [(first + last) / two, y];
        let h = (last - first).abs() / two;
        if !(c[0].is_finite() && c[1].is_finite() && h.is_finite()) {
            return;
        }
        let k = self.est.get_params().get_neighbours();
        self.est.index().knn_into(c, k, &mut self.scratch.nb);
        let reach = match self.scratch.nb.d2.get(k - 1) {
            Some(&d2) => d2.sqrt() + two * h,
            None => F::infinity(),
        };
        // A relative margin keeps rounding from dropping a point on the boundary.
        let r2 = reach * reach * F::of(1.0 + 1e-6) + F::min_positive_value();
        self.est.index().within_into(c, r2, &mut self.ids);
        self.candidates
            .extend(self.ids.iter().map(|&i| (F::zero(), i)));
        self.ready = true;
    }

    #[inline]
    fn core(&mut self, p: [F; 2]) -> Core<F> {
        if !(self.ready && p[0].is_finite() && p[1].is_finite()) {
            return self.est.core(p, &mut self.scratch);
        }
        let points = self.est.points();
        for (d2, i) in self.candidates.iter_mut() {
            let q = points[*i as usize];
            let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
            *d2 = dx * dx + dy * dy;
        }
        insertion_sort(&mut self.candidates);
        let k = self.est.get_params().get_neighbours();
        self.scratch
            .nb
            .set_sorted(k, &self.candidates[..k.min(self.candidates.len())]);
        self.est.decide(p, &self.scratch.nb)
    }
}

/// Sorts by `(distance², index)`; linear on nearly sorted input.
#[inline]
fn insertion_sort<F: Float>(v: &mut [(F, u32)]) {
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

impl<F: Float> TriangleEstimator<F> {
    /// Estimates at every point of `grid`, in parallel over rows.
    ///
    /// # Errors
    /// The errors of [`PaintGrid::check`].
    pub fn paint(&self, grid: &PaintGrid) -> Result<Painted<F>> {
        grid.check()?;
        let (nx, ny, m) = (grid.nx, grid.ny, self.n_values());
        let x: Vec<F> = (0..nx).map(|i| F::of(grid.x(i))).collect();
        let y: Vec<F> = (0..ny).map(|j| F::of(grid.y(j))).collect();
        let mut values = Array3::zeros((ny, nx, m));
        let mut covered = Array2::from_elem((ny, nx), false);
        let mut distance = Array2::zeros((ny, nx));
        Zip::from(values.axis_iter_mut(Axis(0)))
            .and(covered.axis_iter_mut(Axis(0)))
            .and(distance.axis_iter_mut(Axis(0)))
            .and(&ndarray::ArrayView1::from(&y))
            .par_for_each(|mut vrow, mut crow, mut drow, &yj| {
                let mut painter = RowPainter::new(self);
                let mut buf = vec![F::zero(); m];
                for start in (0..nx).step_by(SEGMENT) {
                    let xs = &x[start..(start + SEGMENT).min(nx)];
                    painter.prepare(xs, yj);
                    for (i, &xi) in xs.iter().enumerate() {
                        let core = painter.core([xi, yj]);
                        self.values_into(&core, &mut buf);
                        for (o, &v) in vrow.row_mut(start + i).iter_mut().zip(&buf) {
                            *o = v;
                        }
                        crow[start + i] = core.kind.is_inside();
                        drow[start + i] = core.distance;
                    }
                }
            });
        Ok(Painted {
            grid: *grid,
            x,
            y,
            values,
            covered,
            distance,
        })
    }
}
