//! The routes: the page and its assets, and the JSON API the page calls.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use xrd_jobs::{Error as JobError, Refine, RefineOptions, RefineOutput};

use crate::decimate;
use crate::export;
use crate::files::Denied;
use crate::http::{Request, Response};
use crate::job::{Bench, Checkpoint, Fit, Kind, Phase, control_for};
use crate::server::Shared;

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const UPLOT_JS: &str = include_str!("../assets/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../assets/uPlot.min.css");
const UPLOT_LICENSE: &str = include_str!("../assets/uPlot.LICENSE");

/// Screen buckets of a decimated pattern by default.
const DEFAULT_BUCKETS: usize = 4000;

/// What answers a request with an error.
type Answer = Result<Response, Response>;

pub(crate) const BUSY: &str = "a job is running (refinement, series, identification or batch): wait for it or cancel it first";

pub(crate) fn bench(shared: &Shared) -> std::sync::MutexGuard<'_, Bench> {
    shared.bench.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn route(shared: &Arc<Shared>, req: &Request) -> Response {
    let answer = match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/" | "/index.html") => Ok(Response::bytes("text/html; charset=utf-8", INDEX)),
        ("GET", "/assets/app.js") => Ok(Response::bytes("text/javascript", APP_JS)),
        ("GET", "/assets/app.css") => Ok(Response::bytes("text/css", APP_CSS)),
        ("GET", "/assets/uPlot.iife.min.js") => Ok(Response::bytes("text/javascript", UPLOT_JS)),
        ("GET", "/assets/uPlot.min.css") => Ok(Response::bytes("text/css", UPLOT_CSS)),
        ("GET", "/assets/uPlot.LICENSE") => Ok(Response::bytes("text/plain", UPLOT_LICENSE)),
        ("GET", "/api/files") => Ok(files(shared)),
        ("GET", "/api/pattern") => pattern(shared, req),
        ("POST", "/api/upload") => upload(shared, req),
        ("POST", "/api/refine") => refine(shared, req),
        ("GET", "/api/job") => Ok(job(shared, req)),
        ("POST", "/api/cancel") => Ok(cancel(shared)),
        ("GET", "/api/result") => result(shared, req),
        ("GET", "/api/history") => Ok(history(shared)),
        ("POST", "/api/undo") => step(shared, true),
        ("POST", "/api/redo") => step(shared, false),
        ("GET", "/api/export") => export(shared, req),
        ("POST", "/api/series") => crate::series::start(shared, req),
        ("GET", "/api/series") => crate::series::table(shared, req),
        ("POST", "/api/identify") => crate::identify::start(shared, req),
        ("GET", "/api/identify") => crate::identify::result(shared),
        ("POST", "/api/batch") => crate::batch::start(shared, req),
        ("GET", "/api/batch") => crate::batch::table(shared),
        ("GET", "/api/library") => crate::library::route(req),
        ("GET", "/api/peaks") => crate::peaks::list(shared, req),
        (_, p) if p.starts_with("/api/") || p == "/" => Err(Response::error(
            405,
            format!("{} {p}: no such action", req.method),
        )),
        (_, p) => Err(Response::error(404, format!("{p}: not found"))),
    };
    answer.unwrap_or_else(|e| e)
}

pub(crate) fn denied(d: Denied) -> Response {
    match d {
        Denied::NotFound(m) => Response::error(404, m),
        Denied::Outside(m) => Response::error(403, m),
    }
}

/// The status of a job error: a missing file 404, a cancellation 409, the rest 400 (the
/// request named something that cannot be refined).
pub(crate) fn job_error(e: &JobError) -> Response {
    let status = match e {
        JobError::FileNotFound { .. } => 404,
        JobError::Cancelled => 409,
        _ => 400,
    };
    Response::error(status, e.to_string())
}

fn files(shared: &Shared) -> Response {
    let b = bench(shared);
    json_ok(&json!({
        "files": shared.served.list(),
        "max_upload_mb": shared.max_upload as f64 / 1e6,
        "busy": b.running.is_some(),
    }))
}

/// A curve as the page draws it: single precision (7 digits, far below a pixel), which halves
/// the JSON of a fit of thousands of points and the time the page takes to read it. The files
/// exported keep every digit.
pub(crate) fn plotted(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// [`plotted`] of each curve.
pub(crate) fn plotted_all(curves: &[Vec<f64>]) -> Vec<Vec<f32>> {
    curves.iter().map(|c| plotted(c)).collect()
}

fn json_ok(v: &Value) -> Response {
    Response::json(200, v)
}

/// The patterns of a served file, as [`read_patterns`] reads them.
pub(crate) struct Served {
    /// The file's path; `file#k` when the name picked pattern `k` (which `xrd` reads back as
    /// that pattern alone).
    pub path: PathBuf,
    /// Every pattern of the file, or the one picked.
    pub patterns: Vec<xrd_io::Pattern>,
    /// The format detected (its `Debug` name).
    pub format: String,
    /// Patterns in the file.
    pub in_file: usize,
    /// The pattern picked by `name#k` (from 1).
    pub number: Option<usize>,
}

/// Reads the served file `name`: every pattern in it, or pattern `k` alone when `name` is
/// `file#k` (a served file's name and a number from 1, as the command line labels one of several
/// patterns in a file) and no served file is called that.
pub(crate) fn read_patterns(shared: &Shared, name: &str) -> Result<Served, Response> {
    let (path, number) = match shared.served.resolve(name) {
        Ok(path) => (path, None),
        // Only a name that is no served file may pick a pattern: one refused as outside the
        // served folders stays refused.
        Err(denied_whole @ Denied::NotFound(_)) => match xrd_io::split_pattern_number(name) {
            Some((file, number)) => {
                let path = shared
                    .served
                    .resolve(file)
                    .map_err(|_| denied(denied_whole))?;
                (path, Some(number))
            }
            None => return Err(denied(denied_whole)),
        },
        Err(outside) => return Err(denied(outside)),
    };
    let bytes = std::fs::read(&path).map_err(|e| Response::error(404, format!("{name}: {e}")))?;
    let hint = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let format = xrd_io::detect_format(&bytes, hint.as_deref())
        .map_err(|e| Response::error(400, format!("{name}: {e}")))?;
    let mut patterns = xrd_io::read_bytes(&bytes, hint.as_deref())
        .map_err(|e| Response::error(400, format!("{name}: {e}")))?;
    let in_file = patterns.len();
    let path = match number {
        None => path,
        Some(n) => {
            if n == 0 || n > in_file {
                return Err(Response::error(
                    404,
                    format!("{name}: no pattern {n} (the file holds {in_file}, numbered from 1)"),
                ));
            }
            patterns = vec![patterns.swap_remove(n - 1)];
            numbered(path, n)
        }
    };
    Ok(Served {
        path,
        patterns,
        format: format!("{format:?}"),
        in_file,
        number,
    })
}

/// `path#n`: pattern `n` (from 1) of the file at `path`, as `xrd_io::read` takes it.
fn numbered(path: PathBuf, n: usize) -> PathBuf {
    let mut picked = path.into_os_string();
    picked.push(format!("#{n}"));
    PathBuf::from(picked)
}

/// What the page shows of a pattern; `patterns` counts the file's, `number` is the one picked
/// by `file#k` (null otherwise).
fn pattern_info(
    name: &str,
    format: &str,
    (count, number): (usize, Option<usize>),
    p: &xrd_io::Pattern,
) -> Value {
    let (lo, hi) = p.range();
    json!({
        "name": name,
        "format": format,
        "patterns": count,
        "number": number,
        "points": p.len(),
        "range": [lo, hi],
        "step": p.step(),
        "wavelength": p.wavelength().map(|w| w.to_string()),
        "alpha1": p.wavelength().map(|w| w.angstrom()),
        "has_sigma": p.sigma().is_some(),
    })
}

fn pattern(shared: &Shared, req: &Request) -> Answer {
    let name = req
        .param("file")
        .ok_or_else(|| Response::error(400, "file= is missing"))?;
    let Served {
        patterns,
        format,
        in_file,
        number,
        ..
    } = read_patterns(shared, name)?;
    let k: usize = req
        .param("pattern")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let p = patterns
        .get(k)
        .ok_or_else(|| Response::error(404, format!("{name}: no pattern {k}")))?;
    let buckets = req
        .param("buckets")
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_BUCKETS)
        .clamp(100, 100_000);
    let (x, y) = decimate::min_max(p.two_theta(), p.intensity(), buckets);
    let mut info = pattern_info(name, &format, (in_file, number), p);
    info["decimated"] = json!(x.len() < p.len());
    info["x"] = json!(x);
    info["y"] = json!(y);
    Ok(json_ok(&info))
}

fn upload(shared: &Shared, req: &Request) -> Answer {
    if bench(shared).running.is_some() {
        return Err(Response::error(409, BUSY));
    }
    let name = req
        .param("name")
        .ok_or_else(|| Response::error(400, "name= is missing"))?;
    if req.body.is_empty() {
        return Err(Response::error(400, format!("{name}: the file is empty")));
    }
    let lower = name.to_ascii_lowercase();
    let structure = [
        ".cif", ".mcif", ".vasp", ".poscar", ".prm", ".iparm", ".instprm", ".json",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
        || lower.starts_with("poscar")
        || lower.starts_with("contcar");
    // A pattern must read; structures and instrument files are read by the refinement that
    // names them, which says what is wrong with them there.
    let info = if structure {
        Value::Null
    } else {
        let patterns = xrd_io::read_bytes(&req.body, Some(name))
            .map_err(|e| Response::error(400, format!("{name}: {e}")))?;
        let format = xrd_io::detect_format(&req.body, Some(name))
            .map_or_else(|_| "?".to_string(), |f| format!("{f:?}"));
        pattern_info(name, &format, (patterns.len(), None), &patterns[0])
    };
    let path = shared.served.upload_path(name);
    std::fs::write(&path, &req.body)
        .map_err(|e| Response::error(500, format!("cannot store {name}: {e}")))?;
    let served = shared.served.name_of(&path).unwrap_or_default();
    Ok(json_ok(&json!({ "name": served, "info": info })))
}

/// A page's request to refine or identify one pattern: the served file (and which of its
/// patterns), the job's options (the same struct as the command's flags) with served names for
/// files, and a wavelength as text for patterns whose file gives none.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatternRequest {
    pub file: String,
    #[serde(default)]
    pub pattern: usize,
    #[serde(default)]
    pub options: Value,
    #[serde(default)]
    pub wavelength: Option<String>,
}

/// Structure-file specs (as the job reads them) with their served name replaced by the path.
pub(crate) fn map_spec(shared: &Shared, text: &str) -> Result<String, Response> {
    let (prefix, rest) = if let Some(r) = text.strip_prefix(xrd_minerals_prefix::PONKCS) {
        (xrd_minerals_prefix::PONKCS, r)
    } else if let Some(r) = text.strip_prefix(xrd_minerals_prefix::PAWLEY) {
        (xrd_minerals_prefix::PAWLEY, r)
    } else {
        ("", text)
    };
    let lower = rest.to_ascii_lowercase();
    let file = prefix == xrd_minerals_prefix::PONKCS
        || [".cif", ".mcif", ".vasp", ".poscar"]
            .iter()
            .any(|e| lower.ends_with(e))
        || (prefix.is_empty() && rest.contains(['/', '\\']));
    if !file {
        return Ok(text.to_string());
    }
    let path = shared.served.resolve(rest).map_err(denied)?;
    Ok(format!("{prefix}{}", path.display()))
}

/// The prefixes of phase specs that name files (xrd-minerals' constants, re-spelt here
/// because xrd-jobs does not re-export them).
mod xrd_minerals_prefix {
    pub const PONKCS: &str = "ponkcs:";
    pub const PAWLEY: &str = "pawley:";
}

pub(crate) fn map_path(shared: &Shared, p: &Path) -> Result<PathBuf, Response> {
    shared
        .served
        .resolve_any(&p.to_string_lossy())
        .map_err(denied)
}

/// A wavelength given as text (`Cu`, `1.5406`), none when empty.
pub(crate) fn parse_wavelength(text: Option<&str>) -> Result<Option<xrd_io::Wavelength>, Response> {
    match text.map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => w
            .parse()
            .map(Some)
            .map_err(|e: xrd_io::Error| Response::error(400, format!("wavelength: {e}"))),
        None => Ok(None),
    }
}

/// The phase specs, libraries and instrument file of a refinement or a series, each path
/// mapped into the served folders (refused outside them).
pub(crate) fn map_model_paths(
    shared: &Shared,
    phases: &mut Vec<String>,
    library: &mut Vec<PathBuf>,
    instrument: &mut Option<PathBuf>,
) -> Result<(), Response> {
    *phases = phases
        .iter()
        .map(|p| map_spec(shared, p))
        .collect::<Result<_, _>>()?;
    *library = library
        .iter()
        .map(|p| map_path(shared, p))
        .collect::<Result<_, _>>()?;
    if let Some(p) = instrument {
        *instrument = Some(map_path(shared, p)?);
    }
    Ok(())
}

/// The refinement options of a request (served names mapped to paths, a wavelength as text
/// for patterns whose file gives none), checked.
pub(crate) fn options_of(
    shared: &Shared,
    options: &Value,
    wavelength: Option<&str>,
) -> Result<RefineOptions, Response> {
    let mut options: RefineOptions = serde_json::from_value(options.clone())
        .map_err(|e| Response::error(400, format!("options: {e}")))?;
    if options.save_instrument.is_some() {
        return Err(Response::error(
            400,
            "save_instrument: the workbench writes no files; use the exported command",
        ));
    }
    map_model_paths(
        shared,
        &mut options.phases,
        &mut options.library,
        &mut options.instrument,
    )?;
    if let Some(p) = &options.reference_library {
        options.reference_library = Some(map_path(shared, p)?);
    }
    if let Some(w) = parse_wavelength(wavelength)? {
        options.wavelength = Some(w);
    }
    options.check().map_err(|e| job_error(&e))?;
    Ok(options)
}

fn refine(shared: &Arc<Shared>, req: &Request) -> Answer {
    let request: PatternRequest = serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(400, format!("request: {e}")))?;
    let id = bench(shared).start(Kind::Refine, format!("reading {}", request.file))?;
    // Everything up to the fit itself is checked here, so that the page gets its error where
    // the action was taken; the job slot is released on any error.
    let (path, pattern, label, job, options) = match prepare(shared, &request) {
        Ok(p) => p,
        Err(e) => {
            bench(shared).fail(id, e.message());
            return Err(e);
        }
    };
    bench(shared).events.push(if options.phases.is_empty() {
        format!("summing {} measured reference(s)", options.references.len())
    } else {
        format!(
            "refining {} phase(s), stages {}",
            options.phases.len(),
            options.stages.join(", ")
        )
    });
    let control = control_for(shared, id);
    let worker = Arc::clone(shared);
    let file = request.file.clone();
    let body = json!({
        "file": request.file,
        "pattern": request.pattern,
        "options": request.options,
        "wavelength": request.wavelength,
    });
    let spawned = std::thread::Builder::new()
        .name("xrd-serve-job".into())
        .spawn(move || {
            let started = Instant::now();
            let out = job.run(&label, &pattern, &control);
            let sigma = out.as_ref().ok().and_then(|o| match o {
                RefineOutput::Refinement(r) => file_sigma(&pattern, &r.refinement.two_theta),
                RefineOutput::Summation(s) => file_sigma(&pattern, &s.quantification.two_theta),
            });
            let mut b = bench(&worker);
            if !b.end(id, &out) {
                return;
            }
            let Ok(out) = out else { return };
            let seconds = started.elapsed().as_secs_f64();
            let result = match out {
                RefineOutput::Refinement(r) => Fit::Refined(Arc::new(*r)),
                RefineOutput::Summation(s) => Fit::Summed(Arc::new(*s)),
            };
            b.events.push(format!(
                "done in {seconds:.1} s: Rwp {:.2} %",
                100.0 * result.rwp()
            ));
            let number = b.next_checkpoint;
            b.next_checkpoint += 1;
            b.push(Checkpoint {
                id: number,
                file,
                path,
                request: body,
                options,
                result,
                sigma,
                seconds,
            });
        });
    if let Err(e) = spawned {
        bench(shared).fail(id, format!("cannot start the job: {e}"));
        return Err(Response::error(500, format!("cannot start the job: {e}")));
    }
    Ok(Response::json(202, &json!({ "job": id })))
}

type Prepared = (PathBuf, xrd_io::Pattern, String, Refine, RefineOptions);

/// The served file `name`'s pattern `k` and its label as the command line gives it (the path,
/// `#k` for one of several patterns in a file); the path returned is the label's, so that a
/// command built on it reads this pattern alone.
pub(crate) fn labelled_pattern(
    shared: &Shared,
    name: &str,
    k: usize,
) -> Result<(PathBuf, xrd_io::Pattern, String), Response> {
    let Served {
        path,
        patterns,
        in_file,
        number,
        ..
    } = read_patterns(shared, name)?;
    let pattern = patterns
        .into_iter()
        .nth(k)
        .ok_or_else(|| Response::error(404, format!("{name}: no pattern {}", k + 1)))?;
    let path = if number.is_none() && in_file > 1 {
        numbered(path, k + 1)
    } else {
        path
    };
    let label = path.display().to_string();
    Ok((path, pattern, label))
}

fn prepare(shared: &Shared, request: &PatternRequest) -> Result<Prepared, Response> {
    let options = options_of(shared, &request.options, request.wavelength.as_deref())?;
    let (path, pattern, label) = labelled_pattern(shared, &request.file, request.pattern)?;
    let job = Refine::with_library(options.clone(), kept_library().as_deref())
        .map_err(|e| job_error(&e))?;
    Ok((path, pattern, label, job, options))
}

/// The built-in library when it is loaded (the server keeps it: names resolve without reading
/// the library file again); before that, the job reads the entries it needs itself.
pub(crate) fn kept_library() -> Option<Arc<xrd_minerals::Library>> {
    if crate::library::ready() {
        crate::library::builtin().ok()
    } else {
        None
    }
}

/// The file's esds at the points refined (`two_theta`, a run of the pattern's own points),
/// for the Δ/σ panel; none when the file gives none.
fn file_sigma(pattern: &xrd_io::Pattern, two_theta: &[f64]) -> Option<Vec<f64>> {
    let sigma = pattern.sigma()?;
    let all = pattern.two_theta();
    two_theta
        .iter()
        .map(|t| {
            let i = all.partition_point(|x| x < t);
            (all.get(i) == Some(t)).then(|| sigma[i])
        })
        .collect()
}

/// The longest a job request waits for news.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// How long a waiting job request gathers progress before it answers with it.
const GATHER: std::time::Duration = std::time::Duration::from_millis(200);
/// How often a waiting job request looks.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// The job panel. With `since=N&wait=MS` the request waits (at most `MS`, 2 s) until the job
/// has more than `N` events or none runs: the page hears a fit end within a few ms without
/// polling fast.
fn job(shared: &Shared, req: &Request) -> Response {
    let since: Option<usize> = req.param("since").and_then(|v| v.parse().ok());
    let wait = req
        .param("wait")
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(std::time::Duration::ZERO, |ms| {
            std::time::Duration::from_millis(ms).min(MAX_WAIT)
        });
    let asked = std::time::Instant::now();
    let until = asked + wait;
    if let Some(since) = since {
        loop {
            let (ended, news) = {
                let b = bench(shared);
                (b.running.is_none(), b.events.len() > since)
            };
            // The end at once; progress gathered for a moment, so that a page redraws its
            // lines a few times a second, not once per event (a redraw takes a core from the
            // fit on a two-core machine).
            let gathered = news && asked.elapsed() >= GATHER.min(wait);
            if ended || gathered || std::time::Instant::now() >= until {
                break;
            }
            std::thread::sleep(LOOK_EVERY);
        }
    }
    let b = bench(shared);
    json_ok(&json!({
        "phase": b.phase,
        "kind": b.kind,
        "job": b.last,
        "running": b.running.as_ref().map(|r| r.id),
        "elapsed": b.running.as_ref().map(|r| r.started.elapsed().as_secs_f64()),
        "events": b.events,
        "error": b.error,
        "current": b.current().map(|c| c.id),
    }))
}

/// Cancels the running job: its control stops it at its next check, and the workbench frees
/// the slot at once (a fit still inside the solver finishes in the background and is dropped).
fn cancel(shared: &Shared) -> Response {
    let mut b = bench(shared);
    match b.running.take() {
        Some(r) => {
            r.control.cancel();
            b.phase = Phase::Cancelled;
            b.events.push("cancelled".into());
            json_ok(&json!({ "cancelled": r.id }))
        }
        None => json_ok(&json!({ "cancelled": null })),
    }
}

fn checkpoint_of<'a>(b: &'a Bench, req: &Request) -> Result<&'a Checkpoint, Response> {
    match req.param("checkpoint") {
        Some(s) => {
            let id: usize = s
                .parse()
                .map_err(|_| Response::error(400, format!("checkpoint `{s}`: not a number")))?;
            b.get(id)
                .ok_or_else(|| Response::error(404, format!("no checkpoint {id}")))
        }
        None => b
            .current()
            .ok_or_else(|| Response::error(404, "no fit yet")),
    }
}

fn result(shared: &Shared, req: &Request) -> Answer {
    let b = bench(shared);
    let c = checkpoint_of(&b, req)?;
    Ok(json_ok(&result_json(c)))
}

fn result_json(c: &Checkpoint) -> Value {
    let mut out = match &c.result {
        Fit::Refined(r) => refined_json(r),
        Fit::Summed(s) => summed_json(s),
    };
    out["checkpoint"] = json!(c.id);
    out["file"] = json!(c.file);
    out["request"] = c.request.clone();
    out["seconds"] = json!(c.seconds);
    out["sigma"] = json!(c.sigma.as_deref().map(plotted));
    out["command"] = json!(export::command_line(&c.path, &c.options, "fit"));
    out["python"] = json!(export::python_call(&c.path, &c.options));
    out
}

fn refined_json(r: &xrd_jobs::Refined) -> Value {
    let fit = &r.refinement;
    let phases: Vec<Value> = fit
        .phases
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "formula": p.formula,
                "space_group": p.space_group,
                "weight_fraction": p.weight_fraction,
                "weight_fraction_esd": p.weight_fraction_esd,
                "weight_fraction_uncorrected": p.weight_fraction_uncorrected,
                "detection_limit": p.detection_limit,
                "cell": p.cell,
                "cell_esd": p.cell_esd,
                "size_nm": p.size_nm,
                "strain": p.strain,
                "ticks": p.ticks.iter().map(|(t, _)| t).collect::<Vec<_>>(),
                "hkl": p.ticks.iter().map(|(_, h)| h).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "mode": "refinement",
        "rows": r.rows,
        "columns": xrd_jobs::RefinementRow::COLUMNS,
        "phases": phases,
        "rwp": fit.rwp,
        "rp": fit.rp,
        "gof": fit.gof,
        "warnings": fit.warnings,
        "amorphous": fit.amorphous,
        "wavelength": r.wavelength.to_string(),
        "two_theta": plotted(&fit.two_theta),
        "observed": plotted(&fit.observed),
        "calculated": plotted(&fit.calculated),
        "background": plotted(&fit.background),
        "difference": plotted(&xrd_jobs::difference(&fit.observed, &fit.calculated)),
        "phase_curves": plotted_all(&fit.phase_curves),
        "references": fit.references,
        "reference_curves": plotted_all(&fit.reference_curves),
        "parameters": fit.parameters,
        "choices": r.choices,
        "compared": r.compared,
    })
}

/// A summation of references alone: its rows (each reference, then the amorphous rest with
/// a standard) and each reference's curve; no phases, and no wavelength (the references were
/// measured as the sample was).
fn summed_json(s: &xrd_jobs::Summed) -> Value {
    let q = &s.quantification;
    json!({
        "mode": "summation",
        "rows": s.rows,
        "columns": xrd_jobs::SummationRow::COLUMNS,
        "phases": [],
        "rwp": q.rwp,
        "rp": q.rp,
        "gof": q.gof,
        "warnings": q.warnings,
        "amorphous": q.amorphous,
        "amorphous_esd": q.amorphous_esd,
        "wavelength": Value::Null,
        "library": s.library,
        "two_theta": plotted(&q.two_theta),
        "observed": plotted(&q.observed),
        "calculated": plotted(&q.calculated),
        "background": plotted(&q.background),
        "difference": plotted(&xrd_jobs::difference(&q.observed, &q.calculated)),
        "phase_curves": [],
        "references": q.references,
        "reference_curves": plotted_all(&q.curves),
    })
}

fn history(shared: &Shared) -> Response {
    let b = bench(shared);
    let list: Vec<_> = b.history.iter().map(Checkpoint::summary).collect();
    json_ok(&json!({
        "checkpoints": list,
        "current": b.current().map(|c| c.id),
        "can_undo": b.cursor.is_some_and(|k| k > 0),
        "can_redo": b.cursor.is_some_and(|k| k + 1 < b.history.len()),
    }))
}

fn step(shared: &Shared, back: bool) -> Answer {
    let mut b = bench(shared);
    if b.running.is_some() {
        return Err(Response::error(409, BUSY));
    }
    let moved = if back { b.undo() } else { b.redo() };
    if !moved {
        return Err(Response::error(
            409,
            if back {
                "nothing to undo"
            } else {
                "nothing to redo"
            },
        ));
    }
    let c = b
        .current()
        .ok_or_else(|| Response::error(404, "no fit yet"))?;
    Ok(json_ok(
        &json!({ "current": c.id, "file": c.file, "request": c.request }),
    ))
}

fn export(shared: &Shared, req: &Request) -> Answer {
    let b = bench(shared);
    let c = checkpoint_of(&b, req)?;
    let what = req.param("what").unwrap_or("csv");
    let response = match (what, &c.result) {
        ("csv", fit) => Response::bytes("text/csv; charset=utf-8", export::table_csv(fit))
            .attachment("refine.csv"),
        ("fit", fit) => {
            Response::bytes("text/csv; charset=utf-8", export::fit_csv(fit)).attachment("fit.csv")
        }
        ("svg", fit) => {
            let plot = match fit {
                Fit::Refined(r) => xrd_figures::RietveldPlot::of_refinement(&r.file, &r.refinement),
                Fit::Summed(s) => {
                    xrd_figures::RietveldPlot::of_summation(&s.file, &s.quantification)
                }
            };
            let svg = xrd_figures::rietveld_svg(&plot).map_err(|e| Response::error(500, e))?;
            Response::bytes("image/svg+xml", svg).attachment("rietveld.svg")
        }
        ("json", Fit::Refined(r)) => {
            let text = r.refinement_json().map_err(|e| job_error(&e))?;
            Response::bytes("application/json", text).attachment("refinement.json")
        }
        ("json", Fit::Summed(s)) => {
            let text = s.quantification_json().map_err(|e| job_error(&e))?;
            Response::bytes("application/json", text).attachment("quantification.json")
        }
        ("command", _) => Response::bytes(
            "text/plain; charset=utf-8",
            export::command_line(&c.path, &c.options, "fit") + "\n",
        ),
        ("python", _) => Response::bytes(
            "text/plain; charset=utf-8",
            export::python_call(&c.path, &c.options) + "\n",
        ),
        ("args", _) => json_ok(&json!(export::command_args(&c.path, &c.options, "fit"))),
        (other, fit) => {
            let cif = match fit {
                Fit::Refined(r) => r.cifs.iter().find(|f| f.file_name == other),
                Fit::Summed(_) => None,
            };
            match cif {
                Some(f) => Response::bytes("chemical/x-cif", f.text.clone())
                    .attachment(f.file_name.clone()),
                None => {
                    return Err(Response::error(
                        404,
                        format!(
                            "what={other}: csv, fit, json, svg, command, python, args or a CIF's name"
                        ),
                    ));
                }
            }
        }
    };
    Ok(response)
}
