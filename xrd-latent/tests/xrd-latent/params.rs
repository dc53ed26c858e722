//! Hyper-parameter validation: one test per invalid value.

use ndarray::array;
use xrd_latent::{
    DEFAULT_COLLINEAR_TOLERANCE, DEFAULT_EDGE_TOLERANCE, DEFAULT_LOCATE_TOLERANCE,
    DEFAULT_NEIGHBOURS, Error, OutsideRule, PaintGrid, TriangleEstimator, TriangleParams,
};

fn rejected(p: TriangleParams, name: &str) {
    match p.check() {
        Err(Error::InvalidParameter(xrd_core::InvalidParameter { name: got, .. })) => {
            assert_eq!(got, name)
        }
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
    // `fit` checks too.
    let pts = array![[0.0_f64, 0.0], [1.0, 0.0], [0.0, 1.0]];
    assert!(matches!(
        p.fit(pts.view(), pts.view()),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn defaults_are_documented_and_valid() {
    let p = TriangleEstimator::params();
    assert!(p.check().is_ok());
    assert_eq!(p.get_neighbours(), DEFAULT_NEIGHBOURS);
    assert_eq!(p.get_edge_tolerance(), DEFAULT_EDGE_TOLERANCE);
    assert_eq!(p.get_collinear_tolerance(), DEFAULT_COLLINEAR_TOLERANCE);
    assert_eq!(p.get_locate_tolerance(), DEFAULT_LOCATE_TOLERANCE);
    assert_eq!(p.get_outside(), OutsideRule::Nearest);
    assert_eq!(TriangleParams::default(), p);
}

#[test]
fn neighbours_below_three() {
    rejected(TriangleEstimator::params().neighbours(2), "neighbours");
}

#[test]
fn neighbours_above_max() {
    rejected(TriangleEstimator::params().neighbours(33), "neighbours");
    assert!(TriangleEstimator::params().neighbours(32).check().is_ok());
}

#[test]
fn edge_tolerance_negative() {
    rejected(
        TriangleEstimator::params().edge_tolerance(-1e-9),
        "edge_tolerance",
    );
}

#[test]
fn edge_tolerance_too_large() {
    rejected(
        TriangleEstimator::params().edge_tolerance(0.2),
        "edge_tolerance",
    );
}

#[test]
fn edge_tolerance_nan() {
    rejected(
        TriangleEstimator::params().edge_tolerance(f64::NAN),
        "edge_tolerance",
    );
}

#[test]
fn collinear_tolerance_negative() {
    rejected(
        TriangleEstimator::params().collinear_tolerance(-1.0),
        "collinear_tolerance",
    );
}

#[test]
fn collinear_tolerance_too_large() {
    rejected(
        TriangleEstimator::params().collinear_tolerance(0.5),
        "collinear_tolerance",
    );
}

#[test]
fn collinear_tolerance_infinite() {
    rejected(
        TriangleEstimator::params().collinear_tolerance(f64::INFINITY),
        "collinear_tolerance",
    );
}

#[test]
fn locate_tolerance_zero() {
    rejected(
        TriangleEstimator::params().locate_tolerance(0.0),
        "locate_tolerance",
    );
}

#[test]
fn locate_tolerance_nan() {
    rejected(
        TriangleEstimator::params().locate_tolerance(f64::NAN),
        "locate_tolerance",
    );
}

#[test]
fn params_round_trip_through_json() {
    let p = TriangleEstimator::params()
        .neighbours(12)
        .outside(OutsideRule::Extrapolate)
        .edge_tolerance(1e-7);
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<TriangleParams>(&json).unwrap(), p);
    // Missing fields take their defaults.
    let partial: TriangleParams = serde_json::from_str(r#"{"neighbours": 5}"#).unwrap();
    assert_eq!(partial, TriangleEstimator::params().neighbours(5));
}

fn grid_rejected(g: PaintGrid, name: &str) {
    match g.check() {
        Err(Error::InvalidParameter(xrd_core::InvalidParameter { name: got, .. })) => {
            assert_eq!(got, name)
        }
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}

const GRID: PaintGrid = PaintGrid {
    x_min: 0.0,
    x_max: 1.0,
    y_min: 0.0,
    y_max: 2.0,
    nx: 3,
    ny: 4,
};

#[test]
fn grid_non_finite_bound() {
    grid_rejected(
        PaintGrid {
            x_min: f64::NAN,
            ..GRID
        },
        "x_min",
    );
    grid_rejected(
        PaintGrid {
            y_max: f64::INFINITY,
            ..GRID
        },
        "y_max",
    );
    grid_rejected(
        PaintGrid {
            x_max: f64::NEG_INFINITY,
            ..GRID
        },
        "x_max",
    );
    grid_rejected(
        PaintGrid {
            y_min: f64::NAN,
            ..GRID
        },
        "y_min",
    );
}

#[test]
fn grid_zero_columns() {
    grid_rejected(PaintGrid { nx: 0, ..GRID }, "nx");
}

#[test]
fn grid_zero_rows() {
    grid_rejected(PaintGrid { ny: 0, ..GRID }, "ny");
}

#[test]
fn grid_reversed_x() {
    grid_rejected(PaintGrid { x_min: 2.0, ..GRID }, "x_max");
    assert!(
        PaintGrid {
            x_max: 0.0,
            nx: 1,
            ..GRID
        }
        .check()
        .is_ok()
    );
}

#[test]
fn grid_empty_y_with_rows() {
    grid_rejected(PaintGrid { y_max: 0.0, ..GRID }, "y_max");
}

#[test]
fn grid_round_trips_through_json() {
    let json = serde_json::to_string(&GRID).unwrap();
    assert_eq!(serde_json::from_str::<PaintGrid>(&json).unwrap(), GRID);
}

#[test]
fn grid_around_points() {
    let g = PaintGrid::around(&[[0.0_f64, 1.0], [2.0, 5.0]], 0.25, 5, 9).unwrap();
    assert_eq!((g.x_min, g.x_max, g.y_min, g.y_max), (-0.5, 2.5, 0.0, 6.0));
    assert_eq!((g.x(0), g.x(4), g.y(8), g.x(2)), (-0.5, 2.5, 6.0, 1.0));
    assert!(matches!(
        PaintGrid::around::<f64>(&[], 0.1, 2, 2),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        PaintGrid::around(&[[0.0_f64, 0.0]], -0.1, 2, 2),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "margin",
            ..
        }))
    ));
}

#[test]
fn checked_params_fit_and_predict_as_the_inherent_paths() {
    use xrd_core::{ParamGuard, Predict};
    assert!(matches!(
        TriangleParams::default().neighbours(2).into_checked(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "neighbours",
            ..
        }))
    ));
    let points = array![[0.0_f64, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let values = array![[0.0_f64], [1.0], [2.0], [3.0]];
    let checked = TriangleParams::default().into_checked().unwrap();
    let est = checked.fit((points.view(), values.view())).unwrap();
    let inherent = TriangleParams::default()
        .fit(points.view(), values.view())
        .unwrap();
    let q = array![[0.25, 0.25], [0.5, 0.75]];
    let via_trait = Predict::predict(&est, q.view()).unwrap();
    assert_eq!(via_trait, inherent.predict(q.view()).unwrap());
    assert!(via_trait.iter().all(|v| v.is_finite()));
}
