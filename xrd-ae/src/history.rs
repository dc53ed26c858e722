//! The record of a training run.

use serde::{Deserialize, Serialize};

/// The losses of a training run, one entry per epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Training loss per epoch (see [`Progress::train_loss`](crate::Progress::train_loss)).
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
