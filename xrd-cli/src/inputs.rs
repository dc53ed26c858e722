//! The input files of a job's command line.

use std::path::{Path, PathBuf};

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

/// The labelled patterns of an `.npz` (`patterns`, `two_theta`, `space_group`; Cu Kα, as the
/// RRUFF set is): the patterns and their space groups, each checked to be 1–230.
pub fn labelled_npz(path: &Path) -> Result<(Vec<xrd_io::Pattern>, Vec<u8>)> {
    let d = xrd_io::Dataset::<f32>::read_npz(path)?;
    let groups = d
        .label("space_group")
        .ok_or_else(|| format!("{}: no `space_group` array", path.display()))?;
    let mut truth = Vec::with_capacity(d.len());
    for (i, &g) in groups.iter().enumerate() {
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
    let patterns = (0..d.len())
        .map(|i| d.to_pattern(i, Some(xrd_io::Wavelength::CU_KA)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((patterns, truth))
}
