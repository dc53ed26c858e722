//! Contour lines of one component of a painted map (marching squares).

use std::collections::HashMap;

use xrd_core::{Float, Location, NonFinite};

use crate::{Error, PaintGrid, Painted, Result, TriangleEstimator};

/// A contour polyline: points in order; closed when the first equals the last.
pub type Polyline<F> = Vec<[F; 2]>;

/// A crossing on a grid edge: `(j, i, 0)` the horizontal edge from `(i, j)` to `(i+1, j)`,
/// `(j, i, 1)` the vertical edge from `(i, j)` to `(i, j+1)`.
type EdgeId = (usize, usize, u8);

impl<F: Float> Painted<F> {
    /// The level set `values[.., .., component] = level` as polylines, by marching squares
    /// with linear interpolation along cell edges. Cells with an uncovered corner are
    /// skipped, so contours stay inside the data. Saddle cells are resolved by the cell mean.
    /// The estimator's field is only piecewise linear (and may jump where the triangle used
    /// changes), so the lines are a plot of the painted map at its resolution.
    ///
    /// # Errors
    /// [`Error::ComponentOutOfRange`]; [`Error::NonFinite`] for a non-finite level.
    pub fn contour(&self, component: usize, level: F) -> Result<Vec<Polyline<F>>> {
        let (ny, nx, m) = self.values.dim();
        if component >= m {
            return Err(Error::ComponentOutOfRange {
                component,
                available: m,
            });
        }
        if !level.is_finite() {
            return Err(NonFinite::new("contour level", Location::Whole, level.as_f64()).into());
        }
        let v = |i: usize, j: usize| self.values[[j, i, component]];
        let point = |e: EdgeId| -> [F; 2] {
            let (j, i, dir) = e;
            let (i2, j2) = if dir == 0 { (i + 1, j) } else { (i, j + 1) };
            let (a, b) = (v(i, j), v(i2, j2));
            let u = if b == a {
                F::of(0.5)
            } else {
                (level - a) / (b - a)
            };
            let (xa, ya) = (self.x[i], self.y[j]);
            [xa + u * (self.x[i2] - xa), ya + u * (self.y[j2] - ya)]
        };
        let mut segments: Vec<(EdgeId, EdgeId)> = Vec::new();
        for j in 0..ny.saturating_sub(1) {
            for i in 0..nx.saturating_sub(1) {
                if !(self.covered[[j, i]]
                    && self.covered[[j, i + 1]]
                    && self.covered[[j + 1, i]]
                    && self.covered[[j + 1, i + 1]])
                {
                    continue;
                }
                // Corners counter-clockwise from bottom-left; edges: bottom, right, top, left.
                let c = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
                let above = c.map(|x| x >= level);
                let edges: [EdgeId; 4] = [(j, i, 0), (j, i + 1, 1), (j + 1, i, 0), (j, i, 1)];
                let crossed: Vec<usize> =
                    (0..4).filter(|&k| above[k] != above[(k + 1) % 4]).collect();
                match crossed.as_slice() {
                    [a, b] => segments.push((edges[*a], edges[*b])),
                    [_, _, _, _] => {
                        let centre_above = (c[0] + c[1] + c[2] + c[3]) / F::of(4.0) >= level;
                        // Pair each crossing with the neighbour that keeps the centre's side
                        // connected to the corners of the same side.
                        if centre_above == above[0] {
                            segments.push((edges[0], edges[1]));
                            segments.push((edges[2], edges[3]));
                        } else {
                            segments.push((edges[3], edges[0]));
                            segments.push((edges[1], edges[2]));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(join(&segments)
            .into_iter()
            .map(|chain| chain.into_iter().map(point).collect())
            .collect())
    }
}

/// Joins segments sharing edge crossings into maximal chains.
fn join(segments: &[(EdgeId, EdgeId)]) -> Vec<Vec<EdgeId>> {
    let mut at: HashMap<EdgeId, Vec<usize>> = HashMap::new();
    for (k, &(a, b)) in segments.iter().enumerate() {
        at.entry(a).or_default().push(k);
        at.entry(b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut chains = Vec::new();
    // Open chains start at an end point used once; what remains afterwards are loops.
    let mut starts: Vec<usize> = (0..segments.len()).collect();
    starts.sort_by_key(|&k| {
        let (a, b) = segments[k];
        usize::from(at[&a].len() != 1 && at[&b].len() != 1)
    });
    for k0 in starts {
        if used[k0] {
            continue;
        }
        used[k0] = true;
        let (a, b) = segments[k0];
        let (first, mut tail) = if at[&b].len() == 1 { (b, a) } else { (a, b) };
        let mut chain = vec![first, tail];
        loop {
            let next = at[&tail].iter().copied().find(|&k| !used[k]);
            let Some(k) = next else { break };
            used[k] = true;
            let (a, b) = segments[k];
            tail = if a == tail { b } else { a };
            chain.push(tail);
        }
        chains.push(chain);
    }
    chains
}

impl<F: Float> TriangleEstimator<F> {
    /// The contour of `component` at `level` over `grid`: paints that grid and runs
    /// [`Painted::contour`] on it.
    ///
    /// # Errors
    /// The errors of [`paint`](Self::paint) and [`Painted::contour`].
    pub fn contour(
        &self,
        component: usize,
        level: F,
        grid: &PaintGrid,
    ) -> Result<Vec<Polyline<F>>> {
        if component >= self.n_values() {
            return Err(Error::ComponentOutOfRange {
                component,
                available: self.n_values(),
            });
        }
        self.paint(grid)?.contour(component, level)
    }
}
