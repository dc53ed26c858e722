//! xrd-sim's synthetic crystals of all 230 space groups as a [`PatternSource`].

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use xrd_io::Grid;
use xrd_sim::TrainingPatternParams;

use crate::{Error, PatternSource, Result, SPACE_GROUPS};

/// Default range of the standard deviation of the measured-like noise added to every training
/// pattern (fraction of the maximum; drawn log-uniformly per pattern): 0.1–5 %. The RRUFF
/// patterns of `../shared/data/measured` have a noise standard deviation (median absolute second
/// difference / 1.65) of 0.1–4 % of their maximum between their 5th and 95th percentiles, a
/// quarter of them above 1.4 %; xrd-sim's uniform noise alone (Vecsei et al.'s U(0.002, 0.02))
/// is 0.5 % for every pattern. The range covers what was measured; it was not tuned on accuracy.
pub const DEFAULT_MEASURED_NOISE: (f64, f64) = (0.001, 0.05);

/// Salt of the noise generators, so that they differ from xrd-sim's item generators.
const NOISE_SALT: u64 = 0x6E6F_6973_655F_7631;

/// Training patterns of random crystals made on request by xrd-sim
/// ([`TrainingPatternParams`]: Wyckoff positions, Cu Kα doublet, random peak widths, zero shift,
/// sample displacement, texture, Vecsei's background and noise, max 1), in parallel, with
/// measured-like noise on top ([`SyntheticPatterns::measured_noise`]).
///
/// Row `i` of a request is pattern `i` of stream `seed` of xrd-sim's generator made for the
/// requested space group ([`TrainingPatternParams::pattern_of`]) with the noise of its own
/// generator seeded from `(seed, i)`, so a request depends only on its groups and seed, never on
/// the number of threads.
#[derive(Debug, Clone)]
pub struct SyntheticPatterns {
    grid: Grid,
    params: TrainingPatternParams,
    noise: (f64, f64),
}

impl SyntheticPatterns {
    /// A source of all 230 space groups from `params` (its grid, crystals, profiles and
    /// artefacts; its space-group weights are replaced by the classifier's
    /// [`Sampling`](crate::Sampling)), with the [`DEFAULT_MEASURED_NOISE`].
    ///
    /// # Errors
    /// [`Error::Sim`] when xrd-sim rejects the parameters (its `InvalidParameter` names the
    /// parameter).
    pub fn new(params: TrainingPatternParams) -> Result<Self> {
        params.check()?;
        let grid = params.grid_spec()?;
        Ok(SyntheticPatterns {
            grid,
            params,
            noise: DEFAULT_MEASURED_NOISE,
        })
    }

    /// Sets the range of the standard deviation σ of the measured-like noise (fractions of the
    /// maximum; default [`DEFAULT_MEASURED_NOISE`]; `(0, 0)` switches it off): σ is drawn
    /// log-uniformly from `[lo, hi]` per pattern, zero-mean uniform noise of that σ is added to
    /// every point of the finished pattern (after xrd-sim's own noise and background), negative
    /// values are set to 0 and the pattern is scaled to max 1 again — measured patterns are noisier
    /// than xrd-sim's, and many more of them look "full of peaks" otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`measured_noise`) unless `0 < lo ≤ hi < 1` (finite) or
    /// `lo = hi = 0`.
    pub fn measured_noise(mut self, lo: f64, hi: f64) -> Result<Self> {
        let off = lo == 0.0 && hi == 0.0;
        if !(off || (lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi < 1.0)) {
            return Err(Error::param(
                "measured_noise",
                format!("need 0 < lo ≤ hi < 1 or (0, 0), got ({lo}, {hi})"),
            ));
        }
        self.noise = (lo, hi);
        Ok(self)
    }

    /// The range set by [`SyntheticPatterns::measured_noise`].
    pub fn get_measured_noise(&self) -> (f64, f64) {
        self.noise
    }

    /// Adds the measured-like noise of row `index` of stream `seed` to `y` (max 1 again).
    fn add_noise(&self, y: &mut [f32], seed: u64, index: u64) {
        let (lo, hi) = self.noise;
        if hi <= 0.0 {
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            seed.rotate_left(23) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ NOISE_SALT,
        );
        let sigma = lo * (hi / lo).powf(rng.random::<f64>());
        // U(−a, a) has standard deviation a / √3.
        let a = (sigma * 3f64.sqrt()) as f32;
        let mut max = 0.0f32;
        for v in y.iter_mut() {
            *v = (*v + a * (2.0 * rng.random::<f32>() - 1.0)).max(0.0);
            max = max.max(*v);
        }
        if max > 0.0 {
            for v in y.iter_mut() {
                *v /= max;
            }
        }
    }
}

impl PatternSource for SyntheticPatterns {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn space_groups(&self) -> Vec<u8> {
        (1..=SPACE_GROUPS as u8).collect()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>> {
        let rows: Vec<Vec<f32>> = space_groups
            .par_iter()
            .enumerate()
            .map(|(i, &g)| {
                if g == 0 || usize::from(g) > SPACE_GROUPS {
                    return Err(Error::SpaceGroup(g));
                }
                let mut y = self
                    .params
                    .pattern_of(g, seed, i as u64)
                    .map(|p| p.intensities)
                    .map_err(|e| Error::Source(format!("space group {g}: {e}")))?;
                self.add_noise(&mut y, seed, i as u64);
                Ok(y)
            })
            .collect::<Result<_>>()?;
        let n = self.grid.len();
        let mut x = Array2::zeros((rows.len(), n));
        for (mut row, y) in x.rows_mut().into_iter().zip(rows) {
            if y.len() != n {
                return Err(Error::Source(format!(
                    "a pattern of {} points, not {n}",
                    y.len()
                )));
            }
            row.assign(&ndarray::ArrayView1::from(&y[..]));
        }
        Ok(x)
    }
}
