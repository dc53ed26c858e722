//! What a crystallographer reads off a refined structure beside its sites: bond lengths and
//! angles with esds (from the covariance of the coordinates and of the cell), and the R factors
//! of the phase's reflections (R_Bragg, R_F).

use xrd_sim::Lattice;

use super::{Bond, BondAngle};
use crate::atoms::{AtomModel, Image, angle, distance};
use crate::cell::CellModel;
use crate::model::{Model, PhaseIndex};
use crate::state::Choices;

/// A bond is a neighbour within this many times the sum of the covalent radii.
const BOND_REACH: f64 = 1.25;
/// Angles are listed around sites with at most this many bonds (coordination polyhedra).
const MAX_ANGLE_BONDS: usize = 6;
/// Relative step of the numerical gradients of the esds.
const STEP: f64 = 1e-6;

/// The site positions and the lattice at `values`.
fn geometry(
    atoms: &AtomModel,
    cell: &CellModel,
    pi: &PhaseIndex,
    values: &[f64],
) -> Option<(Vec<[f64; 3]>, Lattice)> {
    let lattice = cell.lattice(&values[pi.cell.clone()]).ok()?;
    Some((atoms.positions(&values[pi.sites.clone()]), lattice))
}

/// The esd of `f(values)` by its numerical gradient in the parameters `params` and their
/// covariance `cov`.
fn esd(
    f: &dyn Fn(&[f64]) -> Option<f64>,
    values: &[f64],
    params: &[usize],
    cov: &dyn Fn(usize, usize) -> f64,
) -> f64 {
    let mut g = Vec::with_capacity(params.len());
    for &i in params {
        let h = values[i].abs().max(1e-3) * STEP;
        let (mut up, mut down) = (values.to_vec(), values.to_vec());
        up[i] += h;
        down[i] -= h;
        g.push(match (f(&up), f(&down)) {
            (Some(a), Some(b)) => (a - b) / (2.0 * h),
            _ => 0.0,
        });
    }
    let mut var = 0.0;
    for (a, &i) in params.iter().enumerate() {
        for (b, &j) in params.iter().enumerate() {
            var += g[a] * g[b] * cov(i, j);
        }
    }
    var.max(0.0).sqrt()
}

/// The operation and translation of an image as text (`-x+1/2,-y,z+1/2` then `+[0,1,0]`).
fn symmetry_text(atoms: &AtomModel, n: Image) -> String {
    let op = atoms.ops[n.op].to_xyz();
    if n.shift == [0.0; 3] {
        op
    } else {
        format!(
            "{op}+[{},{},{}]",
            n.shift[0] as i32, n.shift[1] as i32, n.shift[2] as i32
        )
    }
}

/// The bonds and angles of the phase's refined structure at `values`, with esds from `cov`
/// (over the table's parameters).
pub(super) fn bonds_and_angles(
    atoms: &AtomModel,
    cell: &CellModel,
    pi: &PhaseIndex,
    values: &[f64],
    cov: &dyn Fn(usize, usize) -> f64,
) -> (Vec<Bond>, Vec<BondAngle>) {
    let Some((positions, lattice)) = geometry(atoms, cell, pi, values) else {
        return (Vec::new(), Vec::new());
    };
    let n = atoms.sites.len();
    let radius = |s: usize| atoms.sites[s].element.covalent_radius().unwrap_or(1.5);
    // Each site's neighbours: every image of every site within reach.
    let neighbours: Vec<Vec<(Image, f64)>> = (0..n)
        .map(|a| {
            let mut list: Vec<(Image, f64)> = (0..n)
                .flat_map(|b| {
                    atoms.neighbours(
                        &positions,
                        &lattice,
                        a,
                        b,
                        BOND_REACH * (radius(a) + radius(b)),
                    )
                })
                .collect();
            list.sort_by(|x, y| x.1.total_cmp(&y.1));
            list
        })
        .collect();
    let params_of = |s: usize| -> Vec<usize> {
        let (o, site) = atoms.params_of(s);
        let o = pi.sites.start + o;
        (o..o + site.directions.len()).collect()
    };
    let cell_params: Vec<usize> = pi.cell.clone().collect();
    let length = |v: &[f64], a: usize, nb: Image| {
        geometry(atoms, cell, pi, v).map(|(p, l)| distance(&l, p[a], atoms.image(&p, nb)))
    };
    let mut bonds = Vec::new();
    for (a, list) in neighbours.iter().enumerate() {
        for &(nb, d) in list {
            // Each bond once: from the first of its two sites.
            if nb.site < a {
                continue;
            }
            let mut params = params_of(a);
            params.extend(params_of(nb.site));
            params.extend(&cell_params);
            params.sort_unstable();
            params.dedup();
            bonds.push(Bond {
                from: atoms.sites[a].label.clone(),
                to: atoms.sites[nb.site].label.clone(),
                symmetry: symmetry_text(atoms, nb),
                distance: d,
                esd: esd(&|v| length(v, a, nb), values, &params, cov),
            });
        }
    }
    let mut angles = Vec::new();
    for (c, list) in neighbours.iter().enumerate() {
        if list.len() < 2 || list.len() > MAX_ANGLE_BONDS {
            continue;
        }
        for i in 0..list.len() {
            for j in i + 1..list.len() {
                let (n1, n2) = (list[i].0, list[j].0);
                let mut params = params_of(c);
                params.extend(params_of(n1.site));
                params.extend(params_of(n2.site));
                params.extend(&cell_params);
                params.sort_unstable();
                params.dedup();
                let f = |v: &[f64]| {
                    geometry(atoms, cell, pi, v)
                        .map(|(p, l)| angle(&l, atoms.image(&p, n1), p[c], atoms.image(&p, n2)))
                };
                angles.push(BondAngle {
                    sites: [
                        atoms.sites[n1.site].label.clone(),
                        atoms.sites[c].label.clone(),
                        atoms.sites[n2.site].label.clone(),
                    ],
                    degrees: angle(
                        &lattice,
                        atoms.image(&positions, n1),
                        positions[c],
                        atoms.image(&positions, n2),
                    ),
                    esd: esd(&f, values, &params, cov),
                });
            }
        }
    }
    (bonds, angles)
}

/// R_Bragg and R_F of phase `p` at `values`: each reflection's observed intensity apportioned
/// from the observed counts above the background by its share of the calculated ones.
pub(super) fn r_bragg(
    model: &Model,
    choices: &Choices,
    values: &[f64],
    p: usize,
    observed: &[f64],
    calculated: &[f64],
    background: &[f64],
) -> Option<(f64, f64)> {
    let curves = model.peak_curves(choices, values, p, false);
    let structure = model.phases[p]
        .atoms
        .as_ref()
        .map(|a| a.evaluate(&values[model.layout.phases[p].sites.clone()], false));
    let (mut num, mut den, mut fnum, mut fden) = (0.0, 0.0, 0.0, 0.0);
    for (k, (first, curve)) in curves.iter().enumerate() {
        let calc: f64 = curve.iter().sum();
        if calc <= 0.0 {
            continue;
        }
        let obs: f64 = curve
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = first + i;
                let net = calculated[at] - background[at];
                if net > 0.0 {
                    c * (observed[at] - background[at]).max(0.0) / net
                } else {
                    0.0
                }
            })
            .sum();
        num += (obs - calc).abs();
        den += obs;
        let f2 = structure
            .as_ref()
            .map_or(model.phases[p].peaks[k].f2, |s| s.f2[k].iter().sum());
        let f = f2.max(0.0).sqrt();
        let ratio = (obs / calc).sqrt();
        fnum += f * (ratio - 1.0).abs();
        fden += f * ratio;
    }
    (den > 0.0 && fden > 0.0).then(|| (num / den, fnum / fden))
}
