//! xrd-sim hot paths: the peak list of the 104-atom SmFe11Ti 2×2×1 oracle cell at λ = 0.496 Å,
//! 2θ 0–120° (pymatgen-compatible mode and the default Waasmaier–Kirfel mode; pymatgen's
//! `XRDCalculator` takes 3.0–3.7 s here, see benches/reference/pymatgen_xrd.py), a 12,000-point
//! profile of it, the reduced-grid CIF round trip, building the whole 150-pattern data set, and
//! the classifier's training patterns: 1,000 random crystals of uniformly drawn space groups
//! simulated on the 8,500-point RRUFF grid with every artefact (target ≥ 2,000 patterns/s).
//! `XRD_BENCH_CPU=1` also prints the process CPU time per batch (see `xrd_benches::cpu_time`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use xrd_benches::cpu_time;
use xrd_io::{Grid, Wavelength};
use xrd_sim::builtin::BuiltinParams;
use xrd_sim::{
    PowderParams, Profile, Simulator, Structure, SyntheticCrystalParams, TrainingPatternParams,
};

const CASE: &str = "smfe11ti_conv2x2x1_lam0.496.cif";

fn oracle_structure() -> Option<Structure> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/oracle"
    ))
    .join(CASE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Structure::from_cif(&text).ok(),
        Err(_) => {
            eprintln!("skipping the oracle benches: {} is absent", path.display());
            None
        }
    }
}

fn bench(c: &mut Criterion) {
    if let Some(s) = oracle_structure() {
        let mut g = c.benchmark_group("smfe11ti_104_atoms_0.496A_0-120deg");
        g.sample_size(20).measurement_time(Duration::from_secs(5));
        let pmg = Simulator::new(
            PowderParams::pymatgen(Wavelength::synchrotron(0.496)).two_theta_range(0.0, 120.0),
        )
        .ok();
        let wk = Simulator::new(
            PowderParams::new()
                .radiation(Wavelength::synchrotron(0.496))
                .two_theta_range(0.0, 120.0),
        )
        .ok();
        if let (Some(pmg), Some(wk)) = (pmg, wk) {
            g.bench_function("peaks_pymatgen_compatible", |b| {
                b.iter(|| black_box(pmg.peaks(black_box(&s)).ok()))
            });
            g.bench_function("peaks_waasmaier_kirfel", |b| {
                b.iter(|| black_box(wk.peaks(black_box(&s)).ok()))
            });
            if let (Ok(grid), Ok(peaks)) = (Grid::new(0.01, 0.01, 12_000), wk.peaks(&s)) {
                let profile = Profile::pseudo_voigt(0.5, 0.03);
                g.bench_function("render_pseudo_voigt_12000_points", |b| {
                    b.iter(|| black_box(wk.render(black_box(&peaks), &grid, &profile).ok()))
                });
            }
        }
        g.finish();
    }
    let mut g = c.benchmark_group("builtin_dataset");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let params = BuiltinParams::default();
    g.bench_function("build_150_patterns_11900_points", |b| {
        b.iter(|| black_box(params.build().ok()))
    });
    g.finish();

    let mut g = c.benchmark_group("xrd_sim");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    let training = TrainingPatternParams::new();
    cpu_time("training batch 1000", || training.batch(1, 0, 1000).ok());
    g.bench_function("training_batch_1000", |b| {
        b.iter(|| black_box(training.batch(black_box(1), 0, 1000).ok()))
    });
    // The same without moyo's check of each crystal (some labels then wrong): its cost.
    let unchecked =
        TrainingPatternParams::new().crystal(SyntheticCrystalParams::new().check_symmetry(None));
    cpu_time("training batch 1000, unchecked", || {
        unchecked.batch(1, 0, 1000).ok()
    });
    g.bench_function("training_batch_1000_unchecked", |b| {
        b.iter(|| black_box(unchecked.batch(black_box(1), 0, 1000).ok()))
    });
    // The recipe xrd-classify trains on: larger, mineral-sized crystals.
    let mineral = TrainingPatternParams::new().crystal(SyntheticCrystalParams::mineral_like());
    cpu_time("training batch 1000, mineral-like", || {
        mineral.batch(1, 0, 1000).ok()
    });
    g.bench_function("training_batch_1000_mineral_like", |b| {
        b.iter(|| black_box(mineral.batch(black_box(1), 0, 1000).ok()))
    });
    let crystals = SyntheticCrystalParams::new();
    g.bench_function("synthetic_crystals_230", |b| {
        b.iter(|| {
            let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
            for n in 1..=230u8 {
                black_box(crystals.generate(n, &mut rng).ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
