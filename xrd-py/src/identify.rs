//! `xrd.identify`: search-match against the mineral library, confirmed by refinement
//! (xrd-minerals), one dict per phase with the keys of `xrd identify --format json`.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_minerals::{Library, Matcher};

use crate::errors::IntoPyResult;
use crate::libraries;
use crate::pattern::measured_arg;

/// The phases of a measured pattern (a `Pattern` or a file path): search-match against the
/// built-in mineral library (the trimmed AMCSD) and the CIF/POSCAR folders or files of
/// `library`, then a Rietveld refinement of what it found that keeps only the phases the fit
/// supports and gives their weight fractions. `elements` keeps phases made of these elements
/// only, `require` those containing all of them.
///
/// One dict per phase, with the keys of `xrd identify --format json`: file, phase, name,
/// formula, space_group, score, share, source (library id or path), weight_fraction,
/// weight_fraction_esd, rwp (None without refinement). When nothing matches, one row with
/// phase 0 and name "(no match)". The wavelength is the file's, else `wavelength`, else Cu Kα.
/// Structures measured at high pressure or away from room temperature, and ices, are proposed
/// only with `non_ambient=True` (as `xrd identify --non-ambient`).
#[pyfunction]
#[pyo3(signature = (pattern, elements=None, require=None, library=None, builtin=true, max_phases=3, refine=true, wavelength=None, min_score=None, non_ambient=false))]
#[allow(clippy::too_many_arguments)]
pub fn identify<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    elements: Option<Vec<String>>,
    require: Option<Vec<String>>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    max_phases: usize,
    refine: bool,
    wavelength: Option<&Bound<'py, PyAny>>,
    min_score: Option<f64>,
    non_ambient: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let (label, pattern, w) = measured_arg(py, pattern, wavelength)?;
    // The job's options: the same defaults and checks as `xrd identify` and a JSON request.
    let defaults = xrd_jobs::IdentifyOptions::default();
    let options = xrd_jobs::IdentifyOptions {
        elements,
        require: require.unwrap_or_default(),
        non_ambient,
        max_phases,
        refine,
        min_score: min_score.unwrap_or(defaults.min_score),
        ..defaults
    };
    let search = options.search().py()?;
    let phases = options.phases().py()?;
    let confirm = options.confirm().py()?;
    let extra = library.unwrap_or_default();
    let run = |matcher: &Matcher<'_>| -> xrd_minerals::Result<_> {
        let found = matcher.identify(&pattern, &phases)?;
        let confirmed = match &confirm {
            Some(params) => matcher.confirm(&pattern, &found, params)?,
            None => None,
        };
        Ok((found, confirmed))
    };
    // The built-in library alone: its matcher is kept between calls. With folders: read now.
    let owned;
    let (lib, (found, confirmed)) = if builtin && extra.is_empty() {
        let matcher = py.detach(|| libraries::builtin_matcher(w, &search))?;
        let lib: &Library = libraries::builtin()?;
        (lib, py.detach(|| run(&matcher)).py()?)
    } else {
        owned = py.detach(|| libraries::assemble(builtin, &extra))?;
        let result = py.detach(|| -> PyResult<_> {
            let refs = libraries::references(&owned, w)?;
            let matcher = Matcher::new(&owned, &refs, w, search).py()?;
            run(&matcher).py()
        })?;
        (&owned, result)
    };
    let rows = found.report(confirmed.as_ref());
    xrd_jobs::identify_rows(lib, &label, &found, &rows)
        .into_iter()
        .map(|r| crate::refine::row_dict(py, &xrd_jobs::IdentifyRow::COLUMNS, r.values()))
        .collect()
}
