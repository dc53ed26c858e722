//! Files written atomically: into a temporary file in the same folder, flushed to disk, then
//! renamed over the target, so that readers never see a half-written file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent saves within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates `path` atomically: `fill` writes a new temporary file in the same folder (whose path
/// it gets, for error messages), which is then flushed to disk and renamed over `path`. On any
/// error the temporary file is removed and `path` is left as it was. `file_error` turns an
/// operating-system error on a named file into the caller's error type.
///
/// # Errors
/// `fill`'s error, or `file_error` of the failed creation, flush or rename.
pub fn atomically<E>(
    path: &Path,
    fill: impl FnOnce(&mut File, &Path) -> Result<(), E>,
    file_error: impl Fn(&Path, std::io::Error) -> E,
) -> Result<(), E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| file_error(&temp, e))?;
        fill(&mut file, &temp)?;
        file.sync_all().map_err(|e| file_error(&temp, e))?;
        fs::rename(&temp, path).map_err(|e| file_error(path, e))
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to `path` atomically (see [`atomically`]). The workspace's one atomic writer
/// of whole files: the model files of xrd-ae and xrd-classify go through it.
///
/// The signature is `std::fs::write`'s, so that a crate with its own error type wraps the
/// `io::Error` as it wraps its reads' (e.g. xrd-ae's `Error::File { path, source }`).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("xrd-core-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("model.bin");
/// xrd_core::write_atomic(&path, b"weights")?;
/// assert_eq!(std::fs::read(&path)?, b"weights");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// The operating system's error, its message naming the temporary file or `path`; `path` is
/// then left as it was.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> std::io::Result<()> {
    atomically(
        path.as_ref(),
        |file, temp| file.write_all(bytes).map_err(|e| named(temp, e)),
        named,
    )
}

/// `e` with `path` in its message, its kind kept.
fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"old").unwrap();
        let err = atomically(
            &path,
            |file, _| {
                file.write_all(b"half").unwrap();
                Err("refused")
            },
            |_, _| "io",
        );
        assert_eq!(err, Err("refused"));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }

    #[test]
    fn a_missing_folder_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/out.txt");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("no/such/folder"), "{err}");
    }
}
