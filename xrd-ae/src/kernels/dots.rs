//! Hand-vectorised f32 dot products for x86-64 with AVX2 and FMA (and with AVX-512F, several
//! weight rows at once), used when the CPU has them. The portable kernels in `kernels` are the reference (and what f64
//! and other CPUs run); these compute the same sums with fused multiply-adds, in an order that is
//! fixed for a given shape, so results are reproducible run to run on one machine.
//!
//! These are the only kernels not written over [`V16`](super::lanes::V16): they sum across lanes,
//! so their bits depend on the vector width and reduction tree of each instruction set (8 lanes
//! with a fixed pairwise tree for AVX2; 16-lane masked loads and the AVX-512 reduction), which
//! the lane-independent abstraction deliberately hides. Written over `V16`, the AVX2 dot products
//! would sum in 16 lanes and change the results of small-batch inference.

#![allow(unsafe_code)]

/// Whether the f32 AVX2/FMA kernels can run on this CPU.
#[inline]
pub(crate) fn available() -> bool {
    super::isa::isa().is_some()
}

/// `out[r] = Σ_k xs[r][k]·w[k]` over `segments` for `R` rows; `None` if the shapes do not allow
/// the vector kernel (the caller then runs the portable one).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn dots<const R: usize>(
    xs: &[&[f32]; R],
    w: &[f32],
    segments: &[(usize, usize)],
    out: &mut [f32],
) -> Option<()> {
    let n = w.len();
    let ok = available()
        && out.len() >= R
        && xs.iter().all(|x| x.len() >= n)
        && segments.iter().all(|&(s, e)| s <= e && e <= n);
    if !ok {
        return None;
    }
    // SAFETY: AVX2 and FMA are available, and every index the kernel touches is below `n`, which
    // bounds all slices (checked above).
    unsafe { dots_avx2::<R>(xs, w, segments, out) };
    Some(())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2<const R: usize>(
    xs: &[&[f32]; R],
    w: &[f32],
    segments: &[(usize, usize)],
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_ps(); R];
    let mut tail = [0.0f32; R];
    let wp = w.as_ptr();
    for &(s, e) in segments {
        let mut c = s;
        while c + 8 <= e {
            // SAFETY: c + 8 ≤ e ≤ len of w and of every row (checked by the caller).
            unsafe {
                let wv = _mm256_loadu_ps(wp.add(c));
                for r in 0..R {
                    acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(xs[r].as_ptr().add(c)), wv, acc[r]);
                }
            }
            c += 8;
        }
        for k in c..e {
            for r in 0..R {
                tail[r] = xs[r][k].mul_add(w[k], tail[r]);
            }
        }
    }
    for r in 0..R {
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds exactly 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc[r]) };
        let a = (lanes[0] + lanes[4]) + (lanes[2] + lanes[6]);
        let b = (lanes[1] + lanes[5]) + (lanes[3] + lanes[7]);
        out[r] = (a + b) + tail[r];
    }
}

/// Weight rows per call of the AVX-512 dot-product kernel.
pub(crate) const W_ROWS: usize = 3;

/// Whether the AVX-512 kernels can run on this CPU.
#[inline]
pub(crate) fn available512() -> bool {
    super::isa::isa() == Some(super::isa::Isa::Avx512)
}

/// `out[j·R + r] = Σ_k xs[r][k]·ws[j][k]` over `segments`, for up to [`W_ROWS`] weight rows `ws`
/// and up to 5 input rows `xs` at once (AVX-512: each loaded weight vector meets every input row
/// and each input vector every weight row, so the kernel is bound by arithmetic rather than
/// loads). The order of the sums is fixed for a given shape and segments. `None` if the CPU or
/// the shapes do not allow it.
#[cfg(target_arch = "x86_64")]
pub(crate) fn dots_block(
    xs: &[&[f32]],
    ws: &[&[f32]],
    segments: &[(usize, usize)],
    out: &mut [f32],
) -> Option<()> {
    let n = ws.first().map_or(0, |w| w.len());
    let ok = available512()
        && out.len() >= xs.len() * ws.len()
        && ws.iter().all(|w| w.len() == n)
        && xs.iter().all(|x| x.len() >= n)
        && segments.iter().all(|&(s, e)| s <= e && e <= n);
    if !ok {
        return None;
    }
    macro_rules! go {
        ($rw:literal, $r:literal) => {
            // SAFETY: AVX-512F is available and every index the kernel touches (masked loads
            // included) lies below `n`, which bounds all rows (checked above).
            unsafe { dots_block_avx512::<$rw, $r>(xs, ws, segments, out) }
        };
    }
    match (ws.len(), xs.len()) {
        (4, 5) => go!(4, 5),
        (4, 4) => go!(4, 4),
        (4, 3) => go!(4, 3),
        (4, 2) => go!(4, 2),
        (4, 1) => go!(4, 1),
        (3, 5) => go!(3, 5),
        (3, 4) => go!(3, 4),
        (3, 3) => go!(3, 3),
        (3, 2) => go!(3, 2),
        (3, 1) => go!(3, 1),
        (2, 5) => go!(2, 5),
        (2, 4) => go!(2, 4),
        (2, 3) => go!(2, 3),
        (2, 2) => go!(2, 2),
        (2, 1) => go!(2, 1),
        (1, 5) => go!(1, 5),
        (1, 4) => go!(1, 4),
        (1, 3) => go!(1, 3),
        (1, 2) => go!(1, 2),
        (1, 1) => go!(1, 1),
        _ => return None,
    }
    Some(())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dots_block_avx512<const RW: usize, const R: usize>(
    xs: &[&[f32]],
    ws: &[&[f32]],
    segments: &[(usize, usize)],
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let mut xp = [std::ptr::null::<f32>(); R];
    for (p, x) in xp.iter_mut().zip(xs) {
        *p = x.as_ptr();
    }
    let mut wp = [std::ptr::null::<f32>(); RW];
    for (p, w) in wp.iter_mut().zip(ws) {
        *p = w.as_ptr();
    }
    let mut acc = [[_mm512_setzero_ps(); R]; RW];
    let mut wv = [_mm512_setzero_ps(); RW];
    for &(s, e) in segments {
        let mut c = s;
        while c < e {
            // Whole vectors, then one masked vector for the last < 16 columns (masked-off lanes
            // are neither read nor counted).
            let k: __mmask16 = if e - c >= 16 {
                0xffff
            } else {
                ((1u32 << (e - c)) - 1) as __mmask16
            };
            // SAFETY: lanes of `k` stay below e ≤ the length of every row.
            unsafe {
                for j in 0..RW {
                    wv[j] = _mm512_maskz_loadu_ps(k, wp[j].add(c));
                }
                for r in 0..R {
                    let xv = _mm512_maskz_loadu_ps(k, xp[r].add(c));
                    for j in 0..RW {
                        acc[j][r] = _mm512_fmadd_ps(xv, wv[j], acc[j][r]);
                    }
                }
            }
            c += 16;
        }
    }
    for j in 0..RW {
        for r in 0..R {
            out[j * R + r] = _mm512_reduce_add_ps(acc[j][r]);
        }
    }
}
