//! The batch transposed for the lane kernels: `xt[k·16 + l] = x[l, k]`, 16 lanes per column.

#![allow(unsafe_code)]

use crate::kernels::lanes::WIDTH;

/// Writes rows `0..nb` (`nb ≤ 16`) of `x` (row-major, `inputs` columns) into the lanes of `xt`
/// (`inputs × 16`); lanes from `nb` on are left as they are or set to zero (callers never read
/// their outputs).
pub(crate) fn transpose_lanes(x: &[f32], nb: usize, inputs: usize, xt: &mut [f32]) {
    transpose_blocks(x, nb, inputs, xt, &mut Vec::new());
}

/// [`transpose_lanes`], also returning in `segments` the runs of whole blocks of
/// [`SEGMENT`] columns that are non-zero in some row (as `kernels::nonzero_segments` would), found
/// from the registers of the transpose instead of a second pass over `x`.
pub(crate) fn transpose_segments(
    x: &[f32],
    nb: usize,
    inputs: usize,
    xt: &mut [f32],
    segments: &mut Vec<(usize, usize)>,
) {
    let mut nonzero = Vec::with_capacity(inputs.div_ceil(SEGMENT));
    transpose_blocks(x, nb, inputs, xt, &mut nonzero);
    segments.clear();
    for (i, &nz) in nonzero.iter().enumerate() {
        if nz {
            let (c, end) = (i * SEGMENT, ((i + 1) * SEGMENT).min(inputs));
            match segments.last_mut() {
                Some(last) if last.1 == c => last.1 = end,
                _ => segments.push((c, end)),
            }
        }
    }
}

/// Columns per block of the segments of [`transpose_segments`] (two 8×8 register transposes).
pub(crate) const SEGMENT: usize = 16;

/// The transpose, recording in `nonzero` (if it is to be filled: callers pass it empty) whether
/// each block of [`SEGMENT`] columns holds a non-zero value.
fn transpose_blocks(x: &[f32], nb: usize, inputs: usize, xt: &mut [f32], nonzero: &mut Vec<bool>) {
    assert!(
        nb <= WIDTH && x.len() >= nb * inputs && xt.len() >= inputs * WIDTH,
        "transpose_lanes: shapes"
    );
    let blocks = inputs.div_ceil(SEGMENT);
    let want = nonzero.capacity() > 0;
    nonzero.clear();
    nonzero.resize(if want { blocks } else { 0 }, false);
    let mut k = 0;
    if super::isa::isa().is_some() {
        // SAFETY: AVX is available; the kernel reads rows < nb, columns < inputs and writes
        // xt[k·16 ..][..16] for k < inputs, all within the lengths asserted above.
        k = unsafe { transpose_avx(x, nb, inputs, xt, nonzero) };
    }
    for k in k..inputs {
        for l in 0..nb {
            let v = x[l * inputs + k];
            xt[k * WIDTH + l] = v;
            if want && v != 0.0 {
                nonzero[k / SEGMENT] = true;
            }
        }
    }
}

/// Whole blocks of 8 columns by 8×8 register transposes; returns the first column not done.
#[target_feature(enable = "avx")]
unsafe fn transpose_avx(
    x: &[f32],
    nb: usize,
    inputs: usize,
    xt: &mut [f32],
    nonzero: &mut [bool],
) -> usize {
    use std::arch::x86_64::*;
    let (xp, tp) = (x.as_ptr(), xt.as_mut_ptr());
    let blocks = inputs / 8;
    let magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    for half in 0..nb.div_ceil(8) {
        let r0 = half * 8;
        let rows = (nb - r0).min(8);
        for kb in 0..blocks {
            let k = kb * 8;
            // SAFETY (block): rows r0 + i < nb and columns k..k + 8 ≤ inputs; writes land in
            // xt[(k + i)·16 + r0 ..][..8] with r0 + 8 ≤ 16.
            unsafe {
                let mut r = [_mm256_setzero_ps(); 8];
                for (i, r) in r.iter_mut().enumerate().take(rows) {
                    *r = _mm256_loadu_ps(xp.add((r0 + i) * inputs + k));
                }
                if let Some(nz) = nonzero.get_mut(k / SEGMENT) {
                    let any = r
                        .iter()
                        .fold(_mm256_setzero_ps(), |a, &v| _mm256_or_ps(a, v));
                    // testz: no magnitude bit set in any row ⇔ every value is ±0.
                    *nz |= _mm256_testz_si256(
                        _mm256_castps_si256(any),
                        _mm256_castps_si256(magnitude),
                    ) == 0;
                }
                let t0 = _mm256_unpacklo_ps(r[0], r[1]);
                let t1 = _mm256_unpackhi_ps(r[0], r[1]);
                let t2 = _mm256_unpacklo_ps(r[2], r[3]);
                let t3 = _mm256_unpackhi_ps(r[2], r[3]);
                let t4 = _mm256_unpacklo_ps(r[4], r[5]);
                let t5 = _mm256_unpackhi_ps(r[4], r[5]);
                let t6 = _mm256_unpacklo_ps(r[6], r[7]);
                let t7 = _mm256_unpackhi_ps(r[6], r[7]);
                let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                let c = [
                    _mm256_permute2f128_ps::<0x20>(u0, u4),
                    _mm256_permute2f128_ps::<0x20>(u1, u5),
                    _mm256_permute2f128_ps::<0x20>(u2, u6),
                    _mm256_permute2f128_ps::<0x20>(u3, u7),
                    _mm256_permute2f128_ps::<0x31>(u0, u4),
                    _mm256_permute2f128_ps::<0x31>(u1, u5),
                    _mm256_permute2f128_ps::<0x31>(u2, u6),
                    _mm256_permute2f128_ps::<0x31>(u3, u7),
                ];
                for (i, c) in c.iter().enumerate() {
                    _mm256_storeu_ps(tp.add((k + i) * WIDTH + r0), *c);
                }
            }
        }
    }
    blocks * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments found during the transpose equal those of the separate scan, with zero
    /// blocks, ±0 values and a ragged last block.
    #[test]
    fn transpose_segments_match_nonzero_segments() {
        for inputs in [5, 16, 37, 64] {
            for nb in [1, 3, 8, 10, 16] {
                let x: Vec<f32> = (0..nb * inputs)
                    .map(|i| {
                        let (r, k) = (i / inputs, i % inputs);
                        match (k / 8) % 3 {
                            0 => 0.0,
                            1 if r % 2 == 0 => -0.0,
                            1 => 0.0,
                            _ if r == nb - 1 => 1.5,
                            _ => 0.0,
                        }
                    })
                    .collect();
                let mut xt = vec![0.0f32; inputs * WIDTH];
                let mut fast = Vec::new();
                transpose_segments(&x, nb, inputs, &mut xt, &mut fast);
                let mut slow = Vec::new();
                crate::kernels::nonzero_segments(&x, inputs, &mut slow);
                assert_eq!(fast, slow, "{inputs} columns, {nb} rows");
            }
        }
    }

    /// Equals the naive loop for ragged widths and every row count, lanes from `nb` on untouched
    /// apart from zeros written by the vector blocks of a partial half.
    #[test]
    fn transpose_matches_naive() {
        for inputs in [1, 7, 8, 21, 64] {
            for nb in 0..=WIDTH {
                let x: Vec<f32> = (0..nb * inputs).map(|i| i as f32 + 0.5).collect();
                let mut xt = vec![-1.0f32; inputs * WIDTH];
                transpose_lanes(&x, nb, inputs, &mut xt);
                for k in 0..inputs {
                    for l in 0..nb {
                        assert_eq!(
                            xt[k * WIDTH + l],
                            x[l * inputs + k],
                            "{inputs} {nb} {k} {l}"
                        );
                    }
                    for l in nb..WIDTH {
                        assert!(xt[k * WIDTH + l] == -1.0 || xt[k * WIDTH + l] == 0.0);
                    }
                }
            }
        }
    }
}
