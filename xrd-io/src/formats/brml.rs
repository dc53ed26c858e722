//! Bruker BRML (DIFFRAC.SUITE): a zip of XML files; one pattern per `<DataRoute>` of every
//! `Experiment*/RawData*.xml`.
//!
//! Each `<Datum>` is a comma-separated record. Which field holds 2θ and which the counts is given
//! by the route's `<DataViews>`: a `VaryingRawDataView` whose field definitions name `TwoTheta`
//! (its `Start` plus the field's position), and a `RecordedRawDataView` recording a counter
//! (`Counter0D`, `ScanCounter`, …). Without views, the classic layout
//! `time, enabled, 2θ, θ, counts` is assumed (2θ third, counts last). Wavelengths come from
//! `WaveLengthAlpha1`/`WaveLengthAlpha2`/`WaveLengthRatio` (`Value` attributes) in the raw data or
//! `MeasurementContainer.xml`; the sample name from `DataContainer.xml`.

use super::archive::Archive;
use super::text::{Points, number};
use super::xml::{self, Element};
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

fn columns(route: &Element) -> (usize, Option<usize>) {
    let mut x = None;
    let mut y = None;
    if let Some(views) = route.child("DataViews") {
        for view in views.children("RawDataView") {
            let start: usize = view
                .attr("Start")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            let kind = view.attr("type").unwrap_or("");
            if kind.contains("Varying") {
                let defs: Vec<&Element> = view.descendants("FieldDefinitions");
                if let Some(i) = defs.iter().position(|d| {
                    d.attrs
                        .iter()
                        .any(|(k, v)| k == "TwoTheta" || v == "TwoTheta")
                }) {
                    x = Some(start.saturating_add(i));
                }
            } else if kind.contains("Recorded") {
                let name = view
                    .child("Recording")
                    .and_then(|r| r.attr("LogicName"))
                    .unwrap_or("");
                if name.contains("Counter") {
                    y = Some(start);
                }
            }
        }
    }
    (x.unwrap_or(2), y)
}

fn wavelength(roots: &[&Element]) -> Option<Wavelength> {
    let get = |name: &str| {
        roots.iter().find_map(|r| {
            r.find(name)
                .and_then(|e| e.attr("Value").or(Some(e.value())))
                .and_then(number)
        })
    };
    match (
        get("WaveLengthAlpha1"),
        get("WaveLengthAlpha2"),
        get("WaveLengthRatio"),
    ) {
        (Some(a1), Some(a2), Some(r)) if r > 0.0 && (a2 - a1).abs() > 1e-9 => {
            Wavelength::doublet(a1, a2, r).ok()
        }
        (Some(a1), _, _) => Wavelength::monochromatic(a1).ok(),
        _ => None,
    }
}

pub(crate) fn read(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    let mut archive = Archive::open(bytes, file)?;
    let names = archive.names();
    let mut raw: Vec<&String> = names
        .iter()
        .filter(|n| {
            let leaf = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
            leaf.starts_with("rawdata") && leaf.ends_with(".xml")
        })
        .collect();
    raw.sort();
    if raw.is_empty() {
        return Err(Error::Archive {
            file: file.to_owned(),
            message: "no Experiment*/RawData*.xml member (not a BRML file)".into(),
        });
    }
    let container = match names
        .iter()
        .find(|n| n.ends_with("MeasurementContainer.xml"))
    {
        Some(n) => Some(xml::parse(&archive.read(n)?, file)?),
        None => None,
    };
    let sample = match names
        .iter()
        .find(|n| n.ends_with("DataContainer.xml") && !n.ends_with("MeasurementContainer.xml"))
    {
        Some(n) => xml::parse(&archive.read(n)?, file)?
            .find("MeasurementInfo")
            .and_then(|m| m.attr("SampleName"))
            .map(str::to_owned),
        None => None,
    };
    let mut out = Vec::new();
    for member in raw {
        let root = xml::parse(&archive.read(member)?, file)?;
        let mut roots = vec![&root];
        roots.extend(container.as_ref());
        let wl = wavelength(&roots);
        for route in root.descendants("DataRoute") {
            let (xc, yc) = columns(route);
            let mut points = Points::default();
            for (k, datum) in route.children("Datum").enumerate() {
                let fields: Vec<&str> = datum.value().split(',').map(str::trim).collect();
                let yc = yc.unwrap_or(fields.len().saturating_sub(1));
                let get = |c: usize, what: &str| {
                    fields
                        .get(c)
                        .and_then(|f| number(f))
                        .ok_or_else(|| Error::Syntax {
                            file: file.to_owned(),
                            at: Location::Point(k),
                            expected: format!("{what} in field {c} of <Datum> in {member}"),
                            found: excerpt(datum.value()),
                        })
                };
                points.push(get(xc, "2θ")?, get(yc, "counts")?, None, Location::Point(k));
            }
            if points.is_empty() {
                continue;
            }
            let mut meta = Metadata {
                sample: sample.clone(),
                ..Metadata::default()
            };
            meta.extra.push(("member".into(), member.clone()));
            if let Some(t) = route
                .find("SubScanInfo")
                .and_then(|s| s.attr("PlannedTimePerStep"))
                .and_then(number)
            {
                meta.counting_time = Some(t);
            }
            out.push(points.finish(file, Format::Brml, "<Datum> records", wl, meta)?);
        }
    }
    if out.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "<DataRoute> elements with <Datum> records".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::rigaku::tests::zip;

    const RAW: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<RawData xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <DataRoutes><DataRoute>
    <ScanInformation ScanName="Coupled"/>
    <DataViews>
      <RawDataView xsi:type="VaryingRawDataView" Start="0" Length="2"><Varying><FieldDefinitions TwoTheta="TwoTheta"/><FieldDefinitions Theta="Theta"/></Varying></RawDataView>
      <RawDataView xsi:type="RecordedRawDataView" Start="2" Length="1"><Recording LogicName="Counter0D"/></RawDataView>
    </DataViews>
    <SubScans><SubScanInfo StartStepNo="0" MeasuredSteps="3" PlannedTimePerStep="0.5"/></SubScans>
    <Datum>10.00,5.00,100</Datum><Datum>10.02,5.01,110</Datum><Datum>10.04,5.02,90</Datum>
  </DataRoute></DataRoutes>
  <FixedInformation><Instrument><PrimaryTracks><TrackInfoData><MountedOptics><InfoData><Tube>
    <WaveLengthAlpha1 Value="1.5406"/><WaveLengthAlpha2 Value="1.54439"/><WaveLengthRatio Value="0.5"/>
  </Tube></InfoData></MountedOptics></TrackInfoData></PrimaryTracks></Instrument></FixedInformation>
</RawData>"#;

    #[test]
    fn data_views_pick_the_fields() {
        let container =
            br#"<DataContainer><MeasurementInfo SampleName="Corundum"/></DataContainer>"#;
        let bytes = zip(&[
            ("Experiment0/DataContainer.xml", container),
            ("Experiment0/RawData0.xml", RAW.as_bytes()),
        ]);
        let ps = read(&bytes, "c.brml").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].two_theta(), &[10.0, 10.02, 10.04]);
        assert_eq!(ps[0].intensity(), &[100.0, 110.0, 90.0]);
        assert_eq!(ps[0].meta().sample.as_deref(), Some("Corundum"));
        assert_eq!(ps[0].meta().counting_time, Some(0.5));
        assert_eq!(
            ps[0].wavelength().map(|w| (w.angstrom(), w.alpha2())),
            Some((1.5406, Some(1.54439)))
        );
    }

    #[test]
    fn classic_layout_and_errors() {
        let classic = "<RawData><DataRoutes><DataRoute><Datum>1,1,20.0,10.0,7</Datum><Datum>1,1,20.1,10.05,8</Datum></DataRoute></DataRoutes></RawData>";
        let ps = read(
            &zip(&[("Experiment0/RawData0.xml", classic.as_bytes())]),
            "c.brml",
        )
        .unwrap();
        assert_eq!(ps[0].two_theta(), &[20.0, 20.1]);
        assert_eq!(ps[0].intensity(), &[7.0, 8.0]);
        let bad = classic.replace("20.1,", "x,");
        assert!(matches!(
            read(&zip(&[("Experiment0/RawData0.xml", bad.as_bytes())]), "c"),
            Err(Error::Syntax { .. })
        ));
        assert!(matches!(
            read(&zip(&[("a.xml", b"<a/>")]), "c"),
            Err(Error::Archive { .. })
        ));
        let empty = "<RawData><DataRoutes><DataRoute/></DataRoutes></RawData>";
        assert!(matches!(
            read(&zip(&[("Experiment0/RawData0.xml", empty.as_bytes())]), "c"),
            Err(Error::NoData { .. })
        ));
    }
}
