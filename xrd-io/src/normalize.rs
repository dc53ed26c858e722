//! Intensity normalisation: maximum 1, unit area, zero mean and unit variance.

use serde::{Deserialize, Serialize};

use crate::{Error, Float, Location, Pattern, Result};

/// A normalisation of intensities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Normalization {
    /// Divide by the maximum so that it becomes 1 (the paper's preprocessing).
    Max,
    /// Divide by the area so that it becomes 1: the sum of the values for a slice (unit spacing),
    /// the trapezoidal integral over 2θ for a [`Pattern`].
    Area,
    /// Subtract the mean and divide by the (population) standard deviation.
    ZScore,
}

/// Normalises `values` in place.
///
/// ```
/// use xrd_io::{normalize, Normalization};
/// let mut y = [1.0f32, 4.0, 2.0];
/// normalize(&mut y, Normalization::Max)?;
/// assert_eq!(y, [0.25, 1.0, 0.5]);
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// [`Error::Degenerate`] for an empty slice, a maximum ≤ 0 ([`Normalization::Max`]), a sum ≤ 0
/// ([`Normalization::Area`]) or zero variance ([`Normalization::ZScore`]); [`Error::NonFinite`]
/// when a value is NaN or infinite.
pub fn normalize<F: Float>(values: &mut [F], kind: Normalization) -> Result<()> {
    if values.is_empty() {
        return Err(Error::Degenerate {
            what: "normalisation",
            reason: "no values".into(),
        });
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            file: crate::error::NO_FILE.into(),
            at: Location::Point(i),
            what: "intensity",
            value: values[i].as_f64(),
        });
    }
    match kind {
        Normalization::Max => {
            let max = values.iter().copied().fold(F::neg_infinity(), F::max);
            scale(values, max, "maximum")
        }
        Normalization::Area => {
            let sum: F = values.iter().copied().sum();
            scale(values, sum, "sum")
        }
        Normalization::ZScore => {
            let n = F::of_usize(values.len());
            let mean = values.iter().copied().sum::<F>() / n;
            let var = values.iter().map(|&v| (v - mean) * (v - mean)).sum::<F>() / n;
            if var <= F::zero() {
                return Err(Error::Degenerate {
                    what: "z-score normalisation",
                    reason: "all values are equal".into(),
                });
            }
            let sd = var.sqrt();
            values.iter_mut().for_each(|v| *v = (*v - mean) / sd);
            Ok(())
        }
    }
}

fn scale<F: Float>(values: &mut [F], by: F, what: &str) -> Result<()> {
    if by <= F::zero() || !by.is_finite() {
        return Err(Error::Degenerate {
            what: "normalisation",
            reason: format!("the {what} is {by}, not > 0"),
        });
    }
    values.iter_mut().for_each(|v| *v /= by);
    Ok(())
}

impl Pattern {
    /// The pattern with normalised intensities (sigma scaled alike for `Max` and `Area`, dropped
    /// for `ZScore`). `Area` uses the trapezoidal integral over 2θ in degrees.
    ///
    /// # Errors
    /// As [`normalize`]; a single-point pattern has no area.
    pub fn normalized(&self, kind: Normalization) -> Result<Pattern> {
        let mut y = self.intensity().to_vec();
        let divisor = match kind {
            Normalization::Max => Some(self.max_intensity()),
            Normalization::Area => Some(trapezoid(self.two_theta(), self.intensity())),
            Normalization::ZScore => None,
        };
        match divisor {
            Some(d) => scale(
                &mut y,
                d,
                if kind == Normalization::Max {
                    "maximum"
                } else {
                    "area"
                },
            )?,
            None => normalize(&mut y, kind)?,
        }
        let sigma = match (divisor, self.sigma()) {
            (Some(d), Some(s)) => Some(s.iter().map(|v| v / d).collect()),
            _ => None,
        };
        let meta = self.meta().clone();
        Pattern::new(self.two_theta().to_vec(), y)?
            .with_sigma(sigma)
            .map(|p| p.with_wavelength(self.wavelength()).with_meta(meta))
    }
}

/// Trapezoidal integral of `y` over `x`.
pub(crate) fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn each_normalisation() {
        let mut a = [1.0, 3.0, 4.0];
        normalize(&mut a, Normalization::Area).unwrap();
        assert_eq!(a, [0.125, 0.375, 0.5]);
        let mut z = [1.0, 2.0, 3.0];
        normalize(&mut z, Normalization::ZScore).unwrap();
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((z[0] + 1.0 / sd).abs() < TOL && z[1].abs() < TOL && (z[2] - 1.0 / sd).abs() < TOL);
        let p = Pattern::new(vec![0.0, 1.0, 3.0], vec![0.0, 2.0, 2.0]).unwrap();
        let q = p.normalized(Normalization::Area).unwrap();
        assert!((trapezoid(q.two_theta(), q.intensity()) - 1.0).abs() < TOL);
        assert_eq!(
            p.normalized(Normalization::Max).unwrap().intensity(),
            &[0.0, 1.0, 1.0]
        );
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        // Which computation is undefined, and why.
        let why = |r: Result<()>| match r {
            Err(Error::Degenerate { what, reason }) => format!("{what}: {reason}"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            why(normalize::<f64>(&mut [], Normalization::Max)),
            "normalisation: no values"
        );
        assert_eq!(
            why(normalize(&mut [0.0, 0.0], Normalization::Max)),
            "normalisation: the maximum is 0, not > 0"
        );
        assert_eq!(
            why(normalize(&mut [2.0, 2.0], Normalization::ZScore)),
            "z-score normalisation: all values are equal"
        );
        assert_eq!(
            why(normalize(&mut [1.0, -1.0], Normalization::Area)),
            "normalisation: the sum is 0, not > 0"
        );
        assert!(matches!(
            normalize(&mut [1.0, f64::NAN], Normalization::Max),
            Err(Error::NonFinite { .. })
        ));
        let single = Pattern::new(vec![1.0], vec![1.0]).unwrap();
        let e = why(single.normalized(Normalization::Area).map(drop));
        assert!(e.starts_with("normalisation: the area is "), "{e}");
    }
}
