//! The Adam optimiser with PyTorch's two weight-decay conventions, as one fused pass over memory.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::{Error, Result};

/// Elements per parallel work item of the fused update: fixed, so the split of the work never
/// depends on the number of threads (the update is element-wise, so results would not differ
/// anyway, but the chunks are also large enough to amortise scheduling).
pub(crate) const ADAM_CHUNK: usize = 1 << 15;

/// A first moment (or gradient) below `ε` times this counts as zero: it would move its weight by
/// less than `lr·2⁻⁷⁰/(1 − β₁)` per step (the denominator is at least `ε`).
const NEGLIGIBLE_MOMENT: f64 = 1.0 / (1u128 << 70) as f64;
/// A second moment below `ε²` times this counts as zero: its bias-corrected square root is below
/// `ε·2⁻³⁰/√(1 − β₂)` (`ε·2⁻²⁵` with the default β₂), next to the `ε` it is added to.
const NEGLIGIBLE_SECOND: f64 = 1.0 / (1u64 << 60) as f64;

/// `x`, or zero when `|x| < t` (NaN stays NaN).
#[inline(always)]
pub(crate) fn negligible_to_zero<F: Float>(x: F, t: F) -> F {
    if x.abs() < t { F::zero() } else { x }
}

/// How weight decay enters Adam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WeightDecay {
    /// L2 regularisation: `λ·w` is **added to the gradient before the moments** — PyTorch
    /// `torch.optim.Adam(weight_decay=λ)`, what the paper used ("Adam … and the L2-norm weight decay").
    #[default]
    L2,
    /// Decoupled decay: `w ← w·(1 − lr·λ)` before the Adam step, the moments see the raw gradient —
    /// PyTorch `torch.optim.AdamW(weight_decay=λ)`.
    Decoupled,
}

/// The workspace's one default weight-decay strength λ: [`Adam::default`], and so every
/// autoencoder, regressor and classifier trained with default parameters, the main job and
/// `xrd_interp::EvalConfig` use it.
///
/// The paper states that it used an L2 weight decay but not its strength. With L2 decay (added to
/// the gradient before Adam normalises it) the strength must stay well below the data gradient:
/// on max-1 powder patterns the first layer's data gradient is tiny, and `1e-5` (a common
/// PyTorch choice) shrinks the encoder until every ReLU is dead and all patterns map to one
/// latent point within tens of epochs on the built-in data set of xrd-sim. `1e-7` still
/// regularises without that collapse. Set it to 0 to switch decay off.
pub const DEFAULT_WEIGHT_DECAY: f64 = 1e-7;

/// Adam hyper-parameters (defaults: PyTorch's, plus `weight_decay =` [`DEFAULT_WEIGHT_DECAY`]).
///
/// # Negligible values
/// The update follows PyTorch's order of operations with one difference: a gradient or first
/// moment below `ε·2⁻⁷⁰` in magnitude, a second moment below `ε²·2⁻⁶⁰`, and the square term
/// `(1 − β₂)·g²` of a gradient below `√(ε²·2⁻⁶⁰/(1 − β₂))` count as zero ([`Adam::negligible`];
/// about `8.5e-30`, `8.7e-35` and `2.9e-16` with the defaults). Such values barely move a
/// weight: the step is `lr·m̂/(√v̂ + ε)`, so a first moment that small moves its weight by less
/// than `lr·2⁻⁷⁰/(1 − β₁)` (8.5e-24 with the defaults), and a second moment that small is lost
/// next to `ε` (for β₂ = 0.999; a β₂ closer to 1 loosens that bound by `√(0.001/(1 − β₂))`).
/// Only weights that have themselves decayed to that size notice: those of dead
/// units under L2 decay, which the rule stops shrinking (in the shipped classifier of
/// xrd-classify, about 1,000 of 1.8 million weights, near 3e-23; its predictions did not
/// change). Without the
/// rule they decay, step after step, into subnormal numbers once part of a network has
/// converged (output columns whose target is zero in every pattern, say), and Intel cores
/// compute with subnormals in microcode, about a hundred times slower: the main job of
/// `xrd-examples` trained for 329 s without the rule and 43 s with it on an Intel Xeon, with the
/// same outputs. PyTorch leaves that to `torch.set_flush_denormal`, which Rust code cannot do
/// soundly. The thresholds scale with `ε` (taken as at most 1): with an `ε` below about 1.2e-10
/// the second-moment threshold is itself subnormal in f32 (below about 2.8e-14 it is zero), so
/// the rule no longer keeps all subnormals out there; it never does harm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Adam {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Decay of the first moment (default 0.9).
    pub beta1: f64,
    /// Decay of the second moment (default 0.999).
    pub beta2: f64,
    /// Added to `√v̂` in the denominator (default `1e-8`).
    pub eps: f64,
    /// Weight-decay strength λ (default [`DEFAULT_WEIGHT_DECAY`]), applied to weights, biases and PReLU slopes alike
    /// as PyTorch does for every parameter of the optimiser.
    pub weight_decay: f64,
    /// L2 (PyTorch `Adam`, default) or decoupled (PyTorch `AdamW`).
    pub decay: WeightDecay,
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: DEFAULT_WEIGHT_DECAY,
            decay: WeightDecay::L2,
        }
    }
}

xrd_core::param_guard!(Error => Adam);

impl Adam {
    /// Validates the hyper-parameters.
    pub fn check(&self) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::param(
                "lr",
                format!("must be finite and > 0, got {}", self.lr),
            ));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::param(name, format!("must lie in [0, 1), got {b}")));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::param(
                "eps",
                format!("must be finite and > 0, got {}", self.eps),
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(Error::param(
                "weight_decay",
                format!("must be finite and ≥ 0, got {}", self.weight_decay),
            ));
        }
        Ok(())
    }

    /// Applies Adam step `t` (1-based: the first step is `t = 1`) to the parameters `w` with
    /// gradients `g` and moment buffers `m`, `v` (zero before the first step), all of one length.
    ///
    /// # Errors
    /// If the slices differ in length or `t == 0`.
    pub fn step<F: Float>(
        &self,
        t: u64,
        w: &mut [F],
        g: &[F],
        m: &mut [F],
        v: &mut [F],
    ) -> Result<()> {
        self.check()?;
        if t == 0 {
            return Err(Error::param("t", "Adam steps count from 1"));
        }
        if g.len() != w.len() || m.len() != w.len() || v.len() != w.len() {
            return Err(Error::shape(
                "Adam state",
                format!("four slices of {} values", w.len()),
                format!("{}, {}, {} values", g.len(), m.len(), v.len()),
            ));
        }
        self.coefficients::<F>(t).update_parallel(w, g, m, v);
        Ok(())
    }

    /// The thresholds below which a gradient or first moment, a second moment, and a gradient's
    /// square term count as zero (see [`Adam`]'s section on negligible values): `ε·2⁻⁷⁰`,
    /// `ε²·2⁻⁶⁰` and `√(ε²·2⁻⁶⁰ / (1 − β₂))`, with `ε` taken as at most 1 (so that an unusually
    /// large `ε` cannot raise them, or overflow them in f32).
    pub fn negligible(&self) -> (f64, f64, f64) {
        let eps = self.eps.min(1.0);
        let tiny = eps * NEGLIGIBLE_MOMENT;
        let tiny_v = eps * eps * NEGLIGIBLE_SECOND;
        (tiny, tiny_v, (tiny_v / (1.0 - self.beta2)).sqrt())
    }

    /// The scalar factors of step `t` (1-based), computed once per step in f64.
    pub(crate) fn coefficients<F: Float>(&self, t: u64) -> Coefficients<F> {
        let t = t.min(i32::MAX as u64) as i32;
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2 = 1.0 - self.beta2.powi(t);
        let (l2, shrink) = match self.decay {
            WeightDecay::L2 => (self.weight_decay, 1.0),
            WeightDecay::Decoupled => (0.0, 1.0 - self.lr * self.weight_decay),
        };
        let (tiny, tiny_v, tiny_square) = self.negligible();
        Coefficients {
            tiny: F::of(tiny),
            tiny_v: F::of(tiny_v),
            tiny_square: F::of(tiny_square),
            l2: F::of(l2),
            shrink: F::of(shrink),
            one_minus_beta1: F::of(1.0 - self.beta1),
            beta2: F::of(self.beta2),
            one_minus_beta2: F::of(1.0 - self.beta2),
            inv_sqrt_bc2: F::of(1.0 / bc2.sqrt()),
            eps: F::of(self.eps),
            step: F::of(self.lr / bc1),
        }
    }
}

/// Per-step constants of the Adam update, already in the working precision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coefficients<F> {
    /// Gradients and first moments below this count as zero.
    pub tiny: F,
    /// Second moments below this count as zero.
    pub tiny_v: F,
    /// The square term `(1 − β₂)·g²` is left out for `|g|` below this.
    pub tiny_square: F,
    pub l2: F,
    pub shrink: F,
    pub one_minus_beta1: F,
    pub beta2: F,
    pub one_minus_beta2: F,
    pub inv_sqrt_bc2: F,
    pub eps: F,
    pub step: F,
}

impl<F: Float> Coefficients<F> {
    /// One parameter's update, in PyTorch's `_single_tensor_adam` order of operations, with
    /// negligible gradients and moments set to zero (see [`Adam`]).
    #[inline(always)]
    pub(crate) fn update(&self, w: &mut F, g: F, m: &mut F, v: &mut F) {
        let wv = *w * self.shrink;
        let g = negligible_to_zero(g + self.l2 * wv, self.tiny);
        let gs = negligible_to_zero(g, self.tiny_square);
        let mv = negligible_to_zero(*m + self.one_minus_beta1 * (g - *m), self.tiny);
        let vv = negligible_to_zero(
            *v * self.beta2 + self.one_minus_beta2 * gs * gs,
            self.tiny_v,
        );
        let denom = vv.sqrt() * self.inv_sqrt_bc2 + self.eps;
        *m = mv;
        *v = vv;
        *w = wv - self.step * (mv / denom);
    }

    /// The update over whole slices: weight decay, both moments and the step in one pass, in
    /// fixed-width chunks the compiler turns into vector code.
    #[inline(always)]
    pub(crate) fn update_slice(&self, w: &mut [F], g: &[F], m: &mut [F], v: &mut [F]) {
        const L: usize = 8;
        let n = w.len().min(g.len()).min(m.len()).min(v.len());
        let full = n - n % L;
        let (w, wt) = w[..n].split_at_mut(full);
        let (m, mt) = m[..n].split_at_mut(full);
        let (v, vt) = v[..n].split_at_mut(full);
        let (g, gt) = g[..n].split_at(full);
        for (((w, g), m), v) in w
            .chunks_exact_mut(L)
            .zip(g.chunks_exact(L))
            .zip(m.chunks_exact_mut(L))
            .zip(v.chunks_exact_mut(L))
        {
            let mut wa = [F::zero(); L];
            let mut ma = [F::zero(); L];
            let mut va = [F::zero(); L];
            let mut ga = [F::zero(); L];
            wa.copy_from_slice(w);
            ma.copy_from_slice(m);
            va.copy_from_slice(v);
            ga.copy_from_slice(g);
            for l in 0..L {
                self.update(&mut wa[l], ga[l], &mut ma[l], &mut va[l]);
            }
            w.copy_from_slice(&wa);
            m.copy_from_slice(&ma);
            v.copy_from_slice(&va);
        }
        for (((w, &g), m), v) in wt.iter_mut().zip(gt).zip(mt.iter_mut()).zip(vt.iter_mut()) {
            self.update(w, g, m, v);
        }
    }

    /// [`Coefficients::update_slice`] with a zero gradient (weight decay and moment decay only).
    #[inline(always)]
    pub(crate) fn update_zero_grad(&self, w: &mut [F], m: &mut [F], v: &mut [F]) {
        const L: usize = 8;
        let n = w.len().min(m.len()).min(v.len());
        let full = n - n % L;
        let (w, wt) = w[..n].split_at_mut(full);
        let (m, mt) = m[..n].split_at_mut(full);
        let (v, vt) = v[..n].split_at_mut(full);
        for ((w, m), v) in w
            .chunks_exact_mut(L)
            .zip(m.chunks_exact_mut(L))
            .zip(v.chunks_exact_mut(L))
        {
            let mut wa = [F::zero(); L];
            let mut ma = [F::zero(); L];
            let mut va = [F::zero(); L];
            wa.copy_from_slice(w);
            ma.copy_from_slice(m);
            va.copy_from_slice(v);
            for l in 0..L {
                self.update(&mut wa[l], F::zero(), &mut ma[l], &mut va[l]);
            }
            w.copy_from_slice(&wa);
            m.copy_from_slice(&ma);
            v.copy_from_slice(&va);
        }
        for ((w, m), v) in wt.iter_mut().zip(mt.iter_mut()).zip(vt.iter_mut()) {
            self.update(w, F::zero(), m, v);
        }
    }

    /// [`Coefficients::update_slice`] split over the rayon pool in fixed chunks.
    pub(crate) fn update_parallel(&self, w: &mut [F], g: &[F], m: &mut [F], v: &mut [F]) {
        if w.len() <= ADAM_CHUNK {
            self.update_slice(w, g, m, v);
            return;
        }
        w.par_chunks_mut(ADAM_CHUNK)
            .zip(g.par_chunks(ADAM_CHUNK))
            .zip(m.par_chunks_mut(ADAM_CHUNK))
            .zip(v.par_chunks_mut(ADAM_CHUNK))
            .for_each(|(((w, g), m), v)| self.update_slice(w, g, m, v));
    }
}
