//! `xrd.refine(…, references=…)`: full-pattern summation of measured reference patterns
//! (xrd-refine's `Summation`), the rows of `xrd refine --references`.

use std::path::PathBuf;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_refine::{Reference, ReferenceLibrary, Summation};

use xrd_minerals::SummationRow;

use crate::errors::{IntoPyResult, value_error};

/// The summation's options, as `xrd.refine` takes them.
pub struct Options {
    pub library: PathBuf,
    pub ids: Vec<String>,
    pub standard: Option<(String, f64)>,
    pub alignment: Option<String>,
    pub max_shift: Option<f64>,
    pub background: Option<usize>,
    pub two_theta_range: Option<(f64, f64)>,
}

/// A library's references named by id, and its corundum pattern (for one fit with structures).
pub struct Loaded {
    pub references: Vec<Reference>,
    pub corundum: Option<Reference>,
}

/// The references of `ids` in the library at `path`, and its corundum.
pub fn load(py: Python<'_>, path: &std::path::Path, ids: &[String]) -> PyResult<Loaded> {
    let library = py.detach(|| ReferenceLibrary::read(path)).py()?;
    let references = xrd_minerals::references_by_id(&library, ids)
        .map_err(|e| value_error(format!("{} in {}", e, path.display())))?;
    let corundum = library.corundum().cloned();
    Ok(Loaded {
        references,
        corundum,
    })
}

pub fn refine_references<'py>(
    py: Python<'py>,
    label: &str,
    pattern: &xrd_io::Pattern,
    o: Options,
) -> PyResult<Bound<'py, PyDict>> {
    if o.ids.is_empty() {
        return Err(value_error("references: name at least one reference"));
    }
    let refs = load(py, &o.library, &o.ids)?.references;
    let standard = match &o.standard {
        None => None,
        Some((name, wt)) => {
            let i = xrd_minerals::named_index(name, &[], &refs).ok_or_else(|| {
                value_error(format!("standard `{name}` is not one of the references"))
            })?;
            Some((i, *wt))
        }
    };
    let params = xrd_minerals::RefineOptions {
        background_terms: o.background,
        two_theta_range: o.two_theta_range,
        alignment: o.alignment.clone(),
        max_shift: o.max_shift,
        ..Default::default()
    }
    .summation_params()
    .py()?;
    let mut summation = Summation::new(refs).params(params);
    if let Some((i, w)) = standard {
        summation = summation.standard(i, w);
    }
    let q = py.detach(|| summation.fit(pattern)).py()?;
    let out = PyDict::new(py);
    let rows = PyList::empty(py);
    for row in xrd_minerals::summation_rows(label, &q) {
        rows.append(super::row_dict(py, &SummationRow::COLUMNS, row.values())?)?;
    }
    out.set_item("rows", rows)?;
    for (key, v) in [
        ("rp", q.rp),
        ("rwp", q.rwp),
        ("rexp", q.rexp),
        ("chi2", q.chi2),
        ("gof", q.gof),
    ] {
        out.set_item(key, v)?;
    }
    out.set_item("amorphous", q.amorphous)?;
    out.set_item("amorphous_esd", q.amorphous_esd)?;
    out.set_item("warnings", PyList::new(py, &q.warnings)?)?;
    out.set_item("two_theta", PyArray1::from_slice(py, &q.two_theta))?;
    out.set_item("observed", PyArray1::from_slice(py, &q.observed))?;
    out.set_item("calculated", PyArray1::from_slice(py, &q.calculated))?;
    out.set_item("background", PyArray1::from_slice(py, &q.background))?;
    let difference = xrd_minerals::difference(&q.observed, &q.calculated);
    out.set_item("difference", PyArray1::from_vec(py, difference))?;
    let curves = PyDict::new(py);
    for (r, c) in q.references.iter().zip(&q.curves) {
        curves.set_item(&r.id, PyArray1::from_slice(py, c))?;
    }
    out.set_item("phase_curves", curves)?;
    let json = serde_json::to_string(&q).map_err(|e| value_error(e.to_string()))?;
    let loads = py.import("json")?.getattr("loads")?;
    out.set_item("quantification", loads.call1((json,))?)?;
    Ok(out)
}
