//! Training: determinism, progress, validation, early stopping, ensembles, errors.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use ndarray::{Array2, s};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{
    Activation, Adam, Autoencoder, AutoencoderParams, EarlyStopping, Error, Loss, Network, Progress,
};

/// Peaks at shifting positions: a toy "XRD" data set of `n` patterns of `m` points.
fn patterns(n: usize, m: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, m), |(i, j)| {
        let c = 3.0 + (m as f64 - 6.0) * i as f64 / n as f64;
        (-((j as f64 - c) / 1.5).powi(2)).exp() as f32
    })
}

fn small() -> AutoencoderParams<f32> {
    Autoencoder::params()
        .hidden(&[12, 6])
        .latent(2)
        .epochs(20)
        .batch_size(4)
}

fn weights(ae: &Autoencoder<f32>) -> Vec<Vec<f32>> {
    ae.encoder()
        .layers()
        .iter()
        .chain(ae.decoder().layers())
        .map(|l| l.weight().iter().chain(l.bias().iter()).copied().collect())
        .collect()
}

#[test]
fn same_seed_gives_bit_identical_weights() {
    let data = patterns(30, 24);
    let fit = |seed| {
        small()
            .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(seed), |_| {})
            .unwrap()
    };
    let (a, b, c) = (fit(1), fit(1), fit(2));
    assert_eq!(weights(&a), weights(&b));
    assert_eq!(a.history(), b.history());
    assert_ne!(weights(&a), weights(&c));
}

#[test]
fn large_layers_are_deterministic_across_threaded_kernels() {
    // Wide enough that the GEMMs and the Adam update split work between threads.
    let data = patterns(24, 3000);
    let p = Autoencoder::<f32>::params()
        .hidden(&[40])
        .latent(2)
        .epochs(2)
        .batch_size(10);
    let fit = || {
        p.fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(9), |_| {})
            .unwrap()
    };
    assert_eq!(weights(&fit()), weights(&fit()));
}

#[test]
fn weights_do_not_depend_on_the_number_of_threads() {
    let data = patterns(24, 3000);
    let p = Autoencoder::<f32>::params()
        .hidden(&[40])
        .latent(2)
        .epochs(2)
        .batch_size(10);
    let fit = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            p.fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(9), |_| {})
                .unwrap()
        })
    };
    let (one, two, three) = (fit(1), fit(2), fit(3));
    assert_eq!(weights(&one), weights(&two));
    assert_eq!(weights(&one), weights(&three));
    assert_eq!(one.encode(&data).unwrap(), three.encode(&data).unwrap());
}

#[test]
fn training_reduces_the_loss_and_reports_every_epoch() {
    let data = patterns(40, 24);
    let mut seen = Vec::new();
    let ae = small()
        .epochs(60)
        .fit(
            &data,
            &mut Xoshiro256PlusPlus::seed_from_u64(3),
            |p: &Progress| seen.push(*p),
        )
        .unwrap();
    let h = ae.history();
    assert_eq!(seen.len(), 60);
    assert_eq!(h.train.len(), 60);
    assert_eq!(h.validation.len(), 60);
    assert_eq!(h.validation_rows.len(), 4);
    assert_eq!(seen[59].epoch, 60);
    assert_eq!(seen[59].val_loss, Some(h.validation[59]));
    assert!(h.train[59] < h.train[0] / 2.0, "{:?}", h.train);
    // The validation loss is the model's loss on the held-out rows.
    let rows = data.select(ndarray::Axis(0), &h.validation_rows);
    let val = ae.reconstruction_loss(&rows).unwrap();
    assert!(
        (val - h.validation[59]).abs() <= 1e-6 * val.max(1e-3),
        "{val} vs {}",
        h.validation[59]
    );
}

#[test]
fn early_stopping_stops_and_restores_the_best_epoch() {
    let data = patterns(20, 16);
    let ae = small()
        .epochs(2000)
        .optimizer(Adam {
            lr: 0.05,
            ..Adam::default()
        })
        .early_stopping(EarlyStopping {
            patience: 5,
            min_delta: 1e-3,
        })
        .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(4), |_| {})
        .unwrap();
    let h = ae.history();
    assert!(h.stopped_early);
    assert!(h.train.len() < 2000);
    let best = h.best_epoch.unwrap();
    assert_eq!(h.train.len(), best + 5);
    let rows = data.select(ndarray::Axis(0), &h.validation_rows);
    let val = ae.reconstruction_loss(&rows).unwrap();
    assert!((val - h.validation[best - 1]).abs() <= 1e-6 * val.max(1e-3));
}

#[test]
fn ensemble_keeps_one_distinct_model_per_seed() {
    let data = patterns(20, 16);
    let mut calls = vec![0; 3];
    let models = small()
        .epochs(3)
        .fit_ensemble(&data, &[1, 2, 3], |i, _| calls[i] += 1)
        .unwrap();
    assert_eq!(models.len(), 3);
    assert_eq!(calls, vec![3, 3, 3]);
    assert_ne!(weights(&models[0]), weights(&models[1]));
    let single = small()
        .epochs(3)
        .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(2), |_| {})
        .unwrap();
    assert_eq!(weights(&models[1]), weights(&single));
    assert!(matches!(
        small().fit_ensemble(&data, &[], |_, _| {}),
        Err(Error::InvalidParameter(p)) if p.name == "seeds"
    ));
}

#[test]
fn nan_and_infinite_inputs_are_errors() {
    let mut data = patterns(20, 16);
    data[(3, 5)] = f32::NAN;
    let err = small()
        .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {})
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite(xrd_core::NonFinite {
                at: xrd_core::Location::Cell { row: 3, col: 5 },
                ..
            })
        ),
        "{err}"
    );
    data[(3, 5)] = f32::INFINITY;
    assert!(matches!(
        small().fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {}),
        Err(Error::NonFinite(e)) if e.value.is_infinite()
    ));
    let ae = small()
        .build(16, &mut Xoshiro256PlusPlus::seed_from_u64(1))
        .unwrap();
    assert!(matches!(ae.encode(&data), Err(Error::NonFinite(_))));
    assert!(matches!(
        ae.encode(&data.slice(s![.., ..15])),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        ae.decode(&Array2::<f32>::zeros((2, 3))),
        Err(Error::ShapeMismatch(_))
    ));
}

#[test]
fn a_diverging_loss_is_an_error_not_a_nan_model() {
    let data = patterns(20, 16);
    let err = small()
        .optimizer(Adam {
            lr: 1e30,
            ..Adam::default()
        })
        .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {})
        .unwrap_err();
    assert!(matches!(err, Error::Diverged { .. }), "{err}");
}

#[test]
fn too_few_rows_is_an_error() {
    let data = patterns(1, 16);
    assert!(matches!(
        small().fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {}),
        Err(Error::TooFewSamples(_))
    ));
}

#[test]
fn encode_decode_and_layers_are_consistent() {
    let ae = small()
        .build(16, &mut Xoshiro256PlusPlus::seed_from_u64(5))
        .unwrap();
    let data = patterns(7, 16);
    let z = ae.encode(&data).unwrap();
    assert_eq!(z.dim(), (7, 2));
    assert!(z.iter().all(|v| v.abs() <= 1.0), "tanh bottleneck");
    let r = ae.reconstruct(&data).unwrap();
    assert_eq!(r, ae.decode(&z).unwrap());
    // forward_from(i) continues from the output of layer i − 1.
    let enc = ae.encoder();
    let h1 = enc.layers()[0].forward(data.view());
    assert_eq!(enc.forward_from(1, h1.view()), z);
    assert_eq!(enc.forward_from(enc.layers().len(), z.view()), z);
    let mut pre = data.dot(&enc.layers()[0].weight().t()) + enc.layers()[0].bias();
    enc.layers()[0].activate(pre.view_mut());
    for (a, b) in pre.iter().zip(&h1) {
        assert!((a - b).abs() <= 1e-6);
    }
    assert_eq!(
        ae.num_parameters(),
        2 * (16 * 12 + 12 * 6 + 6 * 2) + 12 + 6 + 2 + 6 + 12 + 16
    );
}

#[test]
fn a_pearson_regressor_learns_composition_to_pattern() {
    // Inputs: a scalar "composition" in [0, 1]; targets: a peak whose position follows it.
    let n = 24;
    let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64 / n as f64);
    let y = Array2::from_shape_fn((n, 20), |(i, j)| {
        let c = 4.0 + 12.0 * i as f64 / n as f64;
        (-((j as f64 - c) / 2.0).powi(2)).exp()
    });
    let net = Network::<f64>::params()
        .layer(16, Activation::Tanh)
        .layer(20, Activation::Identity)
        .loss(Loss::Pearson)
        .epochs(300)
        .batch_size(6)
        .optimizer(Adam {
            lr: 1e-2,
            ..Adam::default()
        })
        .fit(&x, &y, &mut Xoshiro256PlusPlus::seed_from_u64(8), |_| {})
        .unwrap();
    let h = net.history();
    assert!(
        h.train.last().unwrap() < &0.2,
        "{:?}",
        &h.train[h.train.len() - 5..]
    );
    assert_eq!(net.predict(&x).unwrap().dim(), (n, 20));
    let bad = Network::<f64>::params().layer(3, Activation::Identity);
    assert!(matches!(
        bad.fit(&x, &y, &mut Xoshiro256PlusPlus::seed_from_u64(8), |_| {}),
        Err(Error::ShapeMismatch(_))
    ));
}

/// A `Trainer::epoch` leaves the same bits as the same minibatches through `Trainer::step`,
/// with a partly zero (sparse) input and a ragged last minibatch.
#[test]
fn epoch_equals_its_steps_bit_for_bit() {
    use xrd_ae::{Init, Trainer};
    let mut data = patterns(23, 301);
    data.slice_mut(s![.., 40..90]).fill(0.0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let net = Network::<f32>::params()
        .layer(20, Activation::Relu)
        .layer(2, Activation::Tanh)
        .layer(20, Activation::Relu)
        .layer(301, Activation::Identity)
        .init(Init::Torch)
        .build(301, &mut rng)
        .unwrap();
    let adam = Adam::default();
    let rows: Vec<usize> = vec![5, 3, 17, 0, 22, 9, 1, 14, 8, 11, 2, 19, 7];
    let mut by_epoch = Trainer::new(net.clone(), Loss::Mse, adam, 4).unwrap();
    let mut by_step = Trainer::new(net, Loss::Mse, adam, 4).unwrap();
    for _ in 0..3 {
        let mean = by_epoch.epoch(data.view(), None, &rows).unwrap();
        let mut sum = 0.0;
        for chunk in rows.chunks(4) {
            let x = data.select(ndarray::Axis(0), chunk);
            sum += f64::from(by_step.step(x.view(), x.view()).unwrap()) * chunk.len() as f64;
        }
        assert_eq!(mean, sum / rows.len() as f64);
    }
    for (a, b) in by_epoch
        .network()
        .layers()
        .iter()
        .zip(by_step.network().layers())
    {
        assert_eq!(a.weight(), b.weight());
        assert_eq!(a.bias(), b.bias());
    }
}

/// `Trainer::epoch` refuses empty or out-of-range row lists and mismatched targets.
#[test]
fn epoch_rejects_bad_rows_and_targets() {
    use xrd_ae::Trainer;
    let data = patterns(6, 24);
    let net = small()
        .build(24, &mut Xoshiro256PlusPlus::seed_from_u64(1))
        .unwrap();
    let mut layers = net.encoder().layers().to_vec();
    layers.extend(net.decoder().layers().iter().cloned());
    let mut t = Trainer::new(Network::new(layers).unwrap(), Loss::Mse, Adam::default(), 4).unwrap();
    assert!(matches!(
        t.epoch(data.view(), None, &[]),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        t.epoch(data.view(), None, &[0, 6]),
        Err(Error::ShapeMismatch(_))
    ));
    let short = patterns(5, 24);
    assert!(matches!(
        t.epoch(data.view(), Some(short.view()), &[0]),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(
        t.epoch(data.view(), Some(data.view()), &[0, 1, 2, 3, 4, 5])
            .unwrap()
            .is_finite()
    );
}
