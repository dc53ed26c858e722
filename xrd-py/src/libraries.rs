//! The mineral libraries, their reference patterns and the search-match state built on them,
//! kept for the life of the process: a batch of calls (or a Dask worker) reads and simulates
//! them once, as the `xrd` command does once per run. Reference patterns are also cached on
//! disk, where `XRD_CACHE` says.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::PyResult;
use xrd_io::Wavelength;
use xrd_minerals::{Library, Matcher, ReferenceParams, ReferenceSet, SearchParams};

use crate::errors::{IntoPyResult, value_error};

/// The built-in library, read once. Leaked on purpose: it lives as long as the process, and a
/// `'static` borrow lets search-match state built on it be kept too.
static BUILTIN: Mutex<Option<&'static Library>> = Mutex::new(None);

/// Reference sets by (library fingerprint, wavelength bits).
type References = Vec<((u64, u64), Arc<ReferenceSet>)>;
static REFERENCES: Mutex<References> = Mutex::new(Vec::new());

/// Matchers of the built-in library by wavelength and search settings (the last few).
type Matchers = Vec<((Wavelength, SearchParams), Arc<Matcher<'static>>)>;
static MATCHERS: Mutex<Matchers> = Mutex::new(Vec::new());
const KEPT_MATCHERS: usize = 8;

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
    let mut b = BUILTIN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(l) = *b {
        return Ok(l);
    }
    let lib: &'static Library = Box::leak(Box::new(Library::amcsd().py()?));
    *b = Some(lib);
    Ok(lib)
}

/// A library of the built-in one (when `builtin`) and the folders or files `extra`, read now
/// (folders change between calls).
pub fn assemble(builtin: bool, extra: &[PathBuf]) -> PyResult<Library> {
    if !builtin && extra.is_empty() {
        return Err(value_error(
            "no library: builtin=False needs library=[folders or files]",
        ));
    }
    Library::assemble(builtin, extra).py()
}

/// The reference patterns of `library` at `wavelength`'s primary line (from the disk cache, else
/// simulated once).
pub fn references(library: &Library, wavelength: Wavelength) -> PyResult<Arc<ReferenceSet>> {
    let key = (library.fingerprint(), wavelength.angstrom().to_bits());
    {
        let sets = REFERENCES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, s)) = sets.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(s));
        }
    }
    let params = ReferenceParams::new().wavelength(wavelength);
    let set = Arc::new(ReferenceSet::cached(library, &params, cache_dir(), |_, _| {}).py()?);
    let mut sets = REFERENCES.lock().unwrap_or_else(PoisonError::into_inner);
    if !sets.iter().any(|(k, _)| *k == key) {
        sets.push((key, Arc::clone(&set)));
    }
    Ok(set)
}

/// The matcher of the built-in library for `wavelength` and `search`, built once (it holds each
/// reference prepared for the search, as the command's one matcher per run does).
pub fn builtin_matcher(
    wavelength: Wavelength,
    search: &SearchParams,
) -> PyResult<Arc<Matcher<'static>>> {
    let key = (wavelength, search.clone());
    {
        let all = MATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, m)) = all.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(m));
        }
    }
    let lib = builtin()?;
    let refs = references(lib, wavelength)?;
    let matcher = Arc::new(Matcher::new(lib, &refs, wavelength, search.clone()).py()?);
    let mut all = MATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
    if all.len() >= KEPT_MATCHERS {
        all.remove(0);
    }
    all.push((key, Arc::clone(&matcher)));
    Ok(matcher)
}
