//! A batch (`POST /api/batch`, `GET /api/batch`): the form's refinement, or an
//! identification, run over a list of served files one after the other as the workbench's one
//! job, into one table of the job layer's rows; a file that fails keeps its error in its row
//! and the rest go on.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use xrd_jobs::{
    Control, Error as JobError, Identify, IdentifyRow, Refine, RefineOutput, RefinementRow,
    SummationRow,
};

use crate::api::{bench, job_error, options_of, read_patterns};
use crate::http::{Request, Response};
use crate::identify::{identify_options, job_for};
use crate::job::{Kind, control_for};
use crate::series::row_json;
use crate::server::Shared;

/// Files in one batch, at most.
const MAX_FILES: usize = 500;

/// What a batch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Refine,
    Identify,
}

/// A page's request: the served files, what to run and its options (as for one file).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    files: Vec<String>,
    mode: Mode,
    #[serde(default)]
    options: Value,
    #[serde(default)]
    wavelength: Option<String>,
}

/// A batch run or running: its rows as the files land.
#[derive(Debug)]
pub(crate) struct BatchState {
    id: usize,
    mode: Mode,
    files: Vec<String>,
    columns: Vec<String>,
    /// One per row: `{file, values}` or `{file, error}`.
    rows: Vec<Value>,
    /// Files done.
    done: usize,
    seconds: f64,
}

/// The job a batch runs on each pattern.
enum Job {
    Refine(Box<Refine>),
    /// Built in the job's thread (it may wait for the built-in library).
    Identify(Box<xrd_jobs::IdentifyOptions>),
}

/// The job of a running batch.
#[derive(Clone, Copy)]
enum Runner<'a> {
    Refine(&'a Refine),
    Identify(&'a Identify),
}

/// The rows of one file: each of its patterns refined or identified.
fn file_rows(
    shared: &Shared,
    name: &str,
    runner: Runner<'_>,
    control: &Control,
) -> Result<Vec<Value>, JobError> {
    let (path, patterns) = match read_patterns(shared, name) {
        Ok(s) => (s.path, s.patterns),
        Err(e) => return Ok(vec![json!({ "file": name, "error": e.message() })]),
    };
    let count = patterns.len();
    let mut rows = Vec::new();
    for (k, pattern) in patterns.into_iter().enumerate() {
        control.check()?;
        // Labelled as the command line labels it: the path, `#k` for one of several.
        let label = if count > 1 {
            format!("{}#{}", path.display(), k + 1)
        } else {
            path.display().to_string()
        };
        let values: Result<Vec<Value>, String> = match runner {
            Runner::Refine(job) => match job.run(&label, &pattern, control) {
                Ok(RefineOutput::Refinement(r)) => Ok(r
                    .rows
                    .iter()
                    .map(|r| json!(row_json(r.values().to_vec())))
                    .collect()),
                Ok(RefineOutput::Summation(s)) => Ok(s
                    .rows
                    .iter()
                    .map(|r| json!(row_json(r.values().to_vec())))
                    .collect()),
                Err(JobError::Cancelled) => return Err(JobError::Cancelled),
                Err(e) => Err(e.to_string()),
            },
            Runner::Identify(job) => {
                let found = job.run(&[(label, pattern)], control)?;
                match found.files.first() {
                    Some(f) => match &f.error {
                        Some(e) => Err(e.clone()),
                        None => Ok(f
                            .rows
                            .iter()
                            .map(|r| json!(row_json(r.values().to_vec())))
                            .collect()),
                    },
                    None => Err("no result".into()),
                }
            }
        };
        match values {
            Ok(v) => rows.extend(v.into_iter().map(|v| json!({ "file": name, "values": v }))),
            Err(e) => rows.push(json!({ "file": name, "error": e })),
        }
    }
    Ok(rows)
}

/// `POST /api/batch`: starts the batch.
pub(crate) fn start(shared: &Arc<Shared>, req: &Request) -> Result<Response, Response> {
    let request: BatchRequest = serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(400, format!("request: {e}")))?;
    if request.files.is_empty() {
        return Err(Response::error(
            400,
            "files: a batch needs at least one file",
        ));
    }
    if request.files.len() > MAX_FILES {
        return Err(Response::error(
            400,
            format!("files: at most {MAX_FILES} in one batch"),
        ));
    }
    let wavelength = request.wavelength.as_deref();
    // The options are checked before the job slot is taken: a bad one is the page's error.
    let (job, columns): (Job, Vec<String>) = match request.mode {
        Mode::Refine => {
            let options = options_of(shared, &request.options, wavelength)?;
            let kept = crate::api::kept_library();
            let job = Refine::with_library(options, kept.as_deref()).map_err(|e| job_error(&e))?;
            let columns = if job.specs().is_empty() {
                &SummationRow::COLUMNS[..]
            } else {
                &RefinementRow::COLUMNS[..]
            };
            (
                Job::Refine(Box::new(job)),
                columns.iter().map(|c| c.to_string()).collect(),
            )
        }
        Mode::Identify => (
            Job::Identify(Box::new(identify_options(
                shared,
                &request.options,
                wavelength,
            )?)),
            IdentifyRow::COLUMNS.iter().map(|c| c.to_string()).collect(),
        ),
    };
    let n = request.files.len();
    let id = {
        let mut b = bench(shared);
        let id = b.start(Kind::Batch, format!("batch of {n} files"))?;
        b.batch = Some(BatchState {
            id,
            mode: request.mode,
            files: request.files.clone(),
            columns,
            rows: Vec::new(),
            done: 0,
            seconds: 0.0,
        });
        id
    };
    let control = control_for(shared, id);
    let worker = Arc::clone(shared);
    let files = request.files;
    let spawned = std::thread::Builder::new()
        .name("xrd-serve-batch".into())
        .spawn(move || {
            let started = Instant::now();
            let out = (|| {
                let identify;
                let runner = match &job {
                    Job::Refine(r) => Runner::Refine(r),
                    Job::Identify(options) => {
                        identify = job_for(&worker, options.as_ref().clone())?;
                        Runner::Identify(&identify)
                    }
                };
                for (k, name) in files.iter().enumerate() {
                    control.check()?;
                    bench(&worker)
                        .events
                        .push(format!("file {}/{n}: {name}", k + 1));
                    let rows = file_rows(&worker, name, runner, &control)?;
                    let mut b = bench(&worker);
                    let Some(s) = b.batch.as_mut().filter(|s| s.id == id) else {
                        return Err(JobError::Cancelled);
                    };
                    s.rows.extend(rows);
                    s.done = k + 1;
                }
                Ok(())
            })();
            let mut b = bench(&worker);
            let seconds = started.elapsed().as_secs_f64();
            if let Some(s) = b.batch.as_mut().filter(|s| s.id == id) {
                s.seconds = seconds;
            }
            if b.end(id, &out) && out.is_ok() {
                b.events.push(format!("batch done in {seconds:.1} s"));
            }
        });
    if let Err(e) = spawned {
        bench(shared).fail(id, format!("cannot start the job: {e}"));
        return Err(Response::error(500, format!("cannot start the job: {e}")));
    }
    Ok(Response::json(202, &json!({ "job": id })))
}

/// `GET /api/batch`: the last batch's table.
pub(crate) fn table(shared: &Shared) -> Result<Response, Response> {
    let b = bench(shared);
    let s = b
        .batch
        .as_ref()
        .ok_or_else(|| Response::error(404, "no batch yet"))?;
    Ok(Response::json(
        200,
        &json!({
            "id": s.id,
            "mode": s.mode,
            "files": s.files,
            "total": s.files.len(),
            "done": s.done,
            "columns": s.columns,
            "rows": s.rows,
            "seconds": s.seconds,
        }),
    ))
}
