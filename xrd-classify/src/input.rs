//! What the network sees of a pattern on the grid: the pattern max-pooled onto a coarser grid
//! with its intensities rescaled (left out for `pool` 0, the default), followed by its
//! autocorrelation in ln d*. The transform is part of the configuration (and so of the model
//! file), applied the same way to training patterns and to the patterns classified.
//!
//! **Why the autocorrelation.** Within one space group the random lattice moves every peak: a
//! dense network on the raw pattern must learn each group at every lattice size, and on the
//! number of fresh patterns a 15-minute run sees it learns next to nothing (validation accuracy
//! at the prior). Scaling a lattice by s multiplies every d* = 1/d = 2 sin θ / λ by 1/s, a shift by
//! −ln s on a ln d* axis; the autocorrelation over ln d* is invariant to that shift and holds the
//! ratios of the peak positions, which are what the lattice type and its extinctions fix (cubic
//! P, I and F differ only in them). Before it the background is removed (a running minimum over
//! [`BACKGROUND_WINDOW`] degrees, smoothed by a running mean over the same window, subtracted;
//! negative values set to 0), so that the broad background does not dominate the correlation, and
//! [`peak_threshold`](InputConfig::peak_threshold) of the remaining maximum is subtracted
//! (values below it set to 0), so that the noise of measured patterns does not fill it.

// The one `unsafe` block calls the AVX2 build of the lag sums after checking for AVX2.
#![allow(unsafe_code)]

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::Grid;

use crate::InputConfig;

/// Width of the background filters before the autocorrelation, degrees 2θ.
pub const BACKGROUND_WINDOW: f64 = 2.0;

/// How intensities (max 1) are rescaled before the network sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Intensity {
    /// As they are (Vecsei et al.).
    #[default]
    Linear,
    /// Square root: weak peaks count for more against the strongest (whose height texture and
    /// real samples make arbitrary anyway); max 1 stays 1.
    Sqrt,
}

impl InputConfig {
    /// Width of the network input for a grid of `points`: ⌈points / pool⌉ pooled values (the
    /// last window may be shorter; none for `pool` 0) plus
    /// [`autocorrelation`](InputConfig::autocorrelation) lags.
    pub fn input_width(&self, points: usize) -> usize {
        let pooled = if self.pool == 0 {
            0
        } else {
            points.div_ceil(self.pool)
        };
        pooled + self.autocorrelation
    }
}

/// Rows of `x` (on `grid`) as the network sees them under `cfg`, row by row in parallel (each
/// row on its own: the same bits whatever the number of threads).
pub(crate) fn transform(x: ArrayView2<'_, f32>, grid: &Grid, cfg: &InputConfig) -> Array2<f32> {
    let pool = cfg.pool.max(1);
    let pooled = cfg.input_width(x.ncols()) - cfg.autocorrelation;
    let mut out = Array2::zeros((x.nrows(), cfg.input_width(x.ncols())));
    let window = (BACKGROUND_WINDOW / grid.step()).round().max(1.0) as usize;
    let ln_d_star = ln_d_star_grid(grid, 2 * cfg.autocorrelation);
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(x.axis_iter(Axis(0)).into_par_iter())
        .for_each(|(mut o, row)| {
            for (k, v) in o.iter_mut().take(pooled).enumerate() {
                let end = ((k + 1) * pool).min(row.len());
                *v = (k * pool..end).fold(f32::NEG_INFINITY, |m, j| m.max(row[j]));
            }
            if let Intensity::Sqrt = cfg.intensity {
                // Measured patterns may hold small negative values after background removal.
                for v in o.iter_mut().take(pooled) {
                    *v = v.max(0.0).sqrt();
                }
            }
            if cfg.autocorrelation > 0 {
                let mut peaks = match row.as_slice() {
                    Some(y) => xrd_io::without_rolling_background(y, window),
                    None => xrd_io::without_rolling_background(&row.to_vec(), window),
                };
                cut_below(&mut peaks, cfg.peak_threshold);
                let y = resample(&peaks, grid, &ln_d_star);
                for (o, v) in o
                    .iter_mut()
                    .skip(pooled)
                    .zip(autocorrelation(&y, cfg.autocorrelation))
                {
                    *o = v;
                }
            }
        });
    out
}

/// `m` points evenly spaced in ln sin θ over the grid, as (index into the grid, fraction) for
/// linear interpolation.
fn ln_d_star_grid(grid: &Grid, m: usize) -> Vec<(usize, f64)> {
    let n = grid.len();
    if m == 0 || n < 2 {
        return vec![(0, 0.0); m];
    }
    let ln_sin = |t: f64| (0.5 * t).to_radians().sin().max(f64::MIN_POSITIVE).ln();
    let (a, b) = (ln_sin(grid.start()), ln_sin(grid.end()));
    (0..m)
        .map(|k| {
            let l = a + (b - a) * k as f64 / (m - 1).max(1) as f64;
            let t = 2.0 * l.exp().min(1.0).asin().to_degrees();
            let f = ((t - grid.start()) / grid.step()).clamp(0.0, (n - 1) as f64);
            let i = (f.floor() as usize).min(n - 2);
            (i, f - i as f64)
        })
        .collect()
}

/// Subtracts `fraction` of the maximum of `y` (values below it become 0): noise that survived
/// the background removal is left out of the autocorrelation.
fn cut_below(y: &mut [f64], fraction: f64) {
    if fraction > 0.0 {
        let cut = fraction * y.iter().copied().fold(0.0, f64::max);
        for v in y.iter_mut() {
            *v = (*v - cut).max(0.0);
        }
    }
}

fn resample(y: &[f64], grid: &Grid, at: &[(usize, f64)]) -> Vec<f64> {
    if grid.len() < 2 {
        return vec![y.first().copied().unwrap_or(0.0); at.len()];
    }
    at.iter()
        .map(|&(i, f)| y[i] * (1.0 - f) + y[i + 1] * f)
        .collect()
}

/// `Σᵢ a[i] b[i]` over the shorter length, in eight interleaved partial sums: independent
/// additions the compiler vectorises, where one running sum waits on every addition (the
/// autocorrelation was half the cost of a training step with a single sum).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// `Σᵢ y[i] y[i + k] / Σᵢ y[i]²` for k < `lags` (all 0 for an all-zero `y`).
fn autocorrelation(y: &[f64], lags: usize) -> Vec<f32> {
    let zero = dot(y, y);
    let mut out = vec![0.0f32; lags];
    // (A NaN sum gives zeros, as an all-zero `y` does.)
    if zero.is_nan() || zero <= 0.0 {
        return out;
    }
    let real = lags.min(y.len());
    let mut k = 0;
    while k + LAG_BLOCK <= real {
        for (o, d) in out[k..k + LAG_BLOCK].iter_mut().zip(lag_block(y, k)) {
            *o = (d / zero) as f32;
        }
        k += LAG_BLOCK;
    }
    for (k, o) in out.iter_mut().enumerate().take(real).skip(k) {
        *o = (dot(&y[..y.len() - k], &y[k..]) / zero) as f32;
    }
    out
}

/// Lags computed together by [`lag_block`].
const LAG_BLOCK: usize = 4;

/// `dot(&y[..n − k − j], &y[k + j..])` for j < [`LAG_BLOCK`], with each lag's additions in
/// exactly `dot`'s order (the same bits), but the lags side by side: every loaded chunk of
/// `y[..]` meets four lags, and four lags' interleaved sums are independent additions where one
/// lag's additions wait on each other (the direct form was a fifth of a prediction's time).
/// Needs `k + LAG_BLOCK ≤ y.len()`.
fn lag_block(y: &[f64], k: usize) -> [f64; LAG_BLOCK] {
    #[cfg(target_arch = "x86_64")]
    if xrd_io::cpu::avx2() {
        // SAFETY: the workspace's CPU probe found AVX2 (and FMA) on this CPU; the function is
        // safe code.
        return unsafe { lag_block_avx2(y, k) };
    }
    lag_block_body(y, k)
}

/// [`lag_block`] built for AVX2, whose sixteen 4-lane registers hold the four lags' sums (the
/// baseline build spills them); the same operations, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lag_block_avx2(y: &[f64], k: usize) -> [f64; LAG_BLOCK] {
    lag_block_body(y, k)
}

#[inline(always)]
fn lag_block_body(y: &[f64], k: usize) -> [f64; LAG_BLOCK] {
    let n = y.len();
    debug_assert!(k + LAG_BLOCK <= n, "lags {k}.. of {n} values");
    let len = |j: usize| n - k - j;
    // Whole chunks of 8 that every lag has (the shortest lag has the fewest).
    let common = len(LAG_BLOCK - 1) / 8;
    // Fixed-size views let the sums live in registers (no bounds checks between them). Every
    // chunk lies inside `y` (c < common), so the fallback is never taken.
    let chunk = |at: usize| -> &[f64; 8] { y[at..].first_chunk::<8>().unwrap_or(&[0.0; 8]) };
    let [mut s0, mut s1, mut s2, mut s3] = [[0.0f64; 8]; LAG_BLOCK];
    for c in 0..common {
        let a = chunk(c * 8);
        let (b0, b1, b2, b3) = (
            chunk(k + c * 8),
            chunk(k + 1 + c * 8),
            chunk(k + 2 + c * 8),
            chunk(k + 3 + c * 8),
        );
        for t in 0..8 {
            s0[t] += a[t] * b0[t];
            s1[t] += a[t] * b1[t];
            s2[t] += a[t] * b2[t];
            s3[t] += a[t] * b3[t];
        }
    }
    let mut acc = [s0, s1, s2, s3];
    std::array::from_fn(|j| {
        let (a, b) = (&y[..len(j)], &y[k + j..]);
        let chunks = len(j) / 8;
        let acc = &mut acc[j];
        for c in common..chunks {
            for t in 0..8 {
                acc[t] += a[c * 8 + t] * b[c * 8 + t];
            }
        }
        let tail: f64 = a[chunks * 8..]
            .iter()
            .zip(&b[chunks * 8..])
            .map(|(x, y)| x * y)
            .sum();
        acc.iter().sum::<f64>() + tail
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn cfg(pool: usize, intensity: Intensity, autocorrelation: usize) -> InputConfig {
        InputConfig {
            pool,
            intensity,
            autocorrelation,
            ..InputConfig::default()
        }
    }

    #[test]
    fn widths() {
        assert_eq!(cfg(10, Intensity::Linear, 0).input_width(8500), 850);
        assert_eq!(cfg(10, Intensity::Linear, 0).input_width(8501), 851);
        assert_eq!(cfg(10, Intensity::Linear, 512).input_width(8500), 1362);
        assert_eq!(cfg(1, Intensity::Linear, 0).input_width(48), 48);
        assert_eq!(cfg(0, Intensity::Linear, 512).input_width(8500), 512);
    }

    #[test]
    fn pool_zero_is_the_autocorrelation_alone() {
        let grid = Grid::new(10.0, 0.05, 400).unwrap();
        let x = Array2::from_shape_fn((2, 400), |(i, j)| {
            (-((j as f32 - 100.0 - 50.0 * i as f32) / 3.0).powi(2)).exp()
        });
        let both = transform(x.view(), &grid, &cfg(10, Intensity::Linear, 32));
        let ac = transform(x.view(), &grid, &cfg(0, Intensity::Linear, 32));
        assert_eq!(ac.dim(), (2, 32));
        assert_eq!(ac, both.slice(ndarray::s![.., 40..]));
    }

    #[test]
    fn pooling_against_naive_maximum() {
        let grid = Grid::new(10.0, 1.0, 7).unwrap();
        let x = array![
            [0.1f32, 0.5, 0.2, 0.9, 0.0, 0.3, 0.4],
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25]
        ];
        let y = transform(x.view(), &grid, &cfg(3, Intensity::Linear, 0));
        assert_eq!(y, array![[0.5f32, 0.9, 0.4], [1.0, 0.0, 0.25]]);
        assert_eq!(transform(x.view(), &grid, &cfg(1, Intensity::Linear, 0)), x);
        let s = transform(x.view(), &grid, &cfg(3, Intensity::Sqrt, 0));
        let r = |v: f32| v.sqrt();
        assert_eq!(s, array![[r(0.5), r(0.9), r(0.4)], [1.0, 0.0, 0.5]]);
        let neg = array![[-0.5f32, 0.25]];
        let g2 = Grid::new(10.0, 1.0, 2).unwrap();
        assert_eq!(
            transform(neg.view(), &g2, &cfg(1, Intensity::Sqrt, 0)),
            array![[0.0f32, 0.5]]
        );
    }

    #[test]
    fn autocorrelation_against_naive_sum() {
        // 5 points: only the tail of the interleaved sums; 37: both.
        let long: Vec<f64> = (0..37).map(|i| f64::from((i * 13 % 7) as u8)).collect();
        for y in [&[0.0, 1.0, 2.0, 0.0, 1.0][..], &long[..]] {
            let out = autocorrelation(y, y.len() + 2);
            let zero: f64 = y.iter().map(|v| v * v).sum();
            let naive = |k: usize| {
                (0..y.len())
                    .filter(|i| i + k < y.len())
                    .map(|i| y[i] * y[i + k])
                    .sum::<f64>()
                    / zero
            };
            for (k, &o) in out.iter().enumerate() {
                assert!((f64::from(o) - naive(k)).abs() < 1e-7, "lag {k}");
            }
            assert_eq!(out[0], 1.0);
        }
        assert_eq!(autocorrelation(&[0.0; 4], 3), [0.0; 3]);
    }

    #[test]
    fn lag_blocks_give_the_bits_of_one_lag_at_a_time() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2545);
        for n in [1usize, 7, 8, 9, 15, 16, 17, 31, 64, 67, 1024] {
            let y: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let zero = dot(&y, &y);
            for lags in [1, 3, 4, 5, n / 2, n, n + 3] {
                let fast = autocorrelation(&y, lags);
                let direct: Vec<f32> = (0..lags)
                    .map(|k| {
                        if k < n {
                            (dot(&y[..n - k], &y[k..]) / zero) as f32
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let bits = |a: &[f32]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&direct), "n {n} lags {lags}");
            }
            // Before the division and the cast to f32: the portable build of the block, then the
            // dispatched one.
            for k in (0..n.saturating_sub(3)).step_by(5) {
                let one = std::array::from_fn(|j| dot(&y[..n - k - j], &y[k + j..]).to_bits());
                assert_eq!(lag_block_body(&y, k).map(f64::to_bits), one, "n {n} k {k}");
                // The dispatched build (AVX2 where present), in f64 too.
                assert_eq!(lag_block(&y, k).map(f64::to_bits), one, "n {n} k {k}");
            }
        }
    }

    #[test]
    fn peak_threshold_cuts_the_noise_floor() {
        let mut y = vec![0.0, 0.02, 1.0, 0.5];
        cut_below(&mut y, 0.0);
        assert_eq!(y, [0.0, 0.02, 1.0, 0.5]);
        cut_below(&mut y, 0.05);
        assert_eq!(y, [0.0, 0.0, 0.95, 0.45]);
        // Noise under the cut leaves the autocorrelation of the peaks alone.
        let grid = Grid::new(10.0, 0.01, 2000).unwrap();
        let peaks = |noise: f32| {
            ndarray::Array2::from_shape_fn((1, 2000), |(_, j)| {
                let p = |c: f32| (-((j as f32 - c) / 4.0).powi(2)).exp();
                p(600.0) + 0.6 * p(1300.0) + noise * ((j * 7919 % 13) as f32 / 13.0)
            })
        };
        let mut c = cfg(10, Intensity::Linear, 64);
        c.peak_threshold = 0.05;
        let (clean, noisy) = (
            transform(peaks(0.0).view(), &grid, &c),
            transform(peaks(0.03).view(), &grid, &c),
        );
        let ac = |a: &Array2<f32>| a.slice(ndarray::s![0, 200..]).to_owned();
        let diff = (&ac(&clean) - &ac(&noisy)).mapv(f32::abs).sum();
        c.peak_threshold = 0.0;
        let uncut = transform(peaks(0.03).view(), &grid, &c);
        let diff_uncut = (&ac(&clean) - &ac(&uncut)).mapv(f32::abs).sum();
        assert!(diff < 0.2 * diff_uncut, "{diff} vs {diff_uncut}");
    }

    #[test]
    fn a_tiny_grid_step_is_one_window() {
        // A background window far wider than the series (a tiny grid step) allocates nothing
        // more and gives what a window just covering it gives.
        let y: Vec<f32> = (0..300)
            .map(|j| 0.1 + (-((j as f32 - 150.0) / 3.0).powi(2)).exp())
            .collect();
        let x = Array2::from_shape_fn((1, 300), |(_, j)| y[j]);
        let tiny = transform(
            x.view(),
            &Grid::new(10.0, 1e-300, 300).unwrap(),
            &cfg(0, Intensity::Linear, 16),
        );
        assert!(tiny.iter().all(|v| v.is_finite()));
    }

    /// The point of the transform: a lattice scaled by s shifts the peaks in ln d*, and the
    /// autocorrelation stays the same up to the resampling, while the pooled patterns share
    /// nothing.
    #[test]
    fn autocorrelation_ignores_the_lattice_scale() {
        let grid = Grid::new(5.0, 0.01, 8500).unwrap();
        // Peaks of a cubic P lattice (h² + k² + l² = 1, 2, 3, 4, 5, 6, 8) at a = 4 and 4.4 Å.
        let pattern = |a: f64| {
            let peaks: Vec<f64> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]
                .iter()
                .map(|n| 2.0 * (1.5406 * n.sqrt() / (2.0 * a)).asin().to_degrees())
                .collect();
            Array2::from_shape_fn((1, 8500), |(_, j)| {
                let t = grid.x(j);
                peaks
                    .iter()
                    .map(|p| (-((t - p) / 0.1).powi(2)).exp() as f32)
                    .sum::<f32>()
            })
        };
        let c = cfg(10, Intensity::Linear, 512);
        let (a, b) = (
            transform(pattern(4.0).view(), &grid, &c),
            transform(pattern(4.4).view(), &grid, &c),
        );
        let cos = |u: ndarray::ArrayView1<'_, f32>, v: ndarray::ArrayView1<'_, f32>| {
            u.dot(&v) / (u.dot(&u) * v.dot(&v)).sqrt()
        };
        let pooled = cos(
            a.slice(ndarray::s![0, ..850]),
            b.slice(ndarray::s![0, ..850]),
        );
        // Lag 0 is 1 for every pattern: left out.
        let ac = cos(
            a.slice(ndarray::s![0, 851..]),
            b.slice(ndarray::s![0, 851..]),
        );
        assert!(pooled < 0.2, "{pooled}");
        assert!(ac > 0.95, "{ac}");
    }
}
