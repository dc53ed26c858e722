//! Powder CIF (pdCIF): one pattern per data block holding powder intensities.
//!
//! Intensities: the first of `_pd_meas_counts_total`, `_pd_meas_intensity_total`,
//! `_pd_proc_intensity_total` found in a loop (standard uncertainties in parentheses become sigma).
//! 2θ: `_pd_meas_2theta_scan`, `_pd_proc_2theta_corrected` or `_pd_meas_angle_2theta` in the same
//! loop, else the `_pd_meas_2theta_range_{min,max,inc}` (for measured intensities) or
//! `_pd_proc_2theta_range_{min,max,inc}` items. Wavelength: `_diffrn_radiation_wavelength`.

use std::collections::HashMap;

use super::text::{Points, number};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

const INTENSITY: [&str; 3] = [
    "_pd_meas_counts_total",
    "_pd_meas_intensity_total",
    "_pd_proc_intensity_total",
];
const TWO_THETA: [&str; 3] = [
    "_pd_meas_2theta_scan",
    "_pd_proc_2theta_corrected",
    "_pd_meas_angle_2theta",
];

/// A CIF value token with the line it started on.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
    quoted: bool,
}

/// Splits CIF text into tokens: bare words, '…' and "…" strings, and ;-delimited text fields.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut field: Option<(String, usize)> = None;
    for (n, line) in super::text::lines(text) {
        if let Some((buf, start)) = field.as_mut() {
            if line.starts_with(';') {
                out.push(Token {
                    text: std::mem::take(buf),
                    line: *start,
                    quoted: true,
                });
                field = None;
            } else {
                buf.push_str(line);
                buf.push('\n');
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix(';') {
            field = Some((format!("{rest}\n"), n));
            continue;
        }
        let mut chars = line.char_indices().peekable();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '#' {
                break;
            } else if c == '\'' || c == '"' {
                // A quote closes only when followed by whitespace or the line end.
                chars.next();
                let mut end = line.len();
                let mut prev_quote = None;
                for (j, d) in chars.by_ref() {
                    if let Some(q) = prev_quote.take()
                        && d.is_whitespace()
                    {
                        end = q;
                        break;
                    }
                    if d == c {
                        prev_quote = Some(j);
                    }
                }
                if let Some(q) = prev_quote {
                    end = q;
                }
                out.push(Token {
                    text: line[i + 1..end.max(i + 1)].to_owned(),
                    line: n,
                    quoted: true,
                });
            } else {
                let mut end = line.len();
                for (j, d) in chars.by_ref() {
                    if d.is_whitespace() {
                        end = j;
                        break;
                    }
                }
                out.push(Token {
                    text: line[i..end].to_owned(),
                    line: n,
                    quoted: false,
                });
            }
        }
    }
    if let Some((buf, start)) = field {
        out.push(Token {
            text: buf,
            line: start,
            quoted: true,
        });
    }
    out
}

/// A value with its standard uncertainty: `1.234(5)` → (1.234, 0.005). `None` for `.`/`?`.
fn value_esd(t: &str) -> Option<(f64, Option<f64>)> {
    if t == "." || t == "?" {
        return None;
    }
    match t.split_once('(') {
        Some((v, e)) => {
            let e = e.strip_suffix(')')?;
            let x = number(v)?;
            let digits = v.split_once('.').map_or(0, |(_, d)| {
                d.trim_end_matches(|c: char| !c.is_ascii_digit()).len()
            });
            let esd = number(e)? / 10f64.powi(digits as i32);
            Some((x, Some(esd)))
        }
        None => number(t).map(|x| (x, None)),
    }
}

#[derive(Default)]
struct Block {
    name: String,
    items: HashMap<String, Token>,
    loops: Vec<(Vec<String>, Vec<Token>)>,
}

fn blocks(tokens: Vec<Token>, file: &str) -> Result<Vec<Block>> {
    let mut out: Vec<Block> = Vec::new();
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        let lower = t.text.to_ascii_lowercase();
        if !t.quoted && lower.starts_with("data_") {
            out.push(Block {
                name: t.text[5..].to_owned(),
                ..Block::default()
            });
        } else if !t.quoted && lower == "loop_" {
            let mut names = Vec::new();
            while let Some(n) = it.peek().filter(|n| !n.quoted && n.text.starts_with('_')) {
                names.push(n.text.to_ascii_lowercase());
                it.next();
            }
            let mut values = Vec::new();
            while let Some(v) = it.peek() {
                let l = v.text.to_ascii_lowercase();
                if !v.quoted
                    && (v.text.starts_with('_')
                        || l == "loop_"
                        || l.starts_with("data_")
                        || l.starts_with("save_"))
                {
                    break;
                }
                values.extend(it.next());
            }
            if let Some(b) = out.last_mut() {
                b.loops.push((names, values));
            }
        } else if !t.quoted && t.text.starts_with('_') {
            let v = it.next().ok_or_else(|| Error::Truncated {
                file: file.to_owned(),
                at: Location::Line(t.line),
                expected: format!("a value for {}", t.text),
            })?;
            if let Some(b) = out.last_mut() {
                b.items.insert(t.text.to_ascii_lowercase(), v);
            }
        }
    }
    Ok(out)
}

fn pattern(block: &Block, file: &str) -> Result<Option<Pattern>> {
    let Some((names, values, col)) = block.loops.iter().find_map(|(names, values)| {
        INTENSITY
            .iter()
            .find_map(|item| names.iter().position(|n| n == item))
            .map(|c| (names, values, c))
    }) else {
        return Ok(None);
    };
    let width = names.len();
    if width == 0 || values.len() % width != 0 {
        let at = values
            .last()
            .map_or(Location::Whole, |t| Location::Line(t.line));
        return Err(Error::Truncated {
            file: file.to_owned(),
            at,
            expected: format!("a multiple of {width} values in the intensity loop"),
        });
    }
    let x_col = TWO_THETA
        .iter()
        .find_map(|item| names.iter().position(|n| n == item));
    let measured = names[col].starts_with("_pd_meas");
    let range = |kind: &str| -> Option<(f64, f64, f64)> {
        let get = |k: &str| {
            block
                .items
                .get(&format!("_pd_{kind}_2theta_range_{k}"))
                .and_then(|t| value_esd(&t.text))
                .map(|v| v.0)
        };
        Some((get("min")?, get("max")?, get("inc")?))
    };
    let axis = if x_col.is_some() {
        None
    } else if measured {
        range("meas").or_else(|| range("proc"))
    } else {
        range("proc").or_else(|| range("meas"))
    };
    if x_col.is_none() && axis.is_none() {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Line(values.first().map_or(0, |t| t.line)),
            expected: "a 2θ column or _pd_meas/_pd_proc_2theta_range_{min,max,inc} items".into(),
            found: "neither".into(),
        });
    }
    let mut points = Points::default();
    let rows = values.len() / width;
    let mut any_sigma = false;
    let mut sigmas = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = &values[r * width..(r + 1) * width];
        let cell = &row[col];
        let bad = |t: &Token, what: &str| Error::Syntax {
            file: file.to_owned(),
            at: Location::Line(t.line),
            expected: what.to_owned(),
            found: excerpt(&t.text),
        };
        let (y, s) = value_esd(&cell.text).ok_or_else(|| bad(cell, "an intensity"))?;
        let x = match (x_col, axis) {
            (Some(c), _) => {
                value_esd(&row[c].text)
                    .ok_or_else(|| bad(&row[c], "a 2θ value"))?
                    .0
            }
            (None, Some((min, _, inc))) => min + r as f64 * inc,
            (None, None) => 0.0,
        };
        any_sigma |= s.is_some();
        sigmas.push(s);
        points.push(x, y, None, Location::Line(cell.line));
    }
    if let Some((min, max, inc)) = axis {
        let expected = ((max - min) / inc).round() + 1.0;
        if (expected - rows as f64).abs() > 0.5 {
            return Err(Error::Syntax {
                file: file.to_owned(),
                at: Location::Whole,
                expected: format!(
                    "{expected} intensities for the 2θ range {min}..{max} step {inc}"
                ),
                found: format!("{rows}"),
            });
        }
    }
    if any_sigma {
        // Points without an uncertainty get none rather than a made-up one: drop sigma entirely.
        if sigmas.iter().all(Option::is_some) {
            points.sigma = sigmas.into_iter().flatten().collect();
        }
    }
    let mut meta = Metadata {
        sample: Some(block.name.clone()).filter(|s| !s.is_empty()),
        ..Metadata::default()
    };
    if let Some(id) = block.items.get("_pd_block_id") {
        meta.extra.push(("_pd_block_id".into(), id.text.clone()));
    }
    let wl = block
        .items
        .get("_diffrn_radiation_wavelength")
        .and_then(|t| value_esd(&t.text))
        .and_then(|(w, _)| Wavelength::monochromatic(w).ok());
    let intensity_item = names[col].clone();
    let mut p = points.finish(file, Format::PdCif, "intensity rows", wl, meta)?;
    p.meta_mut()
        .extra
        .push(("intensity item".into(), intensity_item));
    Ok(Some(p))
}

pub(crate) fn read(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let blocks = blocks(tokens(text), file)?;
    let mut out = Vec::new();
    for b in &blocks {
        out.extend(pattern(b, file)?);
    }
    if out.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: format!("a data block with a loop of {}", INTENSITY.join(", ")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_and_range_axes() {
        let text = "data_a\n_diffrn_radiation_wavelength 1.5406\nloop_\n_pd_meas_2theta_scan\n_pd_meas_counts_total\n\
                    10.0 100(10)\n10.1 121(11)\n\ndata_b\n_pd_proc_2theta_range_min 5\n_pd_proc_2theta_range_max 5.2\n\
                    _pd_proc_2theta_range_inc 0.1\n_cell_length_a 'x y'\n;\ntext field\n;\nloop_\n_pd_proc_intensity_total\n1.5 2.5 .\n";
        let e = read(text, "t.cif").unwrap_err();
        assert!(matches!(e, Error::Syntax { .. }), "{e}");
        let text = text.replace("2.5 .", "2.5 3.5");
        let ps = read(&text, "t.cif").unwrap();
        assert_eq!(ps[0].two_theta(), &[10.0, 10.1]);
        assert_eq!(ps[0].sigma(), Some(&[10.0, 11.0][..]));
        assert_eq!(ps[0].wavelength().map(|w| w.angstrom()), Some(1.5406));
        assert_eq!(ps[0].meta().sample.as_deref(), Some("a"));
        assert_eq!(ps[1].intensity(), &[1.5, 2.5, 3.5]);
        assert_eq!(ps[1].sigma(), None);
        assert!((ps[1].two_theta()[2] - 5.2).abs() < 1e-12);
    }

    #[test]
    fn esd_scaling_and_errors() {
        assert_eq!(value_esd("1.234(5)"), Some((1.234, Some(0.005))));
        assert_eq!(value_esd("5540(160)"), Some((5540.0, Some(160.0))));
        assert_eq!(value_esd("?"), None);
        assert!(matches!(
            read("data_x\n_cell_length_a 1\n", "t"),
            Err(Error::NoData { .. })
        ));
        assert!(matches!(
            read(
                "data_x\nloop_\n_pd_meas_counts_total\n_pd_meas_2theta_scan\n1 2 3\n",
                "t"
            ),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            read("data_x\n_pd_meas_counts_total\n", "t"),
            Err(Error::Truncated { .. })
        ));
    }
}
