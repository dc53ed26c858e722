//! The converter from the AMCSD SQLite file (as shipped by larixite) to a library file
//! (feature `amcsd`; `examples/convert_amcsd.rs` runs it).
//!
//! Every row of the `cif` table becomes an [`Entry`] or a [`Rejected`] with its reason. The
//! space group is the one of the published symmetry operators: moyo identifies it from a general
//! position expanded by them (the orbit of a general point has exactly the operators' symmetry).
//! moyo is then asked for the group of the atoms themselves; where the two differ (missing
//! hydrogen, partially occupied sites, a pseudo-symmetric structure) the entry keeps the
//! operators' group and says so in its notes.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use rusqlite::{Connection, OpenFlags};
use xrd_sim::{Element, Lattice, Site, Species, Structure, SymOp};

use crate::entry::{Entry, EntrySite, Publication};
use crate::error::format;
use crate::library::{Library, LibraryInfo, Rejected, SYMPREC};
use crate::{Error, Result};

/// The coordinate arrays hold the values times this.
const FIXED_POINT: f64 = 4_000_000.0;
/// Points in no special position of any space group (irrational-looking coordinates). One
/// orbit alone can have more symmetry than its group (in a polar group an orbit is centrosymmetric
/// about a point of its own); three orbits of different species cannot.
const GENERAL_POINTS: [[f64; 3]; 3] = [
    [0.113_27, 0.237_91, 0.361_37],
    [0.421_73, 0.073_19, 0.188_93],
    [0.271_11, 0.393_17, 0.051_79],
];
/// Occupancies above 1 up to this are rounding in the source and clamped to 1.
const MAX_CLAMPED_OCCUPANCY: f64 = 1.1;
/// U_iso (Å²) outside [0, this] is not physical for a mineral at room temperature: not used.
const MAX_U_ISO: f64 = 0.2;

/// What a conversion found besides the entries.
#[derive(Debug, Clone, Default)]
pub struct ConversionReport {
    /// Entries whose atoms moyo places in another space group than their operators.
    pub symmetry_disagreements: usize,
    /// Entries with any note.
    pub with_notes: usize,
}

fn sql(e: rusqlite::Error) -> Error {
    format("AMCSD database", e.to_string())
}

/// Reads the AMCSD SQLite file and converts every entry.
///
/// # Errors
/// [`Error::Format`] when the file is not the expected database.
pub fn convert(db: impl AsRef<Path>) -> Result<(Library, ConversionReport)> {
    let conn =
        Connection::open_with_flags(db.as_ref(), OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let version: String = conn
        .query_row("select tag || ' ' || date from version", [], |r| r.get(0))
        .map_err(sql)?;
    let mut elements: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut st = conn
            .prepare("select cif_id, element from cif_elements")
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(sql)?;
        for row in rows {
            let (id, el) = row.map_err(sql)?;
            if let Ok(id) = id.trim().parse::<i64>() {
                elements.entry(id).or_default().push(el.trim().to_string());
            }
        }
    }
    let mut authors: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut st = conn
            .prepare(
                "select pa.publication_id, a.name from publication_authors pa \
                 join authors a on a.id = pa.author_id order by pa.rowid",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(sql)?;
        for row in rows {
            let (id, name) = row.map_err(sql)?;
            authors.entry(id).or_default().push(name);
        }
    }
    let mut st = conn
        .prepare(
            "select c.id, m.name, c.formula, c.a, c.b, c.c, c.alpha, c.beta, c.gamma, \
             c.atoms_sites, c.atoms_x, c.atoms_y, c.atoms_z, c.atoms_occupancy, c.atoms_u_iso, \
             s.hm_notation, s.symmetry_xyz, p.journalname, p.volume, p.year, p.page_first, \
             p.page_last, c.publication_id, c.pub_title \
             from cif c left join minerals m on m.id = c.mineral_id \
             left join spacegroups s on s.id = c.spacegroup_id \
             left join publications p on p.id = c.publication_id order by c.id",
        )
        .map_err(sql)?;
    let rows = st
        .query_map([], |r| {
            let text = |i: usize| -> rusqlite::Result<String> {
                Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
            };
            Ok(Row {
                id: r.get(0)?,
                mineral: text(1)?,
                formula: text(2)?,
                cell: [text(3)?, text(4)?, text(5)?, text(6)?, text(7)?, text(8)?],
                labels: text(9)?,
                x: text(10)?,
                y: text(11)?,
                z: text(12)?,
                occupancy: text(13)?,
                u_iso: text(14)?,
                hm: text(15)?,
                operators: text(16)?,
                journal: text(17)?,
                volume: text(18)?,
                year: r.get::<_, Option<i64>>(19)?.unwrap_or(0),
                pages: (text(20)?, text(21)?),
                publication_id: r.get::<_, Option<i64>>(22)?.unwrap_or(-1),
                title: text(23)?,
            })
        })
        .map_err(sql)?;
    let mut raw = Vec::new();
    for row in rows {
        raw.push(row.map_err(sql)?);
    }
    let converted: Vec<std::result::Result<(Entry, bool), Rejected>> = {
        use rayon::prelude::*;
        raw.par_iter()
            .map(|row| {
                let els = elements.get(&row.id).cloned().unwrap_or_default();
                let auth = authors
                    .get(&row.publication_id)
                    .map(|a| a.join(", "))
                    .unwrap_or_default();
                convert_row(row, els, auth).map_err(|reason| Rejected {
                    id: format!("amcsd:{}", row.id),
                    reason,
                })
            })
            .collect()
    };
    let mut report = ConversionReport::default();
    let mut entries = Vec::new();
    let mut rejected = Vec::new();
    for c in converted {
        match c {
            Ok((e, disagrees)) => {
                report.symmetry_disagreements += usize::from(disagrees);
                report.with_notes += usize::from(!e.notes.is_empty());
                entries.push(e);
            }
            Err(r) => rejected.push(r),
        }
    }
    let info = LibraryInfo {
        name: "amcsd".into(),
        version: format!("AMCSD trimmed ({version}), larixite 2026.1.0"),
        citation: "R. T. Downs and M. Hall-Wallace, The American Mineralogist Crystal Structure \
                   Database, American Mineralogist 88, 247-250 (2003); each entry's publication \
                   is given with it"
            .into(),
        licence: "AMCSD data as redistributed in larixite (MIT)".into(),
    };
    Ok((Library::new(info, entries, rejected)?, report))
}

struct Row {
    id: i64,
    mineral: String,
    formula: String,
    cell: [String; 6],
    labels: String,
    x: String,
    y: String,
    z: String,
    occupancy: String,
    u_iso: String,
    hm: String,
    operators: String,
    journal: String,
    volume: String,
    year: i64,
    pages: (String, String),
    publication_id: i64,
    /// The publication's title with AMCSD's notes (conditions of the measurement).
    title: String,
}

/// One row as an entry (and whether moyo disagrees about the atoms' group), or the reason it
/// cannot be used.
fn convert_row(
    row: &Row,
    mut elements: Vec<String>,
    authors: String,
) -> std::result::Result<(Entry, bool), String> {
    let mut notes = Vec::new();
    let mut cell = [0.0; 6];
    for (k, text) in row.cell.iter().enumerate() {
        let (v, repaired) = cell_number(text).ok_or(format!("cell value `{text}`"))?;
        if repaired {
            notes.push(format!("cell value `{text}` read as {v}"));
        }
        cell[k] = v;
    }
    let lattice = Lattice::from_parameters(cell[0], cell[1], cell[2], cell[3], cell[4], cell[5])
        .map_err(|e| e.to_string())?;
    let labels: Vec<String> =
        serde_json::from_str(&row.labels).map_err(|e| format!("site labels: {e}"))?;
    let n = labels.len();
    let coords = [&row.x, &row.y, &row.z]
        .map(|t| fixed_point(t, n).and_then(|v| v.ok_or_else(|| "no coordinates".to_string())));
    let [x, y, z] = coords;
    let (x, y, z) = (x?, y?, z?);
    let occupancy = fixed_point(&row.occupancy, n)?;
    let u_iso = fixed_point(&row.u_iso, n)?;
    elements.sort();
    elements.dedup();
    if elements.is_empty() {
        return Err("no elements listed".into());
    }
    let mut sites = Vec::new();
    let mut unused_u = 0;
    for (i, label) in labels.iter().enumerate() {
        let element =
            element_of(label, &elements).ok_or(format!("site `{label}`: element unclear"))?;
        let mut occ = occupancy.as_ref().map_or(1.0, |o| o[i]);
        if occ <= 0.0 {
            notes.push(format!("site {label}: occupancy {occ}, left out"));
            continue;
        }
        if occ > 1.0 {
            if occ > MAX_CLAMPED_OCCUPANCY {
                return Err(format!("site {label}: occupancy {occ}"));
            }
            notes.push(format!("site {label}: occupancy {occ} clamped to 1"));
            occ = 1.0;
        }
        let mut b_iso = 0.0;
        if let Some(u) = u_iso.as_ref().map(|u| u[i]) {
            if (0.0..=MAX_U_ISO).contains(&u) {
                b_iso = xrd_sim::structure::u_to_b(u);
            } else {
                unused_u += 1;
            }
        }
        sites.push(EntrySite {
            label: label.clone(),
            element,
            frac: [x[i], y[i], z[i]],
            occupancy: occ,
            b_iso,
        });
    }
    if unused_u > 0 {
        notes.push(format!(
            "{unused_u} U_iso outside [0, {MAX_U_ISO}] Å² not used (B = 0)"
        ));
    }
    if sites.is_empty() {
        return Err("no occupied site".into());
    }
    let operators: Vec<String> =
        serde_json::from_str(&row.operators).map_err(|e| format!("operators: {e}"))?;
    let ops = operators
        .iter()
        .map(|o| SymOp::parse(o))
        .collect::<xrd_sim::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    if ops.is_empty() {
        return Err("no symmetry operators".into());
    }
    let space_group = operators_group(lattice, &ops)?;
    if let Ok(sg) = xrd_sim::SpaceGroup::from_hm_symbol(&row.hm)
        && sg.number() != space_group
    {
        notes.push(format!(
            "the symbol `{}` names group {}, the operators form {space_group}",
            row.hm,
            sg.number()
        ));
    }
    let mineral = if row.mineral == "<missing>" {
        String::new()
    } else {
        row.mineral.trim().to_string()
    };
    let pages = match (row.pages.0.trim(), row.pages.1.trim()) {
        ("", _) => String::new(),
        (a, "") => a.to_string(),
        (a, b) => format!("{a}-{b}"),
    };
    let mut entry = Entry {
        id: format!("amcsd:{}", row.id),
        mineral,
        formula: row.formula.trim().to_string(),
        elements,
        cell,
        space_group,
        hm_symbol: row.hm.trim().to_string(),
        operators,
        sites,
        publication: Publication {
            authors,
            journal: row.journal.trim().to_string(),
            volume: row.volume.trim().to_string(),
            year: u16::try_from(row.year).unwrap_or(0),
            pages,
        },
        notes,
        conditions: crate::Conditions::from_title(&row.title),
    };
    let structure = entry.structure().map_err(|e| e.to_string())?;
    let disagrees = match merged_sites(&structure).and_then(|s| s.space_group(SYMPREC)) {
        Ok(sg) if sg.number != space_group => {
            entry.notes.push(format!(
                "moyo places the atoms in group {} ({}) at {SYMPREC} Å",
                sg.number, sg.hm_symbol
            ));
            true
        }
        Ok(_) => false,
        Err(e) => {
            entry
                .notes
                .push(format!("moyo found no group for the atoms: {e}"));
            true
        }
    };
    entry.check().map_err(|e| e.to_string())?;
    Ok((entry, disagrees))
}

/// The space group of a set of operators: moyo's group of a general position's orbit.
fn operators_group(lattice: Lattice, ops: &[SymOp]) -> std::result::Result<u8, String> {
    let sites = GENERAL_POINTS
        .iter()
        .zip([14, 32, 50])
        .map(|(p, z)| Ok(Site::new(Species::neutral(Element::from_z(z)?), *p)))
        .collect::<xrd_sim::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    let orbits =
        Structure::from_asymmetric_unit(lattice, &sites, ops).map_err(|e| e.to_string())?;
    let sg = orbits
        .space_group(1e-4)
        .map_err(|e| format!("operators: {e}"))?;
    Ok(sg.number)
}

/// An atom's element and occupancy (as bits), what moyo tells sites apart by.
type Kind = (u8, u64);

/// The structure with the atoms that share a position (mixed sites) merged into one atom of a
/// stand-in element per distinct mixture, so that moyo can read its symmetry (it refuses
/// overlapping atoms).
fn merged_sites(structure: &Structure) -> xrd_sim::Result<Structure> {
    let lattice = *structure.lattice();
    // Each position with the (Z, occupancy bits) of the atoms on it.
    let mut positions: Vec<([f64; 3], Vec<Kind>)> = Vec::new();
    for s in structure.sites() {
        let kind = (s.species.element.z(), s.occupancy.to_bits());
        let at = positions.iter_mut().find(|(p, _)| {
            let d = [0, 1, 2].map(|k| {
                let x = s.frac[k] - p[k];
                x - x.round()
            });
            let c = lattice.cartesian(d);
            (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
                < xrd_sim::structure::DUPLICATE_TOLERANCE
        });
        match at {
            Some((_, kinds)) => kinds.push(kind),
            None => positions.push((s.frac, vec![kind])),
        }
    }
    let mut mixtures: Vec<Vec<Kind>> = Vec::new();
    let mut sites = Vec::with_capacity(positions.len());
    for (frac, mut kinds) in positions {
        kinds.sort_unstable();
        let k = match mixtures.iter().position(|m| *m == kinds) {
            Some(k) => k,
            None => {
                mixtures.push(kinds);
                mixtures.len() - 1
            }
        };
        let z = u8::try_from(k % 100 + 1).unwrap_or(1);
        sites.push(Site::new(Species::neutral(Element::from_z(z)?), frac));
    }
    Structure::new(lattice, sites)
}

/// A cell value: a number, or one with a comma for the decimal point or trailing punctuation
/// (`3,2518`, `6.4235.`); the flag says it was repaired.
fn cell_number(text: &str) -> Option<(f64, bool)> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return (v.is_finite() && v > 0.0).then_some((v, false));
    }
    let fixed = t.trim_end_matches(['.', ',']).replace(',', ".");
    let v = fixed.parse::<f64>().ok()?;
    (v.is_finite() && v > 0.0 && fixed.matches('.').count() <= 1).then_some((v, true))
}

/// A base64 array of little-endian i32 (values × 4,000,000) of length `n`, or `None` for `0`.
fn fixed_point(text: &str, n: usize) -> std::result::Result<Option<Vec<f64>>, String> {
    let t = text.trim();
    if t.is_empty() || t == "0" {
        return Ok(None);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|e| format!("base64: {e}"))?;
    if bytes.len() != 4 * n {
        return Err(format!("{} bytes for {n} sites", bytes.len()));
    }
    Ok(Some(
        bytes
            .chunks_exact(4)
            .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])) / FIXED_POINT)
            .collect(),
    ))
}

/// The element a site label names among the entry's elements: its first two letters, else its
/// first letter, else water (`Wat`, `Ow`) as oxygen and deuterium as hydrogen.
fn element_of(label: &str, elements: &[String]) -> Option<String> {
    let letters: Vec<char> = label
        .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let first = letters.first()?.to_ascii_uppercase();
    let has = |s: &str| elements.iter().any(|e| e == s);
    if let Some(second) = letters.get(1) {
        let two: String = [first, second.to_ascii_lowercase()].iter().collect();
        if has(&two) {
            return Some(two);
        }
    }
    let one = first.to_string();
    if has(&one) {
        return Some(one);
    }
    let lower = label.to_ascii_lowercase();
    if (lower.starts_with("wat") || lower.starts_with("ow")) && has("O") {
        return Some("O".into());
    }
    if first == 'D' && has("H") {
        return Some("H".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_among_the_entry_elements() {
        let els: Vec<String> = ["Ca", "O", "Si", "H"].map(String::from).into();
        assert_eq!(element_of("Si2", &els).as_deref(), Some("Si"));
        assert_eq!(element_of("O-H", &els).as_deref(), Some("O"));
        assert_eq!(element_of("Wat", &els).as_deref(), Some("O"));
        assert_eq!(element_of("CA1", &els).as_deref(), Some("Ca"));
        assert_eq!(element_of("D1", &els).as_deref(), Some("H"));
        assert_eq!(element_of("Fe1", &els), None);
        assert_eq!(element_of("12", &els), None);
    }

    #[test]
    fn odd_cell_values_are_repaired_or_refused() {
        assert_eq!(cell_number("5.93"), Some((5.93, false)));
        assert_eq!(cell_number("3,2518"), Some((3.2518, true)));
        assert_eq!(cell_number("6.4235."), Some((6.4235, true)));
        assert_eq!(cell_number("abc"), None);
        assert_eq!(cell_number("-1"), None);
    }

    #[test]
    fn fixed_point_arrays_decode() {
        // 0 and 2,000,000 (= 0.5).
        assert_eq!(fixed_point("AAAAAICEHgA=", 2), Ok(Some(vec![0.0, 0.5])));
        assert_eq!(fixed_point("0", 3), Ok(None));
        assert_eq!(
            fixed_point("AAAAAICEHgA=", 3),
            Err("8 bytes for 3 sites".into())
        );
        assert!(matches!(fixed_point("!!", 1), Err(e) if e.starts_with("base64: ")));
    }
}
