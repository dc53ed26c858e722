//! Elements and scattering species (element plus optional ionic charge).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Element symbols by atomic number − 1.
const SYMBOLS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Covalent radii (Å) of H–Cm (Z = 1…96), Cordero et al., Dalton Trans. 2008, 2832 (low-spin values
/// for Mn, Fe and Co; sp³ carbon).
const COVALENT_RADII: [f64; 96] = [
    0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41, 1.21, 1.11, 1.07, 1.05,
    1.02, 1.06, 2.03, 1.76, 1.70, 1.60, 1.53, 1.39, 1.39, 1.32, 1.26, 1.24, 1.32, 1.22, 1.22, 1.20,
    1.19, 1.20, 1.20, 1.16, 2.20, 1.95, 1.90, 1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44,
    1.42, 1.39, 1.39, 1.38, 1.39, 1.40, 2.44, 2.15, 2.07, 2.04, 2.03, 2.01, 1.99, 1.98, 1.98, 1.96,
    1.94, 1.92, 1.92, 1.89, 1.90, 1.87, 1.87, 1.75, 1.70, 1.62, 1.51, 1.44, 1.41, 1.36, 1.36, 1.32,
    1.45, 1.46, 1.48, 1.40, 1.50, 1.50, 2.60, 2.21, 2.15, 2.06, 2.00, 1.96, 1.90, 1.87, 1.80, 1.69,
];

/// Standard atomic weights (g/mol) of H–Lr (Z = 1…103), IUPAC 2021 abridged values (conventional
/// values for elements given as intervals; the mass number of the longest-lived isotope for
/// elements without a stable one).
const ATOMIC_MASSES: [f64; 103] = [
    1.008, 4.0026, 6.94, 9.0122, 10.81, 12.011, 14.007, 15.999, 18.998, 20.180, 22.990, 24.305,
    26.982, 28.085, 30.974, 32.06, 35.45, 39.95, 39.098, 40.078, 44.956, 47.867, 50.942, 51.996,
    54.938, 55.845, 58.933, 58.693, 63.546, 65.38, 69.723, 72.630, 74.922, 78.971, 79.904, 83.798,
    85.468, 87.62, 88.906, 91.224, 92.906, 95.95, 97.0, 101.07, 102.91, 106.42, 107.87, 112.41,
    114.82, 118.71, 121.76, 127.60, 126.90, 131.29, 132.91, 137.33, 138.91, 140.12, 140.91, 144.24,
    145.0, 150.36, 151.96, 157.25, 158.93, 162.50, 164.93, 167.26, 168.93, 173.05, 174.97, 178.49,
    180.95, 183.84, 186.21, 190.23, 192.22, 195.08, 196.97, 200.59, 204.38, 207.2, 208.98, 209.0,
    210.0, 222.0, 223.0, 226.0, 227.0, 232.04, 231.04, 238.03, 237.0, 244.0, 243.0, 247.0, 247.0,
    251.0, 252.0, 257.0, 258.0, 259.0, 262.0,
];

/// A chemical element, identified by its atomic number (1 = H … 118 = Og).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Element(u8);

impl Element {
    /// The element with atomic number `z` (1…118).
    ///
    /// # Errors
    /// [`Error::UnknownSpecies`] outside 1…118.
    pub fn from_z(z: u8) -> Result<Self> {
        if (1..=118).contains(&z) {
            Ok(Self(z))
        } else {
            Err(Error::UnknownSpecies(format!("Z = {z}")))
        }
    }

    /// The element with this symbol (case-insensitive: `Fe`, `FE`, `fe`). `D` and `T` are hydrogen.
    ///
    /// # Errors
    /// [`Error::UnknownSpecies`] for anything else.
    pub fn from_symbol(symbol: &str) -> Result<Self> {
        if symbol.eq_ignore_ascii_case("D") || symbol.eq_ignore_ascii_case("T") {
            return Ok(Self(1));
        }
        SYMBOLS
            .iter()
            .position(|s| s.eq_ignore_ascii_case(symbol))
            .map(|i| Self(i as u8 + 1))
            .ok_or_else(|| Error::UnknownSpecies(symbol.to_string()))
    }

    /// Atomic number.
    pub fn z(self) -> u8 {
        self.0
    }

    /// Covalent radius (Å; Cordero et al. 2008), tabulated for H–Cm (Z ≤ 96).
    pub fn covalent_radius(self) -> Option<f64> {
        COVALENT_RADII.get(usize::from(self.0) - 1).copied()
    }

    /// Standard atomic weight (g/mol), tabulated for H–Lr (Z ≤ 103): the M of Hill and Howard's
    /// Rietveld weight fractions.
    pub fn atomic_mass(self) -> Option<f64> {
        ATOMIC_MASSES.get(usize::from(self.0) - 1).copied()
    }

    /// Symbol, e.g. `"Fe"`.
    pub fn symbol(self) -> &'static str {
        SYMBOLS[usize::from(self.0) - 1]
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A scatterer: an element with an optional (possibly fractional) ionic charge, e.g. `Ti3.928+`,
/// and optionally one isotope (`D`, `2H`, `7Li`), which only neutrons tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Species {
    /// The element.
    pub element: Element,
    /// Ionic charge in units of e (0 for a neutral atom); may be fractional (bond-valence sums).
    pub charge: f64,
    /// The isotope's mass number, `None` for natural isotopic abundance. X-rays see the element
    /// alone; neutrons scatter from the isotope's nucleus
    /// ([`isotope_scattering_length`](crate::isotope_scattering_length)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_number: Option<u16>,
}

impl Species {
    /// A neutral atom.
    pub fn neutral(element: Element) -> Self {
        Self {
            element,
            charge: 0.0,
            mass_number: None,
        }
    }

    /// The same species as the isotope `mass_number` (e.g. 2 for deuterium).
    pub fn with_mass_number(self, mass_number: u16) -> Self {
        Self {
            mass_number: Some(mass_number),
            ..self
        }
    }

    /// Parses a CIF type symbol: `Fe`, `Fe3+`, `O2-`, `Na+`, `Cl1-`, `Ti3.928+`, `Fe+3`; an
    /// isotope as a leading mass number (`2H`, `7Li`, `62Ni2+`) or as `D` / `T` (²H / ³H).
    ///
    /// # Errors
    /// [`Error::UnknownSpecies`] if the element is unknown, the mass number is 0, or the charge
    /// is malformed.
    pub fn parse(text: &str) -> Result<Self> {
        let unknown = || Error::UnknownSpecies(text.to_string());
        let t = text.trim();
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        let mut mass_number = match digits {
            0 => None,
            _ => Some(
                t[..digits]
                    .parse::<u16>()
                    .ok()
                    .filter(|&m| m > 0)
                    .ok_or_else(unknown)?,
            ),
        };
        let t = &t[digits..];
        let letters = t.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        if letters == 0 {
            return Err(unknown());
        }
        let symbol = &t[..letters];
        let element = Element::from_symbol(symbol).map_err(|_| unknown())?;
        let hydrogen_isotope = if symbol.eq_ignore_ascii_case("D") {
            Some(2)
        } else if symbol.eq_ignore_ascii_case("T") {
            Some(3)
        } else {
            None
        };
        if let Some(m) = hydrogen_isotope {
            // "2D" says the same twice; "3D" contradicts itself.
            if mass_number.is_some_and(|n| n != m) {
                return Err(unknown());
            }
            mass_number = Some(m);
        }
        let rest = &t[letters..];
        let charge = parse_charge(rest).ok_or_else(unknown)?;
        Ok(Self {
            element,
            charge,
            mass_number,
        })
    }

    /// Element from a CIF site label such as `Fe1`, `O2a`, `Sm_1` (longest element-symbol prefix).
    ///
    /// # Errors
    /// [`Error::UnknownSpecies`] if no element symbol starts the label.
    pub fn from_label(label: &str) -> Result<Self> {
        let t = label.trim();
        let letters: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .take(2)
            .collect();
        for n in (1..=letters.len()).rev() {
            if let Ok(e) = Element::from_symbol(&letters[..n]) {
                let species = Self::neutral(e);
                // Neutron CIFs label deuterium sites D1, D2, …
                return Ok(if letters[..n].eq_ignore_ascii_case("D") {
                    species.with_mass_number(2)
                } else {
                    species
                });
            }
        }
        Err(Error::UnknownSpecies(label.to_string()))
    }

    /// The charge rounded to the nearest integer (used to pick a tabulated ion).
    pub fn integer_charge(&self) -> i8 {
        self.charge.round().clamp(-9.0, 9.0) as i8
    }
}

impl fmt::Display for Species {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.element.z(), self.mass_number) {
            (1, Some(2)) => f.write_str("D")?,
            (_, Some(m)) => write!(f, "{m}{}", self.element)?,
            (_, None) => write!(f, "{}", self.element)?,
        }
        if self.charge == 0.0 {
            Ok(())
        } else {
            let sign = if self.charge > 0.0 { '+' } else { '-' };
            write!(f, "{}{}", self.charge.abs(), sign)
        }
    }
}

impl From<Element> for Species {
    fn from(e: Element) -> Self {
        Self::neutral(e)
    }
}

/// `""` → 0; `"3+"`, `"+3"`, `"+"`, `"2-"`, `"3.928+"` → signed charge; anything else → None.
fn parse_charge(rest: &str) -> Option<f64> {
    if rest.is_empty() {
        return Some(0.0);
    }
    let (sign, digits) = if let Some(d) = rest.strip_suffix('+') {
        (1.0, d)
    } else if let Some(d) = rest.strip_suffix('-') {
        (-1.0, d)
    } else if let Some(d) = rest.strip_prefix('+') {
        (1.0, d)
    } else if let Some(d) = rest.strip_prefix('-') {
        (-1.0, d)
    } else {
        return None;
    };
    if digits.is_empty() {
        return Some(sign);
    }
    if !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    v.is_finite().then_some(sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text an [`Error::UnknownSpecies`] names; the result itself otherwise.
    fn unknown<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::UnknownSpecies(s)) => s,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn atomic_masses_of_common_elements() {
        let m = |s: &str| Element::from_symbol(s).unwrap().atomic_mass().unwrap();
        for (s, want) in [
            ("H", 1.008),
            ("O", 15.999),
            ("Ti", 47.867),
            ("Ni", 58.693),
            ("Zr", 91.224),
            ("In", 114.82),
            ("La", 138.91),
            ("Bi", 208.98),
            ("U", 238.03),
        ] {
            assert!((m(s) - want).abs() < 1e-9, "{s}: {} against {want}", m(s));
        }
        // Heavier elements are heavier, apart from the known inversions.
        let inversions = (2..=103u8)
            .filter(|&z| {
                let a = |z| Element::from_z(z).unwrap().atomic_mass().unwrap();
                a(z) < a(z - 1)
            })
            .count();
        assert_eq!(inversions, 6, "Ar/K, Co/Ni, Te/I, Th/Pa, U/Np, Pu/Am");
        assert_eq!(Element::from_z(104).unwrap().atomic_mass(), None);
    }

    #[test]
    fn parses_ions_and_labels() {
        let ti = Species::parse("Ti3.928+").unwrap();
        assert_eq!(ti.element.symbol(), "Ti");
        assert!((ti.charge - 3.928).abs() < 1e-12);
        assert_eq!(ti.integer_charge(), 4);
        assert_eq!(Species::parse("O2-").unwrap().charge, -2.0);
        assert_eq!(Species::parse("Na+").unwrap().charge, 1.0);
        assert_eq!(Species::parse("Fe+3").unwrap().charge, 3.0);
        assert_eq!(Species::parse("FE").unwrap().element.z(), 26);
        assert_eq!(unknown(Species::parse("Xx")), "Xx");
        assert_eq!(unknown(Species::parse("Fe3x")), "Fe3x");
        assert_eq!(unknown(Species::parse("")), "");
        assert_eq!(Species::from_label("Fe1").unwrap().element.symbol(), "Fe");
        assert_eq!(Species::from_label("O2a").unwrap().element.symbol(), "O");
        assert_eq!(Species::from_label("Sm_1").unwrap().element.symbol(), "Sm");
        assert_eq!(unknown(Species::from_label("123")), "123");
        assert_eq!(Element::from_z(118).unwrap().symbol(), "Og");
        assert_eq!(unknown(Element::from_z(0)), "Z = 0");
        assert_eq!(
            Element::from_symbol("O").unwrap().covalent_radius(),
            Some(0.66)
        );
        assert_eq!(
            Element::from_symbol("Cm").unwrap().covalent_radius(),
            Some(1.69)
        );
        assert_eq!(Element::from_symbol("Bk").unwrap().covalent_radius(), None);
    }

    #[test]
    fn parses_isotopes() {
        let d = Species::parse("D").unwrap();
        assert_eq!((d.element.z(), d.mass_number), (1, Some(2)));
        assert_eq!(Species::parse("2H").unwrap(), d);
        assert_eq!(Species::parse("2D").unwrap(), d);
        assert_eq!(Species::parse("T").unwrap().mass_number, Some(3));
        let ni = Species::parse("62Ni2+").unwrap();
        assert_eq!(
            (ni.element.z(), ni.mass_number, ni.charge),
            (28, Some(62), 2.0)
        );
        assert_eq!(Species::parse("Ni2+").unwrap().mass_number, None);
        assert_eq!(Species::from_label("D1").unwrap(), d);
        assert_eq!(Species::from_label("H1").unwrap().mass_number, None);
        // Written back the way it was read.
        for text in ["D", "62Ni2+", "7Li", "O2-", "Fe"] {
            assert_eq!(Species::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(unknown(Species::parse("3D")), "3D");
        assert_eq!(unknown(Species::parse("0Fe")), "0Fe");
        assert_eq!(unknown(Species::parse("99999Fe")), "99999Fe");
        assert_eq!(unknown(Species::parse("12")), "12");
    }
}
