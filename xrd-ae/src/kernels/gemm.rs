//! Dense inference, `out = x·Wᵀ + b`, through the packed micro-kernels of the `gemm` crate
//! (pure Rust; AVX-512 or AVX2 + FMA, chosen by the crate at run time, or its AVX2 kernels under
//! `XRD_ISA=avx2`).
//!
//! The crate sums long products in blocks of columns whose length it derives from the cache
//! sizes it detects, which would make the bits depend on the machine. Every call here therefore
//! covers at most [`K_BLOCK`] columns: within such a call the micro-kernel sums each output in
//! one pass, a chain of fused multiply-adds from zero in column order (one accumulator per
//! output, on every instruction set), and adds the chain to the output. Every output is thus
//! `bias + chain(block 0) + chain(block 1) + …`, a function of the layer's shape alone: the same
//! bits on AVX-512 and AVX2, on any machine and for any number of threads. The naive loop in
//! the tests computes exactly that and is compared bit for bit.

#![allow(unsafe_code)]

use std::any::TypeId;

use rayon::prelude::*;
use xrd_core::Float;

/// Columns per call (see the module docs): the crate's micro-kernel sums up to 512 columns in
/// one pass on any machine.
pub(crate) const K_BLOCK: usize = 512;

/// Rows from which the product goes to the `gemm` crate (fewer rows keep xrd-ae's own kernels,
/// which also avoids the crate's matrix-vector paths).
pub(crate) const MIN_ROWS: usize = 17;

/// Outputs per parallel task at least; the crate's general kernel needs `rows × outputs > 256`
/// per call (smaller products take another path), which 17 rows × 16 outputs satisfy.
const MIN_TASK_OUTPUTS: usize = 16;

/// The blocks of columns `(start, end)` of a product over `k` columns: [`K_BLOCK`] each, except
/// that no block is left with fewer than 3 columns (the crate sums 1-2 columns with another
/// kernel): then the last two blocks share their columns differently.
pub(crate) fn column_blocks(k: usize) -> Vec<(usize, usize)> {
    let mut blocks = Vec::with_capacity(k.div_ceil(K_BLOCK));
    let mut k0 = 0;
    while k0 < k {
        let mut k1 = (k0 + K_BLOCK).min(k);
        if k - k1 > 0 && k - k1 < 3 {
            k1 = k - 3;
        }
        blocks.push((k0, k1));
        k0 = k1;
    }
    blocks
}

/// Whether [`product`] takes a product of this shape.
pub(crate) fn takes(rows: usize, inputs: usize, outputs: usize) -> bool {
    rows >= MIN_ROWS && inputs >= 3 && outputs >= 2 && rows * outputs.min(MIN_TASK_OUTPUTS) > 256
}

/// The output ranges of the parallel tasks: about four per thread for balance, each of at least
/// [`MIN_TASK_OUTPUTS`] outputs (the split changes no bits: see the module docs).
fn output_blocks(outputs: usize) -> Vec<(usize, usize)> {
    // At least 64 outputs per task, so never fewer than MIN_TASK_OUTPUTS.
    let tasks = (outputs / 64).clamp(1, 4 * rayon::current_num_threads());
    let (base, extra) = (outputs / tasks, outputs % tasks);
    let mut blocks = Vec::with_capacity(tasks);
    let mut j0 = 0;
    for t in 0..tasks {
        let j1 = j0 + base + usize::from(t < extra);
        blocks.push((j0, j1));
        j0 = j1;
    }
    blocks
}

/// The output pointer, shared by tasks that write disjoint columns.
#[derive(Clone, Copy)]
struct Dst<F>(*mut F);
impl<F> Dst<F> {
    /// The first element of column `j` (a method, so that closures capture the whole `Dst`).
    fn column(self, j: usize) -> *mut F {
        self.0.wrapping_add(j)
    }
}
// SAFETY: the tasks of `product` write disjoint sets of elements (their own output columns).
unsafe impl<F> Send for Dst<F> {}
// SAFETY: as above.
unsafe impl<F> Sync for Dst<F> {}

/// `out = x·Wᵀ + b` (x: rows × inputs, W: outputs × inputs, out: rows × outputs, row-major),
/// with the bits described in the module docs; `false` (and `out` untouched) if the shape or the
/// float type is not one it takes, or the crate does not run here ([`available`]; without fused
/// multiply-adds its chains would round differently).
pub(crate) fn product<F: Float>(w: &[F], b: &[F], x: &[F], rows: usize, out: &mut [F]) -> bool {
    product_with(kernels(), w, b, x, rows, out)
}

/// [`product`] with the crate's `kernels` chosen by the caller (the tests run both).
fn product_with<F: Float>(
    kernels: Kernels,
    w: &[F],
    b: &[F],
    x: &[F],
    rows: usize,
    out: &mut [F],
) -> bool {
    let outputs = b.len();
    let inputs = x.len().checked_div(rows).unwrap_or(0);
    let is_f32 = TypeId::of::<F>() == TypeId::of::<f32>();
    let is_f64 = TypeId::of::<F>() == TypeId::of::<f64>();
    if !(is_f32 || is_f64)
        || !takes(rows, inputs, outputs)
        || x.len() != rows * inputs
        || w.len() != outputs * inputs
        || out.len() < rows * outputs
        || !available()
    {
        return false;
    }
    for row in out[..rows * outputs].chunks_exact_mut(outputs) {
        row.copy_from_slice(b);
    }
    let dst = Dst(out.as_mut_ptr());
    let kblocks = column_blocks(inputs);
    output_blocks(outputs).into_par_iter().for_each(|(j0, j1)| {
        for &(k0, k1) in &kblocks {
            // SAFETY: rows × (j1 - j0) outputs from column j0 with row stride `outputs` lie within
            // `out` (rows × outputs); the inputs x[r, k0..k1] and weights W[j0..j1, k0..k1] lie
            // within `x` and `w` (lengths checked above); no other task writes columns j0..j1.
            unsafe {
                call::<F>(
                    kernels,
                    rows,
                    j1 - j0,
                    k1 - k0,
                    dst.column(j0),
                    outputs as isize,
                    x.as_ptr().add(k0),
                    inputs as isize,
                    w.as_ptr().add(j0 * inputs + k0),
                    inputs as isize,
                );
            }
        }
    });
    true
}

/// Whether the crate runs here: on x86-64 CPUs with AVX2 + FMA or AVX-512 (its kernels there fuse
/// every multiply-add), unless [`ISA_ENV`](crate::ISA_ENV)` = portable` turns xrd-ae's vector
/// kernels off. Also not where the L2 cache the crate detects per core could not hold one
/// 512-column panel of its tallest micro-kernel (64 rows of f32 or 32 of f64, 128 KiB): it sizes
/// its row blocks from that cache and would get blocks of zero rows.
pub(crate) fn available() -> bool {
    cfg!(target_arch = "x86_64")
        && crate::kernels::isa::instruction_set() != crate::kernels::isa::InstructionSet::Portable
        && gemm_common::cache::CACHE_INFO[1].cache_bytes >= K_BLOCK * 64 * 4
}

/// [`available`] for a test of the crate's path: a test that skips says so, and fails instead
/// when CI requires AVX2 ([`xrd_core::cpu::skip_without`]) — also where the CPU has AVX2 but the
/// crate still cannot run (its cache check), since the requirement means these paths are tested.
#[cfg(test)]
fn tested_here(test: &str) -> bool {
    if xrd_core::cpu::skip_without(crate::kernels::isa::InstructionSet::Avx2, test) {
        return false;
    }
    if available() {
        return true;
    }
    not_here(
        test,
        "the L2 cache per core holds less than one 128 KiB panel",
    );
    false
}

/// Says why `test` does not run here, and fails instead when [`xrd_core::cpu::REQUIRE_ENV`] asks
/// for the vector paths.
#[cfg(test)]
fn not_here(test: &str, why: &str) {
    let required = std::env::var(xrd_core::cpu::REQUIRE_ENV).is_ok_and(|v| !v.is_empty());
    assert!(
        !required,
        "{test}: the gemm crate's kernels cannot run here ({why}), but {} requires them",
        xrd_core::cpu::REQUIRE_ENV
    );
    eprintln!("{test}: skipped, the gemm crate's kernels cannot run here ({why})");
}

/// The crate's AVX2 + FMA kernels, instantiated here exactly as the crate instantiates them for
/// its own dispatch (`gemm_basic_generic` with its `V3` SIMD token, its `fma` micro-kernel
/// tables and its scalar multiply-add), so that `XRD_ISA=avx2` reaches dense inference on an
/// AVX-512 machine too: the crate alone would pick its AVX-512 kernels there.
#[cfg(target_arch = "x86_64")]
macro_rules! avx2_kernel {
    ($name:ident, $t:ty, $lanes:expr, $ukr:path) => {
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(
            m: usize,
            n: usize,
            k: usize,
            dst: *mut $t,
            dst_cs: isize,
            dst_rs: isize,
            read_dst: bool,
            lhs: *const $t,
            lhs_cs: isize,
            lhs_rs: isize,
            rhs: *const $t,
            rhs_cs: isize,
            rhs_rs: isize,
            alpha: $t,
            beta: $t,
            conj_dst: bool,
            conj_lhs: bool,
            conj_rhs: bool,
            parallelism: gemm_common::Parallelism,
        ) {
            use gemm_common::simd::{MixedSimd, V3};
            use $ukr as u;
            #[cfg(test)]
            tests::AVX2_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(simd) = <V3 as MixedSimd<$t, $t, $t, $t>>::try_new() else {
                unreachable!("chosen only where `avx2_token` holds");
            };
            // SAFETY: forwarded from the caller (the crate's own contract for `gemm_basic`).
            unsafe {
                gemm_common::gemm::gemm_basic_generic::<
                    V3,
                    $t,
                    { $lanes },
                    { u::MR_DIV_N * $lanes },
                    { u::NR },
                    { u::MR_DIV_N },
                    { u::H_M },
                    { u::H_N },
                >(
                    simd,
                    m,
                    n,
                    k,
                    dst,
                    dst_cs,
                    dst_rs,
                    read_dst,
                    lhs,
                    lhs_cs,
                    lhs_rs,
                    rhs,
                    rhs_cs,
                    rhs_rs,
                    alpha,
                    beta,
                    conj_dst,
                    conj_lhs,
                    conj_rhs,
                    |a, b, c| a * b + c,
                    &u::UKR,
                    &u::H_UKR,
                    false,
                    parallelism,
                )
            }
        }
    };
}

// Lanes per vector as the crate sets them (`gemm_def!(f32, 2)`, `gemm_def!(f64, 1)`: 4 × the
// multiplier on AVX2).
#[cfg(target_arch = "x86_64")]
avx2_kernel!(avx2_f32, f32, 8, gemm_f32::microkernel::fma::f32);
#[cfg(target_arch = "x86_64")]
avx2_kernel!(avx2_f64, f64, 4, gemm_f64::microkernel::fma::f64);

/// Whether the crate's AVX2 kernels can run here (its `V3` token wants AVX2, FMA and a few
/// companions that every AVX2 CPU has).
#[cfg(target_arch = "x86_64")]
fn avx2_token() -> bool {
    use gemm_common::simd::{MixedSimd, V3};
    <V3 as MixedSimd<f32, f32, f32, f32>>::try_new().is_some()
}

/// Which of the crate's kernels a product runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernels {
    /// The crate's own run-time choice (AVX-512 where the CPU has it, else AVX2 + FMA).
    Detected,
    /// Its AVX2 + FMA kernels, whatever the CPU has more.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx2,
}

/// The kernels of this process: the crate's AVX2 ones under `XRD_ISA=avx2` on a CPU with
/// more (the crate alone would pick AVX-512), else the crate's own choice. Both give the same
/// bits (module docs); the cap is there so that one machine can measure both.
fn kernels() -> Kernels {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::isa::{InstructionSet, detected, instruction_set};
        if instruction_set() == InstructionSet::Avx2
            && detected() > InstructionSet::Avx2
            && avx2_token()
        {
            return Kernels::Avx2;
        }
    }
    Kernels::Detected
}

/// `dst[r, j] += Σ_k lhs[r, k]·rhs[j, k]` for an `m × n` block over `k` columns: `dst` with row
/// stride `dst_rs` (columns contiguous), `lhs` with row stride `lhs_rs`, `rhs` the weight rows
/// with stride `rhs_cs`.
///
/// # Safety
/// The pointers must cover those blocks, `F` must be f32 or f64, and no other thread may access
/// the `dst` block.
#[allow(clippy::too_many_arguments)]
unsafe fn call<F: Float>(
    kernels: Kernels,
    m: usize,
    n: usize,
    k: usize,
    dst: *mut F,
    dst_rs: isize,
    lhs: *const F,
    lhs_rs: isize,
    rhs: *const F,
    rhs_cs: isize,
) {
    use gemm_common::Parallelism;
    // The crate's kernels want a column-major destination: it is given the transposed problem,
    // `dstᵀ (n × m) = rhs (n × k) · lhsᵀ (k × m)`, as its own `gemm` entry point would do.
    // One argument list for both float types; the literals and casts take the arm's type.
    macro_rules! transposed {
        ($gemm:expr) => {
            $gemm(
                n,
                m,
                k,
                dst.cast(),
                dst_rs,
                1,
                true,
                rhs.cast(),
                1,
                rhs_cs,
                lhs.cast(),
                lhs_rs,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            )
        };
    }
    let is_f32 = TypeId::of::<F>() == TypeId::of::<f32>();
    // SAFETY (every arm): forwarded from the caller; F is the type of the arm (TypeId), so the
    // casts keep the memory, length and alignment. `Kernels::Avx2` comes only where the crate's
    // AVX2 token was found (`kernels`, or the tests' guard).
    unsafe {
        match (kernels, is_f32) {
            #[cfg(target_arch = "x86_64")]
            (Kernels::Avx2, true) => transposed!(avx2_f32),
            #[cfg(target_arch = "x86_64")]
            (Kernels::Avx2, false) => transposed!(avx2_f64),
            (_, true) => transposed!(gemm_f32::gemm::f32::get_gemm_fn()),
            (_, false) => transposed!(gemm_f64::gemm::f64::get_gemm_fn()),
        }
    }
}

/// The chain the module docs promise, written out (the reference of the tests).
#[cfg(test)]
pub(crate) fn naive<F: Float>(w: &[F], b: &[F], x: &[F], rows: usize) -> Vec<F> {
    let (outputs, inputs) = (b.len(), x.len() / rows);
    let blocks = column_blocks(inputs);
    let mut out = vec![F::zero(); rows * outputs];
    for r in 0..rows {
        for j in 0..outputs {
            let mut total = b[j];
            for &(k0, k1) in &blocks {
                let mut chain = F::zero();
                for k in k0..k1 {
                    chain = x[r * inputs + k].mul_add(w[j * inputs + k], chain);
                }
                total += chain;
            }
            out[r * outputs + j] = total;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data<F: Float>(rows: usize, inputs: usize, outputs: usize) -> (Vec<F>, Vec<F>, Vec<F>) {
        let f = |i: usize, m: usize, s: f64| F::of((((i * m) % 1009) as f64 / 1009.0 - 0.4) * s);
        let w = (0..outputs * inputs).map(|i| f(i, 7919, 0.1)).collect();
        let b = (0..outputs).map(|i| f(i, 31, 1.0)).collect();
        let x = (0..rows * inputs).map(|i| f(i, 104_729, 1.0)).collect();
        (w, b, x)
    }

    fn same_bits<F: Float>(a: &[F], b: &[F]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(p, q)| p.as_f64().to_bits() == q.as_f64().to_bits())
    }

    #[test]
    fn column_blocks_cover_the_columns_and_leave_no_block_under_three() {
        for k in [
            3, 4, 511, 512, 513, 514, 515, 1024, 1025, 1026, 1027, 11_900,
        ] {
            let blocks = column_blocks(k);
            assert_eq!(blocks[0].0, 0);
            assert_eq!(blocks.last().unwrap().1, k);
            assert!(
                blocks.windows(2).all(|p| p[0].1 == p[1].0),
                "{k}: {blocks:?}"
            );
            assert!(
                blocks.iter().all(|&(a, e)| e - a >= 3 && e - a <= K_BLOCK),
                "{k}: {blocks:?}"
            );
        }
    }

    /// Shapes around every edge: one block of columns and several, remainders of 1 and 2 columns
    /// (moved), the fewest rows taken, outputs from 2 to several tasks.
    const SHAPES: [(usize, usize, usize); 7] = [
        (17, 1026, 16),
        (100, 1025, 3),
        (150, 1300, 128),
        (33, 700, 230),
        (64, 513, 65),
        (129, 2048, 40),
        (300, 3000, 2),
    ];

    fn matches_naive<F: Float>() {
        matches_naive_with::<F>(kernels());
    }

    fn matches_naive_with<F: Float>(kernels: Kernels) {
        if !tested_here("gemm matches_naive") {
            return;
        }
        for (rows, inputs, outputs) in SHAPES {
            let (w, b, x) = data::<F>(rows, inputs, outputs);
            let mut out = vec![F::zero(); rows * outputs];
            assert!(
                product_with(kernels, &w, &b, &x, rows, &mut out),
                "{rows}×{inputs}→{outputs}"
            );
            assert!(
                same_bits(&out, &naive(&w, &b, &x, rows)),
                "{rows}×{inputs}→{outputs}"
            );
        }
    }

    #[test]
    fn product_matches_the_naive_chain_bit_for_bit_f32() {
        matches_naive::<f32>();
    }

    #[test]
    fn product_matches_the_naive_chain_bit_for_bit_f64() {
        matches_naive::<f64>();
    }

    /// Calls of xrd-ae's instantiation of the crate's AVX2 kernels (their bits are those of the
    /// AVX-512 kernels, so only a count shows which ran).
    #[cfg(target_arch = "x86_64")]
    pub(super) static AVX2_CALLS: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(0);

    /// The crate's AVX2 kernels, which `XRD_ISA=avx2` runs on an AVX-512 machine, give the
    /// naive chain too (where the CPU has AVX-512 and the variable is unset, the other tests ran
    /// its AVX-512 kernels), and `Kernels::Avx2` does run them.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_crates_avx2_kernels_match_the_naive_chain_bit_for_bit() {
        use std::sync::atomic::Ordering;
        let test = "the_crates_avx2_kernels_match_the_naive_chain_bit_for_bit";
        if !tested_here(test) {
            return;
        }
        if !avx2_token() {
            not_here(test, "the crate's AVX2 token is refused");
            return;
        }
        let before = AVX2_CALLS.load(Ordering::Relaxed);
        matches_naive_with::<f32>(Kernels::Avx2);
        let between = AVX2_CALLS.load(Ordering::Relaxed);
        assert!(between > before, "Kernels::Avx2 ran other kernels (f32)");
        matches_naive_with::<f64>(Kernels::Avx2);
        assert!(
            AVX2_CALLS.load(Ordering::Relaxed) > between,
            "Kernels::Avx2 ran other kernels (f64)"
        );
    }

    /// `XRD_ISA=avx2` reaches the crate on a CPU with AVX-512 (CI runs the suite once so), and
    /// nothing else moves it off the crate's own choice.
    #[test]
    fn the_isa_variable_caps_the_crate_too() {
        use crate::kernels::isa::{InstructionSet, detected};
        #[cfg(target_arch = "x86_64")]
        let token = avx2_token();
        #[cfg(not(target_arch = "x86_64"))]
        let token = false;
        let capped = crate::kernels::isa::instruction_set() == InstructionSet::Avx2
            && detected() == InstructionSet::Avx512
            && token;
        assert_eq!(kernels() == Kernels::Avx2, capped);
    }

    #[test]
    fn product_has_the_same_bits_for_one_two_and_three_threads() {
        if !tested_here("product_has_the_same_bits_for_one_two_and_three_threads") {
            return;
        }
        threads_agree::<f32>();
        threads_agree::<f64>();
    }

    fn threads_agree<F: Float>() {
        let (rows, inputs, outputs) = (150, 1300, 1024);
        let (w, b, x) = data::<F>(rows, inputs, outputs);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = vec![F::zero(); rows * outputs];
            assert!(pool.install(|| product(&w, &b, &x, rows, &mut out)));
            out
        };
        let one = run(1);
        assert!(same_bits(&one, &run(2)));
        assert!(same_bits(&one, &run(3)));
    }

    #[test]
    fn shapes_it_does_not_take_are_left_alone() {
        let (w, b, x) = data::<f32>(16, 600, 40);
        let mut out = vec![7.0f32; 16 * 40];
        assert!(
            !product(&w, &b, &x, 16, &mut out),
            "16 rows go to xrd-ae's own kernels"
        );
        assert!(out.iter().all(|&v| v == 7.0));
        assert!(!takes(20, 600, 1) && !takes(20, 2, 40) && !takes(20, 600, 12));
        assert!(takes(17, 600, 16) && takes(300, 600, 2));
        // rows × outputs must exceed 256 (the crate's small products take another kernel).
        assert!(!takes(17, 600, 15) && takes(18, 600, 15));
    }
}
