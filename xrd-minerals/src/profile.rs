//! A measured pattern prepared for matching: background removed, intensities transformed,
//! smoothed, and tabulated for fast look-ups by 2θ and by 1/d.

use xrd_io::Pattern;

use crate::{Error, Result};

/// Gaussians are cut at this many standard deviations.
const CUTOFF_SIGMAS: f64 = 4.0;
/// Step of the look-up tables in 2θ (°).
const TABLE_STEP_TWO_THETA: f64 = 0.005;

/// The unit-area Gaussian of standard deviation `sigma` at `x`.
pub(crate) fn gaussian(x: f64, sigma: f64) -> f64 {
    let z = x / sigma;
    (-0.5 * z * z).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
}

/// The largest value a [`Table`] takes over an interval, in constant time (a sparse table:
/// level k holds the maxima of 2ᵏ consecutive points).
#[derive(Debug, Clone)]
pub(crate) struct RangeMax {
    start: f64,
    inv_step: f64,
    levels: Vec<Vec<f32>>,
}

impl RangeMax {
    /// At least the largest value of [`Table::at`] over `[lo, hi]` (0 outside the table, as
    /// `at`): the largest of the points whose interpolation reaches into the interval.
    pub(crate) fn between(&self, lo: f64, hi: f64) -> f64 {
        let n = self.levels[0].len();
        let (a, b) = (
            (lo - self.start) * self.inv_step,
            (hi - self.start) * self.inv_step,
        );
        if b.is_nan() || b < 0.0 || n == 0 || a > (n - 1) as f64 {
            return 0.0;
        }
        // `as usize` floors the non-negative values (and saturates).
        let i = a.max(0.0) as usize;
        let j = ((b as usize).saturating_add(1)).min(n - 1);
        if i > j {
            return 0.0;
        }
        let k = (usize::BITS - 1 - (j - i + 1).leading_zeros()) as usize;
        let level = &self.levels[k];
        f64::from(level[i].max(level[j + 1 - (1 << k)])).max(0.0)
    }
}

/// A uniformly sampled function, linearly interpolated, zero outside.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    start: f64,
    inv_step: f64,
    values: Vec<f32>,
}

impl Table {
    fn sample(start: f64, end: f64, step: f64, f: impl Fn(f64) -> f64) -> Self {
        let n = ((end - start) / step).ceil() as usize + 1;
        Self {
            start,
            inv_step: 1.0 / step,
            values: (0..n).map(|i| f(start + i as f64 * step) as f32).collect(),
        }
    }

    /// The maxima of the values over ranges, for [`RangeMax::between`].
    pub(crate) fn range_max(&self) -> RangeMax {
        let mut levels = vec![self.values.clone()];
        let mut width = 1;
        while 2 * width <= self.values.len() {
            let prev = &levels[levels.len() - 1];
            // Level k has n − 2ᵏ + 1 points: the maxima of 2ᵏ⁺¹ points pair two of them.
            let next: Vec<f32> = (0..prev.len() - width)
                .map(|i| prev[i].max(prev[i + width]))
                .collect();
            levels.push(next);
            width *= 2;
        }
        RangeMax {
            start: self.start,
            inv_step: self.inv_step,
            levels,
        }
    }

    #[inline]
    pub(crate) fn at(&self, x: f64) -> f64 {
        let t = (x - self.start) * self.inv_step;
        if t.is_nan() || t < 0.0 {
            return 0.0;
        }
        let i = t as usize;
        match (self.values.get(i), self.values.get(i + 1)) {
            (Some(&a), Some(&b)) => {
                let f = t - i as f64;
                f64::from(a) + f * f64::from(b - a)
            }
            _ => 0.0,
        }
    }
}

/// A measured pattern ready for scoring.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// 2θ of the points (°).
    pub two_theta: Vec<f64>,
    /// Background-free intensities, strongest 1 (linear).
    pub linear: Vec<f64>,
    /// Width of each point (°), for integrals.
    pub weight: Vec<f64>,
    /// ‖y ⋆ G_σ‖ (continuous norm).
    pub norm: f64,
    /// y ⋆ G_{σ√2} by 2θ.
    pub by_two_theta: Table,
    /// y ⋆ G_{σ√2} by q = 1/d (Å⁻¹) at the primary wavelength.
    pub by_q: Table,
    /// The maxima of `by_q` over intervals, for the search's bound on a reference's score.
    pub by_q_max: RangeMax,
    /// 2θ range of the data (°).
    pub range: (f64, f64),
    /// Noise of the linear intensities (robust standard deviation, strongest = 1).
    pub noise: f64,
    /// Whether its strongest point stands [`xrd_io::MIN_PEAK_SIGMAS`] noise σ or more above the
    /// background (always for a residual, whose peaks are tested on their own).
    pub has_peaks: bool,
    /// 2θ spans (°) where the intensities were set to 0 under the strong lines of phases found
    /// before (a residual): a reference's lines there are not judged by the search's final
    /// score.
    pub hidden: Vec<(f64, f64)>,
}

/// Settings of the preparation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Preparation {
    pub background: crate::Background,
    pub background_width: f64,
    pub power: f64,
    pub noise_floor: f64,
    pub relative_floor: f64,
    pub sigma: f64,
    pub wavelength: f64,
}

impl Measured {
    /// Prepares `pattern` (2θ strictly increasing, finite: xrd-io's invariants).
    pub(crate) fn new(pattern: &Pattern, prep: &Preparation) -> Result<Self> {
        if pattern.len() < 16 {
            return Err(Error::Pattern(format!(
                "{} points (at least 16 needed)",
                pattern.len()
            )));
        }
        let prepared = pattern.prepare(
            &xrd_io::Preparation::default()
                .background(prep.background)
                .background_width(prep.background_width),
        )?;
        // What stands above the background must be more than rounding of the background.
        let scale = pattern.max_intensity().abs().max(f64::MIN_POSITIVE);
        if prepared.signal.iter().copied().fold(0.0, f64::max) <= 1e-9 * scale {
            return Err(Error::Pattern("no signal above the background".into()));
        }
        let has_peaks = prepared.peak_sigmas() >= xrd_io::MIN_PEAK_SIGMAS;
        let mut m = Self::from_background_free(prepared.two_theta, prepared.signal, prep)?;
        m.has_peaks = has_peaks;
        Ok(m)
    }

    /// Prepares intensities whose background is already removed (a residual).
    pub(crate) fn from_background_free(
        two_theta: Vec<f64>,
        raw: Vec<f64>,
        prep: &Preparation,
    ) -> Result<Self> {
        let max = raw.iter().copied().fold(0.0, f64::max);
        if !(max > 0.0 && max.is_finite()) {
            return Err(Error::Pattern("no signal above the background".into()));
        }
        let linear: Vec<f64> = raw.iter().map(|v| v / max).collect();
        let noise = xrd_io::noise_sigma(linear.iter().copied());
        // Noise below the floor would be raised by a power < 1 as much as weak peaks are.
        let floor = (prep.noise_floor * noise).max(prep.relative_floor);
        let y: Vec<f64> = linear
            .iter()
            .map(|v| (v - floor).max(0.0).powf(prep.power))
            .collect();
        let n = two_theta.len();
        let weight: Vec<f64> = (0..n)
            .map(|i| {
                let lo = two_theta[i.saturating_sub(1)];
                let hi = two_theta[(i + 1).min(n - 1)];
                (hi - lo) / if i == 0 || i == n - 1 { 1.0 } else { 2.0 }
            })
            .collect();
        let s2 = prep.sigma * std::f64::consts::SQRT_2;
        let smoothed = convolve(&two_theta, &y, &weight, s2, &two_theta);
        let norm2: f64 = (0..n).map(|i| y[i] * weight[i] * smoothed[i]).sum();
        if norm2.is_nan() || norm2 <= 0.0 {
            return Err(Error::Pattern("no signal after smoothing".into()));
        }
        let range = (two_theta[0], two_theta[n - 1]);
        // Tables of the smoothed pattern: by 2θ on a fine uniform grid, and by q = 2 sin θ / λ.
        let dense = Table::sample(range.0, range.1, TABLE_STEP_TWO_THETA, |x| {
            interpolate(&two_theta, &smoothed, x)
        });
        let lambda = prep.wavelength;
        let q_of = |tt: f64| 2.0 * (tt.to_radians() / 2.0).sin() / lambda;
        let (q0, q1) = (q_of(range.0), q_of(range.1.min(179.9)));
        // dq = cos θ d(2θ) / λ is largest at low angle: there the q step equals the 2θ step.
        let dq = TABLE_STEP_TWO_THETA.to_radians() / lambda;
        let by_q = Table::sample(q0, q1, dq, |q| {
            let s = q * lambda / 2.0;
            if s >= 1.0 {
                return 0.0;
            }
            dense.at(2.0 * s.asin().to_degrees())
        });
        Ok(Self {
            two_theta,
            linear,
            weight,
            norm: norm2.sqrt(),
            by_two_theta: dense,
            by_q_max: by_q.range_max(),
            by_q,
            range,
            noise,
            has_peaks: true,
            hidden: Vec::new(),
        })
    }
}

/// Σⱼ yⱼ wⱼ G_σ(x − xⱼ) at every `at`, with `xs` sorted.
pub(crate) fn convolve(xs: &[f64], y: &[f64], w: &[f64], sigma: f64, at: &[f64]) -> Vec<f64> {
    let reach = CUTOFF_SIGMAS * sigma;
    let mut lo = 0;
    at.iter()
        .map(|&x| {
            while lo < xs.len() && xs[lo] < x - reach {
                lo += 1;
            }
            let mut s = 0.0;
            for j in lo..xs.len() {
                if xs[j] > x + reach {
                    break;
                }
                if y[j] != 0.0 {
                    s += y[j] * w[j] * gaussian(x - xs[j], sigma);
                }
            }
            s
        })
        .collect()
}

/// Linear interpolation of (xs, ys) at x (xs sorted), clamped to the ends.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let i = xs.partition_point(|&v| v < x);
    if i == 0 {
        return ys[0];
    }
    if i >= xs.len() {
        return ys[xs.len() - 1];
    }
    let (x0, x1) = (xs[i - 1], xs[i]);
    let f = (x - x0) / (x1 - x0);
    ys[i - 1] + f * (ys[i] - ys[i - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_interpolates_and_is_zero_outside() {
        let t = Table::sample(0.0, 1.0, 0.25, |x| 2.0 * x);
        assert!((t.at(0.3) - 0.6).abs() < 1e-6);
        assert_eq!(t.at(-0.1), 0.0);
        assert_eq!(t.at(1.5), 0.0);
        assert_eq!(t.at(f64::NAN), 0.0);
    }

    /// `RangeMax::between` is at least every interpolated value in the interval (sampled
    /// finely) and at most the largest point within a step of it: a bound, and a tight one.
    #[test]
    fn range_maxima_bound_the_interpolation_and_are_tight() {
        let f = |x: f64| ((x * 3.7).sin() * (x * 0.3).cos()).max(0.0) + 0.1 * (x * 17.0).sin();
        let t = Table::sample(0.0, 10.0, 0.01, f);
        let rm = t.range_max();
        for k in 0..500 {
            let lo = -0.5 + 0.023 * f64::from(k);
            let hi = lo + [0.0, 0.004, 0.05, 0.7, 3.0][k as usize % 5];
            let b = rm.between(lo, hi);
            let steps = ((hi - lo) / 0.0005).ceil() as usize;
            let dense = (0..=steps)
                .map(|j| t.at((lo + j as f64 * 0.0005).min(hi)))
                .fold(0.0, f64::max);
            assert!(b >= dense - 1e-6, "[{lo}, {hi}]: {b} < {dense}");
            let tight = (0..t.values.len())
                .filter(|&i| {
                    let x = i as f64 * 0.01;
                    x >= lo - 0.01 - 1e-9 && x <= hi + 0.01 + 1e-9
                })
                .map(|i| f64::from(t.values[i]))
                .fold(0.0, f64::max);
            assert!(b <= tight + 1e-12, "[{lo}, {hi}]: {b} > {tight}");
        }
    }

    #[test]
    fn convolution_matches_a_naive_sum() {
        let xs: Vec<f64> = (0..200).map(|i| 10.0 + 0.02 * f64::from(i)).collect();
        let y: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 11)).collect();
        let w = vec![0.02; 200];
        let fast = convolve(&xs, &y, &w, 0.05, &xs);
        // The cut at 4σ drops at most e^(−8) of each Gaussian's peak value per point beyond it.
        let bound = (-8.0f64).exp() * 10.0 * 0.02 * gaussian(0.0, 0.05) * 200.0;
        for (i, &x) in xs.iter().enumerate() {
            let naive: f64 = (0..200)
                .map(|j| y[j] * w[j] * gaussian(x - xs[j], 0.05))
                .sum();
            assert!(
                (fast[i] - naive).abs() <= bound,
                "{i}: {} vs {naive}",
                fast[i]
            );
        }
    }
}
