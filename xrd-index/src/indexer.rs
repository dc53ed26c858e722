//! The search for the cell of each metric: trial cells from the first lines, refinement with a
//! zero shift, and de Wolff's figure of merit.

use xrd_io::{Pattern, Wavelength};

use crate::indexing::Indexing;
use crate::lines::{self, Line, Lines};
use crate::metric::{MAX_PARAMS, Metric};
use crate::params::IndexingParams;
use crate::solution::Solution;
use crate::{Error, Result};

/// The largest Miller index a line may need (see [`Indexer::index_lines`]).
const MAX_INDEX: f64 = 200.0;

/// A powder indexing, built once from checked parameters with its trial tables precomputed,
/// then run on any number of patterns (it is `Sync`: share it across threads).
///
/// For each metric of p parameters, every choice of p of the first
/// [`trial_lines`](IndexingParams::trial_lines) lines, assigned every choice of small Miller
/// indices, gives a trial cell. A trial cell is exact only at its chosen lines, and they are off
/// by the zero shift (up to [`max_zero_shift`](IndexingParams::max_zero_shift), one for all
/// lines) and by their own errors (up to the [`tolerance`](IndexingParams::tolerance)); a trial
/// that explains most lines within what these errors can make of each reflection is refined
/// by least squares together with a zero shift (unless its first steps' figures of merit are
/// below [`min_trial_merit`](IndexingParams::min_trial_merit)), and scored by the share of the lines
/// it indexes (each line weighted by the square root of its height, so that a weak impurity or
/// noise line costs less than a strong one) and by de Wolff's (1968) figure of merit
/// M = d*²_N / (2 ε̄ N_calc) (d*²_N = 1/d² of the last line, ε̄ the mean |Δd*²| of the indexed
/// lines, N_calc the distinct calculated lines up to d*²_N): a cell large enough to index
/// anything has many calculated lines and a small M. The accepted metric is the most symmetric
/// one whose best cell indexes at least [`min_indexed`](IndexingParams::min_indexed) of the
/// lines' weight with M at least [`min_merit`](IndexingParams::min_merit), from at least
/// [`lines_per_unknown`](IndexingParams::lines_per_unknown) lines per unknown (cell parameters
/// and zero shift): a few lines fit any cell of few parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Indexer {
    params: IndexingParams,
    /// The trial tables of each metric tried, most symmetric first.
    trials: Vec<Trials>,
    /// Whether the metrics below an accepted one are searched too.
    every_metric: bool,
}

impl Default for Indexer {
    /// The indexing with [`IndexingParams::default`].
    fn default() -> Self {
        Indexer::build(IndexingParams::default())
    }
}

impl Indexer {
    /// The indexing with `params`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn new(params: IndexingParams) -> Result<Self> {
        params.check()?;
        Ok(Indexer::build(params))
    }

    fn build(params: IndexingParams) -> Self {
        let trials = Metric::ALL
            .into_iter()
            .filter(|m| params.metrics.contains(m))
            .map(Trials::new)
            .collect();
        Indexer {
            params,
            trials,
            every_metric: false,
        }
    }

    /// Whether to search every metric for its best cell (true), or to stop at the first, most
    /// symmetric, metric whose cell is accepted (false, the default). The accepted cell is the
    /// same either way; the search below it costs as much as the rest and only fills
    /// [`Indexing::solutions`] with the less symmetric metrics' cells (`xrd index --all`).
    #[must_use]
    pub fn every_metric(mut self, yes: bool) -> Self {
        self.every_metric = yes;
        self
    }

    /// Its parameters.
    pub fn params(&self) -> &IndexingParams {
        &self.params
    }

    /// The lines of `pattern` measured at `wavelength` (its Kα1 line is used; the Kα2 partners
    /// of a doublet's lines are left out): the maxima of the background-free, smoothed pattern
    /// above the height and noise thresholds, sorted by angle.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a pattern of fewer than two points.
    pub fn lines(&self, pattern: &Pattern, wavelength: Wavelength) -> Result<Vec<Line>> {
        Ok(lines::observed_lines(pattern, wavelength, &self.params)?.lines)
    }

    /// Indexes the lines of a measured `pattern` in the wavelength it states, on its own
    /// points (no resampling, no conversion).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the pattern states no wavelength (give one with
    /// [`Indexer::index_pattern_at`]) or has fewer than two points; as [`Indexer::index_lines`].
    pub fn index_pattern(&self, pattern: &Pattern) -> Result<Indexing> {
        let wavelength = pattern.wavelength().ok_or_else(|| {
            Error::param(
                "wavelength",
                "the pattern states no wavelength (index_pattern_at takes one)",
            )
        })?;
        self.index_pattern_at(pattern, wavelength)
    }

    /// Indexes the lines of `pattern` measured at `wavelength`, whatever the pattern states.
    ///
    /// # Errors
    /// As [`Indexer::index_pattern`].
    pub fn index_pattern_at(&self, pattern: &Pattern, wavelength: Wavelength) -> Result<Indexing> {
        let found = lines::observed_lines(pattern, wavelength, &self.params)?;
        let mut indexing = self.index_lines(&found.lines, wavelength)?;
        indexing.search_noise = Some(found.noise);
        Ok(indexing)
    }

    /// Indexes `lines` (any order; the first [`lines`](IndexingParams::lines) by angle are used)
    /// measured at `wavelength` (its primary line). Fewer lines than a metric has unknowns
    /// (parameters and zero shift) plus one give no cell of that metric.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a line outside (0°, 180°) or a height that is not finite and positive, or a line whose
    /// d-spacing would need Miller indices over 200 in a cell of
    /// [`max_edge`](IndexingParams::max_edge) (d < max_edge / 200).
    pub fn index_lines(&self, lines: &[Line], wavelength: Wavelength) -> Result<Indexing> {
        let params = &self.params;
        let lambda = wavelength.angstrom();
        if let Some(l) = lines.iter().find(|l| {
            !(l.two_theta.is_finite()
                && l.two_theta > 0.0
                && l.two_theta < 180.0
                && l.height.is_finite()
                && l.height > 0.0)
        }) {
            return Err(Error::param(
                "lines",
                format!(
                    "line at {}° of height {} is not in (0°, 180°) with a height > 0",
                    l.two_theta, l.height
                ),
            ));
        }
        let mut t = lines.to_vec();
        t.sort_by(|a, b| a.two_theta.total_cmp(&b.two_theta));
        t.truncate(params.lines);
        // Indices up to 200 along a cell edge of `max_edge` reach every line: the searches
        // enumerate indices up to √(d*² max_edge²), so that bound keeps them finite.
        if let Some(last) = t.last() {
            let d = lambda / (2.0 * (0.5 * last.two_theta).to_radians().sin());
            if d * MAX_INDEX < params.max_edge {
                return Err(Error::param(
                    "lines",
                    format!(
                        "a line at d = {d:.4} Å needs indices over {MAX_INDEX} in a {} Å cell",
                        params.max_edge
                    ),
                ));
            }
        }
        let lines = Lines::new(&t, lambda, params.tolerance);
        let mut solutions: Vec<Solution> = Vec::new();
        for trials in &self.trials {
            if let Some(s) = search::<true>(trials, &lines, params) {
                let meets = s.meets(params);
                solutions.push(s);
                if meets && !self.every_metric {
                    break;
                }
            }
        }
        let accepted = solutions.iter().position(|s| s.meets(params));
        Ok(Indexing {
            lines: t,
            solutions,
            accepted,
            wavelength,
            params: params.clone(),
            search_noise: None,
        })
    }
}

/// The trial assignments of one metric, computed once per [`Indexer`].
#[derive(Debug, Clone, PartialEq)]
struct Trials {
    metric: Metric,
    /// For each assignment of design rows (of small Miller indices) to the chosen lines whose
    /// system is regular, the inverse of its matrix: a trial's parameters are this times the
    /// chosen lines' d*², so that no trial solves a system of its own.
    inverses: Vec<[[f64; MAX_PARAMS]; MAX_PARAMS]>,
}

impl Trials {
    fn new(metric: Metric) -> Self {
        let np = metric.parameters();
        let rows = metric.base_rows(trial_index(metric));
        // An orthorhombic trial's axes are sorted, so assignments that differ by a permutation
        // of h, k and l give one trial: only the first of each such set is kept.
        let permuted: Vec<Vec<usize>> = if metric == Metric::Orthorhombic {
            crate::groups::PERMUTATIONS
                .iter()
                .map(|perm| {
                    rows.iter()
                        .map(|r| {
                            let mut s = [0.0; MAX_PARAMS];
                            for (to, &from) in perm.iter().enumerate() {
                                s[to] = r[from];
                            }
                            // Every permutation of a row of small indices is a row too.
                            rows.iter().position(|x| *x == s).unwrap_or(usize::MAX)
                        })
                        .collect()
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut inverses = Vec::new();
        for_each_tuple(rows.len(), np, |assign| {
            let canonical = permuted.iter().all(|map| {
                let image: Vec<usize> = assign.iter().map(|&r| map[r]).collect();
                assign <= &image[..]
            });
            if !canonical {
                return;
            }
            // Column j of the inverse solves the system for the j-th unit vector.
            let mut columns = [[0.0; MAX_PARAMS]; MAX_PARAMS];
            for (col, column) in columns.iter_mut().enumerate().take(np) {
                let mut a = [[0.0; MAX_PARAMS + 1]; MAX_PARAMS];
                for (r, &row) in assign.iter().enumerate() {
                    a[r][..np].copy_from_slice(&rows[row][..np]);
                    a[r][np] = if r == col { 1.0 } else { 0.0 };
                }
                let Some(x) = gauss_rows(&a[..np], np) else {
                    return;
                };
                column[..np].copy_from_slice(&x);
            }
            inverses.push(std::array::from_fn(|k| {
                std::array::from_fn(|c| columns[c][k])
            }));
        });
        Trials { metric, inverses }
    }
}

/// Largest Miller index of the trial assignments per metric: the first lines of a cell of few
/// parameters have small indices; more parameters multiply the trials by the rows' count.
/// (Tetragonal and hexagonal 2, not 3: on the RRUFF development set the same number of right
/// crystal systems, fewer wrong ones, and a third of those metrics' trials.)
fn trial_index(metric: Metric) -> i32 {
    match metric {
        Metric::Cubic => 4,
        Metric::Hexagonal | Metric::Tetragonal => 2,
        Metric::Orthorhombic => 2,
        Metric::Monoclinic => 1,
    }
}

/// The best cell of `metric` for `lines`. With `PRUNE`, a refined cell that would lose to the
/// best so far whatever its figure of merit is not scored (the same best; tests compare).
fn search<const PRUNE: bool>(
    trials: &Trials,
    lines: &Lines,
    params: &IndexingParams,
) -> Option<Solution> {
    let metric = trials.metric;
    let np = metric.parameters();
    let n = lines.len();
    if n < np + 2 {
        return None;
    }
    // The weight a trial may miss and still be accepted.
    let spare = (1.0 - params.min_indexed) * lines.total;
    let trial = params.trial_lines.min(n);
    // The screen allows for a zero shift not yet refined.
    let window = lines.tolerance + params.max_zero_shift;
    let (mut q0, mut slope0) = (vec![0.0; n], vec![0.0; n]);
    lines.at_zero(0.0, &mut q0, &mut slope0);
    let screen_tol: Vec<f64> = slope0.iter().map(|s| window * s).collect();
    let mut first_windows = vec![0.0; n];
    let mut best: Option<Solution> = None;
    let mut tried = std::collections::HashSet::new();
    for_each_combination(trial, np, |chosen| {
        'trial: for inverse in &trials.inverses {
            let mut p: Vec<f64> = inverse[..np]
                .iter()
                .map(|row| row.iter().zip(chosen).map(|(a, &j)| a * q0[j]).sum())
                .collect();
            if !p.iter().all(|v| v.is_finite()) {
                continue;
            }
            // Row k of `inverse` gives parameter k: sorted parameters take their rows along.
            let mut order: [usize; MAX_PARAMS] = std::array::from_fn(|k| k);
            if metric == Metric::Orthorhombic {
                // Axes in any order are one lattice: screen it once.
                order[..np].sort_by(|&x, &y| p[x].total_cmp(&p[y]));
                p = order[..np].iter().map(|&k| p[k]).collect();
            }
            if !metric.admissible(&p, params.max_edge) {
                continue;
            }
            // Trials of one lattice from other assignments or lines refine to the same cell.
            // (Relative resolution 1e-4: a key of ln |p|, and the sign of a monoclinic E.)
            let mut key = [0i64; MAX_PARAMS];
            for (k, v) in key.iter_mut().zip(&p) {
                let log = (v.abs().max(f64::MIN_POSITIVE).ln() * 1e4).round() as i64;
                *k = 2 * log + i64::from(*v < 0.0);
            }
            if !tried.insert(key) {
                continue;
            }
            // A trial cell is exact only at its own lines, which are off by the zero shift z
            // (one shift for every line) and by each line's own error e (up to the tolerance):
            // in d*², by slope × (z + e). A reflection of design row r predicts r·p, off by
            // Σⱼ cⱼ slopeⱼ (z + eⱼ) with c = r·inverse (j the chosen lines), and its line is
            // off by slopeᵢ (z + eᵢ): they differ by at most
            // |z| |Σⱼ cⱼ slopeⱼ − slopeᵢ| + tolerance (Σⱼ |cⱼ| slopeⱼ + slopeᵢ).
            // w[m][j] = inverse[m][j] slopeⱼ: c·slope = r·Σⱼ w[·][j], Σⱼ |cⱼ| slopeⱼ = Σⱼ |r·w[·][j]|,
            // which Σₘ |rₘ| Σⱼ |w[m][j]| bounds from above (a cheaper first test).
            let mut w = [[0.0; MAX_PARAMS]; MAX_PARAMS];
            let (mut u, mut v) = ([0.0; MAX_PARAMS], [0.0; MAX_PARAMS]);
            for m in 0..np {
                for (j, &line) in chosen.iter().enumerate() {
                    w[m][j] = inverse[order[m]][j] * slope0[line];
                    u[m] += w[m][j];
                    v[m] += w[m][j].abs();
                }
            }
            // Rows of every metric but the monoclinic are ≥ 0, so that r·u ≤ κᵤ r·p and
            // r·v ≤ κᵥ r·p (κ the largest |u|/p, v/p), and r·p ≤ q + e: a reflection further
            // from q than e ≤ (a + b q) / (1 − b) with a = (|z| + tolerance) slopeᵢ and
            // b = |z| κᵤ + tolerance κᵥ is rejected before its row is built.
            let (mut ku, mut kv) = (0.0f64, 0.0f64);
            for m in 0..np {
                ku = ku.max(u[m].abs() / p[m]);
                kv = kv.max(v[m] / p[m]);
            }
            let b = params.max_zero_shift * ku + params.tolerance * kv;
            let nonnegative = metric != Metric::Monoclinic && b < 1.0;
            let mut missed = 0.0;
            for i in 0..n {
                let mut allowed = 0.0;
                let reach = if nonnegative {
                    ((params.max_zero_shift + params.tolerance) * slope0[i] + b * q0[i]) / (1.0 - b)
                        * (1.0 + 1e-9)
                } else {
                    f64::INFINITY
                };
                let ok = metric.fits_by(&p, q0[i], |e, [h, k, l]| {
                    if e > reach {
                        return false;
                    }
                    let r = metric.row(h, k, l);
                    let (mut shift, mut loose) = (0.0, 0.0);
                    for m in 0..np {
                        shift += r[m] * u[m];
                        loose += r[m].abs() * v[m];
                    }
                    let zero_part = params.max_zero_shift * (shift - slope0[i]).abs();
                    if e > zero_part + params.tolerance * (loose + slope0[i]) {
                        return false;
                    }
                    let spread: f64 = (0..np)
                        .map(|j| (0..np).map(|m| r[m] * w[m][j]).sum::<f64>().abs())
                        .sum();
                    allowed = zero_part + params.tolerance * (spread + slope0[i]);
                    e <= allowed
                });
                if ok {
                    first_windows[i] = allowed;
                } else {
                    first_windows[i] = screen_tol[i];
                    missed += lines.weight[i];
                    if missed > spare + 1e-12 {
                        continue 'trial;
                    }
                }
            }
            let rival = if PRUNE { best.as_ref() } else { None };
            if let Some(s) = refine(metric, p, &first_windows, lines, params, rival)
                && best.as_ref().is_none_or(|b| better(&s, b, params))
            {
                best = Some(s);
            }
        }
    });
    best
}

/// Whether `a` beats `b`: meeting the fraction first, then the figure of merit.
fn better(a: &Solution, b: &Solution, params: &IndexingParams) -> bool {
    let fa = a.indexed_weight >= params.min_indexed;
    let fb = b.indexed_weight >= params.min_indexed;
    match (fa, fb) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => a.merit > b.merit,
        (false, false) => (a.indexed_weight, a.merit) > (b.indexed_weight, b.merit),
    }
}

/// Solves the `n` × `n` system in the first `n` columns of `a` with right-hand side column `n`
/// ([`xrd_core::linalg::solve`]); None when singular (a pivot below 10⁻¹² of the largest entry).
fn gauss_rows<const W: usize>(a: &[[f64; W]], n: usize) -> Option<Vec<f64>> {
    let rows = &a[..n];
    let m: Vec<f64> = rows.iter().flat_map(|r| r[..n].iter().copied()).collect();
    let b: Vec<f64> = rows.iter().map(|r| r[n]).collect();
    xrd_core::linalg::solve(&m, &b, 1e-12)
}

/// Least-squares refinement of the cell `p` and a zero shift on the lines it indexes, then the
/// cell's score. The first pass fits the lines within `first_windows` (what the trial's errors
/// allow at each line, from the screen), the second those within the tolerance plus the largest
/// zero shift, the last two those within the tolerance itself. None for a trial whose first
/// pass has a figure of merit below [`IndexingParams::min_trial_merit`] (the second, twice
/// that), and for a cell that would lose to `rival` whatever its figure of merit.
fn refine(
    metric: Metric,
    mut p: Vec<f64>,
    first_windows: &[f64],
    lines: &Lines,
    params: &IndexingParams,
    rival: Option<&Solution>,
) -> Option<Solution> {
    let np = metric.parameters();
    let n = lines.len();
    let mut zero = 0.0;
    let mut qs = vec![0.0; n];
    let mut windows = vec![0.0; n];
    let mut slopes = vec![0.0; n];
    let mut found = vec![None; n];
    let mut scratch = Vec::new();
    for pass in 0..4 {
        // The first two passes match within the screen's window.
        let window = if pass < 2 {
            params.tolerance + params.max_zero_shift
        } else {
            params.tolerance
        };
        lines.at_zero(zero, &mut qs, &mut slopes);
        for i in 0..n {
            windows[i] = if pass == 0 {
                first_windows[i]
            } else {
                window * slopes[i]
            };
        }
        let enumerated = metric.nearest_within(&p, &qs, &windows, &mut found, &mut scratch);
        if pass < 2 && params.min_trial_merit > 0.0 {
            // De Wolff's merit of the trial's first matches (N: the reflections enumerated);
            // the second step's narrower windows must double it.
            let (mut matched, mut sum) = (0usize, 0.0);
            for (e, _) in found.iter().flatten() {
                matched += 1;
                sum += e;
            }
            let merit = qs[n - 1] * matched as f64 / (2.0 * sum * enumerated.max(1) as f64);
            if merit < params.min_trial_merit * (1 + pass) as f64 {
                return None;
            }
        }
        let mut normal = [[0.0; MAX_PARAMS + 2]; MAX_PARAMS + 1];
        let mut used = 0;
        for (i, f) in found.iter().enumerate() {
            let Some((_, row)) = f else {
                continue;
            };
            let (q, slope) = (qs[i], slopes[i]);
            used += 1;
            // d*²(2θ − zero − δ) ≈ d*²(2θ − zero) − slope δ = row · p: unknowns p and δ.
            let mut x = [0.0; MAX_PARAMS + 1];
            x[..np].copy_from_slice(&row[..np]);
            x[np] = slope;
            for r in 0..=np {
                for c in 0..=np {
                    normal[r][c] += x[r] * x[c];
                }
                normal[r][np + 1] += x[r] * q;
            }
        }
        if used < np + 2 {
            return None;
        }
        // Columns 0..=np of the normal equations are the unknowns, column np + 1 their
        // right-hand side.
        let with_zero = gauss_rows(&normal[..=np], np + 1);
        match with_zero.filter(|x| (zero + x[np]).abs() <= params.max_zero_shift) {
            Some(x) => {
                p = x[..np].to_vec();
                zero += x[np];
            }
            None => {
                // Keep the zero; refine the cell alone.
                let sys: Vec<[f64; MAX_PARAMS + 2]> = normal[..np]
                    .iter()
                    .map(|r| {
                        let mut o = [0.0; MAX_PARAMS + 2];
                        o[..np].copy_from_slice(&r[..np]);
                        o[np] = r[np + 1];
                        o
                    })
                    .collect();
                p = gauss_rows(&sys, np)?;
            }
        }
        if !metric.admissible(&p, params.max_edge) {
            return None;
        }
    }
    score(metric, p, zero, lines, params, rival, &mut scratch)
}

/// The indexed count and figure of merit of the cell `p` with `zero` (None for a cell that
/// would lose to `rival`).
fn score(
    metric: Metric,
    p: Vec<f64>,
    zero: f64,
    lines: &Lines,
    params: &IndexingParams,
    rival: Option<&Solution>,
    scratch: &mut Vec<(f64, [i32; 3])>,
) -> Option<Solution> {
    let n = lines.len();
    let (mut qs, mut windows) = (vec![0.0; n], vec![0.0; n]);
    lines.at_zero(zero, &mut qs, &mut windows);
    let slope_last = windows[n - 1];
    for w in &mut windows {
        *w *= params.tolerance;
    }
    let mut found = vec![None; n];
    let _ = metric.nearest_within(&p, &qs, &windows, &mut found, scratch);
    let mut indexed = 0;
    let mut weight = 0.0;
    let mut sum = 0.0;
    for (i, f) in found.iter().enumerate() {
        if let Some((e, _)) = f {
            indexed += 1;
            weight += lines.weight[i];
            sum += e;
        }
    }
    let indexed_weight = weight / lines.total;
    // The merit needs the cell's calculated lines, the costliest part of a score: a cell that
    // would lose to `rival` whatever its merit (see `better`) is not scored.
    if let Some(b) = rival {
        let (fa, fb) = (
            indexed_weight >= params.min_indexed,
            b.indexed_weight >= params.min_indexed,
        );
        if !fa && (fb || indexed_weight < b.indexed_weight) {
            return None;
        }
    }
    let q_max = qs[n - 1];
    let calculated = metric.lines_below(&p, q_max).max(1);
    // ε̄ counts as at least a tenth of the last line's tolerance over the number of lines, so
    // that an exact fit (ε̄ = 0) gets a finite merit.
    let floor = 0.1 * params.tolerance * slope_last / n as f64;
    let eps = if indexed > 0 {
        (sum / indexed as f64).max(floor)
    } else {
        f64::INFINITY
    };
    let merit = q_max / (2.0 * eps * calculated as f64);
    Some(Solution {
        metric,
        cell: metric.lattice(&p)?,
        parameters: p,
        zero_shift: zero,
        indexed,
        indexed_weight,
        lines: n,
        merit,
    })
}

/// Calls `f` with every increasing choice of `k` of `0..n`.
fn for_each_combination(n: usize, k: usize, mut f: impl FnMut(&[usize])) {
    if k > n {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        f(&idx);
        let Some(i) = (0..k).rev().find(|&i| idx[i] < n - k + i) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// Calls `f` with every `k`-tuple of `0..n` (with repetition).
fn for_each_tuple(n: usize, k: usize, mut f: impl FnMut(&[usize])) {
    if n == 0 {
        return;
    }
    let mut idx = vec![0; k];
    loop {
        f(&idx);
        let Some(i) = (0..k).rev().find(|&i| idx[i] + 1 < n) else {
            return;
        };
        idx[i] += 1;
        for v in idx.iter_mut().skip(i + 1) {
            *v = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric;
    use proptest::prelude::*;

    const LAMBDA: Wavelength = Wavelength::synchrotron(1.5406);

    /// The first `n` distinct lines of the cell `p` of `metric` (all reflections, heights
    /// falling with angle), shifted by `zero` degrees.
    fn lines_of(metric: Metric, p: &[f64], zero: f64, n: usize) -> Vec<Line> {
        let mut q = Vec::new();
        for h in 0..8 {
            for k in 0..8 {
                for l in -8..8 {
                    if (h, k, l) != (0, 0, 0) {
                        q.push(metric::dot(&metric.row(h, k, l), p));
                    }
                }
            }
        }
        q.sort_by(f64::total_cmp);
        q.dedup_by(|b, a| (*b - *a).abs() < 1e-6);
        q.iter()
            .filter(|&&q| q.sqrt() * LAMBDA.angstrom() / 2.0 < 0.99)
            .take(n)
            .enumerate()
            .map(|(i, &q)| Line {
                two_theta: 2.0 * (q.sqrt() * LAMBDA.angstrom() / 2.0).asin().to_degrees() + zero,
                height: 1.0 / (1.0 + i as f64),
            })
            .collect()
    }

    fn check_found(metric: Metric, p: &[f64]) {
        let mut lines = lines_of(metric, p, 0.08, 19);
        // A weak impurity line between two of the cell's.
        let t = 0.5 * (lines[6].two_theta + lines[7].two_theta);
        lines.push(Line {
            two_theta: t,
            height: 0.01,
        });
        let ix = Indexer::default().index_lines(&lines, LAMBDA).unwrap();
        let best = ix
            .accepted()
            .unwrap_or_else(|| panic!("{metric:?}: {ix:?}"));
        assert_eq!(best.metric, metric, "{ix:?}");
        let want = metric.lattice(p).unwrap();
        let got = best.cell;
        // The axes of an orthorhombic cell come in any order.
        let mut w = want.lengths();
        let mut g = got.lengths();
        w.sort_by(f64::total_cmp);
        g.sort_by(f64::total_cmp);
        for (w, g) in w.iter().zip(&g) {
            assert!((w - g).abs() < 1e-3, "{metric:?}: {got:?} vs {want:?}");
        }
        assert!((best.zero_shift - 0.08).abs() < 1e-3, "{}", best.zero_shift);
        assert_eq!(best.indexed, 19);
        assert!(best.merit >= 20.0);
    }

    #[test]
    fn finds_the_cell_of_every_metric_it_tries() {
        check_found(Metric::Cubic, &[1.0 / 4.05f64.powi(2)]);
        check_found(
            Metric::Tetragonal,
            &[1.0 / 4.7f64.powi(2), 1.0 / 6.9f64.powi(2)],
        );
        check_found(
            Metric::Hexagonal,
            &[4.0 / (3.0 * 3.2f64.powi(2)), 1.0 / 5.2f64.powi(2)],
        );
        check_found(
            Metric::Orthorhombic,
            &[
                1.0 / 5.1f64.powi(2),
                1.0 / 7.3f64.powi(2),
                1.0 / 9.7f64.powi(2),
            ],
        );
    }

    /// The search that skips scoring the cells that cannot win finds the same best cell of
    /// every metric as the search that scores them all, on lines of known cells with impurity
    /// lines and shifted lines added, and on lines at random (fixed seed).
    #[test]
    fn pruning_keeps_the_best_cell() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(28);
        let params = IndexingParams::default().lines(12).trial_lines(4);
        let cells: [(Metric, &[f64]); 4] = [
            (Metric::Cubic, &[1.0 / 4.05f64.powi(2)]),
            (
                Metric::Tetragonal,
                &[1.0 / 4.7f64.powi(2), 1.0 / 6.9f64.powi(2)],
            ),
            (
                Metric::Hexagonal,
                &[4.0 / (3.0 * 3.2f64.powi(2)), 1.0 / 5.2f64.powi(2)],
            ),
            (Metric::Orthorhombic, &[0.0384, 0.0188, 0.0106]),
        ];
        let mut sets: Vec<Vec<Line>> = Vec::new();
        for (metric, p) in cells {
            let mut lines = lines_of(metric, p, 0.03, 10);
            for l in &mut lines {
                l.two_theta += rng.random_range(-0.02..0.02);
            }
            for _ in 0..2 {
                lines.push(Line {
                    two_theta: rng.random_range(15.0..60.0),
                    height: rng.random_range(0.05..1.0),
                });
            }
            sets.push(lines);
        }
        for _ in 0..3 {
            sets.push(
                (0..12)
                    .map(|_| Line {
                        two_theta: rng.random_range(10.0..70.0),
                        height: rng.random_range(0.01..1.0),
                    })
                    .collect(),
            );
        }
        let mut compared = 0;
        for set in &sets {
            let mut t = set.clone();
            t.sort_by(|a, b| a.two_theta.total_cmp(&b.two_theta));
            t.truncate(params.lines);
            let lines = Lines::new(&t, LAMBDA.angstrom(), params.tolerance);
            for metric in [
                Metric::Cubic,
                Metric::Hexagonal,
                Metric::Tetragonal,
                Metric::Orthorhombic,
            ] {
                let trials = Trials::new(metric);
                let pruned = search::<true>(&trials, &lines, &params);
                let full = search::<false>(&trials, &lines, &params);
                assert_eq!(pruned, full, "{metric:?} on {set:?}");
                compared += usize::from(full.is_some());
            }
        }
        // Most searches found a cell: the comparison is not of Nones.
        assert!(compared >= 20, "{compared}");
    }

    /// The screen lets the true cell through with large errors: every line shifted by 90 % of
    /// the largest zero shift either way and by its own error of up to 60 % of the tolerance
    /// (fixed seed; the refined cell must still index the lines within the tolerance), the cell
    /// of each metric is found; and without the trial merit's cut (`min_trial_merit(0)`) it is
    /// the same cell.
    #[test]
    fn the_screen_passes_the_true_cell_with_large_errors() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(30);
        let params = IndexingParams::default();
        let cells: [(Metric, Vec<f64>); 4] = [
            (Metric::Cubic, vec![1.0 / 4.05f64.powi(2)]),
            (
                Metric::Hexagonal,
                vec![4.0 / (3.0 * 3.2f64.powi(2)), 1.0 / 5.2f64.powi(2)],
            ),
            (
                Metric::Tetragonal,
                vec![1.0 / 4.7f64.powi(2), 1.0 / 6.9f64.powi(2)],
            ),
            (
                Metric::Orthorhombic,
                vec![
                    1.0 / 5.1f64.powi(2),
                    1.0 / 7.3f64.powi(2),
                    1.0 / 9.7f64.powi(2),
                ],
            ),
        ];
        for (metric, p) in cells {
            for zero in [-0.9 * params.max_zero_shift, 0.9 * params.max_zero_shift] {
                let mut lines = lines_of(metric, &p, zero, 20);
                for l in &mut lines {
                    l.two_theta += rng.random_range(-0.6..0.6) * params.tolerance;
                }
                let only = params.clone().metrics(&[metric]);
                let cut = Indexer::new(only.clone()).unwrap();
                let every = Indexer::new(only.min_trial_merit(0.0)).unwrap();
                let a = cut.index_lines(&lines, LAMBDA).unwrap();
                let b = every.index_lines(&lines, LAMBDA).unwrap();
                let best = a
                    .accepted()
                    .unwrap_or_else(|| panic!("{metric:?} at {zero}: {a:?}"));
                let mut w = metric.lattice(&p).unwrap().lengths();
                let mut g = best.cell.lengths();
                w.sort_by(f64::total_cmp);
                g.sort_by(f64::total_cmp);
                for (w, g) in w.iter().zip(&g) {
                    assert!((w - g).abs() < 5e-3 * w, "{metric:?} at {zero}: {best:?}");
                }
                assert_eq!(a.accepted(), b.accepted(), "{metric:?} at {zero}");
            }
        }
    }

    /// Stopping at the accepted metric gives the same accepted cell as searching every
    /// metric, whose solutions the stopped search's are the first of.
    #[test]
    fn stopping_at_the_accepted_metric_keeps_the_accepted_cell() {
        let cubic = lines_of(Metric::Cubic, &[1.0 / 4.05f64.powi(2)], 0.02, 16);
        let hexagonal = lines_of(
            Metric::Hexagonal,
            &[4.0 / (3.0 * 3.2f64.powi(2)), 1.0 / 5.2f64.powi(2)],
            0.02,
            16,
        );
        let params = IndexingParams::default().lines(16).trial_lines(5);
        let stop = Indexer::new(params.clone()).unwrap();
        let every = Indexer::new(params).unwrap().every_metric(true);
        for (lines, want) in [(cubic, Metric::Cubic), (hexagonal, Metric::Hexagonal)] {
            let a = stop.index_lines(&lines, LAMBDA).unwrap();
            let b = every.index_lines(&lines, LAMBDA).unwrap();
            assert_eq!(a.accepted().map(|s| s.metric), Some(want));
            assert_eq!(a.accepted(), b.accepted());
            assert_eq!(a.solutions[..], b.solutions[..a.solutions.len()]);
            assert_eq!(a.solutions.last().map(|s| s.metric), Some(want));
            // The less symmetric metrics also index the lines (a supercell or a special cell).
            assert!(b.solutions.len() > a.solutions.len(), "{b:?}");
        }
    }

    /// A small monoclinic cell, whose 20 lines spread over 2θ. (Not every monoclinic pattern is
    /// so kind: the 20 lines of a 7.1 × 5.3 × 9.2 Å cell, β = 104°, all below 30°, are indexed
    /// by an orthorhombic 18.7 × 10.2 × 5.3 Å cell with M₂₀ = 22; on the RRUFF patterns 17 of
    /// 160 monoclinic minerals are taken for orthorhombic, see the README.)
    #[test]
    fn a_monoclinic_cell_is_not_taken_for_a_more_symmetric_one() {
        let p = metric::monoclinic(5.1, 4.3, 6.2, 108.0);
        let lines = lines_of(Metric::Monoclinic, &p, 0.0, 20);
        let ix = Indexer::default().index_lines(&lines, LAMBDA).unwrap();
        assert!(ix.accepted().is_none(), "{ix:?}");
    }

    #[test]
    fn the_monoclinic_search_finds_a_monoclinic_cell() {
        let p = metric::monoclinic(5.1, 4.3, 6.2, 108.0);
        let want = Metric::Monoclinic.lattice(&p).unwrap().volume();
        let lines = lines_of(Metric::Monoclinic, &p, 0.02, 20);
        let params = IndexingParams::default().metrics(&[Metric::Monoclinic]);
        let ix = Indexer::new(params.clone())
            .unwrap()
            .index_lines(&lines, LAMBDA)
            .unwrap();
        let best = ix.accepted().unwrap_or_else(|| panic!("{ix:?}"));
        assert_eq!(best.metric, Metric::Monoclinic);
        // Another setting of the same lattice has the same volume.
        assert!((best.cell.volume() - want).abs() < 1e-3 * want, "{best:?}");
        assert!((best.zero_shift - 0.02).abs() < 1e-3 && best.indexed == 20);
    }

    /// The first `n` lines of a cubic cell with the reflections `allowed` keeps.
    fn cubic_lines(a: f64, n: usize, allowed: impl Fn(i32, i32, i32) -> bool) -> Vec<Line> {
        let mut q: Vec<f64> = Vec::new();
        for h in 0..8 {
            for k in 0..=h {
                for l in 0..=k {
                    if (h, k, l) != (0, 0, 0) && allowed(h, k, l) {
                        q.push(f64::from(h * h + k * k + l * l) / (a * a));
                    }
                }
            }
        }
        q.sort_by(f64::total_cmp);
        q.dedup();
        q.iter()
            .take(n)
            .map(|q| Line {
                two_theta: 2.0 * (q.sqrt() * LAMBDA.angstrom() / 2.0).asin().to_degrees() + 0.04,
                height: 1.0,
            })
            .collect()
    }

    #[test]
    fn absences_choose_the_centring() {
        let params = IndexingParams::default();
        // The likely groups of `lines` hold `group`, and every one of them has `centring`.
        let centred = |lines: &[Line], group: u8, centring: char| {
            let ix = Indexer::new(params.clone())
                .unwrap()
                .index_lines(lines, LAMBDA)
                .unwrap();
            let groups = ix.likely_space_groups();
            assert!(groups.contains(&group), "{groups:?}");
            for g in &groups {
                let symbol = xrd_sim::SpaceGroup::new(*g).unwrap().hm_symbol();
                assert!(symbol.starts_with(centring), "{g} {symbol}");
            }
        };
        centred(
            &cubic_lines(5.64, 12, |h, k, l| (h + k) % 2 == 0 && (k + l) % 2 == 0),
            225,
            'F',
        );
        // 15 lines: the primitive cell a/√2 then misses two (N = 14 and 30 would be 7 and 15,
        // no sums of three squares) and is not accepted; with 12 lines it misses one, indexes
        // 92 % and wins on merit, as a cell may that leaves one line to an impurity.
        centred(
            &cubic_lines(6.0, 15, |h, k, l| (h + k + l) % 2 == 0),
            229,
            'I',
        );
        // Primitive: every group explains the lines; the most absences win, and no centring
        // or glide may make an observed line absent.
        let p = cubic_lines(4.0, 12, |_, _, _| true);
        let ix = Indexer::new(params.clone())
            .unwrap()
            .index_lines(&p, LAMBDA)
            .unwrap();
        let fits = ix.space_groups();
        assert_eq!(fits.len(), 36);
        let p_groups = ix.likely_space_groups();
        assert!(p_groups.contains(&221), "{p_groups:?}");
        assert!(!p_groups.contains(&225) && !p_groups.contains(&229));
    }

    #[test]
    fn too_few_lines_are_not_enough() {
        let p = [1.0 / 4.05f64.powi(2)];
        // Cubic: 3 lines per unknown × 2 unknowns.
        let ix = Indexer::default()
            .index_lines(&lines_of(Metric::Cubic, &p, 0.0, 5), LAMBDA)
            .unwrap();
        assert!(ix.accepted().is_none() && ix.solution(Metric::Cubic).is_some());
        let ix = Indexer::default()
            .index_lines(&lines_of(Metric::Cubic, &p, 0.0, 6), LAMBDA)
            .unwrap();
        assert_eq!(ix.accepted().map(|s| s.metric), Some(Metric::Cubic));
    }

    #[test]
    fn one_test_per_invalid_value() {
        let d = IndexingParams::default;
        assert!(d().check().is_ok());
        let cases: Vec<(&str, IndexingParams)> = vec![
            ("tolerance", d().tolerance(0.0)),
            ("tolerance", d().tolerance(f64::NAN)),
            ("lines", d().lines(5)),
            ("lines", d().lines(101)),
            ("trial_lines", d().trial_lines(3)),
            ("trial_lines", d().trial_lines(11)),
            ("trial_lines", d().lines(8).trial_lines(9)),
            ("min_indexed", d().min_indexed(0.0)),
            ("min_indexed", d().min_indexed(1.1)),
            ("min_merit", d().min_merit(-1.0)),
            ("lines_per_unknown", d().lines_per_unknown(0.5)),
            ("lines_per_unknown", d().lines_per_unknown(f64::INFINITY)),
            ("max_edge", d().max_edge(0.0)),
            ("max_edge", d().max_edge(100.5)),
            ("max_zero_shift", d().max_zero_shift(-0.1)),
            ("min_trial_merit", d().min_trial_merit(-0.5)),
            ("min_trial_merit", d().min_trial_merit(f64::NAN)),
            ("relative_height", d().relative_height(1.0)),
            ("relative_height", d().relative_height(-0.1)),
            ("noise_multiple", d().noise_multiple(-1.0)),
            ("min_separation", d().min_separation(f64::NAN)),
            ("metrics", d().metrics(&[])),
            ("background_window", d().background_window(0.0)),
            ("background_window", d().background_window(f64::INFINITY)),
        ];
        for (name, p) in cases {
            match p.check() {
                Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
                    assert_eq!(n, name)
                }
                other => panic!("{name}: {other:?}"),
            }
            match Indexer::new(p) {
                Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
                    assert_eq!(n, name)
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// Parameters stored before the trial merit's cut read as no cut (another indexing than
    /// the default), and are written back as they were.
    #[test]
    fn parameters_stored_before_the_trial_merit_read_as_no_cut() {
        let mut json = serde_json::to_value(IndexingParams::default()).unwrap();
        assert_eq!(json["min_trial_merit"], 1.5);
        json.as_object_mut().unwrap().remove("min_trial_merit");
        let old: IndexingParams = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(old, IndexingParams::default().min_trial_merit(0.0));
        assert_eq!(serde_json::to_value(&old).unwrap(), json);
    }

    /// A pattern of one point holds no line: this crate's InvalidParameter (as the docs of
    /// `lines` say), not xrd-io's error wrapped.
    #[test]
    fn a_pattern_of_one_point_is_refused_as_invalid_parameter() {
        let one = Pattern::new(vec![30.0], vec![1.0]).unwrap();
        for r in [
            Indexer::default().lines(&one, LAMBDA).map(|_| ()),
            Indexer::default()
                .index_pattern_at(&one, LAMBDA)
                .map(|_| ()),
        ] {
            assert!(
                matches!(
                    r,
                    Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                        name: "pattern",
                        ..
                    }))
                ),
                "{r:?}"
            );
        }
    }

    #[test]
    fn refuses_bad_lines() {
        let p = Indexer::default();
        let index_lines = |lines: &[Line], w: Wavelength, p: &Indexer| p.index_lines(lines, w);
        let refused = |r: Result<Indexing>, what: &str| match r {
            Err(Error::InvalidParameter(xrd_io::InvalidParameter { name, .. })) => {
                assert_eq!(name, what)
            }
            other => panic!("{what}: {other:?}"),
        };
        let ok = Line {
            two_theta: 30.0,
            height: 1.0,
        };
        for bad in [
            Line {
                two_theta: 180.0,
                height: 1.0,
            },
            Line {
                two_theta: f64::NAN,
                height: 1.0,
            },
            Line {
                two_theta: 30.0,
                height: 0.0,
            },
        ] {
            refused(index_lines(&[ok, bad], LAMBDA, &p), "lines");
        }
        // d = 0.0019 Å at 30° for λ = 0.001 Å: over 200 indices in a 25 Å cell.
        assert!(matches!(
            index_lines(&[ok], Wavelength::synchrotron(0.001), &p),
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "lines",
                ..
            }))
        ));
        // No lines: nothing to index, and no error.
        let ix = index_lines(&[], LAMBDA, &p).unwrap();
        assert!(ix.solutions.is_empty() && ix.accepted().is_none());
    }

    /// The trial tables against solving every assignment's system (the search before the
    /// tables): the same trial cells, orthorhombic ones up to the order of their axes.
    #[test]
    fn trial_tables_give_the_cells_of_solving_every_assignment() {
        // d*² of six lines, fixed and irregular, so that no two trials coincide by chance.
        let q = [0.0213, 0.0347, 0.0589, 0.0861, 0.1137, 0.1502];
        for metric in Metric::ALL {
            let np = metric.parameters();
            let rows = metric.base_rows(trial_index(metric));
            let table = Trials::new(metric);
            let chosen: Vec<usize> = (0..np).map(|i| i + 1).collect();
            // Sorted cells keyed at a relative 1e-9, as a set.
            let key = |mut p: Vec<f64>| {
                if metric == Metric::Orthorhombic {
                    p.sort_by(f64::total_cmp);
                }
                p.iter()
                    .map(|v| 2 * (v.abs().ln() * 1e9).round() as i64 + i64::from(*v < 0.0))
                    .collect::<Vec<i64>>()
            };
            let mut naive = std::collections::BTreeSet::new();
            let mut regular = 0;
            for_each_tuple(rows.len(), np, |assign| {
                let mut a = [[0.0; MAX_PARAMS + 1]; MAX_PARAMS];
                for (r, (&line, &row)) in chosen.iter().zip(assign).enumerate() {
                    a[r][..np].copy_from_slice(&rows[row][..np]);
                    a[r][np] = q[line];
                }
                if let Some(p) = gauss_rows(&a[..np], np) {
                    regular += 1;
                    naive.insert(key(p));
                }
            });
            let fast: std::collections::BTreeSet<Vec<i64>> = table
                .inverses
                .iter()
                .map(|inv| {
                    key(inv[..np]
                        .iter()
                        .map(|row| row.iter().zip(&chosen).map(|(a, &j)| a * q[j]).sum())
                        .collect())
                })
                .collect();
            assert_eq!(fast, naive, "{metric:?}");
            // Only the orthorhombic table leaves out assignments: five of six or more.
            if metric == Metric::Orthorhombic {
                assert!(
                    table.inverses.len() * 5 < regular,
                    "{}",
                    table.inverses.len()
                );
            } else {
                assert_eq!(table.inverses.len(), regular, "{metric:?}");
            }
        }
    }

    #[test]
    fn combinations_and_tuples_are_all_visited_once() {
        let mut c = Vec::new();
        for_each_combination(5, 3, |x| c.push(x.to_vec()));
        assert_eq!(c.len(), 10);
        assert!(c.iter().all(|x| x.windows(2).all(|w| w[0] < w[1])));
        let mut t = Vec::new();
        for_each_tuple(3, 2, |x| t.push(x.to_vec()));
        assert_eq!(t.len(), 9);
        t.dedup();
        assert_eq!(t.len(), 9);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any lines give an answer or an error, never a panic, and an accepted cell meets
        /// the thresholds.
        #[test]
        fn never_panics(lines in proptest::collection::vec((1.0f64..150.0, 0.001f64..1.0), 0..14)) {
            let lines: Vec<Line> = lines
                .into_iter()
                .map(|(t, h)| Line { two_theta: t, height: h })
                .collect();
            let params = IndexingParams::default().trial_lines(4);
            let ix = Indexer::new(params.clone()).unwrap().index_lines(&lines, LAMBDA).unwrap();
            if let Some(s) = ix.accepted() {
                prop_assert!(s.indexed_weight >= 0.9 && s.merit >= 20.0);
            }
        }
    }
}
