//! Weight initialisations, always drawn from a passed-in RNG.

use ndarray::{Array1, Array2};
use rand::Rng;
use serde::{Deserialize, Serialize};
use xrd_core::Float;

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
    /// Draws an `outputs × inputs` weight matrix (PyTorch layout) and a bias vector.
    pub fn draw<F: Float, R: Rng + ?Sized>(
        self,
        inputs: usize,
        outputs: usize,
        rng: &mut R,
    ) -> (Array2<F>, Array1<F>) {
        let fan_in = inputs.max(1) as f64;
        match self {
            Init::Torch => {
                let bound = 1.0 / fan_in.sqrt();
                let w = Array2::from_shape_simple_fn((outputs, inputs), || {
                    F::of(rng.random_range(-bound..bound))
                });
                let b = Array1::from_shape_simple_fn(outputs, || {
                    F::of(rng.random_range(-bound..bound))
                });
                (w, b)
            }
            Init::He => {
                let sd = (2.0 / fan_in).sqrt();
                let w = Array2::from_shape_simple_fn((outputs, inputs), || {
                    F::of(sd * standard_normal(rng))
                });
                (w, Array1::zeros(outputs))
            }
            Init::Xavier => {
                let bound = (6.0 / (fan_in + outputs.max(1) as f64)).sqrt();
                let w = Array2::from_shape_simple_fn((outputs, inputs), || {
                    F::of(rng.random_range(-bound..bound))
                });
                (w, Array1::zeros(outputs))
            }
        }
    }
}

/// One standard normal deviate (Box–Muller; the second deviate is dropped for simplicity).
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
