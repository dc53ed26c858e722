//! Writers: xy (2 or 3 columns), CSV and JSON, to any `Write` or atomically to a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Pattern, Result};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Whitespace-separated `2θ intensity [sigma]` rows after `#` comment lines (wavelength,
    /// sample, source); sigma is written when the pattern has it.
    Xy,
    /// Comma-separated with a header row `two_theta,intensity[,sigma]`.
    Csv,
    /// JSON: one pattern as an object, several as an array; [`crate::read`] reads it back.
    Json,
    /// NumPy `.npy` (version 1.0): one little-endian `float64` array of shape (points, 2), or
    /// (points, 3) with sigma, whose columns are 2θ, intensity and sigma; `numpy.load` and
    /// [`crate::read`] read it back. Wavelength and metadata are not stored.
    Npy,
}

impl OutputFormat {
    /// Parses `xy`, `csv`, `json` or `npy` (case-insensitive).
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        match name.to_ascii_lowercase().as_str() {
            "xy" | "xye" => Some(OutputFormat::Xy),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "npy" => Some(OutputFormat::Npy),
            _ => None,
        }
    }

    /// The format a file is saved in by its extension (`.xy`, `.csv`, `.json`, `.npy`, any
    /// case), as `xrd simulate --out` and Python's `Pattern.save` choose it.
    ///
    /// ```
    /// use xrd_io::OutputFormat;
    /// assert_eq!(OutputFormat::from_path("rutile.XY".as_ref()), Some(OutputFormat::Xy));
    /// assert_eq!(OutputFormat::from_path("rutile".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        Self::from_name(&path.extension()?.to_string_lossy())
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::File {
        path: path.to_owned(),
        source,
    }
}

/// Writes `patterns` to `out`. Numbers are printed in Rust's shortest round-trip form, so reading
/// the output back gives the same values.
///
/// ```
/// use xrd_io::{write, OutputFormat, Pattern};
/// let p = Pattern::new(vec![10.0, 10.5], vec![3.0, 4.5])?;
/// let mut out = Vec::new();
/// write(&[p.clone()], OutputFormat::Csv, &mut out)?;
/// assert_eq!(String::from_utf8(out).unwrap(), "two_theta,intensity\n10,3\n10.5,4.5\n");
/// # Ok::<(), xrd_io::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for xy, CSV or npy with other than one pattern (they hold one);
/// [`Error::File`] (path `<output>`) when the writer fails; [`Error::Json`].
pub fn write(patterns: &[Pattern], format: OutputFormat, out: &mut impl Write) -> Result<()> {
    let path = PathBuf::from("<output>");
    let err = io_error(&path);
    if format != OutputFormat::Json && patterns.len() != 1 {
        return Err(Error::param(
            "patterns",
            crate::error::reason(
                format!("{} patterns", patterns.len()),
                "exactly one pattern for xy, CSV or npy (use JSON or one file per pattern)",
            ),
        ));
    }
    match format {
        OutputFormat::Json => {
            if let [one] = patterns {
                serde_json::to_writer(&mut *out, one)?;
            } else {
                serde_json::to_writer(&mut *out, patterns)?;
            }
            out.write_all(b"\n").map_err(&err)?;
        }
        OutputFormat::Npy => write_npy(&patterns[0], out).map_err(&err)?,
        OutputFormat::Xy | OutputFormat::Csv => {
            let p = &patterns[0];
            let csv = format == OutputFormat::Csv;
            if csv {
                let header = if p.sigma().is_some() {
                    "two_theta,intensity,sigma\n"
                } else {
                    "two_theta,intensity\n"
                };
                out.write_all(header.as_bytes()).map_err(&err)?;
            } else {
                if let Some(s) = &p.meta().source {
                    writeln!(out, "# source: {s}").map_err(&err)?;
                }
                if let Some(s) = &p.meta().sample {
                    writeln!(out, "# sample: {s}").map_err(&err)?;
                }
                if let Some(w) = p.wavelength() {
                    writeln!(out, "# wavelength: {w}").map_err(&err)?;
                }
                let cols = if p.sigma().is_some() {
                    "# 2theta intensity sigma"
                } else {
                    "# 2theta intensity"
                };
                writeln!(out, "{cols}").map_err(&err)?;
            }
            let sep = if csv { "," } else { " " };
            for i in 0..p.len() {
                match p.sigma() {
                    Some(s) => writeln!(
                        out,
                        "{}{sep}{}{sep}{}",
                        p.two_theta()[i],
                        p.intensity()[i],
                        s[i]
                    ),
                    None => writeln!(out, "{}{sep}{}", p.two_theta()[i], p.intensity()[i]),
                }
                .map_err(&err)?;
            }
        }
    }
    Ok(())
}

/// One pattern as a NumPy 1.0 `.npy` of `float64` columns (the layout NumPy's format spec gives:
/// magic, version, a little-endian u16 header length, the header dict padded with spaces to a
/// multiple of 64 bytes ending in a newline, then the data in C order).
fn write_npy(p: &Pattern, out: &mut impl Write) -> std::io::Result<()> {
    let cols = if p.sigma().is_some() { 3 } else { 2 };
    let dict = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {cols}), }}",
        p.len()
    );
    // 10 bytes of preamble, the dict, the padding and the newline.
    let total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let header_len = total - 10;
    let mut head = Vec::with_capacity(total);
    head.extend_from_slice(b"\x93NUMPY\x01\x00");
    head.extend_from_slice(&u16::try_from(header_len).unwrap_or(u16::MAX).to_le_bytes());
    head.extend_from_slice(dict.as_bytes());
    head.resize(total - 1, b' ');
    head.push(b'\n');
    out.write_all(&head)?;
    let mut data = Vec::with_capacity(p.len() * cols * 8);
    for i in 0..p.len() {
        data.extend_from_slice(&p.two_theta()[i].to_le_bytes());
        data.extend_from_slice(&p.intensity()[i].to_le_bytes());
        if let Some(s) = p.sigma() {
            data.extend_from_slice(&s[i].to_le_bytes());
        }
    }
    out.write_all(&data)
}

/// Writes `patterns` to `path` atomically: into a temporary file in the same folder, flushed to
/// disk, then renamed over `path`, so readers never see a half-written file.
///
/// # Errors
/// As [`write()`], with [`Error::File`] naming the file.
pub fn save(path: impl AsRef<Path>, patterns: &[Pattern], format: OutputFormat) -> Result<()> {
    atomically(path.as_ref(), |file, temp| {
        let mut w = BufWriter::new(file);
        write(patterns, format, &mut w).map_err(|e| match e {
            Error::File { source, .. } => Error::File {
                path: temp.to_owned(),
                source,
            },
            other => other,
        })?;
        w.flush().map_err(io_error(temp))
    })
}

/// Creates `path` atomically ([`xrd_core::atomically`]) with xrd-io's errors: `fill` writes a
/// temporary file in the same folder, which is then flushed and renamed over `path`.
pub(crate) fn atomically(
    path: &Path,
    fill: impl FnOnce(&mut File, &Path) -> Result<()>,
) -> Result<()> {
    xrd_core::atomically(path, fill, |p, source| Error::File {
        path: p.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "formats")]
    use crate::Wavelength;
    use std::fs;

    #[cfg(feature = "formats")]
    fn sample() -> Pattern {
        Pattern::new(vec![10.0, 10.1, 10.2], vec![1.0, 0.1 + 0.2, 1e-7])
            .unwrap()
            .with_sigma(Some(vec![1.0, 0.5, 0.25]))
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA))
    }

    #[test]
    #[cfg(feature = "formats")]
    fn every_format_round_trips_through_the_readers() {
        let p = sample();
        for format in [
            OutputFormat::Xy,
            OutputFormat::Csv,
            OutputFormat::Json,
            OutputFormat::Npy,
        ] {
            let mut out = Vec::new();
            write(std::slice::from_ref(&p), format, &mut out).unwrap();
            let back = &crate::read_bytes(&out, Some("x")).unwrap()[0];
            assert_eq!(back.two_theta(), p.two_theta(), "{format:?}");
            assert_eq!(back.intensity(), p.intensity(), "{format:?}");
            assert_eq!(back.sigma(), p.sigma(), "{format:?}");
            // The formats that carry a wavelength give it back.
            if matches!(format, OutputFormat::Xy | OutputFormat::Json) {
                assert_eq!(back.wavelength(), p.wavelength(), "{format:?}");
            }
        }
        let mut out = Vec::new();
        write(&[p.clone(), p.clone()], OutputFormat::Json, &mut out).unwrap();
        assert_eq!(crate::read_bytes(&out, None).unwrap().len(), 2);
        assert!(matches!(
            write(&[p.clone(), p], OutputFormat::Xy, &mut Vec::new()),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            write(&[], OutputFormat::Csv, &mut Vec::new()),
            Err(Error::InvalidParameter(_))
        ));
    }

    #[test]
    #[cfg(feature = "formats")]
    fn save_is_atomic_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.xy");
        fs::write(&path, "old").unwrap();
        save(&path, &[sample()], OutputFormat::Xy).unwrap();
        assert_eq!(
            crate::read(&path).unwrap()[0].intensity(),
            sample().intensity()
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        let missing = dir.path().join("no/such/dir/out.xy");
        assert!(matches!(
            save(&missing, &[sample()], OutputFormat::Csv),
            Err(Error::File { .. })
        ));
        assert!(matches!(
            save(dir.path().join("two.xy"), &[], OutputFormat::Xy),
            Err(Error::InvalidParameter(_))
        ));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
