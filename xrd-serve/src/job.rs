//! The one job a workbench runs at a time, and its history of fits (checkpoints) with undo
//! and redo.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use xrd_jobs::{Control, RefineOptions, Refined};

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
    pub result: Arc<Refined>,
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
        let fit = &self.result.refinement;
        Summary {
            id: self.id,
            file: self.file.clone(),
            phases: self.options.phases.clone(),
            stages: self.options.stages.clone(),
            rwp: fit.rwp,
            gof: fit.gof,
            fractions: self
                .result
                .rows
                .iter()
                .map(|r| (r.name.clone(), r.weight_fraction, r.weight_fraction_esd))
                .collect(),
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
}

impl Bench {
    pub fn new() -> Self {
        Self {
            running: None,
            phase: Phase::Idle,
            events: Vec::new(),
            error: None,
            next_id: 1,
            next_checkpoint: 1,
            history: Vec::new(),
            cursor: None,
            series: None,
        }
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
