//! Reproduces Utimula et al. 2022 end to end on the built-in (Sm,Zr)(Fe,Ti)12 data set.
//!
//! ```sh
//! cargo run --release -p xrd-examples --example paper -- [--out DIR] [--epochs 1000] [--seed 1] [--repeats 1]
//! ```
//!
//! Writes the figures (`fig1_feature_space.svg`, `fig2_reconstruction.svg`,
//! `fig4_concentration_maps.svg`, `fig5_relevance.svg`, `fig6_generated.svg`), `table2.txt` and
//! `summary.json` into DIR (default `target/paper`), and prints the tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{Value, json};
use xrd_ae::{Adam, Autoencoder, FeatureSpace, Pca};
use xrd_examples::args::Args;
use xrd_examples::figures::{
    self, Annotation, Curve, Heatmap, LinePanel, RelevancePlot, ScatterPanel, relevance_figure,
};
use xrd_examples::pipeline::{
    self, EstimateRow, Result, as_points, estimate_rows, formula, key, knn_purity, median,
    write_atomic,
};
use xrd_interp::{
    Anchors, CompareParams, Generator, LinearBlend, NearestMean, PatternModel, clean, compare,
};
use xrd_io::Dataset;
use xrd_io::similarity::pearson;
use xrd_latent::PaintGrid;
use xrd_relevance::{PeakRelevanceParams, Relevance, peak_relevance};
use xrd_sim::builtin::{Builtin, BuiltinParams};

/// Composition the paper's Fig. 5 shows: Sm1.0Zr0.0Fe10.5Ti1.5.
const RELEVANCE_XY: (f64, f64) = (1.5, 0.0);
/// Composition held out of training entirely, to test generation (paper III.C): an intermediate
/// Zr concentration bracketed by y = 0.125 and y = 0.375.
const HELD_OUT_XY: (f64, f64) = (1.0, 0.25);
/// Refusal: decline when P is farther from every training point than this fraction of the
/// diagonal of the training points' bounding box.
const REFUSAL_FRACTION: f64 = 0.1;
/// Resolution of the painted maps.
const PAINT_RESOLUTION: usize = 240;

struct Options {
    out: PathBuf,
    epochs: usize,
    seed: u64,
    repeats: usize,
    weight_decay: f64,
}

fn main() -> ExitCode {
    pipeline::exit_code(parse().and_then(|o| run(&o)))
}

fn parse() -> Result<Options> {
    let args = Args::from_env(&[], &["help"])?;
    if args.flag("help") {
        println!(
            "usage: paper [--out DIR] [--epochs 1000] [--seed 1] [--repeats 1] [--weight-decay 1e-7]\n\
             Reproduces Utimula et al. 2022 on the built-in data set; writes figures, table2.txt \
             and summary.json into DIR (default target/paper)."
        );
        std::process::exit(0);
    }
    let o = Options {
        out: args.get("out", PathBuf::from("target/paper"))?,
        epochs: args.get("epochs", 1000)?,
        seed: args.get("seed", 1)?,
        repeats: args.get("repeats", 1)?,
        weight_decay: args.get("weight-decay", Adam::default().weight_decay)?,
    };
    args.reject_unknown()?;
    if o.epochs == 0 || o.repeats == 0 {
        return Err("--epochs and --repeats must be at least 1".into());
    }
    Ok(o)
}

/// The data set with its concentration groups.
struct Data {
    builtin: Builtin,
    x: Array2<f32>,
    group: Vec<usize>,
    group_names: Vec<String>,
    seconds: f64,
}

fn load() -> Result<Data> {
    let t = Instant::now();
    let builtin = BuiltinParams::default().build()?;
    let seconds = t.elapsed().as_secs_f64();
    let x = builtin.patterns.mapv(|v| v as f32);
    let (group, keys) = pipeline::composition_groups(&builtin.x, &builtin.y);
    let group_names = keys
        .iter()
        .map(|&(a, b)| format!("x = {:.1}, y = {:.3}", a as f64 / 1000.0, b as f64 / 1000.0))
        .collect();
    Ok(Data {
        builtin,
        x,
        group,
        group_names,
        seconds,
    })
}

fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.out)
        .map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    eprintln!("building the built-in (Sm,Zr)(Fe,Ti)12 data set …");
    let data = load()?;
    eprintln!(
        "  {} patterns × {} points, {} concentrations, {:.2} s",
        data.x.nrows(),
        data.x.ncols(),
        data.group_names.len(),
        data.seconds
    );
    let mut runs = Vec::with_capacity(o.repeats);
    for r in 0..o.repeats {
        let seed = o.seed + r as u64;
        eprintln!("run {}/{} (seed {seed})", r + 1, o.repeats);
        let figures_dir = (r == 0).then_some(o.out.as_path());
        runs.push(run_once(&data, o, seed, figures_dir)?);
    }
    let summary = summarise(&data, o, &runs);
    let text = serde_json::to_string_pretty(&summary)?;
    write_atomic(&o.out.join("summary.json"), &text)?;
    print_summary(&summary);
    eprintln!("wrote {}", o.out.display());
    Ok(())
}

/// Everything one seed produces that the summary reports.
#[derive(Debug, Clone, serde::Serialize)]
struct RunResult {
    seed: u64,
    training_seconds: f64,
    train_mse: f64,
    test_mse: f64,
    test_pearson_median: f64,
    test_pearson_min: f64,
    knn_purity: f64,
    test_delta_median: f64,
    test_delta_worst: f64,
    refused: usize,
    held_out_delta_median: f64,
    worst: Vec<EstimateRow>,
    relevance_seconds: f64,
    relevance_pattern: String,
    relevance_pattern_in_test: bool,
    spearman: Option<f64>,
    strong_but_irrelevant: Vec<Value>,
    generation: Value,
    /// The same measures for a 2-component PCA on the same split.
    pca: Value,
}

fn run_once(data: &Data, o: &Options, seed: u64, fig_dir: Option<&Path>) -> Result<RunResult> {
    let epochs = o.epochs;
    let b = &data.builtin;
    let n = data.x.nrows();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // The held-out composition never reaches training; the other patterns are split 90/10.
    let held = key(HELD_OUT_XY.0, HELD_OUT_XY.1);
    let (pool, held_out): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| key(b.x[i], b.y[i]) != held);
    let (train_k, test_k) = pipeline::split(pool.len(), 0.1, &mut rng);
    let train: Vec<usize> = train_k.iter().map(|&k| pool[k]).collect();
    let test: Vec<usize> = test_k.iter().map(|&k| pool[k]).collect();
    let x_train = pipeline::rows(data.x.view(), &train);
    let x_test = pipeline::rows(data.x.view(), &test);

    // Paper section II: 11,900 → 128 → 64 → 12 → 2, Adam + L2 weight decay, batch 10; the 10 %
    // test rows are our own split, so the trainer keeps no validation rows of its own.
    let adam = Adam {
        weight_decay: o.weight_decay,
        ..Adam::default()
    };
    let params = Autoencoder::<f32>::params()
        .epochs(epochs)
        .validation_fraction(0.0)
        .optimizer(adam);
    let t = Instant::now();
    let (before, model) =
        pipeline::train_autoencoder(&params, x_train.view(), data.x.view(), &mut rng, "training")?;
    let training_seconds = t.elapsed().as_secs_f64();
    let train_mse = model.reconstruction_loss(&x_train)?;
    let test_mse = model.reconstruction_loss(&x_test)?;
    let after = model.encode(&data.x)?.mapv(f64::from);
    let (pts_before, pts) = (as_points(&before), as_points(&after));

    // Reconstruction quality on the test rows (Fig. 2).
    let recon = model.reconstruct(&x_test)?;
    let mut pearsons: Vec<f64> = x_test
        .rows()
        .into_iter()
        .zip(recon.rows())
        .map(|(a, r)| {
            pearson(a.as_slice().unwrap_or(&[]), r.as_slice().unwrap_or(&[]))
                .map(f64::from)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let test_pearson_min = pearsons.iter().copied().fold(f64::INFINITY, f64::min);
    let test_pearson_median = median(&mut pearsons);
    let knn_purity = knn_purity(&pts, &data.group)?;

    // Section III.A: estimate the test compositions from the training points (Table II).
    let known: Vec<[f64; 2]> = train.iter().map(|&i| pts[i]).collect();
    let known_values = b.composition.select(Axis(0), &train);
    let query: Vec<(usize, String, [f64; 2])> = test
        .iter()
        .map(|&i| (i, b.config_id[i].clone(), pts[i]))
        .collect();
    let truth = b.composition.select(Axis(0), &test);
    let policy = pipeline::refusal_policy(&known, REFUSAL_FRACTION);
    let (estimator, mut rows) = estimate_rows(
        &known,
        known_values.view(),
        &query,
        Some(truth.view()),
        &policy,
    )
    .map_err(|e| format!("estimating the test compositions: {e}"))?;
    // The held-out composition's patterns, estimated like unknown samples.
    let held_query: Vec<(usize, String, [f64; 2])> = held_out
        .iter()
        .map(|&i| (i, b.config_id[i].clone(), pts[i]))
        .collect();
    let held_truth = b.composition.select(Axis(0), &held_out);
    let (_, held_rows) = estimate_rows(
        &known,
        known_values.view(),
        &held_query,
        Some(held_truth.view()),
        &policy,
    )?;
    let mut held_deltas: Vec<f64> = held_rows.iter().map(|r| r.delta).collect();
    let held_out_delta_median = median(&mut held_deltas);
    let refused = rows.iter().filter(|r| r.refused).count();
    let mut deltas: Vec<f64> = rows.iter().map(|r| r.delta).collect();
    let test_delta_median = median(&mut deltas);
    let test_delta_worst = deltas.iter().copied().fold(0.0, f64::max);
    rows.sort_by(|a, b| b.delta.total_cmp(&a.delta));
    let worst: Vec<EstimateRow> = rows.iter().take(10).cloned().collect();

    // Section III.B: relevance of a Sm1.0Zr0.0Fe10.5Ti1.5 pattern, from the test rows if any.
    let target = key(RELEVANCE_XY.0, RELEVANCE_XY.1);
    let is_target = |i: &usize| key(b.x[*i], b.y[*i]) == target;
    let (rel_row, in_test) = match test.iter().find(|i| is_target(i)) {
        Some(&i) => (i, true),
        None => (
            (0..n)
                .find(is_target)
                .ok_or("no pattern of the relevance composition")?,
            false,
        ),
    };
    let relevance = Relevance::params().build(&b.grid)?;
    let t = Instant::now();
    let profile = relevance
        .profile_exact(&model, data.x.row(rel_row))
        .map_err(|e| format!("relevance profile: {e}"))?;
    let relevance_seconds = t.elapsed().as_secs_f64();
    let report = peak_relevance(
        &profile,
        data.x.row(rel_row),
        Some(&b.peaks[rel_row]),
        &PeakRelevanceParams::default(),
    )?;
    let sbi = report.strong_but_irrelevant();
    let strong_but_irrelevant: Vec<Value> = sbi
        .iter()
        .map(|p| {
            json!({
                "two_theta": p.peak.position,
                "relative_height": p.relative_height,
                "relative_relevance": p.relative_relevance,
                "hkl": unique_hkl(&p.hkl),
            })
        })
        .collect();

    // Section III.C: generate the held-out composition with the model that never saw it.
    let generation = generate_held_out(data, &model, &train, &held_out)
        .map_err(|e| format!("generating the held-out composition: {e}"))?;

    // The linear baseline on the same split (deterministic: the RNG is not touched).
    let pca =
        pca_side(data, &train, &test, &held_out).map_err(|e| format!("the PCA baseline: {e}"))?;

    if let Some(dir) = fig_dir {
        let grid_x = b.grid.positions();
        let test_mark: Vec<bool> = (0..n).map(|i| test.binary_search(&i).is_ok()).collect();
        figures::scatter_panels(
            &dir.join("fig1_feature_space.svg"),
            &[
                ScatterPanel {
                    title: "(a) before training (epoch 0)".into(),
                    points: pts_before,
                    group: data.group.clone(),
                    hollow: test_mark.clone(),
                },
                ScatterPanel {
                    title: format!("(b) after training (epoch {epochs})"),
                    points: pts.clone(),
                    group: data.group.clone(),
                    hollow: test_mark,
                },
            ],
            &data.group_names,
            ("z₁", "z₂"),
        )?;
        let k = 0;
        let name = &b.config_id[test[k]];
        let input: Vec<f64> = x_test.row(k).iter().map(|&v| f64::from(v)).collect();
        let output: Vec<f64> = recon.row(k).iter().map(|&v| f64::from(v)).collect();
        let panel = |title: String, range: Option<(f64, f64)>| LinePanel {
            title,
            x: grid_x.clone(),
            curves: vec![
                Curve {
                    label: "input".into(),
                    y: input.clone(),
                    colour: 6,
                    offset: 0.0,
                },
                Curve {
                    label: "reconstruction".into(),
                    y: output.clone(),
                    colour: 1,
                    offset: 0.0,
                },
            ],
            x_range: range,
        };
        figures::line_panels(
            &dir.join("fig2_reconstruction.svg"),
            &[
                panel(
                    format!(
                        "test pattern {name} ({}) and its reconstruction",
                        formula(truth.row(k).as_slice().unwrap_or(&[]))
                    ),
                    None,
                ),
                panel("detail 10°–20°".into(), Some((10.0, 20.0))),
            ],
            ("2θ (degrees)", "intensity (max 1)"),
        )?;
        let grid = PaintGrid::around(&pts, 0.08, PAINT_RESOLUTION, PAINT_RESOLUTION)?;
        let painted = estimator.paint(&grid)?;
        let map = |title: &str, component: usize, scale: (f64, f64)| Heatmap {
            title: title.into(),
            x_range: (grid.x_min, grid.x_max),
            y_range: (grid.y_min, grid.y_max),
            values: painted
                .values
                .index_axis(Axis(2), component)
                .indexed_iter()
                .map(|((j, i), &v)| if painted.covered[[j, i]] { v } else { f64::NAN })
                .collect(),
            nx: grid.nx,
            ny: grid.ny,
            scale,
            points: known.clone(),
        };
        figures::heatmaps(
            &dir.join("fig4_concentration_maps.svg"),
            &[
                map("Ti per formula unit (x)", 3, (0.0, 2.0)),
                map("Zr per formula unit (y)", 1, (0.0, 0.5)),
            ],
            ("z₁", "z₂"),
        )?;
        let pattern: Vec<f64> = data.x.row(rel_row).iter().map(|&v| f64::from(v)).collect();
        let dev: Vec<f64> = profile.dev().iter().map(|&v| f64::from(v)).collect();
        let notes: Vec<Annotation> = sbi
            .iter()
            .map(|p| Annotation {
                x: p.peak.position,
                y: p.peak.height,
                text: p.hkl.first().map_or("strong, irrelevant".into(), hkl_text),
            })
            .collect();
        let title = format!(
            "Dev(2θ) of {} ({}), Δ = 0.03°",
            b.config_id[rel_row],
            formula(b.composition.row(rel_row).as_slice().unwrap_or(&[]))
        );
        relevance_figure(
            &dir.join("fig5_relevance.svg"),
            &RelevancePlot {
                title: &title,
                x: &grid_x,
                pattern: &pattern,
                dev_x: &profile.centers(),
                dev: &dev,
                notes: &notes,
                x_range: Some((1.0, 40.0)),
            },
        )?;
        if let Some(curves) = generation.get("curves") {
            draw_generation(dir, &grid_x, curves)?;
        }
        write_atomic(&dir.join("table2.txt"), &table2(&worst))?;
    }
    let mut generation = generation;
    if let Some(g) = generation.as_object_mut() {
        g.remove("curves");
    }
    Ok(RunResult {
        seed,
        training_seconds,
        train_mse,
        test_mse,
        test_pearson_median,
        test_pearson_min,
        knn_purity,
        test_delta_median,
        test_delta_worst,
        refused,
        held_out_delta_median,
        worst,
        relevance_seconds,
        relevance_pattern: b.config_id[rel_row].clone(),
        relevance_pattern_in_test: in_test,
        spearman: report.spearman,
        strong_but_irrelevant,
        generation,
        pca,
    })
}

/// Section II–III measures of a 2-component PCA fitted on the training rows: reconstruction,
/// clustering purity, estimation of the test and held-out compositions with the same refusal
/// policy, and generation of the held-out composition.
fn pca_side(data: &Data, train: &[usize], test: &[usize], held_out: &[usize]) -> Result<Value> {
    let b = &data.builtin;
    let x_train = pipeline::rows(data.x.view(), train);
    let x_test = pipeline::rows(data.x.view(), test);
    let t = Instant::now();
    let pca: Pca<f32> = Pca::params().fit(&x_train)?;
    let seconds = t.elapsed().as_secs_f64();
    let recon = pca.reconstruct(x_test.view())?;
    let mut pearsons: Vec<f64> = x_test
        .rows()
        .into_iter()
        .zip(recon.rows())
        .map(|(a, r)| {
            pearson(a.as_slice().unwrap_or(&[]), r.as_slice().unwrap_or(&[]))
                .map(f64::from)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let pearson_min = pearsons.iter().copied().fold(f64::INFINITY, f64::min);
    let pts = pipeline::points_of(&pca, data.x.view())?;
    let known: Vec<[f64; 2]> = train.iter().map(|&i| pts[i]).collect();
    let known_values = b.composition.select(Axis(0), train);
    let policy = pipeline::refusal_policy(&known, REFUSAL_FRACTION);
    let query = |rows: &[usize]| -> Vec<(usize, String, [f64; 2])> {
        rows.iter()
            .map(|&i| (i, b.config_id[i].clone(), pts[i]))
            .collect()
    };
    let estimate = |rows: &[usize]| {
        let truth = b.composition.select(Axis(0), rows);
        estimate_rows(
            &known,
            known_values.view(),
            &query(rows),
            Some(truth.view()),
            &policy,
        )
        .map(|(_, r)| r)
    };
    let rows = estimate(test)?;
    let mut deltas: Vec<f64> = rows.iter().map(|r| r.delta).collect();
    let mut held: Vec<f64> = estimate(held_out)?.iter().map(|r| r.delta).collect();
    let generation = generate_held_out(data, &pca, train, held_out)?;
    Ok(json!({
        "seconds": seconds,
        "explained_variance_ratio": pca.explained_variance_ratio(),
        "train_mse": pca.reconstruction_mse(x_train.view())?,
        "test_mse": pca.reconstruction_mse(x_test.view())?,
        "test_pearson_median": median(&mut pearsons),
        "test_pearson_min": pearson_min,
        "knn_purity": knn_purity(&pts, &data.group)?,
        "test_delta_median": median(&mut deltas),
        "test_delta_worst": deltas.iter().copied().fold(0.0, f64::max),
        "refused": rows.iter().filter(|r| r.refused).count(),
        "held_out_delta_median": median(&mut held),
        "generation_anchors": generation["anchors"],
        "generation_pearson": generation["pearson"],
        "generation_peak_match": generation["peak_match"],
    }))
}

/// The hkl labels of a peak, strongest first, each family once.
fn unique_hkl(hkl: &[[f64; 3]]) -> Vec<String> {
    let mut h: Vec<String> = hkl.iter().map(hkl_text).collect();
    h.dedup();
    h
}

fn hkl_text(h: &[f64; 3]) -> String {
    let f = |v: f64| {
        if (v - v.round()).abs() < 1e-6 {
            format!("{}", v.round() as i64)
        } else {
            format!("{v:.2}")
        }
    };
    format!("({} {} {})", f(h[0]), f(h[1]), f(h[2]))
}

/// Generates the held-out composition from the model trained without it — contour decoding
/// (paper III.C; the composition contour through the training patterns' latent points, or through
/// the compositions' centroids where the patterns' triangles do not reach it) and the two simple
/// baselines — and scores each against the mean of its true patterns.
fn generate_held_out<M: FeatureSpace<f32> + Clone>(
    data: &Data,
    model: &M,
    train: &[usize],
    held_out: &[usize],
) -> Result<Value> {
    let b = &data.builtin;
    let all = b.to_dataset::<f32>()?;
    let train_set = Dataset::new(
        all.grid,
        all.patterns.select(Axis(0), train),
        train.iter().map(|&i| all.names[i].clone()).collect(),
        all.labels.select(Axis(0), train),
        all.label_names.clone(),
    )?;
    let truth_mean: Vec<f32> = all
        .patterns
        .select(Axis(0), held_out)
        .mean_axis(Axis(0))
        .ok_or("empty held-out set")?
        .to_vec();
    let target = [HELD_OUT_XY.0, HELD_OUT_XY.1];
    let nearest = NearestMean::fit(&train_set)?.predict(&target)?.to_vec();
    let blend = LinearBlend::fit(&train_set)?.predict(&target)?.to_vec();
    let cmp = CompareParams::default();
    let score = |p: &[f32]| compare(p, &truth_mean, &b.grid, &cmp);
    let (n, l) = (score(&nearest)?, score(&blend)?);
    let mut out = json!({
        "held_out": formula(b.composition.row(held_out[0]).as_slice().unwrap_or(&[])),
        "held_out_patterns": held_out.len(),
        "baseline_nearest_pearson": 1.0 - n.pearson,
        "baseline_nearest_peak_match": n.peak_match,
        "baseline_blend_pearson": 1.0 - l.pearson,
        "baseline_blend_peak_match": l.peak_match,
        "curves": {
            "truth_mean": clean(&truth_mean),
            "nearest": clean(&nearest),
            "blend": clean(&blend),
        },
    });
    // The contour through the training patterns' points first (the paper's); where its local
    // triangles do not reach the composition, the contour through the compositions' centroids.
    let mut attempt = |anchors: Anchors| -> Result<Value> {
        let generator = Generator::params()
            .anchors(anchors)
            .build(model.clone(), &train_set)?;
        let g = generator.generate(&target)?;
        let pattern = g.pattern.to_vec();
        let c = score(&pattern)?;
        out["curves"]["contour"] = json!(clean(&pattern));
        Ok(json!({
            "anchors": format!("{anchors:?}").to_lowercase(),
            "latent_point": [f64::from(g.latent[0]), f64::from(g.latent[1])],
            "outside_data": g.outside_data,
            "pearson": 1.0 - c.pearson,
            "peak_match": c.peak_match,
            "peak_shift": c.peak_shift,
        }))
    };
    let found = attempt(Anchors::Patterns).or_else(|first| {
        attempt(Anchors::Centroids).map_err(|second| format!("{first}; with centroids: {second}"))
    });
    match found {
        Ok(Value::Object(fields)) => fields.into_iter().for_each(|(k, v)| out[k] = v),
        Ok(_) => {}
        Err(e) => {
            eprintln!("generation: {e}");
            out["error"] = json!(e.to_string());
        }
    }
    Ok(out)
}

fn draw_generation(dir: &Path, x: &[f64], curves: &Value) -> Result<()> {
    let get = |k: &str| -> Vec<f64> {
        curves[k]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let series: Vec<_> = [
        ("true patterns (mean)", "truth_mean", 6),
        ("contour decoding", "contour", 1),
        ("nearest composition", "nearest", 0),
        ("linear blend", "blend", 2),
    ]
    .into_iter()
    .filter(|(_, k, _)| curves.get(k).is_some())
    .collect();
    let panel = |title: &str, range: Option<(f64, f64)>| LinePanel {
        title: title.into(),
        x: x.to_vec(),
        curves: series
            .iter()
            .enumerate()
            .map(|(i, (label, k, c))| Curve {
                label: (*label).into(),
                y: get(k),
                colour: *c,
                offset: -1.1 * i as f64,
            })
            .collect(),
        x_range: range,
    };
    figures::line_panels(
        &dir.join("fig6_generated.svg"),
        &[
            panel(
                "held-out composition: generated vs true (curves offset)",
                None,
            ),
            panel("detail 10°–20°", Some((10.0, 20.0))),
        ],
        ("2θ (degrees)", "intensity (max 1)"),
    )?;
    Ok(())
}

fn table2(rows: &[EstimateRow]) -> String {
    let mut s = String::from(
        "Table II (our data): test compositions estimated from the feature space, worst ten\n\
         True composition               Estimated composition          Error δ     How\n",
    );
    for r in rows {
        s.push_str(&format!(
            "{:<30} {:<30} {:<11.3e} {}{}\n",
            formula(&r.truth),
            formula(&r.estimated),
            r.delta,
            r.kind,
            if r.refused { " (refused)" } else { "" }
        ));
    }
    s
}

fn summarise(data: &Data, o: &Options, runs: &[RunResult]) -> Value {
    let stat = |f: &dyn Fn(&RunResult) -> f64| {
        let v: Vec<f64> = runs.iter().map(f).collect();
        let xrd_io::MeanSd { mean, sd, .. } = xrd_io::MeanSd::of(&v);
        (mean, sd, v)
    };
    let mut spread = BTreeMap::new();
    let mut m = |name: &str, f: &dyn Fn(&RunResult) -> f64| {
        let (mean, sd, v) = stat(f);
        spread.insert(
            name.to_string(),
            json!({ "mean": mean, "sd": sd, "values": v }),
        );
        mean
    };
    let first = &runs[0];
    fn g(k: &'static str) -> impl Fn(&RunResult) -> f64 {
        move |r| r.generation[k].as_f64().unwrap_or(f64::NAN)
    }
    json!({
        "dataset": {
            "patterns": data.x.nrows(),
            "points": data.x.ncols(),
            "concentrations": data.group_names.len(),
            "seconds": data.seconds,
        },
        "training": {
            "epochs": o.epochs,
            "seconds": m("training.seconds", &|r| r.training_seconds),
            "train_mse": m("training.train_mse", &|r| r.train_mse),
            "test_mse": m("training.test_mse", &|r| r.test_mse),
        },
        "reconstruction": {
            "test_pearson_median": m("reconstruction.test_pearson_median", &|r| r.test_pearson_median),
            "test_pearson_min": m("reconstruction.test_pearson_min", &|r| r.test_pearson_min),
        },
        "clustering": { "knn_purity": m("clustering.knn_purity", &|r| r.knn_purity) },
        "estimation": {
            "test_delta_median": m("estimation.test_delta_median", &|r| r.test_delta_median),
            "test_delta_worst": m("estimation.test_delta_worst", &|r| r.test_delta_worst),
            "refused": m("estimation.refused", &|r| r.refused as f64),
            "held_out_delta_median": m("estimation.held_out_delta_median", &|r| r.held_out_delta_median),
            "worst": first.worst,
        },
        "relevance": {
            "seconds": m("relevance.seconds", &|r| r.relevance_seconds),
            "pattern": first.relevance_pattern,
            "pattern_in_test_set": first.relevance_pattern_in_test,
            "spearman_intensity_vs_relevance": m("relevance.spearman", &|r| r.spearman.unwrap_or(f64::NAN)),
            "strong_but_irrelevant": first.strong_but_irrelevant,
        },
        "pca": pca_summary(runs, &mut m),
        "generation": {
            "held_out": first.generation["held_out"],
            "anchors": first.generation["anchors"],
            "pearson": m("generation.pearson", &g("pearson")),
            "peak_match": m("generation.peak_match", &g("peak_match")),
            "baseline_nearest_pearson": m("generation.baseline_nearest_pearson", &g("baseline_nearest_pearson")),
            "baseline_blend_pearson": m("generation.baseline_blend_pearson", &g("baseline_blend_pearson")),
        },
        "repeats": o.repeats,
        "seeds": runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
        "spread": spread,
    })
}

/// Records one measure over the runs (mean, sd and values under `spread`) and returns its mean.
type Measure<'a> = dyn FnMut(&str, &dyn Fn(&RunResult) -> f64) -> f64 + 'a;

/// The PCA measures averaged over the runs (their spread under `spread.pca.*`).
fn pca_summary(runs: &[RunResult], m: &mut Measure<'_>) -> Value {
    let mut out = serde_json::Map::new();
    for k in [
        "train_mse",
        "test_mse",
        "test_pearson_median",
        "test_pearson_min",
        "knn_purity",
        "test_delta_median",
        "test_delta_worst",
        "refused",
        "held_out_delta_median",
        "generation_pearson",
        "generation_peak_match",
    ] {
        let mean = m(&format!("pca.{k}"), &|r| {
            r.pca[k].as_f64().unwrap_or(f64::NAN)
        });
        out.insert(k.to_string(), json!(mean));
    }
    out.insert(
        "explained_variance_ratio".into(),
        runs[0].pca["explained_variance_ratio"].clone(),
    );
    out.insert(
        "generation_anchors".into(),
        runs[0].pca["generation_anchors"].clone(),
    );
    Value::Object(out)
}

fn print_summary(s: &Value) {
    let f = |v: &Value| v.as_f64().map_or("n/a".to_string(), |x| format!("{x:.4}"));
    let e = |v: &Value| v.as_f64().map_or("n/a".to_string(), |x| format!("{x:.3e}"));
    let pct = |v: &Value| {
        v.as_f64()
            .map_or("n/a".to_string(), |x| format!("{:.1}", 100.0 * x))
    };
    println!(
        "\n== Feature space of XRD patterns (Utimula et al. 2022) on the built-in data set =="
    );
    println!(
        "data set: {} patterns × {} points, {} concentrations ({} s)",
        s["dataset"]["patterns"],
        s["dataset"]["points"],
        s["dataset"]["concentrations"],
        f(&s["dataset"]["seconds"])
    );
    println!(
        "training: {} epochs in {} s; MSE train {} / test {}",
        s["training"]["epochs"],
        f(&s["training"]["seconds"]),
        e(&s["training"]["train_mse"]),
        e(&s["training"]["test_mse"])
    );
    println!(
        "reconstruction (test): Pearson median {}, min {}; nearest-neighbour purity {}",
        f(&s["reconstruction"]["test_pearson_median"]),
        f(&s["reconstruction"]["test_pearson_min"]),
        f(&s["clustering"]["knn_purity"])
    );
    println!(
        "estimation (test): median δ {}, worst δ {}, refused {}; held-out composition median δ {}",
        e(&s["estimation"]["test_delta_median"]),
        e(&s["estimation"]["test_delta_worst"]),
        s["estimation"]["refused"],
        e(&s["estimation"]["held_out_delta_median"])
    );
    if let Some(rows) = s["estimation"]["worst"].as_array() {
        println!("  {:<30} {:<30} δ", "true", "estimated");
        for r in rows {
            let comp = |k: &str| {
                let v: Vec<f64> = r[k]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default();
                if v.len() == 4 {
                    formula(&v)
                } else {
                    String::new()
                }
            };
            println!(
                "  {:<30} {:<30} {}",
                comp("truth"),
                comp("estimated"),
                r["delta"]
                    .as_f64()
                    .map_or(String::new(), |d| format!("{d:.3e}"))
            );
        }
    }
    let sbi: Vec<String> = s["relevance"]["strong_but_irrelevant"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let hkl: Vec<&str> = p["hkl"]
                        .as_array()
                        .map(|h| h.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    format!(
                        "{} at {}° (height {}, relevance {})",
                        hkl.join("/"),
                        f(&p["two_theta"]),
                        f(&p["relative_height"]),
                        f(&p["relative_relevance"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "relevance: {} ({} s), Spearman(intensity, relevance) {}",
        s["relevance"]["pattern"],
        f(&s["relevance"]["seconds"]),
        f(&s["relevance"]["spearman_intensity_vs_relevance"]),
    );
    println!(
        "  strong but irrelevant: {}",
        if sbi.is_empty() {
            "none".into()
        } else {
            sbi.join("; ")
        }
    );
    let p = &s["pca"];
    println!(
        "PCA (2 components, same split): MSE train {} / test {}; Pearson median {}; purity {}; \
         median δ {}, worst δ {}, refused {}; held-out median δ {}; generation Pearson {}",
        e(&p["train_mse"]),
        e(&p["test_mse"]),
        f(&p["test_pearson_median"]),
        f(&p["knn_purity"]),
        e(&p["test_delta_median"]),
        e(&p["test_delta_worst"]),
        p["refused"],
        e(&p["held_out_delta_median"]),
        f(&p["generation_pearson"])
    );
    println!(
        "generation of held-out {} ({} contour): Pearson {} (baselines: nearest {}, blend {}), peak match {} %",
        s["generation"]["held_out"],
        s["generation"]["anchors"],
        f(&s["generation"]["pearson"]),
        f(&s["generation"]["baseline_nearest_pearson"]),
        f(&s["generation"]["baseline_blend_pearson"]),
        pct(&s["generation"]["peak_match"])
    );
}
