//! Composition series (development sets, none of them the hidden one): leave-one-out label
//! estimation in a PCA feature space against the mean predictor and an independent
//! PCA + local-linear baseline computed here.

use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{FeatureSpace, Pca};
use xrd_io::Grid;
use xrd_latent::{Answer, RefusalCalibration, SeriesParams, delta, mean_predictor_delta};
use xrd_sim::builtin::BuiltinParams;
use xrd_sim::{Artefacts, PowderParams, Profile, Simulator, Structure};
use xrd_testdata::shared_data;

/// Measured-like artefacts (xrd-sim's paper recipe: noise and background), then max 1.
fn measured_like(mut patterns: Array2<f64>, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for mut row in patterns.rows_mut() {
        let top = row.iter().copied().fold(0.0, f64::max);
        row.mapv_inplace(|v| v / top);
        Artefacts::default()
            .apply(row.as_slice_mut().unwrap(), &mut rng)
            .unwrap();
        let top = row.iter().copied().fold(0.0, f64::max);
        row.mapv_inplace(|v| v / top);
    }
    patterns
}

/// What a user does to measured patterns before the feature space (`feature-space
/// --background`): a SNIP background of `half_width` points subtracted, then max 1.
fn background_removed(mut patterns: Array2<f64>, half_width: usize) -> Array2<f64> {
    for mut row in patterns.rows_mut() {
        let y = row.as_slice_mut().unwrap();
        let bg = xrd_io::snip(y, half_width, false).unwrap();
        for (v, b) in y.iter_mut().zip(bg) {
            *v -= b;
        }
        let top = y.iter().copied().fold(0.0, f64::max);
        y.iter_mut().for_each(|v| *v /= top);
    }
    patterns
}

/// The 2-component PCA points of `patterns`.
fn pca_points(patterns: &Array2<f64>) -> Array2<f64> {
    let pca: Pca<f64> = Pca::params().components(2).fit(patterns).unwrap();
    pca.encode(patterns.view()).unwrap()
}

// Matrix arithmetic reads best with indices.
#[allow(clippy::needless_range_loop)]
/// The baseline, written independently of xrd-latent: an unweighted least-squares plane
/// through the 4 nearest other labelled points (minimum-norm through a tiny ridge).
fn local_linear_baseline(points: ArrayView2<'_, f64>, labels: ArrayView2<'_, f64>) -> Vec<f64> {
    let n = points.nrows();
    let mut deltas = Vec::with_capacity(n);
    for i in 0..n {
        let mut others: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| {
                let d = (points[[j, 0]] - points[[i, 0]]).hypot(points[[j, 1]] - points[[i, 1]]);
                (d, j)
            })
            .collect();
        others.sort_by(|a, b| a.0.total_cmp(&b.0));
        let near: Vec<usize> = others.iter().take(4).map(|o| o.1).collect();
        // Centred on P: the intercept is the estimate.
        let x = |j: usize| {
            [
                1.0,
                points[[j, 0]] - points[[i, 0]],
                points[[j, 1]] - points[[i, 1]],
            ]
        };
        let mut a = [[0.0; 3]; 3];
        for &j in &near {
            for r in 0..3 {
                for c in 0..3 {
                    a[r][c] += x(j)[r] * x(j)[c];
                }
            }
        }
        let ridge = 1e-9 * (a[1][1] + a[2][2]).max(1e-300);
        a[1][1] += ridge;
        a[2][2] += ridge;
        let estimate: Vec<f64> = (0..labels.ncols())
            .map(|c| {
                let mut b = [0.0; 3];
                for &j in &near {
                    for r in 0..3 {
                        b[r] += x(j)[r] * labels[[j, c]];
                    }
                }
                solve3(a, b)[0]
            })
            .collect();
        deltas.push(delta(&estimate, &labels.row(i).to_vec()));
    }
    deltas
}

#[allow(clippy::needless_range_loop)]
/// Cramer's rule for a 3 × 3 system.
fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> [f64; 3] {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(a);
    std::array::from_fn(|k| {
        let mut m = a;
        for r in 0..3 {
            m[r][k] = b[r];
        }
        det(m) / d
    })
}

/// Leave-one-out on one series against the targets: mean δ at most a tenth of the mean
/// predictor's; never worse than PCA + local linear without saying so (the δ of the patterns not
/// flagged as extrapolated add up to no more than the baseline's); no unflagged δ above 5 × the
/// median (and above 1e-4 of the mean predictor's δ: a median of 0, every pattern with a twin of
/// its composition, would make rounding wild).
fn check_series(name: &str, patterns: Array2<f64>, labels: Array2<f64>) {
    let points = pca_points(&patterns);
    let params = SeriesParams::new();
    let selection = params.choose(points.view(), labels.view()).unwrap();
    let mean = mean_predictor_delta(labels.view());
    assert!((mean - selection.mean_predictor_delta).abs() < 1e-12);
    let baseline = local_linear_baseline(points.view(), labels.view());
    let baseline_total: f64 = baseline.iter().sum();
    let chosen = selection.evaluation(selection.chosen).unwrap();
    if std::env::var("XRD_SERIES_DEBUG").is_ok() {
        for r in &chosen.records {
            eprintln!(
                "{:>3} z ({:+.4}, {:+.4}) truth {:.3} est {:.3} δ {:.2e} extrapolated {}",
                r.index,
                points[[r.index, 0]],
                points[[r.index, 1]],
                r.truth[0],
                r.answer.value[0],
                r.delta,
                r.answer.extrapolated
            );
        }
    }
    for e in &selection.evaluations {
        eprintln!(
            "{name}: {:<12} k {} mean δ {:.3e} median {:.3e} max {:.3e}; extrapolated {}, ill-conditioned {}",
            e.kind.name(),
            e.neighbours,
            e.mean_delta(),
            e.median_delta(),
            e.max_delta(),
            e.extrapolated(),
            e.ill_conditioned()
        );
    }
    eprintln!(
        "{name}: {} patterns; chosen {} (k {}); mean predictor {mean:.3e}; PCA + local linear (4 nearest) {:.3e}",
        labels.nrows(),
        selection.chosen.name(),
        selection.params.get_neighbours(),
        baseline_total / baseline.len() as f64
    );
    assert!(
        chosen.mean_delta() <= 0.1 * mean,
        "{name}: {} not a tenth of the mean predictor's {mean}",
        chosen.mean_delta()
    );
    let unflagged: f64 = chosen
        .records
        .iter()
        .filter(|r| !r.answer.extrapolated)
        .map(|r| r.delta)
        .sum();
    assert!(
        unflagged <= 1.05 * baseline_total,
        "{name}: unflagged total δ {unflagged} above PCA + local linear's {baseline_total}"
    );
    // The refusal calibrated on the leave-one-out with extrapolated answers refused: it counts
    // them, so that the quantile asked for is what is answered where the flags leave room.
    let calibration = RefusalCalibration::default().refuse_outside(true);
    let answers: Vec<Answer> = chosen.records.iter().map(|r| r.answer.clone()).collect();
    let policy = calibration.calibrate_answers(&answers, &[]).unwrap();
    let answered = answers.iter().filter(|a| policy.accepts_answer(a)).count();
    let n = answers.len();
    let asked = (calibration.get_quantile() * n as f64).ceil() as usize;
    eprintln!(
        "{name}: refusal calibrated on the leave-one-out: distance ≤ {:.3e}, {answered} of {n} answered ({} extrapolated)",
        policy.max_distance,
        chosen.extrapolated()
    );
    assert!(
        answers
            .iter()
            .all(|a| !a.extrapolated || !policy.accepts_answer(a))
    );
    assert_eq!(answered, asked.min(n - chosen.extrapolated()), "{name}");
    let wild = chosen.unflagged_outliers(5.0, 1e-4 * mean);
    assert!(
        wild.is_empty(),
        "{name}: unflagged δ > 5 × median at rows {wild:?}"
    );
}

#[test]
fn vegard_series_of_rock_salts_is_estimated_within_a_tenth_of_the_mean_predictor() {
    let (Some(nacl), Some(kcl)) = (
        shared_data("oracle/nacl_cuka1_1.5406.cif"),
        shared_data("cif/KCl.cif"),
    ) else {
        return;
    };
    let (nacl, kcl) = (
        Structure::from_file(nacl).unwrap(),
        Structure::from_file(kcl).unwrap(),
    );
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(xrd_io::Wavelength::CU_KA)
            .two_theta_range(10.0, 90.0),
    )
    .unwrap();
    let grid = Grid::new(10.0, 0.02, 4001).unwrap();
    let xs: Vec<f64> = (0..=12).map(|i| f64::from(i) / 12.0).collect();
    let mut patterns = Array2::zeros((xs.len(), grid.len()));
    for (mut row, &x) in patterns.rows_mut().into_iter().zip(&xs) {
        let s = nacl.solid_solution(&kcl, x).unwrap();
        let y = sim
            .pattern(&s, &grid, &Profile::pseudo_voigt(0.5, 0.12))
            .unwrap();
        row.assign(&ndarray::Array1::from(y));
    }
    let labels = Array2::from_shape_fn((xs.len(), 1), |(i, _)| xs[i]);
    // PCA folds this series into a near circle: at the bend (x = 0.833, 0.917) the nearest
    // labelled points lie on one side of the left-out pattern.
    check_series(
        "Na(1-x)K(x)Cl",
        background_removed(measured_like(patterns, 7), 50),
        labels,
    );
}

#[test]
fn built_in_ti_and_zr_series_are_estimated_within_a_tenth_of_the_mean_predictor() {
    let data = BuiltinParams::default().build().unwrap();
    for (prefix, label) in [("Ti-", &data.x), ("Zr-", &data.y)] {
        let rows: Vec<usize> = (0..data.len())
            .filter(|&i| data.config_id[i].starts_with(prefix))
            .collect();
        let patterns = data.patterns.select(Axis(0), &rows);
        let labels = Array2::from_shape_fn((rows.len(), 1), |(k, _)| label[rows[k]]);
        check_series(
            &format!("built-in {prefix}series"),
            background_removed(measured_like(patterns, 11), 50),
            labels,
        );
    }
}
