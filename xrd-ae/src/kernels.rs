//! The dense-layer kernels of training: forward over row blocks of `W`, and a backward pass that
//! computes each row of the weight gradient and immediately hands it to a [`RowSink`] (the fused
//! Adam update, or a store for [`Network::gradients`](crate::Network::gradients)), so during
//! training the gradient of a weight never goes to memory.
//!
//! Work is split into blocks of output rows whose size depends only on the layer's shape, and
//! every output element is computed by one thread in a fixed order; partial sums of the input
//! gradient are kept per block and added in block order. Results are therefore bit-identical for
//! any number of threads.
//!
//! Inputs are walked as `segments` of columns that are non-zero in at least one row of the batch
//! (XRD patterns are mostly exactly zero): skipping the zero columns is exact, a zero input adds
//! nothing to a product and gives a zero weight gradient.

use rayon::prelude::*;
use xrd_io::Float;

use crate::adam::Coefficients;

/// Lanes of the explicit accumulators (one AVX-512 vector of f32, two AVX2, four SSE).
const LANES: usize = 16;
/// Weights per block of rows (64 KiB of f32): large enough to amortise scheduling, small enough
/// to balance two cores over the paper's 128-row first layer.
const BLOCK_ELEMS: usize = 1 << 14;
/// Batch rows handled together by the forward kernel (their accumulators stay in registers).
const ROW_GROUP: usize = 4;

/// Output rows per block for a layer with `inputs` inputs.
pub(crate) fn rows_per_block(inputs: usize) -> usize {
    BLOCK_ELEMS.div_ceil(inputs.max(1)).max(1)
}

/// Runs of columns of `x` (batch × width, row-major) that are non-zero in some row.
pub(crate) fn nonzero_segments<F: Float>(x: &[F], width: usize, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let rows = x.len().checked_div(width).unwrap_or(0);
    let mut start = None;
    for c in 0..width {
        let nz = (0..rows).any(|r| x[r * width + c] != F::zero());
        match (nz, start) {
            (true, None) => start = Some(c),
            (false, Some(s)) => {
                out.push((s, c));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, width));
    }
}

/// `Σ_k x[k]·w[k]` over `segments` for up to [`ROW_GROUP`] rows `xs` at once.
#[inline(always)]
fn dots<F: Float>(xs: &[&[F]], w: &[F], segments: &[(usize, usize)], out: &mut [F]) {
    let mut acc = [[F::zero(); LANES]; ROW_GROUP];
    let mut tail = [F::zero(); ROW_GROUP];
    for &(s, e) in segments {
        let mut c = s;
        while c + LANES <= e {
            let wc = &w[c..c + LANES];
            for (r, x) in xs.iter().enumerate() {
                let xc = &x[c..c + LANES];
                for l in 0..LANES {
                    acc[r][l] += xc[l] * wc[l];
                }
            }
            c += LANES;
        }
        for k in c..e {
            for (r, x) in xs.iter().enumerate() {
                tail[r] += x[k] * w[k];
            }
        }
    }
    for r in 0..xs.len() {
        // Fixed pairwise reduction of the lanes.
        let mut lanes = acc[r];
        let mut width = LANES;
        while width > 1 {
            width /= 2;
            for l in 0..width {
                lanes[l] += lanes[l + width];
            }
        }
        out[r] = lanes[0] + tail[r];
    }
}

/// Pre-activations `z = x·Wᵀ + b` (x: batch × inputs, z: batch × outputs, both row-major) through
/// the transposed scratch `zt` (outputs × batch).
pub(crate) fn forward<F: Float>(
    weight: &[F],
    bias: &[F],
    x: &[F],
    batch: usize,
    segments: &[(usize, usize)],
    zt: &mut [F],
    z: &mut [F],
) {
    let inputs = x.len() / batch.max(1);
    let outputs = bias.len();
    let rpb = rows_per_block(inputs);
    let rows: Vec<&[F]> = x.chunks_exact(inputs.max(1)).collect();
    let zt = &mut zt[..outputs * batch];
    let body = |(blk, (w, zt)): (usize, (&[F], &mut [F]))| {
        for (i, (wr, zr)) in w
            .chunks_exact(inputs)
            .zip(zt.chunks_exact_mut(batch))
            .enumerate()
        {
            let j = blk * rpb + i;
            for (g, out) in rows.chunks(ROW_GROUP).zip(zr.chunks_mut(ROW_GROUP)) {
                dots(g, wr, segments, out);
                for o in out.iter_mut() {
                    *o += bias[j];
                }
            }
        }
    };
    if outputs <= rpb {
        body((0, (weight, zt)));
    } else {
        weight
            .par_chunks(rpb * inputs)
            .zip(zt.par_chunks_mut(rpb * batch))
            .enumerate()
            .for_each(body);
    }
    for j in 0..outputs {
        for b in 0..batch {
            z[b * outputs + j] = zt[j * batch + b];
        }
    }
}

/// What happens to each chunk of a weight-gradient row as soon as it is computed.
pub(crate) trait RowSink<F>: Send + Sync {
    /// Per-row state (e.g. the moment rows), split in the same blocks as the weights.
    type Block<'a>: Send
    where
        Self: 'a;
    /// The gradient `g` of the weights `w` at columns `offset..offset + w.len()` of a row, whose
    /// per-row state is `row`.
    fn chunk(&self, row: &mut Self::Block<'_>, offset: usize, w: &mut [F], g: &[F]);
    /// Columns `offset..offset + w.len()` of a row with a zero gradient.
    fn gap(&self, row: &mut Self::Block<'_>, offset: usize, w: &mut [F]);
    /// The bias gradient of the row.
    fn bias(&self, row: &mut Self::Block<'_>, b: &mut F, g: F);
}

/// Everything the backward kernel needs about one layer and batch.
pub(crate) struct Backward<'a, F> {
    /// Layer input (batch × inputs).
    pub x: &'a [F],
    /// Loss gradient with respect to the pre-activations (batch × outputs).
    pub dz: &'a [F],
    pub batch: usize,
    pub segments: &'a [(usize, usize)],
}

/// For each output row `j`: `dW[j, :] = Σ_b dz[b, j]·x[b, :]` chunk by chunk into `sink`, the bias
/// gradient `Σ_b dz[b, j]`, and (if `dx` is given, batch × inputs) `dx = dz·W` with the weights as
/// they were before the sink touched them. `partials` is scratch for the per-block sums of `dx`.
/// `blocks` holds the sink's state for each block of [`rows_per_block`] rows, in order.
pub(crate) fn backward<'s, F: Float, S: RowSink<F>>(
    p: &Backward<'_, F>,
    weight: &mut [F],
    bias: &mut [F],
    sink: &S,
    blocks: Vec<S::Block<'s>>,
    dx: Option<&mut [F]>,
    partials: &mut Vec<F>,
) {
    let outputs = bias.len();
    let inputs = weight.len() / outputs.max(1);
    let batch = p.batch;
    let rpb = rows_per_block(inputs);
    let n_blocks = outputs.div_ceil(rpb);
    let part_len = if dx.is_some() { batch * inputs } else { 0 };
    partials.clear();
    partials.resize(n_blocks * part_len, F::zero());
    let want_dx = part_len > 0;

    let body = |blk: usize, w: &mut [F], b: &mut [F], mut state: S::Block<'s>, part: &mut [F]| {
        let mut dzc = vec![F::zero(); batch];
        let mut g = [F::zero(); LANES];
        for (i, (wr, br)) in w.chunks_exact_mut(inputs).zip(b.iter_mut()).enumerate() {
            let j = blk * rpb + i;
            let mut db = F::zero();
            for (bi, d) in dzc.iter_mut().enumerate() {
                *d = p.dz[bi * outputs + j];
                db += *d;
            }
            sink.bias(&mut state, br, db);
            let row_off = i * inputs;
            let mut pos = 0;
            for &(s, e) in p.segments {
                if s > pos {
                    sink.gap(&mut state, row_off + pos, &mut wr[pos..s]);
                }
                let mut c = s;
                while c < e {
                    let len = LANES.min(e - c);
                    let g = &mut g[..len];
                    g.fill(F::zero());
                    for (bi, &d) in dzc.iter().enumerate() {
                        let xr = &p.x[bi * inputs + c..bi * inputs + c + len];
                        for (gl, &xl) in g.iter_mut().zip(xr) {
                            *gl += d * xl;
                        }
                    }
                    if want_dx {
                        for (bi, &d) in dzc.iter().enumerate() {
                            let pr = &mut part[bi * inputs + c..bi * inputs + c + len];
                            for (pl, &wl) in pr.iter_mut().zip(&wr[c..c + len]) {
                                *pl += d * wl;
                            }
                        }
                    }
                    sink.chunk(&mut state, row_off + c, &mut wr[c..c + len], g);
                    c += len;
                }
                pos = e;
            }
            if pos < inputs {
                sink.gap(&mut state, row_off + pos, &mut wr[pos..inputs]);
            }
        }
    };
    let chunk = rpb * inputs;
    if n_blocks <= 1 {
        if let Some(state) = blocks.into_iter().next() {
            body(0, weight, bias, state, &mut partials[..]);
        }
    } else if want_dx {
        weight
            .par_chunks_mut(chunk)
            .zip(bias.par_chunks_mut(rpb))
            .zip(blocks.into_par_iter())
            .zip(partials.par_chunks_mut(part_len))
            .enumerate()
            .for_each(|(blk, (((w, b), state), part))| body(blk, w, b, state, part));
    } else {
        weight
            .par_chunks_mut(chunk)
            .zip(bias.par_chunks_mut(rpb))
            .zip(blocks.into_par_iter())
            .enumerate()
            .for_each(|(blk, ((w, b), state))| body(blk, w, b, state, &mut []));
    }
    if let Some(dx) = dx {
        dx.fill(F::zero());
        for part in partials.chunks_exact(part_len) {
            for (d, &p) in dx.iter_mut().zip(part) {
                *d += p;
            }
        }
    }
}

/// The fused Adam update as a [`RowSink`]: weight decay, both moments and the step, per chunk.
pub(crate) struct AdamSink<F> {
    pub c: Coefficients<F>,
}

/// Moment rows of one block of weights, and the moments of its biases.
pub(crate) struct AdamBlock<'a, F> {
    pub m: &'a mut [F],
    pub v: &'a mut [F],
    pub mb: &'a mut [F],
    pub vb: &'a mut [F],
    /// Row of the block whose bias comes next.
    pub next_bias: usize,
}

impl<F: Float> RowSink<F> for AdamSink<F> {
    type Block<'a> = AdamBlock<'a, F>;

    #[inline(always)]
    fn chunk(&self, row: &mut AdamBlock<'_, F>, offset: usize, w: &mut [F], g: &[F]) {
        let n = w.len();
        let m = &mut row.m[offset..offset + n];
        let v = &mut row.v[offset..offset + n];
        self.c.update_slice(w, g, m, v);
    }

    #[inline(always)]
    fn gap(&self, row: &mut AdamBlock<'_, F>, offset: usize, w: &mut [F]) {
        let n = w.len();
        let m = &mut row.m[offset..offset + n];
        let v = &mut row.v[offset..offset + n];
        for ((w, m), v) in w.iter_mut().zip(m).zip(v) {
            self.c.update(w, F::zero(), m, v);
        }
    }

    fn bias(&self, row: &mut AdamBlock<'_, F>, b: &mut F, g: F) {
        let i = row.next_bias;
        self.c.update(b, g, &mut row.mb[i], &mut row.vb[i]);
        row.next_bias += 1;
    }
}

/// Stores the gradient (for [`Network::gradients`](crate::Network::gradients)); weights untouched.
pub(crate) struct StoreSink;

/// Gradient rows of one block of weights, and the bias gradients.
pub(crate) struct StoreBlock<'a, F> {
    pub dw: &'a mut [F],
    pub db: &'a mut [F],
    pub next_bias: usize,
}

impl<F: Float> RowSink<F> for StoreSink {
    type Block<'a> = StoreBlock<'a, F>;

    fn chunk(&self, row: &mut StoreBlock<'_, F>, offset: usize, _w: &mut [F], g: &[F]) {
        row.dw[offset..offset + g.len()].copy_from_slice(g);
    }

    fn gap(&self, row: &mut StoreBlock<'_, F>, offset: usize, w: &mut [F]) {
        row.dw[offset..offset + w.len()].fill(F::zero());
    }

    fn bias(&self, row: &mut StoreBlock<'_, F>, _b: &mut F, g: F) {
        row.db[row.next_bias] = g;
        row.next_bias += 1;
    }
}
