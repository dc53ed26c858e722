//! Gauss–Legendre quadrature: the one home of the nodes the capillary's absorption, the sphere
//! of the harmonic texture and the axial-divergence convolution integrate with. Tables are
//! computed once per order and kept: the axial convolution asks for them on every line of every
//! evaluation.

use std::sync::OnceLock;

/// Orders kept; a larger one is computed each time.
const KEPT: usize = 128;

/// The `n` Gauss–Legendre nodes and weights on (−1, 1), n ≥ 1 (Newton on Pₙ from the usual
/// guesses, Pₙ and Pₙ′ by the three-term recurrence).
pub(crate) fn gauss_legendre(n: usize) -> std::borrow::Cow<'static, [(f64, f64)]> {
    static TABLES: [OnceLock<Vec<(f64, f64)>>; KEPT] = [const { OnceLock::new() }; KEPT];
    match TABLES.get(n) {
        Some(t) => std::borrow::Cow::Borrowed(t.get_or_init(|| compute(n)).as_slice()),
        None => std::borrow::Cow::Owned(compute(n)),
    }
}

fn compute(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let k = k as f64;
                    (p0, p1) = (p1, ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k);
                }
                dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-15 {
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact for polynomials of degree < 2n; the kept table is the computed one.
    #[test]
    fn integrates_polynomials_exactly() {
        for n in [1, 2, 5, 10, 64, 200] {
            let q = gauss_legendre(n);
            assert_eq!(q.len(), n);
            let sum = |p: i32| q.iter().map(|(x, w)| w * x.powi(p)).sum::<f64>();
            assert!((sum(0) - 2.0).abs() < 1e-13, "{n}");
            let d = 2 * n as i32 - 2;
            assert!((sum(d) - 2.0 / f64::from(d + 1)).abs() < 1e-12, "{n}");
            assert_eq!(&q[..], &compute(n)[..]);
        }
    }
}
