//! Activation functions applied element-wise (or row-wise for softmax) after a dense layer.

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};
use serde::{Deserialize, Serialize};
use xrd_core::Float;

/// The activation of a [`Dense`](crate::Dense) layer.
///
/// Each maps to one PyTorch module, which is what the reference script puts after the `nn.Linear`
/// of the layer in an `nn.Sequential` (see [`Activation::torch_module`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Activation {
    /// `x` (the decoder's output layer in the paper).
    #[default]
    Identity,
    /// `max(x, 0)` (the paper's hidden layers).
    Relu,
    /// `tanh(x)` (the paper's bottleneck).
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// Row-wise `e^x_i / Σ_j e^x_j` (for classifiers; computed with the row maximum subtracted).
    Softmax,
    /// `x` for `x ≥ 0`, `a·x` otherwise, with one learnable slope `a` per layer (PyTorch
    /// `nn.PReLU()` with its default `num_parameters = 1`, initialised to 0.25).
    Prelu,
}

/// PyTorch's initial PReLU slope.
pub const PRELU_INIT: f64 = 0.25;

impl Activation {
    /// The PyTorch module that computes this activation (`nn.Identity()` for [`Activation::Identity`]).
    pub fn torch_module(self) -> &'static str {
        match self {
            Activation::Identity => "nn.Identity()",
            Activation::Relu => "nn.ReLU()",
            Activation::Tanh => "nn.Tanh()",
            Activation::Sigmoid => "nn.Sigmoid()",
            Activation::Softmax => "nn.Softmax(dim=1)",
            Activation::Prelu => "nn.PReLU()",
        }
    }

    /// Applies the activation in place to pre-activations of shape batch × units.
    /// `slope` is only used by [`Activation::Prelu`].
    pub fn apply<F: Float>(self, slope: F, mut x: ArrayViewMut2<'_, F>) {
        match self {
            Activation::Identity => {}
            Activation::Relu => x.mapv_inplace(|v| if v > F::zero() { v } else { F::zero() }),
            Activation::Tanh => x.mapv_inplace(F::tanh),
            Activation::Sigmoid => x.mapv_inplace(sigmoid),
            Activation::Prelu => x.mapv_inplace(|v| if v >= F::zero() { v } else { slope * v }),
            Activation::Softmax => {
                for mut row in x.axis_iter_mut(Axis(0)) {
                    let max = row.iter().fold(F::neg_infinity(), |m, &v| m.max(v));
                    row.mapv_inplace(|v| (v - max).exp());
                    let sum: F = row.iter().copied().sum();
                    row.mapv_inplace(|v| v / sum);
                }
            }
        }
    }

    /// Back-propagates through the activation: given pre-activations `z`, outputs `a`, and the loss
    /// gradient `da` with respect to `a`, writes the gradient with respect to `z` into `dz` and
    /// returns the gradient with respect to the PReLU slope (zero for other activations).
    pub fn backward<F: Float>(
        self,
        slope: F,
        z: ArrayView2<'_, F>,
        a: ArrayView2<'_, F>,
        da: ArrayView2<'_, F>,
        mut dz: ArrayViewMut2<'_, F>,
    ) -> F {
        let zero = F::zero();
        match self {
            Activation::Identity => dz.assign(&da),
            Activation::Relu => Zip::from(&mut dz)
                .and(&z)
                .and(&da)
                .for_each(|d, &z, &g| *d = if z > zero { g } else { zero }),
            Activation::Tanh => Zip::from(&mut dz)
                .and(&a)
                .and(&da)
                .for_each(|d, &a, &g| *d = g * (F::one() - a * a)),
            Activation::Sigmoid => Zip::from(&mut dz)
                .and(&a)
                .and(&da)
                .for_each(|d, &a, &g| *d = g * a * (F::one() - a)),
            Activation::Prelu => {
                let mut ds = zero;
                Zip::from(&mut dz).and(&z).and(&da).for_each(|d, &z, &g| {
                    if z >= zero {
                        *d = g;
                    } else {
                        *d = slope * g;
                        ds += g * z;
                    }
                });
                return ds;
            }
            Activation::Softmax => {
                for ((mut d, a), g) in dz
                    .axis_iter_mut(Axis(0))
                    .zip(a.axis_iter(Axis(0)))
                    .zip(da.axis_iter(Axis(0)))
                {
                    let dot: F = a.iter().zip(g.iter()).map(|(&a, &g)| a * g).sum();
                    Zip::from(&mut d)
                        .and(&a)
                        .and(&g)
                        .for_each(|d, &a, &g| *d = a * (g - dot));
                }
            }
        }
        zero
    }
}

fn sigmoid<F: Float>(v: F) -> F {
    // Two branches so that neither exp overflows.
    if v >= F::zero() {
        F::one() / (F::one() + (-v).exp())
    } else {
        let e = v.exp();
        e / (F::one() + e)
    }
}
