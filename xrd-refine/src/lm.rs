//! Weighted least squares by Levenberg–Marquardt (Marquardt's diagonal scaling), with bounds
//! kept by projection, on nalgebra's Cholesky factorisation.

use nalgebra::{DMatrix, DVector};

use crate::model::Model;
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

/// The weighted Jacobian √w ∂f/∂p of the `free` parameters, and the weighted residuals.
fn jacobian(
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
    let mut iterations = 0;
    loop {
        let (j, r, chi2) = jacobian(model, values, free, data);
        let normal = j.tr_mul(&j);
        let mut grad = j.tr_mul(&r);
        if !(chi2.is_finite() && grad.iter().all(|g| g.is_finite())) {
            return Err(Error::Singular(indistinguishable(model, free, &normal)));
        }
        // A parameter without effect here (a width held at its floor, a phase refined away) is
        // held for this step: unit diagonal, no gradient.
        let mut normal = normal;
        for c in 0..free.len() {
            if normal[(c, c)].is_nan() || normal[(c, c)] <= 0.0 {
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
                lambda *= 10.0;
                continue;
            };
            let step = chol.solve(&grad);
            let mut trial = values.to_vec();
            for (c, &i) in free.iter().enumerate() {
                let p = &model.params[i];
                trial[i] = (values[i] + step[c]).clamp(p.lo, p.hi);
            }
            let c2 = chi2_of(model, &trial, data);
            if c2 < chi2 {
                accepted = Some((trial, c2));
                lambda = (lambda / 10.0).max(LAMBDA_MIN);
                break;
            }
            lambda *= 10.0;
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
