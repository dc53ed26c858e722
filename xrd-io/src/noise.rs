//! The noise level of a sampled pattern.

use crate::Float;

/// The standard deviation of white noise on `y`, from its point-to-point differences:
/// 1.4826 · median |Δy| / √2 (robust to the peaks, which are few points); 0 for fewer than two
/// values.
///
/// ```
/// // Alternating ±1: |Δ| = 2 everywhere.
/// let y = (0..101).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 });
/// let s = xrd_io::noise_sigma(y);
/// assert!((s - 1.4826 * 2.0 / std::f64::consts::SQRT_2).abs() < 1e-12);
/// ```
pub fn noise_sigma<F: Float>(y: impl IntoIterator<Item = F>) -> f64 {
    let mut previous: Option<f64> = None;
    let mut d: Vec<f64> = Vec::new();
    for v in y {
        let v = v.as_f64();
        if let Some(p) = previous {
            d.push((v - p).abs());
        }
        previous = Some(v);
    }
    if d.is_empty() {
        return 0.0;
    }
    let mid = d.len() / 2;
    let (_, m, _) = d.select_nth_unstable_by(mid, f64::total_cmp);
    1.4826 * *m / std::f64::consts::SQRT_2
}

/// A pattern whose strongest point stands less than this many noise σ above its background
/// holds no peak worth reading: the weakest of the 457 measured RRUFF patterns stands 10.8 σ,
/// xylib's 196-point noise scan (`empyrean.xrdml`) 5 σ. xrd-minerals names no phase and
/// xrd-classify refuses below it.
pub const MIN_PEAK_SIGMAS: f64 = 8.0;

/// How many noise σ ([`noise_sigma`]) the strongest point of a background-free pattern stands
/// above zero: 0 when nothing is positive, infinite when a positive pattern has no noise.
///
/// ```
/// // A peak of 50 on alternating noise of σ 1.4826·2/√2 ≈ 2.1.
/// let mut y: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// y[100] = 50.0;
/// let s = xrd_io::peak_sigmas(&y);
/// assert!((s - 50.0 / (1.4826 * 2.0 / std::f64::consts::SQRT_2)).abs() < 1e-9);
/// assert!(s > xrd_io::MIN_PEAK_SIGMAS);
/// ```
pub fn peak_sigmas<F: Float>(background_free: &[F]) -> f64 {
    let max = background_free
        .iter()
        .map(|v| v.as_f64())
        .fold(0.0, f64::max);
    if max <= 0.0 {
        return 0.0;
    }
    max / noise_sigma(background_free.iter().copied())
}

/// Below this [`smoothing_noise_ratio`], a pattern's noise is taken for independent from point
/// to point. Chosen on synthetic patterns of independent counting noise (the `line_noise`
/// probe of xrd-benches: 5–90°, 40 lines or 120 dense narrow ones, 300 and 100 patterns at each
/// step of 0.005–0.08°): the ratio read 1.32 at most at steps up to 0.04°, and one pattern of
/// 300 at 0.06° read 1.43 (a factor of 1.09). Measured, it reads 1.13 at most on the 457 RRUFF
/// patterns and 1.15 on dara_dev's 20 scans, so none of their thresholds moves.
pub const CORRELATION_ONSET: f64 = 1.4;

/// From this [`smoothing_noise_ratio`] on, the ratio read is the factor: noise shared by pairs
/// of neighbouring points is 1.9045 (synthetic patterns read 1.52–2.29, medians 1.73–1.93), by
/// three 2.709 (read 2.22–3.06, medians 2.51–2.76: the line search's mask takes out the noise's
/// own largest wiggles, so it reads a little low), and noise shared more widely reads as three's
/// at most (the ratio reads lags up to 3). Between [`CORRELATION_ONSET`] and here the factor
/// rises linearly from 1, so that it never jumps.
pub const CORRELATION_FULL: f64 = 1.6;

/// The fewest pairs of points at each lag [`smoothing_noise_ratio`] reads.
const MIN_PAIRS: usize = 200;

/// γ(2)/γ(1) above which [`smoothing_noise_ratio`] reads a smooth curve, not noise: noise
/// reads 1 (independent) to 2 (shared by pairs of neighbours or more), a smooth curve 4.
const SMOOTH_CURVE: f64 = 3.0;

/// The largest lag [`smoothing_noise_ratio`] reads: the correlation of 1–2 neighbours that
/// strip detectors and rebinning leave; longer lags take in the flanks of weak lines.
const MAX_LAG: usize = 3;

/// How much more noise the smoothing `kernel` leaves in `y` than it would leave in white noise of
/// `y`'s point-to-point σ ([`noise_sigma`]): 1 for independent noise, 1.9045 for noise shared
/// by pairs of neighbouring points (which the point-to-point differences see only half of, and
/// the smoothing averages away less), 2.709 for noise shared by three or more (only lags up to 3
/// are read). `None` when fewer than 200 pairs of points are kept at some lag, a kept value is
/// not finite, they do not scatter, their differences grow with the lag as a smooth curve's do
/// (γ(2) > 3 γ(1): a noiseless pattern's tails), or `kernel` has no weight.
///
/// Read from the semivariogram γ(k) = ½ E (y<sub>i+k</sub> − y<sub>i</sub>)² of the points
/// `keep` marks (a background-free pattern's background: no line within reach and no
/// background's slope, so none in the differences) at lags k = 1..=3, each from the mean of the
/// smallest 90 % of |y<sub>i+k</sub> − y<sub>i</sub>| (what a weak line's flank leaves in the
/// largest is cut, and the mean, unlike the median, moves in steps finer than integer counts').
/// Covariances C(k) = γ(3) − γ(k) up to lag 2 and 0 beyond give the kernel's output
/// variance Σⱼ Σₗ wⱼ wₗ C(|j − l|), whose square root, over that of white noise (γ(1) Σⱼ wⱼ²),
/// is the ratio.
///
/// ```
/// // Independent ±1 noise, then the same noise shared by pairs of neighbours.
/// let mut state = 7u64;
/// let mut unit = || {
///     state ^= state << 13;
///     state ^= state >> 7;
///     state ^= state << 17;
///     (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
/// };
/// let white: Vec<f64> = (0..5000).map(|_| unit()).collect();
/// let shared: Vec<f64> = white.windows(2).map(|w| w[0] + w[1]).collect();
/// let keep = vec![true; 5000];
/// let kernel = [-21.0, 14.0, 39.0, 54.0, 59.0, 54.0, 39.0, 14.0, -21.0];
/// let r = xrd_io::smoothing_noise_ratio(&white, &keep, &kernel).unwrap();
/// assert!((r - 1.0).abs() < 0.1, "{r}");
/// let r = xrd_io::smoothing_noise_ratio(&shared, &keep[1..], &kernel).unwrap();
/// assert!((r - 1.9).abs() < 0.15, "{r}");
/// assert!(xrd_io::smoothing_noise_ratio(&white[..100], &keep[..100], &kernel).is_none());
/// ```
pub fn smoothing_noise_ratio(y: &[f64], keep: &[bool], kernel: &[f64]) -> Option<f64> {
    let n = y.len().min(keep.len());
    let mut gamma = [0.0; MAX_LAG + 1];
    let mut d = Vec::with_capacity(n);
    for (k, g) in gamma.iter_mut().enumerate().skip(1) {
        d.clear();
        d.extend(
            (0..n.saturating_sub(k))
                .filter(|&i| keep[i] && keep[i + k])
                .map(|i| (y[i + k] - y[i]).abs()),
        );
        if d.len() < MIN_PAIRS || d.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let kept = d.len() * 9 / 10;
        d.select_nth_unstable_by(kept, f64::total_cmp);
        let mean = d[..kept].iter().sum::<f64>() / kept as f64;
        // The same scale at every lag, so its constant cancels in the ratios.
        *g = mean * mean;
    }
    // Noise's differences grow with the lag at most in proportion (γ(2) = 2γ(1) for noise
    // shared by neighbours, γ(2) = γ(1) for independent noise); a smooth curve's grow with its
    // square (γ(2) = 4γ(1)): a noiseless pattern's tails are no noise to read.
    if !(gamma[1] > 0.0 && gamma[2] <= SMOOTH_CURVE * gamma[1]) {
        return None;
    }
    let plateau = gamma[MAX_LAG];
    let covariance = |h: usize| match h {
        0 => plateau,
        h if h < MAX_LAG => plateau - gamma[h],
        _ => 0.0,
    };
    let mut var = 0.0;
    for (j, wj) in kernel.iter().enumerate() {
        for (l, wl) in kernel.iter().enumerate() {
            var += wj * wl * covariance(j.abs_diff(l));
        }
    }
    let white = gamma[1] * kernel.iter().map(|w| w * w).sum::<f64>();
    (white > 0.0 && white.is_finite()).then(|| (var.max(0.0) / white).sqrt())
}

/// What a line search multiplies its noise by for a measured [`smoothing_noise_ratio`]: 1 up
/// to [`CORRELATION_ONSET`] (synthetic independent noise read up to 1.32 at steps to 0.04°),
/// the ratio itself from [`CORRELATION_FULL`] on, and linear in between, so that it never jumps.
///
/// ```
/// use xrd_io::correlation_factor;
/// assert_eq!(correlation_factor(1.2), 1.0);
/// assert_eq!(correlation_factor(1.9), 1.9);
/// assert!((correlation_factor(1.5) - 1.3).abs() < 1e-12);
/// ```
pub fn correlation_factor(ratio: f64) -> f64 {
    if ratio.is_nan() || ratio <= CORRELATION_ONSET {
        1.0
    } else if ratio >= CORRELATION_FULL {
        ratio
    } else {
        1.0 + (ratio - CORRELATION_ONSET) * (CORRELATION_FULL - 1.0)
            / (CORRELATION_FULL - CORRELATION_ONSET)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use rand::SeedableRng;
    use rand::distr::Distribution;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use xrd_core::random::BoxMuller;

    /// The line search's smoothing.
    const SG9: [f64; 9] = crate::observed::SMOOTH;

    /// `n` standard normals of seed `seed`.
    pub(crate) fn normals(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        BoxMuller.sample_iter(&mut rng).take(n).collect()
    }

    /// Noise shared by `m` neighbours: the moving sum of `m` independent normals.
    pub(crate) fn shared(m: usize, n: usize, seed: u64) -> Vec<f64> {
        let u = normals(n + m - 1, seed);
        u.windows(m).map(|w| w.iter().sum()).collect()
    }

    /// The ratio from its definition for a moving sum of `m` (ρ_k = 1 − k/m within m): the
    /// smoothing's variance over that of white noise with the same point-to-point differences.
    fn exact(m: usize) -> f64 {
        let rho = |h: usize| {
            if h < m {
                1.0 - h as f64 / m as f64
            } else {
                0.0
            }
        };
        let var: f64 = (0..9)
            .flat_map(|j| (0..9).map(move |l| (j, l)))
            .map(|(j, l)| SG9[j] * SG9[l] * rho(j.abs_diff(l)))
            .sum();
        let gamma1 = 1.0 - rho(1);
        (var / (gamma1 * SG9.iter().map(|w| w * w).sum::<f64>())).sqrt()
    }

    #[test]
    fn independent_noise_reads_one_and_shared_noise_its_exact_ratio() {
        let keep = vec![true; 20_000];
        for seed in 1..=3 {
            let r = smoothing_noise_ratio(&normals(20_000, seed), &keep, &SG9).unwrap();
            assert!((r - 1.0).abs() < 0.05, "seed {seed}: {r}");
        }
        // 1.9045 and 2.7091 from the definition.
        for (m, expect) in [(2, 1.9045), (3, 2.7091)] {
            assert!((exact(m) - expect).abs() < 1e-3, "{m}: {}", exact(m));
            let r = smoothing_noise_ratio(&shared(m, 20_000, 5), &keep, &SG9).unwrap();
            assert!(
                (r - expect).abs() < 0.06 * expect,
                "m = {m}: {r} against {expect}"
            );
        }
    }

    #[test]
    fn only_the_kept_pairs_are_read() {
        // Independent noise, then a stretch of huge shared noise that is masked out.
        let mut y = normals(10_000, 9);
        let loud = shared(3, 2_000, 10);
        y[4_000..6_000]
            .iter_mut()
            .zip(&loud)
            .for_each(|(v, l)| *v = 100.0 * l);
        let mut keep = vec![true; y.len()];
        keep[4_000..6_000].fill(false);
        // 8,000 points read: a scatter of a few per cent.
        let r = smoothing_noise_ratio(&y, &keep, &SG9).unwrap();
        assert!((r - 1.0).abs() < 0.1, "{r}");
        // Read unmasked, it dominates: noise shared by three reads near 2.7.
        let all = smoothing_noise_ratio(&y, &vec![true; y.len()], &SG9).unwrap();
        assert!(all > 2.3, "{all}");
    }

    #[test]
    fn too_few_pairs_no_scatter_a_smooth_curve_or_a_nan_read_nothing() {
        let keep = vec![true; 1_000];
        let y = normals(1_000, 3);
        // 199 pairs at lag 1 (200 points kept), then 200 pairs at lags 1 to 3 (203).
        let mut few = vec![false; 1_000];
        few[..200].fill(true);
        assert!(smoothing_noise_ratio(&y, &few, &SG9).is_none());
        few[..203].fill(true);
        assert!(smoothing_noise_ratio(&y, &few, &SG9).is_some());
        assert!(smoothing_noise_ratio(&[5.0; 1_000], &keep, &SG9).is_none());
        // A noiseless Gaussian's flank: differences that grow with the square of the lag.
        let curve: Vec<f64> = (0..1_000)
            .map(|i| 1e4 * (-0.5 * ((i as f64 - 1_200.0) / 300.0).powi(2)).exp())
            .collect();
        assert!(smoothing_noise_ratio(&curve, &keep, &SG9).is_none());
        let mut bad = y.clone();
        bad[500] = f64::NAN;
        assert!(smoothing_noise_ratio(&bad, &keep, &SG9).is_none());
        assert!(smoothing_noise_ratio(&y, &keep, &[]).is_none());
        assert!(smoothing_noise_ratio(&y, &keep, &[0.0; 9]).is_none());
        // A mask shorter than the values reads the values it covers.
        assert_eq!(
            smoothing_noise_ratio(&y, &keep[..600], &SG9),
            smoothing_noise_ratio(&y[..600], &keep[..600], &SG9)
        );
    }

    #[test]
    fn the_factor_is_one_below_the_onset_the_ratio_from_full_and_never_jumps() {
        assert_eq!(correlation_factor(f64::NAN), 1.0);
        assert_eq!(correlation_factor(0.5), 1.0);
        assert_eq!(correlation_factor(CORRELATION_ONSET), 1.0);
        assert_eq!(correlation_factor(CORRELATION_FULL), CORRELATION_FULL);
        assert_eq!(correlation_factor(2.7), 2.7);
        let mut last = 1.0;
        for k in 0..=2_000 {
            let f = correlation_factor(1.0 + k as f64 * 1e-3);
            assert!(f >= last && f - last < 4e-3, "{k}: {last} → {f}");
            last = f;
        }
    }
}
