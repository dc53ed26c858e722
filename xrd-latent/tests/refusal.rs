//! Refusal policy.

use ndarray::array;
use xrd_latent::{Error, Refusal, RefusalPolicy, TriangleEstimator};

#[test]
fn declines_outside_and_far_points() {
    let pts = array![[0.0_f64, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]];
    let vals = array![[0.0], [1.0], [2.0], [3.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let default = RefusalPolicy::default();
    assert!(est.estimate_or_refuse([2.0, 2.0], &default).is_ok());
    assert!(matches!(
        est.estimate_or_refuse([9.0, 9.0], &default),
        Err(Refusal::Outside { .. })
    ));
    let strict = RefusalPolicy::new(1.0);
    let r = est.estimate_or_refuse([2.0, 2.0], &strict).unwrap_err();
    assert!(matches!(r, Refusal::TooFar { .. }));
    assert_eq!(r.estimate().distance, 8.0_f64.sqrt());
    assert!(est.estimate_or_refuse([0.5, 0.5], &strict).is_ok());
    let lenient = RefusalPolicy {
        max_distance: 10.0,
        refuse_outside: false,
    };
    assert!(est.estimate_or_refuse([5.0, 5.0], &lenient).is_ok());
    assert!(matches!(
        est.estimate_or_refuse([20.0, 20.0], &lenient),
        Err(Refusal::TooFar { .. })
    ));
}

#[test]
fn check_rejects_nan_threshold() {
    assert!(matches!(
        RefusalPolicy::new(f64::NAN).check(),
        Err(Error::InvalidParam {
            name: "max_distance",
            ..
        })
    ));
}

#[test]
fn check_rejects_negative_threshold() {
    assert!(matches!(
        RefusalPolicy::new(-1.0).check(),
        Err(Error::InvalidParam { .. })
    ));
    assert!(RefusalPolicy::new(f64::INFINITY).check().is_ok());
    assert!(RefusalPolicy::new(0.0).check().is_ok());
}

#[test]
fn policy_round_trips_through_json() {
    let p = RefusalPolicy::new(0.25);
    let s = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<RefusalPolicy>(&s).unwrap(), p);
    assert_eq!(
        serde_json::from_str::<RefusalPolicy>("{}").unwrap(),
        RefusalPolicy::default()
    );
}
