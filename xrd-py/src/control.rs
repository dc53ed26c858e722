//! A job's `progress=` callable as the job layer's `Control`: each progress event is passed to
//! it as `(what, done, total, message)`; an exception it raises cancels the job, and is raised
//! again once the job has stopped.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use xrd_jobs::{Control, Progress};

use crate::errors::IntoPyResult;

/// The control of a job reporting to `progress`, and the error the callable raised, if any.
pub struct Steered {
    /// The control handed to the job.
    pub control: Control,
    raised: Arc<Mutex<Option<PyErr>>>,
}

impl Steered {
    /// A control reporting to `progress` (none: reporting nowhere).
    pub fn new(progress: Option<Py<PyAny>>) -> Self {
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::new(Mutex::new(None));
        let control = Control::new();
        let control = match progress {
            None => control,
            Some(callable) => {
                let cancel = control.clone();
                let keep = raised.clone();
                control.on_progress(move |p: &Progress| {
                    Python::attach(|py| {
                        let called =
                            callable.call1(py, (p.what, p.done, p.total, p.message.as_str()));
                        if let Err(e) = called {
                            let mut slot = keep.lock().unwrap_or_else(PoisonError::into_inner);
                            if slot.is_none() {
                                *slot = Some(e);
                            }
                            cancel.cancel();
                        }
                    });
                })
            }
        };
        Steered { control, raised }
    }

    /// The job's result: the callable's exception when it raised one (which cancelled the
    /// job, or came with its last event), else the job's own error as an `xrd.errors`
    /// exception.
    pub fn result<T>(&self, r: xrd_jobs::Result<T>) -> PyResult<T> {
        let raised = self
            .raised
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match raised {
            Some(e) => Err(e),
            None => r.py(),
        }
    }
}
