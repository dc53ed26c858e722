//! Rust errors as Python exceptions: `OSError` (or `FileNotFoundError`) when a file could not be
//! read or written, `ValueError` for everything else; the message is the command line's.

use std::error::Error as StdError;

use pyo3::PyErr;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};

/// The Python exception of `e`, by the first operating-system error in its chain.
pub fn to_py(e: &(dyn StdError + 'static)) -> PyErr {
    let message = e.to_string();
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return if io.kind() == std::io::ErrorKind::NotFound {
                PyFileNotFoundError::new_err(message)
            } else {
                PyOSError::new_err(message)
            };
        }
        cause = c.source();
    }
    PyValueError::new_err(message)
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

/// A `ValueError` with `message`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}
