//! Dropout masks: PyTorch `nn.Dropout(p)` after a layer's activation, in training only.
//!
//! Each element of a layer's output is kept with probability `1 − p` and then scaled by
//! `1 / (1 − p)` (inverted dropout, so inference is the identity), or zeroed. The masks come from
//! one [`Xoshiro256PlusPlus`] stream, drawn on one thread layer by layer and row by row in a fixed
//! order, so the same seed gives the same masks whatever the number of threads.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_core::Float;

use crate::{Error, Result};

/// The seed of the dropout masks of a [`Trainer`](crate::Trainer) built by
/// [`Trainer::new`](crate::Trainer::new) (change it with
/// [`Trainer::with_rng`](crate::Trainer::with_rng)).
pub const DROPOUT_SEED: u64 = 0x5eed_d20b;

/// Checks a dropout rate: finite and in `[0, 1)`.
pub(crate) fn check_rate(name: &'static str, rate: f64) -> Result<()> {
    if rate.is_finite() && (0.0..1.0).contains(&rate) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("a dropout rate must lie in [0, 1), got {rate}"),
        ))
    }
}

/// Fills `mask` with `1 / (1 − rate)` (kept, probability `1 − rate`) or `0` (dropped), one
/// uniform draw per element in order.
pub(crate) fn draw_mask<F: Float>(rng: &mut Xoshiro256PlusPlus, rate: f64, mask: &mut [F]) {
    let scale = F::of(1.0 / (1.0 - rate));
    for m in mask {
        *m = if rng.random::<f64>() < rate {
            F::zero()
        } else {
            scale
        };
    }
}

/// `out = a ⊙ mask`.
pub(crate) fn apply<F: Float>(a: &[F], mask: &[F], out: &mut [F]) {
    for ((o, &a), &m) in out.iter_mut().zip(a).zip(mask) {
        *o = a * m;
    }
}
