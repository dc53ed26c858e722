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
