//! `xrd.identify`: search-match against the mineral library, confirmed by refinement, through
//! the identification job of xrd-jobs (the one `xrd identify` runs), one dict per phase with
//! the keys of `xrd identify --format json`.

use std::path::PathBuf;

use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_jobs::{BackgroundMethod, IdentifyOptions, IdentifyRow};

use crate::control::Steered;
use crate::errors::{IntoPyResult, value_error};
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
/// only with `non_ambient=True` (as `xrd identify --non-ambient`). What the command says on
/// stderr (the refinement's notes, peaks no phase explains) comes as Python warnings
/// (`UserWarning`).
///
/// The other keywords are `xrd identify`'s flags, with their defaults when None:
/// `significance` and `min_rwp_gain` (what a further phase must bring to the refinement),
/// `top`, `min_score`, `smoothing`, `power`, `noise_floor`, `relative_floor`, `strain`,
/// `strain_prior`, `background` (window, degrees) and `background_method` ("top-hat" or
/// "snip") of the search, and `cache` (the reference patterns' folder; default `XRD_CACHE`,
/// else the user's cache folder). Calls with the same options share one job: its reference
/// patterns and search state are built once. `progress`, a callable, hears
/// `(what, done, total, message)`; an exception it raises cancels the identification.
#[pyfunction]
#[pyo3(signature = (pattern, elements=None, require=None, library=None, builtin=true, max_phases=None, refine=true, wavelength=None, min_score=None, non_ambient=false, significance=None, min_rwp_gain=None, top=None, smoothing=None, power=None, noise_floor=None, relative_floor=None, strain=None, strain_prior=None, background=None, background_method=None, cache=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn identify<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    elements: Option<Vec<String>>,
    require: Option<Vec<String>>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    max_phases: Option<usize>,
    refine: bool,
    wavelength: Option<&Bound<'py, PyAny>>,
    min_score: Option<f64>,
    non_ambient: bool,
    significance: Option<f64>,
    min_rwp_gain: Option<f64>,
    top: Option<usize>,
    smoothing: Option<f64>,
    power: Option<f64>,
    noise_floor: Option<f64>,
    relative_floor: Option<f64>,
    strain: Option<f64>,
    strain_prior: Option<f64>,
    background: Option<f64>,
    background_method: Option<String>,
    cache: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let (label, pattern, _) = measured_arg(py, pattern, wavelength)?;
    let d = IdentifyOptions::default();
    let background_method = match background_method.as_deref() {
        None => d.background_method,
        Some(m) => serde_json::from_value::<BackgroundMethod>(serde_json::Value::from(m)).map_err(
            |_| {
                value_error(format!(
                    "background_method: {m:?} is not \"top-hat\" or \"snip\""
                ))
            },
        )?,
    };
    // The same defaults and checks as `xrd identify` and a JSON request; the job is kept
    // without the wavelength: the pattern carries its own.
    let options = IdentifyOptions {
        wavelength: None,
        refine,
        significance: significance.unwrap_or(d.significance),
        min_rwp_gain: min_rwp_gain.unwrap_or(d.min_rwp_gain),
        library: library.unwrap_or_default(),
        builtin,
        elements,
        require: require.unwrap_or_default(),
        non_ambient,
        max_phases: max_phases.unwrap_or(d.max_phases),
        top: top.unwrap_or(d.top),
        min_score: min_score.unwrap_or(d.min_score),
        smoothing: smoothing.unwrap_or(d.smoothing),
        power: power.unwrap_or(d.power),
        noise_floor: noise_floor.unwrap_or(d.noise_floor),
        relative_floor: relative_floor.unwrap_or(d.relative_floor),
        strain: strain.unwrap_or(d.strain),
        strain_prior: strain_prior.unwrap_or(d.strain_prior),
        background: background.unwrap_or(d.background),
        background_method,
        cache: cache.unwrap_or_else(libraries::cache_dir),
    };
    let job = py.detach(|| libraries::identify_job(options))?;
    let steered = Steered::new(progress);
    let named = [(label, pattern)];
    let identified = steered.result(py.detach(|| job.run(&named, &steered.control)))?;
    let mut rows = Vec::new();
    let warnings = py.import("warnings")?;
    let category = py.get_type::<PyUserWarning>();
    for file in identified.files {
        if let Some(e) = file.error {
            return Err(xrd_jobs::Error::Input(e)).py();
        }
        // What `xrd identify` says on stderr: stacklevel 2 names the caller's line.
        for m in file.messages() {
            warnings.call_method1("warn", (format!("{}: {m}", file.file), &category, 2))?;
        }
        for r in file.rows {
            rows.push(crate::refine::row_dict(
                py,
                &IdentifyRow::COLUMNS,
                r.values(),
            )?);
        }
    }
    Ok(rows)
}
