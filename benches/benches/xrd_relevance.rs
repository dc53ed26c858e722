//! Relevance profiles `Dev(2θ)` of one 11,900-point pattern through the paper's encoder
//! (11,900 → 128 → 64 → 12 → 2, f32, PyTorch-default random weights: timing does not depend on
//! training), Δ = 0.03° (3 points, stride 3 → 3,967 windows).
//!
//! * `exact/dense`: every window carries intensity (peaks on a background), so no window is
//!   skipped — the worst case, and the one comparable with `benches/reference/torch_relevance.py`.
//! * `exact/sparse`: a simulated-like pattern (Gaussian peaks cut at 5 FWHM, zero background):
//!   windows that remove nothing are skipped.
//! * `generic/dense`: the same profile through the generic path (every masked copy encoded by
//!   `Autoencoder::encode`, 256 at a time, batches in parallel) — the naive algorithm in Rust.
#![allow(clippy::expect_used)] // fixtures built by the bench itself

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Autoencoder, PAPER_INPUTS};
use xrd_io::Grid;
use xrd_relevance::Relevance;

/// A pattern of 80 Gaussian peaks (FWHM 0.05°, cut at 5 FWHM), max 1, plus `background`.
fn pattern(grid: &Grid, background: f32, rng: &mut Xoshiro256PlusPlus) -> Array1<f32> {
    let mut x = Array1::from_elem(grid.len(), background);
    let fwhm = 0.05;
    let sigma = fwhm / 2.354_820_045;
    for _ in 0..80 {
        let c = rng.random_range(grid.start()..grid.end());
        let h = rng.random_range(0.02..1.0f64);
        let lo = grid
            .nearest_index((c - 5.0 * fwhm).max(grid.start()))
            .unwrap_or(0);
        let hi = grid
            .nearest_index((c + 5.0 * fwhm).min(grid.end()))
            .unwrap_or(grid.len() - 1);
        for i in lo..=hi {
            let d = (grid.x(i) - c) / sigma;
            x[i] += (h * (-0.5 * d * d).exp()) as f32;
        }
    }
    x
}

fn bench(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2022);
    let grid = Grid::paper();
    assert_eq!(grid.len(), PAPER_INPUTS);
    let ae = Autoencoder::<f32>::params()
        .build(PAPER_INPUTS, &mut rng)
        .expect("paper network");
    let dense = pattern(&grid, 0.01, &mut rng);
    let sparse = pattern(&grid, 0.0, &mut rng);
    let rel = Relevance::params()
        .build(&grid)
        .expect("default parameters");
    assert_eq!(rel.windows().len(), 3_967);

    let mut g = c.benchmark_group("xrd_relevance");
    g.bench_function("exact/dense", |b| {
        b.iter(|| rel.profile_exact(&ae, dense.view()).expect("profile"))
    });
    g.bench_function("exact/sparse", |b| {
        b.iter(|| rel.profile_exact(&ae, sparse.view()).expect("profile"))
    });
    g.sample_size(10);
    g.bench_function("generic/dense", |b| {
        b.iter(|| rel.profile(&ae, dense.view()).expect("profile"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
