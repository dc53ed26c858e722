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
//!
//! These drivers split the work and pick the kernels: for f32 on x86-64 the lane kernels of
//! `fused` (forward and inference as a blocked product with the batch across the lanes, block
//! backward fused with Adam, the fused MSE output layer); dense inference, f32 or f64, through
//! the `gemm` crate in fixed blocks of columns (module `gemm`); elsewhere the portable kernels
//! here, which are also the reference the vector ones are tested against.

pub(crate) mod dots;
#[cfg(target_arch = "x86_64")]
pub(crate) mod fused;
pub(crate) mod gemm;
pub(crate) mod isa;
#[cfg(target_arch = "x86_64")]
pub(crate) mod lanes;
pub(crate) mod plan;
#[cfg(target_arch = "x86_64")]
pub(crate) mod sparse;
#[cfg(target_arch = "x86_64")]
pub(crate) mod transpose;

use std::sync::OnceLock;

use rayon::prelude::*;
use xrd_core::Float;

use crate::adam::Coefficients;

/// Reinterprets a slice of `F` as `f32` when `F` is `f32`.
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn as_f32<F: Float>(s: &[F]) -> Option<&[f32]> {
    if std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>() {
        // SAFETY: F is f32 (same TypeId), so the memory, length and alignment are those of f32.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f32>(), s.len()) })
    } else {
        None
    }
}

/// Mutable [`as_f32`].
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn as_f32_mut<F: Float>(s: &mut [F]) -> Option<&mut [f32]> {
    if std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>() {
        // SAFETY: as in `as_f32`; the exclusive borrow is carried over.
        Some(unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<f32>(), s.len()) })
    } else {
        None
    }
}

/// Lanes of the explicit accumulators (one AVX2 vector of f32, two SSE vectors).
const LANES: usize = 8;
/// Columns per block of the non-zero segments: one 16-lane vector, so that segments (and the gaps
/// between them) are whole vectors of the f32 kernels rather than scalar tails.
pub(crate) const SEGMENT: usize = 16;
// The inference kernels take their segments from the transpose, which must cut the same blocks.
#[cfg(target_arch = "x86_64")]
const _: () = assert!(SEGMENT == crate::kernels::transpose::SEGMENT);
/// Weights per block of rows (64 KiB of f32): large enough to amortise scheduling, small enough
/// to balance two cores over the paper's 128-row first layer.
const BLOCK_ELEMS: usize = 1 << 14;
/// Batch rows handled together by the forward kernel (their accumulators stay in registers).
const ROW_GROUP: usize = 5;

/// Rows per block of the backward pass from this batch size on: there the update is bound by
/// its arithmetic, and a block must be tall enough that each block of the batch's columns,
/// loaded into L2, serves many weight rows.
pub(crate) const WIDE_BATCH: usize = 32;
const WIDE_BLOCK_ROWS: usize = 64;

/// Output rows per block for a layer with `inputs` inputs trained on batches of `batch` rows (a
/// function of the shape only, so the per-block sums do not depend on the number of threads).
pub(crate) fn rows_per_block(inputs: usize, batch: usize) -> usize {
    let rows = BLOCK_ELEMS.div_ceil(inputs.max(1)).max(1);
    if batch >= WIDE_BATCH {
        rows.max(WIDE_BLOCK_ROWS)
    } else {
        rows
    }
}

/// Runs of columns of `x` (batch × width, row-major) that are non-zero in some row, widened to
/// blocks of [`SEGMENT`] columns (a zero column inside a run contributes exactly nothing)
/// so that the kernels work on whole vectors.
#[allow(unsafe_code)] // the AVX2 build of the column scan
pub(crate) fn nonzero_segments<F: Float>(x: &[F], width: usize, out: &mut Vec<(usize, usize)>) {
    out.clear();
    if width == 0 {
        return;
    }
    // Which columns are non-zero in some row: rows are read in order (sequential memory), the
    // flags OR-ed column by column (non-zero flag: any bit of the magnitude for f32).
    let mut any = vec![0u32; width];
    match crate::kernels::as_f32(x) {
        #[cfg(target_arch = "x86_64")]
        Some(x) if has_avx2() => {
            // SAFETY: AVX2 is available (checked); the loop is safe code.
            unsafe { or_magnitudes_avx2(x, width, &mut any) }
        }
        _ => {
            for row in x.chunks_exact(width) {
                for (a, &v) in any.iter_mut().zip(row) {
                    *a |= u32::from(v != F::zero());
                }
            }
        }
    }
    for (i, chunk) in any.chunks(SEGMENT).enumerate() {
        if chunk.iter().any(|&a| a != 0) {
            let (c, end) = (i * SEGMENT, i * SEGMENT + chunk.len());
            match out.last_mut() {
                Some(last) if last.1 == c => last.1 = end,
                _ => out.push((c, end)),
            }
        }
    }
}

/// `any[k] |= |x[r, k]|` as bits over the rows `r`: non-zero exactly where a row is non-zero
/// (±0 both count as zero), in AVX2 code.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn or_magnitudes_avx2(x: &[f32], width: usize, any: &mut [u32]) {
    for row in x.chunks_exact(width) {
        for (a, &v) in any.iter_mut().zip(row) {
            *a |= v.to_bits() & 0x7fff_ffff;
        }
    }
}

/// `out[r] = Σ_k xs[r][k]·w[k]` over `segments` for `R` rows at once: each weight vector is
/// loaded once for all rows, the `R × LANES` accumulators stay in registers, and the fixed lane
/// order keeps the sum deterministic.
#[inline(always)]
fn dots<F: Float, const R: usize>(
    xs: &[&[F]],
    w: &[F],
    segments: &[(usize, usize)],
    out: &mut [F],
) {
    let mut acc = [[F::zero(); LANES]; R];
    let mut tail = [F::zero(); R];
    let xs: &[&[F]; R] = match xs.try_into() {
        Ok(xs) => xs,
        Err(_) => return,
    };
    for &(s, e) in segments {
        let mut c = s;
        while c + LANES <= e {
            let mut wa = [F::zero(); LANES];
            wa.copy_from_slice(&w[c..c + LANES]);
            for r in 0..R {
                let mut xa = [F::zero(); LANES];
                xa.copy_from_slice(&xs[r][c..c + LANES]);
                for l in 0..LANES {
                    acc[r][l] += xa[l] * wa[l];
                }
            }
            c += LANES;
        }
        for k in c..e {
            for r in 0..R {
                tail[r] += xs[r][k] * w[k];
            }
        }
    }
    for r in 0..R {
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

/// The f32 AVX2 kernel for `R` rows, if it applies.
#[inline(always)]
fn dots_simd<F: Float, const R: usize>(
    xs: &[&[F]],
    w: &[F],
    segments: &[(usize, usize)],
    out: &mut [F],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let (Some(w32), Some(out32)) = (crate::kernels::as_f32(w), crate::kernels::as_f32_mut(out))
        else {
            return false;
        };
        let mut rows: [&[f32]; R] = [&[]; R];
        for (dst, x) in rows.iter_mut().zip(xs) {
            match crate::kernels::as_f32(x) {
                Some(x) => *dst = x,
                None => return false,
            }
        }
        crate::kernels::dots::dots::<R>(&rows, w32, segments, out32).is_some()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (xs, w, segments, out);
        false
    }
}

/// Rows per group of the inference kernel (measured: 5 beats 10, whose union of non-zero
/// columns is wider).
const INFER_GROUP: usize = ROW_GROUP;
/// Columns per tile of the inference kernel (a multiple of [`LANES`]; for 128 outputs a tile of
/// f32 weights is 512 KiB, half an L2 cache).
const INFER_TILE: usize = 1024;

/// [`dots`] for 1 to [`ROW_GROUP`] rows (the f32 AVX2 kernel when available).
#[inline(always)]
fn dots_any<F: Float>(xs: &[&[F]], w: &[F], segments: &[(usize, usize)], out: &mut [F]) {
    let done = match xs.len() {
        1 => dots_simd::<F, 1>(xs, w, segments, out),
        2 => dots_simd::<F, 2>(xs, w, segments, out),
        3 => dots_simd::<F, 3>(xs, w, segments, out),
        4 => dots_simd::<F, 4>(xs, w, segments, out),
        5 => dots_simd::<F, 5>(xs, w, segments, out),
        _ => false,
    };
    if done {
        return;
    }
    match xs.len() {
        1 => dots::<F, 1>(xs, w, segments, out),
        2 => dots::<F, 2>(xs, w, segments, out),
        3 => dots::<F, 3>(xs, w, segments, out),
        4 => dots::<F, 4>(xs, w, segments, out),
        _ => dots::<F, ROW_GROUP>(xs, w, segments, out),
    }
}

/// `out[j·n + r] = W[j, :]·xs[r]` over `segments` for the rows `j` of `w` (at most
/// [`dots::W_ROWS`](crate::kernels::dots::W_ROWS), each `inputs` long) and the `n ≤ ROW_GROUP` rows `xs`:
/// the AVX-512 kernel (several weight rows at once) when it runs here, [`dots_any`] row by row
/// otherwise.
#[inline(always)]
fn dots_rows<F: Float>(
    xs: &[&[F]],
    w: &[F],
    inputs: usize,
    segments: &[(usize, usize)],
    out: &mut [F],
) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(w32), Some(out32)) = (crate::kernels::as_f32(w), crate::kernels::as_f32_mut(out)) {
        let mut x32: [&[f32]; ROW_GROUP] = [&[]; ROW_GROUP];
        let mut w32s: [&[f32]; crate::kernels::dots::W_ROWS] = [&[]; crate::kernels::dots::W_ROWS];
        let nw = w32.len() / inputs.max(1);
        if xs.len() <= ROW_GROUP && nw <= crate::kernels::dots::W_ROWS {
            let mut ok = true;
            for (d, x) in x32.iter_mut().zip(xs) {
                match crate::kernels::as_f32(x) {
                    Some(x) => *d = x,
                    None => ok = false,
                }
            }
            for (d, wr) in w32s.iter_mut().zip(w32.chunks_exact(inputs.max(1))) {
                *d = wr;
            }
            if ok
                && crate::kernels::dots::dots_block(&x32[..xs.len()], &w32s[..nw], segments, out32)
                    .is_some()
            {
                return;
            }
        }
    }
    let n = xs.len();
    for (wr, o) in w.chunks_exact(inputs.max(1)).zip(out.chunks_mut(n.max(1))) {
        dots_any(xs, wr, segments, o);
    }
}

/// One block of rows of the forward kernel: `zt[i, b] = bias[i] + W[i, :]·x[b, :]`.
#[inline(always)]
fn forward_block<F: Float>(
    w: &[F],
    bias: &[F],
    rows: &[&[F]],
    segments: &[(usize, usize)],
    zt: &mut [F],
) {
    let inputs = rows.first().map_or(0, |r| r.len());
    let batch = rows.len();
    const WR: usize = crate::kernels::dots::W_ROWS;
    let mut tmp = [F::zero(); WR * ROW_GROUP];
    for ((wg, zg), bg) in w
        .chunks(WR * inputs.max(1))
        .zip(zt.chunks_mut(WR * batch.max(1)))
        .zip(bias.chunks(WR))
    {
        for (gi, g) in rows.chunks(ROW_GROUP).enumerate() {
            let n = g.len();
            dots_rows(g, wg, inputs, segments, &mut tmp[..bg.len() * n]);
            for (j, &b) in bg.iter().enumerate() {
                for r in 0..n {
                    zg[j * batch + gi * ROW_GROUP + r] = tmp[j * n + r] + b;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_block_avx2<F: Float>(
    w: &[F],
    bias: &[F],
    rows: &[&[F]],
    segments: &[(usize, usize)],
    zt: &mut [F],
) {
    forward_block(w, bias, rows, segments, zt);
}

/// Whether the AVX2 builds of the kernels run here (the AVX-512 machines run them too).
#[inline]
fn has_avx2() -> bool {
    isa::isa().is_some()
}

#[allow(unsafe_code)] // calls the AVX2 build
fn forward_block_dispatch<F: Float>(
    w: &[F],
    bias: &[F],
    rows: &[&[F]],
    segments: &[(usize, usize)],
    zt: &mut [F],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above). Both builds run the same
        // operations in the same order, so results do not depend on which one runs.
        unsafe { forward_block_avx2(w, bias, rows, segments, zt) };
        return;
    }
    forward_block(w, bias, rows, segments, zt);
}

/// Pre-activations `z = x·Wᵀ + b` (x: batch × inputs, z: batch × outputs, both row-major) through
/// the transposed scratch `zt` (outputs × batch).
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<F: Float>(
    weight: &[F],
    bias: &[F],
    x: &[F],
    batch: usize,
    segments: &[(usize, usize)],
    zt: &mut Vec<F>,
    z: &mut [F],
) {
    let inputs = x.len() / batch.max(1);
    let outputs = bias.len();
    #[cfg(target_arch = "x86_64")]
    if forward_lanes(weight, bias, x, batch, segments, z) {
        return;
    }
    zt.resize(outputs * batch, F::zero());
    // Whole groups of the kernel's weight rows per task.
    let rpb = rows_per_block(inputs, batch).next_multiple_of(crate::kernels::dots::W_ROWS);
    let rows: Vec<&[F]> = x.chunks_exact(inputs.max(1)).collect();
    let zt = &mut zt[..outputs * batch];
    if outputs <= rpb {
        forward_block_dispatch(weight, bias, &rows, segments, zt);
    } else {
        weight
            .par_chunks(rpb * inputs)
            .zip(bias.par_chunks(rpb))
            .zip(zt.par_chunks_mut(rpb * batch))
            .for_each(|((w, b), zt)| forward_block_dispatch(w, b, &rows, segments, zt));
    }
    for (j, col) in zt.chunks_exact(batch.max(1)).enumerate() {
        for (b, &v) in col.iter().enumerate() {
            z[b * outputs + j] = v;
        }
    }
}

/// [`forward`] with the f32 lane kernels ([`lanes_product`] over the batch's non-zero columns);
/// `false` if they do not run here.
#[cfg(target_arch = "x86_64")]
fn forward_lanes<F: Float>(
    weight: &[F],
    bias: &[F],
    x: &[F],
    batch: usize,
    segments: &[(usize, usize)],
    z: &mut [F],
) -> bool {
    use crate::kernels::{as_f32, as_f32_mut};
    let Some(isa) = isa::isa() else {
        return false;
    };
    let (Some(w), Some(b), Some(x), Some(z)) =
        (as_f32(weight), as_f32(bias), as_f32(x), as_f32_mut(z))
    else {
        return false;
    };
    lanes_product(isa, w, b, x, batch, Some(segments), z)
}

/// `out = x·Wᵀ + b` (x: rows × inputs, out: rows × outputs, both row-major) with the f32 lane
/// kernels, a blocked matrix product: the rows go in groups of up to
/// [`Plan::group_chunks`](plan::Plan::group_chunks) chunks of 16 (the lanes: a group's block of
/// transposed inputs stays in L2 while the rows of a task's weights pass over it); each chunk is
/// transposed (in parallel), then tasks of weight rows each run
/// [`fused::forward_chunks`](crate::kernels::fused::forward_chunks) over the whole group, so each weight
/// is read from memory once per group. `segments`: the columns to sum for every row (training:
/// the batch's non-zero columns), or `None` (inference): each run of [`SHARED_CHUNKS`] chunks
/// skips the columns zero in all of its rows. A column that a row sums but that is zero in it
/// adds `w·0 = ±0`: that changes nothing but the sign of a sum that is exactly zero (−0 + +0 =
/// +0), because weights are finite (`Dense::new`, loading and training's divergence check see
/// to it; an infinite weight would give NaN). Every output is one fixed chain of fused
/// multiply-adds whatever the blocking or the number of threads. `false` if the shapes do not
/// allow it.
#[cfg(target_arch = "x86_64")]
fn lanes_product(
    isa: isa::Isa,
    w: &[f32],
    b: &[f32],
    x: &[f32],
    rows: usize,
    segments: Option<&[(usize, usize)]>,
    out: &mut [f32],
) -> bool {
    let plan = plan::current();
    lanes_product_with(
        isa,
        plan.tasks_per_thread,
        plan.group_chunks,
        w,
        b,
        x,
        rows,
        segments,
        out,
    )
}

/// [`lanes_product`] with the plan's knobs given: at most `tasks_per_thread` parallel tasks per
/// thread, groups of `group_chunks` chunks of 16 rows (neither changes a value).
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn lanes_product_with(
    isa: isa::Isa,
    tasks_per_thread: usize,
    group_chunks: usize,
    w: &[f32],
    b: &[f32],
    x: &[f32],
    rows: usize,
    segments: Option<&[(usize, usize)]>,
    out: &mut [f32],
) -> bool {
    use crate::kernels::fused::{Chunk, forward_chunks};
    use crate::kernels::lanes::WIDTH;
    let outputs = b.len();
    let inputs = x.len().checked_div(rows).unwrap_or(0);
    if inputs == 0 || outputs == 0 || w.len() != outputs * inputs || out.len() < rows * outputs {
        return false;
    }
    // Taken, not borrowed: a nested call on this thread (a task stolen while waiting) gets fresh
    // scratch instead of a double borrow.
    let (mut xt, mut zt, mut segs) = LANES_SCRATCH.take();
    let group_rows = group_chunks.max(1) * WIDTH;
    // Tasks of whole paired register groups (8 weight rows; the four-chunk groups of 6 take
    // the rows left over as a smaller group of their own). Every task streams the group's whole
    // transposed input, so a narrow layer gets one task per thread (the dense encode, 11900 →
    // 128, on the Intel Xeon: 3.0 ms instead of 3.5 with four per thread), a wide one up to
    // the plan's tasks per thread for balance.
    let unit = match isa {
        isa::Isa::Avx512 => 8,
        isa::Isa::Avx2 => 6,
    };
    let tasks = (outputs / OUTPUTS_PER_TASK).clamp(1, tasks_per_thread.max(1))
        * rayon::current_num_threads();
    let rpb = outputs.div_ceil(tasks).next_multiple_of(unit);
    let outs = SharedOut(out.as_mut_ptr(), out.len());
    for (g, xg) in x.chunks(group_rows * inputs).enumerate() {
        let n = xg.len() / inputs;
        let nc = n.div_ceil(WIDTH);
        // Grown, never shrunk: after a smaller group (a batch's last) the next call would
        // otherwise fill megabytes with zeros again (6 % of a dense encode of 150 rows). Lanes
        // past the last row keep stale values or zeros: each lane is an output of its own, and
        // theirs are never read.
        let (need_x, need_z) = (nc * inputs * WIDTH, nc * outputs * WIDTH);
        if xt.len() < need_x {
            xt.resize(need_x, 0.0);
        }
        if zt.len() < need_z {
            zt.resize(need_z, 0.0);
        }
        if segs.len() < nc {
            segs.resize_with(nc, Vec::new);
        }
        xt[..need_x]
            .par_chunks_mut(inputs * WIDTH)
            .zip(xg.par_chunks(WIDTH * inputs))
            .zip(segs.par_iter_mut())
            .for_each(|((xt, xc), seg)| {
                let nb = xc.len() / inputs;
                match segments {
                    Some(_) => crate::kernels::transpose::transpose_lanes(xc, nb, inputs, xt),
                    None => crate::kernels::transpose::transpose_segments(xc, nb, inputs, xt, seg),
                }
            });
        if segments.is_none() {
            // Chunks with the same columns share each broadcast weight (`fused::forward_chunks`):
            // every run of SHARED_CHUNKS chunks sums the union of their columns. A column that is
            // zero in all of a chunk's rows adds exact zeros to its sums.
            for run in segs[..nc].chunks_mut(SHARED_CHUNKS) {
                if run.iter().all(|s| *s == run[0]) {
                    continue;
                }
                let union = run[1..]
                    .iter()
                    .fold(run[0].clone(), |u, s| union_segments(&u, s));
                for s in run.iter_mut() {
                    s.clone_from(&union);
                }
            }
        }
        let (xt, segs) = (&xt[..need_x], &segs[..nc]);
        w.par_chunks(rpb * inputs)
            .zip(b.par_chunks(rpb))
            .zip(zt[..need_z].par_chunks_mut(nc * rpb * WIDTH))
            .enumerate()
            .for_each(|(blk, ((w, b), z))| {
                let here = b.len();
                let mut chunks: Vec<Chunk<'_>> = xt
                    .chunks(inputs * WIDTH)
                    .zip(z.chunks_mut(here * WIDTH))
                    .zip(segs)
                    .map(|((xt, zt), seg)| Chunk {
                        xt,
                        segments: segments.unwrap_or(seg),
                        zt,
                    })
                    .collect();
                forward_chunks(isa, w, b, inputs, &mut chunks);
                for (c, zc) in z.chunks(here * WIDTH).enumerate() {
                    let first = g * group_rows + c * WIDTH;
                    let nb = WIDTH.min(rows - first);
                    for (i, col) in zc.chunks_exact(WIDTH).enumerate() {
                        for (l, &v) in col[..nb].iter().enumerate() {
                            outs.write((first + l) * outputs + blk * rpb + i, v);
                        }
                    }
                }
            });
    }
    LANES_SCRATCH.set((xt, zt, segs));
    true
}

/// Outputs of a layer per parallel task per thread of [`lanes_product`], up to the plan's tasks
/// per thread: fewer outputs give one task per thread.
#[cfg(target_arch = "x86_64")]
const OUTPUTS_PER_TASK: usize = 256;

/// Chunks of 16 rows to which inference gives the same columns (see [`lanes_product`]): the
/// most that `fused::forward_chunks` runs together.
#[cfg(target_arch = "x86_64")]
const SHARED_CHUNKS: usize = 4;

/// The union of two sorted lists of disjoint column ranges `(start, end)`, in the same form
/// (ranges that touch or overlap merged).
#[cfg(target_arch = "x86_64")]
fn union_segments(a: &[(usize, usize)], b: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut all: Vec<(usize, usize)> = a.iter().chain(b).copied().filter(|&(s, e)| s < e).collect();
    all.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The output of a kernel whose parallel tasks write disjoint, interleaved elements (columns of
/// a row-major matrix), which slices cannot express.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct SharedOut(*mut f32, usize);

// SAFETY: tasks only write through `SharedOut::write`, each to elements no other task writes, and
// the owner of the slice waits for every task before reading it.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
unsafe impl Send for SharedOut {}
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
unsafe impl Sync for SharedOut {}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl SharedOut {
    #[inline(always)]
    fn write(self, i: usize, v: f32) {
        assert!(i < self.1, "SharedOut: index {i} out of {}", self.1);
        // SAFETY: in bounds (checked), and no other task writes element `i` (see the impls).
        unsafe { *self.0.add(i) = v }
    }
}

/// [`forward_rows`] with the f32 lane kernels ([`lanes_product`], each run of [`SHARED_CHUNKS`]
/// chunks of 16 rows skipping the columns zero in all of its rows); `false` if they do not run
/// here.
#[cfg(target_arch = "x86_64")]
fn infer_lanes<F: Float>(weight: &[F], bias: &[F], x: &[F], rows: usize, out: &mut [F]) -> bool {
    use crate::kernels::{as_f32, as_f32_mut};
    let Some(isa) = isa::isa() else {
        return false;
    };
    let (Some(w), Some(b), Some(x), Some(out)) =
        (as_f32(weight), as_f32(bias), as_f32(x), as_f32_mut(out))
    else {
        return false;
    };
    lanes_product(isa, w, b, x, rows, None, out)
}

/// Scratch of [`lanes_product`] per calling thread (transposed inputs, outputs, segments of each
/// chunk), kept between calls: fresh buffers of megabytes per call would cost page faults every
/// time.
#[cfg(target_arch = "x86_64")]
type LanesScratch = (Vec<f32>, Vec<f32>, Vec<Vec<(usize, usize)>>);

#[cfg(target_arch = "x86_64")]
thread_local! {
    static LANES_SCRATCH: std::cell::Cell<LanesScratch> =
        const { std::cell::Cell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Rows of one inference group and the column segments that are non-zero in any of them.
type RowGroup<'a, F> = (Vec<&'a [F]>, Vec<(usize, usize)>);

/// Inference: `out = x·Wᵀ + b` for many rows (x: rows × inputs, out: rows × outputs). Dense inputs
/// that the gemm crate takes go to it (module `gemm`); inputs with mostly zero columns, and
/// products it does not take, to the lane kernels on x86-64 with AVX2 ([`lanes_product`], more
/// than 16 rows); what remains is done here. The rows
/// are cut into fixed groups of [`INFER_GROUP`] that each skip the columns zero in all their rows
/// (XRD patterns are mostly exactly zero), and the columns into tiles of [`INFER_TILE`] so that a
/// tile of the weights stays in the L2 cache while every group of a thread passes over it and a
/// group's tile of inputs stays in L1 while it meets every weight row. Groups are spread over the
/// thread pool; each output element is computed by one thread, tile by tile in order.
pub(crate) fn forward_rows<F: Float>(
    weight: &[F],
    bias: &[F],
    x: &[F],
    rows: usize,
    out: &mut [F],
    transposed: Option<&OnceLock<Vec<f32>>>,
) {
    let outputs = bias.len();
    let inputs = x.len().checked_div(rows).unwrap_or(0);
    if inputs == 0 || outputs == 0 {
        return;
    }
    // Dense inputs: the gemm crate's packed kernels (see `gemm`), or the same sums over each
    // group of rows' own non-zero columns where the plan finds that faster (module `sparse`);
    // inputs with many columns zero in every row keep the kernels that skip those columns.
    if gemm::takes(rows, inputs, outputs) && !mostly_zero_columns(x, rows, inputs) {
        #[cfg(target_arch = "x86_64")]
        if sparse_rows(weight, bias, x, rows, out, transposed) {
            return;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = transposed;
        let lanes = cfg!(target_arch = "x86_64") && plan::current().dense == plan::DensePath::Lanes;
        if !lanes && gemm::product(weight, bias, x, rows, out) {
            return;
        }
    }
    #[cfg(target_arch = "x86_64")]
    if rows > crate::kernels::lanes::WIDTH && infer_lanes(weight, bias, x, rows, out) {
        return;
    }
    // Enough groups per task to amortise scheduling, few enough to balance two cores.
    let groups_per_task = rows.div_ceil(INFER_GROUP).div_ceil(8).max(1);
    out.par_chunks_mut(groups_per_task * INFER_GROUP * outputs)
        .zip(x.par_chunks(groups_per_task * INFER_GROUP * inputs))
        .for_each(|(o, xt)| {
            let groups: Vec<RowGroup<'_, F>> = xt
                .chunks(INFER_GROUP * inputs)
                .map(|xg| {
                    let mut segments = Vec::new();
                    nonzero_segments(xg, inputs, &mut segments);
                    (xg.chunks_exact(inputs).collect(), segments)
                })
                .collect();
            for row in o.chunks_exact_mut(outputs) {
                row.copy_from_slice(bias);
            }
            let mut tile_segments = Vec::new();
            let mut tmp = [F::zero(); INFER_GROUP * crate::kernels::dots::W_ROWS];
            let mut k0 = 0;
            while k0 < inputs {
                let k1 = (k0 + INFER_TILE).min(inputs);
                for (gi, (xr, segments)) in groups.iter().enumerate() {
                    tile_segments.clear();
                    tile_segments.extend(
                        segments
                            .iter()
                            .map(|&(s, e)| (s.max(k0), e.min(k1)))
                            .filter(|&(s, e)| s < e),
                    );
                    if tile_segments.is_empty() {
                        continue;
                    }
                    let n = xr.len();
                    const WR: usize = crate::kernels::dots::W_ROWS;
                    for (jb, wg) in weight.chunks(WR * inputs).enumerate() {
                        let nw = wg.len() / inputs;
                        dots_rows(xr, wg, inputs, &tile_segments, &mut tmp[..nw * n]);
                        for j in 0..nw {
                            for r in 0..n {
                                o[(gi * INFER_GROUP + r) * outputs + jb * WR + j] += tmp[j * n + r];
                            }
                        }
                    }
                }
                k0 = k1;
            }
        });
}

/// [`forward_rows`] with the kernel over transposed weights that skips each group of rows' zeros
/// ([`sparse::product`], the plan's blocking), if the sampled rows' share of non-zero values is
/// under the plan's [`sparse_below`](plan::Plan::sparse_below); the transposed weights come from
/// `transposed` (built there at the first call) or are built for this call. `false` if it does
/// not run.
#[cfg(target_arch = "x86_64")]
fn sparse_rows<F: Float>(
    weight: &[F],
    bias: &[F],
    x: &[F],
    rows: usize,
    out: &mut [F],
    transposed: Option<&OnceLock<Vec<f32>>>,
) -> bool {
    use crate::kernels::{as_f32, as_f32_mut};
    let Some(isa) = isa::isa() else {
        return false;
    };
    let (Some(w), Some(b), Some(x), Some(out)) =
        (as_f32(weight), as_f32(bias), as_f32(x), as_f32_mut(out))
    else {
        return false;
    };
    let (outputs, inputs) = (b.len(), x.len() / rows.max(1));
    let plan = plan::current();
    if sampled_density(x, rows, inputs) >= plan.sparse_below {
        return false;
    }
    match transposed {
        Some(cache) => {
            // Built outside the cell, then offered to it: `get_or_init` would hold the cell while
            // the parallel transpose waits, and a task this thread picks up meanwhile could
            // encode with the same layer and ask for the cell again (a deadlock). Two threads may
            // both build it once; the first copy stays.
            if cache.get().is_none() {
                let _ = cache.set(sparse::transpose(w, outputs, inputs));
            }
            match cache.get() {
                Some(wt) => sparse::product(isa, plan.sparse, wt, b, x, rows, out),
                None => false,
            }
        }
        None => {
            let wt = sparse::transpose(w, outputs, inputs);
            sparse::product(isa, plan.sparse, &wt, b, x, rows, out)
        }
    }
}

/// The share of non-zero values in the rows [`mostly_zero_columns`] samples.
#[cfg(target_arch = "x86_64")]
fn sampled_density(x: &[f32], rows: usize, inputs: usize) -> f64 {
    let sample = rows.min(DENSITY_SAMPLE_ROWS);
    if sample == 0 || inputs == 0 {
        return 1.0;
    }
    let non_zero: usize = (0..sample)
        .map(|i| {
            let r = i * rows / sample;
            x[r * inputs..(r + 1) * inputs]
                .iter()
                .filter(|&&v| v != 0.0)
                .count()
        })
        .sum();
    non_zero as f64 / (sample * inputs) as f64
}

/// Rows sampled by [`mostly_zero_columns`].
const DENSITY_SAMPLE_ROWS: usize = 16;

/// Whether at least half of the columns are exactly zero in every one of up to
/// [`DENSITY_SAMPLE_ROWS`] rows spread evenly over the batch (a fixed choice of rows, so the
/// answer, and with it the kernel and the bits of [`forward_rows`], depends on the data alone).
/// Such inputs (simulated patterns without background) gain more from skipping zero columns than
/// from the packed product.
fn mostly_zero_columns<F: Float>(x: &[F], rows: usize, inputs: usize) -> bool {
    let sample = rows.min(DENSITY_SAMPLE_ROWS);
    if sample == 0 || inputs == 0 {
        return false;
    }
    let mut any = vec![false; inputs];
    for i in 0..sample {
        let r = i * rows / sample;
        for (a, &v) in any.iter_mut().zip(&x[r * inputs..(r + 1) * inputs]) {
            *a |= v != F::zero();
        }
    }
    2 * any.iter().filter(|&&a| !a).count() >= inputs
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
    /// A specialised implementation of a whole block of rows (gradients, input-gradient sums and
    /// sink), if the sink has one for this float type and CPU; `false` means the portable path
    /// must run.
    #[allow(clippy::too_many_arguments)]
    fn whole_block(
        &self,
        _state: &mut Self::Block<'_>,
        _p: &Backward<'_, F>,
        _first_row: usize,
        _outputs: usize,
        _w: &mut [F],
        _b: &mut [F],
        _part: &mut [F],
    ) -> bool {
        false
    }
}

/// Everything the backward kernel needs about one layer and batch.
pub(crate) struct Backward<'a, F> {
    /// Layer input (batch × inputs).
    pub x: &'a [F],
    /// Loss gradient with respect to the pre-activations (batch × outputs).
    pub dz: &'a [F],
    pub batch: usize,
    pub segments: &'a [(usize, usize)],
    /// `x` packed by [`pack_vectors`] for the wide-batch update, or empty.
    pub xpack: &'a [F],
}

/// `x` (batch × inputs) packed by whole vectors of 16 columns, each vector's batch rows in turn:
/// vector `v`, row `b` at `(v·batch + b)·16` (the columns of a ragged last vector are left out).
pub(crate) fn pack_vectors<F: Float>(x: &[F], batch: usize, inputs: usize) -> Vec<F> {
    const W: usize = SEGMENT;
    let vectors = inputs / W;
    let mut out = vec![F::zero(); vectors * batch * W];
    out.par_chunks_mut(batch * W)
        .enumerate()
        .for_each(|(v, dst)| {
            for (b, d) in dst.chunks_exact_mut(W).enumerate() {
                d.copy_from_slice(&x[b * inputs + v * W..b * inputs + v * W + W]);
            }
        });
    out
}

/// One chunk of `len` columns starting at `c` of row `wr`: the gradient `g = Σ_b dz_b·x[b, c..]`,
/// the input-gradient partial sums `part[b, c..] += dz_b·w` (old weights), then the sink.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_chunk<F: Float, S: RowSink<F>>(
    sink: &S,
    state: &mut S::Block<'_>,
    x: &[F],
    inputs: usize,
    dzc: &[F],
    wr: &mut [F],
    row_off: usize,
    c: usize,
    len: usize,
    part: &mut [F],
) {
    let mut g = [F::zero(); LANES];
    let g = &mut g[..len];
    for (bi, &d) in dzc.iter().enumerate() {
        let xr = &x[bi * inputs + c..bi * inputs + c + len];
        for l in 0..len {
            g[l] += d * xr[l];
        }
    }
    let w = &mut wr[c..c + len];
    if !part.is_empty() {
        for (bi, &d) in dzc.iter().enumerate() {
            let pr = &mut part[bi * inputs + c..bi * inputs + c + len];
            for l in 0..len {
                pr[l] += d * w[l];
            }
        }
    }
    sink.chunk(state, row_off + c, w, g);
}

/// [`backward_chunk`] for a whole vector of [`LANES`] columns, on register-sized arrays.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_chunk_full<F: Float, S: RowSink<F>>(
    sink: &S,
    state: &mut S::Block<'_>,
    x: &[F],
    inputs: usize,
    dzc: &[F],
    wr: &mut [F],
    row_off: usize,
    c: usize,
    part: &mut [F],
) {
    let mut g = [F::zero(); LANES];
    for (bi, &d) in dzc.iter().enumerate() {
        let mut xa = [F::zero(); LANES];
        xa.copy_from_slice(&x[bi * inputs + c..bi * inputs + c + LANES]);
        for l in 0..LANES {
            g[l] += d * xa[l];
        }
    }
    let mut wa = [F::zero(); LANES];
    wa.copy_from_slice(&wr[c..c + LANES]);
    if !part.is_empty() {
        for (bi, &d) in dzc.iter().enumerate() {
            let pr = &mut part[bi * inputs + c..bi * inputs + c + LANES];
            let mut pa = [F::zero(); LANES];
            pa.copy_from_slice(pr);
            for l in 0..LANES {
                pa[l] += d * wa[l];
            }
            pr.copy_from_slice(&pa);
        }
    }
    sink.chunk(state, row_off + c, &mut wr[c..c + LANES], &g);
}

/// One block of rows of the backward kernel (see [`backward`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_block<F: Float, S: RowSink<F>>(
    p: &Backward<'_, F>,
    sink: &S,
    first_row: usize,
    outputs: usize,
    w: &mut [F],
    b: &mut [F],
    mut state: S::Block<'_>,
    part: &mut [F],
) {
    if sink.whole_block(&mut state, p, first_row, outputs, w, b, part) {
        return;
    }
    let inputs = w.len() / b.len().max(1);
    let mut dzc = vec![F::zero(); p.batch];
    for (i, (wr, br)) in w
        .chunks_exact_mut(inputs.max(1))
        .zip(b.iter_mut())
        .enumerate()
    {
        let j = first_row + i;
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
            while c + LANES <= e {
                backward_chunk_full(sink, &mut state, p.x, inputs, &dzc, wr, row_off, c, part);
                c += LANES;
            }
            if c < e {
                backward_chunk(
                    sink,
                    &mut state,
                    p.x,
                    inputs,
                    &dzc,
                    wr,
                    row_off,
                    c,
                    e - c,
                    part,
                );
            }
            pos = e;
        }
        if pos < inputs {
            sink.gap(&mut state, row_off + pos, &mut wr[pos..inputs]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn backward_block_avx2<F: Float, S: RowSink<F>>(
    p: &Backward<'_, F>,
    sink: &S,
    first_row: usize,
    outputs: usize,
    w: &mut [F],
    b: &mut [F],
    state: S::Block<'_>,
    part: &mut [F],
) {
    backward_block(p, sink, first_row, outputs, w, b, state, part);
}

#[allow(clippy::too_many_arguments)]
#[allow(unsafe_code)] // calls the AVX2 build
fn backward_block_dispatch<F: Float, S: RowSink<F>>(
    p: &Backward<'_, F>,
    sink: &S,
    first_row: usize,
    outputs: usize,
    w: &mut [F],
    b: &mut [F],
    state: S::Block<'_>,
    part: &mut [F],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above); same operations and order
        // as the portable build.
        unsafe { backward_block_avx2(p, sink, first_row, outputs, w, b, state, part) };
        return;
    }
    backward_block(p, sink, first_row, outputs, w, b, state, part);
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
    let rpb = rows_per_block(inputs, p.batch);
    let n_blocks = outputs.div_ceil(rpb);
    let part_len = if dx.is_some() { p.batch * inputs } else { 0 };
    partials.clear();
    partials.resize(n_blocks * part_len, F::zero());

    if n_blocks <= 1 {
        if let Some(state) = blocks.into_iter().next() {
            backward_block_dispatch(p, sink, 0, outputs, weight, bias, state, &mut partials[..]);
        }
    } else if part_len > 0 {
        weight
            .par_chunks_mut(rpb * inputs)
            .zip(bias.par_chunks_mut(rpb))
            .zip(blocks.into_par_iter())
            .zip(partials.par_chunks_mut(part_len))
            .enumerate()
            .for_each(|(blk, (((w, b), state), part))| {
                backward_block_dispatch(p, sink, blk * rpb, outputs, w, b, state, part)
            });
    } else {
        weight
            .par_chunks_mut(rpb * inputs)
            .zip(bias.par_chunks_mut(rpb))
            .zip(blocks.into_par_iter())
            .enumerate()
            .for_each(|(blk, ((w, b), state))| {
                backward_block_dispatch(p, sink, blk * rpb, outputs, w, b, state, &mut [])
            });
    }
    if let Some(dx) = dx {
        dx.fill(F::zero());
        for part in partials.chunks_exact(part_len.max(1)) {
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
        self.c.update_zero_grad(w, m, v);
    }

    fn whole_block(
        &self,
        state: &mut AdamBlock<'_, F>,
        p: &Backward<'_, F>,
        first_row: usize,
        outputs: usize,
        w: &mut [F],
        b: &mut [F],
        part: &mut [F],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::kernels::{as_f32, as_f32_mut};
            let Some(isa) = isa::isa() else {
                return false;
            };
            let (Some(x), Some(dz), Some(w), Some(b), Some(part)) = (
                as_f32(p.x),
                as_f32(p.dz),
                as_f32_mut(w),
                as_f32_mut(b),
                as_f32_mut(part),
            ) else {
                return false;
            };
            let (Some(m), Some(v), Some(mb), Some(vb)) = (
                as_f32_mut(state.m),
                as_f32_mut(state.v),
                as_f32_mut(state.mb),
                as_f32_mut(state.vb),
            ) else {
                return false;
            };
            // The block's columns of dz, row by row, for scalar broadcasts.
            let mut dzt = vec![0.0f32; b.len() * p.batch];
            for (i, d) in dzt.chunks_exact_mut(p.batch.max(1)).enumerate() {
                for (bi, d) in d.iter_mut().enumerate() {
                    *d = dz[bi * outputs + first_row + i];
                }
            }
            let block = crate::kernels::fused::BackwardBlock {
                x,
                dzt: &dzt,
                batch: p.batch,
                inputs: w.len() / b.len().max(1),
                segments: p.segments,
                xpack: as_f32(p.xpack).unwrap_or(&[]),
            };
            let moments = crate::kernels::fused::Moments { m, v, mb, vb };
            let c = crate::kernels::fused::AdamF32::new(&self.c);
            crate::kernels::fused::backward_adam(isa, &c, &block, w, b, moments, part);
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (state, p, first_row, outputs, w, b, part);
            false
        }
    }

    #[inline(always)]
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

    #[inline(always)]
    fn chunk(&self, row: &mut StoreBlock<'_, F>, offset: usize, _w: &mut [F], g: &[F]) {
        row.dw[offset..offset + g.len()].copy_from_slice(g);
    }

    #[inline(always)]
    fn gap(&self, row: &mut StoreBlock<'_, F>, offset: usize, w: &mut [F]) {
        row.dw[offset..offset + w.len()].fill(F::zero());
    }

    #[inline(always)]
    fn bias(&self, row: &mut StoreBlock<'_, F>, _b: &mut F, g: F) {
        row.db[row.next_bias] = g;
        row.next_bias += 1;
    }
}

/// Batch, targets and input of the output layer for [`output_mse_adam`].
pub(crate) struct Output<'a, F> {
    /// Layer input (batch × inputs).
    pub x: &'a [F],
    pub batch: usize,
    /// Columns of `x` that are non-zero in some row.
    pub segments: &'a [(usize, usize)],
    /// Targets (batch × outputs).
    pub y: &'a [F],
}

/// Adam moments of the output layer (weights out × in, biases).
pub(crate) struct OutputMoments<'a, F> {
    pub m: &'a mut [F],
    pub v: &'a mut [F],
    pub mb: &'a mut [F],
    pub vb: &'a mut [F],
}

/// Whether [`output_mse_adam`] runs for this float type, CPU and batch size.
pub(crate) fn output_fusable<F: Float>(batch: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        crate::kernels::as_f32::<F>(&[]).is_some()
            && isa::isa().is_some()
            && (1..=crate::kernels::lanes::WIDTH).contains(&batch)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = batch;
        false
    }
}

/// An identity output layer trained on the mean squared error, in one pass over its weights: each
/// block of rows computes its pre-activations (the batch across the lanes), the loss gradient
/// `2·(z − y)/n` and its share of the loss, then the fused backward + Adam of
/// [`fused::backward_adam`](crate::kernels::fused::backward_adam) while the block's weights are still in
/// cache. The input gradient (if `dx` is given) is the sum of per-block partial sums in block
/// order, the loss the sum of per-block f64 sums in block order, so results do not depend on the
/// number of threads. Returns the loss, or `None` (nothing done) where [`output_fusable`] is false.
#[allow(clippy::too_many_arguments)]
pub(crate) fn output_mse_adam<F: Float>(
    out: &Output<'_, F>,
    weight: &mut [F],
    bias: &mut [F],
    mo: OutputMoments<'_, F>,
    c: &Coefficients<F>,
    xt: &mut Vec<F>,
    partials: &mut Vec<F>,
    dx: Option<&mut [F]>,
) -> Option<F> {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::fused::{
            AdamF32, BackwardBlock, Moments, backward_adam, forward_lanes,
        };
        use crate::kernels::lanes::WIDTH;
        use crate::kernels::{as_f32, as_f32_mut};
        if !output_fusable::<F>(out.batch) {
            return None;
        }
        let isa = isa::isa()?;
        let batch = out.batch;
        let outputs = bias.len();
        let inputs = out.x.len() / batch;
        if inputs == 0 || outputs == 0 || weight.len() != outputs * inputs {
            return None;
        }
        xt.resize(inputs * WIDTH, F::zero());
        let rpb = rows_per_block(inputs, batch).next_multiple_of(8);
        let n_blocks = outputs.div_ceil(rpb);
        let part_len = if dx.is_some() { batch * inputs } else { 0 };
        partials.clear();
        partials.resize(n_blocks * part_len, F::zero());
        let (x, y, xt, w, b) = (
            as_f32(out.x)?,
            as_f32(out.y)?,
            as_f32_mut(xt)?,
            as_f32_mut(weight)?,
            as_f32_mut(bias)?,
        );
        let (m, v, mb, vb, parts) = (
            as_f32_mut(mo.m)?,
            as_f32_mut(mo.v)?,
            as_f32_mut(mo.mb)?,
            as_f32_mut(mo.vb)?,
            as_f32_mut(partials)?,
        );
        crate::kernels::transpose::transpose_lanes(x, batch, inputs, xt);
        let xt = &*xt;
        let scale = crate::loss::mse_scale::<f32>(batch * outputs);
        let c32 = AdamF32::new(c);
        let mut parts_iter = parts.chunks_mut(part_len.max(1));
        let blocks: Vec<_> = w
            .chunks_mut(rpb * inputs)
            .zip(b.chunks_mut(rpb))
            .zip(m.chunks_mut(rpb * inputs))
            .zip(v.chunks_mut(rpb * inputs))
            .zip(mb.chunks_mut(rpb))
            .zip(vb.chunks_mut(rpb))
            .map(|(((((w, b), m), v), mb), vb)| {
                let part: &mut [f32] = if part_len > 0 {
                    parts_iter.next().unwrap_or_default()
                } else {
                    &mut []
                };
                (w, b, Moments { m, v, mb, vb }, part)
            })
            .collect();
        let losses: Vec<f64> = blocks
            .into_par_iter()
            .enumerate()
            .map(|(blk, (w, b, mo, part))| {
                let rows = b.len();
                let j0 = blk * rpb;
                let mut zt = vec![0.0f32; rows * WIDTH];
                forward_lanes(isa, w, b, inputs, out.segments, xt, &mut zt);
                let mut dzt = vec![0.0f32; rows * batch];
                let mut loss = 0.0f64;
                for (i, (d, z)) in dzt
                    .chunks_exact_mut(batch)
                    .zip(zt.chunks_exact(WIDTH))
                    .enumerate()
                {
                    for (bi, d) in d.iter_mut().enumerate() {
                        let (e, g) = crate::loss::mse_error(z[bi], y[bi * outputs + j0 + i], scale);
                        loss += f64::from(e) * f64::from(e);
                        *d = g;
                    }
                }
                let p = BackwardBlock {
                    x,
                    dzt: &dzt,
                    batch,
                    inputs,
                    segments: out.segments,
                    xpack: &[],
                };
                backward_adam(isa, &c32, &p, w, b, mo, part);
                loss
            })
            .collect();
        if let Some(dx) = dx {
            dx.fill(F::zero());
            for part in partials.chunks_exact(part_len.max(1)) {
                for (d, &p) in dx.iter_mut().zip(part) {
                    *d += p;
                }
            }
        }
        let total: f64 = losses.iter().sum();
        Some(F::of(total / (batch * outputs) as f64))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (out, weight, bias, mo, c, xt, partials, dx);
        None
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Rows that are each mostly zero, in columns of their own (so that the batch's columns are
    /// all non-zero somewhere), go to the kernel of module `sparse` under the default plan: the
    /// values of the gemm crate's chains, with the transposed weights built once into the cache.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn rows_mostly_zero_each_go_to_the_sparse_kernel_with_the_gemm_values() {
        if xrd_core::cpu::skip_without(
            isa::InstructionSet::Avx2,
            "rows_mostly_zero_each_go_to_the_sparse_kernel_with_the_gemm_values",
        ) {
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(65);
        let (inputs, outputs, rows) = (1100, 40, 20);
        let w: Vec<f32> = (0..inputs * outputs)
            .map(|_| rng.random_range(-0.1..0.1))
            .collect();
        let b: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x: Vec<f32> = (0..rows * inputs)
            .map(|i| {
                let (r, k) = (i / inputs, i % inputs);
                if (k + 17 * r) % 50 < 15 {
                    rng.random_range(0.0..1.0)
                } else {
                    0.0
                }
            })
            .collect();
        assert!(!mostly_zero_columns(&x, rows, inputs));
        assert!(sampled_density(&x, rows, inputs) < plan::Plan::DEFAULT.sparse_below);
        let cache = OnceLock::new();
        let mut out = vec![f32::NAN; rows * outputs];
        forward_rows(&w, &b, &x, rows, &mut out, Some(&cache));
        assert!(out == gemm::naive(&w, &b, &x, rows));
        assert_eq!(
            cache.get().map(Vec::len),
            Some(inputs * sparse::padded(outputs))
        );
    }

    /// Inference sends dense inputs of 17 rows or more to the gemm crate (the bits of its fixed
    /// chain) and keeps xrd-ae's own kernels for inputs with mostly zero columns.
    #[test]
    fn dense_inputs_go_to_the_gemm_crate() {
        if xrd_core::cpu::skip_without(
            isa::InstructionSet::Avx2,
            "dense_inputs_go_to_the_gemm_crate",
        ) {
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (inputs, outputs, rows) = (1100, 40, 20);
        let w: Vec<f32> = (0..inputs * outputs)
            .map(|_| rng.random_range(-0.1..0.1))
            .collect();
        let b: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let infer = |x: &[f32]| {
            let mut out = vec![0.0f32; rows * outputs];
            forward_rows(&w, &b, x, rows, &mut out, None);
            bits(&out)
        };
        // One chain from the bias, columns in order: xrd-ae's own kernels.
        let own = |x: &[f32]| {
            let mut out = vec![0.0f32; rows * outputs];
            for r in 0..rows {
                for j in 0..outputs {
                    out[r * outputs + j] = (0..inputs)
                        .fold(b[j], |a, k| x[r * inputs + k].mul_add(w[j * inputs + k], a));
                }
            }
            bits(&out)
        };
        let dense: Vec<f32> = (0..rows * inputs)
            .map(|_| rng.random_range(0.0..1.0))
            .collect();
        let chain = bits(&gemm::naive(&w, &b, &dense, rows));
        assert!(infer(&dense) == chain);
        // Rounded differently, so the test tells the two apart.
        assert!(chain != own(&dense));
        let sparse: Vec<f32> = dense
            .iter()
            .enumerate()
            .map(|(i, &v)| if i % inputs < inputs / 2 { 0.0 } else { v })
            .collect();
        assert!(infer(&sparse) == own(&sparse));
        // The sample spans the batch: a first row with many zero columns does not decide.
        let mut first_sparse = dense.clone();
        first_sparse[..inputs / 2 + 1].fill(0.0);
        assert!(infer(&first_sparse) == bits(&gemm::naive(&w, &b, &first_sparse, rows)));
    }

    /// The union of two lists of column ranges marks exactly the columns either marks, as
    /// sorted, disjoint, non-touching ranges.
    #[test]
    fn union_segments_marks_the_columns_of_either_list() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let ranges = |mask: &[bool]| -> Vec<(usize, usize)> {
            let mut out: Vec<(usize, usize)> = Vec::new();
            for (k, &on) in mask.iter().enumerate() {
                match out.last_mut() {
                    Some(last) if on && last.1 == k => last.1 = k + 1,
                    _ if on => out.push((k, k + 1)),
                    _ => {}
                }
            }
            out
        };
        for _ in 0..200 {
            let n = rng.random_range(0..40);
            let a: Vec<bool> = (0..n).map(|_| rng.random_bool(0.4)).collect();
            let b: Vec<bool> = (0..n).map(|_| rng.random_bool(0.4)).collect();
            let either: Vec<bool> = a.iter().zip(&b).map(|(x, y)| x | y).collect();
            assert_eq!(
                union_segments(&ranges(&a), &ranges(&b)),
                ranges(&either),
                "{a:?} {b:?}"
            );
        }
        assert_eq!(union_segments(&[(0, 3), (5, 5)], &[(3, 4)]), [(0, 4)]);
    }

    /// Inference over rows whose zero columns differ from chunk to chunk (so that runs of
    /// chunks sum the union of their columns) equals, bit for bit, a chain of fused
    /// multiply-adds over every column from the bias, whatever the plan's split and grouping.
    #[test]
    fn inference_with_chunk_specific_zero_columns_matches_the_full_chain() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        // 131 outputs: one task per thread, blocks of 131 weight rows (one thread) or 72 and 59
        // (two), so the four-chunk groups run whole and with tails.
        let (rows, inputs, outputs) = (150, 300, 131);
        let w: Vec<f32> = (0..outputs * inputs)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let b: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x: Vec<f32> = (0..rows * inputs)
            .map(|i| {
                let (r, k) = (i / inputs, i % inputs);
                // Each chunk of 16 rows has its own zero blocks, a few rows their own.
                let zero = (k / 16 + r / 16) % 3 == 0 || (r % 5 == 0 && k % 50 < 20);
                if zero {
                    0.0
                } else {
                    rng.random_range(-1.0..1.0)
                }
            })
            .collect();
        let mut naive = vec![0.0f32; rows * outputs];
        for r in 0..rows {
            for j in 0..outputs {
                let mut acc = b[j];
                for k in 0..inputs {
                    acc = w[j * inputs + k].mul_add(x[r * inputs + k], acc);
                }
                naive[r * outputs + j] = acc;
            }
        }
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for isa in isa::builds_here() {
                let mut out = vec![f32::NAN; rows * outputs];
                assert!(pool.install(|| lanes_product(isa, &w, &b, &x, rows, None, &mut out)));
                assert_eq!(bits(&out), bits(&naive), "{isa:?}, {threads} threads");
                // Every split and grouping the planner chooses from, training's way too (all
                // columns given).
                for tasks in plan::TASKS_PER_THREAD {
                    for group in plan::GROUP_CHUNKS {
                        for segments in [None, Some(&[(0, inputs)][..])] {
                            let mut out = vec![f32::NAN; rows * outputs];
                            assert!(pool.install(|| lanes_product_with(
                                isa, tasks, group, &w, &b, &x, rows, segments, &mut out
                            )));
                            assert_eq!(
                                bits(&out),
                                bits(&naive),
                                "{isa:?}, {threads} threads, tasks {tasks}, group {group}"
                            );
                        }
                    }
                }
            }
        }
    }
}
