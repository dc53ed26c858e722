//! Losses: the value over a batch and its gradient with respect to the network output.

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};
use serde::{Deserialize, Serialize};
use xrd_core::Float;

/// Added to the variances of the Pearson loss so that a constant row has a finite gradient.
pub const PEARSON_EPS: f64 = 1e-12;

/// The scale `2/n` of the mean squared error over `n` elements (at least one): the gradient of
/// an element is `scale·(y − t)` (see [`mse_error`]).
#[inline]
pub(crate) fn mse_scale<F: Float>(n: usize) -> F {
    F::of(2.0) / F::of_usize(n.max(1))
}

/// The error `y − t` of one element of the mean squared error and its gradient `scale·(y − t)`
/// (`scale` from [`mse_scale`]): the one formula of [`Loss::Mse`] and the fused output layer of
/// the kernels, which sums the squared errors itself (in f64 per block of rows, so the loss does
/// not depend on the number of threads).
#[inline(always)]
pub(crate) fn mse_error<F: Float>(y: F, t: F, scale: F) -> (F, F) {
    let d = y - t;
    (d, scale * d)
}

/// A training loss, always averaged over the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Loss {
    /// Mean squared error over every element (PyTorch `nn.MSELoss()`, the paper's loss).
    #[default]
    Mse,
    /// `1 − r` averaged over the rows, `r` the Pearson correlation between an output row and its
    /// target row (the DeepXRD loss); both variances get [`PEARSON_EPS`] added.
    Pearson,
    /// Cross-entropy of target class probabilities (rows summing to one, e.g. one-hot) against
    /// the **logits** the network outputs, with the log-softmax taken inside, exactly like PyTorch
    /// `nn.CrossEntropyLoss()` with probability targets: use it with an
    /// [`Identity`](crate::Activation::Identity) output layer.
    CrossEntropy,
}

impl Loss {
    /// The loss of `output` against `target` (both batch × outputs).
    pub fn value<F: Float>(self, output: ArrayView2<'_, F>, target: ArrayView2<'_, F>) -> F {
        let mut grad = ndarray::Array2::zeros(output.raw_dim());
        self.value_and_grad(output, target, grad.view_mut())
    }

    /// The loss of `output` against `target`, with its gradient with respect to `output` written
    /// into `grad` (all three batch × outputs).
    pub fn value_and_grad<F: Float>(
        self,
        output: ArrayView2<'_, F>,
        target: ArrayView2<'_, F>,
        mut grad: ArrayViewMut2<'_, F>,
    ) -> F {
        let rows = output.nrows();
        let batch = F::of_usize(rows.max(1));
        match self {
            Loss::Mse => {
                let n = F::of_usize((rows * output.ncols()).max(1));
                let scale = mse_scale::<F>(rows * output.ncols());
                let mut total = F::zero();
                for ((y, t), mut g) in output
                    .axis_iter(Axis(0))
                    .zip(target.axis_iter(Axis(0)))
                    .zip(grad.axis_iter_mut(Axis(0)))
                {
                    let mut row = F::zero();
                    Zip::from(&mut g).and(&y).and(&t).for_each(|g, &y, &t| {
                        let (d, grad) = mse_error(y, t, scale);
                        row += d * d;
                        *g = grad;
                    });
                    total += row;
                }
                total / n
            }
            Loss::Pearson => {
                let eps = F::of(PEARSON_EPS);
                let mut total = F::zero();
                for ((y, t), mut g) in output
                    .axis_iter(Axis(0))
                    .zip(target.axis_iter(Axis(0)))
                    .zip(grad.axis_iter_mut(Axis(0)))
                {
                    let m = F::of_usize(y.len().max(1));
                    let my = y.sum() / m;
                    let mt = t.sum() / m;
                    let (mut syy, mut stt, mut syt) = (F::zero(), F::zero(), F::zero());
                    for (&y, &t) in y.iter().zip(t.iter()) {
                        let (a, b) = (y - my, t - mt);
                        syy += a * a;
                        stt += b * b;
                        syt += a * b;
                    }
                    let a = syy + eps;
                    let c = stt + eps;
                    let root = (a * c).sqrt();
                    let r = syt / root;
                    total += F::one() - r;
                    // dr/dy_i = tc_i/√(ac) − r·yc_i/a, then centred (the mean depends on every y).
                    Zip::from(&mut g)
                        .and(&y)
                        .and(&t)
                        .for_each(|g, &y, &t| *g = -((t - mt) / root - r * (y - my) / a) / batch);
                    let mean = g.sum() / m;
                    g.mapv_inplace(|v| v - mean);
                }
                total / batch
            }
            Loss::CrossEntropy => {
                let mut total = F::zero();
                for ((y, t), mut g) in output
                    .axis_iter(Axis(0))
                    .zip(target.axis_iter(Axis(0)))
                    .zip(grad.axis_iter_mut(Axis(0)))
                {
                    let max = y.iter().fold(F::neg_infinity(), |m, &v| m.max(v));
                    let lse = max + y.iter().map(|&v| (v - max).exp()).sum::<F>().ln();
                    let tsum: F = t.sum();
                    let mut row = F::zero();
                    Zip::from(&mut g).and(&y).and(&t).for_each(|g, &y, &t| {
                        let logp = y - lse;
                        row -= t * logp;
                        // d/dy_i of −Σ t_j log p_j = p_i Σ t − t_i.
                        *g = (logp.exp() * tsum - t) / batch;
                    });
                    total += row;
                }
                total / batch
            }
        }
    }
}
