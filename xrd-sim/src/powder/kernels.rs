//! The inner loops of structure factors and peak rendering, written so that the compiler
//! vectorises them, with an AVX2 build chosen at run time. Every build performs the same IEEE operations in the same
//! order as the plain per-point formula, so patterns are bit for bit the same on every CPU.

// The `unsafe` blocks here call the AVX2 builds after checking that the CPU has AVX2.
#![allow(unsafe_code)]

/// Points handled together (one AVX2 register of f64).
const LANES: usize = 4;

/// The Gaussian part of a peak as the recurrence of `Profile::add`: at the points `from..=to`
/// of the window, add `g`, then `g ← g·r`, `r ← r·c`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GaussRun {
    pub from: usize,
    pub to: usize,
    pub g: f64,
    pub r: f64,
    pub c: f64,
}

/// The Lorentzian part of a peak on a window of the grid: `height / (1 + ((x_i − center) /
/// gamma)²)` at x_i = `start` + i · `step` (the grid's formula), i = `first` + k for the window's
/// point k.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lorentzian {
    pub first: usize,
    pub start: f64,
    pub step: f64,
    pub center: f64,
    pub gamma: f64,
    pub height: f64,
}

/// A pseudo-Voigt peak in one pass over its window: at each point `out[k] += gauss_k` (inside
/// the run) and then `out[k] += lorentz_k` ([`Lorentzian`]), the order of the former two
/// passes. The Gaussian recurrence is serial; the Lorentzian values of each
/// group of points are computed as vectors while it runs. Without a run (or with an empty one),
/// the Lorentzian part alone.
pub(crate) fn add_pseudo_voigt(out: &mut [f64], peak: Lorentzian, gauss: Option<GaussRun>) {
    #[cfg(target_arch = "x86_64")]
    if xrd_io::cpu::avx2() {
        // SAFETY: the workspace's CPU probe found AVX2 (and FMA) on this CPU; the function is
        // safe code.
        unsafe { pseudo_voigt_avx2(out, peak, gauss) };
        return;
    }
    pseudo_voigt(out, peak, gauss);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pseudo_voigt_avx2(out: &mut [f64], peak: Lorentzian, gauss: Option<GaussRun>) {
    pseudo_voigt(out, peak, gauss);
}

#[inline(always)]
fn pseudo_voigt(out: &mut [f64], peak: Lorentzian, gauss: Option<GaussRun>) {
    let Lorentzian {
        first,
        start,
        step,
        center,
        gamma,
        height,
    } = peak;
    let point = |i: f64| {
        // The grid's x(i) = start + i·step; i is an integer below 2⁵³, exact as f64.
        let t = ((start + i * step) - center) / gamma;
        height / (1.0 + t * t)
    };
    // No run, or an empty one: the Lorentzian alone.
    // The run as `from..end`.
    let (from, end, mut g, mut r, c) = match gauss {
        Some(run) if run.from <= run.to && run.to < out.len() => {
            (run.from, run.to + 1, run.g, run.r, run.c)
        }
        _ => (out.len(), out.len(), 0.0, 0.0, 0.0),
    };
    let (head, rest) = out.split_at_mut(from);
    let (both, tail) = rest.split_at_mut(end - from);
    lorentz_only(head, first, &point);
    // Both parts: the Lorentzian values of a group of points as one vector, then point by point
    // the next value of the serial recurrence and the Lorentzian value.
    let mut chunks = both.chunks_exact_mut(LANES);
    let mut i = (first + from) as f64;
    for chunk in &mut chunks {
        let v: [f64; LANES] = std::array::from_fn(|j| point(i + j as f64));
        for (o, v) in chunk.iter_mut().zip(v) {
            *o += g;
            g *= r;
            r *= c;
            *o += v;
        }
        i += LANES as f64;
    }
    for (j, o) in chunks.into_remainder().iter_mut().enumerate() {
        *o += g;
        g *= r;
        r *= c;
        *o += point(i + j as f64);
    }
    lorentz_only(tail, first + end, &point);
}

/// Adds `point(i)` to `out[k]`, i = `first` + k, a group of points at a time. A function, not
/// a closure, so that it inlines into (and is vectorised with) the AVX2 build.
#[inline(always)]
fn lorentz_only(out: &mut [f64], first: usize, point: &impl Fn(f64) -> f64) {
    let mut chunks = out.chunks_exact_mut(LANES);
    let mut i = first as f64;
    for chunk in &mut chunks {
        let v: [f64; LANES] = std::array::from_fn(|j| point(i + j as f64));
        for (o, v) in chunk.iter_mut().zip(v) {
            *o += v;
        }
        i += LANES as f64;
    }
    for (j, o) in chunks.into_remainder().iter_mut().enumerate() {
        *o += point(i + j as f64);
    }
}

/// `re[j] + i·im[j] += (pr + i·pi)(zr[j] + i·zi[j])` for every j (slices of one length): one
/// atom's contribution to a row of structure factors.
pub(crate) fn add_phases(re: &mut [f64], im: &mut [f64], p: (f64, f64), zr: &[f64], zi: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if xrd_io::cpu::avx2() {
        // SAFETY: the workspace's CPU probe found AVX2 (and FMA) on this CPU; the function is
        // safe code.
        unsafe { phases_avx2(re, im, p, zr, zi) };
        return;
    }
    phases(re, im, p, zr, zi);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn phases_avx2(re: &mut [f64], im: &mut [f64], p: (f64, f64), zr: &[f64], zi: &[f64]) {
    phases(re, im, p, zr, zi);
}

#[inline(always)]
fn phases(re: &mut [f64], im: &mut [f64], (pr, pi): (f64, f64), zr: &[f64], zi: &[f64]) {
    for (((r, i), &zr), &zi) in re.iter_mut().zip(im.iter_mut()).zip(zr).zip(zi) {
        *r += pr * zr - pi * zi;
        *i += pr * zi + pi * zr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(
        first: usize,
        start: f64,
        step: f64,
        center: f64,
        gamma: f64,
        height: f64,
    ) -> Lorentzian {
        Lorentzian {
            first,
            start,
            step,
            center,
            gamma,
            height,
        }
    }

    /// The formula point by point, as `Profile::add` wrote it before the kernel.
    fn naive(out: &mut [f64], first: usize, start: f64, step: f64, c: f64, g: f64, h: f64) {
        for (k, o) in out.iter_mut().enumerate() {
            let dx = start + (first + k) as f64 * step - c;
            *o += h / (1.0 + (dx / g).powi(2));
        }
    }

    #[test]
    fn the_fused_pseudo_voigt_matches_the_two_passes_bit_for_bit() {
        let mut state = 0x5eed_1234_abcd_0001_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for len in [1, 3, 4, 7, 40, 203] {
            let first = (next() * 8000.0) as usize;
            let (start, step) = (3.0 + next() * 5.0, 0.005 + next() * 0.02);
            let (c, g, h) = (start + next() * 90.0, 0.001 + next() * 0.2, next() * 1e3);
            let from = (next() * len as f64) as usize;
            // Runs inside the window, empty (to < from) and past its end (left out).
            for to in [from + (len - from) / 2, from.wrapping_sub(1), len] {
                let run = GaussRun {
                    from,
                    to,
                    g: next() * 10.0,
                    r: 1.0 + next() * 0.1,
                    c: 0.9 + next() * 0.05,
                };
                let base: Vec<f64> = (0..len).map(|_| next()).collect();
                // Two passes, as `Profile::add` did: the recurrence, then the Lorentzian.
                let mut want = base.clone();
                if run.from <= run.to && run.to < len {
                    let (mut gg, mut rr) = (run.g, run.r);
                    for o in &mut want[run.from..=run.to] {
                        *o += gg;
                        gg *= rr;
                        rr *= run.c;
                    }
                }
                naive(&mut want, first, start, step, c, g, h);
                let mut plain = base.clone();
                pseudo_voigt(&mut plain, peak(first, start, step, c, g, h), Some(run));
                let mut best = base;
                add_pseudo_voigt(&mut best, peak(first, start, step, c, g, h), Some(run));
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&plain), bits(&want), "{len} {to}");
                assert_eq!(bits(&best), bits(&want), "{len} {to}");
            }
        }
    }

    #[test]
    fn every_phase_build_matches_the_complex_product_bit_for_bit() {
        let mut state = 0x0bad_cafe_f00d_1234_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        };
        for len in [0, 1, 2, 3, 4, 5, 9, 31] {
            let v: Vec<f64> = (0..4 * len + 2).map(|_| next()).collect();
            let (re0, rest) = v.split_at(len);
            let (im0, rest) = rest.split_at(len);
            let (zr, rest) = rest.split_at(len);
            let (zi, p) = rest.split_at(len);
            let (pr, pi) = (p[0], p[1]);
            let want: Vec<(u64, u64)> = (0..len)
                .map(|j| {
                    let r = re0[j] + (pr * zr[j] - pi * zi[j]);
                    let i = im0[j] + (pr * zi[j] + pi * zr[j]);
                    (r.to_bits(), i.to_bits())
                })
                .collect();
            for fast in [false, true] {
                let (mut re, mut im) = (re0.to_vec(), im0.to_vec());
                if fast {
                    add_phases(&mut re, &mut im, (pr, pi), zr, zi);
                } else {
                    phases(&mut re, &mut im, (pr, pi), zr, zi);
                }
                let got: Vec<(u64, u64)> = re
                    .iter()
                    .zip(&im)
                    .map(|(r, i)| (r.to_bits(), i.to_bits()))
                    .collect();
                assert_eq!(got, want, "{len} {fast}");
            }
        }
    }

    #[test]
    fn every_build_matches_the_formula_bit_for_bit() {
        let mut state = 0x1234_5678_9abc_def0_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for len in [0, 1, 3, 4, 5, 17, 203] {
            let first = (next() * 8000.0) as usize;
            let (start, step) = (3.0 + next() * 5.0, 0.005 + next() * 0.02);
            let (c, g, h) = (start + next() * 90.0, 0.001 + next() * 0.2, next() * 1e3);
            let base: Vec<f64> = (0..len).map(|_| next()).collect();
            let mut want = base.clone();
            naive(&mut want, first, start, step, c, g, h);
            let mut plain = base.clone();
            pseudo_voigt(&mut plain, peak(first, start, step, c, g, h), None);
            let mut best = base;
            add_pseudo_voigt(&mut best, peak(first, start, step, c, g, h), None);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&plain), bits(&want), "{len}");
            assert_eq!(bits(&best), bits(&want), "{len}");
        }
    }
}
