//! The builder and serialisable configuration of a directly trained [`Network`].

use std::marker::PhantomData;

use ndarray::{ArrayBase, Data, Ix2};
use rand::Rng;
use serde::{Deserialize, Serialize};
use xrd_core::{Checked, Float, ParamGuard};

use crate::dense::check_input;
use crate::train::{Progress, TrainConfig, fit_layers};
use crate::{Activation, Dense, Error, Init, Loss, Network, Result};

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

xrd_core::param_guard!(Error => NetworkConfig);

impl NetworkConfig {
    /// Validates every field: at least one layer, no layer of 0 units, dropout rates in `[0, 1)`,
    /// and the training configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid field.
    pub fn check(&self) -> Result<()> {
        self.check_layers()?;
        for l in &self.layers {
            crate::dropout::check_rate("dropout", l.dropout)?;
        }
        self.train.check()
    }

    /// At least one layer and no layer of 0 units.
    fn check_layers(&self) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::param("layers", "add at least one layer"));
        }
        if let Some(i) = self.layers.iter().position(|l| l.units == 0) {
            return Err(Error::param("layers", format!("layer {i} has 0 units")));
        }
        Ok(())
    }
}

impl<F: Float> Network<F> {
    /// A builder for a network trained by [`NetworkParams::fit`].
    pub fn params() -> NetworkParams<F> {
        NetworkParams::default()
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

xrd_core::param_guard!(Error => [F: Float] NetworkParams<F>);

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

    crate::train::training_setters!();

    /// The configuration so far.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        self.config.check_layers()?;
        if self.orphan_dropout {
            return Err(Error::param(
                "dropout",
                "set before any layer (it applies to the layer added last)",
            ));
        }
        self.config.check()
    }

    /// A freshly initialised, untrained network for `inputs` inputs.
    pub fn build<R: Rng + ?Sized>(&self, inputs: usize, rng: &mut R) -> Result<Network<F>> {
        Self::initialise(&self.clone().into_checked()?, inputs, rng)
    }

    /// [`build`](Self::build) from checked parameters.
    fn initialise<R: Rng + ?Sized>(
        params: &Checked<Self>,
        inputs: usize,
        rng: &mut R,
    ) -> Result<Network<F>> {
        if inputs == 0 {
            return Err(Error::param("inputs", "must be ≥ 1"));
        }
        let mut layers = Vec::with_capacity(params.config.layers.len());
        let mut width = inputs;
        for spec in &params.config.layers {
            let (w, b) = params.config.init.draw::<F, R>(width, spec.units, rng)?;
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
        callback: impl FnMut(&Progress),
    ) -> Result<Network<F>>
    where
        S1: Data<Elem = F>,
        S2: Data<Elem = F>,
        R: Rng + ?Sized,
    {
        xrd_core::FitWith::fit_with(self, (x, y), rng, callback)
    }
}

impl<'a, 'b, F, S1, S2, R> xrd_core::FitWith<(&'a ArrayBase<S1, Ix2>, &'b ArrayBase<S2, Ix2>), R>
    for NetworkParams<F>
where
    F: Float,
    S1: Data<Elem = F>,
    S2: Data<Elem = F>,
    R: Rng + ?Sized,
{
    type Object = Network<F>;
    type Progress = Progress;

    /// Fits `data = (x, y)`: rows of `x` to rows of `y`; the fit of [`NetworkParams::fit`].
    fn fit_with_checked(
        params: &Checked<Self>,
        (x, y): (&'a ArrayBase<S1, Ix2>, &'b ArrayBase<S2, Ix2>),
        rng: &mut R,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Network<F>> {
        if x.nrows() != y.nrows() {
            return Err(Error::shape(
                "input and targets",
                format!("{} target rows", x.nrows()),
                format!("{}", y.nrows()),
            ));
        }
        check_input(x.view(), x.ncols(), "training inputs")?;
        let out = params.config.layers.last().map_or(0, |l| l.units);
        check_input(y.view(), out, "training targets")?;
        let mut net = NetworkParams::initialise(params, x.ncols(), rng)?;
        net.history = fit_layers(
            &mut net.layers,
            params.config.loss,
            &params.config.train,
            x.view(),
            Some(y.view()),
            rng,
            progress,
        )?;
        Ok(net)
    }
}
