//! Files of `../shared/data` (its SOURCES.md says where each comes from), which a checkout
//! without that folder lacks.

use std::path::PathBuf;

/// `../shared/data/<rel>` when it exists. When it does not, the calling test skips (says so and
/// gets `None`) — unless `XRD_REQUIRE_DATA=1`, when it fails: CI sets it, so absent data cannot
/// pass for a green run.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/")).join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("XRD_REQUIRE_DATA").as_deref() != Ok("1"),
        "XRD_REQUIRE_DATA=1 but {} is absent",
        path.display()
    );
    eprintln!("skipping: {} is absent", path.display());
    None
}
