//! Minibatch training: configuration, progress reports, loss history and the step engine.

use ndarray::{Array2, ArrayView2, Axis, s};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use xrd_io::Float;

use crate::engine::Engine;
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

/// The losses of a training run, one entry per epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Training loss per epoch (see [`Progress::train_loss`]).
    pub train: Vec<f64>,
    /// Validation loss per epoch (empty without a validation set).
    pub validation: Vec<f64>,
    /// Rows used for validation (indices into the training data).
    pub validation_rows: Vec<usize>,
    /// 1-based epoch whose weights were kept when early stopping restored the best weights.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before the planned number of epochs.
    pub stopped_early: bool,
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
            let out = crate::network::forward_layers(layers, xv.view());
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
