//! Training batches for space-group classifiers: random crystals ([`crate::synthetic`]) of
//! space groups drawn by weight, simulated with the powder [`Simulator`] as a laboratory
//! diffractometer would measure them (Vecsei et al. 2019; Schopmans et al. 2023).
//!
//! One pattern (all random values from the item's own generator, see
//! [`TrainingPatternParams::batch`]):
//! 1. a space group by weight (default: uniform over 1–230) and a random crystal of it;
//! 2. a March–Dollase texture, r ~ U(`texture`), along one of the 13 directions ⟨100⟩, ⟨110⟩,
//!    ⟨111⟩ with components in {−1, 0, 1};
//! 3. peaks of Cu Kα₁ with Kα₂ at half the intensity (xrd-io's [`Wavelength::CU_KA`]), computed 2° beyond
//!    each end of the grid so that shifted peaks enter it, those under 1e-4 of the strongest
//!    left out (the noise is at least 2e-3 of the maximum);
//! 4. pseudo-Voigt profiles, η ~ U(`eta`), FWHM from Caglioti U, V, W ~ U(`caglioti_*`) and
//!    crystallite size L ~ U(`crystallite_size`) in quadrature ([`Width::CagliotiSize`]);
//! 5. zero shift ~ U(`zero_shift`) and sample displacement ~ U(`displacement`) on a goniometer of
//!    radius `goniometer_radius` ([`Geometry`]);
//! 6. scaled to max 1, Vecsei's background and noise added ([`Artefacts`]), scaled to max 1 again.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::{Grid, Wavelength};

use crate::artefacts::Artefacts;
use crate::error::invalid;
use crate::powder::{Geometry, MarchDollase, PowderParams, Profile, Shape, Simulator, Width};
use crate::structure::Structure;
use crate::symmetry::{CrystalSystem, SpaceGroup};
use crate::synthetic::SyntheticCrystalParams;
use crate::{Error, Result};

/// Degrees beyond each end of the grid in which peaks are still computed.
const PEAK_MARGIN: f64 = 2.0;

/// Crystals tried for one pattern (each with the generator's own tries) when none can be made
/// or a crystal gives no peak on the grid.
const ITEM_TRIES: usize = 10;

/// Salt of the measured-noise generators, so that they differ from the item generators.
const NOISE_SALT: u64 = 0x6E6F_6973_655F_7631;

/// Texture directions: reciprocal-lattice vectors with components in {−1, 0, 1}, one of each ± pair.
const TEXTURE_DIRECTIONS: [[i32; 3]; 13] = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 1, 0],
    [1, -1, 0],
    [1, 0, 1],
    [1, 0, -1],
    [0, 1, 1],
    [0, 1, -1],
    [1, 1, 1],
    [1, 1, -1],
    [1, -1, 1],
    [-1, 1, 1],
];

/// One batch: patterns (rows) with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingBatch {
    /// n × points, each row scaled to max 1.
    pub patterns: Array2<f32>,
    /// Space group (1–230) of each row.
    pub space_group: Vec<u8>,
    /// Crystal system of each row.
    pub crystal_system: Vec<CrystalSystem>,
}

/// One pattern with the crystal it was simulated from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingPattern {
    /// Intensities on the grid, max 1.
    pub intensities: Vec<f32>,
    /// Space group the crystal was made for.
    pub space_group: u8,
    /// The crystal.
    pub structure: Structure,
}

/// Parameters of the training-pattern generator (builder; defaults in [`TrainingPatternParams::new`]).
///
/// ```
/// use xrd_sim::training::TrainingPatternParams;
/// // A tiny grid and small crystals keep the example fast.
/// let params = TrainingPatternParams::new()
///     .grid(10.0, 0.1, 500)
///     .space_groups((1..=230).map(|n| (n, 1.0)).collect());
/// let batch = params.batch(42, 0, 4)?;
/// assert_eq!(batch.patterns.dim(), (4, 500));
/// assert_eq!(params.two_theta()?.len(), 500);
/// // Same seed and indices: the same patterns, bit for bit.
/// assert_eq!(params.batch(42, 2, 2)?.patterns.row(0), batch.patterns.row(2));
/// # Ok::<(), xrd_sim::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingPatternParams {
    grid: (f64, f64, usize),
    space_groups: Vec<(u8, f64)>,
    crystal: SyntheticCrystalParams,
    caglioti_u: (f64, f64),
    caglioti_v: (f64, f64),
    caglioti_w: (f64, f64),
    crystallite_size: (f64, f64),
    eta: (f64, f64),
    window: f64,
    zero_shift: (f64, f64),
    displacement: (f64, f64),
    goniometer_radius: f64,
    texture: (f64, f64),
    artefacts: Option<Artefacts>,
    #[serde(default)]
    measured_noise: (f64, f64),
}

impl TrainingPatternParams {
    /// The `grid` set by [`TrainingPatternParams::grid`] (see there for the default).
    pub fn get_grid(&self) -> (f64, f64, usize) {
        self.grid
    }

    /// The `space_groups` set by [`TrainingPatternParams::space_groups`] (see there for the default).
    pub fn get_space_groups(&self) -> &[(u8, f64)] {
        &self.space_groups
    }

    /// The `crystal` set by [`TrainingPatternParams::crystal`] (see there for the default).
    pub fn get_crystal(&self) -> &SyntheticCrystalParams {
        &self.crystal
    }

    /// The `caglioti_u` set by [`TrainingPatternParams::caglioti`] (see there for the default).
    pub fn get_caglioti_u(&self) -> (f64, f64) {
        self.caglioti_u
    }

    /// The `caglioti_v` set by [`TrainingPatternParams::caglioti`] (see there for the default).
    pub fn get_caglioti_v(&self) -> (f64, f64) {
        self.caglioti_v
    }

    /// The `caglioti_w` set by [`TrainingPatternParams::caglioti`] (see there for the default).
    pub fn get_caglioti_w(&self) -> (f64, f64) {
        self.caglioti_w
    }

    /// The `crystallite_size` set by [`TrainingPatternParams::crystallite_size`] (see there for the default).
    pub fn get_crystallite_size(&self) -> (f64, f64) {
        self.crystallite_size
    }

    /// The `eta` set by [`TrainingPatternParams::eta`] (see there for the default).
    pub fn get_eta(&self) -> (f64, f64) {
        self.eta
    }

    /// The `zero_shift` set by [`TrainingPatternParams::zero_shift`] (see there for the default).
    pub fn get_zero_shift(&self) -> (f64, f64) {
        self.zero_shift
    }

    /// The `displacement` set by [`TrainingPatternParams::displacement`] (see there for the default).
    pub fn get_displacement(&self) -> (f64, f64) {
        self.displacement
    }

    /// The `goniometer_radius` set by [`TrainingPatternParams::displacement`] (see there for the default).
    pub fn get_goniometer_radius(&self) -> f64 {
        self.goniometer_radius
    }

    /// The `texture` set by [`TrainingPatternParams::texture`] (see there for the default).
    pub fn get_texture(&self) -> (f64, f64) {
        self.texture
    }

    /// The `artefacts` set by [`TrainingPatternParams::artefacts`] (see there for the default).
    pub fn get_artefacts(&self) -> Option<&Artefacts> {
        self.artefacts.as_ref()
    }

    /// The range set by [`TrainingPatternParams::measured_noise`] (see there for the default).
    pub fn get_measured_noise(&self) -> (f64, f64) {
        self.measured_noise
    }
}

impl Default for TrainingPatternParams {
    fn default() -> Self {
        Self::new()
    }
}

xrd_io::param_guard!(Error => TrainingPatternParams);

impl TrainingPatternParams {
    /// Defaults: 2θ 5.00…89.99° in 0.01° steps (8,500 points, the grid of the RRUFF set),
    /// space groups uniform over 1–230, [`SyntheticCrystalParams::new`] crystals, Caglioti
    /// U ~ U(0, 0.01), V ~ U(−0.005, 0), W ~ U(0.001, 0.01) deg², crystallite size
    /// U(300, 3000) Å, η ~ U(0, 0.6), profiles evaluated to ±10 FWHM, zero shift U(−0.05°, 0.05°),
    /// displacement U(−0.1, 0.1) mm on a 240 mm goniometer, March–Dollase r ~ U(0.7, 1), and
    /// Vecsei's artefacts ([`Artefacts::default`]), no measured-like noise on top.
    pub fn new() -> Self {
        Self {
            grid: (5.0, 0.01, 8500),
            space_groups: SpaceGroup::NUMBERS.map(|n| (n, 1.0)).collect(),
            crystal: SyntheticCrystalParams::new(),
            caglioti_u: (0.0, 0.01),
            caglioti_v: (-0.005, 0.0),
            caglioti_w: (0.001, 0.01),
            crystallite_size: (300.0, 3000.0),
            eta: (0.0, 0.6),
            window: 10.0,
            zero_shift: (-0.05, 0.05),
            displacement: (-0.1, 0.1),
            goniometer_radius: 240.0,
            texture: (0.7, 1.0),
            artefacts: Some(Artefacts::default()),
            measured_noise: (0.0, 0.0),
        }
    }

    /// The 2θ grid: first point, step (degrees) and number of points (default 5.0, 0.01, 8500).
    #[must_use]
    pub fn grid(mut self, start: f64, step: f64, points: usize) -> Self {
        self.grid = (start, step, points);
        self
    }

    /// Space groups to draw from with their relative weights (default every group, weight 1).
    #[must_use]
    pub fn space_groups(mut self, weights: Vec<(u8, f64)>) -> Self {
        self.space_groups = weights;
        self
    }

    /// The random-crystal recipe (default [`SyntheticCrystalParams::new`]).
    #[must_use]
    pub fn crystal(mut self, crystal: SyntheticCrystalParams) -> Self {
        self.crystal = crystal;
        self
    }

    /// Ranges of Caglioti U, V, W (deg², defaults (0, 0.01), (−0.005, 0), (0.001, 0.01)); W > 0.
    #[must_use]
    pub fn caglioti(mut self, u: (f64, f64), v: (f64, f64), w: (f64, f64)) -> Self {
        self.caglioti_u = u;
        self.caglioti_v = v;
        self.caglioti_w = w;
        self
    }

    /// Range of the crystallite size L (Å, default 300–3000).
    #[must_use]
    pub fn crystallite_size(mut self, lo: f64, hi: f64) -> Self {
        self.crystallite_size = (lo, hi);
        self
    }

    /// Range of the pseudo-Voigt Lorentzian fraction η (default 0–0.6).
    #[must_use]
    pub fn eta(mut self, lo: f64, hi: f64) -> Self {
        self.eta = (lo, hi);
        self
    }

    xrd_io::setters! {
        /// Half-window of each peak in FWHM (default 10; the Lorentzian part beyond it, at most
        /// 3 % of a peak's area at η = 1, is left out for speed).
        #[must_use]
        window, get_window: f64;
    }

    /// Range of the zero shift (degrees 2θ, default ±0.05).
    #[must_use]
    pub fn zero_shift(mut self, lo: f64, hi: f64) -> Self {
        self.zero_shift = (lo, hi);
        self
    }

    /// Range of the sample displacement (mm, default ±0.1) and the goniometer radius (mm, default
    /// 240).
    #[must_use]
    pub fn displacement(mut self, lo: f64, hi: f64, radius: f64) -> Self {
        self.displacement = (lo, hi);
        self.goniometer_radius = radius;
        self
    }

    /// Range of the March–Dollase r (default 0.7–1; (1, 1) turns texture off).
    #[must_use]
    pub fn texture(mut self, lo: f64, hi: f64) -> Self {
        self.texture = (lo, hi);
        self
    }

    /// Background and noise (default Vecsei's, [`Artefacts::default`]; `None` for clean patterns).
    #[must_use]
    pub fn artefacts(mut self, artefacts: Option<Artefacts>) -> Self {
        self.artefacts = artefacts;
        self
    }

    /// Measured-like counting noise on top of the [`artefacts`](TrainingPatternParams::artefacts)
    /// (default `(0, 0)`: off): per pattern a standard deviation σ drawn log-uniformly from
    /// `[lo, hi]` (fractions of the maximum), zero-mean uniform noise of that σ added to every
    /// point of the finished pattern, negative values set to 0, the pattern scaled to max 1 again.
    /// Vecsei's noise is U(0.002, 0.02) for every pattern (σ ≈ 0.5 %), while measured patterns
    /// range far wider (xrd-classify's default, `DEFAULT_MEASURED_NOISE`, says how much). Drawn
    /// from a generator of its own seeded from (seed, index), so the rest of an item's stream is
    /// the same with and without it.
    #[must_use]
    pub fn measured_noise(mut self, lo: f64, hi: f64) -> Self {
        self.measured_noise = (lo, hi);
        self
    }

    /// The grid.
    ///
    /// # Errors
    /// As [`Grid::new`].
    pub fn grid_spec(&self) -> Result<Grid> {
        let (start, step, n) = self.grid;
        Ok(Grid::new(start, step, n)?)
    }

    /// The 2θ values of the grid (degrees), e.g. to resample measured patterns onto it.
    ///
    /// # Errors
    /// As [`Grid::new`].
    pub fn two_theta(&self) -> Result<Vec<f64>> {
        Ok(self.grid_spec()?.positions())
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        // A grid xrd-io refuses is this parameter's fault: name it.
        let grid = self
            .grid_spec()
            .map_err(|e| invalid("grid", e.to_string()))?;
        if grid.start() < 0.0 || grid.end() >= 180.0 {
            return Err(invalid(
                "grid",
                format!("2θ {}–{} must lie in [0, 180)", grid.start(), grid.end()),
            ));
        }
        if self.space_groups.is_empty()
            || self
                .space_groups
                .iter()
                .any(|(n, w)| !(SpaceGroup::is_number(*n) && w.is_finite() && *w >= 0.0))
            || self.space_groups.iter().all(|(_, w)| *w == 0.0)
        {
            return Err(invalid(
                "space_groups",
                "need numbers 1–230 with finite weights ≥ 0, at least one > 0",
            ));
        }
        self.crystal.check()?;
        let range = |name: &'static str, (lo, hi): (f64, f64), min: f64, max: f64| {
            if lo.is_finite() && hi.is_finite() && min <= lo && lo <= hi && hi <= max {
                Ok(())
            } else {
                Err(invalid(
                    name,
                    format!("need {min} ≤ lo ≤ hi ≤ {max}, got ({lo}, {hi})"),
                ))
            }
        };
        let big = f64::MAX;
        range("caglioti_u", self.caglioti_u, -big, big)?;
        range("caglioti_v", self.caglioti_v, -big, big)?;
        range("caglioti_w", self.caglioti_w, f64::MIN_POSITIVE, big)?;
        range(
            "crystallite_size",
            self.crystallite_size,
            f64::MIN_POSITIVE,
            big,
        )?;
        range("eta", self.eta, 0.0, 1.0)?;
        range("zero_shift", self.zero_shift, -big, big)?;
        range("displacement", self.displacement, -big, big)?;
        range("texture", self.texture, f64::MIN_POSITIVE, big)?;
        if !(self.window.is_finite() && self.window >= 1.0) {
            return Err(invalid(
                "window",
                format!("{} must be ≥ 1 FWHM", self.window),
            ));
        }
        if !(self.goniometer_radius.is_finite() && self.goniometer_radius > 0.0) {
            return Err(invalid(
                "goniometer_radius",
                format!("{} mm must be > 0", self.goniometer_radius),
            ));
        }
        if let Some(a) = &self.artefacts {
            a.check()?;
        }
        let (lo, hi) = self.measured_noise;
        let off = lo == 0.0 && hi == 0.0;
        if !(off || (lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi < 1.0)) {
            return Err(invalid(
                "measured_noise",
                format!("need 0 < lo ≤ hi < 1 or (0, 0), got ({lo}, {hi})"),
            ));
        }
        Ok(())
    }

    /// Patterns `first_index … first_index + n − 1` of the stream `seed`, made in parallel.
    /// Item i draws every random value from its own Xoshiro256++ seeded from (seed, i), so a
    /// pattern depends only on (seed, i): the same batch bit for bit whatever the thread count
    /// or how the stream is cut into batches.
    ///
    /// # Errors
    /// The errors of [`TrainingPatternParams::check`], and [`Error::SyntheticCrystal`] or
    /// [`Error::NoReflections`] when no crystal of a drawn group gives a pattern.
    pub fn batch(&self, seed: u64, first_index: u64, n: usize) -> Result<TrainingBatch> {
        self.check()?;
        let grid = self.grid_spec()?;
        let mut patterns = Array2::<f32>::zeros((n, grid.len()));
        // Each row is written in place; one f64 buffer per rayon job is reused across its rows.
        let space_group: Vec<u8> = match patterns.as_slice_mut() {
            Some(rows) if n > 0 => rows
                .par_chunks_mut(grid.len())
                .enumerate()
                .map_init(Vec::new, |scratch, (i, row)| {
                    let index = first_index.wrapping_add(i as u64);
                    let mut rng = item_rng(seed, index);
                    let sg = self.draw_space_group(&mut rng);
                    self.make_of(sg, &mut rng, &grid, scratch, row)?;
                    self.add_measured_noise(row, seed, index);
                    Ok(sg)
                })
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        let crystal_system = space_group
            .iter()
            .map(|&sg| CrystalSystem::from_space_group(sg))
            .collect::<Result<_>>()?;
        Ok(TrainingBatch {
            patterns,
            space_group,
            crystal_system,
        })
    }

    /// Pattern `index` of the stream `seed` with its crystal (the same as row `index −
    /// first_index` of a [`TrainingPatternParams::batch`]).
    ///
    /// # Errors
    /// As [`TrainingPatternParams::batch`].
    pub fn pattern(&self, seed: u64, index: u64) -> Result<TrainingPattern> {
        self.check()?;
        let mut p = self.make(seed, index, &self.grid_spec()?)?;
        self.add_measured_noise(&mut p.intensities, seed, index);
        Ok(p)
    }

    /// Pattern `index` of the stream `seed` made for space group `space_group`, whatever the
    /// space-group weights: the same as [`TrainingPatternParams::pattern`] with the weights
    /// `[(space_group, 1.0)]`, without keeping one parameter set per group.
    ///
    /// # Errors
    /// As [`TrainingPatternParams::batch`]; [`Error::InvalidParameter`] for a group outside 1–230.
    pub fn pattern_of(&self, space_group: u8, seed: u64, index: u64) -> Result<TrainingPattern> {
        self.check()?;
        if !SpaceGroup::is_number(space_group) {
            return Err(invalid(
                "space_group",
                format!("{space_group} is not in 1–230"),
            ));
        }
        let mut rng = item_rng(seed, index);
        // The draw of `make` is made and ignored, so that the rest of the item's stream is the
        // one `pattern` uses.
        let _ = rng.random::<f64>();
        let mut p = self.pattern_of_group(space_group, &mut rng, &self.grid_spec()?)?;
        self.add_measured_noise(&mut p.intensities, seed, index);
        Ok(p)
    }

    /// The pattern of a given crystal as a training pattern of the stream `seed` would look:
    /// the same grid, texture, peak widths, geometry and artefacts, drawn from the item
    /// generator of `(seed, index)`. For simulating known structures (e.g. from CIFs) like the
    /// training patterns.
    ///
    /// # Errors
    /// As [`TrainingPatternParams::check`]; [`Error::NoReflections`] when the crystal has no
    /// peak on the grid.
    pub fn simulate_structure(
        &self,
        structure: &Structure,
        seed: u64,
        index: u64,
    ) -> Result<Vec<f32>> {
        self.check()?;
        let grid = self.grid_spec()?;
        let mut rng = item_rng(seed, index);
        let mut out = vec![0.0; grid.len()];
        self.simulate(structure, &grid, &mut rng, &mut Vec::new(), &mut out)?;
        self.add_measured_noise(&mut out, seed, index);
        Ok(out)
    }

    /// Adds the [`measured_noise`](TrainingPatternParams::measured_noise) of item `index` of the
    /// stream `seed` to its finished pattern `y` (max 1 again).
    fn add_measured_noise(&self, y: &mut [f32], seed: u64, index: u64) {
        let (lo, hi) = self.measured_noise;
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

    fn make(&self, seed: u64, index: u64, grid: &Grid) -> Result<TrainingPattern> {
        let mut rng = item_rng(seed, index);
        // The group is drawn once, so failures never bias the label distribution.
        let sg = self.draw_space_group(&mut rng);
        self.pattern_of_group(sg, &mut rng, grid)
    }

    /// The pattern and crystal of group `sg` from the item generator `rng`.
    fn pattern_of_group(
        &self,
        sg: u8,
        rng: &mut Xoshiro256PlusPlus,
        grid: &Grid,
    ) -> Result<TrainingPattern> {
        let mut intensities = vec![0.0; grid.len()];
        let structure = self.make_of(sg, rng, grid, &mut Vec::new(), &mut intensities)?;
        Ok(TrainingPattern {
            intensities,
            space_group: sg,
            structure,
        })
    }

    /// Writes the pattern of a crystal of group `sg` into `out` (one value per grid point) and
    /// returns the crystal; `scratch` is a reusable buffer.
    fn make_of(
        &self,
        sg: u8,
        rng: &mut Xoshiro256PlusPlus,
        grid: &Grid,
        scratch: &mut Vec<f64>,
        out: &mut [f32],
    ) -> Result<Structure> {
        let mut last = Error::NoReflections(grid.start(), grid.end());
        for _ in 0..ITEM_TRIES {
            let structure = match self.crystal.generate(sg, rng) {
                Ok(s) => s,
                Err(e @ Error::SyntheticCrystal { .. }) => {
                    last = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match self.simulate(&structure, grid, rng, scratch, out) {
                Ok(()) => return Ok(structure),
                Err(e @ Error::NoReflections(..)) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn draw_space_group<R: Rng + ?Sized>(&self, rng: &mut R) -> u8 {
        let total: f64 = self.space_groups.iter().map(|(_, w)| w).sum();
        let mut x = rng.random::<f64>() * total;
        for (n, w) in &self.space_groups {
            if x < *w {
                return *n;
            }
            x -= w;
        }
        // Rounding left x at the top: the last group of positive weight.
        self.space_groups
            .iter()
            .rev()
            .find(|(_, w)| *w > 0.0)
            .map_or(1, |(n, _)| *n)
    }

    /// The pattern of one crystal (texture, peaks, profile, geometry, artefacts) into `out`, one
    /// value per grid point; `y` is a reusable buffer.
    fn simulate<R: Rng + ?Sized>(
        &self,
        structure: &Structure,
        grid: &Grid,
        rng: &mut R,
        y: &mut Vec<f64>,
        out: &mut [f32],
    ) -> Result<()> {
        let lo = (grid.start() - PEAK_MARGIN).max(0.0);
        let hi = (grid.end() + PEAK_MARGIN).min(179.0);
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(Wavelength::CU_KA)
                .two_theta_range(lo, hi)
                // Peaks under 1e-4 of the strongest vanish under the noise (≥ 2e-3 of the
                // maximum); leaving them out saves rendering time.
                .min_scaled_intensity(1e-2),
        )?;
        let texture = MarchDollase {
            direction: TEXTURE_DIRECTIONS[rng.random_range(0..TEXTURE_DIRECTIONS.len())],
            r: uniform(rng, self.texture),
        };
        let profile = Profile {
            shape: Shape::PseudoVoigt {
                eta: uniform(rng, self.eta),
            },
            width: Width::CagliotiSize {
                u: uniform(rng, self.caglioti_u),
                v: uniform(rng, self.caglioti_v),
                w: uniform(rng, self.caglioti_w),
                size: uniform(rng, self.crystallite_size),
                wavelength: Wavelength::CU_KA,
            },
            window: self.window,
        };
        let geometry = Geometry {
            zero_shift: uniform(rng, self.zero_shift),
            displacement: uniform(rng, self.displacement),
            radius: self.goniometer_radius,
            ..Geometry::IDEAL
        };
        let peaks = sim.peaks_textured(structure, &texture)?;
        y.clear();
        y.resize(grid.len(), 0.0);
        sim.render_into(&peaks, grid, &profile, &geometry, y)?;
        let none = || Error::NoReflections(grid.start(), grid.end());
        let inv = inverse_max(y).ok_or_else(none)?;
        for v in y.iter_mut() {
            *v *= inv;
        }
        if let Some(a) = &self.artefacts {
            a.apply(y, rng)?;
        }
        let inv = if self.artefacts.is_some() {
            inverse_max(y).ok_or_else(none)?
        } else {
            1.0
        };
        // Scaled (again) and rounded to f32 in one pass: y·inv as before, then the cast.
        for (o, v) in out.iter_mut().zip(y.iter()) {
            *o = (v * inv) as f32;
        }
        Ok(())
    }
}

/// 1 / the maximum; `None` if the maximum is not positive and finite.
fn inverse_max(y: &[f64]) -> Option<f64> {
    let max = y.iter().copied().fold(0.0, f64::max);
    (max.is_finite() && max > 0.0).then(|| 1.0 / max)
}

fn uniform<R: Rng + ?Sized>(rng: &mut R, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}

/// SplitMix64 finaliser: decorrelates nearby seeds and indices (for generators seeded from a
/// stream and an item, here and in the classifier's sources).
pub fn mix_seed(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of item `index` of stream `seed`: all four state words from (seed, index), so
/// distinct pairs give distinct states.
fn item_rng(seed: u64, index: u64) -> Xoshiro256PlusPlus {
    let words = [
        mix_seed(seed),
        mix_seed(index ^ 0x5851_F42D_4C95_7F2D),
        mix_seed(seed ^ mix_seed(index)),
        mix_seed(index.rotate_left(17) ^ 0x1405_7B7E_F767_814F),
    ];
    let mut bytes = [0u8; 32];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> TrainingPatternParams {
        TrainingPatternParams::new().grid(10.0, 0.1, 400)
    }

    #[test]
    fn each_invalid_value_is_rejected() {
        assert!(TrainingPatternParams::new().check().is_ok());
        let p = TrainingPatternParams::new;
        let bad = [
            p().grid(5.0, 0.0, 100),
            p().grid(5.0, 0.01, 0),
            p().grid(-1.0, 0.01, 100),
            p().grid(170.0, 0.1, 200),
            p().space_groups(vec![]),
            p().space_groups(vec![(0, 1.0)]),
            p().space_groups(vec![(231, 1.0)]),
            p().space_groups(vec![(14, -1.0)]),
            p().space_groups(vec![(14, f64::NAN)]),
            p().space_groups(vec![(14, 0.0)]),
            p().crystal(SyntheticCrystalParams::new().max_atoms(0)),
            p().caglioti((1.0, 0.0), (0.0, 0.0), (0.01, 0.01)),
            p().caglioti((0.0, 0.0), (f64::NAN, 0.0), (0.01, 0.01)),
            p().caglioti((0.0, 0.0), (0.0, 0.0), (0.0, 0.01)),
            p().crystallite_size(0.0, 100.0),
            p().crystallite_size(100.0, f64::INFINITY),
            p().eta(-0.1, 0.5),
            p().eta(0.0, 1.5),
            p().window(0.5),
            p().window(f64::NAN),
            p().zero_shift(0.1, -0.1),
            p().displacement(f64::NAN, 0.1, 240.0),
            p().displacement(-0.1, 0.1, 0.0),
            p().texture(0.0, 1.0),
            p().texture(1.2, 1.0),
            p().artefacts(Some(Artefacts {
                probability: 2.0,
                ..Artefacts::default()
            })),
            p().measured_noise(-0.1, 0.1),
            p().measured_noise(0.0, 0.1),
            p().measured_noise(0.2, 0.1),
            p().measured_noise(0.1, 1.0),
            p().measured_noise(f64::NAN, 0.1),
        ];
        let mut names = [
            "grid",
            "grid",
            "grid",
            "grid",
            "space_groups",
            "space_groups",
            "space_groups",
            "space_groups",
            "space_groups",
            "space_groups",
            "max_atoms",
            "caglioti_u",
            "caglioti_v",
            "caglioti_w",
            "crystallite_size",
            "crystallite_size",
            "eta",
            "eta",
            "window",
            "window",
            "zero_shift",
            "displacement",
            "goniometer_radius",
            "texture",
            "texture",
            "probability",
            "measured_noise",
            "measured_noise",
            "measured_noise",
            "measured_noise",
            "measured_noise",
        ]
        .into_iter();
        for b in bad {
            let name = names.next().unwrap_or("none");
            assert_eq!(crate::error::refused(b.check()), name, "{b:?}");
            assert_eq!(crate::error::refused(b.batch(0, 0, 1)), name, "{b:?}");
        }
        assert_eq!(names.next(), None, "fewer invalid values than names");
    }

    #[test]
    fn measured_noise_is_seeded_per_item_and_off_by_default() {
        let quiet = tiny().space_groups(vec![(14, 1.0), (225, 1.0)]);
        assert_eq!(quiet.get_measured_noise(), (0.0, 0.0));
        let loud = quiet.clone().measured_noise(0.05, 0.05);
        let (a, b) = (quiet.batch(3, 0, 3).unwrap(), loud.batch(3, 0, 3).unwrap());
        // The same crystals and labels: the noise has a generator of its own.
        assert_eq!(a.space_group, b.space_group);
        assert_ne!(a.patterns, b.patterns);
        assert_eq!(b, loud.batch(3, 0, 3).unwrap());
        for (i, row) in b.patterns.rows().into_iter().enumerate() {
            assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
            assert_eq!(row.iter().copied().fold(0.0f32, f32::max), 1.0);
            // Every way to one item gives its noise.
            let one = loud.pattern(3, i as u64).unwrap();
            assert_eq!(one.intensities, row.to_vec());
            let of = loud.pattern_of(one.space_group, 3, i as u64).unwrap();
            assert_eq!(of.intensities, one.intensities);
        }
        // Points between peaks move: the median neighbour difference of the first pattern grows.
        let spread = |x: &Array2<f32>| {
            let r = x.row(0);
            let mut d: Vec<f32> = r
                .iter()
                .zip(r.iter().skip(1))
                .map(|(a, b)| (b - a).abs())
                .collect();
            d.sort_by(f32::total_cmp);
            d[d.len() / 2]
        };
        assert!(spread(&b.patterns) > 2.0 * spread(&a.patterns));
    }

    #[test]
    fn defaults_are_the_rruff_grid() {
        let t = TrainingPatternParams::new().two_theta().unwrap();
        assert_eq!(t.len(), 8500);
        assert!((t[0] - 5.0).abs() < 1e-12 && (t[8499] - 89.99).abs() < 1e-9);
    }

    #[test]
    fn batches_are_labelled_scaled_and_reproducible_across_thread_counts() {
        let p = tiny().space_groups(vec![(2, 1.0), (62, 1.0), (166, 1.0), (225, 1.0)]);
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let a = pool(1).install(|| p.batch(7, 100, 6)).unwrap();
        let b = pool(3).install(|| p.batch(7, 100, 6)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.patterns.dim(), (6, 400));
        for (row, (sg, cs)) in a
            .patterns
            .rows()
            .into_iter()
            .zip(a.space_group.iter().zip(&a.crystal_system))
        {
            let max = row.iter().copied().fold(f32::MIN, f32::max);
            assert!((max - 1.0).abs() < 1e-6);
            assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0));
            assert!([2, 62, 166, 225].contains(sg));
            assert_eq!(CrystalSystem::from_space_group(*sg).unwrap(), *cs);
        }
        // A later window of the same stream: the same rows.
        let c = p.batch(7, 103, 2).unwrap();
        assert_eq!(c.patterns.row(0), a.patterns.row(3));
        assert_eq!(c.space_group[..], a.space_group[3..5]);
        let one = p.pattern(7, 104).unwrap();
        assert_eq!(one.intensities[..], a.patterns.row(4).to_vec()[..]);
        assert_eq!(
            one.structure.space_group(1e-3).unwrap().number,
            one.space_group
        );
        // Another seed: other patterns.
        assert_ne!(p.batch(8, 100, 6).unwrap().patterns, a.patterns);
    }

    #[test]
    fn pattern_of_a_group_is_the_pattern_of_its_one_group_stream() {
        let all = tiny();
        for g in [1u8, 14, 166, 225] {
            let one = tiny().space_groups(vec![(g, 1.0)]);
            let a = all.pattern_of(g, 11, 5).unwrap();
            assert_eq!(a, one.pattern(11, 5).unwrap());
            assert_eq!(a.space_group, g);
        }
        use crate::error::refused;
        assert_eq!(refused(all.pattern_of(0, 1, 1)), "space_group");
        assert_eq!(refused(all.pattern_of(231, 1, 1)), "space_group");
        assert_eq!(refused(all.grid(5.0, 0.0, 10).pattern_of(1, 1, 1)), "grid");
    }

    #[test]
    fn a_given_structure_is_simulated_like_a_training_pattern() {
        let p = tiny();
        let x = p.pattern(4, 2).unwrap();
        let y = p.simulate_structure(&x.structure, 4, 2).unwrap();
        assert_eq!(y.len(), 400);
        let max = y.iter().copied().fold(f32::MIN, f32::max);
        assert!((max - 1.0).abs() < 1e-6);
        assert_eq!(y, p.simulate_structure(&x.structure, 4, 2).unwrap());
        assert_ne!(y, p.simulate_structure(&x.structure, 4, 3).unwrap());
        // Clean and untextured: the peaks of the crystal's own simulation, nothing else.
        let clean = p.artefacts(None).texture(1.0, 1.0);
        let z = clean.simulate_structure(&x.structure, 4, 2).unwrap();
        assert!(z.iter().copied().fold(f32::MAX, f32::min) < 1e-3);
    }

    /// With every random setting fixed (no artefacts, no texture, one width, no shift), the
    /// training pattern of a structure is what `simulate_structure` makes of that structure,
    /// bit for bit: the two paths simulate alike.
    #[test]
    fn with_nothing_left_to_chance_a_structure_gives_its_training_pattern() {
        let p = tiny()
            .artefacts(None)
            .texture(1.0, 1.0)
            .eta(0.3, 0.3)
            .caglioti((0.004, 0.004), (-0.002, -0.002), (0.005, 0.005))
            .crystallite_size(100.0, 100.0)
            .zero_shift(0.0, 0.0)
            .displacement(0.0, 0.0, 240.0);
        for index in 0..3 {
            let x = p.pattern(5, index).unwrap();
            let y = p.simulate_structure(&x.structure, 9, 99).unwrap();
            assert_eq!(x.intensities, y, "item {index}");
        }
    }

    #[test]
    fn clean_patterns_have_no_baseline_and_items_have_their_own_generators() {
        let p = tiny()
            .artefacts(None)
            .texture(1.0, 1.0)
            .space_groups(vec![(225, 1.0)]);
        let x = p.pattern(3, 0).unwrap();
        // Without noise the baseline between peaks is (near) zero.
        let min = x.intensities.iter().copied().fold(f32::MAX, f32::min);
        assert!(min < 1e-3, "{min}");
        assert!(item_rng(1, 2).random::<u64>() != item_rng(2, 1).random::<u64>());
    }
}
