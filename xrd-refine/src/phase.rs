//! A phase to refine, and the peaks its structure gives.

use xrd_io::Wavelength;
use xrd_sim::{Anomalous, CrystalSystem, PowderParams, Simulator, Structure};

use crate::cell::CellModel;
use crate::{Error, Result};

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
        })
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

    /// The mass of the cell's content, Z·M (g/mol): Σ occupancy × atomic mass over its sites.
    ///
    /// # Errors
    /// [`Error::NoAtomicMass`] for an element beyond Lr.
    pub fn cell_mass(&self) -> Result<f64> {
        self.structure.sites().iter().try_fold(0.0, |m, s| {
            let e = s.species.element;
            e.atomic_mass()
                .map(|a| m + s.occupancy * a)
                .ok_or_else(|| Error::NoAtomicMass(e.symbol().to_string()))
        })
    }
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
    pub dq: Vec<f64>,
    /// Lexicographically largest Miller indices, for the reflection ticks.
    pub hkl: [i32; 3],
    pub members: Vec<Member>,
    /// Σ |F|² of the members.
    pub f2: f64,
}

/// A phase prepared for one pattern: its cell model, starting values and peaks.
#[derive(Debug, Clone)]
pub(crate) struct PhaseModel {
    pub cell: CellModel,
    pub cell_start: Vec<f64>,
    pub peaks: Vec<Peak>,
    pub cell_mass: f64,
}

impl PhaseModel {
    /// The peaks of `phase` whose Kα₁ 2θ (at `wavelength`) lies within `range`, widened by
    /// `margin` degrees on each side for cell changes, zero shift and Kα₂.
    pub fn new(
        phase: &Phase,
        wavelength: Wavelength,
        range: (f64, f64),
        margin: f64,
    ) -> Result<Self> {
        let lambda = wavelength.angstrom();
        let lo = (range.0 - margin).max(0.5);
        let hi = (range.1 + margin).min(179.0);
        let anomalous = if Anomalous::tabulated_lines()
            .iter()
            .any(|(_, l)| (l - lambda).abs() <= 0.002)
        {
            Anomalous::Tabulated
        } else {
            Anomalous::Off
        };
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(wavelength.without_alpha2())
                .two_theta_range(lo, hi)
                .anomalous(anomalous),
        )?;
        let reflections = match sim.reflections(&phase.structure) {
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
                            dq: key.iter().map(|&v| v as f64).collect(),
                            hkl: largest,
                            members: vec![member],
                            f2: r.f2,
                        },
                    ));
                }
            }
        }
        // Reflections of zero intensity (systematic absences of the structure) add nothing.
        let peaks: Vec<Peak> = peaks
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| p.f2 > 1e-12)
            .collect();
        if peaks.is_empty() {
            return Err(Error::NoReflections(phase.name.clone(), range.0, range.1));
        }
        Ok(Self {
            cell,
            cell_start,
            peaks,
            cell_mass: phase.cell_mass()?,
        })
    }
}
