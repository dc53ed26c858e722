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

    /// A single wavelength known when the program is written (a synchrotron's, a paper's), for
    /// constants: no anode is looked up.
    ///
    /// ```
    /// use xrd_io::Wavelength;
    /// const PAPER: Wavelength = Wavelength::synchrotron(0.496);
    /// assert_eq!(PAPER.angstrom(), 0.496);
    /// ```
    ///
    /// # Panics
    /// Unless `angstrom` is finite and positive ([`Wavelength::monochromatic`]'s rule); in a
    /// constant that is a compile error.
    pub const fn synchrotron(angstrom: f64) -> Wavelength {
        assert!(
            angstrom.is_finite() && angstrom > 0.0,
            "a wavelength must be finite and > 0 Å"
        );
        Wavelength {
            alpha1: angstrom,
            alpha2: None,
            ratio: 0.0,
            anode: None,
        }
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

/// Reads what [`Wavelength`]'s `Display` writes, so a wavelength written into a file reads back
/// equal, and the short forms people type:
///
/// - an anode, its Kα doublet: `Cu`, `Mo Kα`, `CuKa`;
/// - one line of an anode: `CuKa1`, `Mo Kα2`, `Co K-alpha1`;
/// - a wavelength in Å, monochromatic: `0.4959`, `1.5406 Å`, `Cu 1.540598 Å`;
/// - a doublet: `Kα1 1.5406 Å + Kα2 1.5444 Å (ratio 0.5)`, with or without the anode in front
///   (without the ratio: ½).
///
/// ```
/// use xrd_io::Wavelength;
/// assert_eq!("Mo".parse::<Wavelength>()?, Wavelength::MO_KA);
/// assert_eq!("cu ka1".parse::<Wavelength>()?, Wavelength::CU_KA1);
/// assert_eq!("0.4959 Å".parse::<Wavelength>()?.angstrom(), 0.4959);
/// let w = Wavelength::doublet(1.54, 1.5444, 0.45)?;
/// assert_eq!(w.to_string().parse::<Wavelength>()?, w);
/// let err = "Mo 1.54".parse::<Wavelength>().unwrap_err(); // 1.54 Å is no Mo line
/// assert_eq!(err.invalid_parameter().map(|p| p.name), Some("wavelength"));
/// # Ok::<(), xrd_io::Error>(())
/// ```
impl std::str::FromStr for Wavelength {
    type Err = Error;

    fn from_str(s: &str) -> Result<Wavelength> {
        let bad = || {
            Error::param(
                "wavelength",
                crate::error::reason(
                    crate::error::excerpt(s),
                    "an anode (Cu, Mo, Co, Cr, Fe, Ag), one of its lines (CuKa1, Mo Kα2), a \
                     wavelength in Å, or a doublet `Kα1 1.5406 Å + Kα2 1.5444 Å (ratio 0.5)`",
                ),
            )
        };
        // One spelling: `Cu K-alpha1` and `Cu Kα1` become `cu ka1`.
        let text = s
            .to_lowercase()
            .replace('α', "a")
            .replace("alpha", "a")
            .replace("k-a", "ka");
        let (mut numbers, mut anode, mut lines) = (Vec::new(), None, Vec::new());
        let words = text.split(|c: char| c.is_whitespace() || "(),+".contains(c));
        for word in words.filter(|w| !w.is_empty()) {
            if matches!(word, "ratio" | "a" | "å" | "angstrom" | "ångström") {
                continue;
            }
            if let Ok(v) = word.strip_suffix(['a', 'å']).unwrap_or(word).parse::<f64>() {
                numbers.push(v);
                continue;
            }
            // An anode, a line, or both in one word (`cu`, `ka1`, `cuka1`); no anode's symbol
            // has a k.
            let (symbol, line) = word.split_at(word.find('k').unwrap_or(word.len()));
            if !symbol.is_empty() {
                let a = Anode::from_symbol(symbol).ok_or_else(bad)?;
                if anode.replace(a).is_some() {
                    return Err(bad());
                }
            }
            match line {
                "" => {}
                "ka" => lines.push(Line::KAlpha),
                "ka1" => lines.push(Line::KAlpha1),
                "ka2" => lines.push(Line::KAlpha2),
                _ => return Err(bad()),
            }
        }
        let of_anode = |w: Wavelength| match anode {
            Some(a) if w.anode != Some(a) => Err(bad()),
            _ => Ok(w),
        };
        match (numbers.as_slice(), s.contains('+')) {
            ([], false) if lines.len() <= 1 => Ok(Wavelength::of_anode(
                anode.ok_or_else(bad)?,
                lines.first().copied().unwrap_or(Line::KAlpha),
            )),
            (&[v], false) => of_anode(Wavelength::monochromatic(v)?),
            (&[a1, a2], true) => of_anode(Wavelength::doublet(a1, a2, Wavelength::KA2_RATIO)?),
            (&[a1, a2, ratio], true) => of_anode(Wavelength::doublet(a1, a2, ratio)?),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::refused;

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
        assert_eq!(refused(Wavelength::monochromatic(0.0)), "wavelength");
        assert_eq!(refused(Wavelength::monochromatic(f64::NAN)), "wavelength");
        assert_eq!(
            refused(Wavelength::doublet(f64::NAN, 1.55, 0.5)),
            "Kα1 wavelength"
        );
        assert_eq!(
            refused(Wavelength::doublet(1.54, -1.0, 0.5)),
            "Kα2 wavelength"
        );
        assert_eq!(
            refused(Wavelength::doublet(1.54, 1.55, 1.5)),
            "Kα2/Kα1 ratio"
        );
        assert_eq!(
            refused(Wavelength::doublet(1.54, 1.55, f64::NAN)),
            "Kα2/Kα1 ratio"
        );
        let err = Wavelength::monochromatic(-2.0).unwrap_err().to_string();
        assert!(err.contains("`wavelength`") && err.contains("-2"), "{err}");
    }

    #[test]
    fn anodes_and_lines_parse_in_every_spelling() {
        let parse = |s: &str| s.parse::<Wavelength>().unwrap();
        for s in ["Cu", "cu", " CuKa ", "Cu Kα", "CU K-ALPHA", "Cu Kalpha"] {
            assert_eq!(parse(s), Wavelength::CU_KA, "{s}");
        }
        for s in ["MoKa1", "Mo Kα1", "mo k-alpha1"] {
            assert_eq!(parse(s), Wavelength::MO_KA1, "{s}");
        }
        assert_eq!(parse("AgKa2"), Wavelength::AG_KA2);
        assert_eq!(parse("0.4959"), Wavelength::monochromatic(0.4959).unwrap());
        assert_eq!(parse("0.4959 Å"), parse("0.4959Å"));
        assert_eq!(parse("1.5406 A").anode(), Some(Anode::Cu));
        assert_eq!(parse("Cu Kα1 1.540598 Å"), Wavelength::CU_KA1);
        // Without its ratio a doublet has the tube's ½.
        assert_eq!(parse("Kα1 1.540598 Å + Kα2 1.544426 Å"), Wavelength::CU_KA);
    }

    #[test]
    fn what_display_writes_reads_back_equal() {
        for anode in Anode::ALL {
            for line in [Line::KAlpha, Line::KAlpha1, Line::KAlpha2] {
                let w = Wavelength::of_anode(anode, line);
                assert_eq!(w.to_string().parse::<Wavelength>().unwrap(), w, "{w}");
            }
        }
        let w = Wavelength::doublet(0.8, 0.8123, 0.37).unwrap();
        assert_eq!(w.to_string().parse::<Wavelength>().unwrap(), w);
    }

    #[test]
    fn text_that_is_no_wavelength_is_refused() {
        for s in [
            "",
            "Xx",
            "Cu Mo",
            "CuKa3",
            "Cu Kb",
            "Mo 1.54",
            "1.54 1.55",
            "1.54 +",
            "-1",
            "nan",
            "inf Å",
            "Kα1 1.54 Å + Kα2 1.55 Å (ratio 2)",
            "Cu Kα1 Kα2",
        ] {
            let e = s.parse::<Wavelength>().unwrap_err();
            assert!(e.invalid_parameter().is_some(), "{s}: {e}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn every_wavelength_reads_back_from_its_display(
            a1 in 0.05f64..5.0,
            d in 1e-4f64..0.05,
            ratio in 0.0f64..=1.0,
            doublet: bool,
        ) {
            let w = if doublet {
                Wavelength::doublet(a1, a1 + d, ratio).unwrap()
            } else {
                Wavelength::monochromatic(a1).unwrap()
            };
            proptest::prop_assert_eq!(w.to_string().parse::<Wavelength>().unwrap(), w);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Wavelength>();
        }
    }
}
