//! Baselines, metrics, parameter checks and the evaluation on a small synthetic series.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::common::{self, mean_of};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_interp::{
    CompareParams, Error, LinearBlend, NearestMean, PatternModel, RegressorConfig, compare,
    same_composition,
};
use xrd_interp::{EvalConfig, Method, Reference, evaluate};

const TIGHT: f64 = 1e-12;

#[test]
fn nearest_mean_returns_the_nearest_compositions_mean() {
    let data = common::dataset(&[]);
    let m = NearestMean::fit(&data).unwrap();
    assert_eq!(m.known().len(), 9);
    let p = m.predict(&[0.6, 0.0]).unwrap();
    for (a, b) in p.iter().zip(mean_of(&data, [0.5, 0.0])) {
        assert!((a - b).abs() < TIGHT);
    }
    let p = m.predict(&[1.0, 0.45]).unwrap();
    for (a, b) in p.iter().zip(mean_of(&data, [1.0, 0.5])) {
        assert!((a - b).abs() < TIGHT);
    }
    assert!(matches!(
        m.predict(&[1.0]),
        Err(Error::InvalidComposition { .. })
    ));
}

#[test]
fn linear_blend_mixes_the_bracketing_means() {
    let data = common::dataset(&[[1.0, 0.0]]);
    let m = LinearBlend::fit(&data).unwrap();
    // x = 0.8 lies between 0.5 and 1.5 (x = 1 is held out): weights 0.7 and 0.3.
    let b = m.bracket(&[0.8, 0.0]).unwrap();
    assert_eq!(b.members.len(), 2);
    let p = m.predict(&[0.8, 0.0]).unwrap();
    let (lo, hi) = (mean_of(&data, [0.5, 0.0]), mean_of(&data, [1.5, 0.0]));
    for ((a, l), h) in p.iter().zip(&lo).zip(&hi) {
        assert!((a - (0.7 * l + 0.3 * h)).abs() < 1e-9);
    }
    // y = 0.3 at x = 1 between y = 0.25 and 0.375.
    let b = m.bracket(&[1.0, 0.3]).unwrap();
    let w: f64 = b.weights.iter().sum();
    assert!((w - 1.0).abs() < 1e-12 && b.members.len() == 2);
    // A known composition is its own mean.
    let p = m.predict(&[2.0, 0.0]).unwrap();
    for (a, b) in p.iter().zip(mean_of(&data, [2.0, 0.0])) {
        assert!((a - b).abs() < TIGHT);
    }
    // Off every segment (x = 1, y = 0 is held out): a triangle of known compositions.
    let b = m.bracket(&[1.0, 0.05]).unwrap();
    assert_eq!(b.members.len(), 3, "{b:?}");
    assert!(matches!(
        m.bracket(&[3.0, 0.0]),
        Err(Error::NotBracketed { .. })
    ));
    assert!(matches!(
        m.predict(&[0.5, -0.1]),
        Err(Error::NotBracketed { .. })
    ));
}

#[test]
fn linear_blend_uses_a_triangle_off_the_lines() {
    let data = common::dataset(&[]);
    let m = LinearBlend::fit(&data).unwrap();
    // (0.75, 0.1) lies on no segment but inside triangles of known compositions.
    let b = m.bracket(&[0.75, 0.1]).unwrap();
    assert_eq!(b.members.len(), 3);
    assert!(b.weights.iter().all(|&w| w >= -1e-9));
    let c = m.known().compositions.clone();
    for k in 0..2 {
        let v: f64 = b
            .members
            .iter()
            .zip(&b.weights)
            .map(|(&i, w)| w * c[[i, k]])
            .sum();
        assert!((v - [0.75, 0.1][k]).abs() < 1e-9);
    }
}

#[test]
fn the_regressor_learns_the_training_compositions() {
    let data = common::dataset(&[]);
    let mut cfg = RegressorConfig {
        hidden: vec![16, 32],
        ..Default::default()
    };
    cfg.train.epochs = 300;
    cfg.train.batch_size = 6;
    cfg.train.validation_fraction = 0.0;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let reg = cfg.fit(&data, &mut rng).unwrap();
    let p = reg.predict(&[1.5, 0.0]).unwrap();
    let c = compare(
        p.as_slice().unwrap(),
        &mean_of(&data, [1.5, 0.0]),
        &data.grid,
        &CompareParams::default(),
    )
    .unwrap();
    assert!(c.pearson < 0.1, "{c:?}");
    assert!(matches!(
        reg.predict(&[f64::INFINITY, 0.0]),
        Err(Error::InvalidComposition { .. })
    ));
}

#[test]
fn the_checked_regressor_config_fits_the_same_and_reports_epochs() {
    use xrd_io::ParamGuard;
    let data = common::dataset(&[]);
    let mut cfg = RegressorConfig {
        hidden: vec![8],
        ..Default::default()
    };
    cfg.train.epochs = 4;
    cfg.train.validation_fraction = 0.0;
    let inherent = cfg
        .fit(&data, &mut Xoshiro256PlusPlus::seed_from_u64(5))
        .unwrap();
    let mut epochs = 0;
    let checked = cfg
        .clone()
        .into_checked()
        .unwrap()
        .fit_with(&data, &mut Xoshiro256PlusPlus::seed_from_u64(5), |_| {
            epochs += 1
        })
        .unwrap();
    assert_eq!(epochs, 4);
    assert_eq!(
        inherent.predict(&[1.5, 0.0]).unwrap(),
        checked.predict(&[1.5, 0.0]).unwrap(),
        "same seed, same bits"
    );
    cfg.hidden.clear();
    assert!(matches!(
        cfg.into_checked(),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "hidden",
            ..
        }))
    ));
}

#[test]
fn identical_patterns_compare_perfectly() {
    let g = common::grid();
    let p = common::pattern(0.5, 0.0, [0.0; 3]);
    let c = compare(&p, &p, &g, &CompareParams::default()).unwrap();
    assert!(c.pearson.abs() < 1e-12 && c.cosine.abs() < 1e-12 && c.jsd.abs() < 1e-12);
    assert!(c.dtw.abs() < 1e-12);
    assert_eq!(c.peak_match, 1.0);
    assert_eq!(c.peak_shift, 0.0);
    // A shifted pattern: the shift of the strongest peaks shows it.
    let q = common::pattern(1.0, 0.0, [0.0; 3]);
    let c = compare(&q, &p, &g, &CompareParams::default()).unwrap();
    assert!(c.peak_shift > 0.15 && c.peak_shift <= 0.5, "{c:?}");
    // An all-zero prediction gets the worst values, not an error.
    let z = vec![0.0; g.len()];
    let c = compare(&z, &p, &g, &CompareParams::default()).unwrap();
    assert_eq!(
        (c.pearson, c.cosine, c.jsd, c.peak_match),
        (1.0, 1.0, 1.0, 0.0)
    );
    assert!(matches!(
        compare(&z[1..], &p, &g, &CompareParams::default()),
        Err(Error::ShapeMismatch(s)) if s.what == "predicted pattern"
    ));
}

#[test]
fn invalid_parameters_are_errors() {
    let ok = CompareParams::default();
    assert!(ok.check().is_ok());
    for (bad, name) in [
        (ok.clone().match_window(0.0), "match_window"),
        (ok.clone().match_window(f64::NAN), "match_window"),
        (ok.clone().dtw_band(-1.0), "dtw_band"),
        (ok.clone().shift_window(f64::INFINITY), "shift_window"),
        (ok.clone().strongest(0), "strongest"),
        (
            ok.clone()
                .peaks(xrd_io::peaks::PeakParams::default().relative_height(2.0)),
            "relative_height",
        ),
    ] {
        match bad.check() {
            Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: got, .. })) => {
                assert_eq!(got, name)
            }
            Err(Error::Io(xrd_io::Error::InvalidParameter(xrd_io::InvalidParameter {
                name: got,
                ..
            }))) => {
                assert_eq!(got, name)
            }
            other => panic!("{bad:?}: expected InvalidParameter({name}), got {other:?}"),
        }
    }
    let mut r = RegressorConfig::default();
    r.hidden.clear();
    assert!(matches!(
        r.check(),
        Err(Error::InvalidParameter(p)) if p.name == "hidden"
    ));
    let r = RegressorConfig {
        hidden: vec![0],
        ..Default::default()
    };
    assert!(matches!(
        r.check(),
        Err(Error::Ae(xrd_ae::Error::InvalidParameter(p))) if p.name == "layers"
    ));
    let mut r = RegressorConfig::default();
    r.train.epochs = 0;
    assert!(matches!(
        r.check(),
        Err(Error::Ae(xrd_ae::Error::InvalidParameter(p))) if p.name == "epochs"
    ));
    let e = EvalConfig::default();
    assert!(e.check().is_ok());
    assert!(matches!(
        EvalConfig {
            holdouts: vec![],
            ..e.clone()
        }
        .check(),
        Err(Error::InvalidParameter(p)) if p.name == "holdouts"
    ));
    assert!(matches!(
        EvalConfig {
            seeds: vec![],
            ..e.clone()
        }
        .check(),
        Err(Error::InvalidParameter(p)) if p.name == "seeds"
    ));
    assert!(matches!(
        EvalConfig {
            methods: vec![],
            ..e.clone()
        }
        .check(),
        Err(Error::InvalidParameter(p)) if p.name == "methods"
    ));
    assert!(matches!(
        e.clone().epochs(0).check(),
        Err(Error::Ae(xrd_ae::Error::InvalidParameter(p))) if p.name == "epochs"
    ));
}

#[test]
fn the_evaluation_holds_out_and_renders_a_table() {
    let data = common::dataset(&[]);
    let mut cfg = EvalConfig::default().epochs(150).seeds(vec![0, 1]);
    cfg.holdouts = vec![vec![1.0, 0.0], vec![1.0, 0.25]];
    cfg.autoencoder.hidden = vec![32, 8];
    cfg.autoencoder.train.batch_size = 6;
    cfg.autoencoder.train.validation_fraction = 0.0;
    cfg.regressor.hidden = vec![8, 16];
    cfg.regressor.train.batch_size = 6;
    let mut calls = 0;
    let table = evaluate(&data, &cfg, |p| {
        calls += 1;
        assert_eq!(p.done, calls);
        assert_eq!(p.total, 2 * (2 + 2 + 1 + 1 + 2));
    })
    .unwrap();
    assert_eq!(calls, 16);
    assert_eq!(table.rows.len(), 2 * 5 * 2);
    for r in &table.rows {
        let expect = if r.method.is_trained() { 2 } else { 1 };
        assert_eq!(r.values.len() + r.failures, expect, "{r:?}");
        assert_eq!(r.configurations, common::CONFIGS);
    }
    // The baselines contour decoding is measured against, computed here from the data on every
    // hold-out (Pearson distance to the hold-out's mean pattern): the mean training pattern, and
    // the mean pattern of the nearest known composition (which the table's row (a) must equal).
    //
    // Measured (seeds 0, 1; 150 epochs), Pearson distance of contour / centroids decoding:
    // - x = 1: 0.278 / 0.256 (seed 1 not served); mean pattern 0.476; nearest (y = 0.125) 0.246;
    // - y = 0.25: 0.625, 0.281 / 0.628, 0.283; mean pattern 0.272; nearest (y = 0.125) 0.258.
    // So on this fixture contour decoding beats the mean training pattern at x = 1 only, and the
    // nearest known composition nowhere, not even on average (0.395 against 0.254). At 600
    // epochs seed 1 reaches 0.140 at y = 0.25 while seed 0 gets 0.699: it depends on the
    // training run. Asserted is what holds; the rest is #32's open shortfall.
    let beats_mean_pattern: [[f64; 2]; 1] = [[1.0, 0.0]];
    for h in &cfg.holdouts {
        let h2 = [h[0], h[1]];
        let train = common::dataset(&[h2]);
        let truth = mean_of(&data, h2);
        let distance = |p: &[f64]| {
            compare(p, &truth, &data.grid, &cfg.compare)
                .unwrap()
                .pearson
        };
        let mean = distance(&common::mean_training_pattern(&train));
        let nearest = distance(&common::nearest_composition_mean(&train, h2).1);
        let row = table
            .rows_for(Reference::Mean)
            .find(|r| r.method == Method::Nearest && same_composition(&r.holdout, h))
            .unwrap();
        assert!(
            (row.stat(0).mean - nearest).abs() < 1e-9,
            "{h:?}: {row:?} vs {nearest}"
        );
        for method in [Method::Contour, Method::Centroids] {
            let r = table
                .rows_for(Reference::Mean)
                .find(|r| r.method == method && same_composition(&r.holdout, h))
                .unwrap();
            let served: Vec<f64> = r.values.iter().map(|v| v[0]).collect();
            eprintln!("{method:?} {h:?}: {served:?}; mean pattern {mean:.3}, nearest {nearest:.3}");
            // Each hold-out is served by at least one seed.
            assert!(!served.is_empty(), "{method:?} served no seed at {h:?}");
            if beats_mean_pattern.contains(&h2) {
                for d in &served {
                    assert!(
                        *d < mean,
                        "{method:?} at {h:?}: {d:.3} does not beat the mean training pattern {mean:.3}"
                    );
                }
            }
        }
    }
    // The blend of x = 0.5 and 1.5 at x = 1: known exactly here, so it must score well.
    let blend = table
        .rows_for(Reference::Mean)
        .find(|r| r.method == Method::Blend && same_composition(&r.holdout, &[1.0, 0.0]))
        .unwrap();
    assert!(blend.stat(0).mean < 0.5);
    let md = table.to_string();
    assert!(md.contains("| hold-out | method |"));
    assert!(md.contains("contour decoding") && md.contains("(c) direct regressor"));
    assert!(md.contains("contour (centroids)"));
    assert!(md.contains("**all hold-outs**"));
    let mut cfg2 = cfg.clone();
    cfg2.holdouts = vec![vec![0.7, 0.0]];
    assert!(matches!(
        evaluate(&data, &cfg2, |_| {}),
        Err(Error::EmptyHoldout { .. })
    ));
}
