//! Bruker/Siemens UXD text: `_KEY=VALUE` items, `;` comments, and per range (`_DRIVE`) either
//! `_COUNTS`/`_CPS` followed by intensities on the `_START`/`_STEPSIZE` axis, or
//! `_2THETACOUNTS`/`_2THETACPS`/`_2THETACOUNTSTIME` followed by `2θ I` rows.

use super::text::{Points, leading_number, lines, number};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

/// How the data rows of the current range look.
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    /// Not in a data section (header or peak list).
    None,
    /// Intensities only, on the step axis.
    Counts,
    /// 2θ and intensity pairs (a third column, time, is ignored).
    Pairs,
}

struct Range {
    start: Option<f64>,
    step: Option<f64>,
    counts: Vec<f64>,
    first_line: usize,
    points: Points,
    meta: Metadata,
}

pub(crate) fn read(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut file_meta = Metadata::default();
    let (mut wl1, mut wl2, mut ratio) = (None, None, None);
    let mut ranges: Vec<Range> = Vec::new();
    let mut rows = Rows::None;
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix(';') {
            file_meta.comments.push(c.trim().to_owned());
            continue;
        }
        if let Some(item) = line.strip_prefix('_') {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let (key, value) = (
                key.trim().to_ascii_uppercase(),
                value.trim().trim_matches('\'').to_owned(),
            );
            match key.as_str() {
                "DRIVE" => {
                    ranges.push(Range {
                        start: None,
                        step: None,
                        counts: Vec::new(),
                        first_line: n,
                        points: Points::default(),
                        meta: Metadata::default(),
                    });
                    rows = Rows::None;
                }
                "COUNTS" | "CPS" | "COUNT" => rows = Rows::Counts,
                "2THETACOUNTS" | "2THETACPS" | "2THETACOUNTSTIME" => rows = Rows::Pairs,
                k if k.starts_with("D-I") || k.starts_with("2THETA-I") => rows = Rows::None,
                _ => {
                    let num = || leading_number(&value);
                    match (key.as_str(), ranges.last_mut()) {
                        ("WL1", _) => wl1 = num(),
                        ("WL2", _) => wl2 = num(),
                        ("WLRATIO", _) => ratio = num(),
                        ("SAMPLE", _) => file_meta.sample = Some(value.clone()),
                        ("START", Some(r)) => r.start = num(),
                        ("STEPSIZE", Some(r)) => r.step = num(),
                        ("STEPTIME", Some(r)) => r.meta.counting_time = num(),
                        _ => {}
                    }
                    match ranges.last_mut() {
                        Some(r) => r.meta.extra.push((key, value)),
                        None => file_meta.extra.push((key, value)),
                    }
                }
            }
            if rows != Rows::None && ranges.is_empty() {
                return Err(Error::Syntax {
                    file: file.to_owned(),
                    at: Location::Line(n),
                    expected: "a _DRIVE line before the data".into(),
                    found: excerpt(line),
                });
            }
            continue;
        }
        let Some(range) = ranges.last_mut().filter(|_| rows != Rows::None) else {
            return Err(Error::Syntax {
                file: file.to_owned(),
                at: Location::Line(n),
                expected: "a _KEY=VALUE item or a ; comment".into(),
                found: excerpt(line),
            });
        };
        let tokens: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        let mut values = Vec::with_capacity(tokens.len());
        for t in &tokens {
            values.push(number(t).ok_or_else(|| Error::Syntax {
                file: file.to_owned(),
                at: Location::Line(n),
                expected: "a number".into(),
                found: excerpt(t),
            })?);
        }
        match rows {
            Rows::Counts => {
                range.counts.extend(&values);
                range
                    .points
                    .at
                    .extend(std::iter::repeat_n(Location::Line(n), values.len()));
            }
            _ => {
                if values.len() < 2 || values.len() > 3 {
                    return Err(Error::ColumnMismatch {
                        file: file.to_owned(),
                        at: Location::Line(n),
                        expected: 2,
                        found: values.len(),
                    });
                }
                range
                    .points
                    .push(values[0], values[1], None, Location::Line(n));
            }
        }
    }
    let wavelength = match (wl1, wl2, ratio) {
        (Some(a1), Some(a2), Some(r)) if r > 0.0 => Wavelength::doublet(a1, a2, r).ok(),
        (Some(a1), _, _) => Wavelength::monochromatic(a1).ok(),
        _ => None,
    };
    if ranges.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "a _DRIVE range with _COUNTS or _2THETACOUNTS data".into(),
        });
    }
    let mut out = Vec::with_capacity(ranges.len());
    for r in ranges {
        let mut meta = file_meta.clone();
        meta.counting_time = r.meta.counting_time;
        meta.extra.extend(r.meta.extra);
        if !r.counts.is_empty() {
            let (Some(start), Some(step)) = (r.start, r.step) else {
                return Err(Error::Syntax {
                    file: file.to_owned(),
                    at: Location::Line(r.first_line),
                    expected: "_START and _STEPSIZE in a range with _COUNTS data".into(),
                    found: "neither or only one".into(),
                });
            };
            let at = r.points.at;
            out.push(super::text::uniform(
                file,
                Format::Uxd,
                start,
                step,
                r.counts,
                |i| at.get(i).copied().unwrap_or(Location::Point(i)),
                wavelength,
                meta,
            )?);
        } else {
            out.push(r.points.finish(
                file,
                Format::Uxd,
                "data rows after _COUNTS or _2THETACOUNTS",
                wavelength,
                meta,
            )?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_pairs_ranges() {
        let text = "; header\n_FILEVERSION=1\n_SAMPLE='s'\n_WL1=1.5406\n_WL2=1.5444\n_WLRATIO=0.5\n\
                    _DRIVE='COUPLED'\n_STEPTIME=2.0\n_STEPSIZE=0.02\n_START=10.0\n_COUNTS\n 1 2 3\n 4\n\
                    _DRIVE='COUPLED'\n_2THETACOUNTS\n20.0 5\n20.5 6\n";
        let ps = read(text, "t.uxd").unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].intensity(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(ps[0].step(), Some(0.02));
        assert_eq!(ps[0].meta().counting_time, Some(2.0));
        assert_eq!(ps[0].meta().sample.as_deref(), Some("s"));
        assert_eq!(ps[1].two_theta(), &[20.0, 20.5]);
        assert_eq!(ps[1].wavelength().and_then(|w| w.alpha2()), Some(1.5444));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            read("_FILEVERSION=1\n_COUNTS\n1 2\n", "t"),
            Err(Error::Syntax {
                at: Location::Line(2),
                ..
            })
        ));
        assert!(matches!(
            read("_FILEVERSION=1\n_DRIVE='C'\n_COUNTS\n1 2\n", "t"),
            Err(Error::Syntax {
                at: Location::Line(2),
                ..
            })
        ));
        assert!(matches!(
            read("_FILEVERSION=1\n", "t"),
            Err(Error::NoData { .. })
        ));
        assert!(matches!(
            read("_FILEVERSION=1\n_DRIVE='C'\n_2THETACOUNTS\n1 2\n2 x\n", "t"),
            Err(Error::Syntax {
                at: Location::Line(5),
                ..
            })
        ));
        assert!(matches!(
            read(
                "_FILEVERSION=1\n_DRIVE='C'\n_2THETACOUNTS\n1 2\n0.5 3\n",
                "t"
            ),
            Err(Error::NonMonotonic {
                at: Location::Line(5),
                ..
            })
        ));
    }
}
