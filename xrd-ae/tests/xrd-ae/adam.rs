//! Adam steps against values computed by hand (PyTorch `Adam` and `AdamW` formulas).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use approx::assert_relative_eq;
use xrd_ae::{Adam, Error, WeightDecay};

/// Tolerance of the hand-computed references (f64 arithmetic).
const TOL: f64 = 1e-14;

#[test]
fn l2_decay_enters_the_gradient_before_the_moments() {
    let adam = Adam {
        weight_decay: 0.1,
        ..Adam::default()
    };
    let (mut w, mut m, mut v) = ([0.5f64], [0.0], [0.0]);
    // Step 1: g = 0.2 + 0.1·0.5 = 0.25, m = 0.025, v = 0.001·0.0625,
    // m̂ = 0.25, √v̂ = 0.25, w = 0.5 − 1e-3·0.25/(0.25 + 1e-8).
    adam.step(1, &mut w, &[0.2], &mut m, &mut v).unwrap();
    assert_relative_eq!(m[0], 0.025, max_relative = TOL);
    assert_relative_eq!(v[0], 0.001 * 0.0625, max_relative = TOL);
    let w1 = 0.5 - 1e-3 * 0.25 / (0.25 + 1e-8);
    assert_relative_eq!(w[0], w1, max_relative = TOL);
    // Step 2 with raw gradient −0.1: g = −0.1 + 0.1·w1.
    adam.step(2, &mut w, &[-0.1], &mut m, &mut v).unwrap();
    let g: f64 = -0.1 + 0.1 * w1;
    let m2 = 0.9 * 0.025 + 0.1 * g;
    let v2 = 0.999 * 0.001 * 0.0625 + 0.001 * g * g;
    let mhat = m2 / (1.0 - 0.9f64.powi(2));
    let vhat = v2 / (1.0 - 0.999f64.powi(2));
    assert_relative_eq!(m[0], m2, max_relative = TOL);
    assert_relative_eq!(v[0], v2, max_relative = TOL);
    assert_relative_eq!(
        w[0],
        w1 - 1e-3 * mhat / (vhat.sqrt() + 1e-8),
        max_relative = TOL
    );
}

#[test]
fn decoupled_decay_shrinks_the_weight_and_leaves_the_moments_alone() {
    let adam = Adam {
        weight_decay: 0.1,
        decay: WeightDecay::Decoupled,
        ..Adam::default()
    };
    let (mut w, mut m, mut v) = ([0.5f64, -2.0], [0.0, 0.0], [0.0, 0.0]);
    adam.step(1, &mut w, &[0.2, 0.0], &mut m, &mut v).unwrap();
    assert_relative_eq!(m[0], 0.02, max_relative = TOL);
    assert_relative_eq!(v[0], 0.001 * 0.04, max_relative = TOL);
    assert_relative_eq!(
        w[0],
        0.5 * (1.0 - 1e-4) - 1e-3 * 0.2 / (0.2 + 1e-8),
        max_relative = TOL
    );
    // A zero gradient only decays.
    assert_relative_eq!(w[1], -2.0 * (1.0 - 1e-4), max_relative = TOL);
    assert_eq!((m[1], v[1]), (0.0, 0.0));
}

#[test]
fn without_decay_the_first_step_moves_every_weight_by_about_lr() {
    let adam = Adam {
        weight_decay: 0.0,
        ..Adam::default()
    };
    let mut w = vec![1.0f32; 100_000];
    let g: Vec<f32> = (0..100_000)
        .map(|i| if i % 2 == 0 { 3.0 } else { -0.01 })
        .collect();
    let (mut m, mut v) = (vec![0.0; 100_000], vec![0.0; 100_000]);
    adam.step(1, &mut w, &g, &mut m, &mut v).unwrap();
    for (i, &w) in w.iter().enumerate() {
        let expected = if i % 2 == 0 { 1.0 - 1e-3 } else { 1.0 + 1e-3 };
        assert_relative_eq!(w, expected, max_relative = 1e-6);
    }
}

#[test]
fn mismatched_slices_and_step_zero_are_errors() {
    let adam = Adam::default();
    let (mut w, mut m, mut v) = ([0.0f64; 2], [0.0; 2], [0.0; 2]);
    assert!(matches!(
        adam.step(1, &mut w, &[1.0], &mut m, &mut v),
        Err(Error::ShapeMismatch(s)) if s.what == "Adam state"
    ));
    assert!(matches!(
        adam.step(0, &mut w, &[1.0, 1.0], &mut m, &mut v),
        Err(Error::InvalidParameter(p)) if p.name == "t"
    ));
}

#[test]
fn negligible_gradients_and_moments_are_zero() {
    let adam = Adam {
        weight_decay: 0.0,
        ..Adam::default()
    };
    let (tiny, tiny_v, tiny_square) = adam.negligible();
    assert_relative_eq!(tiny, 1e-8 / 2f64.powi(70), max_relative = TOL);
    assert_relative_eq!(tiny_v, 1e-16 / 2f64.powi(60), max_relative = TOL);
    assert_relative_eq!(tiny_square, (tiny_v / 1e-3).sqrt(), max_relative = TOL);
    // A large ε does not raise the thresholds (nor overflow them in f32).
    let huge = Adam { eps: 1e30, ..adam }.negligible();
    assert_eq!(huge, Adam { eps: 1.0, ..adam }.negligible());
    assert!((huge.1 as f32).is_normal() && (huge.2 as f32).is_normal());
    // Lane 0: a negligible gradient leaves everything at zero. Lane 1: a gradient whose square
    // term is left out (v stays zero) but whose first moment counts. Lane 2: a first moment that
    // decays below the threshold is zero. Lane 3: a second moment likewise. Lane 4: NaN stays NaN.
    let g = [tiny * 0.99, tiny_square * 0.99, 0.0, 0.0, f64::NAN];
    let mut w = [1.0; 5];
    let mut m = [0.0, 0.0, tiny * 1.05, 0.0, 0.0];
    let mut v = [0.0, 0.0, 0.0, tiny_v * 1.0005, 0.0];
    adam.step(3, &mut w, &g, &mut m, &mut v).unwrap();
    assert_eq!((w[0], m[0], v[0]), (1.0, 0.0, 0.0));
    assert_relative_eq!(m[1], 0.1 * g[1], max_relative = TOL);
    assert_eq!(v[1], 0.0);
    assert!(w[1] < 1.0);
    assert_eq!((m[2], v[2]), (0.0, 0.0));
    assert_eq!((m[3], v[3]), (0.0, 0.0));
    assert!(w[4].is_nan() && m[4].is_nan() && v[4].is_nan());
    // Just above the thresholds nothing is dropped.
    let (mut w, mut m, mut v) = ([1.0], [tiny * 1.2], [tiny_v * 1.2]);
    adam.step(3, &mut w, &[0.0], &mut m, &mut v).unwrap();
    assert_relative_eq!(m[0], 0.9 * tiny * 1.2, max_relative = TOL);
    assert_relative_eq!(v[0], 0.999 * tiny_v * 1.2, max_relative = TOL);
}

/// Gradients that shrink towards zero (a converged part of a network) never leave subnormal
/// numbers in the weights or moments, in either precision. Without the rule, and without weight
/// decay, the first moments of both precisions and the second moments of f32 pass through
/// subnormal values on the way down (f32 first moments from step 539, f64 from step 6458); with
/// the default L2 decay the gradient becomes the decay term of a shrinking weight (a dead unit),
/// and the f32 first moments and weights do.
#[test]
fn shrinking_gradients_leave_no_subnormal_numbers() {
    fn run<F: xrd_core::Float>(adam: Adam) {
        let n = 16;
        let mut w: Vec<F> = (0..n).map(|i| F::of(0.01 * (i as f64 - 7.5))).collect();
        let (mut m, mut v) = (vec![F::zero(); n], vec![F::zero(); n]);
        let mut g = vec![F::zero(); n];
        for t in 1..=20_000u64 {
            let scale = 1e-15 * 0.9f64.powi(t as i32);
            for (i, g) in g.iter_mut().enumerate() {
                *g = F::of(scale * (1.0 + i as f64));
            }
            adam.step(t, &mut w, &g, &mut m, &mut v).unwrap();
            for x in w.iter().chain(&m).chain(&v) {
                assert!(!x.is_subnormal(), "step {t}: {:e}", x.as_f64());
            }
        }
        assert!(m.iter().all(|x| x.is_zero()));
    }
    for adam in [
        Adam {
            weight_decay: 0.0,
            ..Adam::default()
        },
        Adam::default(),
    ] {
        run::<f32>(adam);
        run::<f64>(adam);
    }
}
