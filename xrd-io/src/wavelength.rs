//! X-ray wavelengths: laboratory anodes (Kα1, Kα2, weighted Kα) and arbitrary synchrotron values.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A laboratory X-ray tube anode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Anode {
    /// Copper.
    Cu,
    /// Molybdenum.
    Mo,
    /// Cobalt.
    Co,
    /// Chromium.
    Cr,
    /// Iron.
    Fe,
    /// Silver.
    Ag,
}

impl Anode {
    /// All anodes.
    pub const ALL: [Anode; 6] = [
        Anode::Cu,
        Anode::Mo,
        Anode::Co,
        Anode::Cr,
        Anode::Fe,
        Anode::Ag,
    ];

    /// (Kα1, Kα2) in ångström, from Hölzer et al., Phys. Rev. A 56, 4554 (1997) as tabulated in
    /// the International Tables for Crystallography, Vol. C, Table 4.2.2.1.
    pub const fn k_alpha(self) -> (f64, f64) {
        match self {
            Anode::Cu => (1.540_598, 1.544_426),
            Anode::Mo => (0.709_317, 0.713_607),
            Anode::Co => (1.788_996, 1.792_835),
            Anode::Cr => (2.289_760, 2.293_663),
            Anode::Fe => (1.936_042, 1.939_980),
            Anode::Ag => (0.559_407_5, 0.563_798),
        }
    }

    /// The element symbol (`"Cu"`, …).
    pub const fn symbol(self) -> &'static str {
        match self {
            Anode::Cu => "Cu",
            Anode::Mo => "Mo",
            Anode::Co => "Co",
            Anode::Cr => "Cr",
            Anode::Fe => "Fe",
            Anode::Ag => "Ag",
        }
    }

    /// Parses an element symbol, case-insensitively (`"CU"`, `"cu"`, `"Cu"`).
    pub fn from_symbol(s: &str) -> Option<Anode> {
        Anode::ALL
            .into_iter()
            .find(|a| a.symbol().eq_ignore_ascii_case(s.trim()))
    }

    /// Identifies the anode whose Kα1 or Kα2 lies within `tol` Å of `angstrom`.
    pub fn identify(angstrom: f64, tol: f64) -> Option<Anode> {
        Anode::ALL.into_iter().find(|a| {
            let (a1, a2) = a.k_alpha();
            (angstrom - a1).abs() <= tol || (angstrom - a2).abs() <= tol
        })
    }
}

/// Which emission line(s) of an anode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Line {
    /// Kα1 alone (monochromated).
    KAlpha1,
    /// Kα2 alone.
    KAlpha2,
    /// The unresolved Kα1 + Kα2 doublet with intensity ratio ½.
    KAlpha,
}

/// An X-ray wavelength: a single line (monochromatic source, Kα1 after a monochromator, any
/// synchrotron energy) or a Kα1/Kα2 doublet with its intensity ratio I(Kα2)/I(Kα1).
///
/// [`Wavelength::angstrom`] is always the primary (Kα1) value used for 2θ ↔ d conversions;
/// [`Wavelength::weighted`] is the intensity-weighted mean of a doublet.
///
/// ```
/// use xrd_io::Wavelength;
/// assert_eq!(Wavelength::CU_KA1.angstrom(), 1.540598);
/// let ka = Wavelength::CU_KA;
/// assert_eq!(ka.alpha2(), Some(1.544426));
/// assert!((ka.weighted() - 1.541874).abs() < 1e-6);
/// let sync = Wavelength::monochromatic(0.4959)?;
/// assert_eq!(sync.anode(), None);
/// # Ok::<(), xrd_io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wavelength {
    alpha1: f64,
    alpha2: Option<f64>,
    ratio: f64,
    anode: Option<Anode>,
}

macro_rules! anode_constants {
    ($($a:ident: $ka1:ident, $ka2:ident, $ka:ident;)*) => {$(
        #[doc = concat!("`", stringify!($a), "` Kα1.")]
        pub const $ka1: Wavelength = Wavelength::of_anode(Anode::$a, Line::KAlpha1);
        #[doc = concat!("`", stringify!($a), "` Kα2.")]
        pub const $ka2: Wavelength = Wavelength::of_anode(Anode::$a, Line::KAlpha2);
        #[doc = concat!("`", stringify!($a), "` Kα: the Kα1/Kα2 doublet with ratio ½.")]
        pub const $ka: Wavelength = Wavelength::of_anode(Anode::$a, Line::KAlpha);
    )*};
}

impl Wavelength {
    anode_constants! {
        Cu: CU_KA1, CU_KA2, CU_KA;
        Mo: MO_KA1, MO_KA2, MO_KA;
        Co: CO_KA1, CO_KA2, CO_KA;
        Cr: CR_KA1, CR_KA2, CR_KA;
        Fe: FE_KA1, FE_KA2, FE_KA;
        Ag: AG_KA1, AG_KA2, AG_KA;
    }

    /// The standard Kα2/Kα1 intensity ratio of a tube source.
    pub const KA2_RATIO: f64 = 0.5;

    /// An anode line.
    pub const fn of_anode(anode: Anode, line: Line) -> Wavelength {
        let (a1, a2) = anode.k_alpha();
        match line {
            Line::KAlpha1 => Wavelength {
                alpha1: a1,
                alpha2: None,
                ratio: 0.0,
                anode: Some(anode),
            },
            Line::KAlpha2 => Wavelength {
                alpha1: a2,
                alpha2: None,
                ratio: 0.0,
                anode: Some(anode),
            },
            Line::KAlpha => Wavelength {
                alpha1: a1,
                alpha2: Some(a2),
                ratio: Wavelength::KA2_RATIO,
                anode: Some(anode),
            },
        }
    }

    /// A single wavelength in ångström (synchrotron, monochromated source).
    ///
    /// The anode is recognised when the value is within 10⁻⁴ Å of a tabulated Kα line.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `angstrom` is finite and positive.
    pub fn monochromatic(angstrom: f64) -> Result<Wavelength> {
        check_angstrom("wavelength", angstrom)?;
        Ok(Wavelength {
            alpha1: angstrom,
            alpha2: None,
            ratio: 0.0,
            anode: Anode::identify(angstrom, 1e-4),
        })
    }

    /// A Kα1/Kα2 doublet with intensity ratio `ratio` = I(Kα2)/I(Kα1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless both wavelengths are finite and positive and `ratio` is
    /// finite and in `[0, 1]`.
    pub fn doublet(alpha1: f64, alpha2: f64, ratio: f64) -> Result<Wavelength> {
        check_angstrom("Kα1 wavelength", alpha1)?;
        check_angstrom("Kα2 wavelength", alpha2)?;
        if !(0.0..=1.0).contains(&ratio) {
            return Err(Error::param(
                "Kα2/Kα1 ratio",
                crate::error::reason(ratio.to_string(), "a number in [0, 1]"),
            ));
        }
        Ok(Wavelength {
            alpha1,
            alpha2: Some(alpha2),
            ratio,
            anode: Anode::identify(alpha1, 1e-4),
        })
    }

    /// The primary wavelength in ångström (Kα1 of a doublet).
    pub fn angstrom(&self) -> f64 {
        self.alpha1
    }

    /// The Kα2 wavelength of a doublet.
    pub fn alpha2(&self) -> Option<f64> {
        self.alpha2
    }

    /// I(Kα2)/I(Kα1) of a doublet, 0 for a single line.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// The intensity-weighted mean wavelength, (λ1 + r·λ2)/(1 + r); λ1 for a single line.
    pub fn weighted(&self) -> f64 {
        match self.alpha2 {
            Some(a2) => (self.alpha1 + self.ratio * a2) / (1.0 + self.ratio),
            None => self.alpha1,
        }
    }

    /// The anode, when known.
    pub fn anode(&self) -> Option<Anode> {
        self.anode
    }

    /// The same wavelength without its Kα2 component (after Kα2 stripping).
    pub fn without_alpha2(&self) -> Wavelength {
        Wavelength {
            alpha2: None,
            ratio: 0.0,
            ..*self
        }
    }

    /// Photon energy in keV (of the primary line): E = hc/λ.
    pub fn energy_kev(&self) -> f64 {
        HC_KEV_ANGSTROM / self.alpha1
    }
}

/// hc in keV·Å (CODATA 2018).
const HC_KEV_ANGSTROM: f64 = 12.398_419_843;

fn check_angstrom(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            name,
            crate::error::reason(v.to_string(), "a finite wavelength > 0 Å"),
        ))
    }
}

impl fmt::Display for Wavelength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.anode {
            write!(f, "{} ", a.symbol())?;
        }
        match self.alpha2 {
            Some(a2) => write!(
                f,
                "Kα1 {} Å + Kα2 {} Å (ratio {})",
                self.alpha1, a2, self.ratio
            ),
            None => write!(f, "{} Å", self.alpha1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anode_constants_and_identification() {
        assert_eq!(Wavelength::MO_KA1.angstrom(), 0.709317);
        assert_eq!(Wavelength::CU_KA2.angstrom(), 1.544426);
        assert_eq!(Wavelength::CU_KA.angstrom(), 1.540598);
        assert_eq!(Wavelength::CO_KA.anode(), Some(Anode::Co));
        assert_eq!(
            Wavelength::monochromatic(1.5406).unwrap().anode(),
            Some(Anode::Cu)
        );
        assert_eq!(Wavelength::monochromatic(0.7).unwrap().anode(), None);
        assert_eq!(Anode::from_symbol(" cu "), Some(Anode::Cu));
        assert!((Wavelength::CU_KA1.energy_kev() - 8.0478).abs() < 1e-3);
        assert_eq!(Wavelength::CU_KA.without_alpha2(), Wavelength::CU_KA1);
    }

    #[test]
    fn invalid_wavelengths_are_errors() {
        assert!(Wavelength::monochromatic(0.0).is_err());
        assert!(Wavelength::monochromatic(f64::NAN).is_err());
        assert!(Wavelength::doublet(1.54, -1.0, 0.5).is_err());
        assert!(Wavelength::doublet(1.54, 1.55, 1.5).is_err());
        assert!(Wavelength::doublet(1.54, 1.55, f64::NAN).is_err());
    }
}
