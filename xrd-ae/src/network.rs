//! A chain of dense layers, and the builder that trains one as a direct regressor or classifier.

use std::marker::PhantomData;

use ndarray::{Array2, ArrayBase, ArrayView2, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use xrd_io::Float;

use crate::dense::first_non_finite;
use crate::engine::{Engine, Gradients};
use crate::train::{History, Progress, TrainConfig, fit_layers};
use crate::{Activation, Adam, Dense, EarlyStopping, Error, Init, Loss, Result};

/// A feed-forward network: dense layers applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Network<F> {
    pub(crate) layers: Vec<Dense<F>>,
    pub(crate) history: History,
}

/// Runs `layers` on a batch.
pub(crate) fn forward_layers<F: Float>(layers: &[Dense<F>], x: ArrayView2<'_, F>) -> Array2<F> {
    let mut layers = layers.iter();
    let Some(first) = layers.next() else {
        return x.to_owned();
    };
    let mut h = first.forward(x);
    for layer in layers {
        h = layer.forward(h.view());
    }
    h
}

impl<F: Float> Network<F> {
    /// A builder for a network trained by [`NetworkParams::fit`].
    pub fn params() -> NetworkParams<F> {
        NetworkParams::default()
    }

    /// A network from its layers; consecutive layers must fit together.
    pub fn new(layers: Vec<Dense<F>>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::param("layers", "a network needs at least one layer"));
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(Error::shape(
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

/// Checks the width and finiteness of an input batch.
pub(crate) fn check_input<F: Float>(
    x: ArrayView2<'_, F>,
    width: usize,
    what: &'static str,
) -> Result<()> {
    if x.ncols() != width {
        return Err(Error::shape(
            format!("{width} columns"),
            format!("{} × {}", x.nrows(), x.ncols()),
        ));
    }
    if let Some((row, col)) = first_non_finite(x) {
        return Err(Error::NonFinite { what, row, col });
    }
    Ok(())
}

/// One layer of a [`NetworkParams`] network: its width, activation and dropout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    /// Number of units (outputs).
    pub units: usize,
    /// Activation after the affine map.
    pub activation: Activation,
    /// Dropout rate after the activation in training, in `[0, 1)` (default 0: none); see
    /// [`Dense::with_dropout`].
    #[serde(default)]
    pub dropout: f64,
}

/// The configuration of a [`Network`] trained directly (regression or classification), serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkConfig {
    /// The layers after the input (the input width comes from the data). Default: none (must be set).
    pub layers: Vec<LayerSpec>,
    /// Initialisation (default [`Init::Torch`]).
    pub init: Init,
    /// Loss (default [`Loss::Mse`]).
    pub loss: Loss,
    /// Minibatches, epochs, validation, early stopping and Adam.
    pub train: TrainConfig,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            layers: Vec::new(),
            init: Init::Torch,
            loss: Loss::Mse,
            train: TrainConfig::default(),
        }
    }
}

/// Builder of a directly trained [`Network`] (e.g. composition → pattern with [`Loss::Pearson`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkParams<F> {
    config: NetworkConfig,
    /// [`NetworkParams::dropout`] was called before any layer.
    orphan_dropout: bool,
    _float: PhantomData<F>,
}

impl<F> Default for NetworkParams<F> {
    fn default() -> Self {
        NetworkParams {
            config: NetworkConfig::default(),
            orphan_dropout: false,
            _float: PhantomData,
        }
    }
}

impl<F: Float> NetworkParams<F> {
    /// Builder from a whole configuration.
    pub fn from_config(config: NetworkConfig) -> Self {
        NetworkParams {
            config,
            orphan_dropout: false,
            _float: PhantomData,
        }
    }

    /// Appends a layer of `units` outputs with `activation` (no dropout).
    pub fn layer(mut self, units: usize, activation: Activation) -> Self {
        self.config.layers.push(LayerSpec {
            units,
            activation,
            dropout: 0.0,
        });
        self
    }

    /// Sets the dropout rate (in `[0, 1)`) after the activation of the layer added last — PyTorch
    /// `nn.Dropout(rate)` after it in an `nn.Sequential`; applied in training only.
    pub fn dropout(mut self, rate: f64) -> Self {
        match self.config.layers.last_mut() {
            Some(l) => l.dropout = rate,
            None => self.orphan_dropout = true,
        }
        self
    }

    /// Sets the initialisation.
    pub fn init(mut self, init: Init) -> Self {
        self.config.init = init;
        self
    }

    /// Sets the loss.
    pub fn loss(mut self, loss: Loss) -> Self {
        self.config.loss = loss;
        self
    }

    /// Sets the whole training configuration.
    pub fn train(mut self, train: TrainConfig) -> Self {
        self.config.train = train;
        self
    }

    /// Sets the minibatch size.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config.train.batch_size = n;
        self
    }

    /// Sets the number of epochs.
    pub fn epochs(mut self, n: usize) -> Self {
        self.config.train.epochs = n;
        self
    }

    /// Sets the validation fraction.
    pub fn validation_fraction(mut self, f: f64) -> Self {
        self.config.train.validation_fraction = f;
        self
    }

    /// Enables early stopping.
    pub fn early_stopping(mut self, es: EarlyStopping) -> Self {
        self.config.train.early_stopping = Some(es);
        self
    }

    /// Sets the optimiser.
    pub fn optimizer(mut self, adam: Adam) -> Self {
        self.config.train.optimizer = adam;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        if self.config.layers.is_empty() {
            return Err(Error::param("layers", "add at least one layer"));
        }
        if let Some(i) = self.config.layers.iter().position(|l| l.units == 0) {
            return Err(Error::param("layers", format!("layer {i} has 0 units")));
        }
        if self.orphan_dropout {
            return Err(Error::param(
                "dropout",
                "set before any layer (it applies to the layer added last)",
            ));
        }
        for l in &self.config.layers {
            crate::dropout::check_rate("dropout", l.dropout)?;
        }
        self.config.train.check()
    }

    /// A freshly initialised, untrained network for `inputs` inputs.
    pub fn build<R: Rng + ?Sized>(&self, inputs: usize, rng: &mut R) -> Result<Network<F>> {
        self.check()?;
        if inputs == 0 {
            return Err(Error::param("inputs", "must be ≥ 1"));
        }
        let mut layers = Vec::with_capacity(self.config.layers.len());
        let mut width = inputs;
        for spec in &self.config.layers {
            let (w, b) = self.config.init.draw::<F, R>(width, spec.units, rng);
            layers.push(Dense::new(w, b, spec.activation)?.with_dropout(spec.dropout)?);
            width = spec.units;
        }
        Network::new(layers)
    }

    /// Initialises a network from `rng` and trains it to map rows of `x` to rows of `y`, reporting
    /// every epoch to `callback`.
    pub fn fit<S1, S2, R>(
        &self,
        x: &ArrayBase<S1, Ix2>,
        y: &ArrayBase<S2, Ix2>,
        rng: &mut R,
        mut callback: impl FnMut(&Progress),
    ) -> Result<Network<F>>
    where
        S1: Data<Elem = F>,
        S2: Data<Elem = F>,
        R: Rng + ?Sized,
    {
        self.check()?;
        if x.nrows() != y.nrows() {
            return Err(Error::shape(
                format!("{} target rows", x.nrows()),
                format!("{}", y.nrows()),
            ));
        }
        check_input(x.view(), x.ncols(), "training inputs")?;
        let out = self.config.layers.last().map_or(0, |l| l.units);
        check_input(y.view(), out, "training targets")?;
        let mut net = self.build(x.ncols(), rng)?;
        net.history = fit_layers(
            &mut net.layers,
            self.config.loss,
            &self.config.train,
            x.view(),
            Some(y.view()),
            rng,
            &mut callback,
        )?;
        Ok(net)
    }
}
