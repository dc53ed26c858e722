//! The built-in mineral library and the identification jobs (their reference patterns and
//! search-match state), kept for the life of the process: a batch of calls (or a Dask worker) reads and simulates
//! them once, as the `xrd` command does once per run. Reference patterns are also cached on
//! disk, where `XRD_CACHE` says.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::PyResult;
use xrd_jobs::{Identify, IdentifyOptions};
use xrd_minerals::Library;

use crate::errors::{IntoPyResult, value_error};

/// The built-in library, read once. Leaked on purpose: it lives as long as the process, and a
/// `'static` borrow serves the jobs that take one; identification jobs share the `Arc`.
static BUILTIN: Mutex<Option<&'static Arc<Library>>> = Mutex::new(None);

/// Identification jobs by their options (JSON), the last few: each keeps its matchers, so a
/// batch of calls with the same options builds them once.
type IdentifyJobs = Vec<(String, Arc<Identify>)>;
static IDENTIFY_JOBS: Mutex<IdentifyJobs> = Mutex::new(Vec::new());
const KEPT_JOBS: usize = 8;

/// The folder of cached reference patterns: `$XRD_CACHE`, else `$XDG_CACHE_HOME/xrd`, else
/// `~/.cache/xrd`, else `xrd-cache` in the working folder.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XRD_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("xrd");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("xrd"),
        None => PathBuf::from("xrd-cache"),
    }
}

/// The built-in library (the trimmed AMCSD).
pub fn builtin() -> PyResult<&'static Library> {
    Ok(builtin_shared()?)
}

/// The built-in library, shared.
fn builtin_shared() -> PyResult<&'static Arc<Library>> {
    let mut b = BUILTIN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(l) = *b {
        return Ok(l);
    }
    let lib: &'static Arc<Library> = Box::leak(Box::new(Arc::new(Library::amcsd().py()?)));
    *b = Some(lib);
    Ok(lib)
}

/// The identification job of `options`, kept with its matchers while its options are among
/// the last few used; the built-in library shared when no folder is searched (folders are read
/// anew for a new job: they change between calls).
pub fn identify_job(options: IdentifyOptions) -> PyResult<Arc<Identify>> {
    let key = serde_json::to_string(&options).map_err(|e| value_error(e.to_string()))?;
    {
        let all = IDENTIFY_JOBS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, job)) = all.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(job));
        }
    }
    options.check().py()?;
    let kept = if options.builtin && options.library.is_empty() {
        Some(Arc::clone(builtin_shared()?))
    } else {
        None
    };
    let job = Arc::new(Identify::with_library(options, kept).py()?);
    let mut all = IDENTIFY_JOBS.lock().unwrap_or_else(PoisonError::into_inner);
    if all.len() >= KEPT_JOBS {
        all.remove(0);
    }
    all.push((key, Arc::clone(&job)));
    Ok(job)
}
