//! Hand-vectorised f32 dot products for x86-64 with AVX2 and FMA (and with AVX-512F, several
//! weight rows at once), used when the CPU has them. The portable kernels in `kernels` are the
//! reference for f64 and other CPUs; these compute the sums with fused multiply-adds in one order,
//! the same on both instruction sets, so small-batch inference gives the same bits on an AVX2
//! and an AVX-512 machine.
//!
//! These are the only kernels not written over [`V16`](super::lanes::V16), because they sum
//! across lanes: each dot product is accumulated in 16 lanes (lane `l` takes the columns
//! `s + l, s + l + 16, …` of each segment `s..e`; the last partial vector of a segment is loaded
//! masked, its missing lanes adding `0·0`), and the 16 lanes are then summed by one fixed tree,
//! [`sum_lanes`]: lanes `l` and `l + 8`, then `l` and `l + 4`, then `l` and `l + 2`, then the
//! last two. AVX2 holds the 16 lanes in two registers, AVX-512 in one.

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
    // Lanes 0-7 and 8-15 of each row's 16-lane accumulator.
    let mut lo = [_mm256_setzero_ps(); R];
    let mut hi = [_mm256_setzero_ps(); R];
    let wp = w.as_ptr();
    let first = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for &(s, e) in segments {
        let mut c = s;
        while c + 16 <= e {
            // SAFETY: c + 16 ≤ e ≤ the length of w and of every row (checked by the caller).
            unsafe {
                let w0 = _mm256_loadu_ps(wp.add(c));
                let w1 = _mm256_loadu_ps(wp.add(c + 8));
                for r in 0..R {
                    let xp = xs[r].as_ptr().add(c);
                    lo[r] = _mm256_fmadd_ps(_mm256_loadu_ps(xp), w0, lo[r]);
                    hi[r] = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(8)), w1, hi[r]);
                }
            }
            c += 16;
        }
        if c < e {
            // The last 1-15 columns, masked as the AVX-512 kernel masks them: lanes past `e`
            // load zero and are neither read nor faulted on.
            let n = (e - c) as i32;
            // SAFETY: only lanes below e are read (the masks); the pointers are formed with
            // wrapping arithmetic and dereferenced only through the masked loads.
            unsafe {
                let m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), first);
                let m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), first);
                let w0 = _mm256_maskload_ps(wp.wrapping_add(c), m0);
                let w1 = _mm256_maskload_ps(wp.wrapping_add(c + 8), m1);
                for r in 0..R {
                    let xp = xs[r].as_ptr();
                    let x0 = _mm256_maskload_ps(xp.wrapping_add(c), m0);
                    let x1 = _mm256_maskload_ps(xp.wrapping_add(c + 8), m1);
                    lo[r] = _mm256_fmadd_ps(x0, w0, lo[r]);
                    hi[r] = _mm256_fmadd_ps(x1, w1, hi[r]);
                }
            }
        }
    }
    for r in 0..R {
        // SAFETY: AVX is part of this function's target features.
        out[r] = unsafe { sum_lanes(lo[r], hi[r]) };
    }
}

/// The sum of 16 lanes held as lanes 0-7 (`lo`) and 8-15 (`hi`), by the fixed tree of the module
/// documentation.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sum_lanes(lo: std::arch::x86_64::__m256, hi: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    // SAFETY: called only from functions built with AVX (AVX2 or AVX-512F).
    unsafe {
        let s8 = _mm256_add_ps(lo, hi);
        let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps::<0b01>(s2, s2)))
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
            let a = acc[j][r];
            // SAFETY: AVX-512F (and so AVX) is this function's target feature.
            out[j * R + r] = unsafe {
                let hi = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(a));
                sum_lanes(_mm512_castps512_ps256(a), _mm256_castpd_ps(hi))
            };
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The order the module documentation states, one scalar fused multiply-add at a time.
    fn reference(x: &[f32], w: &[f32], segments: &[(usize, usize)]) -> f32 {
        let mut acc = [0.0f32; 16];
        for &(s, e) in segments {
            for c in (s..e).step_by(16) {
                for (l, a) in acc.iter_mut().enumerate() {
                    let (xv, wv) = if c + l < e {
                        (x[c + l], w[c + l])
                    } else {
                        (0.0, 0.0)
                    };
                    *a = xv.mul_add(wv, *a);
                }
            }
        }
        let s8: Vec<f32> = (0..8).map(|l| acc[l] + acc[l + 8]).collect();
        let s4: Vec<f32> = (0..4).map(|l| s8[l] + s8[l + 4]).collect();
        let s2: Vec<f32> = (0..2).map(|l| s4[l] + s4[l + 2]).collect();
        s2[0] + s2[1]
    }

    /// Both kernels equal the stated order bit for bit, so AVX2 and AVX-512 machines agree:
    /// whole and partial vectors, several segments, signed zeros and values of mixed scale.
    #[test]
    fn both_kernels_follow_the_stated_order_bit_for_bit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let value = |rng: &mut Xoshiro256PlusPlus| match rng.random_range(0..8) {
            0 => 0.0,
            1 => -0.0,
            2 => rng.random_range(-1e-3f32..1e-3),
            _ => rng.random_range(-1.0f32..1.0),
        };
        let mut checked = 0;
        for n in [1usize, 7, 8, 9, 15, 16, 17, 31, 40, 1100] {
            let mut layouts = vec![vec![(0, n)], vec![]];
            if n > 6 {
                layouts.push(vec![(0, 3), (5, n)]);
                layouts.push(vec![(1, n / 2), (n / 2 + 1, n - 1)]);
            }
            let xs: Vec<Vec<f32>> = (0..5)
                .map(|_| (0..n).map(|_| value(&mut rng)).collect())
                .collect();
            let ws: Vec<Vec<f32>> = (0..4)
                .map(|_| (0..n).map(|_| value(&mut rng)).collect())
                .collect();
            let xr: Vec<&[f32]> = xs.iter().map(|x| x.as_slice()).collect();
            let wr: Vec<&[f32]> = ws.iter().map(|w| w.as_slice()).collect();
            for segments in &layouts {
                let want = |j: usize, r: usize| reference(xr[r], wr[j], segments).to_bits();
                if available() {
                    let mut out = [0.0f32; 5];
                    let rows: [&[f32]; 5] = [xr[0], xr[1], xr[2], xr[3], xr[4]];
                    dots::<5>(&rows, wr[0], segments, &mut out).unwrap();
                    for (r, o) in out.iter().enumerate() {
                        assert_eq!(o.to_bits(), want(0, r), "AVX2, n {n}, {segments:?}");
                    }
                    let mut one = [0.0f32; 1];
                    dots::<1>(&[xr[2]], wr[3], segments, &mut one).unwrap();
                    assert_eq!(one[0].to_bits(), want(3, 2));
                    checked += 1;
                }
                if available512() {
                    for (rw, r) in [(4, 5), (3, 2), (1, 1)] {
                        let mut out = vec![0.0f32; rw * r];
                        dots_block(&xr[..r], &wr[..rw], segments, &mut out).unwrap();
                        for j in 0..rw {
                            for i in 0..r {
                                assert_eq!(out[j * r + i].to_bits(), want(j, i), "AVX-512, n {n}");
                            }
                        }
                    }
                    checked += 1;
                }
            }
        }
        if checked == 0 {
            eprintln!("no AVX2 or AVX-512 here: the vector dot products never run");
        }
    }
}
