//! The files of a folder, as every folder-reading job of the workspace takes them.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The regular files directly in `dir` (not recursive), hidden ones (`.name`) left out, sorted
/// by path.
///
/// ```
/// let dir = std::env::temp_dir().join("xrd-io-doc-list-files");
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("b.xy"), "1 2\n").unwrap();
/// std::fs::write(dir.join(".hidden"), "").unwrap();
/// let files = xrd_io::list_files(&dir)?;
/// assert!(files.iter().all(|p| !p.ends_with(".hidden")));
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// [`Error::File`] when the folder cannot be listed.
pub fn list_files(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let io = |source| Error::File {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_file() && !hidden {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}
