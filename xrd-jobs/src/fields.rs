//! The option fields of every job by name: what a front end must offer (a flag, a keyword, a
//! form field), checked against each front end by its tests.

use crate::{
    ClassifyOptions, IdentifyOptions, IndexOptions, PeaksOptions, RefineOptions, SeriesOptions,
    SimulateOptions,
};

/// The jobs whose options [`option_fields`] lists.
pub const JOBS: [&str; 7] = [
    "refine", "series", "simulate", "index", "peaks", "classify", "identify",
];

/// The fields of the options of `job` (one of [`JOBS`]), as serde names them; `None` for
/// another name.
///
/// ```
/// let fields = xrd_jobs::option_fields("refine").unwrap();
/// assert!(fields.contains(&"polarisation".to_string()));
/// assert!(xrd_jobs::option_fields("dance").is_none());
/// ```
pub fn option_fields(job: &str) -> Option<Vec<String>> {
    let value = match job {
        "refine" => serde_json::to_value(RefineOptions::default()),
        "series" => serde_json::to_value(SeriesOptions::default()),
        "simulate" => serde_json::to_value(SimulateOptions::default()),
        "index" => serde_json::to_value(IndexOptions::default()),
        "peaks" => serde_json::to_value(PeaksOptions::default()),
        "classify" => serde_json::to_value(ClassifyOptions::default()),
        "identify" => serde_json::to_value(IdentifyOptions::default()),
        _ => return None,
    };
    match value {
        Ok(serde_json::Value::Object(map)) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}
