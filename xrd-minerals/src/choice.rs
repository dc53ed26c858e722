//! Which of a name's library entries is the reference for quantitative analysis, judged as a
//! crystallographer would before any fit, and the displacement parameters a reference is refined
//! with.
//!
//! A mineral name or formula often has dozens of entries: room-temperature refinements, heated
//! and compressed crystals, substituted members of a series, 1920s structures without
//! displacement parameters, and hydroxides published without their H. A better Rwp by a hair is
//! no evidence of a better structure, so the entries are ranked on what the library knows
//! ([`Suitability`]), and a fit may only overturn the ranking on clear evidence
//! ([`SWITCH_MARGIN`]).

use serde::Serialize;

use crate::{Entry, Library};

/// A candidate replaces the preferred reference only when its Rwp is lower by this fraction of
/// the preferred one's (0.100 → below 0.097): smaller differences come from the short comparison
/// fit and the profile, not from the structure.
pub const SWITCH_MARGIN: f64 = 0.03;

/// A cell whose volume per non-H atom differs from its phase's consensus (the median of its
/// modern entries at room conditions, else of all at room conditions) by more than this fraction is set aside: a heated, compressed or
/// substituted crystal, or a misprint.
pub const CELL_DEVIATION: f64 = 0.01;

/// A structure whose non-H sites have a mean B above this (Å²) has implausible displacement
/// parameters for a crystal at room temperature (ordered inorganic solids: 0.2–1.5 Å²).
pub const IMPLAUSIBLE_MEAN_B: f64 = 2.5;

/// The penalty of an entry refined with traces of other elements ([`crate::TRACE_FRACTION`]):
/// less than a missing B or an old refinement, more than nothing, so that of two otherwise
/// equal entries the pure one ranks first.
pub const TRACE_PENALTY: f64 = 0.5;

/// Refinements older than this year rank below modern ones.
pub const MODERN_YEAR: u16 = 1960;

/// The isotropic B (Å²) given to a site published without one (or in a set of implausible
/// ones): 2.0 for H (riding hydrogens take 1.2–1.5 × the U of their parent), 1.0 for the anions
/// O, F, Cl, N, S, 0.5 for the other (cation) sites. Typical room-temperature values of ordered
/// inorganic solids (Uiso 0.006–0.013 Å²; GSAS-II's default for a new atom is Uiso 0.01 Å²,
/// B 0.79 Å²); the overall B refined per phase corrects them where the data carry it.
pub fn default_b(element: &str) -> f64 {
    match element {
        "H" | "D" => 2.0,
        "O" | "F" | "Cl" | "N" | "S" => 1.0,
        _ => 0.5,
    }
}

/// How suitable an entry is as its phase's reference for quantitative analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suitability {
    /// The entry's id.
    pub id: String,
    /// Measured at room conditions ([`Entry::is_ambient`]).
    pub ambient: bool,
    /// Volume per non-H atom relative to its phase's consensus, less one.
    pub cell_deviation: f64,
    /// Its elements differ from the phase's usual ones (a substituted member of a series).
    pub substituted: bool,
    /// The chemistry needs H that the structure has no sites for ([`Phase::missing_hydrogen`]).
    ///
    /// [`Phase::missing_hydrogen`]: xrd_refine::Phase::missing_hydrogen
    pub hydrogen_missing: bool,
    /// Sites published without a displacement parameter (given [`default_b`]).
    pub b_missing: usize,
    /// The published displacement parameters are implausible ([`IMPLAUSIBLE_MEAN_B`]) and were
    /// replaced by [`default_b`].
    pub b_implausible: bool,
    /// Refined with traces of other elements ([`crate::TRACE_FRACTION`]): the same material,
    /// at [`TRACE_PENALTY`].
    pub traces: bool,
    /// Year of publication (0 when unknown).
    pub year: u16,
    /// Set aside while its phase has another entry: away from room conditions, a cell off the
    /// consensus by more than [`CELL_DEVIATION`], a substituted member or a supercell.
    pub set_aside: bool,
    /// The ranking's penalty: lower is better.
    pub penalty: f64,
    /// Each judgement that cost a penalty, as a person reads it.
    pub remarks: Vec<String>,
}

impl Suitability {
    /// One line: the remarks, or that nothing counts against the entry.
    pub fn summary(&self) -> String {
        if self.remarks.is_empty() {
            "ambient, complete, plausible B, modern".to_string()
        } else {
            self.remarks.join("; ")
        }
    }
}

/// An entry's traces ([`crate::Composition::traces`]) with their atomic fractions: a formula
/// that does not parse has none.
fn traces_of(e: &Entry) -> Vec<(String, f64)> {
    crate::Composition::parse(&e.formula)
        .map(|c| {
            (c.traces().into_iter())
                .map(|(t, f)| (t.to_string(), f))
                .collect()
        })
        .unwrap_or_default()
}

/// The phase an entry belongs to among a name's entries: its mineral name, else its formula and
/// space group.
fn phase_key(e: &Entry) -> String {
    if e.mineral.is_empty() {
        format!("{}|{}", e.formula, e.space_group)
    } else {
        e.mineral.to_ascii_lowercase()
    }
}

/// What a phase's entries agree on.
#[derive(Debug, Clone, Default)]
struct Consensus {
    /// Median volume per non-H atom.
    volume: Option<f64>,
    /// The most frequent element set.
    elements: Vec<String>,
    /// Median non-H atoms per lattice point.
    atoms: f64,
}

/// Volume (Å³) per non-H atom of the full cell, and those atoms' number per lattice point (a
/// rhombohedral phase in hexagonal axes holds three primitive cells); `None` when the structure
/// cannot be built.
pub(crate) fn volume_per_atom(e: &Entry) -> Option<(f64, f64)> {
    let s = e.structure().ok()?;
    let atoms: f64 = s
        .sites()
        .iter()
        .filter(|x| !matches!(x.species.element.symbol(), "H" | "D"))
        .map(|x| x.occupancy)
        .sum();
    let points = e
        .symmetry_operators()
        .ok()?
        .iter()
        .filter(|o| o.rotation == xrd_sim::SymOp::IDENTITY.rotation)
        .count()
        .max(1);
    (atoms > 0.0).then(|| (s.lattice().volume() / atoms, atoms / points as f64))
}

/// A cell with more than this many times the atoms (per lattice point) of its phase's usual
/// cell (the median of its entries) is a supercell (an ordering or defect model), not the phase's usual description.
pub const SUPERCELL: f64 = 1.5;

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Mean B of the non-H sites that have one; `None` when none has.
fn mean_b(e: &Entry) -> Option<f64> {
    let b: Vec<f64> = e
        .sites
        .iter()
        .filter(|s| !matches!(s.element.as_str(), "H" | "D") && s.b_iso > 0.0)
        .map(|s| s.b_iso)
        .collect();
    (!b.is_empty()).then(|| b.iter().sum::<f64>() / b.len() as f64)
}

/// The entry with missing B (0) given [`default_b`], and every non-H site's B replaced when
/// their mean is implausible ([`IMPLAUSIBLE_MEAN_B`]); unchanged otherwise. Also returns how
/// many sites had none and whether the set was implausible.
pub fn with_default_b(e: &Entry) -> (Entry, usize, bool) {
    let implausible = mean_b(e).is_some_and(|b| b > IMPLAUSIBLE_MEAN_B);
    let mut out = e.clone();
    let mut missing = 0;
    for s in &mut out.sites {
        let h = matches!(s.element.as_str(), "H" | "D");
        if s.b_iso <= 0.0 {
            missing += 1;
            s.b_iso = default_b(&s.element);
        } else if implausible && !h {
            s.b_iso = default_b(&s.element);
        }
    }
    (out, missing, implausible)
}

/// Whether the entry's chemistry needs H that its structure has no sites for (the refinement's
/// own test, [`xrd_refine::Phase::missing_hydrogen`]).
fn hydrogen_missing(e: &Entry) -> bool {
    e.structure()
        .ok()
        .and_then(|s| xrd_refine::Phase::with_space_group(e.name(), s, e.space_group).ok())
        .is_some_and(|p| p.missing_hydrogen() > 0.0)
}

/// Judges `entries` (indices into `library`, the entries one name or formula resolves to) each
/// against its phase's consensus, in the order given.
pub fn judge(library: &Library, entries: &[usize]) -> Vec<Suitability> {
    let all = library.entries();
    let cells: Vec<Option<(f64, f64)>> =
        entries.iter().map(|&i| volume_per_atom(&all[i])).collect();
    let volumes: Vec<Option<f64>> = cells.iter().map(|c| c.map(|x| x.0)).collect();
    // Per phase: the consensus volume of its ambient entries and its most frequent element set.
    let keys: Vec<String> = entries.iter().map(|&i| phase_key(&all[i])).collect();
    let traces: Vec<Vec<(String, f64)>> = entries.iter().map(|&i| traces_of(&all[i])).collect();
    let consensus = |key: &str| -> Consensus {
        let members: Vec<usize> = (0..entries.len()).filter(|&k| keys[k] == key).collect();
        let ambient: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&k| all[entries[k]].is_ambient())
            .collect();
        // The consensus of modern determinations where there are any: several 1930s
        // entries of one study would otherwise outvote a modern refinement.
        let modern: Vec<usize> = ambient
            .iter()
            .copied()
            .filter(|&k| all[entries[k]].publication.year >= MODERN_YEAR)
            .collect();
        let pool = if !modern.is_empty() {
            &modern
        } else if !ambient.is_empty() {
            &ambient
        } else {
            &members
        };
        let v = median(pool.iter().filter_map(|&k| volumes[k]).collect());
        let usual_atoms =
            median(pool.iter().filter_map(|&k| cells[k].map(|c| c.1)).collect()).unwrap_or(0.0);
        let mut counts: Vec<(&Vec<String>, usize)> = Vec::new();
        for &k in pool {
            let el = &all[entries[k]].elements;
            match counts.iter_mut().find(|(e, _)| *e == el) {
                Some((_, n)) => *n += 1,
                None => counts.push((el, 1)),
            }
        }
        // The most frequent set; among equals the smallest (the end member).
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.len().cmp(&b.0.len())));
        Consensus {
            volume: v,
            elements: counts.first().map(|c| c.0.clone()).unwrap_or_default(),
            atoms: usual_atoms,
        }
    };
    let mut cache: Vec<(String, Consensus)> = Vec::new();
    let mut out = Vec::with_capacity(entries.len());
    for (k, &i) in entries.iter().enumerate() {
        let e = &all[i];
        if !cache.iter().any(|(key, _)| *key == keys[k]) {
            cache.push((keys[k].clone(), consensus(&keys[k])));
        }
        let c = cache
            .iter()
            .find(|(key, _)| *key == keys[k])
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        let (v0, usual, usual_atoms) = (c.volume, c.elements, c.atoms);
        let cell_deviation = match (volumes[k], v0) {
            (Some(v), Some(v0)) if v0 > 0.0 => v / v0 - 1.0,
            _ => 0.0,
        };
        let (_, b_missing, b_implausible) = with_default_b(e);
        let ambient = e.is_ambient();
        // Element sets as published: a trace is weighed below, and never makes a member of a
        // series the usual one.
        let substituted = !usual.is_empty() && e.elements != usual;
        let traces = &traces[k];
        let h = hydrogen_missing(e);
        let year = e.publication.year;
        let mut penalty = 0.0;
        let mut remarks = Vec::new();
        if !ambient {
            penalty += 100.0;
            remarks.push("not at room conditions".to_string());
        }
        if substituted {
            penalty += 4.0;
            remarks.push(format!(
                "elements {} (usually {})",
                e.elements.join(" "),
                usual.join(" ")
            ));
        }
        if !traces.is_empty() {
            penalty += TRACE_PENALTY;
            let named: Vec<String> = (traces.iter())
                .map(|(t, f)| format!("{t} {:.1} at.%", 100.0 * f))
                .collect();
            remarks.push(format!("traces of {}", named.join(", ")));
        }
        let dev = cell_deviation.abs();
        if dev > CELL_DEVIATION {
            penalty += 3.0;
            remarks.push(format!(
                "cell {:+.1} % from the consensus",
                100.0 * cell_deviation
            ));
        }
        let supercell =
            cells[k].is_some_and(|(_, atoms)| usual_atoms > 0.0 && atoms > SUPERCELL * usual_atoms);
        if let Some((_, atoms)) = cells[k].filter(|_| supercell) {
            penalty += 1.5;
            remarks.push(format!(
                "a supercell ({atoms:.0} atoms per lattice point, usually {usual_atoms:.0})"
            ));
        }
        // Within the tolerance, nearer the consensus is better (a tie-break).
        penalty += 100.0 * dev.min(0.1) * 0.1;
        if h {
            penalty += 2.0;
            remarks.push("no H sites".to_string());
        }
        if b_implausible {
            penalty += 2.0;
            remarks.push(format!(
                "implausible B (mean {:.1} Å², defaults used)",
                mean_b(e).unwrap_or(0.0)
            ));
        }
        if b_missing == e.sites.len() {
            penalty += 1.0;
            remarks.push("no B published (defaults used)".to_string());
        } else if b_missing > 0 {
            penalty += 0.5;
            remarks.push(format!("{b_missing} sites without B (defaults used)"));
        }
        if year < MODERN_YEAR {
            penalty += 1.0;
            remarks.push(if year == 0 {
                "year unknown".to_string()
            } else {
                format!("published {year}")
            });
        }
        out.push(Suitability {
            id: e.id.clone(),
            ambient,
            cell_deviation,
            substituted,
            hydrogen_missing: h,
            b_missing,
            b_implausible,
            traces: !traces.is_empty(),
            year,
            set_aside: !ambient || dev > CELL_DEVIATION || substituted || supercell,
            penalty,
            remarks,
        });
    }
    out
}

/// The order in which a name's entries are tried: each phase's entries best first; the phases
/// by how many entries at room conditions they have (the commonly studied polymorph first); then
/// the best entry of every phase before the second of any. Returns positions into `judged`.
pub fn preference_order(
    library: &Library,
    entries: &[usize],
    judged: &[Suitability],
) -> Vec<usize> {
    let all = library.entries();
    let keys: Vec<String> = entries.iter().map(|&i| phase_key(&all[i])).collect();
    let mut phases: Vec<(String, Vec<usize>)> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        match phases.iter_mut().find(|(p, _)| p == key) {
            Some((_, m)) => m.push(k),
            None => phases.push((key.clone(), vec![k])),
        }
    }
    for (_, m) in &mut phases {
        m.sort_by(|&a, &b| {
            judged[a]
                .penalty
                .total_cmp(&judged[b].penalty)
                .then(judged[b].year.cmp(&judged[a].year))
                .then(a.cmp(&b))
        });
    }
    // Entries with a trace of another element do not make their phase the more studied one (a
    // temperature series of Sr-bearing aragonite would put it before calcite for CaCO3).
    let ambient = |m: &[usize]| {
        m.iter()
            .filter(|&&k| judged[k].ambient && !judged[k].traces)
            .count()
    };
    // Stable: equal counts keep the library's order.
    phases.sort_by(|a, b| {
        ambient(&b.1)
            .cmp(&ambient(&a.1))
            .then(judged[a.1[0]].penalty.total_cmp(&judged[b.1[0]].penalty))
    });
    let depth = phases.iter().map(|p| p.1.len()).max().unwrap_or(0);
    let mut order = Vec::with_capacity(entries.len());
    for d in 0..depth {
        for (_, m) in &phases {
            if let Some(&k) = m.get(d) {
                order.push(k);
            }
        }
    }
    order
}

/// The position chosen among compared candidates (in preference order, `rwp[0]` the preferred
/// one's): the preferred unless another's Rwp is lower by [`SWITCH_MARGIN`] of it (then the
/// lowest such); the lowest that succeeded when the preferred failed. `None` when all failed.
pub fn choose(rwp: &[std::result::Result<f64, String>]) -> Option<usize> {
    let ok = |k: usize| rwp.get(k).and_then(|r| r.as_ref().ok()).copied();
    let best = (0..rwp.len())
        .filter_map(|k| ok(k).map(|r| (k, r)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))?;
    match ok(0) {
        Some(r0) if best.1 >= r0 * (1.0 - SWITCH_MARGIN) => Some(0),
        _ => Some(best.0),
    }
}

/// `entries` judged and in preference order: what a name resolves to, best first (what
/// `xrd library show` lists).
///
/// ```
/// let lib = xrd_minerals::Library::amcsd()?;
/// let calcite = xrd_minerals::ranked(&lib, &lib.lookup("calcite"));
/// let (best, why) = &calcite[0];
/// assert!(lib.entries()[*best].is_ambient() && why.cell_deviation.abs() < 0.01);
/// # Ok::<(), xrd_minerals::Error>(())
/// ```
pub fn ranked(library: &Library, entries: &[usize]) -> Vec<(usize, Suitability)> {
    let judged = judge(library, entries);
    let order = preference_order(library, entries, &judged);
    order
        .into_iter()
        .map(|k| (entries[k], judged[k].clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_reference_is_kept_unless_another_fits_clearly_better() {
        let ok = |v: f64| -> std::result::Result<f64, String> { Ok(v) };
        assert_eq!(choose(&[ok(0.100), ok(0.0975)]), Some(0));
        assert_eq!(choose(&[ok(0.100), ok(0.0969), ok(0.095)]), Some(2));
        assert_eq!(choose(&[Err("x".into()), ok(0.2), ok(0.1)]), Some(2));
        assert_eq!(choose(&[Err("x".into())]), None);
        assert_eq!(choose(&[]), None);
    }

    #[test]
    fn missing_and_implausible_b_take_the_defaults() {
        let lib = Library::amcsd().unwrap();
        let e = lib.entries().iter().find(|e| e.id == "amcsd:3598").unwrap();
        let (d, _, implausible) = with_default_b(e);
        assert!(implausible, "{:?}", e.sites);
        assert!(d.sites.iter().all(|s| s.b_iso <= 1.0));
        let sane = lib
            .entries()
            .iter()
            .find(|e| mean_b(e).is_some_and(|b| b < 1.0) && e.sites.iter().all(|s| s.b_iso > 0.0))
            .unwrap();
        assert_eq!(with_default_b(sane).0, *sane);
    }
}
