//! Microabsorption: Brindley's particle absorption factor, for mixtures of phases that absorb
//! differently (Brindley, Phil. Mag. 36, 347, 1945).
//!
//! A phase that absorbs more than the mean of the sample diffracts less than its weight says,
//! by τ = ⟨exp(−(μᵢ − μ̄) x)⟩ over the volume of its particles, x the path within a particle to
//! and from each volume element. The linear absorption coefficients come from the tabulated f″
//! (Chantler) that the structure factors already use: the photoabsorption cross-section of an
//! atom is σ = 2 r_e λ f″, and μ = Σ σ / V over the cell.

use xrd_io::Wavelength;
use xrd_sim::{Anomalous, Structure};

use crate::{Error, Result};

/// Classical electron radius (cm).
const ELECTRON_RADIUS_CM: f64 = 2.817_940_326_2e-13;
/// Avogadro's number (1/mol).
const AVOGADRO: f64 = 6.022_140_76e23;
/// Quadrature points per dimension of the sphere average.
const QUADRATURE: usize = 120;

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
