//! Training patterns of real structures: the entries of a mineral library (xrd-minerals)
//! simulated like the synthetic training patterns, each with its own cell strain; and a mixture
//! of them with xrd-sim's random crystals of every space group, so that groups the library lacks
//! or barely has are still learnt.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use xrd_io::Grid;
use xrd_minerals::Library;
use xrd_sim::training::mix_seed as mix;
use xrd_sim::{Lattice, Structure, TrainingPatternParams};

use crate::source::to_matrix;
use crate::synthetic::DEFAULT_MEASURED_NOISE;
use crate::{Error, PatternSource, Result, SPACE_GROUPS, SyntheticPatterns};

/// Default largest cell strain of a library pattern: every cell length is scaled by a factor
/// drawn from U(1 − 0.02, 1 + 0.02) (lengths equal in the entry keep one factor, so the metric
/// symmetry stays). Measured minerals differ from their reference structure by solid solution,
/// temperature and instrument calibration; search-match refines a scale in the same ±2 %
/// ([`xrd_minerals::DEFAULT_MAX_STRAIN`]).
pub const DEFAULT_STRAIN: f64 = 0.02;

/// Default share of library patterns in a [`MixedPatterns`] stream: 0.75, the rest random
/// crystals of all 230 space groups. Chosen by measurement (crate README): networks trained on
/// the library alone never see the 36 groups it lacks.
pub const DEFAULT_LIBRARY_FRACTION: f64 = 0.75;

/// Salt of the generator that picks a row's entry and strain, so that it differs from the
/// artefact generator of xrd-sim (seeded from the same `(seed, row)`).
const PICK_SALT: u64 = 0x6C69_6272_6172_7931;

/// Salt of the generator that decides whether a row of a [`MixedPatterns`] request is a library
/// pattern.
const SPLIT_SALT: u64 = 0x6D69_7865_645F_7631;

/// Entries of the same group tried for one row when an entry gives no peak on the grid.
const ROW_TRIES: usize = 8;

/// Patterns simulated from the usable entries of a mineral library ([`Library`]) as training
/// patterns look ([`TrainingPatternParams::simulate_structure`]: texture, peak widths, zero
/// shift, displacement, Kα doublet, background and noise drawn per pattern), each with a cell
/// strain of up to [`LibraryPatterns::strain`]. A request for space group `g` is answered with an
/// entry of that group drawn uniformly (so a mineral with many published structures is drawn
/// more often, as it is met more often).
///
/// Row `i` of a request depends only on its group, `seed` and `i`, never on the thread count.
#[derive(Debug, Clone)]
pub struct LibraryPatterns {
    grid: Grid,
    params: TrainingPatternParams,
    structures: Vec<Structure>,
    ids: Vec<String>,
    groups: Vec<u8>,
    /// Indices into `structures` of each group of `groups`.
    rows: Vec<Vec<usize>>,
    unusable: Vec<(String, String)>,
    strain: f64,
}

impl LibraryPatterns {
    /// A source of the entries of `library` (their full cells built once, in parallel) simulated
    /// with `params` (its grid, profiles and artefacts; its crystals and space-group weights are
    /// not used), with the [`DEFAULT_MEASURED_NOISE`] and [`DEFAULT_STRAIN`]. Entries whose cell
    /// cannot be built are listed by [`LibraryPatterns::unusable`], not dropped silently.
    ///
    /// # Errors
    /// [`Error::Sim`] for invalid `params`; [`Error::Source`] when no entry is usable.
    pub fn new(library: &Library, params: TrainingPatternParams) -> Result<Self> {
        let (lo, hi) = DEFAULT_MEASURED_NOISE;
        let params = params.measured_noise(lo, hi);
        params.check()?;
        let grid = params.grid_spec()?;
        let built: Vec<_> = library
            .entries()
            .par_iter()
            .map(|e| (e.id.clone(), e.space_group, e.structure()))
            .collect();
        let (mut structures, mut labels, mut ids, mut unusable) = (vec![], vec![], vec![], vec![]);
        for (id, g, s) in built {
            match s {
                Ok(s) if !s.is_empty() => {
                    structures.push(s);
                    labels.push(g);
                    ids.push(id);
                }
                Ok(_) => unusable.push((id, "no atoms".to_string())),
                Err(e) => unusable.push((id, e.to_string())),
            }
        }
        if structures.is_empty() {
            return Err(Error::Source(format!(
                "no usable entry in the library `{}`",
                library.info().name
            )));
        }
        let (groups, rows) = crate::source::rows_by_group(&labels);
        Ok(LibraryPatterns {
            grid,
            params,
            structures,
            ids,
            groups,
            rows,
            unusable,
            strain: DEFAULT_STRAIN,
        })
    }

    /// Sets the largest relative cell strain (default [`DEFAULT_STRAIN`]; 0: the published
    /// cells).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`strain`) outside `[0, 0.2]`.
    pub fn strain(mut self, fraction: f64) -> Result<Self> {
        if !(0.0..=0.2).contains(&fraction) {
            return Err(Error::param(
                "strain",
                format!("must lie in [0, 0.2], got {fraction}"),
            ));
        }
        self.strain = fraction;
        Ok(self)
    }

    /// The largest relative cell strain.
    pub fn get_strain(&self) -> f64 {
        self.strain
    }

    /// Sets the range of the measured-like noise, as [`SyntheticPatterns::measured_noise`].
    ///
    /// # Errors
    /// As [`SyntheticPatterns::measured_noise`].
    pub fn measured_noise(mut self, lo: f64, hi: f64) -> Result<Self> {
        self.params = self.params.measured_noise(lo, hi);
        self.params.check()?;
        Ok(self)
    }

    /// The entries used.
    pub fn len(&self) -> usize {
        self.structures.len()
    }

    /// Whether no entry is used (never true for a built source).
    pub fn is_empty(&self) -> bool {
        self.structures.is_empty()
    }

    /// Entries left out, with the reason (id, reason).
    pub fn unusable(&self) -> &[(String, String)] {
        &self.unusable
    }

    /// The number of usable entries of each of [`PatternSource::space_groups`].
    pub fn counts(&self) -> Vec<usize> {
        self.rows.iter().map(Vec::len).collect()
    }

    /// The pattern of entry `k` (strained) for row `i` of stream `seed`, trying other entries of
    /// `group` when it gives no peak on the grid.
    fn row(&self, k: usize, group: u8, seed: u64, i: u64) -> Result<Vec<f32>> {
        let mut rng = pick_rng(seed, i);
        let members = &self.rows[k];
        let mut last = String::new();
        for _ in 0..ROW_TRIES {
            let s = members[rng.random_range(0..members.len())];
            let structure = strained(&self.structures[s], self.strain, &mut rng)?;
            match self.params.simulate_structure(&structure, seed, i) {
                Ok(y) => return Ok(y),
                Err(xrd_sim::Error::NoReflections(..)) => {
                    last = format!("entry {} has no peak on the grid", self.ids[s]);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Source(format!("space group {group}: {last}")))
    }
}

impl PatternSource for LibraryPatterns {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn space_groups(&self) -> Vec<u8> {
        self.groups.clone()
    }

    fn frequencies(&self) -> Vec<f64> {
        self.rows.iter().map(|r| r.len() as f64).collect()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>> {
        let rows: Vec<Vec<f32>> = space_groups
            .par_iter()
            .enumerate()
            .map(|(i, &g)| {
                let k = self
                    .groups
                    .binary_search(&g)
                    .map_err(|_| Error::Source(format!("no library entry of space group {g}")))?;
                self.row(k, g, seed, i as u64)
            })
            .collect::<Result<_>>()?;
        to_matrix(rows, self.grid.len())
    }
}

/// A stream of library patterns ([`LibraryPatterns`]) and random crystals of every space group
/// ([`SyntheticPatterns`]): under [`Sampling::Source`](crate::Sampling::Source) a share
/// [`MixedPatterns::fraction`] of the patterns are library entries (their groups as often as the
/// library has them) and the rest random crystals with every crystal system equally often and
/// its groups equally often within it. Every one of the 230 groups is offered.
#[derive(Debug, Clone)]
pub struct MixedPatterns {
    library: LibraryPatterns,
    synthetic: SyntheticPatterns,
    fraction: f64,
    /// Frequency of group `g` at index `g − 1`.
    frequencies: Vec<f64>,
    /// Probability that a row of group `g` (index `g − 1`) is a library pattern.
    from_library: Vec<f64>,
}

impl MixedPatterns {
    /// A mixture with a share `fraction` of library patterns.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`fraction`) outside `[0, 1]`; [`Error::ShapeMismatch`] when
    /// the two sources have different grids.
    pub fn new(
        library: LibraryPatterns,
        synthetic: SyntheticPatterns,
        fraction: f64,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::param(
                "fraction",
                format!("must lie in [0, 1], got {fraction}"),
            ));
        }
        if library.grid() != synthetic.grid() {
            return Err(Error::shape(
                "grids",
                format!("the library's grid {:?}", library.grid()),
                format!("{:?}", synthetic.grid()),
            ));
        }
        let all: Vec<u8> = (1..=SPACE_GROUPS as u8).collect();
        let balanced = crate::fit::system_balanced(&all);
        let total_balanced: f64 = balanced.iter().sum();
        let counts = library.counts();
        let total: f64 = counts.iter().map(|&c| c as f64).sum();
        let mut lib = vec![0.0; SPACE_GROUPS];
        for (g, c) in library.groups.iter().zip(&counts) {
            lib[usize::from(*g) - 1] = fraction * *c as f64 / total;
        }
        let frequencies: Vec<f64> = (0..SPACE_GROUPS)
            .map(|i| lib[i] + (1.0 - fraction) * balanced[i] / total_balanced)
            .collect();
        let from_library = (0..SPACE_GROUPS)
            .map(|i| {
                if frequencies[i] > 0.0 {
                    lib[i] / frequencies[i]
                } else {
                    0.0
                }
            })
            .collect();
        Ok(MixedPatterns {
            library,
            synthetic,
            fraction,
            frequencies,
            from_library,
        })
    }

    /// The share of library patterns (under [`Sampling::Source`](crate::Sampling::Source)).
    pub fn fraction(&self) -> f64 {
        self.fraction
    }

    /// The library part.
    pub fn library(&self) -> &LibraryPatterns {
        &self.library
    }

    /// The synthetic part.
    pub fn synthetic(&self) -> &SyntheticPatterns {
        &self.synthetic
    }
}

impl PatternSource for MixedPatterns {
    fn grid(&self) -> Grid {
        self.library.grid()
    }

    fn space_groups(&self) -> Vec<u8> {
        (1..=SPACE_GROUPS as u8).collect()
    }

    fn frequencies(&self) -> Vec<f64> {
        self.frequencies.clone()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>> {
        // Each row chooses its part from its own generator; each part answers its rows as one
        // request with a seed of its own, and the rows go back in request order.
        let mut split = (Vec::new(), Vec::new());
        for (i, &g) in space_groups.iter().enumerate() {
            if !(1..=SPACE_GROUPS).contains(&usize::from(g)) {
                return Err(Error::SpaceGroup(g));
            }
            let u: f64 = pick_rng(seed ^ SPLIT_SALT, i as u64).random();
            if u < self.from_library[usize::from(g) - 1] {
                split.0.push(i);
            } else {
                split.1.push(i);
            }
        }
        let request = |rows: &[usize]| rows.iter().map(|&i| space_groups[i]).collect::<Vec<_>>();
        let lib = self.library.patterns(&request(&split.0), mix(seed ^ 1))?;
        let syn = self.synthetic.patterns(&request(&split.1), mix(seed ^ 2))?;
        let mut x = Array2::zeros((space_groups.len(), self.grid().len()));
        for (part, rows) in [(&lib, &split.0), (&syn, &split.1)] {
            for (r, &i) in rows.iter().enumerate() {
                x.row_mut(i).assign(&part.row(r));
            }
        }
        Ok(x)
    }
}

/// `structure` with every cell length scaled by a factor from U(1 − `max`, 1 + `max`); lengths
/// equal within 1e-4 share one factor, so a cubic cell stays cubic and a hexagonal one
/// hexagonal.
fn strained(structure: &Structure, max: f64, rng: &mut Xoshiro256PlusPlus) -> Result<Structure> {
    if max == 0.0 {
        return Ok(structure.clone());
    }
    let lengths = structure.lattice().lengths();
    let [alpha, beta, gamma] = structure.lattice().angles();
    let mut factors = [0.0; 3];
    for k in 0..3 {
        let same = (0..k).find(|&j| (lengths[j] - lengths[k]).abs() <= 1e-4 * lengths[k]);
        factors[k] = match same {
            Some(j) => factors[j],
            None => 1.0 + rng.random_range(-max..=max),
        };
    }
    let lattice = Lattice::from_parameters(
        lengths[0] * factors[0],
        lengths[1] * factors[1],
        lengths[2] * factors[2],
        alpha,
        beta,
        gamma,
    )?;
    Ok(structure.clone().with_lattice(lattice))
}

/// The generator of row `i` of stream `seed` that picks its entry and strain.
fn pick_rng(seed: u64, i: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(mix(seed ^ PICK_SALT).wrapping_add(mix(i)))
}
