//! xrd-classify: the shipped classifier (`xrd-classify/models/classifier.safetensors`: four
//! networks 512 → 512 → 256 → 230 on the autocorrelation input) predicting the 457 measured
//! RRUFF patterns of `../shared/data/measured/rruff_dev.npz` (input transform and networks), and
//! one training step of one default network (ReLU, dropout 0.3, softmax + cross-entropy, Adam)
//! on a minibatch of the default 64 rows.
//!
//! `predict_rruff_457_shipped` times the networks alone (`with_indexing(None)`, what the
//! reference computes); the indexing a default prediction adds is benched in `xrd_index`.
//!
//! Compare with `benches/reference/classifier_state_dict.py MODEL --data RRUFF --bench` (the same
//! model and patterns) and `benches/reference/torch_classifier.py --bench --inputs 512 --hidden
//! 512,256 --batch 64` (the same network and rows). Without the RRUFF file the predict bench is
//! skipped with a message.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Adam, Loss, Network, Trainer};
use xrd_benches::RRUFF;
use xrd_benches::{cpu_time, one_hot};
use xrd_classify::{Classifier, DEFAULT_AUTOCORRELATION, DEFAULT_DROPOUT, DEFAULT_HIDDEN};

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../xrd-classify/models/classifier.safetensors"
);
/// Rows per minibatch of `ClassifierParams`' default.
const BATCH: usize = 64;

fn predict(c: &mut Criterion) {
    if !Path::new(RRUFF).exists() {
        eprintln!("xrd_classify/predict_rruff_457_shipped skipped: no {RRUFF}");
        return;
    }
    let model = Classifier::load(SHIPPED)
        .unwrap()
        .with_indexing(None)
        .unwrap();
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    assert_eq!(
        data.grid,
        model.grid(),
        "RRUFF patterns are not on the model's grid"
    );
    let x = data.patterns;
    let mut group = c.benchmark_group("xrd_classify");
    group.sample_size(10);
    group.throughput(Throughput::Elements(x.nrows() as u64));
    group.bench_function("predict_rruff_457_shipped", |b| {
        b.iter(|| model.predict(&x).unwrap())
    });
    group.finish();
    cpu_time("classifier predict, 457 RRUFF patterns", || {
        model.predict(&x).unwrap()
    });
}

/// Rows shaped like the classifier's input (an autocorrelation: 1 at lag 0, a decay and a
/// ripple, nowhere zero) — `autocorrelation_like` of `torch_classifier.py`.
fn autocorrelation_like(n: usize, lags: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, lags), |(i, k)| {
        let (i, k) = (i as f64, k as f64);
        let decay = (-k / (20.0 + (i % 7.0))).exp();
        let ripple = 0.5 + 0.5 * (0.05 * k * (1.0 + (i % 5.0) / 10.0)).cos();
        (0.5 * decay + 0.5 * ripple * (-k / 300.0).exp()) as f32
    })
}

fn train_step(c: &mut Criterion) {
    let [h1, h2] = DEFAULT_HIDDEN;
    let inputs = DEFAULT_AUTOCORRELATION;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let net = Network::<f32>::params()
        .layer(h1, Activation::Relu)
        .dropout(DEFAULT_DROPOUT)
        .layer(h2, Activation::Relu)
        .dropout(DEFAULT_DROPOUT)
        .layer(230, Activation::Identity)
        .loss(Loss::CrossEntropy)
        .build(inputs, &mut rng)
        .unwrap();
    let x = autocorrelation_like(BATCH, inputs);
    let y = one_hot(BATCH, 230);
    let mut trainer = Trainer::new(net, Loss::CrossEntropy, Adam::default(), BATCH)
        .unwrap()
        .with_rng(&mut rng);
    let mut group = c.benchmark_group("xrd_classify");
    group.sample_size(20);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("train_step_default_batch64", |b| {
        b.iter(|| trainer.step(x.view(), y.view()).unwrap())
    });
    group.finish();
    cpu_time("default classifier network, train step, batch 64", || {
        trainer.step(x.view(), y.view()).unwrap()
    });
}

criterion_group!(benches, predict, train_step);
criterion_main!(benches);
