//! Dense linear algebra on nalgebra, the workspace's one linear-algebra crate: small linear
//! systems (normal equations of least-squares fits) by LU decomposition with partial pivoting,
//! and symmetric eigen-decompositions (PCA).

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use ndarray::{Array1, Array2, ArrayView2};

/// Solves `a x = b` for the `n` × `n` matrix `a` given row by row (`a.len() == n²`,
/// `n == b.len()`). `None` when the system is singular: a pivot of the LU decomposition at or
/// below `relative_pivot` times the largest entry of `a` (a matrix whose columns cannot be
/// told apart at that precision), or a solution that is not finite.
///
/// ```
/// // 2x + y = 3, x + 3y = 5.
/// let x = xrd_core::linalg::solve(&[2.0, 1.0, 1.0, 3.0], &[3.0, 5.0], 1e-14).unwrap();
/// assert!((x[0] - 0.8).abs() < 1e-15 && (x[1] - 1.4).abs() < 1e-15);
/// assert!(xrd_core::linalg::solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0], 1e-14).is_none());
/// ```
pub fn solve(a: &[f64], b: &[f64], relative_pivot: f64) -> Option<Vec<f64>> {
    let n = b.len();
    if n == 0 || a.len() != n * n {
        return None;
    }
    let largest = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let lu = DMatrix::from_row_slice(n, n, a).lu();
    let singular = lu
        .u()
        .diagonal()
        .iter()
        .any(|p| p.abs() <= relative_pivot * largest || p.is_nan());
    if singular {
        return None;
    }
    let x = lu.solve(&DVector::from_column_slice(b))?;
    x.iter()
        .all(|v| v.is_finite())
        .then(|| x.as_slice().to_vec())
}

/// Minimises `½ xᵀ a x − bᵀ x` subject to `x_i ≥ 0` wherever `bounded[i]` (the others free), for
/// the symmetric positive-definite `n` × `n` matrix `a` given row by row: the normal equations of
/// a weighted least-squares fit whose bounded unknowns are non-negative (scales of reference
/// patterns beside a free background). Lawson & Hanson's active-set method on the normal
/// equations; `None` when a passive subsystem is singular at `relative_pivot` (see [`solve`]) or
/// the shapes disagree.
///
/// ```
/// // min (x − 1)² + (y + 2)²  with y ≥ 0: x = 1, y = 0.
/// let x = xrd_core::linalg::nnls_normal(&[1.0, 0.0, 0.0, 1.0], &[1.0, -2.0], &[false, true], 1e-14).unwrap();
/// assert_eq!(x, vec![1.0, 0.0]);
/// ```
pub fn nnls_normal(
    a: &[f64],
    b: &[f64],
    bounded: &[bool],
    relative_pivot: f64,
) -> Option<Vec<f64>> {
    let n = b.len();
    if n == 0 || a.len() != n * n || bounded.len() != n {
        return None;
    }
    // A variable joins the passive set only when its gradient exceeds this share of the largest
    // |b|, so rounding noise does not cycle the active set.
    let tol = 1e-12
        * b.iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
    let mut passive: Vec<bool> = bounded.iter().map(|&c| !c).collect();
    let mut x = vec![0.0; n];
    let solve_passive = |passive: &[bool]| -> Option<Vec<f64>> {
        let idx: Vec<usize> = (0..n).filter(|&i| passive[i]).collect();
        let mut z = vec![0.0; n];
        if idx.is_empty() {
            return Some(z);
        }
        let k = idx.len();
        let mut sub = Vec::with_capacity(k * k);
        for &i in &idx {
            for &j in &idx {
                sub.push(a[i * n + j]);
            }
        }
        let rhs: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
        let sol = solve(&sub, &rhs, relative_pivot)?;
        for (&i, v) in idx.iter().zip(sol) {
            z[i] = v;
        }
        Some(z)
    };
    if passive.iter().any(|&p| p) {
        x = solve_passive(&passive)?;
    }
    for _ in 0..3 * n + 10 {
        // The bounded variable whose gradient most wants it to grow.
        let mut best: Option<(usize, f64)> = None;
        for i in 0..n {
            if passive[i] {
                continue;
            }
            let w = b[i] - (0..n).map(|j| a[i * n + j] * x[j]).sum::<f64>();
            if w > tol && best.is_none_or(|(_, bw)| w > bw) {
                best = Some((i, w));
            }
        }
        let Some((enter, _)) = best else {
            return Some(x);
        };
        passive[enter] = true;
        loop {
            let z = solve_passive(&passive)?;
            let infeasible: Vec<usize> = (0..n)
                .filter(|&i| passive[i] && bounded[i] && z[i] <= 0.0)
                .collect();
            if infeasible.is_empty() {
                x = z;
                break;
            }
            // Step from x towards z as far as feasibility allows, then drop the bounded
            // variables that reached zero.
            let alpha = infeasible
                .iter()
                .map(|&i| x[i] / (x[i] - z[i]))
                .fold(f64::INFINITY, f64::min)
                .clamp(0.0, 1.0);
            for i in 0..n {
                x[i] += alpha * (z[i] - x[i]);
                if passive[i] && bounded[i] && x[i] <= 0.0 {
                    passive[i] = false;
                    x[i] = 0.0;
                }
            }
            for &i in &infeasible {
                if x[i] <= f64::EPSILON * z[i].abs() {
                    passive[i] = false;
                    x[i] = 0.0;
                }
            }
        }
    }
    Some(x)
}

/// Iterations of the symmetric QR algorithm after which [`symmetric_eigen`] gives up (it needs
/// a few per eigenvalue).
const EIGEN_MAX_ITERATIONS: usize = 100_000;

/// Eigenvalues and unit eigenvectors (column `i` for value `i`, in no particular order) of the
/// symmetric matrix `a` (its lower triangle is read); `None` when `a` is not square, holds a
/// non-finite entry or the iteration does not converge.
///
/// ```
/// use ndarray::array;
/// let (values, vectors) = xrd_core::linalg::symmetric_eigen(array![[2.0, 1.0], [1.0, 2.0]].view()).unwrap();
/// let mut sorted = values.to_vec();
/// sorted.sort_by(f64::total_cmp);
/// assert!((sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12);
/// assert!((vectors[[0, 0]].abs() - 0.5f64.sqrt()).abs() < 1e-12);
/// ```
pub fn symmetric_eigen(a: ArrayView2<'_, f64>) -> Option<(Array1<f64>, Array2<f64>)> {
    let (n, m) = a.dim();
    if n != m || n == 0 || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let matrix = DMatrix::from_fn(n, n, |i, j| a[[i, j]]);
    let eigen = SymmetricEigen::try_new(matrix, f64::EPSILON, EIGEN_MAX_ITERATIONS)?;
    let values = Array1::from_iter(eigen.eigenvalues.iter().copied());
    let vectors = Array2::from_shape_fn((n, n), |(i, j)| eigen.eigenvectors[(i, j)]);
    Some((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Brute force: the best of every choice of which bounded variables sit at zero.
    fn nnls_naive(a: &[f64], b: &[f64], bounded: &[bool]) -> Vec<f64> {
        let n = b.len();
        let objective = |x: &[f64]| {
            let mut f = 0.0;
            for i in 0..n {
                f -= b[i] * x[i];
                for j in 0..n {
                    f += 0.5 * x[i] * a[i * n + j] * x[j];
                }
            }
            f
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        for mask in 0..1u32 << n {
            let free: Vec<usize> = (0..n)
                .filter(|&i| !bounded[i] || mask & (1 << i) != 0)
                .collect();
            let sub: Vec<f64> = free
                .iter()
                .flat_map(|&i| free.iter().map(move |&j| a[i * n + j]))
                .collect();
            let rhs: Vec<f64> = free.iter().map(|&i| b[i]).collect();
            let mut x = vec![0.0; n];
            if !free.is_empty() {
                let Some(sol) = solve(&sub, &rhs, 1e-14) else {
                    continue;
                };
                for (&i, v) in free.iter().zip(sol) {
                    x[i] = v;
                }
            }
            if (0..n).any(|i| bounded[i] && x[i] < 0.0) {
                continue;
            }
            let f = objective(&x);
            if best.as_ref().is_none_or(|(bf, _)| f < *bf) {
                best = Some((f, x));
            }
        }
        best.map(|(_, x)| x).unwrap_or_default()
    }

    #[test]
    fn nnls_matches_brute_force_on_seeded_problems() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for trial in 0..200 {
            let n = 1 + trial % 6;
            let m = n + 3;
            // a = MᵀM of a random tall M: positive definite.
            let mm: Vec<f64> = (0..m * n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = (0..m).map(|r| mm[r * n + i] * mm[r * n + j]).sum();
                }
            }
            let b: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let bounded: Vec<bool> = (0..n).map(|i| i % 3 != 2).collect();
            let fast = nnls_normal(&a, &b, &bounded, 1e-14).unwrap();
            let slow = nnls_naive(&a, &b, &bounded);
            for (f, s) in fast.iter().zip(&slow) {
                assert!((f - s).abs() < 1e-9, "trial {trial}: {fast:?} vs {slow:?}");
            }
        }
        assert!(nnls_normal(&[1.0], &[1.0, 2.0], &[true], 1e-14).is_none());
        assert!(nnls_normal(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0], &[false, false], 1e-14).is_none());
    }

    /// Gaussian elimination with partial pivoting, written out: the reference.
    fn naive(a: &[f64], b: &[f64]) -> Vec<f64> {
        let n = b.len();
        let mut m: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row = a[i * n..(i + 1) * n].to_vec();
                row.push(b[i]);
                row
            })
            .collect();
        for c in 0..n {
            let p = (c..n)
                .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
                .unwrap();
            m.swap(c, p);
            let (top, rest) = m.split_at_mut(c + 1);
            let pivot = &top[c];
            for row in rest {
                let f = row[c] / pivot[c];
                for (v, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                    *v -= f * p;
                }
            }
        }
        let mut x = vec![0.0; n];
        for r in (0..n).rev() {
            let s: f64 = (r + 1..n).map(|k| m[r][k] * x[k]).sum();
            x[r] = (m[r][n] - s) / m[r][r];
        }
        x
    }

    #[test]
    fn matches_elimination_on_seeded_systems() {
        // A fixed linear congruential sequence: portable and the same on every run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for n in 1..=8 {
            for _ in 0..20 {
                let a: Vec<f64> = (0..n * n).map(|_| next()).collect();
                let b: Vec<f64> = (0..n).map(|_| next()).collect();
                let want = naive(&a, &b);
                let got = solve(&a, &b, 1e-14).unwrap();
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-9 * (1.0 + w.abs()), "n={n}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn eigen_pairs_reconstruct_the_matrix() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for n in [1, 2, 5, 12] {
            let b = Array2::from_shape_fn((n, n), |_| next());
            let a = b.t().dot(&b);
            let (values, vectors) = symmetric_eigen(a.view()).unwrap();
            // A = V diag(λ) Vᵀ with Vᵀ V = I.
            let back = vectors.dot(&Array2::from_diag(&values)).dot(&vectors.t());
            let eye = vectors.t().dot(&vectors);
            for i in 0..n {
                for j in 0..n {
                    assert!((back[[i, j]] - a[[i, j]]).abs() < 1e-12, "n={n}");
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((eye[[i, j]] - want).abs() < 1e-12, "n={n}");
                }
            }
        }
        assert!(symmetric_eigen(Array2::<f64>::zeros((2, 3)).view()).is_none());
        assert!(symmetric_eigen(ndarray::array![[f64::NAN]].view()).is_none());
    }

    #[test]
    fn singular_and_malformed_systems_have_no_solution() {
        // Rank 2 of 3.
        let a = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 0.0, 1.0, 1.0];
        assert!(solve(&a, &[1.0, 2.0, 3.0], 1e-12).is_none());
        // Nearly singular at the requested precision, regular below it.
        let a = [1.0, 1.0, 1.0, 1.0 + 1e-10];
        assert!(solve(&a, &[1.0, 2.0], 1e-8).is_none());
        assert!(solve(&a, &[1.0, 2.0], 1e-14).is_some());
        assert!(solve(&[1.0, 2.0, 3.0], &[1.0, 2.0], 1e-14).is_none());
        assert!(solve(&[], &[], 1e-14).is_none());
        assert!(solve(&[f64::NAN], &[1.0], 1e-14).is_none());
    }
}
