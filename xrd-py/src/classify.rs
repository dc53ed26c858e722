//! `xrd.classify`: crystal system and space group of measured patterns with the shipped model,
//! the indexing and the built-in library (xrd-classify), as `xrd classify predict`.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_classify::{Classifier, LibrarySearch, TRAINING_WAVELENGTH};
use xrd_minerals::SearchParams;

use crate::errors::IntoPyResult;
use crate::libraries;
use crate::pattern::{pattern_arg, wavelength_of};

type Key = (Option<Vec<String>>, Vec<String>, bool, bool);

/// The classifiers built so far (the shipped model with each set of options).
static CLASSIFIERS: Mutex<Vec<(Key, Arc<Classifier>)>> = Mutex::new(Vec::new());

fn classifier(key: Key) -> PyResult<Arc<Classifier>> {
    let mut all = CLASSIFIERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, c)) = all.iter().find(|(k, _)| *k == key) {
        return Ok(Arc::clone(c));
    }
    let (elements, require, indexing, library) = key.clone();
    let mut model = Classifier::shipped().py()?;
    if !indexing {
        model = model.with_indexing(None).py()?;
    }
    if library {
        let lib = libraries::builtin()?;
        let refs = libraries::references(lib, TRAINING_WAVELENGTH)?;
        let search = SearchParams::new().elements(elements).required(require);
        let stage = LibrarySearch::new(lib.clone(), search)
            .py()?
            .with_references((*refs).clone())
            .py()?;
        model = model.with_library(Some(stage));
    }
    let model = Arc::new(model);
    all.push((key, Arc::clone(&model)));
    Ok(model)
}

/// The crystal system and space group of a measured pattern (a `Pattern` or a file path) by the
/// model shipped with xrd (networks trained on simulated patterns, Vecsei et al. 2019), the
/// powder indexing and a search of the built-in mineral library, as `xrd classify predict`.
/// `elements`/`require` restrict the library's phases by chemistry.
///
/// Returns a dict: file, crystal_system, space_group, certainty, top5 (space groups, best
/// first), refused (certainty below the refusal threshold), decided_by ("library", "indexing"
/// or "networks"), phase (the best library phase, "name (space group)") and phase_score, and
/// warnings.
#[pyfunction]
#[pyo3(signature = (pattern, elements=None, require=None, indexing=true, library=true, wavelength=None))]
pub fn classify<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    elements: Option<Vec<String>>,
    require: Option<Vec<String>>,
    indexing: bool,
    library: bool,
    wavelength: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (label, pattern) = pattern_arg(py, pattern)?;
    let pattern = match (pattern.wavelength(), wavelength_of(wavelength)?) {
        (None, Some(w)) => pattern.with_wavelength(Some(w)),
        _ => pattern,
    };
    let key = (elements, require.unwrap_or_default(), indexing, library);
    let model = py.detach(|| classifier(key))?;
    let p = py.detach(|| model.predict_pattern(&pattern)).py()?;
    let d = PyDict::new(py);
    d.set_item("file", label)?;
    d.set_item("crystal_system", p.crystal_system.name())?;
    d.set_item("space_group", p.space_group)?;
    d.set_item("certainty", p.certainty)?;
    // u16, not u8: a Vec<u8> would reach Python as bytes.
    let top: Vec<u16> = p
        .top_space_groups()
        .into_iter()
        .take(5)
        .map(u16::from)
        .collect();
    d.set_item("top5", top)?;
    d.set_item("refused", p.refused)?;
    d.set_item("decided_by", p.decided_by.name())?;
    d.set_item(
        "phase",
        p.phase
            .as_ref()
            .map(|m| format!("{} ({})", m.name, m.space_group)),
    )?;
    d.set_item("phase_score", p.phase.as_ref().map(|m| m.score))?;
    let warnings: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
    d.set_item("warnings", PyList::new(py, warnings)?)?;
    Ok(d)
}
