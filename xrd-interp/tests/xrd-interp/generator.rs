//! Contour decoding on a small synthetic alloy series with a tiny autoencoder.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::common;

use rand::SeedableRng;
use xrd_interp::{CompareParams, Error, Generator, PatternModel, compare};
use xrd_io::similarity::pearson;

/// Generated vs true patterns of a training composition: Pearson r at least this.
const MIN_PEARSON_KNOWN: f64 = 0.97;
/// Tolerance on the composition at the located point (the locate tolerance is 1e-6 of the range).
const LOCATE_TOL: f64 = 1e-5;

/// The generator over the whole series (its autoencoder trained once per binary).
fn generator() -> (Generator<f64>, &'static xrd_io::Dataset<f64>) {
    let (data, ae) = common::trained_on_all();
    (Generator::new(ae.clone(), data).expect("generator"), data)
}

#[test]
fn a_training_composition_reproduces_its_patterns() {
    let (g, data) = generator();
    for c in common::COMPOSITIONS {
        let out = g.generate(&c).expect("training composition is reachable");
        assert!(!out.outside_data, "{c:?} flagged outside");
        for i in (0..data.len()).filter(|&i| common::has_composition(data, i, c)) {
            let truth = data.patterns.row(i).to_vec();
            let r = pearson(out.pattern.as_slice().expect("contiguous"), &truth).expect("defined");
            assert!(r >= MIN_PEARSON_KNOWN, "{c:?} row {i}: r = {r}");
        }
    }
}

#[test]
fn the_generated_point_re_estimates_to_the_requested_composition() {
    let (g, _) = generator();
    let mut reached = 0;
    for c in [
        [0.25, 0.0],
        [0.75, 0.0],
        [1.25, 0.0],
        [1.75, 0.0],
        [1.0, 0.3],
    ] {
        let Ok(out) = g.generate(&c) else { continue };
        reached += 1;
        // The located point itself.
        let e = g.estimator().estimate(out.latent);
        for (v, want) in e.value.iter().zip(c) {
            assert!((v - want).abs() < LOCATE_TOL, "{c:?}: {:?}", e.value);
        }
    }
    assert!(
        reached >= 4,
        "only {reached} of 5 intermediate compositions reachable"
    );
}

#[test]
fn an_unseen_composition_beats_the_mean_training_pattern() {
    // x = 1.0 at y = 0 is held out: the generator has never seen it. It must beat what a
    // decoder that ignores the composition would return, the mean of every training pattern,
    // computed here. Measured (Pearson distance to the true pattern): contour decoding 0.419,
    // mean training pattern 0.474. It does not beat the nearest known composition, x = 1 at
    // y = 0.125 (0.245): a shortfall of contour decoding on this fixture (#32), not asserted.
    let (data, ae) = common::trained_without_x1();
    let g = Generator::new(ae.clone(), data).expect("generator");
    let out = g
        .generate(&[1.0, 0.0])
        .expect("reachable between x = 0.5 and 1.5");
    let truth = common::pattern(1.0, 0.0, [0.0; 3]);
    let distance = |p: &[f64]| {
        compare(p, &truth, &common::grid(), &CompareParams::default())
            .expect("comparable")
            .pearson
    };
    let contour = distance(out.pattern.as_slice().expect("contiguous"));
    let mean = distance(&common::mean_training_pattern(data));
    let (near, near_pattern) = common::nearest_composition_mean(data, [1.0, 0.0]);
    assert_eq!(near, [1.0, 0.125], "the nearest known composition");
    eprintln!(
        "Pearson distance: contour {contour:.3}, mean training pattern {mean:.3}, \
         nearest composition {:.3}",
        distance(&near_pattern)
    );
    assert!(
        contour < mean,
        "contour decoding {contour:.3} does not beat the mean training pattern {mean:.3}"
    );
}

#[test]
fn sweeping_is_continuous_where_the_contour_is() {
    let (g, _) = generator();
    let steps = g.sweep(&[0.0, 0.0], &[1.0, 0.0], 21).expect("sweep");
    assert_eq!(steps.len(), 21);
    let mut pts = Vec::new();
    let mut pats = Vec::new();
    for s in &steps {
        let out = s
            .result
            .as_ref()
            .expect("every step of x = 0 … 1 is reachable");
        assert!((out.composition[0] - s.composition[0]).abs() < 1e-12);
        pts.push(out.latent);
        pats.push(out.pattern.clone());
    }
    assert!(!steps[0].continued);
    let continued: Vec<usize> = (1..steps.len()).filter(|&i| steps[i].continued).collect();
    // Most of the path is one continuous branch of the contour.
    assert!(
        continued.len() >= 15,
        "{} of 20 steps continued",
        continued.len()
    );
    // Where it continues, the latent steps are even: none is over three times the mean.
    let d = |i: usize| {
        let (a, b) = (pts[i - 1], pts[i]);
        ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
    };
    let mean = continued.iter().map(|&i| d(i)).sum::<f64>() / continued.len() as f64;
    assert!(mean > 0.0);
    for &i in &continued {
        assert!(d(i) <= 3.0 * mean, "step {i}: {} vs mean {mean}", d(i));
    }
    // And the patterns change gradually: each continued step's change is small compared with
    // the change over the whole sweep.
    let l2 = |a: &ndarray::Array1<f64>, b: &ndarray::Array1<f64>| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let total = l2(&pats[0], &pats[20]);
    for &i in &continued {
        assert!(l2(&pats[i - 1], &pats[i]) < 0.3 * total, "step {i}");
    }
}

#[test]
fn an_unreachable_composition_is_an_error_saying_so() {
    let (g, _) = generator();
    let err = g
        .generate(&[3.0, 0.0])
        .expect_err("x = 3 is beyond the data");
    assert!(matches!(err, Error::NotReachable { .. }), "{err}");
    assert!(err.to_string().contains("not reachable"));
    let err = g.predict(&[1.0]).expect_err("one component");
    assert!(matches!(err, Error::InvalidComposition { .. }));
    let err = g.generate(&[f64::NAN, 0.0]).expect_err("NaN");
    assert!(matches!(err, Error::InvalidComposition { .. }));
    // A sweep reports the unreachable steps and keeps the rest.
    let steps = g.sweep(&[1.5, 0.0], &[3.0, 0.0], 4).expect("sweep");
    assert!(steps[0].result.is_ok());
    assert!(matches!(steps[3].result, Err(Error::NotReachable { .. })));
    assert!(matches!(
        g.sweep(&[0.0, 0.0], &[1.0, 0.0], 1),
        Err(Error::InvalidParameter(p)) if p.name == "steps"
    ));
}

#[test]
fn bad_generator_inputs_are_errors() {
    let data = common::dataset(&[]);
    let ae = common::autoencoder(&data, 1);
    assert!(matches!(
        Generator::params()
            .support_factor(0.0)
            .build(ae.clone(), &data),
        Err(Error::InvalidParameter(p)) if p.name == "support_factor"
    ));
    assert!(matches!(
        Generator::params()
            .support_factor(f64::NAN)
            .build(ae.clone(), &data),
        Err(Error::InvalidParameter(p)) if p.name == "support_factor"
    ));
    let mut unlabelled = data.clone();
    unlabelled.labels = ndarray::Array2::zeros((data.len(), 0));
    unlabelled.label_names.clear();
    assert!(matches!(
        Generator::new(ae.clone(), &unlabelled),
        Err(Error::ShapeMismatch(s)) if s.what == "training compositions"
    ));
    let other = xrd_ae::Autoencoder::<f64>::params()
        .hidden(&[4])
        .latent(3)
        .build(
            data.grid.len(),
            &mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0),
        )
        .expect("build");
    assert!(matches!(
        Generator::new(other, &data),
        Err(Error::ShapeMismatch(_))
    ));
}

#[test]
fn centroid_anchors_reach_between_compositions() {
    let (data, ae) = common::trained_without_x1();
    let g = Generator::params()
        .anchors(xrd_interp::Anchors::Centroids)
        .build(ae.clone(), data)
        .expect("generator");
    // One anchor per composition: 8 known compositions.
    assert_eq!(g.estimator().len(), 8);
    let out = g.generate(&[1.0, 0.0]).expect("between x = 0.5 and 1.5");
    let e = g.estimator().estimate(out.latent);
    assert!((e.value[0] - 1.0).abs() < LOCATE_TOL && e.value[1].abs() < LOCATE_TOL);
    assert!(matches!(
        g.generate(&[3.0, 0.0]),
        Err(Error::NotReachable { .. })
    ));
}

#[test]
fn fspace_contour_decoding_works_in_a_pca_feature_space() {
    let data = common::dataset(&[]);
    let pca = xrd_ae::Pca::params().fit(&data.patterns).expect("pca");
    let g = Generator::new(pca, &data).expect("generator on a PCA");
    assert_eq!(xrd_ae::FeatureSpace::name(g.feature_space()), "pca");
    let c = common::COMPOSITIONS[0];
    let out = g.generate(&c).expect("a training composition is reachable");
    let e = g.estimator().estimate(out.latent);
    for (v, want) in e.value.iter().zip(c) {
        assert!((v - want).abs() < LOCATE_TOL, "{c:?}: {:?}", e.value);
    }
    // PCA decoding is affine: the single-point path equals the batch.
    let z = ndarray::Array2::from_shape_vec((1, 2), out.latent.to_vec()).unwrap();
    let batch = xrd_ae::FeatureSpace::decode(g.feature_space(), z.view()).unwrap();
    assert_eq!(out.pattern, batch.row(0));
}

#[test]
fn checked_generator_params_build_the_same_generator() {
    use xrd_io::ParamGuard;
    let data = common::dataset(&[]);
    let pca = xrd_ae::Pca::params().fit(&data.patterns).expect("pca");
    assert!(matches!(
        xrd_interp::GeneratorParams::default()
            .support_factor(-1.0)
            .into_checked(),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "support_factor",
            ..
        }))
    ));
    let checked = xrd_interp::GeneratorParams::default()
        .into_checked()
        .unwrap()
        .fit((pca.clone(), &data))
        .expect("generator");
    let inherent = Generator::new(pca, &data).expect("generator");
    let c = common::COMPOSITIONS[0];
    assert_eq!(
        checked.generate(&c).unwrap().pattern,
        inherent.generate(&c).unwrap().pattern
    );
}
