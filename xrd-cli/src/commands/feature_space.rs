//! `xrd feature-space`: the paper's pipeline on your own pattern files.
//!
//! Instead of `--patterns`, `--npz FILE` reads `patterns` (n × points), `two_theta` and the
//! integer label array `--npz-label` (default `crystal_system`) from a NumPy archive such as
//! `../shared/data/measured/rruff_dev.npz`; the nearest-neighbour purity of the label groups is
//! printed for both feature spaces.
//!
//! Input transforms (after resampling, in this order): `--strip-kalpha2` removes the Cu Kα2
//! line (Rachinger; the files are assumed to be Cu Kα), `--background WIDTH` subtracts a SNIP
//! background for peaks up to WIDTH degrees wide, `--sqrt` takes the square root of the
//! intensities (weak peaks count more); every pattern is then scaled to max 1.
//!
//! A `--validation` fraction of the patterns (at least one; none with fewer than 4 patterns) is
//! held out. The autoencoder is trained `--restarts` times from different seeds, each with early
//! stopping (`--patience` epochs) on part of its training rows, and the restart that
//! reconstructs the held-out patterns best is kept; a 2-component PCA is fitted on the same
//! rows. Diagnostics of both (spread and rank of the latent points, dead ReLUs, validation
//! MSE) are printed and written to `diagnostics.json`, with a plain warning when the
//! autoencoder does worse than PCA. `--feature-space auto` (default) keeps whichever
//! reconstructs the held-out patterns better (PCA is then refitted on every pattern).
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

use ndarray::{Array2, ArrayView2, Axis, concatenate};
use serde_json::json;
use xrd_ae::{Autoencoder, Diagnostics, FeatureSpace};
use xrd_cli::figures::{
    self, Curve, Heatmap, LinePanel, RelevancePlot, ScatterPanel, relevance_figure,
};
use xrd_cli::progress::epoch_bar;
use xrd_cli::run::write_atomic;
use xrd_io::{
    Background, Dataset, Grid, Normalization, OutOfRange, Pattern, Preparation, Wavelength,
};
use xrd_latent::{
    Answer, DEFAULT_REFUSAL_QUANTILE, EstimationParams, EstimatorKind, Extrapolation,
    PCA_BASELINE_NEIGHBOURS, PaintGrid, PipelineData, PipelineParams, Space, SpaceChoice,
    as_points,
};
use xrd_relevance::{LayeredEncoder, PeakRelevanceParams, Relevance, peak_relevance};

use super::{Context as Job, Outcome, Result, create_dir, skipped};

/// Which feature space to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Choice {
    /// The one that reconstructs the held-out patterns better.
    Auto,
    /// The autoencoder.
    #[value(alias = "autoencoder")]
    Ae,
    /// A 2-component PCA.
    Pca,
}

/// Options of `xrd feature-space`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Writes latent.csv, estimates.csv (files without labels), loo.csv \
    (leave-one-out estimates of the labelled files), diagnostics.json and the figures into --out."
)]
pub struct Args {
    /// Folder of pattern files (any format xrd reads; bad files are named and skipped).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "npz",
        conflicts_with = "npz"
    )]
    pub patterns: Option<PathBuf>,
    /// NumPy archive with `patterns`, `two_theta` and an integer label array instead.
    #[arg(long, value_name = "FILE")]
    pub npz: Option<PathBuf>,
    /// The label array of --npz.
    #[arg(long, default_value = "crystal_system")]
    pub npz_label: String,
    /// CSV `file,label1,label2,…` of numeric labels of some files.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Grid START STEP N (default: the paper's 1.00…119.99° in 0.01° steps).
    #[arg(long, num_args = 3, value_names = ["START", "STEP", "N"])]
    pub grid: Option<Vec<f64>>,
    /// Load the autoencoder from this file if it exists, else train it and save it there.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "target/feature_space")]
    pub out: PathBuf,
    /// Training epochs (at most; early stopping ends sooner).
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which feature space to keep.
    #[arg(long = "feature-space", value_enum, default_value_t = Choice::Auto)]
    pub choice: Choice,
    /// Training restarts from different seeds; the best on the held-out patterns is kept.
    #[arg(long, default_value_t = 3)]
    pub restarts: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = 100)]
    pub patience: usize,
    /// Fraction of the patterns held out.
    #[arg(long, default_value_t = 0.2)]
    pub validation: f64,
    /// Square root of the intensities (weak peaks count more).
    #[arg(long)]
    pub sqrt: bool,
    /// Subtract a SNIP background for peaks up to WIDTH degrees wide.
    #[arg(long, value_name = "WIDTH")]
    pub background: Option<f64>,
    /// Remove the Cu Kα2 line (Rachinger).
    #[arg(long)]
    pub strip_kalpha2: bool,
    /// How labels are estimated from the feature space: the paper's nearest triangle, a local
    /// linear fit of the nearest labelled points, one linear fit, or the one of lowest
    /// leave-one-out error on the labelled files (auto; it says which and why).
    #[arg(long, value_enum, default_value_t = EstimatorChoice::Auto)]
    pub estimator: EstimatorChoice,
    /// What an extrapolated estimate becomes: bounded (to the nearest labels' range widened by
    /// that range once), refused (and counted as refused by the refusal calibration), or kept
    /// as it is (flagged in every case).
    #[arg(long, value_enum, default_value_t = ExtrapolationChoice::Clamp)]
    pub extrapolation: ExtrapolationChoice,
}

/// `--extrapolation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExtrapolationChoice {
    /// Bound the value.
    Clamp,
    /// Refuse to answer.
    Refuse,
    /// Keep the extrapolated value.
    Allow,
}

/// `--estimator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EstimatorChoice {
    /// Lowest leave-one-out mean δ on the labelled files.
    Auto,
    /// The paper's nearest triangle (ill-conditioned triangles hand over to local-linear).
    Triangle,
    /// Weighted linear fit of the nearest labelled points.
    LocalLinear,
    /// One linear fit of every labelled point.
    Linear,
}

#[derive(Debug, Clone)]
struct Options {
    patterns: Option<PathBuf>,
    npz: Option<PathBuf>,
    npz_label: String,
    labels: Option<PathBuf>,
    grid: Grid,
    model: Option<PathBuf>,
    out: PathBuf,
    epochs: usize,
    seed: u64,
    choice: Choice,
    restarts: usize,
    patience: usize,
    validation: f64,
    sqrt: bool,
    background: Option<f64>,
    strip_kalpha2: bool,
    estimator: EstimatorChoice,
    extrapolation: Extrapolation,
    quiet: bool,
}

/// Runs `xrd feature-space`.
pub fn run(args: Args, job: &Job) -> Result<Outcome> {
    let o = parse(args, job.quiet)?;
    run_options(&o)?;
    Ok(Outcome::Done)
}

fn parse(args: Args, quiet: bool) -> Result<Options> {
    let grid = match &args.grid {
        Some(g) => {
            if g[2] < 1.0 || g[2].fract() != 0.0 {
                return Err(format!("--grid N must be a whole number ≥ 1, got {}", g[2]).into());
            }
            Grid::new(g[0], g[1], g[2] as usize)?
        }
        None => Grid::paper(),
    };
    let o = Options {
        patterns: args.patterns,
        npz: args.npz,
        npz_label: args.npz_label,
        labels: args.labels,
        grid,
        model: args.model,
        out: args.out,
        epochs: args.epochs,
        seed: args.seed,
        choice: args.choice,
        restarts: args.restarts,
        patience: args.patience,
        validation: args.validation,
        sqrt: args.sqrt,
        background: args.background,
        strip_kalpha2: args.strip_kalpha2,
        estimator: args.estimator,
        extrapolation: match args.extrapolation {
            ExtrapolationChoice::Clamp => Extrapolation::Clamp,
            ExtrapolationChoice::Refuse => Extrapolation::Refuse,
            ExtrapolationChoice::Allow => Extrapolation::Allow,
        },
        quiet,
    };
    if o.epochs == 0 || o.restarts == 0 || o.patience == 0 {
        return Err("--epochs, --restarts and --patience must be at least 1".into());
    }
    if !(0.0..1.0).contains(&o.validation) {
        return Err(format!("--validation must lie in [0, 1), got {}", o.validation).into());
    }
    if let Some(w) = o.background
        && !(w.is_finite() && w > 0.0)
    {
        return Err(format!("--background WIDTH must be positive, got {w}").into());
    }
    Ok(o)
}

fn run_options(o: &Options) -> Result<()> {
    create_dir(&o.out)?;
    let (labelled, unlabelled) = match (&o.patterns, &o.npz) {
        (Some(dir), _) => {
            let report =
                Dataset::<f32>::load_dir(dir, o.labels.as_deref(), o.grid, OutOfRange::Zero)?;
            for f in &report.failures {
                skipped(&f.path.display().to_string(), &f.error);
            }
            for name in &report.unmatched_labels {
                eprintln!("labels row {name} matches no file");
            }
            (report.dataset, report.unlabelled)
        }
        (None, Some(path)) => read_npz(path, &o.npz_label)?,
        (None, None) => return Err("give either --patterns DIR or --npz FILE".into()),
    };
    let o = &Options {
        grid: labelled.grid,
        ..o.clone()
    };
    let labelled = scaled_to_max(labelled)?;
    let unlabelled = scaled_to_max(unlabelled)?;
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
    let all = transformed(all, o)?;
    eprintln!(
        "{} patterns ({} labelled, {} to estimate) on {} points",
        all.nrows(),
        n_lab,
        unlabelled.len(),
        o.grid.len()
    );

    // The model given with --model, if its file exists.
    let given = match (&o.model, o.choice) {
        (Some(path), c) if c != Choice::Pca && path.exists() => {
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
            Some(model)
        }
        _ => None,
    };
    let trains = given.is_none() && o.choice != Choice::Pca;
    // The label groups, for the purity: only when there are labels.
    let (group, _) = label_groups(&labelled);
    let groups: &[usize] = if labelled.labels.ncols() > 0 {
        &group
    } else {
        &[]
    };
    let bar = epoch_bar(o.epochs * o.restarts, "training");
    if o.quiet || !trains {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let pipeline = PipelineParams::new()
        .epochs(o.epochs)
        .restarts(o.restarts)
        .patience(o.patience)
        .validation(o.validation)
        .seed(o.seed)
        .choice(match o.choice {
            Choice::Auto => SpaceChoice::Auto,
            Choice::Ae => SpaceChoice::Autoencoder,
            Choice::Pca => SpaceChoice::Pca,
        })
        .fit(
            PipelineData {
                patterns: all.view(),
                groups,
                model: given,
            },
            |p| {
                bar.set_position((p.restart * o.epochs + p.epoch.epoch) as u64);
                bar.set_message(format!("{:.3e}", p.epoch.train_loss));
            },
        )?;
    bar.finish_and_clear();
    if !pipeline.restart_losses.is_empty() {
        let l: Vec<String> = pipeline
            .restart_losses
            .iter()
            .map(|l| format!("{l:.3e}"))
            .collect();
        eprintln!("restarts, validation MSE: {}", l.join(", "));
    }
    if trains && let (Some(path), Some(model)) = (&o.model, &pipeline.autoencoder) {
        model.save(path)?;
        eprintln!("saved {}", path.display());
    }

    // Diagnostics of both, on the same rows.
    let d = &pipeline.diagnostics;
    let mut report = serde_json::Map::new();
    print_diagnostics("PCA", &d.pca);
    report.insert("pca".into(), serde_json::to_value(&d.pca)?);
    if let Some(diag) = &d.autoencoder {
        print_diagnostics("autoencoder", diag);
        report.insert("autoencoder".into(), serde_json::to_value(diag)?);
    }
    if let Some(purity) = d.purity {
        report.insert("pca_label_purity".into(), json!(purity.pca));
        report.insert("autoencoder_label_purity".into(), json!(purity.autoencoder));
        println!(
            "nearest-neighbour purity of the label groups: autoencoder {}, PCA {:.3}",
            purity
                .autoencoder
                .map_or("n/a".into(), |p| format!("{p:.3}")),
            purity.pca
        );
    }
    let ae_val = d.autoencoder_validation_mse();
    let chosen = d.chosen.name();
    println!(
        "feature space: {chosen} ({}; validation MSE autoencoder {}, PCA {:.3e})",
        match o.choice {
            Choice::Auto => "chosen by validation",
            _ => "as asked",
        },
        ae_val.map_or("n/a".into(), |v| format!("{v:.3e}")),
        d.pca.validation_mse
    );
    report.insert(
        "chosen".into(),
        json!({ "feature_space": chosen, "by": format!("{:?}", o.choice).to_lowercase() }),
    );
    report.insert("validation_rows".into(), json!(d.validation_rows));
    write_atomic(
        &o.out.join("diagnostics.json"),
        &serde_json::to_string_pretty(&report)?,
    )?;
    let mut ctx = Context {
        o,
        all: all.view(),
        names: &names,
        labelled: &labelled,
        unlabelled: &unlabelled,
        pca_labelled: None,
    };
    match (&pipeline.autoencoder, pipeline.chosen()) {
        (Some(ae), Space::Autoencoder) => {
            // The baseline the autoencoder's estimates must not lose to silently.
            let lab = all.slice(ndarray::s![..n_lab, ..]);
            ctx.pca_labelled = Some(pipeline.pca.encode(lab)?.mapv(f64::from));
            report_space(&ctx, ae, pipeline.before.clone())
        }
        _ => report_space(&ctx, &pipeline.pca, None),
    }
}

/// Prints a feature space's diagnostics and its warnings in plain words.
fn print_diagnostics(name: &str, d: &Diagnostics) {
    let spread: Vec<String> = d
        .spread
        .principal_std
        .iter()
        .map(|s| format!("{s:.3e}"))
        .collect();
    let dead: Vec<String> = d
        .dead_units
        .iter()
        .map(|u| format!("layer {}: {}/{}", u.layer, u.dead, u.units))
        .collect();
    println!(
        "{name}: latent spread (principal std) {}, rank {}; validation MSE {:.3e} (PCA {}){}",
        spread.join(" / "),
        d.spread.rank,
        d.validation_mse,
        d.pca_validation_mse
            .map_or("n/a".into(), |v| format!("{v:.3e}")),
        if dead.is_empty() {
            String::new()
        } else {
            format!("; dead ReLUs {}", dead.join(", "))
        }
    );
    for w in &d.warnings {
        println!("WARNING ({name}): {w}");
    }
}

/// What the report of the chosen feature space needs.
struct Context<'a> {
    o: &'a Options,
    all: ArrayView2<'a, f32>,
    names: &'a [String],
    labelled: &'a Dataset<f32>,
    unlabelled: &'a Dataset<f32>,
    /// PCA points of the labelled patterns when another feature space is reported.
    pca_labelled: Option<Array2<f64>>,
}

/// Latent coordinates, estimates, leave-one-out, figures and relevance in `model`'s space.
fn report_space<M>(ctx: &Context<'_>, model: &M, before: Option<Array2<f64>>) -> Result<()>
where
    M: FeatureSpace<f32> + LayeredEncoder<f32> + Sync,
{
    let Context {
        o,
        all,
        names,
        labelled,
        unlabelled,
        ..
    } = *ctx;
    let n_lab = labelled.len();
    let z = model.encode(all)?.mapv(f64::from);
    if z.ncols() != 2 {
        return Err(format!("need a 2-D feature space, got {}-D", z.ncols()).into());
    }
    let pts = as_points(&z);

    // Latent coordinates of every file.
    let mut csv = String::from("file,z1,z2,labelled\n");
    for (i, (name, p)) in names.iter().zip(&pts).enumerate() {
        csv.push_str(&format!("{name},{},{},{}\n", p[0], p[1], i < n_lab));
    }
    write_atomic(&o.out.join("latent.csv"), &csv)?;

    // Groups for colouring: distinct label rows (unlabelled files form the last group).
    let (mut group, mut group_names) = label_groups(labelled);
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
        let known_arr = Array2::from_shape_fn((n_lab, 2), |(i, j)| known[i][j]);
        let header = labelled.label_names.join(",");
        let (estimator, rows) = estimate_labels(
            o,
            known_arr.view(),
            labelled,
            &query,
            ctx.pca_labelled.as_ref().map(|a| a.view()),
        )?;
        let mut est = format!("file,{header},by,extrapolated,ill_conditioned,distance,refused\n");
        for (name, a, refused) in &rows {
            let v: Vec<String> = a.value.iter().map(|v| v.to_string()).collect();
            est.push_str(&format!(
                "{name},{},{},{},{},{},{refused}\n",
                v.join(","),
                a.by.name(),
                a.extrapolated,
                a.ill_conditioned,
                a.distance,
            ));
        }
        write_atomic(&o.out.join("estimates.csv"), &est)?;
        let flagged = rows.iter().filter(|r| r.1.extrapolated).count();
        let refused = rows.iter().filter(|r| r.2).count();
        eprintln!(
            "estimated {} unlabelled files with {}: {flagged} extrapolated, {refused} refused",
            rows.len(),
            estimator.name()
        );

        let grid = PaintGrid::around(&pts, 0.08, 200, 200)?;
        // The maps paint the paper's triangle rule (the crate's painter).
        let painted = xrd_latent::TriangleEstimator::params()
            .fit(known_arr.view(), labelled.labels.view())?
            .paint(&grid)?;
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
    let recon = model.reconstruct(first.view())?;
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
    let profile = relevance.profile_exact(model, all.row(0))?;
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

/// A file's name, its estimate and whether it was refused.
type LabelEstimate = (String, Answer, bool);

/// Estimates the labels of the `query` files from the labelled points with the estimator of
/// `--estimator` (auto: the lowest leave-one-out mean δ), after reporting every estimator's
/// leave-one-out δ beside the mean predictor's (and warning when PCA + local linear on
/// `pca_points` does better) and writing `loo.csv`. Extrapolated answers are
/// flagged and treated as `--extrapolation` says. Answers farther from every labelled point than
/// the refusal calibration's distance are refused: xrd-latent's `RefusalCalibration` (quantile
/// 0.975) on the chosen estimator's leave-one-out answers, which under `--extrapolation refuse`
/// counts the extrapolated ones as refused.
fn estimate_labels(
    o: &Options,
    known: ArrayView2<'_, f64>,
    labelled: &Dataset<f32>,
    query: &[(usize, String, [f64; 2])],
    pca_points: Option<ArrayView2<'_, f64>>,
) -> Result<(EstimatorKind, Vec<LabelEstimate>)> {
    let labels = &labelled.labels;
    let points: Vec<[f64; 2]> = query.iter().map(|q| q.2).collect();
    let e = EstimationParams::new()
        .extrapolation(o.extrapolation)
        .estimator(match o.estimator {
            EstimatorChoice::Auto => None,
            EstimatorChoice::Triangle => Some(EstimatorKind::Triangle),
            EstimatorChoice::LocalLinear => Some(EstimatorKind::LocalLinear),
            EstimatorChoice::Linear => Some(EstimatorKind::Linear),
        })
        .estimate(known, labels.view(), &points, pca_points)?;
    let selection = &e.selection;
    println!(
        "leave-one-out over {} labelled files (mean δ of Eq. 3; mean of the others {:.3e}):",
        known.nrows(),
        selection.mean_predictor_delta
    );
    for kind in EstimatorKind::ALL {
        if let Some(e) = selection.evaluation(kind) {
            println!(
                "  {:<12} mean δ {:.3e}, worst {:.3e}{}{}",
                kind.name(),
                e.mean_delta(),
                e.max_delta(),
                if kind == EstimatorKind::LocalLinear {
                    format!(" ({} nearest)", e.neighbours)
                } else {
                    String::new()
                },
                match (e.extrapolated(), e.ill_conditioned()) {
                    (0, 0) => String::new(),
                    (x, 0) => format!("; {x} extrapolated"),
                    (0, c) => format!("; {c} ill-conditioned triangles not used"),
                    (x, c) => format!("; {x} extrapolated, {c} ill-conditioned triangles not used"),
                }
            );
        }
    }
    let kind = e.kind;
    let chosen = &e.chosen;
    println!(
        "estimator: {} ({}; leave-one-out mean δ {:.3e})",
        kind.name(),
        if o.estimator == EstimatorChoice::Auto {
            "lowest leave-one-out error"
        } else {
            "--estimator"
        },
        chosen.mean_delta()
    );
    let best = e.best_delta();
    if !e.beats_mean() {
        eprintln!(
            "WARNING: no estimator beats predicting the mean of the other labelled files \
             (best leave-one-out mean δ {best:.3e} against {:.3e}): the feature space does not \
             order these labels",
            selection.mean_predictor_delta
        );
    }
    if chosen.mean_delta() > 1.5 * best {
        eprintln!(
            "WARNING: {} estimates the labelled files worse than {} (leave-one-out mean δ {:.3e} against {best:.3e})",
            kind.name(),
            selection.chosen.name(),
            chosen.mean_delta()
        );
    }
    if let Some(baseline) = e.pca_baseline_delta
        && baseline < chosen.mean_delta()
    {
        eprintln!(
            "WARNING: PCA with a local linear fit of the {PCA_BASELINE_NEIGHBOURS} nearest estimates the labelled files \
             better (leave-one-out mean δ {baseline:.3e} against {:.3e}): try --feature-space pca",
            chosen.mean_delta()
        );
    }
    let header = labelled.label_names.join(",");
    let mut text = format!("file,{header},delta,extrapolated\n");
    for r in &chosen.records {
        let v: Vec<String> = r.answer.value.iter().map(|v| v.to_string()).collect();
        text.push_str(&format!(
            "{},{},{},{}\n",
            labelled.names[r.index],
            v.join(","),
            r.delta,
            r.answer.extrapolated
        ));
    }
    write_atomic(&o.out.join("loo.csv"), &text)?;
    let refuse = o.extrapolation == Extrapolation::Refuse;
    println!(
        "refusal: farther than {:.3e} from every labelled file (quantile {} of the leave-one-out, \
         {}); {} of {} labelled files would be refused",
        e.policy.max_distance,
        DEFAULT_REFUSAL_QUANTILE,
        if refuse {
            format!(
                "its {} extrapolated counted as refused",
                chosen.extrapolated()
            )
        } else {
            "extrapolated answers kept".to_string()
        },
        e.declined,
        chosen.records.len()
    );
    let rows = query
        .iter()
        .zip(e.answers)
        .map(|((_, name, _), (a, refused))| (name.clone(), a, refused))
        .collect();
    Ok((kind, rows))
}

/// The input transforms of the options, in order (Kα2, background, square root), each
/// pattern scaled to max 1 again afterwards.
fn transformed(mut all: Array2<f32>, o: &Options) -> Result<Array2<f32>> {
    if !(o.strip_kalpha2 || o.background.is_some() || o.sqrt) {
        return Ok(all);
    }
    for mut row in all.rows_mut() {
        let mut y: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        if o.strip_kalpha2 || o.background.is_some() {
            let p = Pattern::uniform(o.grid.start(), o.grid.step(), y)?
                .with_wavelength(Some(Wavelength::CU_KA));
            let mut preparation = Preparation::default()
                .strip_kalpha2(o.strip_kalpha2)
                .background(Background::None);
            if let Some(w) = o.background {
                preparation = preparation.background(Background::Snip).background_width(w);
            }
            // Negative values are clipped here as they are below when scaling.
            y = p.prepare(&preparation)?.signal;
        }
        if o.sqrt {
            y.iter_mut().for_each(|v| *v = v.max(0.0).sqrt());
        }
        let max = y.iter().copied().fold(0.0f64, f64::max);
        let scale = if max > 0.0 { 1.0 / max } else { 1.0 };
        for (r, v) in row.iter_mut().zip(&y) {
            *r = (v.max(0.0) * scale) as f32;
        }
    }
    Ok(all)
}

/// The group of every labelled row (its distinct label row, by the workspace's one composition
/// key) and the groups' names.
fn label_groups(labelled: &Dataset<f32>) -> (Vec<usize>, Vec<String>) {
    let (group, distinct) = xrd_interp::composition_groups(labelled.labels.view());
    let names = distinct
        .iter()
        .map(|c| {
            let values: Vec<String> = c.iter().map(|v| format!("{v}")).collect();
            format!(
                "{} = {}",
                labelled.label_names.join(", "),
                values.join(", ")
            )
        })
        .collect();
    (group, names)
}

/// Patterns on a uniform grid from a NumPy `.npz` (`patterns` n × points, `two_theta`, read by
/// xrd-io) with one of its label arrays, `label` (e.g. the crystal system of `rruff_dev.npz`),
/// as the only label column; every row labelled.
fn read_npz(path: &std::path::Path, label: &str) -> Result<(Dataset<f32>, Dataset<f32>)> {
    let d = Dataset::<f32>::read_npz(path)?;
    let values = d
        .label(label)
        .ok_or_else(|| {
            format!(
                "{} has no label array {label} (it has {})",
                path.display(),
                d.label_names.join(", ")
            )
        })?
        .to_owned()
        .insert_axis(Axis(1));
    let names = vec![label.to_string()];
    let labelled = Dataset::new(d.grid, d.patterns, d.names, values, names.clone())?;
    let none = Dataset::new(
        d.grid,
        Array2::zeros((0, d.grid.len())),
        Vec::new(),
        Array2::zeros((0, 1)),
        names,
    )?;
    Ok((labelled, none))
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
    let mut out = data.select(&keep)?;
    out.normalize_rows(Normalization::Max)?;
    Ok(out)
}
