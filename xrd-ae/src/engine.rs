//! One training step: forward with cached activations, hand-written backward, fused Adam update.

use ndarray::{Array1, Array2, ArrayView2, linalg::general_mat_mul, s};
use xrd_io::Float;

use crate::train::column_sums;
use crate::{Activation, Adam, Dense, Loss};

/// Buffers of one layer, allocated once per training run and reused by every step.
#[derive(Debug)]
struct LayerBuffers<F> {
    /// Pre-activations (batch × out).
    z: Array2<F>,
    /// Activations (batch × out).
    a: Array2<F>,
    /// Loss gradient with respect to `a`.
    da: Array2<F>,
    /// Loss gradient with respect to `z`.
    dz: Array2<F>,
    /// Weight gradient (out × in) and Adam moments.
    dw: Array2<F>,
    mw: Array2<F>,
    vw: Array2<F>,
    /// Bias gradient and moments.
    db: Array1<F>,
    mb: Array1<F>,
    vb: Array1<F>,
    /// PReLU slope gradient and moments.
    ds: F,
    ms: F,
    vs: F,
}

/// The training engine of a chain of dense layers.
#[derive(Debug)]
pub(crate) struct Engine<F> {
    buffers: Vec<LayerBuffers<F>>,
    loss: Loss,
    adam: Adam,
    /// Adam steps taken so far.
    t: u64,
}

impl<F: Float> Engine<F> {
    pub(crate) fn new(layers: &[Dense<F>], loss: Loss, adam: Adam, batch: usize) -> Self {
        let buffers = layers
            .iter()
            .map(|l| {
                let (o, i) = (l.outputs(), l.inputs());
                LayerBuffers {
                    z: Array2::zeros((batch, o)),
                    a: Array2::zeros((batch, o)),
                    da: Array2::zeros((batch, o)),
                    dz: Array2::zeros((batch, o)),
                    dw: Array2::zeros((o, i)),
                    mw: Array2::zeros((o, i)),
                    vw: Array2::zeros((o, i)),
                    db: Array1::zeros(o),
                    mb: Array1::zeros(o),
                    vb: Array1::zeros(o),
                    ds: F::zero(),
                    ms: F::zero(),
                    vs: F::zero(),
                }
            })
            .collect();
        Engine {
            buffers,
            loss,
            adam,
            t: 0,
        }
    }

    /// Forward and backward on one batch (at most the engine's batch size), leaving the gradients
    /// in the buffers; returns the loss.
    pub(crate) fn gradients(
        &mut self,
        layers: &[Dense<F>],
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> F {
        let b = x.nrows();
        let n = layers.len();
        for (l, layer) in layers.iter().enumerate() {
            let (prev, rest) = self.buffers.split_at_mut(l);
            let buf = &mut rest[0];
            let input = if l == 0 {
                x.view()
            } else {
                prev[l - 1].a.slice(s![..b, ..])
            };
            layer.affine_into(input, buf.z.slice_mut(s![..b, ..]));
            let mut a = buf.a.slice_mut(s![..b, ..]);
            a.assign(&buf.z.slice(s![..b, ..]));
            layer.activate(a);
        }
        let last = &mut self.buffers[n - 1];
        let value =
            self.loss
                .value_and_grad(last.a.slice(s![..b, ..]), y, last.da.slice_mut(s![..b, ..]));
        for (l, layer) in layers.iter().enumerate().rev() {
            let (prev, rest) = self.buffers.split_at_mut(l);
            let buf = &mut rest[0];
            buf.ds = layer.activation.backward(
                layer.slope,
                buf.z.slice(s![..b, ..]),
                buf.a.slice(s![..b, ..]),
                buf.da.slice(s![..b, ..]),
                buf.dz.slice_mut(s![..b, ..]),
            );
            let dz = buf.dz.slice(s![..b, ..]);
            let input = if l == 0 {
                x.view()
            } else {
                prev[l - 1].a.slice(s![..b, ..])
            };
            general_mat_mul(F::one(), &dz.t(), &input, F::zero(), &mut buf.dw);
            column_sums(dz, &mut buf.db);
            if l > 0 {
                let mut da = prev[l - 1].da.slice_mut(s![..b, ..]);
                general_mat_mul(F::one(), &dz, &layer.weight, F::zero(), &mut da);
            }
        }
        value
    }

    /// Applies one Adam step with the gradients left by [`Engine::gradients`].
    pub(crate) fn update(&mut self, layers: &mut [Dense<F>]) {
        self.t += 1;
        let c = self.adam.coefficients::<F>(self.t);
        for (layer, buf) in layers.iter_mut().zip(&mut self.buffers) {
            match (
                layer.weight.as_slice_mut(),
                buf.dw.as_slice(),
                buf.mw.as_slice_mut(),
                buf.vw.as_slice_mut(),
            ) {
                (Some(w), Some(g), Some(m), Some(v)) => c.update_parallel(w, g, m, v),
                _ => unreachable!("engine buffers and layer weights are in standard layout"),
            }
            for (((w, &g), m), v) in layer
                .bias
                .iter_mut()
                .zip(&buf.db)
                .zip(buf.mb.iter_mut())
                .zip(buf.vb.iter_mut())
            {
                c.update(w, g, m, v);
            }
            if layer.activation == Activation::Prelu {
                c.update(&mut layer.slope, buf.ds, &mut buf.ms, &mut buf.vs);
            }
        }
    }

    /// One full training step on a batch; returns the loss before the update.
    pub(crate) fn step(
        &mut self,
        layers: &mut [Dense<F>],
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> F {
        let value = self.gradients(layers, x, y);
        self.update(layers);
        value
    }
}

/// The loss of a batch and its gradient with respect to every parameter (see
/// [`Network::gradients`](crate::Network::gradients)).
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients<F> {
    /// The loss value.
    pub loss: F,
    /// One entry per layer, first to last.
    pub layers: Vec<LayerGradient<F>>,
}

/// The gradient of a loss with respect to one [`Dense`] layer's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGradient<F> {
    /// With respect to the weight (`outputs × inputs`).
    pub weight: Array2<F>,
    /// With respect to the bias.
    pub bias: Array1<F>,
    /// With respect to the PReLU slope (zero for other activations).
    pub slope: F,
}

impl<F: Float> Engine<F> {
    /// Copies the gradients of the last [`Engine::gradients`] call out of the buffers.
    pub(crate) fn export(&self, loss: F) -> Gradients<F> {
        Gradients {
            loss,
            layers: self
                .buffers
                .iter()
                .map(|b| LayerGradient {
                    weight: b.dw.clone(),
                    bias: b.db.clone(),
                    slope: b.ds,
                })
                .collect(),
        }
    }
}
