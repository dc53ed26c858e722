//! Peak profiles on a 2θ grid.

use serde::{Deserialize, Serialize};
use xrd_io::{Grid, Wavelength};

use super::kernels::{self, GaussRun};
use crate::Result;
use crate::error::invalid;

/// Peak shape (each of unit area in degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// Gaussian.
    Gaussian,
    /// Lorentzian (Cauchy).
    Lorentzian,
    /// η · Lorentzian + (1 − η) · Gaussian of the same FWHM, 0 ≤ η ≤ 1.
    PseudoVoigt {
        /// Lorentzian fraction.
        eta: f64,
    },
    /// Thompson–Cox–Hastings: a pseudo-Voigt whose FWHM and η follow the Gaussian and
    /// Lorentzian widths of [`Width::Tch`] at each peak (the refinement's shape, without its
    /// asymmetry). Only with [`Width::Tch`].
    Tch,
}

/// Smallest Gaussian width (°) of [`Width::Tch`], as the refinement holds it.
const MIN_GAUSSIAN: f64 = 1e-4;

/// Scherrer constant K of [`Width::CagliotiSize`] (spherical crystallites, FWHM).
pub const SCHERRER_K: f64 = 0.9;

/// Full width at half maximum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Width {
    /// The same FWHM (degrees) for every peak.
    Fixed(f64),
    /// Caglioti: FWHM² = U tan²θ + V tanθ + W (degrees²).
    Caglioti {
        /// U (deg²).
        u: f64,
        /// V (deg²).
        v: f64,
        /// W (deg²).
        w: f64,
    },
    /// Caglioti (instrument) and Scherrer (crystallite size) widths added in quadrature:
    /// FWHM² = U tan²θ + V tanθ + W + (K λ / (L cos θ) · 180/π)², K = [`SCHERRER_K`].
    CagliotiSize {
        /// U (deg²).
        u: f64,
        /// V (deg²).
        v: f64,
        /// W (deg²).
        w: f64,
        /// Crystallite size L (Å).
        size: f64,
        /// The source (its primary line λ).
        wavelength: Wavelength,
    },
    /// Thompson–Cox–Hastings widths, a refined instrument's: Gaussian FWHM² = U tan²θ +
    /// V tanθ + W (deg², held above (10⁻⁴ °)²), Lorentzian FWHM = X tanθ + Y / cosθ (°, held at
    /// 0 or above), combined by [`super::tch::widths`]. Only with [`Shape::Tch`].
    Tch {
        /// U (deg²).
        u: f64,
        /// V (deg²).
        v: f64,
        /// W (deg²).
        w: f64,
        /// X (°).
        x: f64,
        /// Y (°).
        y: f64,
    },
}

/// A peak profile: shape, width, and how far (in FWHM) each peak is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Shape.
    pub shape: Shape,
    /// Width.
    pub width: Width,
    /// Half-window in FWHM units (default 5 for Gaussian, 50 with a Lorentzian part).
    pub window: f64,
}

xrd_io::param_guard!(crate::Error => Profile);

impl Profile {
    /// Gaussian with a fixed FWHM (degrees).
    pub fn gaussian(fwhm: f64) -> Self {
        Self {
            shape: Shape::Gaussian,
            width: Width::Fixed(fwhm),
            window: 5.0,
        }
    }

    /// Lorentzian with a fixed FWHM (degrees).
    pub fn lorentzian(fwhm: f64) -> Self {
        Self {
            shape: Shape::Lorentzian,
            width: Width::Fixed(fwhm),
            window: 50.0,
        }
    }

    /// Pseudo-Voigt with Lorentzian fraction `eta` and a fixed FWHM (degrees).
    pub fn pseudo_voigt(eta: f64, fwhm: f64) -> Self {
        Self {
            shape: Shape::PseudoVoigt { eta },
            width: Width::Fixed(fwhm),
            window: 50.0,
        }
    }

    /// Thompson–Cox–Hastings with the instrument terms U, V, W (deg²) and X, Y (°): the shape
    /// a refinement fits ([`Width::Tch`]).
    ///
    /// ```
    /// use xrd_sim::powder::Profile;
    /// let p = Profile::tch(0.004, -0.002, 0.003, 0.01, 0.02);
    /// assert!(p.check().is_ok());
    /// // Broader at high angle, as the Caglioti and Lorentzian terms say.
    /// assert!(p.fwhm(120.0) > p.fwhm(30.0));
    /// ```
    pub fn tch(u: f64, v: f64, w: f64, x: f64, y: f64) -> Self {
        Self {
            shape: Shape::Tch,
            width: Width::Tch { u, v, w, x, y },
            window: 50.0,
        }
    }

    /// Replaces the width by Caglioti's U, V, W (deg²).
    #[must_use]
    pub fn caglioti(mut self, u: f64, v: f64, w: f64) -> Self {
        self.width = Width::Caglioti { u, v, w };
        self
    }

    /// Validates shape, width and window.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for η outside [0, 1], a non-positive fixed FWHM,
    /// non-finite Caglioti terms or W ≤ 0, or a window < 1.
    pub fn check(&self) -> Result<()> {
        if let Shape::PseudoVoigt { eta } = self.shape
            && !(0.0..=1.0).contains(&eta)
        {
            return Err(invalid("eta", format!("{eta} must be in [0, 1]")));
        }
        match self.width {
            Width::Fixed(f) if !(f.is_finite() && f > 0.0) => {
                return Err(invalid("fwhm", format!("{f} must be finite and > 0")));
            }
            Width::Caglioti { u, v, w }
                if !(u.is_finite() && v.is_finite() && w.is_finite() && w > 0.0) =>
            {
                return Err(invalid(
                    "caglioti",
                    format!("U={u}, V={v}, W={w}: need finite values and W > 0"),
                ));
            }
            Width::CagliotiSize { u, v, w, size, .. }
                if !(u.is_finite()
                    && v.is_finite()
                    && w.is_finite()
                    && w > 0.0
                    && size.is_finite()
                    && size > 0.0) =>
            {
                return Err(invalid(
                    "caglioti_size",
                    format!("U={u}, V={v}, W={w}, L={size} Å: need finite values, W > 0, L > 0"),
                ));
            }
            Width::Tch { u, v, w, x, y }
                if ![u, v, w, x, y].iter().all(|t| t.is_finite()) || x < 0.0 || y < 0.0 =>
            {
                return Err(invalid(
                    "tch",
                    format!("U={u}, V={v}, W={w}, X={x}, Y={y}: need finite values, X, Y ≥ 0"),
                ));
            }
            _ => {}
        }
        if matches!(self.shape, Shape::Tch) != matches!(self.width, Width::Tch { .. }) {
            return Err(invalid(
                "tch",
                "the Thompson–Cox–Hastings shape and widths go together (Profile::tch)",
            ));
        }
        if !(self.window.is_finite() && self.window >= 1.0) {
            return Err(invalid(
                "window",
                format!("{} must be ≥ 1 FWHM", self.window),
            ));
        }
        Ok(())
    }

    /// FWHM (degrees) at 2θ (degrees); at least 1e-6.
    pub fn fwhm(&self, two_theta: f64) -> f64 {
        self.fwhm_eta(two_theta).0
    }

    /// FWHM (degrees, at least 1e-6) and Lorentzian fraction η of the peak at 2θ (degrees).
    fn fwhm_eta(&self, two_theta: f64) -> (f64, f64) {
        let (fwhm, eta) = match self.width {
            Width::Fixed(f) => (f, self.eta()),
            Width::Caglioti { u, v, w } => {
                let t = (two_theta / 2.0).to_radians().tan();
                ((u * t * t + v * t + w).max(1e-12).sqrt(), self.eta())
            }
            Width::CagliotiSize {
                u,
                v,
                w,
                size,
                wavelength,
            } => {
                let theta = (two_theta / 2.0).to_radians();
                let t = theta.tan();
                let scherrer =
                    (SCHERRER_K * wavelength.angstrom() / (size * theta.cos())).to_degrees();
                let h2 = (u * t * t + v * t + w).max(0.0) + scherrer * scherrer;
                (h2.max(1e-12).sqrt(), self.eta())
            }
            Width::Tch { u, v, w, x, y } => {
                let theta = (two_theta / 2.0).to_radians();
                let t = theta.tan();
                let g = (u * t * t + v * t + w)
                    .max(MIN_GAUSSIAN * MIN_GAUSSIAN)
                    .sqrt();
                let l = (x * t + y / theta.cos()).max(0.0);
                let tch = super::tch::widths(g, l);
                let eta = if matches!(self.shape, Shape::Tch) {
                    tch.eta
                } else {
                    self.eta()
                };
                (tch.h, eta)
            }
        };
        (fwhm.max(1e-6), eta)
    }

    /// Unit-area peaks, each `(center, area)` in degrees, summed at the 2θ points `two_theta`
    /// (ascending): the one peak renderer of the workspace, for simulated grids and measured
    /// points alike. On uniformly spaced points (within 10⁻⁹ of a step) it runs
    /// the grid kernel (three exponentials per peak); on irregular points it evaluates the same
    /// profile point by point (the Gaussian part to 6 FWHM, where it falls below e⁻⁹⁹ of its
    /// peak, the rest to [`window`](Self::window) FWHM).
    ///
    /// ```
    /// use xrd_sim::powder::Profile;
    /// let x: Vec<f64> = (0..2001).map(|i| 9.0 + 0.001 * i as f64).collect();
    /// let y = Profile::pseudo_voigt(0.5, 0.05).render(&x, [(10.0, 2.0)]);
    /// let area: f64 = y.iter().sum::<f64>() * 0.001;
    /// assert!((area - 2.0).abs() < 0.02); // the Lorentzian tails beyond ±50 FWHM are cut
    /// ```
    pub fn render(
        &self,
        two_theta: &[f64],
        peaks: impl IntoIterator<Item = (f64, f64)>,
    ) -> Vec<f64> {
        let mut out = vec![0.0; two_theta.len()];
        if let Some(grid) = uniform(two_theta) {
            for (center, area) in peaks {
                self.add(&mut out, &grid, center, area);
            }
        } else {
            for (center, area) in peaks {
                self.add_at(&mut out, two_theta, center, area);
            }
        }
        out
    }

    /// [`add`](Self::add) at arbitrary ascending points, point by point.
    fn add_at(&self, out: &mut [f64], two_theta: &[f64], center: f64, area: f64) {
        let (fwhm, eta) = self.fwhm_eta(center);
        let Norms {
            gnorm,
            inv2s2,
            gamma,
            lnorm,
        } = Norms::of(fwhm, area);
        let half = self.window * fwhm;
        let gauss_half = self.window.min(6.0) * fwhm;
        let lo = two_theta.partition_point(|&x| x < center - half);
        for (o, &x) in out[lo..].iter_mut().zip(&two_theta[lo..]) {
            let d = x - center;
            if d > half {
                break;
            }
            if eta < 1.0 && d.abs() <= gauss_half {
                *o += (1.0 - eta) * gnorm * (-d * d * inv2s2).exp();
            }
            if eta > 0.0 {
                let t = d / gamma;
                *o += eta * lnorm / (1.0 + t * t);
            }
        }
    }

    /// The Lorentzian fraction η of a shape that does not vary from peak to peak
    /// ([`Shape::Tch`]'s is taken where the peak is, [`Self::fwhm_eta`]).
    fn eta(&self) -> f64 {
        match self.shape {
            Shape::Gaussian => 0.0,
            Shape::Lorentzian | Shape::Tch => 1.0,
            Shape::PseudoVoigt { eta } => eta,
        }
    }

    /// Adds a unit-area peak of `area` at `center` onto `out` (values on `grid`).
    pub(crate) fn add(&self, out: &mut [f64], grid: &Grid, center: f64, area: f64) {
        let (fwhm, eta) = self.fwhm_eta(center);
        let half = self.window * fwhm;
        let (start, step) = (grid.start(), grid.step());
        let lo = (((center - half - start) / step).floor().max(0.0)) as usize;
        let hi_f = ((center + half - start) / step).ceil();
        if hi_f < 0.0 || lo >= out.len() {
            return;
        }
        let hi = (hi_f as usize).min(out.len() - 1);
        let Norms {
            gnorm,
            inv2s2,
            gamma,
            lnorm,
        } = Norms::of(fwhm, area);
        // exp(−(d + iΔ)²/2σ²) by the recurrence gᵢ₊₁ = gᵢ rᵢ, rᵢ₊₁ = rᵢ c with
        // c = exp(−Δ²/σ²): three exponentials per peak instead of one per point.
        // Beyond 6 FWHM a Gaussian is below e⁻⁹⁹ of its peak: the recurrence starts there.
        let gauss = || {
            let gh = self.window.min(6.0) * fwhm;
            let glo = (((center - gh - start) / step).floor().max(0.0) as usize).max(lo);
            let ghi = (((center + gh - start) / step).ceil().max(0.0) as usize).min(hi);
            let d0 = grid.x(glo) - center;
            GaussRun {
                from: glo,
                to: ghi,
                g: (1.0 - eta) * gnorm * (-d0 * d0 * inv2s2).exp(),
                r: (-(2.0 * d0 * step + step * step) * inv2s2).exp(),
                c: (-2.0 * step * step * inv2s2).exp(),
            }
        };
        let lorentz = |out: &mut [f64], run: Option<GaussRun>| {
            if lo > hi {
                return;
            }
            let window = &mut out[lo..=hi];
            let peak = kernels::Lorentzian {
                first: lo,
                start,
                step,
                center,
                gamma,
                height: eta * lnorm,
            };
            kernels::add_pseudo_voigt(
                window,
                peak,
                run.map(|run| GaussRun {
                    from: run.from - lo,
                    to: run.to.wrapping_sub(lo),
                    ..run
                }),
            );
        };
        if eta <= 0.0 {
            let GaussRun {
                from,
                to,
                mut g,
                mut r,
                c,
            } = gauss();
            for o in out.iter_mut().take(to + 1).skip(from) {
                *o += g;
                g *= r;
                r *= c;
            }
        } else if eta < 1.0 {
            // Both parts in one pass, point by point in the order Gaussian, Lorentzian.
            lorentz(out, Some(gauss()));
        } else {
            lorentz(out, None);
        }
    }
}

/// The constants of a unit-area pseudo-Voigt peak of area `area` and FWHM `fwhm`: the
/// Gaussian's height 1/(σ√2π) and 1/2σ², the Lorentzian's half width γ and height 1/(πγ).
struct Norms {
    gnorm: f64,
    inv2s2: f64,
    gamma: f64,
    lnorm: f64,
}

impl Norms {
    fn of(fwhm: f64, area: f64) -> Self {
        let sigma = fwhm / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt());
        let gamma = fwhm / 2.0;
        Self {
            gnorm: area / (sigma * (2.0 * std::f64::consts::PI).sqrt()),
            inv2s2: 1.0 / (2.0 * sigma * sigma),
            gamma,
            lnorm: area / (std::f64::consts::PI * gamma),
        }
    }
}

/// The grid of `two_theta` when its points are uniformly spaced, each within 10⁻⁹ of a step
/// of `start + i·step` (so the grid kernel's x(i) is the point to rounding).
fn uniform(two_theta: &[f64]) -> Option<Grid> {
    let (&first, &last, n) = (two_theta.first()?, two_theta.last()?, two_theta.len());
    let step = (last - first) / (n.checked_sub(1)?) as f64;
    let grid = Grid::new(first, step, n).ok()?;
    let tolerance = 1e-9 * step;
    two_theta
        .iter()
        .enumerate()
        .all(|(i, &x)| (x - grid.x(i)).abs() <= tolerance)
        .then_some(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_unit_area_and_the_requested_width() {
        let grid = Grid::new(0.0, 0.001, 20_001).unwrap();
        for p in [
            Profile::gaussian(0.1),
            Profile::lorentzian(0.1),
            Profile::pseudo_voigt(0.4, 0.1),
        ] {
            let mut y = vec![0.0; grid.len()];
            p.add(&mut y, &grid, 10.0, 2.0);
            let area: f64 = y.iter().sum::<f64>() * grid.step();
            // The Lorentzian window of ±50 FWHM holds 1 − 2/(π·100) of the area.
            let want = if matches!(p.shape, Shape::Gaussian) {
                2.0
            } else {
                2.0 * (1.0
                    - 0.0064
                        * match p.shape {
                            Shape::PseudoVoigt { eta } => eta,
                            _ => 1.0,
                        })
            };
            assert!((area - want).abs() < 2e-3, "{p:?} {area}");
            let peak = y[10_000];
            let above: Vec<usize> = (0..y.len()).filter(|&i| y[i] >= peak / 2.0).collect();
            let width = (above[above.len() - 1] - above[0]) as f64 * grid.step();
            assert!((width - 0.1).abs() < 0.0021, "{p:?} {width}");
        }
    }

    #[test]
    fn uniform_and_irregular_points_render_the_same_peaks() {
        let peaks = [(10.0, 2.0), (10.13, 0.5), (11.7, 1.0)];
        let x: Vec<f64> = (0..3001).map(|i| 9.0 + 0.001 * f64::from(i)).collect();
        assert!(uniform(&x).is_some());
        for p in [
            Profile::gaussian(0.05),
            Profile::lorentzian(0.05),
            Profile::pseudo_voigt(0.3, 0.05),
            Profile {
                window: 12.0,
                ..Profile::pseudo_voigt(0.5, 0.05).caglioti(0.01, -0.002, 0.001)
            },
        ] {
            let on_grid = p.render(&x, peaks);
            // The same points, one of them nudged off the grid: the point-by-point path.
            let mut off = x.clone();
            off[1] += 1e-7;
            assert!(uniform(&off).is_none());
            let pointwise = p.render(&off, peaks);
            let scale = on_grid.iter().copied().fold(0.0, f64::max);
            // The grid's window takes whole steps beyond ±window·FWHM, the points' not.
            let at_edge = |x: f64| {
                peaks.iter().any(|&(c, _)| {
                    let half = p.window * p.fwhm(c);
                    ((x - c).abs() - half).abs() < 1.5e-3
                })
            };
            for (i, (a, b)) in on_grid.iter().zip(&pointwise).enumerate() {
                if at_edge(x[i]) {
                    continue;
                }
                // The nudged point moves by 1e-7°, which changes its value by ≤ 1e-5 relative.
                // Elsewhere only the recurrence's rounding (≈ n·ε over n steps) differs.
                let tol = if i == 1 { 1e-5 } else { 1e-10 } * scale;
                assert!((a - b).abs() <= tol, "{p:?} at {i}: {a} vs {b}");
            }
            // The grid path is `add`, peak by peak.
            let grid = Grid::new(9.0, 0.001, 3001).unwrap();
            let mut direct = vec![0.0; grid.len()];
            peaks
                .iter()
                .for_each(|&(c, a)| p.add(&mut direct, &grid, c, a));
            assert_eq!(on_grid, direct);
        }
        assert!(Profile::gaussian(0.1).render(&[], peaks).is_empty());
        assert_eq!(
            Profile::gaussian(0.1).render(&[10.0], [(10.0, 1.0)]).len(),
            1
        );
    }

    #[test]
    fn tch_without_lorentzian_terms_is_the_gaussian_caglioti_and_mixes_with_them() {
        let (u, v, w) = (0.004, -0.002, 0.003);
        let x: Vec<f64> = (0..4000).map(|i| 20.0 + 0.01 * i as f64).collect();
        let peaks = [(30.0, 2.0), (55.0, 1.0)];
        let tch = Profile::tch(u, v, w, 0.0, 0.0).render(&x, peaks);
        let gauss = Profile::gaussian(1.0).caglioti(u, v, w).render(&x, peaks);
        for (a, b) in tch.iter().zip(&gauss) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{a} {b}");
        }
        // A Lorentzian term broadens the peak and lowers its top (same area).
        let mixed = Profile::tch(u, v, w, 0.05, 0.02);
        assert!(mixed.fwhm(55.0) > Profile::tch(u, v, w, 0.0, 0.0).fwhm(55.0));
        let y = mixed.render(&x, peaks);
        let top = |y: &[f64]| y.iter().copied().fold(0.0, f64::max);
        assert!(top(&y) < top(&tch));
        let area: f64 = y.iter().sum::<f64>() * 0.01;
        assert!((area - 3.0).abs() < 0.05, "{area}");
    }

    #[test]
    fn tch_shape_and_widths_go_together() {
        let name = |p: Profile| match p.check() {
            Err(crate::Error::InvalidParameter(e)) => e.name,
            other => panic!("{other:?}"),
        };
        let mut p = Profile::tch(0.0, 0.0, 0.01, 0.0, 0.0);
        p.shape = Shape::Gaussian;
        assert_eq!(name(p), "tch");
        let mut p = Profile::gaussian(0.1);
        p.shape = Shape::Tch;
        assert_eq!(name(p), "tch");
        assert_eq!(name(Profile::tch(0.0, 0.0, 0.01, -0.1, 0.0)), "tch");
        assert_eq!(name(Profile::tch(f64::NAN, 0.0, 0.01, 0.0, 0.0)), "tch");
    }

    #[test]
    fn caglioti_and_invalid_values() {
        let p = Profile::gaussian(0.1).caglioti(0.0, 0.0, 0.0025);
        assert!((p.fwhm(40.0) - 0.05).abs() < 1e-12);
        let p = Profile::gaussian(0.1).caglioti(0.01, 0.0, 0.0001);
        let t = 20f64.to_radians().tan();
        assert!((p.fwhm(40.0) - (0.01 * t * t + 0.0001).sqrt()).abs() < 1e-12);
        use crate::error::refused;
        assert_eq!(refused(Profile::gaussian(0.0).check()), "fwhm");
        assert_eq!(refused(Profile::pseudo_voigt(1.5, 0.1).check()), "eta");
        assert_eq!(
            refused(Profile::gaussian(0.1).caglioti(0.0, 0.0, 0.0).check()),
            "caglioti"
        );
        let window = Profile {
            window: 0.5,
            ..Profile::gaussian(0.1)
        };
        assert_eq!(refused(window.check()), "window");
        assert!(Profile::gaussian(0.1).check().is_ok());
        // Size broadening: L = 1000 Å, λ = 1.5406 Å at 2θ = 40° adds 0.9λ/(L cos 20°) rad.
        let size = |u: f64, w: f64, l: f64, lambda: f64| Profile {
            width: Width::CagliotiSize {
                u,
                v: 0.0,
                w,
                size: l,
                wavelength: Wavelength::synchrotron(lambda),
            },
            ..Profile::gaussian(0.1)
        };
        let s = (0.9 * 1.5406 / (1000.0 * 20f64.to_radians().cos())).to_degrees();
        let p = size(0.0, 0.0025, 1000.0, 1.5406);
        assert!((p.fwhm(40.0) - (0.0025 + s * s).sqrt()).abs() < 1e-12);
        assert!(p.check().is_ok());
        let mut names = ["caglioti_size", "caglioti_size", "caglioti_size"].into_iter();
        for bad in [
            size(0.0, 0.0, 1000.0, 1.5406),
            size(f64::NAN, 0.01, 1000.0, 1.5406),
            size(0.0, 0.01, 0.0, 1.5406),
        ] {
            assert_eq!(
                crate::error::refused(bad.check()),
                names.next().unwrap_or("none"),
                "{bad:?}"
            );
        }
        assert_eq!(names.next(), None, "fewer invalid values than names");
    }
}
