//! `file#k`: one pattern of a file holding several, as the command line names it.
#![cfg(feature = "formats")]

use std::path::Path;

use xrd_io::{Error, pattern_number, read};

/// A GSAS file of three banks, 2 points each (5°, 10° and 20° first).
const BANKS: &str = "t\nBANK 1 2 1 CONST 500 5 0 0 ESD\n     100       5     200       7\n\
                     BANK 2 2 1 CONST 0 0 0 0 FXYE\n 1000.0 3.0 0.5\n 1010.0 4.0 0.6\n\
                     BANK 3 2 1 CONST 0 0 0 0 ALT\n 2000 1.5 0.1 2002 2.5 0.2\n";

fn banks(dir: &Path) -> String {
    let file = dir.join("three.gsa");
    std::fs::write(&file, BANKS).unwrap();
    file.display().to_string()
}

#[test]
fn a_number_after_the_file_reads_that_pattern_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = banks(dir.path());
    assert_eq!(read(&file).unwrap().len(), 3);
    for (k, first) in [(1, 5.0), (2, 10.0), (3, 20.0)] {
        let one = read(format!("{file}#{k}")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].two_theta()[0], first, "pattern {k}");
    }
    assert_eq!(
        pattern_number(Path::new(&format!("{file}#2"))),
        Some((file.clone().into(), 2))
    );
}

#[test]
fn a_pattern_the_file_does_not_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = banks(dir.path());
    for k in [0, 4, 1000] {
        let e = read(format!("{file}#{k}")).unwrap_err();
        assert!(
            matches!(e, Error::NoSuchPattern { number, count: 3, .. } if number == k),
            "{e}"
        );
        assert!(e.to_string().contains("holds 3"), "{e}");
    }
}

#[test]
fn a_file_named_with_a_hash_is_read_as_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = banks(dir.path());
    // A file whose own name ends in `#2` is that file, not pattern 2 of another.
    let hashed = format!("{file}#2");
    std::fs::write(&hashed, "10 1\n11 2\n12 3\n").unwrap();
    let p = read(&hashed).unwrap();
    assert_eq!((p.len(), p[0].len()), (1, 3));
    assert_eq!(pattern_number(Path::new(&hashed)), None);
    // Neither a missing file nor something other than digits after `#` selects anything.
    for name in [
        "missing.gsa#1",
        &format!("{file}#"),
        &format!("{file}#x"),
        &format!("{file}#-1"),
    ] {
        assert_eq!(pattern_number(Path::new(name)), None, "{name}");
        assert!(
            matches!(read(name).unwrap_err(), Error::File { .. }),
            "{name}"
        );
    }
}
