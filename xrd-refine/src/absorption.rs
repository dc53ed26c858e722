//! Microabsorption: Brindley's particle absorption factor, for mixtures of phases that absorb
//! differently (Brindley, Phil. Mag. 36, 347, 1945).
//!
//! A phase that absorbs more than the mean of the sample diffracts less than its weight says,
//! by τ = ⟨exp(−(μᵢ − μ̄) x)⟩ over the volume of its particles, x the path within a particle to
//! and from each volume element. The linear absorption coefficients come from the tabulated f″
//! (Chantler) that the structure factors already use: the photoabsorption cross-section of an
//! atom is σ = 2 r_e λ f″, and μ = Σ σ / V over the cell.
//!
//! Capillary absorption: the transmission factor of a Debye–Scherrer cylinder
//! ([`capillary_absorption`]), which an [`Instrument`](crate::Instrument) with a
//! `capillary_mu_r` applies to every reflection.

use xrd_io::Wavelength;
use xrd_sim::{Anomalous, Structure};

use crate::error::invalid;
use crate::{Error, Result};

/// Classical electron radius (cm).
const ELECTRON_RADIUS_CM: f64 = 2.817_940_326_2e-13;
/// Avogadro's number (1/mol).
const AVOGADRO: f64 = 6.022_140_76e23;
/// Quadrature points per dimension of the sphere average.
const QUADRATURE: usize = 120;

/// Gauss–Legendre nodes in the radius of the capillary's cross-section (through r = 1 − t², which
/// makes the square roots of the path lengths smooth at the rim).
const CAPILLARY_RADIAL: usize = 24;
/// Midpoint (periodic trapezoid) nodes in the polar angle of the cross-section.
const CAPILLARY_ANGULAR: usize = 256;
/// Step (degrees 2θ) of the capillary table that a refinement interpolates.
const CAPILLARY_TABLE_STEP: f64 = 1.0;
/// The largest μR of the capillary table (beyond it the quadrature is not checked).
pub(crate) const CAPILLARY_MAX_MU_R: f64 = 10.0;

/// Gauss–Legendre nodes and weights on [0, 1], n ≥ 1.
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    crate::quadrature::gauss_legendre(n)
        .iter()
        .map(|&(x, w)| ((1.0 - x) / 2.0, w / 2.0))
        .collect()
}

/// The quadrature points of the unit disc for the capillary: (x, y, weight · exp(−μR l_in), r²),
/// the beam along +x, weights summing to 1 over the disc; `radial` × `angular` nodes.
fn capillary_points(mu_r: f64, radial: usize, angular: usize) -> Vec<[f64; 4]> {
    let mut out = Vec::with_capacity(radial * angular);
    let dphi = std::f64::consts::TAU / angular as f64;
    for (t, wt) in gauss_legendre(radial) {
        // r = 1 − t², r dr = 2t(1 − t²) dt; the disc's area π.
        let r = 1.0 - t * t;
        let w = wt * 2.0 * t * r * dphi / std::f64::consts::PI;
        for j in 0..angular {
            let (y, x) = ((j as f64 + 0.5) * dphi).sin_cos();
            let (x, y) = (r * x, r * y);
            let l_in = x + (1.0 - y * y).max(0.0).sqrt();
            out.push([x, y, w * (-mu_r * l_in).exp(), r * r]);
        }
    }
    out
}

/// The capillary factor over `points` at 2θ = `alpha` (radians), and its derivative in α.
fn capillary_quadrature(points: &[[f64; 4]], mu_r: f64, alpha: f64) -> (f64, f64) {
    let (sa, ca) = alpha.sin_cos();
    let (mut a, mut da) = (0.0, 0.0);
    for &[x, y, w, r2] in points {
        // Out along (cos α, sin α): l_out = −p·d + √(1 − r² + (p·d)²).
        let pd = x * ca + y * sa;
        let root = (1.0 - r2 + pd * pd).max(f64::MIN_POSITIVE).sqrt();
        let l_out = root - pd;
        let e = w * (-mu_r * l_out).exp();
        let dpd = y * ca - x * sa;
        a += e;
        da -= e * mu_r * (pd / root - 1.0) * dpd;
    }
    (a, da)
}

/// The absorption factor A of a Debye–Scherrer capillary: the transmitted fraction of the beam
/// diffracted at `two_theta` (degrees) by a cylinder of `mu_r` = μR (linear absorption
/// coefficient times radius), the incident beam bathing the whole cross-section.
///
/// A = ⟨exp(−μ (l_in + l_out))⟩ over the cross-section, l_in the path from where the beam enters
/// to the volume element, l_out from there to the surface at 2θ; computed by quadrature over the
/// disc (Gauss–Legendre in the radius through r = 1 − t², midpoint in the polar angle), accurate
/// to 1e-4 relative for μR ≤ 3 (checked against a finer grid in the tests). A(μR = 0) = 1; A rises
/// with 2θ (the back-scattered beam leaves near where it entered).
///
/// ```
/// use xrd_refine::absorption::capillary_absorption;
/// // Lobanov & Alte da Veiga (1998) tabulate A(2θ = 0, μR = 1) = 0.196.
/// let a = capillary_absorption(1.0, 0.0)?;
/// assert!((a / 0.196 - 1.0).abs() < 0.01);
/// assert!(capillary_absorption(1.0, 120.0)? > a);
/// # Ok::<(), xrd_refine::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] unless μR is finite and ≥ 0 and 2θ finite.
pub fn capillary_absorption(mu_r: f64, two_theta: f64) -> Result<f64> {
    if !(mu_r.is_finite() && mu_r >= 0.0) {
        return Err(invalid("capillary_mu_r", format!("{mu_r} must be ≥ 0")));
    }
    if !two_theta.is_finite() {
        return Err(invalid("two_theta", format!("{two_theta} must be finite")));
    }
    let points = capillary_points(mu_r, CAPILLARY_RADIAL, CAPILLARY_ANGULAR);
    Ok(capillary_quadrature(&points, mu_r, two_theta.to_radians()).0)
}

/// The capillary factor of one instrument, tabulated once on a 2θ grid from 0° to 180° with its
/// derivative and interpolated by cubic Hermite polynomials (continuous value and slope, so the
/// Jacobian of a refinement stays consistent with its values).
///
/// Normalised to 1 at 2θ = 0: a refinement's scale absorbs the constant A(0), only the 2θ
/// dependence of the absorption matters (weight fractions compare scales of one pattern, which all
/// carry the same constant).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CapillaryTable {
    mu_r: f64,
    /// A(2θ_k)/A(0) at 2θ_k = k · step.
    values: Vec<f64>,
    /// dA/d(2θ) (per radian) over A(0) at the same nodes.
    slopes: Vec<f64>,
}

impl CapillaryTable {
    /// The table of μR = `mu_r` (finite, in [0, [`CAPILLARY_MAX_MU_R`]], as `Instrument::check`
    /// says).
    pub fn new(mu_r: f64) -> Self {
        let points = capillary_points(mu_r, CAPILLARY_RADIAL, CAPILLARY_ANGULAR);
        let n = (180.0 / CAPILLARY_TABLE_STEP).round() as usize + 1;
        let (mut values, mut slopes) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for k in 0..n {
            let alpha = (k as f64 * CAPILLARY_TABLE_STEP).to_radians();
            let (a, da) = capillary_quadrature(&points, mu_r, alpha);
            values.push(a);
            slopes.push(da);
        }
        let a0 = values[0];
        for v in values.iter_mut().chain(slopes.iter_mut()) {
            *v /= a0;
        }
        Self {
            mu_r,
            values,
            slopes,
        }
    }

    /// The μR of the table.
    pub fn mu_r(&self) -> f64 {
        self.mu_r
    }

    /// The normalised factor at Bragg angle `theta` (radians) and its derivative in θ; clamped
    /// to the table's ends outside 0°–180° 2θ.
    pub fn at(&self, theta: f64) -> (f64, f64) {
        let h = CAPILLARY_TABLE_STEP.to_radians();
        let last = self.values.len() - 1;
        let u = (2.0 * theta / h).clamp(0.0, last as f64);
        let k = (u.floor() as usize).min(last - 1);
        let s = u - k as f64;
        let (p0, p1) = (self.values[k], self.values[k + 1]);
        let (m0, m1) = (self.slopes[k] * h, self.slopes[k + 1] * h);
        let (s2, s3) = (s * s, s * s * s);
        let value = (2.0 * s3 - 3.0 * s2 + 1.0) * p0
            + (s3 - 2.0 * s2 + s) * m0
            + (-2.0 * s3 + 3.0 * s2) * p1
            + (s3 - s2) * m1;
        let ds = (6.0 * s2 - 6.0 * s) * p0
            + (3.0 * s2 - 4.0 * s + 1.0) * m0
            + (-6.0 * s2 + 6.0 * s) * p1
            + (3.0 * s2 - 2.0 * s) * m1;
        // d/dθ = d/ds · ds/d(2θ) · 2.
        (value, ds * 2.0 / h)
    }
}

/// Linear absorption coefficient μ (1/cm) of `structure` at `wavelength` (its primary line), from the tabulated
/// f″ of its atoms (photoabsorption; scattering adds a few per cent, left out).
///
/// # Errors
/// A wavelength without tabulated f″ (Chantler's lines: Cr, Fe, Co, Cu, Mo, Ag Kα and others).
pub fn linear_absorption(structure: &Structure, wavelength: Wavelength) -> Result<f64> {
    let lambda_cm = wavelength.angstrom() * 1e-8;
    let mut sigma = 0.0;
    for site in structure.sites() {
        let (_, f2) = Anomalous::Tabulated.correction(site.species.element, wavelength)?;
        sigma += site.occupancy * 2.0 * ELECTRON_RADIUS_CM * lambda_cm * f2;
    }
    Ok(sigma / (structure.lattice().volume() * 1e-24))
}

/// Density (g/cm³) of a cell of content mass `cell_mass` (g/mol) and volume `volume` (Å³).
pub(crate) fn density(cell_mass: f64, volume: f64) -> f64 {
    cell_mass / AVOGADRO / (volume * 1e-24)
}

/// Brindley's τ for spheres at a = (μᵢ − μ̄) R: the mean over the sphere's volume of
/// exp(−a · 2d/R), d the distance from a volume element to the surface along the beam (the path
/// in and back out taken along one line, as in back reflection). τ(0) = 1, τ < 1 for a > 0.
pub fn brindley_tau(a: f64) -> f64 {
    // Unit sphere: radius r (weight 3r²), direction cosine c to the beam uniform in [−1, 1];
    // d = −r c + √(1 − r²(1 − c²)).
    let n = QUADRATURE;
    let (mut sum, mut weights) = (0.0, 0.0);
    for i in 0..n {
        let r = (i as f64 + 0.5) / n as f64;
        let wr = r * r;
        for j in 0..n {
            let c = -1.0 + 2.0 * (j as f64 + 0.5) / n as f64;
            let d = -r * c + (1.0 - r * r * (1.0 - c * c)).max(0.0).sqrt();
            sum += wr * (-2.0 * a * d).exp();
            weights += wr;
        }
    }
    // Normalised by the quadrature's own volume, so that τ(0) = 1 exactly.
    sum / weights
}

/// Hill–Howard weights S·ZMV corrected by each phase's τ: returns ZMV/τ per phase, iterated
/// with the weight fractions that μ̄ depends on. `mu` in 1/cm, `rho` in g/cm³, `radius` in cm.
pub(crate) fn corrected(
    scales: &[f64],
    zmv: &[f64],
    mu: &[f64],
    rho: &[f64],
    radius: &[f64],
) -> Result<Vec<f64>> {
    let mut eff = zmv.to_vec();
    for _ in 0..50 {
        let w: Vec<f64> = scales.iter().zip(&eff).map(|(s, m)| s * m).collect();
        let vol: Vec<f64> = w.iter().zip(rho).map(|(w, r)| w / r).collect();
        let total: f64 = vol.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::Pattern("no phase has a positive scale".into()));
        }
        let mu_bar: f64 = vol.iter().zip(mu).map(|(v, m)| v * m).sum::<f64>() / total;
        let next: Vec<f64> = (0..zmv.len())
            .map(|p| zmv[p] / brindley_tau((mu[p] - mu_bar) * radius[p]))
            .collect();
        let change = next
            .iter()
            .zip(&eff)
            .map(|(a, b)| (a / b - 1.0).abs())
            .fold(0.0, f64::max);
        eff = next;
        if change < 1e-10 {
            break;
        }
    }
    Ok(eff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative accuracy promised for the capillary factor at μR ≤ 3.
    const CAPILLARY_TOL: f64 = 1e-4;

    /// (μR, A) at 2θ = 0 after Lobanov & Alte da Veiga (1998):
    /// exp(−(16/3π)μR − T1 μR² − T2 μR³ − T3 μR⁴).
    fn lobanov(mu_r: f64) -> f64 {
        let (t1, t2, t3) = (-0.045780, -0.02489, 0.003045);
        (-(16.0 / (3.0 * std::f64::consts::PI)) * mu_r
            - t1 * mu_r.powi(2)
            - t2 * mu_r.powi(3)
            - t3 * mu_r.powi(4))
        .exp()
    }

    #[test]
    fn capillary_limits_and_the_tabulated_value() {
        for tt in [0.0, 45.0, 120.0, 180.0] {
            assert!((capillary_absorption(0.0, tt).unwrap() - 1.0).abs() < 1e-12);
            let a = capillary_absorption(1e-4, tt).unwrap();
            assert!(a < 1.0 && a > 1.0 - 2e-4, "{a}");
        }
        // The tabulated A(2θ = 0, μR = 1) = 0.196, and the series at other μR ≤ 3.
        let a = capillary_absorption(1.0, 0.0).unwrap();
        assert!((a / 0.196 - 1.0).abs() < 0.01, "{a}");
        for mu_r in [0.25, 0.5, 1.0, 2.0, 3.0] {
            let a = capillary_absorption(mu_r, 0.0).unwrap();
            assert!((a / lobanov(mu_r) - 1.0).abs() < 0.01, "μR {mu_r}: {a}");
        }
        // Rising with 2θ, symmetric about 2θ = 0.
        let mut last = 0.0;
        for k in 0..=18 {
            let a = capillary_absorption(2.0, 10.0 * k as f64).unwrap();
            assert!(a > last, "2θ {}: {a}", 10 * k);
            last = a;
        }
        assert!(
            (capillary_absorption(2.0, -40.0).unwrap() - capillary_absorption(2.0, 40.0).unwrap())
                .abs()
                < 1e-12
        );
        assert!(matches!(
            capillary_absorption(-1.0, 10.0),
            Err(Error::InvalidParameter(p)) if p.name == "capillary_mu_r"
        ));
        assert!(matches!(
            capillary_absorption(1.0, f64::NAN),
            Err(Error::InvalidParameter(p)) if p.name == "two_theta"
        ));
    }

    #[test]
    fn capillary_quadrature_converges_and_the_table_interpolates() {
        for mu_r in [0.5, 3.0] {
            let fine = capillary_points(mu_r, 96, 1024);
            let grid = capillary_points(mu_r, CAPILLARY_RADIAL, CAPILLARY_ANGULAR);
            let table = CapillaryTable::new(mu_r);
            let a0 = capillary_quadrature(&fine, mu_r, 0.0).0;
            for tt in [0.0f64, 7.3, 33.3, 90.0, 141.7, 180.0] {
                let exact = capillary_quadrature(&fine, mu_r, tt.to_radians()).0;
                let a = capillary_quadrature(&grid, mu_r, tt.to_radians()).0;
                assert!((a / exact - 1.0).abs() < CAPILLARY_TOL, "μR {mu_r} 2θ {tt}");
                let (t, _) = table.at(tt.to_radians() / 2.0);
                assert!(
                    (t / (exact / a0) - 1.0).abs() < CAPILLARY_TOL,
                    "μR {mu_r} 2θ {tt}: {t} {}",
                    exact / a0
                );
            }
        }
    }

    #[test]
    fn capillary_derivatives_match_central_differences() {
        let mu_r = 2.0;
        let points = capillary_points(mu_r, CAPILLARY_RADIAL, CAPILLARY_ANGULAR);
        let table = CapillaryTable::new(mu_r);
        let e = 1e-5;
        for tt in [3.0f64, 20.5, 66.0, 110.2, 170.0] {
            let alpha = tt.to_radians();
            let (_, d) = capillary_quadrature(&points, mu_r, alpha);
            let num = (capillary_quadrature(&points, mu_r, alpha + e).0
                - capillary_quadrature(&points, mu_r, alpha - e).0)
                / (2.0 * e);
            approx::assert_relative_eq!(d, num, epsilon = 1e-8, max_relative = 1e-6);
            let theta = alpha / 2.0;
            let (_, d) = table.at(theta);
            let num = (table.at(theta + e).0 - table.at(theta - e).0) / (2.0 * e);
            approx::assert_relative_eq!(d, num, epsilon = 1e-8, max_relative = 1e-6);
        }
    }

    #[test]
    fn tau_is_one_without_contrast_and_monotone() {
        assert!((brindley_tau(0.0) - 1.0).abs() < 1e-12);
        // First order: 1 − a·⟨2d⟩, ⟨d⟩ = 3/4 of the radius.
        let a = 1e-3;
        assert!(
            ((1.0 - brindley_tau(a)) / a - 1.5).abs() < 0.01,
            "{}",
            brindley_tau(a)
        );
        let mut last = f64::INFINITY;
        for a in [-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 3.0] {
            let t = brindley_tau(a);
            assert!(t < last && t > 0.0, "τ({a}) = {t}");
            last = t;
        }
    }

    #[test]
    fn the_more_absorbing_phase_gains_weight() {
        // Equal S·ZMV, equal densities; phase 0 absorbs four times as much: its τ < 1 < the
        // other's, so it weighs more once corrected, and more for larger particles.
        let weigh = |radius_cm: f64| {
            let eff = corrected(
                &[1.0, 1.0],
                &[1.0, 1.0],
                &[1000.0, 250.0],
                &[5.0, 5.0],
                &[radius_cm, radius_cm],
            )
            .unwrap();
            eff[0] / (eff[0] + eff[1])
        };
        let (small, large) = (weigh(0.5e-4), weigh(2.5e-4));
        assert!(small > 0.5 && large > small, "{small} {large}");
        assert!((weigh(1e-9) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn absorption_of_nickel_oxide_at_cu_ka() {
        // NiO, rock salt, a = 4.177 Å: μ/ρ ≈ 45 cm²/g from photoabsorption at Cu Kα
        // (tabulated total 49 for Ni, 11.5 for O: about 40 for NiO), ρ = 6.8 g/cm³.
        let cif = "data_NiO\n_cell_length_a 4.177\n_cell_length_b 4.177\n_cell_length_c 4.177\n\
            _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
            _symmetry_space_group_name_H-M 'F m -3 m'\n\
            loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
            Ni 0 0 0\nO 0.5 0.5 0.5\n";
        let s = Structure::from_cif(cif).unwrap();
        let mu = linear_absorption(&s, Wavelength::CU_KA1).unwrap();
        let rho = density(4.0 * (58.693 + 15.999), 4.177f64.powi(3));
        assert!((rho - 6.81).abs() < 0.05, "ρ {rho}");
        let mass = mu / rho;
        assert!((30.0..50.0).contains(&mass), "μ/ρ {mass}");
    }
}
