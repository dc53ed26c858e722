//! A chain of dense layers, and the builder that trains one as a direct regressor or classifier.

use ndarray::{Array2, ArrayBase, ArrayView2, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_core::Float;

use crate::dense::{check_input, forward_layers};
use crate::engine::{Engine, Gradients};
use crate::history::History;
use crate::{Adam, Dense, Error, Loss, Result};

/// A feed-forward network: dense layers applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Network<F> {
    pub(crate) layers: Vec<Dense<F>>,
    pub(crate) history: History,
}

impl<F: Float> Network<F> {
    /// A network from its layers; consecutive layers must fit together.
    pub fn new(layers: Vec<Dense<F>>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::param("layers", "a network needs at least one layer"));
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(Error::shape(
                    "layers",
                    format!(
                        "layer {} to take the {} outputs of layer {i}",
                        i + 1,
                        pair[0].outputs()
                    ),
                    format!("{} inputs", pair[1].inputs()),
                ));
            }
        }
        Ok(Network {
            layers,
            history: History::default(),
        })
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Dense<F>] {
        &self.layers
    }

    /// Number of inputs of the first layer.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, Dense::inputs)
    }

    /// Number of outputs of the last layer.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, Dense::outputs)
    }

    /// Number of trainable scalars.
    pub fn num_parameters(&self) -> usize {
        self.layers.iter().map(Dense::num_parameters).sum()
    }

    /// The losses of the training run that produced this network (empty if it was not trained).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Runs the whole network on a batch (batch × [`Network::inputs`]).
    ///
    /// # Panics
    /// If `x.ncols() != self.inputs()`; [`Network::predict`] checks instead.
    pub fn forward(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        forward_layers(&self.layers, x)
    }

    /// Runs `layers[first_layer..]` on `x`, which is the **output** (post-activation) of layer
    /// `first_layer − 1`, i.e. has `layers[first_layer].inputs()` columns. `first_layer == 0` is
    /// [`Network::forward`]; `first_layer == layers().len()` returns `x` unchanged.
    ///
    /// # Panics
    /// If `first_layer > layers().len()` or the column count does not match.
    pub fn forward_from(&self, first_layer: usize, x: ArrayView2<'_, F>) -> Array2<F> {
        forward_layers(&self.layers[first_layer..], x)
    }

    /// The mean `loss` of the batch `x` against targets `y` and its gradient with respect to every
    /// parameter, by the same hand-written backward pass that training uses.
    pub fn gradients<S1, S2>(
        &self,
        x: &ArrayBase<S1, Ix2>,
        y: &ArrayBase<S2, Ix2>,
        loss: Loss,
    ) -> Result<Gradients<F>>
    where
        S1: Data<Elem = F>,
        S2: Data<Elem = F>,
    {
        check_input(x.view(), self.inputs(), "input")?;
        check_input(y.view(), self.outputs(), "targets")?;
        if x.nrows() != y.nrows() || x.nrows() == 0 {
            return Err(Error::shape(
                "input and targets",
                format!("{} target rows (≥ 1)", x.nrows()),
                format!("{}", y.nrows()),
            ));
        }
        let mut engine = Engine::new(&self.layers, loss, Adam::default(), x.nrows());
        Ok(engine.gradients(&self.layers, x.view(), y.view()))
    }

    /// [`Network::gradients`] in training mode: every layer with dropout applies it, with masks
    /// drawn from a stream seeded by one `u64` of `rng`, in the order
    /// [`Network::forward_with_dropout`] draws them (so the same seed gives the same masks in
    /// both, e.g. for a central-difference check). [`Network::gradients`] is the inference
    /// network's gradient (no dropout).
    pub fn gradients_with_dropout<S1, S2, R>(
        &self,
        x: &ArrayBase<S1, Ix2>,
        y: &ArrayBase<S2, Ix2>,
        loss: Loss,
        rng: &mut R,
    ) -> Result<Gradients<F>>
    where
        S1: Data<Elem = F>,
        S2: Data<Elem = F>,
        R: Rng + ?Sized,
    {
        check_input(x.view(), self.inputs(), "input")?;
        check_input(y.view(), self.outputs(), "targets")?;
        if x.nrows() != y.nrows() || x.nrows() == 0 {
            return Err(Error::shape(
                "input and targets",
                format!("{} target rows (≥ 1)", x.nrows()),
                format!("{}", y.nrows()),
            ));
        }
        let mut engine = Engine::new(&self.layers, loss, Adam::default(), x.nrows())
            .with_dropout(rng.next_u64());
        Ok(engine.gradients(&self.layers, x.view(), y.view()))
    }

    /// The network's output in training mode: each layer with dropout zeroes its outputs with
    /// probability `rate` and scales the others by `1 / (1 − rate)`, with masks drawn from a
    /// stream seeded by one `u64` of `rng` (layer by layer, row by row), the masks training and
    /// [`Network::gradients_with_dropout`] draw from the same seed.
    pub fn forward_with_dropout<S, R>(
        &self,
        x: &ArrayBase<S, Ix2>,
        rng: &mut R,
    ) -> Result<Array2<F>>
    where
        S: Data<Elem = F>,
        R: Rng + ?Sized,
    {
        check_input(x.view(), self.inputs(), "input")?;
        let mut masks = Xoshiro256PlusPlus::seed_from_u64(rng.next_u64());
        let mut h = x.to_owned();
        for layer in &self.layers {
            h = layer.forward(h.view());
            if layer.dropout > 0.0 {
                let mut mask = vec![F::zero(); h.len()];
                crate::dropout::draw_mask(&mut masks, layer.dropout, &mut mask);
                for (v, m) in h.iter_mut().zip(mask) {
                    *v *= m;
                }
            }
        }
        Ok(h)
    }

    /// [`Network::forward`] with the input checked: wrong width or NaN/inf give errors.
    pub fn predict<S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<F>> {
        check_input(x.view(), self.inputs(), "input")?;
        Ok(self.forward(x.view()))
    }
}

impl<'a, F: Float, S: Data<Elem = F>> xrd_core::Predict<&'a ArrayBase<S, Ix2>, Array2<F>>
    for Network<F>
{
    type Error = Error;

    fn predict(&self, x: &'a ArrayBase<S, Ix2>) -> Result<Array2<F>> {
        Network::predict(self, x)
    }
}
