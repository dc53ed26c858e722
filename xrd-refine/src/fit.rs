//! One fit of a model to its data as a least-squares [`Problem`]: the constraints' free
//! variables map onto the model's parameters, the held ones keep their values. Also the
//! parameters in which the pattern is linear (scales, background, hump areas), solved exactly.

use nalgebra::{DMatrix, DVector};

use crate::constraints::Constraints;
use crate::lm::{self, Halt, LevenbergMarquardt, Problem, Solved};
use crate::model::{Model, Parts};
use crate::state::Choices;
use crate::{Error, Result};

/// Counts and their weights 1/σ².
#[derive(Debug, Clone)]
pub(crate) struct Data {
    pub y: Vec<f64>,
    pub w: Vec<f64>,
}

/// χ² = Σ w (y − f)² of parameter `values`.
pub(crate) fn chi2(model: &Model, choices: &Choices, values: &[f64], data: &Data) -> f64 {
    let f = model.evaluate(choices, values, None, None);
    f.iter()
        .zip(&data.y)
        .zip(&data.w)
        .map(|((f, y), w)| w * (y - f) * (y - f))
        .sum::<f64>()
        + model.restraint_chi2(values)
}

/// The model, its data and the constraints of one fit.
pub(crate) struct Fit<'a> {
    model: &'a Model,
    choices: &'a Choices,
    data: &'a Data,
    constraints: &'a Constraints,
    /// Every parameter's value: the held ones stay, the free ones are overwritten.
    values: Vec<f64>,
    bounds: Vec<(f64, f64)>,
    /// The largest step of each variable ([`crate::parameter::Id::max_shift`]), when any is
    /// limited.
    shifts: Option<Vec<f64>>,
}

impl<'a> Fit<'a> {
    /// The fit of `constraints`' variables, every other parameter held at `values`.
    pub fn new(
        model: &'a Model,
        choices: &'a Choices,
        data: &'a Data,
        constraints: &'a Constraints,
        values: &[f64],
    ) -> Self {
        Self {
            model,
            choices,
            data,
            constraints,
            values: values.to_vec(),
            bounds: constraints.bounds(&model.table),
            shifts: {
                let s: Vec<f64> = (0..constraints.variables())
                    .map(|k| model.table[constraints.leader(k)].id.max_shift())
                    .collect();
                s.iter().any(|v| v.is_finite()).then_some(s)
            },
        }
    }

    /// Every parameter's value at variables `x`.
    fn values_at(&self, x: &[f64]) -> Vec<f64> {
        let mut v = self.values.clone();
        self.constraints.write(x, &mut v);
        v
    }

    /// The variables that cannot be told apart at normal matrix `n`, by name.
    pub fn indistinguishable(&self, n: &DMatrix<f64>) -> String {
        lm::indistinguishable(n, |c| self.constraints.name(&self.model.table, c))
    }

    /// The weighted Jacobian, the weighted residuals and χ² at the parameter values given.
    pub fn at_start(&self) -> (DMatrix<f64>, DVector<f64>, f64) {
        self.jacobian(&self.constraints.read(&self.values))
    }
}

impl Problem for Fit<'_> {
    fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    fn max_shifts(&self) -> Option<&[f64]> {
        self.shifts.as_deref()
    }

    fn chi2(&self, x: &[f64]) -> f64 {
        let c = chi2(self.model, self.choices, &self.values_at(x), self.data);
        if c.is_finite() { c } else { f64::INFINITY }
    }

    fn jacobian(&self, x: &[f64]) -> (DMatrix<f64>, DVector<f64>, f64) {
        let values = self.values_at(x);
        let data = self.data;
        let n = data.y.len();
        let m = self.constraints.variables();
        let mut j = DMatrix::zeros(n, m);
        let f = self.model.evaluate(
            self.choices,
            &values,
            Some((self.constraints.columns(), &mut j)),
            None,
        );
        let mut r = DVector::zeros(n);
        let mut chi2 = 0.0;
        for i in 0..n {
            let sw = data.w[i].sqrt();
            r[i] = sw * (data.y[i] - f[i]);
            chi2 += r[i] * r[i];
            for c in 0..m {
                j[(i, c)] *= sw;
            }
        }
        // The restraints: one row each below the points.
        let k = self.model.restraints.len();
        if k > 0 {
            j = j.resize_vertically(n + k, 0.0);
            r = r.resize_vertically(n + k, 0.0);
            for (q, restraint) in self.model.restraints.iter().enumerate() {
                let mut row = vec![0.0; m];
                let res = restraint.row(self.model, &values, self.constraints.columns(), &mut row);
                r[n + q] = res;
                chi2 += res * res;
                for (c, v) in row.into_iter().enumerate() {
                    j[(n + q, c)] = v;
                }
            }
        }
        (j, r, chi2)
    }
}

/// Minimises χ² over the free variables of `constraints` from `values`, which it updates.
///
/// # Errors
/// [`Error::Singular`] when a free parameter has no effect on the pattern.
pub(crate) fn minimise(
    model: &Model,
    choices: &Choices,
    values: &mut [f64],
    constraints: &Constraints,
    data: &Data,
    solver: &LevenbergMarquardt,
) -> Result<Solved> {
    let fit = Fit::new(model, choices, data, constraints, values);
    let mut x = constraints.read(values);
    let solved = solver.minimise(&fit, &mut x);
    // The accepted steps are kept even when a later one fails.
    constraints.write(&x, values);
    solved.map_err(|halt| match halt {
        Halt::NotFinite(normal) => Error::Singular(fit.indistinguishable(&normal)),
        Halt::Cancelled => Error::Cancelled(xrd_core::Cancelled),
    })
}

/// The least-squares scales, background terms and hump areas, every other parameter held: the
/// pattern is linear in them, so one evaluation (each phase's curve at unit scale, each hump at
/// unit area) and one solve give them. Updates `values` (scales and areas clamped at zero) and
/// returns the χ² of the unclamped solution.
pub(crate) fn linear(model: &Model, choices: &Choices, values: &mut [f64], data: &Data) -> f64 {
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
    for h in &l.humps {
        unit[h.area] = 0.0;
    }
    let mut parts = Parts::default();
    model.evaluate(choices, &unit, None, Some(&mut parts));
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
    lm::hold_inert(&mut a, &mut b);
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
    let humps = l.humps.len();
    for (k, h) in l.humps.iter().enumerate() {
        values[h.area] = beta[l.background.len() + l.phases.len() + k].max(0.0);
    }
    for (k, &(scale, _)) in l.references.iter().enumerate() {
        values[scale] = beta[l.background.len() + l.phases.len() + humps + k].max(0.0);
    }
    chi2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameter::Id;

    /// The Jacobian of the variables, through a selection and an equivalence (the second
    /// phase's B following the first's at twice its value), against central differences.
    #[test]
    fn jacobian_through_the_constraints_matches_central_differences() {
        let (m, v, ch) = crate::model::tests::model();
        let index = |id: Id| m.table.iter().position(|p| p.id == id).unwrap();
        let (b0, b1, zero) = (index(Id::B(0)), index(Id::B(1)), index(Id::Zero));
        let mut c = Constraints::select(m.table.len(), &[zero, b0, b1]);
        c.tie(b0, b1, 2.0);
        assert_eq!(c.variables(), 2);
        let data = Data {
            y: vec![0.0; m.tt.len()],
            w: vec![1.0; m.tt.len()],
        };
        let fit = Fit::new(&m, &ch, &data, &c, &v);
        let x = c.read(&v);
        let (j, _, _) = fit.jacobian(&x);
        for k in 0..x.len() {
            let h = x[k].abs().max(1e-3) * 1e-6;
            let (mut up, mut down) = (x.clone(), x.clone());
            up[k] += h;
            down[k] -= h;
            let fu = m.evaluate(&ch, &fit.values_at(&up), None, None);
            let fd = m.evaluate(&ch, &fit.values_at(&down), None, None);
            let (mut diff, mut norm) = (0.0, 0.0);
            for i in 0..m.tt.len() {
                let num = (fu[i] - fd[i]) / (2.0 * h);
                diff += (j[(i, k)] - num).powi(2);
                norm += num * num;
            }
            assert!(norm > 0.0);
            let rel = (diff / norm).sqrt();
            assert!(
                rel < 1e-5,
                "`{}`: relative error {rel:e}",
                c.name(&m.table, k)
            );
        }
        // The tie holds in the values the fit evaluates.
        let at = fit.values_at(&[0.01, 0.3]);
        assert_eq!((at[b0], at[b1], at[zero]), (0.3, 0.6, 0.01));
    }
}
