//! `xrd.refine`: whole-pattern (Rietveld) refinement of named phases (xrd-refine through
//! xrd-minerals' phase specs), with the rows of `xrd refine` and the fitted curves as arrays.

use std::path::PathBuf;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xrd_jobs::{Refine, RefineOptions, RefineOutput, Refined, RowValue, Summed, Weighed};
use xrd_minerals::{DEFAULT_MAX_CANDIDATES, PhaseSpec};

// The signature's literal 3 (shown by help()) is xrd-minerals' default.
const _: () = assert!(DEFAULT_MAX_CANDIDATES == 3);

use crate::control::Steered;
use crate::errors::{IntoPyResult, value_error};
use crate::libraries;
use crate::pattern::wavelength_of;

mod series;

pub use series::refine_series;

/// One row of a refinement (xrd-jobs' schema: `columns` as `xrd refine` prints them, and
/// the row's values) as a dict: every column a key, numbers unrounded, an empty value `None`.
pub(crate) fn row_dict<'py, const N: usize>(
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

/// The built-in library, kept for the process, when the specs `texts` need it and no further
/// library is given (else the job reads the libraries itself).
pub(crate) fn kept_library<'t>(
    mut texts: impl Iterator<Item = &'t str>,
    builtin: bool,
    extra: &[PathBuf],
) -> PyResult<Option<&'static xrd_minerals::Library>> {
    if builtin && extra.is_empty() && !texts.all(PhaseSpec::is_file) {
        Ok(Some(libraries::builtin()?))
    } else {
        Ok(None)
    }
}

/// The option fields of the job `job` ("refine", "series", "simulate", "index", "classify"):
/// the keywords `xrd.refine`, `xrd.refine_series`, `xrd.simulate`, `xrd.index` and
/// `xrd.classify` must take (the tests compare).
#[pyfunction]
pub fn _options_fields(job: &str) -> PyResult<Vec<String>> {
    xrd_jobs::option_fields(job).ok_or_else(|| value_error(format!("no job `{job}`")))
}

/// The columns of the rows of `kind` ("refinement", "summation", "identify"): the keys of each row's dict
/// (the tests compare them with `xrd.results`).
#[pyfunction]
pub fn _row_columns(kind: &str) -> PyResult<Vec<&'static str>> {
    match kind {
        "refinement" => Ok(xrd_jobs::RefinementRow::COLUMNS.to_vec()),
        "summation" => Ok(xrd_jobs::SummationRow::COLUMNS.to_vec()),
        "identify" => Ok(xrd_jobs::IdentifyRow::COLUMNS.to_vec()),
        _ => Err(value_error(format!("no rows `{kind}`"))),
    }
}

/// Rietveld refinement of `phases` on a measured pattern (a `Pattern` or a file path), as
/// `xrd refine`. Each phase is a library id ("amcsd:8240"), a mineral name ("anatase"), a
/// formula ("TiO2": its best three references compared by a short fit, the preferred kept unless
/// another fits clearly better) or a CIF/POSCAR path.
/// `instrument` is a file saved by `save_instrument` (a refinement of a standard);
/// `monochromator` (2θ_m, °), `polarisation` (P of the incident beam, 0–1) and `capillary` (the
/// sample's μR) override its Lorentz–polarisation and absorption terms; `geometry`
/// ("bragg_brentano" or "debye_scherrer"; default the instrument file's, Debye–Scherrer for a
/// GSAS neutron file or with `capillary`) how the specimen's offset shifts the peaks; `standard` is
/// (phase, weighed weight fraction) of an internal standard; `particle_size` (µm) is the
/// diameter of Brindley's microabsorption correction (default none: no correction, the
/// uncorrected fraction is reported as "weight_fraction_uncorrected" beside a corrected one);
/// `stages` a list of "scale", "cells", "profile", "texture", "b"; `exclude` a list of 2θ
/// regions (from, to) left out of the fit; `fix` parameter ids held at their start
/// ("Calcite.size", "instrument.zero": the ids of "refinement"'s parameters), `free` ids
/// refined in the last stage beside what the stages free ("Calcite.B").
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
///
/// Structure refinement: `stages` ending in "atoms" refines each site's free coordinates, U
/// (`atoms`: "xyz", "U", "uij" for anisotropic, "occ") with `restraints` ("PHASE:A-B=1.47/0.01",
/// "PHASE:A-C-B=109.5/1"); the refinement's phases then hold "sites", "bonds", "angles",
/// "r_bragg". With `joint=True`, `pattern` is a list of patterns (X-ray and neutron of one sample)
/// refined together with one structure per phase, `instrument`, `two_theta_range` and `geometry` a list of
/// one per pattern (or one for all): returns a dict with "histograms" (per pattern: "file", "rwp",
/// "rp", "gof", the curves and "refinement"), "sites" (each with "phase"), "rwp" (all patterns),
/// "warnings", "cifs" (file name → refined CIF text) and "refinement_json".
///
/// Texture: the texture stage tries March–Dollase directions; `texture_harmonics` (an even order
/// 2–8) also offers each structure phase a spherical-harmonic texture, kept where it explains
/// more (the phase's "texture_harmonics" gives its weight range, the coefficients are among the
/// parameters as "PHASE.harmonic.L.K").
///
/// The options are xrd-jobs' `RefineOptions`, as `xrd refine`'s flags and a workbench request
/// take them. `progress` is a callable given `(what, done, total, message)` as the job goes (the
/// structures compared, the stages, the pattern done); an exception it raises stops the job and
/// is raised again. A missing CIF, instrument or reference file raises `XrdFileNotFoundError`.
#[pyfunction]
#[pyo3(signature = (pattern, phases=None, library=None, builtin=true, instrument=None, save_instrument=None, standard=None, particle_size=None, monochromator=None, polarisation=None, capillary=None, wavelength=None, two_theta_range=None, exclude=None, fix=None, free=None, background=None, humps=None, stages=None, max_candidates=3, references=None, reference_library=None, alignment=None, max_shift=None, rir_bridge=String::from("corundum"), calibrate=None, atoms=None, restraints=None, texture_harmonics=0, joint=false, progress=None, geometry=None))]
#[allow(clippy::too_many_arguments)]
pub fn refine<'py>(
    py: Python<'py>,
    pattern: &Bound<'py, PyAny>,
    phases: Option<Vec<String>>,
    library: Option<Vec<PathBuf>>,
    builtin: bool,
    instrument: Option<&Bound<'py, PyAny>>,
    save_instrument: Option<PathBuf>,
    standard: Option<(String, f64)>,
    particle_size: Option<f64>,
    monochromator: Option<f64>,
    polarisation: Option<f64>,
    capillary: Option<f64>,
    wavelength: Option<&Bound<'py, PyAny>>,
    two_theta_range: Option<&Bound<'py, PyAny>>,
    exclude: Option<Vec<(f64, f64)>>,
    fix: Option<Vec<String>>,
    free: Option<Vec<String>>,
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
    atoms: Option<Vec<String>>,
    restraints: Option<Vec<String>>,
    texture_harmonics: u8,
    joint: bool,
    progress: Option<Py<PyAny>>,
    geometry: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = RefineOptions::default();
    // One instrument, range and geometry, or (joint) one per pattern.
    let instruments: Vec<PathBuf> =
        one_or_list(instrument, "instrument: a path, or (joint) a list of paths")?;
    let ranges: Vec<(f64, f64)> = one_or_list(
        two_theta_range,
        "two_theta_range: (lo, hi), or (joint) a list of them",
    )?;
    let geometries: Vec<String> = one_or_list(
        geometry,
        "geometry: a name, or (joint) a list of names, one per pattern",
    )?;
    if !joint && (instruments.len() > 1 || ranges.len() > 1 || geometries.len() > 1) {
        return Err(value_error(
            "several instruments, ranges or geometries are for joint=True (one per pattern)",
        ));
    }
    let options = RefineOptions {
        phases: phases.unwrap_or_default(),
        library: library.unwrap_or_default(),
        builtin,
        references: references.unwrap_or_default(),
        reference_library,
        rir_bridge,
        alignment: alignment.unwrap_or(d.alignment),
        max_shift: max_shift.unwrap_or(d.max_shift),
        instrument: instruments.first().cloned(),
        save_instrument,
        standard: standard.map(|(spec, weight)| Weighed { spec, weight }),
        calibrate: calibrate.as_ref().map(|(spec, weight, _)| Weighed {
            spec: spec.clone(),
            weight: *weight,
        }),
        particle_size,
        monochromator,
        polarisation,
        capillary,
        geometry: geometries.first().cloned(),
        wavelength: wavelength_of(wavelength)?,
        two_theta_range: ranges.first().copied(),
        exclude: exclude.unwrap_or_default(),
        fix: fix.unwrap_or_default(),
        free: free.unwrap_or_default(),
        background,
        humps: humps.unwrap_or(d.humps),
        stages: stages.unwrap_or(d.stages),
        max_candidates,
        atoms: atoms.unwrap_or(d.atoms),
        restraints: restraints.unwrap_or_default(),
        texture_harmonics,
    };
    if joint {
        return joint_refine(
            py,
            pattern,
            options,
            &instruments,
            &ranges,
            &geometries,
            progress,
        );
    }
    let bridge = (!options.references.is_empty()).then_some(options.rir_bridge.as_str());
    let texts = options.phases.iter().map(String::as_str).chain(bridge);
    let kept = kept_library(texts, options.builtin, &options.library)?;
    let (label, pattern) = crate::pattern::pattern_arg(py, pattern)?;
    let steered = Steered::new(progress);
    let output = py.detach(|| {
        Refine::with_library(options, kept)
            .and_then(|job| job.run(&label, &pattern, &steered.control))
    });
    match steered.result(output)? {
        RefineOutput::Refinement(r) => {
            if let (Some(cal), Some((_, _, path))) = (&r.calibration, &calibrate) {
                cal.save(path).py()?;
            }
            refinement_dict(py, &r)
        }
        RefineOutput::Summation(s) => summation_dict(py, &s),
    }
}

/// A keyword that takes one value, or (joint) a list of them: none, `[one]` or the list;
/// `message` the error for anything else.
fn one_or_list<'a, 'py, T>(value: Option<&'a Bound<'py, PyAny>>, message: &str) -> PyResult<Vec<T>>
where
    T: FromPyObject<'a, 'py>,
    Vec<T>: FromPyObject<'a, 'py>,
{
    match value {
        None => Ok(Vec::new()),
        Some(v) => match v.extract::<T>() {
            Ok(one) => Ok(vec![one]),
            Err(_) => v.extract::<Vec<T>>().map_err(|_| value_error(message)),
        },
    }
}

/// `xrd.refine(patterns, …, joint=True)`: the patterns (a list of `Pattern`s or paths) refined
/// together with one structure per phase, each with its instrument and range (lists, in the
/// patterns' order, or one for all).
fn joint_refine<'py>(
    py: Python<'py>,
    patterns: &Bound<'py, PyAny>,
    options: RefineOptions,
    instruments: &[PathBuf],
    ranges: &[(f64, f64)],
    geometries: &[String],
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let list: Vec<Bound<'py, PyAny>> = patterns
        .try_iter()
        .map_err(|_| value_error("joint=True takes a list of patterns (Pattern or path)"))?
        .collect::<PyResult<_>>()?;
    let mut given = Vec::with_capacity(list.len());
    for p in &list {
        given.push(crate::pattern::pattern_arg(py, p)?);
    }
    let n = given.len();
    for (what, k) in [
        ("instrument", instruments.len()),
        ("two_theta_range", ranges.len()),
        ("geometry", geometries.len()),
    ] {
        if k > 1 && k != n {
            return Err(value_error(format!(
                "{what}: {k} given for {n} patterns (one per pattern, or one for all)"
            )));
        }
    }
    let histograms: Vec<xrd_jobs::HistogramOptions> = (0..n)
        .map(|k| xrd_jobs::HistogramOptions {
            instrument: instruments.get(k).or(instruments.first()).cloned(),
            two_theta_range: ranges.get(k).or(ranges.first()).copied(),
            geometry: geometries.get(k).or(geometries.first()).cloned(),
        })
        .collect();
    let steered = Steered::new(progress);
    let output = py.detach(|| {
        xrd_jobs::JointJob::new(options, &histograms)
            .and_then(|job| job.run(&given, &steered.control))
    });
    let fit = steered.result(output)?;
    let out = PyDict::new(py);
    let r = &fit.refinement;
    out.set_item("rwp", r.rwp)?;
    out.set_item("warnings", PyList::new(py, &r.warnings)?)?;
    let histograms = PyList::empty(py);
    for (file, h) in fit.files.iter().zip(&r.histograms) {
        let d = PyDict::new(py);
        d.set_item("file", file)?;
        for (key, v) in [("rp", h.rp), ("rwp", h.rwp), ("gof", h.gof)] {
            d.set_item(key, v)?;
        }
        d.set_item("warnings", PyList::new(py, &h.warnings)?)?;
        curves(
            py,
            &d,
            [&h.two_theta, &h.observed, &h.calculated, &h.background],
            h.phases
                .iter()
                .map(|p| p.name.as_str())
                .zip(h.phase_curves.iter().map(Vec::as_slice)),
        )?;
        d.set_item("refinement", as_python(py, h)?)?;
        histograms.append(d)?;
    }
    out.set_item("histograms", histograms)?;
    let sites = PyList::empty(py);
    if let Some(first) = r.histograms.first() {
        for ph in &first.phases {
            for s in &ph.sites {
                let d = as_python(py, s)?;
                d.set_item("phase", &ph.name)?;
                sites.append(d)?;
            }
        }
    }
    out.set_item("sites", sites)?;
    out.set_item("hydrostatic", as_python(py, &r.hydrostatic)?)?;
    let cifs = PyDict::new(py);
    for c in &fit.cifs {
        cifs.set_item(&c.file_name, &c.text)?;
    }
    out.set_item("cifs", cifs)?;
    out.set_item("refinement_json", fit.refinement_json().py()?)?;
    Ok(out)
}

/// `json.loads` of `value` serialised.
fn as_python<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value).map_err(|e| value_error(e.to_string()))?;
    py.import("json")?.getattr("loads")?.call1((json,))
}

/// The curves every result holds.
fn curves<'py, 'a>(
    py: Python<'py>,
    out: &Bound<'py, PyDict>,
    r: [&[f64]; 4],
    named: impl Iterator<Item = (&'a str, &'a [f64])>,
) -> PyResult<()> {
    out.set_item("two_theta", PyArray1::from_slice(py, r[0]))?;
    out.set_item("observed", PyArray1::from_slice(py, r[1]))?;
    out.set_item("calculated", PyArray1::from_slice(py, r[2]))?;
    out.set_item("background", PyArray1::from_slice(py, r[3]))?;
    let difference = xrd_jobs::difference(r[1], r[2]);
    out.set_item("difference", PyArray1::from_vec(py, difference))?;
    let curves = PyDict::new(py);
    for (name, c) in named {
        curves.set_item(name, PyArray1::from_slice(py, c))?;
    }
    out.set_item("phase_curves", curves)?;
    Ok(())
}

/// A refinement's result as `xrd.results.Refinement`.
fn refinement_dict<'py>(py: Python<'py>, refined: &Refined) -> PyResult<Bound<'py, PyDict>> {
    let r = &refined.refinement;
    let out = PyDict::new(py);
    let rows = PyList::empty(py);
    for row in &refined.rows {
        rows.append(row_dict(
            py,
            &xrd_jobs::RefinementRow::COLUMNS,
            row.values(),
        )?)?;
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
    for spec in &refined.compared {
        let list = PyList::empty(py);
        for t in &spec.tried {
            list.append((t.source.clone(), t.name.clone(), t.rwp))?;
        }
        compared.append(list)?;
    }
    out.set_item("compared", compared)?;
    let named = (r.phases.iter().map(|p| p.name.as_str()))
        .chain(r.references.iter().map(|x| x.id.as_str()))
        .zip(
            r.phase_curves
                .iter()
                .chain(&r.reference_curves)
                .map(Vec::as_slice),
        );
    curves(
        py,
        &out,
        [&r.two_theta, &r.observed, &r.calculated, &r.background],
        named,
    )?;
    out.set_item("refinement", as_python(py, r)?)?;
    // Which structure each phase resolved to and why (refinement.json's "choices").
    out.set_item("choices", as_python(py, &refined.choices)?)?;
    if let Some(cal) = &refined.calibration {
        out.set_item("calibration", as_python(py, cal)?)?;
    }
    Ok(out)
}

/// A summation's result as `xrd.results.Summation`.
fn summation_dict<'py>(py: Python<'py>, s: &Summed) -> PyResult<Bound<'py, PyDict>> {
    let q = &s.quantification;
    let out = PyDict::new(py);
    let rows = PyList::empty(py);
    for row in &s.rows {
        rows.append(row_dict(
            py,
            &xrd_jobs::SummationRow::COLUMNS,
            row.values(),
        )?)?;
    }
    out.set_item("rows", rows)?;
    for (key, v) in [
        ("rp", q.rp),
        ("rwp", q.rwp),
        ("rexp", q.rexp),
        ("chi2", q.chi2),
        ("gof", q.gof),
    ] {
        out.set_item(key, v)?;
    }
    out.set_item("amorphous", q.amorphous)?;
    out.set_item("amorphous_esd", q.amorphous_esd)?;
    out.set_item("warnings", PyList::new(py, &q.warnings)?)?;
    let named =
        (q.references.iter().map(|r| r.id.as_str())).zip(q.curves.iter().map(Vec::as_slice));
    curves(
        py,
        &out,
        [&q.two_theta, &q.observed, &q.calculated, &q.background],
        named,
    )?;
    out.set_item("quantification", as_python(py, q)?)?;
    Ok(out)
}
