//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in a job.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An option out of range, or one that names something the job does not have (a
    /// `standard` that is not one of the phases); `name` is the option's field.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_core::InvalidParameter),
    /// The job was stopped by its [`xrd_core::Control`] (what it already wrote is kept: a
    /// series resumes from it).
    #[error("cancelled")]
    Cancelled,
    /// A file the options name (a CIF, an instrument, a reference library, an order file) does
    /// not exist.
    #[error("{}: no such file", path.display())]
    FileNotFound {
        /// The file.
        path: PathBuf,
    },
    /// The operating system could not read or write a file.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file the job reads or resumes from that is malformed (an order CSV, a series' state).
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A phase spec (of the option `option`) that names no structure.
    #[error("{option} {text}: {source}")]
    Spec {
        /// The option (`phases`, `rir_bridge`).
        option: &'static str,
        /// The spec as given.
        text: String,
        /// Why it names none.
        source: Box<xrd_minerals::Error>,
    },
    /// Inputs that cannot make a job (no frame of a series could be read, a mixed fit without
    /// the library's corundum pattern).
    #[error("{0}")]
    Input(String),
    /// An error of xrd-io (pattern files).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
    /// An error of xrd-classify (the model, its stages).
    #[error(transparent)]
    Classify(Box<xrd_classify::Error>),
    /// An error of xrd-index (indexing).
    #[error(transparent)]
    Index(#[from] xrd_index::Error),
    /// An error of xrd-sim (structures, simulation).
    #[error(transparent)]
    Sim(#[from] xrd_sim::Error),
    /// An error of xrd-minerals (libraries, phase specs, identification).
    #[error(transparent)]
    Minerals(Box<xrd_minerals::Error>),
    /// A refinement failed (see [`xrd_refine::Error`]).
    #[error(transparent)]
    Refine(Box<xrd_refine::Error>),
}

// A refinement cancelled inside another crate's work is this crate's Cancelled, the one
// variant a front end renders as "cancelled".
impl From<xrd_minerals::Error> for Error {
    fn from(e: xrd_minerals::Error) -> Self {
        match e {
            xrd_minerals::Error::Refine(r) => r.into(),
            e => Error::Minerals(Box::new(e)),
        }
    }
}

impl From<xrd_refine::Error> for Error {
    fn from(e: xrd_refine::Error) -> Self {
        match e {
            xrd_refine::Error::Cancelled(_) => Error::Cancelled,
            e => Error::Refine(Box::new(e)),
        }
    }
}

impl From<xrd_classify::Error> for Error {
    fn from(e: xrd_classify::Error) -> Self {
        Error::Classify(Box::new(e))
    }
}

impl From<xrd_core::Cancelled> for Error {
    fn from(_: xrd_core::Cancelled) -> Self {
        Error::Cancelled
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::param(name, reason)
}

/// `path` must exist: [`Error::FileNotFound`] otherwise (the same error on every path of every
/// front end, before a reader's own message).
pub(crate) fn existing(path: &std::path::Path) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::FileNotFound {
            path: path.to_path_buf(),
        })
    }
}

xrd_core::shared_errors!(Error, wraps Io, Classify, Index, Sim, Minerals, Refine);
