//! The one job a workbench runs at a time, and its history of fits (checkpoints) with undo
//! and redo.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use xrd_jobs::{Control, RefineOptions, Refined, Summed};

/// What a checkpoint holds: phases refined (with any measured references beside them), or a
/// summation of measured references alone.
#[derive(Debug, Clone)]
pub(crate) enum Fit {
    Refined(Arc<Refined>),
    Summed(Arc<Summed>),
}

impl Fit {
    pub fn rwp(&self) -> f64 {
        match self {
            Fit::Refined(r) => r.refinement.rwp,
            Fit::Summed(s) => s.quantification.rwp,
        }
    }

    pub fn gof(&self) -> f64 {
        match self {
            Fit::Refined(r) => r.refinement.gof,
            Fit::Summed(s) => s.quantification.gof,
        }
    }

    /// (name, weight fraction, esd) of each phase, reference and rest.
    pub fn fractions(&self) -> Vec<(String, f64, f64)> {
        match self {
            Fit::Refined(r) => r
                .rows
                .iter()
                .map(|r| (r.name.clone(), r.weight_fraction, r.weight_fraction_esd))
                .collect(),
            Fit::Summed(s) => s
                .rows
                .iter()
                .map(|r| (r.name.clone(), r.weight_fraction, r.weight_fraction_esd))
                .collect(),
        }
    }
}

/// What kind of job the workbench runs or ran last, for the page (every tab) to load its
/// result when it ends.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Refine,
    Series,
    Identify,
    Batch,
}

/// A finished fit: its settings, its result, and how to make it again.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    pub id: usize,
    /// The served name of the pattern.
    pub file: String,
    /// Its path as the command line names it.
    pub path: std::path::PathBuf,
    /// The options as the page sent them (served names).
    pub request: serde_json::Value,
    /// The options as the job ran (paths).
    pub options: RefineOptions,
    pub result: Fit,
    /// The file's esds at the points refined, when it gives them.
    pub sigma: Option<Vec<f64>>,
    pub seconds: f64,
}

/// A checkpoint's summary for the history list.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    pub id: usize,
    pub file: String,
    pub phases: Vec<String>,
    pub stages: Vec<String>,
    pub rwp: f64,
    pub gof: f64,
    pub fractions: Vec<(String, f64, f64)>,
    pub seconds: f64,
}

impl Checkpoint {
    pub fn summary(&self) -> Summary {
        let mut phases = self.options.phases.clone();
        phases.extend(self.options.references.iter().cloned());
        Summary {
            id: self.id,
            file: self.file.clone(),
            phases,
            stages: self.options.stages.clone(),
            rwp: self.result.rwp(),
            gof: self.result.gof(),
            fractions: self.result.fractions(),
            seconds: self.seconds,
        }
    }
}

/// The running job, if any.
#[derive(Debug)]
pub(crate) struct Running {
    pub id: usize,
    pub control: Control,
    pub started: Instant,
}

/// What the page shows of the job panel.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    Idle,
    Running,
    Done,
    Failed,
    Cancelled,
}

/// The workbench's job state and history.
#[derive(Debug)]
pub(crate) struct Bench {
    pub running: Option<Running>,
    /// The kind and id of the job started last.
    pub kind: Kind,
    pub last: usize,
    pub phase: Phase,
    /// Progress lines of the current or last job.
    pub events: Vec<String>,
    pub error: Option<String>,
    pub next_id: usize,
    /// The number of the next checkpoint (fits that finished, counted from 1).
    pub next_checkpoint: usize,
    pub history: Vec<Checkpoint>,
    /// Index of the current checkpoint in `history`.
    pub cursor: Option<usize>,
    /// The last series.
    pub series: Option<crate::series::SeriesState>,
    /// The last identification.
    pub identified: Option<crate::identify::IdentifyState>,
    /// The last batch.
    pub batch: Option<crate::batch::BatchState>,
}

impl Bench {
    pub fn new() -> Self {
        Self {
            running: None,
            kind: Kind::Refine,
            last: 0,
            phase: Phase::Idle,
            events: Vec::new(),
            error: None,
            next_id: 1,
            next_checkpoint: 1,
            history: Vec::new(),
            cursor: None,
            series: None,
            identified: None,
            batch: None,
        }
    }

    /// Takes the job slot for a job of `kind` (HTTP 409 while another runs): its id, with the
    /// progress lines and error of the last job cleared.
    pub fn start(&mut self, kind: Kind, first: String) -> Result<usize, crate::http::Response> {
        if self.running.is_some() {
            return Err(crate::http::Response::error(409, crate::api::BUSY));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.running = Some(Running {
            id,
            control: Control::new(),
            started: Instant::now(),
        });
        self.kind = kind;
        self.last = id;
        self.phase = Phase::Running;
        self.events = vec![first];
        self.error = None;
        Ok(id)
    }

    /// Releases the slot of job `id` after an error before it ran.
    pub fn fail(&mut self, id: usize, error: String) {
        if self.running.as_ref().map(|r| r.id) == Some(id) {
            self.running = None;
        }
        self.phase = Phase::Failed;
        self.events.push(format!("failed: {error}"));
        self.error = Some(error);
    }

    /// Ends job `id` (false when it was cancelled or replaced meanwhile: its result is
    /// dropped), recording a failure or cancellation; the caller records a success.
    pub fn end<T>(&mut self, id: usize, out: &xrd_jobs::Result<T>) -> bool {
        if self.running.as_ref().map(|r| r.id) != Some(id) {
            return false;
        }
        self.running = None;
        match out {
            Ok(_) => self.phase = Phase::Done,
            Err(xrd_jobs::Error::Cancelled) => {
                self.phase = Phase::Cancelled;
                self.events.push("cancelled".into());
            }
            Err(e) => {
                self.phase = Phase::Failed;
                self.error = Some(e.to_string());
                self.events.push(format!("failed: {e}"));
            }
        }
        true
    }

    /// Adds `c` after the current checkpoint, dropping what undo had left to redo.
    pub fn push(&mut self, c: Checkpoint) {
        if let Some(k) = self.cursor {
            self.history.truncate(k + 1);
        }
        self.history.push(c);
        self.cursor = Some(self.history.len() - 1);
    }

    pub fn current(&self) -> Option<&Checkpoint> {
        self.cursor.and_then(|k| self.history.get(k))
    }

    pub fn get(&self, id: usize) -> Option<&Checkpoint> {
        self.history.iter().find(|c| c.id == id)
    }

    /// Moves back one checkpoint; false at the first.
    pub fn undo(&mut self) -> bool {
        match self.cursor {
            Some(k) if k > 0 => {
                self.cursor = Some(k - 1);
                true
            }
            _ => false,
        }
    }

    /// Moves forward one checkpoint; false at the last.
    pub fn redo(&mut self) -> bool {
        match self.cursor {
            Some(k) if k + 1 < self.history.len() => {
                self.cursor = Some(k + 1);
                true
            }
            _ => false,
        }
    }
}

/// A control for job `id` whose progress lines land in the bench's events (polled by the
/// page), installed as the running job's control so that *Cancel* reaches it.
pub(crate) fn control_for(shared: &Arc<crate::server::Shared>, id: usize) -> Control {
    let events = Arc::clone(shared);
    let control = Control::new().on_progress(move |p| {
        // A total of 0 is no count (`reference sets`: how many are kept).
        let count = if p.total == 0 {
            p.done.to_string()
        } else {
            format!("{}/{}", p.done, p.total)
        };
        let line = if p.message.is_empty() {
            format!("{} {count}", p.what)
        } else {
            format!("{} {count}: {}", p.what, p.message)
        };
        let mut b = crate::api::bench(&events);
        // A counter (the reference patterns simulated, every 256 of thousands) updates its
        // line rather than adding one per step.
        let counter = format!("{} ", p.what);
        match b.events.last_mut() {
            Some(last)
                if p.message.is_empty() && last.starts_with(&counter) && !last.contains(':') =>
            {
                *last = line;
            }
            _ => b.events.push(line),
        }
    });
    let mut b = crate::api::bench(shared);
    if let Some(r) = b.running.as_mut().filter(|r| r.id == id) {
        r.control = control.clone();
    }
    control
}
