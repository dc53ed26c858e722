//! The subcommands: each parses its options (clap) and calls the libraries.

use std::path::{Path, PathBuf};

use xrd_cli::output::{Format, Table};
pub use xrd_cli::run::Result;

pub mod classify;
pub mod convert;
pub mod feature_space;
pub mod identify;
pub mod index;
pub mod library;
pub mod peaks;
pub mod refine;
pub mod serve;
pub mod simulate;

/// What every subcommand is given besides its own options.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// No progress bars.
    pub quiet: bool,
    /// How results are printed on stdout.
    pub format: Format,
}

impl Context {
    /// Prints `table` on stdout in the chosen format.
    pub fn print(&self, table: &Table) {
        print!("{}", table.render(self.format));
    }
}

/// How a job that did not fail outright ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was processed.
    Done,
    /// The rest was processed; this many inputs were skipped (each named on stderr).
    Skipped(usize),
}

impl Outcome {
    /// `Done` when nothing was skipped.
    pub fn skipping(n: usize) -> Self {
        if n == 0 {
            Outcome::Done
        } else {
            Outcome::Skipped(n)
        }
    }
}

/// The control of a job the command runs: Ctrl-C cancels it (the job stops at its next check,
/// keeping what it wrote: a series resumes with --resume). One per process: the handler is
/// installed once, and every clone shares its cancel token.
pub fn interruptible() -> xrd_jobs::Control {
    static CONTROL: std::sync::OnceLock<xrd_jobs::Control> = std::sync::OnceLock::new();
    CONTROL
        .get_or_init(|| {
            let control = xrd_jobs::Control::new();
            let cancel = control.clone();
            // Without a handler (one already set), Ctrl-C ends the process as it always did.
            let _ = ctrlc::set_handler(move || cancel.cancel());
            control
        })
        .clone()
}

/// A job's error as the command says it: a refused option led by the flag that gives it
/// (`--range: invalid parameter `two_theta`: …`), any other error as it is.
pub fn flagged(e: xrd_jobs::Error) -> xrd_cli::run::BoxError {
    let Some(p) = e.invalid_parameter() else {
        return e.into();
    };
    let flag = match p.name {
        "two_theta" | "two_theta_range" => "--range".to_string(),
        "phases" => "--phase".to_string(),
        "references" => "--reference".to_string(),
        "reference_library" => "--references".to_string(),
        "builtin" => "--no-builtin".to_string(),
        name => format!("--{}", name.replace('_', "-")),
    };
    format!("{flag}: {e}").into()
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()).into())
}

/// The files named on the command line, folders one level deep (a missing file stays in the list:
/// reading it fails with its name, and the job skips it as any other bad file).
pub fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let files = xrd_cli::inputs::pattern_files(paths)?;
    if files.is_empty() {
        return Err("no input files (the folders named are empty)".into());
    }
    Ok(files)
}

/// Says on stderr that `name` was skipped and why (once: xrd-io's messages already begin with the
/// file's name).
pub fn skipped(name: &str, error: &dyn std::fmt::Display) {
    let message = error.to_string();
    if message.starts_with(name) {
        eprintln!("skipped {message}");
    } else {
        eprintln!("skipped {name}: {message}");
    }
}

/// A file name for the figure of pattern `label` (its file name; `#`, separators and spaces
/// as `_`).
pub fn svg_name(label: &str) -> String {
    Path::new(label)
        .file_name()
        .map_or_else(|| label.to_string(), |n| n.to_string_lossy().into_owned())
        .replace(['#', '/', '\\', ' '], "_")
}

/// A pattern's display name: the file, with `#k` when the file holds several patterns.
pub fn pattern_name(file: &Path, k: usize, count: usize) -> String {
    if count > 1 {
        format!("{}#{}", file.display(), k + 1)
    } else {
        file.display().to_string()
    }
}

pub use xrd_cli::inputs::{Halves, labelled_npz};

/// How the printed summaries name the rows scored: `the reporting half`, `all`.
pub fn half_name(halves: Halves) -> String {
    match halves {
        Halves::All => "all".to_string(),
        h => format!("the {} half", h.name()),
    }
}

/// The wavelength of pattern `label`: the file's, else `given` (a `--wavelength` option), else
/// Cu Kα, said on stderr.
pub fn wavelength_or(
    label: &str,
    pattern: &xrd_io::Pattern,
    given: Option<xrd_io::Wavelength>,
) -> xrd_io::Wavelength {
    match xrd_jobs::measured_wavelength(pattern.wavelength(), given, None) {
        Some(w) => w,
        None => {
            eprintln!("{label}: no wavelength in the file; Cu Kα assumed (--wavelength)");
            xrd_io::Wavelength::CU_KA
        }
    }
}

/// Parses a wavelength option: an anode (`Cu`, `Mo`, `Co`, `Fe`, `Cr`, `Ag`: its Kα doublet),
/// an anode's line (`CuKa1`, `MoKa2`), or a number of ångström (monochromatic); every form
/// [`xrd_io::Wavelength`]'s `FromStr` reads.
pub fn parse_wavelength(s: &str) -> std::result::Result<xrd_io::Wavelength, String> {
    s.parse().map_err(|e: xrd_io::Error| e.to_string())
}

/// What the tests of every command check: its flags are its job's options.
#[cfg(test)]
pub(crate) mod flags {
    use std::collections::BTreeSet;

    /// The flags of `A` (a command named `name`) by the option names of job `job`: every
    /// argument but `--help` and those in `skip`, renamed by `rename`; and the option fields of
    /// `job` (xrd-jobs), to compare.
    pub fn and_fields<A: clap::Args>(
        name: &'static str,
        job: &str,
        skip: &[&str],
        rename: &[(&str, &str)],
    ) -> (BTreeSet<String>, BTreeSet<String>) {
        let command = A::augment_args(clap::Command::new(name));
        let ids = command
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| id != "help" && !skip.contains(&id.as_str()))
            .map(|id| match rename.iter().find(|(from, _)| *from == id) {
                Some((_, to)) => to.to_string(),
                None => id,
            })
            .collect();
        let fields = xrd_jobs::option_fields(job)
            .unwrap_or_default()
            .into_iter()
            .collect();
        (ids, fields)
    }

    /// `A` parsed from the command line `line` (its first word the command's name).
    pub fn parse<A: clap::Args + clap::FromArgMatches>(line: &[&str]) -> A {
        let command = A::augment_args(clap::Command::new("command"));
        let m = command
            .try_get_matches_from(line)
            .unwrap_or_else(|e| panic!("{e}"));
        A::from_arg_matches(&m).unwrap_or_else(|e| panic!("{e}"))
    }
}
