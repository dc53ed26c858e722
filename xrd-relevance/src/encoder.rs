//! What the generic path needs from an encoder: a batch of patterns in, latent points out.

use ndarray::{Array2, ArrayView2};
use xrd_io::Float;

use crate::{Error, Result};

/// Anything that maps a batch of patterns (batch × points) to latent points (batch × latent).
///
/// Implemented for every closure `Fn(ArrayView2<F>) -> Result<Array2<F>, E>` whose error converts
/// into [`Error`] (use [`Error::encoder`] for foreign error types), and for `xrd_ae`'s trained
/// models. The generic relevance path only calls [`Encoder::encode_batch`], so any model — a
/// PyTorch export, a PCA, a hand-written projection — can be scored.
///
/// The rows of one call are independent: an encoder must give every row the same latent point
/// whichever batch it is in (no batch normalisation in training mode).
pub trait Encoder<F: Float> {
    /// Encodes every row of `x`; the result has one row per input row.
    ///
    /// # Errors
    /// Whatever the encoder reports (shape mismatch with its input layer, …).
    fn encode_batch(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>>;
}

impl<F, T, E> Encoder<F> for T
where
    F: Float,
    T: Fn(ArrayView2<'_, F>) -> Result<Array2<F>, E>,
    E: Into<Error>,
{
    fn encode_batch(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self(x).map_err(Into::into)
    }
}
