//! What a crystallographer reads off a refined structure beside its sites: bond lengths and
//! angles with esds (from the covariance of the coordinates and of the cell), and the R factors
//! of the phase's reflections (R_Bragg, R_F).

use xrd_sim::Lattice;

use super::{Bond, BondAngle};
use crate::atoms::AtomModel;
use crate::cell::CellModel;
use crate::model::{Model, PhaseIndex};
use crate::state::Choices;

/// A bond is a neighbour within this many times the sum of the covalent radii.
const BOND_REACH: f64 = 1.25;
/// Angles are listed around sites with at most this many bonds (coordination polyhedra).
const MAX_ANGLE_BONDS: usize = 6;
/// Relative step of the numerical gradients of the esds.
const STEP: f64 = 1e-6;

/// One neighbour of a site: which site, which operation, which translation.
#[derive(Debug, Clone, Copy)]
struct Neighbour {
    site: usize,
    op: usize,
    shift: [f64; 3],
}

/// The site positions and the lattice at `values`.
fn geometry(
    atoms: &AtomModel,
    cell: &CellModel,
    pi: &PhaseIndex,
    values: &[f64],
) -> Option<(Vec<[f64; 3]>, Lattice)> {
    let lattice = cell.lattice(&values[pi.cell.clone()]).ok()?;
    let positions = atoms
        .sites
        .iter()
        .zip(&atoms.offsets)
        .map(|(s, &o)| {
            let i = pi.sites.start + o;
            s.position(&values[i..i + s.directions.len()])
        })
        .collect();
    Some((positions, lattice))
}

/// The image `n` of its site's position.
fn image(atoms: &AtomModel, positions: &[[f64; 3]], n: Neighbour) -> [f64; 3] {
    let op = &atoms.ops[n.op];
    let x = op.apply(positions[n.site]);
    [x[0] + n.shift[0], x[1] + n.shift[1], x[2] + n.shift[2]]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// The length of the bond from site `a` to neighbour `n`.
fn length(atoms: &AtomModel, positions: &[[f64; 3]], lattice: &Lattice, a: usize, n: Neighbour) -> f64 {
    norm(lattice.cartesian(sub(image(atoms, positions, n), positions[a])))
}

/// The angle (°) at site `c` between neighbours `n1`, `n2`.
fn angle(
    atoms: &AtomModel,
    positions: &[[f64; 3]],
    lattice: &Lattice,
    c: usize,
    n1: Neighbour,
    n2: Neighbour,
) -> f64 {
    let u = lattice.cartesian(sub(image(atoms, positions, n1), positions[c]));
    let v = lattice.cartesian(sub(image(atoms, positions, n2), positions[c]));
    let cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (norm(u) * norm(v));
    cos.clamp(-1.0, 1.0).acos().to_degrees()
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

/// The operation and translation of a neighbour as text (`-x+1/2,-y,z+1/2` then `+[0,1,0]`).
fn symmetry_text(atoms: &AtomModel, n: Neighbour) -> String {
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
    let reach = |a: usize, b: usize| {
        let r = |s: usize| atoms.sites[s].element.covalent_radius().unwrap_or(1.5);
        BOND_REACH * (r(a) + r(b))
    };
    // Each site's neighbours: every image of every site within reach, each image once.
    let mut neighbours: Vec<Vec<(Neighbour, f64)>> = vec![Vec::new(); n];
    for (a, list) in neighbours.iter_mut().enumerate() {
        for b in 0..n {
            for op in 0..atoms.ops.len() {
                for t in 0..27 {
                    let shift = [(t / 9) as f64 - 1.0, ((t / 3) % 3) as f64 - 1.0, (t % 3) as f64 - 1.0];
                    let nb = Neighbour { site: b, op, shift };
                    // The image moved to the cell nearest site a first.
                    let x = atoms.ops[op].apply(positions[b]);
                    let base = [0, 1, 2].map(|k| (positions[a][k] - x[k]).round());
                    let nb = Neighbour {
                        shift: [base[0] + nb.shift[0], base[1] + nb.shift[1], base[2] + nb.shift[2]],
                        ..nb
                    };
                    let d = length(atoms, &positions, &lattice, a, nb);
                    if d < 0.3 || d > reach(a, b) {
                        continue;
                    }
                    let y = image(atoms, &positions, nb);
                    let seen = list.iter().any(|(m, _): &(Neighbour, f64)| {
                        m.site == b
                            && norm(lattice.cartesian(sub(image(atoms, &positions, *m), y))) < 1e-3
                    });
                    if !seen {
                        list.push((nb, d));
                    }
                }
            }
        }
        list.sort_by(|x, y| x.1.total_cmp(&y.1));
    }
    let params_of = |s: usize| -> Vec<usize> {
        let o = pi.sites.start + atoms.offsets[s];
        (o..o + atoms.sites[s].directions.len()).collect()
    };
    let cell_params: Vec<usize> = pi.cell.clone().collect();
    let mut bonds = Vec::new();
    for (a, list) in neighbours.iter().enumerate() {
        for &(nb, d) in list {
            // Each bond once: from the first of its two sites (ties by the site itself).
            if nb.site < a {
                continue;
            }
            let mut params = params_of(a);
            params.extend(params_of(nb.site));
            params.extend(&cell_params);
            params.sort_unstable();
            params.dedup();
            let f = |v: &[f64]| {
                geometry(atoms, cell, pi, v).map(|(p, l)| length(atoms, &p, &l, a, nb))
            };
            bonds.push(Bond {
                from: atoms.sites[a].label.clone(),
                to: atoms.sites[nb.site].label.clone(),
                symmetry: symmetry_text(atoms, nb),
                distance: d,
                esd: esd(&f, values, &params, cov),
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
                    geometry(atoms, cell, pi, v).map(|(p, l)| angle(atoms, &p, &l, c, n1, n2))
                };
                angles.push(BondAngle {
                    sites: [
                        atoms.sites[n1.site].label.clone(),
                        atoms.sites[c].label.clone(),
                        atoms.sites[n2.site].label.clone(),
                    ],
                    degrees: angle(atoms, &positions, &lattice, c, n1, n2),
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
