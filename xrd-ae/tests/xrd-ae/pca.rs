//! PCA against a naive power iteration, f32 against f64, signs, errors; the `FeatureSpace`
//! contract of both implementations.
#![allow(clippy::unwrap_used)]

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, Axis, array};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Autoencoder, Error, FeatureSpace, Pca, PcaParams};

/// Agreement of the eigen-solver with power iteration (relative).
const NAIVE_TOLERANCE: f64 = 1e-7;
/// Agreement of an f32 fit with an f64 fit.
const F32_TOLERANCE: f64 = 1e-4;

/// Rows with decreasing variance along random directions, so the leading eigenvalues are well
/// separated and power iteration converges.
fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, d), |(_, j)| {
        let scale = 1.0 / (1.0 + j as f64);
        rng.random_range(-1.0..1.0) * scale + 0.3
    })
}

/// The `k` leading eigenpairs of the sample covariance by power iteration with deflation.
fn power_iteration(x: &Array2<f64>, k: usize) -> (Vec<f64>, Vec<Array1<f64>>) {
    let n = x.nrows() as f64;
    let mean = x.mean_axis(Axis(0)).unwrap();
    let xc = x - &mean;
    let mut cov = xc.t().dot(&xc) / (n - 1.0);
    let mut values = Vec::new();
    let mut vectors = Vec::new();
    for _ in 0..k {
        let mut v = Array1::from_elem(cov.nrows(), 1.0);
        let mut lambda = 0.0;
        for _ in 0..20_000 {
            let w = cov.dot(&v);
            let norm = w.dot(&w).sqrt();
            v = w / norm;
            let next = v.dot(&cov.dot(&v));
            if (next - lambda).abs() <= 1e-15 * next.abs() {
                lambda = next;
                break;
            }
            lambda = next;
        }
        let outer = v
            .view()
            .insert_axis(Axis(1))
            .dot(&v.view().insert_axis(Axis(0)));
        cov = cov - outer * lambda;
        values.push(lambda);
        vectors.push(v);
    }
    (values, vectors)
}

fn check_against_naive(n: usize, d: usize) {
    let x = data(n, d, 3);
    let k = 3;
    let pca = Pca::params().components(k).fit(&x).unwrap();
    let (values, vectors) = power_iteration(&x, k);
    for c in 0..k {
        assert_relative_eq!(
            pca.explained_variance()[c],
            values[c],
            max_relative = NAIVE_TOLERANCE
        );
        let dot = pca.components().row(c).dot(&vectors[c]).abs();
        assert_relative_eq!(dot, 1.0, epsilon = NAIVE_TOLERANCE);
    }
}

#[test]
fn fspace_matches_power_iteration_with_fewer_rows_than_columns() {
    check_against_naive(12, 40);
}

#[test]
fn fspace_matches_power_iteration_with_more_rows_than_columns() {
    check_against_naive(60, 7);
}

#[test]
fn fspace_signs_are_deterministic() {
    let x = data(15, 30, 5);
    let a = Pca::params().components(3).fit(&x).unwrap();
    // The covariance of −x is that of x: the same components, signs included.
    let b = Pca::params().components(3).fit(&x.mapv(|v| -v)).unwrap();
    assert_eq!(a.components(), b.components());
    for row in a.components().rows() {
        let (mut best, mut at) = (0.0f64, 0);
        for (j, &v) in row.iter().enumerate() {
            if v.abs() > best {
                (best, at) = (v.abs(), j);
            }
        }
        assert!(row[at] > 0.0);
    }
    assert_eq!(a, Pca::params().components(3).fit(&x).unwrap());
}

#[test]
fn fspace_f32_agrees_with_f64() {
    let x = data(20, 50, 7);
    let a = Pca::params().components(2).fit(&x).unwrap();
    let b: Pca<f32> = Pca::params()
        .components(2)
        .fit(&x.mapv(|v| v as f32))
        .unwrap();
    for (u, v) in a.components().iter().zip(b.components()) {
        assert!((u - f64::from(*v)).abs() < F32_TOLERANCE, "{u} vs {v}");
    }
    let za = a.encode(x.view()).unwrap();
    let zb = b.encode(x.mapv(|v| v as f32).view()).unwrap();
    for (u, v) in za.iter().zip(&zb) {
        assert!((u - f64::from(*v)).abs() < F32_TOLERANCE);
    }
}

#[test]
fn fspace_encoding_is_centred_with_the_explained_variance() {
    let x = data(25, 10, 9);
    let pca = Pca::params().components(4).fit(&x).unwrap();
    let z = pca.encode(x.view()).unwrap();
    for c in 0..4 {
        let col = z.column(c);
        assert!(col.mean().unwrap().abs() < 1e-12);
        let var = col.dot(&col) / 24.0;
        assert_relative_eq!(var, pca.explained_variance()[c], max_relative = 1e-10);
    }
    let ratios = pca.explained_variance_ratio();
    assert!(ratios.windows(2).all(|w| w[0] >= w[1]));
    assert!(ratios.iter().sum::<f64>() <= 1.0 + 1e-12);
    // All components: every centred row is represented exactly.
    let full = Pca::params().components(10).fit(&x).unwrap();
    assert!(full.reconstruction_mse(x.view()).unwrap() < 1e-20);
    assert!(pca.reconstruction_mse(x.view()).unwrap() > 1e-6);
}

#[test]
fn fspace_decode_point_matches_the_batch() {
    let x = data(10, 20, 11);
    let pca = Pca::params().fit(&x).unwrap();
    let z = pca.encode(x.view()).unwrap();
    let batch = pca.decode(z.view()).unwrap();
    let one = pca.decode_point(z.row(3).as_slice().unwrap()).unwrap();
    assert_eq!(one, batch.row(3));

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let ae = Autoencoder::<f64>::params()
        .hidden(&[9, 5])
        .build(20, &mut rng)
        .unwrap();
    let z = FeatureSpace::encode(&ae, x.view()).unwrap();
    let batch = FeatureSpace::decode(&ae, z.view()).unwrap();
    for r in 0..z.nrows() {
        let one = ae.decode_point(z.row(r).as_slice().unwrap()).unwrap();
        for (a, b) in one.iter().zip(batch.row(r)) {
            assert_relative_eq!(*a, *b, epsilon = 1e-12);
        }
    }
    let errors = ae.reconstruction_errors(x.view()).unwrap();
    let manual: f64 = x
        .row(0)
        .iter()
        .zip(batch.row(0))
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / 20.0;
    assert_relative_eq!(errors[0], manual, max_relative = 1e-12);
    assert_relative_eq!(
        ae.reconstruction_mse(x.view()).unwrap(),
        ae.reconstruction_loss(&x).unwrap(),
        max_relative = 1e-12
    );
    assert_eq!((ae.name(), pca.name()), ("autoencoder", "pca"));
}

#[test]
fn fspace_zero_components_is_refused() {
    let e = PcaParams::default().components(0).check().unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "components",
            ..
        })
    ));
}

#[test]
fn fspace_more_components_than_the_rank_is_refused() {
    // Three rows span two dimensions once centred.
    let x = array![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(Pca::params().components(2).fit(&x).is_ok());
    let e = Pca::params().components(3).fit(&x).unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "components",
            ..
        })
    ));
}

#[test]
fn fspace_bad_data_is_refused() {
    let one = array![[1.0, 2.0]];
    assert!(matches!(
        Pca::params().components(1).fit(&one),
        Err(Error::TooFewSamples(_))
    ));
    let nan = array![[1.0, f64::NAN], [0.0, 1.0], [2.0, 2.0]];
    assert!(matches!(
        Pca::params().components(1).fit(&nan),
        Err(Error::NonFinite(xrd_core::NonFinite {
            at: xrd_core::Location::Cell { row: 0, col: 1 },
            ..
        }))
    ));
    let empty = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        Pca::params().components(1).fit(&empty),
        Err(Error::ShapeMismatch(_))
    ));
    let pca = Pca::params().fit(&data(6, 5, 1)).unwrap();
    assert!(matches!(
        pca.encode(Array2::zeros((2, 4)).view()),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        pca.decode(Array2::zeros((2, 3)).view()),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        pca.decode_point(&[0.0]),
        Err(Error::ShapeMismatch(_))
    ));
}

#[test]
fn checked_params_fit_as_the_inherent_fit() {
    use xrd_core::{Fit, ParamGuard};
    let x = data(12, 5, 3);
    assert!(matches!(
        PcaParams::default().components(0).into_checked(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "components",
            ..
        }))
    ));
    let checked = PcaParams::default().into_checked().unwrap();
    let a: Pca<f64> = checked.fit(&x).unwrap();
    let b = PcaParams::default().fit(&x).unwrap();
    assert_eq!(
        a.encode(x.view()).unwrap(),
        b.encode(x.view()).unwrap(),
        "same bits"
    );
    // The trait path checks nothing again but still rejects bad data.
    assert!(matches!(
        Fit::fit_checked(&checked, &Array2::<f64>::zeros((1, 5))),
        Err(Error::TooFewSamples(_))
    ));
}
