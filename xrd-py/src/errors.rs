//! Rust errors as Python exceptions: one match over the crates' errors picks a class of
//! `xrd.errors` (all under `xrd.XrdError`, each also the built-in a Python user would catch:
//! `FileNotFoundError`, `PermissionError`, `OSError`, `ValueError`); the message is the command
//! line's.

use std::error::Error as StdError;
use std::io::ErrorKind;

use pyo3::PyErr;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The classes of `xrd.errors`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    InvalidInput,
    InvalidParameter,
    Format,
    Fit,
    FileNotFound,
    Permission,
    Os,
    Cancelled,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::InvalidInput => "InvalidInputError",
            Kind::InvalidParameter => "InvalidParameterError",
            Kind::Format => "FormatError",
            Kind::Fit => "FitError",
            Kind::FileNotFound => "XrdFileNotFoundError",
            Kind::Permission => "XrdPermissionError",
            Kind::Os => "XrdOSError",
            Kind::Cancelled => "CancelledError",
        }
    }
}

fn io_kind(e: &std::io::Error) -> Kind {
    match e.kind() {
        ErrorKind::NotFound => Kind::FileNotFound,
        ErrorKind::PermissionDenied => Kind::Permission,
        _ => Kind::Os,
    }
}

/// The class of one error of the chain, when its type says it.
fn kind_of(e: &(dyn StdError + 'static)) -> Option<Kind> {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return Some(io_kind(io));
    }
    if e.downcast_ref::<xrd_io::InvalidParameter>().is_some() {
        return Some(Kind::InvalidParameter);
    }
    if let Some(x) = e.downcast_ref::<xrd_io::Error>() {
        use xrd_io::Error as E;
        return Some(match x {
            E::File { source, .. } => io_kind(source),
            E::Syntax { .. }
            | E::Truncated { .. }
            | E::NoData { .. }
            | E::UnknownFormat { .. }
            | E::ColumnMismatch { .. }
            | E::TooLarge { .. }
            | E::Archive { .. }
            | E::Json(_) => Kind::Format,
            E::InvalidParameter(_) => Kind::InvalidParameter,
            _ => Kind::InvalidInput,
        });
    }
    if let Some(x) = e.downcast_ref::<xrd_jobs::Error>() {
        use xrd_jobs::Error as E;
        // As xrd-minerals' below: a wrapped error is classified by what it wraps.
        return match x {
            E::Cancelled => Some(Kind::Cancelled),
            E::FileNotFound { .. } => Some(Kind::FileNotFound),
            E::File { source, .. } => Some(io_kind(source)),
            E::Format { .. } => Some(Kind::Format),
            // A spec that names nothing is bad input, not an option out of range; a file it
            // names keeps its own class (missing, malformed).
            E::Spec { source, .. } => match kind_of(source.as_ref()) {
                None | Some(Kind::InvalidParameter) => Some(Kind::InvalidInput),
                k => k,
            },
            E::Refine(inner) => kind_of(inner.as_ref()),
            E::Minerals(inner) => kind_of(inner.as_ref()),
            E::Io(inner) => kind_of(inner),
            _ if x.invalid_parameter().is_some() => Some(Kind::InvalidParameter),
            _ => None,
        };
    }
    if let Some(x) = e.downcast_ref::<xrd_minerals::Error>() {
        use xrd_minerals::Error as E;
        // A wrapped error is transparent (its source is the wrapped one's source, not the
        // wrapped error itself): it is classified here.
        return match x {
            E::Refine(inner) => kind_of(inner),
            E::Io(inner) => kind_of(inner),
            _ if x.invalid_parameter().is_some() => Some(Kind::InvalidParameter),
            _ => None,
        };
    }
    if let Some(x) = e.downcast_ref::<xrd_refine::Error>() {
        use xrd_refine::Error as E;
        return match x {
            // Files named in a message: a missing one is a missing file.
            E::Instrument { path, .. } | E::Calibration { path, .. } if !path.exists() => {
                Some(Kind::FileNotFound)
            }
            E::Instrument { .. } | E::Calibration { .. } => Some(Kind::Format),
            E::Singular(_) => Some(Kind::Fit),
            E::InvalidParameter(_) => Some(Kind::InvalidParameter),
            // The wrapped crates' errors are classified by the chain.
            E::Sim(_) | E::Io(_) => None,
            _ => Some(Kind::InvalidInput),
        };
    }
    None
}

/// The class of `e`: the first error of its chain whose type says it, else bad input.
pub fn kind(e: &(dyn StdError + 'static)) -> Kind {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(k) = kind_of(c) {
            return k;
        }
        cause = c.source();
    }
    Kind::InvalidInput
}

/// An `xrd.errors` exception of class `kind` with `message`.
pub fn raise(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let made = py
            .import("xrd.errors")
            .and_then(|m| m.getattr(kind.class()))
            .and_then(|class| class.call1((message.clone(),)));
        match made {
            Ok(instance) => PyErr::from_value(instance),
            // The package's Python half missing (the bare extension module): a ValueError.
            Err(_) => PyValueError::new_err(message),
        }
    })
}

/// The Python exception of `e`.
pub fn to_py(e: &(dyn StdError + 'static)) -> PyErr {
    raise(kind(e), e.to_string())
}

/// `?` for the crates' results: `.py()?`.
pub trait IntoPyResult<T> {
    /// The result with its error as a Python exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T, E: StdError + 'static> IntoPyResult<T> for Result<T, E> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}

/// An `xrd.InvalidInputError` (a `ValueError`) with `message`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    raise(Kind::InvalidInput, message)
}
