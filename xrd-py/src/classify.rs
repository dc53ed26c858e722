//! `xrd.classify`: crystal system and space group of measured patterns with the shipped model,
//! the indexing and the built-in library (xrd-classify), as `xrd classify predict`.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_jobs::{Classify, ClassifyOptions, Kept};

use crate::errors::{IntoPyResult, value_error};
use crate::libraries;
use crate::pattern::{pattern_arg, wavelength_of};

/// The jobs built so far, by their options (the model with its stages is built once).
static JOBS: Kept<Classify> = Kept::new(8);

fn job(options: ClassifyOptions) -> PyResult<Arc<Classify>> {
    let key = xrd_jobs::kept_key(&options, &[]);
    let kept = if options.library {
        Some(libraries::builtin()?)
    } else {
        None
    };
    JOBS.get_or_make(key, || Classify::with_library(options, kept))
        .py()
}

/// The crystal system and space group of a measured pattern (a `Pattern` or a file path) by the
/// model shipped with xrd (networks trained on simulated patterns, Vecsei et al. 2019), the
/// powder indexing and a search of the built-in mineral library, as `xrd classify predict`.
/// `elements`/`require` restrict the library's phases by chemistry; `model` is a model of `xrd
/// classify train`, and the other keywords are `xrd classify predict`'s flags (xrd-jobs'
/// `ClassifyOptions`).
///
/// Returns a dict: file, crystal_system, space_group, certainty, top5 (space groups, best
/// first), refused (certainty below the refusal threshold), decided_by ("library", "indexing"
/// or "networks"), phase (the best library phase, "name (space group)") and phase_score, and
/// warnings.
#[pyfunction]
#[pyo3(signature = (pattern, elements=None, require=None, indexing=true, library=true, wavelength=None, model=None, cache=None, library_midpoint=None, library_width=None, library_temperature=None, decisive_merit=None, library_threshold=None))]
#[allow(clippy::too_many_arguments)]
pub fn classify<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    elements: Option<Vec<String>>,
    require: Option<Vec<String>>,
    indexing: bool,
    library: bool,
    wavelength: Option<&Bound<'py, PyAny>>,
    model: Option<PathBuf>,
    cache: Option<PathBuf>,
    library_midpoint: Option<f64>,
    library_width: Option<f64>,
    library_temperature: Option<f64>,
    decisive_merit: Option<f64>,
    library_threshold: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = ClassifyOptions::default();
    let options = ClassifyOptions {
        model,
        indexing,
        library,
        cache: Some(cache.unwrap_or_else(libraries::cache_dir)),
        elements,
        require: require.unwrap_or_default(),
        library_midpoint: library_midpoint.unwrap_or(d.library_midpoint),
        library_width: library_width.unwrap_or(d.library_width),
        library_temperature: library_temperature.unwrap_or(d.library_temperature),
        decisive_merit: decisive_merit.unwrap_or(d.decisive_merit),
        library_threshold: library_threshold.unwrap_or(d.library_threshold),
        // The job is kept without it: the wavelength is each pattern's.
        wavelength: None,
    };
    let (label, pattern) = pattern_arg(py, pattern)?;
    let pattern = match (pattern.wavelength(), wavelength_of(wavelength)?) {
        (None, Some(w)) => pattern.with_wavelength(Some(w)),
        _ => pattern,
    };
    let job = py.detach(|| job(options))?;
    let named = [(label, pattern)];
    let c = py
        .detach(|| job.run(&named).into_iter().next())
        .ok_or_else(|| value_error("no prediction"))?
        .py()?;
    let d = PyDict::new(py);
    d.set_item("file", &c.file)?;
    d.set_item("crystal_system", &c.crystal_system)?;
    d.set_item("space_group", c.space_group)?;
    d.set_item("certainty", c.certainty)?;
    // u16, not u8: a Vec<u8> would reach Python as bytes.
    let top: Vec<u16> = c.top5.iter().map(|&g| u16::from(g)).collect();
    d.set_item("top5", top)?;
    d.set_item("refused", c.refused)?;
    d.set_item("decided_by", &c.decided_by)?;
    d.set_item("phase", &c.phase)?;
    d.set_item("phase_score", c.phase_score)?;
    d.set_item("warnings", PyList::new(py, &c.warnings)?)?;
    Ok(d)
}
