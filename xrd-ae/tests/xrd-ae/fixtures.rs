//! Fixtures more than one module uses.

use ndarray::Array2;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A `rows × cols` matrix of uniform values in [−1, 1) from `rng`.
pub fn random(rows: usize, cols: usize, rng: &mut Xoshiro256PlusPlus) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-1.0..1.0))
}
