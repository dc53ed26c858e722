//! A 16-lane f32 vector for lane-independent kernels (each lane is its own output, no sums across
//! lanes). A kernel is written once over [`V16`] and instantiated for AVX-512F (one zmm register)
//! and for AVX2 + FMA (two ymm registers); every lane sees the same IEEE operations — fused
//! multiply-adds, correctly rounded square roots and divisions — in the same order, and scalar
//! tails use the same operations (`f32::mul_add` is a single rounding too), so every build gives
//! the same bits.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Lanes per vector.
pub(crate) const WIDTH: usize = 16;

/// The operations of the lane-independent kernels.
///
/// # Safety
/// Implementations are only used inside functions compiled with the instruction sets they need
/// (see [`Zmm`] and [`Ymm2`]); pointers must be valid for `WIDTH` reads or writes.
pub(crate) trait V16: Copy {
    /// All lanes zero.
    unsafe fn zero() -> Self;
    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self;
    /// 16 values from `p` (unaligned).
    unsafe fn load(p: *const f32) -> Self;
    /// Writes the 16 lanes to `p` (unaligned).
    unsafe fn store(self, p: *mut f32);
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    unsafe fn div(self, o: Self) -> Self;
    unsafe fn sqrt(self) -> Self;
    /// `self·b + c`, one rounding.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// `c − self·b`, one rounding.
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self;
    /// Lanes with `|self| < t` become +0; others, NaN among them, are kept (as
    /// `adam::negligible_to_zero`).
    unsafe fn flush(self, t: Self) -> Self;
}

/// One AVX-512 register.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Zmm(__m512);

#[cfg(target_arch = "x86_64")]
impl V16 for Zmm {
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_setzero_ps()) }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable values.
        Zmm(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable values.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn sqrt(self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_sqrt_ps(self.0)) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Zmm(_mm512_fnmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    unsafe fn flush(self, t: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe {
            let keep = _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(_mm512_abs_ps(self.0), t.0);
            Zmm(_mm512_maskz_mov_ps(keep, self.0))
        }
    }
}

/// Two AVX2 registers (lanes 0-7 and 8-15).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Ymm2(__m256, __m256);

#[cfg(target_arch = "x86_64")]
impl V16 for Ymm2 {
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Ymm2(_mm256_setzero_ps(), _mm256_setzero_ps()) }
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe {
            let v = _mm256_set1_ps(x);
            Ymm2(v, v)
        }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable values.
        unsafe { Ymm2(_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees 16 writable values.
        unsafe {
            _mm256_storeu_ps(p, self.0);
            _mm256_storeu_ps(p.add(8), self.1);
        }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Ymm2(_mm256_sub_ps(self.0, o.0), _mm256_sub_ps(self.1, o.1)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Ymm2(_mm256_mul_ps(self.0, o.0), _mm256_mul_ps(self.1, o.1)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Ymm2(_mm256_div_ps(self.0, o.0), _mm256_div_ps(self.1, o.1)) }
    }
    #[inline(always)]
    unsafe fn sqrt(self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe { Ymm2(_mm256_sqrt_ps(self.0), _mm256_sqrt_ps(self.1)) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe {
            Ymm2(
                _mm256_fmadd_ps(self.0, b.0, c.0),
                _mm256_fmadd_ps(self.1, b.1, c.1),
            )
        }
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe {
            Ymm2(
                _mm256_fnmadd_ps(self.0, b.0, c.0),
                _mm256_fnmadd_ps(self.1, b.1, c.1),
            )
        }
    }
    #[inline(always)]
    unsafe fn flush(self, t: Self) -> Self {
        // SAFETY: the kernels call this only inside their target-feature builds.
        unsafe {
            let sign = _mm256_set1_ps(-0.0);
            let a0 = _mm256_andnot_ps(sign, self.0);
            let a1 = _mm256_andnot_ps(sign, self.1);
            Ymm2(
                _mm256_and_ps(self.0, _mm256_cmp_ps::<_CMP_NLT_UQ>(a0, t.0)),
                _mm256_and_ps(self.1, _mm256_cmp_ps::<_CMP_NLT_UQ>(a1, t.1)),
            )
        }
    }
}
