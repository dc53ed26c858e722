//! The input files of a job's command line.

use std::path::PathBuf;

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
