//! Kα2 stripping by the Rachinger (1948) method.

use crate::{Error, Pattern, Result};

impl Pattern {
    /// Removes the Kα2 component: scanning up in 2θ, I₁(2θ) = I(2θ) − R·I₁(2θ′), where 2θ′ is the
    /// Kα1 position of the d-spacing whose Kα2 line falls at 2θ (sin θ′ = (λ1/λ2) sin θ) and R the
    /// Kα2/Kα1 intensity ratio; I₁(2θ′) is interpolated linearly from the values already computed.
    /// The result carries the wavelength without its Kα2 line.
    ///
    /// Requires a doublet wavelength ([`crate::Wavelength::doublet`] or an anode's `*_KA`).
    ///
    /// ```
    /// use xrd_io::{Pattern, Wavelength};
    /// let p = Pattern::uniform(40.0, 0.01, vec![1.0; 500])?.with_wavelength(Some(Wavelength::CU_KA));
    /// let stripped = p.strip_kalpha2()?;
    /// assert_eq!(stripped.wavelength(), Some(Wavelength::CU_KA1));
    /// assert!((stripped.intensity()[400] - 1.0 / 1.5).abs() < 1e-9); // a flat signal loses ⅓
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Degenerate`] when the pattern has no Kα1/Kα2 doublet wavelength.
    pub fn strip_kalpha2(&self) -> Result<Pattern> {
        let w = self.wavelength().ok_or(Error::Degenerate {
            what: "Kα2 stripping",
            reason: "the pattern has no wavelength".into(),
        })?;
        let (Some(l2), ratio) = (w.alpha2(), w.ratio()) else {
            return Err(Error::Degenerate {
                what: "Kα2 stripping",
                reason: format!("the wavelength {w} has no Kα2 line"),
            });
        };
        let k = w.angstrom() / l2;
        let x = self.two_theta();
        let y = self.intensity();
        let mut out = vec![0.0; y.len()];
        let mut j = 0; // x[j] <= 2θ′ for the current point, when 2θ′ >= x[0]
        for i in 0..y.len() {
            let s = k * (x[i].to_radians() / 2.0).sin();
            let shifted = 2.0 * s.clamp(-1.0, 1.0).asin().to_degrees();
            if shifted < x[0] || i == 0 {
                out[i] = y[i];
                continue;
            }
            while j + 1 < i && x[j + 1] <= shifted {
                j += 1;
            }
            if j + 1 < i {
                let f = (shifted - x[j]) / (x[j + 1] - x[j]);
                let prior = out[j] + f * (out[j + 1] - out[j]);
                out[i] = y[i] - ratio * prior;
            } else {
                // 2θ′ lies within the last step: I₁ there depends on the unknown I₁(2θ) itself;
                // solve the linear equation a = y − R((1−f)·I₁[i−1] + f·a).
                let f = ((shifted - x[i - 1]) / (x[i] - x[i - 1])).clamp(0.0, 1.0);
                out[i] = (y[i] - ratio * (1.0 - f) * out[i - 1]) / (1.0 + ratio * f);
            }
        }
        let sigma = self.sigma().map(<[f64]>::to_vec);
        Ok(self
            .clone()
            .with_intensity(out)?
            .with_sigma(sigma)?
            .with_wavelength(Some(w.without_alpha2())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wavelength;

    #[test]
    fn a_synthetic_doublet_is_reduced_to_its_alpha1_lines() {
        let w = Wavelength::CU_KA;
        let (l1, l2) = (w.angstrom(), w.alpha2().unwrap());
        let g = |t: f64| {
            [(30.0, 100.0), (60.0, 50.0), (90.0, 80.0)]
                .iter()
                .map(|&(c, h)| h * (-(t - c) * (t - c) / (2.0 * 0.04 * 0.04)).exp())
                .sum::<f64>()
        };
        let x: Vec<f64> = (0..16000).map(|i| 20.0 + i as f64 * 0.005).collect();
        // Each α1 reflection at 2θ′ has its α2 partner where sin θ = (λ2/λ1) sin θ′.
        let alpha1_at = |t: f64| {
            2.0 * ((l1 / l2) * (t.to_radians() / 2.0).sin())
                .asin()
                .to_degrees()
        };
        let y: Vec<f64> = x.iter().map(|&t| g(t) + 0.5 * g(alpha1_at(t))).collect();
        let p = Pattern::new(x.clone(), y).unwrap().with_wavelength(Some(w));
        let s = p.strip_kalpha2().unwrap();
        let worst = x
            .iter()
            .zip(s.intensity())
            .map(|(&t, v)| (v - g(t)).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 0.5,
            "largest deviation {worst} of peaks 50–100 high"
        );
        assert_eq!(s.wavelength(), Some(Wavelength::CU_KA1));
    }

    #[test]
    fn needs_a_doublet() {
        let p = Pattern::new(vec![10.0, 11.0], vec![1.0, 1.0]).unwrap();
        assert!(matches!(p.strip_kalpha2(), Err(Error::Degenerate { .. })));
        assert!(matches!(
            p.with_wavelength(Some(Wavelength::CU_KA1)).strip_kalpha2(),
            Err(Error::Degenerate { .. })
        ));
    }
}
