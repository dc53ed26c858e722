//! What a site's symmetry leaves free: the coordinates and the anisotropic displacement
//! components a structure refinement may move, derived from the space group's operations
//! (the site's stabiliser), not from a table of special positions.
//!
//! A site at x₀ is kept by the operations (W, w) with W x₀ + w ≡ x₀ (mod 1). Moving it by δ
//! keeps it there only if (W − I) δ = 0 for each of them: the free coordinates are the null
//! space of those rows. The displacement tensor β (exp(−hᵀβh), fractional axes) must satisfy
//! W β Wᵀ = β. Both null spaces are taken in reduced row-echelon form, so that each free
//! parameter is one coordinate or component and the others follow it as the International
//! Tables write them (`x, 2x, 1/4`; `U11 = U22 = 2 U12`).

use crate::SymOp;

/// How far (fractional units) an operation may move a site and still keep it.
const KEEP: f64 = 1e-5;
/// Below this a pivot of the elimination is zero (the rows are small integers).
const PIVOT: f64 = 1e-8;

/// The components of β in this order.
pub const BETA_COMPONENTS: [&str; 6] = ["11", "22", "33", "12", "13", "23"];

/// The free parameters of one site.
///
/// ```
/// use xrd_sim::{SiteConstraints, SpaceGroup};
/// // Pnma's 4c (x, 1/4, z): on a mirror ⊥ b.
/// let g = SpaceGroup::new(62)?;
/// let site = SiteConstraints::of(g.operations(), [0.19, 0.25, 0.17]);
/// assert_eq!(site.coordinates, vec![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
/// assert_eq!(site.betas.len(), 4); // β12 = β23 = 0
/// # Ok::<(), xrd_sim::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConstraints {
    /// The operations that keep the site (the identity included).
    pub stabiliser: usize,
    /// Directions the site may move along, one per free coordinate: x = x₀ + Σ pₖ vₖ.
    pub coordinates: Vec<[f64; 3]>,
    /// Directions of the free β components ([`BETA_COMPONENTS`] order): β = Σ qₖ bₖ.
    pub betas: Vec<[f64; 6]>,
}

impl SiteConstraints {
    /// The free coordinates and β components of the site at `frac` under `operations` (a
    /// space group's conventional-cell operations, centring translations included).
    pub fn of(operations: &[SymOp], frac: [f64; 3]) -> Self {
        let kept: Vec<&SymOp> = operations.iter().filter(|op| keeps(op, frac)).collect();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut beta_rows: Vec<Vec<f64>> = Vec::new();
        for op in &kept {
            let w = op.rotation;
            for (i, row) in w.iter().enumerate() {
                let mut r = row.to_vec();
                r[i] -= 1.0;
                rows.push(r);
            }
            beta_rows.extend(beta_constraint(&w));
        }
        let coordinates = null_space(rows, 3)
            .into_iter()
            .map(|v| [v[0], v[1], v[2]])
            .collect();
        let betas = null_space(beta_rows, 6)
            .into_iter()
            .map(|v| [v[0], v[1], v[2], v[3], v[4], v[5]])
            .collect();
        SiteConstraints {
            stabiliser: kept.len(),
            coordinates,
            betas,
        }
    }
}

/// Whether `op` maps `frac` onto itself or a lattice translation of it.
fn keeps(op: &SymOp, frac: [f64; 3]) -> bool {
    let image = op.apply(frac);
    (0..3).all(|i| {
        let d = image[i] - frac[i];
        (d - d.round()).abs() < KEEP
    })
}

/// The six rows of W β Wᵀ − β = 0 in the components of β.
fn beta_constraint(w: &[[f64; 3]; 3]) -> Vec<Vec<f64>> {
    // (i, j) of each component, in BETA_COMPONENTS order.
    const PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];
    PAIRS
        .iter()
        .map(|&(i, j)| {
            // (W β Wᵀ)ᵢⱼ = Σₖₗ Wᵢₖ βₖₗ Wⱼₗ, each off-diagonal βₖₗ counted as (k, l) and (l, k).
            let mut row = vec![0.0; 6];
            for (c, &(k, l)) in PAIRS.iter().enumerate() {
                row[c] = if k == l {
                    w[i][k] * w[j][l]
                } else {
                    w[i][k] * w[j][l] + w[i][l] * w[j][k]
                };
            }
            let own = PAIRS.iter().position(|&p| p == (i, j)).unwrap_or(0);
            row[own] -= 1.0;
            row
        })
        .collect()
}

/// A basis of the null space of `rows` (each of `n` columns) in reduced row-echelon form:
/// one vector per free column, 1 there and 0 in the other free columns.
fn null_space(mut rows: Vec<Vec<f64>>, n: usize) -> Vec<Vec<f64>> {
    let mut pivots: Vec<usize> = Vec::new();
    let mut r = 0;
    for c in 0..n {
        let Some(best) = (r..rows.len())
            .max_by(|&a, &b| rows[a][c].abs().total_cmp(&rows[b][c].abs()))
            .filter(|&k| rows[k][c].abs() > PIVOT)
        else {
            continue;
        };
        rows.swap(r, best);
        let p = rows[r][c];
        for v in rows[r].iter_mut() {
            *v /= p;
        }
        for k in 0..rows.len() {
            if k != r && rows[k][c].abs() > 0.0 {
                let f = rows[k][c];
                let pivot_row = rows[r].clone();
                for (v, q) in rows[k].iter_mut().zip(&pivot_row) {
                    *v -= f * q;
                }
            }
        }
        pivots.push(c);
        r += 1;
        if r == rows.len() {
            break;
        }
    }
    (0..n)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![0.0; n];
            v[free] = 1.0;
            for (k, &c) in pivots.iter().enumerate() {
                let x = -rows[k][free];
                // The rows are small integers: what elimination leaves near one is one.
                v[c] = if (x - x.round()).abs() < 1e-9 {
                    x.round()
                } else {
                    x
                };
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpaceGroup;

    fn site(number: u8, frac: [f64; 3]) -> SiteConstraints {
        SiteConstraints::of(SpaceGroup::new(number).unwrap().operations(), frac)
    }

    #[test]
    fn a_general_position_is_free() {
        let s = site(1, [0.1, 0.2, 0.3]);
        assert_eq!(s.stabiliser, 1);
        assert_eq!(s.coordinates.len(), 3);
        assert_eq!(s.betas.len(), 6);
    }

    #[test]
    fn a_site_of_full_cubic_symmetry_is_fixed_and_isotropic() {
        // Fm-3m 4a (0, 0, 0): the 48 point operations keep it (a centring moves it to another
        // site of its orbit).
        let s = site(225, [0.0, 0.0, 0.0]);
        assert_eq!(s.stabiliser, 48);
        assert!(s.coordinates.is_empty());
        assert_eq!(s.betas, vec![[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]);
    }

    #[test]
    fn a_threefold_axis_ties_x_y_and_z() {
        // P2₁3 4a (x, x, x).
        let s = site(198, [0.1, 0.1, 0.1]);
        assert_eq!(s.coordinates, vec![[1.0, 1.0, 1.0]]);
        assert_eq!(
            s.betas,
            vec![
                [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
            ]
        );
    }

    #[test]
    fn a_hexagonal_threefold_axis_ties_b11_b22_and_2_b12() {
        // R-3m (hexagonal axes) 6c (0, 0, z).
        let s = site(166, [0.0, 0.0, 0.3]);
        assert_eq!(s.coordinates, vec![[0.0, 0.0, 1.0]]);
        assert_eq!(
            s.betas,
            vec![
                [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                [2.0, 2.0, 0.0, 1.0, 0.0, 0.0]
            ]
        );
    }

    #[test]
    fn the_free_coordinates_of_every_wyckoff_position_are_the_tables() {
        // A point of each position of every group (its representative at generic parameters)
        // has as many free coordinates as the International Tables give it.
        let generic = [0.1234, 0.3127, 0.0719];
        for number in 1..=230u8 {
            let g = SpaceGroup::new(number).unwrap();
            for w in g.wyckoff_positions() {
                let s = SiteConstraints::of(g.operations(), w.point(generic));
                assert_eq!(
                    s.coordinates.len(),
                    w.degrees_of_freedom,
                    "group {number} {}{} {}",
                    w.multiplicity,
                    w.letter,
                    w.coordinates
                );
                // The orbit: as many sites as operations over the stabiliser.
                assert_eq!(
                    g.operations().len() / s.stabiliser,
                    w.multiplicity,
                    "group {number} {}{}",
                    w.multiplicity,
                    w.letter
                );
            }
        }
    }

    #[test]
    fn moving_a_site_along_its_free_directions_keeps_its_stabiliser() {
        let g = SpaceGroup::new(166).unwrap();
        for w in g.wyckoff_positions() {
            let x0 = w.point([0.1234, 0.3127, 0.0719]);
            let s = SiteConstraints::of(g.operations(), x0);
            for v in &s.coordinates {
                let moved = [
                    x0[0] + 0.01 * v[0],
                    x0[1] + 0.01 * v[1],
                    x0[2] + 0.01 * v[2],
                ];
                let again = SiteConstraints::of(g.operations(), moved);
                assert_eq!(
                    again.stabiliser, s.stabiliser,
                    "{}{}",
                    w.multiplicity, w.letter
                );
            }
        }
    }
}
