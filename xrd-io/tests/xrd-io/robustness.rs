//! No reader panics: not on arbitrary bytes, not on arbitrary bytes behind every format's magic,
//! not on random mutations (byte flips, truncations, spliced lines) of every real file.
#![cfg(feature = "formats")]
// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use xrd_io::{Format, read_as, read_bytes};

use crate::fixtures::{fuzz_cases, zip};
use xrd_testdata::shared_data;

/// Few cases by default (every case parses a handful of files in a debug build); set
/// `XRD_IO_FUZZ_CASES` for a deeper run.
fn cases() -> u32 {
    fuzz_cases(24)
}

const MAGICS: [&[u8]; 12] = [
    b"RAW ",
    b"RAW2",
    b"RAW1.01\0",
    b"RAW4.00",
    b"PK\x03\x04",
    b"<?xml version=\"1.0\"?><xrdMeasurements><xrdMeasurement><scan><dataPoints>",
    b"*RAS_DATA_START\n*RAS_INT_START\n",
    b"##NAMES=x\n",
    b"_FILEVERSION=1\n_DRIVE='C'\n_COUNTS\n",
    b"title\nBANK 1 3 1 CONST 1000 2 0 0 ",
    b"data_x\nloop_\n_pd_meas_counts_total\n",
    b"[{\"two_theta\":",
];

fn real_files() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = shared_data("real") else {
        return Vec::new();
    };
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            Some((
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).ok()?,
            ))
        })
        .collect();
    files.sort();
    files
}

/// Parses `bytes` every way the API allows; only panics matter here, errors are expected.
fn parse_all_ways(bytes: &[u8], name: &str) {
    let _ = read_bytes(bytes, Some(name));
    let _ = read_bytes(bytes, None);
    for format in Format::ALL {
        let _ = read_as(bytes, format, Some(name));
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Truncate { at: usize },
    Splice { from: usize, len: usize, to: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 1usize..6, any::<usize>()).prop_map(|(from, len, to)| Mutation::Splice {
            from,
            len,
            to
        }),
    ]
}

/// Applies `m` (positions taken modulo the length); a splice copies `len` whole lines starting at
/// the line containing `from` to the start of the line containing `to`.
fn apply(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for m in mutations {
        if b.is_empty() {
            break;
        }
        match *m {
            Mutation::Flip { at, xor } => {
                let i = at % b.len();
                b[i] ^= xor;
            }
            Mutation::Truncate { at } => b.truncate(at % b.len()),
            Mutation::Splice { from, len, to } => {
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(
                        b.iter()
                            .enumerate()
                            .filter(|(_, c)| **c == b'\n')
                            .map(|(i, _)| i + 1),
                    )
                    .filter(|&i| i < b.len())
                    .collect();
                let first = from % starts.len();
                let end = starts.get(first + len).copied().unwrap_or(b.len());
                let chunk = b[starts[first]..end].to_vec();
                let at = starts[to % starts.len()];
                b.splice(at..at, chunk);
            }
        }
    }
    b
}

/// Small RASX and BRML archives (the real-file folder has none).
fn archives() -> Vec<(&'static str, Vec<u8>)> {
    let rasx = zip(&[
        (
            "Data0/MesurementConditions0.xml",
            br#"<C><XG WavelengthKalpha1="1.5406"/></C>"#,
        ),
        ("Data0/Profile0.txt", b"10\t1\t1\n10.5\t2\t1\n11\t3\t1\n"),
    ]);
    let brml = zip(&[(
        "Experiment0/RawData0.xml",
        b"<RawData><DataRoutes><DataRoute><Datum>1,1,20.0,10.0,7</Datum><Datum>1,1,20.1,10.05,8</Datum></DataRoute></DataRoutes></RawData>",
    )]);
    vec![("a.rasx", rasx), ("a.brml", brml)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        parse_all_ways(&bytes, "a.bin");
    }

    #[test]
    fn arbitrary_bytes_after_a_magic(k in 0usize..MAGICS.len(), tail in prop::collection::vec(any::<u8>(), 0..1024)) {
        let mut bytes = MAGICS[k].to_vec();
        bytes.extend(tail);
        parse_all_ways(&bytes, "m.dat");
    }

    #[test]
    fn numeric_junk_after_a_magic(k in 0usize..MAGICS.len(), tail in "[0-9 .,eE+\\-\\n\\t;#_=BANKSTDloop]{0,400}") {
        let mut bytes = MAGICS[k].to_vec();
        bytes.extend(tail.as_bytes());
        parse_all_ways(&bytes, "n.dat");
    }

    #[test]
    fn mutated_real_files(mutations in prop::collection::vec(mutation(), 1..4)) {
        for (name, bytes) in real_files() {
            let m = apply(&bytes, &mutations);
            let _ = read_bytes(&m, Some(&name));
        }
    }

    #[test]
    fn mutated_archives(mutations in prop::collection::vec(mutation(), 1..4)) {
        for (name, bytes) in archives() {
            prop_assert!(read_bytes(&bytes, Some(name)).is_ok());
            let m = apply(&bytes, &mutations);
            let _ = read_bytes(&m, Some(name));
        }
    }
}
