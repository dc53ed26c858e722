//! Crystal structures: a lattice and its sites.

use serde::{Deserialize, Serialize};

use crate::element::{Element, Species};
use crate::lattice::{Lattice, Mat3, det, inverse, mat_vec_rows, norm};
use crate::symmetry::SymOp;
use crate::{Error, Result};

/// One atomic site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Scatterer (element and charge).
    pub species: Species,
    /// Fractional coordinates.
    pub frac: [f64; 3],
    /// Site occupancy in [0, 1].
    pub occupancy: f64,
    /// Isotropic displacement parameter B (Å²); B = 8π² U.
    pub b_iso: f64,
    /// Label (e.g. from the CIF).
    pub label: String,
}

impl Site {
    /// A fully occupied site with B = 0 and the element symbol as label.
    pub fn new(species: Species, frac: [f64; 3]) -> Self {
        Self {
            species,
            frac,
            occupancy: 1.0,
            b_iso: 0.0,
            label: species.element.symbol().to_string(),
        }
    }

    /// Sets the occupancy.
    #[must_use]
    pub fn with_occupancy(mut self, occupancy: f64) -> Self {
        self.occupancy = occupancy;
        self
    }

    /// Sets B (Å²).
    #[must_use]
    pub fn with_b_iso(mut self, b: f64) -> Self {
        self.b_iso = b;
        self
    }

    /// Sets B from U (Å²): B = 8π² U.
    #[must_use]
    pub fn with_u_iso(self, u: f64) -> Self {
        self.with_b_iso(u_to_b(u))
    }
}

/// B = 8π² U.
pub fn u_to_b(u: f64) -> f64 {
    8.0 * std::f64::consts::PI * std::f64::consts::PI * u
}

/// A crystal structure: lattice plus sites (all atoms of the cell, symmetry already applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    lattice: Lattice,
    sites: Vec<Site>,
}

/// Two symmetry images of a site closer than this (Å) are one atom.
pub const DUPLICATE_TOLERANCE: f64 = 1e-2;

impl Structure {
    /// Applies every operator to every site of an asymmetric unit, wraps into [0, 1) and drops
    /// images of a site closer than [`DUPLICATE_TOLERANCE`] to an earlier image of the same site.
    /// Site order: by asymmetric-unit site, then by operator.
    ///
    /// # Errors
    /// As [`Structure::new`].
    pub fn from_asymmetric_unit(lattice: Lattice, asym: &[Site], ops: &[SymOp]) -> Result<Self> {
        let mut sites: Vec<Site> = Vec::new();
        for site in asym {
            let start = sites.len();
            for op in ops {
                let f = op
                    .apply(site.frac)
                    .map(|v| v - v.floor())
                    .map(|v| if v >= 1.0 { 0.0 } else { v });
                let dup = sites[start..].iter().any(|s| {
                    let d = [0, 1, 2].map(|k| {
                        let x = f[k] - s.frac[k];
                        x - x.round()
                    });
                    norm(lattice.cartesian(d)) < DUPLICATE_TOLERANCE
                });
                if !dup {
                    let mut s = site.clone();
                    s.frac = f;
                    sites.push(s);
                }
            }
        }
        Self::new(lattice, sites)
    }

    /// Checks and builds a structure.
    ///
    /// # Errors
    /// [`Error::InvalidSite`] for non-finite coordinates, occupancy outside [0, 1] or a negative
    /// or non-finite B.
    pub fn new(lattice: Lattice, sites: Vec<Site>) -> Result<Self> {
        for (index, s) in sites.iter().enumerate() {
            let bad = |message: &str| {
                Err(Error::InvalidSite {
                    index,
                    message: message.into(),
                })
            };
            if s.frac.iter().any(|v| !v.is_finite()) {
                return bad("non-finite coordinate");
            }
            if !(0.0..=1.0 + 1e-6).contains(&s.occupancy) {
                return bad("occupancy outside [0, 1]");
            }
            if !s.b_iso.is_finite() || s.b_iso < 0.0 {
                return bad("B must be finite and ≥ 0");
            }
            if !s.species.charge.is_finite() {
                return bad("non-finite charge");
            }
        }
        Ok(Self { lattice, sites })
    }

    /// The lattice.
    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    /// The sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// `true` without sites.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The same sites in another lattice (fractional coordinates kept), e.g. after a strain.
    #[must_use]
    pub fn with_lattice(mut self, lattice: Lattice) -> Self {
        self.lattice = lattice;
        self
    }

    /// Replaces the species of site `index` (substitution).
    ///
    /// # Errors
    /// [`Error::InvalidSite`] if `index` is out of range.
    pub fn substitute(&mut self, index: usize, species: Species) -> Result<()> {
        let site = self
            .sites
            .get_mut(index)
            .ok_or_else(|| Error::InvalidSite {
                index,
                message: "no such site".into(),
            })?;
        site.species = species;
        site.label = species.element.symbol().to_string();
        Ok(())
    }

    /// Mutable access to the sites (coordinates, occupancies, B).
    pub fn sites_mut(&mut self) -> &mut [Site] {
        &mut self.sites
    }

    /// Occupancy-weighted atom count per element, in order of first appearance.
    pub fn composition(&self) -> Vec<(Element, f64)> {
        let mut out: Vec<(Element, f64)> = Vec::new();
        for s in &self.sites {
            match out.iter_mut().find(|(e, _)| *e == s.species.element) {
                Some((_, n)) => *n += s.occupancy,
                None => out.push((s.species.element, s.occupancy)),
            }
        }
        out
    }

    /// The cell's formula as [`Structure::composition`] counts it, elements in order of first
    /// appearance separated by spaces, whole counts without decimals (`Ti2 O4`, `Fe0.500 Ni0.500`).
    pub fn formula(&self) -> String {
        self.composition()
            .iter()
            .map(|(e, n)| {
                if (n - n.round()).abs() < 1e-6 {
                    format!("{}{}", e.symbol(), n.round() as i64)
                } else {
                    format!("{}{n:.3}", e.symbol())
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The structure as CIF text in space group P1 (every site of the cell listed), data block
    /// `name`; [`Structure::from_cif`] reads it back.
    pub fn to_cif(&self, name: &str) -> String {
        use std::fmt::Write;
        let block: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let [a, b, c] = self.lattice.lengths();
        let [al, be, ga] = self.lattice.angles();
        let mut out = format!(
            "data_{block}\n_cell_length_a {a:.6}\n_cell_length_b {b:.6}\n_cell_length_c {c:.6}\n\
             _cell_angle_alpha {al:.5}\n_cell_angle_beta {be:.5}\n_cell_angle_gamma {ga:.5}\n\
             _symmetry_space_group_name_H-M 'P 1'\nloop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n\
             loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
             _atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n_atom_site_B_iso_or_equiv\n"
        );
        for (i, site) in self.sites.iter().enumerate() {
            let [x, y, z] = site.frac;
            let _ = writeln!(
                out,
                "{}{} {} {x:.6} {y:.6} {z:.6} {:.4} {:.4}",
                site.species.element.symbol(),
                i + 1,
                site.species.element.symbol(),
                site.occupancy,
                site.b_iso
            );
        }
        out
    }

    /// Supercell whose basis vectors are the rows of `m` in units of the current ones
    /// (`m` may be rational, e.g. a primitive cell of a centred structure, as long as it tiles it).
    /// Site order: by original site, then by lattice translation (lexicographic).
    ///
    /// # Errors
    /// [`Error::InvalidSupercell`] if `m` is singular or the result does not contain
    /// |det m| × n sites (the matrix does not tile the structure).
    pub fn supercell(&self, m: &Mat3) -> Result<Self> {
        let d = det(m);
        let minv = inverse(m)
            .filter(|_| d.abs() > 1e-9)
            .ok_or_else(|| Error::InvalidSupercell(format!("singular matrix {m:?}")))?;
        let expected = d.abs() * self.sites.len() as f64;
        if (expected - expected.round()).abs() > 1e-6 || expected > 1e7 {
            return Err(Error::InvalidSupercell(format!(
                "|det| × sites = {expected} is not a whole number"
            )));
        }
        for row in m {
            if !self.is_translation(*row) {
                return Err(Error::InvalidSupercell(format!(
                    "{row:?} is not a lattice translation of the structure"
                )));
            }
        }
        let lattice = self.lattice.transformed(m)?;
        let mut lo = [0i64; 3];
        let mut hi = [0i64; 3];
        for corner in 0..8 {
            let c = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1].map(f64::from);
            let p = mat_vec_rows(m, c);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k].floor() as i64 - 1);
                hi[k] = hi[k].max(p[k].ceil() as i64 + 1);
            }
        }
        const EPS: f64 = 1e-8;
        let mut sites = Vec::with_capacity(expected.round() as usize);
        for s in &self.sites {
            let base = s.frac.map(|v| v - v.floor());
            for i in lo[0]..=hi[0] {
                for j in lo[1]..=hi[1] {
                    for k in lo[2]..=hi[2] {
                        let t = [base[0] + i as f64, base[1] + j as f64, base[2] + k as f64];
                        let f = mat_vec_rows(&minv, t);
                        if f.iter().all(|&v| v > -EPS && v < 1.0 - EPS) {
                            let mut site = s.clone();
                            site.frac = f.map(|v| if v < 0.0 { 0.0 } else { v });
                            sites.push(site);
                        }
                    }
                }
            }
        }
        if sites.len() != expected.round() as usize {
            return Err(Error::InvalidSupercell(format!(
                "found {} sites, expected {}",
                sites.len(),
                expected.round()
            )));
        }
        Self::new(lattice, sites)
    }
}

impl Structure {
    /// `true` if shifting every site by `t` (fractional) maps the structure onto itself.
    fn is_translation(&self, t: [f64; 3]) -> bool {
        self.sites.iter().all(|a| {
            self.sites.iter().any(|b| {
                a.species == b.species
                    && a.occupancy == b.occupancy
                    && (0..3).all(|k| {
                        let d = a.frac[k] + t[k] - b.frac[k];
                        (d - d.round()).abs() < 1e-6
                    })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcc() -> Structure {
        let l = Lattice::from_parameters(3.0, 3.0, 3.0, 90.0, 90.0, 90.0).unwrap();
        let fe = Species::parse("Fe").unwrap();
        Structure::new(l, vec![Site::new(fe, [0.0; 3]), Site::new(fe, [0.5; 3])]).unwrap()
    }

    #[test]
    fn cif_round_trip() {
        let s =
            bcc().with_lattice(Lattice::from_parameters(3.1, 3.1, 3.1, 90.0, 90.0, 90.0).unwrap());
        let back = Structure::from_cif(&s.to_cif("Fe bcc (refined)")).unwrap();
        assert_eq!(back.len(), 2);
        assert!((back.lattice().volume() - 3.1f64.powi(3)).abs() < 1e-4);
        assert_eq!(back.sites()[1].frac, [0.5; 3]);
    }

    #[test]
    fn supercells_tile() {
        let s = bcc();
        let sc = s
            .supercell(&[[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
            .unwrap();
        assert_eq!(sc.len(), 8);
        assert!((sc.lattice().volume() - 4.0 * 27.0).abs() < 1e-9);
        // Primitive cell of bcc: half the volume, one atom.
        let p = s
            .supercell(&[[-0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, -0.5]])
            .unwrap();
        assert_eq!(p.len(), 1);
        let refused = |m: &Mat3| match s.supercell(m) {
            Err(Error::InvalidSupercell(why)) => why,
            other => format!("{other:?}"),
        };
        let why = refused(&[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
        assert!(why.starts_with("singular matrix"), "{why}");
        let why = refused(&[[0.5, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        assert!(
            why.ends_with("is not a lattice translation of the structure"),
            "{why}"
        );
    }

    #[test]
    fn substitution_and_validation() {
        let mut s = bcc();
        s.substitute(1, Species::parse("Ti").unwrap()).unwrap();
        assert_eq!(s.composition().len(), 2);
        assert!(matches!(
            s.substitute(5, Species::parse("Ti").unwrap()),
            Err(Error::InvalidSite { index: 5, message }) if message == "no such site"
        ));
        let l = *s.lattice();
        let fe = Species::parse("Fe").unwrap();
        // The site refused and why.
        let refused = |site: Site| match Structure::new(l, vec![Site::new(fe, [0.0; 3]), site]) {
            Err(Error::InvalidSite { index, message }) => format!("{index}: {message}"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            refused(Site::new(fe, [f64::NAN, 0.0, 0.0])),
            "1: non-finite coordinate"
        );
        assert_eq!(
            refused(Site::new(fe, [0.0; 3]).with_occupancy(1.5)),
            "1: occupancy outside [0, 1]"
        );
        assert_eq!(
            refused(Site::new(fe, [0.0; 3]).with_b_iso(-1.0)),
            "1: B must be finite and ≥ 0"
        );
        assert!((u_to_b(0.05) - 3.9478).abs() < 1e-3);
    }
}
