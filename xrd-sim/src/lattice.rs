//! Crystal lattices: direct and reciprocal bases.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// 3 × 3 matrix, rows are vectors.
pub type Mat3 = [[f64; 3]; 3];

/// A lattice given by its three basis vectors a, b, c (rows, Cartesian Å).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lattice {
    matrix: Mat3,
}

impl Lattice {
    /// From basis vectors (rows: a, b, c in Å).
    ///
    /// # Errors
    /// [`Error::InvalidLattice`] for non-finite entries, a (near-)zero volume or one too large
    /// for an `f64` (finite entries such as a = 10³⁰⁸ Å can multiply to ∞).
    pub fn from_matrix(matrix: Mat3) -> Result<Self> {
        if matrix.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::InvalidLattice("non-finite matrix entry".into()));
        }
        let v = det(&matrix);
        if !v.is_finite() {
            return Err(Error::InvalidLattice(format!(
                "volume {v} Å³ is not finite"
            )));
        }
        if v.abs() < 1e-6 {
            return Err(Error::InvalidLattice(format!(
                "volume {v} Å³ is not positive"
            )));
        }
        Ok(Self { matrix })
    }

    /// From cell parameters (Å, degrees), with a along x and b in the xy plane.
    ///
    /// # Errors
    /// [`Error::InvalidLattice`] unless lengths are positive and the angles form a real cell.
    pub fn from_parameters(
        a: f64,
        b: f64,
        c: f64,
        alpha: f64,
        beta: f64,
        gamma: f64,
    ) -> Result<Self> {
        let all = [a, b, c, alpha, beta, gamma];
        if all.iter().any(|v| !v.is_finite()) || a <= 0.0 || b <= 0.0 || c <= 0.0 {
            return Err(Error::InvalidLattice(format!("parameters {all:?}")));
        }
        let (ca, cb, cg) = (
            alpha.to_radians().cos(),
            beta.to_radians().cos(),
            gamma.to_radians().cos(),
        );
        let sg = gamma.to_radians().sin();
        if sg.abs() < 1e-9 {
            return Err(Error::InvalidLattice(format!("gamma = {gamma}°")));
        }
        let cx = c * cb;
        let cy = c * (ca - cb * cg) / sg;
        let cz2 = c * c - cx * cx - cy * cy;
        if cz2 <= 1e-12 * c * c {
            return Err(Error::InvalidLattice(format!(
                "angles {alpha}°, {beta}°, {gamma}° do not form a cell"
            )));
        }
        Self::from_matrix([[a, 0.0, 0.0], [b * cg, b * sg, 0.0], [cx, cy, cz2.sqrt()]])
    }

    /// Basis vectors (rows).
    pub fn matrix(&self) -> &Mat3 {
        &self.matrix
    }

    /// Cell volume (Å³).
    pub fn volume(&self) -> f64 {
        det(&self.matrix).abs()
    }

    /// Lengths a, b, c (Å).
    pub fn lengths(&self) -> [f64; 3] {
        self.matrix.map(norm)
    }

    /// Angles α, β, γ (degrees).
    pub fn angles(&self) -> [f64; 3] {
        let m = &self.matrix;
        let ang = |u: [f64; 3], v: [f64; 3]| {
            (dot(u, v) / (norm(u) * norm(v)))
                .clamp(-1.0, 1.0)
                .acos()
                .to_degrees()
        };
        [ang(m[1], m[2]), ang(m[0], m[2]), ang(m[0], m[1])]
    }

    /// Crystallographic reciprocal basis (rows a*, b*, c*, no 2π): g = h a* + k b* + l c*, |g| = 1/d.
    pub fn reciprocal(&self) -> Mat3 {
        transpose(&inverse(&self.matrix).unwrap_or([[0.0; 3]; 3]))
    }

    /// The metric tensor G, Gᵢⱼ = aᵢ · aⱼ (Å²): |r|² = rᵀ G r for fractional r.
    pub fn metric(&self) -> Mat3 {
        gram(&self.matrix)
    }

    /// The reciprocal metric tensor G* = G⁻¹, G*ᵢⱼ = a*ᵢ · a*ⱼ (Å⁻²): 1/d²(hkl) = hᵀ G* h.
    pub fn reciprocal_metric(&self) -> Mat3 {
        gram(&self.reciprocal())
    }

    /// 1/d² of the reflection `hkl` (Å⁻², written d*² in indexing).
    pub fn inverse_d_squared(&self, hkl: [i32; 3]) -> f64 {
        let h = hkl.map(f64::from);
        let g = mat_vec_rows(&self.reciprocal(), h);
        dot(g, g)
    }

    /// The d-spacing of the reflection `hkl` (Å; infinite for 000).
    pub fn d_spacing(&self, hkl: [i32; 3]) -> f64 {
        1.0 / self.inverse_d_squared(hkl).sqrt()
    }

    /// The lattice of a reciprocal metric tensor `g` (Å⁻², symmetric positive definite), in the
    /// orientation of [`Lattice::from_parameters`].
    ///
    /// # Errors
    /// [`Error::InvalidLattice`] when `g` is not finite, symmetric and positive definite.
    pub fn from_reciprocal_metric(g: &Mat3) -> Result<Self> {
        let symmetric = (0..3).all(|i| {
            (0..3).all(|j| (g[i][j] - g[j][i]).abs() <= 1e-12 * g[i][i].abs().max(g[j][j].abs()))
        });
        let direct = inverse(g).filter(|_| symmetric).ok_or_else(|| {
            Error::InvalidLattice(format!(
                "reciprocal metric {g:?} is not invertible and symmetric"
            ))
        })?;
        if (0..3).any(|i| direct[i][i].is_nan() || direct[i][i] <= 0.0) {
            return Err(Error::InvalidLattice(format!(
                "reciprocal metric {g:?} is not positive definite"
            )));
        }
        let len = |i: usize| direct[i][i].sqrt();
        let angle = |i: usize, j: usize| {
            (direct[i][j] / (len(i) * len(j)))
                .clamp(-1.0, 1.0)
                .acos()
                .to_degrees()
        };
        Self::from_parameters(
            len(0),
            len(1),
            len(2),
            angle(1, 2),
            angle(0, 2),
            angle(0, 1),
        )
    }

    /// Cartesian position of fractional coordinates.
    pub fn cartesian(&self, frac: [f64; 3]) -> [f64; 3] {
        mat_vec_rows(&self.matrix, frac)
    }

    /// Lattice with the basis `m · self` (rows of `m` are new vectors in units of the old ones).
    ///
    /// # Errors
    /// [`Error::InvalidLattice`] if the product is singular.
    pub fn transformed(&self, m: &Mat3) -> Result<Self> {
        Self::from_matrix(mul(m, &self.matrix))
    }

    /// Applies a homogeneous strain: every Cartesian vector r ↦ (I + ε) r.
    ///
    /// # Errors
    /// [`Error::InvalidLattice`] if the result is singular.
    pub fn strained(&self, eps: &Mat3) -> Result<Self> {
        let mut f = *eps;
        for (i, row) in f.iter_mut().enumerate() {
            row[i] += 1.0;
        }
        // rows are vectors: r' = F r → row' = row · Fᵀ
        Self::from_matrix(mul(&self.matrix, &transpose(&f)))
    }
}

/// Gᵢⱼ = rowᵢ · rowⱼ.
fn gram(m: &Mat3) -> Mat3 {
    std::array::from_fn(|i| std::array::from_fn(|j| dot(m[i], m[j])))
}

pub(crate) fn det(m: &Mat3) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// The inverse of `m` (nalgebra's); None when its determinant is below 10⁻³⁰⁰ or not finite.
pub(crate) fn inverse(m: &Mat3) -> Option<Mat3> {
    let d = det(m);
    if d.abs() < 1e-300 || !d.is_finite() {
        return None;
    }
    let inv = nalgebra::Matrix3::from_fn(|i, j| m[i][j]).try_inverse()?;
    Some(std::array::from_fn(|i| {
        std::array::from_fn(|j| inv[(i, j)])
    }))
}

pub(crate) fn transpose(m: &Mat3) -> Mat3 {
    [
        [m[0][0], m[1][0], m[2][0]],
        [m[0][1], m[1][1], m[2][1]],
        [m[0][2], m[1][2], m[2][2]],
    ]
}

pub(crate) fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut r = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            r[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

/// `v · M` where rows of M are vectors: Σᵢ vᵢ Mᵢ.
pub(crate) fn mat_vec_rows(m: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|j| v[0] * m[0][j] + v[1] * m[1][j] + v[2] * m[2][j])
}

pub(crate) fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

pub(crate) fn norm(u: [f64; 3]) -> f64 {
    dot(u, u).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_and_reciprocal() {
        let l = Lattice::from_parameters(6.867, 16.706, 5.399, 62.98, 42.25, 52.16).unwrap();
        let [a, b, c] = l.lengths();
        let [al, be, ga] = l.angles();
        assert!((a - 6.867).abs() < 1e-9 && (b - 16.706).abs() < 1e-9 && (c - 5.399).abs() < 1e-9);
        assert!(
            (al - 62.98).abs() < 1e-9 && (be - 42.25).abs() < 1e-9 && (ga - 52.16).abs() < 1e-9
        );
        let r = l.reciprocal();
        let m = l.matrix();
        for (i, mi) in m.iter().enumerate() {
            for (j, rj) in r.iter().enumerate() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot(*mi, *rj) - want).abs() < 1e-12);
            }
        }
        // G* = G⁻¹, and 1/d² from G* as from the reciprocal vectors.
        let (g, gs) = (l.metric(), l.reciprocal_metric());
        let id = mul(&g, &gs);
        for (i, row) in id.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        for hkl in [[1, 0, 0], [1, -2, 3], [0, 2, -1]] {
            let h = hkl.map(f64::from);
            let q: f64 = (0..3)
                .map(|i| (0..3).map(|j| h[i] * gs[i][j] * h[j]).sum::<f64>())
                .sum();
            assert!((l.inverse_d_squared(hkl) - q).abs() < 1e-12 * q);
            assert!((l.d_spacing(hkl) - 1.0 / q.sqrt()).abs() < 1e-12);
        }
        // The lattice of its own reciprocal metric has its parameters.
        let back = Lattice::from_reciprocal_metric(&gs).unwrap();
        for (x, y) in back.lengths().iter().zip(l.lengths()) {
            assert!((x - y).abs() < 1e-9);
        }
        for (x, y) in back.angles().iter().zip(l.angles()) {
            assert!((x - y).abs() < 1e-9);
        }
        // Why the lattice was refused.
        let why = |r: Result<Lattice>| match r {
            Err(Error::InvalidLattice(why)) => why,
            other => format!("{other:?}"),
        };
        let why_metric = why(Lattice::from_reciprocal_metric(&[
            [1.0, 0.0, 0.0],
            [0.0, -1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]));
        assert!(
            why_metric.ends_with("is not positive definite"),
            "{why_metric}"
        );
        let why_metric = why(Lattice::from_reciprocal_metric(&[
            [1.0, 0.5, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]));
        assert!(
            why_metric.ends_with("is not invertible and symmetric"),
            "{why_metric}"
        );
        assert_eq!(
            why(Lattice::from_parameters(1.0, 1.0, 1.0, 90.0, 90.0, 180.0)),
            "gamma = 180°"
        );
        assert_eq!(
            why(Lattice::from_parameters(1.0, 1.0, 1.0, 10.0, 10.0, 80.0)),
            "angles 10°, 10°, 80° do not form a cell"
        );
        assert_eq!(
            why(Lattice::from_parameters(-1.0, 1.0, 1.0, 90.0, 90.0, 90.0)),
            "parameters [-1.0, 1.0, 1.0, 90.0, 90.0, 90.0]"
        );
        assert_eq!(
            why(Lattice::from_matrix([
                [1.0, 0.0, 0.0],
                [2.0, 0.0, 0.0],
                [0.0, 0.0, 1.0]
            ])),
            "volume 0 Å³ is not positive"
        );
    }
}
