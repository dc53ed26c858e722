//! The peak shape of whole-pattern refinement (xrd-refine): Thompson–Cox–Hastings pseudo-Voigt (Thompson, Cox & Hastings, J. Appl.
//! Cryst. 20, 79, 1987) with the first Hermite term of Bérar & Baldinozzi's asymmetry
//! (J. Appl. Cryst. 26, 128, 1993) for axial divergence, and the analytic derivatives a
//! Levenberg–Marquardt fit needs.
//!
//! A peak is cut at ±[`REACH`] full widths; its Lorentzian part is rescaled by the area it loses
//! there (a constant, since the cut scales with the width), so that every peak keeps unit area and
//! weight fractions do not depend on the cut.

use std::f64::consts::{LN_2, PI};

/// A peak is computed within ± this many full widths at half maximum of its centre.
pub const REACH: f64 = 15.0;

/// Beyond z² = (x/FWHM)² of this, exp(−4 ln2 z²) < 1e-30 and exp(−z²) < 2e-11: the Gaussian part
/// and the asymmetry term are taken as zero there (and their exponentials not computed).
const EXP_CUT_Z2: f64 = 25.0;

/// Beyond z² of this the Gaussian part, exp(−4 ln2 z²) < 1e-15 of its height, is taken as zero:
/// below the last bit of the Lorentzian tail it sits on, so its exponential is not computed.
const GAUSS_CUT_Z2: f64 = 12.5;

/// exp(x) for x ≤ 0 (−∞ too), within 2 ulp of `f64::exp` down to e^−708.39 ≈ 2.3e-308 and 0
/// below: 2^(k + j/64) from a table and a polynomial of the rest, inlined (the profile's
/// exponentials were a quarter of a refinement's time through the library call).
#[inline]
pub fn exp_neg(x: f64) -> f64 {
    // Below this 2^k would leave the normal range.
    if x < -708.39 {
        return 0.0;
    }
    // Round x·64/ln2 to the nearest integer n by the 1.5·2^52 trick (exact for |n| < 2^51).
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let t = x * (64.0 * std::f64::consts::LOG2_E) + SHIFT;
    let n = t.to_bits() as i64 as i32; // the low bits of t hold n
    let nf = t - SHIFT;
    // r = x − n·ln2/64 in two parts (Cody–Waite: n·HI is exact), |r| ≤ ln2/128.
    const LN2_64_HI: f64 = 0.01083042469326756;
    const LN2_64_LO: f64 = 2.9815858269852933e-12;
    let r = (x - nf * LN2_64_HI) - nf * LN2_64_LO;
    // e^r − 1 to degree 5: the first term left out, r⁶/6! < 4e-17.
    let p = r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let t = EXP2_64[(n & 63) as usize];
    // 2^k · t · (1 + p), k = floor(n / 64) ≥ −1022 here, 2^k built in the exponent bits.
    let scale = f64::from_bits(((1023 + (n >> 6)) as u64) << 52);
    (t + t * p) * scale
}

/// 2^(j/64), j = 0..64, rounded to the nearest double.
#[allow(clippy::excessive_precision, clippy::approx_constant)]
static EXP2_64: [f64; 64] = [
    1.0,
    1.0108892860517005,
    1.0218971486541166,
    1.0330248790212284,
    1.0442737824274138,
    1.0556451783605572,
    1.0671404006768237,
    1.0787607977571199,
    1.0905077326652577,
    1.102382583307841,
    1.1143867425958924,
    1.1265216186082418,
    1.1387886347566916,
    1.1511892299529827,
    1.1637248587775775,
    1.1763969916502812,
    1.189207115002721,
    1.202156731452703,
    1.215247359980469,
    1.22848053610687,
    1.241857812073484,
    1.255380757024691,
    1.2690509571917332,
    1.2828700160787783,
    1.2968395546510096,
    1.3109612115247644,
    1.3252366431597413,
    1.339667524053303,
    1.3542555469368927,
    1.3690024229745905,
    1.383909881963832,
    1.3989796725383112,
    1.4142135623730951,
    1.42961333839197,
    1.4451808069770467,
    1.460917794180647,
    1.4768261459394993,
    1.4929077282912648,
    1.5091644275934228,
    1.5255981507445384,
    1.5422108254079407,
    1.559004400237837,
    1.5759808451078865,
    1.593142151342267,
    1.6104903319492543,
    1.6280274218573478,
    1.645755478153965,
    1.6636765803267364,
    1.681792830507429,
    1.7001063537185235,
    1.718619298122478,
    1.7373338352737062,
    1.7562521603732995,
    1.7753764925265212,
    1.7947090750031072,
    1.8142521755003989,
    1.8340080864093424,
    1.8539791250833855,
    1.8741676341103,
    1.8945759815869656,
    1.9152065613971474,
    1.9360617934922943,
    1.9571441241754002,
    1.978456026387951,
];

/// 1 / (share of a unit Lorentzian's area within ±REACH FWHM).
fn lorentz_norm() -> f64 {
    1.0 / (2.0 / PI * (2.0 * REACH).atan())
}

/// The total width and mixing of a TCH pseudo-Voigt and their derivatives with respect to the
/// Gaussian and Lorentzian widths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TchWidths {
    /// FWHM of the pseudo-Voigt (°).
    pub h: f64,
    /// Lorentzian fraction η ∈ [0, 1].
    pub eta: f64,
    /// ∂H/∂(Gaussian FWHM).
    pub dh_dg: f64,
    /// ∂H/∂(Lorentzian FWHM).
    pub dh_dl: f64,
    /// ∂η/∂(Gaussian FWHM).
    pub deta_dg: f64,
    /// ∂η/∂(Lorentzian FWHM).
    pub deta_dl: f64,
}

const C: [f64; 6] = [1.0, 2.69269, 2.42843, 4.47163, 0.07842, 1.0];

/// TCH widths from the Gaussian FWHM `g` and Lorentzian FWHM `l` (both ≥ 0, not both 0).
pub fn widths(g: f64, l: f64) -> TchWidths {
    // H⁵ = Σ Cᵢ g^(5−i) lⁱ
    let gp = [1.0, g, g * g, g * g * g, g * g * g * g, g * g * g * g * g];
    let lp = [1.0, l, l * l, l * l * l, l * l * l * l, l * l * l * l * l];
    let mut h5 = 0.0;
    let (mut dg5, mut dl5) = (0.0, 0.0);
    for i in 0..6 {
        h5 += C[i] * gp[5 - i] * lp[i];
        if i < 5 {
            dg5 += C[i] * (5 - i) as f64 * gp[4 - i] * lp[i];
        }
        if i > 0 {
            dl5 += C[i] * i as f64 * gp[5 - i] * lp[i - 1];
        }
    }
    let h = h5.powf(0.2);
    let h4 = h5 / h;
    let (dh_dg, dh_dl) = (dg5 / (5.0 * h4), dl5 / (5.0 * h4));
    let q = l / h;
    let eta = (1.36603 * q - 0.47719 * q * q + 0.11116 * q * q * q).clamp(0.0, 1.0);
    let deta_dq = 1.36603 - 2.0 * 0.47719 * q + 3.0 * 0.11116 * q * q;
    let dq_dg = -l / (h * h) * dh_dg;
    let dq_dl = 1.0 / h - l / (h * h) * dh_dl;
    TchWidths {
        h,
        eta,
        dh_dg,
        dh_dl,
        deta_dg: deta_dq * dq_dg,
        deta_dl: deta_dq * dq_dl,
    }
}

/// The profile at one point and its derivatives with respect to the peak's centre, width,
/// mixing and asymmetry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TchValue {
    /// The profile's value (per degree).
    pub v: f64,
    /// ∂v/∂centre.
    pub d_centre: f64,
    /// ∂v/∂H.
    pub d_h: f64,
    /// ∂v/∂η.
    pub d_eta: f64,
    /// ∂v/∂(asymmetry k).
    pub d_asym: f64,
}

/// The unit-area TCH profile with its precomputed constants.
#[derive(Debug, Clone, Copy)]
pub struct TchProfile {
    lorentz_norm: f64,
    gauss_norm: f64,
}

impl Default for TchProfile {
    fn default() -> Self {
        Self::new()
    }
}

impl TchProfile {
    /// The profile (its normalisation constants computed once).
    pub fn new() -> Self {
        Self {
            lorentz_norm: lorentz_norm(),
            gauss_norm: 2.0 * (LN_2 / PI).sqrt(),
        }
    }

    /// The value of [`TchProfile::at`] alone (the fast path of a pattern without derivatives).
    #[inline]
    pub fn value(&self, x: f64, h: f64, eta: f64, k: f64) -> f64 {
        let ih = 1.0 / h;
        let z = x * ih;
        let z2 = z * z;
        let l = self.lorentz_norm * 2.0 / PI * ih / (1.0 + 4.0 * z2);
        if z2 > EXP_CUT_Z2 {
            return eta * l;
        }
        let g = if z2 > GAUSS_CUT_Z2 {
            0.0
        } else {
            self.gauss_norm * ih * exp_neg(-4.0 * LN_2 * z2)
        };
        let pv = eta * l + (1.0 - eta) * g;
        if k == 0.0 {
            pv
        } else {
            (1.0 + k * 2.0 * z * exp_neg(-z2)) * pv
        }
    }

    /// The unit-area profile at `x` = 2θ − centre (°) for FWHM `h`, mixing `eta` and asymmetry
    /// `k` (the multiplier of 2z·exp(−z²), z = x/h).
    #[inline]
    pub fn at(&self, x: f64, h: f64, eta: f64, k: f64) -> TchValue {
        let ih = 1.0 / h;
        let z = x * ih;
        let z2 = z * z;
        let den = 1.0 + 4.0 * z2;
        // L = (2/(πH)) / (1 + 4z²); G = (2/H) √(ln2/π) exp(−4 ln2 z²)
        let l = self.lorentz_norm * 2.0 / PI * ih / den;
        let far = z2 > EXP_CUT_Z2;
        let g = if z2 > GAUSS_CUT_Z2 {
            0.0
        } else {
            self.gauss_norm * ih * exp_neg(-4.0 * LN_2 * z2)
        };
        let pv = eta * l + (1.0 - eta) * g;
        // d/dx and d/dH of each part.
        let l_x = l * (-8.0 * z * ih) / den;
        let g_x = g * (-8.0 * LN_2 * z * ih);
        let l_h = l * ih * (8.0 * z2 / den - 1.0);
        let g_h = g * ih * (8.0 * LN_2 * z2 - 1.0);
        let pv_x = eta * l_x + (1.0 - eta) * g_x;
        let pv_h = eta * l_h + (1.0 - eta) * g_h;
        let e = if far { 0.0 } else { exp_neg(-z2) };
        let fa = 2.0 * z * e;
        let fa_z = 2.0 * (1.0 - 2.0 * z2) * e;
        let a = 1.0 + k * fa;
        let v_x = k * fa_z * ih * pv + a * pv_x;
        TchValue {
            v: a * pv,
            d_centre: -v_x,
            d_h: k * fa_z * (-z * ih) * pv + a * pv_h,
            d_eta: a * (l - g),
            d_asym: fa * pv,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn derivatives_match_central_differences() {
        let s = TchProfile::new();
        let e = 1e-6;
        for &(x, h, eta, k) in &[
            (0.03, 0.1, 0.3, 0.0),
            (-0.2, 0.15, 0.7, 0.05),
            (0.5, 0.08, 0.1, -0.1),
            (0.0, 0.2, 1.0, 0.02),
        ] {
            let v = s.at(x, h, eta, k);
            assert!((v.v - s.value(x, h, eta, k)).abs() <= 1e-15 * v.v.abs().max(1.0));
            let num_c = -(s.at(x + e, h, eta, k).v - s.at(x - e, h, eta, k).v) / (2.0 * e);
            let num_h = (s.at(x, h + e, eta, k).v - s.at(x, h - e, eta, k).v) / (2.0 * e);
            let num_eta = (s.at(x, h, eta + e, k).v - s.at(x, h, eta - e, k).v) / (2.0 * e);
            let num_k = (s.at(x, h, eta, k + e).v - s.at(x, h, eta, k - e).v) / (2.0 * e);
            assert!(close(v.d_centre, num_c, 1e-6), "{} {num_c}", v.d_centre);
            assert!(close(v.d_h, num_h, 1e-6), "{} {num_h}", v.d_h);
            assert!(close(v.d_eta, num_eta, 1e-6), "{} {num_eta}", v.d_eta);
            assert!(close(v.d_asym, num_k, 1e-6), "{} {num_k}", v.d_asym);
        }
        for &(g, l) in &[(0.1, 0.02), (0.05, 0.1), (0.2, 1e-4)] {
            let w = widths(g, l);
            let wg = |g| widths(g, l);
            let wl = |l| widths(g, l);
            assert!(close(
                w.dh_dg,
                (wg(g + e).h - wg(g - e).h) / (2.0 * e),
                1e-6
            ));
            assert!(close(
                w.dh_dl,
                (wl(l + e).h - wl(l - e).h) / (2.0 * e),
                1e-6
            ));
            assert!(close(
                w.deta_dg,
                (wg(g + e).eta - wg(g - e).eta) / (2.0 * e),
                1e-6
            ));
            assert!(close(
                w.deta_dl,
                (wl(l + e).eta - wl(l - e).eta) / (2.0 * e),
                1e-6
            ));
        }
    }

    #[test]
    fn exp_neg_matches_the_library_exp() {
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
        let mut worst = 0;
        for i in 0..=2_000_000 {
            let x = -720.0 * (i as f64 / 2e6).powi(2);
            let (fast, naive) = (exp_neg(x), x.exp());
            if x < -708.39 {
                // Zero where the library's is subnormal (or below 2.3e-308).
                assert!(fast == 0.0 && naive < 2.3e-308, "{x}");
                continue;
            }
            worst = worst.max(ulps(fast, naive));
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(exp_neg(f64::NEG_INFINITY), 0.0);
        assert!(exp_neg(f64::NAN).is_nan());
    }

    /// The profile and its derivatives as written, with the library's exp and the Gaussian and
    /// asymmetry terms cut at z² > [`EXP_CUT_Z2`] only (the reference of [`TchProfile::at`] and
    /// [`TchProfile::value`], as they were before the Gaussian's own cut and the inlined exp).
    fn naive(x: f64, h: f64, eta: f64, k: f64) -> [f64; 5] {
        let s = TchProfile::new();
        let z = x / h;
        let z2 = z * z;
        let den = 1.0 + 4.0 * z2;
        let l = s.lorentz_norm * 2.0 / (PI * h) / den;
        let far = z2 > EXP_CUT_Z2;
        let g = if far {
            0.0
        } else {
            s.gauss_norm / h * (-4.0 * LN_2 * z2).exp()
        };
        let pv = eta * l + (1.0 - eta) * g;
        let l_x = l * (-8.0 * z / h) / den;
        let g_x = g * (-8.0 * LN_2 * z / h);
        let l_h = l / h * (8.0 * z2 / den - 1.0);
        let g_h = g / h * (8.0 * LN_2 * z2 - 1.0);
        let (pv_x, pv_h) = (eta * l_x + (1.0 - eta) * g_x, eta * l_h + (1.0 - eta) * g_h);
        let e = if far { 0.0 } else { (-z2).exp() };
        let (fa, fa_z) = (2.0 * z * e, 2.0 * (1.0 - 2.0 * z2) * e);
        let a = 1.0 + k * fa;
        [
            a * pv,
            -(k * fa_z / h * pv + a * pv_x),
            k * fa_z * (-z / h) * pv + a * pv_h,
            a * (l - g),
            fa * pv,
        ]
    }

    #[test]
    fn the_cut_profile_matches_the_naive_one() {
        let s = TchProfile::new();
        for &(h, eta, k) in &[
            (0.03, 0.0, 0.0),
            (0.03, 0.4, 0.0),
            (0.05, 0.9, 0.3),
            (0.2, 0.1, -2.0),
            (0.01, 0.6, 40.0),
        ] {
            // Each quantity within 1e-13 of its largest magnitude over the peak.
            let xs: Vec<f64> = (-3000..=3000).map(|i| i as f64 / 200.0 * h).collect();
            let naive: Vec<[f64; 5]> = xs.iter().map(|&x| naive(x, h, eta, k)).collect();
            let top: [f64; 5] = std::array::from_fn(|q| {
                naive
                    .iter()
                    .fold(0.0f64, |m, v| m.max(v[q].abs()))
                    .max(1e-300)
            });
            for (&x, want) in xs.iter().zip(&naive) {
                let v = s.at(x, h, eta, k);
                let got = [v.v, v.d_centre, v.d_h, v.d_eta, v.d_asym];
                for q in 0..5 {
                    assert!(
                        (got[q] - want[q]).abs() <= 1e-13 * top[q],
                        "h {h} η {eta} k {k} x {x} quantity {q}: {} {}",
                        got[q],
                        want[q]
                    );
                }
                assert!((s.value(x, h, eta, k) - want[0]).abs() <= 1e-13 * top[0]);
            }
        }
    }

    #[test]
    fn limits_and_unit_area() {
        // Pure Gaussian and pure Lorentzian limits of the TCH width.
        let w = widths(0.1, 0.0);
        assert!((w.h - 0.1).abs() < 1e-12 && w.eta == 0.0);
        let w = widths(0.0, 0.1);
        assert!((w.h - 0.1).abs() < 1e-12 && (w.eta - 1.0).abs() < 1e-3);
        // Unit area within the reach, for any mixing (and with asymmetry, which is odd).
        let s = TchProfile::new();
        for &(eta, k) in &[(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.5, 0.1)] {
            let h = 0.1;
            let n = 60_000;
            let dx = 2.0 * REACH * h / n as f64;
            let area: f64 = (0..=n)
                .map(|i| s.at(-REACH * h + i as f64 * dx, h, eta, k).v * dx)
                .sum();
            assert!((area - 1.0).abs() < 2e-4, "η {eta}, k {k}: area {area}");
        }
    }
}
