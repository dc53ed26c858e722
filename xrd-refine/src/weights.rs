//! Weight fractions from scales: the one home of the maths that turns fitted scales into
//! weight fractions, their esds, the amorphous rest beside an internal standard and detection
//! limits, for a Rietveld refinement (k = Z·M·V of a phase, rir_scale / RIR of a measured
//! reference) and a full-pattern summation (k = 1 / RIR) alike.

/// A measured reference's 2θ shift is bounded by ± this (°) unless set otherwise
/// ([`crate::SummationParams::max_shift`], [`crate::MeasuredReferences`]).
pub const DEFAULT_MAX_SHIFT: f64 = 0.3;

/// A component counts as detected when its scale exceeds this many esds; its detection limit
/// is the weight fraction of that many esds of its scale.
pub const DETECTION_SIGMAS: f64 = 3.0;

/// The weight fractions of one fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weighed {
    /// Each component's weight fraction and its esd (0 for the standard, whose weight is
    /// given).
    pub fractions: Vec<(f64, f64)>,
    /// With a standard: the rest (amorphous or unidentified), 1 − Σ w, and its esd.
    pub rest: Option<(f64, f64)>,
    /// The weight of one unit of S·k: w_i = S_i k_i / basis.
    pub basis: f64,
}

/// Weight fractions w_i = S_i k_i / basis of scales `s` with weights per unit of scale `k`
/// (a component with k = 0, a background shape, weighs nothing): basis = Σ S_j k_j, or with an
/// internal standard `(index, weight fraction)` basis = S_s k_s / w_s, so that the fractions
/// are absolute. Esds from the scales' covariance `cov` by the gradient
/// ∂w_i/∂S_j = δ_ij k_i / basis − w_i (∂basis/∂S_j) / basis. None when the basis is not
/// positive (nothing weighs, or the standard is not found).
pub(crate) fn weigh(
    s: &[f64],
    k: &[f64],
    cov: &dyn Fn(usize, usize) -> f64,
    standard: Option<(usize, f64)>,
) -> Option<Weighed> {
    let n = s.len();
    let mut basis_grad = vec![0.0; n];
    let basis = match standard {
        Some((i, ws)) => {
            basis_grad[i] = k[i] / ws;
            s[i] * k[i] / ws
        }
        None => {
            basis_grad.copy_from_slice(k);
            s.iter().zip(k).map(|(a, b)| a * b).sum()
        }
    };
    if !(basis > 0.0 && basis.is_finite()) {
        return None;
    }
    let variance = |g: &[f64]| -> f64 {
        let mut v = 0.0;
        for (a, ga) in g.iter().enumerate() {
            for (b, gb) in g.iter().enumerate() {
                if *ga != 0.0 && *gb != 0.0 {
                    v += ga * gb * cov(a, b);
                }
            }
        }
        v.max(0.0)
    };
    let mut fractions = Vec::with_capacity(n);
    let mut rest_grad = vec![0.0; n];
    let mut total = 0.0;
    for i in 0..n {
        let w = s[i] * k[i] / basis;
        let grad: Vec<f64> = (0..n)
            .map(|j| f64::from(u8::from(i == j)) * k[i] / basis - w * basis_grad[j] / basis)
            .collect();
        for (r, g) in rest_grad.iter_mut().zip(&grad) {
            *r -= g;
        }
        total += w;
        let esd = if standard.is_some_and(|(st, _)| st == i) {
            0.0
        } else {
            variance(&grad).sqrt()
        };
        fractions.push((w, esd));
    }
    let rest = standard.map(|_| (1.0 - total, variance(&rest_grad).sqrt()));
    Some(Weighed {
        fractions,
        rest,
        basis,
    })
}

/// The detection limit of a component whose scale has esd `scale_esd`: the weight fraction of
/// `sigmas` esds (default [`DETECTION_SIGMAS`]) of its scale.
pub(crate) fn detection_limit(sigmas: f64, scale_esd: f64, k: f64, basis: f64) -> f64 {
    sigmas * scale_esd * k / basis.max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The esds against central differences of the fractions in the scales, for a covariance
    /// with correlations.
    #[test]
    fn esds_follow_the_gradient_of_the_fractions() {
        let s = [2.0, 0.5, 1.5, 3.0];
        let k = [1.0, 4.0, 0.7, 0.0];
        let c = [
            [0.04, 0.01, 0.0, 0.0],
            [0.01, 0.02, -0.005, 0.0],
            [0.0, -0.005, 0.03, 0.0],
            [0.0, 0.0, 0.0, 0.5],
        ];
        let cov = |a: usize, b: usize| c[a][b];
        for standard in [None, Some((1, 0.2))] {
            let w = weigh(&s, &k, &cov, standard).unwrap();
            let h = 1e-6;
            let numeric = |i: usize, j: usize| {
                let (mut up, mut down) = (s, s);
                up[j] += h;
                down[j] -= h;
                let f = |x: &[f64; 4]| weigh(x, &k, &cov, standard).unwrap().fractions[i].0;
                (f(&up) - f(&down)) / (2.0 * h)
            };
            for i in 0..4 {
                let g: Vec<f64> = (0..4).map(|j| numeric(i, j)).collect();
                let mut var = 0.0;
                for a in 0..4 {
                    for b in 0..4 {
                        var += g[a] * g[b] * c[a][b];
                    }
                }
                let want = if standard.is_some_and(|(st, _)| st == i) {
                    0.0
                } else {
                    var.sqrt()
                };
                approx::assert_relative_eq!(
                    w.fractions[i].1,
                    want,
                    epsilon = 1e-8,
                    max_relative = 1e-5
                );
            }
            // The background shape (k = 0) weighs nothing.
            assert_eq!(w.fractions[3], (0.0, 0.0));
            match standard {
                None => {
                    let sum: f64 = w.fractions.iter().map(|f| f.0).sum();
                    approx::assert_relative_eq!(sum, 1.0, epsilon = 1e-12);
                    assert!(w.rest.is_none());
                }
                Some((st, ws)) => {
                    approx::assert_relative_eq!(w.fractions[st].0, ws, epsilon = 1e-12);
                    let sum: f64 = w.fractions.iter().map(|f| f.0).sum();
                    approx::assert_relative_eq!(w.rest.unwrap().0, 1.0 - sum, epsilon = 1e-12);
                    assert!(w.rest.unwrap().1 > 0.0);
                }
            }
        }
        assert!(weigh(&[0.0, 0.0], &[1.0, 1.0], &cov, None).is_none());
        assert!(weigh(&[1.0, 0.0], &[1.0, 1.0], &cov, Some((1, 0.1))).is_none());
    }
}
