//! A phase to refine, and the peaks its structure gives.

use std::sync::{Arc, Mutex};

use xrd_io::Wavelength;
use xrd_sim::{
    Anomalous, CrystalSystem, Element, Lattice, PowderParams, Simulator, Site, Species, Structure,
    SymOp,
};

use crate::calibration::Calibration;
use crate::cell::CellModel;
use crate::{Error, Result};

/// A general position (no special symmetry in any space group): one atom there, expanded by a
/// group's operators, has a non-zero structure factor for every reflection the group allows.
const GENERAL_POSITION: [f64; 3] = [0.1327, 0.2751, 0.3914];

/// An extracted reflection that the structure makes (nearly) absent starts at this share of
/// the mean |F|², so that the extraction can still find it.
const WEAK_START: f64 = 1e-3;

/// Where a phase's peak intensities come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Intensities {
    /// Computed from the structure (Rietveld).
    Structure,
    /// Extracted from the data (Pawley: by least squares, alternating with the other parameters), positions from the refined cell: for
    /// cell refinement and phases whose structure is unknown. Such a phase has no weight
    /// fraction of its own.
    Extracted,
    /// Fixed at a PONKCS calibration's values (each reflection's Miller indices and intensity),
    /// with the calibration's Z·M for its weight fraction.
    Calibrated {
        /// (h k l, intensity) of every reflection.
        peaks: Vec<([i32; 3], f64)>,
        /// The calibrated Z·M (g/mol).
        zm: f64,
    },
}

/// One atom at [`GENERAL_POSITION`] expanded by `ops` in `lattice`: its reflections are those
/// the operators allow.
fn reflection_source(lattice: &Lattice, ops: &[SymOp]) -> Result<Structure> {
    if ops.is_empty() {
        return Err(crate::error::invalid(
            "symmetry operators",
            "need at least the identity",
        ));
    }
    let site = Site::new(Species::neutral(Element::from_z(6)?), GENERAL_POSITION);
    Ok(Structure::from_asymmetric_unit(*lattice, &[site], ops)?)
}

/// Space groups are read from the structure within this tolerance (Å).
const SYMPREC: f64 = 1e-2;

/// A crystalline phase of a refinement: a structure, the name it is reported under, and
/// optionally the direction of its preferred orientation.
///
/// ```
/// use xrd_refine::Phase;
/// use xrd_sim::Structure;
/// let cif = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
///     _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
///     _symmetry_space_group_name_H-M 'F m -3 m'\n\
///     loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
///     Na 0 0 0\nCl 0.5 0.5 0.5\n";
/// let halite = Phase::new("halite", Structure::from_cif(cif)?)?;
/// assert_eq!(halite.space_group(), 225);
/// // Four formula units of NaCl in the cell: Z·M = 4 × 58.44 g/mol.
/// assert!((halite.cell_mass()? - 4.0 * 58.44).abs() < 0.01);
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Phase {
    name: String,
    structure: Structure,
    space_group: u8,
    system: CrystalSystem,
    texture: Option<[i32; 3]>,
    particle_size: Option<f64>,
    intensities: Intensities,
    /// The structure whose reflections are the peaks, when it is not `structure` (a Pawley or
    /// PONKCS phase: one atom in a general position).
    reflections: Option<Structure>,
    /// The symmetry operators of `reflections` (kept for a calibration).
    operators: Vec<SymOp>,
    /// Whether `structure` holds the phase's real content (its mass and absorption).
    chemistry: bool,
    /// Its peak lists as prepared for the patterns it was fitted to, shared by its clones.
    prepared: Prepared,
}

/// How many preparations (wavelength, range) a phase keeps.
const PREPARED_KEPT: usize = 4;

/// A phase's prepared peak lists, one per (wavelength, refined range, margin), shared by the
/// phase's clones: the comparisons of candidates, identify's phase sets and the frames of a
/// series fit the same phases to the same range again and again.
#[derive(Debug, Clone, Default)]
struct Prepared(Arc<Mutex<Vec<(PreparedFor, PhaseModel)>>>);

/// What a preparation depends on beside the phase.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PreparedFor {
    wavelength: Wavelength,
    range: (f64, f64),
    margin: f64,
}

impl Phase {
    /// A phase of `structure`, its space group read by moyo.
    ///
    /// # Errors
    /// A structure without sites or whose symmetry cannot be read.
    pub fn new(name: impl Into<String>, structure: Structure) -> Result<Self> {
        let sg = structure.space_group(SYMPREC)?;
        Ok(Self {
            name: name.into(),
            structure,
            space_group: sg.number,
            system: sg.crystal_system,
            texture: None,
            particle_size: None,
            intensities: Intensities::Structure,
            reflections: None,
            operators: Vec::new(),
            chemistry: true,
            prepared: Prepared::default(),
        })
    }

    /// A Pawley phase known only by its cell and symmetry: `lattice`, the operators `ops` of
    /// its space group `number` in the cell's setting (centring translations included). Peak
    /// positions follow the refined cell, intensities are extracted from the data; it has no
    /// weight fraction and no composition.
    ///
    /// ```
    /// use xrd_refine::Phase;
    /// use xrd_sim::{Lattice, SpaceGroup};
    /// let cell = Lattice::from_parameters(4.594, 4.594, 2.959, 90.0, 90.0, 90.0)?;
    /// let rutile = Phase::pawley("rutile", cell, 136, SpaceGroup::new(136)?.operations())?;
    /// assert_eq!(rutile.space_group(), 136);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A number outside 1–230, no operators, or operators that do not form a structure.
    pub fn pawley(
        name: impl Into<String>,
        lattice: Lattice,
        number: u8,
        ops: &[SymOp],
    ) -> Result<Self> {
        let source = reflection_source(&lattice, ops)?;
        Ok(Self {
            name: name.into(),
            structure: source.clone(),
            space_group: number,
            system: CrystalSystem::from_space_group(number)?,
            texture: None,
            particle_size: None,
            intensities: Intensities::Extracted,
            reflections: Some(source),
            operators: ops.to_vec(),
            chemistry: false,
            prepared: Prepared::default(),
        })
    }

    /// This phase with its intensities extracted from the data (Pawley) instead of computed
    /// from its structure, which still gives its composition; `ops` are the symmetry operators
    /// of the structure's setting (an [`xrd_sim::Cif`]'s or a library entry's), which give the
    /// reflections allowed.
    ///
    /// # Errors
    /// No operators, or operators that do not form a structure.
    pub fn with_extracted_intensities(mut self, ops: &[SymOp]) -> Result<Self> {
        self.reflections = Some(reflection_source(self.structure.lattice(), ops)?);
        self.operators = ops.to_vec();
        self.intensities = Intensities::Extracted;
        // Other peaks: the clones' preparations are not this phase's.
        self.prepared = Prepared::default();
        Ok(self)
    }

    /// A PONKCS phase: the peaks, cell, symmetry and Z·M of a calibration
    /// ([`crate::Refiner::calibrate`]); its scale (and cell, size and strain) are refined and
    /// its weight fraction follows from the calibrated Z·M.
    ///
    /// # Errors
    /// A calibration whose cell, symmetry or Z·M is invalid.
    pub fn calibrated(calibration: &Calibration) -> Result<Self> {
        calibration.check()?;
        let [a, b, c, al, be, ga] = calibration.cell;
        let lattice = Lattice::from_parameters(a, b, c, al, be, ga)?;
        let ops = calibration.operators();
        let mut phase = Self::pawley(
            calibration.name.clone(),
            lattice,
            calibration.space_group,
            &ops,
        )?;
        phase.intensities = Intensities::Calibrated {
            peaks: calibration
                .peaks
                .iter()
                .map(|p| (p.hkl, p.intensity))
                .collect(),
            zm: calibration.zm,
        };
        phase.prepared = Prepared::default();
        Ok(phase)
    }

    /// Where the phase's peak intensities come from.
    pub fn intensities(&self) -> &Intensities {
        &self.intensities
    }

    /// Whether the structure holds the phase's real content (false for a phase known only by
    /// its cell: no formula, mass or absorption).
    pub fn has_chemistry(&self) -> bool {
        self.chemistry
    }

    /// The symmetry operators of a Pawley or PONKCS phase (empty for a structure phase).
    pub fn operators(&self) -> &[SymOp] {
        &self.operators
    }

    /// A phase of `structure` in space group `number` as its source states it (a library entry's),
    /// without reading the symmetry again: mixed-occupancy sites (two species at one position,
    /// as in solid solutions) are beyond moyo's search.
    ///
    /// # Errors
    /// A number outside 1–230.
    pub fn with_space_group(
        name: impl Into<String>,
        structure: Structure,
        number: u8,
    ) -> Result<Self> {
        Ok(Self {
            name: name.into(),
            structure,
            space_group: number,
            system: CrystalSystem::from_space_group(number)?,
            texture: None,
            particle_size: None,
            intensities: Intensities::Structure,
            reflections: None,
            operators: Vec::new(),
            chemistry: true,
            prepared: Prepared::default(),
        })
    }

    /// Fixes the direction of preferred orientation (Miller indices of the plane normal);
    /// without it the refinement chooses among the low-index directions.
    ///
    /// # Errors
    /// A zero direction.
    pub fn with_texture_direction(mut self, direction: [i32; 3]) -> Result<Self> {
        if direction == [0; 3] {
            return Err(crate::error::invalid(
                "texture_direction",
                "must not be (0, 0, 0)",
            ));
        }
        self.texture = Some(direction);
        Ok(self)
    }

    /// The phase under another name (the name its parameters and results are called by).
    #[must_use]
    pub fn renamed(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The diameter (µm) of the phase's particles, for Brindley's microabsorption correction
    /// of its weight fraction (see [`crate::absorption`]).
    ///
    /// 0 for none: particles far smaller than 1/μ absorb alike.
    ///
    /// # Errors
    /// A diameter that is not finite and ≥ 0.
    pub fn with_particle_size(mut self, diameter_um: f64) -> Result<Self> {
        if !(diameter_um.is_finite() && diameter_um >= 0.0) {
            return Err(crate::error::invalid(
                "particle_size",
                format!("{diameter_um} µm must be finite and ≥ 0"),
            ));
        }
        self.particle_size = Some(diameter_um);
        Ok(self)
    }

    /// The particle diameter (µm) set by [`Phase::with_particle_size`].
    pub fn particle_size(&self) -> Option<f64> {
        self.particle_size
    }

    /// The name the phase is reported under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The structure (at its starting cell).
    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// The space-group number.
    pub fn space_group(&self) -> u8 {
        self.space_group
    }

    /// The crystal system, which sets the cell's constraints.
    pub fn crystal_system(&self) -> CrystalSystem {
        self.system
    }

    /// The preferred-orientation direction fixed by [`Phase::with_texture_direction`].
    pub fn texture_direction(&self) -> Option<[i32; 3]> {
        self.texture
    }

    /// The mass of the cell's content, Z·M (g/mol): Σ occupancy × atomic mass over its sites,
    /// plus the hydrogen a structure without H sites lacks ([`Phase::missing_hydrogen`]): the
    /// Hill–Howard weight is of the whole chemical formula.
    ///
    /// # Errors
    /// [`Error::NoAtomicMass`] for an element beyond Lr.
    pub fn cell_mass(&self) -> Result<f64> {
        let sites = self.structure.sites().iter().try_fold(0.0, |m, s| {
            let e = s.species.element;
            e.atomic_mass()
                .map(|a| m + s.occupancy * a)
                .ok_or_else(|| Error::NoAtomicMass(e.symbol().to_string()))
        })?;
        Ok(sites + self.missing_hydrogen() * HYDROGEN_MASS)
    }

    /// Hydrogen atoms per cell that a structure without H (or D) sites lacks, by charge
    /// balance: many hydroxides and hydrates are published without their H (gibbsite as
    /// `Al O3`, brucite as `Mg O2`), and their formula mass would be 3–30 % light. Each cation
    /// is taken at its highest common oxidation state (so that a mixed-valence oxide gains no
    /// H: Fe³⁺, Mn⁴⁺, Co³⁺), O at −2 and halogens at −1; the negative charge left over is the H
    /// missing (Al O3: 3 − 6 → 3 H). 0 for a structure with H sites, without O, with an
    /// element outside the table (a sulfide, an intermetallic) or without a charge deficit.
    ///
    /// ```
    /// # use xrd_refine::Phase;
    /// let cif = "data_g\n_cell_length_a 5.08\n_cell_length_b 5.08\n_cell_length_c 4.77\n\
    ///     _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n\
    ///     _symmetry_space_group_name_H-M 'P -3 m 1'\nloop_\n_atom_site_label\n\
    ///     _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
    ///     Mg 0 0 0\nO 0.3333 0.6667 0.22\n";
    /// let brucite = Phase::new("brucite", xrd_sim::Structure::from_cif(cif)?)?;
    /// assert_eq!(brucite.missing_hydrogen(), 2.0); // Mg(OH)₂ published as Mg O2
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missing_hydrogen(&self) -> f64 {
        let sites = self.structure.sites();
        let symbols: Vec<&str> = sites.iter().map(|s| s.species.element.symbol()).collect();
        if !symbols.contains(&"O") || symbols.iter().any(|s| matches!(*s, "H" | "D")) {
            return 0.0;
        }
        let mut charge = 0.0;
        for (s, sym) in sites.iter().zip(&symbols) {
            let Some(v) = oxidation_state(sym) else {
                return 0.0;
            };
            charge += s.occupancy * v;
        }
        // Occupancies round to a few decimals: a deficit under half an H is rounding.
        if charge < -0.5 { -charge } else { 0.0 }
    }
}

/// Atomic mass of hydrogen (g/mol).
const HYDROGEN_MASS: f64 = 1.008;

/// The highest common oxidation state of an element in minerals and inorganic compounds (O and
/// the halogens negative), for [`Phase::missing_hydrogen`]; none outside the table.
fn oxidation_state(symbol: &str) -> Option<f64> {
    let v = match symbol {
        "O" => -2,
        "F" | "Cl" | "Br" | "I" => -1,
        "Li" | "Na" | "K" | "Rb" | "Cs" | "Ag" => 1,
        "Be" | "Mg" | "Ca" | "Sr" | "Ba" | "Zn" | "Cd" | "Hg" | "Cu" => 2,
        "B" | "Al" | "Ga" | "In" | "Tl" | "Sc" | "Y" | "La" | "Nd" | "Sm" | "Eu" | "Gd" | "Dy"
        | "Ho" | "Er" | "Tm" | "Yb" | "Lu" | "Fe" | "Co" | "Ni" | "Au" => 3,
        "C" | "Si" | "Ge" | "Sn" | "Pb" | "Ti" | "Zr" | "Hf" | "Ce" | "Pr" | "Tb" | "Th" | "Mn"
        | "Pt" | "Pd" | "Ir" | "Rh" => 4,
        "N" | "P" | "As" | "Sb" | "Bi" | "V" | "Nb" | "Ta" => 5,
        "S" | "Se" | "Te" | "Cr" | "Mo" | "W" | "U" => 6,
        _ => return None,
    };
    Some(f64::from(v))
}

/// One member reflection of a peak: |F|² and its normal's cos² with the texture direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    pub f2: f64,
    pub hkl: [i32; 3],
}

/// Reflections that coincide in every cell of the phase's crystal system.
#[derive(Debug, Clone)]
pub(crate) struct Peak {
    /// ∂(1/d²)/∂(free cell parameter).
    pub d_inv_d2: Vec<f64>,
    /// Lexicographically largest Miller indices, for the reflection ticks.
    pub hkl: [i32; 3],
    pub members: Vec<Member>,
    /// Σ |F|² of the members.
    pub f2: f64,
}

impl Peak {
    /// 1/d² of the peak at the cell's free parameters `cell` (linear in them).
    pub fn inv_d2(&self, cell: &[f64]) -> f64 {
        self.d_inv_d2.iter().zip(cell).map(|(d, v)| d * v).sum()
    }

    /// The Bragg angle θ (radians) of the peak's Kα₁ (or only) line at cell `cell`, or none
    /// beyond the limiting sphere.
    pub fn theta(&self, cell: &[f64], wavelength: Wavelength) -> Option<f64> {
        let s = wavelength.angstrom() * self.inv_d2(cell).sqrt() / 2.0;
        (s < 1.0).then(|| s.asin())
    }
}

/// A phase prepared for one pattern: its cell model, starting values and peaks.
#[derive(Debug, Clone)]
pub(crate) struct PhaseModel {
    /// The phase's name, which its parameters are called by.
    pub name: String,
    pub cell: CellModel,
    pub cell_start: Vec<f64>,
    pub peaks: Vec<Peak>,
    pub cell_mass: f64,
    /// The refinable structure, when its sites are refined ([`crate::model::Model::with_atoms`]).
    pub atoms: Option<std::sync::Arc<crate::atoms::AtomModel>>,
    /// The invariant harmonics at each member's normal, when a harmonic texture is offered
    /// ([`crate::model::Model::with_harmonics`]).
    pub harmonics: Option<std::sync::Arc<HarmonicTable>>,
}

/// A phase's invariant harmonics at its reflections: per peak, per member, every harmonic's
/// value.
#[derive(Debug, Clone)]
pub(crate) struct HarmonicTable {
    pub values: Vec<Vec<Vec<f64>>>,
}

impl PhaseModel {
    /// The peaks of `phase` whose Kα₁ 2θ (at `wavelength`) lies within `range`, widened by
    /// `margin` degrees on each side for cell changes, zero shift and Kα₂: prepared once per
    /// phase, wavelength and range, a copy of the phase's earlier preparation when it has one.
    pub fn new(
        phase: &Phase,
        wavelength: Wavelength,
        range: (f64, f64),
        margin: f64,
    ) -> Result<Self> {
        let key = PreparedFor {
            wavelength,
            range,
            margin,
        };
        // A poisoned lock (a panic elsewhere) only costs the cache.
        if let Ok(kept) = phase.prepared.0.lock()
            && let Some((_, m)) = kept.iter().find(|(k, _)| *k == key)
        {
            return Ok(m.clone());
        }
        let m = Self::prepare(phase, wavelength, range, margin)?;
        if let Ok(mut kept) = phase.prepared.0.lock() {
            if kept.len() >= PREPARED_KEPT {
                kept.remove(0);
            }
            kept.push((key, m.clone()));
        }
        Ok(m)
    }

    fn prepare(
        phase: &Phase,
        wavelength: Wavelength,
        range: (f64, f64),
        margin: f64,
    ) -> Result<Self> {
        let lo = (range.0 - margin).max(0.5);
        let hi = (range.1 + margin).min(179.0);
        let anomalous = Anomalous::at_line(wavelength);
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(wavelength.without_alpha2())
                .two_theta_range(lo, hi)
                .anomalous(anomalous),
        )?;
        let source = phase.reflections.as_ref().unwrap_or(&phase.structure);
        let reflections = match sim.reflections(source) {
            Ok(r) => r,
            Err(xrd_sim::Error::NoReflections(..)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let (cell, cell_start) = CellModel::new(phase.structure.lattice(), phase.system);
        let mut peaks: Vec<(Vec<i64>, Peak)> = Vec::new();
        let mut index: std::collections::HashMap<Vec<i64>, usize> =
            std::collections::HashMap::new();
        for r in reflections {
            let key = cell.derivatives(r.hkl);
            let member = Member {
                f2: r.f2,
                hkl: r.hkl,
            };
            let largest = r.hkl.max(r.hkl.map(|v| -v));
            match index.get(&key) {
                Some(&i) => {
                    let p: &mut Peak = &mut peaks[i].1;
                    p.members.push(member);
                    p.f2 += r.f2;
                    p.hkl = p.hkl.max(largest);
                }
                None => {
                    index.insert(key.clone(), peaks.len());
                    peaks.push((
                        key.clone(),
                        Peak {
                            d_inv_d2: key.iter().map(|&v| v as f64).collect(),
                            hkl: largest,
                            members: vec![member],
                            f2: r.f2,
                        },
                    ));
                }
            }
        }
        let mut peaks: Vec<Peak> = peaks.into_iter().map(|(_, p)| p).collect();
        match &phase.intensities {
            Intensities::Structure => {}
            // Extraction starts from the structure's intensities where it has a composition
            // (reflections it makes absent start weak), else from equal ones.
            Intensities::Extracted => {
                let known: std::collections::HashMap<[i32; 3], f64> = if phase.chemistry {
                    match sim.reflections(&phase.structure) {
                        Ok(r) => r.into_iter().map(|r| (r.hkl, r.f2)).collect(),
                        Err(xrd_sim::Error::NoReflections(..)) => Default::default(),
                        Err(e) => return Err(e.into()),
                    }
                } else {
                    Default::default()
                };
                let mean = if known.is_empty() {
                    1.0
                } else {
                    known.values().sum::<f64>() / known.len() as f64
                };
                for p in &mut peaks {
                    for m in &mut p.members {
                        m.f2 = match known.get(&m.hkl) {
                            Some(&f) if !known.is_empty() => f.max(WEAK_START * mean),
                            _ if known.is_empty() => 1.0,
                            _ => WEAK_START * mean,
                        };
                    }
                    p.f2 = p.members.iter().map(|m| m.f2).sum();
                }
            }
            Intensities::Calibrated { peaks: known, .. } => {
                let table: std::collections::HashMap<[i32; 3], f64> =
                    known.iter().copied().collect();
                for p in &mut peaks {
                    for m in &mut p.members {
                        m.f2 = table.get(&m.hkl).copied().unwrap_or(0.0);
                    }
                    p.f2 = p.members.iter().map(|m| m.f2).sum();
                }
            }
        }
        // Reflections of zero intensity (systematic absences of the structure) add nothing.
        let peaks: Vec<Peak> = peaks.into_iter().filter(|p| p.f2 > 1e-12).collect();
        if peaks.is_empty() {
            return Err(Error::NoReflections(phase.name.clone(), range.0, range.1));
        }
        Ok(Self {
            name: phase.name.clone(),
            cell,
            cell_start,
            peaks,
            atoms: None,
            harmonics: None,
            cell_mass: match &phase.intensities {
                Intensities::Calibrated { zm, .. } => *zm,
                _ if !phase.chemistry => 0.0,
                _ => phase.cell_mass()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A phase of the given sites (symbol, occupancy) in a 5 Å cubic P1 cell.
    fn phase(sites: &[(&str, f64)]) -> Phase {
        let mut cif = String::from(
            "data_t\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
             _symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n\
             _atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
             _atom_site_fract_z\n_atom_site_occupancy\n",
        );
        for (k, (el, occ)) in sites.iter().enumerate() {
            let x = 0.05 + 0.09 * k as f64;
            cif.push_str(&format!(
                "{el}{k} {el} {x:.3} {:.3} {:.3} {occ}\n",
                x / 2.0,
                x / 3.0
            ));
        }
        Phase::new("t", xrd_sim::Structure::from_cif(&cif).unwrap()).unwrap()
    }

    #[test]
    fn a_preparation_is_made_once_and_shared_by_the_clones() {
        let p = phase(&[("Na", 1.0), ("Cl", 1.0)]);
        let clone = p.clone();
        let cu = Wavelength::CU_KA;
        let first = PhaseModel::new(&p, cu, (20.0, 60.0), 3.0).unwrap();
        let again = PhaseModel::new(&clone, cu, (20.0, 60.0), 3.0).unwrap();
        let fresh = PhaseModel::prepare(&p, cu, (20.0, 60.0), 3.0).unwrap();
        let peaks = |m: &PhaseModel| -> Vec<(Vec<f64>, f64)> {
            m.peaks.iter().map(|k| (k.d_inv_d2.clone(), k.f2)).collect()
        };
        assert_eq!(peaks(&first), peaks(&fresh));
        assert_eq!(peaks(&again), peaks(&fresh));
        assert_eq!(
            p.prepared.0.lock().unwrap().len(),
            1,
            "the clone used the phase's"
        );
        // Another range is another preparation; the oldest goes beyond PREPARED_KEPT.
        for k in 0..PREPARED_KEPT {
            PhaseModel::new(&p, cu, (21.0 + k as f64, 60.0), 3.0).unwrap();
        }
        let kept = p.prepared.0.lock().unwrap();
        assert_eq!(kept.len(), PREPARED_KEPT);
        assert!(kept.iter().all(|(k, _)| k.range.0 > 20.0));
        drop(kept);
        // A phase whose peaks change starts afresh.
        let ops = xrd_sim::SpaceGroup::new(1).unwrap().operations().to_vec();
        let pawley = clone.with_extracted_intensities(&ops).unwrap();
        assert!(pawley.prepared.0.lock().unwrap().is_empty());
    }

    #[test]
    fn hydrogen_is_inferred_where_the_chemistry_has_it() {
        let o = |n: usize| vec![("O", 1.0); n];
        let with = |mut v: Vec<(&'static str, f64)>, more: &[(&'static str, f64)]| {
            v.extend_from_slice(more);
            v
        };
        // Gibbsite Al(OH)₃ published as Al O3; goethite FeO(OH) as Fe O2; kaolinite
        // Al₂Si₂O₅(OH)₄ as Al2 Si2 O9; gypsum CaSO₄·2H₂O as Ca S O6.
        assert_eq!(phase(&with(o(3), &[("Al", 1.0)])).missing_hydrogen(), 3.0);
        assert_eq!(phase(&with(o(2), &[("Fe", 1.0)])).missing_hydrogen(), 1.0);
        let kaolinite = with(o(9), &[("Al", 1.0), ("Al", 1.0), ("Si", 1.0), ("Si", 1.0)]);
        assert_eq!(phase(&kaolinite).missing_hydrogen(), 4.0);
        assert_eq!(
            phase(&with(o(6), &[("Ca", 1.0), ("S", 1.0)])).missing_hydrogen(),
            4.0
        );
        // Balanced or cation-rich: hematite, magnetite (Fe taken as Fe³⁺), wüstite, pyrolusite.
        assert_eq!(
            phase(&with(o(3), &[("Fe", 1.0), ("Fe", 1.0)])).missing_hydrogen(),
            0.0
        );
        let magnetite = with(o(4), &[("Fe", 1.0), ("Fe", 1.0), ("Fe", 1.0)]);
        assert_eq!(phase(&magnetite).missing_hydrogen(), 0.0);
        assert_eq!(phase(&with(o(2), &[("Mn", 1.0)])).missing_hydrogen(), 0.0);
        // With H sites, without O, or with an element outside the table: none.
        let brucite = with(o(2), &[("Mg", 1.0), ("H", 1.0), ("H", 1.0)]);
        assert_eq!(phase(&brucite).missing_hydrogen(), 0.0);
        assert_eq!(
            phase(&[("Fe", 1.0), ("S", 1.0), ("S", 1.0)]).missing_hydrogen(),
            0.0
        );
        assert_eq!(phase(&with(o(2), &[("Xe", 1.0)])).missing_hydrogen(), 0.0);
        // Partial occupancy: a deficit under half an H is rounding.
        assert_eq!(
            phase(&with(o(3), &[("Al", 0.9), ("Al", 1.0)])).missing_hydrogen(),
            0.0
        );
        // The formula mass carries it: Al(OH)₃ 78.00 g/mol, not Al O3's 74.98.
        let gibbsite = phase(&with(o(3), &[("Al", 1.0)]));
        assert!((gibbsite.cell_mass().unwrap() - 78.0).abs() < 0.01);
    }
}
