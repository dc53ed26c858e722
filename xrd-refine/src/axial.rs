//! Axial-divergence asymmetry by Finger, Cox & Jephcoat (J. Appl. Cryst. 27, 892, 1994): the
//! peak as the symmetric profile convolved with the FCJ weight of the sample's and the
//! receiving slit's heights over the diffractometer radius (S/L, H/L).
//!
//! Rays that leave the diffraction plane reach the detector at 2φ below the Bragg angle 2θ₀
//! (above it past 90°), down to cos 2φ_min = cos 2θ₀ √(((H + S)/L)² + 1). With
//! ĥ(2φ) = √(cos²2φ / cos²2θ₀ − 1) the weight is
//! W(2φ) = min((H + S)/L − ĥ, 2 min(H, S)/L) / (ĥ |cos 2φ|), zero where ĥ > (H + S)/L. It has
//! an integrable 1/√ singularity at 2θ₀; with 2φ = 2θ₀ − t² it is smooth in t, and
//! Gauss–Legendre in t turns the convolution into a short sum of shifted symmetric profiles,
//! P(x) = Σ aₖ V(x + δₖ), Σ aₖ = 1 (the area is kept). GSAS-II's `SH/L` is (S + H)/L with
//! S = H.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid;

/// The most quadrature nodes of one kernel.
pub(crate) const MAX_NODES: usize = 64;

/// Below this extent (a fraction of the FWHM) the asymmetry is not worth a convolution.
const NEGLIGIBLE: f64 = 0.02;

/// Finite-difference step (°) of the kernel's dependence on the peak position.
const STEP: f64 = 1e-4;

/// The heights of the sample (S) and the receiving slit (H) over the diffractometer radius
/// (L) of Finger, Cox & Jephcoat's axial divergence.
///
/// ```
/// use xrd_refine::AxialDivergence;
/// // GSAS-II's SH/L = 0.03 is S/L = H/L = 0.015.
/// let a = AxialDivergence::from_sh_l(0.03);
/// assert_eq!((a.s_l, a.h_l), (0.015, 0.015));
/// assert!(a.check().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AxialDivergence {
    /// S/L: the illuminated sample's half-height over the radius.
    pub s_l: f64,
    /// H/L: the receiving slit's half-height over the radius.
    pub h_l: f64,
}

impl AxialDivergence {
    /// GSAS-II's single parameter SH/L = (S + H)/L, taken as S = H.
    pub fn from_sh_l(sh_l: f64) -> Self {
        Self {
            s_l: sh_l / 2.0,
            h_l: sh_l / 2.0,
        }
    }

    /// Both ratios finite, ≥ 0, ≤ 0.2 and not both 0.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] (`axial`) otherwise.
    pub fn check(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite() && (0.0..=0.2).contains(&v);
        if !(ok(self.s_l) && ok(self.h_l)) || self.s_l + self.h_l == 0.0 {
            return Err(invalid(
                "axial",
                format!(
                    "S/L {} and H/L {} must be in 0–0.2, not both 0",
                    self.s_l, self.h_l
                ),
            ));
        }
        Ok(())
    }
}

/// The convolution of one line: offsets δₖ (° of 2θ, positive toward the low-angle tail
/// below 90°) and weights aₖ, and their derivatives in the line's position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kernel {
    pub n: usize,
    /// Signed shifts: the profile at x is Σ aₖ V(x + offsetₖ).
    pub offset: [f64; MAX_NODES],
    pub weight: [f64; MAX_NODES],
    pub d_offset: [f64; MAX_NODES],
    pub d_weight: [f64; MAX_NODES],
    /// How far the kernel reaches (°), and on which side: the low-angle one below 90°.
    pub extent: f64,
    pub low_side: bool,
}

impl Kernel {
    /// The kernel of a line at 2θ₀ = `centre` (°) of FWHM `h`, or none where the asymmetry is
    /// negligible (high angles near 90°, or far narrower than the peak).
    pub fn new(axial: &AxialDivergence, centre: f64, h: f64) -> Option<Self> {
        let (low_side, t0) = side(centre)?;
        let extent = extent(axial, t0)?;
        if extent < NEGLIGIBLE * h {
            return None;
        }
        // Node spacing at the tail's far end is about π·extent/n: a third of the width keeps
        // the convolved peak within 1e-5 of its height (the test below).
        let n = ((3.0 * extent / h).ceil() as usize + 3).clamp(3, MAX_NODES);
        let at = |c: f64| nodes(axial, side(c)?.1, n);
        let (offset, weight) = at(centre)?;
        let (up, down) = (at(centre + STEP)?, at(centre - STEP)?);
        let sign = if low_side { 1.0 } else { -1.0 };
        let mut k = Kernel {
            n,
            offset: [0.0; MAX_NODES],
            weight: [0.0; MAX_NODES],
            d_offset: [0.0; MAX_NODES],
            d_weight: [0.0; MAX_NODES],
            extent,
            low_side,
        };
        // `at` mirrors past 90° itself: these are slopes in the centre as given.
        for (i, (d, a)) in offset.iter().zip(&weight).enumerate() {
            k.weight[i] = *a;
            k.offset[i] = sign * d;
            k.d_offset[i] = sign * (up.0[i] - down.0[i]) / (2.0 * STEP);
            k.d_weight[i] = (up.1[i] - down.1[i]) / (2.0 * STEP);
        }
        Some(k)
    }
}

/// Which side the tail is on and the angle (°) below 90° it is computed at; none at 90°.
fn side(centre: f64) -> Option<(bool, f64)> {
    if (centre - 90.0).abs() < 1e-6 || !(0.0..180.0).contains(&centre) {
        return None;
    }
    Some(if centre < 90.0 {
        (true, centre)
    } else {
        (false, 180.0 - centre)
    })
}

/// 2θ₀ − 2φ_min (°) at 2θ₀ = `t0` < 90°.
fn extent(axial: &AxialDivergence, t0: f64) -> Option<f64> {
    let s = axial.s_l + axial.h_l;
    let c = t0.to_radians().cos() * (s * s + 1.0).sqrt();
    (c < 1.0).then(|| t0 - c.acos().to_degrees())
}

/// Offsets (°, ≥ 0) and normalised weights of `n` nodes at 2θ₀ = `t0` < 90°.
fn nodes(axial: &AxialDivergence, t0: f64, n: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let top = extent(axial, t0)?.sqrt();
    let nodes = crate::quadrature::gauss_legendre(n);
    let s = axial.s_l + axial.h_l;
    let flat = 2.0 * axial.s_l.min(axial.h_l);
    let cos0 = t0.to_radians().cos();
    let mut offset = vec![0.0; n];
    let mut weight = vec![0.0; n];
    let mut total = 0.0;
    for (i, &(x, w)) in nodes.iter().enumerate() {
        // t in (0, top): Gauss–Legendre nodes mapped from (−1, 1).
        let t = top * (x + 1.0) / 2.0;
        let d = t * t;
        let cos = (t0 - d).to_radians().cos();
        let hh = ((cos * cos) / (cos0 * cos0) - 1.0).max(0.0).sqrt();
        let v = if hh > 0.0 {
            ((s - hh).min(flat)).max(0.0) / (hh * cos.abs())
        } else {
            0.0
        };
        // d(2φ) = 2t dt, dt = top/2 · dx.
        let a = v * 2.0 * t * w * top / 2.0;
        offset[i] = d;
        weight[i] = a;
        total += a;
    }
    if total <= 0.0 {
        return None;
    }
    weight.iter_mut().for_each(|a| *a /= total);
    Some((offset, weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB: AxialDivergence = AxialDivergence {
        s_l: 0.015,
        h_l: 0.015,
    };

    /// The FCJ weight's mean offset, integrated by brute force on a fine grid of 2φ.
    fn brute_force(axial: &AxialDivergence, t0: f64) -> f64 {
        let lo = t0 - extent(axial, t0).unwrap();
        let s = axial.s_l + axial.h_l;
        let flat = 2.0 * axial.s_l.min(axial.h_l);
        let cos0 = t0.to_radians().cos();
        let n = 2_000_000;
        let (mut m0, mut m1) = (0.0, 0.0);
        for i in 0..n {
            // Midpoints avoid the singular end.
            let p = lo + (t0 - lo) * (i as f64 + 0.5) / n as f64;
            let cos = p.to_radians().cos();
            let hh = ((cos * cos) / (cos0 * cos0) - 1.0).max(0.0).sqrt();
            if hh > 0.0 {
                let v = ((s - hh).min(flat)).max(0.0) / (hh * cos.abs());
                m0 += v;
                m1 += v * (t0 - p);
            }
        }
        m1 / m0
    }

    #[test]
    fn the_kernel_keeps_the_area_and_the_brute_force_centroid() {
        for (axial, t0) in [
            (LAB, 15.0),
            (LAB, 30.0),
            (
                AxialDivergence {
                    s_l: 0.02,
                    h_l: 0.008,
                },
                20.0,
            ),
        ] {
            let k = Kernel::new(&axial, t0, 0.01).unwrap();
            assert!(k.n >= 16, "{}", k.n);
            let mass: f64 = k.weight[..k.n].iter().sum();
            assert!((mass - 1.0).abs() < 1e-12);
            let mean: f64 = (0..k.n).map(|i| k.weight[i] * k.offset[i]).sum();
            let want = brute_force(&axial, t0);
            assert!(
                (mean / want - 1.0).abs() < 2e-3,
                "{t0}: {mean} against {want}"
            );
            assert!(k.offset[..k.n].iter().all(|&d| d >= 0.0 && d <= k.extent));
        }
    }

    /// The nodes chosen by the kernel draw the convolved peak as a 400-node rule does, to 1e-4
    /// of its height, whatever the tail's length against the width.
    #[test]
    fn few_nodes_suffice_for_the_convolved_peak() {
        let gauss = |x: f64, h: f64| {
            let s = h / (8.0 * std::f64::consts::LN_2).sqrt();
            (-x * x / (2.0 * s * s)).exp()
        };
        for t0 in [8.0, 15.0, 30.0, 60.0, 85.0] {
            for h in [0.01, 0.03, 0.06, 0.1, 0.3] {
                let Some(k) = Kernel::new(&LAB, t0, h) else {
                    continue;
                };
                let fine_n = 400;
                let (off, w) = nodes(&LAB, t0, fine_n).unwrap();
                let (mut err, mut top): (f64, f64) = (0.0, 0.0);
                for i in 0..2000 {
                    let x = -k.extent - 3.0 * h + (k.extent + 6.0 * h) * i as f64 / 2000.0;
                    let fine: f64 = off.iter().zip(&w).map(|(d, a)| a * gauss(x + d, h)).sum();
                    let few: f64 = (0..k.n)
                        .map(|j| k.weight[j] * gauss(x + k.offset[j], h))
                        .sum();
                    err = err.max((fine - few).abs());
                    top = top.max(fine);
                }
                assert!(
                    err < 1e-4 * top,
                    "2θ {t0}, h {h}, {} nodes: {}",
                    k.n,
                    err / top
                );
            }
        }
    }

    #[test]
    fn past_ninety_degrees_the_tail_is_on_the_high_side() {
        let (a, b) = (
            Kernel::new(&LAB, 60.0, 0.01).unwrap(),
            Kernel::new(&LAB, 120.0, 0.01).unwrap(),
        );
        assert!(a.low_side && !b.low_side);
        for i in 0..a.n {
            assert!((a.offset[i] + b.offset[i]).abs() < 1e-12);
            assert!((a.weight[i] - b.weight[i]).abs() < 1e-12);
        }
        assert!(Kernel::new(&LAB, 90.0, 0.01).is_none());
        // Negligible beside a broad peak.
        assert!(Kernel::new(&LAB, 88.0, 0.5).is_none());
    }

    #[test]
    fn the_kernels_slopes_in_the_position_match_central_differences() {
        for t0 in [20.0, 40.0, 130.0] {
            let k = Kernel::new(&LAB, t0, 0.01).unwrap();
            let h = 1e-3;
            let (up, down) = (
                Kernel::new(&LAB, t0 + h, 0.01).unwrap(),
                Kernel::new(&LAB, t0 - h, 0.01).unwrap(),
            );
            for i in 0..k.n {
                let d = (up.offset[i] - down.offset[i]) / (2.0 * h);
                assert!(
                    (k.d_offset[i] - d).abs() < 1e-6 * d.abs().max(1e-3),
                    "{t0} {i}"
                );
                let w = (up.weight[i] - down.weight[i]) / (2.0 * h);
                assert!((k.d_weight[i] - w).abs() < 1e-6, "{t0} {i}");
            }
        }
    }

    #[test]
    fn bad_heights_are_refused() {
        for bad in [
            AxialDivergence {
                s_l: -0.01,
                h_l: 0.01,
            },
            AxialDivergence { s_l: 0.0, h_l: 0.0 },
            AxialDivergence {
                s_l: f64::NAN,
                h_l: 0.01,
            },
            AxialDivergence {
                s_l: 0.3,
                h_l: 0.01,
            },
        ] {
            let e = bad.check().unwrap_err();
            assert_eq!(e.invalid_parameter().map(|p| p.name), Some("axial"));
        }
    }
}
