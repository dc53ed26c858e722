//! `xrd.index`: the lattice cell of a measured pattern (xrd-index), the rows of `xrd index`.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_index::{Indexer, IndexingParams, Metric, Solution};

use crate::errors::IntoPyResult;
use crate::pattern::measured_arg;

/// Powder indexing of a measured pattern (a `Pattern` or a file path), as `xrd index`: the
/// accepted cell (the most symmetric metric whose best cell indexes ≥ 90 % of the lines' weight
/// with de Wolff's M ≥ 20), or with `all=True` the best cell of every metric tried. Each dict
/// has file, metric, accepted, a, b, c, beta, zero_shift, lines, indexed, merit and
/// likely_space_groups (a list); an empty list when no cell is accepted.
#[pyfunction]
#[pyo3(signature = (pattern, wavelength=None, monoclinic=false, all=false))]
pub fn index<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    wavelength: Option<&Bound<'py, PyAny>>,
    monoclinic: bool,
    all: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let (label, pattern, w) = measured_arg(py, pattern, wavelength)?;
    let mut metrics = vec![
        Metric::Cubic,
        Metric::Hexagonal,
        Metric::Tetragonal,
        Metric::Orthorhombic,
    ];
    if monoclinic {
        metrics.push(Metric::Monoclinic);
    }
    let indexer = Indexer::new(IndexingParams::default().metrics(&metrics))
        .py()?
        .every_metric(all);
    let indexing = py.detach(|| indexer.index_pattern_at(&pattern, w)).py()?;
    // u16, not u8: a Vec<u8> would reach Python as bytes.
    let groups: Vec<u16> = indexing
        .likely_space_groups()
        .iter()
        .map(|&g| u16::from(g))
        .collect();
    let accepted = indexing.accepted();
    let row = |s: &Solution, is_accepted: bool| -> PyResult<Bound<'py, PyDict>> {
        let ([a, b, c], [_, beta, _]) = (s.cell.lengths(), s.cell.angles());
        let d = PyDict::new(py);
        d.set_item("file", &label)?;
        d.set_item("metric", format!("{:?}", s.metric).to_lowercase())?;
        d.set_item("accepted", is_accepted)?;
        d.set_item("a", a)?;
        d.set_item("b", b)?;
        d.set_item("c", c)?;
        d.set_item("beta", beta)?;
        d.set_item("zero_shift", s.zero_shift)?;
        d.set_item("lines", s.lines)?;
        d.set_item("indexed", s.indexed)?;
        d.set_item("merit", s.merit)?;
        d.set_item(
            "likely_space_groups",
            if is_accepted {
                groups.clone()
            } else {
                Vec::new()
            },
        )?;
        Ok(d)
    };
    if all {
        indexing
            .solutions
            .iter()
            .map(|s| row(s, accepted.is_some_and(|a| a == s)))
            .collect()
    } else {
        accepted.map(|s| row(s, true)).into_iter().collect()
    }
}
