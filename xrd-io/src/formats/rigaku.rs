//! Rigaku RAS (text) and RASX (zip).
//!
//! RAS: `*KEY "value"` header items between `*RAS_HEADER_START` and `*RAS_HEADER_END`, then rows
//! `2θ counts [attenuation]` between `*RAS_INT_START` and `*RAS_INT_END`; one pattern per block.
//! The intensity is counts × attenuation coefficient (1 when the column is absent).
//!
//! RASX: a zip with `Data<i>/Profile<j>.txt` (tab-separated rows as in RAS) and
//! `Data<i>/MesurementConditions<j>.xml` (sic) holding the wavelengths and sample name.

use super::archive::Archive;
use super::text::{Points, leading_number, lines, number};
use super::xml;
use crate::error::excerpt;
use crate::{Error, Format, Location, Metadata, Pattern, Result, Wavelength};

/// Parses one `2θ counts [attenuation]` row.
fn row(line: &str, n: usize, file: &str, points: &mut Points) -> Result<()> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if !(2..=3).contains(&tokens.len()) {
        return Err(Error::ColumnMismatch {
            file: file.to_owned(),
            at: Location::Line(n),
            expected: 3,
            found: tokens.len(),
        });
    }
    let mut v = [0.0, 0.0, 1.0];
    for (k, t) in tokens.iter().enumerate() {
        v[k] = number(t).ok_or_else(|| Error::Syntax {
            file: file.to_owned(),
            at: Location::Line(n),
            expected: "a number".into(),
            found: excerpt(t),
        })?;
    }
    points.push(v[0], v[1] * v[2], None, Location::Line(n));
    Ok(())
}

fn wavelength(a1: Option<f64>, a2: Option<f64>, ratio: Option<f64>) -> Option<Wavelength> {
    match (a1, a2) {
        (Some(a1), Some(a2)) if (a2 - a1).abs() > 1e-9 => {
            Wavelength::doublet(a1, a2, ratio.unwrap_or(Wavelength::KA2_RATIO)).ok()
        }
        (Some(a1), _) => Wavelength::monochromatic(a1).ok(),
        _ => None,
    }
}

pub(crate) fn read_ras(text: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut out = Vec::new();
    let mut meta = Metadata::default();
    let (mut a1, mut a2, mut ratio) = (None, None, None);
    let mut points: Option<Points> = None;
    for (n, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(item) = line.strip_prefix('*') {
            let (key, value) = item.split_once(char::is_whitespace).unwrap_or((item, ""));
            let value = value.trim().trim_matches('"').to_owned();
            match key {
                "RAS_HEADER_START" => {
                    meta = Metadata::default();
                    (a1, a2, ratio) = (None, None, None);
                }
                "RAS_INT_START" => points = Some(Points::default()),
                "RAS_INT_END" => {
                    let p = points.take().ok_or_else(|| Error::Syntax {
                        file: file.to_owned(),
                        at: Location::Line(n),
                        expected: "*RAS_INT_START before *RAS_INT_END".into(),
                        found: excerpt(line),
                    })?;
                    out.push(p.finish(
                        file,
                        Format::RigakuRas,
                        "rows between *RAS_INT_START and *RAS_INT_END",
                        wavelength(a1, a2, ratio),
                        meta.clone(),
                    )?);
                }
                "FILE_SAMPLE" if !value.is_empty() => meta.sample = Some(value.clone()),
                "FILE_COMMENT" | "FILE_MEMO" if !value.is_empty() => {
                    meta.comments.push(value.clone())
                }
                "HW_XG_WAVE_LENGTH_ALPHA1" => a1 = leading_number(&value),
                "HW_XG_WAVE_LENGTH_ALPHA2" => a2 = leading_number(&value),
                "HW_XG_WAVE_LENGTH_RATIO" | "HW_XG_WAVE_LENGTH_ALPHA_RATIO" => {
                    ratio = leading_number(&value)
                }
                _ => {}
            }
            if !key.starts_with("RAS_") {
                meta.extra.push((key.to_owned(), value));
            }
            continue;
        }
        match points.as_mut() {
            Some(p) => row(line, n, file, p)?,
            None => {
                return Err(Error::Syntax {
                    file: file.to_owned(),
                    at: Location::Line(n),
                    expected: "a *KEY item or data inside *RAS_INT_START … *RAS_INT_END".into(),
                    found: excerpt(line),
                });
            }
        }
    }
    if points.is_some() {
        return Err(Error::Truncated {
            file: file.to_owned(),
            at: Location::Whole,
            expected: "*RAS_INT_END".into(),
        });
    }
    if out.is_empty() {
        return Err(Error::NoData {
            file: file.to_owned(),
            expected: "a *RAS_INT_START … *RAS_INT_END block".into(),
        });
    }
    Ok(out)
}

pub(crate) fn read_rasx(bytes: &[u8], file: &str) -> Result<Vec<Pattern>> {
    let mut archive = Archive::open(bytes, file)?;
    let mut profiles: Vec<String> = archive
        .names()
        .into_iter()
        .filter(|n| {
            let lower = n.to_ascii_lowercase();
            lower.starts_with("data") && lower.contains("/profile") && lower.ends_with(".txt")
        })
        .collect();
    profiles.sort();
    if profiles.is_empty() {
        return Err(Error::Archive {
            file: file.to_owned(),
            message: "no Data*/Profile*.txt member (not a RASX file)".into(),
        });
    }
    let names = archive.names();
    let mut out = Vec::new();
    for profile in profiles {
        let (dir, leaf) = profile.rsplit_once('/').unwrap_or(("", &profile));
        let index = leaf.trim_start_matches("Profile").trim_end_matches(".txt");
        let mut meta = Metadata::default();
        let mut wl = None;
        let conditions = names.iter().find(|n| {
            n.starts_with(dir)
                && n.to_ascii_lowercase().contains("conditions")
                && n.trim_end_matches(".xml").ends_with(index)
        });
        if let Some(c) = conditions.cloned() {
            let root = xml::parse(&archive.read(&c)?, file)?;
            let all_attr = |name: &str| -> Option<String> {
                let mut stack = vec![&root];
                while let Some(e) = stack.pop() {
                    if let Some(v) = e.attr(name) {
                        return Some(v.to_owned());
                    }
                    stack.extend(e.children.iter());
                }
                None
            };
            let get = |name: &str| {
                root.find(name)
                    .map(|e| e.value().to_owned())
                    .or_else(|| all_attr(name))
            };
            wl = wavelength(
                get("WavelengthKalpha1").and_then(|v| leading_number(&v)),
                get("WavelengthKalpha2").and_then(|v| leading_number(&v)),
                get("WavelengthRatio").and_then(|v| leading_number(&v)),
            );
            meta.sample = get("SampleName").filter(|s| !s.trim().is_empty());
        }
        let text = archive.read(&profile)?;
        let text = super::text::decode(&text);
        let mut points = Points::default();
        for (n, raw) in lines(&text) {
            let line = raw.trim();
            if !line.is_empty() && !line.starts_with(['#', '*']) {
                row(line, n, file, &mut points)?;
            }
        }
        let mut p = points.finish(
            file,
            Format::RigakuRasx,
            "rows of 2θ, counts, attenuation",
            wl,
            meta,
        )?;
        p.meta_mut().extra.push(("member".into(), profile.clone()));
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    const RAS: &str = "*RAS_DATA_START\r\n*RAS_HEADER_START\r\n*FILE_SAMPLE \"quartz\"\r\n\
        *HW_XG_WAVE_LENGTH_ALPHA1 \"1.540593\"\r\n*HW_XG_WAVE_LENGTH_ALPHA2 \"1.544414\"\r\n*RAS_HEADER_END\r\n\
        *RAS_INT_START\r\n10.00 100 1.0\r\n10.02 50 2.0\r\n*RAS_INT_END\r\n*RAS_DATA_END\r\n";

    #[test]
    fn ras_blocks() {
        let ps = read_ras(RAS, "q.ras").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].two_theta(), &[10.0, 10.02]);
        assert_eq!(ps[0].intensity(), &[100.0, 100.0]);
        assert_eq!(ps[0].meta().sample.as_deref(), Some("quartz"));
        assert_eq!(
            ps[0].wavelength().map(|w| (w.angstrom(), w.alpha2())),
            Some((1.540593, Some(1.544414)))
        );
        assert!(matches!(
            read_ras(&RAS[..RAS.find("*RAS_INT_END").unwrap()], "q"),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            read_ras("*RAS_DATA_START\n*RAS_INT_START\n1 2 3 4\n", "q"),
            Err(Error::ColumnMismatch { .. })
        ));
    }

    pub(crate) fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn rasx_profile_and_conditions() {
        let xml = br#"<?xml version="1.0"?><MeasurementConditions><GeneralInformation><SampleName>Si</SampleName></GeneralInformation>
            <HWConfigurations><XrayGenerator TargetName="Cu" WavelengthKalpha1="1.540593" WavelengthKalpha2="1.544414"/></HWConfigurations></MeasurementConditions>"#;
        let bytes = zip(&[
            ("Data0/MesurementConditions0.xml", xml),
            (
                "Data0/Profile0.txt",
                b"20.0\t10\t1\n20.5\t12\t1\n21.0\t8\t10\n",
            ),
        ]);
        let ps = read_rasx(&bytes, "s.rasx").unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].intensity(), &[10.0, 12.0, 80.0]);
        assert_eq!(ps[0].meta().sample.as_deref(), Some("Si"));
        assert_eq!(ps[0].wavelength().map(|w| w.angstrom()), Some(1.540593));
        assert!(matches!(
            read_rasx(&zip(&[("x.txt", b"1 2")]), "s"),
            Err(Error::Archive { .. })
        ));
        assert!(matches!(
            read_rasx(b"PK\x03\x04garbage", "s"),
            Err(Error::Archive { .. })
        ));
    }
}
