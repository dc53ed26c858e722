//! Normal deviates drawn the workspace's one way, so that a seeded run reproduces bit for bit.

use rand::Rng;
use rand::distr::Distribution;

/// The standard normal distribution by the Box–Muller transform, one deviate per two uniforms
/// (the second deviate is not kept, so a draw depends on the generator alone): the workspace's
/// normal draw (He initialisation, the artefacts of simulated patterns), fixed because the
/// trained models and the simulated sets are reproduced from their seeds. rand_distr's
/// `StandardNormal` (a ziggurat) is faster but draws other numbers.
///
/// ```
/// use rand::SeedableRng;
/// use rand::distr::Distribution;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let z: Vec<f64> = xrd_core::random::BoxMuller.sample_iter(&mut rng).take(10_000).collect();
/// let mean = z.iter().sum::<f64>() / z.len() as f64;
/// let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / z.len() as f64;
/// assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoxMuller;

impl Distribution<f64> for BoxMuller {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}
