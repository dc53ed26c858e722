//! Systematic absences: which space groups of an indexed cell's crystal systems explain the
//! observed lines with the fewest allowed reflections.
//!
//! A reflection is systematically absent in a space group when its structure factor vanishes
//! for every structure of the group ([`SpaceGroup::is_absent`]): centring, glide planes and
//! screw axes show this way, and a powder pattern shows them as missing lines. For each group of the accepted metric's
//! systems (in its standard setting; an orthorhombic cell in each of the six orders of its
//! axes) the observed lines are matched against the allowed reflections only, and the group is
//! scored as the cell is, by the share of the lines' weight it explains and by de Wolff's
//! figure of merit over its allowed lines: a group whose absences remove lines that are not
//! there has fewer calculated lines and a higher merit.

use serde::{Deserialize, Serialize};
use xrd_sim::SpaceGroup;

use crate::lines::Lines;
use crate::metric::{Metric, bounds};
use crate::params::IndexingParams;
use crate::solution::Solution;

/// How well one space group's allowed reflections explain an indexed pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFit {
    /// The space group (1–230, standard setting).
    pub space_group: u8,
    /// The share of the lines' weight (√height) within the tolerance of an allowed reflection.
    pub explained: f64,
    /// Distinct allowed lines up to the last observed one.
    pub allowed_lines: usize,
    /// De Wolff's figure of merit over the allowed lines.
    pub merit: f64,
    /// Which of the cell's axes is the group's a, b and c (the identity but for orthorhombic
    /// cells).
    pub axes: [usize; 3],
}

/// The six orders of three axes.
pub(crate) const PERMUTATIONS: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

/// Every space group of `solution`'s systems scored against `lines` (orthorhombic groups in the
/// best of the six axis orders: explaining `need` of the lines' weight first, then merit).
pub(crate) fn fit_groups(
    solution: &Solution,
    lines: &Lines,
    params: &IndexingParams,
    need: f64,
) -> Vec<GroupFit> {
    let n = lines.len();
    if n == 0 {
        return Vec::new();
    }
    let zero = solution.zero_shift;
    let (mut q, mut tol) = (vec![0.0; n], vec![0.0; n]);
    lines.at_zero(zero, &mut q, &mut tol);
    for t in &mut tol {
        *t *= params.tolerance;
    }
    let q_max = q[n - 1];
    let limit = q_max + tol[n - 1];
    let g0 = solution.cell.reciprocal_metric();
    let orders: &[[usize; 3]] = if solution.metric == Metric::Orthorhombic {
        &PERMUTATIONS
    } else {
        &PERMUTATIONS[..1]
    };
    // The reflections of each axis order, once for all groups.
    let reflections: Vec<Vec<([i32; 3], f64)>> = orders
        .iter()
        .map(|perm| {
            let g: [[f64; 3]; 3] =
                std::array::from_fn(|i| std::array::from_fn(|j| g0[perm[i]][perm[j]]));
            let b = bounds(&g, limit);
            let mut out = Vec::new();
            for h in -b[0]..=b[0] {
                for k in -b[1]..=b[1] {
                    for l in -b[2]..=b[2] {
                        if (h, k, l) == (0, 0, 0) {
                            continue;
                        }
                        let v = [f64::from(h), f64::from(k), f64::from(l)];
                        let qh: f64 = (0..3)
                            .map(|i| (0..3).map(|j| v[i] * g[i][j] * v[j]).sum::<f64>())
                            .sum();
                        if qh <= limit {
                            out.push(([h, k, l], qh));
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut fits = Vec::new();
    for system in solution.metric.systems() {
        for group in system.space_groups() {
            // Standard settings exist for 1–230, which is all `space_groups` gives.
            let Ok(setting) = SpaceGroup::new(group) else {
                continue;
            };
            let mut best: Option<GroupFit> = None;
            for (perm, refl) in orders.iter().zip(&reflections) {
                let mut allowed: Vec<f64> = refl
                    .iter()
                    .filter(|(h, _)| !setting.is_absent(*h))
                    .map(|&(_, q)| q)
                    .collect();
                allowed.sort_by(f64::total_cmp);
                allowed.dedup_by(|b, a| (*b - *a).abs() <= 1e-9 * *a);
                let (mut weight, mut sum, mut count) = (0.0, 0.0, 0usize);
                for i in 0..n {
                    let j = allowed.partition_point(|&a| a < q[i]);
                    let e = [j.checked_sub(1), Some(j)]
                        .into_iter()
                        .flatten()
                        .filter_map(|j| allowed.get(j))
                        .map(|a| (a - q[i]).abs())
                        .fold(f64::INFINITY, f64::min);
                    if e <= tol[i] {
                        weight += lines.weight[i];
                        sum += e;
                        count += 1;
                    }
                }
                let lines_below = allowed.iter().filter(|&&a| a <= q_max).count().max(1);
                let floor = 0.1 * tol[n - 1] / n as f64;
                let eps = if count > 0 {
                    (sum / count as f64).max(floor)
                } else {
                    f64::INFINITY
                };
                let fit = GroupFit {
                    space_group: group,
                    explained: weight / lines.total,
                    allowed_lines: lines_below,
                    merit: q_max / (2.0 * eps * lines_below as f64),
                    axes: *perm,
                };
                let key = |f: &GroupFit| (f.explained >= need, f.merit, f.explained);
                if best.as_ref().is_none_or(|b| key(&fit) > key(b)) {
                    best = Some(fit);
                }
            }
            fits.extend(best);
        }
    }
    fits
}

/// The share of the lines' weight a space group of `solution`'s systems must explain: all the
/// cell indexes (less rounding).
pub(crate) fn group_need(solution: &Solution, params: &IndexingParams) -> f64 {
    params.min_indexed.max(solution.indexed_weight - 1e-9)
}
