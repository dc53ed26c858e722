//! The refinement job on a synthetic halite pattern.

use xrd_jobs::{Control, Error, Refine, RefineOptions, RefineOutput, RefinementRow, Weighed};

use crate::fixtures;

fn options(cif: &std::path::Path) -> RefineOptions {
    RefineOptions {
        phases: vec![cif.display().to_string()],
        stages: vec!["scale".into(), "cells".into()],
        ..Default::default()
    }
}

#[test]
fn a_refinement_returns_its_rows_and_serialises() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 1);
    let job = Refine::new(options(&cif)).unwrap();
    assert_eq!(job.columns(), RefinementRow::COLUMNS);
    let pattern = xrd_io::read(&files[0]).unwrap().remove(0);
    let out = job.run("frame_0.xy", &pattern, &Control::new()).unwrap();
    let RefineOutput::Refinement(r) = &out else {
        panic!("not a refinement: {out:?}");
    };
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].file, "frame_0.xy");
    assert!((r.rows[0].weight_fraction - 1.0).abs() < 1e-9);
    assert!(r.refinement.rwp < 0.1, "{}", r.refinement.rwp);
    assert_eq!(r.cifs.len(), 1);
    // What the workbench receives: JSON with the mode named.
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["mode"], "refinement");
    assert_eq!(json["rows"][0]["file"], "frame_0.xy");
}

#[test]
fn missing_files_and_unknown_names_are_told() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.cif");
    let e = Refine::new(options(&missing)).unwrap_err();
    assert!(
        matches!(&e, Error::FileNotFound { path } if *path == missing),
        "{e}"
    );
    let (cif, _) = fixtures::series(dir.path(), 0);
    let o = RefineOptions {
        instrument: Some(dir.path().join("missing.json")),
        ..options(&cif)
    };
    assert!(matches!(Refine::new(o), Err(Error::FileNotFound { .. })));
    let o = RefineOptions {
        references: vec!["QUARTZ".into()],
        reference_library: Some(dir.path().join("refs.csv")),
        ..options(&cif)
    };
    assert!(matches!(Refine::new(o), Err(Error::FileNotFound { .. })));
    // A standard that is not one of the phases names the option.
    let o = RefineOptions {
        standard: Some(Weighed {
            spec: "corundum".into(),
            weight: 0.2,
        }),
        ..options(&cif)
    };
    assert_eq!(xrd_core::refused(Refine::new(o)), "standard");
}

#[test]
fn a_cancelled_control_stops_a_refinement_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 1);
    let job = Refine::new(options(&cif)).unwrap();
    let pattern = xrd_io::read(&files[0]).unwrap().remove(0);
    let control = Control::new();
    control.cancel();
    assert!(matches!(
        job.run("x", &pattern, &control),
        Err(Error::Cancelled)
    ));
}

#[test]
fn a_refinement_cancelled_from_another_thread_stops_within_a_step() {
    let dir = tempfile::tempdir().unwrap();
    let (cif, files) = fixtures::series(dir.path(), 1);
    let job = Refine::new(options(&cif)).unwrap();
    let pattern = xrd_io::read(&files[0]).unwrap().remove(0);
    let (r, after) =
        fixtures::cancelled_at_first_stage(|control| job.run("frame_0.xy", &pattern, control));
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(after < std::time::Duration::from_millis(100), "{after:?}");
}
