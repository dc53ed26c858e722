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
        return Err(Error::InvalidParameter {
            name: "half_width",
            value: "0".into(),
            expected: "at least one point",
        });
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

impl Pattern {
    /// The SNIP background ([`snip`], with the LLS transform) for peaks up to `width` degrees wide.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `width` is finite and positive; as [`snip`].
    pub fn background(&self, width: f64) -> Result<Vec<f64>> {
        if !(width.is_finite() && width > 0.0) {
            return Err(Error::InvalidParameter {
                name: "width",
                value: width.to_string(),
                expected: "a finite width > 0 degrees",
            });
        }
        let (a, b) = self.range();
        let mean_step = if self.len() > 1 {
            (b - a) / (self.len() - 1) as f64
        } else {
            width
        };
        let half_width = ((width / mean_step).round() as usize).max(1);
        snip(self.intensity(), half_width, true)
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
        assert!(snip::<f64>(&[], 3, true).is_err());
        assert!(snip(&[1.0, 2.0], 0, true).is_err());
        assert!(matches!(
            snip(&[1.0, f64::NAN], 1, false),
            Err(Error::NonFinite { .. })
        ));
        let p = Pattern::new(vec![1.0, 2.0, 3.0], vec![1.0, 5.0, 1.0]).unwrap();
        assert!(p.background(0.0).is_err() && p.background(f64::NAN).is_err());
        assert_eq!(p.background(1.0).unwrap().len(), 3);
        assert_eq!(snip(&[1.0f32, 9.0, 1.0], 1, true).unwrap()[1], 1.0);
    }
}
