//! One reference structure of a library: what it is, where it was published, and its atoms.

use serde::{Deserialize, Serialize};
use xrd_sim::{CrystalSystem, Element, Lattice, Site, Species, Structure, SymOp};

use crate::error::format;
use crate::{Error, Result};

/// One atomic site of an entry's asymmetric unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntrySite {
    /// The site label as published (`O1`, `Si2`, `Wat`, …).
    pub label: String,
    /// The element symbol the label was read as.
    pub element: String,
    /// Fractional coordinates.
    pub frac: [f64; 3],
    /// Occupancy in (0, 1].
    pub occupancy: f64,
    /// Isotropic displacement parameter B (Å²); 0 when none was published.
    pub b_iso: f64,
}

/// Where a structure was published (kept with every entry for attribution).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Publication {
    /// Authors, as listed.
    pub authors: String,
    /// Journal.
    pub journal: String,
    /// Volume.
    pub volume: String,
    /// Year (0 when unknown).
    pub year: u16,
    /// Pages, `first-last`.
    pub pages: String,
}

/// One reference structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Identifier within the library: the AMCSD entry number for the built-in library, the file
    /// name for a folder of CIF/POSCAR files.
    pub id: String,
    /// Mineral name; empty for synthetic compounds without one.
    pub mineral: String,
    /// Chemical formula as published (`Ca2 Al2 Si3 O12 H2`).
    pub formula: String,
    /// Element symbols present, sorted.
    pub elements: Vec<String>,
    /// a, b, c (Å), α, β, γ (°).
    pub cell: [f64; 6],
    /// Space-group number (1–230) of the published symmetry operators, identified by moyo.
    pub space_group: u8,
    /// The Hermann–Mauguin symbol of the published setting.
    pub hm_symbol: String,
    /// The symmetry operators (`x,y+1/2,-z`) of the published setting.
    pub operators: Vec<String>,
    /// The asymmetric unit.
    pub sites: Vec<EntrySite>,
    /// Where it was published.
    pub publication: Publication,
    /// What the converter changed or noticed (clamped occupancies, unused displacement
    /// parameters, moyo finding another group for the atoms than for the operators).
    pub notes: Vec<String>,
}

impl Entry {
    /// The crystal system of [`Entry::space_group`].
    ///
    /// # Errors
    /// A space-group number outside 1–230 (never for an entry of a loaded library).
    pub fn crystal_system(&self) -> Result<CrystalSystem> {
        Ok(CrystalSystem::from_space_group(self.space_group)?)
    }

    /// The mineral name, or the formula for an entry without one.
    pub fn name(&self) -> &str {
        if self.mineral.is_empty() {
            &self.formula
        } else {
            &self.mineral
        }
    }

    /// The lattice of [`Entry::cell`].
    ///
    /// # Errors
    /// Parameters that form no cell.
    pub fn lattice(&self) -> Result<Lattice> {
        let [a, b, c, al, be, ga] = self.cell;
        Ok(Lattice::from_parameters(a, b, c, al, be, ga)?)
    }

    /// The parsed symmetry operators.
    ///
    /// # Errors
    /// An operator that does not parse.
    pub fn symmetry_operators(&self) -> Result<Vec<SymOp>> {
        self.operators
            .iter()
            .map(|o| SymOp::parse(o).map_err(Error::from))
            .collect()
    }

    /// The full cell: every operator applied to the asymmetric unit (xrd-sim's
    /// [`Structure::from_asymmetric_unit`]).
    ///
    /// # Errors
    /// An invalid cell, operator, element or site.
    pub fn structure(&self) -> Result<Structure> {
        let lattice = self.lattice()?;
        let ops = self.symmetry_operators()?;
        let asym = self
            .sites
            .iter()
            .map(|s| {
                let element = Element::from_symbol(&s.element)?;
                let mut site = Site::new(Species::neutral(element), s.frac)
                    .with_occupancy(s.occupancy)
                    .with_b_iso(s.b_iso);
                site.label.clone_from(&s.label);
                Ok(site)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Structure::from_asymmetric_unit(lattice, &asym, &ops)?)
    }

    /// The entry as CIF text: its symmetry operators and asymmetric unit, with `cell` (a, b, c in
    /// Å, α, β, γ in °; a refined one) or its own; [`Structure::from_cif`] reads it back.
    pub fn to_cif(&self, cell: Option<[f64; 6]>) -> String {
        use std::fmt::Write;
        let [a, b, c, al, be, ga] = cell.unwrap_or(self.cell);
        let block: String = format!("{}_{}", self.id, self.name())
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '-' || ch == '.' {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        let mut out = format!(
            "data_{block}\n_chemical_name_mineral '{}'\n_chemical_formula_sum '{}'\n\
             _cell_length_a {a:.6}\n_cell_length_b {b:.6}\n_cell_length_c {c:.6}\n\
             _cell_angle_alpha {al:.5}\n_cell_angle_beta {be:.5}\n_cell_angle_gamma {ga:.5}\n\
             _symmetry_Int_Tables_number {}\nloop_\n_symmetry_equiv_pos_as_xyz\n",
            self.name().replace('\'', " "),
            self.formula.replace('\'', " "),
            self.space_group
        );
        for op in &self.operators {
            let _ = writeln!(out, "'{op}'");
        }
        out.push_str(
            "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
             _atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n_atom_site_B_iso_or_equiv\n",
        );
        for (i, site) in self.sites.iter().enumerate() {
            let [x, y, z] = site.frac;
            let label: String = site
                .label
                .chars()
                .filter(|ch| !ch.is_whitespace())
                .collect();
            let label = if label.is_empty() {
                format!("{}{}", site.element, i + 1)
            } else {
                label
            };
            let _ = writeln!(
                out,
                "{label} {} {x:.6} {y:.6} {z:.6} {:.4} {:.4}",
                site.element, site.occupancy, site.b_iso
            );
        }
        out
    }

    /// Whether every element of the entry is in `allowed` (symbols, case-sensitive as
    /// `Ti`, `O`).
    pub fn made_of(&self, allowed: &[String]) -> bool {
        self.elements.iter().all(|e| allowed.contains(e))
    }

    /// Whether the entry contains every element of `required`.
    pub fn contains_all(&self, required: &[String]) -> bool {
        required.iter().all(|r| self.elements.contains(r))
    }

    /// Checks what a library file cannot be trusted to hold: a space group in 1–230, a real
    /// cell, parseable operators, known elements, finite coordinates, occupancies in (0, 1]
    /// and B ≥ 0.
    ///
    /// # Errors
    /// [`Error::Format`] naming the entry and what is wrong.
    pub fn check(&self) -> Result<()> {
        let bad = |reason: String| Err(format(format!("entry {}", self.id), reason));
        if !xrd_sim::SpaceGroup::is_number(self.space_group) {
            return bad(format!("space group {} outside 1–230", self.space_group));
        }
        if self.sites.is_empty() {
            return bad("no sites".into());
        }
        if self.operators.is_empty() {
            return bad("no symmetry operators".into());
        }
        if let Err(e) = self.lattice() {
            return bad(e.to_string());
        }
        if let Err(e) = self.symmetry_operators() {
            return bad(e.to_string());
        }
        for s in &self.sites {
            if Element::from_symbol(&s.element).is_err() {
                return bad(format!("site {}: unknown element `{}`", s.label, s.element));
            }
            if s.frac.iter().any(|v| !v.is_finite()) {
                return bad(format!("site {}: non-finite coordinate", s.label));
            }
            if !(s.occupancy > 0.0 && s.occupancy <= 1.0) {
                return bad(format!("site {}: occupancy {}", s.label, s.occupancy));
            }
            if !(s.b_iso.is_finite() && s.b_iso >= 0.0) {
                return bad(format!("site {}: B = {}", s.label, s.b_iso));
            }
        }
        Ok(())
    }
}
