//! The paper's pipeline on your own pattern files.
//!
//! ```sh
//! cargo run --release -p xrd-examples --example feature_space -- \
//!     --patterns DIR [--labels labels.csv] [--grid START STEP N] [--model MODEL.safetensors] \
//!     [--out DIR] [--epochs 1000] [--seed 1]
//! ```
//!
//! Reads every file of `--patterns` in any format xrd-io supports (bad files are reported by name
//! and skipped), resamples them onto the grid (default: the paper's 1.00°…119.99° in 0.01° steps,
//! zero outside a file's range) and scales each to max 1. With `--model` naming an existing file the
//! autoencoder is loaded from it; otherwise one is trained (and saved there when `--model` is
//! given). The labels CSV (`file,label1,label2,…`) gives numeric labels to some files; the others
//! are estimated from the feature space. Writes `latent.csv`, `estimates.csv` (files without
//! labels), `loo.csv` (leave-one-out estimates of the labelled files) and the figures into `--out`
//! (default `target/feature_space`).

use std::path::PathBuf;
use std::process::ExitCode;

use ndarray::{Array2, Axis, concatenate};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::Autoencoder;
use xrd_examples::args::Args;
use xrd_examples::figures::{
    self, Curve, Heatmap, LinePanel, RelevancePlot, ScatterPanel, relevance_figure,
};
use xrd_examples::pipeline::{self, Result, as_points, estimate_rows, write_atomic};
use xrd_io::{Dataset, Grid, Normalization, OutOfRange};
use xrd_latent::PaintGrid;
use xrd_relevance::{PeakRelevanceParams, Relevance, peak_relevance};

struct Options {
    patterns: PathBuf,
    labels: Option<PathBuf>,
    grid: Grid,
    model: Option<PathBuf>,
    out: PathBuf,
    epochs: usize,
    seed: u64,
}

fn main() -> ExitCode {
    pipeline::exit_code(parse().and_then(|o| run(&o)))
}

fn parse() -> Result<Options> {
    let args = Args::from_env(&[("grid", 3)], &["help"])?;
    if args.flag("help") {
        println!(
            "usage: feature_space --patterns DIR [--labels labels.csv] [--grid START STEP N] \
             [--model MODEL.safetensors] [--out DIR] [--epochs 1000] [--seed 1]"
        );
        std::process::exit(0);
    }
    let grid = match args.many::<f64>("grid")? {
        Some(g) => {
            if g[2] < 1.0 || g[2].fract() != 0.0 {
                return Err(format!("--grid N must be a whole number ≥ 1, got {}", g[2]).into());
            }
            Grid::new(g[0], g[1], g[2] as usize)?
        }
        None => Grid::paper(),
    };
    let o = Options {
        patterns: args.opt("patterns")?.ok_or("--patterns DIR is required")?,
        labels: args.opt("labels")?,
        grid,
        model: args.opt("model")?,
        out: args.get("out", PathBuf::from("target/feature_space"))?,
        epochs: args.get("epochs", 1000)?,
        seed: args.get("seed", 1)?,
    };
    args.reject_unknown()?;
    Ok(o)
}

fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.out)
        .map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    let report =
        Dataset::<f32>::load_dir(&o.patterns, o.labels.as_deref(), o.grid, OutOfRange::Zero)?;
    for f in &report.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.error);
    }
    for name in &report.unmatched_labels {
        eprintln!("labels row {name} matches no file");
    }
    let labelled = scaled_to_max(report.dataset)?;
    let unlabelled = scaled_to_max(report.unlabelled)?;
    let n_lab = labelled.len();
    let all = concatenate(
        Axis(0),
        &[labelled.patterns.view(), unlabelled.patterns.view()],
    )?;
    let names: Vec<String> = labelled
        .names
        .iter()
        .chain(&unlabelled.names)
        .cloned()
        .collect();
    if all.nrows() < 3 {
        return Err(format!("need at least 3 readable patterns, found {}", all.nrows()).into());
    }
    eprintln!(
        "{} patterns ({} labelled, {} to estimate) on {} points",
        all.nrows(),
        n_lab,
        unlabelled.len(),
        o.grid.len()
    );

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(o.seed);
    let params = Autoencoder::<f32>::params()
        .epochs(o.epochs)
        .validation_fraction(0.0);
    let (before, model) = match &o.model {
        Some(path) if path.exists() => {
            let model = Autoencoder::<f32>::load(path)?;
            if model.inputs() != o.grid.len() {
                return Err(format!(
                    "{} takes {} points but the grid has {}",
                    path.display(),
                    model.inputs(),
                    o.grid.len()
                )
                .into());
            }
            eprintln!("loaded {}", path.display());
            (None, model)
        }
        _ => {
            let (before, model) =
                pipeline::train_autoencoder(&params, all.view(), all.view(), &mut rng, "training")?;
            if let Some(path) = &o.model {
                model.save(path)?;
                eprintln!("saved {}", path.display());
            }
            (Some(before), model)
        }
    };
    let z = model.encode(&all)?.mapv(f64::from);
    let pts = as_points(&z);

    // Latent coordinates of every file.
    let mut csv = String::from("file,z1,z2,labelled\n");
    for (i, (name, p)) in names.iter().zip(&pts).enumerate() {
        csv.push_str(&format!("{name},{},{},{}\n", p[0], p[1], i < n_lab));
    }
    write_atomic(&o.out.join("latent.csv"), &csv)?;

    // Groups for colouring: distinct label rows (unlabelled files form the last group).
    let mut keys: Vec<String> = labelled
        .labels
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let row_keys = keys.clone();
    keys.sort();
    keys.dedup();
    let mut group: Vec<usize> = row_keys
        .iter()
        .map(|k| keys.binary_search(k).unwrap_or(0))
        .collect();
    let mut group_names: Vec<String> = keys
        .iter()
        .map(|k| format!("{} = {k}", labelled.label_names.join(", ")))
        .collect();
    if !unlabelled.is_empty() {
        group.extend(std::iter::repeat_n(group_names.len(), unlabelled.len()));
        group_names.push("unlabelled".into());
    }
    let hollow: Vec<bool> = (0..pts.len()).map(|i| i >= n_lab).collect();

    let mut painted_maps = Vec::new();
    if n_lab >= 3 && !labelled.label_names.is_empty() {
        let known = &pts[..n_lab];
        let query: Vec<(usize, String, [f64; 2])> = (n_lab..pts.len())
            .map(|i| (i, names[i].clone(), pts[i]))
            .collect();
        let policy = pipeline::refusal_policy(known, 0.1);
        let (estimator, rows) =
            estimate_rows(known, labelled.labels.view(), &query, None, &policy)?;
        let header = labelled.label_names.join(",");
        let mut est = format!("file,{header},kind,distance,refused\n");
        for r in &rows {
            let v: Vec<String> = r.estimated.iter().map(|v| v.to_string()).collect();
            est.push_str(&format!(
                "{},{},{},{},{}\n",
                r.name,
                v.join(","),
                r.kind,
                r.distance,
                r.refused
            ));
        }
        write_atomic(&o.out.join("estimates.csv"), &est)?;
        eprintln!("estimated {} unlabelled files", rows.len());

        // Leave-one-out on the labelled files: how well the feature space predicts the labels.
        let known_arr = Array2::from_shape_fn((n_lab, 2), |(i, j)| known[i][j]);
        let loo = estimator
            .get_params()
            .leave_one_out(known_arr.view(), labelled.labels.view())?;
        let mut text = format!("file,{header},delta\n");
        for r in &loo.records {
            let v: Vec<String> = r.estimate.value.iter().map(|v| v.to_string()).collect();
            text.push_str(&format!("{},{},{}\n", names[r.index], v.join(","), r.delta));
        }
        write_atomic(&o.out.join("loo.csv"), &text)?;
        println!(
            "leave-one-out over {} labelled files: mean δ {:.3e}, worst δ {:.3e}",
            loo.len(),
            loo.mean_delta(),
            loo.max_delta()
        );

        let grid = PaintGrid::around(&pts, 0.08, 200, 200)?;
        let painted = estimator.paint(&grid)?;
        for (c, name) in labelled.label_names.iter().enumerate().take(4) {
            let col = labelled.labels.column(c);
            let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            painted_maps.push(Heatmap {
                title: name.clone(),
                x_range: (grid.x_min, grid.x_max),
                y_range: (grid.y_min, grid.y_max),
                values: painted
                    .values
                    .index_axis(Axis(2), c)
                    .indexed_iter()
                    .map(|((j, i), &v)| if painted.covered[[j, i]] { v } else { f64::NAN })
                    .collect(),
                nx: grid.nx,
                ny: grid.ny,
                scale: (lo, if hi > lo { hi } else { lo + 1.0 }),
                points: known.to_vec(),
            });
        }
    }

    // Figures.
    let mut panels = Vec::new();
    if let Some(b) = before {
        panels.push(ScatterPanel {
            title: "before training".into(),
            points: as_points(&b),
            group: group.clone(),
            hollow: hollow.clone(),
        });
    }
    panels.push(ScatterPanel {
        title: "feature space".into(),
        points: pts.clone(),
        group,
        hollow,
    });
    figures::scatter_panels(
        &o.out.join("fig1_feature_space.svg"),
        &panels,
        &group_names,
        ("z₁", "z₂"),
    )?;
    let x = o.grid.positions();
    let first: Array2<f32> = all.slice(ndarray::s![0..1, ..]).to_owned();
    let recon = model.reconstruct(&first)?;
    figures::line_panels(
        &o.out.join("fig2_reconstruction.svg"),
        &[LinePanel {
            title: format!("{} and its reconstruction", names[0]),
            x: x.clone(),
            curves: vec![
                Curve {
                    label: "input".into(),
                    y: first.row(0).iter().map(|&v| f64::from(v)).collect(),
                    colour: 6,
                    offset: 0.0,
                },
                Curve {
                    label: "reconstruction".into(),
                    y: recon.row(0).iter().map(|&v| f64::from(v)).collect(),
                    colour: 1,
                    offset: 0.0,
                },
            ],
            x_range: None,
        }],
        ("2θ (degrees)", "intensity (max 1)"),
    )?;
    if !painted_maps.is_empty() {
        figures::heatmaps(
            &o.out.join("fig4_label_maps.svg"),
            &painted_maps,
            ("z₁", "z₂"),
        )?;
    }
    let relevance = Relevance::params().build(&o.grid)?;
    let profile = relevance.profile_exact(&model, all.row(0))?;
    let report = peak_relevance(&profile, all.row(0), None, &PeakRelevanceParams::default())?;
    let dev: Vec<f64> = profile.dev().iter().map(|&v| f64::from(v)).collect();
    let pattern: Vec<f64> = all.row(0).iter().map(|&v| f64::from(v)).collect();
    let notes: Vec<figures::Annotation> = report
        .strong_but_irrelevant()
        .iter()
        .map(|p| figures::Annotation {
            x: p.peak.position,
            y: p.peak.height,
            text: format!("{:.2}°", p.peak.position),
        })
        .collect();
    relevance_figure(
        &o.out.join("fig5_relevance.svg"),
        &RelevancePlot {
            title: &format!("Dev(2θ) of {}", names[0]),
            x: &x,
            pattern: &pattern,
            dev_x: &profile.centers(),
            dev: &dev,
            notes: &notes,
            x_range: None,
        },
    )?;
    println!(
        "relevance of {}: Spearman(intensity, relevance) {}; {} strong-but-irrelevant peaks",
        names[0],
        report.spearman.map_or("n/a".into(), |s| format!("{s:.3}")),
        notes.len()
    );
    eprintln!("wrote {}", o.out.display());
    Ok(())
}

/// Scales every row to max 1, dropping (and reporting) rows with no intensity on the grid.
fn scaled_to_max(data: Dataset<f32>) -> Result<Dataset<f32>> {
    let keep: Vec<usize> = (0..data.len())
        .filter(|&i| {
            let empty = data.patterns.row(i).iter().all(|&v| v <= 0.0);
            if empty {
                eprintln!("skipped {}: no intensity on the grid", data.names[i]);
            }
            !empty
        })
        .collect();
    let mut out = Dataset::new(
        data.grid,
        data.patterns.select(Axis(0), &keep),
        keep.iter().map(|&i| data.names[i].clone()).collect(),
        data.labels.select(Axis(0), &keep),
        data.label_names.clone(),
    )?;
    out.normalize_rows(Normalization::Max)?;
    Ok(out)
}
