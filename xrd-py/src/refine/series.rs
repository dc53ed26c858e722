//! `xrd.refine_series`: a series of frames refined in order, each from the one before (the
//! rows of `xrd refine --sequential`).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_jobs::{Order, RowValue, Series, SeriesOptions};

use crate::control::Steered;
use crate::errors::value_error;
use crate::pattern::wavelength_of;

/// Sequential refinement of a series of pattern files (in the order given) with `phases` (specs
/// as in `refine`): the first frame is refined from the structures (each spec's structure
/// chosen there), every later one from the previous frame's result; a frame that cannot be
/// read or refined is reported (its "start" "failed", its "error" said) and the chain goes on.
/// `order` gives each frame's order value (temperature, time; default the file header's
/// temperature where every file has one); `backward` also refines the frames in reverse and
/// flags path-dependent values; `parametric` is a list of "PHASE:PARAMETER=DEGREE" polynomial
/// fits in the order value.
///
/// Returns a dict: "columns" (the names of `series.csv`'s columns), "rows" (one list per frame,
/// in the columns' order; None where a value is missing), "parametric" (one dict per fit:
/// phase, parameter, degree, coefficients, coefficient_esd, chi2, esd_ratio) and "phases" (the
/// phases' names). `xrd.refine_series` wraps it in a pandas DataFrame.
/// `monochromator`, `polarisation`, `capillary` and `geometry` as for `refine`; `out` a folder where each
/// frame lands (series.jsonl, series.state.json) as it finishes, from which `resume` goes on
/// after a cancelled or interrupted run; `progress` a callable given `(what, done, total,
/// message)` per frame, whose exception cancels the series (the frames done stay in `out`).
#[pyfunction]
#[pyo3(signature = (files, phases, library=None, builtin=true, instrument=None, particle_size=None, monochromator=None, polarisation=None, capillary=None, wavelength=None, two_theta_range=None, exclude=None, fix=None, free=None, background=None, humps=None, stages=None, max_candidates=3, order=None, backward=false, parametric=None, resume=false, out=None, progress=None, offset=0, background_hump=true, geometry=None))]
#[allow(clippy::too_many_arguments)]
pub fn refine_series<'py>(
    py: Python<'py>,
    files: Vec<PathBuf>,
    phases: Vec<String>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    instrument: Option<PathBuf>,
    particle_size: Option<f64>,
    monochromator: Option<f64>,
    polarisation: Option<f64>,
    capillary: Option<f64>,
    wavelength: Option<&Bound<'py, PyAny>>,
    two_theta_range: Option<(f64, f64)>,
    exclude: Option<Vec<(f64, f64)>>,
    fix: Option<Vec<String>>,
    free: Option<Vec<String>>,
    background: Option<usize>,
    humps: Option<usize>,
    stages: Option<Vec<String>>,
    max_candidates: usize,
    order: Option<&Bound<'py, PyAny>>,
    backward: bool,
    parametric: Option<Vec<String>>,
    resume: bool,
    out: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
    offset: usize,
    background_hump: bool,
    geometry: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let order = match order {
        None => None,
        Some(o) if o.is_none() => None,
        Some(o) => match o.extract::<Vec<f64>>() {
            Ok(v) => Some(Order::Values(v)),
            Err(_) => Some(Order::File(o.extract::<PathBuf>().map_err(|_| {
                value_error("order: a list of values or the path of an order file")
            })?)),
        },
    };
    let d = SeriesOptions::default();
    let options = SeriesOptions {
        phases,
        library: library.unwrap_or_default(),
        builtin,
        instrument,
        particle_size,
        monochromator,
        polarisation,
        capillary,
        geometry,
        wavelength: wavelength_of(wavelength)?,
        two_theta_range,
        exclude: exclude.unwrap_or_default(),
        fix: fix.unwrap_or_default(),
        free: free.unwrap_or_default(),
        background,
        humps: humps.unwrap_or(d.humps),
        stages: stages.unwrap_or(d.stages),
        max_candidates,
        order,
        backward,
        parametric: parametric.unwrap_or_default(),
        resume,
        background_hump,
    };
    let kept = super::kept_library(
        options.phases.iter().map(String::as_str),
        options.builtin,
        &options.library,
    )?;
    let steered = Steered::new(progress);
    let output = py.detach(|| {
        Series::with_library(options, kept)
            .and_then(|job| job.run(files, out.as_deref(), &steered.control, |_| Ok(())))
    });
    let output = steered.result(output)?;
    let (series, names) = (&output.series, &output.phases);
    let result = PyDict::new(py);
    result.set_item("columns", &output.columns)?;
    let rows = PyList::empty(py);
    for f in &series.frames {
        let mut f = f.clone();
        f.index += offset;
        let row = PyList::empty(py);
        for v in xrd_jobs::series_row(&f, names.len()) {
            match v {
                RowValue::Integer(i) => row.append(i)?,
                RowValue::Number { value, .. } => row.append(value)?,
                RowValue::Text(t) => row.append(t)?,
                RowValue::Empty => row.append(py.None())?,
            }
        }
        rows.append(row)?;
    }
    result.set_item("rows", rows)?;
    let fits = PyList::empty(py);
    for p in &series.parametric {
        let d = PyDict::new(py);
        d.set_item("phase", &p.spec.phase)?;
        d.set_item("parameter", &p.spec.parameter)?;
        d.set_item("degree", p.spec.degree)?;
        d.set_item("coefficients", p.coefficients.clone())?;
        d.set_item("coefficient_esd", p.coefficient_esd.clone())?;
        d.set_item("chi2", p.chi2)?;
        d.set_item("esd_ratio", p.esd_ratio())?;
        fits.append(d)?;
    }
    result.set_item("parametric", fits)?;
    result.set_item("phases", names)?;
    result.set_item("notes", &series.notes)?;
    Ok(result)
}
