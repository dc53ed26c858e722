//! The Lorentz–polarisation factor of a powder reflection: the one home of the formula, used
//! by the simulator and by the refinement (which also needs its slope in θ).

/// Lorentz–polarisation factor (1 + cos²2θ_m cos²2θ) / (sin²θ cosθ) at Bragg angle θ
/// (radians), with a monochromator at 2θ_m (degrees) or none, and its derivative in θ. With a
/// polarisation fraction P (synchrotron) the numerator is P + (1 − P) cos²2θ_m cos²2θ instead
/// (GSAS-II's `Polarization` at azimuth 0, times the monochromator's term).
///
/// ```
/// use xrd_sim::powder::lorentz_polarisation;
/// let t = 0.3f64;
/// let (lp, _) = lorentz_polarisation(t, None, None);
/// let c2 = (2.0 * t).cos();
/// assert!((lp - (1.0 + c2 * c2) / (t.sin().powi(2) * t.cos())).abs() < 1e-12);
/// ```
pub fn lorentz_polarisation(
    theta: f64,
    monochromator: Option<f64>,
    polarisation: Option<f64>,
) -> (f64, f64) {
    let c = monochromator.map_or(1.0, |m| m.to_radians().cos().powi(2));
    let (s, co) = theta.sin_cos();
    let c2 = (2.0 * theta).cos();
    let (n, dn) = match polarisation {
        None => (1.0 + c * c2 * c2, -2.0 * c * (4.0 * theta).sin()),
        Some(p) => {
            let c = (1.0 - p) * c;
            (p + c * c2 * c2, -2.0 * c * (4.0 * theta).sin())
        }
    };
    let d = s * s * co;
    let dd = 2.0 * s * co * co - s * s * s;
    (n / d, (dn * d - n * dd) / (d * d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn polarisation_numerator() {
        // P = 0.5 is the unpolarised factor halved; P = 1 has no cos²2θ term.
        for t in [0.2f64, 0.7, 1.3] {
            for m in [None, Some(26.6)] {
                let (a, da) = lorentz_polarisation(t, m, None);
                let (b, db) = lorentz_polarisation(t, m, Some(0.5));
                assert!(close(a, 2.0 * b, 1e-14), "{a} {b}");
                assert!(
                    (da - 2.0 * db).abs() <= 1e-12 * da.abs().max(1.0),
                    "{da} {db}"
                );
            }
            let (s, c) = t.sin_cos();
            let (one, _) = lorentz_polarisation(t, Some(26.6), Some(1.0));
            assert!(close(one, 1.0 / (s * s * c), 1e-14));
        }
    }

    #[test]
    fn derivative_matches_central_differences() {
        for (m, p) in [
            (Some(26.6), None),
            (None, None),
            (None, Some(0.99)),
            (Some(26.6), Some(0.95)),
            (None, Some(0.0)),
        ] {
            let lp = |t| lorentz_polarisation(t, m, p);
            for t in [0.05f64, 0.2, 0.5, 1.0, 1.4] {
                let e = 1e-6;
                let num = (lp(t + e).0 - lp(t - e).0) / (2.0 * e);
                let (_, d) = lp(t);
                assert!(
                    (d - num).abs() < 1e-6 * d.abs().max(1.0),
                    "{m:?} {p:?} θ {t}: {d} {num}"
                );
            }
        }
    }
}
