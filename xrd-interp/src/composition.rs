//! The known compositions of a data set: distinct label rows, their members and mean patterns.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use xrd_io::{Dataset, Float};

use crate::{Error, Result};

/// Two compositions closer than this (in every component) count as the same.
pub const SAME_COMPOSITION: f64 = 1e-9;

/// Whether two compositions agree within [`SAME_COMPOSITION`] in every component.
pub fn same_composition(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= SAME_COMPOSITION)
}

/// Checks that `composition` has `components` finite values.
pub(crate) fn check_composition(composition: &[f64], components: usize) -> Result<()> {
    if composition.len() != components {
        return Err(Error::InvalidComposition {
            composition: composition.to_vec(),
            reason: format!(
                "expected {components} components (one per label column), found {}",
                composition.len()
            ),
        });
    }
    if composition.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidComposition {
            composition: composition.to_vec(),
            reason: "components must be finite".into(),
        });
    }
    Ok(())
}

/// The distinct compositions of a data set (its label rows), in order of first appearance,
/// with the rows of each and their mean pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownCompositions<F> {
    /// Distinct compositions, `k × components`.
    pub compositions: Array2<f64>,
    /// The data set rows of each composition.
    pub members: Vec<Vec<usize>>,
    /// Mean pattern of each composition, `k × points`.
    pub means: Array2<F>,
}

impl<F: Float> KnownCompositions<F> {
    /// Groups the rows of `data` by their labels.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a data set without rows or without label columns;
    /// [`Error::InvalidComposition`] for non-finite labels.
    pub fn of(data: &Dataset<F>) -> Result<Self> {
        if data.is_empty() || data.labels.ncols() == 0 {
            return Err(Error::ShapeMismatch {
                what: "training data",
                expected: "≥ 1 pattern with ≥ 1 composition (label) column".into(),
                found: format!("{} × {} labels", data.labels.nrows(), data.labels.ncols()),
            });
        }
        let m = data.labels.ncols();
        let mut distinct: Vec<Vec<f64>> = Vec::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, row) in data.labels.axis_iter(Axis(0)).enumerate() {
            let row = row.to_vec();
            check_composition(&row, m)?;
            match distinct.iter().position(|d| same_composition(d, &row)) {
                Some(k) => members[k].push(i),
                None => {
                    distinct.push(row);
                    members.push(vec![i]);
                }
            }
        }
        let mut compositions = Array2::zeros((distinct.len(), m));
        let mut means = Array2::zeros((distinct.len(), data.grid.len()));
        for (k, (comp, rows)) in distinct.iter().zip(&members).enumerate() {
            compositions
                .row_mut(k)
                .assign(&ArrayView1::from(comp.as_slice()));
            means.row_mut(k).assign(&mean_rows(data, rows));
        }
        Ok(KnownCompositions {
            compositions,
            members,
            means,
        })
    }

    /// Number of distinct compositions.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always `false` (a data set has at least one row).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Number of composition components.
    pub fn components(&self) -> usize {
        self.compositions.ncols()
    }

    /// Index of the known composition equal to `c`, if any.
    pub fn find(&self, c: &[f64]) -> Option<usize> {
        self.compositions.axis_iter(Axis(0)).position(|row| {
            row.iter()
                .zip(c)
                .all(|(a, b)| (a - b).abs() <= SAME_COMPOSITION)
        })
    }
}

/// Mean of the given rows of `data.patterns`.
pub(crate) fn mean_rows<F: Float>(data: &Dataset<F>, rows: &[usize]) -> Array1<F> {
    let mut mean = Array1::zeros(data.grid.len());
    for &r in rows {
        mean += &data.patterns.row(r);
    }
    mean /= F::of_usize(rows.len().max(1));
    mean
}
