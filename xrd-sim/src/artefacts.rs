//! Experimental artefacts of Vecsei et al. (2019), Appendix A, Eq. A1–A5: uniform noise, smooth
//! steps up and down, a random polynomial and a low-angle bump, exactly as written there.
//!
//! For a pattern f_theory on θ_min…θ_max with values in [0, 1] (normalise to max 1 first):
//! each of the four background functions (step up, step down, polynomial, bump) is chosen with
//! probability 0.5; T = 0.1 / (number chosen); θ_rel = (θ − θ_min)/(θ_max − θ_min); then
//! - A1 step up h/(1 + exp[a(θ_rel − θ_s)]), θ_s ~ U(0, W); step down h(1 − 1/(1 + exp[a(θ_rel − θ_s)])),
//!   θ_s ~ U(1 − W, 1); W = 1/7, h ~ N(T/3, T/7) truncated to [0, T], a ~ U(10, 60);
//! - A2/A3 |Σ_{n=0}^{n_max} a_n θ_rel^n|, n_max uniform in {0, …, 4}, each a_n = 0 with
//!   probability 0.5, else 3T/(2(n_max + 1)) · U(−1, 1);
//! - A4 h (nθ_rel)² exp(−nθ_rel), h ~ N(2T/5, 3T/35) truncated to [0, 3T/5], n ~ U(40, 70);
//! - A5 sum of the chosen functions plus noise drawn per point from U(0.002, 0.02).
//!
//! Random draws happen in this order: the four choices (step up, step down, polynomial, bump),
//! then the parameters of each chosen function in that order, then the noise point by point.

use rand::Rng;
use rand::distr::Distribution;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::error::invalid;

/// The augmentation recipe (defaults are the paper's values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artefacts {
    /// Noise drawn per point from U(lo, hi) (default 0.002–0.02).
    pub noise: (f64, f64),
    /// Probability that each background function is used (default 0.5).
    pub probability: f64,
    /// Total background amplitude: T = amplitude / number chosen (default 0.1).
    pub amplitude: f64,
}

impl Default for Artefacts {
    fn default() -> Self {
        Self {
            noise: (0.002, 0.02),
            probability: 0.5,
            amplitude: 0.1,
        }
    }
}

/// Which background terms were drawn and their parameters (returned for inspection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Background {
    /// Threshold T.
    pub threshold: f64,
    /// Step up (h, a, θ_rel,step).
    pub step_up: Option<(f64, f64, f64)>,
    /// Step down (h, a, θ_rel,step).
    pub step_down: Option<(f64, f64, f64)>,
    /// Polynomial coefficients a_0…a_nmax.
    pub polynomial: Option<Vec<f64>>,
    /// Bump (h, n).
    pub bump: Option<(f64, f64)>,
}

impl Background {
    /// Value of the background at θ_rel.
    pub fn eval(&self, t: f64) -> f64 {
        let mut v = 0.0;
        if let Some((h, a, s)) = self.step_up {
            v += h / (1.0 + (a * (t - s)).exp());
        }
        if let Some((h, a, s)) = self.step_down {
            v += h * (1.0 - 1.0 / (1.0 + (a * (t - s)).exp()));
        }
        if let Some(c) = &self.polynomial {
            v += c.iter().rev().fold(0.0, |acc, a| acc * t + a).abs();
        }
        if let Some((h, n)) = self.bump {
            v += h * (n * t).powi(2) * (-n * t).exp();
        }
        v
    }
}

xrd_io::param_guard!(crate::Error => Artefacts);

impl Artefacts {
    /// Validates the recipe.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for a probability outside [0, 1], a negative or
    /// non-finite amplitude or a noise range with lo > hi or negative/non-finite bounds.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(invalid(
                "probability",
                format!("{} must be in [0, 1]", self.probability),
            ));
        }
        if !(self.amplitude.is_finite() && self.amplitude >= 0.0) {
            return Err(invalid(
                "amplitude",
                format!("{} must be finite and ≥ 0", self.amplitude),
            ));
        }
        let (lo, hi) = self.noise;
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi) {
            return Err(invalid(
                "noise",
                format!("need 0 ≤ lo ≤ hi, got ({lo}, {hi})"),
            ));
        }
        Ok(())
    }

    /// Draws a background (Eq. A1–A4) without touching a pattern.
    pub fn draw_background<R: Rng + ?Sized>(&self, rng: &mut R) -> Background {
        let chosen: [bool; 4] = std::array::from_fn(|_| rng.random::<f64>() < self.probability);
        let count = chosen.iter().filter(|&&c| c).count();
        let t = if count == 0 {
            0.0
        } else {
            self.amplitude / count as f64
        };
        let w = 1.0 / 7.0;
        let mut bg = Background {
            threshold: t,
            ..Background::default()
        };
        if chosen[0] {
            let h = truncated_normal(rng, t / 3.0, t / 7.0, 0.0, t);
            let a = rng.random_range(10.0..60.0);
            bg.step_up = Some((h, a, rng.random_range(0.0..w)));
        }
        if chosen[1] {
            let h = truncated_normal(rng, t / 3.0, t / 7.0, 0.0, t);
            let a = rng.random_range(10.0..60.0);
            bg.step_down = Some((h, a, rng.random_range(1.0 - w..1.0)));
        }
        if chosen[2] {
            let n_max = rng.random_range(0..=4usize);
            let scale = 3.0 * t / (2.0 * (n_max as f64 + 1.0));
            bg.polynomial = Some(
                (0..=n_max)
                    .map(|_| {
                        if rng.random::<f64>() < 0.5 {
                            0.0
                        } else {
                            scale * rng.random_range(-1.0..1.0)
                        }
                    })
                    .collect(),
            );
        }
        if chosen[3] {
            let h = truncated_normal(rng, 2.0 * t / 5.0, 3.0 * t / 35.0, 0.0, 3.0 * t / 5.0);
            bg.bump = Some((h, rng.random_range(40.0..70.0)));
        }
        bg
    }

    /// Adds background and noise to `pattern` in place (Eq. A5), the points spanning
    /// θ_min…θ_max evenly; returns the drawn background.
    ///
    /// # Errors
    /// See [`Artefacts::check`].
    pub fn apply<R: Rng + ?Sized>(&self, pattern: &mut [f64], rng: &mut R) -> Result<Background> {
        self.check()?;
        let bg = self.draw_background(rng);
        let n = pattern.len();
        let (lo, hi) = self.noise;
        for (i, v) in pattern.iter_mut().enumerate() {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let noise = if hi > lo {
                rng.random_range(lo..hi)
            } else {
                lo
            };
            *v += bg.eval(t) + noise;
        }
        Ok(bg)
    }
}

/// Normal(μ, σ) truncated to [lo, hi] by rejection (Box–Muller); falls back to clamping the
/// mean when σ = 0.
fn truncated_normal<R: Rng + ?Sized>(rng: &mut R, mu: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    if sigma <= 0.0 || hi <= lo {
        return mu.clamp(lo, hi);
    }
    loop {
        let z = xrd_core::random::BoxMuller.sample(rng);
        let x = mu + sigma * z;
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    #[test]
    fn statistics_follow_the_recipe() {
        let a = Artefacts::default();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut counts = [0usize; 4];
        let n = 4000;
        for _ in 0..n {
            let bg = a.draw_background(&mut rng);
            let k = [
                bg.step_up.is_some(),
                bg.step_down.is_some(),
                bg.polynomial.is_some(),
                bg.bump.is_some(),
            ];
            let chosen = k.iter().filter(|&&c| c).count();
            if chosen > 0 {
                assert!((bg.threshold - 0.1 / chosen as f64).abs() < 1e-15);
            }
            for (c, kk) in counts.iter_mut().zip(k) {
                *c += usize::from(kk);
            }
            if let Some((h, s, p)) = bg.step_up {
                assert!(
                    (0.0..=bg.threshold).contains(&h)
                        && (10.0..60.0).contains(&s)
                        && (0.0..1.0 / 7.0).contains(&p)
                );
            }
            if let Some((_, _, p)) = bg.step_down {
                assert!((6.0 / 7.0..1.0).contains(&p));
            }
            if let Some(c) = &bg.polynomial {
                assert!(c.len() <= 5);
                let bound = 3.0 * bg.threshold / (2.0 * c.len() as f64);
                assert!(c.iter().all(|v| v.abs() <= bound));
            }
            if let Some((h, m)) = bg.bump {
                assert!((0.0..=0.6 * bg.threshold).contains(&h) && (40.0..70.0).contains(&m));
            }
        }
        for c in counts {
            let p = c as f64 / n as f64;
            assert!((p - 0.5).abs() < 0.04, "{p}");
        }
    }

    #[test]
    fn noise_is_in_range_and_seeded() {
        let a = Artefacts {
            probability: 0.0,
            ..Artefacts::default()
        };
        let mut x = vec![0.0; 1000];
        a.apply(&mut x, &mut Xoshiro256PlusPlus::seed_from_u64(1))
            .unwrap();
        assert!(x.iter().all(|v| (0.002..0.02).contains(v)));
        let mut y = vec![0.0; 1000];
        let mut z = vec![0.0; 1000];
        Artefacts::default()
            .apply(&mut y, &mut Xoshiro256PlusPlus::seed_from_u64(3))
            .unwrap();
        Artefacts::default()
            .apply(&mut z, &mut Xoshiro256PlusPlus::seed_from_u64(3))
            .unwrap();
        assert_eq!(y, z);
        let refused = |a: Artefacts| crate::error::refused(a.check());
        assert_eq!(
            refused(Artefacts {
                probability: 2.0,
                ..Artefacts::default()
            }),
            "probability"
        );
        assert_eq!(
            refused(Artefacts {
                amplitude: -1.0,
                ..Artefacts::default()
            }),
            "amplitude"
        );
        assert_eq!(
            refused(Artefacts {
                noise: (0.1, 0.01),
                ..Artefacts::default()
            }),
            "noise"
        );
    }

    #[test]
    fn background_functions_match_the_equations() {
        let bg = Background {
            step_up: Some((0.05, 30.0, 0.1)),
            ..Background::default()
        };
        assert!((bg.eval(0.1) - 0.025).abs() < 1e-15);
        let bg = Background {
            bump: Some((0.04, 50.0)),
            ..Background::default()
        };
        // Maximum of (nt)² e^{−nt} at nt = 2: 4 e^{−2}.
        assert!((bg.eval(2.0 / 50.0) - 0.04 * 4.0 * (-2.0f64).exp()).abs() < 1e-15);
        let bg = Background {
            polynomial: Some(vec![0.01, -0.03]),
            ..Background::default()
        };
        assert!((bg.eval(1.0) - 0.02).abs() < 1e-15);
    }
}
