//! The built-in (Sm₁₋ᵧZrᵧ)(Fe₁₂₋ₓTiₓ) data set, mirroring Table I of Utimula et al. (2022):
//! 150 patterns, 10 concentrations, 2θ = 1.00°…119.99° in 0.01° steps, λ = 0.496 Å.
//!
//! See the crate README for the recipe (cells, symmetry, subsets, lattice model).

mod cells;
mod orbits;
mod relax;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::{Dataset, Float, Grid, IndexedPeak, Wavelength};

use crate::element::Species;
use crate::error::invalid;
use crate::lattice::{Lattice, Mat3, inverse};
use crate::powder::{PowderParams, Profile, Simulator};
use crate::scattering::FormFactorTable;
use crate::structure::Structure;
use crate::{Error, Result};

use cells::{FE_8I, SM_2A, TI_CELL, ZR_CELL};
use orbits::{Perm, apply, orbit_representatives, stride_subset};
use relax::Substituent;

/// Ti atoms per Ti-series cell (4 formula units) for x = 0, 0.5, 1, 1.5, 2.
pub const TI_COUNTS: [usize; 5] = [0, 2, 4, 6, 8];
/// Inequivalent Ti arrangements on the 16 8i sites of the Ti-series cell (Burnside).
pub const TI_ORBITS: [usize; 5] = [1, 13, 134, 539, 854];
/// Zr atoms per Zr-series cell (8 formula units) for y = 0.125, 0.25, 0.375, 0.5.
pub const ZR_COUNTS: [usize; 4] = [1, 2, 3, 4];
/// Inequivalent Zr arrangements on the 8 Sm sites with the fixed Ti arrangement.
pub const ZR_ORBITS: [usize; 4] = [2, 7, 8, 13];
/// Parent 8i sites (indices among the conventional cell's 8i sites, i.e. (x,0,0) and (−x,0,0))
/// that carry Ti in every conventional cell of the Zr-series cell.
pub const ZR_SERIES_TI_PAIR: [usize; 2] = [0, 1];

/// Parameters of the built-in data set (builder; defaults reproduce the documented data set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltinParams {
    /// Parent a (Å), default 8.59 (COD 1525023).
    a: f64,
    /// Parent c (Å), default 4.804.
    c: f64,
    /// 8i x parameter, default 0.352.
    x_8i: f64,
    /// 8j x parameter, default 0.278.
    x_8j: f64,
    /// Wavelength (Å), default 0.496.
    wavelength: Wavelength,
    /// Output grid, default [`Grid::paper`].
    grid: Grid,
    /// Vegard coefficients [∂ln a/∂x, ∂ln a/∂y, ∂ln c/∂x, ∂ln c/∂y], default
    /// [+0.0025, −0.010, +0.0015, −0.006] (Ti expands, Zr on Sm contracts).
    vegard: [f64; 4],
    /// Radial displacement amplitude of Ti's neighbours (Å), default +0.04 (outwards).
    ti_relaxation: f64,
    /// Radial displacement amplitude of Zr's neighbours (Å), default −0.06 (inwards).
    zr_relaxation: f64,
    /// Relaxation cutoff (Å), default 3.5.
    relaxation_cutoff: f64,
    /// Strain coupling η of the configuration-dependent strain, default 0.002.
    strain_coupling: f64,
    /// Pair cutoff of the strain (Å), default 5.0.
    strain_cutoff: f64,
    /// Isotropic B (Å²) of every atom, default 0 (static DFT-like cells).
    b_iso: f64,
    /// Peak profile, default Gaussian with FWHM 0.03°.
    profile: Profile,
    /// Form factors, default Waasmaier–Kirfel.
    form_factors: FormFactorTable,
    /// Arrangements taken for x = 0, 0.5, 1, 1.5, 2, default [1, 13, 22, 27, 61].
    ti_subset: [usize; 5],
    /// Arrangements taken for y = 0.125, 0.25, 0.375, 0.5, default [2, 7, 6, 10].
    zr_subset: [usize; 4],
    /// Peaks with intensity below this fraction of the strongest are left out of `peaks`
    /// (default 1e-3); the patterns include every peak above 1e-6.
    min_peak_intensity: f64,
}

impl BuiltinParams {
    xrd_io::setters! {
        /// Parent a (Å), default 8.59 (COD 1525023).
        a, get_a: f64;

        /// Parent c (Å), default 4.804.
        c, get_c: f64;

        /// 8i x parameter, default 0.352.
        x_8i, get_x_8i: f64;

        /// 8j x parameter, default 0.278.
        x_8j, get_x_8j: f64;

        /// The source, default 0.496 Å (the paper's synchrotron wavelength).
        wavelength, get_wavelength: Wavelength;

        /// Isotropic B (Å²) of every atom, default 0 (static DFT-like cells).
        b_iso, get_b_iso: f64;

        /// Form factors, default Waasmaier–Kirfel.
        form_factors, get_form_factors: FormFactorTable;

        /// Peaks with intensity below this fraction of the strongest are left out of `peaks`
        /// (default 1e-3); the patterns include every peak above 1e-6.
        min_peak_intensity, get_min_peak_intensity: f64;
    }

    /// The `ti_relaxation` set by [`BuiltinParams::relaxation`] (see there for the default).
    pub fn get_ti_relaxation(&self) -> f64 {
        self.ti_relaxation
    }

    /// The `zr_relaxation` set by [`BuiltinParams::relaxation`] (see there for the default).
    pub fn get_zr_relaxation(&self) -> f64 {
        self.zr_relaxation
    }

    /// The `relaxation_cutoff` set by [`BuiltinParams::relaxation`] (see there for the default).
    pub fn get_relaxation_cutoff(&self) -> f64 {
        self.relaxation_cutoff
    }

    /// The `strain_coupling` set by [`BuiltinParams::strain`] (see there for the default).
    pub fn get_strain_coupling(&self) -> f64 {
        self.strain_coupling
    }

    /// The `strain_cutoff` set by [`BuiltinParams::strain`] (see there for the default).
    pub fn get_strain_cutoff(&self) -> f64 {
        self.strain_cutoff
    }

    /// The `ti_subset` set by [`BuiltinParams::subsets`] (see there for the default).
    pub fn get_ti_subset(&self) -> [usize; 5] {
        self.ti_subset
    }

    /// The `zr_subset` set by [`BuiltinParams::subsets`] (see there for the default).
    pub fn get_zr_subset(&self) -> [usize; 4] {
        self.zr_subset
    }
}

impl Default for BuiltinParams {
    fn default() -> Self {
        Self {
            a: 8.59,
            c: 4.804,
            x_8i: 0.352,
            x_8j: 0.278,
            wavelength: Wavelength::synchrotron(0.496),
            grid: Grid::paper(),
            vegard: [0.0025, -0.010, 0.0015, -0.006],
            ti_relaxation: 0.04,
            zr_relaxation: -0.06,
            relaxation_cutoff: 3.5,
            strain_coupling: 0.002,
            strain_cutoff: 5.0,
            b_iso: 0.0,
            profile: Profile::gaussian(0.03),
            form_factors: FormFactorTable::WaasmaierKirfel,
            ti_subset: [1, 13, 22, 27, 61],
            zr_subset: [2, 7, 6, 10],
            min_peak_intensity: 1e-3,
        }
    }
}

/// The data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Builtin {
    /// The 2θ grid.
    pub grid: Grid,
    /// Patterns, n × grid points, each normalised to max 1.
    pub patterns: Array2<f64>,
    /// Ti per formula unit.
    pub x: Vec<f64>,
    /// Zr per formula unit.
    pub y: Vec<f64>,
    /// Sm, Zr, Fe, Ti per formula unit (n × 4).
    pub composition: Array2<f64>,
    /// Configuration ids, e.g. `Ti-x1.00-o017` (orbit 17 of the sorted enumeration) or
    /// `Zr-y0.250-o003`; `Zr-y0.000-base` is the Zr series' Ti-only cell.
    pub config_id: Vec<String>,
    /// Peak lists: 2θ, d-spacing, integrated intensity relative to the pattern's strongest peak
    /// (= 1), Miller indices in the parent conventional I4/mmm cell as the 4/mmm family
    /// representative h ≥ k ≥ 0, l ≥ 0 (fractional for superstructure reflections, e.g.
    /// (½ ½ 0)), and the reflections merged into each peak.
    pub peaks: Vec<Vec<IndexedPeak>>,
    /// Relaxed, strained cells.
    pub cells: Vec<Lattice>,
    /// The relaxed structures.
    pub structures: Vec<Structure>,
}

impl Builtin {
    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.config_id.len()
    }

    /// `true` without patterns.
    pub fn is_empty(&self) -> bool {
        self.config_id.is_empty()
    }

    /// As an `xrd-io` data set: rows named by configuration id, labels `x`, `y`.
    ///
    /// # Errors
    /// Never for a data set made by [`BuiltinParams::build`] (the shapes agree by construction);
    /// [`Error::Io`] from [`Dataset::new`] if the public fields were edited inconsistently.
    pub fn to_dataset<F: Float>(&self) -> Result<Dataset<F>> {
        let labels =
            Array2::from_shape_fn(
                (self.len(), 2),
                |(i, j)| if j == 0 { self.x[i] } else { self.y[i] },
            );
        Ok(Dataset::new(
            self.grid,
            self.patterns.mapv(F::of),
            self.config_id.clone(),
            labels,
            vec!["x".into(), "y".into()],
        )?)
    }
}

/// Pattern, peak list and relaxed structure of one configuration.
type Simulated = (Vec<f64>, Vec<IndexedPeak>, Structure);

/// One configuration to simulate.
#[derive(Debug, Clone)]
struct Config {
    id: String,
    zr_cell: bool,
    ti_sites: Vec<usize>,
    zr_sites: Vec<usize>,
    x: f64,
    y: f64,
}

xrd_io::param_guard!(Error => BuiltinParams);

impl BuiltinParams {
    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        let pos = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(name, format!("{v} must be finite and > 0")))
            }
        };
        pos("a", self.a)?;
        pos("c", self.c)?;
        for (name, v) in [("x_8i", self.x_8i), ("x_8j", self.x_8j)] {
            if !(v > 0.0 && v < 0.5) {
                return Err(invalid(name, format!("{v} must be in (0, 0.5)")));
            }
        }
        if self.vegard.iter().any(|v| !v.is_finite() || v.abs() > 0.2) {
            return Err(invalid(
                "vegard",
                format!(
                    "{:?}: coefficients must be finite and |·| ≤ 0.2",
                    self.vegard
                ),
            ));
        }
        for (name, v) in [
            ("ti_relaxation", self.ti_relaxation),
            ("zr_relaxation", self.zr_relaxation),
        ] {
            if !(v.is_finite() && v.abs() <= 0.5) {
                return Err(invalid(name, format!("{v} Å must be finite and |·| ≤ 0.5")));
            }
        }
        for (name, v) in [
            ("relaxation_cutoff", self.relaxation_cutoff),
            ("strain_cutoff", self.strain_cutoff),
        ] {
            if !(v.is_finite() && (0.0..=8.0).contains(&v)) {
                return Err(invalid(name, format!("{v} Å must be in [0, 8]")));
            }
        }
        if !(self.strain_coupling.is_finite() && self.strain_coupling.abs() <= 0.05) {
            return Err(invalid(
                "strain_coupling",
                format!("{} must be finite and |·| ≤ 0.05", self.strain_coupling),
            ));
        }
        if !(self.b_iso.is_finite() && self.b_iso >= 0.0) {
            return Err(invalid("b_iso", format!("{} must be ≥ 0", self.b_iso)));
        }
        if !(self.min_peak_intensity.is_finite() && (0.0..1.0).contains(&self.min_peak_intensity)) {
            return Err(invalid(
                "min_peak_intensity",
                format!("{} must be in [0, 1)", self.min_peak_intensity),
            ));
        }
        self.profile.check()?;
        for (i, (&n, &max)) in self.ti_subset.iter().zip(&TI_ORBITS).enumerate() {
            if n > max {
                return Err(invalid(
                    "ti_subset",
                    format!(
                        "{n} arrangements asked for x = {}, only {max} exist",
                        i as f64 / 2.0
                    ),
                ));
            }
        }
        for (i, (&n, &max)) in self.zr_subset.iter().zip(&ZR_ORBITS).enumerate() {
            if n > max {
                return Err(invalid(
                    "zr_subset",
                    format!(
                        "{n} arrangements asked for y = {}, only {max} exist",
                        (i + 1) as f64 / 8.0
                    ),
                ));
            }
        }
        let g = self.grid;
        if g.start() - 0.5 < 0.0 || g.end() + 0.5 >= 180.0 {
            return Err(invalid(
                "grid",
                "2θ must stay within (0.5°, 179.5°)".to_string(),
            ));
        }
        Ok(())
    }

    xrd_io::setters! {
        /// Sets the grid (e.g. a coarser one for quick tests; default [`Grid::paper`]).
        #[must_use]
        grid, get_grid: Grid;

        /// Sets the profile (default `Profile::gaussian(0.03)`).
        #[must_use]
        profile, get_profile: Profile;
    }

    /// Sets the subsets taken per concentration.
    #[must_use]
    pub fn subsets(mut self, ti: [usize; 5], zr: [usize; 4]) -> Self {
        self.ti_subset = ti;
        self.zr_subset = zr;
        self
    }

    xrd_io::setters! {
        /// Sets the Vegard coefficients [∂ln a/∂x, ∂ln a/∂y, ∂ln c/∂x, ∂ln c/∂y] (default
        /// `[0.0025, −0.010, 0.0015, −0.006]`).
        #[must_use]
        vegard, get_vegard: [f64; 4];
    }

    /// Sets the relaxation amplitudes (Å) of Ti and Zr and the cutoff.
    #[must_use]
    pub fn relaxation(mut self, ti: f64, zr: f64, cutoff: f64) -> Self {
        self.ti_relaxation = ti;
        self.zr_relaxation = zr;
        self.relaxation_cutoff = cutoff;
        self
    }

    /// Sets the strain coupling η and its pair cutoff (Å).
    #[must_use]
    pub fn strain(mut self, eta: f64, cutoff: f64) -> Self {
        self.strain_coupling = eta;
        self.strain_cutoff = cutoff;
        self
    }

    /// Builds the data set (parallel over patterns; bit-identical on every run).
    ///
    /// # Errors
    /// [`BuiltinParams::check`] errors.
    pub fn build(&self) -> Result<Builtin> {
        self.check()?;
        let parent = cells::parent(self.a, self.c, self.x_8i, self.x_8j)?;
        let ti_cell = parent.supercell(&TI_CELL)?;
        let zr_cell = parent.supercell(&ZR_CELL)?;
        let configs = self.configurations(&parent, &ti_cell, &zr_cell)?;
        let results: Vec<Result<Simulated>> = configs
            .par_iter()
            .map(|c| self.simulate(c, if c.zr_cell { &zr_cell } else { &ti_cell }))
            .collect();
        let n = configs.len();
        let npts = self.grid.len();
        let mut patterns = Array2::zeros((n, npts));
        let mut peaks = Vec::with_capacity(n);
        let mut structures = Vec::with_capacity(n);
        for (i, r) in results.into_iter().enumerate() {
            let (p, pk, s) = r?;
            patterns.row_mut(i).assign(&ndarray::ArrayView1::from(&p));
            peaks.push(pk);
            structures.push(s);
        }
        let composition = Array2::from_shape_fn((n, 4), |(i, j)| {
            let (x, y) = (configs[i].x, configs[i].y);
            [1.0 - y, y, 12.0 - x, x][j]
        });
        Ok(Builtin {
            grid: self.grid,
            patterns,
            x: configs.iter().map(|c| c.x).collect(),
            y: configs.iter().map(|c| c.y).collect(),
            composition,
            config_id: configs.iter().map(|c| c.id.clone()).collect(),
            cells: structures.iter().map(|s| *s.lattice()).collect(),
            peaks,
            structures,
        })
    }

    fn configurations(
        &self,
        parent: &Structure,
        ti_cell: &Structure,
        zr_cell: &Structure,
    ) -> Result<Vec<Config>> {
        let mut out = Vec::new();
        // Ti series.
        let i8 = cells::sites_labelled(ti_cell, FE_8I);
        let group = cells::subset_permutations(ti_cell, &TI_CELL, &i8);
        for (&nti, &take) in TI_COUNTS.iter().zip(&self.ti_subset) {
            let reps = orbit_representatives(&group, i8.len(), nti);
            let x = nti as f64 / 4.0;
            for o in stride_subset(reps.len(), take) {
                out.push(Config {
                    id: format!("Ti-x{x:.2}-o{o:03}"),
                    zr_cell: false,
                    ti_sites: bits(reps[o]).map(|b| i8[b]).collect(),
                    zr_sites: Vec::new(),
                    x,
                    y: 0.0,
                });
            }
        }
        // Zr series: Ti on the chosen 8i pair of every conventional cell.
        let z8i = cells::sites_labelled(zr_cell, FE_8I);
        let sm = cells::sites_labelled(zr_cell, SM_2A);
        let p8i = cells::sites_labelled(parent, FE_8I);
        let ti_sites: Vec<usize> = z8i
            .iter()
            .copied()
            .filter(|&i| {
                let c = crate::lattice::mat_vec_rows(&ZR_CELL, zr_cell.sites()[i].frac);
                ZR_SERIES_TI_PAIR.iter().any(|&pi| {
                    let f = parent.sites()[p8i[pi]].frac;
                    (0..3).all(|k| {
                        let d = c[k] - f[k];
                        (d - d.round()).abs() < 1e-6
                    })
                })
            })
            .collect();
        let mut all = z8i.clone();
        all.extend(&sm);
        let ti_mask = ti_sites
            .iter()
            .map(|s| 1u64 << z8i.iter().position(|z| z == s).unwrap_or(0))
            .fold(0, |a, b| a | b);
        let n8 = z8i.len();
        let mut stab: Vec<Perm> = cells::subset_permutations(zr_cell, &ZR_CELL, &all)
            .into_iter()
            .filter(|g| apply(&g[..n8], ti_mask) == ti_mask)
            .map(|g| g[n8..].iter().map(|&v| v - n8).collect())
            .collect();
        stab.sort();
        stab.dedup();
        out.push(Config {
            id: "Zr-y0.000-base".into(),
            zr_cell: true,
            ti_sites: ti_sites.clone(),
            zr_sites: Vec::new(),
            x: 1.0,
            y: 0.0,
        });
        for (&nzr, &take) in ZR_COUNTS.iter().zip(&self.zr_subset) {
            let reps = orbit_representatives(&stab, sm.len(), nzr);
            let y = nzr as f64 / 8.0;
            for o in stride_subset(reps.len(), take) {
                out.push(Config {
                    id: format!("Zr-y{y:.3}-o{o:03}"),
                    zr_cell: true,
                    ti_sites: ti_sites.clone(),
                    zr_sites: bits(reps[o]).map(|b| sm[b]).collect(),
                    x: 1.0,
                    y,
                });
            }
        }
        Ok(out)
    }

    /// Substitutes, applies the lattice model, simulates, renders and normalises one pattern.
    fn simulate(&self, c: &Config, cell: &Structure) -> Result<Simulated> {
        let m: &Mat3 = if c.zr_cell { &ZR_CELL } else { &TI_CELL };
        let mut s = cell.clone();
        let ti = Species::parse("Ti")?;
        let zr = Species::parse("Zr")?;
        let mut subs = Vec::new();
        for &i in &c.ti_sites {
            s.substitute(i, ti)?;
            subs.push(Substituent {
                site: i,
                delta: self.ti_relaxation,
                tag: 0,
            });
        }
        for &i in &c.zr_sites {
            s.substitute(i, zr)?;
            subs.push(Substituent {
                site: i,
                delta: self.zr_relaxation,
                tag: 1,
            });
        }
        for site in s.sites_mut() {
            site.b_iso = self.b_iso;
        }
        let conv = relax::vegard(self.a, self.c, self.vegard, c.x, c.y)?;
        let mut s = s.with_lattice(conv.transformed(m)?);
        relax::relax(&mut s, &subs, self.relaxation_cutoff)?;
        let eps = relax::strain(&s, &subs, self.strain_coupling, self.strain_cutoff);
        let strained = s.lattice().strained(&eps)?;
        let s = s.with_lattice(strained);

        let margin = self.profile.window * self.profile.fwhm(self.grid.end());
        let lo = (self.grid.start() - margin).max(0.01);
        let hi = (self.grid.end() + margin).min(179.0);
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(self.wavelength)
                .two_theta_range(lo, hi)
                .form_factors(self.form_factors)
                .debye_waller(self.b_iso > 0.0)
                .min_scaled_intensity(1e-4),
        )?;
        let list = sim.peaks(&s)?;
        let mut pattern = sim.render(&list, &self.grid, &self.profile)?;
        let max = pattern.iter().copied().fold(0.0, f64::max);
        if max > 0.0 {
            for v in &mut pattern {
                *v /= max;
            }
        }
        let minv = inverse(m).ok_or_else(|| Error::InvalidSupercell("singular".into()))?;
        let top = list.max_intensity();
        let peaks = list
            .peaks()
            .iter()
            .filter(|p| p.intensity >= self.min_peak_intensity * top)
            .map(|p| {
                let h = p.hkl;
                // g = H B_s = H M⁻ᵀ B_conv → parent hkl = H M⁻ᵀ.
                let raw = [0, 1, 2].map(|j| {
                    let v: f64 = (0..3).map(|i| h[i] * minv[j][i]).sum();
                    ((v * 1e6).round() / 1e6).abs()
                });
                // The 4/mmm family representative: h ≥ k ≥ 0, l ≥ 0.
                let hkl = [raw[0].max(raw[1]), raw[0].min(raw[1]), raw[2]];
                IndexedPeak {
                    intensity: p.intensity / top,
                    hkl,
                    ..*p
                }
            })
            .collect();
        Ok((pattern, peaks, s))
    }
}

fn bits(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |b| mask >> b & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burnside_counts_of_the_ti_series_cell() {
        let p = cells::parent(8.59, 4.804, 0.352, 0.278).unwrap();
        assert_eq!(p.len(), 26);
        let ti = p.supercell(&TI_CELL).unwrap();
        assert_eq!(ti.len(), 52);
        let i8 = cells::sites_labelled(&ti, FE_8I);
        assert_eq!(i8.len(), 16);
        let g = cells::subset_permutations(&ti, &TI_CELL, &i8);
        assert_eq!(g.len(), 16, "16 operations, internal translations included");
        assert_eq!(orbits::close(g.clone()), g, "the operations form a group");
        for (k, want) in TI_COUNTS.iter().zip(TI_ORBITS) {
            assert_eq!(orbits::burnside(&g, *k), want, "Burnside, {k} Ti");
            assert_eq!(
                orbit_representatives(&g, 16, *k).len(),
                want,
                "explicit orbits, {k} Ti"
            );
        }
    }

    #[test]
    fn zr_series_counts_and_full_configuration_list() {
        let params = BuiltinParams::default();
        let p = cells::parent(8.59, 4.804, 0.352, 0.278).unwrap();
        let ti = p.supercell(&TI_CELL).unwrap();
        let zr = p.supercell(&ZR_CELL).unwrap();
        assert_eq!(zr.len(), 104);
        let full = params
            .clone()
            .subsets(TI_ORBITS, ZR_ORBITS)
            .configurations(&p, &ti, &zr)
            .unwrap();
        for (k, want) in ZR_COUNTS.iter().zip(ZR_ORBITS) {
            let y = *k as f64 / 8.0;
            assert_eq!(
                full.iter().filter(|c| c.zr_cell && c.y == y).count(),
                want,
                "y = {y}"
            );
        }
        let configs = params.configurations(&p, &ti, &zr).unwrap();
        assert_eq!(configs.len(), 150);
        let per = |x: f64, y: f64, zrc: bool| {
            configs
                .iter()
                .filter(|c| c.x == x && c.y == y && c.zr_cell == zrc)
                .count()
        };
        assert_eq!(
            [0.0, 0.5, 1.0, 1.5, 2.0].map(|x| per(x, 0.0, false)),
            [1, 13, 22, 27, 61]
        );
        assert_eq!(
            [0.0, 0.125, 0.25, 0.375, 0.5].map(|y| per(1.0, y, true)),
            [1, 2, 7, 6, 10]
        );
        let mut ids: Vec<&str> = configs.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 150, "ids are unique");
        for c in &configs {
            assert_eq!(
                c.ti_sites.len() as f64,
                c.x * if c.zr_cell { 8.0 } else { 4.0 }
            );
            assert_eq!(c.zr_sites.len() as f64, c.y * 8.0);
        }
    }

    #[test]
    fn each_invalid_parameter_is_rejected() {
        assert!(BuiltinParams::default().check().is_ok());
        let d = BuiltinParams::default;
        let bad = [
            BuiltinParams { a: 0.0, ..d() },
            BuiltinParams { c: f64::NAN, ..d() },
            BuiltinParams { x_8i: 0.6, ..d() },
            BuiltinParams { x_8j: 0.0, ..d() },
            d().vegard([0.5, 0.0, 0.0, 0.0]),
            d().relaxation(1.0, 0.0, 3.0),
            d().relaxation(0.0, f64::NAN, 3.0),
            d().relaxation(0.0, 0.0, -1.0),
            d().strain(0.1, 5.0),
            d().strain(0.0, 9.0),
            BuiltinParams { b_iso: -0.1, ..d() },
            BuiltinParams {
                min_peak_intensity: 1.0,
                ..d()
            },
            d().profile(Profile::gaussian(-0.03)),
            d().subsets([1, 14, 22, 27, 61], [2, 7, 6, 10]),
            d().subsets([1, 13, 22, 27, 61], [3, 7, 6, 10]),
            d().grid(Grid::new(0.1, 0.01, 100).unwrap()),
        ];
        let mut names = [
            "a",
            "c",
            "x_8i",
            "x_8j",
            "vegard",
            "ti_relaxation",
            "zr_relaxation",
            "relaxation_cutoff",
            "strain_coupling",
            "strain_cutoff",
            "b_iso",
            "min_peak_intensity",
            "fwhm",
            "ti_subset",
            "zr_subset",
            "grid",
        ]
        .into_iter();
        for p in bad {
            assert_eq!(
                crate::error::refused(p.check()),
                names.next().unwrap_or("none"),
                "{p:?}"
            );
        }
        assert_eq!(names.next(), None, "fewer invalid values than names");
    }

    #[test]
    fn a_reduced_build_is_deterministic_and_physical() {
        // Coarse grid and one arrangement per concentration keep the debug test fast.
        let params = BuiltinParams::default()
            .grid(Grid::new(5.0, 0.02, 1000).unwrap())
            .subsets([1, 1, 1, 1, 1], [1, 1, 1, 1]);
        let a = params.build().unwrap();
        let b = params.build().unwrap();
        assert_eq!(a, b, "bit-identical");
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(
            one.install(|| params.build()).unwrap(),
            a,
            "bit-identical on one thread"
        );
        assert_eq!(a.len(), 10);
        assert_eq!(a.patterns.dim(), (10, 1000));
        for row in a.patterns.rows() {
            let max = row.iter().copied().fold(0.0, f64::max);
            assert!((max - 1.0).abs() < 1e-12);
        }
        // Composition per formula unit sums to 13 atoms.
        for row in a.composition.rows() {
            assert!((row.sum() - 13.0).abs() < 1e-12);
        }
        // Ti expands the lattice: the (0 0 2)-like peak moves to lower 2θ with x.
        let pos = |i: usize| {
            a.peaks[i]
                .iter()
                .find(|p| p.hkl == [0.0, 0.0, 2.0])
                .map(|p| p.two_theta)
                .unwrap()
        };
        assert!(pos(4) < pos(0) - 0.02, "{} vs {}", pos(4), pos(0));
        let ds = a.to_dataset::<f32>().unwrap();
        assert_eq!(ds.label_names, ["x", "y"]);
        assert_eq!(ds.names[0], "Ti-x0.00-o000");
    }
}
