//! The parent SmFe12 structure (ThMn12 type, I4/mmm) and the supercells of the data set.

use std::collections::BTreeSet;

use crate::Result;
use crate::element::Species;
use crate::lattice::{Lattice, Mat3, inverse, mat_vec_rows};
use crate::structure::{Site, Structure};
use crate::symmetry::SymOp;

use super::orbits::Perm;

/// Ti-series cell (4 formula units): 2×2×1 of the body-centred primitive cell, rows in
/// conventional units.
pub const TI_CELL: Mat3 = [[-1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [0.5, 0.5, -0.5]];
/// Zr-series cell (8 formula units): 2×2×2 of the body-centred primitive cell.
pub const ZR_CELL: Mat3 = [[-1.0, 1.0, 1.0], [1.0, -1.0, 1.0], [1.0, 1.0, -1.0]];

/// Site labels of the parent (Wyckoff positions of I4/mmm).
pub const SM_2A: &str = "Sm2a";
/// Fe on 8f.
pub const FE_8F: &str = "Fe8f";
/// Fe on 8i (the Ti sites).
pub const FE_8I: &str = "Fe8i";
/// Fe on 8j.
pub const FE_8J: &str = "Fe8j";

/// The 32 operations of I4/mmm in conventional coordinates: the 16 point operations of 4/mmm
/// (signed permutations of x, y times ±z), each with translations 0 and (½, ½, ½).
pub fn i4mmm_ops() -> Vec<SymOp> {
    let mut ops = Vec::with_capacity(32);
    for centring in [0.0, 0.5] {
        for swap in [false, true] {
            for sx in [1.0, -1.0] {
                for sy in [1.0, -1.0] {
                    for sz in [1.0, -1.0] {
                        let mut r = [[0.0; 3]; 3];
                        if swap {
                            r[0][1] = sx;
                            r[1][0] = sy;
                        } else {
                            r[0][0] = sx;
                            r[1][1] = sy;
                        }
                        r[2][2] = sz;
                        ops.push(SymOp {
                            rotation: r,
                            translation: [centring; 3],
                        });
                    }
                }
            }
        }
    }
    ops
}

/// Conventional SmFe12 cell (26 atoms) with a, c (Å) and the 8i, 8j parameters.
pub fn parent(a: f64, c: f64, x_8i: f64, x_8j: f64) -> Result<Structure> {
    let lattice = Lattice::from_parameters(a, a, c, 90.0, 90.0, 90.0)?;
    let sm = Species::parse("Sm")?;
    let fe = Species::parse("Fe")?;
    let labelled = |sp, frac, label: &str| Site {
        label: label.to_string(),
        ..Site::new(sp, frac)
    };
    let asym = [
        labelled(sm, [0.0, 0.0, 0.0], SM_2A),
        labelled(fe, [0.25, 0.25, 0.25], FE_8F),
        labelled(fe, [x_8i, 0.0, 0.0], FE_8I),
        labelled(fe, [x_8j, 0.5, 0.0], FE_8J),
    ];
    Structure::from_asymmetric_unit(lattice, &asym, &i4mmm_ops())
}

/// Indices of the sites carrying `label`, in site order.
pub fn sites_labelled(s: &Structure, label: &str) -> Vec<usize> {
    s.sites()
        .iter()
        .enumerate()
        .filter(|(_, x)| x.label == label)
        .map(|(i, _)| i)
        .collect()
}

/// Permutations of `subset` (indices into the supercell's sites, returned as positions in
/// `subset`) induced by the parent space-group operations that map the supercell onto itself,
/// combined with every parent lattice translation (the internal translations of the supercell).
pub fn subset_permutations(cell: &Structure, m: &Mat3, subset: &[usize]) -> Vec<Perm> {
    let Some(minv) = inverse(m) else {
        return Vec::new();
    };
    let conv: Vec<[f64; 3]> = subset
        .iter()
        .map(|&i| mat_vec_rows(m, cell.sites()[i].frac))
        .collect();
    let target: Vec<[f64; 3]> = subset.iter().map(|&i| cell.sites()[i].frac).collect();
    let same = |a: [f64; 3], b: [f64; 3]| {
        (0..3).all(|k| {
            let d = a[k] - b[k];
            (d - d.round()).abs() < 1e-6
        })
    };
    let mut perms = BTreeSet::new();
    for op in i4mmm_ops() {
        // The rotation must map the supercell lattice onto itself.
        let preserves = m.iter().all(|row| {
            let v = [0, 1, 2].map(|i| (0..3).map(|j| op.rotation[i][j] * row[j]).sum::<f64>());
            mat_vec_rows(&minv, v)
                .iter()
                .all(|c| (c - c.round()).abs() < 1e-9)
        });
        if !preserves {
            continue;
        }
        for n0 in -2..=2 {
            for n1 in -2..=2 {
                for n2 in -2..=2 {
                    let t = [f64::from(n0), f64::from(n1), f64::from(n2)];
                    let perm: Option<Perm> = conv
                        .iter()
                        .map(|&p| {
                            let q = op.apply(p);
                            let f = mat_vec_rows(&minv, [q[0] + t[0], q[1] + t[1], q[2] + t[2]]);
                            target.iter().position(|&g| same(f, g))
                        })
                        .collect();
                    if let Some(p) = perm {
                        perms.insert(p);
                    }
                }
            }
        }
    }
    perms.into_iter().collect()
}
