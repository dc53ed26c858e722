//! Every file of `../shared/data/real/` read through the public API.
//!
//! Expected values were read from the files themselves: text files with `head`/`tail`/`grep -c`,
//! the binary RAW files from a hex dump interpreted with the documented v3 layout (range header at
//! byte 712: steps u32 @+4, start 2θ f64 @+16, step f64 @+176; Kα1/Kα2/ratio f64 @624/632/648).
#![cfg(feature = "formats")]
// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use xrd_io::{Format, Pattern, Wavelength};

use xrd_testdata::shared_data;

const TOL: f64 = 1e-9;

fn real(name: &str) -> Option<PathBuf> {
    shared_data(&format!("real/{name}"))
}

/// Reads `name` and checks it holds one pattern with the given format, point count, first/last 2θ
/// and first/last intensity.
fn check(name: &str, format: Format, n: usize, x: (f64, f64), y: (f64, f64)) -> Option<Pattern> {
    let path = real(name)?;
    let mut ps = xrd_io::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(ps.len(), 1, "{name}");
    let p = ps.remove(0);
    assert_eq!(p.meta().format, Some(format), "{name}");
    assert_eq!(p.meta().source.as_deref(), Some(name));
    assert_eq!(p.len(), n, "{name}");
    let (x0, x1) = p.range();
    assert!(
        (x0 - x.0).abs() < TOL && (x1 - x.1).abs() < 1e-6,
        "{name}: 2θ {x0}..{x1}, expected {x:?}"
    );
    let (y0, y1) = (p.intensity()[0], p.intensity()[n - 1]);
    assert!(
        (y0 - y.0).abs() < TOL && (y1 - y.1).abs() < TOL,
        "{name}: I {y0}..{y1}, expected {y:?}"
    );
    Some(p)
}

#[test]
fn autoxrd_two_column_patterns() {
    for (name, y) in [
        ("autoxrd_Mn2O3.xy", (2157.0, 2221.0)),
        ("autoxrd_MnO.xy", (2001.0, 1555.0)),
        ("autoxrd_TiO2.xy", (1696.0, 350.0)),
    ] {
        if let Some(p) = check(name, Format::Columns, 9001, (10.0, 100.0), y) {
            assert_eq!(p.step().map(|s| (s * 1e6).round() / 1e6), Some(0.01));
            assert!(p.sigma().is_none() && p.wavelength().is_none());
        }
    }
}

#[test]
fn autoxrd_three_column_pattern_reads_sigma() {
    if let Some(p) = check(
        "autoxrd_Li2MnO3_MnO_TiO2.xy",
        Format::Columns,
        9001,
        (10.0, 100.0),
        (1838.0, 987.0),
    ) {
        let s = p.sigma().expect("third column");
        assert_eq!((s[0], s[s.len() - 1]), (1796.0, 927.0));
    }
}

#[test]
fn xylib_plain_text_files() {
    check(
        "xylib_xy_text.txt",
        Format::Columns,
        4001,
        (20.0, 100.0),
        (49.0, 29.0),
    );
    if let Some(p) = check(
        "xylib_with_sigma.txt",
        Format::Columns,
        3,
        (20.0, 20.04),
        (49.0, 31.0),
    ) {
        assert_eq!(p.sigma(), Some(&[0.5, 0.1, 0.3][..]));
    }
    // Two header lines ("Wavelength,S1" and "nm,CPS"), CR CR LF line ends.
    if let Some(p) = check(
        "xylib_test1.csv",
        Format::Columns,
        8,
        (610.0, 617.0),
        (1404980.0, 1682350.0),
    ) {
        assert_eq!(p.meta().comments, vec!["Wavelength,S1", "nm,CPS"]);
    }
    // Decimal commas, a free-text header, 4 then 5 columns: x and y are the first two.
    check(
        "xylib_with_commas.txt",
        Format::Columns,
        19,
        (41110.0001736, 41110.0032986),
        (0.29, 0.21),
    );
}

#[test]
fn bruker_uxd() {
    let Some(p) = check(
        "xylib_BT86_.UXD",
        Format::Uxd,
        2374,
        (3.0, 40.0),
        (187.0, 269.0),
    ) else {
        return;
    };
    let w = p.wavelength().expect("_WL1");
    assert_eq!(
        (w.angstrom(), w.alpha2(), w.ratio()),
        (1.5406, Some(1.54439), 0.5)
    );
    assert_eq!(p.meta().sample.as_deref(), Some("BT86"));
    assert_eq!(p.meta().counting_time, Some(0.5));
}

#[test]
fn bruker_raw_version_3() {
    let wl = Wavelength::doublet(1.5406, 1.54439, 0.5).unwrap();
    if let Some(p) = check(
        "xylib_BT86.raw",
        Format::BrukerRaw,
        2374,
        (3.0, 3.0 + 2373.0 * 0.0155922),
        (187.0, 269.0),
    ) {
        assert_eq!(p.wavelength(), Some(wl));
        assert_eq!(p.meta().sample.as_deref(), Some("BT86"));
        assert_eq!(p.meta().counting_time, Some(0.5));
        // The same measurement as the UXD export (which prints 2θ to 2–3 decimals).
        let Some(uxd) = real("xylib_BT86_.UXD") else {
            return;
        };
        let u = &xrd_io::read(uxd).unwrap()[0];
        assert_eq!(u.intensity(), p.intensity());
        assert!(
            u.two_theta()
                .iter()
                .zip(p.two_theta())
                .all(|(a, b)| (a - b).abs() <= 5e-3 + 1e-9)
        );
    }
    if let Some(p) = check(
        "xylib_Cu3Au-1.raw",
        Format::BrukerRaw,
        3901,
        (22.0, 100.0),
        (48.0, 11.0),
    ) {
        assert_eq!(p.wavelength(), Some(wl));
        assert_eq!(p.meta().sample.as_deref(), Some("Cu3Au-1"));
    }
}

#[test]
fn panalytical_xrdml() {
    let Some(p) = check(
        "xylib_empyrean.xrdml",
        Format::Xrdml,
        196,
        (30.05, 41.75),
        (8.0, 6.0),
    ) else {
        return;
    };
    assert_eq!(
        p.wavelength(),
        Some(Wavelength::doublet(1.5405980, 1.5444260, 0.5).unwrap())
    );
    assert_eq!(
        p.wavelength().and_then(|w| w.anode()),
        Some(xrd_io::Anode::Cu)
    );
    assert_eq!(p.meta().counting_time, Some(0.44));
    assert!((p.step().unwrap() - 11.7 / 195.0).abs() < 1e-12);
}

#[test]
fn powder_cif() {
    let Some(p) = check(
        "xylib_1517474.cif",
        Format::PdCif,
        3296,
        (1.5, 166.25),
        (5540.0, 797.0),
    ) else {
        return;
    };
    let s = p.sigma().expect("esd in parentheses");
    assert_eq!((s[0], s[s.len() - 1]), (160.0, 37.0));
    assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(2.0785));
    assert_eq!(p.meta().sample.as_deref(), Some("1517474"));
}

#[test]
fn every_real_file_is_covered() {
    let Some(dir) = real("") else { return };
    let covered = [
        "autoxrd_Li2MnO3_MnO_TiO2.xy",
        "autoxrd_Mn2O3.xy",
        "autoxrd_MnO.xy",
        "autoxrd_TiO2.xy",
        "xylib_1517474.cif",
        "xylib_BT86.raw",
        "xylib_BT86_.UXD",
        "xylib_Cu3Au-1.raw",
        "xylib_empyrean.xrdml",
        "xylib_test1.csv",
        "xylib_with_commas.txt",
        "xylib_with_sigma.txt",
        "xylib_xy_text.txt",
    ];
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(covered.contains(&name.as_str()), "{name} has no test");
    }
}

#[test]
fn formats_are_detected_from_content_alone() {
    for (name, format) in [
        ("autoxrd_MnO.xy", Format::Columns),
        ("xylib_1517474.cif", Format::PdCif),
        ("xylib_BT86.raw", Format::BrukerRaw),
        ("xylib_BT86_.UXD", Format::Uxd),
        ("xylib_Cu3Au-1.raw", Format::BrukerRaw),
        ("xylib_empyrean.xrdml", Format::Xrdml),
        ("xylib_test1.csv", Format::Columns),
        ("xylib_with_commas.txt", Format::Columns),
    ] {
        let Some(path) = real(name) else { return };
        let bytes = std::fs::read(path).unwrap();
        // No name hint, and a misleading one: content decides.
        assert_eq!(
            xrd_io::detect_format(&bytes, None).unwrap(),
            format,
            "{name}"
        );
        assert_eq!(
            xrd_io::detect_format(&bytes, Some("misnamed.csv")).unwrap(),
            format,
            "{name}"
        );
        assert_eq!(
            xrd_io::read_bytes(&bytes, None).unwrap()[0].meta().format,
            Some(format),
            "{name}"
        );
    }
}
