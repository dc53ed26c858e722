//! What every feature space offers: patterns in, low-dimensional points out, and back.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use xrd_core::Float;

use crate::dense::check_input;
use crate::{Autoencoder, Error, Result};

/// A learned map between patterns (`inputs` values each) and points of a `latent`-dimensional
/// feature space, with a map back. Implemented by the [`Autoencoder`] and by the linear baseline
/// [`Pca`](crate::Pca), so that estimation, relevance and generation work with either and can be
/// compared on the same splits.
///
/// Rows are independent: a row's point does not depend on the other rows of the batch.
pub trait FeatureSpace<F: Float> {
    /// Short name for reports (`"autoencoder"`, `"pca"`).
    fn name(&self) -> &'static str;

    /// Width of a pattern.
    fn inputs(&self) -> usize;

    /// Dimension of the feature space.
    fn latent(&self) -> usize;

    /// Encodes a batch of patterns (n × inputs) to feature-space points (n × latent).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong width, [`Error::NonFinite`] for NaN/∞ values.
    fn encode(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>>;

    /// Decodes feature-space points (n × latent) to patterns (n × inputs).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for a wrong width, [`Error::NonFinite`] for NaN/∞ values.
    fn decode(&self, z: ArrayView2<'_, F>) -> Result<Array2<F>>;

    /// Decodes one point (`latent` values); implementations may take a faster path than a
    /// one-row batch.
    ///
    /// # Errors
    /// As [`decode`](Self::decode).
    fn decode_point(&self, z: &[F]) -> Result<Array1<F>> {
        let z = ArrayView2::from_shape((1, z.len()), z).map_err(|e| {
            Error::shape(
                "latent point",
                format!("1 × {}", self.latent()),
                e.to_string(),
            )
        })?;
        Ok(self.decode(z)?.index_axis_move(Axis(0), 0))
    }

    /// Encodes then decodes a batch of patterns.
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    fn reconstruct(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        let z = self.encode(x)?;
        self.decode(z.view())
    }

    /// The mean squared reconstruction error of every row of `x`: how far each pattern lies
    /// from what the feature space can represent (a pattern unlike the training patterns is
    /// reconstructed worse).
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    fn reconstruction_errors(&self, x: ArrayView2<'_, F>) -> Result<Vec<f64>> {
        let r = self.reconstruct(x)?;
        let width = x.ncols().max(1) as f64;
        Ok(x.rows()
            .into_iter()
            .zip(r.rows())
            .map(|(a, b)| {
                a.iter()
                    .zip(b)
                    .map(|(&u, &v)| (u.as_f64() - v.as_f64()).powi(2))
                    .sum::<f64>()
                    / width
            })
            .collect())
    }

    /// The mean squared reconstruction error over all of `x` (the mean of
    /// [`reconstruction_errors`](Self::reconstruction_errors); NaN for no rows).
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    fn reconstruction_mse(&self, x: ArrayView2<'_, F>) -> Result<f64> {
        let e = self.reconstruction_errors(x)?;
        Ok(e.iter().sum::<f64>() / e.len() as f64)
    }
}

impl<F: Float> FeatureSpace<F> for Autoencoder<F> {
    fn name(&self) -> &'static str {
        "autoencoder"
    }

    fn inputs(&self) -> usize {
        Autoencoder::inputs(self)
    }

    fn latent(&self) -> usize {
        Autoencoder::latent(self)
    }

    fn encode(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Autoencoder::encode(self, &x)
    }

    fn decode(&self, z: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Autoencoder::decode(self, &z)
    }

    /// The decoder's layers as matrix–vector products with eight independent accumulators per
    /// row (vectorised by the compiler): for one point several times faster than a one-row
    /// matrix product.
    fn decode_point(&self, z: &[F]) -> Result<Array1<F>> {
        let z2 = ArrayView2::from_shape((1, z.len()), z).map_err(|e| {
            Error::shape(
                "latent point",
                format!("1 × {}", Autoencoder::latent(self)),
                e.to_string(),
            )
        })?;
        check_input(z2, Autoencoder::latent(self), "latent points")?;
        let mut h = Array1::from(z.to_vec());
        for layer in self.decoder().layers() {
            let w = layer.weight();
            let mut pre = layer.bias().to_owned();
            match (w.as_slice(), h.as_slice()) {
                (Some(ws), Some(hs)) if w.ncols() == hs.len() && !hs.is_empty() => {
                    for (o, row) in pre.iter_mut().zip(ws.chunks_exact(hs.len())) {
                        *o += dot(row, hs);
                    }
                }
                _ => pre += &w.dot(&h),
            }
            let mut pre = pre.insert_axis(Axis(0));
            layer.activate(pre.view_mut());
            h = pre.index_axis_move(Axis(0), 0);
        }
        Ok(h)
    }
}

/// Dot product with eight independent partial sums (lets the compiler vectorise it).
fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    let mut acc = [F::zero(); 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: F = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(&x, &y)| x * y)
        .fold(F::zero(), |s, v| s + v);
    for (x, y) in ac.zip(bc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().fold(tail, |s, &v| s + v)
}
