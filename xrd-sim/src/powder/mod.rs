//! Powder diffraction: reflections, structure factors, peak lists and profiles.

mod geometry;
mod kernels;
mod lorentz;
mod params;
mod peaks;
mod profile;
pub mod tch;
mod texture;

pub use geometry::{Geometry, SampleGeometry};
pub use lorentz::lorentz_polarisation;
pub use params::PowderParams;
pub use peaks::PeakList;
pub use profile::{Profile, SCHERRER_K, Shape, Width};
pub use texture::MarchDollase;

use xrd_io::IndexedPeak;

use rayon::prelude::*;
use xrd_io::Grid;

use crate::scattering::AtomicFactor;
use crate::structure::Structure;
use crate::{Error, Result};

/// A checked powder calculator.
///
/// ```
/// use xrd_sim::{PowderParams, Simulator, Structure};
/// let cif = "data_Cu\n_cell_length_a 3.615\n_cell_length_b 3.615\n_cell_length_c 3.615\n\
///     loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'x,y+1/2,z+1/2'\n'x+1/2,y,z+1/2'\n'x+1/2,y+1/2,z'\n\
///     loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nCu 0 0 0\n";
/// let cu = Structure::from_cif(cif)?;
/// let sim = Simulator::new(PowderParams::new().two_theta_range(10.0, 100.0))?;
/// let peaks = sim.peaks(&cu)?;
/// assert_eq!(peaks.peaks()[0].hkl, [1.0, 1.0, 1.0]);
/// assert!((peaks.peaks()[0].two_theta - 43.3).abs() < 0.1);
/// # Ok::<(), xrd_sim::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Simulator {
    params: PowderParams,
}

/// One reflection of the Friedel half-space (its mate −g is folded into `f2`): what a
/// whole-pattern refinement needs before peaks are merged (each reflection's normal for texture,
/// its Miller indices for a refined cell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reflection {
    /// Miller indices (the mate is −hkl).
    pub hkl: [i32; 3],
    /// |g| = 1/d (Å⁻¹).
    pub g: f64,
    /// |F(g)|² + |F(−g)|² (electrons², no Lorentz–polarisation), with the sites' own B.
    pub f2: f64,
}

/// Calculations that would enumerate more reflections than this are refused.
const MAX_REFLECTIONS: f64 = 2e8;

/// Slots of the f₀ cache of one row scan (a training crystal has a few hundred distinct |g|).
const FACTOR_CACHE_SLOTS: usize = 1024;

/// Reflection lists longer than this are computed and sorted in parallel.
const PARALLEL_FROM: usize = 20_000;

/// Step (Å⁻¹) of the f₀ tables.
const F0_STEP: f64 = 1e-4;

/// f₀ on a uniform s grid, linearly interpolated.
struct F0Table {
    values: Vec<f64>,
}

impl F0Table {
    fn new(f: &AtomicFactor, s_max: f64) -> Self {
        let n = (s_max / F0_STEP).ceil() as usize + 2;
        Self {
            values: (0..n).map(|i| f.f0(i as f64 * F0_STEP)).collect(),
        }
    }

    #[inline]
    fn at(&self, s: f64) -> f64 {
        let x = s / F0_STEP;
        let i = (x as usize).min(self.values.len() - 2);
        let t = x - i as f64;
        self.values[i] + t * (self.values[i + 1] - self.values[i])
    }
}

/// exp(2πi n x) for n in −lim..=lim along each axis, one table per distinct coordinate (the
/// atoms of an orbit share most of their coordinates up to sign and shifts).
struct PhaseTables {
    /// Per axis, the tables (cos, sin) of the distinct coordinates along it.
    axes: [Vec<(Vec<f64>, Vec<f64>)>; 3],
    /// Per group, each atom's occupancy and its table along each axis.
    atoms: Vec<Vec<(f64, [usize; 3])>>,
}

impl PhaseTables {
    fn new(groups: &[Group], lim: [i32; 3]) -> Self {
        let mut keys: [Vec<u64>; 3] = Default::default();
        let mut axes: [Vec<(Vec<f64>, Vec<f64>)>; 3] = Default::default();
        let atoms = groups
            .iter()
            .map(|g| {
                g.atoms
                    .iter()
                    .map(|&(occ, r)| {
                        let t = [0, 1, 2].map(|ax| {
                            let key = r[ax].to_bits();
                            if let Some(i) = keys[ax].iter().position(|&k| k == key) {
                                return i;
                            }
                            keys[ax].push(key);
                            axes[ax].push(
                                (-lim[ax]..=lim[ax])
                                    .map(|n| {
                                        let ph = std::f64::consts::TAU
                                            * (f64::from(n) * r[ax]).rem_euclid(1.0);
                                        (ph.cos(), ph.sin())
                                    })
                                    .unzip(),
                            );
                            axes[ax].len() - 1
                        });
                        (occ, t)
                    })
                    .collect()
            })
            .collect();
        Self { axes, atoms }
    }
}

/// Buffers of one row of reflections (fixed h, k), reused across rows.
#[derive(Default)]
struct RowScratch {
    are: Vec<f64>,
    aim: Vec<f64>,
    factors: FactorCache,
}

/// f₀ of each species and the Debye–Waller factor of each group at recently seen s, in a
/// direct-mapped table keyed by the bits of s: most reflections share |g| (to the bit) with a
/// symmetry-equivalent one, and the values are the same functions of the same s.
#[derive(Default)]
struct FactorCache {
    keys: Vec<u64>,
    values: Vec<f64>,
    stride: usize,
}

impl FactorCache {
    /// No valid s (positive and finite) has these bits.
    const EMPTY: u64 = u64::MAX;

    fn new(slots: usize, stride: usize) -> Self {
        // At least two slots: the hash shifts by 64 − log₂(slots) < 64.
        let slots = slots.max(2).next_power_of_two();
        Self {
            keys: vec![Self::EMPTY; slots],
            values: vec![0.0; slots * stride],
            stride,
        }
    }

    /// The values at s, computed by `fill` on a miss.
    fn get(&mut self, s: f64, fill: impl FnOnce(&mut [f64])) -> &[f64] {
        let bits = s.to_bits();
        // Fibonacci hashing onto the power-of-two table.
        let shift = 64 - self.keys.len().trailing_zeros();
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize;
        let values = &mut self.values[slot * self.stride..(slot + 1) * self.stride];
        if self.keys[slot] != bits {
            fill(values);
            self.keys[slot] = bits;
        }
        values
    }
}

/// Sites grouped by scatterer: one f(s) per group and reflection.
struct Group {
    factor: AtomicFactor,
    /// f₀ tabulated on a fine s grid when many reflections need it.
    table: Option<F0Table>,
    f1: f64,
    f2: f64,
    b: f64,
    atoms: Vec<(f64, [f64; 3])>,
}

impl Simulator {
    /// Checks the parameters.
    ///
    /// # Errors
    /// See [`PowderParams::check`].
    pub fn new(params: PowderParams) -> Result<Self> {
        params.check()?;
        Ok(Self { params })
    }

    /// The parameters.
    pub fn params(&self) -> &PowderParams {
        &self.params
    }

    /// All peaks in the 2θ range, merged and thresholded (see [`PowderParams`]).
    ///
    /// # Errors
    /// Missing scattering factors, untabulated f′/f″, or [`Error::NoReflections`].
    pub fn peaks(&self, structure: &Structure) -> Result<PeakList> {
        self.peaks_with(structure, None)
    }

    /// As [`Simulator::peaks`], every reflection weighted by the March–Dollase factor of its
    /// normal before reflections are merged into peaks.
    ///
    /// # Errors
    /// As [`Simulator::peaks`], plus an invalid texture.
    pub fn peaks_textured(
        &self,
        structure: &Structure,
        texture: &MarchDollase,
    ) -> Result<PeakList> {
        texture.check()?;
        self.peaks_with(structure, Some(texture))
    }

    fn peaks_with(
        &self,
        structure: &Structure,
        texture: Option<&MarchDollase>,
    ) -> Result<PeakList> {
        let refl = self.reflections(structure)?;
        let rec = structure.lattice().reciprocal();
        let to_cart = |hkl: [i32; 3]| -> [f64; 3] {
            let h = hkl.map(f64::from);
            crate::lattice::mat_vec_rows(&rec, h)
        };
        let preferred = texture.map(|t| {
            let d = to_cart(t.direction);
            (t, d, crate::lattice::dot(d, d))
        });
        let p = &self.params;
        let lambda = p.radiation.angstrom();
        let mut peaks: Vec<IndexedPeak> = Vec::new();
        let mut last_key = i64::MIN;
        // The largest Miller indices of the peak being merged (compared as integers).
        let mut largest = [i32::MIN; 3];
        // Angles and LP depend on |g| alone; equivalent reflections (same |g| to the bit) are
        // neighbours in the sorted list and reuse them.
        let mut last_g = None;
        let (mut two_theta, mut lp) = (0.0, 0.0);
        for r in &refl {
            if last_g != Some(r.g.to_bits()) {
                let theta = (lambda * r.g / 2.0).clamp(-1.0, 1.0).asin();
                two_theta = 2.0 * theta.to_degrees();
                lp = p.lorentz_polarisation(theta);
                last_g = Some(r.g.to_bits());
            }
            let mut intensity = r.f2 * lp;
            if let Some((t, d, d2)) = preferred {
                let g = to_cart(r.hkl);
                let gd = crate::lattice::dot(g, d);
                intensity *= t.weight(gd * gd / (r.g * r.g * d2));
            }
            let key = crate::rounding::round_to_i64(two_theta / p.merge_tolerance);
            match peaks.last_mut() {
                Some(pk) if key == last_key => {
                    pk.intensity += intensity;
                    pk.multiplicity += 2;
                    largest = largest.max(r.hkl).max(r.hkl.map(|v| -v));
                    pk.hkl = largest.map(f64::from);
                }
                _ => {
                    largest = r.hkl.max(r.hkl.map(|v| -v));
                    peaks.push(IndexedPeak {
                        two_theta,
                        intensity,
                        d_spacing: 1.0 / r.g,
                        hkl: largest.map(f64::from),
                        multiplicity: 2,
                    });
                    last_key = key;
                }
            }
        }
        let max = peaks.iter().map(|q| q.intensity).fold(0.0, f64::max);
        if max <= 0.0 {
            return Err(Error::NoReflections(p.two_theta_min, p.two_theta_max));
        }
        peaks.retain(|q| q.intensity / max * 100.0 > p.min_scaled_intensity);
        Ok(PeakList::new(p.radiation, peaks))
    }

    /// The pattern on `grid`: peaks of [`Simulator::peaks`] (plus Kα₂ if set) convolved with
    /// `profile`, unit-area peak shapes times integrated intensity, not normalised.
    ///
    /// # Errors
    /// As [`Simulator::peaks`], plus invalid profiles.
    pub fn pattern(
        &self,
        structure: &Structure,
        grid: &Grid,
        profile: &Profile,
    ) -> Result<Vec<f64>> {
        let peaks = self.peaks(structure)?;
        self.render(&peaks, grid, profile)
    }

    /// Renders a peak list (adding the Kα₂ line when set).
    ///
    /// # Errors
    /// An invalid profile.
    pub fn render(&self, peaks: &PeakList, grid: &Grid, profile: &Profile) -> Result<Vec<f64>> {
        self.render_with(peaks, grid, profile, &Geometry::IDEAL)
    }

    /// As [`Simulator::render`], each peak (Kα₁ and Kα₂) moved to its observed position under
    /// `geometry` (zero shift, sample displacement).
    ///
    /// # Errors
    /// An invalid profile or geometry.
    pub fn render_with(
        &self,
        peaks: &PeakList,
        grid: &Grid,
        profile: &Profile,
        geometry: &Geometry,
    ) -> Result<Vec<f64>> {
        let mut out = vec![0.0; grid.len()];
        self.render_into(peaks, grid, profile, geometry, &mut out)?;
        Ok(out)
    }

    /// As [`Simulator::render_with`], adding onto `out` (one value per grid point; zeros for
    /// the pattern alone), so that callers that render many patterns reuse one buffer.
    pub(crate) fn render_into(
        &self,
        peaks: &PeakList,
        grid: &Grid,
        profile: &Profile,
        geometry: &Geometry,
        out: &mut [f64],
    ) -> Result<()> {
        debug_assert_eq!(out.len(), grid.len());
        profile.check()?;
        geometry.check()?;
        for pk in peaks.peaks() {
            profile.add(out, grid, geometry.observed(pk.two_theta), pk.intensity);
            if let Some(alpha2) = self.params.radiation.alpha2() {
                let x = alpha2 / (2.0 * pk.d_spacing);
                if x < 1.0 {
                    let t1 = (pk.two_theta / 2.0).to_radians();
                    let t2 = x.asin();
                    let lp =
                        self.params.lorentz_polarisation(t2) / self.params.lorentz_polarisation(t1);
                    profile.add(
                        out,
                        grid,
                        geometry.observed(2.0 * t2.to_degrees()),
                        pk.intensity * self.params.radiation.ratio() * lp,
                    );
                }
            }
        }
        Ok(())
    }

    fn groups(&self, structure: &Structure) -> Result<Vec<Group>> {
        let p = &self.params;
        let mut groups: Vec<(crate::Species, Group)> = Vec::new();
        for site in structure.sites() {
            let b = if p.debye_waller { site.b_iso } else { 0.0 };
            let sp = site.species;
            let atom = (site.occupancy, site.frac);
            if let Some((_, g)) = groups.iter_mut().find(|(s, g)| *s == sp && g.b == b) {
                g.atoms.push(atom);
                continue;
            }
            let factor = AtomicFactor::new(p.form_factors, &sp)?;
            let (f1, f2) = p.anomalous.correction(sp.element, p.radiation)?;
            groups.push((
                sp,
                Group {
                    factor,
                    table: None,
                    f1,
                    f2,
                    b,
                    atoms: vec![atom],
                },
            ));
        }
        Ok(groups.into_iter().map(|(_, g)| g).collect())
    }

    /// Reflections with g_min ≤ |g| ≤ g_max in the half-space h > 0 ∨ (h = 0 ∧ (k > 0 ∨ (k = 0 ∧ l > 0))),
    /// sorted as pymatgen does: by |g|, then by −h, −k, −l.
    /// Every reflection whose 2θ lies in the range, one per Friedel pair, sorted by |g| (ties by
    /// decreasing hkl). Equivalent reflections are listed separately; the peaks of
    /// [`Simulator::peaks`] sum them.
    ///
    /// # Errors
    /// Missing scattering factors, untabulated f′/f″, or a range that would enumerate too many
    /// reflections.
    pub fn reflections(&self, structure: &Structure) -> Result<Vec<Reflection>> {
        let p = &self.params;
        let lambda = p.radiation.angstrom();
        let g_of = |tt: f64| 2.0 * (tt / 2.0).to_radians().sin() / lambda;
        let (gmin, gmax) = (g_of(p.two_theta_min), g_of(p.two_theta_max));
        let lengths = structure.lattice().lengths();
        let span = lengths.map(|a| gmax * a + 1e-9);
        let volume = structure.lattice().volume();
        let n_refl = 4.0 / 3.0 * std::f64::consts::PI * gmax.powi(3) * volume;
        if n_refl > MAX_REFLECTIONS || span.iter().any(|s| !s.is_finite() || *s > 1e6) {
            return Err(crate::error::invalid(
                "two_theta_range",
                format!(
                    "≈{n_refl:.3e} reflections up to |g| = {gmax:.3} Å⁻¹ in a {volume:.1} Å³ cell \
                     (limit {MAX_REFLECTIONS:e}); narrow the range or use a smaller cell"
                ),
            ));
        }
        let mut groups = self.groups(structure)?;
        // With many reflections, f₀(s) from a linear table (step F0_STEP) is far cheaper than five
        // exponentials per reflection and group, and its error (< 1e-5 e) is far below any
        // tolerance; exact evaluation otherwise.
        // Only half of the reflections are computed (Friedel); the table costs one f₀ per entry.
        if n_refl > 2.0 * (gmax / 2.0 / F0_STEP) {
            for g in &mut groups {
                g.table = Some(F0Table::new(&g.factor, gmax / 2.0));
            }
        }
        let lim = span.map(|s| s.floor() as i32);
        let gm = structure.lattice().reciprocal_metric();
        let phases = PhaseTables::new(&groups, lim);
        // f₀ depends on the species only: groups that differ in B share one evaluation.
        let mut factor_of = Vec::with_capacity(groups.len());
        let mut factors: Vec<usize> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            match factors.iter().position(|&f| groups[f].factor == g.factor) {
                Some(k) => factor_of.push(k),
                None => {
                    factor_of.push(factors.len());
                    factors.push(gi);
                }
            }
        }
        let anomalous = groups.iter().any(|g| g.f2 != 0.0);
        let ng = groups.len();
        let row = |h: i32, out: &mut Vec<Reflection>, scratch: &mut RowScratch| {
            let RowScratch {
                are,
                aim,
                factors: cache,
            } = scratch;
            if cache.keys.is_empty() {
                *cache = FactorCache::new(FACTOR_CACHE_SLOTS, factors.len() + ng);
            }
            let kstart = if h == 0 { 0 } else { -lim[1] };
            for k in kstart..=lim[1] {
                let (hf, kf) = (f64::from(h), f64::from(k));
                // |g|² = G33 l² + 2 l (G13 h + G23 k) + c0 ≤ gmax²
                let bq = gm[0][2] * hf + gm[1][2] * kf;
                let c0 = gm[0][0] * hf * hf + 2.0 * gm[0][1] * hf * kf + gm[1][1] * kf * kf;
                let disc = bq * bq - gm[2][2] * (c0 - gmax * gmax);
                if disc < 0.0 {
                    continue;
                }
                let sq = disc.sqrt();
                let mut l0 = ((-bq - sq) / gm[2][2] - 1e-9).ceil() as i32;
                let l1 = ((-bq + sq) / gm[2][2] + 1e-9).floor() as i32;
                l0 = l0.max(-lim[2]);
                let l1 = l1.min(lim[2]);
                if h == 0 && k == 0 {
                    l0 = l0.max(1);
                }
                if l1 < l0 {
                    continue;
                }
                let nl = (l1 - l0 + 1) as usize;
                are.clear();
                are.resize(ng * nl, 0.0);
                aim.clear();
                aim.resize(ng * nl, 0.0);
                for (gi, atoms) in phases.atoms.iter().enumerate() {
                    let (re, im) = (
                        &mut are[gi * nl..(gi + 1) * nl],
                        &mut aim[gi * nl..(gi + 1) * nl],
                    );
                    for &(occ, t) in atoms {
                        let at = |ax: usize, n: i32| {
                            let (c, s) = &phases.axes[ax][t[ax]];
                            let i = (n + lim[ax]) as usize;
                            (c[i], s[i])
                        };
                        let ((xr, xi), (yr, yi)) = (at(0, h), at(1, k));
                        let (pr, pi) = (occ * (xr * yr - xi * yi), occ * (xr * yi + xi * yr));
                        let (zr, zi) = &phases.axes[2][t[2]];
                        let ls = (l0 + lim[2]) as usize..=(l1 + lim[2]) as usize;
                        kernels::add_phases(re, im, (pr, pi), &zr[ls.clone()], &zi[ls]);
                    }
                }
                for li in 0..nl {
                    let l = l0 + li as i32;
                    let lf = f64::from(l);
                    let g2 = gm[2][2] * lf * lf + 2.0 * bq * lf + c0;
                    let gn = g2.max(0.0).sqrt();
                    if gn < gmin || gn > gmax || gn == 0.0 {
                        continue;
                    }
                    let s = gn / 2.0;
                    // f₀ per species, then the Debye–Waller factor per group.
                    let values = cache.get(s, |v| {
                        let (f0, dw) = v.split_at_mut(factors.len());
                        for (f, &gi) in f0.iter_mut().zip(&factors) {
                            *f = match &groups[gi].table {
                                Some(t) => t.at(s),
                                None => groups[gi].factor.f0(s),
                            };
                        }
                        for (d, g) in dw.iter_mut().zip(&groups) {
                            *d = if g.b > 0.0 { (-g.b * s * s).exp() } else { 1.0 };
                        }
                    });
                    let (f0, dws) = values.split_at(factors.len());
                    let (mut fr, mut fi, mut mr, mut mi) = (0.0, 0.0, 0.0, 0.0);
                    for (gi, g) in groups.iter().enumerate() {
                        let dw = dws[gi];
                        let (a, b) = ((f0[factor_of[gi]] + g.f1) * dw, g.f2 * dw);
                        let (x, y) = (are[gi * nl + li], aim[gi * nl + li]);
                        // F(g) = Σ (a + ib)(x + iy); F(−g) = Σ (a + ib)(x − iy)
                        fr += a * x - b * y;
                        fi += a * y + b * x;
                        mr += a * x + b * y;
                        mi += b * x - a * y;
                    }
                    let f2 = if anomalous {
                        fr * fr + fi * fi + mr * mr + mi * mi
                    } else {
                        2.0 * (fr * fr + fi * fi)
                    };
                    out.push(Reflection {
                        hkl: [h, k, l],
                        g: gn,
                        f2,
                    });
                }
            }
        };
        // Small lists (a training pattern's) are made on one thread: splitting them into tasks
        // costs more than it saves. The sort below makes the order independent of the path.
        let mut refl: Vec<Reflection> = if n_refl < PARALLEL_FROM as f64 {
            let mut out = Vec::with_capacity(n_refl as usize + 16);
            let mut scratch = RowScratch::default();
            for h in 0..=lim[0] {
                row(h, &mut out, &mut scratch);
            }
            out
        } else {
            (0..=lim[0])
                .into_par_iter()
                .flat_map_iter(|h| {
                    let mut out = Vec::new();
                    row(h, &mut out, &mut RowScratch::default());
                    out
                })
                .collect()
        };
        // A total order (no two reflections share hkl), so an unstable sort is deterministic.
        // |g| > 0, so its bit pattern orders like the value.
        let key = |r: &Reflection| (r.g.to_bits(), std::cmp::Reverse(r.hkl));
        // Small lists (a training pattern's) sort faster on one thread than split across tasks.
        if refl.len() > PARALLEL_FROM {
            refl.par_sort_unstable_by_key(key);
            Ok(refl)
        } else {
            Ok(bucket_sort(refl, gmin, gmax, key))
        }
    }
}

/// Sorts reflections by `key`, whose first component orders like |g| ∈ [`gmin`, `gmax`]: a
/// distribution into about one bucket per reflection by |g| (the bucket index never decreases
/// with |g|), then a sort of each small bucket. The same order as one sort by `key`, in linear
/// rather than n log n time.
fn bucket_sort<K: Ord>(
    refl: Vec<Reflection>,
    gmin: f64,
    gmax: f64,
    key: impl Fn(&Reflection) -> K + Copy,
) -> Vec<Reflection> {
    let n = refl.len();
    let scale = n as f64 / (gmax - gmin);
    if n < 2 || !(scale.is_finite() && scale > 0.0) {
        let mut refl = refl;
        refl.sort_unstable_by_key(key);
        return refl;
    }
    let bucket = |r: &Reflection| (((r.g - gmin) * scale).max(0.0) as usize).min(n - 1);
    let mut start = vec![0usize; n + 1];
    for r in &refl {
        start[bucket(r) + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut out = refl.clone();
    for r in refl {
        let b = bucket(&r);
        out[next[b]] = r;
        next[b] += 1;
    }
    for w in start.windows(2) {
        out[w[0]..w[1]].sort_unstable_by_key(key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::Species;
    use crate::lattice::Lattice;
    use crate::structure::Site;
    use xrd_io::Wavelength;

    /// Tetragonal so that (001) and (100) are different peaks.
    fn tetragonal() -> Structure {
        let l = Lattice::from_parameters(3.0, 3.0, 4.0, 90.0, 90.0, 90.0).unwrap();
        let fe = Species::parse("Fe").unwrap();
        Structure::new(l, vec![Site::new(fe, [0.0; 3])]).unwrap()
    }

    fn intensity(p: &PeakList, hkl: [i32; 3]) -> f64 {
        p.peaks()
            .iter()
            .find(|q| q.hkl == hkl.map(f64::from))
            .map(|q| q.intensity)
            .unwrap()
    }

    #[test]
    fn texture_weights_reflections_by_their_angle_to_the_direction() {
        let s = tetragonal();
        let sim = Simulator::new(PowderParams::new().two_theta_range(10.0, 90.0)).unwrap();
        let plain = sim.peaks(&s).unwrap();
        let random = MarchDollase {
            direction: [0, 0, 1],
            r: 1.0,
        };
        assert_eq!(sim.peaks_textured(&s, &random).unwrap(), plain);
        let plates = MarchDollase {
            direction: [0, 0, 1],
            r: 0.7,
        };
        let t = sim.peaks_textured(&s, &plates).unwrap();
        // (001) lies along the direction, (100) and (010) perpendicular to it.
        let ratio = |hkl| intensity(&t, hkl) / intensity(&plain, hkl);
        assert!((ratio([0, 0, 1]) - plates.weight(1.0)).abs() < 1e-12);
        assert!((ratio([1, 0, 0]) - plates.weight(0.0)).abs() < 1e-12);
        let none = MarchDollase {
            direction: [0; 3],
            r: 1.0,
        };
        assert_eq!(
            crate::error::refused(sim.peaks_textured(&s, &none)),
            "direction"
        );
    }

    #[test]
    fn the_bucket_sort_gives_the_order_of_one_sort() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for n in [0, 1, 2, 5, 100, 3000] {
            // Few distinct |g| (many ties broken by hkl), the ends of the range included.
            let (gmin, gmax) = (0.05, 0.9);
            let refl: Vec<Reflection> = (0..n)
                .map(|_| Reflection {
                    hkl: [0, 1, 2].map(|_| next(21) as i32 - 10),
                    g: gmin + (gmax - gmin) * next(41) as f64 / 40.0,
                    f2: next(1000) as f64,
                })
                .collect();
            let key = |r: &Reflection| (r.g.to_bits(), std::cmp::Reverse(r.hkl));
            let mut want = refl.clone();
            want.sort_by_key(key);
            let got = bucket_sort(refl, gmin, gmax, key);
            let keys = |v: &[Reflection]| v.iter().map(key).collect::<Vec<_>>();
            assert_eq!(keys(&got), keys(&want), "{n}");
        }
    }

    #[test]
    fn the_factor_cache_returns_what_was_computed_for_the_same_s() {
        let mut cache = FactorCache::new(1, 2);
        let mut calls = 0;
        let mut get = |s: f64| {
            cache
                .get(s, |v| {
                    calls += 1;
                    v.copy_from_slice(&[s, 2.0 * s]);
                })
                .to_vec()
        };
        // Many values through two slots: every answer is that of its own s.
        for i in 0..100 {
            let s = 0.01 * f64::from(i % 17) + 0.001;
            assert_eq!(get(s), vec![s, 2.0 * s]);
            assert_eq!(get(s), vec![s, 2.0 * s]);
        }
        // The second of each pair of calls was a hit.
        assert_eq!(calls, 100);
    }

    #[test]
    fn geometry_moves_every_peak_and_its_doublet() {
        let s = tetragonal();
        let sim = Simulator::new(
            PowderParams::new()
                .two_theta_range(10.0, 90.0)
                .radiation(Wavelength::CU_KA),
        )
        .unwrap();
        let peaks = sim.peaks(&s).unwrap();
        let grid = Grid::new(10.0, 0.01, 8000).unwrap();
        let profile = Profile::gaussian(0.05);
        let shifted = Geometry {
            zero_shift: 0.2,
            ..Geometry::IDEAL
        };
        let a = sim.render(&peaks, &grid, &profile).unwrap();
        let b = sim.render_with(&peaks, &grid, &profile, &shifted).unwrap();
        // A zero shift of 20 steps: the same values 20 points later (away from the edges).
        for i in 100..7800 {
            assert!((a[i] - b[i + 20]).abs() < 1e-9 * (1.0 + a[i].abs()), "{i}");
        }
        let bad = Geometry {
            radius: -1.0,
            ..Geometry::IDEAL
        };
        assert_eq!(
            crate::error::refused(sim.render_with(&peaks, &grid, &profile, &bad)),
            "radius"
        );
    }
}
