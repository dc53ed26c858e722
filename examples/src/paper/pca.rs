//! The linear baseline: the measures of sections II–III.A and III.C for a 2-component PCA
//! fitted on the same training rows (deterministic: draws nothing from the run's RNG).

use std::time::Instant;

use ndarray::Axis;
use serde::Serialize;
use xrd_ae::{FeatureSpace, Pca};

use super::estimation::{EstimationResult, estimate};
use super::generation::{GenerationResult, generate_held_out};
use super::{Data, Split};
use crate::measures::row_pearsons;
use xrd_cli::run::Result;
use xrd_io::median;
use xrd_latent::{knn_purity, points_of};

/// What the summary reports of the PCA baseline of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PcaResult {
    /// Fitting time.
    pub seconds: f64,
    /// Fraction of the training rows' variance each component explains.
    pub explained_variance_ratio: Vec<f64>,
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
    /// Estimation of the test and held-out compositions, as for the autoencoder.
    pub estimation: EstimationResult,
    /// Generation of the held-out composition, as for the autoencoder.
    pub generation: GenerationResult,
}

/// Fits the PCA on the training rows and measures it like the autoencoder.
pub fn pca_baseline(data: &Data, split: &Split) -> Result<PcaResult> {
    let x_train = data.x.select(Axis(0), &split.train);
    let x_test = data.x.select(Axis(0), &split.test);
    let t = Instant::now();
    let pca: Pca<f32> = Pca::params().fit(&x_train)?;
    let seconds = t.elapsed().as_secs_f64();
    let recon = pca.reconstruct(x_test.view())?;
    let mut pearsons = row_pearsons(x_test.view(), recon.view());
    let test_pearson_min = pearsons.iter().copied().fold(f64::INFINITY, f64::min);
    let points = points_of(&pca, data.x.view())?;
    let estimation = estimate(data, split, &points)?.result;
    let generation = generate_held_out(data, &pca, split)?.result;
    Ok(PcaResult {
        seconds,
        explained_variance_ratio: pca.explained_variance_ratio(),
        train_mse: pca.reconstruction_mse(x_train.view())?,
        test_mse: pca.reconstruction_mse(x_test.view())?,
        test_pearson_median: median(&mut pearsons),
        test_pearson_min,
        knn_purity: knn_purity(&points, &data.group)?,
        estimation,
        generation,
    })
}
