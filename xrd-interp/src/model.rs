//! The interface every pattern model shares: composition in, pattern on the training grid out.

use ndarray::Array1;
use xrd_io::{Float, Grid};

use crate::Result;

/// A model that produces a powder pattern for a composition: contour decoding
/// ([`Generator`](crate::Generator)) and the baselines ([`NearestMean`](crate::NearestMean),
/// [`LinearBlend`](crate::LinearBlend), [`DirectRegressor`](crate::DirectRegressor)).
pub trait PatternModel<F: Float> {
    /// Short name for tables (e.g. `"contour"`).
    fn name(&self) -> &'static str;

    /// The 2θ grid of the produced patterns (the training grid).
    fn grid(&self) -> &Grid;

    /// Number of composition components (label columns of the training data).
    fn components(&self) -> usize;

    /// The pattern for `composition` (one value per component, in the order of the training
    /// data's label columns).
    ///
    /// # Errors
    /// [`Error::InvalidComposition`](crate::Error::InvalidComposition) for a wrong length or
    /// non-finite values; model-specific errors when the composition cannot be served (e.g.
    /// [`Error::NotReachable`](crate::Error::NotReachable)).
    fn predict(&self, composition: &[f64]) -> Result<Array1<F>>;
}
