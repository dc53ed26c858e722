//! Jobs a front end keeps between calls (the Python bindings, the workbench): a job built from
//! the same options, and from library folders whose files have not changed since, is reused
//! with what it prepared (reference patterns, search state, a model).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

/// The last few jobs by their key, the oldest dropped first.
#[derive(Debug)]
pub struct Kept<J> {
    jobs: Mutex<Vec<(String, Arc<J>)>>,
    most: usize,
}

impl<J> Kept<J> {
    /// Keeps at most `most` jobs (at least one).
    pub const fn new(most: usize) -> Self {
        Kept {
            jobs: Mutex::new(Vec::new()),
            most: if most == 0 { 1 } else { most },
        }
    }

    /// The job kept under `key`, else the one `make` builds (kept). Two callers may build the
    /// same job at once; the first kept is the one both get next time.
    ///
    /// # Errors
    /// `make`'s.
    pub fn get_or_make<E>(
        &self,
        key: String,
        make: impl FnOnce() -> std::result::Result<J, E>,
    ) -> std::result::Result<Arc<J>, E> {
        if let Some(job) = self.get(&key) {
            return Ok(job);
        }
        let job = Arc::new(make()?);
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, kept)) = jobs.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(kept));
        }
        jobs.push((key, Arc::clone(&job)));
        if jobs.len() > self.most {
            jobs.remove(0);
        }
        Ok(job)
    }

    fn get(&self, key: &str) -> Option<Arc<J>> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.iter()
            .find(|(k, _)| k == key)
            .map(|(_, j)| Arc::clone(j))
    }
}

/// The key of a job: its options as JSON and the names, sizes and times of the files of its
/// library folders (or files), so that a folder changed since (a CIF added or edited) makes a
/// new job.
pub fn kept_key<O: serde::Serialize>(options: &O, folders: &[PathBuf]) -> String {
    let mut key = serde_json::to_string(options).unwrap_or_default();
    for path in folders {
        let stamp = |m: &std::fs::Metadata, name: &str| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{name}:{}:{t}", m.len())
        };
        let mut files: Vec<String> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some(stamp(&e.metadata().ok()?, &e.file_name().to_string_lossy())))
            .collect();
        if files.is_empty()
            && let Ok(m) = std::fs::metadata(path)
        {
            // A file given as the library, not a folder.
            files.push(stamp(&m, ""));
        }
        files.sort();
        key.push('|');
        key.push_str(&files.join(","));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_made_once_per_key_and_the_oldest_goes() {
        let kept: Kept<usize> = Kept::new(2);
        let made = std::cell::Cell::new(0);
        let make = |v: usize| {
            made.set(made.get() + 1);
            Ok::<_, ()>(v)
        };
        assert_eq!(*kept.get_or_make("a".into(), || make(1)).unwrap(), 1);
        assert_eq!(*kept.get_or_make("a".into(), || make(9)).unwrap(), 1);
        assert_eq!(made.get(), 1);
        kept.get_or_make("b".into(), || make(2)).unwrap();
        kept.get_or_make("c".into(), || make(3)).unwrap();
        // "a" was dropped: made again.
        assert_eq!(*kept.get_or_make("a".into(), || make(4)).unwrap(), 4);
        assert!(
            kept.get_or_make("d".into(), || Err::<usize, ()>(()))
                .is_err()
        );
    }

    #[test]
    fn a_changed_folder_changes_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let folders = vec![dir.path().to_path_buf()];
        let before = kept_key(&1, &folders);
        std::fs::write(dir.path().join("x.cif"), "data_x").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(kept_key(&1, &folders), before);
        assert_ne!(kept_key(&2, &folders), kept_key(&1, &folders));
    }
}
