//! δ, leave-one-out, train/test, worst-k, accuracy versus coverage.

use approx::assert_relative_eq;
use ndarray::{Array2, array};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_latent::{Error, EstimateKind, TriangleEstimator, delta};

fn cloud(seed: u64, n: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pts = Array2::from_shape_fn((n, 2), |_| rng.random::<f64>());
    let vals = Array2::from_shape_fn((n, 2), |(i, j)| {
        let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
        if j == 0 { (3.0 * x).sin() } else { x * y }
    });
    (pts, vals)
}

#[test]
fn delta_is_the_papers_eq_3() {
    // Table II, first row: Sm1 Zr0 Fe11 Ti1 estimated as Sm1 Zr0 Fe10.733 Ti1.267 → 1.43e-1.
    let d = delta(&[1.0, 0.0, 10.733, 1.267], &[1.0, 0.0, 11.0, 1.0]);
    assert_relative_eq!(d, 2.0 * 0.267f64.powi(2), epsilon = 1e-12);
    assert!((d - 0.143).abs() < 5e-4);
    assert_eq!(delta::<f64>(&[], &[]), 0.0);
}

#[test]
fn leave_one_out_on_an_affine_field_is_exact_inside() {
    let (pts, _) = cloud(1, 60);
    let vals = Array2::from_shape_fn((60, 1), |(i, _)| 2.0 * pts[[i, 0]] - pts[[i, 1]]);
    let eval = TriangleEstimator::params()
        .leave_one_out(pts.view(), vals.view())
        .unwrap();
    assert_eq!(eval.len(), 60);
    let (inside, inside_k, outside) = eval.kind_counts();
    assert_eq!(inside + inside_k + outside, 60);
    assert!(
        outside > 0 && inside + inside_k > 40,
        "{inside} {inside_k} {outside}"
    );
    for r in &eval.records {
        assert_eq!(r.truth, vals.row(r.index).to_vec());
        assert!(r.estimate.distance > 0.0);
        if r.estimate.kind.is_inside() {
            assert!(r.delta < 1e-24, "{r:?}");
        } else {
            assert!(matches!(r.estimate.kind, EstimateKind::Outside { .. }));
        }
    }
}

#[test]
fn worst_table_is_sorted_and_printable() {
    let (pts, vals) = cloud(2, 50);
    let eval = TriangleEstimator::params()
        .leave_one_out(pts.view(), vals.view())
        .unwrap();
    let worst = eval.worst(10);
    assert_eq!(worst.rows.len(), 10);
    assert!(worst.rows.windows(2).all(|w| w[0].delta >= w[1].delta));
    assert_eq!(worst.rows[0].delta, eval.max_delta());
    assert!(eval.mean_delta() <= eval.max_delta());
    let text = worst.to_string();
    assert_eq!(text.lines().count(), 11);
    assert!(text.contains("δ") && text.contains(" → "));
}

#[test]
fn coverage_curve_trades_coverage_for_accuracy() {
    let (pts, vals) = cloud(3, 200);
    let eval = TriangleEstimator::params()
        .leave_one_out(pts.view(), vals.view())
        .unwrap();
    let tol = 1e-3;
    let curve = eval.coverage_curve(tol, true).unwrap();
    assert!(!curve.is_empty());
    assert!(
        curve
            .windows(2)
            .all(|w| w[0].threshold < w[1].threshold && w[0].answered < w[1].answered)
    );
    let last = curve.last().unwrap();
    let (inside, inside_k, _) = eval.kind_counts();
    assert_eq!(last.answered, inside + inside_k);
    assert_relative_eq!(last.coverage, last.answered as f64 / 200.0);
    let accurate = eval
        .records
        .iter()
        .filter(|r| r.estimate.kind.is_inside() && r.delta <= tol)
        .count();
    assert_relative_eq!(last.accuracy, accurate as f64 / last.answered as f64);
    // Refusing far points helps: the nearest points that make 40 % have a smaller mean δ than
    // all the inside ones.
    let half = curve.iter().find(|c| c.coverage >= 0.4).unwrap();
    let mean_delta = |threshold: f64| {
        let d: Vec<f64> = eval
            .records
            .iter()
            .filter(|r| r.estimate.kind.is_inside() && r.estimate.distance <= threshold)
            .map(|r| r.delta)
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    assert!(
        mean_delta(half.threshold) < mean_delta(last.threshold),
        "{half:?} vs {last:?}"
    );
    let all = eval.coverage_curve(tol, false).unwrap();
    assert_eq!(all.last().unwrap().answered, 200);
}

#[test]
fn train_test_split_is_seeded_and_disjoint() {
    let (pts, vals) = cloud(4, 100);
    let p = TriangleEstimator::params();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let a = p
        .train_test(pts.view(), vals.view(), 0.2, &mut rng)
        .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let b = p
        .train_test(pts.view(), vals.view(), 0.2, &mut rng)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 20);
    for r in &a.records {
        assert_eq!(r.truth, vals.row(r.index).to_vec());
        // A held-out point is not in the training set, so it is not hit exactly.
        assert!(r.estimate.distance > 0.0);
    }
    for bad in [0.0, 1.0, f64::NAN, 0.001] {
        assert!(matches!(
            p.train_test(pts.view(), vals.view(), bad, &mut rng),
            Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                name: "test_fraction",
                ..
            }))
        ));
    }
}

#[test]
fn evaluate_checks_shapes() {
    let (pts, vals) = cloud(5, 30);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let one_col = array![[1.0], [2.0]];
    let q = array![[0.5, 0.5], [0.2, 0.3]];
    assert!(matches!(
        est.evaluate(q.view(), one_col.view()),
        Err(Error::ShapeMismatch(_))
    ));
    let nan = array![[1.0, f64::NAN], [2.0, 0.0]];
    assert!(matches!(
        est.evaluate(q.view(), nan.view()),
        Err(Error::NonFinite(_))
    ));
    let ok = est
        .evaluate(q.view(), array![[0.0, 0.0], [1.0, 1.0]].view())
        .unwrap();
    assert_eq!(ok.len(), 2);
}
