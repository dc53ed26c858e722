//! One training step: forward with cached activations, hand-written backward, fused Adam update.

use ndarray::{Array1, Array2, ArrayView2, s};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_core::Float;

use crate::kernels;
use crate::{Activation, Adam, Dense, Loss};

/// Buffers of one layer, allocated once per training run and reused by every step.
#[derive(Debug)]
struct LayerBuffers<F> {
    /// Pre-activations (batch × out).
    z: Array2<F>,
    /// Activations (batch × out).
    a: Array2<F>,
    /// Dropout mask (`0` or `1 / (1 − p)`, batch × out) and the dropped-out activations `a ⊙ mask`
    /// that the next layer reads; empty for a layer without dropout.
    mask: Vec<F>,
    dropped: Vec<F>,
    /// Whether this step's forward pass applied dropout to this layer.
    dropping: bool,
    /// Loss gradient with respect to the layer's output (`a`, or `a ⊙ mask` with dropout).
    da: Array2<F>,
    /// Loss gradient with respect to `z`.
    dz: Array2<F>,
    /// Adam moments of the weights (out × in) and biases.
    mw: Array2<F>,
    vw: Array2<F>,
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
    /// Scratch: transposed pre-activations and batch, per-block input-gradient sums, column
    /// segments.
    zt: Vec<F>,
    xt: Vec<F>,
    partials: Vec<F>,
    segments: Vec<(usize, usize)>,
    full: Vec<(usize, usize)>,
    /// The dropout masks' stream; `None`: dropout off (gradients of the inference network).
    dropout_rng: Option<Xoshiro256PlusPlus>,
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
                    mask: Vec::new(),
                    dropped: Vec::new(),
                    dropping: false,
                    da: Array2::zeros((batch, o)),
                    dz: Array2::zeros((batch, o)),
                    mw: Array2::zeros((o, i)),
                    vw: Array2::zeros((o, i)),
                    mb: Array1::zeros(o),
                    vb: Array1::zeros(o),
                    ds: F::zero(),
                    ms: F::zero(),
                    vs: F::zero(),
                }
            })
            .collect();
        let widest = layers.iter().map(Dense::outputs).max().unwrap_or(0);
        Engine {
            buffers,
            loss,
            adam,
            t: 0,
            zt: vec![F::zero(); widest * batch],
            xt: Vec::new(),
            partials: Vec::new(),
            segments: Vec::new(),
            full: Vec::new(),
            dropout_rng: None,
        }
    }

    /// Turns dropout on (training mode), with masks drawn from a stream seeded by `seed`.
    pub(crate) fn with_dropout(mut self, seed: u64) -> Self {
        self.dropout_rng = Some(Xoshiro256PlusPlus::seed_from_u64(seed));
        self
    }

    /// Forward pass with cached activations, then the loss and its gradient with respect to the
    /// last activations; returns the loss.
    fn forward(&mut self, layers: &[Dense<F>], x: &[F], b: usize, y: ArrayView2<'_, F>) -> F {
        let n = layers.len();
        self.forward_layers(layers, x, b, n);
        let last = &mut self.buffers[n - 1];
        let o = last.a.ncols();
        let (out, da) = last.output_and_grad(b);
        match (
            ArrayView2::from_shape((b, o), out),
            ndarray::ArrayViewMut2::from_shape((b, o), da),
        ) {
            (Ok(out), Ok(da)) => self.loss.value_and_grad(out, y, da),
            // Not reached: both buffers hold `b × o` values.
            _ => F::nan(),
        }
    }

    /// Forward pass of the first `upto` layers with cached activations.
    fn forward_layers(&mut self, layers: &[Dense<F>], x: &[F], b: usize, upto: usize) {
        for (l, layer) in layers.iter().enumerate().take(upto) {
            let (prev, rest) = self.buffers.split_at_mut(l);
            let buf = &mut rest[0];
            let o = layer.outputs();
            let input: &[F] = if l == 0 {
                kernels::nonzero_segments(x, layer.inputs(), &mut self.segments);
                x
            } else {
                self.full.clear();
                self.full.push((0, layer.inputs()));
                prev[l - 1].output(b)
            };
            let segments = if l == 0 { &self.segments } else { &self.full };
            let z = as_slice_mut(&mut buf.z, b);
            kernels::forward(
                layer.weight_slice(),
                slice1(&layer.bias),
                input,
                b,
                segments,
                &mut self.zt,
                z,
            );
            as_slice_mut(&mut buf.a, b).copy_from_slice(&z[..b * o]);
            layer.activate(buf.a.slice_mut(s![..b, ..]));
            buf.dropping = false;
            if let (Some(rng), true) = (self.dropout_rng.as_mut(), layer.dropout > 0.0) {
                buf.mask.resize(b * o, F::zero());
                buf.dropped.resize(b * o, F::zero());
                crate::dropout::draw_mask(rng, layer.dropout, &mut buf.mask[..b * o]);
                crate::dropout::apply(
                    as_slice(&buf.a, b),
                    &buf.mask[..b * o],
                    &mut buf.dropped[..b * o],
                );
                buf.dropping = true;
            }
        }
    }

    /// Backward pass; each layer's weight gradient goes straight to a sink: the fused Adam update
    /// (`store == None`) or the gradient store.
    fn backward(
        &mut self,
        layers: &mut [Dense<F>],
        x: &[F],
        b: usize,
        upto: usize,
        mut store: Option<&mut Vec<LayerGradient<F>>>,
    ) {
        let coefficients = self.adam.coefficients::<F>(self.t);
        for l in (0..upto).rev() {
            let layer = &mut layers[l];
            let (prev, rest) = self.buffers.split_at_mut(l);
            let buf = &mut rest[0];
            if buf.dropping {
                // Through the mask: d(a ⊙ mask)/da = mask.
                for (d, &m) in as_slice_mut(&mut buf.da, b).iter_mut().zip(&buf.mask) {
                    *d *= m;
                }
            }
            let ds = layer.activation.backward(
                layer.slope,
                buf.z.slice(s![..b, ..]),
                buf.a.slice(s![..b, ..]),
                buf.da.slice(s![..b, ..]),
                buf.dz.slice_mut(s![..b, ..]),
            );
            let (inputs, outputs) = (layer.inputs(), layer.outputs());
            let (input, dx): (&[F], Option<&mut [F]>) = if l == 0 {
                // `self.segments` still holds this batch's non-zero columns: the forward pass of
                // layer 0 found them (every path runs it before the backward pass reaches it).
                (x, None)
            } else {
                self.full.clear();
                self.full.push((0, inputs));
                let p = &mut prev[l - 1];
                let (input, da) = p.output_and_grad(b);
                (input, Some(da))
            };
            let packed;
            let params = kernels::Backward {
                x: input,
                dz: as_slice(&buf.dz, b),
                batch: b,
                segments: if l == 0 { &self.segments } else { &self.full },
                xpack: if b >= kernels::WIDE_BATCH && store.is_none() {
                    packed = kernels::pack_vectors(input, b, inputs);
                    &packed
                } else {
                    &[]
                },
            };
            let rpb = kernels::rows_per_block(inputs, b);
            match store.as_deref_mut() {
                None => {
                    let blocks = slice2_mut(&mut buf.mw)
                        .chunks_mut(rpb * inputs)
                        .zip(slice2_mut(&mut buf.vw).chunks_mut(rpb * inputs))
                        .zip(slice1_mut(&mut buf.mb).chunks_mut(rpb))
                        .zip(slice1_mut(&mut buf.vb).chunks_mut(rpb))
                        .map(|(((m, v), mb), vb)| kernels::AdamBlock {
                            m,
                            v,
                            mb,
                            vb,
                            next_bias: 0,
                        })
                        .collect();
                    let sink = kernels::AdamSink { c: coefficients };
                    let (w, bias) = layer.params_mut();
                    kernels::backward(&params, w, bias, &sink, blocks, dx, &mut self.partials);
                    if layer.activation == Activation::Prelu {
                        coefficients.update(&mut layer.slope, ds, &mut buf.ms, &mut buf.vs);
                    }
                }
                Some(out) => {
                    let mut g = LayerGradient {
                        weight: Array2::zeros((outputs, inputs)),
                        bias: Array1::zeros(outputs),
                        slope: ds,
                    };
                    let mut w = layer.weight.clone();
                    let mut bias = layer.bias.clone();
                    let blocks = slice2_mut(&mut g.weight)
                        .chunks_mut(rpb * inputs)
                        .zip(slice1_mut(&mut g.bias).chunks_mut(rpb))
                        .map(|(dw, db)| kernels::StoreBlock {
                            dw,
                            db,
                            next_bias: 0,
                        })
                        .collect();
                    kernels::backward(
                        &params,
                        slice2_mut(&mut w),
                        slice1_mut(&mut bias),
                        &kernels::StoreSink,
                        blocks,
                        dx,
                        &mut self.partials,
                    );
                    out[l] = g;
                }
            }
            buf.ds = ds;
        }
    }

    /// The loss of one batch and its gradients, weights untouched.
    pub(crate) fn gradients(
        &mut self,
        layers: &[Dense<F>],
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> Gradients<F> {
        let b = x.nrows();
        let x = x.as_standard_layout();
        let xs = x.as_slice().unwrap_or(&[]);
        let loss = self.forward(layers, xs, b, y);
        let mut out: Vec<LayerGradient<F>> = layers
            .iter()
            .map(|_| LayerGradient {
                weight: Array2::zeros((0, 0)),
                bias: Array1::zeros(0),
                slope: F::zero(),
            })
            .collect();
        let mut scratch = layers.to_vec();
        let n = layers.len();
        self.backward(&mut scratch, xs, b, n, Some(&mut out));
        Gradients { loss, layers: out }
    }

    /// One full training step on a batch (at most the engine's batch size); returns the loss
    /// before the update.
    pub(crate) fn step(
        &mut self,
        layers: &mut [Dense<F>],
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) -> F {
        let b = x.nrows();
        let x = x.as_standard_layout();
        let xs = x.as_slice().unwrap_or(&[]);
        let n = layers.len();
        let last_drops = self.dropout_rng.is_some() && layers[n - 1].dropout > 0.0;
        if self.loss == Loss::Mse
            && layers[n - 1].activation == Activation::Identity
            && !last_drops
            && kernels::output_fusable::<F>(b)
        {
            self.forward_layers(layers, xs, b, n - 1);
            self.t += 1;
            if let Some(loss) = self.output_step(layers, xs, b, y) {
                self.backward(layers, xs, b, n - 1, None);
                return loss;
            }
            // Not reached when `output_fusable` holds; kept as a safe fallback.
            self.t -= 1;
        }
        let loss = self.forward(layers, xs, b, y);
        self.t += 1;
        self.backward(layers, xs, b, n, None);
        loss
    }

    /// The output layer's forward pass, MSE loss and gradient, backward pass and Adam update in
    /// one pass over its weights (see `kernels::output_mse_adam`); the input gradient goes to the
    /// previous layer's buffer. `None` (nothing done) where that kernel does not run.
    fn output_step(
        &mut self,
        layers: &mut [Dense<F>],
        x: &[F],
        b: usize,
        y: ArrayView2<'_, F>,
    ) -> Option<F> {
        let n = layers.len();
        let y = y.as_standard_layout();
        let ys = y.as_slice()?;
        let (prev, rest) = self.buffers.split_at_mut(n - 1);
        let buf = &mut rest[0];
        let (input, dx): (&[F], Option<&mut [F]>) = if n == 1 {
            kernels::nonzero_segments(x, layers[0].inputs(), &mut self.segments);
            (x, None)
        } else {
            self.full.clear();
            self.full.push((0, layers[n - 1].inputs()));
            let (input, da) = prev[n - 2].output_and_grad(b);
            (input, Some(da))
        };
        let segments = if n == 1 { &self.segments } else { &self.full };
        let coefficients = self.adam.coefficients::<F>(self.t);
        let (w, bias) = layers[n - 1].params_mut();
        kernels::output_mse_adam(
            &kernels::Output {
                x: input,
                batch: b,
                segments,
                y: &ys[..b * bias.len()],
            },
            w,
            bias,
            kernels::OutputMoments {
                m: slice2_mut(&mut buf.mw),
                v: slice2_mut(&mut buf.vw),
                mb: slice1_mut(&mut buf.mb),
                vb: slice1_mut(&mut buf.vb),
            },
            &coefficients,
            &mut self.xt,
            &mut self.partials,
            dx,
        )
    }
}

impl<F: Float> LayerBuffers<F> {
    /// The layer's output for the first `b` rows: the activations, dropped out if this step
    /// applied dropout.
    fn output(&self, b: usize) -> &[F] {
        if self.dropping {
            &self.dropped[..b * self.a.ncols()]
        } else {
            as_slice(&self.a, b)
        }
    }

    /// [`LayerBuffers::output`] and the gradient buffer with respect to it.
    fn output_and_grad(&mut self, b: usize) -> (&[F], &mut [F]) {
        let n = b * self.a.ncols();
        let out = if self.dropping {
            &self.dropped[..n]
        } else {
            as_slice(&self.a, b)
        };
        (out, as_slice_mut(&mut self.da, b))
    }
}

/// The first `rows` rows of a standard-layout buffer as a slice.
fn as_slice<F>(a: &Array2<F>, rows: usize) -> &[F] {
    let n = rows * a.ncols();
    a.as_slice().map_or(&[][..], |s| &s[..n])
}

fn as_slice_mut<F>(a: &mut Array2<F>, rows: usize) -> &mut [F] {
    let n = rows * a.ncols();
    a.as_slice_mut().map_or(&mut [][..], |s| &mut s[..n])
}

fn slice2_mut<F>(a: &mut Array2<F>) -> &mut [F] {
    a.as_slice_mut().unwrap_or(&mut [])
}

fn slice1<F>(a: &Array1<F>) -> &[F] {
    a.as_slice().unwrap_or(&[])
}

fn slice1_mut<F>(a: &mut Array1<F>) -> &mut [F] {
    a.as_slice_mut().unwrap_or(&mut [])
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
