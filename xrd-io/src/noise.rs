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
