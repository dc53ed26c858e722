//! Criterion benches of xrd-latent.
//!
//! The headline is painting a 1000 × 1000 map from 150 known points (paper Fig. 4), compared
//! with `scipy.interpolate.griddata(..., method="linear")` on the same points and queries by
//! `benches/reference/scipy_griddata.py`. Both generate the points with the formula of
//! [`known_points`]. Set `XRD_LATENT_DUMP=/path/prefix` to also write this crate's painted map
//! (`prefix.values.f64`: ny × nx × 2 little-endian, `prefix.kind.u8`: 0 inside, 1 inside-k,
//! 2 outside) for the script's `--compare` mode.

// Bench inputs are built in place from fixed formulas; a failure is a bug in the bench.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::io::Write;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use xrd_latent::{EstimateKind, PaintGrid, TriangleEstimator};

/// Number of known points (the paper's order of magnitude of training patterns).
const N_POINTS: usize = 150;
/// Painted map size.
const SIDE: usize = 1000;

/// Known points: [`xrd_benches::paint_known_points`] (mirrored in `scipy_griddata.py`).
fn known_points(n: usize) -> (Array2<f64>, Array2<f64>) {
    xrd_benches::paint_known_points(n)
}

fn grid(pts: &Array2<f64>, side: usize) -> PaintGrid {
    let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
    PaintGrid::around(&p, 0.05, side, side).expect("valid grid")
}

fn dump(est: &TriangleEstimator<f64>, g: &PaintGrid, prefix: &str) -> std::io::Result<()> {
    let map = est.paint(g).map_err(std::io::Error::other)?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(format!("{prefix}.values.f64"))?);
    for v in &map.values {
        f.write_all(&v.to_le_bytes())?;
    }
    let queries = Array2::from_shape_fn((g.nx * g.ny, 2), |(k, d)| {
        if d == 0 {
            map.x[k % g.nx]
        } else {
            map.y[k / g.nx]
        }
    });
    let kinds: Vec<u8> = est
        .estimate_all(queries.view())
        .map_err(std::io::Error::other)?
        .iter()
        .map(|e| match e.kind {
            EstimateKind::Inside => 0,
            EstimateKind::InsideKNearest => 1,
            EstimateKind::Outside { .. } => 2,
        })
        .collect();
    std::fs::write(format!("{prefix}.kind.u8"), kinds)
}

fn bench(c: &mut Criterion) {
    let (pts, vals) = known_points(N_POINTS);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .expect("fit");
    let g = grid(&pts, SIDE);
    if let Ok(prefix) = std::env::var("XRD_LATENT_DUMP") {
        dump(&est, &g, &prefix).expect("dump painted map");
    }

    let mut paint = c.benchmark_group("xrd_latent/paint");
    paint.sample_size(10);
    paint.throughput(Throughput::Elements((SIDE * SIDE) as u64));
    paint.bench_function(BenchmarkId::new("f64", "1000x1000_from_150"), |b| {
        b.iter(|| est.paint(black_box(&g)).expect("paint"))
    });
    let (p32, v32) = (pts.mapv(|x| x as f32), vals.mapv(|x| x as f32));
    let est32 = TriangleEstimator::params()
        .fit(p32.view(), v32.view())
        .expect("fit");
    paint.bench_function(BenchmarkId::new("f32", "1000x1000_from_150"), |b| {
        b.iter(|| est32.paint(black_box(&g)).expect("paint"))
    });
    paint.finish();

    let mut single = c.benchmark_group("xrd_latent/query");
    single.bench_function("estimate_inside", |b| {
        b.iter(|| est.estimate(black_box([0.43, 0.61])))
    });
    single.bench_function("estimate_outside", |b| {
        b.iter(|| est.estimate(black_box([1.3, -0.2])))
    });
    let target = est.estimate([0.43, 0.61]).value;
    let _ = est.locate(&[(0, target[0]), (1, target[1])]); // builds the candidate list once
    single.bench_function("locate_2_components", |b| {
        b.iter(|| {
            est.locate(black_box(&[(0, target[0]), (1, target[1])]))
                .expect("reachable")
        })
    });
    single.bench_function("knn_16", |b| {
        b.iter(|| est.index().k_nearest(black_box([0.43, 0.61]), 16))
    });
    single.bench_function("fit_150", |b| {
        b.iter(|| {
            TriangleEstimator::params()
                .fit(black_box(pts.view()), vals.view())
                .expect("fit")
        })
    });
    single.sample_size(10);
    single.bench_function("leave_one_out_150", |b| {
        b.iter(|| {
            TriangleEstimator::params()
                .leave_one_out(black_box(pts.view()), vals.view())
                .expect("loo")
        })
    });
    single.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
