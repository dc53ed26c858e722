//! Preferred orientation by symmetrised spherical harmonics.
//!
//! In symmetric reflection (and any geometry whose scattering vector keeps one direction in the
//! specimen) a texture with the specimen's cylindrical symmetry changes each reflection's
//! intensity by a pole density W(h) = 1 + Σ cᵢ Kᵢ(h), the Kᵢ the harmonics of even order
//! l = 2 … L that the crystal's Laue group leaves invariant, evaluated at the direction of the
//! reflection's normal. This is GSAS-II's spherical-harmonics texture with cylindrical sample
//! symmetry, orders 2–8; W averages to 1 over all directions, so the texture moves intensity
//! between reflections without creating any.
//!
//! The invariant harmonics are found, not tabulated: the monomials x^a y^b z^c of degree l,
//! averaged over the Laue group's rotations (in the crystal's Cartesian frame), span the
//! invariant functions of order ≤ l on the sphere; what is left of them after removing the
//! lower orders is the invariant part of order l. Gram–Schmidt on an exact quadrature of the
//! sphere (Gauss–Legendre in cos θ, uniform in φ) orthonormalises them, mean square 1 over the
//! sphere. The coefficients are in this basis, so they are not GSAS-II's C_l^mn one for one;
//! the function W(h) they describe is.

use nalgebra::Matrix3;
use xrd_sim::Structure;

use crate::Result;

/// The highest order offered (GSAS-II's range is 2–8 for powder texture).
pub const MAX_HARMONIC_ORDER: u8 = 8;

/// Symmetry tolerance (Å) for reading the structure's point group.
const SYMPREC: f64 = 1e-2;

/// A residual this much smaller than its monomial is a combination of the lower orders.
const RANK_TOLERANCE: f64 = 1e-7;

/// The invariant harmonics of one Laue group up to one order.
#[derive(Debug, Clone)]
pub(crate) struct HarmonicBasis {
    /// The point group's rotations in the Cartesian frame, proper parts (even orders are
    /// centrosymmetric), each once.
    rotations: Vec<Matrix3<f64>>,
    /// The candidate monomials' exponents, the constant first, by degree.
    monomials: Vec<[u8; 3]>,
    /// Each basis function: its order and its coefficients over the symmetrised monomials.
    terms: Vec<(u8, Vec<f64>)>,
}

impl HarmonicBasis {
    /// The invariant harmonics of even orders 2 ≤ l ≤ `order` of the point group of
    /// `structure`, in the Cartesian frame of its lattice.
    ///
    /// # Errors
    /// A structure whose symmetry cannot be read.
    pub fn of_structure(structure: &Structure, order: u8) -> Result<Self> {
        let sym = structure.symmetry(SYMPREC)?;
        // Cartesian r = Mᵀ f with M's rows the basis vectors: R = Mᵀ W (Mᵀ)⁻¹.
        let m = structure.lattice().matrix();
        let mt = Matrix3::from_fn(|i, j| m[j][i]);
        let mt_inv = mt.try_inverse().unwrap_or_else(Matrix3::identity);
        let rotations = sym
            .operations
            .iter()
            .map(|op| mt * Matrix3::from_fn(|i, j| op.rotation[i][j]) * mt_inv)
            .collect::<Vec<_>>();
        Ok(Self::new(&rotations, order))
    }

    /// The invariant harmonics of even orders 2 ≤ l ≤ `order` of the group of Cartesian
    /// `rotations` (improper ones taken by their proper part).
    pub fn new(rotations: &[Matrix3<f64>], order: u8) -> Self {
        let mut proper: Vec<Matrix3<f64>> = Vec::new();
        for r in rotations {
            let r = if r.determinant() < 0.0 { -r } else { *r };
            if !proper.iter().any(|p| (p - r).abs().max() < 1e-6) {
                proper.push(r);
            }
        }
        if proper.is_empty() {
            proper.push(Matrix3::identity());
        }
        let mut monomials = vec![[0u8; 3]];
        for l in (2..=order).step_by(2) {
            for a in (0..=l).rev() {
                for b in (0..=l - a).rev() {
                    monomials.push([a, b, l - a - b]);
                }
            }
        }
        let mut basis = Self {
            rotations: proper,
            monomials,
            terms: Vec::new(),
        };
        let (points, weights) = sphere_quadrature(order);
        // S[t][n]: symmetrised monomial t at point n.
        let s: Vec<Vec<f64>> = {
            let at: Vec<Vec<f64>> = points.iter().map(|&u| basis.symmetrised(u)).collect();
            (0..basis.monomials.len())
                .map(|t| at.iter().map(|v| v[t]).collect())
                .collect()
        };
        let dot = |a: &[f64], b: &[f64]| -> f64 {
            a.iter()
                .zip(b)
                .zip(&weights)
                .map(|((x, y), w)| x * y * w)
                .sum()
        };
        let n_terms = basis.monomials.len();
        // (order, coefficients, values at the points), the constant first.
        let mut accepted: Vec<(u8, Vec<f64>, Vec<f64>)> = Vec::new();
        for t in 0..n_terms {
            let mut v = s[t].clone();
            let mut c = vec![0.0; n_terms];
            c[t] = 1.0;
            // Measured against the monomial itself: a symmetrised monomial that averages to
            // rounding noise (x·y under a twofold axis along y) is nothing.
            let m = basis.monomials[t];
            let raw: Vec<f64> = points
                .iter()
                .map(|u| (0..3).map(|k| u[k].powi(i32::from(m[k]))).product())
                .collect();
            let start = dot(&raw, &raw).sqrt();
            // Twice: the second pass removes what rounding left of the first.
            for _ in 0..2 {
                for (_, ac, av) in &accepted {
                    let proj = dot(&v, av);
                    v.iter_mut().zip(av).for_each(|(x, y)| *x -= proj * y);
                    c.iter_mut().zip(ac).for_each(|(x, y)| *x -= proj * y);
                }
            }
            let norm = dot(&v, &v).sqrt();
            if norm > RANK_TOLERANCE * start {
                v.iter_mut().for_each(|x| *x /= norm);
                c.iter_mut().for_each(|x| *x /= norm);
                accepted.push((m[0] + m[1] + m[2], c, v));
            }
        }
        basis.terms = accepted
            .into_iter()
            .filter(|(l, ..)| *l > 0)
            .map(|(l, c, _)| (l, c))
            .collect();
        basis
    }

    /// How many harmonics: the texture's parameters.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Each harmonic's order, in order.
    pub fn orders(&self) -> Vec<u8> {
        self.terms.iter().map(|(l, _)| *l).collect()
    }

    /// Every harmonic at the direction of `q` (any length but zero).
    pub fn values(&self, q: [f64; 3]) -> Vec<f64> {
        let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2]).sqrt();
        if n == 0.0 {
            return vec![0.0; self.terms.len()];
        }
        let s = self.symmetrised(q.map(|x| x / n));
        self.terms
            .iter()
            .map(|(_, c)| c.iter().zip(&s).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// Each candidate monomial at unit `u`, averaged over the rotations.
    fn symmetrised(&self, u: [f64; 3]) -> Vec<f64> {
        let mut out = vec![0.0; self.monomials.len()];
        let u = nalgebra::Vector3::from(u);
        for r in &self.rotations {
            let v = r * u;
            for (o, m) in out.iter_mut().zip(&self.monomials) {
                *o += v[0].powi(i32::from(m[0]))
                    * v[1].powi(i32::from(m[1]))
                    * v[2].powi(i32::from(m[2]));
            }
        }
        let k = self.rotations.len() as f64;
        out.iter_mut().for_each(|x| *x /= k);
        out
    }
}

/// Points on the unit sphere and weights (summing to 1) that integrate every polynomial of
/// degree ≤ 2·`order` + 3 exactly: Gauss–Legendre in cos θ times a uniform rule in φ.
fn sphere_quadrature(order: u8) -> (Vec<[f64; 3]>, Vec<f64>) {
    let nz = usize::from(order) + 2;
    let nphi = 2 * usize::from(order) + 4;
    let nodes = crate::quadrature::gauss_legendre(nz);
    let mut points = Vec::with_capacity(nz * nphi);
    let mut weights = Vec::with_capacity(nz * nphi);
    for &(z, w) in nodes.iter() {
        let r = (1.0 - z * z).max(0.0).sqrt();
        for k in 0..nphi {
            let phi = 2.0 * std::f64::consts::PI * k as f64 / nphi as f64;
            points.push([r * phi.cos(), r * phi.sin(), z]);
            weights.push(w / 2.0 / nphi as f64);
        }
    }
    (points, weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Generators = Vec<Matrix3<f64>>;

    fn rotation(axis: [f64; 3], angle: f64) -> Matrix3<f64> {
        let a = nalgebra::Unit::new_normalize(nalgebra::Vector3::from(axis));
        *nalgebra::Rotation3::from_axis_angle(&a, angle).matrix()
    }

    /// The group the generators make, closed under products.
    fn group(generators: &[Matrix3<f64>]) -> Vec<Matrix3<f64>> {
        let mut g = vec![Matrix3::identity()];
        loop {
            let mut grew = false;
            for a in g.clone() {
                for b in generators {
                    let c = a * b;
                    if !g.iter().any(|x| (x - c).abs().max() < 1e-9) {
                        g.push(c);
                        grew = true;
                    }
                }
            }
            if !grew {
                return g;
            }
        }
    }

    /// The number of invariants of order l by characters: (1/|G|) Σ χ_l(g), χ_l of a rotation
    /// by α being sin((l + ½)α) / sin(α/2) — a count independent of the construction.
    fn characters(g: &[Matrix3<f64>], l: u8) -> usize {
        let sum: f64 = g
            .iter()
            .map(|r| {
                let cos = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0);
                let a = cos.acos();
                if a < 1e-9 {
                    f64::from(2 * l + 1)
                } else {
                    ((f64::from(l) + 0.5) * a).sin() / (a / 2.0).sin()
                }
            })
            .sum();
        (sum / g.len() as f64).round() as usize
    }

    fn counts(b: &HarmonicBasis) -> Vec<usize> {
        (2..=8)
            .step_by(2)
            .map(|l| b.orders().iter().filter(|&&o| o == l).count())
            .collect()
    }

    #[test]
    fn quadrature_is_exact_for_polynomials() {
        let (p, w) = sphere_quadrature(8);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        // ⟨z^16⟩ = 1/17, ⟨x² y²⟩ = 1/15 over the sphere.
        let mean =
            |f: &dyn Fn([f64; 3]) -> f64| p.iter().zip(&w).map(|(u, w)| f(*u) * w).sum::<f64>();
        assert!((mean(&|u| u[2].powi(16)) - 1.0 / 17.0).abs() < 1e-14);
        assert!((mean(&|u| u[0].powi(2) * u[1].powi(2)) - 1.0 / 15.0).abs() < 1e-14);
    }

    #[test]
    fn counts_follow_the_characters_of_each_laue_class() {
        let z4 = rotation([0.0, 0.0, 1.0], std::f64::consts::FRAC_PI_2);
        let z3 = rotation([0.0, 0.0, 1.0], 2.0 * std::f64::consts::FRAC_PI_3);
        let z6 = rotation([0.0, 0.0, 1.0], std::f64::consts::FRAC_PI_3);
        let x2 = rotation([1.0, 0.0, 0.0], std::f64::consts::PI);
        let y2 = rotation([0.0, 1.0, 0.0], std::f64::consts::PI);
        let d3 = rotation([1.0, 1.0, 1.0], 2.0 * std::f64::consts::FRAC_PI_3);
        let cases: [(&str, Generators, [usize; 4]); 7] = [
            ("-1", vec![], [5, 9, 13, 17]),
            ("2/m", vec![y2], [3, 5, 7, 9]),
            ("mmm", vec![x2, y2], [2, 3, 4, 5]),
            ("4/mmm", vec![z4, x2], [1, 2, 2, 3]),
            ("-3m", vec![z3, x2], [1, 2, 3, 3]),
            ("6/mmm", vec![z6, x2], [1, 1, 2, 2]),
            ("m-3m", vec![z4, d3], [0, 1, 1, 1]),
        ];
        for (name, generators, want) in cases {
            let g = group(&generators);
            let b = HarmonicBasis::new(&g, 8);
            let by_characters: Vec<usize> = (2..=8).step_by(2).map(|l| characters(&g, l)).collect();
            assert_eq!(by_characters, want, "{name}: characters");
            assert_eq!(counts(&b), want, "{name}");
            // Improper operations change nothing: even orders are centrosymmetric.
            let with_inversion: Vec<Matrix3<f64>> = g.iter().map(|r| -r).chain(g.clone()).collect();
            assert_eq!(HarmonicBasis::new(&with_inversion, 8).len(), b.len());
        }
    }

    #[test]
    fn harmonics_are_invariant_and_orthonormal() {
        let g = group(&[
            rotation([0.0, 0.0, 1.0], 2.0 * std::f64::consts::FRAC_PI_3),
            rotation([1.0, 0.0, 0.0], std::f64::consts::PI),
        ]);
        let b = HarmonicBasis::new(&g, 8);
        let u = [0.3, -0.5, 0.81];
        let v0 = b.values(u);
        for r in &g {
            let v = b.values((r * nalgebra::Vector3::from(u)).into());
            for (x, y) in v.iter().zip(&v0) {
                assert!((x - y).abs() < 1e-10);
            }
        }
        // Over a finer quadrature than the construction's: orthonormal, and orthogonal to 1.
        let (p, w) = sphere_quadrature(12);
        let vals: Vec<Vec<f64>> = p.iter().map(|&u| b.values(u)).collect();
        for i in 0..b.len() {
            let mean: f64 = vals.iter().zip(&w).map(|(v, w)| v[i] * w).sum();
            assert!(mean.abs() < 1e-10, "term {i} has mean {mean}");
            for j in 0..b.len() {
                let d: f64 = vals.iter().zip(&w).map(|(v, w)| v[i] * v[j] * w).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-9, "⟨K{i} K{j}⟩ = {d}");
            }
        }
    }

    #[test]
    fn the_structures_point_group_in_its_own_frame() {
        // Calcite, R-3c in its hexagonal setting: Laue class -3m, c along z.
        let s = Structure::from_cif(
            "data_c\n_cell_length_a 4.99\n_cell_length_b 4.99\n_cell_length_c 17.06\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n\
             _symmetry_space_group_name_H-M 'R -3 c'\nloop_\n_atom_site_type_symbol\n\
             _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
             Ca 0 0 0\nC 0 0 0.25\nO 0.257 0 0.25\n",
        )
        .unwrap();
        let b = HarmonicBasis::of_structure(&s, 8).unwrap();
        assert_eq!(counts(&b), [1, 2, 3, 3]);
        // The order-2 harmonic is P₂ of the angle to c: its extremes at c and in the plane.
        let k2 = |q: [f64; 3]| b.values(q)[0];
        let (along, across) = (k2([0.0, 0.0, 1.0]), k2([1.0, 0.0, 0.0]));
        assert!((along / across + 2.0).abs() < 1e-9, "{along} {across}");
    }
}
