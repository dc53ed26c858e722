//! Latent points of a 2-D feature space as `[x, y]` pairs.

use ndarray::{Array2, ArrayView2};
use xrd_ae::FeatureSpace;

use crate::run::Result;

/// Latent points as `[x, y]` pairs.
pub fn as_points(z: &Array2<f64>) -> Vec<[f64; 2]> {
    z.rows().into_iter().map(|r| [r[0], r[1]]).collect()
}

/// Latent points of any 2-D feature space (autoencoder, PCA) as `[x, y]` pairs.
pub fn points_of<M: FeatureSpace<f32> + ?Sized>(
    model: &M,
    x: ArrayView2<'_, f32>,
) -> Result<Vec<[f64; 2]>> {
    if model.latent() != 2 {
        return Err(format!("need a 2-D feature space, got {}-D", model.latent()).into());
    }
    Ok(as_points(&model.encode(x)?.mapv(f64::from)))
}
