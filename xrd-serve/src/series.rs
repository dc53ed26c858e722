//! A folder refined as a series through the job layer's `Series` (`xrd refine --sequential`):
//! the frames' rows as they land, and each frame's refined parameters for the page to open.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use xrd_jobs::{Error as JobError, Order, RowValue, Series, SeriesEvent, SeriesOptions};
use xrd_refine::{Phase, State};

use crate::api::{bench, denied, job_error, map_model_paths, plotted, plotted_all};
use crate::http::{Request, Response};
use crate::job::{Kind, control_for};
use crate::server::Shared;

/// A series run or running: its rows as they land.
#[derive(Debug, Default)]
pub(crate) struct SeriesState {
    pub id: usize,
    pub files: Vec<String>,
    pub columns: Vec<String>,
    pub phases: Vec<String>,
    pub total: usize,
    /// One per frame done: the row (as the table shows it) and the fit.
    pub frames: Vec<(Vec<Value>, Value)>,
    /// The state each frame done ended in (none for a failed frame), in the order of `frames`:
    /// a frame's curves are drawn again from it ([`Series::evaluate`]).
    pub states: Vec<Option<State>>,
    /// The structures refined, once the first frame chose them.
    pub structures: Vec<Phase>,
    /// The job (for [`Series::evaluate`]) and the frames' files.
    pub job: Option<Arc<Series>>,
    pub paths: Vec<PathBuf>,
    pub request: Value,
    pub seconds: f64,
    /// What the series says as a whole once it is done (`xrd refine --sequential`'s `note:`
    /// lines): a background peak chosen, frames whose instrument widths or background a
    /// file or more terms would settle.
    pub notes: Vec<String>,
    /// The heat map last asked for (`?map=1`), read once from the files.
    pub map: Option<Arc<crate::series_map::SeriesMap>>,
}

/// A page's request: the served files in the series' order and the series' options.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesRequest {
    files: Vec<String>,
    #[serde(default)]
    options: Value,
}

pub(crate) fn row_json(values: Vec<RowValue>) -> Vec<Value> {
    values
        .into_iter()
        .map(|v| match v {
            RowValue::Text(t) => json!(t),
            RowValue::Integer(n) => json!(n),
            RowValue::Number { value, .. } => json!(value),
            _ => Value::Null,
        })
        .collect()
}

pub(crate) fn start(shared: &Arc<Shared>, req: &Request) -> Result<Response, Response> {
    let request: SeriesRequest = serde_json::from_slice(&req.body)
        .map_err(|e| Response::error(400, format!("request: {e}")))?;
    if request.files.is_empty() {
        return Err(Response::error(
            400,
            "files: a series needs at least one file",
        ));
    }
    let mut options: SeriesOptions = serde_json::from_value(request.options.clone())
        .map_err(|e| Response::error(400, format!("options: {e}")))?;
    if options.resume || matches!(options.order, Some(Order::File(_))) {
        return Err(Response::error(
            400,
            "resume and an order file are not taken by the workbench; use the command line",
        ));
    }
    map_model_paths(
        shared,
        &mut options.phases,
        &mut options.library,
        &mut options.instrument,
    )?;
    options.check().map_err(|e| job_error(&e))?;
    let paths: Vec<PathBuf> = request
        .files
        .iter()
        .map(|f| shared.served.resolve(f).map_err(denied))
        .collect::<Result<_, _>>()?;
    let id = bench(shared).start(Kind::Series, format!("series: {} frames", paths.len()))?;
    let job = match Series::new(options) {
        Ok(j) => Arc::new(j),
        Err(e) => {
            bench(shared).fail(id, e.to_string());
            return Err(job_error(&e));
        }
    };
    let control = control_for(shared, id);
    bench(shared).series = Some(SeriesState {
        id,
        files: request.files.clone(),
        total: paths.len(),
        request: json!({ "files": request.files, "options": request.options }),
        job: Some(Arc::clone(&job)),
        paths: paths.clone(),
        ..SeriesState::default()
    });
    let worker = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name("xrd-serve-series".into())
        .spawn(move || {
            let started = Instant::now();
            let sink = Arc::clone(&worker);
            let mut phases_n = 0;
            let out = job.run(paths, None, &control, |event| {
                let mut b = bench(&sink);
                let Some(s) = b.series.as_mut().filter(|s| s.id == id) else {
                    return Err(JobError::Cancelled);
                };
                match event {
                    SeriesEvent::Started {
                        columns,
                        phases,
                        structures,
                        ..
                    } => {
                        s.columns = columns.to_vec();
                        s.phases = phases.to_vec();
                        s.structures = structures.to_vec();
                        phases_n = phases.len();
                    }
                    SeriesEvent::Frame(f, state) => {
                        let row = row_json(xrd_jobs::series_row(f, phases_n));
                        let fit = serde_json::to_value(f).unwrap_or(Value::Null);
                        s.frames.push((row, fit));
                        s.states.push(state.cloned());
                    }
                    _ => {}
                }
                Ok(())
            });
            let mut b = bench(&worker);
            let seconds = started.elapsed().as_secs_f64();
            if let Some(s) = b.series.as_mut().filter(|s| s.id == id) {
                s.seconds = seconds;
                if let Ok(o) = &out {
                    s.notes = o.series.notes.clone();
                }
            }
            if b.end(id, &out) && out.is_ok() {
                b.events.push(format!("series done in {seconds:.1} s"));
            }
        });
    if let Err(e) = spawned {
        bench(shared).fail(id, format!("cannot start the job: {e}"));
        return Err(Response::error(500, format!("cannot start the job: {e}")));
    }
    Ok(Response::json(202, &json!({ "job": id })))
}

/// The series' table: columns, a row per frame done, and with `frame=K` that frame's fit
/// (`map=1`: the frames' heat map).
pub(crate) fn table(shared: &Shared, req: &Request) -> Result<Response, Response> {
    if req.param("map").is_some() {
        return crate::series_map::route(shared, req);
    }
    let b = bench(shared);
    let s = b
        .series
        .as_ref()
        .ok_or_else(|| Response::error(404, "no series yet"))?;
    if let Some(k) = req.param("frame") {
        let k: usize = k
            .parse()
            .map_err(|_| Response::error(400, format!("frame `{k}`: not a number")))?;
        let (_, fit) = s
            .frames
            .get(k)
            .ok_or_else(|| Response::error(404, format!("frame {k} is not done")))?;
        let index = fit["index"].as_u64().map(|i| i as usize);
        let file = index.and_then(|i| s.files.get(i)).cloned();
        // The curves are computed outside the lock: the series may still be running.
        let redraw = match (&s.job, s.states.get(k), index.and_then(|i| s.paths.get(i))) {
            (Some(job), Some(Some(state)), Some(path)) => Some((
                Arc::clone(job),
                s.structures.clone(),
                state.clone(),
                path.clone(),
            )),
            _ => None,
        };
        let fit = fit.clone();
        drop(b);
        let curves = match redraw {
            Some((job, structures, state, path)) => {
                match job.evaluate(&structures, &path, &state) {
                    Ok(r) => curves_json(&r),
                    Err(e) => json!({ "error": e.to_string() }),
                }
            }
            None => Value::Null,
        };
        return Ok(Response::json(
            200,
            &json!({ "file": file, "fit": fit, "curves": curves }),
        ));
    }
    let rows: Vec<&Vec<Value>> = s.frames.iter().map(|(r, _)| r).collect();
    Ok(Response::json(
        200,
        &json!({
            "id": s.id,
            "files": s.files,
            "columns": s.columns,
            "phases": s.phases,
            "total": s.total,
            "rows": rows,
            "request": s.request,
            "seconds": s.seconds,
            "notes": s.notes,
        }),
    ))
}

/// A refinement's curves as the page draws a fit (a series frame's, an identification's):
/// observed, calculated, background, each phase's curve and the difference, each phase's
/// reflections (2θ and hkl), Rwp and GoF.
pub(crate) fn curves_json(r: &xrd_refine::Refinement) -> Value {
    json!({
        "two_theta": plotted(&r.two_theta),
        "observed": plotted(&r.observed),
        "calculated": plotted(&r.calculated),
        "background": plotted(&r.background),
        "difference": plotted(&xrd_jobs::difference(&r.observed, &r.calculated)),
        "phase_curves": plotted_all(&r.phase_curves),
        "phases": r.phases.iter().map(|p| json!({
            "name": p.name,
            "ticks": p.ticks.iter().map(|(t, _)| t).collect::<Vec<_>>(),
            "hkl": p.ticks.iter().map(|(_, h)| h).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "rwp": r.rwp,
        "gof": r.gof,
    })
}
