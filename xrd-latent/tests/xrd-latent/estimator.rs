//! Behaviour of `fit` and `estimate` on hand-made configurations.

use approx::assert_relative_eq;
use ndarray::{Array2, array};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_core::{Location, NonFinite};
use xrd_latent::{Error, EstimateKind, OutsideRule, TriangleEstimator};

#[test]
fn paper_figure_three() {
    // A, B, C with P inside: Q_P = Q_A + s(Q_B − Q_A) + t(Q_C − Q_A).
    let pts = array![[0.0, 0.0], [4.0, 0.0], [0.0, 2.0]];
    let vals = array![[1.0, -2.0], [5.0, 0.0], [3.0, 8.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let e = est.estimate([1.0, 0.5]);
    assert_eq!(e.kind, EstimateKind::Inside);
    let w = e.weights;
    assert_relative_eq!(w[0] + w[1] + w[2], 1.0, epsilon = 1e-15);
    // Whatever the labelling, the weights of rows 0, 1, 2 are 1/2, 1/4, 1/4.
    let mut by_row = [0.0; 3];
    for (r, wi) in e.triangle.iter().zip(w) {
        by_row[*r] = wi;
    }
    assert_relative_eq!(by_row[0], 0.5, epsilon = 1e-15);
    assert_relative_eq!(by_row[1], 0.25, epsilon = 1e-15);
    assert_relative_eq!(e.value[0], 0.5 + 1.25 + 0.75, epsilon = 1e-14);
    assert_relative_eq!(e.value[1], -1.0 + 0.0 + 2.0, epsilon = 1e-14);
    assert_relative_eq!(e.distance, 1.25f64.sqrt(), epsilon = 1e-15);
}

#[test]
fn known_points_exact_and_duplicates_averaged() {
    let pts = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-0.0, 1.0]];
    let vals = array![[1.0], [2.0], [3.0], [4.0], [5.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    assert_eq!(est.len(), 3);
    assert_eq!(est.rows(), &[0, 1, 2]);
    assert_eq!(est.estimate([0.0, 0.0]).value, vec![1.0]);
    let e = est.estimate([1.0, 0.0]);
    assert_eq!(e.value, vec![3.0]);
    assert_eq!(
        (e.triangle[0], e.weights, e.kind),
        (1, [1.0, 0.0, 0.0], EstimateKind::Inside)
    );
    assert_eq!(est.estimate([0.0, 1.0]).value, vec![4.0]);
}

#[test]
fn collinear_and_duplicate_data_never_nan() {
    // All on one line, with duplicates: every triangle degenerates.
    let pts = array![
        [0.0f64, 0.0],
        [1.0, 1.0],
        [2.0, 2.0],
        [3.0, 3.0],
        [1.0, 1.0],
        [2.0, 2.0]
    ];
    let vals = array![[0.0], [1.0], [2.0], [3.0], [5.0], [7.0]];
    for rule in [OutsideRule::Nearest, OutsideRule::Extrapolate] {
        let est = TriangleEstimator::params()
            .outside(rule)
            .fit(pts.view(), vals.view())
            .unwrap();
        for q in [
            [0.5, 0.5],
            [1.5, 0.2],
            [-3.0, 7.0],
            [1.0, 1.0],
            [10.0, 10.0],
        ] {
            let e = est.estimate(q);
            assert!(
                e.value[0].is_finite() && e.distance.is_finite(),
                "{q:?}: {e:?}"
            );
            assert!(e.weights.iter().all(|w| w.is_finite()));
            if q != [1.0, 1.0] {
                assert!(matches!(e.kind, EstimateKind::Outside { .. }), "{q:?}");
            }
        }
        assert_eq!(est.estimate([1.0, 1.0]).value, vec![3.0]);
    }
    // Nearly collinear (a sliver of width 1e-14) and nearly duplicate points.
    let pts = array![
        [0.0f64, 0.0],
        [1.0, 1e-14],
        [2.0, 0.0],
        [1.0, 1.0],
        [1.0 + 1e-15, 1.0]
    ];
    let vals = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
    for rule in [OutsideRule::Nearest, OutsideRule::Extrapolate] {
        let est = TriangleEstimator::params()
            .outside(rule)
            .fit(pts.view(), vals.view())
            .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..500 {
            let q = [rng.random_range(-1.0..3.0), rng.random_range(-1.0..2.0)];
            let e = est.estimate(q);
            assert!(e.value[0].is_finite(), "{q:?}: {e:?}");
            if e.kind.is_inside() {
                assert!(e.weights.iter().all(|&w| (0.0..=1.0).contains(&w)));
            }
        }
    }
}

#[test]
fn fallback_and_outside_kinds() {
    // P's three nearest are on one side; an enclosing triangle uses a farther point.
    let pts = array![
        [0.0, 0.0],
        [0.2, 0.1],
        [0.1, 0.3],
        [3.0, 0.0],
        [0.0, 3.0],
        [-3.0, -3.0]
    ];
    let vals = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let e = est.estimate([0.5, 0.5]);
    assert_eq!(e.kind, EstimateKind::InsideKNearest);
    assert!(e.weights.iter().all(|&w| w >= 0.0));
    // Far outside: nearest-point value by default, extrapolation on request.
    let q = [10.0, 10.0];
    let e = est.estimate(q);
    let d = (7.0f64 * 7.0 + 10.0 * 10.0).sqrt();
    assert_eq!(
        e.kind,
        EstimateKind::Outside {
            distance: d.min((10.0f64.powi(2) + 7.0f64.powi(2)).sqrt())
        }
    );
    assert_eq!(e.weights, [1.0, 0.0, 0.0]);
    assert_eq!(e.value, vals.row(e.triangle[0]).to_vec());
    let ex = TriangleEstimator::params()
        .outside(OutsideRule::Extrapolate)
        .fit(pts.view(), vals.view())
        .unwrap();
    let e = ex.estimate(q);
    assert!(matches!(e.kind, EstimateKind::Outside { .. }));
    assert!(e.weights.iter().any(|&w| w < 0.0));
    assert_relative_eq!(e.weights.iter().sum::<f64>(), 1.0, epsilon = 1e-12);
}

#[test]
fn non_finite_query_is_outside_nan() {
    let pts = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), pts.view())
        .unwrap();
    let e = est.estimate([f64::NAN, 0.0]);
    assert!(matches!(e.kind, EstimateKind::Outside { distance } if distance.is_nan()));
    assert!(e.value.iter().all(|v| v.is_nan()));
}

#[test]
fn fit_errors() {
    let p = TriangleEstimator::params();
    let pts = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let v = array![[1.0], [2.0], [3.0]];
    let three_cols = Array2::<f64>::zeros((3, 3));
    assert!(matches!(
        p.fit(three_cols.view(), v.view()),
        Err(Error::ShapeMismatch(xrd_core::ShapeMismatch {
            what: "points",
            ..
        }))
    ));
    let two_rows = Array2::<f64>::zeros((2, 1));
    assert!(matches!(
        p.fit(pts.view(), two_rows.view()),
        Err(Error::ShapeMismatch(xrd_core::ShapeMismatch {
            what: "values",
            ..
        }))
    ));
    let no_cols = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        p.fit(pts.view(), no_cols.view()),
        Err(Error::ShapeMismatch(xrd_core::ShapeMismatch {
            what: "values",
            ..
        }))
    ));
    let mut bad = pts.clone();
    bad[[1, 1]] = f64::INFINITY;
    assert!(matches!(
        p.fit(bad.view(), v.view()),
        Err(Error::NonFinite(e)) if e == NonFinite::cell("point coordinate", 1, 1, f64::INFINITY)
    ));
    let mut badv = v.clone();
    badv[[2, 0]] = f64::NAN;
    assert!(matches!(
        p.fit(pts.view(), badv.view()),
        Err(Error::NonFinite(NonFinite {
            what: "value",
            at: Location::Cell { row: 2, col: 0 },
            value,
            ..
        })) if value.is_nan()
    ));
    let dup = array![[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]];
    assert!(matches!(
        p.fit(dup.view(), v.view()),
        Err(Error::TooFewPoints { distinct: 2 })
    ));
}

#[test]
fn f32_estimator_agrees_with_f64() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let pts = Array2::from_shape_fn((60, 2), |_| rng.random::<f64>());
    let vals = Array2::from_shape_fn((60, 2), |(i, j)| {
        pts[[i, 0]] * (j as f64 + 1.0) - pts[[i, 1]]
    });
    let e64 = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let (p32, v32) = (pts.mapv(|x| x as f32), vals.mapv(|x| x as f32));
    let e32 = TriangleEstimator::params()
        .fit(p32.view(), v32.view())
        .unwrap();
    for _ in 0..200 {
        let q = [rng.random::<f64>(), rng.random::<f64>()];
        let (a, b) = (e64.estimate(q), e32.estimate([q[0] as f32, q[1] as f32]));
        if a.kind.is_inside() && b.kind.is_inside() {
            for (x, y) in a.value.iter().zip(&b.value) {
                assert!((x - *y as f64).abs() < 1e-4, "{q:?}: {x} vs {y}");
            }
        }
    }
}
