//! Training an autoencoder with a progress bar on stderr.

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use xrd_ae::{Autoencoder, AutoencoderParams};
use xrd_cli::progress::epoch_bar;
use xrd_cli::run::Result;

/// Initialises an autoencoder from `rng`, projects `all` with the untrained weights (the paper's
/// Fig. 1a), then trains on `train` with a progress bar. Returns the untrained projection and the
/// trained model.
pub fn train_autoencoder<R: Rng + ?Sized>(
    params: &AutoencoderParams<f32>,
    train: ArrayView2<'_, f32>,
    all: ArrayView2<'_, f32>,
    rng: &mut R,
    prefix: &str,
) -> Result<(Array2<f64>, Autoencoder<f32>)> {
    let initial = params.build(train.ncols(), rng)?;
    let before = initial.encode(&all)?.mapv(f64::from);
    let bar = epoch_bar(params.config().train.epochs, prefix);
    let model = params.fit_from(initial, &train, rng, |p| {
        bar.set_position(p.epoch as u64);
        bar.set_message(format!("{:.3e}", p.train_loss));
    })?;
    bar.finish_and_clear();
    Ok((before, model))
}
