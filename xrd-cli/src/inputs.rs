//! The input files of a job's command line.

use std::path::{Path, PathBuf};

use xrd_io::halves::{Half, SOURCE_INDEX};

use crate::run::Result;

/// The files named by `paths`: files as given, folders one level deep (xrd-io's
/// [`xrd_io::list_files`]: sorted, hidden files left out).
///
/// # Errors
/// A folder that cannot be listed.
pub fn pattern_files<P: Into<PathBuf> + Clone>(paths: &[P]) -> Result<Vec<PathBuf>, xrd_io::Error> {
    let mut out = Vec::new();
    for p in paths {
        let path: PathBuf = p.clone().into();
        if path.is_dir() {
            out.extend(xrd_io::list_files(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Which rows of a labelled `.npz` an evaluation scores (`--half` of `xrd classify evaluate`
/// and `xrd identify evaluate`): a half of [`xrd_io::halves`] by each row's `source_index`, or
/// every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Halves {
    /// The reporting half: where the READMEs' results are measured.
    Reporting,
    /// The tuning half: where settings are chosen.
    Tuning,
    /// Every row.
    All,
}

impl Halves {
    /// The half of [`xrd_io::halves`] (`None` for every row).
    pub fn half(self) -> Option<Half> {
        match self {
            Halves::Reporting => Some(Half::Reporting),
            Halves::Tuning => Some(Half::Tuning),
            Halves::All => None,
        }
    }

    /// `"reporting"`, `"tuning"` or `"all"`, as `--half` takes it.
    pub fn name(self) -> &'static str {
        self.half().map_or("all", Half::name)
    }
}

/// The rows of a labelled `.npz` an evaluation scores.
#[derive(Debug, Clone)]
pub struct LabelledRows {
    /// The patterns (Cu Kα, as the RRUFF set is).
    pub patterns: Vec<xrd_io::Pattern>,
    /// Their space groups, each 1–230.
    pub truth: Vec<u8>,
    /// Their rows in the file.
    pub rows: Vec<usize>,
    /// Rows in the file.
    pub rows_in_file: usize,
    /// The rows kept.
    pub halves: Halves,
}

/// The labelled patterns of an `.npz` (`patterns`, `two_theta`, `space_group`; Cu Kα, as the
/// RRUFF set is), the rows of `halves` only: those of a half need a `source_index` array;
/// `None` takes the reporting half when the file has one, else every row. Each space group is
/// checked to be 1–230.
pub fn labelled_npz(path: &Path, halves: Option<Halves>) -> Result<LabelledRows> {
    let d = xrd_io::Dataset::<f32>::read_npz(path)?;
    let source = d.label(SOURCE_INDEX);
    let halves = halves.unwrap_or(if source.is_some() {
        Halves::Reporting
    } else {
        Halves::All
    });
    let rows = match (halves.half(), source) {
        (None, _) => (0..d.len()).collect(),
        (Some(half), Some(source)) => half
            .rows(source.iter().copied())
            .map_err(|e| format!("{}: {e}", path.display()))?,
        (Some(half), None) => {
            return Err(format!(
                "{}: no `{SOURCE_INDEX}` array to split into halves by: --half {half} needs the \
                 RRUFF set's, or --half all",
                path.display()
            )
            .into());
        }
    };
    let groups = d
        .label("space_group")
        .ok_or_else(|| format!("{}: no `space_group` array", path.display()))?;
    let mut truth = Vec::with_capacity(rows.len());
    for &i in &rows {
        let g = groups[i];
        let group = (g.fract() == 0.0 && (0.0..=255.0).contains(&g)).then_some(g as u8);
        match group.filter(|&n| xrd_sim::CrystalSystem::from_space_group(n).is_ok()) {
            Some(n) => truth.push(n),
            None => {
                return Err(format!(
                    "{}: row {i}: space group {g} is not in 1–230",
                    path.display()
                )
                .into());
            }
        }
    }
    let patterns = rows
        .iter()
        .map(|&i| d.to_pattern(i, Some(xrd_io::Wavelength::CU_KA)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(LabelledRows {
        patterns,
        truth,
        rows,
        rows_in_file: d.len(),
        halves,
    })
}
