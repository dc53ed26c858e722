//! Test support of the xrd workspace: the real files of `../shared/data` beside the repository
//! (its SOURCES.md says where each comes from), which a checkout without that folder lacks, and
//! the checksum that pinned-result tests compare ([`fnv`]).
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

/// FNV-1a over 64-bit words (little-endian bytes): the checksum of the tests that pin results
/// computed by earlier code (weights, patterns, probabilities as `to_bits()`).
pub fn fnv(words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Runs the ignored test `test` (its path in the current test binary) alone in a child process
/// with the environment variable `var` set to `value`, and returns the values of the `keys` it
/// printed as `key=value` lines — for what is decided once per process, such as the instruction
/// set of the kernels (`XRD_ISA`).
///
/// # Panics
/// When the child fails or does not print a key.
// Test support: a child that cannot run is a failed test.
#[allow(clippy::expect_used)]
pub fn child_test_fields(test: &str, var: &str, value: &str, keys: &[&str]) -> Vec<String> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            test,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(var, value)
        .output()
        .expect("the child test runs");
    assert!(out.status.success(), "{var}={value}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    keys.iter()
        .map(|key| {
            text.lines()
                // The test harness may print its own prefix on the same line.
                .find_map(|l| l.split_once(key).map(|(_, v)| v.to_string()))
                .unwrap_or_else(|| panic!("no {key} in {text}"))
        })
        .collect()
}

/// The share of the most frequent value (the accuracy of always answering it: the majority-class
/// baseline of the real-data floors). 0 for no values.
pub fn majority<T: std::hash::Hash + Eq>(values: impl IntoIterator<Item = T>) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for v in values {
        *counts.entry(v).or_insert(0usize) += 1;
        n += 1;
    }
    counts.values().max().map_or(0.0, |&m| m as f64 / n as f64)
}

/// A proportion `p` of `n` trials moved by `sds` binomial standard errors, p + sds·√(p(1 − p)/n):
/// a floor with `sds` < 0, a ceiling with `sds` > 0 (the real-data floors sit two below the
/// measured value).
pub fn binomial_bound(p: f64, n: usize, sds: f64) -> f64 {
    p + sds * (p * (1.0 - p) / n as f64).sqrt()
}

/// Whether `count` of `n` lies within `sds` binomial standard errors of the `measured` count
/// (both ends included): the two-sided check of a count that should neither rise nor fall.
pub fn within_sds(count: usize, measured: usize, n: usize, sds: f64) -> bool {
    let p = measured as f64 / n as f64;
    let (lo, hi) = (
        binomial_bound(p, n, -sds) * n as f64,
        binomial_bound(p, n, sds) * n as f64,
    );
    (lo..=hi).contains(&(count as f64))
}

/// Which half of `measured/rruff_dev.npz` a pattern belongs to (issue #45 part 1): settings
/// chosen on measured data are chosen on the [`Half::Tuning`] half; the floors and the READMEs'
/// results are measured on the [`Half::Reporting`] half. The rule's one home is
/// [`xrd_io::halves`], which `xrd classify evaluate` and `xrd identify evaluate` use too.
pub use xrd_io::halves::Half;

/// The half of the RRUFF pattern whose `source_index` is given ([`xrd_io::halves::half_of`]).
pub fn rruff_half(source_index: u64) -> Half {
    xrd_io::halves::half_of(source_index)
}

/// The rows (in order) of `half` among patterns with these `source_index` values (the
/// `source_index` label of `rruff_dev.npz`, one per row): [`Half::rows`].
///
/// # Panics
/// When a source index is not a non-negative whole number.
// Test support: a malformed test file is a failed test.
#[allow(clippy::expect_used)]
pub fn rruff_rows(source_index: impl IntoIterator<Item = f64>, half: Half) -> Vec<usize> {
    half.rows(source_index)
        .expect("source indices are file numbers")
}
