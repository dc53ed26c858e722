//! A cell refined under the constraints of its crystal system.
//!
//! The free parameters are combinations of the six coefficients of the reciprocal metric,
//! 1/d² = A h² + B k² + C l² + D kl + E hl + F hk: d-spacings are linear in them, which keeps the
//! fit well conditioned. Coefficients that symmetry sets to zero stay zero, and those it sets equal
//! (A = B in tetragonal cells, A = B = F in hexagonal ones, A = B = C and D = E = F in rhombohedral
//! axes) move together; which ones is read from the starting cell, in the setting it is given,
//! for the systems whose symmetry imposes them.

use xrd_sim::{CrystalSystem, Lattice};

use crate::Result;

/// Coefficients of the reciprocal metric closer to zero than this (relative to the largest
/// diagonal one) are held at zero; two closer than this to each other are tied.
const TIE_TOLERANCE: f64 = 1e-7;

/// Names of the six reciprocal-metric coefficients.
const COEFFICIENT_NAMES: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

/// The refinable parameters of one cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CellModel {
    /// For each free parameter, which of the six coefficients it sets (0 or 1).
    basis: Vec<[u8; 6]>,
}

/// The six coefficients of `lattice`.
pub(crate) fn coefficients_of(lattice: &Lattice) -> [f64; 6] {
    let g = lattice.reciprocal_metric();
    [
        g[0][0],
        g[1][1],
        g[2][2],
        2.0 * g[1][2],
        2.0 * g[0][2],
        2.0 * g[0][1],
    ]
}

/// The six products h², k², l², kl, hl, hk.
fn products(hkl: [i32; 3]) -> [i64; 6] {
    let [h, k, l] = hkl.map(i64::from);
    [h * h, k * k, l * l, k * l, h * l, h * k]
}

impl CellModel {
    /// The free parameters of `lattice` in `system`, with their starting values.
    pub fn new(lattice: &Lattice, system: CrystalSystem) -> (Self, Vec<f64>) {
        let g = coefficients_of(lattice);
        let scale = g[0].abs().max(g[1].abs()).max(g[2].abs());
        let (zeros, ties) = match system {
            CrystalSystem::Triclinic => (false, false),
            CrystalSystem::Monoclinic | CrystalSystem::Orthorhombic => (true, false),
            _ => (true, true),
        };
        let mut basis: Vec<[u8; 6]> = Vec::new();
        let mut values = Vec::new();
        let mut taken = [false; 6];
        for i in 0..6 {
            if taken[i] {
                continue;
            }
            taken[i] = true;
            if zeros && g[i].abs() <= TIE_TOLERANCE * scale {
                continue;
            }
            let mut b = [0u8; 6];
            b[i] = 1;
            if ties {
                for j in i + 1..6 {
                    if !taken[j] && (g[j] - g[i]).abs() <= TIE_TOLERANCE * scale {
                        b[j] = 1;
                        taken[j] = true;
                    }
                }
            }
            basis.push(b);
            values.push(g[i]);
        }
        (Self { basis }, values)
    }

    /// Names of the free parameters (`A`, `A=B=F`, …).
    pub fn names(&self) -> Vec<String> {
        self.basis
            .iter()
            .map(|b| {
                (0..6)
                    .filter(|&i| b[i] == 1)
                    .map(|i| COEFFICIENT_NAMES[i])
                    .collect::<Vec<_>>()
                    .join("=")
            })
            .collect()
    }

    /// ∂(1/d²)/∂(each free parameter) for `hkl`: integers, equal for reflections that coincide
    /// in every cell of the system.
    pub fn derivatives(&self, hkl: [i32; 3]) -> Vec<i64> {
        let p = products(hkl);
        self.basis
            .iter()
            .map(|b| (0..6).map(|i| i64::from(b[i]) * p[i]).sum())
            .collect()
    }

    /// The six coefficients for free-parameter `values`.
    pub fn coefficients(&self, values: &[f64]) -> [f64; 6] {
        let mut g = [0.0; 6];
        for (b, v) in self.basis.iter().zip(values) {
            for i in 0..6 {
                g[i] += f64::from(b[i]) * v;
            }
        }
        g
    }

    /// The lattice of free-parameter `values`.
    ///
    /// # Errors
    /// [`xrd_sim::Error::InvalidLattice`] when they give no positive-definite metric.
    pub fn lattice(&self, values: &[f64]) -> Result<Lattice> {
        let g = self.coefficients(values);
        let g = [
            [g[0], g[5] / 2.0, g[4] / 2.0],
            [g[5] / 2.0, g[1], g[3] / 2.0],
            [g[4] / 2.0, g[3] / 2.0, g[2]],
        ];
        Ok(Lattice::from_reciprocal_metric(&g)?)
    }

    /// a, b, c (Å), α, β, γ (°) of `values` and their standard uncertainties from the
    /// covariance `cov` of the free parameters (the propagation's derivatives by central
    /// differences).
    pub fn parameters(&self, values: &[f64], cov: &[Vec<f64>]) -> Result<([f64; 6], [f64; 6])> {
        let params = |v: &[f64]| -> Result<[f64; 6]> {
            let l = self.lattice(v)?;
            let (len, ang) = (l.lengths(), l.angles());
            Ok([len[0], len[1], len[2], ang[0], ang[1], ang[2]])
        };
        let p0 = params(values)?;
        let n = values.len();
        let mut jac = vec![[0.0; 6]; n];
        for j in 0..n {
            let h = values[j].abs().max(1e-12) * 1e-6;
            let mut up = values.to_vec();
            let mut down = values.to_vec();
            up[j] += h;
            down[j] -= h;
            let (pu, pd) = (params(&up)?, params(&down)?);
            for i in 0..6 {
                jac[j][i] = (pu[i] - pd[i]) / (2.0 * h);
            }
        }
        let mut esd = [0.0; 6];
        for (i, e) in esd.iter_mut().enumerate() {
            let mut var = 0.0;
            for j in 0..n {
                for k in 0..n {
                    var += jac[j][i] * cov[j][k] * jac[k][i];
                }
            }
            *e = var.max(0.0).sqrt();
        }
        Ok((p0, esd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_follow_the_crystal_system() {
        let cubic = Lattice::from_parameters(4.2, 4.2, 4.2, 90.0, 90.0, 90.0).unwrap();
        let (m, v) = CellModel::new(&cubic, CrystalSystem::Cubic);
        assert_eq!(m.names(), ["A=B=C"]);
        assert!((v[0] - 1.0 / 4.2f64.powi(2)).abs() < 1e-12);
        let hex = Lattice::from_parameters(3.25, 3.25, 5.2, 90.0, 90.0, 120.0).unwrap();
        assert_eq!(
            CellModel::new(&hex, CrystalSystem::Hexagonal).0.names(),
            ["A=B=F", "C"]
        );
        let tet = Lattice::from_parameters(4.59, 4.59, 2.96, 90.0, 90.0, 90.0).unwrap();
        assert_eq!(
            CellModel::new(&tet, CrystalSystem::Tetragonal).0.names(),
            ["A=B", "C"]
        );
        // An orthorhombic cell whose a and b happen to be equal is not tied.
        assert_eq!(
            CellModel::new(&tet, CrystalSystem::Orthorhombic).0.names(),
            ["A", "B", "C"]
        );
        let mono = Lattice::from_parameters(5.1, 5.2, 5.3, 90.0, 99.2, 90.0).unwrap();
        assert_eq!(
            CellModel::new(&mono, CrystalSystem::Monoclinic).0.names(),
            ["A", "B", "C", "E"]
        );
        let rh = Lattice::from_parameters(5.0, 5.0, 5.0, 80.0, 80.0, 80.0).unwrap();
        assert_eq!(
            CellModel::new(&rh, CrystalSystem::Trigonal).0.names(),
            ["A=B=C", "D=E=F"]
        );
        let tri = Lattice::from_parameters(5.0, 6.0, 7.0, 90.0, 100.0, 110.0).unwrap();
        assert_eq!(
            CellModel::new(&tri, CrystalSystem::Triclinic)
                .0
                .names()
                .len(),
            6
        );
    }

    #[test]
    fn round_trip_and_d_spacings() {
        let mono = Lattice::from_parameters(5.1, 5.2, 5.3, 90.0, 99.2, 90.0).unwrap();
        let (m, v) = CellModel::new(&mono, CrystalSystem::Monoclinic);
        let back = m.lattice(&v).unwrap();
        for (a, b) in back.lengths().iter().zip(mono.lengths()) {
            assert!((a - b).abs() < 1e-10);
        }
        for hkl in [[1, 0, 0], [1, 1, -1], [2, 0, 1], [0, 3, 2]] {
            let inv_d2: f64 = m
                .derivatives(hkl)
                .iter()
                .zip(&v)
                .map(|(d, x)| *d as f64 * x)
                .sum();
            assert!((inv_d2 - mono.inverse_d_squared(hkl)).abs() < 1e-12);
        }
        let cov = vec![vec![0.0; 4]; 4];
        let (p, e) = m.parameters(&v, &cov).unwrap();
        assert!((p[4] - 99.2).abs() < 1e-9 && e.iter().all(|&x| x == 0.0));
    }
}
