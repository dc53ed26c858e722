//! The built-in (Sm,Zr)(Fe,Ti)12 series as the examples show it: formulas and composition groups.

use ndarray::Array2;
use xrd_sim::builtin::Builtin;

/// `Sm1.000Zr0.000Fe11.000Ti1.000` from (Sm, Zr, Fe, Ti) per formula unit.
pub fn formula(c: &[f64]) -> String {
    format!("Sm{:.3}Zr{:.3}Fe{:.3}Ti{:.3}", c[0], c[1], c[2], c[3])
}

/// The concentration group of every pattern (index into the distinct (x, y), in ascending order)
/// and those (x, y), by the workspace's one composition key ([`xrd_interp::composition_groups`]).
pub fn concentration_groups(b: &Builtin) -> (Vec<usize>, Vec<[f64; 2]>) {
    let xy = Array2::from_shape_fn((b.len(), 2), |(i, j)| if j == 0 { b.x[i] } else { b.y[i] });
    let (group, distinct) = xrd_interp::composition_groups(xy.view());
    (group, distinct.iter().map(|c| [c[0], c[1]]).collect())
}

/// Whether pattern `i` has the concentrations (x, y) = `xy` (the one composition key).
pub fn has_concentrations(b: &Builtin, i: usize, xy: [f64; 2]) -> bool {
    xrd_interp::same_composition(&[b.x[i], b.y[i]], &xy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas() {
        assert_eq!(
            formula(&[1.0, 0.0, 10.5, 1.5]),
            "Sm1.000Zr0.000Fe10.500Ti1.500"
        );
    }
}
