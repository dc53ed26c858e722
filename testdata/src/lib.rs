//! Test support of the xrd workspace: the real files of `../shared/data` beside the repository
//! (its SOURCES.md says where each comes from), which a checkout without that folder lacks.
//!
//! The crates' integration tests take it as a path-only dev-dependency, which `cargo package`
//! drops, so it is never published.

use std::path::PathBuf;

/// `../shared/data/<rel>` when it exists. When it does not, the calling test skips (says so and
/// gets `None`) — unless `XRD_REQUIRE_DATA=1`, when it fails: CI sets it, so absent data cannot
/// pass for a green run.
///
/// # Panics
/// When the file is absent and `XRD_REQUIRE_DATA=1`.
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
