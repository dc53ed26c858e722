//! The f32 training kernels of x86-64, written once over [`V16`] and built for AVX-512F and for
//! AVX2 + FMA: a forward pass with the batch across the lanes, and a backward pass of a block of
//! weight rows fused with weight decay and Adam. Every lane is an output of its own and every
//! output is computed in a fixed order that depends only on the layer's shape, so both builds,
//! and any number of threads, give the same bits.

#![allow(unsafe_code)]
// Index loops keep the scalar tails visibly in step with the vector code they mirror.
#![allow(clippy::needless_range_loop)]

use crate::adam::{Coefficients, negligible_to_zero};
use crate::kernels::isa::Isa;
use crate::kernels::lanes::{V16, WIDTH, Ymm2, Zmm};
use std::marker::PhantomData;
use xrd_core::Float;

/// Weight rows per group of the forward kernel: each loaded input vector meets this many rows,
/// whose accumulators stay in registers (AVX-512: 8 of 32 registers; AVX2: 6 × 2 of 16, the most
/// that leaves room for the input vector and the broadcast weight).
const FORWARD_ROWS_512: usize = 8;
const FORWARD_ROWS_AVX2: usize = 6;
/// Weight rows per group when two chunks of 16 batch rows share their columns (training inputs,
/// and inference of inputs with many zero columns; dense inference runs through the gemm crate
/// since, so the predict timings below describe the path before it): 2 × 8 accumulators, so each broadcast weight feeds two fused multiply-adds
/// (10 loads per 16 of them instead of 9 per 8), which helps cores with two 512-bit FMA ports
/// (an Intel Xeon: predict 1000 patterns 5-12 % less CPU time). 12 rows measured the same
/// but run out of general registers for the row pointers. AVX2 has too few vector registers
/// for it (0: never paired).
const PAIR_ROWS_512: usize = 8;
const PAIR_ROWS_AVX2: usize = 0;
/// Weight rows per group when four chunks share their columns: 6 × 4 accumulators and the four
/// input vectors in 28 of 32 registers, each broadcast weight feeding four fused multiply-adds
/// (10 loads per 24 of them). On the Intel Xeon: predict 1000 patterns (8500 → 1024 → 512 →
/// 230) 8 % less time on one thread, no measurable change on two; the remaining rows of a block
/// (fewer than 6) stay four-chunk groups. AVX2: 0, never.
const QUAD_ROWS_512: usize = 6;
const QUAD_ROWS_AVX2: usize = 0;
/// Batch rows × vectors of columns per register tile of the input-gradient sums of the backward
/// kernel (AVX-512: 5 × 4 of 32 registers; AVX2: 3 × 2 × 2 of 16).
const PART_TILE_512: (usize, usize) = (5, 4);
const PART_TILE_AVX2: (usize, usize) = (3, 2);
/// From `kernels::WIDE_BATCH` rows on the update is bound by its arithmetic rather than by the
/// weight and moment streams: rows go in groups of [`UPDATE_ROWS_WIDE`] over blocks of
/// [`UPDATE_COLS`] columns, so that a block of the batch (`batch × UPDATE_COLS`) stays in L2 while
/// every row of the block of weights meets it.
const UPDATE_ROWS_WIDE: usize = 6;
const UPDATE_COLS: usize = 512;
/// Columns per block of [`forward_chunks`]: two chunks' transposed rows of a block (2 × 8 KiB)
/// stay in L1 while every row group of a task passes over them.
const FORWARD_KC: usize = 128;
/// How far ahead (in values) the weight and moment streams of the update are prefetched.
const STREAM_AHEAD: usize = 256;
/// Weight rows updated together, sharing each loaded input vector.
const UPDATE_ROWS: usize = 2;
/// Rows ahead that the first pass over a block's weights prefetches.
const PART_AHEAD: usize = 8;

/// f32 values per 64-byte cache line: software prefetches go one per line.
const LINE: usize = 16;

/// Rows shorter than this many columns are prefetched in software.
const PREFETCH_BELOW: usize = 1024;

/// Asks for the cache line holding `p` (a hint: never faults, changes no result).
#[inline(always)]
fn prefetch(p: *const f32) {
    // SAFETY: a prefetch does not access memory architecturally; SSE is part of x86-64.
    unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast()) }
}

/// Adam constants of one step, in f32.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamF32 {
    tiny: f32,
    tiny_v: f32,
    tiny_square: f32,
    l2: f32,
    shrink: f32,
    omb1: f32,
    beta2: f32,
    omb2: f32,
    isb: f32,
    eps: f32,
    step: f32,
}

impl AdamF32 {
    pub(crate) fn new<F: Float>(c: &Coefficients<F>) -> Self {
        let f = |x: F| x.as_f64() as f32;
        AdamF32 {
            tiny: f(c.tiny),
            tiny_v: f(c.tiny_v),
            tiny_square: f(c.tiny_square),
            l2: f(c.l2),
            shrink: f(c.shrink),
            omb1: f(c.one_minus_beta1),
            beta2: f(c.beta2),
            omb2: f(c.one_minus_beta2),
            isb: f(c.inv_sqrt_bc2),
            eps: f(c.eps),
            step: f(c.step),
        }
    }

    /// One parameter: the operations of `Splat::update` on one lane.
    #[inline(always)]
    fn update1(&self, w: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
        let wv = *w * self.shrink;
        let g = negligible_to_zero(self.l2.mul_add(wv, g), self.tiny);
        let gs = negligible_to_zero(g, self.tiny_square);
        let mv = negligible_to_zero(self.omb1.mul_add(g - *m, *m), self.tiny);
        let vv = negligible_to_zero((*v).mul_add(self.beta2, (self.omb2 * gs) * gs), self.tiny_v);
        let denom = vv.sqrt().mul_add(self.isb, self.eps);
        *m = mv;
        *v = vv;
        *w = (-self.step).mul_add(mv / denom, wv);
    }
}

/// The constants broadcast to vectors.
#[derive(Clone, Copy)]
struct Splat<V> {
    tiny: V,
    tiny_v: V,
    tiny_square: V,
    l2: V,
    shrink: V,
    omb1: V,
    beta2: V,
    omb2: V,
    isb: V,
    eps: V,
    step: V,
}

impl<V: V16> Splat<V> {
    #[inline(always)]
    unsafe fn new(c: &AdamF32) -> Self {
        // SAFETY: only called inside the kernels' target-feature builds.
        unsafe {
            Splat {
                tiny: V::splat(c.tiny),
                tiny_v: V::splat(c.tiny_v),
                tiny_square: V::splat(c.tiny_square),
                l2: V::splat(c.l2),
                shrink: V::splat(c.shrink),
                omb1: V::splat(c.omb1),
                beta2: V::splat(c.beta2),
                omb2: V::splat(c.omb2),
                isb: V::splat(c.isb),
                eps: V::splat(c.eps),
                step: V::splat(c.step),
            }
        }
    }

    /// Weight decay, both moments and the step for the 16 parameters at `w`, `m`, `v`, with
    /// negligible gradients and moments set to zero (`Adam`'s rule, which also keeps subnormal
    /// numbers out of the arithmetic).
    #[inline(always)]
    unsafe fn update(&self, w: *mut f32, g: V, m: *mut f32, v: *mut f32) {
        // SAFETY: the caller guarantees 16 values at each pointer.
        unsafe {
            let wv = V::load(w).mul(self.shrink);
            let g = self.l2.mul_add(wv, g).flush(self.tiny);
            let gs = g.flush(self.tiny_square);
            let m0 = V::load(m);
            let mv = self.omb1.mul_add(g.sub(m0), m0).flush(self.tiny);
            let vv = V::load(v)
                .mul_add(self.beta2, self.omb2.mul(gs).mul(gs))
                .flush(self.tiny_v);
            let denom = vv.sqrt().mul_add(self.isb, self.eps);
            mv.store(m);
            vv.store(v);
            self.step.neg_mul_add(mv.div(denom), wv).store(w);
        }
    }
}

/// `zt[j·16 + l] = bias[j] + Σ_k w[j, k]·xt[k·16 + l]` for the rows `j` of `w` (`bias.len()` rows of
/// `inputs`), summing over the columns of `segments` in order. `xt` holds 16 batch rows
/// transposed (inputs × 16, unused lanes zero).
pub(crate) fn forward_lanes(
    isa: Isa,
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    xt: &[f32],
    zt: &mut [f32],
) {
    let rows = bias.len();
    assert!(
        w.len() == rows * inputs
            && xt.len() >= inputs * WIDTH
            && zt.len() >= rows * WIDTH
            && segments.iter().all(|&(s, e)| s <= e && e <= inputs),
        "forward_lanes: shapes"
    );
    // SAFETY: the CPU has the instruction set `isa` names (it comes from `isa::isa`), and the
    // kernel reads w[j·inputs + k] (j < rows, k < inputs), xt[k·16 .. k·16 + 16] and writes
    // zt[j·16 .. j·16 + 16], all within the lengths asserted above.
    unsafe {
        match isa {
            Isa::Avx512 => forward_lanes_avx512(w, bias, inputs, segments, xt, zt),
            Isa::Avx2 => forward_lanes_avx2(w, bias, inputs, segments, xt, zt),
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn forward_lanes_avx512(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    xt: &[f32],
    zt: &mut [f32],
) {
    // SAFETY: forwarded from `forward_lanes`.
    unsafe { forward_lanes_in::<Zmm, FORWARD_ROWS_512>(w, bias, inputs, segments, xt, zt) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn forward_lanes_avx2(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    xt: &[f32],
    zt: &mut [f32],
) {
    // SAFETY: forwarded from `forward_lanes`.
    unsafe { forward_lanes_in::<Ymm2, FORWARD_ROWS_AVX2>(w, bias, inputs, segments, xt, zt) }
}

#[inline(always)]
unsafe fn forward_lanes_in<V: V16, const R: usize>(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    xt: &[f32],
    zt: &mut [f32],
) {
    let rows = bias.len();
    let mut j = 0;
    // SAFETY (both loops): rows j..j + R exist; see `forward_lanes`.
    while j + R <= rows {
        unsafe { forward_group::<V, R>(w, bias, inputs, segments, xt, zt, j) };
        j += R;
    }
    while j < rows {
        unsafe { forward_group::<V, 1>(w, bias, inputs, segments, xt, zt, j) };
        j += 1;
    }
}

#[inline(always)]
unsafe fn forward_group<V: V16, const R: usize>(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    xt: &[f32],
    zt: &mut [f32],
    j: usize,
) {
    let (wp, xp, zp) = (w.as_ptr(), xt.as_ptr(), zt.as_mut_ptr());
    // SAFETY: rows j..j + R < rows and columns k < inputs (see `forward_lanes`).
    unsafe {
        let mut acc = [V::zero(); R];
        for (r, a) in acc.iter_mut().enumerate() {
            *a = V::splat(bias[j + r]);
        }
        // Short rows are short streams the hardware prefetcher misses: fetch the next group's
        // rows one cache line per row every 16 columns.
        let ahead = inputs < PREFETCH_BELOW && j + 2 * R <= bias.len();
        for &(s, e) in segments {
            for k in s..e {
                if ahead && k % LINE == 0 {
                    for r in 0..R {
                        prefetch(wp.add((j + R + r) * inputs + k));
                    }
                }
                let xv = V::load(xp.add(k * WIDTH));
                for (r, a) in acc.iter_mut().enumerate() {
                    *a = V::splat(*wp.add((j + r) * inputs + k)).mul_add(xv, *a);
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            a.store(zp.add((j + r) * WIDTH));
        }
    }
}

/// One group of up to 16 batch rows for [`forward_chunks`].
pub(crate) struct Chunk<'a> {
    /// The rows transposed (inputs × 16, unused lanes finite).
    pub xt: &'a [f32],
    /// Columns that are non-zero in some of the rows.
    pub segments: &'a [(usize, usize)],
    /// The pre-activations of the block's weight rows (rows × 16).
    pub zt: &'a mut [f32],
}

/// [`forward_lanes`] for several chunks of 16 batch rows at once, blocked for the caches: for
/// each block of [`FORWARD_KC`] columns, every chunk meets every row group of `w` (a block of
/// rows, `bias.len()` of them), so the block of weights is read from memory once for all chunks
/// and a chunk's block of inputs stays in L1 while the row groups pass over it. Neighbouring
/// chunks with the same remaining segments go four ([`QUAD_ROWS_512`]) or two
/// ([`PAIR_ROWS_512`]) at a time, sharing each broadcast weight. Each output is the same chain
/// of fused multiply-adds (from the bias, columns in order) as in [`forward_lanes`], so all
/// give the same bits.
pub(crate) fn forward_chunks(
    isa: Isa,
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    chunks: &mut [Chunk<'_>],
) {
    let rows = bias.len();
    assert!(
        w.len() == rows * inputs
            && chunks.iter().all(|c| c.xt.len() >= inputs * WIDTH
                && c.zt.len() >= rows * WIDTH
                && c.segments.iter().all(|&(s, e)| s <= e && e <= inputs)),
        "forward_chunks: shapes"
    );
    // SAFETY: the CPU has `isa` (from `isa::isa`); every index lies within the lengths asserted
    // above (rows < bias.len(), columns < inputs, lanes < 16).
    unsafe {
        match isa {
            Isa::Avx512 => forward_chunks_avx512(w, bias, inputs, chunks),
            Isa::Avx2 => forward_chunks_avx2(w, bias, inputs, chunks),
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn forward_chunks_avx512(w: &[f32], bias: &[f32], inputs: usize, chunks: &mut [Chunk<'_>]) {
    // SAFETY: forwarded from `forward_chunks`.
    unsafe {
        forward_chunks_in::<Zmm, FORWARD_ROWS_512, PAIR_ROWS_512, QUAD_ROWS_512>(
            w, bias, inputs, chunks,
        )
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn forward_chunks_avx2(w: &[f32], bias: &[f32], inputs: usize, chunks: &mut [Chunk<'_>]) {
    // SAFETY: forwarded from `forward_chunks`.
    unsafe {
        forward_chunks_in::<Ymm2, FORWARD_ROWS_AVX2, PAIR_ROWS_AVX2, QUAD_ROWS_AVX2>(
            w, bias, inputs, chunks,
        )
    }
}

#[inline(always)]
unsafe fn forward_chunks_in<V: V16, const R: usize, const P: usize, const Q: usize>(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    chunks: &mut [Chunk<'_>],
) {
    let rows = bias.len();
    // Per chunk, the first segment not yet finished.
    let mut cursor = vec![0usize; chunks.len()];
    let mut k0 = 0;
    while k0 < inputs {
        let k1 = (k0 + FORWARD_KC).min(inputs);
        for (chunk, cur) in chunks.iter().zip(cursor.iter_mut()) {
            let all: &[(usize, usize)] = chunk.segments;
            while *cur < all.len() && all[*cur].1 <= k0 {
                *cur += 1;
            }
        }
        let mut c = 0;
        while c < chunks.len() {
            // Chunks from c on whose remaining segments equal c's share the weight broadcasts:
            // four at a time, or two, as far as this instruction set groups them.
            let all: &[(usize, usize)] = chunks[c].segments;
            let segs = &all[cursor[c]..];
            let most = if Q > 0 {
                4
            } else if P > 0 {
                2
            } else {
                1
            };
            let end = (c + most).min(chunks.len());
            let same = 1
                + (c + 1..end)
                    .take_while(|&d| chunks[d].segments[cursor[d]..] == *segs)
                    .count();
            let n = match same {
                4 => 4,
                2 | 3 if P > 0 => 2,
                _ => 1,
            };
            let cols = (k0, k1);
            let mut j = 0;
            // SAFETY (all calls): the rows passed lie below `rows`, and `SameColumns` holds the
            // buffers of chunks c..c + n (see `forward_chunks`).
            if n == 4 {
                let g = SameColumns::new(w, bias, inputs, segs, &mut chunks[c..c + 4], cols);
                j = unsafe { full_groups::<V, Q, 4>(&g) };
                // The last rows keep the four chunks: one row of one chunk would be a single
                // chain of fused multiply-adds, waiting on its own latency.
                const { assert!(Q <= 6, "the tail below covers fewer than 6 rows") };
                unsafe {
                    match rows - j {
                        1 => multi_group::<V, 1, 4>(&g, j),
                        2 => multi_group::<V, 2, 4>(&g, j),
                        3 => multi_group::<V, 3, 4>(&g, j),
                        4 => multi_group::<V, 4, 4>(&g, j),
                        5 => multi_group::<V, 5, 4>(&g, j),
                        0 => {}
                        _ => unreachable!("fewer than Q ≤ 6 rows are left"),
                    }
                }
                j = rows;
            } else if n == 2 {
                let g = SameColumns::new(w, bias, inputs, segs, &mut chunks[c..c + 2], cols);
                j = unsafe { full_groups::<V, P, 2>(&g) };
            }
            for d in c..c + n {
                let chunk = &mut chunks[d];
                let segs = &chunk.segments[cursor[d]..];
                // SAFETY: rows j.. < rows; see `forward_chunks`.
                unsafe { chunk_rows::<V, R>(w, bias, inputs, segs, chunk, j, cols) };
            }
            c += n;
        }
        k0 = k1;
    }
}

/// What [`multi_group`] needs of `N` chunks with the same segments over one block of columns.
/// It holds raw pointers into the chunks' buffers and borrows the chunks mutably for `'b`, so
/// nothing else can reach them while it lives. `forward_chunks` asserted the lengths it relies
/// on: every chunk has `inputs × 16` inputs and `bias.len() × 16` outputs, and the segments lie
/// below `inputs`.
struct SameColumns<'a, 'b, const N: usize> {
    w: &'a [f32],
    bias: &'a [f32],
    inputs: usize,
    segments: &'a [(usize, usize)],
    /// The chunks' transposed inputs and outputs.
    xs: [*const f32; N],
    zs: [*mut f32; N],
    /// The block of columns `k0..k1`.
    cols: (usize, usize),
    chunks: PhantomData<&'b mut [Chunk<'b>]>,
}

impl<'a, 'b, const N: usize> SameColumns<'a, 'b, N> {
    fn new(
        w: &'a [f32],
        bias: &'a [f32],
        inputs: usize,
        segments: &'a [(usize, usize)],
        group: &'b mut [Chunk<'_>],
        cols: (usize, usize),
    ) -> Self {
        debug_assert!(
            group.len() == N
                && group
                    .iter()
                    .all(|c| c.xt.len() >= inputs * WIDTH && c.zt.len() >= bias.len() * WIDTH)
        );
        let xs = std::array::from_fn(|i| group[i].xt.as_ptr());
        let zs = std::array::from_fn(|i| group[i].zt.as_mut_ptr());
        SameColumns {
            w,
            bias,
            inputs,
            segments,
            xs,
            zs,
            cols,
            chunks: PhantomData,
        }
    }
}

/// [`multi_group`] over the rows from 0 in whole groups of R; returns the first row not done.
#[inline(always)]
unsafe fn full_groups<V: V16, const R: usize, const N: usize>(g: &SameColumns<'_, '_, N>) -> usize {
    let mut j = 0;
    // R = 0 (a group size an instruction set does not use) would never advance.
    while R > 0 && j + R <= g.bias.len() {
        // SAFETY: rows j..j + R < rows; the caller's guarantees for the chunks and columns.
        unsafe { multi_group::<V, R, N>(g, j) };
        j += R;
    }
    j
}

/// Rows `j..` of one chunk over the columns `k0..k1`, in groups of R.
#[inline(always)]
unsafe fn chunk_rows<V: V16, const R: usize>(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segs: &[(usize, usize)],
    chunk: &mut Chunk<'_>,
    mut j: usize,
    cols: (usize, usize),
) {
    let rows = bias.len();
    // SAFETY (all calls): rows j..j + r < rows; see `forward_chunks`.
    while j + R <= rows {
        unsafe { chunk_group::<V, R>(w, bias, inputs, segs, chunk, j, cols) };
        j += R;
    }
    match rows - j {
        0 => {}
        1 => unsafe { chunk_group::<V, 1>(w, bias, inputs, segs, chunk, j, cols) },
        2 => unsafe { chunk_group::<V, 2>(w, bias, inputs, segs, chunk, j, cols) },
        3 => unsafe { chunk_group::<V, 3>(w, bias, inputs, segs, chunk, j, cols) },
        4 => unsafe { chunk_group::<V, 4>(w, bias, inputs, segs, chunk, j, cols) },
        _ => {
            while j < rows {
                unsafe { chunk_group::<V, 1>(w, bias, inputs, segs, chunk, j, cols) };
                j += 1;
            }
        }
    }
}

/// [`chunk_group`] for `N` chunks with the same segments at once: each broadcast weight meets
/// every chunk's input vector. Every output is the same chain as in `chunk_group`.
#[inline(always)]
unsafe fn multi_group<V: V16, const R: usize, const N: usize>(
    g: &SameColumns<'_, '_, N>,
    j: usize,
) {
    let SameColumns {
        w,
        bias,
        inputs,
        segments,
        xs,
        zs,
        cols: (k0, k1),
        ..
    } = *g;
    let wp = w.as_ptr();
    // SAFETY: rows j..j + R < rows, columns k < inputs, and every `xs[c]`/`zs[c]` is a chunk's
    // `xt`/`zt` (see `forward_chunks`).
    unsafe {
        let mut acc = [[V::zero(); N]; R];
        for (r, a) in acc.iter_mut().enumerate() {
            for (c, a) in a.iter_mut().enumerate() {
                *a = if k0 == 0 {
                    V::splat(bias[j + r])
                } else {
                    V::load(zs[c].add((j + r) * WIDTH))
                };
            }
        }
        for &(s, e) in segments {
            if s >= k1 {
                break;
            }
            for k in s.max(k0)..e.min(k1) {
                // A block's stretch of a weight row is a short stream (FORWARD_KC values) that
                // the hardware prefetcher misses: fetch the next group's stretch meanwhile.
                if (k - k0) % LINE == 0 && j + 2 * R <= bias.len() {
                    for r in 0..R {
                        prefetch(wp.add((j + R + r) * inputs + k));
                    }
                }
                let mut xv = [V::zero(); N];
                for (c, x) in xv.iter_mut().enumerate() {
                    *x = V::load(xs[c].add(k * WIDTH));
                }
                for (r, a) in acc.iter_mut().enumerate() {
                    let wv = V::splat(*wp.add((j + r) * inputs + k));
                    for (c, a) in a.iter_mut().enumerate() {
                        *a = wv.mul_add(xv[c], *a);
                    }
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            for (c, a) in a.iter().enumerate() {
                a.store(zs[c].add((j + r) * WIDTH));
            }
        }
    }
}

/// Rows `j..j + R` of one chunk over the columns `k0..k1` (`cols`) of `segments`: the
/// accumulators start from the bias in the first block of columns and from the stored partial
/// chain after that.
#[inline(always)]
unsafe fn chunk_group<V: V16, const R: usize>(
    w: &[f32],
    bias: &[f32],
    inputs: usize,
    segments: &[(usize, usize)],
    chunk: &mut Chunk<'_>,
    j: usize,
    (k0, k1): (usize, usize),
) {
    let (wp, xp, zp) = (w.as_ptr(), chunk.xt.as_ptr(), chunk.zt.as_mut_ptr());
    // SAFETY: rows j..j + R < rows and columns k < inputs (see `forward_chunks`).
    unsafe {
        let mut acc = [V::zero(); R];
        for (r, a) in acc.iter_mut().enumerate() {
            *a = if k0 == 0 {
                V::splat(bias[j + r])
            } else {
                V::load(zp.add((j + r) * WIDTH))
            };
        }
        for &(s, e) in segments {
            if s >= k1 {
                break;
            }
            for k in s.max(k0)..e.min(k1) {
                // As in `multi_group`: the next group's short stretch of weights, meanwhile.
                if (k - k0) % LINE == 0 && j + 2 * R <= bias.len() {
                    for r in 0..R {
                        prefetch(wp.add((j + R + r) * inputs + k));
                    }
                }
                let xv = V::load(xp.add(k * WIDTH));
                for (r, a) in acc.iter_mut().enumerate() {
                    *a = V::splat(*wp.add((j + r) * inputs + k)).mul_add(xv, *a);
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            a.store(zp.add((j + r) * WIDTH));
        }
    }
}

/// One block of weight rows for [`backward_adam`].
pub(crate) struct BackwardBlock<'a> {
    /// Layer input (batch × inputs, row-major).
    pub x: &'a [f32],
    /// Loss gradient with respect to the pre-activations of the block's rows, transposed
    /// (rows × batch: `dzt[i·batch + b]` is ∂L/∂z[b, first row + i]).
    pub dzt: &'a [f32],
    pub batch: usize,
    pub inputs: usize,
    /// Columns where some input row is non-zero; elsewhere the weight gradient is exactly zero.
    pub segments: &'a [(usize, usize)],
    /// The input packed by vectors of columns (see `kernels::pack_vectors`: vector `v`, batch
    /// row `b` at `(v·batch + b)·16`), or empty. The wide-batch update reads it instead of
    /// `x`: each vector's batch rows are then contiguous instead of `inputs` apart (one TLB
    /// entry instead of one per row).
    pub xpack: &'a [f32],
}

/// The moments of one block of rows (weights and biases).
pub(crate) struct Moments<'a> {
    pub m: &'a mut [f32],
    pub v: &'a mut [f32],
    pub mb: &'a mut [f32],
    pub vb: &'a mut [f32],
}

/// For each row `j` of the block (`bias.len()` rows): the input-gradient sums
/// `part[b, :] += dz[b, j]·w[j, :]` with the weights before the update (skipped when `part` is
/// empty), then the gradients `Σ_b dz[b, j]·x[b, :]` and `Σ_b dz[b, j]`, weight decay and Adam for
/// the row's weights and bias. Every sum runs in a fixed order (batch rows, then block rows,
/// ascending).
pub(crate) fn backward_adam(
    isa: Isa,
    c: &AdamF32,
    p: &BackwardBlock<'_>,
    w: &mut [f32],
    bias: &mut [f32],
    mo: Moments<'_>,
    part: &mut [f32],
) {
    let rows = bias.len();
    let n = rows * p.inputs;
    assert!(
        w.len() == n
            && mo.m.len() == n
            && mo.v.len() == n
            && mo.mb.len() == rows
            && mo.vb.len() == rows
            && p.x.len() >= p.batch * p.inputs
            && p.dzt.len() >= rows * p.batch
            && (p.xpack.is_empty() || p.xpack.len() >= p.batch * (p.inputs / WIDTH) * WIDTH)
            && (part.is_empty() || part.len() >= p.batch * p.inputs)
            && p.segments.iter().all(|&(s, e)| s <= e && e <= p.inputs),
        "backward_adam: shapes"
    );
    // Bias gradients Σ_b dz[b, j], batch rows in order.
    let db: Vec<f32> = (0..rows)
        .map(|i| {
            p.dzt[i * p.batch..(i + 1) * p.batch]
                .iter()
                .fold(0.0, |a, &d| a + d)
        })
        .collect();
    // SAFETY: the CPU has `isa` (from `isa::isa`) and every index lies within the lengths
    // asserted above (rows < bias.len(), columns < inputs, batch rows < batch).
    unsafe {
        match isa {
            Isa::Avx512 => backward_adam_avx512(c, p, w, bias, mo, part, &db),
            Isa::Avx2 => backward_adam_avx2(c, p, w, bias, mo, part, &db),
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn backward_adam_avx512(
    c: &AdamF32,
    p: &BackwardBlock<'_>,
    w: &mut [f32],
    bias: &mut [f32],
    mo: Moments<'_>,
    part: &mut [f32],
    db: &[f32],
) {
    const BB: usize = PART_TILE_512.0;
    const KV: usize = PART_TILE_512.1;
    // SAFETY: forwarded from `backward_adam`.
    unsafe { backward_adam_in::<Zmm, BB, KV>(c, p, w, bias, mo, part, db) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn backward_adam_avx2(
    c: &AdamF32,
    p: &BackwardBlock<'_>,
    w: &mut [f32],
    bias: &mut [f32],
    mo: Moments<'_>,
    part: &mut [f32],
    db: &[f32],
) {
    const BB: usize = PART_TILE_AVX2.0;
    const KV: usize = PART_TILE_AVX2.1;
    // SAFETY: forwarded from `backward_adam`.
    unsafe { backward_adam_in::<Ymm2, BB, KV>(c, p, w, bias, mo, part, db) }
}

#[inline(always)]
unsafe fn backward_adam_in<V: V16, const BB: usize, const KV: usize>(
    c: &AdamF32,
    p: &BackwardBlock<'_>,
    w: &mut [f32],
    bias: &mut [f32],
    mo: Moments<'_>,
    part: &mut [f32],
    db: &[f32],
) {
    let rows = bias.len();
    let (inputs, batch, dzt) = (p.inputs, p.batch, p.dzt);
    // SAFETY (whole body): see `backward_adam`.
    unsafe {
        let s = Splat::<V>::new(c);

        // Biases, vectorised across rows.
        let mut j = 0;
        while j + WIDTH <= rows {
            let (bp, mp, vp) = (bias.as_mut_ptr(), mo.mb.as_mut_ptr(), mo.vb.as_mut_ptr());
            s.update(bp.add(j), V::load(db.as_ptr().add(j)), mp.add(j), vp.add(j));
            j += WIDTH;
        }
        for j in j..rows {
            c.update1(&mut bias[j], db[j], &mut mo.mb[j], &mut mo.vb[j]);
        }

        // Input-gradient sums with the old weights, in register tiles.
        if !part.is_empty() {
            part_sums::<V, BB, KV>(w, inputs, batch, rows, dzt, part, &mo);
        }

        // Weight gradients and the update. Small batches: rows in pairs over whole rows (each
        // input vector loaded once for both rows; the weight and moment streams bound the
        // time). Wide batches: blocks of columns, groups of rows.
        if batch < crate::kernels::WIDE_BATCH {
            let mut i = 0;
            while i + UPDATE_ROWS <= rows {
                update_rows::<V, UPDATE_ROWS>(&s, c, p, w, mo.m, mo.v, dzt, i, (0, inputs));
                i += UPDATE_ROWS;
            }
            while i < rows {
                update_rows::<V, 1>(&s, c, p, w, mo.m, mo.v, dzt, i, (0, inputs));
                i += 1;
            }
        } else {
            let mut c0 = 0;
            while c0 < inputs {
                let cols = (c0, (c0 + UPDATE_COLS).min(inputs));
                let mut i = 0;
                while i + UPDATE_ROWS_WIDE <= rows {
                    update_rows::<V, UPDATE_ROWS_WIDE>(&s, c, p, w, mo.m, mo.v, dzt, i, cols);
                    i += UPDATE_ROWS_WIDE;
                }
                while i + UPDATE_ROWS <= rows {
                    update_rows::<V, UPDATE_ROWS>(&s, c, p, w, mo.m, mo.v, dzt, i, cols);
                    i += UPDATE_ROWS;
                }
                while i < rows {
                    update_rows::<V, 1>(&s, c, p, w, mo.m, mo.v, dzt, i, cols);
                    i += 1;
                }
                c0 = cols.1;
            }
        }
    }
}

/// Weight gradients `g = Σ_b dz[b, j]·x[b, :]` and the update of the `R` rows from `i0` over the
/// columns `c0..c1` (`cols`): zero gradient outside the segments, whole vectors, then scalar
/// columns.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn update_rows<V: V16, const R: usize>(
    s: &Splat<V>,
    c: &AdamF32,
    p: &BackwardBlock<'_>,
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    dzt: &[f32],
    i0: usize,
    (c0, c1): (usize, usize),
) {
    let (inputs, batch) = (p.inputs, p.batch);
    let (wp, mp, vp, xp, dp) = (
        w.as_mut_ptr(),
        m.as_mut_ptr(),
        v.as_mut_ptr(),
        p.x.as_ptr(),
        dzt.as_ptr(),
    );
    // SAFETY (whole body): rows i0..i0 + R exist, columns stay below `inputs` and batch rows
    // below `batch` (see `backward_adam`); prefetches use wrapping pointers and never fault.
    unsafe {
        let ahead = |at: usize| {
            prefetch(wp.wrapping_add(at));
            prefetch(mp.wrapping_add(at));
            prefetch(vp.wrapping_add(at));
        };
        let mut pos = c0;
        for &(a, e) in p.segments.iter().chain(std::iter::once(&(inputs, inputs))) {
            if e <= c0 {
                continue;
            }
            let (a, e) = (a.clamp(c0, c1), e.clamp(c0, c1));
            // Columns pos..a: zero gradient.
            for r in 0..R {
                let row = (i0 + r) * inputs;
                let mut k = pos;
                while k + WIDTH <= a {
                    ahead(row + k + STREAM_AHEAD);
                    s.update(wp.add(row + k), V::zero(), mp.add(row + k), vp.add(row + k));
                    k += WIDTH;
                }
                for k in k..a {
                    c.update1(&mut w[row + k], 0.0, &mut m[row + k], &mut v[row + k]);
                }
            }
            // Columns a..e (whole vectors start at multiples of 16: segments, gaps and blocks
            // of columns do).
            let mut k = a;
            while k + WIDTH <= e {
                let mut g = [V::zero(); R];
                let (base, stride) = if p.xpack.is_empty() || k % WIDTH != 0 {
                    (xp.add(k), inputs)
                } else {
                    (p.xpack.as_ptr().add(k / WIDTH * batch * WIDTH), WIDTH)
                };
                for b in 0..batch {
                    let xv = V::load(base.add(b * stride));
                    for (r, g) in g.iter_mut().enumerate() {
                        *g = V::splat(*dp.add((i0 + r) * batch + b)).mul_add(xv, *g);
                    }
                }
                for (r, &g) in g.iter().enumerate() {
                    let at = (i0 + r) * inputs + k;
                    ahead(at + STREAM_AHEAD);
                    s.update(wp.add(at), g, mp.add(at), vp.add(at));
                }
                k += WIDTH;
            }
            for r in 0..R {
                let row = (i0 + r) * inputs;
                for k in k..e {
                    let mut g = 0.0f32;
                    for b in 0..batch {
                        g = dzt[(i0 + r) * batch + b].mul_add(p.x[b * inputs + k], g);
                    }
                    c.update1(&mut w[row + k], g, &mut m[row + k], &mut v[row + k]);
                }
            }
            pos = e.max(pos);
            if pos >= c1 {
                break;
            }
        }
    }
}

/// `part[b, k] += Σ_i dzt[i, b]·w[i, k]` over the block's rows `i` in order: tiles of `BB` batch
/// rows × `KV` vectors stay in registers while the rows stream past, then single vectors, then
/// scalar columns.
#[inline(always)]
unsafe fn part_sums<V: V16, const BB: usize, const KV: usize>(
    w: &[f32],
    inputs: usize,
    batch: usize,
    rows: usize,
    dzt: &[f32],
    part: &mut [f32],
    mo: &Moments<'_>,
) {
    // SAFETY (whole body): batch rows < batch, columns < inputs, rows < rows; see `backward_adam`.
    unsafe {
        let mut k = 0;
        while k + KV * WIDTH <= inputs {
            part_tiles::<V, BB, KV>(w, inputs, batch, rows, dzt, part, k, mo);
            k += KV * WIDTH;
        }
        while k + WIDTH <= inputs {
            part_tiles::<V, BB, 1>(w, inputs, batch, rows, dzt, part, k, mo);
            k += WIDTH;
        }
        for k in k..inputs {
            for b in 0..batch {
                let mut acc = part[b * inputs + k];
                for i in 0..rows {
                    acc = dzt[i * batch + b].mul_add(w[i * inputs + k], acc);
                }
                part[b * inputs + k] = acc;
            }
        }
    }
}

/// [`part_sums`] for the `KV` vectors of columns starting at `k`, every batch row.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn part_tiles<V: V16, const BB: usize, const KV: usize>(
    w: &[f32],
    inputs: usize,
    batch: usize,
    rows: usize,
    dzt: &[f32],
    part: &mut [f32],
    k: usize,
    mo: &Moments<'_>,
) {
    // SAFETY: see `part_sums`.
    unsafe {
        let mut b = 0;
        while b + BB <= batch {
            part_tile::<V, BB, KV>(w, inputs, batch, rows, dzt, part, k, b, mo);
            b += BB;
        }
        while b < batch {
            part_tile::<V, 1, KV>(w, inputs, batch, rows, dzt, part, k, b, mo);
            b += 1;
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn part_tile<V: V16, const BB: usize, const KV: usize>(
    w: &[f32],
    inputs: usize,
    batch: usize,
    rows: usize,
    dzt: &[f32],
    part: &mut [f32],
    k: usize,
    b0: usize,
    mo: &Moments<'_>,
) {
    let (wp, dp, pp) = (w.as_ptr(), dzt.as_ptr(), part.as_mut_ptr());
    let (mp, vp) = (mo.m.as_ptr(), mo.v.as_ptr());
    // SAFETY: see `part_sums`.
    unsafe {
        let mut acc = [[V::zero(); KV]; BB];
        for (bb, a) in acc.iter_mut().enumerate() {
            for (kv, a) in a.iter_mut().enumerate() {
                *a = V::load(pp.add((b0 + bb) * inputs + k + kv * WIDTH));
            }
        }
        let ahead = b0 == 0 && inputs < PREFETCH_BELOW;
        for i in 0..rows {
            if ahead && i + PART_AHEAD < rows {
                // The weights for this pass, the moments for the update that follows.
                for kv in 0..KV {
                    let at = (i + PART_AHEAD) * inputs + k + kv * WIDTH;
                    prefetch(wp.add(at));
                    prefetch(mp.add(at));
                    prefetch(vp.add(at));
                }
            }
            let mut wv = [V::zero(); KV];
            for (kv, x) in wv.iter_mut().enumerate() {
                *x = V::load(wp.add(i * inputs + k + kv * WIDTH));
            }
            for (bb, a) in acc.iter_mut().enumerate() {
                let d = V::splat(*dp.add(i * batch + b0 + bb));
                for (kv, a) in a.iter_mut().enumerate() {
                    *a = d.mul_add(wv[kv], *a);
                }
            }
        }
        for (bb, a) in acc.iter().enumerate() {
            for (kv, a) in a.iter().enumerate() {
                a.store(pp.add((b0 + bb) * inputs + k + kv * WIDTH));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    /// The instruction sets of this CPU that the kernels can be built for.
    fn isas() -> Vec<Isa> {
        let out = crate::kernels::isa::builds_here();
        if out.is_empty() {
            eprintln!("no AVX2 or AVX-512 here: the vector kernels never run");
        }
        out
    }

    fn random(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Ragged shapes (not multiples of 16, 64, 5 or 8) and segments with gaps and ragged ends.
    /// The last one is a wide batch: blocks of columns and groups of rows in the update.
    const SHAPES: [(usize, usize, usize); 5] = [
        (37, 131, 10),
        (8, 16, 3),
        (19, 200, 7),
        (1, 5, 1),
        (13, 1100, 40),
    ];

    fn segments(inputs: usize) -> Vec<(usize, usize)> {
        let cut = |f: usize| (inputs * f / 10).min(inputs);
        vec![(0, cut(2)), (cut(3), cut(7)), (cut(8) + 1, inputs)]
            .into_iter()
            .filter(|&(s, e)| s < e)
            .collect()
    }

    /// The vector forward kernel equals, bit for bit, a naive loop with the same fused
    /// multiply-adds in the same order, for every build this CPU runs.
    #[test]
    fn forward_lanes_matches_naive_bit_for_bit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for (rows, inputs, batch) in SHAPES {
            let w = random(rows * inputs, &mut rng);
            let bias = random(rows, &mut rng);
            let mut xt = vec![0.0f32; inputs * WIDTH];
            for k in 0..inputs {
                for l in 0..batch.min(WIDTH) {
                    xt[k * WIDTH + l] = rng.random_range(-1.0..1.0);
                }
            }
            let seg = segments(inputs);
            let mut naive = vec![0.0f32; rows * WIDTH];
            for j in 0..rows {
                for l in 0..WIDTH {
                    let mut z = bias[j];
                    for &(s, e) in &seg {
                        for k in s..e {
                            z = w[j * inputs + k].mul_add(xt[k * WIDTH + l], z);
                        }
                    }
                    naive[j * WIDTH + l] = z;
                }
            }
            for isa in isas() {
                let mut zt = vec![f32::NAN; rows * WIDTH];
                forward_lanes(isa, &w, &bias, inputs, &seg, &xt, &mut zt);
                assert_eq!(bits(&zt), bits(&naive), "{isa:?} {rows}×{inputs}");
            }
        }
    }

    /// The blocked forward kernel over several chunks (four that share their segments and go
    /// through the four-chunk kernel, then a pair through the paired one, a chunk with other
    /// segments and one with none) equals, bit for bit, a naive chain of fused multiply-adds
    /// from the bias, for row counts that leave every tail of the register groups (four-chunk
    /// groups of 6 rows: tails 5, 5, 4, 1, 3, 2, 0, 4; pairs of 8: 7, 5, 0, 1, 3, 0, 4, 6),
    /// and columns in one block and in several.
    #[test]
    fn forward_chunks_matches_naive_bit_for_bit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        let shapes = [
            (23, 600),
            (5, 70),
            (16, 257),
            (1, 17),
            (3, 300),
            (8, 40),
            (12, 130),
            (70, 300),
        ];
        for (rows, inputs) in shapes {
            let w = random(rows * inputs, &mut rng);
            let bias = random(rows, &mut rng);
            let xts: Vec<Vec<f32>> = (0..8).map(|_| random(inputs * WIDTH, &mut rng)).collect();
            let some = segments(inputs);
            let all = vec![(0, inputs)];
            let segs = [
                some.clone(),
                some.clone(),
                some.clone(),
                some.clone(),
                all.clone(),
                all.clone(),
                some,
                Vec::new(),
            ];
            let naive: Vec<Vec<f32>> = (0..8)
                .map(|c| {
                    let mut z = vec![0.0f32; rows * WIDTH];
                    for j in 0..rows {
                        for l in 0..WIDTH {
                            let mut acc = bias[j];
                            for &(s, e) in &segs[c] {
                                for k in s..e {
                                    acc = w[j * inputs + k].mul_add(xts[c][k * WIDTH + l], acc);
                                }
                            }
                            z[j * WIDTH + l] = acc;
                        }
                    }
                    z
                })
                .collect();
            for isa in isas() {
                let mut zts = vec![vec![f32::NAN; rows * WIDTH]; 8];
                let mut chunks: Vec<Chunk<'_>> = zts
                    .iter_mut()
                    .zip(&xts)
                    .zip(&segs)
                    .map(|((zt, xt), seg)| Chunk {
                        xt,
                        segments: seg,
                        zt,
                    })
                    .collect();
                forward_chunks(isa, &w, &bias, inputs, &mut chunks);
                for c in 0..8 {
                    assert_eq!(
                        bits(&zts[c]),
                        bits(&naive[c]),
                        "{isa:?} {rows}×{inputs}, chunk {c}"
                    );
                }
            }
        }
    }

    /// `V16::flush` on both builds treats NaN, infinities, signed zeros, subnormals and values at
    /// and around the threshold as the scalar rule does, bit for bit.
    #[test]
    fn vector_flush_matches_the_scalar_rule() {
        /// `V::flush` of 16 values; only called from the target-feature builds below.
        #[inline(always)]
        unsafe fn flushed<V: V16>(x: &[f32; 16], t: f32) -> [f32; 16] {
            let mut out = [0.0f32; 16];
            // SAFETY: 16 values at each pointer; the callers have `V`'s instruction set.
            unsafe {
                V::load(x.as_ptr())
                    .flush(V::splat(t))
                    .store(out.as_mut_ptr())
            };
            out
        }
        #[target_feature(enable = "avx512f")]
        unsafe fn with_zmm(x: &[f32; 16], t: f32) -> [f32; 16] {
            // SAFETY: AVX-512F is this function's target feature.
            unsafe { flushed::<Zmm>(x, t) }
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn with_ymm(x: &[f32; 16], t: f32) -> [f32; 16] {
            // SAFETY: AVX2 and FMA are this function's target features.
            unsafe { flushed::<Ymm2>(x, t) }
        }
        let t = 8.5e-30f32;
        let x = [
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            t,
            -t,
            t * 0.999,
            -t * 0.999,
            t * 1.001,
            1.0,
            -1.0,
            1e-45,
            -1e-45,
            f32::MIN_POSITIVE,
        ];
        let want: Vec<u32> = x
            .iter()
            .map(|&v| negligible_to_zero(v, t).to_bits())
            .collect();
        for isa in isas() {
            // SAFETY: `isas` lists only instruction sets this CPU has.
            let got = unsafe {
                match isa {
                    Isa::Avx512 => with_zmm(&x, t),
                    Isa::Avx2 => with_ymm(&x, t),
                }
            };
            assert_eq!(bits(&got), want, "{isa:?}");
        }
    }

    /// The fused backward + Adam kernel (weights, moments, biases and input-gradient sums) equals,
    /// bit for bit, a naive per-element loop with the same operations in the same order.
    #[test]
    fn backward_adam_matches_naive_bit_for_bit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        let c = AdamF32 {
            tiny: 8.5e-30,
            tiny_v: 8.7e-35,
            tiny_square: 2.9e-16,
            l2: 1e-2,
            shrink: 0.999,
            omb1: 0.1,
            beta2: 0.999,
            omb2: 1e-3,
            isb: 7.3,
            eps: 1e-8,
            step: 1.3e-3,
        };
        // Some values near and below the thresholds of negligible values (`c.tiny` …), so that
        // both sides of every comparison are taken in the vector lanes and the scalar tails.
        let shrunk = |mut a: Vec<f32>, every: usize, by: f32| {
            a.iter_mut().step_by(every).for_each(|x| *x *= by);
            a
        };
        // With L2 decay the gradients are never tiny; without it, whole rows are.
        for (c, (rows, inputs, batch)) in [c, AdamF32 { l2: 0.0, ..c }]
            .into_iter()
            .flat_map(|c| SHAPES.map(|shape| (c, shape)))
        {
            let x = shrunk(random(batch * inputs, &mut rng), 7, 1e-22);
            // Rows whose gradients are all small: 1e-17 (square term left out but not zero in
            // f32), 1e-25 (square term zero anyway), 1e-31 (negligible).
            let mut dzt = random(rows * batch, &mut rng);
            for (i, row) in dzt.chunks_mut(batch).enumerate() {
                let by = [1.0, 1e-17, 1e-25, 1e-31][i % 4];
                row.iter_mut().for_each(|d| *d *= by);
            }
            let w0 = random(rows * inputs, &mut rng);
            let b0 = random(rows, &mut rng);
            let m0 = shrunk(random(rows * inputs, &mut rng), 5, 2e-29);
            let v0: Vec<f32> = shrunk(random(rows * inputs, &mut rng), 3, 1e-17)
                .iter()
                .map(|v| v * v)
                .collect();
            let mb0 = random(rows, &mut rng);
            let vb0: Vec<f32> = random(rows, &mut rng).iter().map(|v| v * v).collect();
            let part0 = random(batch * inputs, &mut rng);
            let seg = segments(inputs);

            let (mut w, mut b, mut m, mut v) = (w0.clone(), b0.clone(), m0.clone(), v0.clone());
            let (mut mb, mut vb, mut part) = (mb0.clone(), vb0.clone(), part0.clone());
            let d = |i: usize, bi: usize| dzt[i * batch + bi];
            for j in 0..rows {
                let mut g = 0.0f32;
                for bi in 0..batch {
                    g += d(j, bi);
                }
                c.update1(&mut b[j], g, &mut mb[j], &mut vb[j]);
            }
            for bi in 0..batch {
                for k in 0..inputs {
                    let mut acc = part[bi * inputs + k];
                    for i in 0..rows {
                        acc = d(i, bi).mul_add(w0[i * inputs + k], acc);
                    }
                    part[bi * inputs + k] = acc;
                }
            }
            for i in 0..rows {
                for k in 0..inputs {
                    let mut g = 0.0f32;
                    if seg.iter().any(|&(s, e)| (s..e).contains(&k)) {
                        for bi in 0..batch {
                            g = d(i, bi).mul_add(x[bi * inputs + k], g);
                        }
                    }
                    let at = i * inputs + k;
                    c.update1(&mut w[at], g, &mut m[at], &mut v[at]);
                }
            }

            for isa in isas() {
                let (mut w2, mut b2, mut m2, mut v2) =
                    (w0.clone(), b0.clone(), m0.clone(), v0.clone());
                let (mut mb2, mut vb2, mut part2) = (mb0.clone(), vb0.clone(), part0.clone());
                let packed = crate::kernels::pack_vectors(&x, batch, inputs);
                let block = BackwardBlock {
                    x: &x,
                    dzt: &dzt,
                    batch,
                    inputs,
                    segments: &seg,
                    xpack: if batch >= crate::kernels::WIDE_BATCH {
                        &packed
                    } else {
                        &[]
                    },
                };
                let mo = Moments {
                    m: &mut m2,
                    v: &mut v2,
                    mb: &mut mb2,
                    vb: &mut vb2,
                };
                backward_adam(isa, &c, &block, &mut w2, &mut b2, mo, &mut part2);
                let what = format!("{isa:?} {rows}×{inputs}, batch {batch}");
                assert_eq!(bits(&w2), bits(&w), "weights, {what}");
                assert_eq!(bits(&m2), bits(&m), "first moments, {what}");
                assert_eq!(bits(&v2), bits(&v), "second moments, {what}");
                assert_eq!(bits(&b2), bits(&b), "biases, {what}");
                assert_eq!(bits(&mb2), bits(&mb), "bias first moments, {what}");
                assert_eq!(bits(&vb2), bits(&vb), "bias second moments, {what}");
                assert_eq!(bits(&part2), bits(&part), "input-gradient sums, {what}");
            }
        }
    }
}
