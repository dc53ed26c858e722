//! `xrd.fit_peaks`: the peak list of a measured pattern by profile fitting (xrd-jobs' `Peaks`),
//! the rows of `xrd peaks`.

use numpy::PyArray1;
use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_jobs::{PeakRow, Peaks, PeaksOptions};

use crate::errors::IntoPyResult;
use crate::pattern::{pattern_arg, wavelength_of};
use crate::refine::row_dict;

/// The peak list of a measured pattern (a `Pattern` or a file path) by profile fitting, as
/// `xrd peaks`: every line a split pseudo-Voigt with its Kα2 partner on a straight background,
/// neighbours fitted together. Lines stand `noise_multiple` (5) times the noise and
/// `min_height` (1 %) of the strongest above a rolling-minimum background of
/// `background_window` (2°), `min_separation` (0.08°) apart; `window` (4) FWHMs are fitted
/// around each; `max_group_lines` (16) at most are fitted together, a longer chain of
/// overlapping windows cut at its deepest valleys. Each dict has file, peak, two_theta, two_theta_esd, d, d_esd, height, area,
/// area_esd, relative_intensity, fwhm, fwhm_esd, integral_breadth, eta, asymmetry, background
/// and group (lines fitted together share it); an esd is nan where the fit held its parameter
/// at a limit. What the command prints as warnings (lines left out under 3 esds of area, groups
/// that did not converge, parameters at a limit) comes as Python warnings (`UserWarning`).
/// The list is an `xrd.results.PeakList`: it also holds the fit as a whole (`rwp`,
/// `correlation_time`, the curves `two_theta`, `observed`, `calculated`, `difference`).
#[pyfunction]
#[pyo3(signature = (pattern, wavelength=None, min_height=None, noise_multiple=None, min_separation=None, background_window=None, window=None, max_group_lines=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_peaks<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    wavelength: Option<&Bound<'py, PyAny>>,
    min_height: Option<f64>,
    noise_multiple: Option<f64>,
    min_separation: Option<f64>,
    background_window: Option<f64>,
    window: Option<f64>,
    max_group_lines: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let d = PeaksOptions::default();
    let options = PeaksOptions {
        wavelength: wavelength_of(wavelength)?,
        min_height: min_height.unwrap_or(d.min_height),
        noise_multiple: noise_multiple.unwrap_or(d.noise_multiple),
        min_separation: min_separation.unwrap_or(d.min_separation),
        background_window: background_window.unwrap_or(d.background_window),
        window: window.unwrap_or(d.window),
        max_group_lines: max_group_lines.unwrap_or(d.max_group_lines),
    };
    let job = Peaks::new(options).py()?;
    let (label, pattern) = pattern_arg(py, pattern)?;
    let list = py.detach(|| job.run(&label, &pattern)).py()?;
    if !list.warnings.is_empty() {
        let warnings = py.import("warnings")?;
        let category = py.get_type::<PyUserWarning>();
        for w in &list.warnings {
            // stacklevel 2: the warning names the caller's line.
            warnings.call_method1("warn", (format!("{label}: {w}"), &category, 2))?;
        }
    }
    let rows = PyList::empty(py);
    for r in &list.rows {
        rows.append(row_dict(py, &PeakRow::COLUMNS, r.values())?)?;
    }
    let fit = PyDict::new(py);
    fit.set_item("rwp", list.rwp)?;
    fit.set_item("correlation_time", list.correlation_time)?;
    fit.set_item("two_theta", PyArray1::from_slice(py, pattern.two_theta()))?;
    fit.set_item("observed", PyArray1::from_slice(py, pattern.intensity()))?;
    fit.set_item("calculated", PyArray1::from_slice(py, &list.calculated))?;
    let difference = xrd_jobs::difference(pattern.intensity(), &list.calculated);
    fit.set_item("difference", PyArray1::from_vec(py, difference))?;
    fit.set_item("warnings", PyList::new(py, &list.warnings)?)?;
    let class = py.import("xrd.results")?.getattr("PeakList")?;
    class.call((rows,), Some(&fit))
}
