//! The built-in mineral library (AMCSD), loaded once in the background when a server starts,
//! and the phase input's suggestions (`GET /api/library?q=TEXT`): entries by id, mineral name
//! or formula, judged as `xrd library show` judges them.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use xrd_minerals::Library;

use crate::http::{Request, Response};

/// Suggestions returned at most.
const MAX_SUGGESTIONS: usize = 20;
/// Entries of names that merely start with the query judged at most (judging reads each
/// entry's structure; a one-letter query would otherwise judge thousands).
const MAX_PREFIX_ENTRIES: usize = 120;
/// The longest query taken.
const MAX_QUERY: usize = 100;

/// The built-in library, loaded once per process: every server of the process (the tests
/// start many) shares it, as it never changes.
static BUILTIN: OnceLock<Result<Arc<Library>, String>> = OnceLock::new();

/// Starts loading the built-in library in the background (about 1–2 s), so that the page is
/// served at once and the first identification or suggestion finds it ready.
pub(crate) fn preload() {
    if BUILTIN.get().is_none() {
        let _ = std::thread::Builder::new()
            .name("xrd-serve-library".into())
            .spawn(builtin);
    }
}

/// Whether the built-in library is loaded (or failed to load).
pub(crate) fn ready() -> bool {
    BUILTIN.get().is_some()
}

/// The built-in library, waiting for the load under way (or loading it).
///
/// # Errors
/// Why it could not be read.
pub(crate) fn builtin() -> Result<Arc<Library>, String> {
    BUILTIN
        .get_or_init(|| {
            Library::amcsd()
                .map(Arc::new)
                .map_err(|e| format!("the built-in library: {e}"))
        })
        .clone()
}

/// The entries of `lib` that `query` names: those [`Library::lookup`] resolves it to (id,
/// mineral name, formula), then those whose id or mineral name starts with it, each group in
/// `xrd library show`'s order (best reference first).
fn suggestions(lib: &Library, query: &str) -> Vec<(usize, xrd_minerals::Suitability)> {
    let exact = lib.lookup(query);
    let lower = query.to_lowercase();
    let mut prefix: Vec<usize> = Vec::new();
    for (i, e) in lib.entries().iter().enumerate() {
        if prefix.len() >= MAX_PREFIX_ENTRIES {
            break;
        }
        if exact.contains(&i) {
            continue;
        }
        if e.id.to_lowercase().starts_with(&lower) || e.mineral.to_lowercase().starts_with(&lower) {
            prefix.push(i);
        }
    }
    let mut out = xrd_minerals::ranked(lib, &exact);
    out.extend(xrd_minerals::ranked(lib, &prefix));
    out.truncate(MAX_SUGGESTIONS);
    out
}

/// `GET /api/library?q=TEXT`: up to 20 entries of the built-in library with their judgement.
pub(crate) fn route(req: &Request) -> Result<Response, Response> {
    let query = req.param("q").map(str::trim).unwrap_or("");
    if query.is_empty() {
        return Err(Response::error(400, "q= is missing: a name, formula or id"));
    }
    if query.chars().count() > MAX_QUERY {
        return Err(Response::error(
            400,
            format!("q=: at most {MAX_QUERY} characters"),
        ));
    }
    let lib = builtin().map_err(|e| Response::error(500, e))?;
    let entries: Vec<Value> = suggestions(&lib, query)
        .into_iter()
        .map(|(i, s)| {
            let e = &lib.entries()[i];
            json!({
                "id": e.id,
                "name": e.name(),
                "formula": e.formula,
                "space_group": e.space_group,
                "symbol": e.hm_symbol,
                "year": e.publication.year,
                "ambient": s.ambient,
                "set_aside": s.set_aside,
                "penalty": s.penalty,
                "judgement": s.summary(),
            })
        })
        .collect();
    Ok(Response::json(
        200,
        &json!({ "query": query, "entries": entries }),
    ))
}
