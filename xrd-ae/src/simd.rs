//! Hand-vectorised f32 kernels for x86-64 with AVX2 and FMA (and AVX-512F for the dot products),
//! used when the CPU has them. The portable kernels in `kernels` are the reference (and what f64
//! and other CPUs run); these compute the same sums with fused multiply-adds, in an order that is
//! fixed for a given shape, so results are reproducible run to run on one machine.

#![allow(unsafe_code)]

use std::any::TypeId;

use xrd_io::Float;

/// Reinterprets a slice of `F` as `f32` when `F` is `f32`.
#[inline(always)]
pub(crate) fn as_f32<F: Float>(s: &[F]) -> Option<&[f32]> {
    if TypeId::of::<F>() == TypeId::of::<f32>() {
        // SAFETY: F is f32 (same TypeId), so the memory, length and alignment are those of f32.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<f32>(), s.len()) })
    } else {
        None
    }
}

/// Mutable [`as_f32`].
#[inline(always)]
pub(crate) fn as_f32_mut<F: Float>(s: &mut [F]) -> Option<&mut [f32]> {
    if TypeId::of::<F>() == TypeId::of::<f32>() {
        // SAFETY: as in `as_f32`; the exclusive borrow is carried over.
        Some(unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<f32>(), s.len()) })
    } else {
        None
    }
}

/// Whether the f32 AVX2/FMA kernels can run on this CPU.
#[inline]
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
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

/// Adam constants of one step, in f32.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamF32 {
    pub l2: f32,
    pub shrink: f32,
    pub one_minus_beta1: f32,
    pub beta2: f32,
    pub one_minus_beta2: f32,
    pub inv_sqrt_bc2: f32,
    pub eps: f32,
    pub step: f32,
}

impl AdamF32 {
    /// Scalar update for the columns left over after whole vectors (same formula as the vectors).
    #[inline(always)]
    fn update(&self, w: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
        let wv = *w * self.shrink;
        let g = self.l2.mul_add(wv, g);
        let mv = self.one_minus_beta1.mul_add(g - *m, *m);
        let vv = (*v).mul_add(self.beta2, self.one_minus_beta2 * g * g);
        let denom = vv.sqrt().mul_add(self.inv_sqrt_bc2, self.eps);
        *m = mv;
        *v = vv;
        *w = (-self.step).mul_add(mv / denom, wv);
    }
}

/// One row of the fused backward + Adam kernel in f32 (see `kernels::backward`): for each column
/// of the `segments`, `g = Σ_b dz_b·x[b, col]`, `part[b, col] += dz_b·w_old[col]` (if `part` is not
/// empty) and the Adam update of `w`, `m`, `v`; columns outside the segments get the update with a
/// zero gradient. Returns `false` (doing nothing) if the shapes do not allow the vector kernel.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn adam_row(
    c: &AdamF32,
    x: &[f32],
    inputs: usize,
    dzc: &[f32],
    segments: &[(usize, usize)],
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    part: &mut [f32],
) -> bool {
    let ok = available()
        && w.len() == inputs
        && m.len() == inputs
        && v.len() == inputs
        && x.len() >= dzc.len() * inputs
        && (part.is_empty() || part.len() >= dzc.len() * inputs)
        && segments.iter().all(|&(s, e)| s <= e && e <= inputs);
    if !ok {
        return false;
    }
    if available512() {
        // SAFETY: AVX-512F is available and every index the kernel touches (masked lanes
        // excluded) lies below the lengths checked above. Same operations per element as the
        // AVX2 kernel, so the same bits.
        unsafe { adam_row_avx512(c, x, inputs, dzc, segments, w, m, v, part) };
        return true;
    }
    // SAFETY: AVX2 and FMA are available and every index the kernel touches lies below the lengths
    // checked above.
    unsafe { adam_row_avx2(c, x, inputs, dzc, segments, w, m, v, part) };
    true
}

/// The lanes `0..n.min(16)` of a 16-lane mask.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lanes(n: usize) -> u16 {
    if n >= 16 {
        0xffff
    } else {
        ((1u32 << n) - 1) as u16
    }
}

/// [`adam_row`] with 16-lane vectors; ragged ends are masked lanes instead of scalar loops (the
/// operations per element are those of the AVX2 kernel and of `AdamF32::update`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn adam_row_avx512(
    c: &AdamF32,
    x: &[f32],
    inputs: usize,
    dzc: &[f32],
    segments: &[(usize, usize)],
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    part: &mut [f32],
) {
    use std::arch::x86_64::*;
    let shrink = _mm512_set1_ps(c.shrink);
    let l2 = _mm512_set1_ps(c.l2);
    let omb1 = _mm512_set1_ps(c.one_minus_beta1);
    let b2 = _mm512_set1_ps(c.beta2);
    let omb2 = _mm512_set1_ps(c.one_minus_beta2);
    let isb = _mm512_set1_ps(c.inv_sqrt_bc2);
    let eps = _mm512_set1_ps(c.eps);
    let step = _mm512_set1_ps(c.step);
    let (wp, mp, vp) = (w.as_mut_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
    let want_part = !part.is_empty();
    let pp = part.as_mut_ptr();
    let xp = x.as_ptr();
    // SAFETY (every block below): the lanes of `msk` stay below `inputs` within a row and below
    // `dzc.len()·inputs` over rows, the bounds `adam_row` checked; AVX-512F is enabled here.
    let update = |k: usize, msk: u16, g: __m512| unsafe {
        let wv = _mm512_mul_ps(_mm512_maskz_loadu_ps(msk, wp.add(k)), shrink);
        let g = _mm512_fmadd_ps(l2, wv, g);
        let m0 = _mm512_maskz_loadu_ps(msk, mp.add(k));
        let mv = _mm512_fmadd_ps(omb1, _mm512_sub_ps(g, m0), m0);
        let vv = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(msk, vp.add(k)),
            b2,
            _mm512_mul_ps(_mm512_mul_ps(omb2, g), g),
        );
        let denom = _mm512_fmadd_ps(_mm512_sqrt_ps(vv), isb, eps);
        _mm512_mask_storeu_ps(mp.add(k), msk, mv);
        _mm512_mask_storeu_ps(vp.add(k), msk, vv);
        _mm512_mask_storeu_ps(
            wp.add(k),
            msk,
            _mm512_fnmadd_ps(step, _mm512_div_ps(mv, denom), wv),
        );
    };
    let mut pos = 0;
    let ends = segments
        .iter()
        .copied()
        .chain(std::iter::once((inputs, inputs)));
    for (a, e) in ends {
        // Columns pos..a: zero gradient.
        let mut k = pos;
        while k < a {
            update(k, lanes(a - k), _mm512_setzero_ps());
            k += 16;
        }
        // Columns a..e: gradient from the batch.
        let mut k = a;
        while k < e {
            let msk = lanes(e - k);
            unsafe {
                let mut g = _mm512_setzero_ps();
                for (b, &d) in dzc.iter().enumerate() {
                    g = _mm512_fmadd_ps(
                        _mm512_set1_ps(d),
                        _mm512_maskz_loadu_ps(msk, xp.add(b * inputs + k)),
                        g,
                    );
                }
                if want_part {
                    let wold = _mm512_maskz_loadu_ps(msk, wp.add(k));
                    for (b, &d) in dzc.iter().enumerate() {
                        let q = pp.add(b * inputs + k);
                        _mm512_mask_storeu_ps(
                            q,
                            msk,
                            _mm512_fmadd_ps(_mm512_set1_ps(d), wold, _mm512_maskz_loadu_ps(msk, q)),
                        );
                    }
                }
                update(k, msk, g);
            }
            k += 16;
        }
        pos = e;
    }
}

/// The Adam constants broadcast to vectors.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Splat {
    shrink: std::arch::x86_64::__m256,
    l2: std::arch::x86_64::__m256,
    omb1: std::arch::x86_64::__m256,
    b2: std::arch::x86_64::__m256,
    omb2: std::arch::x86_64::__m256,
    isb: std::arch::x86_64::__m256,
    eps: std::arch::x86_64::__m256,
    step: std::arch::x86_64::__m256,
}

/// Adam update of the 8 parameters at `k` with gradient `g`.
///
/// # Safety
/// AVX2 and FMA must be available; `wp`, `mp`, `vp` must be valid for 8 reads and writes at `k`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn adam8(
    s: &Splat,
    wp: *mut f32,
    mp: *mut f32,
    vp: *mut f32,
    k: usize,
    g: std::arch::x86_64::__m256,
) {
    use std::arch::x86_64::*;
    // SAFETY: guaranteed by the caller.
    unsafe {
        let wv = _mm256_mul_ps(_mm256_loadu_ps(wp.add(k)), s.shrink);
        let g = _mm256_fmadd_ps(s.l2, wv, g);
        let m0 = _mm256_loadu_ps(mp.add(k));
        let mv = _mm256_fmadd_ps(s.omb1, _mm256_sub_ps(g, m0), m0);
        let vv = _mm256_fmadd_ps(
            _mm256_loadu_ps(vp.add(k)),
            s.b2,
            _mm256_mul_ps(_mm256_mul_ps(s.omb2, g), g),
        );
        let denom = _mm256_fmadd_ps(_mm256_sqrt_ps(vv), s.isb, s.eps);
        _mm256_storeu_ps(mp.add(k), mv);
        _mm256_storeu_ps(vp.add(k), vv);
        _mm256_storeu_ps(
            wp.add(k),
            _mm256_fnmadd_ps(s.step, _mm256_div_ps(mv, denom), wv),
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn adam_row_avx2(
    c: &AdamF32,
    x: &[f32],
    inputs: usize,
    dzc: &[f32],
    segments: &[(usize, usize)],
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    part: &mut [f32],
) {
    use std::arch::x86_64::*;
    let s = Splat {
        shrink: _mm256_set1_ps(c.shrink),
        l2: _mm256_set1_ps(c.l2),
        omb1: _mm256_set1_ps(c.one_minus_beta1),
        b2: _mm256_set1_ps(c.beta2),
        omb2: _mm256_set1_ps(c.one_minus_beta2),
        isb: _mm256_set1_ps(c.inv_sqrt_bc2),
        eps: _mm256_set1_ps(c.eps),
        step: _mm256_set1_ps(c.step),
    };
    // Only raw pointers are used from here on (no access through the slices in between).
    let (wp, mp, vp) = (w.as_mut_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
    let want_part = !part.is_empty();
    let pp = part.as_mut_ptr();
    let xp = x.as_ptr();
    // SAFETY (every block below): indices stay below `inputs` within a row and below
    // `dzc.len()·inputs` over rows, the bounds `adam_row` checked; AVX2/FMA are enabled here.
    let mut pos = 0;
    let ends = segments
        .iter()
        .map(|&(a, b)| (a, b))
        .chain(std::iter::once((inputs, inputs)));
    for (a, e) in ends {
        // Columns pos..a: zero gradient.
        let mut k = pos;
        while k + 8 <= a {
            unsafe { adam8(&s, wp, mp, vp, k, _mm256_setzero_ps()) };
            k += 8;
        }
        for k in k..a {
            unsafe { c.update(&mut *wp.add(k), 0.0, &mut *mp.add(k), &mut *vp.add(k)) };
        }
        // Columns a..e: gradient from the batch.
        let mut k = a;
        while k + 8 <= e {
            unsafe {
                let mut g = _mm256_setzero_ps();
                for (b, &d) in dzc.iter().enumerate() {
                    g = _mm256_fmadd_ps(
                        _mm256_set1_ps(d),
                        _mm256_loadu_ps(xp.add(b * inputs + k)),
                        g,
                    );
                }
                if want_part {
                    let wold = _mm256_loadu_ps(wp.add(k));
                    for (b, &d) in dzc.iter().enumerate() {
                        let q = pp.add(b * inputs + k);
                        _mm256_storeu_ps(
                            q,
                            _mm256_fmadd_ps(_mm256_set1_ps(d), wold, _mm256_loadu_ps(q)),
                        );
                    }
                }
                adam8(&s, wp, mp, vp, k, g);
            }
            k += 8;
        }
        for k in k..e {
            unsafe {
                let mut g = 0.0f32;
                for (b, &d) in dzc.iter().enumerate() {
                    g = d.mul_add(*xp.add(b * inputs + k), g);
                }
                if want_part {
                    for (b, &d) in dzc.iter().enumerate() {
                        let q = pp.add(b * inputs + k);
                        *q = d.mul_add(*wp.add(k), *q);
                    }
                }
                c.update(&mut *wp.add(k), g, &mut *mp.add(k), &mut *vp.add(k));
            }
        }
        pos = e;
    }
}

/// Weight rows per call of the AVX-512 dot-product kernel.
pub(crate) const W_ROWS: usize = 3;

/// Whether the AVX-512 kernels can run on this CPU.
#[inline]
pub(crate) fn available512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
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

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    /// The AVX-512 and AVX2 fused Adam rows give the same bits (weights, moments, input-gradient
    /// sums), with gaps, ragged segment ends and a ragged row end.
    #[test]
    fn adam_row_avx512_matches_avx2_bit_for_bit() {
        if !(available() && available512()) {
            eprintln!("no AVX-512 here: nothing to compare");
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let c = AdamF32 {
            l2: 0.3,
            shrink: 1.0,
            one_minus_beta1: 0.1,
            beta2: 0.999,
            one_minus_beta2: 0.001,
            inv_sqrt_bc2: 7.3,
            eps: 1e-8,
            step: 0.01,
        };
        for (inputs, segments) in [
            (45, vec![(0, 8), (16, 40)]),
            (131, vec![(3, 17), (24, 101), (120, 131)]),
            (128, vec![(0, 128)]),
            (19, vec![]),
        ] {
            let batch = 3;
            let mut r =
                |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
            let x = r(batch * inputs);
            let dzc = r(batch);
            let (w, m) = (r(inputs), r(inputs));
            let v: Vec<f32> = r(inputs).iter().map(|a| a * a).collect();
            let part = r(batch * inputs);
            let run = |wide: bool, with_part: bool| {
                let (mut w, mut m, mut v) = (w.clone(), m.clone(), v.clone());
                let mut p = if with_part { part.clone() } else { Vec::new() };
                // SAFETY: both feature sets are present (checked above); lengths as `adam_row`
                // requires.
                unsafe {
                    if wide {
                        adam_row_avx512(
                            &c, &x, inputs, &dzc, &segments, &mut w, &mut m, &mut v, &mut p,
                        );
                    } else {
                        adam_row_avx2(
                            &c, &x, inputs, &dzc, &segments, &mut w, &mut m, &mut v, &mut p,
                        );
                    }
                }
                let bits = |s: &[f32]| s.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
                (bits(&w), bits(&m), bits(&v), bits(&p))
            };
            for with_part in [false, true] {
                assert_eq!(
                    run(true, with_part),
                    run(false, with_part),
                    "inputs {inputs}"
                );
            }
        }
    }
}
