//! Criterion benches of xrd-interp: generating one pattern with the paper-size decoder
//! (2 → 12 → 64 → 128 → 11,900, random weights) from a generator over 150 training points.
//!
//! The compositions are an affine image of the latent points (scaled to x ∈ [0, 2],
//! y ∈ [0, 0.5]), so every composition inside their hull is reachable and the timing measures the
//! look-up and the decoding, not a failure path.
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::Autoencoder;
use xrd_interp::Generator;
use xrd_io::{Dataset, Grid};

fn generator() -> (Generator<f32>, Vec<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let grid = Grid::paper();
    let ae = Autoencoder::<f32>::params()
        .build(grid.len(), &mut rng)
        .unwrap_or_else(|e| panic!("paper autoencoder: {e}"));
    let n = 150;
    let patterns = Array2::from_shape_fn((n, grid.len()), |_| rng.random::<f32>());
    let z = ae
        .encode(&patterns)
        .unwrap_or_else(|e| panic!("encode: {e}"));
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for row in z.rows() {
        for c in 0..2 {
            lo[c] = lo[c].min(f64::from(row[c]));
            hi[c] = hi[c].max(f64::from(row[c]));
        }
    }
    let top = [2.0, 0.5];
    let labels = Array2::from_shape_fn((n, 2), |(i, c)| {
        top[c] * (f64::from(z[[i, c]]) - lo[c]) / (hi[c] - lo[c])
    });
    // The composition of the centroid of the latent points.
    let target: Vec<f64> = (0..2).map(|c| labels.column(c).sum() / n as f64).collect();
    let names = (0..n).map(|i| format!("p{i}")).collect();
    let data = Dataset::new(grid, patterns, names, labels, vec!["x".into(), "y".into()])
        .unwrap_or_else(|e| panic!("dataset: {e}"));
    let g = Generator::new(ae, &data).unwrap_or_else(|e| panic!("generator: {e}"));
    (g, target)
}

fn bench(c: &mut Criterion) {
    let (g, target) = generator();
    // Warm the estimator's lazily built look-up candidates, as any first call would.
    g.generate(&target)
        .unwrap_or_else(|e| panic!("target reachable: {e}"));
    let mut group = c.benchmark_group("xrd_interp");
    group.bench_function("generate_one_paper_decoder", |b| {
        b.iter(|| g.generate(black_box(&target)))
    });
    group.bench_function("locate_only", |b| b.iter(|| g.locate(black_box(&target))));
    let from = [target[0] * 0.8, target[1]];
    let to = [target[0] * 1.2, target[1]];
    group.bench_function("sweep_21_steps", |b| {
        b.iter(|| g.sweep(black_box(&from), black_box(&to), 21))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
