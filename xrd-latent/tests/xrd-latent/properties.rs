//! Property tests of the estimator (few cases, fixed proptest seed: deterministic and fast).

use ndarray::Array2;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_latent::{OutsideRule, TriangleEstimator};

/// Relative tolerance of the exact-arithmetic identities after rounding.
const EXACT: f64 = 1e-9;

fn config() -> Config {
    Config {
        cases: 12,
        rng_seed: RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// `n` random points in [−1, 1]² and `m` random (non-affine) values.
fn data(seed: u64, n: usize, m: usize) -> (Array2<f64>, Array2<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pts = Array2::from_shape_fn((n, 2), |_| rng.random_range(-1.0..1.0));
    let vals = Array2::from_shape_fn((n, m), |_| rng.random_range(-5.0..5.0));
    (pts, vals)
}

fn queries(seed: u64, n: usize) -> Vec<[f64; 2]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xabcdef);
    (0..n)
        .map(|_| [rng.random_range(-1.2..1.2), rng.random_range(-1.2..1.2)])
        .collect()
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= EXACT * scale.max(1.0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn known_points_are_reproduced_exactly(seed in any::<u64>(), n in 3usize..40, k in 3usize..12) {
        let (pts, vals) = data(seed, n, 3);
        for rule in [OutsideRule::Nearest, OutsideRule::Extrapolate] {
            let est = TriangleEstimator::params().neighbours(k).outside(rule).fit(pts.view(), vals.view()).unwrap();
            for i in 0..n {
                let e = est.estimate([pts[[i, 0]], pts[[i, 1]]]);
                prop_assert_eq!(&e.value, &vals.row(i).to_vec());
                prop_assert_eq!(e.distance, 0.0);
            }
        }
    }

    #[test]
    fn affine_functions_are_exact_inside_and_weights_convex(seed in any::<u64>(), n in 3usize..60, k in 3usize..12) {
        let (pts, _) = data(seed, n, 1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_add(1));
        let coef: Vec<[f64; 3]> = (0..2).map(|_| [rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)]).collect();
        let f = |p: [f64; 2], c: [f64; 3]| c[0] + c[1] * p[0] + c[2] * p[1];
        let vals = Array2::from_shape_fn((n, 2), |(i, j)| f([pts[[i, 0]], pts[[i, 1]]], coef[j]));
        let est = TriangleEstimator::params().neighbours(k).fit(pts.view(), vals.view()).unwrap();
        let mut inside = 0;
        for q in queries(seed, 200) {
            let e = est.estimate(q);
            let sum: f64 = e.weights.iter().sum();
            prop_assert!((sum - 1.0).abs() <= EXACT, "weights sum {}", sum);
            if e.kind.is_inside() {
                inside += 1;
                prop_assert!(e.weights.iter().all(|&w| (0.0..=1.0).contains(&w)), "{:?}", e.weights);
                for (v, c) in e.value.iter().zip(&coef) {
                    prop_assert!(close(*v, f(q, *c), 10.0), "{:?}: {} vs {}", q, v, f(q, *c));
                }
            }
        }
        prop_assert!(n < 10 || inside > 0);
    }

    #[test]
    fn invariant_under_similarity_transforms(seed in any::<u64>(), n in 5usize..50, angle in 0.0f64..std::f64::consts::TAU, scale in 0.01f64..100.0, dx in -50.0f64..50.0, dy in -50.0f64..50.0) {
        let (pts, vals) = data(seed, n, 2);
        let (c, s) = (angle.cos(), angle.sin());
        let map = |p: [f64; 2]| [scale * (c * p[0] - s * p[1]) + dx, scale * (s * p[0] + c * p[1]) + dy];
        let moved = Array2::from_shape_fn((n, 2), |(i, j)| map([pts[[i, 0]], pts[[i, 1]]])[j]);
        for rule in [OutsideRule::Nearest, OutsideRule::Extrapolate] {
            let a = TriangleEstimator::params().outside(rule).fit(pts.view(), vals.view()).unwrap();
            let b = TriangleEstimator::params().outside(rule).fit(moved.view(), vals.view()).unwrap();
            for q in queries(seed, 100) {
                let (ea, eb) = (a.estimate(q), b.estimate(map(q)));
                prop_assert_eq!(ea.kind.is_inside(), eb.kind.is_inside(), "{:?}", q);
                let (mut ta, mut tb) = (ea.triangle, eb.triangle);
                ta.sort_unstable();
                tb.sort_unstable();
                prop_assert_eq!(ta, tb, "{:?}", q);
                prop_assert!(close(eb.distance, scale * ea.distance, scale * 1e3));
                for j in 0..2 {
                    prop_assert!(close(ea.value[j], eb.value[j], 1e3), "{:?}: {:?} vs {:?}", q, ea.value, eb.value);
                }
            }
        }
    }

    #[test]
    fn paper_labelling_rule_holds(seed in any::<u64>(), n in 5usize..50) {
        let (pts, vals) = data(seed, n, 1);
        let est = TriangleEstimator::params().fit(pts.view(), vals.view()).unwrap();
        for q in queries(seed, 100) {
            let e = est.estimate(q);
            if !e.kind.is_inside() || e.distance == 0.0 {
                continue;
            }
            let v = e.triangle.map(|r| [pts[[r, 0]], pts[[r, 1]]]);
            let score = |a: usize, b: usize, c: usize| {
                let ap = [q[0] - v[a][0], q[1] - v[a][1]];
                let ab = [v[b][0] - v[a][0], v[b][1] - v[a][1]];
                let ac = [v[c][0] - v[a][0], v[c][1] - v[a][1]];
                (ab[0] * ap[0] + ab[1] * ap[1]).min(ac[0] * ap[0] + ac[1] * ap[1])
            };
            // A = triangle[0] maximises min(x_AB·x_AP, x_AC·x_AP), and that minimum is ≥ 0
            // inside (some vertex has an angle ≤ 90° and sees P within it).
            let chosen = score(0, 1, 2);
            prop_assert!(chosen >= score(1, 0, 2) && chosen >= score(2, 0, 1));
            prop_assert!(chosen >= -1e-12);
            // Eq. 1: x_AP = s·x_AB + t·x_AC with (s, t) = weights[1..].
            let (s, t) = (e.weights[1], e.weights[2]);
            for d in 0..2 {
                let lhs = q[d] - v[0][d];
                let rhs = s * (v[1][d] - v[0][d]) + t * (v[2][d] - v[0][d]);
                prop_assert!((lhs - rhs).abs() <= 1e-9);
            }
        }
    }

    #[test]
    fn estimate_of_locate_reproduces_the_target(seed in any::<u64>(), n in 20usize..80) {
        let (pts, vals) = data(seed, n, 3);
        let est = TriangleEstimator::params().fit(pts.view(), vals.view()).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 77);
        let mut tried = 0;
        while tried < 4 {
            let p0 = [rng.random_range(-0.8..0.8), rng.random_range(-0.8..0.8)];
            let e0 = est.estimate(p0);
            if !e0.kind.is_inside() {
                continue;
            }
            tried += 1;
            for comps in [[0usize, 1].as_slice(), &[2]] {
                let q: Vec<(usize, f64)> = comps.iter().map(|&c| (c, e0.value[c])).collect();
                let found = est.locate(&q);
                prop_assert!(found.is_ok(), "{:?} {:?}", p0, comps);
                let found = found.unwrap();
                let e = est.estimate(found.point);
                for &(c, v) in &q {
                    prop_assert!((e.value[c] - v).abs() <= 10.0 * 1e-6, "{} vs {}", e.value[c], v);
                }
            }
        }
    }
}
