//! File formats: detection from content and one reader per format (the `formats` feature).

mod archive;
mod brml;
mod bruker_raw;
mod columns;
mod gsas;
mod npy;
mod pdcif;
mod rigaku;
mod rruff;
mod text;

pub(crate) use text::number;
mod uxd;
mod xml;
mod xrdml;

pub(crate) use archive::Archive;
pub use archive::MAX_MEMBER_BYTES;

use std::path::{Path, PathBuf};

use crate::error::NO_FILE;
use crate::{Error, Format, Location, Pattern, Result};

/// How many leading lines of a text file detection looks at.
const SNIFF_LINES: usize = 64;

/// Identifies the format of `bytes` from its content: magic bytes for binary and zip formats,
/// markers for text formats (`<xrdMeasurements`, `*RAS_`, `##`, `_FILEVERSION`/`_DRIVE`,
/// `BANK`, `data_` + `_pd_`, JSON brackets); the extension of `name_hint` only breaks ties between
/// text formats that share no marker (it is never required).
///
/// ```
/// use xrd_io::{detect_format, Format};
/// assert_eq!(detect_format(b"RAW1.01\0...", None)?, Format::BrukerRaw);
/// assert_eq!(detect_format(b"# 2theta I\n10 5\n10.1 6\n", Some("scan.txt"))?, Format::Columns);
/// assert_eq!(detect_format(b"##NAMES=Quartz\n5.0, 10\n##END=\n", None)?, Format::Rruff);
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// [`Error::NoData`] for empty input; [`Error::UnknownFormat`] when nothing matches.
pub fn detect_format(bytes: &[u8], name_hint: Option<&str>) -> Result<Format> {
    let file = name_hint.unwrap_or(NO_FILE);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "a non-empty file".into(),
        });
    }
    if bruker_raw::is_raw(bytes) {
        return Ok(Format::BrukerRaw);
    }
    if bytes.starts_with(npy::MAGIC) {
        return Ok(Format::Npy);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let archive = archive::Archive::open(bytes, file)?;
        let names = archive.names();
        let has = |pred: &dyn Fn(&str) -> bool| names.iter().any(|n| pred(&n.to_ascii_lowercase()));
        if has(&|n| n.starts_with("data") && n.contains("/profile") && n.ends_with(".txt")) {
            return Ok(Format::RigakuRasx);
        }
        if has(&|n| {
            n.rsplit('/')
                .next()
                .is_some_and(|l| l.starts_with("rawdata") && l.ends_with(".xml"))
        }) {
            return Ok(Format::Brml);
        }
        return Err(Error::UnknownFormat {
            file: file.to_owned(),
            reason: "a zip archive with neither Data*/Profile*.txt (RASX) nor RawData*.xml (BRML)"
                .into(),
        });
    }
    let head = &bytes[..bytes.len().min(1 << 16)];
    let text = text::decode(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        if text.contains("<xrdMeasurements") || text.contains(":xrdMeasurements") {
            return Ok(Format::Xrdml);
        }
        return Err(Error::UnknownFormat {
            file: file.to_owned(),
            reason: "XML that is not an XRDML document".into(),
        });
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Format::Json);
    }
    let lines: Vec<&str> = text::lines(&text)
        .map(|(_, l)| l.trim())
        .filter(|l| !l.is_empty())
        .take(SNIFF_LINES)
        .collect();
    if lines.iter().any(|l| l.starts_with("*RAS_")) {
        return Ok(Format::RigakuRas);
    }
    if lines.first().is_some_and(|l| l.starts_with("##"))
        && lines.iter().any(|l| l.starts_with("##") && l.contains('='))
    {
        return Ok(Format::Rruff);
    }
    let first_item = lines.iter().find(|l| !l.starts_with(';'));
    if first_item.is_some_and(|l| l.starts_with("_FILEVERSION") || l.starts_with("_DRIVE"))
        || lines
            .iter()
            .any(|l| l.starts_with("_2THETACOUNTS") || l.starts_with("_COUNTS"))
    {
        return Ok(Format::Uxd);
    }
    if lines
        .iter()
        .skip(1)
        .any(|l| l.to_ascii_uppercase().starts_with("BANK "))
    {
        return Ok(Format::Gsas);
    }
    if lines
        .iter()
        .any(|l| l.to_ascii_lowercase().starts_with("data_"))
        && (text.contains("_pd_") || bytes.len() > head.len())
    {
        return Ok(Format::PdCif);
    }
    let extension = name_hint
        .and_then(|n| Path::new(n).extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("cif") => Ok(Format::PdCif),
        Some("gsa" | "gss" | "fxye" | "gsas") => Ok(Format::Gsas),
        Some("uxd") => Ok(Format::Uxd),
        Some("ras") => Ok(Format::RigakuRas),
        _ if text.bytes().filter(|&b| b == 0).count() > 0 => Err(Error::UnknownFormat {
            file: file.to_owned(),
            reason: "binary content without a known magic".into(),
        }),
        _ => Ok(Format::Columns),
    }
}

/// Reads every pattern in `bytes`, detecting the format from the content ([`detect_format`]);
/// `name_hint` (a file name) names the input in errors and metadata.
///
/// ```
/// let patterns = xrd_io::read_bytes(b"10.0 5\n10.1 7\n10.2 6\n", Some("scan.xy"))?;
/// assert_eq!(patterns[0].intensity(), &[5.0, 7.0, 6.0]);
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// Whatever the format's reader reports: [`Error::Syntax`], [`Error::Truncated`],
/// [`Error::NoData`], [`Error::NonFinite`], [`Error::NonMonotonic`], [`Error::ColumnMismatch`],
/// [`Error::UnknownFormat`], [`Error::Archive`], [`Error::TooLarge`].
pub fn read_bytes(bytes: &[u8], name_hint: Option<&str>) -> Result<Vec<Pattern>> {
    let format = detect_format(bytes, name_hint)?;
    read_as(bytes, format, name_hint)
}

/// Reads `bytes` as `format`, without detection.
///
/// # Errors
/// As [`read_bytes`].
pub fn read_as(bytes: &[u8], format: Format, name_hint: Option<&str>) -> Result<Vec<Pattern>> {
    let file = name_hint.unwrap_or(NO_FILE);
    let text = || text::decode(bytes);
    match format {
        Format::Columns => columns::read(&text(), file),
        Format::Rruff => rruff::read(&text(), file),
        Format::Xrdml => xrdml::read(bytes, file),
        Format::BrukerRaw => bruker_raw::read(bytes, file),
        Format::Uxd => uxd::read(&text(), file),
        Format::RigakuRas => rigaku::read_ras(&text(), file),
        Format::RigakuRasx => rigaku::read_rasx(bytes, file),
        Format::Gsas => gsas::read(&text(), file),
        Format::PdCif => pdcif::read(&text(), file),
        Format::Brml => brml::read(bytes, file),
        Format::Json => read_json(bytes, file),
        Format::Npy => npy::read(bytes, file),
    }
}

fn read_json(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<Pattern>),
        One(Box<Pattern>),
    }
    let parsed: OneOrMany = serde_json::from_slice(bytes).map_err(|e| Error::Syntax {
        file: file.to_owned(),
        at: Location::Line(e.line()),
        expected: "a JSON pattern or list of patterns as written by xrd_io::write".into(),
        found: e.to_string(),
    })?;
    let patterns = match parsed {
        OneOrMany::Many(v) => v,
        OneOrMany::One(p) => vec![*p],
    };
    if patterns.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "at least one pattern".into(),
        });
    }
    Ok(patterns)
}

/// Reads every pattern of the file at `path` (format detected from its content).
///
/// A path `file#k` that names no file while `file` does reads pattern `k` (from 1) of `file`
/// alone: the name the command line gives one of several patterns in a file (a bank of a GSAS
/// file, a range of a Bruker RAW file), so that such a name can be handed back to any command.
///
/// # Errors
/// [`Error::File`] when the file cannot be read, [`Error::NoSuchPattern`] when `file#k` asks for
/// a pattern the file does not hold, otherwise as [`read_bytes`].
pub fn read(path: impl AsRef<Path>) -> Result<Vec<Pattern>> {
    let path = path.as_ref();
    if let Some((file, number)) = pattern_number(path) {
        let all = read_file(&file)?;
        let count = all.len();
        return match number.checked_sub(1).and_then(|k| all.into_iter().nth(k)) {
            Some(p) => Ok(vec![p]),
            None => Err(Error::NoSuchPattern {
                path: file,
                number,
                count,
            }),
        };
    }
    read_file(path)
}

/// `(file, k)` when `path` is `file#k` (`k` decimal digits) and names no file while `file`
/// does: pattern `k` (from 1) of `file`, as [`read`] takes it. `None` for every other path,
/// a file whose name holds `#` among them.
pub fn pattern_number(path: &Path) -> Option<(PathBuf, usize)> {
    let (file, number) = split_pattern_number(path.to_str()?)?;
    if path.exists() {
        return None;
    }
    let file = PathBuf::from(file);
    file.is_file().then_some((file, number))
}

/// `(file, k)` of a name `file#k` (`k` decimal digits), whatever exists: the form of
/// [`pattern_number`] for names that are not paths (a served file's, say). `None` otherwise.
pub fn split_pattern_number(name: &str) -> Option<(&str, usize)> {
    let (file, digits) = name.rsplit_once('#')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((file, digits.parse().ok()?))
}

fn read_file(path: &Path) -> Result<Vec<Pattern>> {
    let bytes = std::fs::read(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    read_bytes(&bytes, name.as_deref())
}
