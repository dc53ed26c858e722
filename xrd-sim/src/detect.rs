//! Symmetry detection of a structure with moyo. Its own module, beside `structure` and
//! `symmetry`, so that neither of those depends on the other both ways (a structure is built from
//! symmetry operations; detection reads a structure).

use moyo::MoyoDataset;
use moyo::base::{Cell, Lattice as MoyoLattice};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::invalid;
use crate::structure::Structure;
use crate::symmetry::{CrystalSystem, SymOp};
use crate::{Error, Result};

/// The space group moyo finds for a structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpaceGroupInfo {
    /// International Tables number (1–230).
    pub number: u8,
    /// Short Hermann–Mauguin symbol as moyo writes it, e.g. `F d -3 m`.
    pub hm_symbol: String,
    /// Hall number (1–530) of the standard setting moyo reports.
    pub hall_number: u16,
    /// The crystal system.
    pub crystal_system: CrystalSystem,
    /// Number of operations found in the given cell (pure translations of a supercell included).
    pub num_operations: usize,
    /// Wyckoff letter of every site, in site order.
    pub wyckoffs: Vec<char>,
    /// The tolerance moyo finally used (Å; its iterative search may change the one given).
    pub symprec: f64,
}

/// A structure's symmetry in its own cell: see [`Structure::symmetry`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Symmetry {
    /// The operations (rotation and translation in fractional coordinates of the cell).
    pub operations: Vec<SymOp>,
    /// For every site, the index of the first site of its orbit.
    pub orbits: Vec<usize>,
}

/// What tells two sites apart for moyo: Z, mass number, charge and occupancy (bits).
type SiteKey = (u8, Option<u16>, u64, u64);

impl Structure {
    /// The space group of the structure, detected by moyo within `symprec` (Å; 1e-3 to 1e-1 is
    /// usual, 1e-3 for exact coordinates). Sites are told apart by species (element, isotope and
    /// charge) and occupancy.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or non-finite `symprec`,
    /// [`Error::InvalidSite`] for a structure without sites, and [`Error::Symmetry`] when moyo's
    /// search fails (e.g. a tolerance so large that atoms merge).
    pub fn space_group(&self, symprec: f64) -> Result<SpaceGroupInfo> {
        let (ds, group_of) = self.dataset(symprec)?;
        let number = u8::try_from(ds.number)
            .map_err(|_| Error::Symmetry(format!("space group number {}", ds.number)))?;
        Ok(SpaceGroupInfo {
            number,
            hm_symbol: ds.hm_symbol.clone(),
            hall_number: u16::try_from(ds.hall_number).unwrap_or(0),
            crystal_system: CrystalSystem::from_space_group(number)?,
            num_operations: ds.operations.len(),
            wyckoffs: group_of.iter().map(|&g| ds.wyckoffs[g]).collect(),
            symprec: ds.symprec,
        })
    }

    /// The symmetry operations moyo finds in the structure's own cell (centring and supercell
    /// translations included) and the orbit of every site (the index of its orbit's first
    /// site): what a structure refinement moves one asymmetric-unit site by.
    ///
    /// ```
    /// use xrd_sim::Structure;
    /// let cif = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
    ///     _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
    ///     _symmetry_space_group_name_H-M 'F m -3 m'\n\
    ///     loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
    ///     Na 0 0 0\nCl 0.5 0.5 0.5\n";
    /// let s = Structure::from_cif(cif)?;
    /// let sym = s.symmetry(1e-3)?;
    /// assert_eq!(sym.operations.len(), 192);
    /// assert_eq!(sym.orbits, [0, 0, 0, 0, 4, 4, 4, 4]);
    /// # Ok::<(), xrd_sim::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Structure::space_group`].
    pub fn symmetry(&self, symprec: f64) -> Result<Symmetry> {
        let (ds, group_of) = self.dataset(symprec)?;
        let operations = ds
            .operations
            .iter()
            .map(|op| SymOp {
                rotation: [0, 1, 2].map(|i| [0, 1, 2].map(|j| f64::from(op.rotation[(i, j)]))),
                translation: [0, 1, 2].map(|i| op.translation[i]),
            })
            .collect();
        // A site's orbit: the first site of the same content on its position's orbit's first
        // position.
        let key = |i: usize| {
            let s = &self.sites()[i];
            (
                s.species.element,
                s.species.mass_number,
                s.species.charge.to_bits(),
                s.occupancy.to_bits(),
            )
        };
        let orbits = (0..self.len())
            .map(|i| {
                let rep = ds.orbits[group_of[i]];
                (0..self.len())
                    .find(|&j| group_of[j] == rep && key(j) == key(i))
                    .unwrap_or(i)
            })
            .collect();
        Ok(Symmetry { operations, orbits })
    }

    /// moyo's dataset of the structure's distinct positions: sites sharing a position (a mixed
    /// site: Fe and Ti on one position, occupancies summing to one) are one point to moyo, typed
    /// by all they hold; with each site's group (its position's index).
    fn dataset(&self, symprec: f64) -> Result<(MoyoDataset, Vec<usize>)> {
        if !(symprec.is_finite() && symprec > 0.0) {
            return Err(invalid(
                "symprec",
                format!("{symprec} must be finite and > 0"),
            ));
        }
        if self.is_empty() {
            return Err(Error::InvalidSite {
                index: 0,
                message: "a structure without sites has no space group".into(),
            });
        }
        let key = |s: &crate::structure::Site| {
            (
                s.species.element.z(),
                s.species.mass_number,
                s.species.charge.to_bits(),
                s.occupancy.to_bits(),
            )
        };
        // Sites within 1e-4 of one another (fractional) share a position.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of = Vec::with_capacity(self.len());
        for (i, s) in self.sites().iter().enumerate() {
            let same = groups.iter().position(|g| {
                let t = &self.sites()[g[0]];
                (0..3).all(|k| {
                    let d = s.frac[k] - t.frac[k];
                    (d - d.round()).abs() < 1e-4
                })
            });
            match same {
                Some(g) => {
                    groups[g].push(i);
                    group_of.push(g);
                }
                None => {
                    group_of.push(groups.len());
                    groups.push(vec![i]);
                }
            }
        }
        // Equal contents (each (species, occupancy) held) share a type number.
        let mut kinds: Vec<Vec<SiteKey>> = Vec::new();
        let mut numbers = Vec::with_capacity(groups.len());
        let mut positions = Vec::with_capacity(groups.len());
        for g in &groups {
            let mut content: Vec<SiteKey> = g.iter().map(|&i| key(&self.sites()[i])).collect();
            content.sort_unstable();
            let k = match kinds.iter().position(|k| *k == content) {
                Some(k) => k,
                None => {
                    kinds.push(content);
                    kinds.len() - 1
                }
            };
            numbers.push(k as i32);
            positions.push(Vector3::from(self.sites()[g[0]].frac));
        }
        let cell = Cell::new(
            MoyoLattice::from_basis(*self.lattice().matrix()),
            positions,
            numbers,
        );
        let ds = MoyoDataset::with_default(&cell, symprec)
            .map_err(|e| Error::Symmetry(e.to_string()))?;
        Ok((ds, group_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::Species;
    use crate::lattice::Lattice;
    use crate::structure::Site;

    /// A mixed site (Fe and Ti sharing rutile's Ti position) is one point to moyo: the group
    /// is rutile's, and each species has its own orbit.
    #[test]
    fn a_mixed_site_keeps_the_group() {
        let l = Lattice::from_parameters(4.594, 4.594, 2.959, 90.0, 90.0, 90.0).unwrap();
        let (fe, ti, o) = (
            Species::parse("Fe").unwrap(),
            Species::parse("Ti").unwrap(),
            Species::parse("O").unwrap(),
        );
        let x = 0.3053;
        let mut sites = Vec::new();
        for p in [[0.0; 3], [0.5; 3]] {
            sites.push(Site::new(fe, p).with_occupancy(0.4));
            sites.push(Site::new(ti, p).with_occupancy(0.6));
        }
        for p in [
            [x, x, 0.0],
            [1.0 - x, 1.0 - x, 0.0],
            [0.5 + x, 0.5 - x, 0.5],
            [0.5 - x, 0.5 + x, 0.5],
        ] {
            sites.push(Site::new(o, p));
        }
        let s = Structure::new(l, sites).unwrap();
        assert_eq!(s.space_group(1e-3).unwrap().number, 136);
        let sym = s.symmetry(1e-3).unwrap();
        assert_eq!(sym.operations.len(), 16);
        assert_eq!(sym.orbits, [0, 1, 0, 1, 4, 4, 4, 4]);
    }

    #[test]
    fn rutile_and_invalid_input() {
        let l = Lattice::from_parameters(4.594, 4.594, 2.959, 90.0, 90.0, 90.0).unwrap();
        let ti = Species::parse("Ti").unwrap();
        let o = Species::parse("O").unwrap();
        let x = 0.3053;
        let s = Structure::new(
            l,
            vec![
                Site::new(ti, [0.0; 3]),
                Site::new(ti, [0.5; 3]),
                Site::new(o, [x, x, 0.0]),
                Site::new(o, [1.0 - x, 1.0 - x, 0.0]),
                Site::new(o, [0.5 + x, 0.5 - x, 0.5]),
                Site::new(o, [0.5 - x, 0.5 + x, 0.5]),
            ],
        )
        .unwrap();
        let info = s.space_group(1e-3).unwrap();
        assert_eq!(info.number, 136);
        assert_eq!(info.crystal_system, CrystalSystem::Tetragonal);
        assert_eq!(info.num_operations, 16);
        assert_eq!(info.wyckoffs, vec!['a', 'a', 'f', 'f', 'f', 'f']);
        use crate::error::refused;
        assert_eq!(refused(s.space_group(0.0)), "symprec");
        assert_eq!(refused(s.space_group(f64::NAN)), "symprec");
        assert!(matches!(
            Structure::new(l, vec![]).unwrap().space_group(1e-3),
            Err(Error::InvalidSite { index: 0, message }) if message.contains("without sites")
        ));
    }
}
