//! Central-difference checks of every hand-written gradient (f64, proptest over shapes and seeds).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use crate::fixtures::random;
use approx::assert_relative_eq;
use ndarray::Array2;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Dense, Init, Loss, Network};

/// Finite-difference step.
const H: f64 = 1e-6;
/// Absolute tolerance (for gradients near zero).
const EPS: f64 = 1e-6;
/// Relative tolerance.
const REL: f64 = 1e-5;

const ACTIVATIONS: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Softmax,
    Activation::Prelu,
];

/// A network of the given widths, `act` on every layer but the last, `out` on the last.
fn network(
    widths: &[usize],
    act: Activation,
    out: Activation,
    rng: &mut Xoshiro256PlusPlus,
) -> Network<f64> {
    let n = widths.len() - 1;
    let layers = (0..n)
        .map(|i| {
            let (w, b) = Init::Xavier
                .draw::<f64, _>(widths[i], widths[i + 1], rng)
                .unwrap();
            // Non-zero biases so their gradients are exercised too.
            let b = b.mapv(|_| rng.random_range(-0.5..0.5));
            let a = if i + 1 == n { out } else { act };
            let slope = rng.random_range(0.05..0.5);
            Dense::new(w, b, a).unwrap().with_slope(slope).unwrap()
        })
        .collect();
    Network::new(layers).unwrap()
}

/// Five-point central difference `f'(0)`: truncation error O(H⁴) rather than the O(H²) of the
/// two-point rule, for the strongly curved losses (a Pearson distance of rows with a small spread).
fn derivative(f: impl Fn(f64) -> f64) -> f64 {
    (8.0 * (f(H) - f(-H)) - (f(2.0 * H) - f(-2.0 * H))) / (12.0 * H)
}

fn loss_of(net: &Network<f64>, x: &Array2<f64>, y: &Array2<f64>, loss: Loss) -> f64 {
    loss.value(net.forward(x.view()).view(), y.view())
}

/// Compares every analytic parameter gradient with a central difference.
fn check(net: &Network<f64>, x: &Array2<f64>, y: &Array2<f64>, loss: Loss) {
    let g = net.gradients(x, y, loss).unwrap();
    assert_relative_eq!(g.loss, loss_of(net, x, y, loss), epsilon = 1e-12);
    let layers: Vec<Dense<f64>> = net.layers().to_vec();
    let rebuild = |layers: Vec<Dense<f64>>| Network::new(layers).unwrap();
    for (l, lg) in g.layers.iter().enumerate() {
        let layer = &layers[l];
        for ((o, i), &analytic) in lg.weight.indexed_iter() {
            let bump = |d: f64| {
                let mut ls = layers.clone();
                let mut w = layer.weight().to_owned();
                w[(o, i)] += d;
                ls[l] = Dense::new(w, layer.bias().to_owned(), layer.activation())
                    .unwrap()
                    .with_slope(layer.slope())
                    .unwrap();
                loss_of(&rebuild(ls), x, y, loss)
            };
            let numeric = derivative(bump);
            assert_relative_eq!(analytic, numeric, epsilon = EPS, max_relative = REL);
        }
        for (o, &analytic) in lg.bias.iter().enumerate() {
            let bump = |d: f64| {
                let mut ls = layers.clone();
                let mut b = layer.bias().to_owned();
                b[o] += d;
                ls[l] = Dense::new(layer.weight().to_owned(), b, layer.activation())
                    .unwrap()
                    .with_slope(layer.slope())
                    .unwrap();
                loss_of(&rebuild(ls), x, y, loss)
            };
            let numeric = derivative(bump);
            assert_relative_eq!(analytic, numeric, epsilon = EPS, max_relative = REL);
        }
        if layer.activation() == Activation::Prelu {
            let bump = |d: f64| {
                let mut ls = layers.clone();
                ls[l] = layer.clone().with_slope(layer.slope() + d).unwrap();
                loss_of(&rebuild(ls), x, y, loss)
            };
            let numeric = derivative(bump);
            assert_relative_eq!(lg.slope, numeric, epsilon = EPS, max_relative = REL);
        } else {
            assert_eq!(lg.slope, 0.0);
        }
    }
}

/// The smallest difference between the largest and the smallest value of a row.
fn min_row_spread(a: &Array2<f64>) -> f64 {
    a.rows()
        .into_iter()
        .map(|r| {
            r.fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - r.fold(f64::INFINITY, |m, &v| m.min(v))
        })
        .fold(f64::INFINITY, f64::min)
}

fn targets(rows: usize, cols: usize, loss: Loss, rng: &mut Xoshiro256PlusPlus) -> Array2<f64> {
    let y = random(rows, cols, rng);
    match loss {
        // Class probabilities: positive rows summing to one.
        Loss::CrossEntropy => {
            let mut p = y.mapv(f64::exp);
            for mut row in p.rows_mut() {
                let s = row.sum();
                row /= s;
            }
            p
        }
        _ => y,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        // The saved failures beside this module: proptest's default place is found from a
        // `main.rs` next to the source path, which from the crate directory it cannot see.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/xrd-ae/gradients.proptest-regressions"
            )),
        )),
        ..ProptestConfig::default()
    })]

    /// Every activation, as hidden and as output layer, through two layers with MSE.
    #[test]
    fn activations_and_layers(batch in 1usize..4, inp in 1usize..5, hid in 1usize..5,
                              out in 2usize..5, seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for act in ACTIVATIONS {
            let net = network(&[inp, hid, out], act, act, &mut rng);
            let x = random(batch, inp, &mut rng);
            let y = targets(batch, out, Loss::Mse, &mut rng);
            check(&net, &x, &y, Loss::Mse);
        }
    }

    /// Every loss, on a three-layer tanh network with a linear output.
    #[test]
    fn losses(batch in 1usize..4, inp in 1usize..5, hid in 1usize..5, out in 2usize..6,
              seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for loss in [Loss::Mse, Loss::Pearson, Loss::CrossEntropy] {
            // The Pearson distance of a row whose outputs nearly tie is a step as steep as
            // 1 / spread (for two outputs it is the sign of their difference, smoothed only by
            // the loss's guard): no central difference resolves it, so such draws are redrawn.
            let (net, x) = loop {
                let net = network(&[inp, hid, hid, out], Activation::Tanh, Activation::Identity, &mut rng);
                let x = random(batch, inp, &mut rng);
                if loss != Loss::Pearson || min_row_spread(&net.forward(x.view())) > 1e-2 {
                    break (net, x);
                }
            };
            let y = targets(batch, out, loss, &mut rng);
            check(&net, &x, &y, loss);
        }
    }

    /// The autoencoder's own layer stack (ReLU hidden, tanh bottleneck, linear output).
    #[test]
    fn autoencoder_stack(batch in 1usize..4, inp in 2usize..7, seed in any::<u64>()) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let ae = xrd_ae::Autoencoder::<f64>::params().hidden(&[4, 3]).latent(2).build(inp, &mut rng).unwrap();
        let mut layers = ae.encoder().layers().to_vec();
        layers.extend(ae.decoder().layers().iter().cloned());
        let net = Network::new(layers).unwrap();
        let x = random(batch, inp, &mut rng);
        check(&net, &x, &x, Loss::Mse);
    }
}

#[test]
fn softmax_rows_sum_to_one_and_cross_entropy_matches_definition() {
    let layer = Dense::<f64>::new(
        Array2::eye(3),
        ndarray::Array1::zeros(3),
        Activation::Softmax,
    )
    .unwrap();
    let x: Array2<f64> = ndarray::array![[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]];
    let p = layer.forward(x.view());
    for row in p.rows() {
        assert_relative_eq!(row.sum(), 1.0, epsilon = 1e-12);
    }
    let t = ndarray::array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
    let ce = Loss::CrossEntropy.value(x.view(), t.view());
    let expected = (-(p[(0, 2)].ln()) - p[(1, 0)].ln()) / 2.0;
    assert_relative_eq!(ce, expected, epsilon = 1e-12);
}

#[test]
fn pearson_loss_is_zero_for_correlated_and_two_for_anticorrelated_rows() {
    let y = ndarray::array![[1.0, 2.0, 3.0]];
    let same = ndarray::array![[2.0, 4.0, 6.0]];
    let opposite = ndarray::array![[3.0, 2.0, 1.0]];
    assert_relative_eq!(
        Loss::Pearson.value(y.view(), same.view()),
        0.0,
        epsilon = 1e-9
    );
    assert_relative_eq!(
        Loss::Pearson.value(y.view(), opposite.view()),
        2.0,
        epsilon = 1e-9
    );
}

/// Layers wide enough to be split into several blocks of rows (and so into parallel work and
/// per-block input-gradient sums), with exactly-zero input columns skipped by the first layer:
/// the gradients must equal plain matrix products.
#[test]
fn blocked_sparse_kernels_match_naive_matrix_products() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let (inp, hid, out, batch) = (900, 40, 700, 5);
    let net = network(
        &[inp, hid, out],
        Activation::Tanh,
        Activation::Identity,
        &mut rng,
    );
    let mut x = random(batch, inp, &mut rng);
    for c in 0..inp {
        if (c / 37) % 3 != 1 {
            x.column_mut(c).fill(0.0);
        }
    }
    let y = random(batch, out, &mut rng);
    let g = net.gradients(&x, &y, Loss::Mse).unwrap();
    let (l1, l2) = (&net.layers()[0], &net.layers()[1]);
    let a1 = (x.dot(&l1.weight().t()) + l1.bias()).mapv(f64::tanh);
    let yhat = a1.dot(&l2.weight().t()) + l2.bias();
    let dy = (&yhat - &y) * (2.0 / (batch * out) as f64);
    let dw2 = dy.t().dot(&a1);
    let dz1 = dy.dot(&l2.weight()) * a1.mapv(|a| 1.0 - a * a);
    let dw1 = dz1.t().dot(&x);
    let pairs = [(&g.layers[1].weight, &dw2), (&g.layers[0].weight, &dw1)];
    for (fast, naive) in pairs {
        for (a, b) in fast.iter().zip(naive.iter()) {
            assert_relative_eq!(*a, *b, epsilon = 1e-14, max_relative = 1e-10);
        }
    }
    for (a, b) in g.layers[1]
        .bias
        .iter()
        .zip(dy.sum_axis(ndarray::Axis(0)).iter())
    {
        assert_relative_eq!(*a, *b, epsilon = 1e-14, max_relative = 1e-10);
    }
    for (a, b) in g.layers[0]
        .bias
        .iter()
        .zip(dz1.sum_axis(ndarray::Axis(0)).iter())
    {
        assert_relative_eq!(*a, *b, epsilon = 1e-14, max_relative = 1e-10);
    }
    let forward = net.forward(x.view());
    for (a, b) in forward.iter().zip(yhat.iter()) {
        assert_relative_eq!(*a, *b, epsilon = 1e-14, max_relative = 1e-10);
    }
}

/// A training step (fused gradient + Adam, sparse first layer, several blocks) equals
/// `Network::gradients` followed by `Adam::step` on every tensor, bit for bit.
#[test]
fn fused_training_step_equals_gradients_then_adam() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let net = network(
        &[900, 30, 700],
        Activation::Relu,
        Activation::Identity,
        &mut rng,
    );
    let mut x = random(4, 900, &mut rng);
    x.slice_mut(ndarray::s![.., 100..400]).fill(0.0);
    let y = random(4, 700, &mut rng);
    let adam = xrd_ae::Adam {
        weight_decay: 1e-2,
        ..xrd_ae::Adam::default()
    };
    let g = net.gradients(&x, &y, Loss::Mse).unwrap();
    let mut trainer = xrd_ae::Trainer::new(net.clone(), Loss::Mse, adam, 4).unwrap();
    let loss = trainer.step(x.view(), y.view()).unwrap();
    assert_eq!(loss, g.loss);
    for (l, (layer, lg)) in net.layers().iter().zip(&g.layers).enumerate() {
        let mut w: Vec<f64> = layer.weight().iter().copied().collect();
        let gw: Vec<f64> = lg.weight.iter().copied().collect();
        let (mut m, mut v) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        adam.step(1, &mut w, &gw, &mut m, &mut v).unwrap();
        let trained: Vec<f64> = trainer.network().layers()[l]
            .weight()
            .iter()
            .copied()
            .collect();
        assert_eq!(trained, w, "layer {l}");
    }
}

/// The f32 kernels (hand-vectorised where the CPU allows) agree with the f64 ones.
#[test]
fn f32_kernels_agree_with_f64() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let net = network(
        &[901, 30, 703],
        Activation::Relu,
        Activation::Identity,
        &mut rng,
    );
    let mut x = random(7, 901, &mut rng);
    for c in 0..901 {
        if (c / 13) % 4 == 0 {
            x.column_mut(c).fill(0.0);
        }
    }
    let y = random(7, 703, &mut rng);
    let g64 = net.gradients(&x, &y, Loss::Mse).unwrap();
    let layers32 = net
        .layers()
        .iter()
        .map(|l| {
            Dense::new(
                l.weight().mapv(|v| v as f32),
                l.bias().mapv(|v| v as f32),
                l.activation(),
            )
            .unwrap()
        })
        .collect();
    let net32 = Network::new(layers32).unwrap();
    let g32 = net32
        .gradients(&x.mapv(|v| v as f32), &y.mapv(|v| v as f32), Loss::Mse)
        .unwrap();
    assert_relative_eq!(f64::from(g32.loss), g64.loss, max_relative = 1e-5);
    for (a, b) in g32.layers.iter().zip(&g64.layers) {
        let scale = b.weight.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (u, v) in a.weight.iter().zip(&b.weight) {
            assert!((f64::from(*u) - v).abs() <= 1e-4 * scale, "{u} vs {v}");
        }
    }
}

/// Inference on wide layers (the zero-skipping, row-grouped kernel) equals a plain matrix product.
#[test]
fn wide_layer_inference_matches_matrix_product() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for rows in [1, 7, 23, 40, 150] {
        let (w, b) = Init::Torch.draw::<f64, _>(1500, 37, &mut rng).unwrap();
        let layer = Dense::new(w, b, Activation::Identity).unwrap();
        let mut x = random(rows, 1500, &mut rng);
        for c in 0..1500 {
            if (c / 50) % 3 == 0 {
                x.column_mut(c).fill(0.0);
            }
        }
        x.row_mut(0).fill(0.0);
        let fast = layer.forward(x.view());
        let naive = x.dot(&layer.weight().t()) + layer.bias();
        for (a, b) in fast.iter().zip(&naive) {
            assert_relative_eq!(*a, *b, epsilon = 1e-12, max_relative = 1e-10);
        }
        let l32 = Dense::new(
            layer.weight().mapv(|v| v as f32),
            layer.bias().mapv(|v| v as f32),
            Activation::Relu,
        )
        .unwrap();
        let fast32 = l32.forward(x.mapv(|v| v as f32).view());
        for (a, b) in fast32.iter().zip(&naive) {
            assert!((f64::from(*a) - b.max(0.0)).abs() <= 1e-4, "{a} vs {b}");
        }
    }
}

/// Adam moments of one layer: weights (m, v) and biases (m, v).
type Moments = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// Three f32 training steps (hand-vectorised fused Adam where the CPU allows, with zero-column
/// gaps and ragged tails) agree with f64 gradients followed by `Adam::step` on every tensor.
#[test]
fn f32_fused_steps_agree_with_f64_reference() {
    let zeros = [0, 1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 44];
    f32_steps_agree_with_f64(&[45, 13, 29], 6, &zeros, 1e-2);
}

/// The same with a wide batch (the blocked product, blocks of columns and tall blocks of rows in
/// the update) and inputs wider than a block of columns. The smaller learning rate keeps the one
/// step in 10⁵ whose gradient is the rounding-sensitive difference of nearly equal sums from
/// moving its weight by more than the tolerance (Adam normalises every gradient to about `lr`).
#[test]
fn f32_wide_batch_steps_agree_with_f64_reference() {
    let zeros: Vec<usize> = (100..180).chain(1090..1100).collect();
    f32_steps_agree_with_f64(&[1100, 70, 29], 40, &zeros, 1e-3);
}

fn f32_steps_agree_with_f64(widths: &[usize], batch: usize, zeros: &[usize], lr: f64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let mut net = network(widths, Activation::Tanh, Activation::Identity, &mut rng);
    let mut x = random(batch, widths[0], &mut rng);
    for &c in zeros {
        x.column_mut(c).fill(0.0);
    }
    let y = random(batch, widths[widths.len() - 1], &mut rng);
    let adam = xrd_ae::Adam {
        lr,
        weight_decay: 0.5,
        ..xrd_ae::Adam::default()
    };
    let to32 = |n: &Network<f64>| {
        let layers = n
            .layers()
            .iter()
            .map(|l| {
                Dense::new(
                    l.weight().mapv(|v| v as f32),
                    l.bias().mapv(|v| v as f32),
                    l.activation(),
                )
                .unwrap()
            })
            .collect();
        Network::new(layers).unwrap()
    };
    let mut trainer = xrd_ae::Trainer::new(to32(&net), Loss::Mse, adam, batch).unwrap();
    let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
    let mut moments: Vec<Moments> = net
        .layers()
        .iter()
        .map(|l| {
            (
                vec![0.0; l.weight().len()],
                vec![0.0; l.weight().len()],
                vec![0.0; l.bias().len()],
                vec![0.0; l.bias().len()],
            )
        })
        .collect();
    for t in 1..=3 {
        trainer.step(x32.view(), y32.view()).unwrap();
        let g = net.gradients(&x, &y, Loss::Mse).unwrap();
        let mut layers = Vec::new();
        for ((layer, lg), (mw, vw, mb, vb)) in net.layers().iter().zip(&g.layers).zip(&mut moments)
        {
            let mut w: Vec<f64> = layer.weight().iter().copied().collect();
            let mut b: Vec<f64> = layer.bias().to_vec();
            let gw: Vec<f64> = lg.weight.iter().copied().collect();
            adam.step(t, &mut w, &gw, mw, vw).unwrap();
            adam.step(t, &mut b, lg.bias.as_slice().unwrap(), mb, vb)
                .unwrap();
            let w = ndarray::Array2::from_shape_vec(layer.weight().dim(), w).unwrap();
            layers.push(Dense::new(w, ndarray::Array1::from(b), layer.activation()).unwrap());
        }
        net = Network::new(layers).unwrap();
    }
    for (l, (a, b)) in trainer
        .network()
        .layers()
        .iter()
        .zip(net.layers())
        .enumerate()
    {
        for (u, v) in a
            .weight()
            .iter()
            .zip(b.weight())
            .chain(a.bias().iter().zip(b.bias()))
        {
            assert!((f64::from(*u) - v).abs() <= 2e-5, "layer {l}: {u} vs {v}");
        }
    }
}
