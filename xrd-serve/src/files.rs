//! The files a workbench may read: the files and folders it was started with and its own
//! upload folder. Every path a request names is resolved against them and canonicalised;
//! anything that lands outside is refused.

use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// The name under which uploads are listed and addressed.
pub(crate) const UPLOADS: &str = "uploads";

/// How deep folders are listed, and how many files at most.
const MAX_DEPTH: usize = 3;
const MAX_FILES: usize = 5000;

/// One served root: a folder (its files below it) or a single file.
#[derive(Debug, Clone)]
struct Root {
    /// The first component of the names of its files.
    name: String,
    /// Canonical path.
    path: PathBuf,
    is_dir: bool,
}

/// The served roots and the upload folder.
#[derive(Debug)]
pub(crate) struct Served {
    roots: Vec<Root>,
    uploads: PathBuf,
}

/// Why a name does not resolve: not there (404) or outside the served folders (403).
#[derive(Debug)]
pub(crate) enum Denied {
    NotFound(String),
    Outside(String),
}

impl Served {
    /// The roots `paths` (each must exist) and `uploads` (created).
    pub fn new(paths: &[PathBuf], uploads: PathBuf) -> Result<Self> {
        let mut roots: Vec<Root> = Vec::new();
        for p in paths {
            let path = p.canonicalize().map_err(|source| Error::File {
                path: p.clone(),
                source,
            })?;
            let base = path
                .file_name()
                .map_or_else(|| "root".to_string(), |n| n.to_string_lossy().into_owned());
            // Two roots with one base name are told apart by a number.
            let mut name = base.clone();
            let mut k = 2;
            while name == UPLOADS || roots.iter().any(|r| r.name == name) {
                name = format!("{base}-{k}");
                k += 1;
            }
            roots.push(Root {
                name,
                is_dir: path.is_dir(),
                path,
            });
        }
        std::fs::create_dir_all(&uploads).map_err(|source| Error::File {
            path: uploads.clone(),
            source,
        })?;
        // Uploads are the user's files: readable by the user alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&uploads, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| Error::File {
                    path: uploads.clone(),
                    source,
                },
            )?;
        }
        let uploads = uploads.canonicalize().map_err(|source| Error::File {
            path: uploads.clone(),
            source,
        })?;
        Ok(Self { roots, uploads })
    }

    /// The upload folder.
    pub fn uploads(&self) -> &Path {
        &self.uploads
    }

    /// Every served file by name (`ROOT/relative/path`, `uploads/NAME`), sorted within a root.
    pub fn list(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.roots {
            if r.is_dir {
                let mut files = Vec::new();
                walk(&r.path, &r.path, 0, &mut files);
                files.sort();
                out.extend(files.into_iter().map(|f| format!("{}/{f}", r.name)));
            } else {
                out.push(r.name.clone());
            }
        }
        let mut up = Vec::new();
        walk(&self.uploads, &self.uploads, MAX_DEPTH, &mut up);
        up.sort();
        out.extend(up.into_iter().map(|f| format!("{UPLOADS}/{f}")));
        out.truncate(MAX_FILES);
        out
    }

    /// The canonical path of the served file `name`.
    pub fn resolve(&self, name: &str) -> std::result::Result<PathBuf, Denied> {
        self.resolve_inner(name, false)
    }

    /// The canonical path of the served file or folder `name` (a library folder).
    pub fn resolve_any(&self, name: &str) -> std::result::Result<PathBuf, Denied> {
        self.resolve_inner(name, true)
    }

    fn resolve_inner(&self, name: &str, dir_ok: bool) -> std::result::Result<PathBuf, Denied> {
        let name = name.replace('\\', "/");
        let (first, rest) = name.split_once('/').unwrap_or((name.as_str(), ""));
        let (base, is_dir) = if first == UPLOADS {
            (self.uploads.as_path(), true)
        } else {
            match self.roots.iter().find(|r| r.name == first) {
                Some(r) => (r.path.as_path(), r.is_dir),
                None => return Err(Denied::NotFound(format!("{name}: not a served file"))),
            }
        };
        let rel = Path::new(rest);
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(Denied::Outside(format!(
                "{name}: outside the served folders"
            )));
        }
        let joined = if is_dir {
            base.join(rel)
        } else if rest.is_empty() {
            base.to_path_buf()
        } else {
            return Err(Denied::NotFound(format!("{name}: not a served file")));
        };
        let canonical = joined
            .canonicalize()
            .map_err(|_| Denied::NotFound(format!("{name}: no such file")))?;
        // A symbolic link inside a served folder may still point out of it.
        if !canonical.starts_with(base) {
            return Err(Denied::Outside(format!(
                "{name}: outside the served folders"
            )));
        }
        if !(canonical.is_file() || dir_ok && canonical.is_dir()) {
            return Err(Denied::NotFound(format!("{name}: not a file")));
        }
        Ok(canonical)
    }

    /// The served name of the canonical path `path`, when it is one.
    pub fn name_of(&self, path: &Path) -> Option<String> {
        if let Ok(rel) = path.strip_prefix(&self.uploads) {
            return Some(format!("{UPLOADS}/{}", slash(rel)));
        }
        self.roots.iter().find_map(|r| {
            if r.is_dir {
                let rel = path.strip_prefix(&r.path).ok()?;
                Some(format!("{}/{}", r.name, slash(rel)))
            } else {
                (r.path == path).then(|| r.name.clone())
            }
        })
    }

    /// A fresh path in the upload folder for a file uploaded as `name` (its base name, made
    /// safe, numbered when taken).
    pub fn upload_path(&self, name: &str) -> PathBuf {
        let base = name.rsplit(['/', '\\']).next().unwrap_or("");
        let mut safe: String = base
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        safe = safe.trim_start_matches('.').to_string();
        if safe.is_empty() {
            safe = "upload".into();
        }
        let mut path = self.uploads.join(&safe);
        let mut k = 2;
        while path.exists() {
            path = self.uploads.join(format!("{k}_{safe}"));
            k += 1;
        }
        path
    }
}

fn slash(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Files below `dir` (relative, `/`-separated), hidden ones skipped, `depth` levels down.
fn walk(base: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if out.len() >= MAX_FILES {
            return;
        }
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            if depth < MAX_DEPTH {
                walk(base, &path, depth + 1, out);
            }
        } else if path.is_file()
            && let Ok(rel) = path.strip_prefix(base)
        {
            out.push(slash(rel));
        }
    }
}
