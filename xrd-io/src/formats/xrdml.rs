//! PANalytical XRDML (schema versions 1.0 to 2.x): one pattern per `<scan>` of every
//! `<xrdMeasurement>`.
//!
//! Read: the 2θ positions (`startPosition`/`endPosition` or `listPositions` of
//! `<positions axis="2Theta">`), `<intensities>` or `<counts>`, `commonCountingTime`,
//! `usedWavelength` (`kAlpha1`, `kAlpha2`, `ratioKAlpha2KAlpha1`), sample name and comment entries.
//! Intensities are multiplied by `beamAttenuationFactors` when present; `countingTimes` (per point)
//! gives the counting time when `commonCountingTime` is absent.

use super::text::number;
use super::xml::{self, Element};
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

pub(crate) fn read(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    let root = xml::parse(bytes, file)?;
    if !root.name.eq_ignore_ascii_case("xrdMeasurements") {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Whole,
            expected: "an <xrdMeasurements> root element".into(),
            found: format!("<{}>", root.name),
        });
    }
    let mut base = Metadata::default();
    if let Some(name) = root
        .child("sample")
        .and_then(|s| s.child("name"))
        .map(Element::value)
        .filter(|s| !s.is_empty())
    {
        base.sample = Some(name.to_owned());
    }
    if let Some(c) = root.child("comment") {
        base.comments.extend(
            c.children("entry")
                .map(|e| e.value().to_owned())
                .filter(|s| !s.is_empty()),
        );
    }
    let mut out = Vec::new();
    for m in root.children("xrdMeasurement") {
        let wavelength = wavelength(m, file)?;
        for scan in m.children("scan") {
            out.push(read_scan(scan, file, wavelength, base.clone())?);
        }
    }
    if out.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "an <xrdMeasurement> with a <scan>".into(),
        });
    }
    Ok(out)
}

fn scalar(e: &Element, file: &str) -> Result<f64> {
    number(e.value()).ok_or_else(|| Error::Syntax {
        file: file.to_owned(),
        at: Location::Whole,
        expected: format!("a number in <{}>", e.name),
        found: crate::error::excerpt(e.value()),
    })
}

fn wavelength(m: &Element, file: &str) -> Result<Option<Wavelength>> {
    let Some(w) = m.child("usedWavelength") else {
        return Ok(None);
    };
    let get = |name: &str| w.child(name).map(|e| scalar(e, file)).transpose();
    let bad = |e: Error| match e {
        Error::InvalidParameter(p) => Error::Syntax {
            file: file.to_owned(),
            at: Location::Whole,
            expected: format!("a valid {}", p.name),
            found: p.reason,
        },
        other => other,
    };
    Ok(
        match (
            get("kAlpha1")?,
            get("kAlpha2")?,
            get("ratioKAlpha2KAlpha1")?,
        ) {
            (Some(a1), Some(a2), Some(r)) if r > 0.0 => {
                Some(Wavelength::doublet(a1, a2, r).map_err(bad)?)
            }
            (Some(a1), _, _) => Some(Wavelength::monochromatic(a1).map_err(bad)?),
            _ => None,
        },
    )
}

fn read_scan(
    scan: &Element,
    file: &str,
    wavelength: Option<Wavelength>,
    mut meta: Metadata,
) -> Result<Pattern> {
    let missing = |what: &str| Error::Syntax {
        file: file.to_owned(),
        at: Location::Whole,
        expected: what.to_owned(),
        found: "nothing".into(),
    };
    let points = scan
        .child("dataPoints")
        .ok_or_else(|| missing("<dataPoints> in <scan>"))?;
    let y_el = points
        .child("intensities")
        .or_else(|| points.child("counts"))
        .ok_or_else(|| missing("<intensities> or <counts>"))?;
    let mut y = xml::numbers(y_el, file)?;
    // Counts measured behind an attenuator are scaled back by its factor, point by point.
    if let Some(f) = points.child("beamAttenuationFactors") {
        let factors = xml::numbers(f, file)?;
        if factors.len() != y.len() {
            return Err(Error::Syntax {
                file: file.to_owned(),
                at: Location::Whole,
                expected: format!("{} values in <beamAttenuationFactors>", y.len()),
                found: format!("{} values", factors.len()),
            });
        }
        y.iter_mut().zip(&factors).for_each(|(v, f)| *v *= f);
    }
    if y.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "numbers in <intensities> or <counts>".into(),
        });
    }
    if let Some(unit) = y_el.attr("unit") {
        meta.extra.push(("intensity unit".into(), unit.to_owned()));
    }
    if let Some(t) = points.child("commonCountingTime") {
        meta.counting_time = Some(scalar(t, file)?);
    } else if let Some(t) = points.child("countingTimes") {
        // Per-point times: keep the first as the nominal time per step.
        meta.counting_time = xml::numbers(t, file)?.first().copied();
    }
    if let Some(axis) = scan.attr("scanAxis") {
        meta.extra.push(("scanAxis".into(), axis.to_owned()));
    }
    let pos = points
        .children("positions")
        .find(|p| {
            p.attr("axis")
                .is_some_and(|a| a.eq_ignore_ascii_case("2Theta"))
        })
        .ok_or_else(|| missing("<positions axis=\"2Theta\">"))?;
    meta.format = Some(Format::Xrdml);
    meta.source = Some(file.to_owned());
    let at = Location::Point;
    if let Some(list) = pos.child("listPositions") {
        let x = xml::numbers(list, file)?;
        if x.len() != y.len() {
            return Err(Error::Syntax {
                file: file.to_owned(),
                at: Location::Whole,
                expected: format!(
                    "{} positions in <listPositions> (one per intensity)",
                    y.len()
                ),
                found: format!("{} positions", x.len()),
            });
        }
        return Ok(Pattern::new(x, y)
            .map_err(|e| e.in_file(file).locate(at))?
            .with_wavelength(wavelength)
            .with_meta(meta));
    }
    let start = scalar(
        pos.child("startPosition")
            .ok_or_else(|| missing("<startPosition> or <listPositions>"))?,
        file,
    )?;
    let end = scalar(
        pos.child("endPosition")
            .ok_or_else(|| missing("<endPosition>"))?,
        file,
    )?;
    if y.len() == 1 {
        return Ok(Pattern::new(vec![start], y)
            .map_err(|e| e.in_file(file))?
            .with_wavelength(wavelength)
            .with_meta(meta));
    }
    let step = (end - start) / (y.len() - 1) as f64;
    if !(step.is_finite() && step > 0.0) {
        return Err(Error::Syntax {
            file: file.to_owned(),
            at: Location::Whole,
            expected: "endPosition > startPosition".into(),
            found: format!("{start} to {end}"),
        });
    }
    super::text::uniform(file, Format::Xrdml, start, step, y, at, wavelength, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.0"><sample><name>S1</name></sample>{body}</xrdMeasurements>"#
        )
    }

    #[test]
    fn counts_list_positions_and_several_scans() {
        let text = doc(
            r#"<xrdMeasurement><usedWavelength><kAlpha1>0.709319</kAlpha1></usedWavelength>
            <scan scanAxis="Gonio"><dataPoints><positions axis="2Theta"><listPositions>10 10.5 11.5</listPositions></positions>
            <counts unit="counts">1 2 3</counts></dataPoints></scan>
            <scan><dataPoints><positions axis="Omega"><startPosition>0</startPosition><endPosition>1</endPosition></positions>
            <positions axis="2Theta"><startPosition>20</startPosition><endPosition>21</endPosition></positions>
            <commonCountingTime>1.5</commonCountingTime><intensities>4 5 6</intensities><beamAttenuationFactors>1 1 10</beamAttenuationFactors></dataPoints></scan></xrdMeasurement>"#,
        );
        let ps = read(text.as_bytes(), "t.xrdml").unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].two_theta(), &[10.0, 10.5, 11.5]);
        assert_eq!(ps[0].intensity(), &[1.0, 2.0, 3.0]);
        assert_eq!(
            ps[0].wavelength(),
            Some(Wavelength::MO_KA1).map(|_| Wavelength::monochromatic(0.709319).unwrap())
        );
        assert_eq!(ps[1].two_theta(), &[20.0, 20.5, 21.0]);
        assert_eq!(ps[1].intensity(), &[4.0, 5.0, 60.0]);
        assert_eq!(ps[1].meta().counting_time, Some(1.5));
        assert_eq!(ps[1].meta().sample.as_deref(), Some("S1"));
    }

    #[test]
    fn errors() {
        let no_scan = doc("<xrdMeasurement/>");
        assert!(matches!(
            read(no_scan.as_bytes(), "t"),
            Err(Error::NoData { .. })
        ));
        let mismatch = doc(
            r#"<xrdMeasurement><scan><dataPoints><positions axis="2Theta"><listPositions>1 2</listPositions></positions><counts>1 2 3</counts></dataPoints></scan></xrdMeasurement>"#,
        );
        assert!(matches!(
            read(mismatch.as_bytes(), "t"),
            Err(Error::Syntax { .. })
        ));
        let nan = doc(
            r#"<xrdMeasurement><scan><dataPoints><positions axis="2Theta"><startPosition>1</startPosition><endPosition>2</endPosition></positions><counts>1 NaN</counts></dataPoints></scan></xrdMeasurement>"#,
        );
        assert!(matches!(
            read(nan.as_bytes(), "t"),
            Err(Error::NonFinite {
                at: Location::Point(1),
                ..
            })
        ));
        let truncated = &doc("<xrdMeasurement><scan>")[..];
        let e = read(truncated.as_bytes(), "t").unwrap_err();
        assert!(
            matches!(&e, Error::Syntax { expected, .. } if expected == "well-formed XML"),
            "{e}"
        );
        assert!(matches!(read(b"<other/>", "t"), Err(Error::Syntax { .. })));
    }
}
