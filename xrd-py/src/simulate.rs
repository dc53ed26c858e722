//! `xrd.simulate` and `xrd.peaks`: powder patterns and peak lists of structures (xrd-sim).

use std::path::Path;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xrd_io::Wavelength;
use xrd_sim::{PowderParams, Profile, Simulator, Structure};

use crate::errors::{IntoPyResult, value_error};
use crate::libraries;
use crate::pattern::{Pattern, wavelength_of};

/// The structure named: a CIF or POSCAR file, else a built-in library entry by id, mineral name
/// or formula, as `xrd simulate` reads it ([`xrd_minerals::resolve_structure`]).
fn structure_of(spec: &str) -> PyResult<(String, Structure)> {
    let lib = if Path::new(spec).is_file() {
        None
    } else {
        Some(libraries::builtin()?)
    };
    xrd_minerals::resolve_structure(spec, lib).py()
}

fn simulator(
    wavelength: Wavelength,
    two_theta: (f64, f64),
    pymatgen: bool,
    monochromator: Option<f64>,
) -> PyResult<Simulator> {
    let (min, max) = two_theta;
    if !(min.is_finite() && max.is_finite() && 0.0 <= min && min < max && max < 180.0) {
        return Err(value_error(format!(
            "two_theta ({min}, {max}): need 0 ≤ min < max < 180"
        )));
    }
    let base = if pymatgen {
        PowderParams::pymatgen(wavelength)
    } else {
        PowderParams::new()
    };
    Simulator::new(
        base.radiation(wavelength)
            .two_theta_range(min, max)
            .monochromator(monochromator),
    )
    .py()
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
    instrument: Option<std::path::PathBuf>,
) -> PyResult<Pattern> {
    let w = wavelength_of(wavelength)?.unwrap_or(Wavelength::CU_KA);
    let instrument = match &instrument {
        Some(_) if fwhm.is_some() || eta.is_some() => {
            return Err(value_error(
                "instrument gives the peak widths: not with fwhm or eta",
            ));
        }
        Some(path) => Some(xrd_refine::Instrument::read(path).py()?.0),
        None => None,
    };
    let (name, s) = structure_of(structure)?;
    let monochromator = instrument.as_ref().and_then(|i| i.monochromator);
    let sim = simulator(w, two_theta, pymatgen_compatible, monochromator)?;
    let profile = match &instrument {
        Some(i) => i.profile(),
        None => Profile::pseudo_voigt(eta.unwrap_or(0.5), fwhm.unwrap_or(0.1)),
    };
    let pattern = py
        .detach(|| -> xrd_jobs::Result<xrd_io::Pattern> {
            let peaks = sim.peaks(&s)?;
            xrd_jobs::simulated_pattern(&sim, &peaks, w, two_theta, step, &profile)
        })
        .py()?;
    let mut meta = xrd_io::Metadata::default();
    meta.source = Some(name);
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
    let w = wavelength_of(wavelength)?.unwrap_or(Wavelength::CU_KA);
    let (_, s) = structure_of(structure)?;
    let sim = simulator(w, two_theta, pymatgen_compatible, None)?;
    let list = py.detach(|| sim.peaks(&s)).py()?.scaled(100.0);
    list.peaks()
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
