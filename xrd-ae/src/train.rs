//! Minibatch training: configuration, progress reports, the epoch loop over the step engine, and
//! the step-by-step [`Trainer`].

use ndarray::{Array2, ArrayView2, Axis, s};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::dense::{check_input, forward_layers};
use crate::engine::Engine;
use crate::history::History;
use crate::{Adam, Dense, Error, Loss, Result};

/// Stop when the monitored loss (validation if there is a validation set, training otherwise) has
/// not improved by more than `min_delta` for `patience` epochs; the best weights are restored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping (≥ 1).
    pub patience: usize,
    /// Smallest decrease that counts as an improvement (≥ 0).
    pub min_delta: f64,
}

/// How a network is trained. Defaults are the paper's: minibatches of 10, 1000 epochs, 10 % of the
/// rows held out for validation, no early stopping, [`Adam::default`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Rows per minibatch (default 10); the last, smaller batch of an epoch is kept.
    pub batch_size: usize,
    /// Number of passes over the training rows (default 1000).
    pub epochs: usize,
    /// Fraction of rows held out (randomly, from the passed RNG) for validation, in `[0, 1)`
    /// (default 0.1; 150 patterns → 135 train + 15 validation). With a positive fraction at least one
    /// row is held out.
    pub validation_fraction: f64,
    /// Optional early stopping (default none).
    pub early_stopping: Option<EarlyStopping>,
    /// The optimiser.
    pub optimizer: Adam,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            batch_size: 10,
            epochs: 1000,
            validation_fraction: 0.1,
            early_stopping: None,
            optimizer: Adam::default(),
        }
    }
}

xrd_core::param_guard!(Error => TrainConfig);

/// The setters shared by the params types whose configuration holds `init`, `loss` and a
/// [`TrainConfig`] as `train` (the network and the autoencoder), written once; expanded inside
/// each type's `impl` block so they stay inherent methods.
macro_rules! training_setters {
    () => {
        /// Sets the weight initialisation (default [`Init::Torch`](crate::Init::Torch)).
        pub fn init(mut self, init: crate::Init) -> Self {
            self.config.init = init;
            self
        }

        /// Sets the loss (default [`Loss::Mse`](crate::Loss::Mse)).
        pub fn loss(mut self, loss: crate::Loss) -> Self {
            self.config.loss = loss;
            self
        }

        /// Sets the whole training configuration (default
        /// [`TrainConfig::default`](crate::TrainConfig)).
        pub fn train(mut self, train: crate::TrainConfig) -> Self {
            self.config.train = train;
            self
        }

        /// Sets the minibatch size (default 10).
        pub fn batch_size(mut self, n: usize) -> Self {
            self.config.train.batch_size = n;
            self
        }

        /// Sets the number of epochs (default 1000).
        pub fn epochs(mut self, n: usize) -> Self {
            self.config.train.epochs = n;
            self
        }

        /// Sets the fraction of rows held out for validation (default 0.1).
        pub fn validation_fraction(mut self, f: f64) -> Self {
            self.config.train.validation_fraction = f;
            self
        }

        /// Enables early stopping (default off).
        pub fn early_stopping(mut self, es: crate::EarlyStopping) -> Self {
            self.config.train.early_stopping = Some(es);
            self
        }

        /// Sets the optimiser (default [`Adam::default`](crate::Adam::default)).
        pub fn optimizer(mut self, adam: crate::Adam) -> Self {
            self.config.train.optimizer = adam;
            self
        }
    };
}
pub(crate) use training_setters;

impl TrainConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", "must be ≥ 1"));
        }
        if self.epochs == 0 {
            return Err(Error::param("epochs", "must be ≥ 1"));
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(Error::param(
                "validation_fraction",
                format!("must lie in [0, 1), got {}", self.validation_fraction),
            ));
        }
        if let Some(es) = self.early_stopping {
            if es.patience == 0 {
                return Err(Error::param("early_stopping.patience", "must be ≥ 1"));
            }
            if !(es.min_delta.is_finite() && es.min_delta >= 0.0) {
                return Err(Error::param(
                    "early_stopping.min_delta",
                    format!("must be finite and ≥ 0, got {}", es.min_delta),
                ));
            }
        }
        self.optimizer.check()
    }

    /// Number of validation rows for `n` samples.
    pub fn validation_rows(&self, n: usize) -> usize {
        if self.validation_fraction <= 0.0 {
            0
        } else {
            ((n as f64 * self.validation_fraction).round() as usize).max(1)
        }
    }
}

/// What the progress callback receives after every epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// 1-based epoch just finished.
    pub epoch: usize,
    /// Planned number of epochs.
    pub epochs: usize,
    /// Mean training loss of the epoch (each minibatch's loss before its update, weighted by its rows).
    pub train_loss: f64,
    /// Loss on the validation rows after the epoch, if there are any.
    pub val_loss: Option<f64>,
}

/// The minibatch buffers of an epoch: inputs and (if separate) targets, gathered from the rows.
#[derive(Debug)]
pub(crate) struct Batches<F> {
    x: Array2<F>,
    y: Option<Array2<F>>,
}

impl<F: Float> Batches<F> {
    pub(crate) fn new(batch: usize, inputs: usize, outputs: Option<usize>) -> Self {
        Batches {
            x: Array2::zeros((batch, inputs)),
            y: outputs.map(|c| Array2::zeros((batch, c))),
        }
    }

    /// Whether the buffers hold separate targets.
    pub(crate) fn has_targets(&self) -> bool {
        self.y.is_some()
    }
}

/// One pass over `rows` (indices into the inputs `x` and the optional separate targets `y`) in
/// minibatches of `batch`, in the given order; returns Σ loss × rows over the minibatches.
pub(crate) fn run_epoch<F: Float>(
    engine: &mut Engine<F>,
    layers: &mut [Dense<F>],
    (x, y): (ArrayView2<'_, F>, Option<ArrayView2<'_, F>>),
    rows: &[usize],
    batch: usize,
    buffers: &mut Batches<F>,
    epoch: usize,
) -> Result<f64> {
    let mut sum = 0.0;
    for chunk in rows.chunks(batch.max(1)) {
        let b = chunk.len();
        for (r, &i) in chunk.iter().enumerate() {
            buffers.x.row_mut(r).assign(&x.row(i));
            if let (Some(yb), Some(y)) = (buffers.y.as_mut(), y) {
                yb.row_mut(r).assign(&y.row(i));
            }
        }
        let xs = buffers.x.slice(s![..b, ..]);
        let ys = buffers.y.as_ref().map_or(xs, |yb| yb.slice(s![..b, ..]));
        let l = engine.step(layers, xs, ys).as_f64();
        if !l.is_finite() {
            return Err(Error::Diverged { epoch, loss: l });
        }
        sum += l * b as f64;
    }
    Ok(sum)
}

/// Trains `layers` in place on rows `x` against targets `y` (`None`: the input itself).
pub(crate) fn fit_layers<F: Float, R: Rng + ?Sized>(
    layers: &mut [Dense<F>],
    loss: Loss,
    cfg: &TrainConfig,
    x: ArrayView2<'_, F>,
    y: Option<ArrayView2<'_, F>>,
    rng: &mut R,
    callback: &mut dyn FnMut(&Progress),
) -> Result<History> {
    cfg.check()?;
    let n = x.nrows();
    let n_val = cfg.validation_rows(n);
    if n < n_val + 1 {
        return Err(Error::TooFewSamples(format!(
            "{n} rows leave none for training after holding out {n_val} for validation"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let (val_rows, train_rows) = order.split_at(n_val);
    let mut train_rows = train_rows.to_vec();
    let gather = |m: ArrayView2<'_, F>, rows: &[usize]| -> Array2<F> { m.select(Axis(0), rows) };
    let xv = gather(x, val_rows);
    let yv = y.map(|y| gather(y, val_rows));

    let batch = cfg.batch_size.min(train_rows.len());
    let mut engine = Engine::new(layers, loss, cfg.optimizer, batch);
    if layers.iter().any(|l| l.dropout > 0.0) {
        // Drawn only with dropout, so that networks without it see the same random stream.
        engine = engine.with_dropout(rng.next_u64());
    }
    let mut buffers = Batches::new(batch, x.ncols(), y.map(|y| y.ncols()));
    let mut history = History {
        validation_rows: val_rows.to_vec(),
        ..History::default()
    };
    let mut best: Option<(f64, usize, Vec<Dense<F>>)> = None;
    let n_train = train_rows.len() as f64;

    for epoch in 1..=cfg.epochs {
        train_rows.shuffle(rng);
        let sum = run_epoch(
            &mut engine,
            layers,
            (x, y),
            &train_rows,
            batch,
            &mut buffers,
            epoch,
        )?;
        let train_loss = sum / n_train;
        let val_loss = if n_val > 0 {
            let out = forward_layers(layers, xv.view());
            let l = loss
                .value(out.view(), yv.as_ref().map_or(xv.view(), |y| y.view()))
                .as_f64();
            if !l.is_finite() {
                return Err(Error::Diverged { epoch, loss: l });
            }
            Some(l)
        } else {
            None
        };
        history.train.push(train_loss);
        history.losses.push(loss);
        if let Some(v) = val_loss {
            history.validation.push(v);
        }
        callback(&Progress {
            epoch,
            epochs: cfg.epochs,
            train_loss,
            val_loss,
        });
        if let Some(es) = cfg.early_stopping {
            let monitored = val_loss.unwrap_or(train_loss);
            match &mut best {
                Some((b, e, w)) if monitored >= *b - es.min_delta => {
                    if epoch - *e >= es.patience {
                        layers.clone_from_slice(w);
                        history.best_epoch = Some(*e);
                        history.stopped_early = epoch < cfg.epochs;
                        break;
                    }
                }
                _ => best = Some((monitored, epoch, layers.to_vec())),
            }
        }
    }
    if let (Some((_, e, w)), false) = (&best, history.stopped_early) {
        // Early stopping was configured but patience never ran out: still keep the best epoch.
        layers.clone_from_slice(w);
        history.best_epoch = Some(*e);
    }
    for layer in layers.iter() {
        let finite = layer
            .weight
            .iter()
            .chain(layer.bias.iter())
            .all(|v| v.is_finite())
            && layer.slope.is_finite();
        if !finite {
            return Err(Error::Diverged {
                epoch: history.train.len(),
                loss: f64::NAN,
            });
        }
    }
    Ok(history)
}

/// Step-by-step training of a [`Network`](crate::Network) with reusable buffers, for callers that
/// drive the minibatches themselves (benchmarks, custom schedules). [`NetworkParams::fit`] and
/// [`AutoencoderParams::fit`](crate::AutoencoderParams::fit) run the same engine.
///
/// [`NetworkParams::fit`]: crate::NetworkParams::fit
#[derive(Debug)]
pub struct Trainer<F> {
    network: crate::Network<F>,
    engine: Engine<F>,
    batch: usize,
    batches: Option<Batches<F>>,
}

impl<F: Float> Trainer<F> {
    /// A trainer of `network` with `loss`, optimiser `adam` (fresh moments) and batches of at most
    /// `batch` rows. Layers with dropout draw their masks from a stream seeded with
    /// [`DROPOUT_SEED`](crate::DROPOUT_SEED); [`Trainer::with_rng`] seeds it from an RNG instead.
    pub fn new(
        network: crate::Network<F>,
        loss: Loss,
        adam: Adam,
        batch: usize,
    ) -> crate::Result<Self> {
        adam.check()?;
        if batch == 0 {
            return Err(crate::Error::param("batch_size", "must be ≥ 1"));
        }
        let engine =
            Engine::new(&network.layers, loss, adam, batch).with_dropout(crate::DROPOUT_SEED);
        Ok(Trainer {
            network,
            engine,
            batch,
            batches: None,
        })
    }

    /// The same trainer with its dropout masks drawn from a stream seeded by one `u64` of `rng`
    /// (same seed, same masks and weights, for any number of threads).
    pub fn with_rng<R: Rng + ?Sized>(mut self, rng: &mut R) -> Self {
        self.engine = self.engine.with_dropout(rng.next_u64());
        self
    }

    /// One forward/backward pass and Adam update on the batch `x` with targets `y`; returns the
    /// loss before the update. Errors on shape mismatches, non-finite inputs or a non-finite loss.
    pub fn step(&mut self, x: ArrayView2<'_, F>, y: ArrayView2<'_, F>) -> crate::Result<F> {
        check_input(x, self.network.inputs(), "input")?;
        check_input(y, self.network.outputs(), "targets")?;
        if x.nrows() != y.nrows() || x.nrows() == 0 || x.nrows() > self.batch {
            return Err(crate::Error::shape(
                "input and targets",
                format!("1 to {} rows in both input and targets", self.batch),
                format!("{} and {}", x.nrows(), y.nrows()),
            ));
        }
        let loss = self.engine.step(&mut self.network.layers, x, y);
        if !loss.is_finite() {
            return Err(crate::Error::Diverged {
                epoch: 0,
                loss: loss.as_f64(),
            });
        }
        Ok(loss)
    }

    /// One pass over the rows `rows` of `x` in that order, in minibatches of the trainer's batch
    /// size (the last one smaller), against targets `y` (`None`: `x` itself, an autoencoder) —
    /// the epoch [`NetworkParams::fit`](crate::NetworkParams::fit) runs. Returns the mean loss
    /// over the rows (each minibatch's loss before its update, weighted by its rows). The
    /// weights are the same bits as after the same minibatches through [`Trainer::step`].
    ///
    /// # Errors
    /// Shape mismatches, row indices out of range, no rows, non-finite inputs or targets, or a
    /// non-finite loss ([`Error::Diverged`](crate::Error::Diverged), epoch 0).
    pub fn epoch(
        &mut self,
        x: ArrayView2<'_, F>,
        y: Option<ArrayView2<'_, F>>,
        rows: &[usize],
    ) -> crate::Result<f64> {
        check_input(x, self.network.inputs(), "input")?;
        if let Some(y) = y {
            check_input(y, self.network.outputs(), "targets")?;
            if y.nrows() != x.nrows() {
                return Err(crate::Error::shape(
                    "input and targets",
                    format!("{} target rows", x.nrows()),
                    format!("{}", y.nrows()),
                ));
            }
        } else if self.network.outputs() != self.network.inputs() {
            return Err(crate::Error::shape(
                "targets",
                format!("targets of {} columns", self.network.outputs()),
                "none (the input itself)".to_string(),
            ));
        }
        if rows.is_empty() {
            return Err(crate::Error::shape("rows", "at least one row", "none"));
        }
        if let Some(&i) = rows.iter().find(|&&i| i >= x.nrows()) {
            return Err(crate::Error::shape(
                "rows",
                format!("row indices below {}", x.nrows()),
                format!("{i}"),
            ));
        }
        let fresh = || {
            Batches::new(
                self.batch,
                self.network.inputs(),
                y.map(|_| self.network.outputs()),
            )
        };
        let batches = match self.batches.take() {
            Some(b) if b.has_targets() == y.is_some() => b,
            _ => fresh(),
        };
        let batches = self.batches.insert(batches);
        let sum = run_epoch(
            &mut self.engine,
            &mut self.network.layers,
            (x, y),
            rows,
            self.batch,
            batches,
            0,
        )?;
        Ok(sum / rows.len() as f64)
    }

    /// The network with its current weights.
    pub fn network(&self) -> &crate::Network<F> {
        &self.network
    }

    /// The trained network.
    pub fn into_network(self) -> crate::Network<F> {
        self.network
    }
}
