//! GSAS raw / fxye powder data (GSAS manual, "GSAS Standard Powder Data File").
//!
//! Line 1 is a title; `#` lines are comments; `Instrument parameter` lines are kept as metadata.
//! Each bank starts with `BANK ibank nchan nrec bintyp bcoef1 bcoef2 bcoef3 bcoef4 type`:
//!
//! * `CONST`/`CONS` bins: 2θ = bcoef1 + i·bcoef2, in centidegrees.
//! * `RALF` bins (time of flight): the x values are explicit (`ALT`, `FXYE`) and are kept as read,
//!   in microseconds; such patterns carry the metadata item `x unit = TOF µs`.
//! * `STD` (default): intensities in 8-character fields `(I2, F6.0)` = (NCTR, counts), ten per
//!   line, NCTR blank for 1; σ = √(counts / NCTR), as GSAS-II's reader weights them (1/w =
//!   counts / NCTR; NCTR, the number of counters summed into the step, not a divisor of the
//!   intensity). The shorter last line of a bank keeps the layout of the lines before it.
//! * `ESD`: (intensity, σ) pairs in 8-character fields, five pairs per line.
//! * `ALT`: (x, intensity, σ) triples in 20-character fields `(F8, F7, F5)`, four per line; x in
//!   centidegrees (`CONST`) or TOF·32 µs (`RALF`).
//! * `FXYE`: free-format `x intensity σ` rows, x in centidegrees (`CONST`) or µs (`RALF`).
//!
//! Lines shorter than their fixed-width layout (files written without padding) are read as
//! whitespace-separated numbers.
//!
//! Header comments (`#` lines, and `key = value` lines before the first `BANK`) that state a
//! wavelength (`# Calibrated wavelength = 0.413263`, as APS 11-BM writes, or any line containing
//! `wavelength` followed by `=` or `:` and a number from 0.05 to 5 Å) set every bank's
//! wavelength to that single line (the first such comment wins); a temperature
//! (`# Temp (K) = 6.778`, `# Temperature = 295`; kelvin, or no unit) is kept as the metadata
//! item `temperature_k`, its value as written.

use super::text::{Points, leading_number, lines, number};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

/// The range (Å) of a wavelength a header comment may state: X-ray wavelengths from hard
/// synchrotron beams (0.1 Å) to soft laboratory anodes (Cr Kα 2.29 Å), with margin.
const COMMENT_WAVELENGTH: std::ops::RangeInclusive<f64> = 0.05..=5.0;

/// The text after the first `=` or `:` that follows `key` in `line` (`key` lower-case, matched
/// case-insensitively), and the text between the key and that separator.
fn after_key<'a>(line: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let lower = line.to_ascii_lowercase();
    let start = lower.find(key)? + key.len();
    let rest = &line[start..];
    let sep = rest.find(['=', ':'])?;
    Some((&rest[..sep], &rest[sep + 1..]))
}

/// The wavelength a header comment states, e.g. `Calibrated wavelength = 0.413263`: `wavelength`
/// (any case), then `=` or `:` with no digit in between (a unit such as `(Å)` may sit there),
/// then a number in [`COMMENT_WAVELENGTH`]; `None` otherwise.
fn comment_wavelength(line: &str) -> Option<Wavelength> {
    let (between, value) = after_key(line, "wavelength")?;
    if between.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let angstrom = leading_number(value)?;
    if !COMMENT_WAVELENGTH.contains(&angstrom) {
        return None;
    }
    Wavelength::monochromatic(angstrom).ok()
}

/// The temperature a header comment states as `Temp (K) = 6.778` or `Temperature … = 295`: the
/// number as written, when the line starts with `temp` or `temperature` (any case) and the text
/// before the `=`/`:` names no unit other than kelvin (`(C)`, `°C`, `(F)` are skipped).
fn comment_temperature(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let word_end = lower
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(lower.len());
    if !matches!(&lower[..word_end], "temp" | "temperature") {
        return None;
    }
    let (between, value) = after_key(line, &lower[..word_end])?;
    let unit: String = between
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    if !(unit.is_empty() || unit == "k" || unit == "kelvin") {
        return None;
    }
    let token = value.split_whitespace().next()?;
    number(token).filter(|t| t.is_finite())?;
    Some(token.to_owned())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Std,
    Esd,
    Alt,
    Fxye,
}

struct Bank {
    line: usize,
    n: usize,
    ralf: bool,
    start: f64,
    step: f64,
    kind: Kind,
    points: Points,
    /// Values of the current STD/ESD bank (before the axis is attached).
    values: Vec<(f64, Option<f64>, Location)>,
    /// Whether a line of this STD bank was read in fixed (counters, counts) fields: its last,
    /// shorter line then keeps that layout (` 1   347 1   336` is two pairs, not four counts).
    std_fixed: bool,
}

fn syntax(file: &str, n: usize, expected: &str, found: &str) -> Error {
    Error::Syntax {
        file: file.to_owned(),
        at: Location::Line(n),
        expected: expected.to_owned(),
        found: excerpt(found),
    }
}

fn parse_bank(line: &str, n: usize, file: &str) -> Result<Bank> {
    let t: Vec<&str> = line.split_whitespace().collect();
    let need = |i: usize, what: &str| -> Result<f64> {
        t.get(i)
            .and_then(|v| number(v))
            .ok_or_else(|| syntax(file, n, what, line))
    };
    let nchan = need(2, "BANK ibank nchan nrec bintyp …: a point count")?;
    if !((1.0..1e9).contains(&nchan) && nchan.fract() == 0.0) {
        return Err(syntax(
            file,
            n,
            "a positive integer point count",
            t.get(2).copied().unwrap_or(""),
        ));
    }
    let bintyp = t
        .get(4)
        .map(|s| s.to_ascii_uppercase())
        .ok_or_else(|| syntax(file, n, "a bin type (CONST, CONS or RALF)", line))?;
    let ralf = match bintyp.as_str() {
        "CONST" | "CONS" => false,
        "RALF" => true,
        other => return Err(syntax(file, n, "a bin type CONST, CONS or RALF", other)),
    };
    let (start, step) = if ralf {
        (0.0, 0.0)
    } else {
        (
            need(5, "a start in centidegrees")? / 100.0,
            need(6, "a step in centidegrees")? / 100.0,
        )
    };
    let kind = match t
        .iter()
        .skip(5)
        .find_map(|s| match s.to_ascii_uppercase().as_str() {
            "STD" => Some(Kind::Std),
            "ESD" => Some(Kind::Esd),
            "ALT" => Some(Kind::Alt),
            "FXYE" => Some(Kind::Fxye),
            _ => None,
        }) {
        Some(k) => k,
        None if ralf => return Err(syntax(file, n, "ALT or FXYE data for RALF bins", line)),
        None => Kind::Std,
    };
    Ok(Bank {
        line: n,
        n: nchan as usize,
        ralf,
        start,
        step,
        kind,
        points: Points::default(),
        values: Vec::new(),
        std_fixed: false,
    })
}

/// Splits a data line into fields of `width` characters, or on whitespace when the line is shorter
/// than `min_fixed` characters (unpadded files) or its fixed fields do not all parse (free-format
/// lines padded to 80 columns). With `std_pairs`, a fixed field is a 2-character counter count
/// and a 6-character value. Returns the fields and whether they are fixed-width.
fn fields(line: &str, width: usize, min_fixed: usize, std_pairs: bool) -> (Vec<String>, bool) {
    let trimmed = line.trim_end();
    let free = || {
        (
            trimmed.split_whitespace().map(str::to_owned).collect(),
            false,
        )
    };
    if line.len() < min_fixed || !line.is_ascii() {
        return free();
    }
    let chunks: Vec<String> = trimmed
        .as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let parses = |s: &str| s.trim().is_empty() || number(s.trim()).is_some();
    let fixed = chunks.iter().all(|c| {
        if std_pairs && c.len() == width {
            parses(&c[..2]) && parses(&c[2..])
        } else {
            parses(c)
        }
    });
    if fixed { (chunks, true) } else { free() }
}

fn value(s: &str, file: &str, n: usize) -> Result<f64> {
    number(s).ok_or_else(|| syntax(file, n, "a number", s))
}

fn data_line(bank: &mut Bank, line: &str, n: usize, file: &str) -> Result<()> {
    let at = Location::Line(n);
    match bank.kind {
        Kind::Std => {
            let min_fixed = if bank.std_fixed { 0 } else { 72 };
            let (fields, fixed) = fields(line, 8, min_fixed, true);
            bank.std_fixed |= fixed;
            for f in fields {
                if f.trim().is_empty() {
                    continue;
                }
                // Fixed fields: 2-character counter count (blank = 1), 6-character counts.
                let (counters, counts) = if fixed && f.len() == 8 {
                    let c = f[..2].trim();
                    (
                        if c.is_empty() {
                            1.0
                        } else {
                            value(c, file, n)?
                        },
                        value(f[2..].trim(), file, n)?,
                    )
                } else {
                    (1.0, value(f.trim(), file, n)?)
                };
                let counters = if counters <= 0.0 { 1.0 } else { counters };
                bank.values
                    .push((counts, Some((counts.max(0.0) / counters).sqrt()), at));
            }
        }
        Kind::Esd => {
            let f: Vec<String> = fields(line, 8, 72, false)
                .0
                .into_iter()
                .filter(|f| !f.trim().is_empty())
                .collect();
            if !f.len().is_multiple_of(2) {
                return Err(Error::ColumnMismatch {
                    file: file.to_owned(),
                    at,
                    expected: f.len() + 1,
                    found: f.len(),
                });
            }
            for pair in f.chunks(2) {
                bank.values.push((
                    value(pair[0].trim(), file, n)?,
                    Some(value(pair[1].trim(), file, n)?),
                    at,
                ));
            }
        }
        Kind::Alt => {
            let trimmed = line.trim_end();
            let triples: Vec<[String; 3]> = if line.len() >= 60 && line.is_ascii() {
                trimmed
                    .as_bytes()
                    .chunks(20)
                    .filter(|c| !String::from_utf8_lossy(c).trim().is_empty())
                    .map(|c| {
                        let s = String::from_utf8_lossy(c);
                        let cut = |a: usize, b: usize| {
                            s.get(a..b.min(s.len())).unwrap_or("").trim().to_owned()
                        };
                        [cut(0, 8), cut(8, 15), cut(15, 20)]
                    })
                    .collect()
            } else {
                let t: Vec<&str> = trimmed.split_whitespace().collect();
                if !t.len().is_multiple_of(3) {
                    return Err(Error::ColumnMismatch {
                        file: file.to_owned(),
                        at,
                        expected: t.len() / 3 * 3 + 3,
                        found: t.len(),
                    });
                }
                t.chunks(3)
                    .map(|c| [c[0].to_owned(), c[1].to_owned(), c[2].to_owned()])
                    .collect()
            };
            for [x, y, s] in triples {
                let x = value(&x, file, n)?;
                let x = if bank.ralf { x / 32.0 } else { x / 100.0 };
                bank.points
                    .push(x, value(&y, file, n)?, Some(value(&s, file, n)?), at);
            }
        }
        Kind::Fxye => {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() != 3 {
                return Err(Error::ColumnMismatch {
                    file: file.to_owned(),
                    at,
                    expected: 3,
                    found: t.len(),
                });
            }
            let x = value(t[0], file, n)?;
            let x = if bank.ralf { x } else { x / 100.0 };
            bank.points
                .push(x, value(t[1], file, n)?, Some(value(t[2], file, n)?), at);
        }
    }
    Ok(())
}

fn finish(
    mut bank: Bank,
    file: &str,
    wavelength: Option<Wavelength>,
    meta: &Metadata,
) -> Result<Pattern> {
    let mut meta = meta.clone();
    meta.extra.push(("bank line".into(), bank.line.to_string()));
    if bank.ralf {
        meta.extra.push(("x unit".into(), "TOF µs".into()));
    }
    if matches!(bank.kind, Kind::Std | Kind::Esd) {
        if bank.values.len() < bank.n {
            return Err(Error::Truncated {
                file: file.to_owned(),
                at: bank
                    .values
                    .last()
                    .map_or(Location::Line(bank.line), |v| v.2),
                expected: format!(
                    "{} values in the bank of line {}, found {}",
                    bank.n,
                    bank.line,
                    bank.values.len()
                ),
            });
        }
        // Values beyond nchan on the last line are padding.
        for (i, (y, s, at)) in bank.values.drain(..).take(bank.n).enumerate() {
            bank.points
                .push(bank.start + i as f64 * bank.step, y, s, at);
        }
        if !(bank.step > 0.0 && bank.step.is_finite()) {
            return Err(syntax(
                file,
                bank.line,
                "a positive step in centidegrees",
                &bank.step.to_string(),
            ));
        }
    } else if bank.points.x.len() < bank.n {
        return Err(Error::Truncated {
            file: file.to_owned(),
            at: bank
                .points
                .at
                .last()
                .copied()
                .unwrap_or(Location::Line(bank.line)),
            expected: format!(
                "{} points in the bank of line {}, found {}",
                bank.n,
                bank.line,
                bank.points.x.len()
            ),
        });
    }
    bank.points.finish(
        file,
        Format::Gsas,
        "data after a BANK line",
        wavelength,
        meta,
    )
}

/// Takes what a header comment says about the measurement: the first wavelength, the first
/// temperature.
fn header(line: &str, wavelength: &mut Option<Wavelength>, meta: &mut Metadata) {
    if wavelength.is_none() {
        *wavelength = comment_wavelength(line);
    }
    if meta.get("temperature_k").is_none()
        && let Some(t) = comment_temperature(line)
    {
        meta.extra.push(("temperature_k".into(), t));
    }
}

pub(crate) fn read(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut meta = Metadata::default();
    let mut wavelength = None;
    let mut out = Vec::new();
    let mut bank: Option<Bank> = None;

    for (n, raw) in lines(text) {
        if n == 1 {
            meta.comments.push(raw.trim().to_owned());
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            let comment = line.trim_start_matches('#').trim();
            header(comment, &mut wavelength, &mut meta);
            meta.comments.push(comment.to_owned());
            continue;
        }
        if line.to_ascii_uppercase().starts_with("BANK") {
            if let Some(b) = bank.take() {
                out.push(finish(b, file, wavelength, &meta)?);
            }
            bank = Some(parse_bank(line, n, file)?);
            continue;
        }
        match bank.as_mut() {
            Some(b) => {
                // Some writers end a bank with more lines than nchan needs; STD/ESD padding is
                // dropped in `finish`, extra ALT/FXYE rows are errors of the point count.
                data_line(b, raw, n, file)?;
            }
            None if line.starts_with("Instrument parameter")
                || line.contains(':')
                || line.contains('=') =>
            {
                header(line, &mut wavelength, &mut meta);
                meta.extra.push(("header".into(), line.to_owned()));
            }
            None => return Err(syntax(file, n, "a BANK line before the data", line)),
        }
    }
    match bank {
        Some(b) => out.push(finish(b, file, wavelength, &meta)?),
        None if out.is_empty() => {
            return Err(Error::NoData {
                file: file.to_owned(),
                expected: "a BANK line followed by data".into(),
            });
        }
        None => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_fixed_and_free_format() {
        let fixed = format!(
            "title\nBANK 1 3 1 CONST 1000 2 0 0 STD\n{:80}\n",
            " 1    10 2    20      30"
        );
        let p = &read(&fixed, "a.gsa").unwrap()[0];
        assert_eq!(p.two_theta(), &[10.0, 10.02, 10.04]);
        assert_eq!(p.intensity(), &[10.0, 20.0, 30.0]);
        assert_eq!(
            p.sigma(),
            Some(&[10f64.sqrt(), 10f64.sqrt(), 30f64.sqrt()][..])
        );
        // The unpadded layout of many converters: free-format counts, TYPE omitted.
        let free = format!(
            "BA67AJ LA= 1.23966\nBANK 1 5 1 CONST 400 1\n20 21 26\n{:80}\n",
            "29 30"
        );
        let p = &read(&free, "b.gsa").unwrap()[0];
        assert_eq!(p.intensity(), &[20.0, 21.0, 26.0, 29.0, 30.0]);
        assert_eq!(p.range(), (4.0, 4.04));
    }

    #[test]
    fn std_counters_per_step_give_the_esd() {
        // The layout of the IUCr CPD round-robin's PBSO4.CWN (D1A neutrons): no type on the BANK
        // line (STD), (NCTR, count) pairs, the last line shorter and unpadded; NCTR 2 and 3 here
        // to tell σ = √(I/NCTR) from √I.
        let text = "10.0    0.05    155.9   CPD RRRR   PbSO4 1.909A neutron data   8.8.89\n\
                    BANK 1 23 3 CONST 1000 5 0 0\n\
                    \x201   220 1   214 1   219 1   224 1   198 1   229 1   224 1   216 1   202 1   229\n\
                    \x202   402 2   430 1   215 1   196 1   235 1   207 1   205 1   238 1   202 1   213\n\
                    \x203   600 1   336 1   444\n";
        let p = &read(text, "PBSO4.CWN").unwrap()[0];
        assert_eq!(p.len(), 23);
        // CONST 1000 5: 10° in steps of 0.05° (centidegrees).
        let (lo, hi) = p.range();
        assert!(lo == 10.0 && (hi - 11.1).abs() < 1e-12, "{lo} {hi}");
        assert!((p.two_theta()[1] - 10.05).abs() < 1e-12);
        let (i, s) = (p.intensity(), p.sigma().unwrap());
        assert_eq!((i[0], i[10], i[20], i[22]), (220.0, 402.0, 600.0, 444.0));
        assert_eq!(s[0], 220f64.sqrt());
        assert_eq!(s[10], (402.0f64 / 2.0).sqrt());
        assert_eq!(s[20], (600.0f64 / 3.0).sqrt());
        assert_eq!(s[22], 444f64.sqrt());
        // PBSO4.XRA's layout: `STD` named, counts only (NCTR blank = 1), CONST 1000 2.5.
        let text = "  10.000   0.025 159.00  CPD RRRR   PbSO4  Cu Ka X-ray data  22.9.89\n\
                    BANK 1  12  2 CONST 1000 2.5 0 0 STD\n\
                    \x20   179     147     165     172     150     165     150     158     134     146\n\
                    \x20   167     159\n";
        let p = &read(text, "PBSO4.XRA").unwrap()[0];
        assert_eq!(p.len(), 12);
        let (lo, hi) = p.range();
        assert!(lo == 10.0 && (hi - 10.275).abs() < 1e-12, "{lo} {hi}");
        assert_eq!(p.intensity()[11], 159.0);
        assert_eq!(p.sigma().unwrap()[0], 179f64.sqrt());
    }

    #[test]
    fn pbso4_round_robin_files() {
        // The real files (skipped without ../shared/data): PBSO4.CWN's NCTR runs from 1 to 10,
        // and it repeats its last record after the 292 the BANK line counts (ignored).
        let Some(cwn) = xrd_testdata::shared_data("structure/pbso4/PBSO4.CWN") else {
            return;
        };
        let Some(xra) = xrd_testdata::shared_data("structure/pbso4/PBSO4.XRA") else {
            return;
        };
        let text =
            |p: &std::path::Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        let cwn_text = text(&cwn);
        let p = &read(&cwn_text, "PBSO4.CWN").unwrap()[0];
        assert_eq!(p.len(), 2919);
        let (lo, hi) = p.range();
        assert!(
            lo == 10.0 && (hi - (10.0 + 2918.0 * 0.05)).abs() < 1e-9,
            "{lo} {hi}"
        );
        // Every step's σ² · NCTR is its count, NCTR read from the file's own fields.
        let pairs: Vec<(f64, f64)> = cwn_text
            .lines()
            .skip(2)
            .flat_map(|l| {
                let l = l.trim_end();
                (0..l.len() / 8).map(move |k| {
                    let f = &l[8 * k..8 * k + 8];
                    (
                        f[..2].trim().parse().unwrap(),
                        f[2..].trim().parse().unwrap(),
                    )
                })
            })
            .collect();
        assert!(pairs.iter().any(|&(n, _)| n > 1.0));
        for (k, ((n, c), (y, s))) in pairs
            .iter()
            .zip(p.intensity().iter().zip(p.sigma().unwrap()))
            .enumerate()
        {
            assert_eq!(*y, *c, "step {k}");
            assert!(
                (s * s * n - c).abs() < 1e-9 * c.max(1.0),
                "step {k}: {s} {n} {c}"
            );
        }
        let p = &read(&text(&xra), "PBSO4.XRA").unwrap()[0];
        assert_eq!(p.len(), 6001);
        let (lo, hi) = p.range();
        assert!(lo == 10.0 && (hi - 160.0).abs() < 1e-9, "{lo} {hi}");
        let s = p.sigma().unwrap();
        assert!(
            p.intensity()
                .iter()
                .zip(s)
                .all(|(y, s)| (s * s - y).abs() < 1e-9 * y.max(1.0))
        );
    }

    #[test]
    fn esd_alt_fxye_and_two_banks() {
        let text = "t\nBANK 1 2 1 CONST 500 5 0 0 ESD\n     100       5     200       7\n\
                    BANK 2 2 1 CONST 0 0 0 0 FXYE\n 1000.0 3.0 0.5\n 1010.0 4.0 0.6\n\
                    BANK 3 2 1 CONST 0 0 0 0 ALT\n 2000 1.5 0.1 2002 2.5 0.2\n";
        let ps = read(text, "c.gsa").unwrap();
        assert_eq!(ps.len(), 3);
        assert_eq!(ps[0].two_theta(), &[5.0, 5.05]);
        assert_eq!(ps[0].sigma(), Some(&[5.0, 7.0][..]));
        assert_eq!(ps[1].two_theta(), &[10.0, 10.1]);
        assert_eq!(ps[1].sigma(), Some(&[0.5, 0.6][..]));
        assert_eq!(ps[2].two_theta(), &[20.0, 20.02]);
        let ralf =
            "t\nBANK 1 2 2 RALF 48008 64 64331 0.0010 FXYE\n 1500.2 23.5 0.37\n 1502.2 22.8 0.36\n";
        let p = &read(ralf, "r.gss").unwrap()[0];
        assert_eq!(p.two_theta(), &[1500.2, 1502.2]);
        assert_eq!(p.meta().get("x unit"), Some("TOF µs"));
    }

    #[test]
    fn header_comments_give_wavelength_and_temperature() {
        let text = "/data/11bmb_4148.mda\n# Temp (K) =              6.778 \n\
                    # Calibrated wavelength = 0.413263 \n\
                    BANK 1 2 2 CONS 50.0 0.2 0 0 FXYE\n 50.0 65.2 11.5\n 50.2 91.1 13.6\n";
        let p = &read(text, "OH.fxye").unwrap()[0];
        assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(0.413263));
        assert_eq!(p.wavelength().and_then(|w| w.alpha2()), None);
        assert_eq!(p.meta().get("temperature_k"), Some("6.778"));
        assert_eq!(p.two_theta(), &[0.5, 0.502]);
        // Other spellings, and a header line before the BANK.
        for (line, lambda) in [
            ("# Wavelength (A): 1.5406", Some(1.5406)),
            ("# WAVELENGTH=0.1839 Å", Some(0.1839)),
            ("Wavelength: 0.7093", Some(0.7093)),
            // Out of range, a digit before the separator, no number: not a wavelength.
            ("# wavelength = 12.4", None),
            ("# wavelength 1 = 0.5", None),
            ("# wavelength = n/a", None),
            ("# lambda = 1.54", None),
        ] {
            let text = format!("t\n{line}\nBANK 1 1 1 CONS 1000 1 0 0 FXYE\n1000 1 1\n");
            let p = &read(&text, "w.gsa").unwrap()[0];
            assert_eq!(p.wavelength().map(|w| w.angstrom()), lambda, "{line}");
        }
        for (line, t) in [
            ("# Temperature = 295.0", Some("295.0")),
            ("# TEMP (K): 77", Some("77")),
            ("# Temperature (kelvin) = 1e2 K", Some("1e2")),
            ("# Temperature (C) = 25", None),
            ("# Temp (°C) = 25", None),
            ("# Template = 3", None),
            ("# Temp (K) = cold", None),
        ] {
            let text = format!("t\n{line}\nBANK 1 1 1 CONS 1000 1 0 0 FXYE\n1000 1 1\n");
            let p = &read(&text, "t.gsa").unwrap()[0];
            assert_eq!(p.meta().get("temperature_k"), t, "{line}");
        }
        // The first of two wavelengths and temperatures wins.
        let text = "t\n# wavelength = 0.5\n# Temp (K) = 10\n# wavelength = 0.6\n# Temp (K) = 20\n\
                    BANK 1 1 1 CONS 1000 1 0 0 FXYE\n1000 1 1\n";
        let p = &read(text, "f.gsa").unwrap()[0];
        assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(0.5));
        assert_eq!(p.meta().get("temperature_k"), Some("10"));
        assert_eq!(
            p.meta()
                .extra
                .iter()
                .filter(|(k, _)| k == "temperature_k")
                .count(),
            1
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            read("t\nBANK 1 4 1 CONST 400 1\n1 2 3\n", "g"),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            read("t\nBANK 1 x 1 CONST 400 1\n", "g"),
            Err(Error::Syntax {
                at: Location::Line(2),
                ..
            })
        ));
        assert!(matches!(
            read("t\nBANK 1 2 1 FOO 400 1\n", "g"),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            read("t\n1 2 3\n", "g"),
            Err(Error::Syntax {
                at: Location::Line(2),
                ..
            })
        ));
        assert!(matches!(read("t\n", "g"), Err(Error::NoData { .. })));
        assert!(matches!(
            read("t\nBANK 1 2 1 CONST 0 0 0 0 FXYE\n1 2\n", "g"),
            Err(Error::ColumnMismatch { .. })
        ));
        assert!(matches!(
            read("t\nBANK 1 2 1 CONST 0 0 0 0 FXYE\n100 2 1\n50 2 1\n", "g"),
            Err(Error::NonMonotonic {
                at: Location::Line(4),
                ..
            })
        ));
    }
}
