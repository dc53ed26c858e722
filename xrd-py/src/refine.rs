//! `xrd.refine`: whole-pattern (Rietveld) refinement of named phases (xrd-refine through
//! xrd-minerals' phase specs), with the rows of `xrd refine` and the fitted curves as arrays.

use std::path::PathBuf;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_minerals::{
    DEFAULT_MAX_CANDIDATES, PhaseSpec, RefineSetup, RefinementRow, RowValue, named_index,
    refine_specs,
};

// The signature's literal 8 (shown by help()) is xrd-minerals' default.
const _: () = assert!(DEFAULT_MAX_CANDIDATES == 3);
use xrd_refine::{Instrument, Phase, RefineParams};

use crate::errors::{IntoPyResult, value_error};
use crate::libraries;
use crate::pattern::measured_arg;

mod series;
mod summation;

/// The settings of `xrd.refine` and `xrd.refine_series` (as `xrd refine`'s flags), checked
/// (xrd-minerals' [`xrd_minerals::RefineOptions`], as the command builds them).
fn refine_params(
    two_theta_range: Option<(f64, f64)>,
    background: Option<usize>,
    humps: Option<usize>,
    stages: Option<Vec<String>>,
    instrument_standard: bool,
) -> PyResult<RefineParams> {
    xrd_minerals::RefineOptions {
        stages: stages.unwrap_or_default(),
        background_terms: background,
        humps,
        two_theta_range,
        instrument_standard,
        ..Default::default()
    }
    .refine_params()
    .py()
}

pub use series::refine_series;

/// One row of a refinement (xrd-minerals' schema: `columns` as `xrd refine` prints them, and
/// the row's values) as a dict: every column a key, numbers unrounded, an empty value `None`.
fn row_dict<'py, const N: usize>(
    py: Python<'py>,
    columns: &[&str; N],
    values: [RowValue; N],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (key, value) in columns.iter().zip(values) {
        match value {
            RowValue::Text(t) => d.set_item(key, t)?,
            RowValue::Integer(n) => d.set_item(key, n)?,
            RowValue::Number { value, .. } => d.set_item(key, value)?,
            RowValue::Empty => d.set_item(key, py.None())?,
        }
    }
    Ok(d)
}

/// Rietveld refinement of `phases` on a measured pattern (a `Pattern` or a file path), as
/// `xrd refine`. Each phase is a library id ("amcsd:8240"), a mineral name ("anatase"), a
/// formula ("TiO2": its best three references compared by a short fit, the preferred kept unless
/// another fits clearly better) or a CIF/POSCAR path.
/// `instrument` is a file saved by `save_instrument` (a refinement of a standard); `standard` is
/// (phase, weighed weight fraction) of an internal standard; `particle_size` (µm) is the
/// diameter of Brindley's microabsorption correction (default none: no correction, the
/// uncorrected fraction is reported as "weight_fraction_uncorrected" beside a corrected one); `stages` a list
/// of "scale", "cells", "profile",
/// "texture", "b".
///
/// Returns a dict: "rows" (one dict per phase, then per measured reference, with every key of
/// `xrd refine --format json`: file, phase, name, formula, space_group, weight_fraction,
/// weight_fraction_esd, weight_fraction_uncorrected, a, b, c, alpha, beta, gamma, size_nm,
/// strain, source, rwp, gof, kind; None where a row has no value), "rp", "rwp", "rexp", "gof",
/// "durbin_watson", "amorphous", "warnings", "compared" (each phase's structures and the Rwp of
/// their short fits), the arrays "two_theta", "observed", "calculated", "background",
/// "difference", "phase_curves" (name → array), "refinement" (every refined parameter, as
/// refinement.json) and "choices" (per phase: the spec, the structure refined, its judgement,
/// why it was chosen and the structures compared, as refinement.json's "choices").
///
/// With `references` (ids of the measured reference patterns of `reference_library`, a
/// powdR/RockJock wide CSV or a folder, as `xrd refine --references`) instead of `phases`: a
/// full-pattern summation; `standard` is then (id, weighed fraction), `alignment` "reference",
/// "sample" or "none", `max_shift` the largest shift (°). With both `phases` and `references`,
/// one fit of structures and measured references (`rir_bridge`, "corundum" by default, is
/// refined on the library's corundum pattern to put the two kinds of weight side by side).
/// Phases "pawley:SPEC" / "pawley:a,b,c,alpha,beta,gamma,SG" have their intensities extracted,
/// "ponkcs:FILE" are calibrated ones; `calibrate` = (phase, weighed fraction, path) writes a
/// Pawley phase's PONKCS calibration to path and returns it as "calibration". Returns "rows" with the keys of
/// `xrd refine --references --format json` (file, phase, id, name, kind, weight_fraction,
/// weight_fraction_esd, detection_limit, scale, shift, rwp, gof; a last row of kind "rest"
/// with a standard), "rp", "rwp", "rexp", "chi2", "gof", "amorphous", "amorphous_esd",
/// "warnings", the arrays as above with "phase_curves" keyed by id, and "quantification".
#[pyfunction]
#[pyo3(signature = (pattern, phases=None, library=None, builtin=true, instrument=None, save_instrument=None, standard=None, particle_size=None, monochromator=None, wavelength=None, two_theta_range=None, background=None, humps=None, stages=None, max_candidates=3, references=None, reference_library=None, alignment=None, max_shift=None, rir_bridge=String::from("corundum"), calibrate=None))]
#[allow(clippy::too_many_arguments)]
pub fn refine<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    phases: Option<Vec<String>>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    instrument: Option<PathBuf>,
    save_instrument: Option<PathBuf>,
    standard: Option<(String, f64)>,
    particle_size: Option<f64>,
    monochromator: Option<f64>,
    wavelength: Option<&Bound<'py, PyAny>>,
    two_theta_range: Option<(f64, f64)>,
    background: Option<usize>,
    humps: Option<usize>,
    stages: Option<Vec<String>>,
    max_candidates: usize,
    references: Option<Vec<String>>,
    reference_library: Option<PathBuf>,
    alignment: Option<String>,
    max_shift: Option<f64>,
    rir_bridge: String,
    calibrate: Option<(String, f64, PathBuf)>,
) -> PyResult<Bound<'py, PyDict>> {
    let phases = phases.unwrap_or_default();
    let mixed_ids = if phases.is_empty() {
        None
    } else {
        references.clone()
    };
    if let (Some(ids), true) = (references, phases.is_empty()) {
        let library = reference_library
            .ok_or_else(|| value_error("references need reference_library (a file or folder)"))?;
        let (label, pattern, _) = measured_arg(py, pattern, wavelength)?;
        let options = summation::Options {
            library,
            ids,
            standard,
            alignment,
            max_shift,
            background,
            two_theta_range,
        };
        return summation::refine_references(py, &label, &pattern, options);
    }
    let mixed = match &mixed_ids {
        None => None,
        Some(ids) => {
            let path = reference_library.as_ref().ok_or_else(|| {
                value_error("references need reference_library (a file or folder)")
            })?;
            Some(summation::load(py, path, ids)?)
        }
    };
    if phases.is_empty() {
        return Err(value_error("phases: name at least one phase"));
    }
    // As `xrd refine --instrument`: a GSAS file's wavelength serves a pattern that gives none.
    let (loaded, instrument_wavelength, _) = match &instrument {
        Some(path) => Instrument::read(path).py()?,
        None => (Instrument::default(), None, Vec::new()),
    };
    let (label, pattern, w) = {
        let (label, p) = crate::pattern::pattern_arg(py, pattern)?;
        let given = crate::pattern::wavelength_of(wavelength)?;
        let w = xrd_minerals::measured_wavelength(p.wavelength(), given, instrument_wavelength)
            .unwrap_or(xrd_io::Wavelength::CU_KA);
        (label, p.with_wavelength(Some(w)), w)
    };
    let params = refine_params(
        two_theta_range,
        background,
        humps,
        stages,
        save_instrument.is_some(),
    )?;
    let mut instrument = loaded;
    if monochromator.is_some() {
        instrument.monochromator = monochromator;
    }
    instrument.check().py()?;
    let extra = library.unwrap_or_default();
    // The phases and, with references, the bridge's corundum, from one library.
    let bridge_text = mixed.is_some().then_some(rir_bridge.as_str());
    let (specs, bridge) = py.detach(|| -> PyResult<(Vec<PhaseSpec>, Option<Phase>)> {
        let texts = phases.iter().map(String::as_str).chain(bridge_text);
        libraries::with_library(texts, builtin, &extra, |lib| {
            let specs = libraries::resolve_specs(&phases, lib, max_candidates)?;
            let bridge = match bridge_text {
                None => None,
                Some(t) => Some(
                    PhaseSpec::resolve(t, lib, 1)
                        .map_err(|e| value_error(format!("rir_bridge {t}: {e}")))?
                        .candidates[0]
                        .phase
                        .clone(),
                ),
            };
            Ok((specs, bridge))
        })
    })?;
    let standard = match standard {
        None => None,
        Some((name, wt)) => {
            let refs = mixed.as_ref().map_or(&[][..], |m| m.references.as_slice());
            let i = named_index(&name, &specs, refs).ok_or_else(|| {
                value_error(format!("standard `{name}` is not one of the phases"))
            })?;
            Some((i, wt))
        }
    };
    let reference_set = match (mixed, bridge) {
        (Some(m), Some(bridge)) => {
            let corundum = m.corundum.ok_or_else(|| {
                value_error(
                    "structures and references in one fit need the library's corundum pattern",
                )
            })?;
            Some(
                py.detach(|| {
                    xrd_minerals::bridged_references(
                        m.references,
                        bridge,
                        &corundum,
                        w,
                        &instrument,
                        max_shift,
                    )
                })
                .py()?,
            )
        }
        _ => None,
    };
    let setup = RefineSetup {
        instrument,
        params,
        standard,
        particle_size,
        references: reference_set,
    };
    let fit = py
        .detach(|| refine_specs(&pattern, w, &specs, &setup))
        .py()?;
    if let Some(path) = &save_instrument {
        fit.refinement.instrument.save(path).py()?;
    }
    let calibration = match &calibrate {
        None => None,
        Some((name, wt, path)) => {
            let index = named_index(name, &specs, &[]).ok_or_else(|| {
                value_error(format!("calibrate `{name}` is not one of the phases"))
            })?;
            let cal = fit.calibrate(&specs, &setup, index, *wt, &label).py()?;
            cal.save(path).py()?;
            Some(cal)
        }
    };
    let r = &fit.refinement;
    let out = PyDict::new(py);
    let rows = PyList::empty(py);
    for row in fit.rows(&specs, &label) {
        rows.append(row_dict(py, &RefinementRow::COLUMNS, row.values())?)?;
    }
    out.set_item("rows", rows)?;
    for (key, v) in [
        ("rp", r.rp),
        ("rwp", r.rwp),
        ("rexp", r.rexp),
        ("chi2", r.chi2),
        ("gof", r.gof),
        ("durbin_watson", r.durbin_watson),
    ] {
        out.set_item(key, v)?;
    }
    out.set_item("amorphous", r.amorphous)?;
    out.set_item("warnings", PyList::new(py, &r.warnings)?)?;
    let compared = PyList::empty(py);
    for (spec, tried) in specs.iter().zip(&fit.compared) {
        let list = PyList::empty(py);
        for t in tried {
            let c = &spec.candidates[t.candidate];
            list.append((
                c.source.clone(),
                c.name.clone(),
                t.rwp.as_ref().ok().copied(),
            ))?;
        }
        compared.append(list)?;
    }
    out.set_item("compared", compared)?;
    out.set_item("two_theta", PyArray1::from_slice(py, &r.two_theta))?;
    out.set_item("observed", PyArray1::from_slice(py, &r.observed))?;
    out.set_item("calculated", PyArray1::from_slice(py, &r.calculated))?;
    out.set_item("background", PyArray1::from_slice(py, &r.background))?;
    let difference = xrd_minerals::difference(&r.observed, &r.calculated);
    out.set_item("difference", PyArray1::from_vec(py, difference))?;
    let curves = PyDict::new(py);
    for (ph, c) in r.phases.iter().zip(&r.phase_curves) {
        curves.set_item(&ph.name, PyArray1::from_slice(py, c))?;
    }
    for (rr, c) in r.references.iter().zip(&r.reference_curves) {
        curves.set_item(&rr.id, PyArray1::from_slice(py, c))?;
    }
    out.set_item("phase_curves", curves)?;
    let json = serde_json::to_string(r).map_err(|e| value_error(e.to_string()))?;
    let loads = py.import("json")?.getattr("loads")?;
    out.set_item("refinement", loads.call1((json,))?)?;
    // Which structure each phase resolved to and why (refinement.json's "choices").
    let choices =
        serde_json::to_string(&fit.choices(&specs)).map_err(|e| value_error(e.to_string()))?;
    out.set_item("choices", loads.call1((choices,))?)?;
    if let Some(cal) = calibration {
        let json = serde_json::to_string(&cal).map_err(|e| value_error(e.to_string()))?;
        out.set_item("calibration", loads.call1((json,))?)?;
    }
    Ok(out)
}
