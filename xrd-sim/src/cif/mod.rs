//! A CIF 1.1 reader for crystal structures.
//!
//! Reads every data block; for each, the cell, the symmetry operators
//! (`_symmetry_equiv_pos_as_xyz` or `_space_group_symop_operation_xyz`) and the atom sites
//! (type symbols with charges such as `Ti3.928+`, occupancy, `U_iso`/`B_iso` or the mean of the
//! anisotropic diagonal), and expands the sites to the full cell, removing duplicates.

use std::collections::HashMap;

use crate::element::Species;
use crate::lattice::Lattice;
use crate::structure::{Site, Structure, u_to_b};
use crate::symmetry::{SpaceGroup, SymOp};
use crate::{Error, Result};

/// A parsed CIF file: its data blocks in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cif {
    blocks: Vec<Block>,
}

/// One `data_` block: every tag with its value(s) (loop columns hold several).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    name: String,
    /// Lower-case tag (with `.` normalised to `_`) → values.
    items: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Data(String),
    Loop,
    Tag(String),
    Value(String),
    /// `save_` frames and `global_`: skipped.
    Other,
}

impl Cif {
    /// Parses CIF text (never panics; malformed text is an [`Error::CifSyntax`]).
    ///
    /// # Errors
    /// [`Error::CifSyntax`] for unterminated quotes or text fields, loops whose value count is not
    /// a multiple of their tag count, values outside a block.
    pub fn parse(text: &str) -> Result<Self> {
        let tokens = tokenize(text)?;
        let mut blocks: Vec<Block> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let (line, tok) = &tokens[i];
            let syntax = |message: &str| Error::CifSyntax {
                line: *line,
                message: message.into(),
            };
            match tok {
                Token::Data(name) => {
                    blocks.push(Block {
                        name: name.clone(),
                        items: HashMap::new(),
                    });
                    i += 1;
                }
                Token::Other => i += 1,
                Token::Tag(tag) => {
                    let block = blocks
                        .last_mut()
                        .ok_or_else(|| syntax("tag outside a data block"))?;
                    match tokens.get(i + 1) {
                        Some((_, Token::Value(v))) => {
                            block.items.insert(tag.clone(), vec![v.clone()]);
                            i += 2;
                        }
                        _ => return Err(syntax(&format!("tag {tag} has no value"))),
                    }
                }
                Token::Loop => {
                    let block = blocks
                        .last_mut()
                        .ok_or_else(|| syntax("loop_ outside a data block"))?;
                    let mut j = i + 1;
                    let mut tags = Vec::new();
                    while let Some((_, Token::Tag(t))) = tokens.get(j) {
                        tags.push(t.clone());
                        j += 1;
                    }
                    let mut values = Vec::new();
                    while let Some((_, Token::Value(v))) = tokens.get(j) {
                        values.push(v.clone());
                        j += 1;
                    }
                    if tags.is_empty() {
                        return Err(syntax("loop_ without tags"));
                    }
                    if values.len() % tags.len() != 0 {
                        return Err(syntax(&format!(
                            "loop with {} tags has {} values",
                            tags.len(),
                            values.len()
                        )));
                    }
                    for (k, t) in tags.iter().enumerate() {
                        let col = values.iter().skip(k).step_by(tags.len()).cloned().collect();
                        block.items.insert(t.clone(), col);
                    }
                    i = j;
                }
                Token::Value(_) => return Err(syntax("value without a tag")),
            }
        }
        if blocks.is_empty() {
            return Err(Error::CifBlock("no data_ block".into()));
        }
        Ok(Self { blocks })
    }

    /// All data blocks in file order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The block named `name` (case-insensitive).
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
    }

    /// Structures of every block that has a cell (blocks without `_cell_length_a` — e.g. a
    /// publication block — are skipped).
    ///
    /// # Errors
    /// The first error of a block that has a cell but an incomplete structure; [`Error::CifBlock`]
    /// if no block has a cell.
    pub fn structures(&self) -> Result<Vec<Structure>> {
        let out: Vec<Structure> = self
            .blocks
            .iter()
            .filter(|b| b.get("_cell_length_a").is_some())
            .map(Block::structure)
            .collect::<Result<_>>()?;
        if out.is_empty() {
            return Err(Error::CifBlock(
                "no block with a cell (_cell_length_a)".into(),
            ));
        }
        Ok(out)
    }

    /// The structure of the first block that has a cell.
    ///
    /// # Errors
    /// As [`Cif::structures`].
    pub fn first_structure(&self) -> Result<Structure> {
        let b = self
            .blocks
            .iter()
            .find(|b| b.get("_cell_length_a").is_some())
            .ok_or_else(|| Error::CifBlock("no block with a cell (_cell_length_a)".into()))?;
        b.structure()
    }
}

impl Structure {
    /// Parses CIF text and returns the structure of its first block with a cell.
    ///
    /// # Errors
    /// See [`Cif::parse`] and [`Block::structure`].
    pub fn from_cif(text: &str) -> Result<Self> {
        Cif::parse(text)?.first_structure()
    }
}

impl Block {
    /// Block name (after `data_`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Values of a tag (lower-case lookup; `.` and `_` are equivalent), if present.
    pub fn get(&self, tag: &str) -> Option<&[String]> {
        self.items.get(&normalise_tag(tag)).map(Vec::as_slice)
    }

    fn missing(&self, what: impl Into<String>) -> Error {
        Error::CifMissing {
            block: self.name.clone(),
            what: what.into(),
        }
    }

    fn number(&self, tag: &str) -> Result<f64> {
        let v = self
            .get(tag)
            .and_then(|v| v.first())
            .ok_or_else(|| self.missing(tag))?;
        parse_number(v).ok_or_else(|| self.bad_value(tag, v))
    }

    fn bad_value(&self, tag: &str, value: &str) -> Error {
        Error::CifValue {
            block: self.name.clone(),
            tag: tag.into(),
            value: value.into(),
        }
    }

    /// Symmetry operators of the block: from `_symmetry_equiv_pos_as_xyz` or
    /// `_space_group_symop_operation_xyz` when given; else generated (moyo's tables) from the Hall
    /// symbol, the Hermann–Mauguin symbol or the International Tables number, in that order of
    /// preference (see [`SpaceGroup::from_hm_symbol`] for the spellings understood). A
    /// rhombohedral group whose cell has a = b = c and α = β = γ ≠ 90° is taken in rhombohedral
    /// axes, else in hexagonal axes; without an origin choice (`:1`/`:2`), origin choice 2
    /// ([`Block::structure`] then keeps the choice that gives fewer atoms). The identity alone
    /// when the block names no symmetry.
    ///
    /// # Errors
    /// [`Error::SymmetryOperator`] for a bad operator; [`Error::CifValue`] for a symbol or number
    /// that names no space group, or a number that contradicts the symbol.
    pub fn symmetry_operators(&self) -> Result<Vec<SymOp>> {
        for tag in [
            "_space_group_symop_operation_xyz",
            "_symmetry_equiv_pos_as_xyz",
        ] {
            if let Some(ops) = self.get(tag) {
                return ops.iter().map(|o| SymOp::parse(o)).collect();
            }
        }
        Ok(match self.space_group()? {
            Some(g) => g.operations().to_vec(),
            None => vec![SymOp::IDENTITY],
        })
    }

    /// The space group the block names by Hall symbol, H-M symbol or number (preferred in that
    /// order; a number must agree with the symbol), in the setting described under
    /// [`Block::symmetry_operators`]; `None` if it names none.
    ///
    /// # Errors
    /// [`Error::CifValue`] for a symbol or number that names no space group, or a number that
    /// contradicts the symbol.
    pub fn space_group(&self) -> Result<Option<&'static SpaceGroup>> {
        let first = |tags: [&'static str; 2]| -> Option<(&'static str, &str)> {
            tags.into_iter().find_map(|t| {
                self.get(t)
                    .and_then(|v| v.first())
                    .filter(|v| !is_null(v))
                    .map(|v| (t, v.as_str()))
            })
        };
        let hall = first(["_space_group_name_hall", "_symmetry_space_group_name_hall"]);
        let hm = first([
            "_space_group_name_h-m_alt",
            "_symmetry_space_group_name_h-m",
        ]);
        let number = first(["_space_group_it_number", "_symmetry_int_tables_number"]);
        let from_symbol = match (hall, hm) {
            (Some((t, v)), _) => {
                Some(SpaceGroup::from_hall_symbol(v).map_err(|_| self.bad_value(t, v))?)
            }
            (None, Some((t, v))) => {
                let g = SpaceGroup::from_hm_symbol(v).map_err(|_| self.bad_value(t, v))?;
                Some(if v.contains(':') {
                    g
                } else {
                    self.rhombohedral_if_cell_is(g)
                })
            }
            (None, None) => None,
        };
        let from_number = match number {
            Some((t, v)) => {
                let n = v
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .and_then(|n| SpaceGroup::new(n).ok())
                    .ok_or_else(|| self.bad_value(t, v))?;
                Some((t, v, n))
            }
            None => None,
        };
        match (from_symbol, from_number) {
            (Some(g), Some((t, v, n))) if g.number() != n.number() => Err(self.bad_value(
                t,
                &format!("{v} (the space-group symbol names {})", g.number()),
            )),
            (Some(g), _) => Ok(Some(g)),
            (None, Some((_, _, n))) => Ok(Some(self.rhombohedral_if_cell_is(n))),
            (None, None) => Ok(None),
        }
    }

    /// `g` in rhombohedral axes when it is an R group and the block's cell is rhombohedral.
    fn rhombohedral_if_cell_is(&self, g: &'static SpaceGroup) -> &'static SpaceGroup {
        let Some(r) = g.rhombohedral_axes() else {
            return g;
        };
        let v = |t: &str| self.number(t).ok();
        let cell = (
            v("_cell_length_a"),
            v("_cell_length_b"),
            v("_cell_length_c"),
            v("_cell_angle_alpha"),
            v("_cell_angle_beta"),
            v("_cell_angle_gamma"),
        );
        let rhombohedral = match cell {
            (Some(a), Some(b), Some(c), Some(al), Some(be), Some(ga)) => {
                let close = |x: f64, y: f64| (x - y).abs() <= 1e-3 * x.abs().max(1.0);
                close(a, b) && close(b, c) && close(al, be) && close(be, ga) && !close(al, 90.0)
            }
            _ => false,
        };
        if rhombohedral { r } else { g }
    }

    /// The block's crystal structure with all symmetry-equivalent sites generated and duplicates
    /// (images closer than [`DUPLICATE_TOLERANCE`](crate::structure::DUPLICATE_TOLERANCE)) removed.
    ///
    /// # Errors
    /// [`Error::CifMissing`] for missing cell or site tags, [`Error::CifValue`] for unreadable
    /// numbers or species, plus the errors of [`Block::symmetry_operators`] and [`Lattice`].
    pub fn structure(&self) -> Result<Structure> {
        let lattice = Lattice::from_parameters(
            self.number("_cell_length_a")?,
            self.number("_cell_length_b")?,
            self.number("_cell_length_c")?,
            self.number("_cell_angle_alpha")
                .or_else(|_| self.default_angle("_cell_angle_alpha"))?,
            self.number("_cell_angle_beta")
                .or_else(|_| self.default_angle("_cell_angle_beta"))?,
            self.number("_cell_angle_gamma")
                .or_else(|_| self.default_angle("_cell_angle_gamma"))?,
        )?;
        let ops = self.symmetry_operators()?;
        let asym = self.asymmetric_unit()?;
        let s = Structure::from_asymmetric_unit(lattice, &asym, &ops)?;
        // A symbol without an origin choice: the asymmetric unit may be written for either.
        // In the wrong origin special positions become larger orbits, so the choice that
        // gives fewer atoms is the one the coordinates were written for.
        if !self.has_operator_list()
            && !self.origin_choice_is_explicit()
            && let Some(other) = self
                .space_group()?
                .and_then(SpaceGroup::other_origin_choice)
        {
            let t = Structure::from_asymmetric_unit(lattice, &asym, other.operations())?;
            if t.len() < s.len() {
                return Ok(t);
            }
        }
        Ok(s)
    }

    fn has_operator_list(&self) -> bool {
        self.get("_space_group_symop_operation_xyz").is_some()
            || self.get("_symmetry_equiv_pos_as_xyz").is_some()
    }

    /// A Hall symbol, or an H-M symbol with a `:` setting suffix.
    fn origin_choice_is_explicit(&self) -> bool {
        let given = |t: &str| {
            self.get(t)
                .and_then(|v| v.first())
                .is_some_and(|v| !is_null(v))
        };
        given("_space_group_name_hall")
            || given("_symmetry_space_group_name_hall")
            || [
                "_space_group_name_h-m_alt",
                "_symmetry_space_group_name_h-m",
            ]
            .iter()
            .any(|t| {
                self.get(t)
                    .and_then(|v| v.first())
                    .is_some_and(|v| v.contains(':'))
            })
    }

    fn default_angle(&self, tag: &str) -> Result<f64> {
        match self.get(tag) {
            None => Ok(90.0),
            Some(v) => Err(self.bad_value(tag, v.first().map_or("", String::as_str))),
        }
    }

    fn column(&self, tag: &str) -> Option<&[String]> {
        self.get(tag)
    }

    /// Sites as written (before symmetry expansion).
    fn asymmetric_unit(&self) -> Result<Vec<Site>> {
        let xs = self
            .column("_atom_site_fract_x")
            .ok_or_else(|| self.missing("_atom_site_fract_x"))?;
        let ys = self
            .column("_atom_site_fract_y")
            .ok_or_else(|| self.missing("_atom_site_fract_y"))?;
        let zs = self
            .column("_atom_site_fract_z")
            .ok_or_else(|| self.missing("_atom_site_fract_z"))?;
        let n = xs.len();
        let labels = self.column("_atom_site_label");
        let types = self.column("_atom_site_type_symbol");
        if labels.is_none() && types.is_none() {
            return Err(self.missing("_atom_site_type_symbol or _atom_site_label"));
        }
        let occ = self.column("_atom_site_occupancy");
        let b_iso = self.column("_atom_site_b_iso_or_equiv");
        let u_iso = self.column("_atom_site_u_iso_or_equiv");
        let aniso = self.aniso_b()?;
        for c in [Some(ys), Some(zs), labels, types, occ, b_iso, u_iso]
            .into_iter()
            .flatten()
        {
            if c.len() != n {
                return Err(self.missing("a complete atom_site loop (columns of unequal length)"));
            }
        }
        let mut sites = Vec::with_capacity(n);
        for i in 0..n {
            let coord = |col: &[String], tag: &str| {
                parse_number(&col[i]).ok_or_else(|| self.bad_value(tag, &col[i]))
            };
            let frac = [
                coord(xs, "_atom_site_fract_x")?,
                coord(ys, "_atom_site_fract_y")?,
                coord(zs, "_atom_site_fract_z")?,
            ];
            let label =
                labels.map_or_else(|| types.map_or("", |t| t[i].as_str()), |l| l[i].as_str());
            let species = types
                .map(|t| Species::parse(&t[i]))
                .and_then(|r| r.ok())
                .or_else(|| {
                    labels.and_then(|l| {
                        Species::parse(&l[i])
                            .or_else(|_| Species::from_label(&l[i]))
                            .ok()
                    })
                })
                .ok_or_else(|| {
                    let v = types.map_or(label, |t| t[i].as_str());
                    self.bad_value("_atom_site_type_symbol", v)
                })?;
            let occupancy = match occ.map(|c| c[i].as_str()) {
                Some(v) if !is_null(v) => {
                    parse_number(v).ok_or_else(|| self.bad_value("_atom_site_occupancy", v))?
                }
                _ => 1.0,
            };
            let b = if let Some(v) = b_iso.map(|c| c[i].as_str()).filter(|v| !is_null(v)) {
                parse_number(v).ok_or_else(|| self.bad_value("_atom_site_B_iso_or_equiv", v))?
            } else if let Some(v) = u_iso.map(|c| c[i].as_str()).filter(|v| !is_null(v)) {
                u_to_b(
                    parse_number(v)
                        .ok_or_else(|| self.bad_value("_atom_site_U_iso_or_equiv", v))?,
                )
            } else {
                aniso.get(label).copied().unwrap_or(0.0)
            };
            let site = Site {
                species,
                frac,
                occupancy,
                b_iso: b.max(0.0),
                label: label.to_string(),
            };
            sites.push(site);
        }
        Ok(sites)
    }

    /// B from anisotropic loops (mean of the diagonal: exact for orthogonal axes, an
    /// approximation of B_eq otherwise), keyed by label.
    fn aniso_b(&self) -> Result<HashMap<&str, f64>> {
        let mut out = HashMap::new();
        let Some(labels) = self.column("_atom_site_aniso_label") else {
            return Ok(out);
        };
        for (prefix, scale) in [
            ("_atom_site_aniso_u_", u_to_b(1.0)),
            ("_atom_site_aniso_b_", 1.0),
        ] {
            let cols: Vec<_> = ["11", "22", "33"]
                .iter()
                .filter_map(|k| self.column(&format!("{prefix}{k}")))
                .collect();
            if cols.len() != 3 || cols.iter().any(|c| c.len() != labels.len()) {
                continue;
            }
            for (i, l) in labels.iter().enumerate() {
                if cols.iter().any(|c| is_null(&c[i])) {
                    continue;
                }
                let mut sum = 0.0;
                for c in &cols {
                    sum += parse_number(&c[i])
                        .ok_or_else(|| self.bad_value(&format!("{prefix}ii"), &c[i]))?;
                }
                out.insert(l.as_str(), scale * sum / 3.0);
            }
        }
        Ok(out)
    }
}

fn is_null(v: &str) -> bool {
    v == "?" || v == "."
}

fn normalise_tag(tag: &str) -> String {
    tag.to_ascii_lowercase().replace('.', "_")
}

/// `0.3051(2)` → 0.3051; `1/3` → 0.333…; `?`/`.` → None.
fn parse_number(v: &str) -> Option<f64> {
    let v = v.trim();
    let v = match v.find('(') {
        Some(p) => &v[..p],
        None => v,
    };
    let x = match v.split_once('/') {
        Some((a, b)) => {
            let (a, b): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
            a / b
        }
        None => v.parse().ok()?,
    };
    x.is_finite().then_some(x)
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((ln, line)) = lines.next() {
        let line_no = ln + 1;
        if let Some(first) = line.strip_prefix(';') {
            // Text field: until a line starting with ';'.
            let mut value = first.to_string();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l.starts_with(';') {
                    closed = true;
                    break;
                }
                value.push('\n');
                value.push_str(l);
            }
            if !closed {
                return Err(Error::CifSyntax {
                    line: line_no,
                    message: "unterminated ; text field".into(),
                });
            }
            out.push((line_no, Token::Value(value.trim().to_string())));
            continue;
        }
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if c == b'#' {
                break;
            }
            if c == b'\'' || c == b'"' {
                // Quote ends at the same quote followed by whitespace or end of line.
                let mut j = i + 1;
                let end = loop {
                    if j >= b.len() {
                        return Err(Error::CifSyntax {
                            line: line_no,
                            message: "unterminated quoted string".into(),
                        });
                    }
                    if b[j] == c && (j + 1 == b.len() || b[j + 1].is_ascii_whitespace()) {
                        break j;
                    }
                    j += 1;
                };
                out.push((line_no, Token::Value(line[i + 1..end].to_string())));
                i = end + 1;
                continue;
            }
            let mut j = i;
            while j < b.len() && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            let word = &line[i..j];
            let lower = word.to_ascii_lowercase();
            let tok = if c == b'_' {
                Token::Tag(normalise_tag(word))
            } else if lower.starts_with("data_") {
                Token::Data(word[5..].to_string())
            } else if lower == "loop_" {
                Token::Loop
            } else if lower.starts_with("save_") || lower == "global_" || lower == "stop_" {
                Token::Other
            } else {
                Token::Value(word.to_string())
            };
            out.push((line_no, tok));
            i = j;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NACL_SG_ONLY: &str = "data_x\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
        _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
        _symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n_atom_site_fract_x\n\
        _atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\nCl1 0.5 0.5 0.5\n";

    #[test]
    fn a_space_group_symbol_or_number_is_expanded() {
        let s = Structure::from_cif(NACL_SG_ONLY).unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(s.space_group(1e-3).unwrap().number, 225);
        let by_number = NACL_SG_ONLY.replace(
            "_symmetry_space_group_name_H-M 'F m -3 m'",
            "_space_group_IT_number 225",
        );
        assert_eq!(Structure::from_cif(&by_number).unwrap().len(), 8);
        let by_hall = NACL_SG_ONLY.replace(
            "_symmetry_space_group_name_H-M 'F m -3 m'",
            "_space_group_name_Hall '-F 4 2 3'",
        );
        assert_eq!(Structure::from_cif(&by_hall).unwrap().len(), 8);
        for bad in [
            "_symmetry_space_group_name_H-M 'X y z'",
            "_space_group_IT_number 231",
            "_space_group_name_Hall 'Q 9'",
        ] {
            let text = NACL_SG_ONLY.replace("_symmetry_space_group_name_H-M 'F m -3 m'", bad);
            let err = Structure::from_cif(&text).unwrap_err().to_string();
            assert!(err.contains("invalid value"), "{bad}: {err}");
        }
        let contradiction = format!("{NACL_SG_ONLY}_symmetry_Int_Tables_number 221\n");
        let err = Structure::from_cif(&contradiction).unwrap_err();
        assert!(
            matches!(&err, Error::CifValue { tag, value, .. }
                if tag == "_symmetry_int_tables_number" && value.contains("names 225")),
            "{err:?}"
        );
        // Rhombohedral axes when the cell is rhombohedral: α-Al2O3-like R-3c, 2 Al + 3 O per
        // formula unit, 2 formula units in the rhombohedral cell, 6 in the hexagonal one.
        let rhomb = "data_r\n_cell_length_a 5.128\n_cell_length_b 5.128\n_cell_length_c 5.128\n\
            _cell_angle_alpha 55.28\n_cell_angle_beta 55.28\n_cell_angle_gamma 55.28\n\
            _symmetry_space_group_name_H-M 'R -3 c'\nloop_\n_atom_site_type_symbol\n\
            _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
            Al 0.3522 0.3522 0.3522\nO 0.5561 -0.0561 0.25\n";
        let r = Structure::from_cif(rhomb).unwrap();
        assert_eq!(r.len(), 10);
        assert_eq!(r.space_group(1e-2).unwrap().number, 167);
    }

    #[test]
    fn expands_with_duplicates_removed_and_reads_multiple_blocks() {
        let text = "data_a\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n\
            _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
            loop_\n_space_group_symop_operation_xyz\n'x,y,z'\n'-x,-y,-z'\n'x+1/2,y+1/2,z'\n'-x+1/2,-y+1/2,-z'\n\
            loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
            _atom_site_fract_z\n_atom_site_occupancy\n_atom_site_U_iso_or_equiv\n\
            Fe1 Fe3+ 0 0 0 0.5(1) 0.01\nO1 O2- 0.25 0.1 0.3 1 ?\n\
            data_b\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n\
            loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
            Cu 0 0 0\n";
        let cif = Cif::parse(text).unwrap();
        assert_eq!(cif.blocks().len(), 2);
        let s = cif.structures().unwrap();
        // Fe at the origin: {0, (½,½,0)}; O general: 4 images.
        assert_eq!(s[0].len(), 6);
        let fe = &s[0].sites()[0];
        assert_eq!(fe.occupancy, 0.5);
        assert!((fe.b_iso - u_to_b(0.01)).abs() < 1e-12);
        assert_eq!(fe.species.charge, 3.0);
        assert_eq!(s[1].len(), 1);
        assert_eq!(s[1].lattice().angles(), [90.0, 90.0, 90.0]);
    }

    #[test]
    fn syntax_errors_are_errors() {
        let err = Structure::from_cif("").unwrap_err();
        assert!(
            matches!(&err, Error::CifBlock(m) if m == "no data_ block"),
            "{err:?}"
        );
        // Syntax errors name the line.
        for (bad, line, message) in [
            ("_cell_length_a 1", 1, "tag outside a data block"),
            (
                "data_x\n_cell_length_a",
                2,
                "tag _cell_length_a has no value",
            ),
            (
                "data_x\n_a 'unterminated\n",
                2,
                "unterminated quoted string",
            ),
            ("data_x\n;\nnever closed\n", 2, "unterminated ; text field"),
            (
                "data_x\nloop_\n_a\n_b\n1 2 3\n",
                2,
                "loop with 2 tags has 3 values",
            ),
        ] {
            let err = Structure::from_cif(bad).unwrap_err();
            assert!(
                matches!(&err, Error::CifSyntax { line: l, message: m } if *l == line && m == message),
                "{bad:?}: {err:?}"
            );
        }
        let err = Structure::from_cif("data_x\n_cell_length_a 1\n").unwrap_err();
        assert!(
            matches!(&err, Error::CifMissing { block, what } if block == "x" && what == "_cell_length_b"),
            "{err:?}"
        );
    }
}
