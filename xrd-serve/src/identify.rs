//! Identification from the page (`POST /api/identify`, `GET /api/identify`): the job layer's
//! `Identify` (`xrd identify`, the same options) on the open pattern, run as the workbench's
//! one job. The jobs are kept, keyed by their options, because each keeps its matcher (the
//! simulated reference patterns) per wavelength: only the first identification at a
//! wavelength pays for them.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use xrd_jobs::{IdentifiedFile, Identify, IdentifyOptions, IdentifyRow};
use xrd_minerals::Library;

use crate::api::{bench, job_error, labelled_pattern, map_path, parse_wavelength};
use crate::http::{Request, Response};
use crate::job::{Kind, control_for};
use crate::server::Shared;

/// Identification jobs kept (each holds its library and its matchers).
pub(crate) const KEPT_JOBS: usize = 3;

/// The last identification, as the page shows it (with its job id and served file).
#[derive(Debug)]
pub(crate) struct IdentifyState(pub Value);

/// The identification options of a request: the library folders mapped into the served
/// ones, checked. The cache folder is the server's (where `xrd identify` keeps it): a page
/// names no folder to write in.
pub(crate) fn identify_options(
    shared: &Shared,
    options: &Value,
    wavelength: Option<&str>,
) -> Result<IdentifyOptions, Response> {
    let mut options: IdentifyOptions = serde_json::from_value(options.clone())
        .map_err(|e| Response::error(400, format!("options: {e}")))?;
    if options.cache != IdentifyOptions::default().cache {
        return Err(Response::error(
            400,
            "cache: the workbench keeps the reference patterns in the folder it was started with",
        ));
    }
    options.cache = shared.cache.clone();
    options.library = options
        .library
        .iter()
        .map(|p| map_path(shared, p))
        .collect::<Result<_, _>>()?;
    if let Some(w) = parse_wavelength(wavelength)? {
        options.wavelength = Some(w);
    }
    options.check().map_err(|e| job_error(&e))?;
    Ok(options)
}

/// The kept job of `options` ([`xrd_jobs::Kept`], the last [`KEPT_JOBS`]), or a new one,
/// with the built-in library the server loaded when it searches that one alone.
///
/// # Errors
/// The built-in library's load; the job's (a library folder without structures).
pub(crate) fn job_for(
    shared: &Shared,
    options: IdentifyOptions,
) -> Result<Arc<Identify>, xrd_jobs::Error> {
    let key = xrd_jobs::kept_key(&options, &options.library);
    shared.identify_jobs.get_or_make(key, || {
        let builtin = if options.builtin {
            Some(crate::library::builtin().map_err(xrd_jobs::Error::Input)?)
        } else {
            None
        };
        Identify::with_library(options, builtin)
    })
}

/// What the page shows of one pattern's identification: the phases found (the job's rows),
/// the search's candidates with their scores, the refinement's notes, the unexplained peaks
/// and the refinement's curves.
pub(crate) fn file_json(lib: &Library, f: &IdentifiedFile) -> Value {
    let entry = |i: usize| lib.entries().get(i);
    let candidates: Vec<Value> = f
        .found
        .iter()
        .flat_map(|found| {
            found.candidates.iter().map(|c| {
                let e = entry(c.entry);
                json!({
                    "id": e.map(|e| e.id.clone()),
                    "name": e.map(|e| e.name().to_string()),
                    "formula": e.map(|e| e.formula.clone()),
                    "space_group": e.map(|e| e.space_group),
                    "score": c.score,
                    "cell_scale": c.cell_scale,
                    "zero_shift": c.zero_shift,
                    "found": found.phases.iter().any(|p| p.candidate.entry == c.entry),
                })
            })
        })
        .collect();
    let fit = f
        .confirmed
        .as_ref()
        .map(|c| crate::series::curves_json(&c.refinement));
    json!({
        "label": f.file,
        "columns": IdentifyRow::COLUMNS,
        "rows": f.rows,
        "error": f.error,
        "notes": f.notes,
        "candidates": candidates,
        "unexplained": f.found.as_ref().map(|_| f.unexplained()),
        "fit": fit,
    })
}

/// The phase spec of each phase found, as the page's refinement takes it: its library id, or
/// for a structure of a served folder its served name (the job knows it by its path).
fn phase_specs(shared: &Shared, f: &IdentifiedFile) -> Vec<Option<String>> {
    f.rows
        .iter()
        .map(|r| {
            let source = r.source.clone()?;
            let path = std::path::Path::new(&source);
            Some(if path.is_absolute() {
                shared.served.name_of(path).unwrap_or(source)
            } else {
                source
            })
        })
        .collect()
}

/// `POST /api/identify`: starts the identification of the served file's pattern.
pub(crate) fn start(shared: &Arc<Shared>, req: &Request) -> Result<Response, Response> {
    let request: crate::api::PatternRequest = serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(400, format!("request: {e}")))?;
    let options = identify_options(shared, &request.options, request.wavelength.as_deref())?;
    let id = bench(shared).start(Kind::Identify, format!("identifying {}", request.file))?;
    let (_, pattern, label) = match labelled_pattern(shared, &request.file, request.pattern) {
        Ok(p) => p,
        Err(e) => {
            bench(shared).fail(id, e.message());
            return Err(e);
        }
    };
    if options.builtin && !crate::library::ready() {
        bench(shared)
            .events
            .push("waiting for the built-in library to load".into());
    }
    let control = control_for(shared, id);
    let worker = Arc::clone(shared);
    let file = request.file.clone();
    let spawned = std::thread::Builder::new()
        .name("xrd-serve-identify".into())
        .spawn(move || {
            let started = Instant::now();
            let out = job_for(&worker, options).and_then(|job| {
                let found = job.run(&[(label, pattern)], &control)?;
                Ok((job, found))
            });
            let mut b = bench(&worker);
            if !b.end(id, &out) {
                return;
            }
            let Ok((job, found)) = out else { return };
            let seconds = started.elapsed().as_secs_f64();
            let Some(f) = found.files.first() else {
                b.fail(id, "the job returned no result".into());
                return;
            };
            if let Some(e) = &f.error {
                b.fail(id, e.clone());
                return;
            }
            b.events.push(format!("done in {seconds:.1} s"));
            let mut value = file_json(job.library(), f);
            value["specs"] = json!(phase_specs(&worker, f));
            value["id"] = json!(id);
            value["file"] = json!(file);
            value["seconds"] = json!(seconds);
            b.identified = Some(IdentifyState(value));
        });
    if let Err(e) = spawned {
        bench(shared).fail(id, format!("cannot start the job: {e}"));
        return Err(Response::error(500, format!("cannot start the job: {e}")));
    }
    Ok(Response::json(202, &json!({ "job": id })))
}

/// `GET /api/identify`: the last identification.
pub(crate) fn result(shared: &Shared) -> Result<Response, Response> {
    let b = bench(shared);
    let s = b
        .identified
        .as_ref()
        .ok_or_else(|| Response::error(404, "no identification yet"))?;
    Ok(Response::json(200, &s.0))
}
