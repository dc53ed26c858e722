//! Plain column files (`.xy .xye .dat .txt .csv .tsv`).
//!
//! Layout: optional free-text header lines, then rows of numbers separated by whitespace, tabs,
//! commas or semicolons (decimal commas are recognised when a row has no `.`). Lines starting with
//! `#`, `!` or `;` are comments anywhere, and `#` starts a comment at the end of a row. The first
//! numeric row fixes the columns: 2 → (2θ, I), 3 → (2θ, I, σ), more → (2θ, I) with the rest
//! ignored. Every later row must have the same columns (at least two when there were more than 3).
//! A third column with negative values is not an uncertainty and is ignored (noted in metadata).
//! A header or comment line `wavelength: …` (`=`, or `lambda`) gives the pattern's wavelength in
//! any form [`crate::Wavelength`] parses, as xrd-io's xy writer writes it; the first one counts.

use super::text::{
    Points, header_wavelength, lines, number_in, split_numbers, tokens, uses_decimal_comma,
};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result};

/// Header lines kept as comments, at most.
const MAX_COMMENTS: usize = 64;

pub(crate) fn read(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut meta = Metadata::default();
    let mut wavelength = None;
    let mut points = Points::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    // (columns of the first data row, decimal comma) once data has started.
    let mut layout: Option<(usize, bool)> = None;
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(['#', '!', ';']) {
            wavelength = wavelength.or_else(|| header_wavelength(line));
            if meta.comments.len() < MAX_COMMENTS {
                meta.comments
                    .push(line.trim_start_matches(['#', '!', ';']).trim().to_owned());
            }
            continue;
        }
        let line = match line.find('#') {
            Some(i) => line[..i].trim_end(),
            None => line,
        };
        if line.is_empty() {
            continue;
        }
        let (ncols, comma) = match layout {
            Some(l) => l,
            None => {
                let comma = uses_decimal_comma(line);
                let tokens = split_numbers(line, comma);
                if tokens.len() < 2 || tokens.iter().any(|t| number_in(t, comma).is_none()) {
                    // Free-text header before the data.
                    wavelength = wavelength.or_else(|| header_wavelength(line));
                    if meta.comments.len() < MAX_COMMENTS {
                        meta.comments.push(line.to_owned());
                    }
                    continue;
                }
                layout = Some((tokens.len(), comma));
                (tokens.len(), comma)
            }
        };
        let used = if ncols == 3 { 3 } else { 2 };
        let mut v = [0.0; 3];
        let mut found = 0;
        for t in tokens(line, comma) {
            if found < used {
                v[found] = number_in(t, comma).ok_or_else(|| Error::Syntax {
                    file: file.to_owned(),
                    at: Location::Line(n),
                    expected: "a number".into(),
                    found: excerpt(t),
                })?;
            }
            found += 1;
        }
        let width_ok = if ncols <= 3 {
            found == ncols
        } else {
            found >= 2
        };
        if !width_ok {
            return Err(Error::ColumnMismatch {
                file: file.to_owned(),
                at: Location::Line(n),
                expected: ncols,
                found,
            });
        }
        points.push(v[0], v[1], (used == 3).then_some(v[2]), Location::Line(n));
    }
    if points.sigma.iter().any(|&s| s < 0.0) {
        // A third column with negative values is not an uncertainty (e.g. a difference curve):
        // read 2θ and intensity and say so, rather than refusing the file.
        points.sigma.clear();
        meta.extra.push((
            "ignored column 3".into(),
            "has negative values, so it is not sigma".into(),
        ));
    }
    let pattern = points.finish(
        file,
        Format::Columns,
        "rows of 2θ and intensity",
        wavelength,
        meta,
    )?;
    Ok(vec![pattern])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wavelength;

    #[test]
    fn separators_headers_comments_and_sigma() {
        let p = &read(
            "2theta intensity\r\n# comment\r\n10.0\t5\r\n10.5\t6 # note\r\n",
            "a.xy",
        )
        .unwrap()[0];
        assert_eq!(p.two_theta(), &[10.0, 10.5]);
        assert_eq!(p.intensity(), &[5.0, 6.0]);
        assert_eq!(p.meta().comments, vec!["2theta intensity", "comment"]);
        let p = &read("1;2;0.5\n2;3;0.25\n", "a.csv").unwrap()[0];
        assert_eq!(p.sigma(), Some(&[0.5, 0.25][..]));
        let p = &read("1,5 2,5\n2,5 3\n", "a.txt").unwrap()[0];
        assert_eq!(p.two_theta(), &[1.5, 2.5]);
        assert_eq!(p.intensity(), &[2.5, 3.0]);
        let p = &read("1 2 3 4\n2 3 4 5 6\n", "a.dat").unwrap()[0];
        assert_eq!(p.intensity(), &[2.0, 3.0]);
    }

    #[test]
    fn a_stated_wavelength_is_read() {
        let wavelength = |text: &str| read(text, "a.xy").unwrap()[0].wavelength();
        assert_eq!(
            wavelength("# wavelength: Mo Kα1 0.709317 Å + Kα2 0.713607 Å (ratio 0.5)\n1 2\n"),
            Some(Wavelength::MO_KA)
        );
        assert_eq!(
            wavelength("Wavelength = 1.5406\n1 2\n").map(|w| w.angstrom()),
            Some(1.5406)
        );
        // The first statement counts.
        assert_eq!(
            wavelength("; lambda: 0.4959 Å\n# wavelength: Cu\n1 2\n").map(|w| w.angstrom()),
            Some(0.4959)
        );
        // Other lines that start with the word are comments.
        assert_eq!(
            wavelength("# wavelength: unknown\n# wavelengths calibrated: yes\n1 2\n"),
            None
        );
        assert_eq!(wavelength("# Cu Kα\n1 2\n"), None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = read("1 2\n2 3\n3\n", "f.xy").unwrap_err();
        assert!(
            matches!(
                e,
                Error::ColumnMismatch {
                    at: Location::Line(3),
                    expected: 2,
                    found: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = read("1 2\n2 x\n", "f.xy").unwrap_err();
        assert!(
            matches!(
                e,
                Error::Syntax {
                    at: Location::Line(2),
                    ..
                }
            ),
            "{e}"
        );
        let e = read("1 2\n2 nan\n", "f.xy").unwrap_err();
        assert!(
            matches!(&e, Error::NonFinite { at: Location::Line(2), file, .. } if file == "f.xy"),
            "{e}"
        );
        let e = read("1 2\n3 inf\n", "f.xy").unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonFinite {
                    at: Location::Line(2),
                    ..
                }
            ),
            "{e}"
        );
        let e = read("h\n\n1 2\n0 3\n", "f.xy").unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonMonotonic {
                    at: Location::Line(4),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().starts_with("f.xy: line 4:"), "{e}");
        let e = read("only text\n", "f.xy").unwrap_err();
        assert!(matches!(e, Error::NoData { .. }), "{e}");
        let p = &read("1 2 -1\n2 3 0.5\n", "f.xye").unwrap()[0];
        assert_eq!(p.sigma(), None);
        assert!(p.meta().get("ignored column 3").is_some());
        let e = read("1 2 1\n2 3 nan\n", "f.xye").unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonFinite {
                    at: Location::Line(2),
                    what: "sigma",
                    ..
                }
            ),
            "{e}"
        );
    }
}
