//! Dropout: PyTorch `nn.Dropout(p)` semantics (seeded masks, inverted scaling, identity at
//! inference), its gradient against central differences with a fixed mask, determinism across
//! thread counts, and the `nn.Sequential` tensor names with dropout modules.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use crate::fixtures::random;
use approx::assert_relative_eq;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Adam, Dense, Error, Init, Loss, Network, Trainer};

/// 5 → 7 (tanh, dropout 0.4) → 6 (ReLU, dropout 0.25) → 3 (identity) in f64.
fn net(rng: &mut Xoshiro256PlusPlus) -> Network<f64> {
    let spec = [
        (5, 7, Activation::Tanh, 0.4),
        (7, 6, Activation::Relu, 0.25),
        (6, 3, Activation::Identity, 0.0),
    ];
    let layers = spec
        .iter()
        .map(|&(i, o, a, p)| {
            let (w, _) = Init::Xavier.draw::<f64, _>(i, o, rng).unwrap();
            let b = ndarray::Array1::from_shape_fn(o, |_| rng.random_range(-0.3..0.3));
            Dense::new(w, b, a).unwrap().with_dropout(p).unwrap()
        })
        .collect();
    Network::new(layers).unwrap()
}

/// The training-mode gradient equals central differences of the training-mode loss with the same
/// masks (the same seed), for MSE and for softmax + cross-entropy on logits.
#[test]
fn dropout_gradient_matches_central_differences_with_a_fixed_mask() {
    const H: f64 = 1e-6;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    let n = net(&mut rng);
    let x = random(9, 5, &mut rng);
    let mut onehot = Array2::zeros((9, 3));
    for r in 0..9 {
        onehot[(r, r % 3)] = 1.0;
    }
    for (loss, y) in [
        (Loss::Mse, random(9, 3, &mut rng)),
        (Loss::CrossEntropy, onehot),
    ] {
        let seed = 77;
        let loss_of = |net: &Network<f64>| {
            let out = net
                .forward_with_dropout(&x, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
                .unwrap();
            loss.value(out.view(), y.view())
        };
        let g = n
            .gradients_with_dropout(&x, &y, loss, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
            .unwrap();
        assert_relative_eq!(g.loss, loss_of(&n), epsilon = 1e-12);
        // The masks really drop something: the inference loss differs.
        assert!((g.loss - loss.value(n.forward(x.view()).view(), y.view())).abs() > 1e-6);
        let mut zero_columns = 0;
        for (l, lg) in g.layers.iter().enumerate() {
            for ((o, i), &analytic) in lg.weight.indexed_iter() {
                let bump = |d: f64| {
                    let mut layers = n.layers().to_vec();
                    let layer = &layers[l];
                    let mut w = layer.weight().to_owned();
                    w[(o, i)] += d;
                    layers[l] = Dense::new(w, layer.bias().to_owned(), layer.activation())
                        .unwrap()
                        .with_dropout(layer.dropout())
                        .unwrap();
                    loss_of(&Network::new(layers).unwrap())
                };
                let numeric = (bump(H) - bump(-H)) / (2.0 * H);
                assert_relative_eq!(analytic, numeric, epsilon = 1e-7, max_relative = 1e-5);
                zero_columns += usize::from(analytic == 0.0);
            }
            for (o, &analytic) in lg.bias.iter().enumerate() {
                let bump = |d: f64| {
                    let mut layers = n.layers().to_vec();
                    let layer = &layers[l];
                    let mut b = layer.bias().to_owned();
                    b[o] += d;
                    layers[l] = Dense::new(layer.weight().to_owned(), b, layer.activation())
                        .unwrap()
                        .with_dropout(layer.dropout())
                        .unwrap();
                    loss_of(&Network::new(layers).unwrap())
                };
                let numeric = (bump(H) - bump(-H)) / (2.0 * H);
                assert_relative_eq!(analytic, numeric, epsilon = 1e-7, max_relative = 1e-5);
            }
        }
        assert!(zero_columns < 200, "{zero_columns} zero weight gradients");
    }
}

/// Kept outputs are scaled by 1/(1 − p), the others are zero, about a fraction p of them; another
/// seed gives another mask; inference (`forward`, `predict`) is the identity.
#[test]
fn dropout_masks_are_inverted_seeded_and_absent_at_inference() {
    let p = 0.3;
    let eye = Array2::<f64>::eye(40);
    let layer = Dense::new(eye, ndarray::Array1::zeros(40), Activation::Identity)
        .unwrap()
        .with_dropout(p)
        .unwrap();
    let net = Network::new(vec![layer]).unwrap();
    let x = Array2::from_elem((250, 40), 1.0);
    let out = net
        .forward_with_dropout(&x, &mut Xoshiro256PlusPlus::seed_from_u64(1))
        .unwrap();
    let scale = 1.0 / (1.0 - p);
    let dropped = out.iter().filter(|&&v| v == 0.0).count();
    assert!(out.iter().all(|&v| v == 0.0 || v == scale));
    let frac = dropped as f64 / out.len() as f64;
    // 10,000 Bernoulli draws: the standard deviation of the fraction is 0.0046.
    assert!((frac - p).abs() < 0.02, "dropped fraction {frac}");
    let same = net
        .forward_with_dropout(&x, &mut Xoshiro256PlusPlus::seed_from_u64(1))
        .unwrap();
    assert_eq!(out, same);
    let other = net
        .forward_with_dropout(&x, &mut Xoshiro256PlusPlus::seed_from_u64(2))
        .unwrap();
    assert_ne!(out, other);
    assert_eq!(net.forward(x.view()), x);
    assert_eq!(net.predict(&x).unwrap(), x);
}

/// A dropout rate outside [0, 1) is an error.
#[test]
fn invalid_dropout_rates_are_errors() {
    for p in [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY] {
        let layer = Dense::new(
            Array2::<f32>::zeros((2, 3)),
            ndarray::Array1::zeros(2),
            Activation::Relu,
        )
        .unwrap();
        assert!(
            matches!(
                layer.with_dropout(p),
                Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                    name: "dropout",
                    ..
                }))
            ),
            "{p}"
        );
    }
}

/// A small classifier (f32, the vector kernels) with dropout and a ragged batch.
fn classifier(rng: &mut Xoshiro256PlusPlus) -> Network<f32> {
    Network::<f32>::params()
        .layer(48, Activation::Relu)
        .dropout(0.3)
        .layer(24, Activation::Relu)
        .dropout(0.1)
        .layer(5, Activation::Identity)
        .loss(Loss::CrossEntropy)
        .build(67, rng)
        .unwrap()
}

fn classes(n: usize, rng: &mut Xoshiro256PlusPlus) -> (Array2<f32>, Array2<f32>) {
    let x = Array2::from_shape_simple_fn((n, 67), || rng.random_range(0.0f32..1.0));
    let mut y = Array2::zeros((n, 5));
    for r in 0..n {
        // The class is the block of columns with the largest sum.
        let sums: Vec<f32> = (0..5)
            .map(|c| x.row(r).iter().skip(c * 13).take(13).sum())
            .collect();
        let best = (0..5).fold(0, |b, c| if sums[c] > sums[b] { c } else { b });
        y[(r, best)] = 1.0;
    }
    (x, y)
}

fn train(threads: usize, seed: u64) -> Network<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let net = classifier(&mut rng);
    let (x, y) = classes(70, &mut rng);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut t = Trainer::new(net, Loss::CrossEntropy, Adam::default(), 32)
            .unwrap()
            .with_rng(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
        let rows: Vec<usize> = (0..70).collect();
        for _ in 0..3 {
            t.epoch(x.view(), Some(y.view()), &rows).unwrap();
        }
        t.into_network()
    })
}

/// Same seed, same bits for 1, 2 and 3 threads; another seed, other weights.
#[test]
fn dropout_training_is_bit_identical_across_thread_counts() {
    let one = train(1, 9);
    for threads in [2, 3] {
        assert_eq!(one, train(threads, 9), "{threads} threads");
    }
    assert_ne!(one, train(2, 10));
}

/// `NetworkParams::fit` with dropout and softmax + cross-entropy learns the classes, and the same
/// seed gives the same network.
#[test]
fn a_classifier_with_dropout_learns() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let (x, y) = classes(200, &mut rng);
    let params = Network::<f32>::params()
        .layer(48, Activation::Relu)
        .dropout(0.2)
        .layer(5, Activation::Identity)
        .loss(Loss::CrossEntropy)
        .batch_size(32)
        .epochs(60)
        .validation_fraction(0.0);
    let fit = |seed| {
        params
            .fit(&x, &y, &mut Xoshiro256PlusPlus::seed_from_u64(seed), |_| {})
            .unwrap()
    };
    let net = fit(3);
    assert_eq!(net, fit(3));
    let h = &net.history().train;
    assert!(
        h[h.len() - 1] < 0.6 * h[0],
        "loss {} → {}",
        h[0],
        h[h.len() - 1]
    );
    let out = net.predict(&x).unwrap();
    let correct = (0..200)
        .filter(|&r| {
            let pred = (0..5).fold(0, |b, c| if out[(r, c)] > out[(r, b)] { c } else { b });
            y[(r, pred)] == 1.0
        })
        .count();
    assert!(correct > 140, "{correct} of 200 correct");
}

/// Saving keeps the rates; the linear layers' tensor names shift as in an `nn.Sequential` with
/// `nn.Dropout` modules (Linear 0, ReLU 1, Dropout 2, Linear 3, ReLU 4, Dropout 5, Linear 6, …).
#[test]
fn save_and_load_keep_dropout_with_sequential_names() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let net = Network::<f32>::params()
        .layer(6, Activation::Relu)
        .dropout(0.3)
        .layer(5, Activation::Prelu)
        .dropout(0.5)
        .layer(4, Activation::Relu)
        .layer(2, Activation::Identity)
        .build(9, &mut rng)
        .unwrap();
    let bytes = net.to_safetensors().unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().cloned().collect();
    names.sort();
    let expected = [
        "0.bias", "0.weight", "3.bias", "3.weight", "4.weight", "6.bias", "6.weight", "8.bias",
        "8.weight",
    ];
    assert_eq!(names, expected);
    let back = Network::<f32>::from_safetensors(&bytes).unwrap();
    assert_eq!(back, net);
    let rates: Vec<f64> = back.layers().iter().map(Dense::dropout).collect();
    assert_eq!(rates, [0.3, 0.5, 0.0, 0.0]);
}
