//! xrd-sim's synthetic crystals of all 230 space groups as a [`PatternSource`].

use ndarray::Array2;
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

/// Training patterns of random crystals made on request by xrd-sim
/// ([`TrainingPatternParams`]: Wyckoff positions, Cu Kα doublet, random peak widths, zero shift,
/// sample displacement, texture, Vecsei's background and noise, max 1), in parallel, with
/// measured-like noise on top ([`SyntheticPatterns::measured_noise`]).
///
/// The crystals are those of the `params` given; the `classify` example and the shipped model use
/// xrd-sim's [`SyntheticCrystalParams::mineral_like`](xrd_sim::SyntheticCrystalParams::mineral_like)
/// (mineral-sized cells: with xrd-sim's small default crystals, low symmetry reads as "few
/// peaks" and measured low-symmetry patterns are misread; see the crate README's results).
///
/// Row `i` of a request is pattern `i` of stream `seed` of xrd-sim's generator made for the
/// requested space group ([`TrainingPatternParams::pattern_of`]) with the noise of its own
/// generator seeded from `(seed, i)`, so a request depends only on its groups and seed, never on
/// the number of threads.
#[derive(Debug, Clone)]
pub struct SyntheticPatterns {
    grid: Grid,
    params: TrainingPatternParams,
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
        let (lo, hi) = DEFAULT_MEASURED_NOISE;
        let params = params.measured_noise(lo, hi);
        params.check()?;
        let grid = params.grid_spec()?;
        Ok(SyntheticPatterns { grid, params })
    }

    /// Sets the range of the standard deviation σ of the measured-like noise (xrd-sim's
    /// [`TrainingPatternParams::measured_noise`]: fractions of the maximum, σ drawn
    /// log-uniformly per pattern; default [`DEFAULT_MEASURED_NOISE`]; `(0, 0)` switches it off)
    /// — measured patterns are noisier than xrd-sim's default artefacts, and many more of them
    /// look "full of peaks" otherwise.
    ///
    /// # Errors
    /// [`Error::Sim`] (xrd-sim's `InvalidParameter`, `measured_noise`) unless `0 < lo ≤ hi < 1`
    /// (finite) or `lo = hi = 0`.
    pub fn measured_noise(mut self, lo: f64, hi: f64) -> Result<Self> {
        self.params = self.params.measured_noise(lo, hi);
        self.params.check()?;
        Ok(self)
    }

    /// The range set by [`SyntheticPatterns::measured_noise`].
    pub fn get_measured_noise(&self) -> (f64, f64) {
        self.params.get_measured_noise()
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
                self.params
                    .pattern_of(g, seed, i as u64)
                    .map(|p| p.intensities)
                    .map_err(|e| Error::Source(format!("space group {g}: {e}")))
            })
            .collect::<Result<_>>()?;
        crate::source::to_matrix(rows, self.grid.len())
    }
}
