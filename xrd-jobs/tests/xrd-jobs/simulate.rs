//! The simulation job on a structure file.

use xrd_jobs::{Error, Simulate, SimulateOptions};

use crate::fixtures;

#[test]
fn a_structure_file_gives_its_peaks_and_a_profile_scaled_to_100() {
    let dir = tempfile::tempdir().unwrap();
    let cif = dir.path().join("halite.cif");
    std::fs::write(&cif, fixtures::halite(5.64)).unwrap();
    let job = Simulate::new(SimulateOptions {
        structure: cif.display().to_string(),
        two_theta: (20.0, 60.0),
        step: 0.05,
        ..Default::default()
    })
    .unwrap();
    let s = job.peaks().unwrap();
    assert_eq!(s.space_group.as_ref().map(|g| g.0), Some(225));
    // Halite's 200 is its strongest line, at 31.7° in Cu Kα.
    let strongest = (s.peaks.peaks().iter())
        .max_by(|a, b| a.intensity.total_cmp(&b.intensity))
        .unwrap();
    assert!((strongest.two_theta - 31.7).abs() < 0.1, "{strongest:?}");
    assert!((strongest.intensity - 100.0).abs() < 1e-9);
    let p = job.pattern().unwrap();
    assert_eq!(p.len(), 801);
    let top = p.intensity().iter().copied().fold(0.0, f64::max);
    assert!((top - 100.0).abs() < 1e-9);
}

#[test]
fn a_missing_structure_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.cif");
    let r = Simulate::new(SimulateOptions {
        structure: missing.display().to_string(),
        ..Default::default()
    });
    assert!(matches!(r, Err(Error::FileNotFound { .. })), "{r:?}");
}

#[test]
fn one_test_per_invalid_simulate_option() {
    let valid = SimulateOptions {
        structure: "halite.cif".into(),
        ..Default::default()
    };
    assert!(valid.check().is_ok());
    let refused = |f: fn(&mut SimulateOptions)| {
        let mut o = valid.clone();
        f(&mut o);
        xrd_core::refused(o.check())
    };
    assert_eq!(refused(|o| o.structure.clear()), "structure");
    assert_eq!(refused(|o| o.two_theta = (90.0, 5.0)), "two_theta");
    assert_eq!(refused(|o| o.two_theta = (5.0, 200.0)), "two_theta");
    assert_eq!(refused(|o| o.step = 0.0), "step");
    assert_eq!(refused(|o| o.fwhm = Some(-0.1)), "fwhm");
    assert_eq!(refused(|o| o.eta = Some(2.0)), "eta");
    assert_eq!(
        refused(|o| {
            o.instrument = Some("i.json".into());
            o.fwhm = Some(0.2);
        }),
        "instrument"
    );
}
