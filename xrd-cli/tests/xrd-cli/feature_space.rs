//! `xrd feature-space` with `--labels`, `--model` and `--npz` through the built binary: the
//! estimates of a lattice-parameter series, an autoencoder saved and loaded back, and the rows
//! and label purity of measured patterns from an `.npz`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xrd_testdata::shared_data;

use crate::common::{arg, csv_rows, xrd};

/// Lattice parameters (Å) of the labelled KCl patterns, and of the two left to estimate.
// 6.28 Å is a lattice parameter here, not τ.
#[allow(clippy::approx_constant)]
const LABELLED: [f64; 11] = [
    6.20, 6.22, 6.24, 6.26, 6.28, 6.30, 6.32, 6.34, 6.36, 6.38, 6.40,
];
const UNLABELLED: [f64; 2] = [6.25, 6.33];

/// Sylvite (KCl, Fm-3m) simulated by `xrd simulate` at each lattice parameter of `LABELLED` and
/// `UNLABELLED` into `dir/patterns`, and `dir/labels.csv` giving `a` of the labelled ones.
fn kcl_series(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let cif = std::fs::read_to_string(shared_data("cif/KCl.cif")?).unwrap();
    let patterns = dir.join("patterns");
    std::fs::create_dir(&patterns).unwrap();
    let mut labels = String::from("file,a\n");
    for a in LABELLED.iter().chain(&UNLABELLED) {
        let text: String = cif
            .lines()
            .map(|l| {
                if l.starts_with("_cell_length_") {
                    format!("{} {a:.2}\n", &l[..14])
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let path = dir.join(format!("kcl_{a:.2}.cif"));
        std::fs::write(&path, text).unwrap();
        let out = patterns.join(format!("kcl_{a:.2}.xy"));
        xrd(&[
            "simulate",
            arg(&path),
            "--range",
            "20",
            "80",
            "--step",
            "0.02",
            "--out",
            arg(&out),
        ])
        .ok();
        if LABELLED.contains(a) {
            labels.push_str(&format!("kcl_{a:.2}.xy,{a:.2}\n"));
        }
    }
    let labels_path = dir.join("labels.csv");
    std::fs::write(&labels_path, labels).unwrap();
    Some((patterns, labels_path))
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    csv_rows(&std::fs::read_to_string(path).unwrap())
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `xrd feature-space --patterns DIR --labels CSV` on the KCl series with `extra` options.
fn series_space(patterns: &Path, labels: &Path, out: &Path, extra: &[&str]) -> crate::common::Run {
    let mut args = vec![
        "feature-space",
        "--patterns",
        arg(patterns),
        "--labels",
        arg(labels),
        "--grid",
        "20",
        "0.02",
        "3000",
        "--out",
        arg(out),
    ];
    args.extend_from_slice(extra);
    let run = xrd(&args);
    run.ok();
    run
}

#[test]
fn labels_of_a_lattice_series_estimate_the_unlabelled_files() {
    let dir = tempfile::tempdir().unwrap();
    let Some((patterns, labels)) = kcl_series(dir.path()) else {
        return;
    };
    let out = dir.path().join("space");
    let run = series_space(&patterns, &labels, &out, &["--feature-space", "pca"]);
    assert!(
        run.stderr
            .contains("13 patterns (11 labelled, 2 to estimate) on 3000 points"),
        "{}",
        run.stderr
    );
    // The unlabelled files' lattice parameters, from the 11 labelled ones 0.02 Å apart:
    // measured 6.2496 for 6.25 and 6.3276 for 6.33 (local-linear, chosen by leave-one-out).
    let est = read_csv(&out.join("estimates.csv"));
    assert_eq!(
        est[0].join(","),
        "file,a,by,extrapolated,ill_conditioned,distance,refused"
    );
    assert_eq!(est.len(), 3, "{est:?}");
    for (r, a) in est[1..].iter().zip(UNLABELLED) {
        assert_eq!(r[0], format!("kcl_{a:.2}.xy"));
        let got: f64 = r[1].parse().unwrap();
        assert!((got - a).abs() < 0.005, "{r:?}");
        assert_eq!(&r[2..5], ["local-linear", "false", "false"], "{r:?}");
        assert_eq!(r[6], "false", "{r:?}");
    }
    assert!(
        run.stdout.contains("estimator: local-linear"),
        "{}",
        run.stdout
    );
    // Leave-one-out on the labelled files: each estimate and its δ (squared error of the one
    // label) agree; the inner files come within 0.01 Å.
    let loo = read_csv(&out.join("loo.csv"));
    assert_eq!(loo[0].join(","), "file,a,delta,extrapolated");
    assert_eq!(loo.len(), 12);
    for (r, a) in loo[1..].iter().zip(LABELLED) {
        assert_eq!(r[0], format!("kcl_{a:.2}.xy"));
        let (got, delta): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        assert!(((got - a).powi(2) - delta).abs() < 1e-9, "{r:?}");
        if r[3] == "false" {
            assert!((got - a).abs() < 0.01, "{r:?}");
        }
    }
    let latent = read_csv(&out.join("latent.csv"));
    assert_eq!(latent.len(), 14);
    let labelled: Vec<&str> = latent[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(labelled, [&["true"; 11][..], &["false"; 2][..]].concat());
    let d = read_json(&out.join("diagnostics.json"));
    assert_eq!(d["chosen"]["feature_space"], "pca");
    assert_eq!(d["pca"]["spread"]["rank"], 2);
    for f in ["fig1_feature_space.svg", "fig4_label_maps.svg"] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn an_autoencoder_saved_with_model_is_loaded_back() {
    let dir = tempfile::tempdir().unwrap();
    let Some((patterns, labels)) = kcl_series(dir.path()) else {
        return;
    };
    let model = dir.path().join("ae.safetensors");
    let space = |out: &Path, extra: &[&str]| {
        let mut args = vec!["--feature-space", "ae", "--epochs", "3", "--restarts", "1"];
        args.extend_from_slice(extra);
        series_space(&patterns, &labels, out, &args)
    };
    let latent = |out: &Path| read_csv(&out.join("latent.csv"));
    // Trained and saved, then loaded (another seed would train another network).
    let first = dir.path().join("first");
    let run = space(&first, &["--model", arg(&model)]);
    assert!(run.stderr.contains("saved"), "{}", run.stderr);
    assert!(model.exists());
    let second = dir.path().join("second");
    let run = space(&second, &["--model", arg(&model), "--seed", "7"]);
    assert!(run.stderr.contains("loaded"), "{}", run.stderr);
    assert!(!run.stderr.contains("restarts"), "{}", run.stderr);
    assert_eq!(latent(&second), latent(&first));
    let d = read_json(&second.join("diagnostics.json"));
    assert_eq!(d["chosen"]["feature_space"], "autoencoder");
    assert!(d["autoencoder"]["validation_mse"].as_f64().unwrap() > 0.0);
    let third = dir.path().join("third");
    space(&third, &["--seed", "7"]);
    assert_ne!(latent(&third), latent(&first));
    // A model of another grid is refused, naming both sizes.
    let run = xrd(&[
        "feature-space",
        "--patterns",
        arg(&patterns),
        "--feature-space",
        "ae",
        "--grid",
        "20",
        "0.04",
        "1500",
        "--model",
        arg(&model),
        "--out",
        arg(&dir.path().join("fourth")),
    ]);
    run.failed(1, "takes 3000 points but the grid has 1500");
}

#[test]
fn an_npz_of_measured_patterns_is_placed_with_its_labels() {
    let Some(full) = shared_data("measured/rruff_dev.npz") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = xrd_io::Dataset::<f32>::read_npz(&full).unwrap();
    let rows: Vec<usize> = (0..d.len()).step_by(19).collect();
    let subset = d.select(&rows).unwrap();
    let systems: Vec<f64> = subset.label("crystal_system").unwrap().to_vec();
    let npz = dir.path().join("subset.npz");
    subset.write_npz(&npz).unwrap();
    let out = dir.path().join("space");
    let run = xrd(&[
        "feature-space",
        "--npz",
        arg(&npz),
        "--feature-space",
        "pca",
        "--out",
        arg(&out),
    ]);
    run.ok();
    assert!(
        run.stderr
            .contains("25 patterns (25 labelled, 0 to estimate) on 8500 points"),
        "{}",
        run.stderr
    );
    // Every row labelled with its crystal system (--npz-label's default): each leave-one-out
    // estimate is its δ's square root away from the row's own label.
    let loo = read_csv(&out.join("loo.csv"));
    assert_eq!(loo[0].join(","), "file,crystal_system,delta,extrapolated");
    assert_eq!(loo.len(), 26);
    for (k, (r, truth)) in loo[1..].iter().zip(&systems).enumerate() {
        assert_eq!(r[0], format!("subset.npz#{k}"));
        let (got, delta): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        assert!(
            ((got - truth).powi(2) - delta).abs() < 1e-6,
            "{r:?} {truth}"
        );
    }
    let latent = read_csv(&out.join("latent.csv"));
    assert_eq!(latent.len(), 26);
    assert!(latent[1..].iter().all(|r| r[3] == "true"));
    // The crystal systems barely cluster in PCA of the raw patterns (measured nearest-neighbour
    // purity 0.24, 6 of 25), and the run says the estimates do no better than the mean.
    let diag = read_json(&out.join("diagnostics.json"));
    let purity = diag["pca_label_purity"].as_f64().unwrap();
    assert!((purity - 0.24).abs() < 0.041, "{purity}");
    assert!(
        run.stderr
            .contains("no estimator beats predicting the mean of the other labelled files"),
        "{}",
        run.stderr
    );
    // Another label array by name; a missing one is refused, naming the ones there are.
    let run = xrd(&[
        "feature-space",
        "--npz",
        arg(&npz),
        "--npz-label",
        "space_group",
        "--feature-space",
        "pca",
        "--out",
        arg(&out),
    ]);
    run.ok();
    let loo = read_csv(&out.join("loo.csv"));
    assert_eq!(loo[0][1], "space_group");
    let groups = subset.label("space_group").unwrap();
    for (r, truth) in loo[1..].iter().zip(groups) {
        let (got, delta): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        assert!(
            ((got - truth).powi(2) - delta).abs() < 1e-6 * delta.max(1.0),
            "{r:?}"
        );
    }
    xrd(&[
        "feature-space",
        "--npz",
        arg(&npz),
        "--npz-label",
        "nope",
        "--out",
        arg(&out),
    ])
    .failed(
        1,
        "has no label array nope (it has space_group, crystal_system, source_index)",
    );
}
