//! Running the built binary.

use std::path::Path;
use std::process::{Command, Output};

/// What a run of `xrd` gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        &self.stdout
    }

    /// Asserts a failure with `code` whose stderr names `file` and shows no panic.
    pub fn failed(&self, code: i32, file: &str) {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(file),
            "stderr does not name {file}: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }
}

/// Runs `xrd ARGS` in `dir` (progress bars are hidden: stderr is not a terminal).
pub fn xrd_in(dir: &Path, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_xrd"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        // A signal (a crash) has no code: never what a test expects.
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `xrd ARGS` in a fresh temporary folder: what a command writes by default (its
/// `target/xrd-cache`, `target/feature_space`) stays out of the crate folder.
pub fn xrd(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    xrd_in(dir.path(), args)
}

/// A path as the argument it is passed as.
pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The rows of a CSV printed by `--format csv` (header first), split at commas (the tests'
/// files have none in their names).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The reference cache of the built-in library that every test of this binary shares (`--cache`):
/// built once in Cargo's temporary folder for tests and reused (a cache file is named by the
/// library's fingerprint and the parameters, and written atomically).
pub fn cache() -> &'static str {
    concat!(env!("CARGO_TARGET_TMPDIR"), "/xrd-cache")
}
