//! xrd-refine: a 3-phase Rietveld refinement of a measured laboratory scan from starting values
//! to convergence with the default plan (`Refiner::fit`): the dara_dev mixture
//! `V2O5_0p1012-In2O3_0p2008-TiO2_0p7001--2min.xrdml` (2,071 points, 10–100°, Cu Kα), V₂O₅
//! (AMCSD 13891), In₂O₃ (`../shared/data/cif/In2O3_Marezio1966.cif`) and anatase (AMCSD 10735).
//!
//! Reference: `benches/reference/rietx_refine.py` (rietx 1.10, its default staged plan) on the
//! same scan and structures; the ratio is in BENCHMARKS.md. Without the shared data the bench is
//! skipped with a message.
//!
//! `series_warm_frame_3_phases_2500_points`: one frame of a synthetic series refined from the
//! previous frame's state (`Refiner::fit_warm`), against `benches/reference/rietx_series.py`
//! (rietx's chained mode, per frame) on the frames `examples/series_frames.rs` writes.
//!
//! `summation_8_references`: full-pattern summation (`Summation::fit`, default settings) of a
//! mixture of eight of RockJock's measured references (2,870 points, 20 wt% corundum as the
//! standard, one reference absent), against `benches/reference/fps_nnls.py` (scipy's NNLS at one
//! global shift found on a grid, cubic background) on the same mixture.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use xrd_minerals::Library;
use xrd_refine::{Phase, ReferenceLibrary, Refiner, Summation};

const SCAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/measured/dara_dev/V2O5_0p1012-In2O3_0p2008-TiO2_0p7001--2min.xrdml"
);
const ROCKJOCK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/references/rockjock/rockjock_library_all168.csv.gz"
);

/// (id, weight fraction, 2θ shift) of the summation's mixture (also in fps_nnls.py).
const MIX: [(&str, f64, f64); 8] = [
    ("CORUNDUM", 0.2, 0.022),
    ("CHLORITE_CCA_2", 0.178, -0.027),
    ("GOETHITE", 0.247, -0.006),
    ("QUARTZ", 0.031, 0.0),
    ("PYRITE", 0.128, 0.064),
    ("MONTMORILLONITE_WYO", 0.067, 0.049),
    ("MUSCOVITE_2M1", 0.149, -0.012),
    ("CALCITE", 0.0, 0.052),
];

/// The k-th of a fixed sequence spread evenly over ±√3 (mean 0, variance 1).
fn noise(k: usize) -> f64 {
    let u = ((k * 7919) % 1000) as f64 / 999.0;
    3f64.sqrt() * (2.0 * u - 1.0)
}

fn summation(c: &mut Criterion) {
    if !Path::new(ROCKJOCK).exists() {
        eprintln!("skipping summation_8_references: {ROCKJOCK} is absent");
        return;
    }
    let lib = ReferenceLibrary::read(ROCKJOCK).unwrap();
    let refs: Vec<_> = MIX
        .iter()
        .map(|(id, _, _)| lib.get(id).unwrap().clone())
        .collect();
    let norm: f64 = MIX.iter().zip(&refs).map(|((_, w, _), r)| w * r.rir).sum();
    let x: Vec<f64> = (0..2900).map(|i| 5.51 + 0.02 * f64::from(i)).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let parts: f64 = MIX
                .iter()
                .zip(&refs)
                .map(|((_, w, s), r)| w * r.rir / norm * r.value_and_slope(t - s).0)
                .sum();
            let y = 40.0 + 120.0 * (-t / 12.0).exp() + parts;
            // Counting noise of unit variance, from a fixed sequence (also in fps_nnls.py).
            y + y.sqrt() * noise(k)
        })
        .collect();
    let pattern = xrd_io::Pattern::new(x, y).unwrap();
    let summation = Summation::new(refs).standard(0, 0.2);
    let q = summation.fit(&pattern).unwrap();
    for ((id, w, _), r) in MIX.iter().zip(&q.references) {
        assert!(
            (r.weight_fraction - w).abs() < 0.01,
            "{id}: {}",
            r.weight_fraction
        );
    }
    let mut group = c.benchmark_group("xrd_refine");
    group.sample_size(20);
    group.bench_function("summation_8_references", |b| {
        b.iter(|| summation.fit(&pattern).unwrap());
    });
    group.finish();
}

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

/// One chained frame of a series: frame 193 of the synthetic 384-frame series
/// (`xrd_benches::series_frame`, 2,500 points, three phases) refined warm from frame 192's
/// result, as `xrd refine --sequential` refines every frame after the first.
fn series(c: &mut Criterion) {
    if !Path::new(xrd_benches::SERIES_CIFS[0]).exists() {
        eprintln!("skipping series_warm_frame: the shared CIFs are absent");
        return;
    }
    let phases: Vec<Phase> = xrd_benches::SERIES_CIFS
        .iter()
        .map(|f| Phase::new(*f, xrd_sim::Structure::from_file(f).unwrap()).unwrap())
        .collect();
    let refiner = Refiner::new(phases).particle_size(0.0);
    let (before, _, _) = xrd_benches::series_frame(192, 384);
    let (frame, _, _) = xrd_benches::series_frame(193, 384);
    let w = xrd_io::Wavelength::CU_KA;
    let (_, state) = refiner.fit_state(&before, w).unwrap();
    let mut group = c.benchmark_group("xrd_refine");
    group.bench_function("series_warm_frame_3_phases_2500_points", |b| {
        b.iter(|| refiner.fit_warm(&frame, w, &state).unwrap());
    });
    group.finish();
}

criterion_group!(refine, benches, summation, series);
criterion_main!(refine);
