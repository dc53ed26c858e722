//! Diagnostics of trained feature spaces: collapsed and collinear points, dead ReLUs, worse than
//! PCA — on made-up points and on measured RRUFF patterns.
#![allow(clippy::unwrap_used)]

use ndarray::{Array1, Array2, Axis, array, s};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{
    Activation, Adam, Autoencoder, AutoencoderConfig, Dense, Diagnostics, Error, FeatureSpace,
    LatentSpread, Network, Pca, Warning, dead_relus,
};

use xrd_testdata::shared_data;

#[test]
fn fspace_spread_sees_collapse_lines_and_planes() {
    let plane = array![[0.0, 0.0], [1.0, 0.2], [0.3, 1.0], [0.9, 0.8]];
    let s = LatentSpread::of(plane.view()).unwrap();
    assert_eq!((s.rank, s.collapsed, s.degenerate()), (2, false, false));
    // The case: z₂ = z₁ + 0.03 on every point.
    let line = Array2::from_shape_fn((11, 2), |(i, j)| 0.1 * i as f64 + 0.03 * j as f64);
    let s = LatentSpread::of(line.view()).unwrap();
    assert_eq!((s.rank, s.collapsed, s.degenerate()), (1, false, true));
    let point = Array2::from_shape_fn((5, 2), |(i, _)| 0.5 + 1e-9 * i as f64);
    let s = LatentSpread::of(point.view()).unwrap();
    assert_eq!((s.rank, s.collapsed), (0, true));
    assert!(matches!(
        LatentSpread::of(array![[1.0, 2.0]].view()),
        Err(Error::TooFewSamples(_))
    ));
    assert!(matches!(
        LatentSpread::of(array![[1.0, f64::NAN], [0.0, 0.0]].view()),
        Err(Error::NonFinite(e)) if e.what == "latent points"
    ));
}

/// An autoencoder 4 → 3 → 2 → 3 → 4 whose first layer's biases are so negative that every
/// unit is dead on non-negative inputs.
fn dead_autoencoder() -> Autoencoder<f64> {
    let config = AutoencoderConfig {
        hidden: vec![3],
        ..AutoencoderConfig::default()
    };
    let dense = |i: usize, o: usize, b: f64, act| {
        Dense::new(Array2::from_elem((o, i), 0.1), Array1::from_elem(o, b), act).unwrap()
    };
    let encoder = Network::new(vec![
        dense(4, 3, -100.0, Activation::Relu),
        dense(3, 2, 0.0, Activation::Tanh),
    ])
    .unwrap();
    let decoder = Network::new(vec![
        dense(2, 3, 0.1, Activation::Relu),
        dense(3, 4, 0.0, Activation::Identity),
    ])
    .unwrap();
    Autoencoder::from_parts(encoder, decoder, config).unwrap()
}

#[test]
fn fspace_dead_relus_and_collapse_are_reported() {
    let ae = dead_autoencoder();
    let x = Array2::from_shape_fn((6, 4), |(i, j)| ((i * 4 + j) % 5) as f64 / 4.0);
    let dead = dead_relus(&ae, x.view()).unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!((dead[0].layer, dead[0].dead, dead[0].units), (0, 3, 3));
    assert_eq!((dead[1].layer, dead[1].dead), (2, 0));
    let d = Diagnostics::of(&ae, x.view(), x.slice(s![..2, ..]), dead).unwrap();
    assert!(d.spread.collapsed);
    assert!(d.warnings.contains(&Warning::Collapsed));
    assert!(
        d.warnings
            .iter()
            .any(|w| matches!(w, Warning::DeadUnits(u) if u.layer == 0))
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| matches!(w, Warning::WorseThanPca { .. }))
    );
    let text: Vec<String> = d.warnings.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.contains("same feature-space point")));
    assert!(text.iter().any(|t| t.contains("worse than a plain PCA")));
}

/// Agreement of the diagnostics' PCA baseline with the Jacobi reference (relative).
const JACOBI_TOLERANCE: f64 = 1e-9;

/// Eigenvalues and eigenvectors (columns) of the symmetric matrix `a` by cyclic Jacobi
/// rotations: slow, simple and independent of the crate's eigen-solver.
fn jacobi(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| (0..n).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[[p, q]].powi(2))
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[[i, i]]).collect(), v)
}

/// Validation MSE of a `k`-component PCA of `train`, from the covariance's Jacobi eigenvectors:
/// each validation row centred on the training mean, projected on the `k` leading directions,
/// and the squared residual averaged over every value.
fn reference_pca_mse(train: &Array2<f64>, validation: &Array2<f64>, k: usize) -> f64 {
    let mean = train.mean_axis(Axis(0)).unwrap();
    let xc = train - &mean;
    let (values, vectors) = jacobi(xc.t().dot(&xc));
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut sum = 0.0;
    for row in validation.rows() {
        let mut r = &row - &mean;
        for &i in &order[..k] {
            let u = vectors.column(i);
            let c = r.dot(&u);
            r = r - &u * c;
        }
        sum += r.dot(&r);
    }
    sum / validation.len() as f64
}

#[test]
fn fspace_the_pca_baseline_is_the_best_two_component_linear_fit() {
    let x = Array2::from_shape_fn((12, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 10.0);
    let (train, validation) = (
        x.slice(s![..9, ..]).to_owned(),
        x.slice(s![9.., ..]).to_owned(),
    );
    let reference = reference_pca_mse(&train, &validation, 2);
    assert!(reference > 0.0, "the validation rows leave the plane");
    // The baseline the diagnostics compare every model with is that of an independent PCA.
    let pca = Pca::params().fit(&train).unwrap();
    let d = Diagnostics::of(&pca, train.view(), validation.view(), Vec::new()).unwrap();
    let baseline = d.pca_validation_mse.expect("a PCA of 9 rows fits");
    assert!(
        (baseline - reference).abs() <= JACOBI_TOLERANCE * reference,
        "baseline {baseline} vs Jacobi {reference}"
    );
    // A PCA diagnosed is that fit, so it is not worse than itself.
    assert!(
        (d.validation_mse - reference).abs() <= JACOBI_TOLERANCE * reference,
        "model {} vs Jacobi {reference}",
        d.validation_mse
    );
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // A one-dimensional feature space is measured against a one-component PCA.
    let one = Pca::params().components(1).fit(&train).unwrap();
    let worse = reference_pca_mse(&train, &validation, 1);
    assert!(worse > reference);
    let d = Diagnostics::of(&one, train.view(), validation.view(), Vec::new()).unwrap();
    let baseline = d.pca_validation_mse.expect("a PCA of 9 rows fits");
    assert!(
        (baseline - worse).abs() <= JACOBI_TOLERANCE * worse,
        "one-component baseline {baseline} vs Jacobi {worse}"
    );
}

fn rruff() -> Option<(Array2<f32>, Vec<i32>)> {
    let path = shared_data("measured/rruff_dev.npz")?;
    let d = xrd_io::Dataset::<f32>::read_npz(path).unwrap();
    let systems: Vec<i32> = d
        .label("crystal_system")
        .unwrap()
        .iter()
        .map(|&v| v as i32)
        .collect();
    let patterns = d.patterns;
    Some((patterns, systems))
}

/// Measured patterns: a PCA of them is healthy, and an autoencoder collapsed by far too much
/// weight decay (README, "Adam and weight decay") is caught: no spread, and worse than PCA.
#[test]
fn fspace_diagnostics_on_measured_rruff_patterns() {
    let Some((patterns, _)) = rruff() else {
        return;
    };
    // Every 8th pattern, every 4th point: 58 × 2125, a quick debug-build run.
    let x = patterns.slice(s![..;8, ..;4]).to_owned();
    let (train, validation) = (x.slice(s![..48, ..]), x.slice(s![48.., ..]));
    let pca: Pca<f32> = Pca::params().fit(&train).unwrap();
    let d = Diagnostics::of(&pca, train, validation, Vec::new()).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.spread.rank, 2);
    assert!(d.validation_mse.is_finite() && d.validation_mse > 0.0);

    let adam = Adam {
        lr: 1e-2,
        weight_decay: 1.0,
        ..Adam::default()
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let ae = Autoencoder::<f32>::params()
        .hidden(&[16, 8])
        .epochs(25)
        .validation_fraction(0.0)
        .optimizer(adam)
        .fit(&train, &mut rng, |_| {})
        .unwrap();
    let dead = dead_relus(&ae, train).unwrap();
    let d = Diagnostics::of(&ae, train, validation, dead).unwrap();
    assert!(d.spread.degenerate(), "{:?}", d.spread);
    assert!(
        d.warnings
            .iter()
            .any(|w| matches!(w, Warning::WorseThanPca { .. })),
        "{:?}",
        d.warnings
    );
    assert!(ae.encode(&train).unwrap().len_of(Axis(0)) == 48);
    let _ = FeatureSpace::latent(&ae);
}
