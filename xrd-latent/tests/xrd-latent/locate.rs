//! Inverse look-up.

use approx::assert_relative_eq;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_latent::{Error, TriangleEstimator};

fn cloud(seed: u64, n: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pts = Array2::from_shape_fn((n, 2), |_| rng.random::<f64>());
    // Smooth but not affine, three components.
    let vals = Array2::from_shape_fn((n, 3), |(i, j)| {
        let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
        match j {
            0 => x + 0.3 * (3.0 * y).sin(),
            1 => y + 0.2 * x * x,
            _ => (x * y).cos(),
        }
    });
    (pts, vals)
}

#[test]
fn affine_map_is_inverted_exactly() {
    let (pts, _) = cloud(5, 80);
    let vals = Array2::from_shape_fn((80, 2), |(i, j)| {
        let (x, y) = (pts[[i, 0]], pts[[i, 1]]);
        if j == 0 {
            2.0 * x - y + 1.0
        } else {
            0.5 * x + 3.0 * y
        }
    });
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let (x, y) = (0.4, 0.55);
    let q = [(0, 2.0 * x - y + 1.0), (1, 0.5 * x + 3.0 * y)];
    let found = est.locate(&q).unwrap();
    assert_relative_eq!(found.point[0], x, epsilon = 1e-9);
    assert_relative_eq!(found.point[1], y, epsilon = 1e-9);
    assert!(found.residual <= 1e-9);
}

#[test]
fn estimate_of_located_point_matches_the_target() {
    let (pts, vals) = cloud(9, 120);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..30 {
        let p0 = [rng.random_range(0.2..0.8), rng.random_range(0.2..0.8)];
        let e0 = est.estimate(p0);
        for comps in [vec![0, 1], vec![2], vec![1, 2, 0]] {
            let q: Vec<(usize, f64)> = comps.iter().map(|&c| (c, e0.value[c])).collect();
            let found = est
                .locate(&q)
                .unwrap_or_else(|e| panic!("{p0:?} {comps:?}: {e}"));
            let e = est.estimate(found.point);
            for &(c, v) in &q {
                assert!((e.value[c] - v).abs() <= 1e-6 * 2.0, "{p0:?} {comps:?}");
            }
            assert!(found.estimate.distance <= e0.distance + 1e-12 || comps.len() > 1);
        }
    }
}

#[test]
fn unreachable_and_invalid_targets() {
    let (pts, vals) = cloud(2, 50);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    assert!(matches!(
        est.locate(&[(0, 100.0)]),
        Err(Error::NotReachable)
    ));
    assert!(matches!(
        est.locate(&[(0, 0.5), (1, -7.0)]),
        Err(Error::NotReachable)
    ));
    assert!(matches!(est.locate(&[]), Err(Error::EmptyTarget)));
    assert!(matches!(
        est.locate(&[(3, 0.0)]),
        Err(Error::ComponentOutOfRange {
            component: 3,
            available: 3
        })
    ));
    assert!(matches!(
        est.locate(&[(1, 0.0), (1, 0.2)]),
        Err(Error::DuplicateComponent { component: 1 })
    ));
    assert!(matches!(
        est.locate(&[(0, f64::NAN)]),
        Err(Error::NonFinite(_))
    ));
}

#[test]
fn one_component_prefers_the_data() {
    // Level equal to a known value: the known point itself is the nearest solution.
    let (pts, vals) = cloud(4, 60);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let i = 17;
    let found = est.locate(&[(2, vals[[i, 2]])]).unwrap();
    assert_eq!(found.estimate.distance, 0.0);
    assert_relative_eq!(found.estimate.value[2], vals[[i, 2]], epsilon = 1e-12);
}

#[test]
fn walking_from_a_nearby_point_reaches_the_target() {
    let (pts, vals) = cloud(9, 120);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let tol = est.fitted_with().get_locate_tolerance();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut reached = 0;
    for _ in 0..30 {
        let p0 = [rng.random_range(0.3..0.7), rng.random_range(0.3..0.7)];
        let e0 = est.estimate(p0);
        let q: Vec<(usize, f64)> = vec![(0, e0.value[0]), (1, e0.value[1])];
        // Start a small step away; where the walk arrives, the estimate is the target.
        let start = [p0[0] + 0.01, p0[1] - 0.01];
        let Ok(found) = est.walk(&q, start) else {
            continue;
        };
        reached += 1;
        let e = est.estimate(found.point);
        assert_eq!(e, found.estimate);
        assert!(found.residual <= tol, "{found:?}");
        for &(c, v) in &q {
            assert!(
                (e.value[c] - v).abs() <= 1e-5,
                "{p0:?}: {:?} vs {q:?}",
                e.value
            );
        }
    }
    assert!(reached >= 25, "only {reached} of 30 walks arrived");
    // A start that already estimates to the target is returned as it is.
    let p = [0.5, 0.5];
    let e = est.estimate(p);
    let at = est.walk(&[(2, e.value[2])], p).unwrap();
    assert_eq!(at.point, p);
}

#[test]
fn walking_checks_its_target_and_stops_outside_the_data() {
    let (pts, vals) = cloud(9, 120);
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let p = [0.5, 0.5];
    assert!(matches!(est.walk(&[], p), Err(Error::EmptyTarget)));
    assert!(matches!(
        est.walk(&[(3, 0.0)], p),
        Err(Error::ComponentOutOfRange { .. })
    ));
    assert!(matches!(
        est.walk(&[(0, 0.1), (0, 0.2)], p),
        Err(Error::DuplicateComponent { .. })
    ));
    assert!(matches!(
        est.walk(&[(0, f64::NAN)], p),
        Err(Error::NonFinite(_))
    ));
    // Values far beyond the data: the walk leaves it instead of returning a guess.
    assert!(matches!(
        est.walk(&[(0, 50.0), (1, -50.0)], p),
        Err(Error::NotReachable)
    ));
}
