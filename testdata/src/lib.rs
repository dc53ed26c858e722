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

/// Which half of `measured/rruff_dev.npz` a pattern belongs to (issue #45 part 1): settings
/// chosen on measured data are chosen on the [`Half::Tuning`] half; the floors and the READMEs'
/// results are measured on the [`Half::Reporting`] half.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    /// 232 of the 457 patterns: where settings are chosen.
    Tuning,
    /// 225 of the 457 patterns: where results are reported.
    Reporting,
}

/// The half of the RRUFF pattern whose `source_index` (the file number in Salgado et al.'s
/// repository, a column of `rruff_dev.npz`) is given: the top bit of splitmix64's finaliser of
/// that number, 1 for [`Half::Reporting`]. A fixed rule of the pattern's identity alone — not of
/// its row, its labels or its intensities — so that it never changes when the file is reordered
/// or a setting is tuned. Python: `z = (s + 0x9e3779b97f4a7c15) % 2**64`, then
/// `z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) % 2**64`,
/// `z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) % 2**64`, reporting when `(z ^ (z >> 31)) >> 63`.
pub fn rruff_half(source_index: u64) -> Half {
    let mut z = source_index.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    if (z ^ (z >> 31)) >> 63 == 1 {
        Half::Reporting
    } else {
        Half::Tuning
    }
}

/// The rows (in order) of `half` among patterns with these `source_index` values (the
/// `source_index` label of `rruff_dev.npz`, one per row).
///
/// # Panics
/// When a source index is not a non-negative whole number.
pub fn rruff_rows(source_index: impl IntoIterator<Item = f64>, half: Half) -> Vec<usize> {
    source_index
        .into_iter()
        .enumerate()
        .filter(|(_, s)| {
            assert!(
                *s >= 0.0 && s.fract() == 0.0,
                "source index {s} is not a file number"
            );
            rruff_half(*s as u64) == half
        })
        .map(|(i, _)| i)
        .collect()
}
