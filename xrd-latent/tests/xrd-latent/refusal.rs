//! Refusal policy.

use ndarray::array;
use xrd_latent::{
    Answer, Error, EstimatorKind, Refusal, RefusalCalibration, RefusalPolicy, TriangleEstimator,
};

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
        ..RefusalPolicy::default()
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
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "max_distance",
            ..
        }))
    ));
}

#[test]
fn check_rejects_negative_threshold() {
    assert!(matches!(
        RefusalPolicy::new(-1.0).check(),
        Err(Error::InvalidParameter(_))
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

#[test]
fn fspace_poor_reconstruction_is_refused() {
    let pts = array![[0.0_f64, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]];
    let vals = array![[0.0], [1.0], [2.0], [3.0]];
    let est = TriangleEstimator::params()
        .fit(pts.view(), vals.view())
        .unwrap();
    let policy = RefusalPolicy::default().with_max_reconstruction_error(0.1);
    assert!(
        est.estimate_or_refuse_with([1.0, 1.0], 0.05, &policy)
            .is_ok()
    );
    let r = est
        .estimate_or_refuse_with([1.0, 1.0], 0.2, &policy)
        .unwrap_err();
    assert!(matches!(r, Refusal::PoorReconstruction { error, .. } if error == 0.2));
    assert_eq!(r.estimate(), &est.estimate([1.0, 1.0]));
    // An unknown (NaN) reconstruction error is refused as a poor reconstruction.
    assert!(matches!(
        est.estimate_or_refuse_with([1.0, 1.0], f64::NAN, &policy),
        Err(Refusal::PoorReconstruction { error, .. }) if error.is_nan()
    ));
    // Geometric reasons come first.
    assert!(matches!(
        est.estimate_or_refuse_with([9.0, 9.0], 0.2, &policy),
        Err(Refusal::Outside { .. })
    ));
    // Without the criterion any error is accepted.
    let geometric = RefusalPolicy::default();
    assert!(
        est.estimate_or_refuse_with([1.0, 1.0], 1e9, &geometric)
            .is_ok()
    );
    let p = est.estimate([1.0, 1.0]);
    assert!(policy.accepts(&p.kind, p.distance));
    assert!(!policy.accepts_with(&p.kind, p.distance, 0.2));
}

#[test]
fn fspace_check_rejects_bad_reconstruction_thresholds() {
    for bad in [f64::NAN, -1.0] {
        assert!(matches!(
            RefusalPolicy::default()
                .with_max_reconstruction_error(bad)
                .check(),
            Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                name: "max_reconstruction_error",
                ..
            }))
        ));
    }
    let p = RefusalPolicy::new(0.5).with_max_reconstruction_error(1e-3);
    assert!(p.check().is_ok());
    let s = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<RefusalPolicy>(&s).unwrap(), p);
}

#[test]
fn fspace_calibration_takes_the_quantile_of_validation_values() {
    let distances: Vec<f64> = (1..=40).map(|i| i as f64 / 40.0).collect();
    let errors: Vec<f64> = (1..=40).map(|i| i as f64 * 1e-4).collect();
    let p = RefusalCalibration::default()
        .calibrate(&distances, &errors)
        .unwrap();
    // Nearest rank: ⌈0.975 · 40⌉ = 39.
    assert_eq!(p.max_distance, 39.0 / 40.0);
    assert_eq!(p.max_reconstruction_error, Some(39.0 * 1e-4));
    assert!(!p.refuse_outside);
    let refused = errors
        .iter()
        .filter(|&&e| Some(e) > p.max_reconstruction_error)
        .count();
    assert_eq!(refused, 1);
    let p = RefusalCalibration::default()
        .margin(2.0)
        .refuse_outside(true)
        .calibrate(&[], &errors)
        .unwrap();
    assert_eq!(p.max_distance, f64::INFINITY);
    assert_eq!(p.max_reconstruction_error, Some(2.0 * 39.0 * 1e-4));
    assert!(p.refuse_outside);
    assert!(matches!(
        RefusalCalibration::default().calibrate(&[0.1, f64::NAN], &[]),
        Err(Error::NonFinite(xrd_core::NonFinite {
            at: xrd_core::Location::Cell { row: 1, col: 0 },
            ..
        }))
    ));
    assert!(matches!(
        RefusalCalibration::default().calibrate(&[], &[-1.0]),
        Err(Error::NonFinite(xrd_core::NonFinite {
            at: xrd_core::Location::Cell { row: 0, col: 1 },
            ..
        }))
    ));
}

#[test]
fn fspace_calibration_rejects_a_bad_quantile() {
    for q in [0.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            RefusalCalibration::default().quantile(q).check(),
            Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                name: "quantile",
                ..
            }))
        ));
    }
    assert!(RefusalCalibration::default().quantile(1.0).check().is_ok());
}

#[test]
fn fspace_calibration_rejects_a_bad_margin() {
    for m in [0.0, -1.0, f64::INFINITY, f64::NAN] {
        assert!(matches!(
            RefusalCalibration::default()
                .margin(m)
                .calibrate(&[1.0], &[1.0]),
            Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                name: "margin",
                ..
            }))
        ));
    }
}

#[test]
fn checked_calibration_fits_the_same_policy() {
    use xrd_core::{Fit, ParamGuard};
    let distances: Vec<f64> = (1..=40).map(|i| i as f64 / 40.0).collect();
    let errors: Vec<f64> = (1..=40).map(|i| i as f64 * 1e-4).collect();
    let c = RefusalCalibration::default().margin(1.5);
    let checked = c.into_checked().unwrap();
    assert_eq!(checked.get_margin(), 1.5);
    assert_eq!(
        checked.fit((&distances[..], &errors[..])).unwrap(),
        c.calibrate(&distances, &errors).unwrap()
    );
    // The checked path still checks the data.
    assert!(matches!(
        Fit::fit_checked(&checked, (&[f64::NAN][..], &[][..])),
        Err(Error::NonFinite(xrd_core::NonFinite {
            at: xrd_core::Location::Cell { row: 0, col: 0 },
            ..
        }))
    ));
    assert!(matches!(
        RefusalCalibration::default().quantile(0.0).into_checked(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "quantile",
            ..
        }))
    ));
}

/// A composition-series answer at `distance`, flagged or not.
fn answer(distance: f64, extrapolated: bool) -> Answer {
    Answer {
        value: vec![0.5],
        by: EstimatorKind::LocalLinear,
        extrapolated,
        ill_conditioned: false,
        refused: false,
        distance,
    }
}

#[test]
fn series_answers_are_declined_when_refused_extrapolated_or_far() {
    let policy = RefusalPolicy::new(1.0).with_max_reconstruction_error(0.1);
    assert!(policy.accepts_answer(&answer(0.5, false)));
    assert!(!policy.accepts_answer(&answer(1.5, false)));
    assert!(!policy.accepts_answer(&answer(f64::NAN, false)));
    // Extrapolated is the series' outside.
    assert!(!policy.accepts_answer(&answer(0.5, true)));
    let keep_outside = RefusalPolicy {
        refuse_outside: false,
        ..policy
    };
    assert!(keep_outside.accepts_answer(&answer(0.5, true)));
    // Refused by the estimator (Extrapolation::Refuse): declined whatever the policy.
    let refused = Answer {
        refused: true,
        ..answer(0.5, true)
    };
    assert!(!keep_outside.accepts_answer(&refused));
    assert!(policy.accepts_answer_with(&answer(0.5, false), 0.05));
    assert!(!policy.accepts_answer_with(&answer(0.5, false), 0.2));
    assert!(!policy.accepts_answer_with(&answer(0.5, false), f64::NAN));
}

#[test]
fn series_calibration_counts_extrapolated_answers_as_refused() {
    // Ten validation answers at 0.1 … 1.0, those at 0.5 and 1.0 extrapolated.
    let answers: Vec<Answer> = (1..=10)
        .map(|i| answer(f64::from(i) / 10.0, i == 5 || i == 10))
        .collect();
    let answered = |p: &RefusalPolicy| answers.iter().filter(|a| p.accepts_answer(a)).count();
    let calibration = RefusalCalibration::default()
        .quantile(0.8)
        .refuse_outside(true);
    let policy = calibration.calibrate_answers(&answers, &[]).unwrap();
    // ⌈0.8 · 10⌉ = 8 answered of all ten: the two extrapolated ones are the two refused, so the
    // distance threshold keeps every other (0.9), …
    assert_eq!(policy.max_distance, 0.9);
    assert_eq!(answered(&policy), 8);
    assert!(policy.refuse_outside && policy.max_reconstruction_error.is_none());
    // … where the quantile of all the distances (0.8) would refuse a third of them.
    let distances: Vec<f64> = answers.iter().map(|a| a.distance).collect();
    let uncounted = calibration.calibrate(&distances, &[]).unwrap();
    assert_eq!(uncounted.max_distance, 0.8);
    assert_eq!(answered(&uncounted), 7);
    // More extrapolated than 1 − quantile: every other answer is kept.
    let policy = calibration
        .quantile(0.95)
        .margin(2.0)
        .calibrate_answers(&answers, &[])
        .unwrap();
    assert_eq!(policy.max_distance, 2.0 * 0.9);
    // Kept (the policy does not refuse outside estimates), they count like any other.
    let kept = RefusalCalibration::default()
        .quantile(0.8)
        .calibrate_answers(&answers, &[])
        .unwrap();
    assert_eq!(kept.max_distance, 0.8);
    assert_eq!(answered(&kept), 8);
    // Every answer declined: nothing to calibrate the distance on.
    let all_out: Vec<Answer> = answers.iter().map(|a| answer(a.distance, true)).collect();
    let policy = calibration.calibrate_answers(&all_out, &[0.1]).unwrap();
    assert_eq!(policy.max_distance, f64::INFINITY);
    assert_eq!(policy.max_reconstruction_error, Some(0.1));
    // A refused answer's NaN distance is no error; an answered one's is.
    let refused = Answer {
        refused: true,
        ..answer(f64::NAN, false)
    };
    assert!(calibration.calibrate_answers(&[refused], &[]).is_ok());
    assert!(matches!(
        calibration.calibrate_answers(&[answer(0.1, false), answer(f64::NAN, false)], &[]),
        Err(Error::NonFinite(xrd_core::NonFinite {
            at: xrd_core::Location::Cell { row: 1, col: 0 },
            ..
        }))
    ));
    assert!(matches!(
        calibration.quantile(0.0).calibrate_answers(&answers, &[]),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "quantile",
            ..
        }))
    ));
}
