//! Many patterns on one grid: an `n × points` matrix with row names and numeric labels.

use ndarray::parallel::prelude::*;
use ndarray::{Array2, ArrayView1, Axis};

use crate::{
    Error, Float, Grid, Normalization, OutOfRange, Pattern, Result, Wavelength, normalize,
    resample_into,
};

/// `n` patterns sampled on one [`Grid`], with a name and numeric labels per row.
///
/// Invariants (checked by [`Dataset::new`] and [`Dataset::check`]): `patterns` is
/// `names.len() × grid.len()`; `labels` is `names.len() × label_names.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<F: Float> {
    /// The common 2θ grid.
    pub grid: Grid,
    /// Intensities, one row per pattern.
    pub patterns: Array2<F>,
    /// Row names (file names, configuration ids, …).
    pub names: Vec<String>,
    /// Numeric labels, one row per pattern (zero columns when unlabelled).
    pub labels: Array2<f64>,
    /// Column names of `labels`.
    pub label_names: Vec<String>,
}

impl<F: Float> Dataset<F> {
    /// A dataset from its parts.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the shapes disagree (see the type's invariants).
    pub fn new(
        grid: Grid,
        patterns: Array2<F>,
        names: Vec<String>,
        labels: Array2<f64>,
        label_names: Vec<String>,
    ) -> Result<Dataset<F>> {
        let d = Dataset {
            grid,
            patterns,
            names,
            labels,
            label_names,
        };
        d.check()?;
        Ok(d)
    }

    /// Checks the shape invariants (useful after editing the public fields).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] naming the first inconsistency.
    pub fn check(&self) -> Result<()> {
        let n = self.names.len();
        let pairs = [
            ("pattern rows per name", n, self.patterns.nrows()),
            (
                "pattern columns per grid point",
                self.grid.len(),
                self.patterns.ncols(),
            ),
            ("label rows per name", n, self.labels.nrows()),
            (
                "label columns per label name",
                self.label_names.len(),
                self.labels.ncols(),
            ),
        ];
        for (what, expected, found) in pairs {
            if expected != found {
                return Err(Error::shape(what, expected, found));
            }
        }
        Ok(())
    }

    /// Resamples `patterns` onto `grid` (rows in order, named by their source file, else sample
    /// name, else `pattern-<i>`), without labels. Rows are resampled in parallel (rayon).
    ///
    /// # Errors
    /// As [`Pattern::resample`].
    pub fn from_patterns(
        patterns: &[Pattern],
        grid: Grid,
        policy: OutOfRange,
    ) -> Result<Dataset<F>> {
        let mut data = Array2::zeros((patterns.len(), grid.len()));
        // Rows are independent: resample them in parallel (the first error in row order wins).
        data.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(patterns.par_iter())
            .map(|(mut row, p)| match row.as_slice_mut() {
                Some(out) => resample_into(p.two_theta(), p.intensity(), &grid, policy, out),
                None => Err(Error::Degenerate {
                    what: "dataset row",
                    reason: "row is not contiguous".into(),
                }),
            })
            .collect::<Vec<Result<()>>>()
            .into_iter()
            .collect::<Result<()>>()?;
        let names = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.meta()
                    .source
                    .clone()
                    .or_else(|| p.meta().sample.clone())
                    .unwrap_or_else(|| format!("pattern-{i}"))
            })
            .collect();
        Dataset::new(
            grid,
            data,
            names,
            Array2::zeros((patterns.len(), 0)),
            Vec::new(),
        )
    }

    /// Replaces the labels.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the shape does not fit.
    pub fn with_labels(
        mut self,
        labels: Array2<f64>,
        label_names: Vec<String>,
    ) -> Result<Dataset<F>> {
        self.labels = labels;
        self.label_names = label_names;
        self.check()?;
        Ok(self)
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.nrows()
    }

    /// `true` when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.nrows() == 0
    }

    /// Pattern `i` as a row view.
    pub fn pattern(&self, i: usize) -> ArrayView1<'_, F> {
        self.patterns.row(i)
    }

    /// Pattern `i` as a [`Pattern`] on the data set's grid, measured at `wavelength`.
    ///
    /// # Errors
    /// [`Error::Degenerate`] when row `i` does not exist; [`Pattern::new`]'s errors (non-finite
    /// intensities).
    pub fn to_pattern(&self, i: usize, wavelength: Option<Wavelength>) -> Result<Pattern> {
        if i >= self.len() {
            return Err(Error::Degenerate {
                what: "dataset row",
                reason: format!("row {i} does not exist ({} rows)", self.len()),
            });
        }
        let y = self.patterns.row(i).iter().map(|v| v.as_f64()).collect();
        Ok(Pattern::new(self.grid.positions(), y)?.with_wavelength(wavelength))
    }

    /// The rows `rows` of this data set, in the order given (repeats allowed), with their names
    /// and labels: the one way to split a data set into training, test and held-out parts.
    ///
    /// # Errors
    /// [`Error::Degenerate`] naming the first row index that is not below [`Dataset::len`].
    pub fn select(&self, rows: &[usize]) -> Result<Dataset<F>> {
        if let Some(&bad) = rows.iter().find(|&&i| i >= self.len()) {
            return Err(Error::Degenerate {
                what: "dataset row selection",
                reason: format!("row {bad} does not exist ({} rows)", self.len()),
            });
        }
        Ok(Dataset {
            grid: self.grid,
            patterns: self.patterns.select(Axis(0), rows),
            names: rows.iter().map(|&i| self.names[i].clone()).collect(),
            labels: self.labels.select(Axis(0), rows),
            label_names: self.label_names.clone(),
        })
    }

    /// The column of `labels` named `name`.
    pub fn label(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        self.label_names
            .iter()
            .position(|n| n == name)
            .map(|j| self.labels.column(j))
    }

    /// Normalises every row in place.
    ///
    /// # Errors
    /// As [`normalize`], naming no row; rows before the failing one are already normalised.
    pub fn normalize_rows(&mut self, kind: Normalization) -> Result<()> {
        for mut row in self.patterns.axis_iter_mut(Axis(0)) {
            match row.as_slice_mut() {
                Some(s) => normalize(s, kind)?,
                None => {
                    let mut v = row.to_vec();
                    normalize(&mut v, kind)?;
                    row.iter_mut().zip(v).for_each(|(a, b)| *a = b);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which pair of sizes a [`Error::ShapeMismatch`] names, with the sizes; `ok` for no error,
    /// the error itself for another one.
    fn mismatch<T>(r: Result<T>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(Error::ShapeMismatch(m)) => format!("{}: {} vs {}", m.what, m.expected, m.found),
            Err(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn from_patterns_and_labels() {
        let a = Pattern::new(vec![1.0, 2.0, 3.0], vec![1.0, 2.0, 3.0]).unwrap();
        let mut b = Pattern::new(vec![0.0, 4.0], vec![4.0, 0.0]).unwrap();
        b.meta_mut().source = Some("b.xy".into());
        let g = Grid::new(1.0, 1.0, 3).unwrap();
        let mut d = Dataset::<f32>::from_patterns(&[a, b], g, OutOfRange::Error).unwrap();
        assert_eq!(d.names, vec!["pattern-0", "b.xy"]);
        assert_eq!(d.pattern(1).to_vec(), vec![3.0, 2.0, 1.0]);
        d.normalize_rows(Normalization::Max).unwrap();
        assert_eq!(d.pattern(0).to_vec(), vec![1.0 / 3.0, 2.0 / 3.0, 1.0]);
        let d = d
            .with_labels(ndarray::array![[0.1], [0.2]], vec!["x".into()])
            .unwrap();
        assert_eq!(d.label("x").unwrap().to_vec(), vec![0.1, 0.2]);
        assert_eq!(
            mismatch(
                d.clone()
                    .with_labels(Array2::zeros((3, 1)), vec!["x".into()])
            ),
            "label rows per name: 2 vs 3"
        );
        assert_eq!(
            mismatch(d.with_labels(Array2::zeros((2, 2)), vec!["x".into()])),
            "label columns per label name: 1 vs 2"
        );
    }

    #[test]
    fn select_keeps_names_labels_and_order() {
        let g = Grid::new(1.0, 1.0, 2).unwrap();
        let d = Dataset::<f64>::new(
            g,
            ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            vec!["a".into(), "b".into(), "c".into()],
            ndarray::array![[0.1], [0.2], [0.3]],
            vec!["x".into()],
        )
        .unwrap();
        let s = d.select(&[2, 0, 2]).unwrap();
        assert_eq!(s.names, vec!["c", "a", "c"]);
        assert_eq!(
            s.patterns,
            ndarray::array![[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
        );
        assert_eq!(s.label("x").unwrap().to_vec(), vec![0.3, 0.1, 0.3]);
        assert!(s.check().is_ok());
        assert!(d.select(&[]).unwrap().is_empty());
        assert!(matches!(d.select(&[1, 3]), Err(Error::Degenerate { .. })));
    }

    #[test]
    fn shape_mismatches_are_errors() {
        let g = Grid::new(1.0, 1.0, 3).unwrap();
        let bad = Dataset::<f64>::new(
            g,
            Array2::zeros((2, 4)),
            vec!["a".into(), "b".into()],
            Array2::zeros((2, 0)),
            vec![],
        );
        assert_eq!(mismatch(bad), "pattern columns per grid point: 3 vs 4");
        let bad = Dataset::<f64>::new(
            g,
            Array2::zeros((1, 3)),
            vec!["a".into(), "b".into()],
            Array2::zeros((2, 0)),
            vec![],
        );
        assert_eq!(mismatch(bad), "pattern rows per name: 2 vs 1");
    }
}
