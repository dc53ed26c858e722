//! Weighted least squares by Levenberg–Marquardt (Marquardt's diagonal scaling), with bounds
//! kept by projection, on nalgebra's Cholesky factorisation.
//!
//! The solver knows nothing of crystallography: it minimises χ² = |r|² of a [`Problem`] over
//! the problem's free variables, from the state it is given: a warm start is a call from the
//! last fit's variables (with the searches of a cold start skipped by the caller).

use nalgebra::{DMatrix, DVector};

/// Smallest and largest damping.
const LAMBDA_MIN: f64 = 1e-9;
const LAMBDA_MAX: f64 = 1e10;

/// A least-squares problem in its free variables.
pub(crate) trait Problem {
    /// Each variable's bounds (lower, upper; infinite for none).
    fn bounds(&self) -> &[(f64, f64)];
    /// χ² at `x`; infinite where the residuals are not finite.
    fn chi2(&self, x: &[f64]) -> f64;
    /// The weighted Jacobian of the model, J = −∂r/∂x (one column per variable), the weighted
    /// residuals r = √w (y − f) and χ² at `x`.
    fn jacobian(&self, x: &[f64]) -> (DMatrix<f64>, DVector<f64>, f64);
    /// The largest change of each variable in one step (infinite for none): a step that would
    /// move one further is shortened as a whole, so that a heavy atom's large first shift does
    /// not throw the light atoms' off.
    fn max_shifts(&self) -> Option<&[f64]> {
        None
    }
}

/// Levenberg–Marquardt's settings.
#[derive(Debug, Clone)]
pub(crate) struct LevenbergMarquardt {
    /// Steps at most.
    pub max_iterations: usize,
    /// Stop when a step lowers χ² by less than this fraction of it.
    pub tolerance: f64,
    /// The damping λ of the first step.
    pub damping: f64,
    /// Checked before every step: a cancelled run stops there.
    pub control: xrd_core::Control,
}

impl LevenbergMarquardt {
    /// `max_iterations` steps at most, stopping below a relative gain of `tolerance`, from a
    /// damping of 10⁻³.
    pub fn new(max_iterations: usize, tolerance: f64) -> Self {
        Self {
            max_iterations,
            tolerance,
            damping: 1e-3,
            control: xrd_core::Control::default(),
        }
    }
}

/// Why Levenberg–Marquardt stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stop {
    /// A step lowered χ² by less than the tolerance (relative): converged.
    #[default]
    Chi2,
    /// The gradient vanished: every free variable at an optimum, a bound or without effect.
    Gradient,
    /// The last accepted step moved no variable by more than 10⁻¹² of its value: converged.
    Step,
    /// No step lowered χ² at any damping: at a minimum to the precision of the arithmetic.
    NoDescent,
    /// The damped normal matrix could not be factorised at any damping.
    Singular,
    /// The iteration limit was reached before convergence.
    IterationLimit,
}

impl Stop {
    /// Whether the run converged ([`Stop::Chi2`], [`Stop::Gradient`], [`Stop::Step`],
    /// [`Stop::NoDescent`]) rather than ran out of iterations or could not solve.
    pub fn converged(self) -> bool {
        match self {
            Stop::Chi2 | Stop::Gradient | Stop::Step | Stop::NoDescent => true,
            Stop::Singular | Stop::IterationLimit => false,
        }
    }
}

/// The end of one least-squares run.
#[derive(Debug, Clone)]
pub(crate) struct Solved {
    pub chi2: f64,
    pub iterations: usize,
    pub stop: Stop,
}

/// Why a run ended without a result.
#[derive(Debug, Clone)]
pub(crate) enum Halt {
    /// χ² or its gradient was not finite at the start of a step: the normal matrix there, for
    /// the problem to name the variables that cannot be told apart.
    NotFinite(DMatrix<f64>),
    /// The control was cancelled (the accepted steps are kept).
    Cancelled,
}

/// Holds the variables without effect (a width at its floor, a phase refined away): unit
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

/// The variables that cannot be told apart at normal matrix `n`: one without effect, or the
/// most correlated pair, named by `name`.
pub(crate) fn indistinguishable(n: &DMatrix<f64>, name: impl Fn(usize) -> String) -> String {
    let m = n.nrows();
    if let Some(c) = (0..m).find(|&c| n[(c, c)] <= 0.0 || !n[(c, c)].is_finite()) {
        return format!("`{}` (no effect on the pattern)", name(c));
    }
    let mut best = (0.0, 0, 0);
    for a in 0..m {
        for b in a + 1..m {
            let r = (n[(a, b)] / (n[(a, a)] * n[(b, b)]).sqrt()).abs();
            if r > best.0 {
                best = (r, a, b);
            }
        }
    }
    format!("`{}` and `{}`", name(best.1), name(best.2))
}

impl LevenbergMarquardt {
    /// Minimises χ² of `problem` from `x`, which it updates to every accepted step.
    ///
    /// # Errors
    /// [`Halt::NotFinite`] when χ² or its gradient is not finite at the start of a step,
    /// [`Halt::Cancelled`] when the control is cancelled (checked before each step).
    pub fn minimise<P: Problem>(&self, problem: &P, x: &mut [f64]) -> Result<Solved, Halt> {
        let bounds = problem.bounds();
        let m = x.len();
        let mut lambda = self.damping;
        let mut nu = 2.0;
        let mut iterations = 0;
        loop {
            if self.control.is_cancelled() {
                return Err(Halt::Cancelled);
            }
            let (j, r, chi2) = problem.jacobian(x);
            let mut normal = j.tr_mul(&j);
            let mut grad = j.tr_mul(&r);
            if !(chi2.is_finite() && grad.iter().all(|g| g.is_finite())) {
                return Err(Halt::NotFinite(normal));
            }
            // A variable without effect here is held for this step.
            hold_inert(&mut normal, &mut grad);
            // A variable at a bound that the gradient pushes outwards is held for this step
            // (the active set): projecting a step that moves it would spoil the step of the
            // others.
            for c in 0..m {
                let (lo, hi) = bounds[c];
                let at_lo = x[c] <= lo && grad[c] < 0.0;
                let at_hi = x[c] >= hi && grad[c] > 0.0;
                if at_lo || at_hi {
                    for k in 0..m {
                        normal[(c, k)] = 0.0;
                        normal[(k, c)] = 0.0;
                    }
                    normal[(c, c)] = 1.0;
                    grad[c] = 0.0;
                }
            }
            let solved = |chi2, iterations, stop| Solved {
                chi2,
                iterations,
                stop,
            };
            if grad.iter().all(|&g| g == 0.0) {
                return Ok(solved(chi2, iterations, Stop::Gradient));
            }
            if iterations >= self.max_iterations {
                return Ok(solved(chi2, iterations, Stop::IterationLimit));
            }
            iterations += 1;
            let mut accepted = None;
            let mut factorised = false;
            while lambda <= LAMBDA_MAX {
                let mut a = normal.clone();
                for c in 0..m {
                    a[(c, c)] *= 1.0 + lambda;
                }
                let Some(chol) = a.cholesky() else {
                    lambda *= nu;
                    nu *= 2.0;
                    continue;
                };
                factorised = true;
                let mut step = chol.solve(&grad);
                if let Some(limits) = problem.max_shifts() {
                    let over = (0..m)
                        .map(|c| step[c].abs() / limits[c])
                        .fold(1.0, f64::max);
                    if over > 1.0 {
                        step /= over;
                    }
                }
                let trial: Vec<f64> = (0..m)
                    .map(|c| (x[c] + step[c]).clamp(bounds[c].0, bounds[c].1))
                    .collect();
                let c2 = problem.chi2(&trial);
                // Nielsen's damping update from the gain ratio ρ = actual / predicted decrease,
                // predicted = δᵀg + λ δᵀDδ for the step of (N + λD) δ = g.
                let predicted: f64 = (0..m)
                    .map(|c| step[c] * (grad[c] + lambda * normal[(c, c)] * step[c]))
                    .sum();
                if c2 < chi2 {
                    let rho = (chi2 - c2) / predicted.max(f64::MIN_POSITIVE);
                    lambda = (lambda * (1.0 / 3.0f64).max(1.0 - (2.0 * rho - 1.0).powi(3)))
                        .clamp(LAMBDA_MIN, LAMBDA_MAX);
                    nu = 2.0;
                    accepted = Some((trial, c2));
                    break;
                }
                lambda *= nu;
                nu *= 2.0;
            }
            match accepted {
                Some((trial, c2)) => {
                    let moved =
                        (0..m).any(|c| (trial[c] - x[c]).abs() > 1e-12 * x[c].abs().max(1e-300));
                    x.copy_from_slice(&trial);
                    if (chi2 - c2) / chi2 < self.tolerance {
                        return Ok(solved(c2, iterations, Stop::Chi2));
                    }
                    if !moved {
                        return Ok(solved(c2, iterations, Stop::Step));
                    }
                }
                None if factorised => return Ok(solved(chi2, iterations, Stop::NoDescent)),
                None => return Ok(solved(chi2, iterations, Stop::Singular)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's valley as residuals (1 − x, 10 (y − x²)), with optional bounds.
    struct Rosenbrock(Vec<(f64, f64)>);

    impl Problem for Rosenbrock {
        fn bounds(&self) -> &[(f64, f64)] {
            &self.0
        }
        fn chi2(&self, x: &[f64]) -> f64 {
            self.jacobian(x).2
        }
        fn jacobian(&self, x: &[f64]) -> (DMatrix<f64>, DVector<f64>, f64) {
            let r = DVector::from_vec(vec![1.0 - x[0], 10.0 * (x[1] - x[0] * x[0])]);
            // ∂f/∂x of the model f = data − r.
            let j = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 20.0 * x[0], -10.0]);
            let c = r.norm_squared();
            (j, r, c)
        }
    }

    #[test]
    fn finds_the_minimum_of_a_problem_it_knows_nothing_about() {
        let free = (f64::NEG_INFINITY, f64::INFINITY);
        let mut x = [-1.2, 1.0];
        let s = LevenbergMarquardt::new(200, 1e-14)
            .minimise(&Rosenbrock(vec![free; 2]), &mut x)
            .unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4,
            "{x:?}"
        );
        assert!(s.chi2 < 1e-8 && s.iterations > 3, "{s:?}");
    }

    /// Rosenbrock's valley with every step held to 0.05: each accepted step moves no variable
    /// further, and the minimum is still found.
    struct Limited(Rosenbrock, [f64; 2], std::cell::RefCell<Vec<[f64; 2]>>);

    impl Problem for Limited {
        fn bounds(&self) -> &[(f64, f64)] {
            self.0.bounds()
        }
        fn chi2(&self, x: &[f64]) -> f64 {
            self.0.chi2(x)
        }
        fn jacobian(&self, x: &[f64]) -> (DMatrix<f64>, DVector<f64>, f64) {
            self.2.borrow_mut().push([x[0], x[1]]);
            self.0.jacobian(x)
        }
        fn max_shifts(&self) -> Option<&[f64]> {
            Some(&self.1)
        }
    }

    #[test]
    fn steps_are_held_to_their_largest_shifts() {
        let free = (f64::NEG_INFINITY, f64::INFINITY);
        let p = Limited(Rosenbrock(vec![free; 2]), [0.05, 0.05], Default::default());
        let mut x = [-1.2, 1.0];
        LevenbergMarquardt::new(2000, 1e-14)
            .minimise(&p, &mut x)
            .unwrap();
        assert!((x[0] - 1.0).abs() < 1e-4, "{x:?}");
        let visited = p.2.borrow();
        assert!(
            visited.len() > 44,
            "at least 2.2 / 0.05 steps: {}",
            visited.len()
        );
        for w in visited.windows(2) {
            for k in 0..2 {
                assert!((w[1][k] - w[0][k]).abs() <= 0.05 + 1e-12, "{w:?}");
            }
        }
    }

    #[test]
    fn keeps_its_bounds_and_stops_at_the_bounded_minimum() {
        let mut x = [0.0, 0.0];
        LevenbergMarquardt::new(200, 1e-14)
            .minimise(&Rosenbrock(vec![(-2.0, 0.5), (-2.0, 2.0)]), &mut x)
            .unwrap();
        assert!((x[0] - 0.5).abs() < 1e-9, "{x:?}");
        assert!((x[1] - 0.25).abs() < 1e-3, "{x:?}");
    }

    #[test]
    fn reports_a_variable_without_effect() {
        let n = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.0]);
        let named = indistinguishable(&n, |c| ["a", "b"][c].to_string());
        assert_eq!(named, "`b` (no effect on the pattern)");
        let n = DMatrix::from_row_slice(3, 3, &[1.0, 0.1, 0.99, 0.1, 1.0, 0.2, 0.99, 0.2, 1.0]);
        let named = indistinguishable(&n, |c| ["a", "b", "c"][c].to_string());
        assert_eq!(named, "`a` and `c`");
    }
}
