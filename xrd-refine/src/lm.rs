//! Weighted least squares by Levenberg–Marquardt (Marquardt's diagonal scaling), with bounds
//! kept by projection, on nalgebra's Cholesky factorisation.

use nalgebra::{DMatrix, DVector};

use crate::model::{Model, Parts};
use crate::{Error, Result};

/// Counts and their weights 1/σ².
#[derive(Debug, Clone)]
pub(crate) struct Data {
    pub y: Vec<f64>,
    pub w: Vec<f64>,
}

/// Smallest and largest damping.
const LAMBDA_MIN: f64 = 1e-9;
const LAMBDA_MAX: f64 = 1e10;

/// The end of one least-squares run.
#[derive(Debug, Clone)]
pub(crate) struct Solved {
    pub chi2: f64,
    pub iterations: usize,
}

/// χ² = Σ w (y − f)² of `values`.
pub(crate) fn chi2(model: &Model, values: &[f64], data: &Data) -> f64 {
    let f = model.evaluate(values, None, None);
    f.iter()
        .zip(&data.y)
        .zip(&data.w)
        .map(|((f, y), w)| w * (y - f) * (y - f))
        .sum()
}

/// Holds the parameters without effect (a width at its floor, a phase refined away): unit
/// diagonal, no gradient. Returns their columns.
pub(crate) fn hold_inert(normal: &mut DMatrix<f64>, grad: &mut DVector<f64>) -> Vec<usize> {
    let inert: Vec<usize> = (0..normal.nrows())
        .filter(|&c| normal[(c, c)].is_nan() || normal[(c, c)] <= 0.0)
        .collect();
    for &c in &inert {
        normal[(c, c)] = 1.0;
        grad[c] = 0.0;
    }
    inert
}

/// The weighted Jacobian √w ∂f/∂p of the `free` parameters, the weighted residuals and χ².
pub(crate) fn jacobian(
    model: &Model,
    values: &[f64],
    free: &[usize],
    data: &Data,
) -> (DMatrix<f64>, DVector<f64>, f64) {
    let mut cols = vec![None; values.len()];
    for (c, &i) in free.iter().enumerate() {
        cols[i] = Some(c);
    }
    let n = data.y.len();
    let mut j = DMatrix::zeros(n, free.len());
    let f = model.evaluate(values, Some((&cols, &mut j)), None);
    let mut r = DVector::zeros(n);
    let mut chi2 = 0.0;
    for i in 0..n {
        let sw = data.w[i].sqrt();
        r[i] = sw * (data.y[i] - f[i]);
        chi2 += r[i] * r[i];
        for c in 0..free.len() {
            j[(i, c)] *= sw;
        }
    }
    (j, r, chi2)
}

/// The parameters that cannot be told apart at normal matrix `n`: one without effect, or the
/// most correlated pair.
pub(crate) fn indistinguishable(model: &Model, free: &[usize], n: &DMatrix<f64>) -> String {
    let name = |c: usize| model.params[free[c]].name.clone();
    if let Some(c) = (0..free.len()).find(|&c| n[(c, c)] <= 0.0 || !n[(c, c)].is_finite()) {
        return format!("`{}` (no effect on the pattern)", name(c));
    }
    let mut best = (0.0, 0, 0);
    for a in 0..free.len() {
        for b in a + 1..free.len() {
            let r = (n[(a, b)] / (n[(a, a)] * n[(b, b)]).sqrt()).abs();
            if r > best.0 {
                best = (r, a, b);
            }
        }
    }
    format!("`{}` and `{}`", name(best.1), name(best.2))
}

/// The least-squares scales, background terms and hump areas, every other parameter held: the
/// pattern is linear in them, so one evaluation (each phase's curve at unit scale, each hump at
/// unit area) and one solve give them. Updates `values` (scales and areas clamped at zero) and
/// returns the χ² of the unclamped solution.
pub(crate) fn linear(model: &Model, values: &mut [f64], data: &Data) -> f64 {
    let l = &model.layout;
    let mut unit = values.to_vec();
    for k in l.background.clone() {
        unit[k] = 0.0;
    }
    for p in &l.phases {
        unit[p.scale] = 1.0;
    }
    // The references are columns of their own (at their shifts), not part of the target.
    for &(scale, _) in &l.references {
        unit[scale] = 0.0;
    }
    for h in l.humps.clone().step_by(3) {
        unit[h] = 0.0;
    }
    let mut parts = Parts::default();
    model.evaluate(&unit, None, Some(&mut parts));
    let mut columns = model.chebyshev_table().to_vec();
    columns.extend(parts.phases);
    columns.extend(model.hump_curves(values));
    columns.extend(model.reference_curves(values));
    let m = columns.len();
    // What the scales and background must explain: the data less the humps.
    let target: Vec<f64> = data
        .y
        .iter()
        .zip(&parts.background)
        .map(|(y, h)| y - h)
        .collect();
    let mut a = DMatrix::zeros(m, m);
    let mut b = DVector::zeros(m);
    for r in 0..m {
        for c in r..m {
            let v: f64 = (0..target.len())
                .map(|i| data.w[i] * columns[r][i] * columns[c][i])
                .sum();
            a[(r, c)] = v;
            a[(c, r)] = v;
        }
        b[r] = (0..target.len())
            .map(|i| data.w[i] * columns[r][i] * target[i])
            .sum();
    }
    hold_inert(&mut a, &mut b);
    let Some(beta) = a.cholesky().map(|ch| ch.solve(&b)) else {
        return f64::INFINITY;
    };
    let chi2 = (0..target.len())
        .map(|i| {
            let f: f64 = (0..m).map(|c| beta[c] * columns[c][i]).sum();
            data.w[i] * (target[i] - f).powi(2)
        })
        .sum();
    for (k, i) in l.background.clone().enumerate() {
        values[i] = beta[k];
    }
    for (p, pi) in l.phases.iter().enumerate() {
        values[pi.scale] = beta[l.background.len() + p].max(0.0);
    }
    let humps = l.humps.len() / 3;
    for (k, h) in l.humps.clone().step_by(3).enumerate() {
        values[h] = beta[l.background.len() + l.phases.len() + k].max(0.0);
    }
    for (k, &(scale, _)) in l.references.iter().enumerate() {
        values[scale] = beta[l.background.len() + l.phases.len() + humps + k].max(0.0);
    }
    chi2
}

/// Minimises χ² over the `free` parameters from `values`, which it updates.
///
/// # Errors
/// [`Error::Singular`] when a free parameter has no effect on the pattern.
pub(crate) fn minimise(
    model: &Model,
    values: &mut [f64],
    free: &[usize],
    data: &Data,
    max_iterations: usize,
    tolerance: f64,
) -> Result<Solved> {
    let mut lambda = 1e-3;
    let mut nu = 2.0;
    let mut iterations = 0;
    loop {
        let (j, r, chi2) = jacobian(model, values, free, data);
        let mut normal = j.tr_mul(&j);
        let mut grad = j.tr_mul(&r);
        if !(chi2.is_finite() && grad.iter().all(|g| g.is_finite())) {
            return Err(Error::Singular(indistinguishable(model, free, &normal)));
        }
        // A parameter without effect here is held for this step.
        hold_inert(&mut normal, &mut grad);
        // A parameter at a bound that the gradient pushes outwards is held for this step (the
        // active set): projecting a step that moves it would spoil the step of the others.
        for (c, &i) in free.iter().enumerate() {
            let p = &model.params[i];
            let at_lo = values[i] <= p.lo && grad[c] < 0.0;
            let at_hi = values[i] >= p.hi && grad[c] > 0.0;
            if at_lo || at_hi {
                for k in 0..free.len() {
                    normal[(c, k)] = 0.0;
                    normal[(k, c)] = 0.0;
                }
                normal[(c, c)] = 1.0;
                grad[c] = 0.0;
            }
        }
        if iterations >= max_iterations {
            return Ok(Solved { chi2, iterations });
        }
        iterations += 1;
        let mut accepted = None;
        while lambda <= LAMBDA_MAX {
            let mut a = normal.clone();
            for c in 0..free.len() {
                a[(c, c)] *= 1.0 + lambda;
            }
            let Some(chol) = a.cholesky() else {
                lambda *= nu;
                nu *= 2.0;
                continue;
            };
            let step = chol.solve(&grad);
            let mut trial = values.to_vec();
            for (c, &i) in free.iter().enumerate() {
                let p = &model.params[i];
                trial[i] = (values[i] + step[c]).clamp(p.lo, p.hi);
            }
            let c2 = chi2_of(model, &trial, data);
            // Nielsen's damping update from the gain ratio ρ = actual / predicted decrease,
            // predicted = δᵀg + λ δᵀDδ for the step of (N + λD) δ = g.
            let predicted: f64 = (0..free.len())
                .map(|c| step[c] * (grad[c] + lambda * normal[(c, c)] * step[c]))
                .sum();
            if c2 < chi2 {
                let rho = (chi2 - c2) / predicted.max(f64::MIN_POSITIVE);
                lambda =
                    (lambda * (1.0 / 3.0f64).max(1.0 - (2.0 * rho - 1.0).powi(3))).max(LAMBDA_MIN);
                nu = 2.0;
                accepted = Some((trial, c2));
                break;
            }
            lambda *= nu;
            nu *= 2.0;
        }
        match accepted {
            Some((trial, c2)) => {
                values.copy_from_slice(&trial);
                if (chi2 - c2) / chi2 < tolerance {
                    return Ok(Solved {
                        chi2: c2,
                        iterations,
                    });
                }
            }
            None => {
                return Ok(Solved { chi2, iterations });
            }
        }
    }
}

fn chi2_of(model: &Model, values: &[f64], data: &Data) -> f64 {
    let c = chi2(model, values, data);
    if c.is_finite() { c } else { f64::INFINITY }
}
