//! xrd-ae: one training step (batch 10 × 11,900), one epoch of 135 patterns and encoding 150
//! patterns with the paper's network (11,900 → 128 → 64 → 12 → 2 → … → 11,900), f32; and the
//! space-group classifier network 8500 → 1024 → 512 → 230 (ReLU, dropout 0.3, softmax +
//! cross-entropy): one Adam step on 128 patterns and predicting 1000 patterns (compare with
//! `benches/reference/torch_classifier.py --bench`, same dense patterns).
//!
//! Compare with `benches/reference/torch_autoencoder.py --bench` (same synthetic patterns). The
//! `_builtin` variants run on the simulated data set of `xrd-sim` (≈ 4 s to build), whose
//! patterns are dense (≈ 97 % of the columns of a batch are non-zero), so the zero-column
//! skipping that helps the synthetic patterns does not apply there.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, Axis, s};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Adam, Autoencoder, Loss, Network, PAPER_INPUTS, Trainer};
use xrd_benches::{cpu_time, dense_patterns, one_hot};

/// The classifier's input width, hidden widths and classes.
const CLASSIFIER: (usize, [usize; 2], usize) = (8500, [1024, 512], 230);

/// The classifier benches: one Adam step on 128 patterns, predicting 1000 patterns.
fn classifier(c: &mut Criterion) {
    let (inputs, [h1, h2], classes) = CLASSIFIER;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let net = Network::<f32>::params()
        .layer(h1, Activation::Relu)
        .dropout(0.3)
        .layer(h2, Activation::Relu)
        .dropout(0.3)
        .layer(classes, Activation::Identity)
        .loss(Loss::CrossEntropy)
        .build(inputs, &mut rng)
        .unwrap();
    let x = dense_patterns(128, inputs);
    let y = one_hot(128, classes);
    let mut trainer = Trainer::new(net.clone(), Loss::CrossEntropy, Adam::default(), 128)
        .unwrap()
        .with_rng(&mut rng);
    let mut group = c.benchmark_group("xrd_ae");
    group.sample_size(10);
    group.throughput(Throughput::Elements(128));
    group.bench_function("classifier_train_step_batch128", |b| {
        b.iter(|| trainer.step(x.view(), y.view()).unwrap())
    });
    let many = dense_patterns(1000, inputs);
    group.throughput(Throughput::Elements(1000));
    group.bench_function("classifier_predict_1000", |b| {
        b.iter(|| net.predict(&many).unwrap())
    });
    group.finish();
    cpu_time("classifier train step, batch 128", || {
        trainer.step(x.view(), y.view()).unwrap()
    });
    cpu_time("classifier predict 1000", || net.predict(&many).unwrap());
    eprintln!(
        "xrd-ae kernels: {} ({}=avx2|portable caps them) on {}; plan {} ({} pins it)",
        xrd_ae::instruction_set().name(),
        xrd_ae::ISA_ENV,
        xrd_benches::cpu_model(),
        match xrd_ae::plan() {
            Ok(plan) => plan.to_string(),
            Err(e) => format!("default, since {e}"),
        },
        xrd_ae::PLAN_ENV
    );
}

/// The synthetic patterns of the reference script: 80 Gaussian peaks (σ 3 points, exactly zero
/// beyond 12 points) at shared positions with small per-pattern shifts, rows scaled to max 1.
fn synthetic_patterns(n: usize, points: usize) -> Array2<f32> {
    let mut out = Array2::<f64>::zeros((n, points));
    for i in 0..n {
        for k in 0..80usize {
            let centre = (500 + (k * 9973) % (points - 1000) + (i * 31 + k * 17) % 11) as i64 - 5;
            let height = 0.1 + 0.9 * (((i * 7 + k * 13) % 100) as f64 / 100.0);
            for j in (centre - 12).max(0)..=(centre + 12).min(points as i64 - 1) {
                let d = (j - centre) as f64 / 3.0;
                out[(i, j as usize)] += height * (-0.5 * d * d).exp();
            }
        }
        let max = out.row(i).fold(0.0f64, |m, &v| m.max(v));
        out.row_mut(i).mapv_inplace(|v| v / max);
    }
    out.mapv(|v| v as f32)
}

fn paper_network(rng: &mut Xoshiro256PlusPlus) -> (Autoencoder<f32>, Network<f32>) {
    let ae = Autoencoder::<f32>::params()
        .build(PAPER_INPUTS, rng)
        .unwrap();
    let mut layers = ae.encoder().layers().to_vec();
    layers.extend(ae.decoder().layers().iter().cloned());
    (ae, Network::new(layers).unwrap())
}

fn bench(c: &mut Criterion) {
    let data = synthetic_patterns(150, PAPER_INPUTS);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let (ae, net) = paper_network(&mut rng);
    let mut trainer = Trainer::new(net, Loss::Mse, Adam::default(), 10).unwrap();
    let mut group = c.benchmark_group("xrd_ae");
    group.sample_size(20);

    let batch = data.slice(s![..10, ..]).to_owned();
    group.bench_function("train_step_batch10_paper", |b| {
        b.iter(|| trainer.step(batch.view(), batch.view()).unwrap())
    });

    // One epoch as `fit` runs it (`Trainer::epoch`): 135 training rows, shuffled, minibatches of
    // 10 (the last of 5).
    let mut order: Vec<usize> = (0..150).collect();
    order.shuffle(&mut rng);
    let mut train: Vec<usize> = order[15..].to_vec();
    group.bench_function("epoch_135_patterns_paper", |b| {
        b.iter(|| {
            train.shuffle(&mut rng);
            trainer.epoch(data.view(), None, &train).unwrap()
        })
    });

    group.bench_function("encode_150_patterns_paper", |b| {
        b.iter(|| ae.encode(&data).unwrap())
    });

    let builtin = xrd_sim::builtin::BuiltinParams::default()
        .build()
        .unwrap()
        .patterns
        .mapv(|v| v as f32);
    let n = builtin.nrows();
    let mut train: Vec<usize> = (n / 10..n).collect();
    group.bench_function("epoch_builtin_patterns_paper", |b| {
        b.iter(|| {
            train.shuffle(&mut rng);
            trainer.epoch(builtin.view(), None, &train).unwrap()
        })
    });
    let first = builtin.slice(s![..150.min(n), ..]).to_owned();
    group.bench_function("encode_150_builtin_patterns_paper", |b| {
        b.iter(|| ae.encode(&first).unwrap())
    });
    group.finish();
    cpu_time("epoch, built-in patterns", || {
        train.shuffle(&mut rng);
        trainer.epoch(builtin.view(), None, &train).unwrap()
    });
    cpu_time("encode 150 built-in patterns", || {
        ae.encode(&first).unwrap()
    });

    let density = data.iter().filter(|&&v| v != 0.0).count() as f64 / data.len() as f64;
    let batch_cols = batch
        .axis_iter(Axis(1))
        .filter(|c| c.iter().any(|&v| v != 0.0))
        .count();
    eprintln!(
        "synthetic patterns: {:.1} % non-zero values; {batch_cols} of {PAPER_INPUTS} columns non-zero in the first batch",
        100.0 * density
    );
    let row_density = builtin.iter().filter(|&&v| v != 0.0).count() as f64 / builtin.len() as f64;
    let union16 = first
        .axis_chunks_iter(Axis(0), 16)
        .map(|c| {
            c.axis_iter(Axis(1))
                .filter(|col| col.iter().any(|&v| v != 0.0))
                .count()
        })
        .sum::<usize>() as f64
        / (first.nrows().div_ceil(16) * PAPER_INPUTS) as f64;
    let t = std::time::Instant::now();
    let measured = xrd_ae::Plan::measure();
    eprintln!(
        "planner: measuring took {:.1} ms here, finding {measured}",
        1e3 * t.elapsed().as_secs_f64()
    );
    eprintln!(
        "xrd-ae on {}; plan {}",
        xrd_benches::cpu_model(),
        match xrd_ae::plan() {
            Ok(plan) => plan.to_string(),
            Err(e) => format!("default, since {e}"),
        }
    );
    eprintln!(
        "built-in data set: {n} patterns ({} train rows per epoch); {:.1} % non-zero values, {:.1} % of the columns non-zero in a chunk of 16 rows",
        train.len(),
        100.0 * row_density,
        100.0 * union16
    );
}

criterion_group!(benches, bench, classifier);
criterion_main!(benches);
