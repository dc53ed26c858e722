//! One fully connected layer followed by its activation.

use ndarray::{
    Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, linalg::general_mat_mul,
};
use xrd_core::{Float, Location, NonFinite};

use crate::{Activation, Error, Result};

/// Layers with at least this many inputs run inference through xrd-ae's kernels (`forward_rows`:
/// the gemm crate for dense inputs, kernels that skip zero input columns for inputs that are
/// mostly exactly zero); narrower ones use a general matrix product.
const SPARSE_MIN_INPUTS: usize = 1024;

/// A dense layer `a = act(x·Wᵀ + b)`, with `W` stored `outputs × inputs` like PyTorch's
/// `nn.Linear.weight`, optionally followed by dropout in training ([`Dense::with_dropout`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<F> {
    pub(crate) weight: Array2<F>,
    pub(crate) bias: Array1<F>,
    pub(crate) activation: Activation,
    pub(crate) slope: F,
    /// Dropout rate after the activation (training only), in `[0, 1)`.
    pub(crate) dropout: f64,
    /// The weights transposed for the inference kernel of mostly-zero rows, built at its first
    /// use and dropped whenever the weights change ([`Dense::params_mut`]).
    transposed: Transposed,
}

/// A cache of the transposed f32 weights: not part of the layer's value (equal, cloned as is,
/// shown only as built or not).
#[derive(Default)]
struct Transposed(std::sync::OnceLock<Vec<f32>>);

impl Clone for Transposed {
    fn clone(&self) -> Self {
        let cache = std::sync::OnceLock::new();
        if let Some(wt) = self.0.get() {
            let _ = cache.set(wt.clone());
        }
        Transposed(cache)
    }
}

impl PartialEq for Transposed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Transposed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "built"
        } else {
            "none"
        })
    }
}

impl<F: Float> Dense<F> {
    /// A layer from its weight (`outputs × inputs`), bias (`outputs`) and activation; a
    /// [`Activation::Prelu`] slope starts at PyTorch's 0.25 ([`Dense::with_slope`] changes it).
    pub fn new(weight: Array2<F>, bias: Array1<F>, activation: Activation) -> Result<Self> {
        if weight.nrows() != bias.len() {
            return Err(Error::shape(
                "layer bias",
                format!("a bias of {} values", weight.nrows()),
                format!("{} values", bias.len()),
            ));
        }
        if weight.nrows() == 0 || weight.ncols() == 0 {
            return Err(Error::shape(
                "layer weights",
                "a non-empty weight matrix",
                format!("{:?}", weight.dim()),
            ));
        }
        if let Some((row, col)) = first_non_finite(weight.view()) {
            let value = weight[(row, col)].as_f64();
            return Err(NonFinite::cell("layer weights", row, col, value).into());
        }
        if let Some(col) = bias.iter().position(|v| !v.is_finite()) {
            return Err(
                NonFinite::new("layer bias", Location::Point(col), bias[col].as_f64()).into(),
            );
        }
        Ok(Dense {
            weight: weight.as_standard_layout().into_owned(),
            bias,
            activation,
            slope: F::of(crate::activation::PRELU_INIT),
            dropout: 0.0,
            transposed: Transposed::default(),
        })
    }

    /// The same layer followed, in training, by dropout of rate `rate` in `[0, 1)` — PyTorch
    /// `nn.Dropout(rate)` after the activation: each output is zeroed with probability `rate` and
    /// the others are scaled by `1 / (1 − rate)`. Inference ([`Dense::forward`],
    /// [`Network::predict`](crate::Network::predict)) is unaffected. `0` (the default) means none.
    pub fn with_dropout(mut self, rate: f64) -> Result<Self> {
        crate::dropout::check_rate("dropout", rate)?;
        self.dropout = rate;
        Ok(self)
    }

    /// The dropout rate after the activation in training (`0`: none).
    pub fn dropout(&self) -> f64 {
        self.dropout
    }

    /// The same layer with PReLU slope `slope` (ignored by other activations).
    pub fn with_slope(mut self, slope: F) -> Result<Self> {
        if !slope.is_finite() {
            return Err(NonFinite::new("PReLU slope", Location::Whole, slope.as_f64()).into());
        }
        self.slope = slope;
        Ok(self)
    }

    /// The weight matrix, `outputs × inputs` (PyTorch layout).
    pub fn weight(&self) -> ArrayView2<'_, F> {
        self.weight.view()
    }

    /// The bias vector (`outputs`).
    pub fn bias(&self) -> ArrayView1<'_, F> {
        self.bias.view()
    }

    /// The activation after the affine map.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The learnable PReLU slope (meaningful only for [`Activation::Prelu`]).
    pub fn slope(&self) -> F {
        self.slope
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.weight.ncols()
    }

    /// Number of outputs (units).
    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }

    /// Number of trainable scalars (weights, biases and, for PReLU, the slope).
    pub fn num_parameters(&self) -> usize {
        self.weight.len() + self.bias.len() + usize::from(self.activation == Activation::Prelu)
    }

    /// Applies this layer's activation in place to pre-activations of shape batch × outputs.
    pub fn activate(&self, pre: ArrayViewMut2<'_, F>) {
        self.activation.apply(self.slope, pre);
    }

    /// The weights as a row-major slice (always standard layout).
    pub(crate) fn weight_slice(&self) -> &[F] {
        self.weight.as_slice().unwrap_or(&[])
    }

    /// Weights (row-major) and biases, mutably.
    pub(crate) fn params_mut(&mut self) -> (&mut [F], &mut [F]) {
        self.transposed = Transposed::default();
        (
            self.weight.as_slice_mut().unwrap_or(&mut []),
            self.bias.as_slice_mut().unwrap_or(&mut []),
        )
    }

    /// The pre-activations `x·Wᵀ + b` of a batch (batch × inputs) written into `out`
    /// (batch × outputs).
    pub(crate) fn affine_into(&self, x: ArrayView2<'_, F>, mut out: ArrayViewMut2<'_, F>) {
        if self.inputs() >= SPARSE_MIN_INPUTS
            && let (Some(xs), Some(os)) = (x.as_slice(), out.as_slice_mut())
        {
            let rows = x.nrows();
            crate::kernels::forward_rows(
                self.weight_slice(),
                self.bias.as_slice().unwrap_or(&[]),
                xs,
                rows,
                os,
                Some(&self.transposed.0),
            );
            return;
        }
        general_mat_mul(F::one(), &x, &self.weight.t(), F::zero(), &mut out);
        for mut row in out.axis_iter_mut(Axis(0)) {
            row += &self.bias;
        }
    }

    /// `act(x·Wᵀ + b)` for a batch (batch × inputs); dropout is not applied (inference).
    ///
    /// # Panics
    /// If `x.ncols() != self.inputs()`.
    pub fn forward(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        let mut out = Array2::zeros((x.nrows(), self.outputs()));
        self.affine_into(x, out.view_mut());
        self.activate(out.view_mut());
        out
    }
}

/// Position of the first NaN/inf of a matrix, if any.
pub(crate) fn first_non_finite<F: Float>(x: ArrayView2<'_, F>) -> Option<(usize, usize)> {
    // Fast path: a branch-free scan of contiguous data (vectorised), then locate only on failure.
    if let Some(s) = x.as_slice() {
        use rayon::prelude::*;
        let finite = s
            .par_chunks(1 << 16)
            .all(|c| c.iter().fold(true, |ok, v| ok & v.is_finite()));
        if finite {
            return None;
        }
    }
    for (r, row) in x.axis_iter(Axis(0)).enumerate() {
        if let Some(c) = row.iter().position(|v| !v.is_finite()) {
            return Some((r, c));
        }
    }
    None
}

/// Runs `layers` on a batch.
pub(crate) fn forward_layers<F: Float>(layers: &[Dense<F>], x: ArrayView2<'_, F>) -> Array2<F> {
    let mut layers = layers.iter();
    let Some(first) = layers.next() else {
        return x.to_owned();
    };
    let mut h = first.forward(x);
    for layer in layers {
        h = layer.forward(h.view());
    }
    h
}

/// Checks the width and finiteness of an input batch.
pub(crate) fn check_input<F: Float>(
    x: ArrayView2<'_, F>,
    width: usize,
    what: &'static str,
) -> Result<()> {
    if x.ncols() != width {
        return Err(Error::shape(
            what,
            format!("{width} columns"),
            format!("{} × {}", x.nrows(), x.ncols()),
        ));
    }
    if let Some((row, col)) = first_non_finite(x) {
        return Err(NonFinite::cell(what, row, col, x[(row, col)].as_f64()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transposed weights kept for inference go with the weights: changed weights give the
    /// outputs of a fresh layer with those weights.
    #[test]
    fn changed_weights_drop_the_transposed_copy() {
        let (inputs, outputs, rows) = (1100, 24, 20);
        let weight = Array2::from_shape_fn((outputs, inputs), |(j, k)| {
            (((j * 31 + k * 7) % 19) as f32 - 9.0) / 90.0
        });
        let bias = Array1::from_shape_fn(outputs, |j| j as f32 / 10.0);
        // Each row mostly zero, in columns of its own.
        let x = Array2::from_shape_fn((rows, inputs), |(r, k)| {
            if (k + 17 * r) % 50 < 15 {
                1.0 + (k % 5) as f32
            } else {
                0.0
            }
        });
        let mut layer = Dense::new(weight, bias.clone(), Activation::Identity).unwrap();
        let before = layer.forward(x.view());
        let (w, _) = layer.params_mut();
        for v in w.iter_mut() {
            *v *= -2.0;
        }
        let fresh = Dense::new(layer.weight.clone(), bias, Activation::Identity).unwrap();
        assert_eq!(layer.forward(x.view()), fresh.forward(x.view()));
        assert_ne!(layer.forward(x.view()), before);
    }
}
