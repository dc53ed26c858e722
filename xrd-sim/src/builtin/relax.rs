//! Lattice model of the data set: Vegard's law plus a size-mismatch relaxation.

use crate::Result;
use crate::lattice::{Lattice, Mat3, inverse, mat_vec_rows, norm};
use crate::structure::Structure;

/// One substituent: site index, radial displacement amplitude δ (Å; > 0 pushes neighbours out)
/// and a species tag (strain pairs are counted between equal tags).
#[derive(Debug, Clone, Copy)]
pub struct Substituent {
    /// Site index in the cell.
    pub site: usize,
    /// δ (Å).
    pub delta: f64,
    /// Species tag.
    pub tag: u8,
}

/// Periodic images within `cutoff` of site `i` → (j, Cartesian vector from i to j's image, distance).
fn neighbours(s: &Structure, i: usize, cutoff: f64) -> Vec<(usize, [f64; 3], f64)> {
    let l = s.lattice();
    let fi = s.sites()[i].frac;
    let mut out = Vec::new();
    for (j, site) in s.sites().iter().enumerate() {
        for n0 in -1..=1 {
            for n1 in -1..=1 {
                for n2 in -1..=1 {
                    let d = [
                        site.frac[0] - fi[0] - (site.frac[0] - fi[0]).round() + f64::from(n0),
                        site.frac[1] - fi[1] - (site.frac[1] - fi[1]).round() + f64::from(n1),
                        site.frac[2] - fi[2] - (site.frac[2] - fi[2]).round() + f64::from(n2),
                    ];
                    let r = l.cartesian(d);
                    let dist = norm(r);
                    if dist > 1e-6 && dist < cutoff {
                        out.push((j, r, dist));
                    }
                }
            }
        }
    }
    out
}

/// Moves every atom within `cutoff` of a substituent radially by δ (1 − d/cutoff)² (summed over
/// substituents and periodic images).
pub fn relax(s: &mut Structure, subs: &[Substituent], cutoff: f64) -> Result<()> {
    if subs.is_empty() || cutoff <= 0.0 {
        return Ok(());
    }
    let n = s.len();
    let mut disp = vec![[0.0; 3]; n];
    for sub in subs {
        for (j, r, d) in neighbours(s, sub.site, cutoff) {
            let w = sub.delta * (1.0 - d / cutoff).powi(2) / d;
            for k in 0..3 {
                disp[j][k] += w * r[k];
            }
        }
    }
    let inv = inverse(s.lattice().matrix())
        .ok_or_else(|| crate::Error::InvalidLattice("singular".into()))?;
    for (site, dr) in s.sites_mut().iter_mut().zip(&disp) {
        let df = mat_vec_rows(&inv, *dr);
        for (f, d) in site.frac.iter_mut().zip(df) {
            let v = *f + d;
            *f = v - v.floor();
        }
    }
    Ok(())
}

/// Configuration-dependent strain ε = η / N Σ over pairs of like substituents within `cutoff`
/// (periodic images included) of (1 − d/cutoff)(û ûᵀ − I/3): traceless, zero for a lone
/// substituent, and different for clustered, chained or dispersed arrangements.
pub fn strain(s: &Structure, subs: &[Substituent], eta: f64, cutoff: f64) -> Mat3 {
    let mut eps = [[0.0; 3]; 3];
    if subs.is_empty() || cutoff <= 0.0 {
        return eps;
    }
    for a in subs {
        for (j, r, d) in neighbours(s, a.site, cutoff) {
            if !subs.iter().any(|b| b.site == j && b.tag == a.tag) {
                continue;
            }
            let w = eta * (1.0 - d / cutoff) / subs.len() as f64;
            let u = r.map(|v| v / d);
            for (p, row) in eps.iter_mut().enumerate() {
                for (q, e) in row.iter_mut().enumerate() {
                    *e += w * (u[p] * u[q] - if p == q { 1.0 / 3.0 } else { 0.0 });
                }
            }
        }
    }
    eps
}

/// Conventional tetragonal lattice a(x, y) = a₀(1 + αₓx + αᵧy), c(x, y) = c₀(1 + γₓx + γᵧy).
pub fn vegard(a0: f64, c0: f64, coeff: [f64; 4], x: f64, y: f64) -> Result<Lattice> {
    let a = a0 * (1.0 + coeff[0] * x + coeff[1] * y);
    let c = c0 * (1.0 + coeff[2] * x + coeff[3] * y);
    Lattice::from_parameters(a, a, c, 90.0, 90.0, 90.0)
}
