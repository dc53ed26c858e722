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
    /// The pressure and temperature of the measurement, where the publication says them.
    #[serde(default, skip_serializing_if = "Conditions::is_unknown")]
    pub conditions: Conditions,
}

/// Where a structure was measured, as its publication states it (AMCSD's title notes:
/// `T = -196 C, P = 1 atm`, `P = 2.5 GPa`, `at 32 kbar`); none when it does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// Pressure (GPa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_gpa: Option<f64>,
    /// Temperature (K).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_k: Option<f64>,
}

/// Pressures above this (GPa; 1 kbar) are not ambient.
pub const AMBIENT_PRESSURE_GPA: f64 = 0.1;

/// Temperatures outside this range (K) are not ambient: a powder in a laboratory is near 295 K,
/// and a structure refined at 100 K or 600 K has another cell (and sometimes another phase).
pub const AMBIENT_TEMPERATURE_K: (f64, f64) = (200.0, 400.0);

impl Conditions {
    /// Whether nothing is known.
    pub fn is_unknown(&self) -> bool {
        self.pressure_gpa.is_none() && self.temperature_k.is_none()
    }

    /// Whether the conditions are ambient, or unknown: pressure at most
    /// [`AMBIENT_PRESSURE_GPA`], temperature within [`AMBIENT_TEMPERATURE_K`].
    pub fn is_ambient(&self) -> bool {
        self.pressure_gpa.is_none_or(|p| p <= AMBIENT_PRESSURE_GPA)
            && self
                .temperature_k
                .is_none_or(|t| (AMBIENT_TEMPERATURE_K.0..=AMBIENT_TEMPERATURE_K.1).contains(&t))
    }

    /// The conditions a publication's title and notes state: `T = 24 C`, `T = -196 deg C`,
    /// `T = 300 K`; `P = 2.5 GPa`, `P = 26 kbar`, `P = 1 atm`, `at 32 kbar`, `4-5.5 kb` (the
    /// highest pressure named).
    ///
    /// ```
    /// use xrd_minerals::Conditions;
    /// let c = Conditions::from_title("Ice II\n Note: T = -75 C, P = 0.3 GPa");
    /// assert!((c.temperature_k.unwrap() - 198.15).abs() < 1e-9);
    /// assert_eq!(c.pressure_gpa, Some(0.3));
    /// assert!(!c.is_ambient());
    /// assert!(Conditions::from_title("The structure of calcite").is_ambient());
    /// ```
    pub fn from_title(title: &str) -> Self {
        let words: Vec<&str> = title
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
            .filter(|w| !w.is_empty())
            .collect();
        let number = |w: &str| -> Option<f64> {
            let w = w.trim_end_matches(['.', ':']);
            if let Ok(v) = w.parse::<f64>() {
                return Some(v);
            }
            // `4-5.5` (a range): its upper end.
            let (_, hi) = w.rsplit_once('-')?;
            hi.parse::<f64>().ok()
        };
        let mut out = Conditions::default();
        // Pressures stated as `P = …` (the sample's) outrank those a title mentions ("up to
        // 60 GPa").
        let mut stated: Option<f64> = None;
        let mut mentioned: Option<f64> = None;
        for (i, w) in words.iter().enumerate() {
            let next = |k: usize| words.get(i + k).map(|s| s.to_ascii_lowercase());
            let assigned = i >= 2 && words[i - 1] == "=" && words[i - 2] == "P"
                || i >= 1 && words[i - 1] == "P=";
            // A pressure: a number followed by its unit.
            if let Some(v) = number(w) {
                let unit = next(1).unwrap_or_default();
                let gpa = match unit.trim_end_matches(['.', ':']) {
                    "gpa" => Some(v),
                    "kbar" | "kb" | "kbars" | "kilobars" | "kilobar" => Some(v * 0.1),
                    "mpa" => Some(v * 1e-3),
                    "kpa" => Some(v * 1e-6),
                    "atm" | "bar" | "bars" => Some(v * 1e-4),
                    _ => None,
                };
                if let Some(g) = gpa {
                    let slot = if assigned {
                        &mut stated
                    } else {
                        &mut mentioned
                    };
                    *slot = Some(slot.map_or(g, |p: f64| p.max(g)));
                }
            }
            // A temperature: `T = value unit`.
            if *w == "T" || *w == "T=" {
                let k = if next(1).as_deref() == Some("=") {
                    2
                } else {
                    1
                };
                let raw = words.get(i + k).copied().unwrap_or("");
                // `-196` and `24` alike (a leading minus is a sign here).
                let v = raw.trim_end_matches(['.', ':']).parse::<f64>().ok();
                let mut unit = next(k + 1).unwrap_or_default();
                if unit == "deg" || unit == "degrees" {
                    unit = next(k + 2).unwrap_or_default();
                }
                let unit = unit.trim_end_matches(['.', ':']).to_string();
                out.temperature_k = match (v, unit.as_str()) {
                    (Some(t), "k") => Some(t),
                    (Some(t), "c" | "°c") => Some(t + 273.15),
                    _ => out.temperature_k,
                };
            }
        }
        out.pressure_gpa = stated.or(mentioned);
        out
    }
}

impl Entry {
    /// The crystal system of [`Entry::space_group`].
    ///
    /// # Errors
    /// A space-group number outside 1–230 (never for an entry of a loaded library).
    pub fn crystal_system(&self) -> Result<CrystalSystem> {
        Ok(CrystalSystem::from_space_group(self.space_group)?)
    }

    /// Whether the structure can be a phase of a powder at room conditions: measured at ambient
    /// pressure and temperature ([`Conditions::is_ambient`], or conditions unknown), and not an
    /// ice (H₂O crystals melt at 273 K).
    pub fn is_ambient(&self) -> bool {
        let water = self.elements.iter().any(|e| e == "O")
            && self
                .elements
                .iter()
                .all(|e| matches!(e.as_str(), "H" | "D" | "O"));
        let ice = self.mineral.starts_with("Ice") || water;
        !ice && self.conditions.is_ambient()
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

    /// Whether every element of the entry is in `allowed` or a trace of its formula
    /// ([`crate::Composition::traces`]): α-Mn₂O₃ refined as `(Fe.034 Mn1.966) O3` is made of Mn and O
    /// but for its trace of Fe. An entry whose formula does not parse counts by
    /// [`Entry::made_of`].
    ///
    /// ```
    /// let lib = xrd_minerals::Library::amcsd()?;
    /// let bixbyite = lib.entries().iter().find(|e| e.id == "amcsd:9391").unwrap();
    /// let mn_o = ["Mn".to_string(), "O".to_string()];
    /// assert!(!bixbyite.made_of(&mn_o) && bixbyite.made_of_but_traces(&mn_o));
    /// # Ok::<(), xrd_minerals::Error>(())
    /// ```
    pub fn made_of_but_traces(&self, allowed: &[String]) -> bool {
        if self.made_of(allowed) {
            return true;
        }
        let Ok(composition) = crate::Composition::parse(&self.formula) else {
            return false;
        };
        let traces = composition.traces();
        self.elements
            .iter()
            .all(|e| allowed.contains(e) || traces.iter().any(|(t, _)| t == e))
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

#[cfg(test)]
mod conditions_tests {
    use super::*;

    #[test]
    fn conditions_are_read_from_amcsd_titles() {
        let c = |t: &str| Conditions::from_title(t);
        // Temperatures in K and °C, with `deg`, a sign, `at`.
        let t = |t: &str| c(t).temperature_k.map(|v| (v * 100.0).round() / 100.0);
        assert_eq!(t("olivine | T = -196 deg C, P = 1 atm"), Some(77.15));
        assert_eq!(t("Sample: at T = 821 C"), Some(1094.15));
        assert_eq!(t("Sample: at T = 1060 K"), Some(1060.0));
        assert_eq!(t("The crystal structure of K2S2O6"), None);
        // Pressures in GPa, kbar, kb ranges, atm, kPa; the sample's stated one over a title's.
        let p = |t: &str| c(t).pressure_gpa.map(|v| (v * 1e6).round() / 1e6);
        assert_eq!(p("Sample: P = 117 kbar"), Some(11.7));
        assert_eq!(
            p("transitions up to 60 GPa | Note: P = 5.58 GPa"),
            Some(5.58)
        );
        assert_eq!(p("synthesized at 4-5.5 kb"), Some(0.55));
        assert_eq!(p("T = 24 C, P = 1 atm"), Some(0.0001));
        assert_eq!(p("Note: P = 101 kPa"), Some(0.000101));
        assert!(c("Note: T = 300 K").is_ambient());
        assert!(!c("T = -196 deg C, P = 1 atm").is_ambient());
        assert!(!c("Sample: P = 3 GPa, T = 296 K").is_ambient());
        assert!(c("").is_unknown() && c("").is_ambient());
    }
}
