//! The composition-series estimators: parameters, extrapolation, degenerate triangles and
//! leave-one-out, against naive computations.

use ndarray::{Array2, array};
use xrd_latent::{
    EstimatorKind, Extrapolation, SeriesParams, TriangleParams, delta, mean_predictor_delta,
};

fn rejects(params: SeriesParams, name: &str) {
    match params.check() {
        Err(xrd_latent::Error::InvalidParameter(xrd_core::InvalidParameter {
            name: got, ..
        })) => assert_eq!(got, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}

#[test]
fn series_invalid_parameters_are_named() {
    assert!(SeriesParams::new().check().is_ok());
    rejects(SeriesParams::new().neighbours(1), "neighbours");
    rejects(SeriesParams::new().min_axis_ratio(0.0), "min_axis_ratio");
    rejects(SeriesParams::new().min_axis_ratio(1.5), "min_axis_ratio");
    rejects(
        SeriesParams::new().min_axis_ratio(f64::NAN),
        "min_axis_ratio",
    );
    rejects(
        SeriesParams::new().min_conditioning(-0.1),
        "min_conditioning",
    );
    rejects(
        SeriesParams::new().min_conditioning(0.9),
        "min_conditioning",
    );
    rejects(
        SeriesParams::new().extrapolation_margin(-1.0),
        "extrapolation_margin",
    );
    rejects(
        SeriesParams::new().extrapolation_margin(f64::INFINITY),
        "extrapolation_margin",
    );
    rejects(
        SeriesParams::new().triangle(TriangleParams::default().neighbours(2)),
        "neighbours",
    );
}

/// A series along a parabola: label t at (t, t²).
fn parabola(n: usize) -> (Array2<f64>, Array2<f64>) {
    let t: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    (
        Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { t[i] } else { t[i] * t[i] }),
        Array2::from_shape_fn((n, 1), |(i, _)| t[i]),
    )
}

#[test]
fn series_ends_are_flagged_and_bounded_by_the_policy() {
    let (points, labels) = parabola(11);
    let fit = |policy| {
        SeriesParams::new()
            .neighbours(2)
            .extrapolation(policy)
            .fit(EstimatorKind::LocalLinear, points.view(), labels.view())
            .unwrap()
    };
    // Inside: between its neighbours, exact on the parabola's chord up to curvature.
    let inside = fit(Extrapolation::Clamp).estimate([0.45, 0.2025]);
    assert!(
        !inside.extrapolated && (inside.value[0] - 0.45).abs() < 0.01,
        "{inside:?}"
    );
    // Far beyond the last point: flagged; bounded, refused or kept by the policy.
    let far = [3.0, 9.0];
    let clamp = fit(Extrapolation::Clamp).estimate(far);
    assert!(clamp.extrapolated && !clamp.refused);
    // The two nearest (0.9, 1.0) span 0.1: at most 1.0 + 1 × 0.1.
    assert!((clamp.value[0] - 1.1).abs() < 1e-12, "{clamp:?}");
    let refuse = fit(Extrapolation::Refuse).estimate(far);
    assert!(refuse.extrapolated && refuse.refused);
    let allow = fit(Extrapolation::Allow).estimate(far);
    assert!(allow.extrapolated && allow.value[0] > 1.5, "{allow:?}");
    let tight = SeriesParams::new()
        .neighbours(2)
        .extrapolation_margin(0.0)
        .fit(EstimatorKind::LocalLinear, points.view(), labels.view())
        .unwrap();
    assert_eq!(tight.estimate(far).value, vec![1.0]);
    // Non-finite points are refused, never NaN answers passed as estimates.
    let nan = fit(Extrapolation::Allow).estimate([f64::NAN, 0.0]);
    assert!(nan.refused && nan.value[0].is_nan());
}

#[test]
fn series_nearly_degenerate_triangles_are_not_used() {
    // Four points nearly on a line and one off it: P inside the thin triangle (0, 1, 2).
    let points = array![[0.0, 0.0], [1.0, 0.001], [2.0, 0.0], [1.0, 5.0], [3.0, 5.0]];
    let labels = array![[0.0], [1.0], [2.0], [40.0], [50.0]];
    let p = [1.0, 0.0005];
    let triangle = TriangleParams::default()
        .fit(points.view(), labels.view())
        .unwrap()
        .estimate(p);
    let est = SeriesParams::new()
        .fit(EstimatorKind::Triangle, points.view(), labels.view())
        .unwrap()
        .estimate(p);
    // The paper's rule uses the needle; here it is detected and the local fit answers.
    assert!(triangle.kind.is_inside());
    assert!(est.ill_conditioned, "{est:?}");
    assert_eq!(est.by, EstimatorKind::LocalLinear);
    // A well-shaped triangle answers as the paper's rule does.
    let well = SeriesParams::new()
        .min_conditioning(0.0)
        .fit(EstimatorKind::Triangle, points.view(), labels.view())
        .unwrap()
        .estimate(p);
    assert!(!well.ill_conditioned && well.by == EstimatorKind::Triangle);
    assert_eq!(well.value, triangle.value);
}

#[test]
fn series_leave_one_out_matches_refitting_by_hand() {
    let (points, labels) = parabola(9);
    let params = SeriesParams::new().neighbours(3);
    let loo = params
        .leave_one_out(EstimatorKind::LocalLinear, points.view(), labels.view())
        .unwrap();
    for i in [0, 4, 8] {
        let keep: Vec<usize> = (0..9).filter(|&j| j != i).collect();
        let sub = params
            .fit(
                EstimatorKind::LocalLinear,
                points.select(ndarray::Axis(0), &keep).view(),
                labels.select(ndarray::Axis(0), &keep).view(),
            )
            .unwrap();
        let a = sub.estimate([points[[i, 0]], points[[i, 1]]]);
        assert_eq!(loo.records[i].answer, a);
        assert_eq!(loo.records[i].delta, delta(&a.value, &[labels[[i, 0]]]));
    }
    // The ends are flagged, the interior is not.
    assert!(loo.records[0].answer.extrapolated && loo.records[8].answer.extrapolated);
    assert!(loo.records[1..8].iter().all(|r| !r.answer.extrapolated));
    // The mean predictor, by hand.
    let n = 9.0;
    let by_hand: f64 = (0..9)
        .map(|i| {
            let others = (labels.sum() - labels[[i, 0]]) / (n - 1.0);
            (others - labels[[i, 0]]).powi(2)
        })
        .sum::<f64>()
        / n;
    assert!((mean_predictor_delta(labels.view()) - by_hand).abs() < 1e-15);
}

#[test]
fn series_choice_beats_the_mean_and_names_what_it_chose() {
    let (points, labels) = parabola(12);
    let choice = SeriesParams::new()
        .choose(points.view(), labels.view())
        .unwrap();
    // Every estimator kind, the local fit at every candidate k.
    assert_eq!(
        choice.evaluations.len(),
        2 + xrd_latent::CANDIDATE_NEIGHBOURS.len()
    );
    let best = choice.evaluation(choice.chosen).unwrap();
    assert_eq!(best.neighbours, choice.params.get_neighbours());
    for e in &choice.evaluations {
        assert!(best.mean_delta() <= e.mean_delta());
    }
    assert!(best.mean_delta() < 0.01 * choice.mean_predictor_delta);
    let fitted = choice.fit(points.view(), labels.view()).unwrap();
    assert_eq!(fitted.kind(), choice.chosen);
}

/// A series folded back on itself (as PCA folds one into a near circle): labels by arc length
/// along (2, 1) → (1, 1) → (0, 1) → (0, −0.8) → (0.5, −0.8); the left-out point (0, 0) lies
/// between (0, 1) and (0, −0.8) on the series, but its two nearest labelled points are
/// (0, −0.8) and (0.5, −0.8), both below it.
fn folded() -> (Array2<f64>, Array2<f64>) {
    let points = array![[2.0, 1.0], [1.0, 1.0], [0.0, 1.0], [0.0, -0.8], [0.5, -0.8]];
    let step = 1.0 / 12.0;
    let labels = array![
        [7.0 * step],
        [8.0 * step],
        [9.0 * step],
        [11.0 * step],
        [12.0 * step]
    ];
    (points, labels)
}

#[test]
fn series_fit_at_a_fold_takes_a_neighbour_from_the_far_side() {
    let (points, labels) = folded();
    let est = SeriesParams::new()
        .neighbours(2)
        .fit(EstimatorKind::LocalLinear, points.view(), labels.view())
        .unwrap()
        .estimate([0.0, 0.0]);
    // The line through the two nearest gives 11/12 (0.917) unflagged; through (0, −0.8) and
    // (0, 1), on either side, the arc-length value 9/12 + (1/1.8)(2/12) = 0.843.
    let truth = 9.0 / 12.0 + (1.0 / 1.8) * (2.0 / 12.0);
    assert!(
        (est.value[0] - truth).abs() < 1e-9 && !est.extrapolated,
        "{est:?}"
    );
}

#[test]
fn series_corner_with_nothing_beyond_is_flagged() {
    // The series turns by more than 90° at (0, 0): its neighbours (0.5, 0) (the last point of
    // the series) and (0.1, 0.8) both lie to one side, and no labelled point lies on the other:
    // a line through them cuts the corner.
    let points = array![[0.1, 2.4], [0.1, 1.6], [0.1, 0.8], [0.5, 0.0]];
    let labels = array![[0.667], [0.75], [0.833], [1.0]];
    let fit = |policy| {
        SeriesParams::new()
            .neighbours(2)
            .extrapolation(policy)
            .fit(EstimatorKind::LocalLinear, points.view(), labels.view())
            .unwrap()
    };
    let corner = [0.0, 0.0];
    let allowed = fit(Extrapolation::Allow).estimate(corner);
    // Its answer stays between their values: only the geometry tells.
    assert!(
        allowed.value[0] > 0.833 && allowed.value[0] < 1.0,
        "{allowed:?}"
    );
    assert!(allowed.extrapolated, "{allowed:?}");
    assert!(fit(Extrapolation::Refuse).estimate(corner).refused);
    // A point the two surround ((0.1, 0.8)–(0.5, 0) seen at more than 90°) is not flagged.
    let between = fit(Extrapolation::Allow).estimate([0.3, 0.4]);
    assert!(!between.extrapolated, "{between:?}");
}

#[test]
fn series_points_of_one_value_are_not_extrapolated_from() {
    // At the edge of a cluster of one label, its nearest points lie on one side, but a fit of
    // one value carries nothing beyond them.
    let points = array![
        [0.0, 0.0],
        [0.1, 0.0],
        [0.0, 0.1],
        [5.0, 5.0],
        [5.1, 5.0],
        [5.0, 5.1]
    ];
    let labels = array![[1.0], [1.0], [1.0], [2.0], [2.0], [2.0]];
    let est = SeriesParams::new()
        .neighbours(2)
        .fit(EstimatorKind::LocalLinear, points.view(), labels.view())
        .unwrap()
        .estimate([-0.2, -0.2]);
    assert!(!est.extrapolated && est.value == vec![1.0], "{est:?}");
}
