//! The synchrotron series of `../shared/data/series/` (sequential refinement): the 11-BM GSAS FXYE
//! files with their header's wavelength and temperature, and the CHESS Fit2D `.chi` files.
//!
//! Expected values come from the folder's README.md and the files themselves (`head`, `tail`).
#![cfg(feature = "formats")]
// Helpers outside #[test] functions panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use xrd_io::{Format, Pattern};
use xrd_testdata::shared_data;

/// 2θ agreement (the files' axes are written with 6–8 significant digits).
const TOL: f64 = 1e-6;

fn one(path: &std::path::Path) -> Pattern {
    let mut ps = xrd_io::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(ps.len(), 1, "{}", path.display());
    ps.remove(0)
}

fn files(dir: &str, ext: &str) -> Option<Vec<std::path::PathBuf>> {
    let dir = shared_data(dir)?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn oh_00_fxye_reads_wavelength_temperature_and_esds() {
    let Some(path) = shared_data("series/cucr2o4_11bm/OH_00.fxye") else {
        return;
    };
    let p = one(&path);
    assert_eq!(p.meta().format, Some(Format::Gsas));
    assert_eq!(p.len(), 12_799);
    let (lo, hi) = p.range();
    assert!(
        (lo - 0.5).abs() < TOL && (hi - 26.096).abs() < TOL,
        "{lo} {hi}"
    );
    assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(0.413263));
    assert_eq!(p.meta().get("temperature_k"), Some("6.778"));
    let sigma = p.sigma().expect("FXYE esds");
    assert_eq!((p.intensity()[0], sigma[0]), (65.247734, 11.584726));
}

#[test]
fn every_fxye_of_the_series() {
    let Some(files) = files("series/cucr2o4_11bm", "fxye") else {
        return;
    };
    assert_eq!(files.len(), 17);
    let mut temperatures = Vec::new();
    for path in &files {
        let p = one(path);
        assert_eq!(p.len(), 12_799, "{}", path.display());
        let (lo, hi) = p.range();
        assert!((lo - 0.5).abs() < TOL && (hi - 26.096).abs() < TOL);
        assert!(p.sigma().is_some());
        assert_eq!(p.wavelength().map(|w| w.angstrom()), Some(0.413263));
        temperatures.push(
            p.meta()
                .get("temperature_k")
                .unwrap()
                .parse::<f64>()
                .unwrap(),
        );
    }
    // The README's temperatures (rounded there to 0.1 K), in file order: cooling 289 K → 7 K
    // read backwards.
    let readme = [
        6.8, 16.7, 47.0, 75.4, 98.9, 111.4, 122.7, 134.0, 145.5, 156.9, 168.4, 185.7, 203.0, 220.3,
        243.4, 266.9, 288.7,
    ];
    for (t, r) in temperatures.iter().zip(readme) {
        assert!((t - r).abs() <= 0.051, "{t} against {r}");
    }
}

#[test]
fn every_chi_of_the_series() {
    let Some(files) = files("series/ti64_chess", "chi") else {
        return;
    };
    assert_eq!(files.len(), 28);
    for path in &files {
        let p = one(path);
        assert_eq!(p.len(), 1500, "{}", path.display());
        let (lo, hi) = p.range();
        // 3.0° to 11.2° in 1500 steps of 8.2°/1500: the last point is 11.2° less one step.
        assert!(
            (lo - 3.0).abs() < TOL && (hi - 11.194533).abs() < TOL,
            "{lo} {hi}"
        );
        assert!(p.intensity().iter().all(|y| y.is_finite()));
    }
}
