//! Inference of a wide layer, `out = x·Wᵀ + b`, over the transposed weights, walking each group
//! of rows' own non-zero columns only: for rows that are each partly exactly zero but not in the
//! same columns (a batch's columns are then all non-zero somewhere, so the kernels that skip
//! zero columns gain nothing), and, where the planner finds it faster, for dense rows too.
//!
//! The weights are read transposed, in panels of 16 outputs (outputs rounded up to whole
//! vectors, built once per layer and kept: [`crate::Dense`]), so that the 16 outputs' weights of
//! one column `k` of `W` are contiguous and a panel's columns follow one another: for every
//! column non-zero in one of a group's rows, the group's accumulators (outputs across the lanes)
//! take `x[r, k]·Wᵀ[k, ·]` as one fused multiply-add each, each weight vector loaded once for the
//! group's rows. The loops run blocks of 512 columns outermost, so that a task's rows of the block
//! stay in L2 while the tiles of outputs pass over them.
//!
//! The sums are those of the `gemm` crate's path (module `gemm`): every output is
//! `bias + chain(block 0) + chain(block 1) + …` over the same blocks of columns, each chain fused
//! multiply-adds from zero in column order. A column zero in a row adds `0·w = ±0` to its chain,
//! which changes nothing but the sign of a chain that is exactly zero, so the values are the
//! gemm path's (a zero output may differ in sign), whatever the blocking, the instruction set or
//! the number of threads.

#![allow(unsafe_code)]

use rayon::prelude::*;

use crate::kernels::isa::Isa;
use crate::kernels::lanes::{V16, WIDTH, Ymm2, Zmm};
use crate::kernels::plan::{BLOCKINGS, Blocking};

/// Outputs of a transposed weight row: `outputs` rounded up to whole vectors.
pub(crate) fn padded(outputs: usize) -> usize {
    outputs.next_multiple_of(WIDTH)
}

/// `W` (`outputs × inputs`, row-major) transposed in panels of 16 outputs: panel `p` holds
/// `Wᵀ[k, 16p .. 16p + 16]` for every column `k` in turn (`inputs × 16` values, contiguous), the
/// outputs past `outputs` zero. A register tile then reads one contiguous stream per vector: rows
/// of the whole `inputs × outputs` transpose, 512 bytes apart, would fall into a few sets of the
/// L1 cache and be fetched from L2 at every pass of a group of rows.
pub(crate) fn transpose(w: &[f32], outputs: usize, inputs: usize) -> Vec<f32> {
    let op = padded(outputs);
    let mut wt = vec![0.0f32; inputs * op];
    wt.par_chunks_mut(inputs * WIDTH)
        .enumerate()
        .for_each(|(p, dst)| {
            for l in 0..WIDTH {
                let j = p * WIDTH + l;
                if j >= outputs {
                    break;
                }
                for (k, &v) in w[j * inputs..(j + 1) * inputs].iter().enumerate() {
                    dst[k * WIDTH + l] = v;
                }
            }
        });
    wt
}

/// The runs `(start, end)` of columns non-zero in at least one of `rows` (each `inputs` long),
/// cut at the boundaries of `blocks`; `offsets[b]..offsets[b + 1]` are the runs of block `b`.
fn runs(
    rows: &[&[f32]],
    inputs: usize,
    blocks: &[(usize, usize)],
    runs: &mut Vec<(u32, u32)>,
    offsets: &mut Vec<usize>,
) {
    runs.clear();
    offsets.clear();
    let mut whole: Vec<(u32, u32)> = Vec::new();
    let mut push = |s: usize, e: usize| match whole.last_mut() {
        Some(last) if last.1 as usize == s => last.1 = e as u32,
        _ => whole.push((s as u32, e as u32)),
    };
    let mut c = 0;
    while c < inputs {
        let n = WIDTH.min(inputs - c);
        // Magnitude bits OR-ed over the rows: non-zero exactly where some row is (±0 are zero).
        let mut any = [0u32; WIDTH];
        for r in rows {
            for (a, v) in any.iter_mut().zip(&r[c..c + n]) {
                *a |= v.to_bits() & 0x7fff_ffff;
            }
        }
        let mut mask = any
            .iter()
            .enumerate()
            .fold(0u32, |m, (l, &a)| m | (u32::from(a != 0) << l));
        while mask != 0 {
            let s = mask.trailing_zeros() as usize;
            let len = (!(mask >> s)).trailing_zeros() as usize;
            push(c + s, c + s + len);
            mask &= !(((1u64 << len) - 1) << s) as u32;
        }
        c += n;
    }
    let mut i = 0;
    for &(k0, k1) in blocks {
        offsets.push(runs.len());
        while i < whole.len() && (whole[i].1 as usize) <= k0 {
            i += 1;
        }
        let mut j = i;
        while j < whole.len() && (whole[j].0 as usize) < k1 {
            let (s, e) = whole[j];
            runs.push(((s as usize).max(k0) as u32, (e as usize).min(k1) as u32));
            j += 1;
        }
    }
    offsets.push(runs.len());
}

/// `out = x·Wᵀ + b` (x: rows × inputs, out: rows × outputs, row-major) from the transposed
/// weights `wt` ([`transpose`]) with the register blocking `blocking`; `false` (and `out`
/// untouched) if the shapes do not fit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    isa: Isa,
    blocking: Blocking,
    wt: &[f32],
    b: &[f32],
    x: &[f32],
    rows: usize,
    out: &mut [f32],
) -> bool {
    let outputs = b.len();
    let op = padded(outputs);
    let inputs = x.len().checked_div(rows).unwrap_or(0);
    if inputs == 0
        || outputs == 0
        || x.len() != rows * inputs
        || wt.len() != inputs * op
        || out.len() < rows * outputs
        || !BLOCKINGS.contains(&blocking)
    {
        return false;
    }
    let blocks = crate::kernels::gemm::column_blocks(inputs);
    let g = blocking.rows;
    // Two tasks per thread of whole groups of rows, for balance on a shared machine; every task
    // reads all of Wᵀ, block by block, from the shared cache.
    let tasks = (2 * rayon::current_num_threads())
        .min(rows.div_ceil(g))
        .max(1);
    let per_task = rows.div_ceil(g).div_ceil(tasks) * g;
    out[..rows * outputs]
        .par_chunks_mut(per_task * outputs)
        .zip(x.par_chunks(per_task * inputs))
        .for_each(|(o, xs)| {
            // SAFETY: `isa` comes from the CPU probe (the CPU has it); the shapes were checked
            // above and `task` reads and writes only within them.
            unsafe {
                match isa {
                    Isa::Avx512 => task_avx512(blocking, wt, b, xs, inputs, &blocks, o),
                    Isa::Avx2 => task_avx2(blocking, wt, b, xs, inputs, &blocks, o),
                }
            }
        });
    true
}

macro_rules! dispatch {
    ($v:ty, $blocking:expr, $($arg:expr),*) => {
        match ($blocking.rows, $blocking.vectors) {
            (1, 8) => task::<$v, 1, 8>($($arg),*),
            (2, 8) => task::<$v, 2, 8>($($arg),*),
            (4, 4) => task::<$v, 4, 4>($($arg),*),
            (4, 6) => task::<$v, 4, 6>($($arg),*),
            (6, 4) => task::<$v, 6, 4>($($arg),*),
            (1, 4) => task::<$v, 1, 4>($($arg),*),
            (2, 4) => task::<$v, 2, 4>($($arg),*),
            _ => task::<$v, 2, 2>($($arg),*),
        }
    };
}

#[target_feature(enable = "avx512f")]
unsafe fn task_avx512(
    blocking: Blocking,
    wt: &[f32],
    b: &[f32],
    xs: &[f32],
    inputs: usize,
    blocks: &[(usize, usize)],
    out: &mut [f32],
) {
    // SAFETY: forwarded from `product`.
    unsafe { dispatch!(Zmm, blocking, wt, b, xs, inputs, blocks, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn task_avx2(
    blocking: Blocking,
    wt: &[f32],
    b: &[f32],
    xs: &[f32],
    inputs: usize,
    blocks: &[(usize, usize)],
    out: &mut [f32],
) {
    // SAFETY: forwarded from `product`.
    unsafe { dispatch!(Ymm2, blocking, wt, b, xs, inputs, blocks, out) }
}

/// One task: the rows of `xs` (each `inputs` long) into `out` (each `b.len()` long), groups of
/// `G` rows with `T` vectors of outputs in registers. Loops: blocks of columns, tiles of outputs,
/// groups, so that the task's rows of a block (512 columns) stay in L2 while every tile passes
/// over them, and a tile's block of `Wᵀ` (512 × 16·T values, `T` contiguous streams) stays in L1
/// or L2 while every group meets it.
#[inline(always)]
unsafe fn task<V: V16, const G: usize, const T: usize>(
    wt: &[f32],
    b: &[f32],
    xs: &[f32],
    inputs: usize,
    blocks: &[(usize, usize)],
    out: &mut [f32],
) {
    let outputs = b.len();
    let op = padded(outputs);
    let vectors = op / WIDTH;
    let rows: Vec<&[f32]> = xs.chunks_exact(inputs).collect();
    // Totals from the bias, one padded row per input row.
    let mut tot = vec![0.0f32; rows.len() * op];
    for t in tot.chunks_exact_mut(op) {
        t[..outputs].copy_from_slice(b);
    }
    // Each group's runs per block of columns (whole groups of G, then single rows).
    let full = rows.len() / G * G;
    let groups: Vec<(usize, usize)> = (0..full)
        .step_by(G)
        .map(|r| (r, G))
        .chain((full..rows.len()).map(|r| (r, 1)))
        .collect();
    let mut all_runs = Vec::with_capacity(groups.len());
    let (mut rs, mut offs) = (Vec::new(), Vec::new());
    for &(r, n) in &groups {
        runs(&rows[r..r + n], inputs, blocks, &mut rs, &mut offs);
        all_runs.push((rs.clone(), offs.clone()));
    }
    for bi in 0..blocks.len() {
        let mut v0 = 0;
        while v0 < vectors {
            let tv = T.min(vectors - v0);
            for (&(r, n), (rs, offs)) in groups.iter().zip(&all_runs) {
                let runs = &rs[offs[bi]..offs[bi + 1]];
                if runs.is_empty() {
                    continue;
                }
                let t = &mut tot[r * op..];
                // SAFETY (every call): rows r..r + n exist, vectors v0..v0 + tv of a padded row
                // exist in `wt` and `tot`, and every run lies within the row.
                unsafe {
                    if n == G && tv == T {
                        chains::<V, G, T>(wt, inputs, op, v0, &rows[r..r + G], runs, t);
                    } else if n == G {
                        for v in v0..v0 + tv {
                            chains::<V, G, 1>(wt, inputs, op, v, &rows[r..r + G], runs, t);
                        }
                    } else if tv == T {
                        chains::<V, 1, T>(wt, inputs, op, v0, &rows[r..r + 1], runs, t);
                    } else {
                        for v in v0..v0 + tv {
                            chains::<V, 1, 1>(wt, inputs, op, v, &rows[r..r + 1], runs, t);
                        }
                    }
                }
            }
            v0 += tv;
        }
    }
    for (o, t) in out.chunks_exact_mut(outputs).zip(tot.chunks_exact(op)) {
        o.copy_from_slice(&t[..outputs]);
    }
}

/// For the `N` rows `xs` and the `U` vectors of outputs from vector `v0`: one chain of fused
/// multiply-adds from zero over the columns of `runs` in order, added to the totals `tot` (the
/// rows' padded totals, one after the other).
///
/// # Safety
/// The CPU must run `V`; `wt` must be [`transpose`]'s panels of `inputs` columns, every column
/// of `runs` below `inputs`, vectors `v0..v0 + U` within `op`, and `tot` must hold `N` padded
/// rows.
#[inline(always)]
unsafe fn chains<V: V16, const N: usize, const U: usize>(
    wt: &[f32],
    inputs: usize,
    op: usize,
    v0: usize,
    xs: &[&[f32]],
    runs: &[(u32, u32)],
    tot: &mut [f32],
) {
    debug_assert!(xs.len() == N && (v0 + U) * WIDTH <= op && tot.len() >= N * op);
    debug_assert!(wt.len() >= op * inputs);
    // SAFETY: as the caller guarantees (see above); every column k of a run is < inputs, so
    // x[k] and Wᵀ[k, (v0 + u)·16 ..][..16] (panel v0 + u) are in bounds.
    unsafe {
        let mut acc = [[V::zero(); U]; N];
        let mut panels = [wt.as_ptr(); U];
        for (u, p) in panels.iter_mut().enumerate() {
            *p = wt.as_ptr().add((v0 + u) * inputs * WIDTH);
        }
        for &(s, e) in runs {
            for k in s as usize..e as usize {
                let mut w = [V::zero(); U];
                for (u, wv) in w.iter_mut().enumerate() {
                    *wv = V::load(panels[u].add(k * WIDTH));
                }
                for (n, a) in acc.iter_mut().enumerate() {
                    let xv = V::splat(*xs.get_unchecked(n).get_unchecked(k));
                    for u in 0..U {
                        a[u] = xv.mul_add(w[u], a[u]);
                    }
                }
            }
        }
        let mut lanes = [0.0f32; WIDTH];
        for (n, a) in acc.iter().enumerate() {
            for (u, v) in a.iter().enumerate() {
                v.store(lanes.as_mut_ptr());
                let t = &mut tot[n * op + (v0 + u) * WIDTH..][..WIDTH];
                for (t, l) in t.iter_mut().zip(lanes) {
                    *t += l;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Every blocking on every vector build here, one and two threads, outputs that fill whole
    /// register tiles and that leave tails, rows that fill groups and that leave single rows:
    /// the values of the gemm path's chains ([`crate::kernels::gemm::naive`]; a zero may differ
    /// in sign, which `==` ignores).
    #[test]
    fn every_blocking_gives_the_naive_chains() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(65);
        for (rows, inputs, outputs) in [(23, 1300, 40), (9, 600, 131), (17, 515, 16)] {
            let w: Vec<f32> = (0..outputs * inputs)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let b: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
            // Each row its own zero runs (peaks on a zero background), one row all zero.
            let x: Vec<f32> = (0..rows * inputs)
                .map(|i| {
                    let (r, k) = (i / inputs, i % inputs);
                    let on = r != 3 && (k * 7 + r * 13) % 97 < 30 + r % 5;
                    if on { rng.random_range(-1.0..1.0) } else { 0.0 }
                })
                .collect();
            let naive = crate::kernels::gemm::naive(&w, &b, &x, rows);
            let wt = transpose(&w, outputs, inputs);
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                for isa in crate::kernels::isa::builds_here() {
                    for blocking in BLOCKINGS {
                        let mut out = vec![f32::NAN; rows * outputs];
                        assert!(
                            pool.install(|| product(isa, blocking, &wt, &b, &x, rows, &mut out))
                        );
                        assert!(
                            out == naive,
                            "{rows}×{inputs}→{outputs}, {isa:?}, {blocking:?}, {threads} threads"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn runs_cover_the_non_zero_columns_cut_at_the_blocks() {
        let a = [
            0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            3.0, 3.0, 0.0,
        ];
        let b = [
            0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0,
            0.0, 0.0, 0.0,
        ];
        let (mut rs, mut offs) = (Vec::new(), Vec::new());
        runs(
            &[&a, &b],
            20,
            &[(0, 2), (2, 18), (18, 20)],
            &mut rs,
            &mut offs,
        );
        assert_eq!(rs, [(1, 2), (2, 4), (6, 7), (17, 18), (18, 19)]);
        assert_eq!(offs, [0, 1, 4, 5]);
    }
}
