//! The calculated pattern and its derivatives with respect to every parameter.
//!
//! y(2θ) = background(2θ) + Σ_phases Σ_peaks Σ_lines I · Ω(2θ − centre; H, η, a·cotθ), with
//! I = S · r_line · Σ_members |F|² W_MD · LP(θ) · exp(−B/2 · 1/d²). Each peak's derivatives are
//! first taken with respect to the five quantities the profile depends on (intensity, centre,
//! width, mixing, asymmetry), then spread over the points within its reach.

use nalgebra::DMatrix;
use xrd_io::Wavelength;

use crate::absorption::CapillaryTable;
use crate::atoms::StructureF2;
use crate::axial::Kernel;
use crate::constraints::Column;
use crate::instrument::Instrument;
use crate::parameter::{HumpPart, Id, Owners, Table, Width};
use crate::phase::PhaseModel;
use crate::reference::Reference;
use crate::state::Choices;
use xrd_sim::powder::lorentz_polarisation;
use xrd_sim::powder::tch::{self, REACH, TchProfile};

/// A pattern evaluation splits its peaks over two cores from this many peaks…
const PARALLEL_PEAKS: usize = 64;
/// …and this many points (below, the second half's buffers cost more than they save).
const PARALLEL_POINTS: usize = 1000;

/// Smallest Gaussian width (°): the Caglioti quadratic is held above it.
const MIN_GAUSSIAN: f64 = 1e-4;

/// The bound of a harmonic texture coefficient: the harmonics have mean square 1 over the
/// sphere, so a coefficient of 2 is already a texture far past what a powder shows.
pub(crate) const HARMONIC_BOUND: f64 = 2.0;

/// Degrees per radian of 2θ per radian of θ.
const DEG2: f64 = 360.0 / std::f64::consts::PI;

/// Above this multiple correlation of a Debye–Scherrer sample's offset along the beam with the
/// cell and the offset across it, over the refined points, the offset along is held at 0: the
/// data cannot tell it from the cell (a synchrotron's low angles).
pub(crate) const ALONG_OFFSET_MAX_CORRELATION: f64 = 0.99;

/// Indices of one phase's parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseIndex {
    pub scale: usize,
    pub cell: std::ops::Range<usize>,
    pub b: usize,
    pub size: usize,
    pub strain: usize,
    pub texture: usize,
    /// The parameters of the phase's asymmetric-unit sites, when its structure is refined.
    pub sites: std::ops::Range<usize>,
    /// The coefficients of its spherical-harmonic texture, when one is offered.
    pub harmonics: std::ops::Range<usize>,
}

/// Indices of one broad background peak's parameters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HumpIndex {
    pub area: usize,
    pub position: usize,
    pub fwhm: usize,
}

/// Where each parameter sits in the working vector: an index over the [`Table`], for the
/// evaluation's inner loops.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    pub background: std::ops::Range<usize>,
    pub humps: Vec<HumpIndex>,
    pub zero: usize,
    pub displacement: usize,
    /// A Debye–Scherrer specimen's offset along the beam; none in Bragg–Brentano geometry.
    pub displacement_along: Option<usize>,
    /// U, V, W, X, Y.
    pub widths: [usize; 5],
    pub asymmetry: usize,
    pub phases: Vec<PhaseIndex>,
    /// Scale and shift of each measured reference pattern.
    pub references: Vec<(usize, usize)>,
}

impl Layout {
    /// Where each parameter of `table` sits.
    pub fn of(table: &Table) -> Self {
        fn grow<T: Default>(v: &mut Vec<T>, k: usize) -> &mut T {
            if v.len() <= k {
                v.resize_with(k + 1, T::default);
            }
            &mut v[k]
        }
        fn extend(r: &mut std::ops::Range<usize>, i: usize) {
            if r.start == r.end {
                *r = i..i + 1;
            } else {
                r.end = i + 1;
            }
        }
        let mut l = Layout::default();
        for (i, p) in table.iter().enumerate() {
            match p.id {
                Id::Background(_) => extend(&mut l.background, i),
                Id::Hump(k, part) => {
                    let h = grow(&mut l.humps, k);
                    match part {
                        HumpPart::Area => h.area = i,
                        HumpPart::Position => h.position = i,
                        HumpPart::Fwhm => h.fwhm = i,
                    }
                }
                Id::Zero => l.zero = i,
                Id::Displacement => l.displacement = i,
                Id::DisplacementAlong => l.displacement_along = Some(i),
                Id::Width(w) => l.widths[w as usize] = i,
                Id::Asymmetry => l.asymmetry = i,
                Id::Scale(p) => grow(&mut l.phases, p).scale = i,
                Id::Cell(p, _) => extend(&mut grow(&mut l.phases, p).cell, i),
                Id::B(p) => grow(&mut l.phases, p).b = i,
                Id::Size(p) => grow(&mut l.phases, p).size = i,
                Id::Strain(p) => grow(&mut l.phases, p).strain = i,
                Id::Texture(p) => grow(&mut l.phases, p).texture = i,
                Id::ReferenceScale(r) => grow(&mut l.references, r).0 = i,
                Id::ReferenceShift(r) => grow(&mut l.references, r).1 = i,
                Id::Site(p, ..) => extend(&mut grow(&mut l.phases, p).sites, i),
                Id::Harmonic(p, ..) => extend(&mut grow(&mut l.phases, p).harmonics, i),
            }
        }
        l
    }
}

/// The model of one refinement: points, wavelengths, phases and parameter layout.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub tt: Vec<f64>,
    /// The Chebyshev terms of the background at every point: `cheb[k][i]` = T_k(x_i).
    cheb: Vec<Vec<f64>>,
    /// The source.
    pub radiation: Wavelength,
    /// (λ, relative intensity) of Kα₁ and, when present, Kα₂.
    pub lines: Vec<(f64, f64)>,
    pub phases: Vec<PhaseModel>,
    pub monochromator: Option<f64>,
    /// The instrument's polarisation fraction of the Lorentz–polarisation factor, or none.
    pub polarisation: Option<f64>,
    /// The instrument's capillary absorption factor, tabulated once, or none.
    pub capillary: Option<CapillaryTable>,
    /// The instrument's FCJ axial divergence, or none.
    pub axial: Option<crate::AxialDivergence>,
    /// Every parameter: identity, name, start, bounds.
    pub table: Table,
    pub layout: Layout,
    shape: TchProfile,
    /// Measured reference patterns fitted beside the phases (full-pattern summation).
    pub references: Vec<Reference>,
    /// What the beam scatters from: a refined structure's neutrons scatter by their
    /// scattering lengths.
    pub probe: xrd_sim::Probe,
    /// How the specimen sits in the beam: the shape of its displacement's peak shift.
    pub geometry: crate::SampleGeometry,
    /// [`Model::along_offset_correlation`], fixed by the points and the geometry.
    along_correlation: Option<f64>,
    /// Restraints on the refined structures' geometry: rows of their own in χ².
    pub restraints: Vec<crate::restraint::Prepared>,
}

/// What one peak line contributes: its profile quantities and their derivatives.
#[derive(Debug, Clone, Copy, Default)]
struct Line {
    intensity: f64,
    centre: f64,
    h: f64,
    eta: f64,
    asym: f64,
}

/// The pieces of the calculated pattern, for output.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts {
    pub background: Vec<f64>,
    pub phases: Vec<Vec<f64>>,
    pub references: Vec<Vec<f64>>,
}

/// What a broad background peak's widths (°) are multiplied by at `radiation`: 1 at Cu Kα,
/// λ / 1.5406 Å elsewhere. An amorphous hump has a width in Q (about 0.5 Å⁻¹); in 2θ that is
/// proportional to λ (at the low angles humps lie at), so a synchrotron's humps are six times
/// narrower in 2θ than a laboratory's.
pub(crate) fn hump_scale(radiation: Wavelength) -> f64 {
    radiation.angstrom() / Wavelength::CU_KA.angstrom()
}

/// March–Dollase's weight W = (r² cos²α + sin²α / r)^(−3/2) of a reflection at cos²α = `c`,
/// and its derivative in r.
fn march_dollase(r: f64, c: f64) -> (f64, f64) {
    let x = r * r * c + (1.0 - c) / r;
    let w = x.powf(-1.5);
    (w, -1.5 * x.powf(-2.5) * (2.0 * r * c - (1.0 - c) / (r * r)))
}

/// T_k(x) at every point for k < `terms`, x the point mapped onto [−1, 1] over the range.
pub(crate) fn chebyshev(tt: &[f64], terms: usize) -> Vec<Vec<f64>> {
    let (lo, hi) = (tt[0], tt[tt.len() - 1]);
    let mut table = vec![vec![0.0; tt.len()]; terms];
    for (i, &t) in tt.iter().enumerate() {
        let x = 2.0 * (t - lo) / (hi - lo) - 1.0;
        for k in 0..terms {
            table[k][i] = match k {
                0 => 1.0,
                1 => x,
                _ => 2.0 * x * table[k - 1][i] - table[k - 2][i],
            };
        }
    }
    table
}

impl Model {
    /// A model over the points `tt` with the instrument's starting values.
    pub fn new(
        tt: Vec<f64>,
        radiation: Wavelength,
        phases: Vec<PhaseModel>,
        instrument: &Instrument,
        background_terms: usize,
        humps: usize,
        y_max: f64,
    ) -> Self {
        let (lo, hi) = (tt[0], tt[tt.len() - 1]);
        let cheb = chebyshev(&tt, background_terms);
        let names: Vec<String> = phases.iter().map(|ph| ph.name.clone()).collect();
        let cells: Vec<Vec<String>> = phases.iter().map(|ph| ph.cell.names()).collect();
        let owners = Owners {
            phases: &names,
            cells: &cells,
            references: &[],
            sites: &[],
        };
        let mut table = Table::default();
        let mut push = |id, start, lo, hi| {
            table.push(id, &owners, start, lo, hi);
        };
        for k in 0..background_terms {
            push(Id::Background(k), 0.0, f64::NEG_INFINITY, f64::INFINITY);
        }
        for k in 0..humps {
            // Spread over the range, broad, small.
            let pos = lo + (k as f64 + 0.5) / humps as f64 * (hi - lo);
            let area = 0.01 * y_max * (hi - lo);
            push(Id::Hump(k, HumpPart::Area), area, 0.0, f64::INFINITY);
            push(Id::Hump(k, HumpPart::Position), pos, lo - 10.0, hi + 10.0);
            let s = hump_scale(radiation);
            push(Id::Hump(k, HumpPart::Fwhm), 8.0 * s, s, 60.0 * s);
        }
        push(Id::Zero, instrument.zero, -2.0, 2.0);
        push(Id::Displacement, 0.0, -1.0, 1.0);
        if instrument.geometry.displacements() > 1 {
            push(Id::DisplacementAlong, 0.0, -1.0, 1.0);
        }
        push(
            Id::Width(Width::U),
            instrument.u,
            0.0_f64.min(instrument.u),
            10.0,
        );
        push(Id::Width(Width::V), instrument.v, -1.0, 1.0);
        push(Id::Width(Width::W), instrument.w, 1e-6, 1.0);
        push(Id::Width(Width::X), instrument.x, 0.0, 2.0);
        push(Id::Width(Width::Y), instrument.y, 0.0, 2.0);
        push(Id::Asymmetry, instrument.asymmetry, -0.5, 0.5);
        for (p, ph) in phases.iter().enumerate() {
            push(Id::Scale(p), 1.0, 0.0, f64::INFINITY);
            // A diagonal coefficient (1/a², …) within ±10 % of itself (≈ ±5 % in the length);
            // an off-diagonal one within ±10 % of the largest, and it may change sign.
            let largest = ph.cell_start.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (c, (name, v)) in cells[p].iter().zip(&ph.cell_start).enumerate() {
                let diagonal = name.split('=').any(|c| matches!(c, "A" | "B" | "C"));
                let reach = 0.1 * if diagonal { v.abs() } else { largest };
                push(Id::Cell(p, c), *v, v - reach, v + reach);
            }
            push(Id::B(p), 0.0, -1.0, 5.0);
            push(Id::Size(p), 0.0, 0.0, 3.0);
            push(Id::Strain(p), 0.0, 0.0, 3.0);
            push(Id::Texture(p), 1.0, 0.3, 3.0);
        }
        let mut lines = vec![(radiation.angstrom(), 1.0)];
        if let Some(l2) = radiation.alpha2() {
            lines.push((l2, radiation.ratio()));
        }
        let along_correlation =
            (instrument.geometry.displacements() > 1).then(|| along_offset_correlation(&tt));
        Self {
            tt,
            cheb,
            radiation,
            lines,
            phases,
            monochromator: instrument.monochromator,
            polarisation: instrument.polarisation,
            capillary: instrument.capillary_mu_r.map(CapillaryTable::new),
            axial: instrument.axial,
            layout: Layout::of(&table),
            table,
            shape: TchProfile::new(),
            references: Vec::new(),
            probe: instrument.probe,
            geometry: instrument.geometry,
            along_correlation,
            restraints: Vec::new(),
        }
    }

    /// Adds measured reference patterns, each with a scale (≥ 0) and a 2θ shift within
    /// ±`max_shift`, after every other parameter (the others keep their indices).
    pub fn with_references(mut self, references: Vec<Reference>, max_shift: f64) -> Self {
        let ids: Vec<String> = references.iter().map(|r| r.id.clone()).collect();
        let owners = Owners {
            phases: &[],
            cells: &[],
            references: &ids,
            sites: &[],
        };
        for r in 0..references.len() {
            let t = &mut self.table;
            t.push(Id::ReferenceScale(r), &owners, 0.0, 0.0, f64::INFINITY);
            t.push(Id::ReferenceShift(r), &owners, 0.0, -max_shift, max_shift);
        }
        self.layout = Layout::of(&self.table);
        self.references = references;
        self
    }

    /// Adds the structures of the phases whose intensities come from their structure as
    /// refinable parameters (each asymmetric-unit site's free coordinates, U — or, when
    /// `anisotropic`, the U components its symmetry leaves free — and occupancy), scattering
    /// the model's probe; after every other parameter.
    ///
    /// # Errors
    /// A structure whose symmetry cannot be read, or an element without a scattering factor
    /// (or, for neutrons, a scattering length).
    pub fn with_atoms(mut self, phases: &[crate::Phase], anisotropic: bool) -> crate::Result<Self> {
        let neutron = self.probe == xrd_sim::Probe::Neutron;
        let names: Vec<String> = self.phases.iter().map(|ph| ph.name.clone()).collect();
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); self.phases.len()];
        let mut pushes: Vec<(usize, usize, crate::parameter::SiteParam, f64, f64, f64)> =
            Vec::new();
        for (p, (ph, phase)) in self.phases.iter_mut().zip(phases).enumerate() {
            if !matches!(phase.intensities(), crate::Intensities::Structure)
                || !phase.has_chemistry()
            {
                continue;
            }
            let hkl: Vec<Vec<[i32; 3]>> = ph
                .peaks
                .iter()
                .map(|k| k.members.iter().map(|m| m.hkl).collect())
                .collect();
            let inv_d2: Vec<f64> = ph.peaks.iter().map(|k| k.inv_d2(&ph.cell_start)).collect();
            let atoms = crate::atoms::AtomModel::new(
                phase.structure(),
                &hkl,
                &inv_d2,
                self.radiation,
                neutron,
                anisotropic,
            )?;
            for (k, site) in atoms.sites.iter().enumerate() {
                labels[p].push(site.label.clone());
                for (param, start) in site.params().into_iter().zip(site.starts()) {
                    let (lo, hi) = match param {
                        // A coordinate within ±0.1 of the cell edge of its start.
                        crate::parameter::SiteParam::X
                        | crate::parameter::SiteParam::Y
                        | crate::parameter::SiteParam::Z => (start - 0.1, start + 0.1),
                        crate::parameter::SiteParam::U => (0.0, 0.25),
                        crate::parameter::SiteParam::Occupancy => (0.0, 1.0),
                        // Anisotropic components: a diagonal one ≥ 0, any within ±0.25 Å².
                        crate::parameter::SiteParam::U11
                        | crate::parameter::SiteParam::U22
                        | crate::parameter::SiteParam::U33 => (0.0, 0.25),
                        _ => (-0.25, 0.25),
                    };
                    pushes.push((p, k, param, start, lo, hi));
                }
            }
            ph.atoms = Some(std::sync::Arc::new(atoms));
        }
        let cells: Vec<Vec<String>> = self.phases.iter().map(|ph| ph.cell.names()).collect();
        let owners = Owners {
            phases: &names,
            cells: &cells,
            references: &[],
            sites: &labels,
        };
        for (p, k, param, start, lo, hi) in pushes {
            self.table
                .push(Id::Site(p, k, param), &owners, start, lo, hi);
        }
        self.layout = Layout::of(&self.table);
        Ok(self)
    }

    /// Adds `restraints` on the refined structures (after [`Model::with_atoms`]), their images
    /// chosen at the starting values.
    ///
    /// # Errors
    /// As [`crate::restraint::Prepared::all`].
    pub fn with_restraints(mut self, restraints: &[crate::Restraint]) -> crate::Result<Self> {
        self.restraints = crate::restraint::Prepared::all(&self, &self.starts(), restraints)?;
        Ok(self)
    }

    /// Offers each phase whose intensities come from its structure a spherical-harmonic texture
    /// of even orders 2 … `order` ([`crate::harmonics`]): its coefficients (start 0, within
    /// ±[`HARMONIC_BOUND`]) after every other parameter, and the harmonics at each member's
    /// normal (at the starting cell: a refined cell turns the normals by far less than a
    /// texture varies over).
    ///
    /// # Errors
    /// A structure whose symmetry cannot be read.
    pub fn with_harmonics(mut self, phases: &[crate::Phase], order: u8) -> crate::Result<Self> {
        let names: Vec<String> = self.phases.iter().map(|ph| ph.name.clone()).collect();
        let mut pushes = Vec::new();
        for (p, (ph, phase)) in self.phases.iter_mut().zip(phases).enumerate() {
            if !matches!(phase.intensities(), crate::Intensities::Structure) {
                continue;
            }
            let basis = crate::harmonics::HarmonicBasis::of_structure(phase.structure(), order)?;
            if basis.len() == 0 {
                continue;
            }
            // A reflection's normal in Cartesian axes: q = M⁻¹ h, M's rows the basis vectors.
            let m = phase.structure().lattice().matrix();
            let m = nalgebra::Matrix3::from_fn(|i, j| m[i][j]);
            let m_inv = m.try_inverse().unwrap_or_else(nalgebra::Matrix3::identity);
            let values = ph
                .peaks
                .iter()
                .map(|pk| {
                    pk.members
                        .iter()
                        .map(|mb| {
                            let h = nalgebra::Vector3::from(mb.hkl.map(f64::from));
                            basis.values((m_inv * h).into())
                        })
                        .collect()
                })
                .collect();
            let mut seen = [0u8; 256];
            for l in basis.orders() {
                pushes.push((p, l, seen[usize::from(l)]));
                seen[usize::from(l)] += 1;
            }
            ph.harmonics = Some(std::sync::Arc::new(crate::phase::HarmonicTable { values }));
        }
        let cells: Vec<Vec<String>> = self.phases.iter().map(|ph| ph.cell.names()).collect();
        let owners = Owners {
            phases: &names,
            cells: &cells,
            references: &[],
            sites: &[],
        };
        for (p, l, k) in pushes {
            self.table.push(
                Id::Harmonic(p, l, k),
                &owners,
                0.0,
                -HARMONIC_BOUND,
                HARMONIC_BOUND,
            );
        }
        self.layout = Layout::of(&self.table);
        Ok(self)
    }

    /// The harmonic texture's weight W = 1 + Σ cᵢ Kᵢ of member `j` of peak `k` of phase `p`,
    /// or none where the phase has no harmonic texture on.
    fn harmonic_weight(
        &self,
        choices: &Choices,
        values: &[f64],
        p: usize,
        k: usize,
        j: usize,
    ) -> Option<f64> {
        if !choices.harmonics(p) {
            return None;
        }
        let table = self.phases[p].harmonics.as_ref()?;
        let c = &values[self.layout.phases[p].harmonics.clone()];
        Some(
            1.0 + table.values[k][j]
                .iter()
                .zip(c)
                .map(|(a, b)| a * b)
                .sum::<f64>(),
        )
    }

    /// The smallest and largest harmonic-texture weight over phase `p`'s reflections at
    /// `values`, or none where it has no harmonic texture on.
    pub fn harmonic_range(
        &self,
        choices: &Choices,
        values: &[f64],
        p: usize,
    ) -> Option<(f64, f64)> {
        let table = self.phases[p].harmonics.as_ref()?;
        let mut range: Option<(f64, f64)> = None;
        for (k, peak) in table.values.iter().enumerate() {
            for j in 0..peak.len() {
                let w = self.harmonic_weight(choices, values, p, k, j)?;
                range = Some(range.map_or((w, w), |(lo, hi)| (lo.min(w), hi.max(w))));
            }
        }
        range
    }

    /// Σ r² of the restraints at `values`.
    pub fn restraint_chi2(&self, values: &[f64]) -> f64 {
        self.restraints
            .iter()
            .map(|r| r.residual(self, values).powi(2))
            .sum()
    }

    /// Each phase's |F|² (and derivatives, with `derivatives`) from its refined structure at
    /// `values`; none for a phase whose structure is not refined.
    fn structures(&self, values: &[f64], derivatives: bool) -> Vec<Option<StructureF2>> {
        self.phases
            .iter()
            .zip(&self.layout.phases)
            .map(|(ph, pi)| {
                ph.atoms
                    .as_ref()
                    .map(|a| a.evaluate(&values[pi.sites.clone()], derivatives))
            })
            .collect()
    }

    /// Each reference at unit scale and its shift in `values`, at every point.
    pub fn reference_curves(&self, values: &[f64]) -> Vec<Vec<f64>> {
        self.references
            .iter()
            .zip(&self.layout.references)
            .map(|(r, &(_, shift))| {
                self.tt
                    .iter()
                    .map(|&t| r.value_and_slope(t - values[shift]).0)
                    .collect()
            })
            .collect()
    }

    /// Each broad peak of the background at unit area, at its position and width in `values`.
    pub fn hump_curves(&self, values: &[f64]) -> Vec<Vec<f64>> {
        self.layout
            .humps
            .iter()
            .map(|h| {
                let (pos, fwhm) = (values[h.position], values[h.fwhm]);
                self.tt
                    .iter()
                    .map(|t| self.shape.value(t - pos, fwhm, 0.5, 0.0))
                    .collect()
            })
            .collect()
    }

    /// The Chebyshev terms of the background at every point: `table[k][i]` = T_k(x_i).
    pub fn chebyshev_table(&self) -> &[Vec<f64>] {
        &self.cheb
    }

    /// Every parameter's start: the working vector of a cold fit.
    pub fn starts(&self) -> Vec<f64> {
        self.table.starts()
    }

    /// The instrument of parameter `values` (with the monochromator, polarisation and capillary of
    /// the start).
    pub fn instrument(&self, values: &[f64], refined: bool) -> Instrument {
        let [u, v, w, x, y] = self.layout.widths.map(|i| values[i]);
        Instrument {
            u,
            v,
            w,
            x,
            y,
            asymmetry: values[self.layout.asymmetry],
            zero: values[self.layout.zero],
            monochromator: self.monochromator,
            polarisation: self.polarisation,
            capillary_mu_r: self.capillary.as_ref().map(CapillaryTable::mu_r),
            axial: self.axial,
            refined,
            probe: self.probe,
            geometry: self.geometry,
        }
    }

    /// Whether the pattern's 2θ range tells a Debye–Scherrer sample's offset along the beam
    /// (sin 2θ) from the cell (a shift ∝ tan θ) and the offset across it (cos 2θ): the multiple
    /// correlation of the first with the other two over the points is below
    /// [`ALONG_OFFSET_MAX_CORRELATION`]. Over PbSO4's neutron range (19–120°) it is 0.984; over
    /// a synchrotron's 3–32°, 0.9999, where the offset along the beam moves peaks as the cell
    /// does. False without that offset.
    pub fn along_offset_determined(&self) -> bool {
        self.along_offset_correlation()
            .is_some_and(|r| r < ALONG_OFFSET_MAX_CORRELATION)
    }

    /// The multiple correlation of [`Model::along_offset_determined`], or none without a
    /// Debye–Scherrer offset along the beam (computed once, with the model).
    pub fn along_offset_correlation(&self) -> Option<f64> {
        self.along_correlation
    }

    /// The shift (°) of a peak at Bragg angle `theta` (radians) at parameter `values`: the zero
    /// and the specimen's displacement terms.
    pub fn shift(&self, values: &[f64], theta: f64) -> f64 {
        let l = &self.layout;
        let ([across, along], _) = self.geometry.terms(theta);
        values[l.zero]
            + values[l.displacement] * across
            + l.displacement_along.map_or(0.0, |i| values[i] * along)
    }

    /// The calculated pattern at `values`; with `jac`, the derivative of each point with
    /// respect to each parameter that has a column (`cols[i]`: the column and the parameter's
    /// coefficient in its variable, [`crate::constraints::Constraints::columns`]), added into
    /// `jac`; with `parts`, the background and each phase's curve.
    pub fn evaluate(
        &self,
        choices: &Choices,
        values: &[f64],
        mut jac: Option<(&[Column], &mut DMatrix<f64>)>,
        mut parts: Option<&mut Parts>,
    ) -> Vec<f64> {
        let n = self.tt.len();
        let mut y = vec![0.0; n];
        let l = &self.layout;
        // Background: the Chebyshev terms, then the humps.
        for (k, t) in self.cheb.iter().enumerate() {
            let c = values[l.background.start + k];
            for (yi, tk) in y.iter_mut().zip(t) {
                *yi += c * tk;
            }
            if let Some((cols, j)) = jac.as_mut()
                && let Some((col, m)) = cols[l.background.start + k]
            {
                j.column_mut(col)
                    .iter_mut()
                    .zip(t)
                    .for_each(|(o, tk)| *o += m * tk);
            }
        }
        for h in &l.humps {
            let (area, pos, fwhm) = (values[h.area], values[h.position], values[h.fwhm]);
            let (a, b) = self.reach(pos, fwhm);
            for i in a..b {
                let v = self.shape.at(self.tt[i] - pos, fwhm, 0.5, 0.0);
                y[i] += area * v.v;
                if let Some((cols, j)) = jac.as_mut() {
                    for (k, d) in [
                        (h.area, v.v),
                        (h.position, area * v.d_centre),
                        (h.fwhm, area * v.d_h),
                    ] {
                        if let Some((c, m)) = cols[k] {
                            j[(i, c)] += m * d;
                        }
                    }
                }
            }
        }
        if let Some(parts) = parts.as_mut() {
            parts.background = y.clone();
            parts.phases = Vec::new();
            parts.references = Vec::new();
        }
        let structures = self.structures(values, jac.is_some());
        let structures = &structures[..];
        if let Some(parts) = parts.as_mut() {
            // Each phase's curve for the output: one phase after another.
            for (p, ph) in self.phases.iter().enumerate() {
                let before = y.clone();
                let items: Vec<(usize, usize)> = (0..ph.peaks.len()).map(|k| (p, k)).collect();
                self.add_peaks(
                    choices,
                    values,
                    structures,
                    &items,
                    &mut y,
                    jac.as_mut().map(|(c, j)| (*c, &mut **j)),
                );
                parts
                    .phases
                    .push(y.iter().zip(&before).map(|(a, b)| a - b).collect());
            }
        } else {
            let items: Vec<(usize, usize)> = self
                .phases
                .iter()
                .enumerate()
                .flat_map(|(p, ph)| (0..ph.peaks.len()).map(move |k| (p, k)))
                .collect();
            // Two halves of the peaks on the two cores when there is enough work, the second
            // into buffers of its own added after: the same split whatever the thread count,
            // so the result does not depend on it.
            if items.len() >= PARALLEL_PEAKS && n >= PARALLEL_POINTS {
                let (first, second) = items.split_at(items.len() / 2);
                let width = jac.as_ref().map_or(0, |(_, j)| j.ncols());
                let cols = jac.as_ref().map(|(c, _)| *c);
                let (_, (y2, j2)) = rayon::join(
                    || {
                        self.add_peaks(
                            choices,
                            values,
                            structures,
                            first,
                            &mut y,
                            jac.as_mut().map(|(c, j)| (*c, &mut **j)),
                        )
                    },
                    || {
                        let mut y2 = vec![0.0; n];
                        let mut j2 = cols.map(|_| DMatrix::zeros(n, width));
                        self.add_peaks(
                            choices,
                            values,
                            structures,
                            second,
                            &mut y2,
                            cols.zip(j2.as_mut()),
                        );
                        (y2, j2)
                    },
                );
                y.iter_mut().zip(&y2).for_each(|(a, b)| *a += b);
                if let (Some((_, j)), Some(j2)) = (jac.as_mut(), j2) {
                    **j += j2;
                }
            } else {
                self.add_peaks(
                    choices,
                    values,
                    structures,
                    &items,
                    &mut y,
                    jac.as_mut().map(|(c, j)| (*c, &mut **j)),
                );
            }
        }
        // Measured references: s · r(2θ − δ).
        for (r, &(scale, shift)) in self.references.iter().zip(&l.references) {
            let (s, d) = (values[scale], values[shift]);
            let mut curve = parts.as_ref().map(|_| Vec::with_capacity(n));
            for (i, &t) in self.tt.iter().enumerate() {
                let (v, slope) = r.value_and_slope(t - d);
                y[i] += s * v;
                if let Some(c) = curve.as_mut() {
                    c.push(s * v);
                }
                if let Some((cols, j)) = jac.as_mut() {
                    if let Some((c, m)) = cols[scale] {
                        j[(i, c)] += m * v;
                    }
                    if let Some((c, m)) = cols[shift] {
                        j[(i, c)] -= m * (s * slope);
                    }
                }
            }
            if let (Some(parts), Some(c)) = (parts.as_mut(), curve) {
                parts.references.push(c);
            }
        }
        y
    }

    /// Each peak's curve of phase `p` at `values`, its lines summed, at the peak's own
    /// intensity (its texture's weights included) or (`unit`) at unit |F|²: (first point, values at the points from there),
    /// empty for a peak out of reach. Pawley's intensities are solved on these.
    pub fn peak_curves(
        &self,
        choices: &Choices,
        values: &[f64],
        p: usize,
        unit: bool,
    ) -> Vec<(usize, Vec<f64>)> {
        let pi = &self.layout.phases[p];
        let cell = &values[pi.cell.clone()];
        let mut derivs = Vec::new();
        let mut out = Vec::with_capacity(self.phases[p].peaks.len());
        let structure = self.phases[p]
            .atoms
            .as_ref()
            .map(|a| a.evaluate(&values[pi.sites.clone()], false));
        for (k, peak) in self.phases[p].peaks.iter().enumerate() {
            let inv_d2 = peak.inv_d2(cell);
            if inv_d2 <= 0.0 {
                out.push((0, Vec::new()));
                continue;
            }
            let g = inv_d2.sqrt();
            let mut lines = Vec::new();
            for &(lambda, ratio) in &self.lines {
                if lambda * g / 2.0 >= 0.999_999 {
                    continue;
                }
                let line = self.line(
                    values,
                    p,
                    &peak.d_inv_d2,
                    inv_d2,
                    g,
                    lambda,
                    ratio,
                    if unit {
                        1.0
                    } else {
                        self.weighted_f2(choices, values, structure.as_ref(), p, k)
                            .0
                    },
                    0.0,
                    None,
                    &mut derivs,
                );
                let kernel = self.kernel(&line);
                let (a, b) = self.line_reach(&line, kernel.as_ref());
                if a < b {
                    lines.push((a, b, line, kernel));
                }
            }
            let Some(first) = lines.iter().map(|l| l.0).min() else {
                out.push((0, Vec::new()));
                continue;
            };
            let last = lines.iter().map(|l| l.1).max().unwrap_or(first);
            let mut curve = vec![0.0; last - first];
            for (a, b, line, kernel) in lines {
                for i in a..b {
                    curve[i - first] += line.intensity
                        * self.profile_value(kernel.as_ref(), self.tt[i] - line.centre, &line);
                }
            }
            out.push((first, curve));
        }
        out
    }

    /// The indices of the points within ±REACH·h of `centre`.
    fn reach(&self, centre: f64, h: f64) -> (usize, usize) {
        let r = REACH * h;
        let a = self.tt.partition_point(|&t| t < centre - r);
        let b = self.tt.partition_point(|&t| t <= centre + r);
        (a, b)
    }

    /// The points a line reaches: ±REACH·h, and its axial-divergence tail beyond on its side.
    fn line_reach(&self, line: &Line, kernel: Option<&Kernel>) -> (usize, usize) {
        let r = REACH * line.h;
        let (lo, hi) = match kernel {
            Some(k) if k.low_side => (r + k.extent, r),
            Some(k) => (r, r + k.extent),
            None => (r, r),
        };
        let a = self.tt.partition_point(|&t| t < line.centre - lo);
        let b = self.tt.partition_point(|&t| t <= line.centre + hi);
        (a, b)
    }

    /// The FCJ convolution of a line, where the instrument has axial divergence and it is not
    /// negligible beside the line's width.
    fn kernel(&self, line: &Line) -> Option<Kernel> {
        Kernel::new(self.axial.as_ref()?, line.centre, line.h)
    }

    /// A line's unit-area profile at `x` = 2θ − centre, convolved with its kernel.
    fn profile_value(&self, kernel: Option<&Kernel>, x: f64, line: &Line) -> f64 {
        match kernel {
            None => self.shape.value(x, line.h, line.eta, line.asym),
            Some(k) => (0..k.n)
                .map(|i| {
                    k.weight[i]
                        * self
                            .shape
                            .value(x + k.offset[i], line.h, line.eta, line.asym)
                })
                .sum(),
        }
    }

    /// A line's unit-area profile at `x` with its derivatives, convolved with its kernel: the
    /// kernel moves with the centre, so its nodes' slopes enter ∂/∂centre.
    fn profile_at(&self, kernel: Option<&Kernel>, x: f64, line: &Line) -> tch::TchValue {
        let Some(k) = kernel else {
            return self.shape.at(x, line.h, line.eta, line.asym);
        };
        let mut out = tch::TchValue {
            v: 0.0,
            d_centre: 0.0,
            d_h: 0.0,
            d_eta: 0.0,
            d_asym: 0.0,
        };
        for i in 0..k.n {
            let v = self.shape.at(x + k.offset[i], line.h, line.eta, line.asym);
            let a = k.weight[i];
            out.v += a * v.v;
            out.d_centre += k.d_weight[i] * v.v + a * v.d_centre * (1.0 - k.d_offset[i]);
            out.d_h += a * v.d_h;
            out.d_eta += a * v.d_eta;
            out.d_asym += a * v.d_asym;
        }
        out
    }

    /// Adds the peaks `items` ((phase, peak) pairs) to `y`, and their derivatives to the columns
    /// `cols` of `jac`.
    #[allow(clippy::too_many_arguments)]
    fn add_peaks(
        &self,
        choices: &Choices,
        values: &[f64],
        structures: &[Option<StructureF2>],
        items: &[(usize, usize)],
        y: &mut [f64],
        mut jac: Option<(&[Column], &mut DMatrix<f64>)>,
    ) {
        let l = &self.layout;
        let mut derivs: Vec<(usize, [f64; 5])> = Vec::new();
        let mut window: [Vec<f64>; 5] = Default::default();
        let mut site_d: Vec<f64> = Vec::new();
        let mut harmonic_d: Vec<f64> = Vec::new();
        for &(p, k) in items {
            let ph = &self.phases[p];
            let peak = &ph.peaks[k];
            let pi = &l.phases[p];
            let cell = &values[pi.cell.clone()];
            let inv_d2 = peak.inv_d2(cell);
            if inv_d2 <= 0.0 {
                continue;
            }
            let g = inv_d2.sqrt();
            let structure = structures.get(p).and_then(Option::as_ref);
            let (tex, dtex) = self.weighted_f2(choices, values, structure, p, k);
            // ∂(Σ |F|² W)/∂(site parameter), when the structure is refined.
            site_d.clear();
            if let (Some(s), Some(_)) = (structure, jac.as_ref()) {
                let n = pi.sites.len();
                site_d.resize(n, 0.0);
                let texture = choices.texture(p).and_then(|t| t.cos2.get(k));
                let r = values[pi.texture];
                for (j, d) in s.d[k].chunks(n).enumerate() {
                    let w = self
                        .harmonic_weight(choices, values, p, k, j)
                        .unwrap_or_else(|| texture.map_or(1.0, |c2| march_dollase(r, c2[j]).0));
                    for (o, dj) in site_d.iter_mut().zip(d) {
                        *o += w * dj;
                    }
                }
            }
            // ∂(Σ |F|² W)/∂(harmonic coefficient): Σ over members of |F|² Kᵢ.
            harmonic_d.clear();
            if jac.is_some()
                && choices.harmonics(p)
                && let Some(table) = ph.harmonics.as_ref()
            {
                harmonic_d.resize(pi.harmonics.len(), 0.0);
                for (j, kj) in table.values[k].iter().enumerate() {
                    let f2 = match structure {
                        Some(s) => s.f2[k][j],
                        None => choices.member_f2(self, p, k, j),
                    };
                    for (o, v) in harmonic_d.iter_mut().zip(kj) {
                        *o += f2 * v;
                    }
                }
            }
            for &(lambda, ratio) in &self.lines {
                let sin = lambda * g / 2.0;
                if sin >= 0.999_999 {
                    continue;
                }
                derivs.clear();
                let line = self.line(
                    values,
                    p,
                    &peak.d_inv_d2,
                    inv_d2,
                    g,
                    lambda,
                    ratio,
                    tex,
                    dtex,
                    jac.as_ref().map(|(c, _)| *c),
                    &mut derivs,
                );
                if let Some((cols, _)) = jac.as_ref()
                    && tex > 0.0
                {
                    let per_tex = line.intensity / tex;
                    for (i, d) in pi
                        .sites
                        .clone()
                        .zip(&site_d)
                        .chain(pi.harmonics.clone().zip(&harmonic_d))
                    {
                        if let Some((c, m)) = cols[i] {
                            derivs.push((c, [m * per_tex * d, 0.0, 0.0, 0.0, 0.0]));
                        }
                    }
                }
                let kernel = self.kernel(&line);
                let kernel = kernel.as_ref();
                let (a, b) = self.line_reach(&line, kernel);
                let Some((_, j)) = jac.as_mut() else {
                    for (yi, t) in y[a..b].iter_mut().zip(&self.tt[a..b]) {
                        *yi += line.intensity * self.profile_value(kernel, t - line.centre, &line);
                    }
                    continue;
                };
                // The five profile derivatives of each point in reach, then each column
                // filled in one contiguous run.
                window.iter_mut().for_each(Vec::clear);
                for (yi, t) in y[a..b].iter_mut().zip(&self.tt[a..b]) {
                    let v = self.profile_at(kernel, t - line.centre, &line);
                    *yi += line.intensity * v.v;
                    window[0].push(v.v);
                    window[1].push(line.intensity * v.d_centre);
                    window[2].push(line.intensity * v.d_h);
                    window[3].push(line.intensity * v.d_eta);
                    window[4].push(line.intensity * v.d_asym);
                }
                let rows = j.nrows();
                let js = j.as_mut_slice();
                for (c, d) in &derivs {
                    fill_column(&mut js[c * rows + a..c * rows + b], d, &window);
                }
            }
        }
    }

    /// Σ |F|² W of peak `k` of phase `p` (its members' |F|² from the refined structure, the
    /// fit's extraction or the preparation, each weighted by the March–Dollase W of the
    /// phase's texture) and its derivative in the texture's r.
    fn weighted_f2(
        &self,
        choices: &Choices,
        values: &[f64],
        structure: Option<&StructureF2>,
        p: usize,
        k: usize,
    ) -> (f64, f64) {
        let member_f2 = |j: usize| match structure {
            Some(s) => s.f2[k][j],
            None => choices.member_f2(self, p, k, j),
        };
        if choices.harmonics(p)
            && let Some(table) = self.phases[p].harmonics.as_ref()
        {
            let tex = (0..table.values[k].len())
                .map(|j| {
                    member_f2(j)
                        * self
                            .harmonic_weight(choices, values, p, k, j)
                            .unwrap_or(1.0)
                })
                .sum();
            return (tex, 0.0);
        }
        match choices.texture(p).and_then(|t| t.cos2.get(k)) {
            Some(c2) => {
                let r = values[self.layout.phases[p].texture];
                c2.iter().enumerate().fold((0.0, 0.0), |(t, dt), (j, &c)| {
                    let f2 = member_f2(j);
                    let (w, dw) = march_dollase(r, c);
                    (t + f2 * w, dt + f2 * dw)
                })
            }
            None => match structure {
                Some(s) => (s.f2[k].iter().sum(), 0.0),
                None => (choices.peak_f2(self, p, k), 0.0),
            },
        }
    }

    /// One line of one peak: its profile quantities, and (with `cols`) their derivatives with
    /// respect to each parameter with a column, pushed to `derivs`.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        values: &[f64],
        p: usize,
        d_inv_d2: &[f64],
        inv_d2: f64,
        g: f64,
        lambda: f64,
        ratio: f64,
        tex: f64,
        dtex: f64,
        cols: Option<&[Column]>,
        derivs: &mut Vec<(usize, [f64; 5])>,
    ) -> Line {
        let l = &self.layout;
        let pi = &l.phases[p];
        let [u, v, w, x, y] = l.widths.map(|i| values[i]);
        let (zero, asym) = (values[l.zero], values[l.asymmetry]);
        let (scale, b) = (values[pi.scale], values[pi.b]);
        let (size, strain) = (values[pi.size], values[pi.strain]);
        let theta = (lambda * g / 2.0).asin();
        // The displacement terms (across and along the beam) and their shapes in θ.
        let disp = [
            values[l.displacement],
            l.displacement_along.map_or(0.0, |i| values[i]),
        ];
        let (terms, dterms) = self.geometry.terms(theta);
        let (sin, cos) = theta.sin_cos();
        let tan = sin / cos;
        let sec2 = 1.0 / (cos * cos);
        // Widths.
        let hg2_raw = u * tan * tan + v * tan + w;
        let clamped = hg2_raw < MIN_GAUSSIAN * MIN_GAUSSIAN;
        let hg = if clamped {
            MIN_GAUSSIAN
        } else {
            hg2_raw.sqrt()
        };
        let hl = ((x + strain) * tan + (y + size) / cos).max(0.0);
        let wd = tch::widths(hg, hl);
        let cot = 1.0 / tan;
        let (lp, dlp) = lorentz_polarisation(theta, self.monochromator, self.polarisation);
        // The capillary's absorption is one more factor of θ: folded into the LP factor and its
        // derivative, which is all the Jacobian below needs.
        let (lp, dlp) = match &self.capillary {
            None => (lp, dlp),
            Some(table) => {
                let (a, da) = table.at(theta);
                (lp * a, dlp * a + lp * da)
            }
        };
        let dw = (-b * inv_d2 / 2.0).exp();
        let i0 = ratio * tex * lp * dw;
        let intensity = scale * i0;
        let line = Line {
            intensity,
            centre: DEG2 * theta + zero + disp[0] * terms[0] + disp[1] * terms[1],
            h: wd.h,
            eta: wd.eta,
            asym: asym * cot,
        };
        let Some(cols) = cols else {
            return line;
        };
        let mut push = |i: usize, d: [f64; 5]| {
            if let Some((c, m)) = cols[i] {
                derivs.push((c, d.map(|d| m * d)));
            }
        };
        // Through the Gaussian and Lorentzian widths.
        let via = |dg: f64, dl: f64| -> (f64, f64) {
            (
                wd.dh_dg * dg + wd.dh_dl * dl,
                wd.deta_dg * dg + wd.deta_dl * dl,
            )
        };
        let dhg = |d_hg2: f64| if clamped { 0.0 } else { d_hg2 / (2.0 * hg) };
        push(pi.scale, [i0, 0.0, 0.0, 0.0, 0.0]);
        push(pi.b, [-inv_d2 / 2.0 * intensity, 0.0, 0.0, 0.0, 0.0]);
        push(
            pi.texture,
            [scale * ratio * dtex * lp * dw, 0.0, 0.0, 0.0, 0.0],
        );
        let (dh, de) = via(0.0, 1.0 / cos);
        push(pi.size, [0.0, 0.0, dh, de, 0.0]);
        let (dh, de) = via(0.0, tan);
        push(pi.strain, [0.0, 0.0, dh, de, 0.0]);
        push(l.zero, [0.0, 1.0, 0.0, 0.0, 0.0]);
        push(l.displacement, [0.0, terms[0], 0.0, 0.0, 0.0]);
        if let Some(i) = l.displacement_along {
            push(i, [0.0, terms[1], 0.0, 0.0, 0.0]);
        }
        for (k, d_hg2) in [tan * tan, tan, 1.0].into_iter().enumerate() {
            let (dh, de) = via(dhg(d_hg2), 0.0);
            push(l.widths[k], [0.0, 0.0, dh, de, 0.0]);
        }
        let (dh, de) = via(0.0, tan);
        push(l.widths[3], [0.0, 0.0, dh, de, 0.0]);
        let (dh, de) = via(0.0, 1.0 / cos);
        push(l.widths[4], [0.0, 0.0, dh, de, 0.0]);
        push(l.asymmetry, [0.0, 0.0, 0.0, 0.0, cot]);
        // Cell: through 1/d² = inv_d2, into θ and the Debye–Waller factor.
        let dtheta_dinv_d2 = lambda / (4.0 * g * cos);
        let hl_on = (x + strain) * tan + (y + size) / cos > 0.0;
        let dhg_dtheta = dhg((2.0 * u * tan + v) * sec2);
        let dhl_dtheta = if hl_on {
            (x + strain) * sec2 + (y + size) * sin * sec2
        } else {
            0.0
        };
        let (dh_dtheta, de_dtheta) = via(dhg_dtheta, dhl_dtheta);
        let per_inv_d2 = [
            intensity * (dlp / lp * dtheta_dinv_d2 - b / 2.0),
            (DEG2 + disp[0] * dterms[0] + disp[1] * dterms[1]) * dtheta_dinv_d2,
            dh_dtheta * dtheta_dinv_d2,
            de_dtheta * dtheta_dinv_d2,
            -asym / (sin * sin) * dtheta_dinv_d2,
        ];
        for (i, &m) in pi.cell.clone().zip(d_inv_d2) {
            push(i, per_inv_d2.map(|d| d * m));
        }
        line
    }
}

/// Adds Σ_k d[k]·window[k] to `col`, point by point, over the terms with d[k] ≠ 0 only: most
/// parameters move one or two of a line's five profile quantities (a scale its intensity, a
/// width H and η), so most terms are zero. The terms kept are summed in the order of
/// [`fill_column_naive`], so the result is the same to the last bit.
fn fill_column(col: &mut [f64], d: &[f64; 5], window: &[Vec<f64>; 5]) {
    let mut k = [0usize; 5];
    let mut m = 0;
    for (i, &x) in d.iter().enumerate() {
        if x != 0.0 {
            k[m] = i;
            m += 1;
        }
    }
    let n = col.len();
    let w = |i: usize| &window[k[i]][..n];
    let c = |i: usize| d[k[i]];
    match m {
        0 => {}
        1 => {
            let (w0, c0) = (w(0), c(0));
            for (o, a) in col.iter_mut().zip(w0) {
                *o += c0 * a;
            }
        }
        2 => {
            let (w0, w1, c0, c1) = (w(0), w(1), c(0), c(1));
            for ((o, a), b) in col.iter_mut().zip(w0).zip(w1) {
                *o += c0 * a + c1 * b;
            }
        }
        _ => fill_column_naive(col, d, window),
    }
}

/// [`fill_column`] term by term, every term (the reference of its test).
fn fill_column_naive(col: &mut [f64], d: &[f64; 5], window: &[Vec<f64>; 5]) {
    for (i, o) in col.iter_mut().enumerate() {
        *o += d[0] * window[0][i]
            + d[1] * window[1][i]
            + d[2] * window[2][i]
            + d[3] * window[3][i]
            + d[4] * window[4][i];
    }
}

/// The multiple correlation of a Debye–Scherrer offset along the beam (sin 2θ) with the offset
/// across it (cos 2θ) and the cell (tan θ) over the points `tt` (° 2θ). Every point weighs alike
/// and the zero counts as held (the offsets are freed where it is); a heuristic of the range,
/// not of the fit.
fn along_offset_correlation(tt: &[f64]) -> f64 {
    // Least squares of y = sin 2θ on a = cos 2θ and b = tan θ, through the origin (the zero
    // is held where the offsets are refined): R² = 1 − |residual|² / |y|².
    let (mut aa, mut ab, mut bb, mut ay, mut by, mut yy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &t in tt {
        let t = t.to_radians();
        let (a, b, y) = (t.cos(), (t / 2.0).tan(), t.sin());
        aa += a * a;
        ab += a * b;
        bb += b * b;
        ay += a * y;
        by += b * y;
        yy += y * y;
    }
    let det = aa * bb - ab * ab;
    if !(det > 0.0 && yy > 0.0) {
        // Degenerate (a single point): nothing tells it apart.
        return 1.0;
    }
    // The fitted part's norm: cᵀ(Aᵀy) with c = (AᵀA)⁻¹Aᵀy.
    let explained = (bb * ay * ay - 2.0 * ab * ay * by + aa * by * by) / det;
    (explained / yy).clamp(0.0, 1.0).sqrt()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::phase::{Phase, PhaseModel};
    use xrd_sim::Structure;

    const RUTILE: &str = "data_rutile\n_cell_length_a 4.594\n_cell_length_b 4.594\n_cell_length_c 2.959\n\
        _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
        loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'-x,-y,z'\n'-y+1/2,x+1/2,z+1/2'\n'y+1/2,-x+1/2,z+1/2'\n\
        '-x+1/2,y+1/2,-z+1/2'\n'x+1/2,-y+1/2,-z+1/2'\n'y,x,-z'\n'-y,-x,-z'\n'-x,-y,-z'\n'x,y,-z'\n\
        'y+1/2,-x+1/2,-z+1/2'\n'-y+1/2,x+1/2,-z+1/2'\n'x+1/2,-y+1/2,z+1/2'\n'-x+1/2,y+1/2,z+1/2'\n'-y,-x,z'\n'y,x,z'\n\
        loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
        Ti 0 0 0\nO 0.3048 0.3048 0\n";

    /// A monoclinic cell (four free cell parameters) with one atom in a general position.
    const MONO: &str = "data_mono\n_cell_length_a 5.1\n_cell_length_b 5.2\n_cell_length_c 5.3\n\
        _cell_angle_alpha 90\n_cell_angle_beta 99.2\n_cell_angle_gamma 90\n\
        loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'-x,y+1/2,-z+1/2'\n'-x,-y,-z'\n'x,-y+1/2,z+1/2'\n\
        loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
        Zr 0.276 0.040 0.208\nO 0.070 0.332 0.345\n";

    /// Two phases (tetragonal, monoclinic), textured, one hump, every parameter away from
    /// its start.
    pub(crate) fn model() -> (Model, Vec<f64>, Choices) {
        model_with(&Instrument::default())
    }

    fn model_with(instrument: &Instrument) -> (Model, Vec<f64>, Choices) {
        let phases: Vec<Phase> = [RUTILE, MONO]
            .iter()
            .map(|c| Phase::new("p", Structure::from_cif(c).unwrap()).unwrap())
            .collect();
        let tt: Vec<f64> = (0..1500).map(|i| 20.0 + 0.02 * i as f64).collect();

        let pm = phases
            .iter()
            .map(|p| PhaseModel::new(p, Wavelength::CU_KA, (20.0, 50.0), 3.0).unwrap())
            .collect();
        let m = Model::new(tt, Wavelength::CU_KA, pm, instrument, 4, 1, 1000.0);
        let mut v = m.starts();
        let l = m.layout.clone();
        for (k, i) in l.background.clone().enumerate() {
            v[i] = 30.0 / (k as f64 + 1.0);
        }
        v[l.humps[0].area] = 500.0;
        v[l.zero] = 0.03;
        v[l.displacement] = -0.02;
        if let Some(i) = l.displacement_along {
            // Not 0.015: that puts a peak's window edge across a grid point, where the
            // difference quotient jumps.
            v[i] = 0.012;
        }
        for (i, x) in l.widths.iter().zip([0.004, -0.002, 0.003, 0.01, 0.02]) {
            v[*i] = x;
        }
        v[l.asymmetry] = -0.02;
        for (p, pi) in l.phases.iter().enumerate() {
            v[pi.scale] = 1e-3 * (p as f64 + 1.0);
            v[pi.b] = 0.4;
            v[pi.size] = 0.03;
            v[pi.strain] = 0.02;
            v[pi.texture] = 0.8;
        }
        let mut c = Choices::none(&m);
        c.set_texture(&m, 0, Some([0, 0, 1]), &v);
        c.set_texture(&m, 1, Some([1, 1, 0]), &v);
        (m, v, c)
    }

    /// A broad background peak's width is set in Q: at 0.2413 Å its start and bounds in 2θ are
    /// λ / 1.5406 of Cu Kα's.
    #[test]
    fn hump_widths_follow_the_wavelength() {
        let fwhm = |w: Wavelength| {
            let tt: Vec<f64> = (0..500).map(|i| 1.0 + 0.03 * f64::from(i)).collect();
            let m = Model::new(tt, w, Vec::new(), &Instrument::default(), 3, 1, 100.0);
            let p = &m.table[m.layout.humps[0].fwhm];
            (p.start, p.lo, p.hi)
        };
        assert_eq!(fwhm(Wavelength::CU_KA), (8.0, 1.0, 60.0));
        let s = 0.2413 / Wavelength::CU_KA.angstrom();
        let (start, lo, hi) = fwhm(Wavelength::synchrotron(0.2413));
        assert!(
            (start - 8.0 * s).abs() < 1e-12
                && (lo - s).abs() < 1e-12
                && (hi - 60.0 * s).abs() < 1e-12
        );
    }

    #[test]
    fn jacobian_matches_central_differences() {
        jacobian_check(&Instrument::default());
    }

    /// A Debye–Scherrer specimen: offsets across (cos 2θ) and along (sin 2θ) the beam, each its
    /// own column, and the peaks where those terms put them.
    #[test]
    fn debye_scherrer_offsets_match_central_differences() {
        let ds = Instrument {
            geometry: crate::SampleGeometry::DebyeScherrer,
            ..Instrument::default()
        };
        jacobian_check(&ds);
        let (m, v, _) = model_with(&ds);
        let along = m.layout.displacement_along.expect("a second offset");
        assert_eq!(
            m.table[along].key.to_string(),
            "specimen.displacement_along"
        );
        let theta = 40f64.to_radians();
        let expected = 0.03 - 0.02 * (2.0 * theta).cos() + 0.012 * (2.0 * theta).sin();
        assert!((m.shift(&v, theta) - expected).abs() < 1e-15);
        // Bragg–Brentano has one term, × cos θ.
        let (bb, v, _) = model_with(&Instrument::default());
        assert!(bb.layout.displacement_along.is_none());
        assert!((bb.shift(&v, theta) - (0.03 - 0.02 * theta.cos())).abs() < 1e-15);
        assert_eq!(bb.table.len() + 1, m.table.len());
        // Whether the range tells the offset along the beam from the cell.
        let over = |lo: f64, hi: f64, instrument: &Instrument| {
            let tt: Vec<f64> = (0..2000)
                .map(|i| lo + (hi - lo) * f64::from(i) / 1999.0)
                .collect();
            Model::new(tt, Wavelength::CU_KA, Vec::new(), instrument, 3, 0, 100.0)
                .along_offset_determined()
        };
        assert!(over(19.0, 120.0, &ds) && over(10.0, 140.0, &ds));
        assert!(!over(3.0, 32.0, &ds) && !over(5.0, 60.0, &ds));
        assert!(
            !over(10.0, 140.0, &Instrument::default()),
            "a plate has none"
        );
    }

    /// With the structures refined: every site parameter's column too, textured.
    #[test]
    fn jacobian_with_atoms_matches_central_differences() {
        jacobian_with_atoms(false);
        jacobian_with_atoms(true);
    }

    fn jacobian_with_atoms(anisotropic: bool) {
        let (m, mut v, c) = model_with(&Instrument::default());
        let phases: Vec<Phase> = [RUTILE, MONO]
            .iter()
            .map(|c| Phase::new("p", Structure::from_cif(c).unwrap()).unwrap())
            .collect();
        let n0 = v.len();
        let m = m.with_atoms(&phases, anisotropic).unwrap();
        // Rutile: Ti (2a, fixed) and O (4f: x, x, 0) — one coordinate; the monoclinic
        // phase's two general sites three each; U (or its free components: 3 on rutile's
        // sites, 6 on a general one) and occupancy per site.
        let n = if anisotropic {
            (4 + 5) + 2 * 10
        } else {
            (2 + 3) + (5 + 5)
        };
        assert_eq!(m.table.len() - n0, n);
        let names: Vec<String> = m.table.keys()[n0..].iter().map(|k| k.to_string()).collect();
        assert!(names.contains(&"p.site.O.x".to_string()), "{names:?}");
        v.extend(m.table.starts()[n0..].iter());
        for (k, x) in v[n0..].iter_mut().enumerate() {
            *x += 0.002 * ((k % 3) as f64 + 1.0);
        }
        assert_jacobian(&m, &v, &c);
    }

    /// With harmonic textures (tetragonal and monoclinic Laue classes, order 4) on refined
    /// structures: the coefficients' columns, and the sites' columns weighted by them.
    #[test]
    fn jacobian_with_harmonic_texture_matches_central_differences() {
        let (m, mut v, mut c) = model_with(&Instrument::default());
        let phases: Vec<Phase> = [RUTILE, MONO]
            .iter()
            .map(|c| Phase::new("p", Structure::from_cif(c).unwrap()).unwrap())
            .collect();
        let m = m.with_atoms(&phases, false).unwrap();
        let n0 = m.table.len();
        let m = m.with_harmonics(&phases, 4).unwrap();
        // 4/mmm: one order-2 and two order-4 harmonics; 2/m: three and five.
        assert_eq!(m.layout.phases[0].harmonics.len(), 3);
        assert_eq!(m.layout.phases[1].harmonics.len(), 8);
        let names: Vec<String> = m.table.keys()[n0..].iter().map(|k| k.to_string()).collect();
        assert_eq!(
            names[..3],
            ["p.harmonic.2.0", "p.harmonic.4.0", "p.harmonic.4.1"]
        );
        v.extend(m.table.starts()[v.len()..].iter());
        for (k, x) in v[n0 - 15..].iter_mut().enumerate() {
            *x += 0.002 * ((k % 3) as f64 + 1.0);
        }
        for (k, x) in v[n0..].iter_mut().enumerate() {
            *x = 0.05 * ((k % 5) as f64 - 2.0) + 0.01;
        }
        c.set_harmonics(0, true);
        c.set_harmonics(1, true);
        // The harmonics replace March–Dollase: its r no longer acts.
        let inert: Vec<usize> = m.layout.phases.iter().map(|pi| pi.texture).collect();
        assert_jacobian_except(&m, &v, &c, &inert);
        let (lo, hi) = m.harmonic_range(&c, &v, 1).unwrap();
        assert!(lo < 1.0 && hi > 1.0, "{lo} {hi}");
    }

    /// With FCJ axial divergence: every column through the convolution, the centre's through
    /// the kernel's own motion too; and the tail lies on the low-angle side.
    #[test]
    fn jacobian_with_axial_divergence_matches_central_differences() {
        let lab = Instrument {
            axial: Some(crate::AxialDivergence {
                s_l: 0.02,
                h_l: 0.012,
            }),
            ..Instrument::default()
        };
        jacobian_check(&lab);
        let (m, v, c) = model_with(&lab);
        let plain = model_with(&Instrument::default());
        let (a, b) = (
            m.evaluate(&c, &v, None, None),
            plain.0.evaluate(&plain.2, &plain.1, None, None),
        );
        // The first strong peak's centroid moves down in 2θ, its area stays.
        let (lo, hi) = (25.0, 29.0);
        let moments = |y: &[f64], base: &[f64]| {
            let (mut m0, mut m1) = (0.0, 0.0);
            for ((t, y), b0) in m.tt.iter().zip(y).zip(base) {
                if (lo..hi).contains(t) {
                    m0 += y - b0;
                    m1 += (y - b0) * t;
                }
            }
            (m0, m1 / m0)
        };
        let mut background = v.clone();
        for pi in &m.layout.phases {
            background[pi.scale] = 0.0;
        }
        let base = m.evaluate(&c, &background, None, None);
        let ((area_a, mean_a), (area_b, mean_b)) = (moments(&a, &base), moments(&b, &base));
        assert!(mean_a < mean_b - 0.005, "{mean_a} {mean_b}");
        assert!((area_a / area_b - 1.0).abs() < 0.01, "{area_a} {area_b}");
    }

    #[test]
    fn jacobian_with_polarisation_and_capillary() {
        let synchrotron = Instrument {
            monochromator: Some(26.6),
            polarisation: Some(0.95),
            capillary_mu_r: Some(1.5),
            ..Instrument::default()
        };
        jacobian_check(&synchrotron);
        let (m, v, c) = model_with(&synchrotron);
        // The instrument the model reports keeps the values of the start.
        let back = m.instrument(&v, false);
        assert_eq!(back.polarisation, Some(0.95));
        assert_eq!(back.capillary_mu_r, Some(1.5));
        // The capillary's absorption lifts high angles against low ones.
        let plain = model_with(&Instrument {
            capillary_mu_r: None,
            ..synchrotron.clone()
        });
        let (a, b) = (
            m.evaluate(&c, &v, None, None),
            plain.0.evaluate(&plain.2, &plain.1, None, None),
        );
        let peak = |y: &[f64], lo: f64, hi: f64| {
            m.tt.iter()
                .zip(y)
                .filter(|(t, _)| (lo..hi).contains(*t))
                .map(|(_, y)| *y)
                .fold(0.0, f64::max)
        };
        let ratio = |y: &[f64]| peak(y, 45.0, 50.0) / peak(y, 20.0, 30.0);
        assert!(ratio(&a) > ratio(&b), "{} {}", ratio(&a), ratio(&b));
    }

    fn jacobian_check(instrument: &Instrument) {
        let (m, v, c) = model_with(instrument);
        assert_jacobian(&m, &v, &c);
    }

    /// Every column of the model's Jacobian at `v` against central differences.
    fn assert_jacobian(m: &Model, v: &[f64], c: &Choices) {
        assert_jacobian_except(m, v, c, &[]);
    }

    /// As [`assert_jacobian`], the columns `inert` expected to be zero.
    fn assert_jacobian_except(m: &Model, v: &[f64], c: &Choices, inert: &[usize]) {
        let n = v.len();
        let cols: Vec<Column> = (0..n).map(|i| Some((i, 1.0))).collect();
        let mut j = DMatrix::zeros(m.tt.len(), n);
        m.evaluate(c, v, Some((&cols, &mut j)), None);
        for k in 0..n {
            let h = v[k].abs().max(1e-3) * 1e-6;
            let (mut up, mut down) = (v.to_vec(), v.to_vec());
            up[k] += h;
            down[k] -= h;
            let (fu, fd) = (
                m.evaluate(c, &up, None, None),
                m.evaluate(c, &down, None, None),
            );
            let (mut diff, mut norm) = (0.0, 0.0);
            for i in 0..m.tt.len() {
                let num = (fu[i] - fd[i]) / (2.0 * h);
                diff += (j[(i, k)] - num).powi(2);
                norm += num * num;
            }
            let rel = (diff / norm.max(1e-300)).sqrt();
            if inert.contains(&k) {
                let column = (0..m.tt.len()).map(|i| j[(i, k)].abs()).fold(0.0, f64::max);
                assert!(norm == 0.0 && column == 0.0, "`{}` acts", m.table[k].key);
                continue;
            }
            assert!(norm > 0.0, "`{}` has no effect", m.table[k].key);
            assert!(rel < 1e-5, "`{}`: relative error {rel:e}", m.table[k].key);
        }
    }

    #[test]
    fn the_instruments_profile_for_the_simulator_has_the_models_widths() {
        let instrument = Instrument {
            u: 0.004,
            v: -0.002,
            w: 0.003,
            x: 0.01,
            y: 0.02,
            ..Instrument::default()
        };
        let (m, mut v, _) = model_with(&instrument);
        let l = m.layout.clone();
        for (i, x) in l.widths.iter().zip([0.004, -0.002, 0.003, 0.01, 0.02]) {
            v[*i] = x;
        }
        v[l.phases[0].size] = 0.0;
        v[l.phases[0].strain] = 0.0;
        let profile = instrument.profile();
        let peak = &m.phases[0].peaks[0];
        let cell = &v[l.phases[0].cell.clone()];
        let inv_d2 = peak.inv_d2(cell);
        let (lambda, _) = m.lines[0];
        let line = m.line(
            &v,
            0,
            &peak.d_inv_d2,
            inv_d2,
            inv_d2.sqrt(),
            lambda,
            1.0,
            1.0,
            0.0,
            None,
            &mut Vec::new(),
        );
        let two_theta = 2.0 * (lambda * inv_d2.sqrt() / 2.0).asin().to_degrees();
        assert!((profile.fwhm(two_theta) - line.h).abs() < 1e-12 * line.h);
    }

    #[test]
    fn sparse_column_fill_matches_the_naive_one_bit_for_bit() {
        let n = 37;
        let window: [Vec<f64>; 5] = std::array::from_fn(|k| {
            (0..n)
                .map(|i| ((i * 7 + k * 13) as f64 * 0.37).sin() * 10f64.powi(k as i32 - 2))
                .collect()
        });
        let base: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
        // Every pattern of zero and non-zero terms.
        for mask in 0..32u32 {
            let d: [f64; 5] = std::array::from_fn(|k| {
                if mask & (1 << k) != 0 {
                    -1.7 + k as f64 * 0.9
                } else {
                    0.0
                }
            });
            let (mut fast, mut naive) = (base.clone(), base.clone());
            fill_column(&mut fast, &d, &window);
            fill_column_naive(&mut naive, &d, &window);
            for (a, b) in fast.iter().zip(&naive) {
                assert_eq!(a.to_bits(), b.to_bits(), "mask {mask:05b}");
            }
        }
    }

    #[test]
    fn parts_add_up() {
        let (m, v, c) = model();
        let mut parts = Parts::default();
        let y = m.evaluate(&c, &v, None, Some(&mut parts));
        assert_eq!(parts.phases.len(), 2);
        for (i, yi) in y.iter().enumerate() {
            let sum = parts.background[i] + parts.phases[0][i] + parts.phases[1][i];
            assert!((sum - yi).abs() <= 1e-9 * yi.abs().max(1.0));
        }
    }
}
