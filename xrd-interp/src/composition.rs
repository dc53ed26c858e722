//! The known compositions of a data set: distinct label rows, their members and mean patterns.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use xrd_io::{Dataset, Float};

use crate::{Error, Result};

/// Two compositions closer than this in every component count as the same: the workspace's one
/// composition key (hold-outs, groups, look-ups, tests).
///
/// Compositions are atoms per formula unit; real series step by far more (the built-in data set
/// by 1/8 of an atom), while the same composition computed two ways (`1.5`, `6.0 / 4.0`,
/// `12.0 - 10.5`, a value read back from text) differs by a few ulps at most. `1e-9` keeps the two
/// apart by many orders of magnitude on both sides.
pub const SAME_COMPOSITION: f64 = 1e-9;

/// Whether two compositions agree within [`SAME_COMPOSITION`] in every component (never for
/// different lengths or non-finite components).
pub fn same_composition(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= SAME_COMPOSITION)
}

/// The distinct compositions among `rows` (one composition per row, [`same_composition`] deciding
/// equality; rows with the same non-finite components share one) in ascending order, component by
/// component, and for every row the index of its composition among them.
///
/// ```
/// use ndarray::array;
/// let (group, distinct) = xrd_interp::composition_groups(
///     array![[1.0, 0.0], [0.5, 0.125], [1.0, 1e-12], [0.5, 0.0]].view(),
/// );
/// assert_eq!(distinct, vec![vec![0.5, 0.0], vec![0.5, 0.125], vec![1.0, 0.0]]);
/// assert_eq!(group, vec![2, 1, 2, 0]);
/// ```
pub fn composition_groups(rows: ArrayView2<'_, f64>) -> (Vec<usize>, Vec<Vec<f64>>) {
    let all: Vec<Vec<f64>> = rows.rows().into_iter().map(|r| r.to_vec()).collect();
    let mut distinct = all.clone();
    distinct.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // Bitwise equality too, so that rows with the same non-finite component share a group.
    let same = |a: &[f64], b: &[f64]| {
        same_composition(a, b)
            || a.iter()
                .map(|v| v.to_bits())
                .eq(b.iter().map(|v| v.to_bits()))
    };
    distinct.dedup_by(|later, kept| same(later, kept));
    let group = all
        .iter()
        .map(|c| distinct.iter().position(|d| same(d, c)).unwrap_or(0))
        .collect();
    (group, distinct)
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
            return Err(Error::shape(
                "training data",
                "≥ 1 pattern with ≥ 1 composition (label) column",
                format!("{} × {} labels", data.labels.nrows(), data.labels.ncols()),
            ));
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
        self.compositions
            .axis_iter(Axis(0))
            .position(|row| same_composition(&row.to_vec(), c))
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
