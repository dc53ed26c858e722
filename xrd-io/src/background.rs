//! Background estimation by SNIP (statistics-sensitive non-linear iterative peak clipping;
//! Ryan et al. 1988, Morháč et al. 1997).

use crate::{Error, Float, Location, Pattern, Result};

/// Estimates the background of `y` with SNIP: for window p = 1…`half_width` points, every value is
/// clipped to the mean of its neighbours p points away when that mean is lower. With `lls`, the
/// clipping runs on the log-log-square-root transform ln(ln(√(y+1)+1)+1) of the intensities
/// (negative values clipped to 0), which follows Poisson-noise baselines better; without it a
/// linear baseline is preserved exactly.
///
/// `half_width` should be about the full width of the broadest peak, in points.
///
/// ```
/// use xrd_io::snip;
/// let y: Vec<f64> = (0..200).map(|i| 10.0 + 0.1 * i as f64 + if i == 100 { 50.0 } else { 0.0 }).collect();
/// let bg = snip(&y, 5, false)?;
/// assert!((bg[100] - 20.0).abs() < 1e-9); // the spike is clipped to the line under it
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// [`Error::Degenerate`] for empty input, [`Error::InvalidParameter`] for `half_width == 0`,
/// [`Error::NonFinite`] for NaN or infinite values.
pub fn snip<F: Float>(y: &[F], half_width: usize, lls: bool) -> Result<Vec<F>> {
    if y.is_empty() {
        return Err(Error::Degenerate {
            what: "SNIP background",
            reason: "no values".into(),
        });
    }
    if half_width == 0 {
        return Err(Error::param(
            "half_width",
            crate::error::reason(0, "at least one point"),
        ));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            file: crate::error::NO_FILE.into(),
            at: Location::Point(i),
            what: "intensity",
            value: y[i].as_f64(),
        });
    }
    let forward = |v: f64| {
        if lls {
            ((v.max(0.0) + 1.0).sqrt() + 1.0).ln().ln_1p()
        } else {
            v
        }
    };
    let inverse = |v: f64| {
        if lls {
            ((v.exp() - 1.0).exp() - 1.0).powi(2) - 1.0
        } else {
            v
        }
    };
    let mut v: Vec<f64> = y.iter().map(|x| forward(x.as_f64())).collect();
    let mut next = v.clone();
    let n = v.len();
    for p in 1..=half_width.min(n / 2) {
        for i in p..n - p {
            next[i] = v[i].min(0.5 * (v[i - p] + v[i + p]));
        }
        v.copy_from_slice(&next);
    }
    Ok(v.into_iter().map(|x| F::of(inverse(x))).collect())
}

/// The running minimum of `y` over the window [i − h, i + h] (clipped at the ends), by van Herk and
/// Gil-Werman: on the series padded with h infinities at each end and cut into blocks of
/// w = 2h + 1 points, the minima from each block's start (`ahead`) and to each block's end
/// (`behind`); a window meets at most two blocks, so its minimum is `behind` at its first point
/// against `ahead` at its last. Three comparisons per point, no branches on the data, and the
/// same values as a direct minimum (a minimum is exact).
pub fn running_minimum<F: Float>(y: &[F], h: usize) -> Vec<f64> {
    let n = y.len();
    // From h = n − 1 on every clipped window is the whole series: the same values, and a
    // tiny grid step (a huge h) allocates nothing more.
    let h = h.min(n.saturating_sub(1));
    let w = 2 * h + 1;
    let pad = |v: &mut Vec<f64>| {
        v.resize(n + 2 * h, f64::INFINITY);
        for (p, x) in v[h..h + n].iter_mut().zip(y.iter()) {
            *p = x.as_f64();
        }
    };
    let (mut ahead, mut behind) = (Vec::new(), Vec::new());
    pad(&mut ahead);
    pad(&mut behind);
    for block in ahead.chunks_mut(w) {
        for p in 1..block.len() {
            block[p] = block[p].min(block[p - 1]);
        }
    }
    for block in behind.chunks_mut(w) {
        for p in (0..block.len() - 1).rev() {
            block[p] = block[p].min(block[p + 1]);
        }
    }
    (0..n).map(|i| behind[i].min(ahead[i + 2 * h])).collect()
}

/// `y` minus its rolling-minimum background: the running minimum over windows of `w` points
/// (half width w/2), smoothed by a running mean over the same windows, subtracted; negative
/// values set to 0. Cheaper than [`snip`] and blind to the curvature of a broad hump, it is what
/// the classifier's input transform and the indexing's line finder use (with a window a few
/// peak widths wide).
///
/// ```
/// use xrd_io::without_rolling_background;
/// let mut y: Vec<f64> = (0..200).map(|i| 0.3 + 0.001 * i as f64).collect();
/// y[100] += 1.0;
/// let peak = without_rolling_background(&y, 21);
/// assert!(peak[100] > 0.9 && peak[50] < 0.06);
/// ```
pub fn without_rolling_background<F: Float>(y: &[F], w: usize) -> Vec<f64> {
    clipped_difference(y, &rolling_background(y, w))
}

/// The rolling-minimum background of `y` that [`without_rolling_background`] subtracts: the
/// running minimum over windows of `w` points, smoothed by a running mean over the same windows.
///
/// ```
/// use xrd_io::{rolling_background, without_rolling_background};
/// let mut y: Vec<f64> = (0..200).map(|i| 0.3 + 0.001 * i as f64).collect();
/// y[100] += 1.0;
/// let bg = rolling_background(&y, 21);
/// let peak = without_rolling_background(&y, 21);
/// assert!(y.iter().zip(&bg).zip(&peak).all(|((y, b), p)| *p == (y - b).max(0.0)));
/// ```
pub fn rolling_background<F: Float>(y: &[F], w: usize) -> Vec<f64> {
    running_mean(&running_minimum(y, w / 2), w / 2)
}

/// The running maximum of `y` over the window [i − h, i + h] (clipped at the ends):
/// [`running_minimum`] of −y, negated.
pub fn running_maximum<F: Float>(y: &[F], h: usize) -> Vec<f64> {
    let negated: Vec<f64> = y.iter().map(|v| -v.as_f64()).collect();
    running_minimum(&negated, h)
        .into_iter()
        .map(|v| -v)
        .collect()
}

/// `y` minus its top-hat background: the morphological opening of `y` over windows of `w`
/// points (the running minimum, then the running maximum of that, half width w/2 each),
/// smoothed by a running mean over the same windows, subtracted; negative values set to 0.
/// Peaks narrower than the window are removed by the opening and stand clear; under the top of
/// a broad hump the opening stays at its value half a window away, where the rolling minimum
/// of [`without_rolling_background`] drops to its value a whole window away, so a hump leaves
/// about half as much.
///
/// ```
/// use xrd_io::without_top_hat_background;
/// let mut y: Vec<f64> = (0..400)
///     .map(|i| 0.3 + 0.2 * (-0.5 * ((i as f64 - 200.0) / 80.0).powi(2)).exp())
///     .collect();
/// y[120] += 1.0;
/// let peak = without_top_hat_background(&y, 41);
/// assert!(peak[120] > 0.95 && peak[200] < 0.01);
/// ```
pub fn without_top_hat_background<F: Float>(y: &[F], w: usize) -> Vec<f64> {
    clipped_difference(y, &top_hat_background(y, w))
}

/// The top-hat background [`without_top_hat_background`] subtracts.
pub(crate) fn top_hat_background<F: Float>(y: &[F], w: usize) -> Vec<f64> {
    let opened = running_maximum(&running_minimum(y, w / 2), w / 2);
    running_mean(&opened, w / 2)
}

/// The running mean of `bg` over [i − h, i + h] (clipped at the ends).
fn running_mean(bg: &[f64], h: usize) -> Vec<f64> {
    let n = bg.len();
    let mut sum = vec![0.0; n + 1];
    for (i, v) in bg.iter().enumerate() {
        sum[i + 1] = sum[i] + v;
    }
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(h), i.saturating_add(h + 1).min(n));
            (sum[hi] - sum[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// `y` − `bg`, at least 0.
pub(crate) fn clipped_difference<F: Float>(y: &[F], bg: &[f64]) -> Vec<f64> {
    y.iter()
        .zip(bg)
        .map(|(v, b)| (v.as_f64() - b).max(0.0))
        .collect()
}

impl Pattern {
    /// The SNIP background ([`snip`], with the LLS transform) for peaks up to `width` degrees wide.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `width` is finite and positive; as [`snip`].
    pub fn background(&self, width: f64) -> Result<Vec<f64>> {
        let half_width = ((width / self.step_for(width)?).round() as usize).max(1);
        snip(self.intensity(), half_width, true)
    }

    /// The pattern minus its top-hat background ([`without_top_hat_background`]) over a window
    /// of `width` degrees (at least three points).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `width` is finite and positive.
    pub fn without_top_hat_background(&self, width: f64) -> Result<Vec<f64>> {
        Ok(clipped_difference(
            self.intensity(),
            &self.top_hat_background(width)?,
        ))
    }

    /// The top-hat background over a window of `width` degrees (at least three points).
    pub(crate) fn top_hat_background(&self, width: f64) -> Result<Vec<f64>> {
        let window = (width / self.step_for(width)?).round().clamp(3.0, 1e9) as usize;
        Ok(top_hat_background(self.intensity(), window))
    }

    /// The mean 2θ step, against which a background window of `width` degrees is counted in
    /// points (`width` itself for a single point).
    pub(crate) fn step_for(&self, width: f64) -> Result<f64> {
        if !(width.is_finite() && width > 0.0) {
            return Err(Error::param(
                "width",
                crate::error::reason(width.to_string(), "a finite width > 0 degrees"),
            ));
        }
        let (a, b) = self.range();
        Ok(if self.len() > 1 {
            (b - a) / (self.len() - 1) as f64
        } else {
            width
        })
    }

    /// How many noise σ the pattern's strongest point stands above its top-hat background
    /// ([`Pattern::without_top_hat_background`] over `width` degrees; [`crate::peak_sigmas`]). Below
    /// [`crate::MIN_PEAK_SIGMAS`] the pattern holds no peak worth reading.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `width` is finite and positive.
    pub fn peak_sigmas(&self, width: f64) -> Result<f64> {
        // Refused under this method's own argument name, `width`.
        self.step_for(width)?;
        let preparation = crate::Preparation::default()
            .background(crate::Background::TopHat)
            .background_width(width);
        Ok(self.prepare(&preparation)?.peak_sigmas())
    }

    /// The pattern minus its [`Pattern::background`] (sigma kept: the background estimate adds no
    /// counting noise of its own).
    ///
    /// # Errors
    /// As [`Pattern::background`].
    pub fn subtract_background(&self, width: f64) -> Result<Pattern> {
        let bg = self.background(width)?;
        let y = self
            .intensity()
            .iter()
            .zip(&bg)
            .map(|(y, b)| y - b)
            .collect();
        let sigma = self.sigma().map(<[f64]>::to_vec);
        self.clone().with_intensity(y)?.with_sigma(sigma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::refused;

    #[test]
    fn running_minimum_against_naive() {
        let y: Vec<f32> = (0..50).map(|i| ((i * 37 % 17) as f32).sin()).collect();
        for h in [0, 1, 2, 3, 7, 10, 24, 25, 49, 60, usize::MAX / 2] {
            let fast = running_minimum(&y, h);
            for (i, &v) in fast.iter().enumerate() {
                let lo = i.saturating_sub(h);
                let hi = (i + h + 1).min(y.len());
                let naive = y[lo..hi].iter().copied().fold(f32::INFINITY, f32::min);
                assert_eq!(v, f64::from(naive), "h {h} i {i}");
            }
        }
    }

    #[test]
    fn running_maximum_and_top_hat_against_naive() {
        let y: Vec<f64> = (0..60).map(|i| f64::from(i * 37 % 17).sin()).collect();
        let window = |i: usize, h: usize| i.saturating_sub(h)..(i + h + 1).min(y.len());
        for h in [0, 1, 2, 5, 30, 70] {
            let max = running_maximum(&y, h);
            let min = running_minimum(&y, h);
            for i in 0..y.len() {
                let naive = y[window(i, h)].iter().copied().fold(f64::MIN, f64::max);
                assert_eq!(max[i], naive, "h {h} i {i}");
            }
            // The opening, its running mean, subtracted: point by point.
            let opened: Vec<f64> = (0..y.len())
                .map(|i| min[window(i, h)].iter().copied().fold(f64::MIN, f64::max))
                .collect();
            let fast = without_top_hat_background(&y, 2 * h);
            for i in 0..y.len() {
                let r = window(i, h);
                let mean = opened[r.clone()].iter().sum::<f64>() / r.len() as f64;
                let naive = (y[i] - mean).max(0.0);
                assert!((fast[i] - naive).abs() < 1e-12, "h {h} i {i}");
            }
        }
    }

    #[test]
    fn a_hump_leaves_less_after_the_top_hat_than_after_the_rolling_minimum() {
        // A Gaussian hump of σ 100 points under a window of 201: at the top the opening stays
        // at the hump's value half a window away, e^(−1/2) (so 1 − e^(−1/2) is left), where the
        // rolling minimum averages its values from half to a whole window away.
        let y: Vec<f64> = (0..2000)
            .map(|i| (-0.5 * ((f64::from(i) - 1000.0) / 100.0).powi(2)).exp())
            .collect();
        let top_hat = without_top_hat_background(&y, 201)[1000];
        let rolling = without_rolling_background(&y, 201)[1000];
        assert!(
            (top_hat - (1.0 - (-0.5f64).exp())).abs() < 1e-3,
            "{top_hat}"
        );
        assert!(top_hat < 0.7 * rolling, "{top_hat} {rolling}");
    }

    #[test]
    fn a_window_wider_than_the_series_is_the_series() {
        // A window far wider than the series (a tiny grid step) allocates nothing more and
        // gives what a window just covering it gives.
        let y: Vec<f32> = (0..300)
            .map(|j| 0.1 + (-((j as f32 - 150.0) / 3.0).powi(2)).exp())
            .collect();
        assert_eq!(
            without_rolling_background(&y, usize::MAX),
            without_rolling_background(&y, 600)
        );
    }

    #[test]
    fn rolling_background_is_removed() {
        // A constant plus a slope: nothing is left but the peak.
        let mut y: Vec<f32> = (0..200).map(|i| 0.3 + 0.001 * i as f32).collect();
        y[100] += 1.0;
        let p = without_rolling_background(&y, 21);
        assert!(p[100] > 0.9);
        assert!(
            p.iter().enumerate().all(|(i, &v)| i == 100 || v < 0.06),
            "{p:?}"
        );
    }

    const TOL: f64 = 1e-9;

    fn signal(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let base: Vec<f64> = x.iter().map(|t| 100.0 + 2.0 * t).collect();
        let peaks = |t: f64| {
            [(20.0, 500.0), (35.0, 300.0), (50.0, 800.0)]
                .iter()
                .map(|&(c, h)| h * (-(t - c) * (t - c) / (2.0 * 0.1 * 0.1)).exp())
                .sum::<f64>()
        };
        (
            x.iter().zip(&base).map(|(&t, b)| b + peaks(t)).collect(),
            base,
        )
    }

    #[test]
    fn linear_baseline_is_recovered_under_peaks() {
        let x: Vec<f64> = (0..6000).map(|i| 10.0 + i as f64 * 0.01).collect();
        let (y, base) = signal(&x);
        let bg = snip(&y, 100, false).unwrap();
        for i in 0..x.len() {
            assert!(bg[i] <= y[i] + TOL);
            assert!(
                (bg[i] - base[i]).abs() < 1e-6,
                "at {}: {} vs {}",
                x[i],
                bg[i],
                base[i]
            );
        }
        let p = Pattern::new(x, y).unwrap();
        let flat = p.subtract_background(1.0).unwrap();
        // With the LLS transform the line is followed to within a few counts; peaks survive.
        let far = flat.intensity()[500];
        assert!(far.abs() < 5.0, "{far}");
        assert!(flat.intensity()[1000] > 450.0);
    }

    #[test]
    fn invalid_inputs() {
        assert!(matches!(
            snip::<f64>(&[], 3, true),
            Err(Error::Degenerate {
                what: "SNIP background",
                ..
            })
        ));
        assert_eq!(refused(snip(&[1.0, 2.0], 0, true)), "half_width");
        assert!(matches!(
            snip(&[1.0, f64::NAN], 1, false),
            Err(Error::NonFinite { .. })
        ));
        let p = Pattern::new(vec![1.0, 2.0, 3.0], vec![1.0, 5.0, 1.0]).unwrap();
        assert_eq!(refused(p.background(0.0)), "width");
        assert_eq!(refused(p.background(f64::NAN)), "width");
        assert_eq!(p.background(1.0).unwrap().len(), 3);
        assert_eq!(snip(&[1.0f32, 9.0, 1.0], 1, true).unwrap()[1], 1.0);
        assert_eq!(refused(p.peak_sigmas(0.0)), "width");
        assert_eq!(refused(p.peak_sigmas(f64::INFINITY)), "width");
        assert_eq!(refused(p.without_top_hat_background(f64::NAN)), "width");
    }

    #[test]
    fn a_top_hat_width_in_degrees_is_a_window_in_points() {
        let x: Vec<f64> = (0..101).map(|i| 10.0 + 0.1 * f64::from(i)).collect();
        let y: Vec<f64> = (0..101).map(|i| f64::from(i * 37 % 17)).collect();
        let p = Pattern::new(x, y.clone()).unwrap();
        assert_eq!(
            p.without_top_hat_background(2.0).unwrap(),
            without_top_hat_background(&y, 20)
        );
        // Never fewer than three points.
        assert_eq!(
            p.without_top_hat_background(0.01).unwrap(),
            without_top_hat_background(&y, 3)
        );
    }

    #[test]
    fn peak_sigmas_of_a_peak_on_a_slope_and_of_a_slope_alone() {
        // A gentle slope (the top-hat's window is clipped at the ends, where a steep one would
        // stand out) with alternating noise of ±1 (σ = 1.4826·2/√2), and a peak of 100 at 50°.
        let x: Vec<f64> = (0..1001).map(|i| 40.0 + 0.02 * f64::from(i)).collect();
        let slope: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, t)| 0.5 * t + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let peaked: Vec<f64> = x
            .iter()
            .zip(&slope)
            .map(|(t, y)| y + 100.0 * (-((t - 50.0) / 0.1).powi(2)).exp())
            .collect();
        let sigma = 1.4826 * 2.0 / std::f64::consts::SQRT_2;
        let flat = Pattern::new(x.clone(), slope)
            .unwrap()
            .peak_sigmas(5.0)
            .unwrap();
        assert!(flat < crate::MIN_PEAK_SIGMAS, "{flat}");
        let peak = Pattern::new(x, peaked).unwrap().peak_sigmas(5.0).unwrap();
        assert!((peak - 100.0 / sigma).abs() < 3.0 / sigma, "{peak}");
    }
}
