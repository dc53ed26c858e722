//! The error type of xrd-io.

use std::path::PathBuf;

use crate::InvalidParameter;

/// Result alias of xrd-io.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use xrd_core::Location;

/// Name shown for inputs that have no file name (e.g. [`crate::read_bytes`] without a hint).
pub(crate) const NO_FILE: &str = "<memory>";

/// Everything that can go wrong reading, checking or transforming a pattern.
///
/// Errors about an input carry the file name (`file`), the [`Location`] in it and what was expected,
/// so a message such as `scan.xy: line 12: expected a number, found "1,2.3"` points at the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A grid with a non-finite or non-positive step, or no points.
    #[error(
        "invalid grid: start {start}, step {step}, {n} points (need finite values, step > 0, n ≥ 1)"
    )]
    InvalidGrid {
        /// Requested start.
        start: f64,
        /// Requested step.
        step: f64,
        /// Requested number of points.
        n: usize,
    },
    /// The operating system could not read or write a file.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input does not follow its format's layout.
    #[error("{file}: {at}: expected {expected}, found {found}")]
    Syntax {
        /// File name.
        file: String,
        /// Where.
        at: Location,
        /// What the format requires there.
        expected: String,
        /// What was there instead (shortened).
        found: String,
    },
    /// The input ends before its format says it should.
    #[error("{file}: truncated at {at}: expected {expected}")]
    Truncated {
        /// File name.
        file: String,
        /// Where the data stops.
        at: Location,
        /// What was still missing.
        expected: String,
    },
    /// `file#k` asked for a pattern the file does not hold (see [`crate::read`]).
    #[error("{}: no pattern {number} (the file holds {count}, numbered from 1)", path.display())]
    NoSuchPattern {
        /// The file.
        path: PathBuf,
        /// The pattern asked for (from 1).
        number: usize,
        /// Patterns in the file.
        count: usize,
    },
    /// The input holds no data points.
    #[error("{file}: no data points found (expected {expected})")]
    NoData {
        /// File name.
        file: String,
        /// What a data point looks like in this format.
        expected: String,
    },
    /// The content matches no supported format.
    #[error("{file}: unknown format ({reason})")]
    UnknownFormat {
        /// File name.
        file: String,
        /// Why detection failed.
        reason: String,
    },
    /// A value that must be finite is NaN or infinite.
    #[error("{file}: {at}: {what} is {value} (expected a finite number)")]
    NonFinite {
        /// File name, or `<memory>`.
        file: String,
        /// Where.
        at: Location,
        /// Which quantity (`"2θ"`, `"intensity"`, `"sigma"`, …).
        what: &'static str,
        /// The offending value.
        value: f64,
    },
    /// 2θ does not strictly increase.
    #[error(
        "{file}: {at}: 2θ = {value} does not exceed the previous 2θ = {previous} (expected strictly increasing)"
    )]
    NonMonotonic {
        /// File name, or `<memory>`.
        file: String,
        /// Where.
        at: Location,
        /// The previous 2θ.
        previous: f64,
        /// The offending 2θ.
        value: f64,
    },
    /// Sequences or arrays whose lengths or shapes do not fit together.
    #[error(transparent)]
    ShapeMismatch(#[from] crate::ShapeMismatch),
    /// A row of a column file has a different number of columns than the rows before it.
    #[error("{file}: {at}: expected {expected} columns, found {found}")]
    ColumnMismatch {
        /// File name.
        file: String,
        /// Where.
        at: Location,
        /// Columns of the first data row.
        expected: usize,
        /// Columns of this row.
        found: usize,
    },
    /// A value lies outside the domain a computation accepts (e.g. a negative intensity for the
    /// Jensen–Shannon divergence).
    #[error("{what}: {at} is {value} (expected {expected})")]
    OutOfDomain {
        /// Which computation.
        what: &'static str,
        /// Where.
        at: Location,
        /// The offending value.
        value: f64,
        /// The accepted domain.
        expected: &'static str,
    },
    /// A computation is undefined for its input (an all-zero or constant pattern, empty slices, …).
    #[error("{what} is undefined: {reason}")]
    Degenerate {
        /// Which computation.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A grid point lies outside the measured 2θ range under [`crate::OutOfRange::Error`].
    #[error("grid 2θ = {two_theta} lies outside the measured range {min}..={max}")]
    OutsideRange {
        /// The grid position.
        two_theta: f64,
        /// First measured 2θ.
        min: f64,
        /// Last measured 2θ.
        max: f64,
    },
    /// A parameter is outside its valid range.
    #[error(transparent)]
    InvalidParameter(#[from] InvalidParameter),
    /// An archive-based file (RASX, BRML) would decompress beyond the safety limit.
    #[error("{file}: member {member} exceeds the decompression limit of {limit} bytes")]
    TooLarge {
        /// File name.
        file: String,
        /// Archive member.
        member: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// An archive-based file (RASX, BRML) is not a readable zip archive or lacks a member.
    #[error("{file}: {message}")]
    Archive {
        /// File name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

// Used by the readers only.
#[cfg(feature = "formats")]
impl Error {
    /// Replaces the `<memory>` file name of a validation error with `file`.
    pub(crate) fn in_file(self, file: &str) -> Self {
        match self {
            Error::NonFinite {
                file: f,
                at,
                what,
                value,
            } if f == NO_FILE => Error::NonFinite {
                file: file.to_owned(),
                at,
                what,
                value,
            },
            Error::NonMonotonic {
                file: f,
                at,
                previous,
                value,
            } if f == NO_FILE => Error::NonMonotonic {
                file: file.to_owned(),
                at,
                previous,
                value,
            },
            other => other,
        }
    }

    /// Maps a [`Location::Point`] to the location of that point in the file (e.g. its line).
    pub(crate) fn locate(self, map: impl Fn(usize) -> Location) -> Self {
        let fix = |at: Location| match at {
            Location::Point(i) => map(i),
            other => other,
        };
        match self {
            Error::NonFinite {
                file,
                at,
                what,
                value,
            } => Error::NonFinite {
                file,
                at: fix(at),
                what,
                value,
            },
            Error::NonMonotonic {
                file,
                at,
                previous,
                value,
            } => Error::NonMonotonic {
                file,
                at: fix(at),
                previous,
                value,
            },
            Error::OutOfDomain {
                what,
                at,
                value,
                expected,
            } => Error::OutOfDomain {
                what,
                at: fix(at),
                value,
                expected,
            },
            other => other,
        }
    }
}

/// Shortens `s` for an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = s.chars().take(MAX).collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    format!("{out:?}")
}

/// The `reason` of an [`Error::InvalidParameter`]: the value given and what was expected.
pub(crate) fn reason(value: impl std::fmt::Display, expected: &str) -> String {
    format!("{value} (expected {expected})")
}

#[cfg(test)]
pub(crate) use xrd_core::refused;

crate::shared_errors!(Error, shape);

/// The common ground's errors (coverage curves) as xrd-io's: the same payloads.
impl From<xrd_core::Error> for Error {
    fn from(e: xrd_core::Error) -> Self {
        match e {
            xrd_core::Error::InvalidParameter(p) => Error::InvalidParameter(p),
            xrd_core::Error::ShapeMismatch(s) => Error::ShapeMismatch(s),
            xrd_core::Error::NonFinite(n) => Error::NonFinite {
                file: NO_FILE.into(),
                at: n.at,
                what: n.what,
                value: n.value,
            },
            other => Error::InvalidParameter(InvalidParameter::new("input", other.to_string())),
        }
    }
}
