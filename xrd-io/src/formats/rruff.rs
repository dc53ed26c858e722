//! RRUFF powder text: `##KEY=VALUE` header lines, `2θ, I` rows, `##END=`.

use super::text::{Points, leading_number, lines, number, split_numbers};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

pub(crate) fn read(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut meta = Metadata::default();
    let mut wavelength = None;
    let mut points = Points::default();
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(item) = line.strip_prefix("##") {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let (key, value) = (key.trim(), value.trim());
            if key.eq_ignore_ascii_case("END") {
                break;
            }
            if key.eq_ignore_ascii_case("NAMES") {
                meta.sample = Some(value.to_owned());
            }
            if key.to_ascii_uppercase().contains("WAVELENGTH")
                && let Some(w) = leading_number(value)
            {
                wavelength = Some(Wavelength::monochromatic(w).map_err(|_| Error::Syntax {
                    file: file.to_owned(),
                    at: Location::Line(n),
                    expected: "a positive wavelength in Å".into(),
                    found: excerpt(value),
                })?);
            }
            meta.extra.push((key.to_owned(), value.to_owned()));
            continue;
        }
        let tokens = split_numbers(line, false);
        if tokens.len() != 2 {
            return Err(Error::ColumnMismatch {
                file: file.to_owned(),
                at: Location::Line(n),
                expected: 2,
                found: tokens.len(),
            });
        }
        let mut v = [0.0; 2];
        for (k, t) in tokens.iter().enumerate() {
            v[k] = number(t).ok_or_else(|| Error::Syntax {
                file: file.to_owned(),
                at: Location::Line(n),
                expected: "a number".into(),
                found: excerpt(t),
            })?;
        }
        points.push(v[0], v[1], None, Location::Line(n));
    }
    Ok(vec![points.finish(
        file,
        Format::Rruff,
        "rows \"2θ, intensity\"",
        wavelength,
        meta,
    )?])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "##NAMES=Quartz\n##RRUFFID=R040031\n##X-RAY WAVELENGTH=1.5418\n5.00, 14.38\n5.02, 15.00\n##END=\n";

    #[test]
    fn header_and_rows() {
        let p = &read(SAMPLE, "q.txt").unwrap()[0];
        assert_eq!(p.two_theta(), &[5.0, 5.02]);
        assert_eq!(p.intensity(), &[14.38, 15.0]);
        assert_eq!(p.meta().sample.as_deref(), Some("Quartz"));
        assert_eq!(p.meta().get("RRUFFID"), Some("R040031"));
        assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(1.5418));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            read("##NAMES=x\n##END=\n", "q"),
            Err(Error::NoData { .. })
        ));
        assert!(matches!(
            read("##NAMES=x\n5.0, 1\n5.1\n", "q"),
            Err(Error::ColumnMismatch {
                at: Location::Line(3),
                ..
            })
        ));
        assert!(matches!(
            read("##NAMES=x\n5.0, a\n", "q"),
            Err(Error::Syntax {
                at: Location::Line(2),
                ..
            })
        ));
    }
}
