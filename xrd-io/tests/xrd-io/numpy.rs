//! NumPy `.npy`/`.npz` pattern matrices: the shared RRUFF file, round trips in f32 and f64,
//! hand-written headers (big-endian, Fortran order), every malformed input an error, and no
//! panic on arbitrary bytes.
#![cfg(feature = "formats")]
// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ndarray::{Array2, array};
use proptest::prelude::*;
use xrd_io::{Dataset, Error, Grid};

use crate::fixtures::fuzz_cases;
use xrd_testdata::shared_data;

fn rruff() -> Option<PathBuf> {
    shared_data("measured/rruff_dev.npz")
}

/// An `.npy` (format 1.0) with the given header dictionary and raw data.
fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.as_bytes().to_vec();
    // Pad so that the data starts at a multiple of 64 bytes, newline last (as NumPy does).
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

fn le_f64(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn npz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    npz_with(members, zip::CompressionMethod::Stored)
}

/// An `.npz` as `numpy.savez` (stored) or `numpy.savez_compressed` (deflated) writes it.
fn npz_with(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut w, data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A valid two-pattern `.npz`: three-point grid and an integer label.
fn small_npz() -> Vec<u8> {
    npz(&[
        (
            "patterns.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                &le_f64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ),
        ),
        (
            "two_theta.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                &le_f64(&[10.0, 10.5, 11.0]),
            ),
        ),
        (
            "space_group.npy",
            npy(
                "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                &[225i32, 14]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
    ])
}

#[test]
fn iopaint_reads_the_measured_rruff_file() {
    let Some(path) = rruff() else { return };
    let d = Dataset::<f32>::read_npz(&path).unwrap();
    assert_eq!(d.patterns.dim(), (457, 8500));
    assert_eq!(d.grid.len(), 8500);
    assert!((d.grid.start() - 5.0).abs() < 1e-9);
    assert!((d.grid.step() - 0.01).abs() < 1e-9);
    assert!((d.grid.end() - 89.99).abs() < 1e-9);
    assert_eq!(d.names[0], "rruff_dev.npz#0");
    assert_eq!(
        d.label_names,
        vec!["space_group", "crystal_system", "source_index"]
    );
    // Each pattern is scaled to max 1 (SOURCES.md).
    for row in d.patterns.rows() {
        let max = row.iter().copied().fold(f32::MIN, f32::max);
        assert!((max - 1.0).abs() < 1e-6, "{max}");
    }
    let sg = d.label("space_group").unwrap();
    assert!(
        sg.iter()
            .all(|&g| (1.0..=230.0).contains(&g) && g.fract() == 0.0)
    );
    // Counts by crystal system from measured/README.md (no trigonal patterns).
    let cs = d.label("crystal_system").unwrap();
    let count = |k: f64| cs.iter().filter(|&&c| c == k).count();
    assert_eq!(
        (1..=7).map(|k| count(k as f64)).collect::<Vec<_>>(),
        vec![48, 160, 105, 40, 0, 37, 67]
    );
    // The same file in f64: the same values, widened exactly.
    let wide = Dataset::<f64>::read_npz(&path).unwrap();
    assert_eq!(wide.patterns, d.patterns.mapv(f64::from));
    assert_eq!(wide.labels, d.labels);
}

#[test]
fn iopaint_npz_round_trips_in_f32_and_f64() {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::new(5.0, 0.01, 4).unwrap();
    let names = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let labels = array![[1.0, 0.25], [7.0, -3.5], [230.0, 1e300]];
    let label_names = vec!["space_group".to_owned(), "x".to_owned()];
    let p64 = array![
        [0.0, 1.0, 0.1 + 0.2, 1e-300],
        [5.0, -2.0, 3.0, 4.0],
        [f64::MAX, f64::MIN_POSITIVE, 0.5, 0.0]
    ];
    let d = Dataset::new(
        grid,
        p64.clone(),
        names.clone(),
        labels.clone(),
        label_names.clone(),
    )
    .unwrap();
    let path = dir.path().join("d.npz");
    d.write_npz(&path).unwrap();
    let back = Dataset::<f64>::read_npz(&path).unwrap();
    assert_eq!(back.patterns, d.patterns);
    assert_eq!(back.grid, grid);
    assert_eq!(back.labels, labels);
    assert_eq!(back.label_names, label_names);
    assert_eq!(back.names, vec!["d.npz#0", "d.npz#1", "d.npz#2"]);

    let p32 = p64.mapv(|v| (v as f32).clamp(-1e30, 1e30));
    let d32 = Dataset::new(grid, p32, names, labels.clone(), label_names).unwrap();
    d32.write_npz(&path).unwrap();
    let back = Dataset::<f32>::read_npz(&path).unwrap();
    assert_eq!(back.patterns, d32.patterns);
    assert_eq!(back.labels, labels);
    // Only the final file is left: the write went through a temporary file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // An empty dataset round-trips too.
    let empty = Dataset::<f32>::new(
        grid,
        Array2::zeros((0, 4)),
        vec![],
        Array2::zeros((0, 0)),
        vec![],
    )
    .unwrap();
    empty.write_npz(&path).unwrap();
    assert!(Dataset::<f32>::read_npz(&path).unwrap().is_empty());
}

#[test]
fn iopaint_npy_round_trips_with_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::new(1.0, 0.5, 3).unwrap();
    let d = Dataset::<f32>::new(
        grid,
        array![[1.0, 2.5, 3.0], [0.0, 1e-7, 8.0]],
        vec!["x".into(), "y".into()],
        Array2::zeros((2, 0)),
        vec![],
    )
    .unwrap();
    let path = dir.path().join("p.npy");
    d.write_npy(&path).unwrap();
    let back = Dataset::<f32>::read_npy(&path, grid).unwrap();
    assert_eq!(back.patterns, d.patterns);
    let wide = Dataset::<f64>::read_npy(&path, grid).unwrap();
    assert_eq!(wide.patterns, d.patterns.mapv(f64::from));
    assert!(matches!(
        Dataset::<f32>::read_npy(&path, Grid::new(1.0, 0.5, 4).unwrap()),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        Dataset::<f32>::read_npy(dir.path().join("none.npy"), grid),
        Err(Error::File { .. })
    ));
}

#[test]
fn iopaint_reads_big_endian_fortran_order_and_one_pattern() {
    let grid = Grid::new(0.0, 1.0, 3).unwrap();
    // Column-major 2 × 3 of big-endian f4: logical rows [1 2 3], [4 5 6].
    let data: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let f = npy(
        "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
        &data,
    );
    let d = Dataset::<f64>::from_npy_bytes(&f, grid, Some("f.npy")).unwrap();
    assert_eq!(d.patterns, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(d.names, vec!["f.npy#0", "f.npy#1"]);
    // Integer counts and a single 1-D pattern.
    let f = npy(
        "{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }",
        &[7u16, 0, 65535]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    let d = Dataset::<f32>::from_npy_bytes(&f, grid, None).unwrap();
    assert_eq!(d.patterns, array![[7.0, 0.0, 65535.0]]);
}

#[test]
fn iopaint_npz_labels_and_extra_arrays() {
    let d = Dataset::<f32>::from_npz_bytes(&small_npz(), Some("s.npz")).unwrap();
    assert_eq!(d.label("space_group").unwrap().to_vec(), vec![225.0, 14.0]);
    assert_eq!(d.grid, Grid::new(10.0, 0.5, 3).unwrap());
    // The same arrays compressed (numpy.savez_compressed).
    let patterns = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
        &le_f64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );
    let two_theta = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
        &le_f64(&[10.0, 10.5, 11.0]),
    );
    let packed = npz_with(
        &[("patterns.npy", patterns), ("two_theta.npy", two_theta)],
        zip::CompressionMethod::Deflated,
    );
    let c = Dataset::<f32>::from_npz_bytes(&packed, Some("s.npz")).unwrap();
    assert_eq!(c.patterns, d.patterns);
    // Arrays of other shapes are not labels; bool and float labels are.
    let bytes = npz(&[
        (
            "patterns",
            npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
                &[0.5f32, 1.0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "two_theta.npy",
            npy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                &[20.0f32, 20.02]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "mean.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                &le_f64(&[0.0, 0.0]),
            ),
        ),
        (
            "ok.npy",
            npy(
                "{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }",
                &[1],
            ),
        ),
    ]);
    let d = Dataset::<f64>::from_npz_bytes(&bytes, None).unwrap();
    assert_eq!(d.label_names, vec!["ok"]);
    assert_eq!(d.labels, array![[1.0]]);
    assert!((d.grid.step() - 0.02).abs() < 1e-5);
}

/// Replaces member `name` of the small `.npz`.
fn with_member(name: &str, data: Vec<u8>) -> Vec<u8> {
    let mut members: Vec<(&str, Vec<u8>)> = vec![
        (
            "patterns.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                &le_f64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ),
        ),
        (
            "two_theta.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                &le_f64(&[10.0, 10.5, 11.0]),
            ),
        ),
    ];
    members.retain(|(n, _)| *n != name);
    members.push((name, data));
    npz(&members)
}

#[test]
fn iopaint_malformed_numpy_files_are_errors() {
    let read = |b: &[u8]| Dataset::<f64>::from_npz_bytes(b, Some("bad.npz"));
    let f8 = |shape: &str, v: &[f64]| {
        npy(
            &format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
            &le_f64(v),
        )
    };
    // Not a zip; a zip without the arrays.
    assert!(matches!(
        read(b"PK\x03\x04 nonsense"),
        Err(Error::Archive { .. })
    ));
    let e = read(&npz(&[("other.npy", f8("(1,)", &[1.0]))])).unwrap_err();
    assert!(
        matches!(e, Error::Archive { .. }) && e.to_string().contains("patterns"),
        "{e}"
    );
    // NaN intensity, named by row and point.
    let e = read(&with_member(
        "patterns.npy",
        f8("(2, 3)", &[1.0, 2.0, 3.0, 4.0, f64::NAN, 6.0]),
    ))
    .unwrap_err();
    assert!(
        matches!(e, Error::NonFinite { .. }) && e.to_string().contains("row 1: point 1"),
        "{e}"
    );
    // Grid: wrong length, not uniform, not increasing, a single point.
    let e = read(&with_member("two_theta.npy", f8("(2,)", &[10.0, 10.5]))).unwrap_err();
    assert!(
        matches!(&e, Error::ShapeMismatch(m) if m.what == "two_theta values per pattern point"),
        "{e}"
    );
    let e = read(&with_member(
        "two_theta.npy",
        f8("(3,)", &[10.0, 10.1, 11.0]),
    ))
    .unwrap_err();
    assert_eq!(
        e.invalid_parameter().map(|p| p.name),
        Some("two_theta"),
        "{e}"
    );
    assert!(e.to_string().contains("10.1 at position 1"), "{e}");
    let e = read(&with_member(
        "two_theta.npy",
        f8("(3,)", &[11.0, 10.5, 10.0]),
    ))
    .unwrap_err();
    assert!(
        matches!(e, Error::InvalidGrid { step, .. } if step < 0.0),
        "{e}"
    );
    let e = read(&with_member(
        "two_theta.npy",
        f8("(3, 1)", &[10.0, 10.5, 11.0]),
    ))
    .unwrap_err();
    assert!(
        matches!(&e, Error::Syntax { expected, .. } if expected == "a 1-D array of 2θ values"),
        "{e}"
    );
    assert!(e.to_string().starts_with("bad.npz/two_theta.npy"), "{e}");
    // Truncated data, extra data, a header promising more than the file holds (no allocation).
    let mut cut = f8("(2, 3)", &[1.0; 6]);
    cut.truncate(cut.len() - 3);
    assert!(matches!(
        read(&with_member("patterns.npy", cut)),
        Err(Error::Truncated { .. })
    ));
    let mut long = f8("(2, 3)", &[1.0; 6]);
    long.push(0);
    assert!(matches!(
        read(&with_member("patterns.npy", long)),
        Err(Error::Syntax { .. })
    ));
    let huge = f8("(4611686018427387904, 4611686018427387904)", &[]);
    let e = read(&with_member("patterns.npy", huge)).unwrap_err();
    assert!(
        matches!(&e, Error::Syntax { expected, .. } if expected == "a shape that fits in memory"),
        "{e}"
    );
    let huge = f8("(1000000000000, 3)", &[]);
    assert!(matches!(
        read(&with_member("patterns.npy", huge)),
        Err(Error::Truncated { .. })
    ));
    // Unsupported dtypes and dimensions.
    let text = npy(
        "{'descr': '<U5', 'fortran_order': False, 'shape': (2, 3), }",
        &[0; 120],
    );
    assert!(matches!(
        read(&with_member("patterns.npy", text)),
        Err(Error::Syntax { .. })
    ));
    let cube = f8("(1, 2, 3)", &[1.0; 6]);
    assert!(matches!(
        read(&with_member("patterns.npy", cube)),
        Err(Error::Syntax { .. })
    ));
    // A label integer that f64 cannot hold exactly.
    let big = npy(
        "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
        &[1i64, (1 << 53) + 1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    assert!(matches!(
        read(&with_member("id.npy", big)),
        Err(Error::Syntax { .. })
    ));
    // A NaN label.
    assert!(matches!(
        read(&with_member("x.npy", f8("(2,)", &[1.0, f64::INFINITY]))),
        Err(Error::NonFinite { .. })
    ));
    // Bad magic, version and header.
    let grid = Grid::new(0.0, 1.0, 3).unwrap();
    let npy_read = |b: &[u8]| Dataset::<f32>::from_npy_bytes(b, grid, None);
    assert!(matches!(
        npy_read(b"\x93NUMP"),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        npy_read(b"PK\x03\x04\x00\x00\x00\x00\x00\x00"),
        Err(Error::Syntax { .. })
    ));
    let mut v9 = f8("(3,)", &[1.0; 3]);
    v9[6] = 9;
    assert!(matches!(npy_read(&v9), Err(Error::Syntax { .. })));
    assert!(matches!(
        npy_read(&npy("{'descr': '<f8', 'shape': (3,)", &le_f64(&[1.0; 3]))),
        Err(Error::Syntax { .. })
    ));
    assert!(matches!(
        npy_read(&npy("[1, 2]", &le_f64(&[1.0; 3]))),
        Err(Error::Syntax { .. })
    ));
}

#[test]
fn iopaint_invalid_label_names_are_refused_on_write() {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::new(1.0, 1.0, 2).unwrap();
    let path = dir.path().join("x.npz");
    for bad in [
        vec!["patterns".to_owned()],
        vec!["two_theta".to_owned()],
        vec![String::new()],
        vec!["a".to_owned(), "a".to_owned()],
    ] {
        let k = bad.len();
        let d = Dataset::<f64>::new(
            grid,
            Array2::zeros((1, 2)),
            vec!["r".into()],
            Array2::zeros((1, k)),
            bad,
        )
        .unwrap();
        assert!(matches!(
            d.write_npz(&path),
            Err(Error::InvalidParameter(_))
        ));
    }
    assert!(!path.exists());
    let d = Dataset::<f64>::new(
        grid,
        Array2::zeros((1, 2)),
        vec!["r".into()],
        Array2::zeros((1, 0)),
        vec![],
    )
    .unwrap();
    assert!(matches!(
        d.write_npz(dir.path().join("no/such/dir/x.npz")),
        Err(Error::File { .. })
    ));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn cases() -> u32 {
    fuzz_cases(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn iopaint_arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        magic in 0usize..3,
    ) {
        let prefix: &[u8] = [&b""[..], b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00"][magic];
        let mut input = prefix.to_vec();
        input.extend_from_slice(&bytes);
        let grid = Grid::new(0.0, 1.0, 3).unwrap();
        let _ = Dataset::<f32>::from_npy_bytes(&input, grid, None);
        let _ = Dataset::<f64>::from_npz_bytes(&input, None);
    }

    #[test]
    fn iopaint_mutated_files_never_panic(
        at in any::<usize>(),
        xor in 1u8..=255,
        cut in any::<usize>(),
    ) {
        let mut file = small_npz();
        let n = file.len();
        file[at % n] ^= xor;
        let _ = Dataset::<f64>::from_npz_bytes(&file, None);
        file.truncate(cut % n);
        let _ = Dataset::<f64>::from_npz_bytes(&file, None);
        // Header mutations of a lone .npy.
        let mut one = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", &le_f64(&[1.0; 6]));
        let m = 10 + (at % 54);
        one[m] ^= xor;
        let _ = Dataset::<f32>::from_npy_bytes(&one, Grid::new(0.0, 1.0, 3).unwrap(), None);
    }
}
