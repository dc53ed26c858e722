//! Uniform 2θ grids.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The most 2θ positions may deviate from a uniform grid, as a fraction of the step
/// ([`Grid::from_positions`]).
const GRID_TOLERANCE: f64 = 0.01;

/// A uniform 2θ grid in degrees: `start + i·step` for `i` in `0..n`.
///
/// The paper's grid is [`Grid::paper`]: 1.00°…119.99° in steps of 0.01° (11,900 points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    start: f64,
    step: f64,
    n: usize,
}

impl Grid {
    /// A grid of `n` points from `start` in steps of `step` (degrees).
    ///
    /// # Errors
    /// [`Error::InvalidGrid`] unless `start` and `step` are finite, `step > 0` and `n ≥ 1`.
    pub fn new(start: f64, step: f64, n: usize) -> Result<Self> {
        if !start.is_finite() || !step.is_finite() || step <= 0.0 || n == 0 {
            return Err(Error::InvalidGrid { start, step, n });
        }
        Ok(Self { start, step, n })
    }

    /// The grid of Utimula et al. 2022: 2θ = 1.00°…119.99°, step 0.01°, 11,900 points.
    pub fn paper() -> Self {
        Self {
            start: 1.0,
            step: 0.01,
            n: 11_900,
        }
    }

    /// First 2θ (degrees).
    pub fn start(&self) -> f64 {
        self.start
    }

    /// Spacing (degrees).
    pub fn step(&self) -> f64 {
        self.step
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false`: a grid has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Last 2θ (degrees).
    pub fn end(&self) -> f64 {
        self.x(self.n - 1)
    }

    /// 2θ of point `i` (degrees); computed as `start + i·step` so it does not drift.
    pub fn x(&self, i: usize) -> f64 {
        self.start + i as f64 * self.step
    }

    /// All 2θ values.
    pub fn positions(&self) -> Vec<f64> {
        (0..self.n).map(|i| self.x(i)).collect()
    }

    /// Index of the grid point nearest to `two_theta`, or `None` outside
    /// `[start − step/2, end + step/2)`.
    pub fn nearest_index(&self, two_theta: f64) -> Option<usize> {
        let f = ((two_theta - self.start) / self.step).round();
        if f.is_finite() && f >= 0.0 && f < self.n as f64 {
            Some(f as usize)
        } else {
            None
        }
    }

    /// Number of grid points covering a width of `degrees` (at least one).
    pub fn points_for_width(&self, degrees: f64) -> usize {
        ((degrees / self.step).round() as usize).max(1)
    }

    /// The uniform grid through `two_theta` (degrees): start at the first value, step from the
    /// first to the last (rounded to 12 significant digits, so a grid's positions give the grid
    /// back). Each value may deviate from the grid by at most 1 % of the step (so 2θ stored in
    /// `f32` is accepted).
    ///
    /// ```
    /// use xrd_io::Grid;
    /// let g = Grid::from_positions(&[5.0, 5.01, 5.02, 5.03])?;
    /// assert_eq!((g.start(), g.len()), (5.0, 4));
    /// assert!((g.step() - 0.01).abs() < 1e-12);
    /// let err = Grid::from_positions(&[5.0, 5.01, 5.03]).unwrap_err(); // not uniform
    /// assert_eq!(err.invalid_parameter().map(|p| p.name), Some("two_theta"));
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than two values or values off a uniform grid;
    /// [`Error::InvalidGrid`] for non-finite or non-increasing ends.
    pub fn from_positions(two_theta: &[f64]) -> Result<Grid> {
        let (Some(&first), Some(&last), n @ 2..) =
            (two_theta.first(), two_theta.last(), two_theta.len())
        else {
            return Err(Error::param(
                "two_theta",
                crate::error::reason(
                    format!("{} values", two_theta.len()),
                    "at least two 2θ values",
                ),
            ));
        };
        // Round the step to 12 significant digits: recovers the decimal step a grid was made
        // with (5.00, 5.01, … gives 0.01, not 0.010000000000000083), so grids round-trip.
        let step = (last - first) / (n - 1) as f64;
        let step = format!("{step:.11e}").parse::<f64>().unwrap_or(step);
        let grid = Grid::new(first, step, n)?;
        let tolerance = GRID_TOLERANCE * grid.step();
        if let Some((i, &v)) = two_theta
            .iter()
            .enumerate()
            .find(|&(i, &v)| (v - grid.x(i)).abs().is_nan() || (v - grid.x(i)).abs() > tolerance)
        {
            return Err(Error::param(
                "two_theta",
                crate::error::reason(
                    format!("{v} at position {i} (uniform grid: {})", grid.x(i)),
                    "uniformly spaced 2θ values (within 1 % of a step)",
                ),
            ));
        }
        Ok(grid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_grid_matches_the_paper() {
        let g = Grid::paper();
        assert_eq!(g.len(), 11_900);
        assert!((g.end() - 119.99).abs() < 1e-9);
        assert_eq!(g.nearest_index(1.0), Some(0));
        assert_eq!(g.nearest_index(119.99), Some(11_899));
        assert_eq!(g.nearest_index(120.5), None);
        assert_eq!(g.nearest_index(0.5), None);
        assert_eq!(g.points_for_width(0.03), 3);
    }

    #[test]
    fn invalid_grids_are_errors() {
        let invalid =
            |start, step, n| matches!(Grid::new(start, step, n), Err(Error::InvalidGrid { .. }));
        assert!(invalid(0.0, 0.0, 10));
        assert!(invalid(0.0, -0.1, 10));
        assert!(invalid(f64::NAN, 0.1, 10));
        assert!(invalid(0.0, f64::INFINITY, 10));
        assert!(invalid(0.0, 0.1, 0));
        let err = Grid::new(0.0, -0.1, 10).unwrap_err().to_string();
        assert!(err.contains("step -0.1"), "{err}");
    }
}
