//! Conversions between 2θ (degrees), d-spacing (Å) and scattering vector q = 4π sin θ / λ (Å⁻¹),
//! and re-expressing a pattern at another wavelength.
//!
//! ```
//! use xrd_io::Wavelength;
//! use xrd_io::conversion::{d_from_two_theta, two_theta_from_d, q_from_two_theta};
//! let cu = Wavelength::CU_KA1;
//! let d = d_from_two_theta(28.443, cu)?; // Si (111)
//! assert!((d - 3.1356).abs() < 1e-3);
//! assert!((two_theta_from_d(d, cu)? - 28.443).abs() < 1e-9);
//! assert!((q_from_two_theta(28.443, cu)? - 2.0 * std::f64::consts::PI / d).abs() < 1e-12);
//! # Ok::<(), xrd_io::Error>(())
//! ```

use std::f64::consts::PI;

use crate::{Error, Location, Pattern, Result, Wavelength};

fn domain(what: &'static str, value: f64, expected: &'static str) -> Error {
    Error::OutOfDomain {
        what,
        at: Location::Whole,
        value,
        expected,
    }
}

/// d = λ / (2 sin θ).
///
/// # Errors
/// [`Error::OutOfDomain`] unless 0 < 2θ ≤ 180°.
pub fn d_from_two_theta(two_theta: f64, wavelength: Wavelength) -> Result<f64> {
    let wavelength = wavelength.angstrom();
    if !(two_theta > 0.0 && two_theta <= 180.0) {
        return Err(domain("2θ", two_theta, "0 < 2θ ≤ 180°"));
    }
    Ok(wavelength / (2.0 * (two_theta.to_radians() / 2.0).sin()))
}

/// 2θ = 2 asin(λ / 2d).
///
/// # Errors
/// [`Error::OutOfDomain`] unless d > 0 and λ ≤ 2d (the reflection is reachable).
pub fn two_theta_from_d(d: f64, wavelength: Wavelength) -> Result<f64> {
    let wavelength = wavelength.angstrom();
    let s = wavelength / (2.0 * d);
    if !(d > 0.0 && s <= 1.0) {
        return Err(domain(
            "d-spacing",
            d,
            "d ≥ λ/2 > 0 (a reachable reflection)",
        ));
    }
    Ok(2.0 * s.asin().to_degrees())
}

/// q = 4π sin θ / λ (Å⁻¹).
///
/// # Errors
/// [`Error::OutOfDomain`] unless 0 ≤ 2θ ≤ 180°.
pub fn q_from_two_theta(two_theta: f64, wavelength: Wavelength) -> Result<f64> {
    let wavelength = wavelength.angstrom();
    if !(0.0..=180.0).contains(&two_theta) {
        return Err(domain("2θ", two_theta, "0 ≤ 2θ ≤ 180°"));
    }
    Ok(4.0 * PI * (two_theta.to_radians() / 2.0).sin() / wavelength)
}

/// 2θ = 2 asin(qλ / 4π).
///
/// # Errors
/// [`Error::OutOfDomain`] unless 0 ≤ q ≤ 4π/λ.
pub fn two_theta_from_q(q: f64, wavelength: Wavelength) -> Result<f64> {
    let wavelength = wavelength.angstrom();
    let s = q * wavelength / (4.0 * PI);
    if !(0.0..=1.0).contains(&s) {
        return Err(domain("q", q, "0 ≤ q ≤ 4π/λ"));
    }
    Ok(2.0 * s.asin().to_degrees())
}

/// d = 2π / q.
///
/// # Errors
/// [`Error::OutOfDomain`] unless q is finite and positive.
pub fn d_from_q(q: f64) -> Result<f64> {
    if !(q.is_finite() && q > 0.0) {
        return Err(domain("q", q, "a finite q > 0"));
    }
    Ok(2.0 * PI / q)
}

/// q = 2π / d.
///
/// # Errors
/// [`Error::OutOfDomain`] unless d is finite and positive.
pub fn q_from_d(d: f64) -> Result<f64> {
    if !(d.is_finite() && d > 0.0) {
        return Err(domain("d-spacing", d, "a finite d > 0"));
    }
    Ok(2.0 * PI / d)
}

impl Pattern {
    fn own_wavelength(&self) -> Result<Wavelength> {
        self.wavelength().ok_or(Error::Degenerate {
            what: "2θ conversion",
            reason: "the pattern has no wavelength (set one with with_wavelength)".into(),
        })
    }

    /// The d-spacing (Å) of every point, using the primary wavelength.
    ///
    /// # Errors
    /// [`Error::Degenerate`] without a wavelength; [`Error::OutOfDomain`] for 2θ ≤ 0.
    pub fn d_spacings(&self) -> Result<Vec<f64>> {
        let w = self.own_wavelength()?;
        self.two_theta()
            .iter()
            .map(|&t| d_from_two_theta(t, w))
            .collect()
    }

    /// The scattering vector q (Å⁻¹) of every point, using the primary wavelength.
    ///
    /// # Errors
    /// [`Error::Degenerate`] without a wavelength; [`Error::OutOfDomain`] for 2θ < 0.
    pub fn q_values(&self) -> Result<Vec<f64>> {
        let w = self.own_wavelength()?;
        self.two_theta()
            .iter()
            .map(|&t| q_from_two_theta(t, w))
            .collect()
    }

    /// The pattern as it would appear at `wavelength`: every point keeps its d-spacing and
    /// intensity and moves to the new 2θ (no Lorentz-polarisation or absorption correction).
    /// Points whose reflection the new wavelength cannot reach (λ > 2d) are dropped; the axis stays
    /// strictly increasing because the mapping is monotonic.
    ///
    /// ```
    /// use xrd_io::{Pattern, Wavelength};
    /// let cu = Pattern::new(vec![20.0, 40.0, 60.0], vec![1.0, 2.0, 3.0])?.with_wavelength(Some(Wavelength::CU_KA1));
    /// let mo = cu.at_wavelength(Wavelength::MO_KA1)?;
    /// assert!(mo.two_theta()[0] < 10.0);
    /// assert_eq!(mo.d_spacings()?.len(), 3);
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Degenerate`] without a wavelength or when no point is reachable;
    /// [`Error::OutOfDomain`] for 2θ ≤ 0.
    pub fn at_wavelength(&self, wavelength: Wavelength) -> Result<Pattern> {
        let d = self.d_spacings()?;
        let mut x = Vec::with_capacity(d.len());
        let mut y = Vec::with_capacity(d.len());
        let mut s = self.sigma().map(|_| Vec::with_capacity(d.len()));
        for (i, &d) in d.iter().enumerate() {
            if let Ok(t) = two_theta_from_d(d, wavelength) {
                x.push(t);
                y.push(self.intensity()[i]);
                if let (Some(out), Some(src)) = (s.as_mut(), self.sigma()) {
                    out.push(src[i]);
                }
            }
        }
        if x.is_empty() {
            return Err(Error::Degenerate {
                what: "re-expressing at another wavelength",
                reason: format!(
                    "no reflection of the pattern is reachable at {} Å",
                    wavelength.angstrom()
                ),
            });
        }
        Ok(Pattern::new(x, y)?
            .with_sigma(s)?
            .with_wavelength(Some(wavelength))
            .with_meta(self.meta().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOL: f64 = 1e-9;

    #[test]
    fn domain_errors() {
        // The quantity refused as out of its domain.
        let refused = |r: Result<f64>| match r {
            Err(Error::OutOfDomain { what, .. }) => what.to_owned(),
            other => format!("{other:?}"),
        };
        let cu = Wavelength::synchrotron(1.5406);
        assert_eq!(refused(d_from_two_theta(0.0, cu)), "2θ");
        assert_eq!(refused(two_theta_from_d(0.5, cu)), "d-spacing");
        assert_eq!(refused(two_theta_from_q(100.0, cu)), "q");
        assert_eq!(refused(d_from_q(0.0)), "q");
        assert_eq!(refused(q_from_d(f64::NAN)), "d-spacing");
        let err = two_theta_from_d(0.5, cu).unwrap_err().to_string();
        assert!(err.contains("0.5") && err.contains("reachable"), "{err}");
        let p = Pattern::new(vec![10.0], vec![1.0]).unwrap();
        assert!(matches!(p.d_spacings(), Err(Error::Degenerate { .. })));
        let hi = Pattern::new(vec![150.0, 170.0], vec![1.0, 1.0])
            .unwrap()
            .with_wavelength(Some(Wavelength::MO_KA1));
        assert!(matches!(
            hi.at_wavelength(Wavelength::CR_KA1),
            Err(Error::Degenerate { .. })
        ));
        let partial = Pattern::new(vec![20.0, 150.0], vec![1.0, 2.0])
            .unwrap()
            .with_wavelength(Some(Wavelength::MO_KA1));
        assert_eq!(
            partial
                .at_wavelength(Wavelength::CU_KA1)
                .unwrap()
                .intensity(),
            &[1.0]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn conversions_invert_each_other(t in 1.0f64..179.0, w in 0.3f64..2.5) {
            let w = Wavelength::synchrotron(w);
            let d = d_from_two_theta(t, w).unwrap();
            prop_assert!((two_theta_from_d(d, w).unwrap() - t).abs() < 1e-8);
            let q = q_from_two_theta(t, w).unwrap();
            prop_assert!((two_theta_from_q(q, w).unwrap() - t).abs() < 1e-8);
            prop_assert!((d_from_q(q).unwrap() - d).abs() < TOL * d.max(1.0));
            prop_assert!((q_from_d(d).unwrap() - q).abs() < TOL * q.max(1.0));
        }
    }
}
