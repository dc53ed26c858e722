//! `xrd.simulate` and `xrd.peaks`: powder patterns and peak lists of structures (xrd-jobs'
//! `Simulate`, as `xrd simulate`).

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_jobs::{Simulate, SimulateOptions};

use crate::errors::IntoPyResult;
use crate::libraries;
use crate::pattern::{Pattern, wavelength_of};

/// The simulation job of `options`, a library name looked up in the built-in library kept for
/// the process.
fn job(py: Python<'_>, options: SimulateOptions) -> PyResult<Simulate> {
    let kept = if Path::new(&options.structure).is_file() {
        None
    } else {
        Some(libraries::builtin()?)
    };
    py.detach(|| Simulate::with_library(options, kept)).py()
}

/// The powder pattern of a structure (a CIF or POSCAR path, or a built-in library entry by id,
/// mineral name or formula) on a 2θ grid, pseudo-Voigt peaks of `fwhm` degrees (default 0.1)
/// and Lorentzian fraction `eta` (default 0.5), or a refined `instrument`'s peaks (a file of
/// `xrd.refine(save_instrument=…)` or GSAS-II: its Thompson–Cox–Hastings widths and its
/// monochromator, in place of `fwhm` and `eta`), the strongest point 100 — as `xrd simulate`.
///
/// >>> import xrd
/// >>> p = xrd.simulate("rutile", two_theta=(20, 60), step=0.02)
/// >>> round(float(p.two_theta[p.intensity.argmax()]), 1)
/// 27.4
#[pyfunction]
#[pyo3(signature = (structure, wavelength=None, two_theta=(5.0, 90.0), step=0.01, fwhm=None, eta=None, pymatgen_compatible=false, instrument=None))]
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    py: Python<'_>,
    structure: &str,
    wavelength: Option<&Bound<'_, PyAny>>,
    two_theta: (f64, f64),
    step: f64,
    fwhm: Option<f64>,
    eta: Option<f64>,
    pymatgen_compatible: bool,
    instrument: Option<PathBuf>,
) -> PyResult<Pattern> {
    let options = SimulateOptions {
        structure: structure.to_string(),
        wavelength: wavelength_of(wavelength)?,
        two_theta,
        step,
        fwhm,
        eta,
        instrument,
        pymatgen_compatible,
    };
    let job = job(py, options)?;
    let (source, pattern) = py
        .detach(|| job.peaks().and_then(|s| Ok((s.source, job.pattern()?))))
        .py()?;
    let mut meta = xrd_io::Metadata::default();
    meta.source = Some(source);
    let pattern = pattern.with_meta(meta);
    Ok(Pattern::from_rust(&pattern))
}

/// The reflections of a structure: one dict per peak with two_theta, d, hkl, multiplicity and
/// intensity (the strongest 100) — the rows of `xrd simulate --peaks`.
#[pyfunction]
#[pyo3(signature = (structure, wavelength=None, two_theta=(5.0, 90.0), pymatgen_compatible=false))]
pub fn peaks<'py>(
    py: Python<'py>,
    structure: &str,
    wavelength: Option<&Bound<'py, PyAny>>,
    two_theta: (f64, f64),
    pymatgen_compatible: bool,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let options = SimulateOptions {
        structure: structure.to_string(),
        wavelength: wavelength_of(wavelength)?,
        two_theta,
        pymatgen_compatible,
        ..SimulateOptions::default()
    };
    let job = job(py, options)?;
    let simulated = py.detach(|| job.peaks()).py()?;
    simulated
        .peaks
        .peaks()
        .iter()
        .map(|p| {
            let d = PyDict::new(py);
            d.set_item("two_theta", p.two_theta)?;
            d.set_item("d", p.d_spacing)?;
            d.set_item("hkl", (p.hkl[0] as i64, p.hkl[1] as i64, p.hkl[2] as i64))?;
            d.set_item("multiplicity", p.multiplicity)?;
            d.set_item("intensity", p.intensity)?;
            Ok(d)
        })
        .collect()
}
