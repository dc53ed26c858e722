//! Where in an input a problem was found.

use std::fmt;

/// Where in an input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// Nowhere in particular (the whole input).
    Whole,
    /// A 1-based line of a text file.
    Line(usize),
    /// A 0-based byte offset of a binary file.
    Byte(u64),
    /// A 0-based data point of a pattern or slice.
    Point(usize),
    /// A 0-based cell of a matrix.
    Cell {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Whole => f.write_str("input"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Byte(n) => write!(f, "byte {n}"),
            Location::Point(n) => write!(f, "point {n}"),
            Location::Cell { row, col } => write!(f, "row {row}, column {col}"),
        }
    }
}
