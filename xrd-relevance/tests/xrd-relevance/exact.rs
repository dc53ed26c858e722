//! The exact fast path equals the generic path on random xrd-ae networks and patterns.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Autoencoder, Dense, Network};
use xrd_io::{Float, Grid};
use xrd_relevance::{Mask, Relevance, Span};

/// Agreement required between the fast and the generic path, relative to the larger of the two
/// values and of a floor (see `agree`).
const REL_F32: f64 = 1e-5;
const REL_F64: f64 = 1e-10;

fn random_network<F: Float>(
    sizes: &[usize],
    acts: &[Activation],
    rng: &mut Xoshiro256PlusPlus,
) -> Network<F> {
    let layers = sizes
        .windows(2)
        .zip(acts)
        .map(|(io, &act)| {
            let scale = 1.0 / (io[0] as f64).sqrt();
            let w =
                Array2::from_shape_fn((io[1], io[0]), |_| F::of(rng.random_range(-scale..scale)));
            let b = Array1::from_shape_fn(io[1], |_| F::of(rng.random_range(-0.3..0.3)));
            Dense::new(w, b, act).unwrap()
        })
        .collect();
    Network::new(layers).unwrap()
}

/// Peaks on a noisy background with exact-zero stretches, including at both ends.
fn random_pattern<F: Float>(n: usize, rng: &mut Xoshiro256PlusPlus) -> Array1<F> {
    let centres: Vec<(f64, f64)> = (0..6)
        .map(|_| (rng.random_range(0.0..n as f64), rng.random_range(0.1..1.0)))
        .collect();
    Array1::from_shape_fn(n, |j| {
        let zero = j < 5 || j >= n - 4 || (n / 2..n / 2 + 7).contains(&j);
        if zero {
            return F::zero();
        }
        let peaks: f64 = centres
            .iter()
            .map(|&(c, h)| h * (-((j as f64 - c) / 1.5).powi(2)).exp())
            .sum();
        F::of(0.05 + peaks + 0.01 * ((j * 7919) % 13) as f64)
    })
}

/// `|fast − generic| ≤ rel · max(|generic|, scale)`: relative to the value, or to `scale` for
/// values far below it. `Dev` is the difference of two nearly equal latent points, so both paths
/// carry an absolute rounding error of order `eps · ‖P(x)‖` whatever the evaluation order: a
/// pointwise relative bound cannot hold for the tiny `Dev` of weak windows in either path. In f32
/// (eps ≈ 6e-8) `scale` is the latent point's magnitude `‖P(x)‖∞`; in f64 the much stronger
/// profile maximum `max Dev` is used as well.
fn agree<F: Float>(fast: &[F], generic: &[F], scale: f64, rel: f64) {
    for (k, (f, g)) in fast.iter().zip(generic).enumerate() {
        let (f, g) = (f.as_f64(), g.as_f64());
        let err = (f - g).abs() / g.abs().max(scale);
        assert!(
            err <= rel,
            "window {k}: fast {f} vs generic {g} (scale {scale})"
        );
    }
}

fn max_abs<F: Float>(v: &[F]) -> f64 {
    v.iter().fold(0.0f64, |m, d| m.max(d.as_f64().abs()))
}

fn same_point<F: Float>(a: &[F], b: &[F], rel: f64) {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
    for (x, y) in a.iter().zip(b) {
        assert!((x.as_f64() - y.as_f64()).abs() <= rel * scale, "{x} vs {y}");
    }
}

fn check_all<F: Float>(rel: f64, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = 61;
    let grid = Grid::new(5.0, 0.01, n).unwrap();
    let act_sets = [
        [Activation::Relu, Activation::Relu, Activation::Tanh],
        [Activation::Tanh, Activation::Sigmoid, Activation::Identity],
        [Activation::Prelu, Activation::Relu, Activation::Tanh],
        [
            Activation::Softmax,
            Activation::Identity,
            Activation::Identity,
        ],
    ];
    for acts in &act_sets {
        let net = random_network::<F>(&[n, 16, 8, 2], acts, &mut rng);
        let x = random_pattern::<F>(n, &mut rng);
        for (width, stride) in [(3, 3), (3, 1), (2, 5), (4, 3), (1, 1), (7, 7), (n, 1)] {
            for mask in [
                Mask::Zero,
                Mask::LocalBackground {
                    margin: Span::Points(4),
                },
            ] {
                let rel_params = Relevance::params()
                    .width(Span::Points(width))
                    .stride(Span::Points(stride))
                    .mask(mask)
                    .batch_size(5);
                let r = rel_params.build(&grid).unwrap();
                let fast = r.profile_exact(&net, x.view()).unwrap();
                let generic = r.profile(&net, x.view()).unwrap();
                assert_eq!(fast.windows(), generic.windows());
                same_point(fast.latent(), generic.latent(), rel);
                agree(fast.dev(), generic.dev(), max_abs(generic.latent()), rel);
                if F::NAME == "f64" {
                    agree(fast.dev(), generic.dev(), max_abs(generic.dev()), rel);
                }
                // Windows over all-zero regions cost nothing and are exactly zero in both paths.
                for (w, (&f, &g)) in fast
                    .windows()
                    .iter()
                    .zip(fast.dev().iter().zip(generic.dev()))
                {
                    if (w.start..w.end).all(|j| x[j] == F::zero()) {
                        assert_eq!((f, g), (F::zero(), F::zero()), "{w:?}");
                    }
                }
                assert!(fast.dev().iter().any(|&d| d > F::zero()));
            }
        }
    }
}

#[test]
fn fast_path_equals_generic_path_f64() {
    check_all::<f64>(REL_F64, 1);
}

#[test]
fn fast_path_equals_generic_path_f32() {
    check_all::<f32>(REL_F32, 2);
}

#[test]
fn autoencoder_fast_path_on_a_moderate_network() {
    // 1,501 points: several parallel chunks of windows, and a partial last window when tiling.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let n = 1_501;
    let grid = Grid::new(10.0, 0.01, n).unwrap();
    let ae = Autoencoder::<f32>::params()
        .hidden(&[32, 16, 6])
        .latent(2)
        .build(n, &mut rng)
        .unwrap();
    let x = random_pattern::<f32>(n, &mut rng);
    for (stride, mask) in [(3, Mask::Zero), (1, Mask::local_background())] {
        let r = Relevance::params()
            .stride(Span::Points(stride))
            .mask(mask)
            .build(&grid)
            .unwrap();
        let fast = r.profile_exact(&ae, x.view()).unwrap();
        let generic = r.profile(&ae, x.view()).unwrap();
        assert_eq!(fast.len(), n.div_ceil(stride));
        agree(
            fast.dev(),
            generic.dev(),
            max_abs(generic.latent()),
            REL_F32,
        );
        let many = r
            .profiles_exact(&ae, ndarray::stack![ndarray::Axis(0), x, x].view())
            .unwrap();
        assert_eq!(many[1], fast);
    }
}

#[test]
fn fspace_pca_fast_path_equals_generic_path() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let n = 301;
    let grid = Grid::new(10.0, 0.01, n).unwrap();
    let rows: Vec<Array1<f64>> = (0..8).map(|_| random_pattern::<f64>(n, &mut rng)).collect();
    let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
    let data = ndarray::stack(ndarray::Axis(0), &views).unwrap();
    let pca = xrd_ae::Pca::params().fit(&data).unwrap();
    let r = Relevance::params()
        .stride(Span::Points(2))
        .build(&grid)
        .unwrap();
    let fast = r.profile_exact(&pca, rows[0].view()).unwrap();
    let generic = r.profile(&pca, rows[0].view()).unwrap();
    agree(
        fast.dev(),
        generic.dev(),
        max_abs(generic.latent()),
        REL_F64,
    );
    assert!(fast.dev().iter().any(|&d| d > 0.0));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Random sizes, window geometry, masks and zero runs: the paths agree and zero windows are 0.
    #[test]
    fn fast_path_equals_generic_path_on_random_geometry(
        n in 4usize..48,
        width in 1usize..7,
        stride in 1usize..7,
        hidden in 1usize..9,
        background in proptest::bool::ANY,
        zero_from in 0usize..48,
        zero_len in 0usize..20,
        seed in 0u64..1_000,
    ) {
        let width = width.min(n);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let net = random_network::<f64>(&[n, hidden, 3, 2], &[Activation::Relu, Activation::Tanh, Activation::Identity], &mut rng);
        let x = Array1::from_shape_fn(n, |j| {
            if (zero_from..zero_from + zero_len).contains(&j) { 0.0 } else { rng.random_range(0.0..1.0) }
        });
        let mask = if background { Mask::LocalBackground { margin: Span::Points(3) } } else { Mask::Zero };
        let grid = Grid::new(1.0, 0.01, n).unwrap();
        let r = Relevance::params().width(Span::Points(width)).stride(Span::Points(stride)).mask(mask).batch_size(3).build(&grid).unwrap();
        let fast = r.profile_exact(&net, x.view()).unwrap();
        let generic = r.profile(&net, x.view()).unwrap();
        proptest::prop_assert_eq!(fast.len(), n.div_ceil(stride));
        agree(fast.dev(), generic.dev(), max_abs(generic.latent()), REL_F64);
        for (w, &d) in fast.windows().iter().zip(fast.dev()) {
            if (w.start..w.end).all(|j| x[j] == 0.0) {
                proptest::prop_assert_eq!(d, 0.0);
            }
        }
    }
}

#[test]
fn fast_path_rejects_inputs_that_do_not_fit() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let grid = Grid::new(1.0, 0.01, 20).unwrap();
    let r = Relevance::params().build(&grid).unwrap();
    let net = random_network::<f64>(&[21, 4, 2], &[Activation::Relu, Activation::Tanh], &mut rng);
    let x = Array1::<f64>::ones(20);
    let e = r.profile_exact(&net, x.view());
    assert!(
        matches!(
            &e,
            Err(xrd_relevance::Error::ShapeMismatch(xrd_io::ShapeMismatch {
                expected,
                found,
                ..
            })) if expected == "20" && found == "21"
        ),
        "{e:?}"
    );
    let net = random_network::<f64>(&[20, 4, 2], &[Activation::Relu, Activation::Tanh], &mut rng);
    let mut bad = x.clone();
    bad[7] = f64::INFINITY;
    let e = r.profile_exact(&net, bad.view());
    assert!(
        matches!(
            e,
            Err(xrd_relevance::Error::NonFinite(xrd_io::NonFinite {
                at: xrd_io::Location::Point(7),
                ..
            }))
        ),
        "{e:?}"
    );
    let short = Array1::<f64>::ones(19);
    let e = r.profile_exact(&net, short.view());
    assert!(
        matches!(
            &e,
            Err(xrd_relevance::Error::ShapeMismatch(xrd_io::ShapeMismatch {
                what: "pattern length (grid points)",
                expected,
                found,
                ..
            })) if expected == "20" && found == "19"
        ),
        "{e:?}"
    );
    // The generic path reports xrd-ae's own shape error for a network that does not fit.
    let wide = random_network::<f64>(&[21, 4, 2], &[Activation::Relu, Activation::Tanh], &mut rng);
    assert!(matches!(
        r.profile(&wide, x.view()),
        Err(xrd_relevance::Error::Ae(_))
    ));
}
