//! A library of reference structures, its file format, and libraries from folders of CIF or
//! POSCAR files.
//!
//! The file is gzip-compressed JSON: `{"format": "xrd-minerals-library", "format_version": 1,
//! "info": {...}, "entries": [...], "rejected": [...]}`. JSON keeps it readable with any tool and
//! lets fields be added without breaking older files; gzip keeps the 9,275 AMCSD entries at about
//! a megabyte.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use xrd_sim::Structure;

use crate::entry::{Entry, EntrySite, Publication};
use crate::error::{format, invalid};
use crate::{Composition, Error, Result};

/// The value of the file's `format` field.
pub const FORMAT_NAME: &str = "xrd-minerals-library";
/// The file format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// A library file larger than this once decompressed is refused (the AMCSD library is about
/// 6 MB), so a corrupt or hostile file cannot exhaust memory.
pub const MAX_DECOMPRESSED_BYTES: u64 = 256 << 20;

/// moyo's tolerance (Å) for the space group of a structure read from a file.
pub const SYMPREC: f64 = 1e-2;

/// The built-in library file: the trimmed AMCSD converted by `examples/convert_amcsd.rs`.
static AMCSD: &[u8] = include_bytes!("../data/amcsd.json.gz");

/// What a library is and where its data comes from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryInfo {
    /// Short name (`amcsd`, or a folder's name).
    pub name: String,
    /// Version of the data (the source's own tag and date).
    pub version: String,
    /// What to cite.
    pub citation: String,
    /// Licence of the data.
    pub licence: String,
}

/// An entry of the source that is not in the library, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// The source's identifier (`amcsd:123`, a file path).
    pub id: String,
    /// Why it could not be used.
    pub reason: String,
}

/// The file as read: the entries as raw JSON, parsed in parallel (or only those a name needs,
/// [`Library::amcsd_named`]).
#[derive(Debug, Deserialize)]
struct LibraryFile<'a> {
    format: String,
    format_version: u32,
    info: LibraryInfo,
    #[serde(borrow)]
    entries: Vec<&'a serde_json::value::RawValue>,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

/// What [`Library::lookup`] reads of an entry.
#[derive(Debug, Deserialize)]
struct Head {
    id: String,
    mineral: String,
    formula: String,
}

/// The file as written, borrowing the library (same fields as [`LibraryFile`]).
#[derive(Serialize)]
struct LibraryFileRef<'a> {
    format: &'a str,
    format_version: u32,
    info: &'a LibraryInfo,
    entries: &'a [Entry],
    rejected: &'a [Rejected],
}

/// A library of reference structures.
///
/// ```
/// let lib = xrd_minerals::Library::amcsd()?;
/// assert!(lib.len() > 9000);
/// let galena = lib.entries().iter().find(|e| e.mineral == "Galena").unwrap();
/// assert_eq!(galena.space_group, 225);
/// # Ok::<(), xrd_minerals::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Library {
    info: LibraryInfo,
    entries: Vec<Entry>,
    rejected: Vec<Rejected>,
    fingerprint: u64,
}

impl Library {
    /// Builds a library from checked entries.
    ///
    /// # Errors
    /// [`Error::Format`] for an entry that fails [`Entry::check`] or a repeated id.
    pub fn new(info: LibraryInfo, entries: Vec<Entry>, rejected: Vec<Rejected>) -> Result<Self> {
        let mut lib = Self::checked(info, entries, rejected, true)?;
        lib.fingerprint = fnv1a(&lib.to_json()?);
        Ok(lib)
    }

    /// The library with unique ids, and with every entry checked when `check` (the entries run
    /// in parallel: checking parses every operator, most of a library's load time); the
    /// fingerprint is left to the caller.
    fn checked(
        info: LibraryInfo,
        entries: Vec<Entry>,
        rejected: Vec<Rejected>,
        check: bool,
    ) -> Result<Self> {
        use rayon::prelude::*;
        if check {
            entries.par_iter().try_for_each(Entry::check)?;
        }
        let mut ids = std::collections::HashSet::with_capacity(entries.len());
        for e in &entries {
            if !ids.insert(e.id.as_str()) {
                return Err(format(
                    format!("library {}", info.name),
                    format!("entry id {} repeated", e.id),
                ));
            }
        }
        Ok(Self {
            info,
            entries,
            rejected,
            fingerprint: 0,
        })
    }

    /// The built-in library: the trimmed American Mineralogist Crystal Structure Database
    /// (Downs & Hall-Wallace, Am. Mineral. 88, 247–250, 2003) as redistributed by larixite.
    ///
    /// # Errors
    /// Only if the embedded file were corrupt (a test reads it).
    pub fn amcsd() -> Result<Self> {
        // The embedded file is the converter's output, every entry checked when it was written
        // and again by a test: loading it does not check them (a third of the load time).
        Self::parse(AMCSD, "built-in AMCSD library", false)
    }

    /// Reads a library file (see the module docs).
    ///
    /// # Errors
    /// [`Error::File`] when it cannot be read, [`Error::Format`] when it is not a library file of
    /// this version or an entry is invalid.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Parses the bytes of a library file; `what` names it in errors.
    ///
    /// # Errors
    /// As [`Library::read`].
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        Self::parse(bytes, what, true)
    }

    /// The built-in library reduced to the entries that [`Library::lookup`] finds for any of
    /// `names` (ids, mineral names, formulas): what `xrd refine --phase NAME` needs, read in a
    /// fraction of the whole library's time (only those entries are parsed).
    ///
    /// ```
    /// use xrd_minerals::Library;
    /// let some = Library::amcsd_named(&["calcite", "TiO2"])?;
    /// let all = Library::amcsd()?;
    /// let ids = |l: &Library, n: &str| -> Vec<String> {
    ///     l.lookup(n).iter().map(|&i| l.entries()[i].id.clone()).collect()
    /// };
    /// assert_eq!(ids(&some, "calcite"), ids(&all, "calcite"));
    /// assert_eq!(ids(&some, "TiO2"), ids(&all, "TiO2"));
    /// assert!(some.len() < 200);
    /// # Ok::<(), xrd_minerals::Error>(())
    /// ```
    ///
    /// # Errors
    /// Only if the embedded file were corrupt.
    pub fn amcsd_named(names: &[&str]) -> Result<Self> {
        Self::parse_selected(AMCSD, "built-in AMCSD library", false, Some(names))
    }

    fn parse(bytes: &[u8], what: &str, check: bool) -> Result<Self> {
        Self::parse_selected(bytes, what, check, None)
    }

    fn parse_selected(
        bytes: &[u8],
        what: &str,
        check: bool,
        names: Option<&[&str]>,
    ) -> Result<Self> {
        use rayon::prelude::*;
        let mut json = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_DECOMPRESSED_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| format(what, format!("not a gzip file or truncated ({e})")))?;
        if json.len() as u64 > MAX_DECOMPRESSED_BYTES {
            return Err(format(
                what,
                format!("larger than {MAX_DECOMPRESSED_BYTES} bytes decompressed"),
            ));
        }
        let file: LibraryFile<'_> = serde_json::from_slice(&json)
            .map_err(|e| format(what, format!("not a library file ({e})")))?;
        if file.format != FORMAT_NAME {
            return Err(format(
                what,
                format!("format `{}`, expected `{FORMAT_NAME}`", file.format),
            ));
        }
        if file.format_version != FORMAT_VERSION {
            return Err(format(
                what,
                format!(
                    "format version {}, this crate reads {FORMAT_VERSION}",
                    file.format_version
                ),
            ));
        }
        let raw: Vec<&serde_json::value::RawValue> = match names {
            None => file.entries,
            Some(names) => {
                let heads = file
                    .entries
                    .par_iter()
                    .map(|r| serde_json::from_str::<Head>(r.get()))
                    .collect::<std::result::Result<Vec<Head>, _>>()
                    .map_err(|e| format(what, format!("not a library file ({e})")))?;
                let mut keep: Vec<usize> = names
                    .iter()
                    .flat_map(|n| {
                        lookup_by(heads.len(), n, |i| {
                            (&heads[i].id, &heads[i].mineral, &heads[i].formula)
                        })
                    })
                    .collect();
                keep.sort_unstable();
                keep.dedup();
                keep.into_iter().map(|i| file.entries[i]).collect()
            }
        };
        let entries = raw
            .par_iter()
            .map(|r| serde_json::from_str::<Entry>(r.get()))
            .collect::<std::result::Result<Vec<Entry>, _>>()
            .map_err(|e| format(what, format!("not a library file ({e})")))?;
        let mut lib = Self::checked(file.info, entries, file.rejected, check)?;
        // The content's checksum is that of the bytes read: the same as [`Library::new`]'s for
        // a file this crate wrote, without serialising the library again (a subset: of its
        // entries' bytes).
        lib.fingerprint = match names {
            None => fnv1a(&json),
            Some(_) => fnv1a(raw.iter().map(|r| r.get()).collect::<String>().as_bytes()),
        };
        Ok(lib)
    }

    /// The library as the bytes of a library file.
    ///
    /// # Errors
    /// Serialisation errors (none for a checked library).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let json = self.to_json()?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&json)
            .and_then(|()| gz.finish())
            .map_err(|e| format("library", e.to_string()))
    }

    /// Writes the library file atomically (temporary file and rename).
    ///
    /// # Errors
    /// [`Error::File`] when it cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        xrd_io::write_atomic(path, &self.to_bytes()?).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })
    }

    fn to_json(&self) -> Result<Vec<u8>> {
        let file = LibraryFileRef {
            format: FORMAT_NAME,
            format_version: FORMAT_VERSION,
            info: &self.info,
            entries: &self.entries,
            rejected: &self.rejected,
        };
        serde_json::to_vec(&file).map_err(|e| format("library", e.to_string()))
    }

    /// A library of the CIF and POSCAR files in `dir` (not recursive; hidden files skipped).
    /// Each file's first structure is one entry with the file's path as id; its space group is
    /// moyo's ([`SYMPREC`]). Files that cannot be read are listed in [`Library::rejected`].
    ///
    /// # Errors
    /// [`Error::File`] when the folder cannot be listed.
    pub fn from_folder(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let paths = xrd_io::list_files(dir).map_err(|e| match e {
            xrd_io::Error::File { path, source } => Error::File { path, source },
            other => Error::Io(other),
        })?;
        let name = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
        Self::from_files(&name, &paths)
    }

    /// The library a user searches: the built-in AMCSD ([`Library::amcsd`]) when `builtin`, merged
    /// with each of `extra` (a folder of CIF/POSCAR files, or one such file). Files that cannot
    /// be read are listed in [`Library::rejected`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `builtin` is false and `extra` is empty; those of
    /// [`Library::from_folder`] and [`Library::merged`].
    pub fn assemble(builtin: bool, extra: &[PathBuf]) -> Result<Self> {
        Self::assemble_inner(builtin, extra, None)
    }

    /// [`Library::assemble`] with the built-in library reduced to the entries `names` need
    /// ([`Library::amcsd_named`]): for looking names up, not for searching.
    ///
    /// # Errors
    /// As [`Library::assemble`].
    pub fn assemble_named(builtin: bool, extra: &[PathBuf], names: &[&str]) -> Result<Self> {
        Self::assemble_inner(builtin, extra, Some(names))
    }

    fn assemble_inner(builtin: bool, extra: &[PathBuf], names: Option<&[&str]>) -> Result<Self> {
        let mut lib: Option<Library> = None;
        if builtin {
            lib = Some(match names {
                Some(n) => Self::amcsd_named(n)?,
                None => Self::amcsd()?,
            });
        }
        for path in extra {
            let more = if path.is_dir() {
                Self::from_folder(path)?
            } else {
                Self::from_files(&path.display().to_string(), std::slice::from_ref(path))?
            };
            lib = Some(match lib {
                Some(l) => l.merged(more)?,
                None => more,
            });
        }
        lib.ok_or_else(|| {
            invalid(
                "extra",
                "no library: without the built-in one, name a folder or file of structures",
            )
        })
    }

    /// A library of the given CIF or POSCAR files (see [`Library::from_folder`]); `name` names it.
    ///
    /// # Errors
    /// Never for unreadable files (they are listed in [`Library::rejected`]); [`Error::Format`]
    /// for a path given twice.
    pub fn from_files(name: &str, paths: &[PathBuf]) -> Result<Self> {
        let mut entries = Vec::new();
        let mut rejected = Vec::new();
        for path in paths {
            let id = path.display().to_string();
            match entry_from_file(path) {
                Ok(e) => entries.push(e),
                Err(e) => rejected.push(Rejected {
                    id,
                    reason: e.to_string(),
                }),
            }
        }
        let info = LibraryInfo {
            name: name.to_string(),
            version: String::new(),
            citation: String::new(),
            licence: String::new(),
        };
        Self::new(info, entries, rejected)
    }

    /// What the library is.
    pub fn info(&self) -> &LibraryInfo {
        &self.info
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries of the source that are not in the library, with the reason.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries of the same material as a structure of composition `composition` and
    /// space group `space_group`: the same group and the same formula
    /// ([`Composition::same_formula`]; an entry whose formula does not parse counts by its
    /// elements alone). For measuring what search-match does for a material its library lacks.
    pub fn same_material(&self, composition: &Composition, space_group: u8) -> Vec<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.space_group == space_group)
            .filter(|(_, e)| match Composition::parse(&e.formula) {
                Ok(c) => c.same_formula(composition),
                Err(_) => composition
                    .fractions()
                    .iter()
                    .map(|(s, _)| s)
                    .eq(e.elements.iter()),
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The entries of the same material as entry `entry`, itself included: those of its mineral
    /// name ([`Library::lookup`]) and those of its formula and space group
    /// ([`Library::same_material`]), sorted. What "leave a material out of the library" leaves
    /// out (the refusal tests); empty for an index out of range.
    pub fn relatives(&self, entry: usize) -> Vec<usize> {
        let Some(e) = self.entries.get(entry) else {
            return Vec::new();
        };
        let mut out = vec![entry];
        if !e.mineral.is_empty() {
            out.extend(self.lookup(&e.mineral));
        }
        if let Ok(composition) = Composition::parse(&e.formula) {
            out.extend(self.same_material(&composition, e.space_group));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The entries of the materials among `candidates` of space group `space_group` (each one's
    /// [`Library::relatives`]), sorted: what leaving a pattern's own material out of the library
    /// leaves out when the pattern names no mineral, its best matches of the right group standing
    /// for it (the refusal tests).
    pub fn relatives_of(&self, candidates: &[crate::Candidate], space_group: u8) -> Vec<usize> {
        let mut out: Vec<usize> = candidates
            .iter()
            .filter(|c| {
                self.entries
                    .get(c.entry)
                    .is_some_and(|e| e.space_group == space_group)
            })
            .flat_map(|c| self.relatives(c.entry))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The entries a person names with `spec`: an id (`amcsd:8240`), else a mineral name
    /// (case-insensitive, `anatase`), else a formula (`TiO2`: every entry of that composition,
    /// polymorphs included, and those refined with a trace of another element,
    /// [`crate::TRACE_FRACTION`]). Empty when nothing matches.
    pub fn lookup(&self, spec: &str) -> Vec<usize> {
        lookup_by(self.entries.len(), spec, |i| {
            let e = &self.entries[i];
            (&e.id, &e.mineral, &e.formula)
        })
    }

    /// `true` without entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A 64-bit checksum of the library's content: reference caches are keyed by it.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Appends the entries of `other` (for searching several libraries at once).
    ///
    /// # Errors
    /// [`Error::Format`] when an id is in both.
    pub fn merged(self, other: Library) -> Result<Self> {
        let info = LibraryInfo {
            name: format!("{}+{}", self.info.name, other.info.name),
            version: format!("{}+{}", self.info.version, other.info.version),
            citation: [self.info.citation, other.info.citation]
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
            licence: self.info.licence,
        };
        let mut entries = self.entries;
        entries.extend(other.entries);
        let mut rejected = self.rejected;
        rejected.extend(other.rejected);
        Self::new(info, entries, rejected)
    }
}

/// One file's structure as an entry: every site of the cell with the identity operator.
fn entry_from_file(path: &Path) -> Result<Entry> {
    let structure = Structure::from_file(path)?;
    entry_from_structure(path.display().to_string(), &structure)
}

/// A structure (all sites of the cell) as an entry of space group moyo's.
pub(crate) fn entry_from_structure(id: String, structure: &Structure) -> Result<Entry> {
    let sg = structure.space_group(SYMPREC)?;
    let composition = structure.composition();
    let formula = structure.formula();
    let mut elements: Vec<String> = composition
        .iter()
        .map(|(e, _)| e.symbol().to_string())
        .collect();
    elements.sort();
    let lengths = structure.lattice().lengths();
    let angles = structure.lattice().angles();
    let sites = structure
        .sites()
        .iter()
        .map(|s| EntrySite {
            label: s.label.clone(),
            element: s.species.element.symbol().to_string(),
            frac: s.frac,
            occupancy: s.occupancy.min(1.0),
            b_iso: s.b_iso,
        })
        .collect();
    Ok(Entry {
        id,
        mineral: String::new(),
        formula,
        elements,
        cell: [
            lengths[0], lengths[1], lengths[2], angles[0], angles[1], angles[2],
        ],
        space_group: sg.number,
        hm_symbol: sg.hm_symbol,
        operators: vec!["x,y,z".into()],
        sites,
        publication: Publication::default(),
        notes: Vec::new(),
        conditions: Default::default(),
    })
}

/// [`Library::lookup`] over `n` entries given as (id, mineral, formula).
fn lookup_by<'a>(
    n: usize,
    spec: &str,
    head: impl Fn(usize) -> (&'a str, &'a str, &'a str),
) -> Vec<usize> {
    let spec = spec.trim();
    let by = |keep: &dyn Fn(&str, &str, &str) -> bool| -> Vec<usize> {
        (0..n)
            .filter(|&i| {
                let (id, mineral, formula) = head(i);
                keep(id, mineral, formula)
            })
            .collect()
    };
    let ids = by(&|id, _, _| id == spec);
    if !ids.is_empty() {
        return ids;
    }
    let names = by(&|_, m, _| !m.is_empty() && m.eq_ignore_ascii_case(spec));
    if !names.is_empty() {
        return names;
    }
    match Composition::parse(spec) {
        // An entry refined with a trace of a dopant is the same material: the ranking
        // (`choice`) weighs the trace.
        Ok(c) => by(&|_, _, f| {
            Composition::parse(f).is_ok_and(|f| {
                f.same_formula(&c) || f.without_traces().same_formula(&c.without_traces())
            })
        }),
        Err(_) => Vec::new(),
    }
}

/// FNV-1a, 64 bits.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
