//! The series job (`xrd refine --sequential`, `xrd.refine_series`): frames refined in order,
//! each from the one before, each frame's result on disk before the next starts, so that a
//! cancelled or interrupted run resumes where it stopped.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xrd_core::{Control, Progress};
use xrd_io::Wavelength;
use xrd_minerals::{Library, PhaseSpec, RefineSetup};
use xrd_refine::{Frame, FrameFit, Parametric, Phase, Sequential, SeriesParams, State};

use crate::error::{existing, invalid};
use crate::refine::{library_for, load_instrument, resolve_spec};
use crate::{Error, RefineOptions, Result, measured_wavelength, order_name, series_frame};

/// Each finished frame, one JSON line (xrd-refine's `FrameFit`), appended as it lands.
pub const ROWS_FILE: &str = "series.jsonl";
/// The state the chain goes on from, rewritten after every frame.
pub const STATE_FILE: &str = "series.state.json";

/// The order of a series' frames: values in the files' order (`[300.0, 310.0]`), or a CSV file
/// (`"order.csv"`) with a `file` column (names or paths of the files) in the series' order and
/// the order value (temperature, time) in its next column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Order {
    /// One value per file, in the files' order.
    Values(Vec<f64>),
    /// An order file.
    File(PathBuf),
}

/// The options of a series ([`Series`]): the refinement's, less what a series does not take
/// (references, a standard saved, a calibration), and the series' own.
///
/// ```
/// let o: xrd_jobs::SeriesOptions =
///     serde_json::from_str(r#"{"phases": ["spinel.cif"], "order": [300, 310]}"#).unwrap();
/// assert_eq!(o.order, Some(xrd_jobs::Order::Values(vec![300.0, 310.0])));
/// o.check()?;
/// # Ok::<(), xrd_jobs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeriesOptions {
    /// Phase specs, as [`RefineOptions::phases`]; each spec's structure is chosen on the first
    /// frame that can be read.
    pub phases: Vec<String>,
    /// Further libraries.
    pub library: Vec<PathBuf>,
    /// Look names up in the built-in AMCSD too (default true).
    pub builtin: bool,
    /// An instrument file.
    pub instrument: Option<PathBuf>,
    /// Particle diameter (µm) of Brindley's microabsorption correction.
    pub particle_size: Option<f64>,
    /// Diffracted-beam monochromator angle 2θ_m (°).
    pub monochromator: Option<f64>,
    /// Polarisation fraction P of the incident beam (0–1).
    pub polarisation: Option<f64>,
    /// Debye–Scherrer capillary: the sample's μR.
    pub capillary: Option<f64>,
    /// `bragg_brentano` or `debye_scherrer` (default the instrument's; Debye–Scherrer with
    /// `capillary`).
    pub geometry: Option<String>,
    /// The wavelength of frames whose file gives none.
    pub wavelength: Option<Wavelength>,
    /// Refine only this 2θ range (°).
    pub two_theta_range: Option<(f64, f64)>,
    /// 2θ regions (°) left out of every frame's fit.
    pub exclude: Vec<(f64, f64)>,
    /// Parameters held at their start in every frame, by id.
    pub fix: Vec<String>,
    /// Parameters refined in the last stage beside what the stages free, by id.
    pub free: Vec<String>,
    /// Chebyshev background terms.
    pub background: Option<usize>,
    /// Broad background peaks.
    pub humps: usize,
    /// The stages in order.
    pub stages: Vec<String>,
    /// At most this many library entries of one spec are compared.
    pub max_candidates: usize,
    /// The frames' order and order values (default: the files' order, the header temperature
    /// where every frame has one).
    pub order: Option<Order>,
    /// Refine the frames in reverse too and flag path-dependent values.
    pub backward: bool,
    /// `PHASE:PARAMETER=DEGREE` polynomial fits in the order value.
    pub parametric: Vec<String>,
    /// Go on from where a run in the output folder stopped.
    pub resume: bool,
    /// Without humps, try one broad background peak on the first frame and keep it for every
    /// frame when the data ask for it ([`SeriesParams::background_hump`]; default true).
    pub background_hump: bool,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        let r = RefineOptions::default();
        SeriesOptions {
            phases: Vec::new(),
            library: Vec::new(),
            builtin: r.builtin,
            instrument: None,
            particle_size: None,
            monochromator: None,
            polarisation: None,
            capillary: None,
            geometry: None,
            wavelength: None,
            two_theta_range: None,
            exclude: Vec::new(),
            fix: Vec::new(),
            free: Vec::new(),
            background: None,
            humps: r.humps,
            stages: r.stages,
            max_candidates: r.max_candidates,
            order: None,
            backward: false,
            parametric: Vec::new(),
            resume: false,
            background_hump: true,
        }
    }
}

impl SeriesOptions {
    /// The refinement's options of every frame.
    pub fn refine_options(&self) -> RefineOptions {
        RefineOptions {
            phases: self.phases.clone(),
            library: self.library.clone(),
            builtin: self.builtin,
            instrument: self.instrument.clone(),
            particle_size: self.particle_size,
            monochromator: self.monochromator,
            polarisation: self.polarisation,
            capillary: self.capillary,
            geometry: self.geometry.clone(),
            wavelength: self.wavelength,
            two_theta_range: self.two_theta_range,
            exclude: self.exclude.clone(),
            fix: self.fix.clone(),
            free: self.free.clone(),
            background: self.background,
            humps: self.humps,
            stages: self.stages.clone(),
            max_candidates: self.max_candidates,
            ..RefineOptions::default()
        }
    }

    /// The series' own settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`parametric`) for a fit that does not parse.
    pub fn series_params(&self) -> Result<SeriesParams> {
        let parametric = self
            .parametric
            .iter()
            .map(|s| Parametric::parse(s).map_err(|e| invalid("parametric", e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let params = SeriesParams::new()
            .backward(self.backward)
            .background_hump(self.background_hump)
            .parametric(parametric);
        crate::options::renamed(params.check().map_err(Error::from), &[])?;
        Ok(params)
    }

    /// Checks every option as the job will use it.
    ///
    /// # Errors
    /// Those of [`RefineOptions::check`] (`phases` when none is named) and of
    /// [`SeriesOptions::series_params`]; `order` for an empty list of values.
    pub fn check(&self) -> Result<()> {
        if self.phases.is_empty() {
            return Err(invalid("phases", "name at least one phase"));
        }
        self.refine_options().check()?;
        if matches!(&self.order, Some(Order::Values(v)) if v.is_empty()) {
            return Err(invalid("order", "no value"));
        }
        self.series_params()?;
        Ok(())
    }
}

/// What a running series tells its front end.
#[derive(Debug)]
#[non_exhaustive]
pub enum SeriesEvent<'a> {
    /// The series starts: its columns, and the frames a resumed run had done already.
    Started {
        /// The rows' columns ([`crate::series_columns`]).
        columns: &'a [String],
        /// The phases' names (each spec's structure chosen on the first frame).
        phases: &'a [String],
        /// Frames done by the run resumed (empty for a fresh run).
        done: &'a [FrameFit],
        /// Frames in all.
        frames: usize,
        /// The structures refined (each spec's chosen on the first frame), for
        /// [`Series::evaluate`].
        structures: &'a [Phase],
    },
    /// A frame finished (and is on disk, with an output folder), with the state its fit ended
    /// in (none for a failed frame): [`Series::evaluate`] draws the fit again from it.
    Frame(&'a FrameFit, Option<&'a State>),
}

/// A series job, assembled from its options once.
#[derive(Debug)]
pub struct Series {
    options: SeriesOptions,
    specs: Vec<PhaseSpec>,
    setup: RefineSetup,
    wavelength: Option<Wavelength>,
    dropped: Vec<String>,
    params: SeriesParams,
}

/// What a series returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SeriesOutput {
    /// The phases' names.
    pub phases: Vec<String>,
    /// The name of the order value.
    pub order_name: String,
    /// The rows' columns.
    pub columns: Vec<String>,
    /// Every frame's result, the flags and the parametric fits.
    pub series: xrd_refine::Series,
    /// The frames as read (patterns and wavelengths, for figures).
    #[serde(skip)]
    pub frames: Vec<Frame>,
}

impl Series {
    /// The job of `options`.
    ///
    /// # Errors
    /// An invalid option; a missing file ([`Error::FileNotFound`]); a spec that names nothing.
    pub fn new(options: SeriesOptions) -> Result<Self> {
        Self::with_library(options, None)
    }

    /// As [`Series::new`], names looked up in `library` when given.
    ///
    /// # Errors
    /// As [`Series::new`].
    pub fn with_library(options: SeriesOptions, library: Option<&Library>) -> Result<Self> {
        options.check()?;
        let refine = options.refine_options();
        let (instrument, instrument_wavelength, dropped) =
            load_instrument(refine.instrument.as_deref())?;
        let instrument = refine.instrument_overrides(instrument)?;
        let texts: Vec<&str> = refine.phases.iter().map(String::as_str).collect();
        let library = library_for(&texts, refine.builtin, &refine.library, library)?;
        let specs = refine
            .phases
            .iter()
            .map(|t| resolve_spec("phases", t, library.as_deref(), refine.max_candidates))
            .collect::<Result<Vec<_>>>()?;
        let setup = RefineSetup {
            instrument,
            params: refine.refine_params()?,
            standard: None,
            particle_size: refine.particle_size,
            references: None,
            control: xrd_core::Control::default(),
        };
        Ok(Series {
            params: options.series_params()?,
            wavelength: measured_wavelength(None, options.wavelength, instrument_wavelength),
            dropped,
            options,
            specs,
            setup,
        })
    }

    /// The terms of the instrument file that our profile cannot hold (for the front end to
    /// say).
    pub fn dropped_instrument_terms(&self) -> &[String] {
        &self.dropped
    }

    /// The frames of `files` in the series' order (the `order` option's, else the files'), each
    /// read at its file's wavelength (else the option's, the instrument's, Cu Kα), and the name
    /// of the order value.
    ///
    /// # Errors
    /// An order file that is missing, malformed or names a file not given; order values not
    /// one per file.
    pub fn frames(&self, files: Vec<PathBuf>) -> Result<(Vec<Frame>, String)> {
        let (files, orders, given) = match &self.options.order {
            None => {
                let n = files.len();
                (files, vec![None; n], None)
            }
            Some(Order::Values(v)) => {
                if v.len() != files.len() {
                    return Err(invalid(
                        "order",
                        format!("{} values for {} files", v.len(), files.len()),
                    ));
                }
                let values = v.iter().map(|&x| Some(x)).collect();
                (files, values, Some("order".to_string()))
            }
            Some(Order::File(path)) => order_file(path, &files)?,
        };
        let frames: Vec<Frame> = files
            .iter()
            .zip(orders)
            .map(|(file, order)| {
                series_frame(file.display().to_string(), xrd_io::read(file), order, |p| {
                    measured_wavelength(p.wavelength(), self.wavelength, None)
                        .unwrap_or(Wavelength::CU_KA)
                })
            })
            .collect();
        let name = order_name(given.as_deref(), &frames);
        Ok((frames, name))
    }

    /// Refines the frames of `files` ([`Series::frames`]) in order. With `out`, each frame
    /// lands in `out/series.jsonl` and the chain's state in `out/series.state.json` before the
    /// next starts, and `resume` goes on from them. Reports one progress event per frame
    /// (`frames`) and, when `control` is cancelled, stops within one least-squares step of the
    /// frame under way (dropped), returning [`Error::Cancelled`] with the frames done kept in
    /// `out`. `on_event` hears the start and
    /// each frame (a front end streams its own table there; its error stops the run).
    ///
    /// # Errors
    /// [`Error::Cancelled`]; no frame could be read; the first frame (where the phases are
    /// chosen) cannot be refined; `resume` without `out` or with another run's files; the
    /// files cannot be written; `on_event`'s error.
    pub fn run<F>(
        &self,
        files: Vec<PathBuf>,
        out: Option<&Path>,
        control: &Control,
        mut on_event: F,
    ) -> Result<SeriesOutput>
    where
        F: FnMut(SeriesEvent<'_>) -> Result<()> + Send,
    {
        control.check()?;
        if files.is_empty() {
            return Err(invalid("files", "a series needs at least one file"));
        }
        if self.options.resume && out.is_none() {
            return Err(invalid("resume", "needs an output folder"));
        }
        let (frames, order_name) = self.frames(files)?;
        let (name, (first, first_w)) = frames
            .iter()
            .find_map(|f| f.data().ok().map(|d| (f.name(), d)))
            .ok_or_else(|| Error::Input("no frame of the series could be read".into()))?;
        let setup = RefineSetup {
            control: control.silent(),
            ..self.setup.clone()
        };
        let chosen =
            xrd_minerals::refine_specs(first, *first_w, &self.specs, &setup).map_err(|e| {
                match Error::from(e) {
                    Error::Cancelled => Error::Cancelled,
                    e => Error::Input(format!(
                        "{name} (the first frame, where the phases are chosen): {e}"
                    )),
                }
            })?;
        control.check()?;
        let phases = chosen.phases(&self.specs);
        let names: Vec<String> = phases.iter().map(|p| p.name().to_string()).collect();
        let columns = crate::series_columns(&names, &order_name);
        let structures = phases.clone();
        let sequential = Sequential::new(self.setup.refiner(phases)).params(self.params.clone());
        let (done, state) = match out {
            Some(out) if self.options.resume => resume(out, &frames)?,
            Some(out) => {
                std::fs::create_dir_all(out).map_err(|source| Error::File {
                    path: out.to_path_buf(),
                    source,
                })?;
                for f in [ROWS_FILE, STATE_FILE] {
                    let p = out.join(f);
                    if p.exists() {
                        std::fs::remove_file(&p)
                            .map_err(|source| Error::File { path: p, source })?;
                    }
                }
                (Vec::new(), None)
            }
            None => (Vec::new(), None),
        };
        let total = frames.len();
        on_event(SeriesEvent::Started {
            columns: &columns,
            phases: &names,
            done: &done,
            frames: total,
            structures: &structures,
        })?;
        control.report(Progress::new("frames", done.len(), total));
        // The callback's own error, kept whole (xrd-refine carries it as text).
        let mut failure: Option<Error> = None;
        let ran = sequential
            .control(control.clone())
            .run(&frames, done, state, |fit, state| {
                let mut step = || -> Result<()> {
                    if let Some(out) = out {
                        write_frame(out, fit, state)?;
                    }
                    on_event(SeriesEvent::Frame(fit, state))
                };
                step().map_err(|e| {
                    let text = e.to_string();
                    failure = Some(e);
                    xrd_refine::Error::Pattern(text)
                })
            });
        let series = match ran {
            Ok(s) => s,
            Err(e) => return Err(failure.unwrap_or_else(|| e.into())),
        };
        Ok(SeriesOutput {
            phases: names,
            order_name,
            columns,
            series,
            frames,
        })
    }
}

impl Series {
    /// The fit of the frame `file` that `state` stands for (its curves, fractions and esds),
    /// with the `structures` the run refined ([`SeriesEvent::Started`]) and the state its
    /// frame ended in ([`SeriesEvent::Frame`]): a series keeps states, not curves.
    ///
    /// # Errors
    /// The frame cannot be read; the state is of another model.
    pub fn evaluate(
        &self,
        structures: &[Phase],
        file: &Path,
        state: &State,
    ) -> Result<xrd_refine::Refinement> {
        let (frames, _) = self.frames(vec![file.to_path_buf()])?;
        let frame = frames
            .first()
            .ok_or_else(|| Error::Input(format!("{}: no frame", file.display())))?;
        let (pattern, wavelength) = frame
            .data()
            .map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
        Ok(self
            .setup
            .refiner(structures.to_vec())
            .evaluate(pattern, *wavelength, state)?)
    }
}

/// Appends `fit` to `out/series.jsonl` and writes `state` (atomically).
fn write_frame(out: &Path, fit: &FrameFit, state: Option<&State>) -> Result<()> {
    let path = out.join(ROWS_FILE);
    let file_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::File { path, source }
    };
    let json = serde_json::to_string(fit).map_err(|e| Error::Format {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let mut rows = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(file_error(&path))?;
    writeln!(rows, "{json}").map_err(file_error(&path))?;
    if let Some(s) = state {
        let path = out.join(STATE_FILE);
        let json = serde_json::to_string(s).map_err(|e| Error::Format {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        xrd_core::write_atomic(&path, json.as_bytes()).map_err(file_error(&path))?;
    }
    Ok(())
}

/// The frames of an interrupted run (series.jsonl) and its last state, checked against the
/// frames given.
fn resume(out: &Path, frames: &[Frame]) -> Result<(Vec<FrameFit>, Option<State>)> {
    let path = out.join(ROWS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok((Vec::new(), None));
    };
    let mut done = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // A line cut by the interruption ends what was done.
        let Ok(fit) = serde_json::from_str::<FrameFit>(line) else {
            break;
        };
        if frames.get(n).is_none_or(|f| f.name() != fit.name) {
            return Err(invalid(
                "resume",
                format!(
                    "frame {} of {} is `{}`, not `{}` of this run (other files or order)",
                    n + 1,
                    path.display(),
                    fit.name,
                    frames.get(n).map_or("", Frame::name)
                ),
            ));
        }
        done.push(fit);
    }
    let state_path = out.join(STATE_FILE);
    let state = match std::fs::read_to_string(&state_path) {
        Ok(t) => Some(
            serde_json::from_str::<State>(&t).map_err(|e| Error::Format {
                path: state_path,
                reason: e.to_string(),
            })?,
        ),
        Err(_) => None,
    };
    Ok((done, state))
}

/// The files in the series' order, each one's order value, and the order column's name.
type Ordered = (Vec<PathBuf>, Vec<Option<f64>>, Option<String>);

/// The files, their order values and the order column's name from the order file `path`.
fn order_file(path: &Path, files: &[PathBuf]) -> Result<Ordered> {
    existing(path)?;
    let text = std::fs::read_to_string(path).map_err(|source| Error::File {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |reason: String| Error::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let head: Vec<&str> = lines
        .next()
        .ok_or_else(|| bad("empty".into()))?
        .split(',')
        .map(str::trim)
        .collect();
    let fcol = head
        .iter()
        .position(|h| h.eq_ignore_ascii_case("file"))
        .ok_or_else(|| bad("no `file` column".into()))?;
    let ocol = (0..head.len()).find(|&i| i != fcol);
    let mut out = Vec::new();
    let mut values = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let name = cells.get(fcol).copied().unwrap_or("");
        let file = files
            .iter()
            .find(|f| {
                f.file_name().is_some_and(|s| s.to_string_lossy() == name)
                    || f.display().to_string() == name
            })
            .cloned()
            .ok_or_else(|| {
                bad(format!(
                    "line {}: `{name}` is not one of the files given",
                    n + 2
                ))
            })?;
        let value = match ocol.and_then(|c| cells.get(c)) {
            Some(v) if !v.is_empty() => Some(
                v.parse::<f64>()
                    .map_err(|_| bad(format!("line {}: `{v}` is not a number", n + 2)))?,
            ),
            _ => None,
        };
        out.push(file);
        values.push(value);
    }
    if out.is_empty() {
        return Err(bad("no frame listed".into()));
    }
    Ok((out, values, ocol.map(|c| head[c].to_string())))
}

/// `files` in the natural order of their names (`frame_9` before `frame_10`), as a folder of
/// frames is listed.
pub fn natural_order(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort_by(|a, b| natural(&a.display().to_string(), &b.display().to_string()));
    files
}

/// Compares names with runs of digits as numbers.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let d = c.is_ascii_digit();
            match out.last_mut() {
                Some((k, t)) if *k == d => t.push(c),
                _ => out.push((d, c.to_string())),
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let o = if p.0 && q.0 {
            let (u, v) = (p.1.trim_start_matches('0'), q.1.trim_start_matches('0'));
            u.len().cmp(&v.len()).then_with(|| u.cmp(v))
        } else {
            p.1.cmp(&q.1)
        };
        if o.is_ne() {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_sort_by_their_numbers() {
        let files: Vec<PathBuf> = ["f_10.xy", "f_9.xy", "f_010b.xy", "a.xy"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let sorted = natural_order(files);
        let names: Vec<String> = sorted.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["a.xy", "f_9.xy", "f_10.xy", "f_010b.xy"]);
    }

    #[test]
    fn one_test_per_invalid_series_option() {
        let valid = SeriesOptions {
            phases: vec!["spinel.cif".into()],
            ..Default::default()
        };
        assert!(valid.check().is_ok());
        let refused = |f: fn(&mut SeriesOptions)| {
            let mut o = valid.clone();
            f(&mut o);
            xrd_core::refused(o.check())
        };
        assert_eq!(refused(|o| o.phases.clear()), "phases");
        assert_eq!(
            refused(|o| o.order = Some(Order::Values(Vec::new()))),
            "order"
        );
        assert_eq!(
            refused(|o| o.parametric = vec!["nonsense".into()]),
            "parametric"
        );
        assert_eq!(refused(|o| o.humps = 9), "humps");
        assert_eq!(refused(|o| o.polarisation = Some(2.0)), "polarisation");
        assert_eq!(refused(|o| o.capillary = Some(-1.0)), "capillary");
        assert_eq!(refused(|o| o.geometry = Some("cone".into())), "geometry");
    }
}
