//! VASP POSCAR / CONTCAR structure files.
//!
//! Layout: a comment line; a scale (one factor, a negative number meaning the cell volume in Å³,
//! or three factors per axis); three lattice vectors; the species names (VASP 5; VASP 4 files
//! lack this line and the names are then read from the comment line, as pymatgen does); the atom
//! counts; an optional `Selective dynamics` line; `Direct` or `Cartesian` (only the first letter
//! counts: `D`, or `C`/`K` for Cartesian); one position per atom (flags and names after the three
//! numbers are ignored). CONTCAR velocity blocks after the positions are ignored.

use std::path::Path;

use crate::element::Species;
use crate::lattice::{Lattice, Mat3, inverse, mat_vec_rows};
use crate::structure::{Site, Structure};
use crate::{Error, Result};

/// More atoms than this in one file are refused (a corrupt count, not a structure).
const MAX_ATOMS: usize = 10_000_000;

impl Structure {
    /// Reads a VASP POSCAR or CONTCAR text (see the [module docs](crate::poscar)).
    ///
    /// # Errors
    /// [`Error::Poscar`] with the line number for anything malformed: missing lines, numbers that
    /// do not parse or are not finite, a singular cell, species and counts of different lengths,
    /// unknown element names, fewer positions than atoms.
    pub fn from_poscar_str(text: &str) -> Result<Self> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let mut next = |what: &str| {
            lines.next().ok_or_else(|| Error::Poscar {
                line: 0,
                message: format!("file ends before {what}"),
            })
        };
        let (_, comment) = next("the comment line")?;
        let (ln, scale_line) = next("the scale line")?;
        let scale = numbers(scale_line, ln)?;
        let mut basis: Mat3 = [[0.0; 3]; 3];
        for row in &mut basis {
            let (ln, l) = next("the lattice vectors")?;
            let v = numbers(l, ln)?;
            if v.len() < 3 {
                return Err(bad(ln, "a lattice vector needs three numbers"));
            }
            row.copy_from_slice(&v[..3]);
        }
        let (ln, l) = next("the species or counts line")?;
        let (names, counts_line) = if l.split_whitespace().next().is_some_and(is_integer) {
            // VASP 4: names from the comment line.
            (
                comment
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
                (ln, l),
            )
        } else {
            let names = l.split_whitespace().map(str::to_string).collect();
            (names, next("the atom counts")?)
        };
        let (ln, l) = counts_line;
        let counts: Vec<usize> = l
            .split_whitespace()
            .map(|t| {
                t.parse::<usize>()
                    .map_err(|_| bad(ln, &format!("atom count `{t}`")))
            })
            .collect::<Result<_>>()?;
        let total = counts.iter().try_fold(0usize, |a, &c| a.checked_add(c));
        let total = match total {
            Some(t) if t > 0 && t <= MAX_ATOMS => t,
            _ => return Err(bad(ln, "the atom counts must add up to 1…10⁷")),
        };
        if names.len() < counts.len() {
            return Err(bad(
                ln,
                "no species names for every count (VASP 4 files need them on the comment line)",
            ));
        }
        let species: Vec<Species> = names[..counts.len()]
            .iter()
            .map(|n| {
                Species::parse(n)
                    .or_else(|_| Species::from_label(n))
                    .map_err(|_| bad(ln, &format!("unknown species `{n}`")))
            })
            .collect::<Result<_>>()?;
        let (mut ln, mut l) = next("the coordinate mode")?;
        if l.trim_start().starts_with(['S', 's']) {
            (ln, l) = next("the coordinate mode")?;
        }
        let cartesian = match l.trim_start().chars().next() {
            Some('C' | 'c' | 'K' | 'k') => true,
            Some('D' | 'd') => false,
            _ => return Err(bad(ln, "expected `Direct` or `Cartesian`")),
        };
        // Scale: one factor, a target volume, or one factor per axis.
        let lattice_scale: [f64; 3] = match scale.as_slice() {
            [s] if *s > 0.0 => [*s; 3],
            [v] if *v < 0.0 => {
                let vol = crate::lattice::det(&basis).abs();
                if vol <= 0.0 {
                    return Err(bad(2, "singular cell"));
                }
                [(-v / vol).cbrt(); 3]
            }
            [a, b, c] if *a > 0.0 && *b > 0.0 && *c > 0.0 => [*a, *b, *c],
            _ => {
                return Err(bad(
                    2,
                    "scale must be one factor > 0, a volume < 0 or three factors > 0",
                ));
            }
        };
        for row in &mut basis {
            for (x, s) in row.iter_mut().zip(lattice_scale) {
                *x *= s;
            }
        }
        let lattice = Lattice::from_matrix(basis).map_err(|e| bad(3, &e.to_string()))?;
        let inv = inverse(lattice.matrix()).ok_or_else(|| bad(3, "singular cell"))?;
        let mut sites = Vec::with_capacity(total);
        for (sp, &n) in species.iter().zip(&counts) {
            for _ in 0..n {
                let (ln, l) = next("every atom position")?;
                let v = numbers_prefix(l, ln)?;
                let mut p = [v[0], v[1], v[2]];
                if cartesian {
                    let c = [0, 1, 2].map(|k| p[k] * lattice_scale[k]);
                    p = mat_vec_rows(&inv, c);
                }
                sites.push(Site::new(*sp, p));
            }
        }
        Structure::new(lattice, sites)
    }

    /// Reads a POSCAR or CONTCAR file.
    ///
    /// # Errors
    /// [`Error::File`] if it cannot be read, else as [`Structure::from_poscar_str`].
    pub fn from_poscar_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_poscar_str(&String::from_utf8_lossy(&bytes))
    }

    /// Reads a structure file of either kind: a CIF (the text has a `data_` block; the first
    /// block is read, see [`Structure::from_cif`]) or else a POSCAR/CONTCAR.
    ///
    /// # Errors
    /// [`Error::File`] if it cannot be read, else as [`Structure::from_cif`] or
    /// [`Structure::from_poscar_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })?;
        // Both formats are text: say so for binary files instead of quoting their bytes. (Not
        // UTF-8 alone is no proof: old CIFs are often Latin-1.)
        if bytes.contains(&0) {
            return Err(Error::Poscar {
                line: 1,
                message: format!(
                    "{} is a binary file, neither CIF nor POSCAR",
                    path.display()
                ),
            });
        }
        let text = String::from_utf8_lossy(&bytes);
        if is_cif(&text) {
            Self::from_cif(&text)
        } else {
            Self::from_poscar_str(&text)
        }
    }
}

/// Whether `text` is a CIF: a line starting with `data_` (any case) outside comments.
fn is_cif(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .get(..5)
            .is_some_and(|h| h.eq_ignore_ascii_case("data_"))
    })
}

fn bad(line: usize, message: &str) -> Error {
    Error::Poscar {
        line,
        message: message.into(),
    }
}

fn is_integer(t: &str) -> bool {
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
}

/// Every whitespace-separated token of the line as a finite number.
fn numbers(l: &str, ln: usize) -> Result<Vec<f64>> {
    let v: Vec<f64> = l
        .split_whitespace()
        .map(|t| {
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(ln, &format!("`{t}` is not a finite number")))
        })
        .collect::<Result<_>>()?;
    if v.is_empty() {
        return Err(bad(ln, "expected numbers"));
    }
    Ok(v)
}

/// The first three tokens as finite numbers (selective-dynamics flags and names may follow).
fn numbers_prefix(l: &str, ln: usize) -> Result<[f64; 3]> {
    let mut it = l.split_whitespace();
    let mut out = [0.0; 3];
    for x in &mut out {
        let t = it
            .next()
            .ok_or_else(|| bad(ln, "a position needs three numbers"))?;
        *x = t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(ln, &format!("`{t}` is not a finite number")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUTILE: &str = "TiO2 rutile
1.0
4.594 0 0
0 4.594 0
0 0 2.959
Ti O
2 4
Direct
0 0 0
0.5 0.5 0.5
0.3053 0.3053 0
0.6947 0.6947 0
0.8053 0.1947 0.5
0.1947 0.8053 0.5
";

    #[test]
    fn reads_vasp5_vasp4_cartesian_and_scales() {
        let s = Structure::from_poscar_str(RUTILE).unwrap();
        assert_eq!(s.len(), 6);
        assert_eq!(s.composition()[1].1, 4.0);
        assert_eq!(s.space_group(1e-3).unwrap().number, 136);
        // VASP 4 (names on the comment line), selective dynamics, Cartesian, volume scale.
        let v4 = "Ti O\n-62.449\n4.594 0 0\n0 4.594 0\n0 0 2.959\n2 4\nSelective dynamics\nCartesian\n\
            0 0 0 T T T\n2.297 2.297 1.4795 F F F\n1.40255 1.40255 0 T T T\n3.19145 3.19145 0 T T T\n\
            3.69955 0.89445 1.4795 T T T\n0.89445 3.69955 1.4795 T T T\n";
        let t = Structure::from_poscar_str(v4).unwrap();
        assert!((t.lattice().volume() - 62.449).abs() < 1e-9);
        for (a, b) in s.sites().iter().zip(t.sites()) {
            assert_eq!(a.species, b.species);
            for k in 0..3 {
                assert!((a.frac[k] - b.frac[k]).abs() < 1e-3, "{a:?} {b:?}");
            }
        }
        let three = RUTILE.replace("\n1.0\n", "\n2 2 2\n");
        let u = Structure::from_poscar_str(&three).unwrap();
        assert!((u.lattice().volume() - 8.0 * s.lattice().volume()).abs() < 1e-9);
    }

    #[test]
    fn from_file_tells_cif_from_poscar() {
        let dir = std::env::temp_dir().join(format!("xrd-sim-from-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let poscar = dir.join("POSCAR");
        std::fs::write(&poscar, RUTILE).unwrap();
        let p = Structure::from_file(&poscar).unwrap();
        assert_eq!(p.len(), Structure::from_poscar_str(RUTILE).unwrap().len());
        let cif = dir.join("rutile.cif");
        let text = "# a comment\nDATA_rutile\n_cell_length_a 4.594\n_cell_length_b 4.594\n\
            _cell_length_c 2.959\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
            _symmetry_space_group_name_H-M 'P 42/m n m'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n\
            _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nTi1 Ti 0 0 0\nO1 O 0.3053 0.3053 0\n";
        std::fs::write(&cif, text).unwrap();
        assert_eq!(Structure::from_file(&cif).unwrap().len(), 6);
        // A CIF that is broken is reported as a CIF, not read as a POSCAR.
        std::fs::write(&cif, "data_x\n_cell_length_a 4\n").unwrap();
        assert!(
            Structure::from_file(&cif)
                .unwrap_err()
                .to_string()
                .to_lowercase()
                .contains("cell")
        );
        assert!(matches!(
            Structure::from_file(dir.join("missing")),
            Err(Error::File { .. })
        ));
        std::fs::write(&cif, b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
        assert!(
            Structure::from_file(&cif)
                .unwrap_err()
                .to_string()
                .contains("binary")
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn malformed_files_are_errors() {
        let cut = |n: usize| RUTILE.lines().take(n).collect::<Vec<_>>().join("\n");
        // The line and message of a POSCAR error; the result itself otherwise.
        let refused = |text: &str| match Structure::from_poscar_str(text) {
            Err(Error::Poscar { line, message }) => (line, message),
            other => (usize::MAX, format!("{other:?}")),
        };
        let ends_before = [
            "the comment line",
            "the scale line",
            "the lattice vectors",
            "the lattice vectors",
            "the lattice vectors",
            "the species or counts line",
            "the atom counts",
            "the coordinate mode",
            "every atom position",
            "every atom position",
            "every atom position",
            "every atom position",
        ];
        for (n, what) in ends_before.into_iter().enumerate() {
            assert_eq!(
                refused(&cut(n)),
                (0, format!("file ends before {what}")),
                "{n} lines"
            );
        }
        for (bad_text, line, message) in [
            (
                RUTILE.replace("\n1.0\n", "\n0\n"),
                2,
                "scale must be one factor",
            ),
            (
                RUTILE.replace("\n1.0\n", "\nnan\n"),
                2,
                "`nan` is not a finite number",
            ),
            (
                RUTILE.replace("\n1.0\n", "\n1 2\n"),
                2,
                "scale must be one factor",
            ),
            (
                RUTILE.replace("0 0 2.959", "0 0 0"),
                3,
                "invalid lattice: volume 0",
            ),
            (
                RUTILE.replace("4.594 0 0", "4.594 0"),
                3,
                "a lattice vector needs three numbers",
            ),
            (RUTILE.replace("Ti O", "Ti Xx"), 7, "unknown species `Xx`"),
            (
                RUTILE.replace("Ti O\n", "Ti\n"),
                7,
                "no species names for every count",
            ),
            (RUTILE.replace("2 4", "2 -4"), 7, "atom count `-4`"),
            (
                RUTILE.replace("2 4", "0 0"),
                7,
                "the atom counts must add up to 1…10⁷",
            ),
            (
                RUTILE.replace("Direct", "Fractional"),
                8,
                "expected `Direct` or `Cartesian`",
            ),
            (
                RUTILE.replace("0.5 0.5 0.5", "0.5 0.5"),
                10,
                "a position needs three numbers",
            ),
            (
                RUTILE.replace("0.5 0.5 0.5", "0.5 inf 0.5"),
                10,
                "`inf` is not a finite number",
            ),
            (
                RUTILE.replace("TiO2 rutile\n", "").replace("Ti O\n", ""),
                5,
                "a lattice vector needs three numbers",
            ),
        ] {
            let (l, m) = refused(&bad_text);
            assert!(
                l == line && m.starts_with(message),
                "{bad_text}: line {l}: {m}"
            );
        }
        assert!(matches!(
            Structure::from_poscar_file("/nonexistent/POSCAR"),
            Err(Error::File { source, .. }) if source.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
