//! The refinement's parameters: a typed identity for each, and one table of (identity, name,
//! start, bounds) from which the index layout, the names, the reported values and the
//! correlations all derive.
//!
//! The table holds where a fit starts; the working values travel as a plain vector in the
//! table's order (a [`crate::State`] between fits), so one prepared model serves many fits.

use serde::{Deserialize, Serialize};

/// The three parameters of one broad background peak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HumpPart {
    /// Its area (counts × degrees).
    Area,
    /// Its centre (° 2θ).
    Position,
    /// Its full width at half maximum (° 2θ).
    Fwhm,
}

impl HumpPart {
    const ALL: [HumpPart; 3] = [HumpPart::Area, HumpPart::Position, HumpPart::Fwhm];

    fn name(self) -> &'static str {
        match self {
            HumpPart::Area => "area",
            HumpPart::Position => "position",
            HumpPart::Fwhm => "fwhm",
        }
    }
}

/// The instrument's width terms, in the order of [`crate::Instrument`]'s fields (the layout
/// relies on it): Caglioti's Gaussian U, V, W and the Lorentzian X, Y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Width {
    /// Caglioti's U (tan²θ).
    U,
    /// Caglioti's V (tan θ).
    V,
    /// Caglioti's W (constant).
    W,
    /// Lorentzian X (1 / cos θ).
    X,
    /// Lorentzian Y (tan θ).
    Y,
}

impl Width {
    const ALL: [Width; 5] = [Width::U, Width::V, Width::W, Width::X, Width::Y];

    fn name(self) -> &'static str {
        match self {
            Width::U => "U",
            Width::V => "V",
            Width::W => "W",
            Width::X => "X",
            Width::Y => "Y",
        }
    }
}

/// A parameter of one asymmetric-unit site of a phase's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SiteParam {
    /// The free coordinate along a (fractional x), or the one x leads on a special position
    /// (`x, 2x, 1/4`: the others follow it).
    #[serde(rename = "x")]
    X,
    /// Likewise for y.
    #[serde(rename = "y")]
    Y,
    /// Likewise for z.
    #[serde(rename = "z")]
    Z,
    /// The isotropic displacement parameter U (Å²; B = 8π²U).
    U,
    /// The occupancy.
    #[serde(rename = "occ")]
    Occupancy,
    /// An anisotropic displacement component U11 (Å², the CIF's convention); with the others
    /// of [`SiteParam::ANISOTROPIC`] it replaces U, each free where the site symmetry leaves
    /// it so and the others following it.
    U11,
    /// U22.
    U22,
    /// U33.
    U33,
    /// U12.
    U12,
    /// U13.
    U13,
    /// U23.
    U23,
}

impl std::str::FromStr for SiteParam {
    type Err = crate::Error;

    /// `x`, `y`, `z`, `U` (or `uiso`), `occ`, `U11` … `U23`.
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "uiso" | "Uiso" | "u" => Ok(SiteParam::U),
            _ => SiteParam::ALL
                .into_iter()
                .find(|p| p.name() == s)
                .ok_or_else(|| {
                    crate::error::invalid(
                        "atoms",
                        format!("`{s}` is no site parameter (x, y, z, U, occ, U11 … U23)"),
                    )
                }),
        }
    }
}

impl SiteParam {
    const ALL: [SiteParam; 11] = [
        SiteParam::X,
        SiteParam::Y,
        SiteParam::Z,
        SiteParam::U,
        SiteParam::Occupancy,
        SiteParam::U11,
        SiteParam::U22,
        SiteParam::U33,
        SiteParam::U12,
        SiteParam::U13,
        SiteParam::U23,
    ];

    /// The six anisotropic components, in [`xrd_sim::BETA_COMPONENTS`] order.
    pub const ANISOTROPIC: [SiteParam; 6] = [
        SiteParam::U11,
        SiteParam::U22,
        SiteParam::U33,
        SiteParam::U12,
        SiteParam::U13,
        SiteParam::U23,
    ];

    /// Its name in a parameter's text form (`x`, `y`, `z`, `U`, `occ`).
    pub fn name(self) -> &'static str {
        match self {
            SiteParam::X => "x",
            SiteParam::Y => "y",
            SiteParam::Z => "z",
            SiteParam::U => "U",
            SiteParam::Occupancy => "occ",
            SiteParam::U11 => "U11",
            SiteParam::U22 => "U22",
            SiteParam::U33 => "U33",
            SiteParam::U12 => "U12",
            SiteParam::U13 => "U13",
            SiteParam::U23 => "U23",
        }
    }

    /// The coordinate of axis `k` (0, 1, 2).
    pub(crate) fn axis(k: usize) -> Self {
        [SiteParam::X, SiteParam::Y, SiteParam::Z][k.min(2)]
    }
}

/// What a parameter is, and whose: phase `p`, measured reference `r`, background term or hump
/// `k`, free cell parameter `c` of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Id {
    Background(usize),
    Hump(usize, HumpPart),
    /// The 2θ zero shift.
    Zero,
    /// The specimen displacement: a shift of cos θ (Bragg–Brentano) or, in Debye–Scherrer
    /// geometry, of cos 2θ (an offset across the beam).
    Displacement,
    /// A Debye–Scherrer specimen's offset along the beam (a shift of sin 2θ).
    DisplacementAlong,
    Width(Width),
    Asymmetry,
    Scale(usize),
    Cell(usize, usize),
    /// A phase's overall atomic displacement parameter.
    B(usize),
    Size(usize),
    Strain(usize),
    Texture(usize),
    ReferenceScale(usize),
    ReferenceShift(usize),
    /// Site `s` of phase `p`'s asymmetric unit.
    Site(usize, usize, SiteParam),
    /// Phase `p`'s spherical-harmonic texture coefficient: its order l and its index among
    /// that order's invariant harmonics.
    Harmonic(usize, u8, u8),
}

impl Id {
    /// The phase the parameter belongs to, if any.
    pub fn phase(self) -> Option<usize> {
        match self {
            Id::Scale(p)
            | Id::Cell(p, _)
            | Id::B(p)
            | Id::Size(p)
            | Id::Strain(p)
            | Id::Texture(p)
            | Id::Site(p, ..)
            | Id::Harmonic(p, ..) => Some(p),
            Id::Background(_)
            | Id::Hump(..)
            | Id::Zero
            | Id::Displacement
            | Id::DisplacementAlong
            | Id::Width(_)
            | Id::Asymmetry
            | Id::ReferenceScale(_)
            | Id::ReferenceShift(_) => None,
        }
    }

    /// The largest change of the parameter in one least-squares step: a site's coordinate by
    /// 0.02 of the cell edge, a displacement by 0.01 Å², an occupancy by 0.1; unlimited for
    /// the rest (the damping bounds them).
    pub fn max_shift(self) -> f64 {
        match self {
            Id::Site(_, _, SiteParam::X | SiteParam::Y | SiteParam::Z) => 0.02,
            Id::Site(_, _, SiteParam::Occupancy) => 0.1,
            Id::Site(..) => 0.01,
            _ => f64::INFINITY,
        }
    }

    /// Whether the parameter's lower bound is a physical limit where it rests when there is
    /// nothing to refine (a scale refined away, no size or strain broadening, a Gaussian width
    /// at its floor at synchrotron resolution): no warning there, and no at-bound flag.
    pub fn physical_floor(self) -> bool {
        matches!(
            self,
            Id::Size(_)
                | Id::Strain(_)
                | Id::Scale(_)
                | Id::ReferenceScale(_)
                | Id::Width(Width::U | Width::W)
        )
    }
}

/// A phase's own parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PhaseParam {
    /// The scale factor.
    Scale,
    /// A free coefficient of the reciprocal metric tensor, named by the coefficients it ties
    /// (`A`, `A=B`, `A=B=C`, `D`, …: A = a*², B = b*², C = c*², D = 2b*c* cos α*, E, F likewise;
    /// a crystal system's ties joined by `=`).
    Cell(String),
    /// The overall atomic displacement parameter B (Å²).
    B,
    /// The crystallite-size broadening.
    Size,
    /// The microstrain broadening.
    Strain,
    /// The March–Dollase ratio r of the texture direction kept.
    Texture,
    /// A parameter of the asymmetric-unit site of this label.
    Site(String, SiteParam),
    /// A coefficient of the spherical-harmonic texture: the order l (2, 4, 6, 8) and the
    /// index among that order's harmonics the Laue class leaves invariant.
    Harmonic(u8, u8),
}

/// A measured reference's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ReferenceParam {
    /// Its scale.
    Scale,
    /// Its 2θ shift.
    Shift,
}

/// What a refined parameter is, by name: the key of [`crate::ParameterValue`]s, of a
/// [`crate::State`] and of whatever a front end frees, fixes or plots. Its text form parses
/// back:
///
/// | text | parameter |
/// | --- | --- |
/// | `background.3` | Chebyshev background term 3 |
/// | `hump.0.area`, `hump.0.position`, `hump.0.fwhm` | broad background peak 0 |
/// | `instrument.zero` | the 2θ zero shift |
/// | `instrument.U` … `instrument.Y`, `instrument.asymmetry` | the instrument's widths, asymmetry |
/// | `specimen.displacement` | the specimen displacement (a shift of cos θ; of cos 2θ, across the beam, in Debye–Scherrer geometry) |
/// | `specimen.displacement_along` | a Debye–Scherrer specimen's offset along the beam (a shift of sin 2θ) |
/// | `Calcite.scale`, `.B`, `.size`, `.strain`, `.texture` | phase `Calcite`'s own |
/// | `Calcite.cell.A=B` | a free metric coefficient of its cell ([`PhaseParam::Cell`]) |
/// | `reference.KAOLINITE.scale`, `.shift` | a measured reference's |
/// | `PbSO4.site.O3.x`, `.y`, `.z`, `.U`, `.occ` | site `O3` of phase `PbSO4` ([`SiteParam`]) |
/// | `Gibbsite.harmonic.4.1` | the second order-4 coefficient of its harmonic texture |
///
/// A phase may not be called `background`, `hump`, `instrument`, `specimen` or `reference`, nor
/// begin with one of them and a dot, and every key of a refinement must read back as itself
/// (the refinement refuses a name whose keys would not, such as `X.cell`, whose B would read
/// as its cell coefficient B): so every text names
/// one parameter. Otherwise a phase name may contain dots (it is read up to its last known
/// suffix).
///
/// ```
/// use xrd_refine::{ParamId, PhaseParam};
/// let id: ParamId = "Calcite.cell.A=B".parse()?;
/// assert_eq!(id, ParamId::Phase("Calcite".into(), PhaseParam::Cell("A=B".into())));
/// assert_eq!(id.to_string(), "Calcite.cell.A=B");
/// assert_eq!(id.phase(), Some("Calcite"));
/// assert!("Calcite.volume".parse::<ParamId>().is_err());
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ParamId {
    /// A Chebyshev background term.
    Background(usize),
    /// A part of a broad background peak.
    Hump(usize, HumpPart),
    /// The 2θ zero shift.
    Zero,
    /// The specimen displacement (across the beam in Debye–Scherrer geometry).
    Displacement,
    /// A Debye–Scherrer specimen's offset along the beam.
    DisplacementAlong,
    /// An instrument width term.
    Width(Width),
    /// The instrument's asymmetry.
    Asymmetry,
    /// A phase's parameter.
    Phase(String, PhaseParam),
    /// A measured reference's parameter.
    Reference(String, ReferenceParam),
}

/// Whether `c` names free metric coefficients: `A` … `F` joined by `=` (`A=B=C`).
fn is_coefficient_name(c: &str) -> bool {
    !c.is_empty()
        && c.split('=')
            .all(|x| matches!(x, "A" | "B" | "C" | "D" | "E" | "F"))
}

/// The first segments of the text forms that are not a phase's: no phase may be called so.
pub const RESERVED_NAMES: [&str; 5] = ["background", "hump", "instrument", "specimen", "reference"];

impl ParamId {
    /// The phase it belongs to, if any.
    pub fn phase(&self) -> Option<&str> {
        match self {
            ParamId::Phase(name, _) => Some(name),
            ParamId::Background(_)
            | ParamId::Hump(..)
            | ParamId::Zero
            | ParamId::Displacement
            | ParamId::DisplacementAlong
            | ParamId::Width(_)
            | ParamId::Asymmetry
            | ParamId::Reference(..) => None,
        }
    }

    /// Whether it belongs to phase `name`.
    pub fn is_of_phase(&self, name: &str) -> bool {
        self.phase() == Some(name)
    }
}

impl std::fmt::Display for ParamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamId::Background(k) => write!(f, "background.{k}"),
            ParamId::Hump(k, part) => write!(f, "hump.{k}.{}", part.name()),
            ParamId::Zero => f.write_str("instrument.zero"),
            ParamId::Displacement => f.write_str("specimen.displacement"),
            ParamId::DisplacementAlong => f.write_str("specimen.displacement_along"),
            ParamId::Width(w) => write!(f, "instrument.{}", w.name()),
            ParamId::Asymmetry => f.write_str("instrument.asymmetry"),
            ParamId::Phase(name, param) => match param {
                PhaseParam::Scale => write!(f, "{name}.scale"),
                PhaseParam::Cell(c) => write!(f, "{name}.cell.{c}"),
                PhaseParam::B => write!(f, "{name}.B"),
                PhaseParam::Size => write!(f, "{name}.size"),
                PhaseParam::Strain => write!(f, "{name}.strain"),
                PhaseParam::Texture => write!(f, "{name}.texture"),
                PhaseParam::Site(label, p) => write!(f, "{name}.site.{label}.{}", p.name()),
                PhaseParam::Harmonic(l, k) => write!(f, "{name}.harmonic.{l}.{k}"),
            },
            ParamId::Reference(name, param) => match param {
                ReferenceParam::Scale => write!(f, "reference.{name}.scale"),
                ReferenceParam::Shift => write!(f, "reference.{name}.shift"),
            },
        }
    }
}

impl std::str::FromStr for ParamId {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        let bad = || {
            crate::error::invalid(
                "parameter",
                format!(
                    "`{s}` names no parameter (such as `Calcite.scale`, `Calcite.cell.A`, \
                     `instrument.U`, `background.0`, `reference.KAOLINITE.shift`)"
                ),
            )
        };
        let index = |t: &str| t.parse::<usize>().map_err(|_| bad());
        let (root, rest) = s.split_once('.').ok_or_else(bad)?;
        let id = match root {
            "background" => ParamId::Background(index(rest)?),
            "hump" => {
                let (k, part) = rest.split_once('.').ok_or_else(bad)?;
                let part = HumpPart::ALL
                    .into_iter()
                    .find(|p| p.name() == part)
                    .ok_or_else(bad)?;
                ParamId::Hump(index(k)?, part)
            }
            "instrument" => match rest {
                "zero" => ParamId::Zero,
                "asymmetry" => ParamId::Asymmetry,
                w => ParamId::Width(
                    Width::ALL
                        .into_iter()
                        .find(|x| x.name() == w)
                        .ok_or_else(bad)?,
                ),
            },
            "specimen" if rest == "displacement" => ParamId::Displacement,
            "specimen" if rest == "displacement_along" => ParamId::DisplacementAlong,
            "reference" => {
                let (name, param) = rest.rsplit_once('.').ok_or_else(bad)?;
                let param = match param {
                    "scale" => ReferenceParam::Scale,
                    "shift" => ReferenceParam::Shift,
                    _ => return Err(bad()),
                };
                if name.is_empty() {
                    return Err(bad());
                }
                ParamId::Reference(name.to_string(), param)
            }
            _ if RESERVED_NAMES.contains(&root) => return Err(bad()),
            _ => {
                let (name, param) = if let Some((name, c)) = s
                    .rsplit_once(".cell.")
                    .filter(|(_, c)| is_coefficient_name(c))
                {
                    (name, PhaseParam::Cell(c.to_string()))
                } else if let Some((name, l, k)) = s.rsplit_once('.').and_then(|(head, k)| {
                    let (head, l) = head.rsplit_once('.')?;
                    let name = head.strip_suffix(".harmonic")?;
                    Some((name, l.parse::<u8>().ok()?, k.parse::<u8>().ok()?))
                }) {
                    (name, PhaseParam::Harmonic(l, k))
                } else if let Some((name, label, param)) =
                    s.rsplit_once('.').and_then(|(head, suffix)| {
                        let param = SiteParam::ALL.into_iter().find(|p| p.name() == suffix)?;
                        let (name, label) = head.rsplit_once(".site.")?;
                        Some((name, label, param))
                    })
                {
                    if label.is_empty() {
                        return Err(bad());
                    }
                    (name, PhaseParam::Site(label.to_string(), param))
                } else {
                    let (name, suffix) = s.rsplit_once('.').ok_or_else(bad)?;
                    let param = match suffix {
                        "scale" => PhaseParam::Scale,
                        "B" => PhaseParam::B,
                        "size" => PhaseParam::Size,
                        "strain" => PhaseParam::Strain,
                        "texture" => PhaseParam::Texture,
                        _ => return Err(bad()),
                    };
                    (name, param)
                };
                if name.is_empty() || matches!(&param, PhaseParam::Cell(c) if c.is_empty()) {
                    return Err(bad());
                }
                ParamId::Phase(name.to_string(), param)
            }
        };
        Ok(id)
    }
}

impl Serialize for ParamId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ParamId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One parameter: its identity (by index, for the model's loops, and by name, for everyone
/// else), start and bounds.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub id: Id,
    pub key: ParamId,
    pub start: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Param {
    /// Whether `value` sits at one of the bounds (to a relative 1e-9) that is not a physical
    /// limit ([`Id::physical_floor`]): a parameter the data pushed against an arbitrary bound.
    pub fn at_bound(&self, value: f64) -> bool {
        let near = |b: f64| b.is_finite() && (value - b).abs() <= 1e-9 * b.abs().max(1e-9);
        near(self.hi) || (near(self.lo) && !self.id.physical_floor())
    }
}

/// The names a table's parameters are called by: each phase's and each measured reference's.
pub(crate) struct Owners<'a> {
    pub phases: &'a [String],
    /// Each phase's free cell parameters (`A`, `A=B`, …).
    pub cells: &'a [Vec<String>],
    pub references: &'a [String],
    /// Each phase's site labels (empty for a phase whose structure is not refined).
    pub sites: &'a [Vec<String>],
}

/// Every parameter of one refinement, in the order of the working vector.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    params: Vec<Param>,
}

impl Table {
    /// Appends a parameter keyed by its identity and its owner's name; returns its index.
    pub fn push(&mut self, id: Id, owners: &Owners<'_>, start: f64, lo: f64, hi: f64) -> usize {
        let phase = |p: usize, param| ParamId::Phase(owners.phases[p].clone(), param);
        let reference = |r: usize, param| ParamId::Reference(owners.references[r].clone(), param);
        let key = match id {
            Id::Background(k) => ParamId::Background(k),
            Id::Hump(k, part) => ParamId::Hump(k, part),
            Id::Zero => ParamId::Zero,
            Id::Displacement => ParamId::Displacement,
            Id::DisplacementAlong => ParamId::DisplacementAlong,
            Id::Width(w) => ParamId::Width(w),
            Id::Asymmetry => ParamId::Asymmetry,
            Id::Scale(p) => phase(p, PhaseParam::Scale),
            Id::Cell(p, c) => phase(p, PhaseParam::Cell(owners.cells[p][c].clone())),
            Id::B(p) => phase(p, PhaseParam::B),
            Id::Size(p) => phase(p, PhaseParam::Size),
            Id::Strain(p) => phase(p, PhaseParam::Strain),
            Id::Texture(p) => phase(p, PhaseParam::Texture),
            Id::ReferenceScale(r) => reference(r, ReferenceParam::Scale),
            Id::ReferenceShift(r) => reference(r, ReferenceParam::Shift),
            Id::Site(p, k, param) => phase(p, PhaseParam::Site(owners.sites[p][k].clone(), param)),
            Id::Harmonic(p, l, k) => phase(p, PhaseParam::Harmonic(l, k)),
        };
        self.params.push(Param {
            id,
            key,
            start,
            lo,
            hi,
        });
        self.params.len() - 1
    }

    pub fn len(&self) -> usize {
        self.params.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.params.iter()
    }

    /// Every parameter's start, in order: the working vector of a cold fit.
    pub fn starts(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.start).collect()
    }

    /// Every parameter's key, in order.
    pub fn keys(&self) -> Vec<ParamId> {
        self.params.iter().map(|p| p.key.clone()).collect()
    }
}

impl std::ops::Index<usize> for Table {
    type Output = Param;
    fn index(&self, i: usize) -> &Param {
        &self.params[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_identity_and_its_owner() {
        let owners = Owners {
            phases: &["rutile".to_string()],
            cells: &[vec!["A=B".to_string(), "C".to_string()]],
            references: &["kaolinite".to_string()],
            sites: &[],
        };
        let mut t = Table::default();
        t.push(Id::Hump(0, HumpPart::Fwhm), &owners, 8.0, 1.0, 60.0);
        t.push(Id::Cell(0, 1), &owners, 0.1, 0.09, 0.11);
        t.push(Id::ReferenceShift(0), &owners, 0.0, -0.1, 0.1);
        t.push(Id::Width(Width::W), &owners, 0.01, 1e-6, 1.0);
        let texts: Vec<String> = t.keys().iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "hump.0.fwhm",
                "rutile.cell.C",
                "reference.kaolinite.shift",
                "instrument.W"
            ]
        );
        assert_eq!(t.starts(), [8.0, 0.1, 0.0, 0.01]);
        assert!(t[1].at_bound(0.11) && !t[1].at_bound(0.1));
        // W's floor is a physical limit, its ceiling is not.
        assert!(!t[3].at_bound(1e-6) && t[3].at_bound(1.0));
    }

    #[test]
    fn every_key_parses_back_from_its_text() {
        let phase = |p: PhaseParam| ParamId::Phase("Ca0.9Mg0.1 CO3 (calcite)".into(), p);
        let mut ids = vec![
            ParamId::Background(0),
            ParamId::Background(17),
            ParamId::Zero,
            ParamId::Displacement,
            ParamId::DisplacementAlong,
            ParamId::Asymmetry,
            phase(PhaseParam::Scale),
            phase(PhaseParam::Cell("A=B=C".into())),
            phase(PhaseParam::Cell("D".into())),
            phase(PhaseParam::B),
            phase(PhaseParam::Size),
            phase(PhaseParam::Strain),
            phase(PhaseParam::Texture),
            phase(PhaseParam::Site("O3".into(), SiteParam::X)),
            phase(PhaseParam::Site("Fe.2".into(), SiteParam::Occupancy)),
            phase(PhaseParam::Site("Pb1".into(), SiteParam::U)),
            phase(PhaseParam::Harmonic(4, 1)),
            ParamId::Phase("a.harmonic".into(), PhaseParam::Harmonic(8, 0)),
            ParamId::Reference("ILLITE.1M".into(), ReferenceParam::Scale),
            ParamId::Reference("KAOLINITE".into(), ReferenceParam::Shift),
        ];
        ids.extend(HumpPart::ALL.map(|p| ParamId::Hump(2, p)));
        ids.extend(Width::ALL.map(ParamId::Width));
        for id in ids {
            let text = id.to_string();
            assert_eq!(text.parse::<ParamId>().ok(), Some(id.clone()), "{text}");
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("{text:?}"));
            assert_eq!(serde_json::from_str::<ParamId>(&json).unwrap(), id);
        }
    }

    #[test]
    fn texts_that_name_no_parameter_are_refused() {
        for bad in [
            "",
            "scale",
            ".scale",
            "Calcite.volume",
            "Calcite.harmonic.4",
            "Calcite.harmonic.x.1",
            ".harmonic.2.0",
            "Calcite.harmonic.2.300",
            "Calcite.cell.",
            "Calcite.cell.G",
            "Calcite.cell.A=",
            "background.x",
            "background.-1",
            "hump.0.height",
            "instrument.Z",
            "instrument",
            "specimen.zero",
            "reference.scale",
            "reference.KAOLINITE.B",
            "hump.scale",
            "PbSO4.site..x",
        ] {
            assert!(bad.parse::<ParamId>().is_err(), "{bad}");
        }
    }
}
