//! xrd-ae's networks and PCA as encoders: generic path through their forward pass, fast path through
//! their first layer.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use xrd_ae::{Autoencoder, FeatureSpace, Network, Pca};
use xrd_io::Float;

use crate::{Encoder, LayeredEncoder, Result};

impl<F: Float> Encoder<F> for Network<F> {
    fn encode_batch(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Ok(self.predict(&x)?)
    }
}

impl<F: Float> Encoder<F> for Autoencoder<F> {
    fn encode_batch(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Ok(self.encode(&x)?)
    }
}

impl<F: Float> LayeredEncoder<F> for Network<F> {
    fn first_weight(&self) -> ArrayView2<'_, F> {
        // `Network::new` rejects empty networks, so the first layer exists.
        self.layers()[0].weight()
    }

    fn first_bias(&self) -> ArrayView1<'_, F> {
        self.layers()[0].bias()
    }

    fn first_activate(&self, pre: ArrayViewMut2<'_, F>) {
        self.layers()[0].activate(pre);
    }

    fn forward_rest(&self, hidden: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Ok(self.forward_from(1, hidden))
    }
}

impl<F: Float> LayeredEncoder<F> for Autoencoder<F> {
    fn first_weight(&self) -> ArrayView2<'_, F> {
        self.encoder().first_weight()
    }

    fn first_bias(&self) -> ArrayView1<'_, F> {
        self.encoder().first_bias()
    }

    fn first_activate(&self, pre: ArrayViewMut2<'_, F>) {
        self.encoder().first_activate(pre);
    }

    fn forward_rest(&self, hidden: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.encoder().forward_rest(hidden)
    }
}

impl<F: Float> Encoder<F> for Pca<F> {
    fn encode_batch(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Ok(FeatureSpace::encode(self, x)?)
    }
}

/// A PCA is one dense identity layer `Vx − Vμ`, so the exact fast path applies to it as is.
impl<F: Float> LayeredEncoder<F> for Pca<F> {
    fn first_weight(&self) -> ArrayView2<'_, F> {
        self.components()
    }

    fn first_bias(&self) -> ArrayView1<'_, F> {
        self.offset().view()
    }

    fn first_activate(&self, _pre: ArrayViewMut2<'_, F>) {}

    fn forward_rest(&self, hidden: ArrayView2<'_, F>) -> Result<Array2<F>> {
        Ok(hidden.to_owned())
    }
}
