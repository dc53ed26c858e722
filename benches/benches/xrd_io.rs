//! xrd-io hot paths: parsing a 12,000-point xy file and an XRDML file (MB/s), resampling 150
//! patterns onto the paper's 11,900-point grid, and reading a NumPy `.npz` of 457 × 8,500 `f32`
//! patterns with labels (the shape of `measured/rruff_dev.npz`). Inputs are generated here with
//! a fixed seed.

// Bench inputs are built in place from fixed formulas; a failure is a bug in the bench.
#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_io::{Dataset, Grid, OutOfRange, Pattern};

/// Fixed seed for the synthetic inputs.
const SEED: u64 = 0x5EED_0001;
/// Points of the parsed files.
const POINTS: usize = 12_000;
/// Patterns resampled per iteration.
const PATTERNS: usize = 150;

/// Counts of a noisy pattern with a few Gaussian peaks, as a diffractometer would write them.
fn counts(rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<f64> {
    let peaks: Vec<(f64, f64)> = (0..12)
        .map(|_| {
            (
                rng.random_range(0.0..n as f64),
                rng.random_range(500.0..20_000.0),
            )
        })
        .collect();
    (0..n)
        .map(|i| {
            let peak: f64 = peaks
                .iter()
                .map(|&(c, h)| h * (-((i as f64 - c) / 8.0).powi(2)).exp())
                .sum();
            (200.0 + peak + rng.random_range(0.0..30.0)).round()
        })
        .collect()
}

fn xy_file(rng: &mut Xoshiro256PlusPlus) -> String {
    let mut s = String::from("# 2theta intensity\n");
    for (i, y) in counts(rng, POINTS).iter().enumerate() {
        let _ = writeln!(s, "{:.4}\t{y}", 5.0 + i as f64 * 0.01);
    }
    s
}

fn xrdml_file(rng: &mut Xoshiro256PlusPlus) -> String {
    let y: Vec<String> = counts(rng, POINTS).iter().map(|v| v.to_string()).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">
  <sample type="To be analyzed"><name>bench</name></sample>
  <xrdMeasurement measurementType="Scan">
    <usedWavelength intended="K-Alpha 1"><kAlpha1 unit="Angstrom">1.5405980</kAlpha1><kAlpha2 unit="Angstrom">1.5444260</kAlpha2><ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1></usedWavelength>
    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio">
      <dataPoints>
        <positions axis="2Theta" unit="deg"><startPosition>5.0000</startPosition><endPosition>{:.4}</endPosition></positions>
        <commonCountingTime unit="seconds">0.400</commonCountingTime>
        <intensities unit="counts">{}</intensities>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
"#,
        5.0 + (POINTS - 1) as f64 * 0.01,
        y.join(" ")
    )
}

fn parse(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut group = c.benchmark_group("xrd_io/parse");
    for (name, file) in [
        ("xy_12000", xy_file(&mut rng)),
        ("xrdml_12000", xrdml_file(&mut rng)),
    ] {
        group.throughput(Throughput::Bytes(file.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            file.as_bytes(),
            |b, bytes| b.iter(|| xrd_io::read_bytes(black_box(bytes), Some(name)).map(|p| p.len())),
        );
    }
    group.finish();
}

fn resample(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED + 1);
    // Measured patterns with their own (slightly different) uniform axes, as from a diffractometer.
    let patterns: Result<Vec<Pattern>, _> = (0..PATTERNS)
        .map(|_| {
            let start = rng.random_range(0.5..2.0);
            let step = rng.random_range(0.008..0.012);
            Pattern::uniform(start, step, counts(&mut rng, POINTS))
        })
        .collect();
    let patterns = match patterns {
        Ok(p) => p,
        Err(e) => panic!("synthetic patterns are valid: {e}"),
    };
    let grid = Grid::paper();
    let mut group = c.benchmark_group("xrd_io/resample");
    group.throughput(Throughput::Elements((PATTERNS * grid.len()) as u64));
    group.bench_function("150_patterns_to_11900_f32", |b| {
        b.iter(|| {
            Dataset::<f32>::from_patterns(black_box(&patterns), grid, OutOfRange::Zero)
                .map(|d| d.len())
        })
    });
    group.finish();
}

/// Patterns and points of the `.npz` read (the shape of `measured/rruff_dev.npz`).
const NPZ_SHAPE: (usize, usize) = (457, 8500);

fn numpy(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED + 2);
    let (n, points) = NPZ_SHAPE;
    let grid = Grid::new(5.0, 0.01, points).expect("valid grid");
    let patterns = ndarray::Array2::from_shape_fn((n, points), |_| rng.random::<f32>());
    let labels = ndarray::Array2::from_shape_fn((n, 2), |(_, j)| {
        if j == 0 {
            f64::from(rng.random_range(1u8..231))
        } else {
            f64::from(rng.random_range(1u8..8))
        }
    });
    let names = (0..n).map(|i| format!("p{i}")).collect();
    let label_names = vec!["space_group".to_owned(), "crystal_system".to_owned()];
    let d = Dataset::new(grid, patterns, names, labels, label_names).expect("consistent dataset");
    let path = std::env::temp_dir().join(format!("xrd-io-bench-{}.npz", std::process::id()));
    d.write_npz(&path).expect("write the bench file");
    let bytes = std::fs::read(&path).expect("read the bench file back");
    let _ = std::fs::remove_file(&path);
    let mut group = c.benchmark_group("xrd_io/numpy");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("read_npz_457x8500_f32", |b| {
        b.iter(|| Dataset::<f32>::from_npz_bytes(black_box(&bytes), None).map(|d| d.len()))
    });
    group.finish();
}

criterion_group!(benches, parse, resample, numpy);
criterion_main!(benches);
