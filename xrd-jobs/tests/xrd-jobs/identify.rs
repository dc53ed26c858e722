//! The identification job on a library of one CIF: patterns identified in parallel come back in
//! order, the matcher is built once per wavelength, and a cancel reaches the refinement inside
//! one identification.

use std::sync::Arc;
use std::time::Duration;

use xrd_io::{Pattern, Wavelength};
use xrd_jobs::{Control, Error, Identify, IdentifyOptions};

use crate::fixtures;

fn job(dir: &std::path::Path, cif: &std::path::Path) -> Identify {
    Identify::new(IdentifyOptions {
        builtin: false,
        library: vec![cif.to_path_buf()],
        max_phases: 1,
        cache: dir.join("cache"),
        ..Default::default()
    })
    .unwrap()
}

fn named(files: &[std::path::PathBuf]) -> Vec<(String, Pattern)> {
    files
        .iter()
        .map(|f| {
            let p = xrd_io::read(f).unwrap().remove(0);
            (f.display().to_string(), p)
        })
        .collect()
}

#[test]
fn patterns_come_back_in_order_with_their_phase_and_one_matcher_per_wavelength() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 3);
    let job = job(dir.path(), &cif);
    let patterns = named(&files);
    let got = job.run(&patterns, &Control::new()).unwrap();
    assert_eq!(got.files.len(), 3);
    for (file, (label, _)) in got.files.iter().zip(&patterns) {
        assert_eq!(&file.file, label);
        assert!(file.error.is_none(), "{:?}", file.error);
        assert_eq!(file.rows.len(), 1, "{:?}", file.rows);
        let c = file.confirmed.as_ref().expect("refined");
        assert!(c.refinement.rwp < 0.2, "{}", c.refinement.rwp);
    }
    // Each pattern alone gives what it gave among the others.
    let alone = job.run(&patterns[1..2], &Control::new()).unwrap();
    assert_eq!(
        serde_json::to_string(&alone.files[0]).unwrap(),
        serde_json::to_string(&got.files[1]).unwrap()
    );
    // The matcher of Cu Kα was kept: asking again gives the same one.
    let control = Control::new();
    let a = job.matcher(Wavelength::CU_KA, &control).unwrap();
    let b = job.matcher(Wavelength::CU_KA, &control).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn a_cancel_stops_the_refinement_inside_an_identification_within_100_ms() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 1);
    let job = job(dir.path(), &cif);
    let patterns = named(&files);
    let (r, after) = fixtures::cancelled_at_first_stage(|control| job.run(&patterns, control));
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(after < Duration::from_millis(100), "{after:?}");
}
