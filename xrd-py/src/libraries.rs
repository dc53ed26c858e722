//! The mineral libraries and their reference patterns, kept for the life of the process: a
//! batch of calls (or a Dask worker) reads and simulates them once, as the `xrd` command does
//! once per run. Reference patterns are also cached on disk, where the command caches them
//! unless `XRD_CACHE` names another folder.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::PyResult;
use xrd_minerals::{Library, ReferenceParams, ReferenceSet};

use crate::errors::{IntoPyResult, value_error};

type LibraryKey = (bool, Vec<PathBuf>);

static LIBRARIES: Mutex<Vec<(LibraryKey, Arc<Library>)>> = Mutex::new(Vec::new());
/// Reference sets by (library fingerprint, wavelength bits).
type References = HashMap<(u64, u64), Arc<ReferenceSet>>;

static REFERENCES: Mutex<Option<References>> = Mutex::new(None);

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

/// The library searched: the built-in AMCSD when `builtin`, with the folders or files `extra`.
pub fn library(builtin: bool, extra: &[PathBuf]) -> PyResult<Arc<Library>> {
    if !builtin && extra.is_empty() {
        return Err(value_error(
            "no library: builtin=False needs library=[folders or files]",
        ));
    }
    let key = (builtin, extra.to_vec());
    let mut libs = LIBRARIES.lock().unwrap_or_else(PoisonError::into_inner);
    // Folders change between calls; the built-in library does not.
    if extra.is_empty()
        && let Some((_, l)) = libs.iter().find(|(k, _)| *k == key)
    {
        return Ok(Arc::clone(l));
    }
    let lib = Arc::new(Library::assemble(builtin, extra).py()?);
    libs.retain(|(k, _)| *k != key);
    libs.push((key, Arc::clone(&lib)));
    Ok(lib)
}

/// The reference patterns of `library` at `angstrom` (from the disk cache, else simulated once).
pub fn references(library: &Library, angstrom: f64) -> PyResult<Arc<ReferenceSet>> {
    let key = (library.fingerprint(), angstrom.to_bits());
    {
        let sets = REFERENCES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = sets.as_ref().and_then(|m| m.get(&key)) {
            return Ok(Arc::clone(s));
        }
    }
    let params = ReferenceParams::new().wavelength(angstrom);
    let set = Arc::new(ReferenceSet::cached(library, &params, cache_dir(), |_, _| {}).py()?);
    let mut sets = REFERENCES.lock().unwrap_or_else(PoisonError::into_inner);
    sets.get_or_insert_with(HashMap::new)
        .insert(key, Arc::clone(&set));
    Ok(set)
}
