//! Weight initialisations, always drawn from a passed-in RNG.

use ndarray::{Array1, Array2};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Distribution;
use ndarray_rand::rand_distr::Uniform;
use rand::Rng;
use serde::{Deserialize, Serialize};
use xrd_core::Float;
use xrd_core::random::BoxMuller;

/// How a dense layer's weights and biases are initialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Init {
    /// PyTorch's `nn.Linear` default: weights and biases uniform in `±1/√fan_in`
    /// (Kaiming-uniform with `a = √5`), what the paper's model started from.
    #[default]
    Torch,
    /// He / Kaiming normal for ReLU: weights `N(0, 2/fan_in)`, biases zero.
    He,
    /// Xavier / Glorot uniform: weights uniform in `±√(6/(fan_in + fan_out))`, biases zero.
    Xavier,
}

impl Init {
    /// Draws an `outputs × inputs` weight matrix (PyTorch layout) and a bias vector
    /// (ndarray-rand, row by row, from `rng`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) (`init`) when the layer's
    /// sizes give no finite range to draw from.
    pub fn draw<F: Float, R: Rng + ?Sized>(
        self,
        inputs: usize,
        outputs: usize,
        rng: &mut R,
    ) -> crate::Result<(Array2<F>, Array1<F>)> {
        let fan_in = inputs.max(1) as f64;
        // `Uniform::new(−b, b)` draws what `rng.random_range(−b..b)` draws (the same scale,
        // which needs no narrowing for a symmetric range), so models keep their seeds' weights.
        let uniform = |bound: f64| {
            Uniform::new(-bound, bound)
                .map(|u| u.map(F::of))
                .map_err(|e| crate::Error::param("init", format!("±{bound}: {e}")))
        };
        match self {
            Init::Torch => {
                let bound = 1.0 / fan_in.sqrt();
                let w = Array2::random_using((outputs, inputs), uniform(bound)?, rng);
                let b = Array1::random_using(outputs, uniform(bound)?, rng);
                Ok((w, b))
            }
            Init::He => {
                let sd = (2.0 / fan_in).sqrt();
                let normal = BoxMuller.map(|z| F::of(sd * z));
                let w = Array2::random_using((outputs, inputs), normal, rng);
                Ok((w, Array1::zeros(outputs)))
            }
            Init::Xavier => {
                let bound = (6.0 / (fan_in + outputs.max(1) as f64)).sqrt();
                let w = Array2::random_using((outputs, inputs), uniform(bound)?, rng);
                Ok((w, Array1::zeros(outputs)))
            }
        }
    }
}
