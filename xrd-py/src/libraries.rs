//! The built-in mineral library and the identification jobs (their reference patterns and
//! search-match state), kept for the life of the process: a batch of calls (or a Dask worker) reads and simulates
//! them once, as the `xrd` command does once per run. Reference patterns are also cached on
//! disk, where `XRD_CACHE` says.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::PyResult;
use xrd_jobs::{Identify, IdentifyOptions, Kept};
use xrd_minerals::Library;

use crate::errors::IntoPyResult;

/// The built-in library, read once. Leaked on purpose: it lives as long as the process, and a
/// `'static` borrow serves the jobs that take one; identification jobs share the `Arc`.
static BUILTIN: Mutex<Option<&'static Arc<Library>>> = Mutex::new(None);

/// Identification jobs by their options and their library folders' files, the last few: each
/// keeps its matchers, so a batch of calls with the same options builds them once, and a
/// folder changed since makes a new job.
static IDENTIFY_JOBS: Kept<Identify> = Kept::new(8);

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

/// The identification job of `options`, kept with its matchers while it is among the last few
/// used; the built-in library shared when no folder is searched.
pub fn identify_job(options: IdentifyOptions) -> PyResult<Arc<Identify>> {
    let key = xrd_jobs::kept_key(&options, &options.library);
    let builtin = options.builtin && options.library.is_empty();
    let kept = if builtin {
        Some(Arc::clone(builtin_shared()?))
    } else {
        None
    };
    IDENTIFY_JOBS
        .get_or_make(key, || Identify::with_library(options, kept))
        .py()
}
