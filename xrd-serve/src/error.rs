//! The crate's error type.

use thiserror::Error;

/// What can stop the server from starting or running.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A served file or folder does not exist or cannot be read.
    #[error("{}: {source}", path.display())]
    File {
        /// The path.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An option out of range (`max_upload` of 0, an empty host).
    #[error("{name}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
