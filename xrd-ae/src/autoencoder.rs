//! The autoencoder of the paper: an encoder to a small latent space and a mirrored decoder.

use std::marker::PhantomData;

use ndarray::{Array2, ArrayBase, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use xrd_core::{Checked, Float, ParamGuard};

use crate::dense::check_input;
use crate::history::History;
use crate::train::{Progress, TrainConfig, fit_layers};
use crate::{Activation, Dense, Error, Init, Loss, Network, Result};

/// Number of input points of the paper's patterns (2θ = 0…119.99°, step 0.01°).
pub const PAPER_INPUTS: usize = 11_900;

/// The architecture and training of an [`Autoencoder`], serialisable (it is stored in the
/// safetensors metadata). Defaults are the paper's network and training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoencoderConfig {
    /// Widths of the encoder's hidden layers, input side first; the decoder mirrors them
    /// (default `[128, 64, 12]`).
    pub hidden: Vec<usize>,
    /// Width of the bottleneck / feature space (default 2).
    pub latent: usize,
    /// Activation of every hidden layer, encoder and decoder (default ReLU).
    pub hidden_activation: Activation,
    /// Activation of the bottleneck layer, the encoder's last (default tanh).
    pub latent_activation: Activation,
    /// Activation of the decoder's output layer (default identity).
    pub output_activation: Activation,
    /// Initialisation (default [`Init::Torch`], PyTorch's `nn.Linear` default).
    pub init: Init,
    /// Reconstruction loss (default [`Loss::Mse`]).
    pub loss: Loss,
    /// Minibatches (10), epochs (1000), validation (10 %), early stopping (none) and Adam.
    pub train: TrainConfig,
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        AutoencoderConfig {
            hidden: vec![128, 64, 12],
            latent: 2,
            hidden_activation: Activation::Relu,
            latent_activation: Activation::Tanh,
            output_activation: Activation::Identity,
            init: Init::Torch,
            loss: Loss::Mse,
            train: TrainConfig::default(),
        }
    }
}

xrd_core::param_guard!(Error => AutoencoderConfig);

impl AutoencoderConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(Error::param(
                "hidden",
                format!("hidden layer {i} has 0 units"),
            ));
        }
        if self.latent == 0 {
            return Err(Error::param("latent", "must be ≥ 1"));
        }
        self.train.check()
    }

    /// `(inputs, outputs, activation)` of every layer, encoder then decoder, for `inputs` inputs.
    pub fn layer_shapes(&self, inputs: usize) -> (Vec<(usize, usize, Activation)>, usize) {
        let mut widths = vec![inputs];
        widths.extend(&self.hidden);
        widths.push(self.latent);
        let k = widths.len() - 1;
        let mut shapes = Vec::with_capacity(2 * k);
        for i in 0..k {
            let act = if i + 1 == k {
                self.latent_activation
            } else {
                self.hidden_activation
            };
            shapes.push((widths[i], widths[i + 1], act));
        }
        for i in (0..k).rev() {
            let act = if i == 0 {
                self.output_activation
            } else {
                self.hidden_activation
            };
            shapes.push((widths[i + 1], widths[i], act));
        }
        (shapes, k)
    }
}

/// A trained (or freshly initialised) autoencoder.
#[derive(Debug, Clone, PartialEq)]
pub struct Autoencoder<F> {
    pub(crate) encoder: Network<F>,
    pub(crate) decoder: Network<F>,
    pub(crate) config: AutoencoderConfig,
    pub(crate) history: History,
}

impl<F: Float> Autoencoder<F> {
    /// The builder, with the paper's defaults.
    pub fn params() -> AutoencoderParams<F> {
        AutoencoderParams::default()
    }

    /// An autoencoder from an encoder and a decoder that fit together (`config` records how they
    /// were made; its layer widths must match).
    pub fn from_parts(
        encoder: Network<F>,
        decoder: Network<F>,
        config: AutoencoderConfig,
    ) -> Result<Self> {
        config.check()?;
        let (shapes, k) = config.layer_shapes(encoder.inputs());
        let layers = encoder.layers.iter().chain(&decoder.layers);
        if encoder.layers.len() != k || decoder.layers.len() != k {
            return Err(Error::shape(
                "encoder and decoder",
                format!("{k} encoder and {k} decoder layers"),
                format!("{} and {}", encoder.layers.len(), decoder.layers.len()),
            ));
        }
        for (i, (layer, &(inp, out, act))) in layers.zip(&shapes).enumerate() {
            if layer.inputs() != inp || layer.outputs() != out || layer.activation != act {
                return Err(Error::shape(
                    "layers",
                    format!("layer {i}: {inp} → {out}, {act:?}"),
                    format!(
                        "{} → {}, {:?}",
                        layer.inputs(),
                        layer.outputs(),
                        layer.activation
                    ),
                ));
            }
        }
        Ok(Autoencoder {
            encoder,
            decoder,
            config,
            history: History::default(),
        })
    }

    /// The encoder (input → latent).
    pub fn encoder(&self) -> &Network<F> {
        &self.encoder
    }

    /// The decoder (latent → input space).
    pub fn decoder(&self) -> &Network<F> {
        &self.decoder
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.config
    }

    /// The losses of its training run (empty for an untrained or loaded model).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Width of the input (and output).
    pub fn inputs(&self) -> usize {
        self.encoder.inputs()
    }

    /// Width of the latent space.
    pub fn latent(&self) -> usize {
        self.encoder.outputs()
    }

    /// Number of trainable scalars.
    pub fn num_parameters(&self) -> usize {
        self.encoder.num_parameters() + self.decoder.num_parameters()
    }

    /// Encodes a batch of patterns (n × inputs) to feature-space points (n × latent).
    pub fn encode<S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<F>> {
        check_input(x.view(), self.inputs(), "patterns")?;
        Ok(self.encoder.forward(x.view()))
    }

    /// Decodes feature-space points (n × latent) to patterns (n × inputs).
    pub fn decode<S: Data<Elem = F>>(&self, z: &ArrayBase<S, Ix2>) -> Result<Array2<F>> {
        check_input(z.view(), self.latent(), "latent points")?;
        Ok(self.decoder.forward(z.view()))
    }

    /// Encodes then decodes a batch of patterns.
    pub fn reconstruct<S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<F>> {
        let z = self.encode(x)?;
        Ok(self.decoder.forward(z.view()))
    }

    /// The loss (the configured one, e.g. MSE) of reconstructing `x`.
    pub fn reconstruction_loss<S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<f64> {
        let r = self.reconstruct(x)?;
        Ok(self.config.loss.value(r.view(), x.view()).as_f64())
    }
}

/// Builder of an [`Autoencoder`]; every setter documents its default in [`AutoencoderConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct AutoencoderParams<F> {
    config: AutoencoderConfig,
    _float: PhantomData<F>,
}

impl<F> Default for AutoencoderParams<F> {
    fn default() -> Self {
        AutoencoderParams {
            config: AutoencoderConfig::default(),
            _float: PhantomData,
        }
    }
}

xrd_core::param_guard!(Error => [F: Float] AutoencoderParams<F>);

impl<F: Float> AutoencoderParams<F> {
    /// Builder from a whole configuration.
    pub fn from_config(config: AutoencoderConfig) -> Self {
        AutoencoderParams {
            config,
            _float: PhantomData,
        }
    }

    /// Hidden layer widths, input side first.
    pub fn hidden(mut self, widths: &[usize]) -> Self {
        self.config.hidden = widths.to_vec();
        self
    }

    /// Latent (feature-space) width.
    pub fn latent(mut self, n: usize) -> Self {
        self.config.latent = n;
        self
    }

    /// Activation of the hidden layers.
    pub fn hidden_activation(mut self, a: Activation) -> Self {
        self.config.hidden_activation = a;
        self
    }

    /// Activation of the bottleneck.
    pub fn latent_activation(mut self, a: Activation) -> Self {
        self.config.latent_activation = a;
        self
    }

    /// Activation of the output layer.
    pub fn output_activation(mut self, a: Activation) -> Self {
        self.config.output_activation = a;
        self
    }

    crate::train::training_setters!();

    /// The configuration so far.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.config
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        self.config.check()
    }

    /// A freshly initialised autoencoder for `inputs`-point patterns, weights drawn from `rng`.
    pub fn build<R: Rng + ?Sized>(&self, inputs: usize, rng: &mut R) -> Result<Autoencoder<F>> {
        Self::initialise(&self.clone().into_checked()?, inputs, rng)
    }

    /// [`build`](Self::build) from checked parameters.
    fn initialise<R: Rng + ?Sized>(
        params: &Checked<Self>,
        inputs: usize,
        rng: &mut R,
    ) -> Result<Autoencoder<F>> {
        if inputs == 0 {
            return Err(Error::param("inputs", "must be ≥ 1"));
        }
        let (shapes, k) = params.config.layer_shapes(inputs);
        let mut layers = Vec::with_capacity(shapes.len());
        for (inp, out, act) in shapes {
            let (w, b) = params.config.init.draw::<F, R>(inp, out, rng)?;
            layers.push(Dense::new(w, b, act)?);
        }
        let decoder = layers.split_off(k);
        Autoencoder::from_parts(
            Network::new(layers)?,
            Network::new(decoder)?,
            params.config.clone(),
        )
    }

    /// Initialises from `rng` and trains on the rows of `data` (n × points), reporting every epoch
    /// to `callback`. The validation rows, the minibatch order and the initial weights all come
    /// from `rng`, so the same seed gives bit-identical weights.
    pub fn fit<S: Data<Elem = F>, R: Rng + ?Sized>(
        &self,
        data: &ArrayBase<S, Ix2>,
        rng: &mut R,
        callback: impl FnMut(&Progress),
    ) -> Result<Autoencoder<F>> {
        xrd_core::FitWith::fit_with(self, data, rng, callback)
    }

    /// Trains starting from the weights of `model` instead of a fresh initialisation (to continue
    /// training, or to start from weights made elsewhere, e.g. loaded from PyTorch). The
    /// architecture of `model` must be that of this builder's configuration; training uses this
    /// builder's loss and training settings, with fresh Adam moments.
    pub fn fit_from<S: Data<Elem = F>, R: Rng + ?Sized>(
        &self,
        model: Autoencoder<F>,
        data: &ArrayBase<S, Ix2>,
        rng: &mut R,
        mut callback: impl FnMut(&Progress),
    ) -> Result<Autoencoder<F>> {
        Self::train_from(
            &self.clone().into_checked()?,
            model,
            data,
            rng,
            &mut callback,
        )
    }

    /// [`fit_from`](Self::fit_from) with checked parameters: the training of every fit.
    fn train_from<S: Data<Elem = F>, R: Rng + ?Sized>(
        params: &Checked<Self>,
        model: Autoencoder<F>,
        data: &ArrayBase<S, Ix2>,
        rng: &mut R,
        callback: &mut dyn FnMut(&Progress),
    ) -> Result<Autoencoder<F>> {
        check_input(data.view(), model.inputs(), "training data")?;
        let config = &params.config;
        let model = Autoencoder::from_parts(model.encoder, model.decoder, config.clone())?;
        let k = model.encoder.layers.len();
        let mut layers = model.encoder.layers;
        layers.extend(model.decoder.layers);
        let history = fit_layers(
            &mut layers,
            config.loss,
            &config.train,
            data.view(),
            None,
            rng,
            callback,
        )?;
        let decoder = layers.split_off(k);
        let mut model = Autoencoder::from_parts(
            Network::new(layers)?,
            Network::new(decoder)?,
            config.clone(),
        )?;
        model.history = history;
        Ok(model)
    }

    /// Trains one model per seed (each with its own `Xoshiro256PlusPlus::seed_from_u64(seed)` for
    /// initialisation, validation split and minibatches) and keeps them all, like the paper's
    /// ten-run average. `callback` receives the member index and its progress.
    pub fn fit_ensemble<S: Data<Elem = F>>(
        &self,
        data: &ArrayBase<S, Ix2>,
        seeds: &[u64],
        mut callback: impl FnMut(usize, &Progress),
    ) -> Result<Vec<Autoencoder<F>>> {
        if seeds.is_empty() {
            return Err(Error::param("seeds", "an ensemble needs at least one seed"));
        }
        let params = self.clone().into_checked()?;
        seeds
            .iter()
            .enumerate()
            .map(|(i, &seed)| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                params.fit_with(data, &mut rng, |p| callback(i, p))
            })
            .collect()
    }

    /// Several restarts, keeping the best: trains one model per seed as
    /// [`fit_ensemble`](Self::fit_ensemble) does (with this builder's own validation split and
    /// early stopping, if configured) and returns the one that reconstructs `validation` — rows
    /// the caller held out of `data` — with the smallest mean squared error, with every
    /// restart's validation MSE in seed order. Ties go to the earlier seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no seeds; [`Error::ShapeMismatch`] when `validation` is empty or
    /// its width differs from `data`'s; training errors of any restart.
    pub fn fit_best<S1: Data<Elem = F>, S2: Data<Elem = F>>(
        &self,
        data: &ArrayBase<S1, Ix2>,
        validation: &ArrayBase<S2, Ix2>,
        seeds: &[u64],
        mut callback: impl FnMut(usize, &Progress),
    ) -> Result<(Autoencoder<F>, Vec<f64>)> {
        if validation.nrows() == 0 {
            return Err(Error::shape(
                "validation data",
                "≥ 1 validation row",
                "none",
            ));
        }
        check_input(validation.view(), data.ncols(), "validation data")?;
        let models = self.fit_ensemble(data, seeds, &mut callback)?;
        let mut losses = Vec::with_capacity(models.len());
        for m in &models {
            losses.push(crate::FeatureSpace::reconstruction_mse(
                m,
                validation.view(),
            )?);
        }
        let best = (0..losses.len())
            .min_by(|&a, &b| losses[a].total_cmp(&losses[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        let model = models
            .into_iter()
            .nth(best)
            .ok_or_else(|| Error::param("seeds", "an ensemble needs at least one seed"))?;
        Ok((model, losses))
    }
}

impl<'a, F, S, R> xrd_core::FitWith<&'a ArrayBase<S, Ix2>, R> for AutoencoderParams<F>
where
    F: Float,
    S: Data<Elem = F>,
    R: Rng + ?Sized,
{
    type Object = Autoencoder<F>;
    type Progress = Progress;

    fn fit_with_checked(
        params: &xrd_core::Checked<Self>,
        data: &'a ArrayBase<S, Ix2>,
        rng: &mut R,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Autoencoder<F>> {
        check_input(data.view(), data.ncols(), "training data")?;
        let model = AutoencoderParams::initialise(params, data.ncols(), rng)?;
        AutoencoderParams::train_from(params, model, data, rng, progress)
    }
}
