//! `xrd.refine_series`: a series of frames refined in order, each from the one before (the
//! rows of `xrd refine --sequential`).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_minerals::{RefineSetup, refine_specs};
use xrd_refine::{
    Frame, Instrument, Parametric, Sequential, SeriesParams, SeriesValue, series_columns,
};

use crate::errors::{IntoPyResult, value_error};
use crate::libraries;
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
#[pyfunction]
#[pyo3(signature = (files, phases, library=None, builtin=true, instrument=None, particle_size=None, wavelength=None, two_theta_range=None, background=None, stages=None, max_candidates=3, order=None, backward=false, parametric=None, offset=0))]
#[allow(clippy::too_many_arguments)]
pub fn refine_series<'py>(
    py: Python<'py>,
    files: Vec<PathBuf>,
    phases: Vec<String>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    instrument: Option<PathBuf>,
    particle_size: Option<f64>,
    wavelength: Option<&Bound<'py, PyAny>>,
    two_theta_range: Option<(f64, f64)>,
    background: Option<usize>,
    stages: Option<Vec<String>>,
    max_candidates: usize,
    order: Option<Vec<f64>>,
    backward: bool,
    parametric: Option<Vec<String>>,
    offset: usize,
) -> PyResult<Bound<'py, PyDict>> {
    if files.is_empty() {
        return Err(value_error("files: a series needs at least one file"));
    }
    if phases.is_empty() {
        return Err(value_error("phases: name at least one phase"));
    }
    if let Some(o) = &order
        && o.len() != files.len()
    {
        return Err(value_error(format!(
            "order has {} values for {} files",
            o.len(),
            files.len()
        )));
    }
    let given = wavelength_of(wavelength)?;
    let params = super::refine_params(two_theta_range, background, None, stages, false)?;
    // As `xrd refine --instrument`: our JSON, or a GSAS `.prm`/`.iparm` or GSAS-II `.instprm`
    // file whose wavelength serves the files that give none (unless `wavelength` is given).
    let (instrument, instrument_wavelength) = match &instrument {
        Some(path) => {
            let (i, w, _) = Instrument::read(path).py()?;
            (i, w)
        }
        None => (Instrument::default(), None),
    };
    instrument.check().py()?;
    let parametric = parametric
        .unwrap_or_default()
        .iter()
        .map(|s| Parametric::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .py()?;
    let series_params = SeriesParams::new()
        .backward(backward)
        .parametric(parametric);
    series_params.check().py()?;
    let extra = library.unwrap_or_default();
    let (series, names, order_name) = py.detach(|| -> PyResult<_> {
        let specs =
            libraries::with_library(phases.iter().map(String::as_str), builtin, &extra, |lib| {
                libraries::resolve_specs(&phases, lib, max_candidates)
            })?;
        let frames: Vec<Frame> = files
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let name = f.display().to_string();
                let o = order.as_ref().map(|o| o[k]);
                xrd_minerals::series_frame(name, xrd_io::read(f), o, |p| {
                    xrd_minerals::measured_wavelength(p.wavelength(), given, instrument_wavelength)
                        .unwrap_or(xrd_io::Wavelength::CU_KA)
                })
            })
            .collect();
        // As series.csv: header temperatures name the order when no `order` was given.
        let order_name = xrd_minerals::order_name(order.as_ref().map(|_| "order"), &frames);
        let (first, w) = frames
            .iter()
            .find_map(|f| f.data().ok())
            .ok_or_else(|| value_error("no file of the series could be read"))?;
        let setup = RefineSetup {
            instrument,
            params,
            standard: None,
            particle_size,
            references: None,
        };
        let chosen = refine_specs(first, *w, &specs, &setup).map_err(|e| {
            value_error(format!(
                "{} (the first frame, where the phases are chosen): {e}",
                frames
                    .iter()
                    .find(|f| f.data().is_ok())
                    .map_or("", |f| f.name())
            ))
        })?;
        let chosen_phases = chosen.phases(&specs);
        let names: Vec<String> = chosen_phases.iter().map(|p| p.name().to_string()).collect();
        let series = Sequential::new(setup.refiner(chosen_phases))
            .params(series_params)
            .run(&frames, Vec::new(), None, |_, _| Ok(()))
            .py()?;
        Ok((series, names, order_name))
    })?;
    let out = PyDict::new(py);
    out.set_item("columns", series_columns(&names, &order_name))?;
    let rows = PyList::empty(py);
    for f in &series.frames {
        let mut f = f.clone();
        f.index += offset;
        let row = PyList::empty(py);
        for v in f.row(names.len()) {
            match v {
                SeriesValue::Integer(i) => row.append(i)?,
                SeriesValue::Number(x, _) => row.append(x)?,
                SeriesValue::Text(t) => row.append(t)?,
                _ => row.append(py.None())?,
            }
        }
        rows.append(row)?;
    }
    out.set_item("rows", rows)?;
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
    out.set_item("parametric", fits)?;
    out.set_item("phases", names)?;
    Ok(out)
}
