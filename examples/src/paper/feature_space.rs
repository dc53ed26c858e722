//! Section II: the autoencoder's feature space — training, reconstruction (Fig. 2) and how well
//! the concentrations cluster in it (Fig. 1).

use std::time::Instant;

use ndarray::{Array2, Axis};
use rand::Rng;
use serde::Serialize;
use xrd_ae::{Adam, Autoencoder};

use super::{Data, Split};
use crate::measures::row_pearsons;
use crate::training::train_autoencoder;
use xrd_cli::run::Result;
use xrd_io::median;
use xrd_latent::{as_points, chance_purity, knn_purity};

/// What the summary reports of the feature space of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureSpaceResult {
    /// Training time.
    pub seconds: f64,
    /// Reconstruction MSE of the training rows.
    pub train_mse: f64,
    /// Reconstruction MSE of the test rows.
    pub test_mse: f64,
    /// Median Pearson r of the test rows and their reconstructions.
    pub test_pearson_median: f64,
    /// Smallest Pearson r of a test row and its reconstruction.
    pub test_pearson_min: f64,
    /// Fraction of patterns whose nearest latent neighbour has the same concentrations.
    pub knn_purity: f64,
    /// Median Pearson r of the test rows and the mean training pattern: the reconstruction of
    /// a model that ignores its input, the floor a feature space must beat.
    pub mean_pattern_pearson_median: f64,
    /// The purity of points placed at random: the chance that another pattern drawn at random
    /// has the same concentrations, Σ n_g (n_g − 1) / (N (N − 1)) over the concentration groups.
    pub knn_purity_chance: f64,
}

/// The trained autoencoder and what the figures need of it.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model.
    pub model: Autoencoder<f32>,
    /// Latent points of every pattern before training (Fig. 1a).
    pub points_before: Vec<[f64; 2]>,
    /// Latent points of every pattern after training (Fig. 1b).
    pub points: Vec<[f64; 2]>,
    /// Reconstructions of the test rows, in `Split::test` order (Fig. 2).
    pub test_reconstruction: Array2<f32>,
    /// The measures.
    pub result: FeatureSpaceResult,
}

/// Paper section II: 11,900 → 128 → 64 → 12 → 2, Adam with L2 weight decay `weight_decay`,
/// batch 10, `epochs` epochs on the training rows; the test rows are our own split, so the
/// trainer keeps no validation rows of its own.
pub fn train<R: Rng + ?Sized>(
    data: &Data,
    split: &Split,
    epochs: usize,
    weight_decay: f64,
    rng: &mut R,
) -> Result<Trained> {
    let x_train = data.x.select(Axis(0), &split.train);
    let x_test = data.x.select(Axis(0), &split.test);
    let adam = Adam {
        weight_decay,
        ..Adam::default()
    };
    let params = Autoencoder::<f32>::params()
        .epochs(epochs)
        .validation_fraction(0.0)
        .optimizer(adam);
    let t = Instant::now();
    let (before, model) =
        train_autoencoder(&params, x_train.view(), data.x.view(), rng, "training")?;
    let seconds = t.elapsed().as_secs_f64();
    let train_mse = model.reconstruction_loss(&x_train)?;
    let test_mse = model.reconstruction_loss(&x_test)?;
    let points = as_points(&model.encode(&data.x)?.mapv(f64::from));
    let test_reconstruction = model.reconstruct(&x_test)?;
    let mut pearsons = row_pearsons(x_test.view(), test_reconstruction.view());
    let test_pearson_min = pearsons.iter().copied().fold(f64::INFINITY, f64::min);
    let test_pearson_median = median(&mut pearsons);
    let knn_purity = knn_purity(&points, &data.group)?;
    let mean = x_train.mean_axis(Axis(0)).ok_or("no training rows")?;
    let mean_rows = mean
        .broadcast(x_test.dim())
        .ok_or("the mean pattern does not fit the test rows")?;
    let mean_pattern_pearson_median = median(&mut row_pearsons(x_test.view(), mean_rows));
    let knn_purity_chance = chance_purity(&data.group);
    Ok(Trained {
        model,
        points_before: as_points(&before),
        points,
        test_reconstruction,
        result: FeatureSpaceResult {
            seconds,
            train_mse,
            test_mse,
            test_pearson_median,
            test_pearson_min,
            knn_purity,
            mean_pattern_pearson_median,
            knn_purity_chance,
        },
    })
}
