//! Libraries of measured reference patterns (RockJock/powdR's, or a user's own), the phases of a
//! full-pattern summation ([`crate::Summation`]).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xrd_io::{Grid, OutOfRange, Pattern};

use crate::error::{Error, Result};

/// The `phase_name` powdR gives the background columns of a library (`BACK_POS`, `BACK_NEG`):
/// shapes to fit, not minerals.
pub const BACKGROUND_NAME: &str = "Background";

/// One measured reference pattern: a pure phase (or a background shape) on a uniform 2θ grid,
/// with its reference intensity ratio against corundum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Its id in the library (`QUARTZ`, `KAOLINITE_DRY_BRANCH`, a file's stem).
    pub id: String,
    /// The mineral's name (`Quartz`, `Kaolinite`), or [`BACKGROUND_NAME`].
    pub name: String,
    /// Reference intensity ratio against corundum on the library's intensity scale (powdR's
    /// convention: a weight fraction is proportional to scale / RIR).
    pub rir: f64,
    /// First 2θ (°) of the grid.
    pub start: f64,
    /// 2θ step (°).
    pub step: f64,
    /// Counts at `start + i·step`.
    pub counts: Vec<f64>,
}

impl Reference {
    /// A reference from a measured pattern: resampled linearly onto a uniform grid of the
    /// pattern's median step when its steps are uneven.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty id, a RIR that is not finite and positive, or
    /// a pattern of fewer than 4 points.
    pub fn from_pattern(
        id: impl Into<String>,
        name: impl Into<String>,
        rir: f64,
        pattern: &Pattern,
    ) -> Result<Self> {
        let id = id.into();
        if id.trim().is_empty() {
            return Err(crate::error::invalid("reference id", "must not be empty"));
        }
        if !(rir.is_finite() && rir > 0.0) {
            return Err(crate::error::invalid(
                "rir",
                format!("{id}: {rir} must be finite and > 0"),
            ));
        }
        let tt = pattern.two_theta();
        if tt.len() < 4 {
            return Err(crate::error::invalid(
                "reference pattern",
                format!("{id}: {} points, need at least 4", tt.len()),
            ));
        }
        let mut steps: Vec<f64> = tt.windows(2).map(|w| w[1] - w[0]).collect();
        steps.sort_by(f64::total_cmp);
        let step = steps[steps.len() / 2];
        let even = steps[steps.len() - 1] - steps[0] <= 1e-6 * step;
        let (start, counts) = if even {
            (tt[0], pattern.intensity().to_vec())
        } else {
            let n = ((tt[tt.len() - 1] - tt[0]) / step).floor() as usize + 1;
            let grid = Grid::new(tt[0], step, n)?;
            (tt[0], pattern.resample(&grid, OutOfRange::Clamp)?)
        };
        Ok(Self {
            id,
            name: name.into(),
            rir,
            start,
            step,
            counts,
        })
    }

    /// Checks what a fit needs: a finite RIR > 0, ≥ 4 finite counts, a finite start and a
    /// positive step.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the reference.
    pub fn check(&self) -> Result<()> {
        if !(self.rir.is_finite() && self.rir > 0.0) {
            return Err(crate::error::invalid(
                "rir",
                format!("{}: {} must be finite and > 0", self.id, self.rir),
            ));
        }
        if self.counts.len() < 4
            || !(self.step.is_finite() && self.step > 0.0 && self.start.is_finite())
            || self.counts.iter().any(|c| !c.is_finite())
        {
            return Err(crate::error::invalid(
                "references",
                format!(
                    "{}: need ≥ 4 finite counts on a grid of positive step",
                    self.id
                ),
            ));
        }
        Ok(())
    }

    /// Whether this is a background shape rather than a mineral (its name is
    /// [`BACKGROUND_NAME`]): it is fitted but has no weight fraction.
    pub fn is_background(&self) -> bool {
        self.name.eq_ignore_ascii_case(BACKGROUND_NAME)
    }

    /// The last 2θ of the grid.
    pub fn end(&self) -> f64 {
        self.start + self.step * (self.counts.len() - 1) as f64
    }

    /// The counts at 2θ `x` by Keys' cubic convolution (a = −½, exact for quadratics); the ends
    /// are extended by their last value.
    pub fn value(&self, x: f64) -> f64 {
        let (p, u) = self.neighbours(x);
        let c1 = 0.5 * (p[2] - p[0]);
        let c2 = p[0] - 2.5 * p[1] + 2.0 * p[2] - 0.5 * p[3];
        let c3 = 0.5 * (p[3] - p[0]) + 1.5 * (p[1] - p[2]);
        p[1] + u * (c1 + u * (c2 + u * c3))
    }

    /// The four counts around 2θ `x` (ends extended) and x's fraction of a step past the second.
    fn neighbours(&self, x: f64) -> ([f64; 4], f64) {
        let n = self.counts.len() as i64;
        let t = (x - self.start) / self.step;
        // floor without a libm call (x86-64's baseline has no rounding instruction); `as`
        // saturates, and the clamp below keeps any index in the grid.
        let truncated = t as i64;
        let i = if (truncated as f64) > t {
            truncated - 1
        } else {
            truncated
        };
        let u = t - i as f64;
        let at = |k: i64| self.counts[k.clamp(0, n - 1) as usize];
        ([at(i - 1), at(i), at(i + 1), at(i + 2)], u)
    }

    /// [`Reference::value`] and its derivative d/d2θ.
    pub fn value_and_slope(&self, x: f64) -> (f64, f64) {
        let ([p0, p1, p2, p3], u) = self.neighbours(x);
        // Keys (1981), a = −½, as a cubic in u.
        let c1 = 0.5 * (p2 - p0);
        let c2 = p0 - 2.5 * p1 + 2.0 * p2 - 0.5 * p3;
        let c3 = 0.5 * (p3 - p0) + 1.5 * (p1 - p2);
        let value = p1 + u * (c1 + u * (c2 + u * c3));
        let slope = (c1 + u * (2.0 * c2 + 3.0 * u * c3)) / self.step;
        (value, slope)
    }
}

/// A library of measured reference patterns.
///
/// ```
/// use xrd_refine::ReferenceLibrary;
/// let csv = "tth,QUARTZ,BACK_POS\n20.0,10,1000\n20.02,30,1000\n20.04,12,1000\n20.06,8,1000\n";
/// let rirs = "phase_id,phase_name,rir\nQUARTZ,Quartz,3.54\nBACK_POS,Background,10000\n";
/// let lib = ReferenceLibrary::from_wide_csv(csv, "lib.csv", Some(rirs))?;
/// assert_eq!(lib.len(), 2);
/// assert!((lib.get("quartz").unwrap().rir - 3.54).abs() < 1e-12);
/// assert!(lib.get("BACK_POS").unwrap().is_background());
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceLibrary {
    references: Vec<Reference>,
}

/// A table of `phase_id,phase_name,rir` rows (powdR's `phases` table).
fn parse_rirs(text: &str, file: &str) -> Result<Vec<(String, String, f64)>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(syntax(file, 1, "a header phase_id,phase_name,rir", ""));
    };
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let (Some(id), Some(rir)) = (find(&["phase_id", "id"]), find(&["rir"])) else {
        return Err(syntax(file, 1, "columns phase_id and rir", header));
    };
    let name = find(&["phase_name", "name"]);
    let mut rows = Vec::new();
    for (k, line) in lines {
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let value: f64 = get(rir)
            .parse()
            .map_err(|_| syntax(file, k + 1, "a number in the rir column", line))?;
        let id = get(id).to_string();
        let name = name.map_or_else(|| id.clone(), |n| get(n).to_string());
        rows.push((id, name, value));
    }
    Ok(rows)
}

fn syntax(file: &str, line: usize, expected: &str, found: &str) -> Error {
    Error::Io(xrd_io::Error::Syntax {
        file: file.to_string(),
        at: xrd_io::Location::Line(line),
        expected: expected.to_string(),
        found: found.chars().take(60).collect(),
    })
}

fn read_text(path: &Path) -> Result<String> {
    let file_error = |source| {
        Error::Io(xrd_io::Error::File {
            path: path.to_path_buf(),
            source,
        })
    };
    let bytes = std::fs::read(path).map_err(file_error)?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(file_error)?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|_| syntax(&path.display().to_string(), 1, "UTF-8 text", ""))
}

/// Whether a CSV's header is that of a RIR table.
fn is_rir_table(text: &str) -> bool {
    let header = text.lines().next().unwrap_or("").to_ascii_lowercase();
    header.contains("rir") && (header.contains("phase_id") || header.starts_with("id,"))
}

impl ReferenceLibrary {
    /// An empty library (add with [`ReferenceLibrary::push`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a library: a wide CSV (optionally gzipped; its RIR table is the CSV beside it whose
    /// header has `phase_id` and `rir`, as powdR exports them), or a folder holding a RIR table
    /// and either wide CSVs or one pattern file per reference (any format xrd-io reads, the
    /// reference's id being the file's stem).
    ///
    /// # Errors
    /// The file errors of xrd-io; [`Error::InvalidParameter`] for a reference without a RIR,
    /// a duplicate id, or a folder without a RIR table.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.is_dir() {
            return Self::read_folder(path);
        }
        let text = read_text(path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let rirs = Self::find_rir_table(folder, Some(path))?;
        Self::from_wide_csv(
            &text,
            &path.display().to_string(),
            rirs.as_ref().map(|(_, t)| t.as_str()),
        )
    }

    fn find_rir_table(folder: &Path, except: Option<&Path>) -> Result<Option<(PathBuf, String)>> {
        let mut found = None;
        let mut files = xrd_io::list_files(folder)?;
        files.sort();
        for f in files {
            let name = f.to_string_lossy().to_ascii_lowercase();
            if Some(f.as_path()) == except || !(name.ends_with(".csv") || name.ends_with(".csv.gz"))
            {
                continue;
            }
            let text = read_text(&f)?;
            if is_rir_table(&text) {
                found = Some((f, text));
                break;
            }
        }
        Ok(found)
    }

    fn read_folder(folder: &Path) -> Result<Self> {
        let Some((table_path, table)) = Self::find_rir_table(folder, None)? else {
            return Err(crate::error::invalid(
                "reference library",
                format!(
                    "{}: no RIR table (a CSV with columns phase_id,phase_name,rir)",
                    folder.display()
                ),
            ));
        };
        let rirs = parse_rirs(&table, &table_path.display().to_string())?;
        let mut lib = Self::new();
        let mut files = xrd_io::list_files(folder)?;
        files.sort();
        for f in files {
            if f == table_path {
                continue;
            }
            let lower = f.to_string_lossy().to_ascii_lowercase();
            if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
                let text = read_text(&f)?;
                if text
                    .lines()
                    .next()
                    .is_some_and(|h| h.split(',').count() > 2)
                {
                    let part = Self::from_wide_csv(&text, &f.display().to_string(), Some(&table))?;
                    for r in part.references {
                        lib.push(r)?;
                    }
                    continue;
                }
            }
            let stem = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let stem = stem.split('.').next().unwrap_or("").to_string();
            let Some((id, name, rir)) = rirs
                .iter()
                .find(|(id, _, _)| id.eq_ignore_ascii_case(&stem))
            else {
                return Err(crate::error::invalid(
                    "reference library",
                    format!(
                        "{}: `{stem}` has no row in {}",
                        f.display(),
                        table_path.display()
                    ),
                ));
            };
            let pattern = xrd_io::read(&f)?.remove(0);
            lib.push(Reference::from_pattern(
                id.clone(),
                name.clone(),
                *rir,
                &pattern,
            )?)?;
        }
        if lib.is_empty() {
            return Err(crate::error::invalid(
                "reference library",
                format!("{}: no reference patterns", folder.display()),
            ));
        }
        Ok(lib)
    }

    /// Parses a wide CSV: a 2θ column first (`tth`, `two_theta`, …), then one column of counts
    /// per reference named by its id; `rirs` is the `phase_id,phase_name,rir` table (without it,
    /// the CSV itself may be that table's columns appended as rows is not allowed: every column
    /// needs a row).
    ///
    /// # Errors
    /// [`Error::Io`] (syntax) for a malformed CSV or table, [`Error::InvalidParameter`] for a
    /// column without a RIR, a non-monotonic or uneven 2θ column, or non-finite counts.
    pub fn from_wide_csv(text: &str, file: &str, rirs: Option<&str>) -> Result<Self> {
        let rirs = match rirs {
            Some(t) => parse_rirs(t, "RIR table")?,
            None => Vec::new(),
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(Error::Io(xrd_io::Error::NoData {
                file: file.to_string(),
                expected: "a header of 2θ and reference ids".to_string(),
            }));
        };
        let ids: Vec<String> = header
            .split(',')
            .skip(1)
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect();
        if ids.is_empty() {
            return Err(syntax(
                file,
                1,
                "a 2θ column and at least one reference column",
                header,
            ));
        }
        let mut tt = Vec::new();
        let mut columns = vec![Vec::new(); ids.len()];
        for (k, line) in lines {
            let mut fields = line.split(',');
            let x: f64 = fields
                .next()
                .unwrap_or("")
                .trim()
                .parse()
                .map_err(|_| syntax(file, k + 1, "a number (2θ)", line))?;
            tt.push(x);
            let mut count = 0;
            for (c, f) in fields.enumerate() {
                let f = f.trim();
                let v: f64 = if f.is_empty() || f == "NA" {
                    f64::NAN
                } else {
                    f.parse()
                        .map_err(|_| syntax(file, k + 1, "a number", line))?
                };
                if c < columns.len() {
                    columns[c].push(v);
                }
                count += 1;
            }
            if count != ids.len() {
                return Err(syntax(
                    file,
                    k + 1,
                    &format!("{} values", ids.len() + 1),
                    line,
                ));
            }
        }
        let mut lib = Self::new();
        for (id, counts) in ids.into_iter().zip(columns) {
            let Some((_, name, rir)) = rirs.iter().find(|(i, _, _)| i.eq_ignore_ascii_case(&id))
            else {
                return Err(crate::error::invalid(
                    "reference library",
                    format!(
                        "{file}: column `{id}` has no RIR (no row in the phase_id,phase_name,rir table)"
                    ),
                ));
            };
            if counts.iter().any(|v| !v.is_finite()) {
                return Err(crate::error::invalid(
                    "reference library",
                    format!("{file}: column `{id}` holds a missing or non-finite value"),
                ));
            }
            let pattern = Pattern::new(tt.clone(), counts)?;
            lib.push(Reference::from_pattern(id, name.clone(), *rir, &pattern)?)?;
        }
        Ok(lib)
    }

    /// Adds a reference (a user's own, measured on their instrument).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the library already has this id.
    pub fn push(&mut self, reference: Reference) -> Result<()> {
        if self.get(&reference.id).is_some() {
            return Err(crate::error::invalid(
                "reference library",
                format!("duplicate id `{}`", reference.id),
            ));
        }
        self.references.push(reference);
        Ok(())
    }

    /// The reference of this id (case-insensitive).
    pub fn get(&self, id: &str) -> Option<&Reference> {
        self.references
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// The library's corundum pattern (id or name `corundum`, any case): RIRs are relative to
    /// it, and [`crate::rir_scale`] bridges them to structures' weights through it.
    pub fn corundum(&self) -> Option<&Reference> {
        self.get("CORUNDUM").or_else(|| {
            self.references
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case("corundum"))
        })
    }

    /// Every reference, in file order.
    pub fn references(&self) -> &[Reference] {
        &self.references
    }

    /// Number of references.
    pub fn len(&self) -> usize {
        self.references.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.references.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cubic_is_exact_for_quadratics_and_its_slope_matches_differences() {
        let counts: Vec<f64> = (0..40)
            .map(|i| 3.0 + 0.5 * i as f64 + 0.01 * (i * i) as f64)
            .collect();
        let r = Reference {
            id: "q".into(),
            name: "q".into(),
            rir: 1.0,
            start: 10.0,
            step: 0.02,
            counts,
        };
        let exact = |x: f64| {
            let i = (x - 10.0) / 0.02;
            3.0 + 0.5 * i + 0.01 * i * i
        };
        for k in 0..50 {
            let x = 10.05 + 0.0137 * k as f64;
            let (v, s) = r.value_and_slope(x);
            assert!((v - exact(x)).abs() < 1e-9, "{x}: {v} vs {}", exact(x));
            let h = 1e-6;
            let num = (r.value_and_slope(x + h).0 - r.value_and_slope(x - h).0) / (2.0 * h);
            assert!(
                (s - num).abs() < 1e-5 * num.abs().max(1.0),
                "{x}: {s} vs {num}"
            );
        }
    }

    #[test]
    fn malformed_libraries_are_errors() {
        let rirs = "phase_id,phase_name,rir\nA,Alpha,1.5\n";
        let bad = [
            ("tth,A\n1,2\n1.1,x\n", Some(rirs)),
            ("tth,A\n1,2\n1.1\n", Some(rirs)),
            ("tth,B\n1,2\n1.1,3\n1.2,3\n1.3,4\n", Some(rirs)),
            (
                "tth,A\n1,2\n1.1,3\n1.2,3\n1.3,4\n",
                Some("phase_id,phase_name,rir\nA,Alpha,-1\n"),
            ),
            ("tth,A\n1,2\n1.1,3\n1.2,NA\n1.3,4\n", Some(rirs)),
            ("tth,A\n1,2\n0.9,3\n1.2,3\n1.3,4\n", Some(rirs)),
            ("", Some(rirs)),
            ("tth\n1\n", Some(rirs)),
            (
                "tth,A\n1,2\n1.1,3\n1.2,3\n1.3,4\n",
                Some("phase_id,phase_name\nA,Alpha\n"),
            ),
        ];
        for (csv, table) in bad {
            assert!(
                ReferenceLibrary::from_wide_csv(csv, "t.csv", table).is_err(),
                "accepted {csv:?}"
            );
        }
        let mut lib = ReferenceLibrary::from_wide_csv(
            "tth,A\n1,2\n1.1,3\n1.2,3\n1.3,4\n",
            "t.csv",
            Some(rirs),
        )
        .unwrap();
        let again = lib.references()[0].clone();
        assert!(matches!(lib.push(again), Err(Error::InvalidParameter(_))));
    }
}
