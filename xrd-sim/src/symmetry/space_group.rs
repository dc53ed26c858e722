//! Space groups in every setting of moyo's Hall-symbol table: operations and Wyckoff positions.

use std::sync::OnceLock;

use moyo::data::{HallSymbol, Setting, hall_symbol_entry, iter_wyckoff_positions_from_hall_number};

use super::{CrystalSystem, SymOp};
use crate::rounding::{floor, nearest_integer};
use crate::{Error, Result};

/// Number of Hall symbols (settings) in moyo's table.
const HALL_NUMBERS: i32 = 530;

/// Two images of a point closer than this (fractional, per axis) are one point of an orbit.
const ORBIT_TOLERANCE: f64 = 1e-6;

/// A Wyckoff position of one space-group setting.
#[derive(Debug, Clone, PartialEq)]
pub struct WyckoffPosition {
    /// Wyckoff letter (`'a'` is the most special position).
    pub letter: char,
    /// Number of points of the orbit in the conventional cell.
    pub multiplicity: usize,
    /// Site-symmetry symbol, e.g. `"4/mmm"` or `"1"` for the general position.
    pub site_symmetry: &'static str,
    /// The representative coordinates as the International Tables write them, e.g. `"x,2x,1/4"`.
    pub coordinates: &'static str,
    /// The representative as an affine map of free parameters (x, y, z) to fractional coordinates.
    pub representative: SymOp,
    /// Number of free coordinates (0 for a fixed point, 3 for the general position).
    pub degrees_of_freedom: usize,
}

impl WyckoffPosition {
    /// The representative point for free parameters `xyz` (components that are not free are
    /// ignored).
    pub fn point(&self, xyz: [f64; 3]) -> [f64; 3] {
        self.representative.apply(xyz)
    }
}

/// One space group in one setting: its conventional-cell operations (centring translations
/// included) and Wyckoff positions.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceGroup {
    number: u8,
    hall_number: u16,
    hall_symbol: &'static str,
    hm_short: &'static str,
    hm_full: &'static str,
    setting: &'static str,
    operations: Vec<SymOp>,
    wyckoff: Vec<WyckoffPosition>,
    /// The operations whose translation is not a lattice vector, as integer rotations: only
    /// they can make a reflection absent.
    extinctions: Vec<([[i32; 3]; 3], [f64; 3])>,
}

impl SpaceGroup {
    /// The numbers of the 230 space groups.
    pub const NUMBERS: std::ops::RangeInclusive<u8> = 1..=230;

    /// Whether `number` is a space-group number (1–230): the one place the range is checked.
    pub fn is_number(number: u8) -> bool {
        Self::NUMBERS.contains(&number)
    }

    /// Space group `number` (1–230) in its standard setting (unique axis b and cell choice 1 for
    /// monoclinic groups, hexagonal axes for rhombohedral ones, origin choice 2 where there are
    /// two; moyo's `Setting::Standard`).
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`] outside 1–230.
    pub fn new(number: u8) -> Result<&'static Self> {
        let hall = Self::is_number(number)
            .then(|| Setting::Standard.hall_number(i32::from(number)))
            .flatten()
            .ok_or_else(|| Error::UnknownSpaceGroup(number.to_string()))?;
        Self::from_hall_number(hall as u16)
    }

    /// The setting with this Hall number (1–530, the numbering of spglib and moyo).
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`] outside 1–530.
    pub fn from_hall_number(hall_number: u16) -> Result<&'static Self> {
        table()
            .get(usize::from(hall_number).wrapping_sub(1))
            .ok_or_else(|| Error::UnknownSpaceGroup(format!("Hall number {hall_number}")))
    }

    /// The setting whose Hall symbol is `symbol` (e.g. `-P 2ybc`; spaces and case are ignored).
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`] if no setting has this Hall symbol.
    pub fn from_hall_symbol(symbol: &str) -> Result<&'static Self> {
        let want = compact(symbol);
        table()
            .iter()
            .find(|g| compact(g.hall_symbol) == want)
            .ok_or_else(|| Error::UnknownSpaceGroup(format!("Hall symbol `{symbol}`")))
    }

    /// The setting named by a Hermann–Mauguin symbol, short or full, with or without spaces and
    /// underscores (`P 21/c`, `P2_1/c`, `P 1 21/n 1`, `F m -3 m`, old-style `F m 3 m`), optionally
    /// with an ITA setting suffix (`:1`, `:2` origin choice, `:H`, `:R` axes). Without a suffix the
    /// standard setting of the group is taken when the symbol names it (origin choice 2,
    /// hexagonal axes), else the first setting with that symbol.
    ///
    /// # Errors
    /// [`Error::UnknownSpaceGroup`] if no setting has this symbol.
    pub fn from_hm_symbol(symbol: &str) -> Result<&'static Self> {
        let unknown = || Error::UnknownSpaceGroup(format!("Hermann–Mauguin symbol `{symbol}`"));
        let (body, suffix) = match symbol.split_once(':') {
            Some((b, s)) => (b, Some(compact(s))),
            None => (symbol, None),
        };
        let want = hm_key(body);
        if want.is_empty() {
            return Err(unknown());
        }
        let candidates: Vec<&'static Self> = table()
            .iter()
            .filter(|g| {
                hm_key(g.hm_full) == want
                    || hm_key(&monoclinic_short(g.hm_full)) == want
                    || hm_key(g.hm_short) == want
            })
            .collect();
        // A symbol that matches a setting's full symbol names that setting; the short symbol is
        // shared by every setting of the group and only names the group.
        let exact: Vec<&'static Self> = candidates
            .iter()
            .copied()
            .filter(|g| hm_key(g.hm_full) == want || hm_key(&monoclinic_short(g.hm_full)) == want)
            .collect();
        let pool = if exact.is_empty() { candidates } else { exact };
        if let Some(s) = suffix {
            return pool
                .into_iter()
                .find(|g| compact(g.setting) == s)
                .ok_or_else(unknown);
        }
        let standard = pool.iter().copied().find(|g| g.is_standard());
        standard
            .or_else(|| pool.first().copied())
            .ok_or_else(unknown)
    }

    /// The same group in rhombohedral axes (`:R`), for the seven R groups; `None` otherwise.
    pub fn rhombohedral_axes(&self) -> Option<&'static Self> {
        table()
            .iter()
            .find(|g| g.number == self.number && g.setting == "R")
    }

    /// The other origin choice (`1` ↔ `2`) of the 24 groups that have two; `None` otherwise.
    pub fn other_origin_choice(&self) -> Option<&'static Self> {
        let other = match self.setting {
            "1" => "2",
            "2" => "1",
            _ => return None,
        };
        table()
            .iter()
            .find(|g| g.number == self.number && g.setting == other)
    }

    /// `true` for the setting [`SpaceGroup::new`] returns.
    pub fn is_standard(&self) -> bool {
        Setting::Standard.hall_number(i32::from(self.number)) == Some(i32::from(self.hall_number))
    }

    /// International Tables number (1–230).
    pub fn number(&self) -> u8 {
        self.number
    }

    /// Hall number (1–530).
    pub fn hall_number(&self) -> u16 {
        self.hall_number
    }

    /// Hall symbol, e.g. `-P 2ybc`.
    pub fn hall_symbol(&self) -> &'static str {
        self.hall_symbol
    }

    /// Short Hermann–Mauguin symbol of the group, e.g. `P 2_1/c` (the same for every setting).
    pub fn hm_symbol(&self) -> &'static str {
        self.hm_short
    }

    /// Full Hermann–Mauguin symbol of this setting, e.g. `P 1 2_1/n 1`.
    pub fn hm_full_symbol(&self) -> &'static str {
        self.hm_full
    }

    /// moyo's setting code: `""` for groups with one setting, `b1`… for monoclinic unique axis and
    /// cell choice, `1`/`2` for the origin choice, `H`/`R` for rhombohedral groups.
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// The crystal system.
    pub fn crystal_system(&self) -> CrystalSystem {
        // `number` is 1–230 by construction.
        CrystalSystem::from_space_group(self.number).unwrap_or(CrystalSystem::Triclinic)
    }

    /// Every operation of the conventional cell, centring translations included (translations
    /// in [0, 1)); the identity comes first.
    pub fn operations(&self) -> &[SymOp] {
        &self.operations
    }

    /// Whether the reflection `hkl` (indices on this setting's conventional cell) is
    /// systematically absent: some operation (R, t) leaves it fixed (hR = h) while h · t is not
    /// an integer, so that its structure factor equals itself times exp(2πi h · t) ≠ 1 for every
    /// structure of the group. Centring, glide planes and screw axes show this way; the general
    /// conditions only (special positions can add more).
    ///
    /// ```
    /// use xrd_sim::SpaceGroup;
    /// let fm3m = SpaceGroup::new(225)?;
    /// assert!(fm3m.is_absent([1, 0, 0]) && !fm3m.is_absent([1, 1, 1]));
    /// // P 1 21/c 1 and its setting P 1 21/a 1 (Hall -P 2yab): the glide moves with the axes.
    /// let p21c = SpaceGroup::new(14)?;
    /// let p21a = SpaceGroup::from_hall_symbol("-P 2yab")?;
    /// assert!(p21c.is_absent([1, 0, 1]) && !p21c.is_absent([1, 0, 2]));
    /// assert!(p21a.is_absent([1, 0, 2]) && !p21a.is_absent([2, 0, 1]));
    /// # Ok::<(), xrd_sim::Error>(())
    /// ```
    pub fn is_absent(&self, hkl: [i32; 3]) -> bool {
        self.extinctions.iter().any(|(r, t)| {
            let fixed = (0..3).all(|j| (0..3).map(|i| hkl[i] * r[i][j]).sum::<i32>() == hkl[j]);
            fixed && !is_integer((0..3).map(|i| f64::from(hkl[i]) * t[i]).sum())
        })
    }

    /// The Wyckoff positions, general position first, then by decreasing multiplicity.
    pub fn wyckoff_positions(&self) -> &[WyckoffPosition] {
        &self.wyckoff
    }

    /// The distinct images of `frac` under every operation, wrapped into [0, 1).
    pub fn orbit(&self, frac: [f64; 3]) -> Vec<[f64; 3]> {
        let mut out: Vec<[f64; 3]> = Vec::with_capacity(self.operations.len());
        // The points so far sorted by their first coordinate, so that only those whose first
        // coordinate is within (twice) the tolerance of p's, modulo 1, are compared in full.
        let mut by_x: Vec<(f64, usize)> = Vec::with_capacity(self.operations.len());
        let same = |p: &[f64; 3], q: &[f64; 3]| {
            (0..3).all(|k| {
                let d = p[k] - q[k];
                (d - nearest_integer(d)).abs() < ORBIT_TOLERANCE
            })
        };
        let window = 2.0 * ORBIT_TOLERANCE;
        for op in &self.operations {
            let p = op.apply(frac).map(wrap);
            let x = p[0];
            let near = |lo: f64, hi: f64| {
                let first = by_x.partition_point(|&(q, _)| q < lo);
                by_x[first..]
                    .iter()
                    .take_while(|&&(q, _)| q <= hi)
                    .any(|&(_, i)| same(&p, &out[i]))
            };
            // Coordinates lie in [0, 1): near 0 and near 1 are neighbours.
            let seen = near(x - window, x + window)
                || (x < window && near(1.0 - window, 1.0))
                || (x > 1.0 - window && near(0.0, window));
            if !seen {
                let at = by_x.partition_point(|&(q, _)| q < x);
                by_x.insert(at, (x, out.len()));
                out.push(p);
            }
        }
        out
    }
}

/// x mod 1 in [0, 1).
pub(crate) fn wrap(x: f64) -> f64 {
    let y = x - floor(x);
    if y >= 1.0 { 0.0 } else { y }
}

/// Every setting, indexed by Hall number − 1, built on first use.
fn table() -> &'static [SpaceGroup] {
    static TABLE: OnceLock<Vec<SpaceGroup>> = OnceLock::new();
    TABLE.get_or_init(|| (1..=HALL_NUMBERS).filter_map(build).collect())
}

fn build(hall: i32) -> Option<SpaceGroup> {
    let entry = hall_symbol_entry(hall)?;
    let hs = HallSymbol::new(entry.hall_symbol)?;
    let coset = hs.traverse();
    let mut operations = Vec::with_capacity(coset.len() * hs.centering.order());
    for t in hs.centering.lattice_points() {
        for op in &coset {
            let r = op.rotation;
            operations.push(SymOp {
                rotation: std::array::from_fn(|i| std::array::from_fn(|j| f64::from(r[(i, j)]))),
                translation: std::array::from_fn(|i| wrap(t[i] + op.translation[i])),
            });
        }
    }
    let wyckoff = iter_wyckoff_positions_from_hall_number(hall)
        .filter_map(|w| {
            let representative = SymOp::parse(w.coordinates).ok()?;
            Some(WyckoffPosition {
                letter: w.letter,
                multiplicity: w.multiplicity,
                site_symmetry: w.site_symmetry,
                coordinates: w.coordinates,
                degrees_of_freedom: rank(&representative.rotation),
                representative,
            })
        })
        .collect();
    let extinctions = operations
        .iter()
        .filter(|op| op.translation.iter().any(|t| !is_integer(*t)))
        .map(|op| {
            (
                op.rotation.map(|r| r.map(|v| v.round() as i32)),
                op.translation,
            )
        })
        .collect();
    Some(SpaceGroup {
        number: u8::try_from(entry.number).ok()?,
        hall_number: u16::try_from(hall).ok()?,
        hall_symbol: entry.hall_symbol,
        hm_short: entry.hm_short,
        hm_full: entry.hm_full,
        setting: entry.setting,
        operations,
        wyckoff,
        extinctions,
    })
}

fn is_integer(x: f64) -> bool {
    (x - x.round()).abs() < 1e-6
}

/// Rank of a small integer-valued matrix.
fn rank(m: &[[f64; 3]; 3]) -> usize {
    let det = crate::lattice::det(m);
    if det.abs() > 0.5 {
        return 3;
    }
    let any_minor = (0..3).any(|i0| {
        (i0 + 1..3).any(|i1| {
            (0..3).any(|j0| {
                (j0 + 1..3).any(|j1| (m[i0][j0] * m[i1][j1] - m[i0][j1] * m[i1][j0]).abs() > 0.5)
            })
        })
    });
    if any_minor {
        2
    } else if m.iter().flatten().any(|v| v.abs() > 0.5) {
        1
    } else {
        0
    }
}

/// Lower case without whitespace.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Comparison key of an H-M symbol: lower case without whitespace and underscores, old-style
/// cubic `m3`, `n3`, `a3`, `d3` (no bar) read as `m-3`…; only cubic symbols have a 3 after a
/// mirror or glide letter, so this cannot merge two groups.
fn hm_key(s: &str) -> String {
    let c: Vec<char> = compact(s).chars().filter(|&c| c != '_').collect();
    let mut out = String::with_capacity(c.len() + 1);
    for (i, &ch) in c.iter().enumerate() {
        if ch == '3' && i > 1 && matches!(c[i - 1], 'm' | 'n' | 'a' | 'd') {
            out.push('-');
        }
        out.push(ch);
    }
    out
}

/// `P 1 2_1/n 1` → `P 2_1/n` (the short form of a monoclinic full symbol); other symbols as given.
fn monoclinic_short(full: &str) -> String {
    let parts: Vec<&str> = full.split_whitespace().collect();
    if parts.len() == 4 && parts[1..].iter().filter(|p| **p == "1").count() == 2 {
        let axis = parts[1..]
            .iter()
            .find(|p| **p != "1")
            .copied()
            .unwrap_or("1");
        format!("{} {axis}", parts[0])
    } else {
        full.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an [`Error::UnknownSpaceGroup`] names; `ok` for a group, the error itself for another
    /// one.
    fn unknown(r: Result<&'static SpaceGroup>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(Error::UnknownSpaceGroup(s)) => s,
            Err(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn absences_of_known_groups() {
        let absent = |g: u8, h: [i32; 3]| SpaceGroup::new(g).unwrap().is_absent(h);
        // Fm-3m (225): h, k, l all odd or all even.
        assert!(!absent(225, [1, 1, 1]) && !absent(225, [2, 0, 0]));
        assert!(absent(225, [1, 0, 0]) && absent(225, [2, 1, 0]));
        // Fd-3m (227): also 0kl only with k + l = 4n.
        assert!(!absent(227, [2, 2, 0]) && absent(227, [2, 0, 0]) && !absent(227, [4, 0, 0]));
        // Im-3m (229): h + k + l even.
        assert!(!absent(229, [1, 1, 0]) && absent(229, [1, 0, 0]) && absent(229, [1, 1, 1]));
        // Ia-3d (230): hhl with 2h + l = 4n, so 211 present, 110 and 222 absent.
        assert!(!absent(230, [2, 1, 1]) && absent(230, [1, 1, 0]) && absent(230, [2, 2, 2]));
        // P2_1/c (14, unique axis b): 0k0 with k even, h0l with l even.
        assert!(absent(14, [0, 1, 0]) && !absent(14, [0, 2, 0]));
        assert!(absent(14, [1, 0, 1]) && !absent(14, [1, 0, 2]) && !absent(14, [1, 1, 1]));
        // Pnma (62): 0kl with k + l even, hk0 with h even.
        assert!(absent(62, [0, 1, 2]) && !absent(62, [0, 1, 1]) && absent(62, [1, 1, 0]));
        // R-3m on hexagonal axes (166): −h + k + l = 3n.
        assert!(!absent(166, [0, 0, 3]) && absent(166, [0, 0, 1]) && !absent(166, [1, 0, 1]));
        // P1 and Pm-3m: none.
        for h in [[1, 0, 0], [1, 1, 1], [2, 1, 0]] {
            assert!(!absent(1, h) && !absent(221, h));
        }
    }

    /// Against the structure factor of an atom on a general position: a reflection is absent
    /// exactly when the sum over the orbit vanishes, in every setting moyo has.
    #[test]
    fn absences_are_the_zeros_of_the_general_structure_factor() {
        let r = [0.1234, 0.3157, 0.7713];
        for group in table() {
            let images: Vec<[f64; 3]> = group.operations().iter().map(|op| op.apply(r)).collect();
            for h in -3..=3 {
                for k in -3..=3 {
                    for l in -3..=3 {
                        let (mut re, mut im) = (0.0f64, 0.0f64);
                        for p in &images {
                            let phase = std::f64::consts::TAU
                                * (f64::from(h) * p[0] + f64::from(k) * p[1] + f64::from(l) * p[2]);
                            re += phase.cos();
                            im += phase.sin();
                        }
                        let zero = (re * re + im * im).sqrt() < 1e-6 * images.len() as f64;
                        assert_eq!(
                            group.is_absent([h, k, l]),
                            zero,
                            "Hall {} ({}): {h} {k} {l}",
                            group.hall_number(),
                            group.hm_symbol()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_group_has_consistent_operations_and_wyckoff_positions() {
        assert_eq!(table().len(), HALL_NUMBERS as usize);
        for n in 1..=230u8 {
            let g = SpaceGroup::new(n).unwrap();
            assert_eq!(g.number(), n);
            assert!(g.is_standard());
            assert_eq!(g.operations()[0], SymOp::IDENTITY, "{n}");
            let w = g.wyckoff_positions();
            assert!(!w.is_empty(), "{n}");
            assert_eq!(w[0].multiplicity, g.operations().len(), "{n}");
            assert_eq!(w[0].degrees_of_freedom, 3, "{n}");
            // A generic point of each position has an orbit of its multiplicity.
            for wp in w {
                let p = wp.point([0.1234, 0.2718, 0.3141]);
                assert_eq!(g.orbit(p).len(), wp.multiplicity, "{n} {}", wp.letter);
            }
        }
        assert_eq!(unknown(SpaceGroup::new(0)), "0");
        assert_eq!(unknown(SpaceGroup::new(231)), "231");
        assert_eq!(
            unknown(SpaceGroup::from_hall_number(531)),
            "Hall number 531"
        );
        assert_eq!(unknown(SpaceGroup::from_hall_number(0)), "Hall number 0");
    }

    #[test]
    fn symbols_are_found_in_their_usual_spellings() {
        let num = |s: &str| SpaceGroup::from_hm_symbol(s).unwrap().number();
        assert_eq!(num("P 21/c"), 14);
        assert_eq!(num("P2_1/c"), 14);
        assert_eq!(num("P 1 21/n 1"), 14);
        assert_eq!(
            SpaceGroup::from_hm_symbol("P 21/n").unwrap().setting(),
            "b2"
        );
        assert!(SpaceGroup::from_hm_symbol("P 21/c").unwrap().is_standard());
        assert_eq!(num("F m -3 m"), 225);
        assert_eq!(num("F m 3 m"), 225);
        assert_eq!(num("Fd-3m"), 227);
        assert_eq!(num("F d 3 m"), 227);
        assert!(
            SpaceGroup::from_hm_symbol("F d -3 m")
                .unwrap()
                .is_standard()
        );
        assert_eq!(
            SpaceGroup::from_hm_symbol("F d -3 m :1").unwrap().setting(),
            "1"
        );
        assert_eq!(num("P 63/m m c"), 194);
        assert_eq!(num("P 42/m n m"), 136);
        assert_eq!(num("P -1"), 2);
        assert_eq!(num("P 1"), 1);
        assert_eq!(num("P -3"), 147);
        assert_eq!(num("P 3"), 143);
        assert_eq!(num("I a -3 d"), 230);
        assert_eq!(num("Ia3d"), 230);
        let r = SpaceGroup::from_hm_symbol("R -3 m").unwrap();
        assert_eq!((r.number(), r.setting()), (166, "H"));
        assert_eq!(
            SpaceGroup::from_hm_symbol("R -3 m:R").unwrap().setting(),
            "R"
        );
        assert_eq!(r.rhombohedral_axes().unwrap().setting(), "R");
        assert!(SpaceGroup::new(225).unwrap().rhombohedral_axes().is_none());
        let origins = (1..=230u8)
            .filter(|&n| SpaceGroup::new(n).unwrap().other_origin_choice().is_some())
            .count();
        assert_eq!(origins, 24);
        assert_eq!(
            SpaceGroup::new(227)
                .unwrap()
                .other_origin_choice()
                .unwrap()
                .setting(),
            "1"
        );
        assert_eq!(
            SpaceGroup::from_hall_symbol("-P 2ybc").unwrap().number(),
            14
        );
        assert_eq!(
            SpaceGroup::from_hall_symbol("-f 4 2 3").unwrap().number(),
            225
        );
        for bad in ["", "X 1", "P 5", "F m -3 m:9"] {
            assert_eq!(
                unknown(SpaceGroup::from_hm_symbol(bad)),
                format!("Hermann–Mauguin symbol `{bad}`")
            );
        }
        assert_eq!(
            unknown(SpaceGroup::from_hall_symbol("P 9")),
            "Hall symbol `P 9`"
        );
        assert_eq!(SpaceGroup::new(62).unwrap().hm_symbol(), "P n m a");
        assert_eq!(
            SpaceGroup::new(225).unwrap().crystal_system(),
            CrystalSystem::Cubic
        );
    }
}
