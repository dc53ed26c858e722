//! The error type of xrd-io.

/// Result alias of xrd-io.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading, checking or transforming a pattern.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A grid with a non-finite or non-positive step, or no points.
    #[error("invalid grid: start {start}, step {step}, {n} points (need finite values, step > 0, n ≥ 1)")]
    InvalidGrid {
        /// Requested start.
        start: f64,
        /// Requested step.
        step: f64,
        /// Requested number of points.
        n: usize,
    },
}
