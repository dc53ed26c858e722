//! xrd-sim's synthetic crystals of all 230 space groups as a [`PatternSource`].

use ndarray::Array2;
use rayon::prelude::*;
use xrd_io::Grid;
use xrd_sim::TrainingPatternParams;

use crate::{Error, PatternSource, Result, SPACE_GROUPS};

/// Training patterns of random crystals made on request by xrd-sim
/// ([`TrainingPatternParams`]: Wyckoff positions, Cu Kα doublet, random peak widths, zero shift,
/// sample displacement, texture, Vecsei's background and noise, max 1), in parallel.
///
/// Row `i` of a request is pattern `i` of stream `seed` of xrd-sim's generator made for the
/// requested space group ([`TrainingPatternParams::pattern_of`]), so a request depends only on
/// its groups and seed, never on the number of threads.
#[derive(Debug, Clone)]
pub struct SyntheticPatterns {
    grid: Grid,
    params: TrainingPatternParams,
}

impl SyntheticPatterns {
    /// A source of all 230 space groups from `params` (its grid, crystals, profiles and
    /// artefacts; its space-group weights are replaced by the classifier's
    /// [`Sampling`](crate::Sampling)).
    ///
    /// # Errors
    /// [`Error::Sim`] when xrd-sim rejects the parameters (its `InvalidParameter` names the
    /// parameter).
    pub fn new(params: TrainingPatternParams) -> Result<Self> {
        params.check()?;
        let grid = params.grid_spec()?;
        Ok(SyntheticPatterns { grid, params })
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
