//! Where training patterns come from: a source that produces labelled patterns on request, and
//! an in-memory source of known patterns.

use ndarray::{Array2, ArrayBase, Axis, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_io::Grid;

use crate::{Error, Result, SPACE_GROUPS};

/// A producer of training patterns for requested space groups. Training streams: every epoch
/// asks for fresh patterns, so a generator (e.g. xrd-sim's synthetic crystals) never runs out.
///
/// Implementations must be deterministic: the same `(space_groups, seed)` gives the same
/// patterns, whatever the number of threads.
pub trait PatternSource {
    /// The 2θ grid of every pattern (the classifier's input grid).
    fn grid(&self) -> Grid;

    /// The space groups (1–230) this source can produce, ascending, without repeats.
    fn space_groups(&self) -> Vec<u8>;

    /// Relative frequency of each of [`PatternSource::space_groups`] under
    /// [`Sampling::Source`](crate::Sampling::Source); uniform by default.
    fn frequencies(&self) -> Vec<f64> {
        vec![1.0; self.space_groups().len()]
    }

    /// One pattern (a row of `grid().len()` values, scaled to max 1) for each entry of
    /// `space_groups`, reproducibly from `seed`.
    ///
    /// # Errors
    /// Whatever the generator reports, as [`Error::Source`]; a space group it does not offer.
    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>>;
}

/// Patterns kept in memory with their space groups: a [`PatternSource`] that answers a request
/// for group `g` with one of its patterns of that group, drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPatterns {
    grid: Grid,
    patterns: Array2<f32>,
    labels: Vec<u8>,
    groups: Vec<u8>,
    /// Row indices of each group of `groups`.
    rows: Vec<Vec<usize>>,
}

impl LabelledPatterns {
    /// Patterns (one row per pattern, `grid.len()` columns) and their space groups.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a width other than the grid's, a label count other than the row
    /// count or no rows; [`Error::NonFinite`]; [`Error::SpaceGroup`] outside 1–230.
    pub fn new<S: Data<Elem = f32>>(
        grid: Grid,
        patterns: &ArrayBase<S, Ix2>,
        space_groups: &[u8],
    ) -> Result<Self> {
        if patterns.ncols() != grid.len() || patterns.nrows() != space_groups.len() {
            return Err(Error::shape(
                "labelled patterns",
                format!(
                    "{} labelled rows of {} points (the grid)",
                    space_groups.len(),
                    grid.len()
                ),
                format!("{} × {}", patterns.nrows(), patterns.ncols()),
            ));
        }
        if patterns.nrows() == 0 {
            return Err(Error::shape(
                "labelled patterns",
                "at least one pattern",
                "none",
            ));
        }
        crate::predict::check_finite(patterns.view(), "labelled patterns")?;
        if let Some(&g) = space_groups
            .iter()
            .find(|&&g| g == 0 || g as usize > SPACE_GROUPS)
        {
            return Err(Error::SpaceGroup(g));
        }
        let (groups, rows) = rows_by_group(space_groups);
        Ok(LabelledPatterns {
            grid,
            patterns: patterns.to_owned(),
            labels: space_groups.to_vec(),
            groups,
            rows,
        })
    }

    /// The patterns, one per row.
    pub fn matrix(&self) -> &Array2<f32> {
        &self.patterns
    }

    /// The space group of every row.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }
}

impl PatternSource for LabelledPatterns {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn space_groups(&self) -> Vec<u8> {
        self.groups.clone()
    }

    fn frequencies(&self) -> Vec<f64> {
        self.rows.iter().map(|r| r.len() as f64).collect()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut picked = Vec::with_capacity(space_groups.len());
        for g in space_groups {
            let k = self
                .groups
                .binary_search(g)
                .map_err(|_| Error::Source(format!("no pattern of space group {g}")))?;
            let rows = &self.rows[k];
            picked.push(rows[rng.random_range(0..rows.len())]);
        }
        Ok(self.patterns.select(Axis(0), &picked))
    }
}

/// The distinct labels, ascending, and the indices of the rows of each.
pub(crate) fn rows_by_group(labels: &[u8]) -> (Vec<u8>, Vec<Vec<usize>>) {
    let mut groups = labels.to_vec();
    groups.sort_unstable();
    groups.dedup();
    let mut rows = vec![Vec::new(); groups.len()];
    for (i, g) in labels.iter().enumerate() {
        if let Ok(k) = groups.binary_search(g) {
            rows[k].push(i);
        }
    }
    (groups, rows)
}

/// Rows of `n` values each as a matrix.
pub(crate) fn to_matrix(rows: Vec<Vec<f32>>, n: usize) -> Result<Array2<f32>> {
    let mut x = Array2::zeros((rows.len(), n));
    for (mut row, y) in x.rows_mut().into_iter().zip(rows) {
        if y.len() != n {
            return Err(Error::Source(format!(
                "a pattern of {} points, not {n}",
                y.len()
            )));
        }
        row.assign(&ndarray::ArrayView1::from(&y[..]));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn grid(n: usize) -> Grid {
        Grid::new(5.0, 1.0, n).unwrap()
    }

    #[test]
    fn answers_with_patterns_of_the_requested_group() {
        let x = array![[1.0f32, 0.0], [0.0, 1.0], [0.5, 1.0]];
        let s = LabelledPatterns::new(grid(2), &x, &[3, 7, 7]).unwrap();
        assert_eq!(s.space_groups(), [3, 7]);
        assert_eq!(s.frequencies(), [1.0, 2.0]);
        let p = s.patterns(&[3, 7, 3], 1).unwrap();
        assert_eq!(p.row(0), x.row(0));
        assert_eq!(p.row(2), x.row(0));
        assert!(p.row(1) == x.row(1) || p.row(1) == x.row(2));
        assert_eq!(
            s.patterns(&[7, 7, 7, 7], 9).unwrap(),
            s.patterns(&[7, 7, 7, 7], 9).unwrap()
        );
        assert!(matches!(s.patterns(&[4], 1), Err(Error::Source(_))));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = array![[1.0f32, 0.0]];
        assert!(matches!(
            LabelledPatterns::new(grid(3), &x, &[1]),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            LabelledPatterns::new(grid(2), &x, &[1, 2]),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            LabelledPatterns::new(grid(2), &x, &[231]),
            Err(Error::SpaceGroup(231))
        ));
        let nan = array![[f32::NAN, 0.0]];
        assert!(matches!(
            LabelledPatterns::new(grid(2), &nan, &[1]),
            Err(Error::NonFinite(_))
        ));
    }
}
