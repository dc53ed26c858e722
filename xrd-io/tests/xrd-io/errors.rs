//! Bad inputs give the right error, naming the file and the place: empty, truncated, NaN/inf,
//! non-monotonic, mismatched columns and wrong formats, across formats, through the public API.
#![cfg(feature = "formats")]
// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use xrd_io::{Error, Format, Location, read_as, read_bytes};

use crate::fixtures::zip;
use xrd_testdata::shared_data;

fn real(name: &str) -> Option<Vec<u8>> {
    let p = shared_data(&format!("real/{name}"))?;
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

const XRDML: &str = r#"<?xml version="1.0"?><xrdMeasurements><xrdMeasurement><scan><dataPoints>
<positions axis="2Theta"><listPositions>10 11 12</listPositions></positions><counts>1 2 3</counts>
</dataPoints></scan></xrdMeasurement></xrdMeasurements>"#;

#[test]
fn empty_inputs() {
    for (bytes, name) in [
        (&b""[..], "a.xy"),
        (b" \r\n\t\n", "a.xy"),
        (b"", "a.raw"),
        (b"", "a.xrdml"),
    ] {
        let e = read_bytes(bytes, Some(name)).unwrap_err();
        assert!(
            matches!(&e, Error::NoData { file, .. } if file == name),
            "{e}"
        );
    }
    let e = read_bytes(b"# only a comment\n", Some("c.xy")).unwrap_err();
    assert!(matches!(e, Error::NoData { .. }), "{e}");
    let e = read_bytes(
        b"<?xml version=\"1.0\"?><xrdMeasurements/>",
        Some("e.xrdml"),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoData { .. }), "{e}");
    let e = read_bytes(b"*RAS_DATA_START\n*RAS_DATA_END\n", Some("e.ras")).unwrap_err();
    assert!(matches!(e, Error::NoData { .. }), "{e}");
}

#[test]
fn truncated_inputs() {
    let e = read_bytes(&XRDML.as_bytes()[..XRDML.len() / 2], Some("t.xrdml")).unwrap_err();
    assert!(
        matches!(e, Error::Truncated { .. } | Error::Syntax { .. }),
        "{e}"
    );
    let e = read_bytes(b"*RAS_DATA_START\n*RAS_INT_START\n10 1 1\n", Some("t.ras")).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    let e = read_bytes(
        b"title\nBANK 1 10 1 CONST 1000 1 0 0 STD\n1 2 3\n",
        Some("t.gsa"),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    let e = read_bytes(b"RAW1.01\0\x01\0\0\0", Some("t.raw")).unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    if let Some(raw) = real("xylib_BT86.raw") {
        for cut in [raw.len() - 1, 1000, 720, 100] {
            let e = read_bytes(&raw[..cut], Some("BT86.raw")).unwrap_err();
            assert!(
                matches!(&e, Error::Truncated { at: Location::Byte(b), .. } if *b == cut as u64),
                "{cut}: {e}"
            );
            assert!(
                e.to_string().starts_with("BT86.raw: truncated at byte"),
                "{e}"
            );
        }
    }
    if let Some(x) = real("xylib_empyrean.xrdml") {
        let e = read_bytes(&x[..x.len() - 40], Some("e.xrdml")).unwrap_err();
        assert!(
            matches!(&e, Error::Syntax { at: Location::Byte(_), expected, .. } if expected == "well-formed XML"),
            "{e}"
        );
        assert!(e.to_string().starts_with("e.xrdml: byte "), "{e}");
    }
}

#[test]
fn nan_and_infinite_values() {
    let e = read_bytes(b"10 1\n11 NaN\n", Some("n.xy")).unwrap_err();
    assert!(
        matches!(&e, Error::NonFinite { file, at: Location::Line(2), what: "intensity", .. } if file == "n.xy"),
        "{e}"
    );
    let e = read_bytes(b"10 1\ninf 2\n", Some("n.xy")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                at: Location::Line(2),
                what: "2θ",
                ..
            }
        ),
        "{e}"
    );
    let e = read_bytes(
        b"_FILEVERSION=1\n_DRIVE='C'\n_START=1\n_STEPSIZE=1\n_COUNTS\n1 -inf 3\n",
        Some("n.uxd"),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                at: Location::Line(6),
                ..
            }
        ),
        "{e}"
    );
    let x = XRDML.replace("1 2 3", "1 NaN 3");
    let e = read_bytes(x.as_bytes(), Some("n.xrdml")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                at: Location::Point(1),
                ..
            }
        ),
        "{e}"
    );
    if let Some(mut raw) = real("xylib_Cu3Au-1.raw") {
        // v3: one range, header 304 bytes at 712, no supplementary header: data at 1016.
        raw[1016 + 8..1016 + 12].copy_from_slice(&f32::INFINITY.to_le_bytes());
        let e = read_bytes(&raw, Some("c.raw")).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonFinite {
                    at: Location::Byte(1024),
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn non_monotonic_axes() {
    let e = read_bytes(b"10 1\n11 1\n10.5 1\n", Some("m.xy")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonMonotonic {
                at: Location::Line(3),
                previous: 11.0,
                value: 10.5,
                ..
            }
        ),
        "{e}"
    );
    let e = read_bytes(b"10 1\n10 1\n", Some("m.xy")).unwrap_err();
    assert!(matches!(e, Error::NonMonotonic { .. }), "{e}");
    let x = XRDML.replace("10 11 12", "10 12 11");
    let e = read_bytes(x.as_bytes(), Some("m.xrdml")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonMonotonic {
                at: Location::Point(2),
                ..
            }
        ),
        "{e}"
    );
    let e = read_bytes(b"t\nBANK 1 2 1 CONST 1000 -5 0 0 STD\n1 2\n", Some("m.gsa")).unwrap_err();
    assert!(matches!(e, Error::Syntax { .. }), "{e}");
}

#[test]
fn mismatched_columns() {
    let e = read_bytes(b"1 2 0.5\n2 3\n", Some("c.xye")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ColumnMismatch {
                at: Location::Line(2),
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    let e = read_bytes(b"1,2\n2,3,4\n", Some("c.csv")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ColumnMismatch {
                at: Location::Line(2),
                ..
            }
        ),
        "{e}"
    );
    let e = read_bytes(b"##NAMES=q\n5, 1, 2\n", Some("c.txt")).unwrap_err();
    assert!(matches!(e, Error::ColumnMismatch { .. }), "{e}");
    let x = XRDML.replace("10 11 12", "10 11");
    let e = read_bytes(x.as_bytes(), Some("c.xrdml")).unwrap_err();
    assert!(matches!(e, Error::Syntax { .. }), "{e}");
}

#[test]
fn wrong_formats() {
    let e = read_as(XRDML.as_bytes(), Format::BrukerRaw, Some("x.raw")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Syntax {
                at: Location::Byte(0),
                ..
            }
        ),
        "{e}"
    );
    let e = read_as(b"10 1\n11 2\n", Format::Xrdml, Some("x.xrdml")).unwrap_err();
    assert!(matches!(e, Error::Syntax { .. }), "{e}");
    let e = read_as(b"10 1\n11 2\n", Format::RigakuRasx, Some("x.rasx")).unwrap_err();
    assert!(matches!(e, Error::Archive { .. }), "{e}");
    let e = read_as(b"10 1\n", Format::Json, Some("x.json")).unwrap_err();
    assert!(matches!(e, Error::Syntax { .. }), "{e}");
    let e = read_bytes(b"\x00\x01\x02\x03binary\x00", Some("x.bin")).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    let e = read_bytes(b"<html><body/></html>", Some("x.html")).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    let e = read_bytes(&zip(&[("readme.txt", b"hello")]), Some("x.zip")).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    if let Some(cif) = real("xylib_1517474.cif") {
        let e = read_as(&cif, Format::Gsas, Some("x.cif")).unwrap_err();
        assert!(matches!(e, Error::Syntax { .. }), "{e}");
    }
    let e = xrd_io::read("/nonexistent/file.xy").unwrap_err();
    assert!(matches!(e, Error::File { .. }), "{e}");
}

#[test]
fn zip_members_declaring_huge_sizes_are_refused() {
    let mut bytes = zip(&[("Data0/Profile0.txt", b"10 1 1\n11 2 1\n")]);
    // Patch the uncompressed size of the member in its local header (@22) and the central
    // directory entry (@24) to 4 GiB − 1.
    let find = |b: &[u8], sig: &[u8]| b.windows(4).position(|w| w == sig).unwrap();
    let local = find(&bytes, b"PK\x03\x04");
    bytes[local + 22..local + 26].copy_from_slice(&u32::MAX.to_le_bytes());
    let central = find(&bytes, b"PK\x01\x02");
    bytes[central + 24..central + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = read_bytes(&bytes, Some("bomb.rasx")).unwrap_err();
    assert!(
        matches!(&e, Error::TooLarge { limit, .. } if *limit == xrd_io::MAX_MEMBER_BYTES),
        "{e}"
    );
}
