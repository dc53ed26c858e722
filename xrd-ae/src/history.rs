//! The record of a training run.

use serde::{Deserialize, Serialize};

use crate::Loss;

/// The losses of a training run, one entry per epoch: the autoencoder's and network's own
/// training, and the networks of xrd-classify's ensemble (which switch loss between epochs and
/// score validation accuracy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Missing fields read as empty, so files written before a field existed still load.
#[serde(default)]
pub struct History {
    /// Training loss per epoch (see [`Progress::train_loss`](crate::Progress::train_loss)).
    #[serde(alias = "train_loss")]
    pub train: Vec<f64>,
    /// The loss minimised in each epoch.
    pub losses: Vec<Loss>,
    /// Validation loss per epoch (empty without a validation set).
    #[serde(alias = "validation_loss")]
    pub validation: Vec<f64>,
    /// Validation top-1 accuracy per epoch, for classifiers (empty otherwise).
    pub validation_accuracy: Vec<f64>,
    /// Rows used for validation (indices into the training data).
    pub validation_rows: Vec<usize>,
    /// 1-based epoch whose weights were kept when early stopping restored the best weights.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended training before the planned number of epochs.
    pub stopped_early: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_and_reads_classifier_histories_written_before_the_merge() {
        let h = History {
            train: vec![1.0, 0.5],
            losses: vec![Loss::CrossEntropy, Loss::Mse],
            validation: vec![0.7, 0.6],
            validation_accuracy: vec![0.2, 0.4],
            ..History::default()
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<History>(&json).unwrap(), h);
        // xrd-classify's own History had these names and no loss per epoch.
        let old = r#"{"train_loss":[1.0],"quadratic":[false],"validation_loss":[0.5],"validation_accuracy":[0.9]}"#;
        let h: History = serde_json::from_str(old).unwrap();
        assert_eq!(
            (h.train, h.validation, h.validation_accuracy),
            (vec![1.0], vec![0.5], vec![0.9])
        );
        assert!(h.losses.is_empty() && h.validation_rows.is_empty());
    }
}
