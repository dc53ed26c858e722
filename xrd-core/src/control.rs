//! How a front end steers a long job: a cancel token it can trip from another thread, and a
//! progress callback the job reports through. One type for every crate, so that the command
//! line's progress bar, Python's callback and the web workbench's event stream all receive the
//! same events, and one cancel button stops a series, an identify of a folder or a refinement
//! alike.
//!
//! ```
//! use xrd_core::{Control, Progress};
//! use std::sync::{Arc, Mutex};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! let control = Control::new().on_progress(move |p: &Progress| {
//!     log.lock().unwrap().push((p.done, p.total));
//! });
//! for i in 0..3 {
//!     control.check()?; // Err(Cancelled) once cancelled
//!     control.report(Progress::new("frames", i + 1, 3));
//! }
//! control.cancel();
//! assert!(control.check().is_err());
//! assert_eq!(*seen.lock().unwrap(), vec![(1, 3), (2, 3), (3, 3)]);
//! # Ok::<(), xrd_core::Cancelled>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A job was stopped by its [`Control`] before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// One progress event: which part of the job, how far through it, and what it is doing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// The part of the job (`"files"`, `"frames"`, `"stage"`, `"candidates"`, …).
    pub what: &'static str,
    /// Items done.
    pub done: usize,
    /// Items in all (0 when unknown).
    pub total: usize,
    /// What was just done or is being done (a file name, a stage name), possibly empty.
    pub message: String,
}

impl Progress {
    /// `done` of `total` items of `what`.
    pub fn new(what: &'static str, done: usize, total: usize) -> Self {
        Progress {
            what,
            done,
            total,
            message: String::new(),
        }
    }

    /// The event with a message.
    #[must_use]
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

type Callback = dyn Fn(&Progress) + Send + Sync;

/// A job's cancel token and progress callback. Cloning shares both: a front end keeps one
/// clone to cancel with and hands another to the job. The default reports nowhere and is never
/// cancelled.
#[derive(Clone, Default)]
pub struct Control {
    cancelled: Arc<AtomicBool>,
    progress: Option<Arc<Callback>>,
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control")
            .field("cancelled", &self.is_cancelled())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Control {
    /// A control that reports nowhere and is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// The control with `callback` receiving every progress event (from any thread).
    #[must_use]
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Asks the job to stop: it returns [`Cancelled`] at its next check (within one solver
    /// iteration), keeping what it already wrote.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Control::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Sends `event` to the callback, if any.
    pub fn report(&self, event: Progress) {
        if let Some(cb) = &self.progress {
            cb(&event);
        }
    }

    /// A control sharing this one's cancel token but reporting nowhere: for the inner work of
    /// a job whose own progress is reported at a coarser grain.
    #[must_use]
    pub fn silent(&self) -> Self {
        Control {
            cancelled: self.cancelled.clone(),
            progress: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_cancels_the_original_and_silent_shares_the_token() {
        let c = Control::new();
        let other = c.clone();
        let quiet = c.silent();
        assert!(c.check().is_ok() && quiet.check().is_ok());
        other.cancel();
        assert_eq!(c.check(), Err(Cancelled));
        assert!(quiet.is_cancelled());
    }

    #[test]
    fn events_reach_the_callback_from_other_threads() {
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let k = n.clone();
        let c = Control::new().on_progress(move |p| {
            k.fetch_add(p.done, Ordering::Relaxed);
        });
        std::thread::scope(|s| {
            for i in 1..=4 {
                let c = c.clone();
                s.spawn(move || c.report(Progress::new("x", i, 4)));
            }
        });
        assert_eq!(n.load(Ordering::Relaxed), 10);
        // Silent: nothing reported.
        c.silent().report(Progress::new("x", 100, 0));
        assert_eq!(n.load(Ordering::Relaxed), 10);
    }
}
