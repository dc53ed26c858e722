//! Mean ± sample standard deviation, the one summary of repeated measurements (seeds, folds),
//! and the median.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Mean and sample standard deviation of repeated measurements of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    /// Mean (NaN when there are no values).
    pub mean: f64,
    /// Sample standard deviation, divisor `n − 1` (0 for one value, NaN for none).
    pub sd: f64,
    /// Number of values.
    pub n: usize,
}

impl MeanSd {
    /// Mean and sample standard deviation of `values`.
    pub fn of(values: &[f64]) -> MeanSd {
        let n = values.len();
        if n == 0 {
            return MeanSd {
                mean: f64::NAN,
                sd: f64::NAN,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        MeanSd { mean, sd, n }
    }
}

impl fmt::Display for MeanSd {
    /// `mean ± sd` with four decimals (one from 100 up); `—` for no values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.n == 0 {
            return f.write_str("—");
        }
        let digits = if self.mean.abs() >= 100.0 { 1 } else { 4 };
        write!(f, "{:.*} ± {:.*}", digits, self.mean, digits, self.sd)
    }
}

/// The median (NaN for an empty slice); sorts `values` in place (NaN last).
///
/// ```
/// assert_eq!(xrd_core::median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
/// assert!(xrd_core::median(&mut []).is_nan());
/// ```
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let m = values.len() / 2;
    if values.len() % 2 == 1 {
        values[m]
    } else {
        0.5 * (values[m - 1] + values[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_sd_single_and_empty() {
        let s = MeanSd::of(&[1.0, 2.0, 3.0]);
        assert_eq!((s.mean, s.sd, s.n), (2.0, 1.0, 3));
        assert_eq!(s.to_string(), "2.0000 ± 1.0000");
        let one = MeanSd::of(&[5.0]);
        assert_eq!((one.mean, one.sd), (5.0, 0.0));
        let none = MeanSd::of(&[]);
        assert!(none.mean.is_nan() && none.sd.is_nan());
        assert_eq!(none.to_string(), "—");
    }
}
