//! xrd-refine: a 3-phase Rietveld refinement of a measured laboratory scan from starting values
//! to convergence with the default plan (`Refiner::fit`): the dara_dev mixture
//! `V2O5_0p1012-In2O3_0p2008-TiO2_0p7001--2min.xrdml` (2,071 points, 10–100°, Cu Kα), V₂O₅
//! (AMCSD 13891), In₂O₃ (`../shared/data/cif/In2O3_Marezio1966.cif`) and anatase (AMCSD 10735).
//!
//! Reference: `benches/reference/rietx_refine.py` (rietx 1.10, its default staged plan) on the
//! same scan and structures; the ratio is in BENCHMARKS.md. Without the shared data the bench is
//! skipped with a message.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use xrd_minerals::Library;
use xrd_refine::{Phase, Refiner};

const SCAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/measured/dara_dev/V2O5_0p1012-In2O3_0p2008-TiO2_0p7001--2min.xrdml"
);
const IN2O3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/cif/In2O3_Marezio1966.cif"
);

fn benches(c: &mut Criterion) {
    if !Path::new(SCAN).exists() {
        eprintln!("skipping refine_3_phases_dara_2071_points: {SCAN} is absent");
        return;
    }
    let library = Library::amcsd().unwrap();
    let entry = |id: &str| {
        let e = &library.entries()[library.lookup(id)[0]];
        Phase::new(e.name(), e.structure().unwrap()).unwrap()
    };
    let in2o3 = Phase::new("In2O3", xrd_sim::Structure::from_file(IN2O3).unwrap()).unwrap();
    let phases = vec![entry("amcsd:13891"), in2o3, entry("amcsd:10735")];
    let pattern = xrd_io::read(SCAN).unwrap().remove(0);
    let wavelength = pattern.wavelength().unwrap();
    let refiner = Refiner::new(phases);
    let mut group = c.benchmark_group("xrd_refine");
    group.sample_size(10);
    group.bench_function("refine_3_phases_dara_2071_points", |b| {
        b.iter(|| refiner.fit(&pattern, wavelength).unwrap());
    });
    group.finish();
}

criterion_group!(refine, benches);
criterion_main!(refine);
