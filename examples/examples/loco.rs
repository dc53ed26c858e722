//! Leave one composition out: how the feature space treats compositions it never saw.
//!
//! ```sh
//! cargo run --release -p xrd-examples --example loco -- [--out DIR] [--epochs 500] [--seed 1] \
//!     [--quantile 0.975] [--margin 1] [--tolerance 0.143]
//! ```
//!
//! For each concentration of the built-in data set in turn, its patterns are removed; the others
//! are split into training (70 %), validation (20 %) and test (10 %) rows; an autoencoder (the
//! paper's network) and a 2-component PCA are fitted on the training rows. The refusal policy is
//! calibrated on the validation rows (xrd-latent's `RefusalCalibration`: a quantile of their
//! distance to the nearest training point and of their reconstruction error). Then the test rows
//! (seen compositions) and the left-out patterns (the unseen composition) are estimated or
//! refused. An unseen pattern is handled correctly ("ok") when it is refused or estimated with
//! δ ≤ the tolerance (0.143, the paper's worst Table II error).
//!
//! Writes `loco.json` (the fractions, the same without the reconstruction criterion, and a table
//! per composition) and `loco_coverage.svg` (accuracy against coverage as the thresholds scale)
//! into DIR (default `target/loco`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use serde_json::{Value, json};
use xrd_ae::{Autoencoder, FeatureSpace, Pca};
use xrd_cli::figures::{self, XyCurve};
use xrd_cli::run::{Result, exit_code, write_atomic};
use xrd_examples::alloy::{concentration_groups, formula};
use xrd_examples::training::train_autoencoder;
use xrd_io::Dataset;
use xrd_io::median;
use xrd_latent::{
    EstimateKind, RefusalCalibration, TriangleEstimator, delta, points_of, split_rows,
};
use xrd_sim::builtin::BuiltinParams;

/// Fraction of the remaining patterns held out as seen test rows.
const TEST_FRACTION: f64 = 0.1;
/// Fraction of the remaining (non-test) patterns used to calibrate the refusal thresholds.
const VALIDATION_FRACTION: f64 = 0.2;

/// Leaves out each composition of the built-in data set in turn; writes loco.json and
/// loco_coverage.svg into --out.
#[derive(Debug, Parser)]
#[command(name = "loco")]
struct Options {
    /// Output folder.
    #[arg(long, default_value = "target/loco")]
    out: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = 500, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Quantile of the refusal calibration.
    #[arg(long, default_value_t = xrd_latent::DEFAULT_REFUSAL_QUANTILE)]
    quantile: f64,
    /// Margin of the refusal calibration.
    #[arg(long, default_value_t = xrd_latent::DEFAULT_REFUSAL_MARGIN)]
    margin: f64,
    /// Largest error δ counted as right.
    #[arg(long, default_value_t = 0.143)]
    tolerance: f64,
}

fn main() -> ExitCode {
    exit_code(Options::parse().check().and_then(|o| run(&o)))
}

impl Options {
    fn check(self) -> Result<Self> {
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err("--tolerance must be positive".into());
        }
        RefusalCalibration::default()
            .quantile(self.quantile)
            .margin(self.margin)
            .check()?;
        Ok(self)
    }
}

/// One pattern estimated by one feature space.
#[derive(Debug, Clone, Serialize)]
struct Case {
    index: usize,
    delta: f64,
    distance: f64,
    reconstruction_error: f64,
    outside: bool,
    /// max(distance / distance threshold, error / error threshold): refused when above the
    /// margin; scaling the margin traces the coverage curve.
    score: f64,
    /// The same with the distance only.
    distance_score: f64,
}

/// One feature space on one fold.
#[derive(Debug, Clone)]
struct ModelFold {
    seen: Vec<Case>,
    unseen: Vec<Case>,
    train_mse: f64,
    validation_mse: f64,
}

fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.out)
        .map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    let started = Instant::now();
    eprintln!("building the built-in (Sm,Zr)(Fe,Ti)12 data set …");
    let b = BuiltinParams::default().build()?;
    // Rows are patterns; labels the four components the estimator recovers.
    let data = Dataset::new(
        b.grid,
        b.patterns.mapv(|v| v as f32),
        b.config_id.clone(),
        b.composition.clone(),
        ["Sm", "Zr", "Fe", "Ti"].map(String::from).to_vec(),
    )?;
    let (group, keys) = concentration_groups(&b);
    let calibration = RefusalCalibration::default()
        .quantile(o.quantile)
        .margin(1.0);
    let mut folds = Vec::with_capacity(keys.len());
    for (g, k) in keys.iter().enumerate() {
        // One seed per fold, so a fold's result does not depend on the others.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(o.seed.wrapping_add(g as u64));
        let (unseen, pool): (Vec<usize>, Vec<usize>) =
            (0..data.len()).partition(|&i| group[i] == g);
        let (rest_k, test_k) = split_rows(pool.len(), TEST_FRACTION, &mut rng);
        let (train_k, val_k) = split_rows(rest_k.len(), VALIDATION_FRACTION, &mut rng);
        let test: Vec<usize> = test_k.iter().map(|&i| pool[i]).collect();
        let train: Vec<usize> = train_k.iter().map(|&i| pool[rest_k[i]]).collect();
        let val: Vec<usize> = val_k.iter().map(|&i| pool[rest_k[i]]).collect();
        let name = formula(b.composition.row(unseen[0]).as_slice().unwrap_or(&[]));
        eprintln!(
            "fold {}/{}: leaving out {name} ({} patterns); {} train, {} validation, {} test",
            g + 1,
            keys.len(),
            unseen.len(),
            train.len(),
            val.len(),
            test.len()
        );
        let x_train = data.select(&train)?.patterns;
        let params = Autoencoder::<f32>::params()
            .epochs(o.epochs)
            .validation_fraction(0.0);
        let (_, ae) = train_autoencoder(
            &params,
            x_train.view(),
            x_train.view(),
            &mut rng,
            &format!("fold {}", g + 1),
        )?;
        let pca: Pca<f32> = Pca::params().fit(&x_train)?;
        let split = Split {
            data: &data,
            train: &train,
            val: &val,
            test: &test,
            unseen: &unseen,
        };
        let ae_fold = evaluate(&ae, &split, &calibration)?;
        let pca_fold = evaluate(&pca, &split, &calibration)?;
        folds.push((
            json!({ "x": k[0], "y": k[1], "composition": name }),
            unseen.len(),
            ae_fold,
            pca_fold,
        ));
    }

    let ae: Vec<&ModelFold> = folds.iter().map(|f| &f.2).collect();
    let pca: Vec<&ModelFold> = folds.iter().map(|f| &f.3).collect();
    let (ae_sum, pca_sum) = (fractions(&ae, o), fractions(&pca, o));
    let table: Vec<Value> = folds
        .iter()
        .map(|(c, n, a, p)| {
            json!({
                "left_out": c,
                "unseen_patterns": n,
                "autoencoder": fold_row(a, o),
                "pca": fold_row(p, o),
            })
        })
        .collect();
    let summary = json!({
        "settings": {
            "epochs": o.epochs,
            "seed": o.seed,
            "quantile": o.quantile,
            "margin": o.margin,
            "tolerance": o.tolerance,
            "test_fraction": TEST_FRACTION,
            "validation_fraction": VALIDATION_FRACTION,
        },
        "seconds": started.elapsed().as_secs_f64(),
        "compositions": folds.len(),
        "unseen_ok_fraction": ae_sum.ok,
        "unseen_refused_fraction": ae_sum.refused,
        "seen_refused_fraction": ae_sum.seen_refused,
        "pca_unseen_ok_fraction": pca_sum.ok,
        "pca_unseen_refused_fraction": pca_sum.refused,
        "pca_seen_refused_fraction": pca_sum.seen_refused,
        "autoencoder": ae_sum.json(),
        "pca": pca_sum.json(),
        "per_composition": table,
    });
    write_atomic(
        &o.out.join("loco.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    let curve = |folds: &[&ModelFold], label: &str, colour: usize, distance_only: bool| XyCurve {
        label: label.into(),
        points: coverage_curve(folds, o.tolerance, distance_only),
        colour,
    };
    figures::xy_curves(
        &o.out.join("loco_coverage.svg"),
        "leave one composition out: seen test + unseen patterns, thresholds scaled",
        &[
            curve(&ae, "autoencoder, distance + reconstruction", 1, false),
            curve(&ae, "autoencoder, distance only", 0, true),
            curve(&pca, "PCA, distance + reconstruction", 2, false),
            curve(&pca, "PCA, distance only", 6, true),
        ],
        ((0.0, 1.0), (0.0, 1.02)),
        (
            "coverage (fraction answered)",
            "accuracy (answered with δ ≤ tolerance)",
        ),
    )?;
    print_table(&folds, &ae_sum, &pca_sum, o);
    eprintln!(
        "wrote {} in {:.0} s",
        o.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The rows of one fold.
struct Split<'a> {
    data: &'a Dataset<f32>,
    train: &'a [usize],
    val: &'a [usize],
    test: &'a [usize],
    unseen: &'a [usize],
}

/// Fits the estimator on the training rows' points, calibrates the thresholds on the validation
/// rows and scores the test and unseen rows.
fn evaluate<M: FeatureSpace<f32>>(
    model: &M,
    s: &Split<'_>,
    calibration: &RefusalCalibration,
) -> Result<ModelFold> {
    let part = |rows: &[usize]| -> Result<(Vec<[f64; 2]>, Vec<f64>)> {
        let xs = s.data.select(rows)?.patterns;
        Ok((
            points_of(model, xs.view())?,
            model.reconstruction_errors(xs.view())?,
        ))
    };
    let (known, train_err) = part(s.train)?;
    let pts = Array2::from_shape_fn((known.len(), 2), |(i, j)| known[i][j]);
    let values = s.data.select(s.train)?.labels;
    let estimator = TriangleEstimator::params().fit(pts.view(), values.view())?;
    let (val_pts, val_err) = part(s.val)?;
    let val_dist: Vec<f64> = val_pts
        .iter()
        .map(|p| estimator.estimate(*p).distance)
        .collect();
    let policy = calibration.calibrate(&val_dist, &val_err)?;
    let max_err = policy.max_reconstruction_error.unwrap_or(f64::INFINITY);
    let cases = |rows: &[usize]| -> Result<Vec<Case>> {
        let (p, e) = part(rows)?;
        Ok(rows
            .iter()
            .zip(p)
            .zip(e)
            .map(|((&i, p), err)| {
                let est = estimator.estimate(p);
                let truth = s.data.labels.row(i).to_vec();
                let distance_score = est.distance / policy.max_distance;
                Case {
                    index: i,
                    delta: delta(&est.value, &truth),
                    distance: est.distance,
                    reconstruction_error: err,
                    outside: matches!(est.kind, EstimateKind::Outside { .. }),
                    score: distance_score.max(err / max_err),
                    distance_score,
                }
            })
            .collect())
    };
    Ok(ModelFold {
        seen: cases(s.test)?,
        unseen: cases(s.unseen)?,
        train_mse: train_err.iter().sum::<f64>() / train_err.len().max(1) as f64,
        validation_mse: val_err.iter().sum::<f64>() / val_err.len().max(1) as f64,
    })
}

/// The headline fractions of one feature space over all folds.
struct Fractions {
    ok: f64,
    refused: f64,
    seen_refused: f64,
    seen_ok: f64,
    ok_distance_only: f64,
    refused_distance_only: f64,
    seen_refused_distance_only: f64,
    unseen_delta_median: f64,
    seen_delta_median: f64,
    train_mse: f64,
    validation_mse: f64,
}

impl Fractions {
    fn json(&self) -> Value {
        json!({
            "unseen_ok_fraction": self.ok,
            "unseen_refused_fraction": self.refused,
            "seen_refused_fraction": self.seen_refused,
            "seen_ok_fraction": self.seen_ok,
            "distance_only": {
                "unseen_ok_fraction": self.ok_distance_only,
                "unseen_refused_fraction": self.refused_distance_only,
                "seen_refused_fraction": self.seen_refused_distance_only,
            },
            "unseen_delta_median": self.unseen_delta_median,
            "seen_delta_median": self.seen_delta_median,
            "train_mse": self.train_mse,
            "validation_mse": self.validation_mse,
        })
    }
}

fn fraction(cases: &[&Case], f: impl Fn(&Case) -> bool) -> f64 {
    cases.iter().filter(|c| f(c)).count() as f64 / cases.len().max(1) as f64
}

fn fractions(folds: &[&ModelFold], o: &Options) -> Fractions {
    let unseen: Vec<&Case> = folds.iter().flat_map(|f| &f.unseen).collect();
    let seen: Vec<&Case> = folds.iter().flat_map(|f| &f.seen).collect();
    let m = o.margin;
    let tol = o.tolerance;
    let mean = |f: &dyn Fn(&ModelFold) -> f64| {
        folds.iter().map(|x| f(x)).sum::<f64>() / folds.len().max(1) as f64
    };
    Fractions {
        ok: fraction(&unseen, |c| c.score > m || c.delta <= tol),
        refused: fraction(&unseen, |c| c.score > m),
        seen_refused: fraction(&seen, |c| c.score > m),
        seen_ok: fraction(&seen, |c| c.score > m || c.delta <= tol),
        ok_distance_only: fraction(&unseen, |c| c.distance_score > m || c.delta <= tol),
        refused_distance_only: fraction(&unseen, |c| c.distance_score > m),
        seen_refused_distance_only: fraction(&seen, |c| c.distance_score > m),
        unseen_delta_median: median(&mut unseen.iter().map(|c| c.delta).collect::<Vec<_>>()),
        seen_delta_median: median(&mut seen.iter().map(|c| c.delta).collect::<Vec<_>>()),
        train_mse: mean(&|f| f.train_mse),
        validation_mse: mean(&|f| f.validation_mse),
    }
}

fn fold_row(f: &ModelFold, o: &Options) -> Value {
    let unseen: Vec<&Case> = f.unseen.iter().collect();
    let seen: Vec<&Case> = f.seen.iter().collect();
    let m = o.margin;
    json!({
        "seen_refused_fraction": fraction(&seen, |c| c.score > m),
        "unseen_ok_fraction": fraction(&unseen, |c| c.score > m || c.delta <= o.tolerance),
        "unseen_refused_fraction": fraction(&unseen, |c| c.score > m),
        "unseen_refused_by_distance": fraction(&unseen, |c| c.distance_score > m),
        "unseen_delta_median": median(&mut f.unseen.iter().map(|c| c.delta).collect::<Vec<_>>()),
        "unseen_outside_fraction": fraction(&unseen, |c| c.outside),
        "seen_refused": f.seen.iter().filter(|c| c.score > m).count(),
        "seen_patterns": f.seen.len(),
        "seen_delta_median": median(&mut f.seen.iter().map(|c| c.delta).collect::<Vec<_>>()),
        "train_mse": f.train_mse,
        "validation_mse": f.validation_mse,
        "unseen_reconstruction_error_median": median(&mut f.unseen.iter().map(|c| c.reconstruction_error).collect::<Vec<_>>()),
        "unseen_distance_median": median(&mut f.unseen.iter().map(|c| c.distance).collect::<Vec<_>>()),
    })
}

/// Accuracy (answered patterns with δ ≤ `tol`) against coverage (answered fraction) over the
/// seen test and unseen patterns of every fold, as the refusal thresholds scale together
/// (xrd-io's curve: the lowest scores answered first, equal scores together).
fn coverage_curve(folds: &[&ModelFold], tol: f64, distance_only: bool) -> Vec<(f64, f64)> {
    let cases: Vec<(f64, bool)> = folds
        .iter()
        .flat_map(|f| f.seen.iter().chain(&f.unseen))
        .map(|c| {
            let s = if distance_only {
                c.distance_score
            } else {
                c.score
            };
            (s, c.delta <= tol)
        })
        .collect();
    let n = cases.len();
    // Scores are ratios of finite distances and errors to finite thresholds.
    xrd_io::coverage::coverage_curve(cases, n, xrd_io::coverage::Answer::LowestFirst)
        .unwrap_or_default()
        .iter()
        .map(|p| (p.coverage, p.accuracy))
        .collect()
}

fn print_table(
    folds: &[(Value, usize, ModelFold, ModelFold)],
    ae: &Fractions,
    pca: &Fractions,
    o: &Options,
) {
    println!(
        "\n== Leave one composition out ({} compositions, {} epochs, quantile {}, margin {}) ==",
        folds.len(),
        o.epochs,
        o.quantile,
        o.margin
    );
    println!(
        "{:<32} {:>4}  {:>22}  {:>22}",
        "left out", "n", "AE ok / refused / δ̃", "PCA ok / refused / δ̃"
    );
    for (c, n, a, p) in folds {
        let row = |f: &ModelFold| {
            let v = fold_row(f, o);
            format!(
                "{:.2} / {:.2} / {:.3}",
                v["unseen_ok_fraction"].as_f64().unwrap_or(f64::NAN),
                v["unseen_refused_fraction"].as_f64().unwrap_or(f64::NAN),
                v["unseen_delta_median"].as_f64().unwrap_or(f64::NAN)
            )
        };
        println!(
            "{:<32} {:>4}  {:>22}  {:>22}",
            c["composition"].as_str().unwrap_or(""),
            n,
            row(a),
            row(p)
        );
    }
    for (name, f) in [("autoencoder", ae), ("PCA", pca)] {
        println!(
            "{name}: unseen ok {:.3}, unseen refused {:.3}, seen refused {:.3} \
             (distance only: ok {:.3}, refused {:.3}, seen refused {:.3})",
            f.ok,
            f.refused,
            f.seen_refused,
            f.ok_distance_only,
            f.refused_distance_only,
            f.seen_refused_distance_only
        );
    }
}
