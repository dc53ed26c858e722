//! `xrd.index`: the lattice cell of a measured pattern (xrd-jobs' `Index`), the rows of
//! `xrd index`.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_jobs::{Index, IndexOptions};

use crate::errors::IntoPyResult;
use crate::pattern::{pattern_arg, wavelength_of};

/// Powder indexing of a measured pattern (a `Pattern` or a file path), as `xrd index`: the
/// accepted cell (the most symmetric metric whose best cell indexes ≥ `min_indexed` (90 %) of
/// the lines' weight with de Wolff's M ≥ `min_merit` (20)), or with `all=True` the best cell of
/// every metric tried; `tolerance`, `min_trial_merit` and `lines` as `xrd index`'s flags. Each
/// dict has file, metric, accepted, a, b, c, beta, zero_shift, lines, indexed, merit and
/// likely_space_groups (a list); an empty list when no cell is accepted.
#[pyfunction]
#[pyo3(signature = (pattern, wavelength=None, monoclinic=false, all=false, tolerance=None, min_merit=None, min_trial_merit=None, min_indexed=None, lines=None))]
#[allow(clippy::too_many_arguments)]
pub fn index<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    wavelength: Option<&Bound<'py, PyAny>>,
    monoclinic: bool,
    all: bool,
    tolerance: Option<f64>,
    min_merit: Option<f64>,
    min_trial_merit: Option<f64>,
    min_indexed: Option<f64>,
    lines: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let d = IndexOptions::default();
    let options = IndexOptions {
        wavelength: wavelength_of(wavelength)?,
        tolerance: tolerance.unwrap_or(d.tolerance),
        min_merit: min_merit.unwrap_or(d.min_merit),
        min_trial_merit: min_trial_merit.unwrap_or(d.min_trial_merit),
        min_indexed: min_indexed.unwrap_or(d.min_indexed),
        lines: lines.unwrap_or(d.lines),
        monoclinic,
        all,
    };
    let job = Index::new(options).py()?;
    let (label, pattern) = pattern_arg(py, pattern)?;
    let indexed = py.detach(|| job.run(&label, &pattern)).py()?;
    indexed
        .rows
        .iter()
        .map(|r| {
            let d = PyDict::new(py);
            d.set_item("file", &r.file)?;
            d.set_item("metric", &r.metric)?;
            d.set_item("accepted", r.accepted)?;
            d.set_item("a", r.a)?;
            d.set_item("b", r.b)?;
            d.set_item("c", r.c)?;
            d.set_item("beta", r.beta)?;
            d.set_item("zero_shift", r.zero_shift)?;
            d.set_item("lines", r.lines)?;
            d.set_item("indexed", r.indexed)?;
            d.set_item("merit", r.merit)?;
            // u16, not u8: a Vec<u8> would reach Python as bytes.
            let groups: Vec<u16> = r
                .likely_space_groups
                .iter()
                .map(|&g| u16::from(g))
                .collect();
            d.set_item("likely_space_groups", groups)?;
            Ok(d)
        })
        .collect()
}
