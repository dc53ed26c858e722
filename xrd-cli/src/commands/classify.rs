//! `xrd classify`: crystal system and space group of powder patterns (xrd-classify, after
//! Vecsei et al. 2019): `train` a classifier on real (mineral library) and random crystals,
//! `evaluate` it on labelled patterns, `predict` pattern files. Without `--model`, evaluate and
//! predict use the model shipped with xrd-classify ([`Classifier::shipped`]); both combine its
//! networks with the indexing and a search of the built-in mineral library.

use std::path::{Path, PathBuf};
use std::time::Instant;

use plotters::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::json;
use xrd_classify::{
    Classifier, ClassifierParams, CrystalSystem, Evaluation, Intensity, LossSchedule, Prediction,
    Progress, StageScores, Stages, evaluate_stages,
};
use xrd_cli::figures::{self, Curve, LinePanel};
use xrd_cli::output::{Cell, Table, csv_field};
use xrd_cli::run::write_atomic;
use xrd_io::{Grid, Pattern, Wavelength};

use xrd_jobs::{Classify, ClassifyOptions};

use super::{
    Context, Halves, Outcome, Result, create_dir, half_name, input_files, labelled_npz,
    parse_wavelength, pattern_name, skipped,
};

const DEFAULT_DIR: &str = "target/classify";
const DEFAULT_DATA: &str = "../shared/data/measured/rruff_dev.npz";
/// Seed of `classify train` unless `--seed` is given.
const DEFAULT_SEED: u64 = 2019;

/// Options of `xrd classify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

/// The jobs of `xrd classify`.
#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Train a classifier on patterns simulated from the built-in mineral library's structures
    /// and random crystals of all 230 space groups (Cu Kα, 5–90° in 0.01° steps); writes
    /// classifier.safetensors, training.json and training.svg.
    Train(Box<Train>),
    /// Classify labelled patterns (an .npz with patterns, two_theta and space_group, or a folder
    /// with an index.csv of file,space_group of pattern files or CIFs) and write summary.json,
    /// predictions.csv, coverage.svg and confusion.svg: by default the reporting half of the
    /// RRUFF set (--half).
    Evaluate(Evaluate),
    /// Classify pattern files: crystal system, space group, certainty and the top five groups.
    Predict(Predict),
}

/// Which model evaluate and predict use.
#[derive(Debug, clap::Args)]
pub struct Model {
    /// A model written by `xrd classify train` (default: the shipped model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Do not index the lines.
    #[arg(long = "no-indexing", action = clap::ArgAction::SetFalse)]
    pub indexing: bool,
    /// Do not search the built-in mineral library (with --no-indexing: the networks alone).
    #[arg(long = "no-library", action = clap::ArgAction::SetFalse)]
    pub library: bool,
    /// Folder of the cached reference patterns of the library (default target/xrd-cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Library phases made of these elements only (`Ti,O`): what you know of the sample keeps
    /// phases of another chemistry from deciding.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub elements: Option<Vec<String>>,
    /// Library phases that contain all of these elements.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub require: Vec<String>,
    /// Best library score at which the library and the other evidence weigh equally (higher:
    /// trust the library less).
    #[arg(long, default_value_t = xrd_classify::DEFAULT_MIDPOINT)]
    pub library_midpoint: f64,
    /// Score difference over which the library's weight rises from 0.27 to 0.73.
    #[arg(long, default_value_t = xrd_classify::DEFAULT_WIDTH)]
    pub library_width: f64,
    /// Score difference over which a library candidate's vote falls by e.
    #[arg(long, default_value_t = xrd_classify::DEFAULT_TEMPERATURE)]
    pub library_temperature: f64,
    /// Figure of merit from which an indexed cell fixes the crystal system against the library
    /// (`inf`: the library may overrule any cell).
    #[arg(long, default_value_t = xrd_classify::DEFAULT_DECISIVE_MERIT)]
    pub decisive_merit: f64,
    /// Certainty below which an answer with the library is refused.
    #[arg(long, default_value_t = xrd_classify::DEFAULT_LIBRARY_THRESHOLD)]
    pub library_threshold: f64,
}

/// Options of `xrd classify evaluate`.
#[derive(Debug, clap::Args)]
pub struct Evaluate {
    #[command(flatten)]
    pub model: Model,
    /// The labelled patterns: an .npz or a folder with an index.csv.
    #[arg(long, value_name = "FILE.npz|DIR", default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// Folder of the results.
    #[arg(long, value_name = "DIR", default_value = "target/classify/evaluate")]
    pub out: PathBuf,
    /// The rows of an .npz scored, split by their source_index (xrd_io::halves): the reporting
    /// half, where results are reported, the tuning half, where settings are chosen, or all
    /// [default: reporting; all for data without a source_index, and a folder]. predictions.csv
    /// holds the rows scored, each named (file) by its row in the .npz.
    #[arg(long, value_enum, value_name = "HALF")]
    pub half: Option<Halves>,
    /// Keep out of the library search, for each test structure (a folder of CIFs), every entry
    /// of its own formula and space group: what xrd does for a material its library lacks.
    #[arg(long)]
    pub exclude_matching: bool,
}

/// Options of `xrd classify predict`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Prints file, crystal system, space group, certainty, top five, whether \
    the certainty is below the refusal threshold, what decided the answer (library, indexing \
    or networks), the best library phase and its score; warnings (wavelength conversion, padding) and the \
    indexed cell go to stderr. --out DIR also writes DIR/predictions.csv \
    (file,crystal_system,space_group,certainty,top5)."
)]
pub struct Predict {
    #[command(flatten)]
    pub model: Model,
    /// Pattern files or folders (searched one level deep); `FILE#k` is pattern k (from 1) of a file of several.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Folder for predictions.csv.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
}

/// Loss schedules of `--loss`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Loss {
    /// Cross-entropy throughout.
    CrossEntropy,
    /// Alternating between the losses of xrd-classify's `LossSchedule::Alternating`.
    Alternating,
}

/// Input intensity transforms of `--intensity`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum IntensityArg {
    /// As measured.
    Linear,
    /// Square root (weak peaks count more).
    Sqrt,
}

/// Options of `xrd classify train` (unset ones keep `ClassifierParams`' defaults).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The refusal threshold is chosen after training to answer half of the \
    validation patterns (--coverage C for another fraction, --threshold T for a fixed one). \
    The networks of an ensemble train in lockstep on one stream of generated patterns \
    (--own-patterns gives each its own). The defaults make the shipped model (about 10 \
    minutes of CPU on two cores)."
)]
pub struct Train {
    /// Folder of the model, training.json and training.svg.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    pub out: PathBuf,
    /// Seed of the pattern stream and the weights.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Patterns per epoch.
    #[arg(long)]
    pub patterns: Option<usize>,
    /// Epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Hidden layer widths (`1024,512`).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Networks in the ensemble.
    #[arg(long)]
    pub ensemble: Option<usize>,
    /// Batch size.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Loss schedule.
    #[arg(long, value_enum)]
    pub loss: Option<Loss>,
    /// Input grid: START STEP N (degrees, degrees, points).
    #[arg(long, num_args = 3, value_names = ["START", "STEP", "N"])]
    pub grid: Option<Vec<f64>>,
    /// Validation patterns.
    #[arg(long)]
    pub validation: Option<usize>,
    /// Passes over each generated chunk.
    #[arg(long)]
    pub passes: Option<usize>,
    /// Dropout rate.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Adam's learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Input max-pooling window.
    #[arg(long)]
    pub pool: Option<usize>,
    /// Input intensity transform.
    #[arg(long, value_enum)]
    pub intensity: Option<IntensityArg>,
    /// Autocorrelation lags appended to the input.
    #[arg(long, value_name = "LAGS")]
    pub autocorrelation: Option<usize>,
    /// Fraction of the maximum cut off before the autocorrelation.
    #[arg(long)]
    pub peak_threshold: Option<f64>,
    /// Range of the noise added to the training patterns (`0 0`: none).
    #[arg(long, num_args = 2, value_names = ["LO", "HI"])]
    pub measured_noise: Option<Vec<f64>>,
    /// Atoms per cell of the random crystals.
    #[arg(long, num_args = 2, value_names = ["LO", "HI"])]
    pub atoms_per_cell: Option<Vec<usize>>,
    /// Sites per asymmetric unit of the random crystals, at most.
    #[arg(long)]
    pub max_sites: Option<usize>,
    /// Largest axis ratio of the random crystals.
    #[arg(long)]
    pub max_axis_ratio: Option<f64>,
    /// Elements per random crystal, at most.
    #[arg(long)]
    pub max_elements: Option<usize>,
    /// Train a crystal-system network beside each space-group network.
    #[arg(long)]
    pub system_network: bool,
    /// Give every network of the ensemble patterns of its own.
    #[arg(long)]
    pub own_patterns: bool,
    /// Choose the refusal threshold to answer this fraction of the validation patterns.
    #[arg(long, conflicts_with = "threshold")]
    pub coverage: Option<f64>,
    /// A fixed refusal threshold.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Share of the training patterns simulated from the built-in mineral library (the rest
    /// are random crystals of all 230 space groups; 0: random crystals only, drawn with every
    /// crystal system equally often).
    #[arg(long, default_value_t = xrd_classify::DEFAULT_LIBRARY_FRACTION)]
    pub library_fraction: f64,
    /// Largest cell strain of the library patterns (0.02 = ±2 %).
    #[arg(long, default_value_t = xrd_classify::DEFAULT_STRAIN)]
    pub strain: f64,
}

/// Runs `xrd classify`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    match args.command {
        Sub::Train(t) => train(&t, ctx),
        Sub::Evaluate(e) => run_evaluate(&e),
        Sub::Predict(p) => predict(&p, ctx),
    }
}

/// The model named by `--model`, else the shipped one.
/// The options of the classification job, from the model's flags and `wavelength`.
fn options(m: &Model, wavelength: Option<Wavelength>) -> ClassifyOptions {
    ClassifyOptions {
        model: m.model.clone(),
        indexing: m.indexing,
        library: m.library,
        cache: m.cache.clone(),
        elements: m.elements.clone(),
        require: m.require.clone(),
        library_midpoint: m.library_midpoint,
        library_width: m.library_width,
        library_temperature: m.library_temperature,
        decisive_merit: m.decisive_merit,
        library_threshold: m.library_threshold,
        wavelength,
    }
}

// ---------------------------------------------------------------------------------------------
// predict

fn top5(p: &Prediction) -> String {
    p.top_space_groups()
        .iter()
        .take(5)
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

fn predict(args: &Predict, ctx: &Context) -> Result<Outcome> {
    let job = Classify::new(options(&args.model, args.wavelength)).map_err(super::flagged)?;
    let files = input_files(&args.inputs)?;
    let mut csv = String::from("file,crystal_system,space_group,certainty,top5\n");
    let mut table = Table::new([
        "file",
        "crystal_system",
        "space_group",
        "certainty",
        "top5",
        "refused",
        "decided_by",
        "phase",
        "phase_score",
    ]);
    let bar = xrd_cli::progress::bar(files.len(), "files", ctx.quiet);
    let mut failed = 0;
    // Read everything first, then predict in one batch: the library search and the indexing
    // work on all patterns at once.
    let mut named: Vec<(String, Pattern)> = Vec::new();
    for file in &files {
        bar.inc(1);
        let patterns = match xrd_io::read(file) {
            Ok(p) => p,
            Err(e) => {
                bar.suspend(|| skipped(&file.display().to_string(), &e));
                failed += 1;
                continue;
            }
        };
        let count = patterns.len();
        for (k, pattern) in patterns.into_iter().enumerate() {
            named.push((pattern_name(file, k, count), pattern));
        }
    }
    for ((name, _), c) in named.iter().zip(job.run(&named)) {
        let c = match c {
            Ok(c) => c,
            Err(e) => {
                bar.suspend(|| skipped(name, &e));
                failed += 1;
                continue;
            }
        };
        bar.suspend(|| {
            for w in &c.warnings {
                eprintln!("{name}: {w}");
            }
            if let Some(cell) = &c.prediction.cell {
                let ([a, b, cc], [_, beta, _]) = (cell.cell.lengths(), cell.cell.angles());
                eprintln!(
                    "{name}: indexed as {:?}, a {:.4} b {:.4} c {:.4} Å, β {:.2}°, zero {:+.3}°, M{} {:.1}",
                    cell.metric,
                    a,
                    b,
                    cc,
                    beta,
                    cell.zero_shift,
                    cell.lines,
                    cell.merit
                );
            }
        });
        let top5: Vec<String> = c.top5.iter().map(u8::to_string).collect();
        let top5 = top5.join(";");
        csv.push_str(&format!(
            "{},{},{},{:.4},{}\n",
            csv_field(name),
            c.crystal_system,
            c.space_group,
            c.certainty,
            top5
        ));
        table.push(vec![
            Cell::text(name.clone()),
            Cell::text(c.crystal_system.clone()),
            Cell::integer(i64::from(c.space_group)),
            Cell::number(c.certainty, 3),
            Cell::text(top5),
            Cell::text(if c.refused { "yes" } else { "no" }),
            Cell::text(c.decided_by.clone()),
            Cell::text(c.phase.clone().unwrap_or_default()),
            match c.phase_score {
                Some(s) => Cell::number(s, 3),
                None => Cell::text(""),
            },
        ]);
    }
    bar.finish_and_clear();
    ctx.print(&table);
    if let Some(out) = &args.out {
        create_dir(out)?;
        write_atomic(&out.join("predictions.csv"), &csv)?;
    }
    Ok(Outcome::skipping(failed))
}

// ---------------------------------------------------------------------------------------------
// evaluate

/// One labelled pattern to evaluate on.
struct Labelled {
    name: String,
    pattern: Pattern,
    space_group: u8,
    /// The composition of a simulated structure (for --exclude-matching).
    composition: Option<xrd_minerals::Composition>,
}

/// The labelled patterns of the rows `half` of an `.npz`, named by their row, and the rows
/// scored and in the file.
fn read_npz(path: &Path, half: Option<Halves>) -> Result<(Vec<Labelled>, Halves, usize)> {
    let set = labelled_npz(path, half)?;
    let data = set
        .patterns
        .into_iter()
        .zip(set.truth)
        .zip(&set.rows)
        .map(|((pattern, space_group), row)| Labelled {
            name: format!("{row}"),
            pattern,
            space_group,
            composition: None,
        })
        .collect();
    Ok((data, set.halves, set.rows_in_file))
}

/// The rows of a `file,space_group,…` index (header first).
fn read_index(dir: &Path) -> Result<Vec<(String, u8)>> {
    let path = dir.join("index.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (a folder needs an index.csv of file,space_group)",
            path.display()
        )
    })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("{}: no `{name}` column", path.display()))
    };
    let (fc, gc) = (col("file")?, col("space_group")?);
    let mut out = Vec::new();
    for (k, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let (Some(file), Some(g)) = (f.get(fc), f.get(gc)) else {
            return Err(format!("{}: line {} is short", path.display(), k + 2).into());
        };
        let g: u8 = g
            .parse()
            .map_err(|e| format!("{}: line {}: space group {g}: {e}", path.display(), k + 2))?;
        out.push((file.to_string(), g));
    }
    Ok(out)
}

fn write_predictions(path: &Path, data: &[Labelled], stages: &[Stages]) -> Result<()> {
    let mut csv = String::from(
        "index,file,true_space_group,true_crystal_system,space_group,crystal_system,certainty,top5,refused,decided_by,phase,phase_id,phase_space_group,phase_score,library_weight,networks_space_group,indexed_space_group,indexed_top5,indexed_metric,a,b,c,beta,zero_shift,merit\n",
    );
    let top_p = |p: &Prediction| {
        p.top
            .iter()
            .map(|(g, v)| format!("{g}:{v:.5}"))
            .collect::<Vec<_>>()
            .join(";")
    };
    for (i, (d, st)) in data.iter().zip(stages).enumerate() {
        let p = &st.combined;
        let truth = CrystalSystem::from_space_group(d.space_group)?;
        csv.push_str(&format!(
            "{i},{},{},{},{},{},{:.8},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&d.name),
            d.space_group,
            truth.name(),
            p.space_group,
            p.crystal_system.name(),
            p.certainty,
            top5(p),
            p.refused,
            p.decided_by.name(),
            p.phase
                .as_ref()
                .map_or(String::new(), |m| csv_field(&m.name)),
            p.phase.as_ref().map_or(String::new(), |m| csv_field(&m.id)),
            p.phase
                .as_ref()
                .map_or(String::new(), |m| m.space_group.to_string()),
            p.phase
                .as_ref()
                .map_or(String::new(), |m| format!("{:.4}", m.score)),
            p.phase
                .as_ref()
                .map_or(String::new(), |m| format!("{:.4}", m.weight)),
            st.networks.space_group,
            st.indexed
                .as_ref()
                .map_or(String::new(), |x| x.space_group.to_string()),
            st.indexed.as_ref().map_or(String::new(), top_p),
            match &p.cell {
                Some(c) => format!(
                    "{:?},{:.4},{:.4},{:.4},{:.3},{:.4},{:.2}",
                    c.metric,
                    c.cell.lengths()[0],
                    c.cell.lengths()[1],
                    c.cell.lengths()[2],
                    c.cell.angles()[1],
                    c.zero_shift,
                    c.merit
                )
                .to_lowercase(),
                None => ",,,,,,".into(),
            }
        ));
    }
    write_atomic(path, &csv)
}

/// The library entries of each test structure's own formula and space group.
fn matching_entries(model: &Classifier, data: &[Labelled]) -> Result<Vec<Vec<usize>>> {
    let library = model
        .library()
        .ok_or("--exclude-matching needs the library (drop --no-library)")?
        .library();
    data.iter()
        .map(|d| match &d.composition {
            Some(c) => Ok(library.same_material(c, d.space_group)),
            None => Err(format!(
                "{}: --exclude-matching needs test structures (a folder of CIFs)",
                d.name
            )
            .into()),
        })
        .collect()
}

fn run_evaluate(args: &Evaluate) -> Result<Outcome> {
    let job = Classify::new(options(&args.model, None)).map_err(super::flagged)?;
    let (model_path, model) = (job.model_name().to_string(), job.classifier());
    let data_path = &args.data;
    let out = &args.out;
    let (data, halves, data_patterns) = if data_path.is_dir() {
        if let Some(h) = args.half.and_then(Halves::half) {
            return Err(format!(
                "{}: --half {h} splits an .npz by its source_index; a folder is scored whole \
                 (--half all)",
                data_path.display()
            )
            .into());
        }
        let data = read_folder(data_path, model)?;
        let n = data.len();
        (data, Halves::All, n)
    } else {
        read_npz(data_path, args.half)?
    };
    if data.is_empty() {
        return Err(format!("{}: no labelled patterns", data_path.display()).into());
    }
    let exclude = if args.exclude_matching {
        Some(matching_entries(model, &data)?)
    } else {
        None
    };
    let start = Instant::now();
    let patterns: Vec<Pattern> = data.iter().map(|d| d.pattern.clone()).collect();
    let stages = model.predict_stages(&patterns, exclude.as_deref())?;
    let seconds = start.elapsed().as_secs_f64();
    let preds: Vec<Prediction> = stages.iter().map(|s| s.combined.clone()).collect();
    let warned = preds.iter().filter(|p| !p.warnings.is_empty()).count();
    let truth: Vec<u8> = data.iter().map(|d| d.space_group).collect();
    let scored = evaluate_stages(
        &stages,
        &truth,
        model.indexing().is_some(),
        model.library().is_some(),
    )?;
    let e = &scored.combined;
    let mut by_stage = serde_json::Map::new();
    by_stage.insert("networks".into(), json!(scored.networks));
    if let Some(s) = &scored.networks_indexing {
        by_stage.insert("networks_indexing".into(), json!(s));
    }
    if let Some(s) = &scored.library {
        by_stage.insert("library".into(), json!(s));
        by_stage.insert("combined".into(), json!(StageScores::from(e)));
    }
    let decided: Vec<(&str, usize)> = scored
        .decided_by
        .iter()
        .map(|(d, n)| (d.name(), *n))
        .collect();
    create_dir(out)?;
    write_predictions(&out.join("predictions.csv"), &data, &stages)?;
    coverage_figure(&out.join("coverage.svg"), e)?;
    confusion_figure(&out.join("confusion.svg"), e)?;
    let summary = json!({
        "model": model_path,
        "data": data_path.display().to_string(),
        "half": halves.name(),
        "patterns": e.patterns,
        "data_patterns": data_patterns,
        "patterns_with_warnings": warned,
        "indexing": model.indexing().is_some(),
        "library": model.library().map(|l| l.library().info().name.clone()),
        "exclude_matching": args.exclude_matching,
        "entries_excluded": exclude.as_ref().map(|x| x.iter().map(Vec::len).sum::<usize>()),
        "patterns_indexed": preds.iter().filter(|p| p.cell.is_some()).count(),
        "decided_by": decided.iter().map(|(k, n)| (k.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "seconds": seconds,
        "space_group_top1": e.space_group_top1,
        "space_group_top5": e.space_group_top_k,
        "crystal_system": e.crystal_system,
        "majority_space_group": e.majority_space_group,
        "majority_crystal_system": e.majority_crystal_system,
        "accuracy_at_half_coverage": e.accuracy_at_half_coverage,
        "threshold": model.refusal_threshold(),
        "coverage_at_threshold": e.coverage_at_threshold,
        "accuracy_at_threshold": e.accuracy_at_threshold,
        "calibration_error": e.calibration_error,
        "reliability": e.reliability,
        "stages": by_stage,
        "confusion_crystal_system": e.confusion,
        "confusion_order": CrystalSystem::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "coverage_curve": e.coverage_curve,
        "system_coverage_curve": e.system_coverage_curve,
        "vecsei_2019_rruff": {"crystal_system": 0.70, "space_group": 0.54, "space_group_at_half_coverage": 0.82},
    });
    write_atomic(
        &out.join("summary.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    let mut lines = String::new();
    for (name, v) in &by_stage {
        lines.push_str(&format!(
            "\n  {name:<18} crystal system {:5.1} %  space group {:5.1} %",
            100.0 * v["crystal_system"].as_f64().unwrap_or(f64::NAN),
            100.0 * v["space_group_top1"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    println!(
        "{} patterns ({} of {data_patterns}) from {} in {seconds:.1} s\n  crystal system   {:5.1} %  (majority baseline {:.1} %)\n  space group top-1 {:5.1} %  top-5 {:.1} %  (majority baseline {:.1} %)\n  space group on the most certain half: {:.1} %\n  threshold {:.4}: {:.1} % answered{}\n  calibration error {:.3}\nby evidence:{lines}\nwrote {}",
        e.patterns,
        half_name(halves),
        data_path.display(),
        100.0 * e.crystal_system,
        100.0 * e.majority_crystal_system,
        100.0 * e.space_group_top1,
        100.0 * e.space_group_top_k,
        100.0 * e.majority_space_group,
        100.0 * e.accuracy_at_half_coverage,
        model.refusal_threshold(),
        100.0 * e.coverage_at_threshold,
        if e.coverage_at_threshold > 0.0 {
            format!(", {:.1} % of them right", 100.0 * e.accuracy_at_threshold)
        } else {
            String::new()
        },
        e.calibration_error,
        out.display()
    );
    Ok(Outcome::Done)
}

/// Accuracy against coverage as the refusal threshold rises.
fn coverage_figure(path: &Path, e: &Evaluation) -> Result<()> {
    let x: Vec<f64> = e.coverage_curve.iter().map(|c| c.coverage).collect();
    let panel = LinePanel {
        title: format!(
            "Refusal: accuracy of the answered patterns (n = {}); space group {:.0} % at 50 % coverage",
            e.patterns,
            100.0 * e.accuracy_at_half_coverage
        ),
        x,
        curves: vec![
            Curve {
                label: "space group (top-1)".into(),
                y: e.coverage_curve.iter().map(|c| c.accuracy).collect(),
                colour: 0,
                offset: 0.0,
            },
            Curve {
                label: "crystal system".into(),
                // One point per distinct certainty in both curves: the same x.
                y: e.system_coverage_curve.iter().map(|c| c.accuracy).collect(),
                colour: 1,
                offset: 0.0,
            },
            Curve {
                label: "certainty threshold".into(),
                y: e.coverage_curve.iter().map(|c| c.threshold).collect(),
                colour: 2,
                offset: 0.0,
            },
        ],
        x_range: Some((0.0, 1.0)),
    };
    figures::line_panels(path, &[panel], ("coverage (fraction answered)", "accuracy"))?;
    Ok(())
}

/// The crystal-system confusion matrix, each true row coloured by its fractions.
fn confusion_figure(path: &Path, e: &Evaluation) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let root = SVGBackend::new(path, (760, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let names: Vec<&str> = CrystalSystem::ALL.iter().map(|s| s.name()).collect();
    let (x0, y0, cell) = (150, 60, 78);
    root.draw(&Text::new(
        format!(
            "Crystal system: true (rows) × predicted (columns); accuracy {:.1} %",
            100.0 * e.crystal_system
        ),
        (20, 18),
        ("sans-serif", 17),
    ))
    .map_err(|e| err(&e))?;
    for (t, row) in e.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        root.draw(&Text::new(
            names[t],
            (20, y0 + cell * t as i32 + cell / 2 - 6),
            ("sans-serif", 13),
        ))
        .map_err(|e| err(&e))?;
        for (p, &count) in row.iter().enumerate() {
            let f = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            let (x, y) = (x0 + cell * p as i32, y0 + cell * t as i32);
            root.draw(&Rectangle::new(
                [(x, y), (x + cell - 2, y + cell - 2)],
                figures::viridis(f).filled(),
            ))
            .map_err(|e| err(&e))?;
            let colour = if f > 0.6 { BLACK } else { WHITE };
            root.draw(&Text::new(
                format!("{count}"),
                (x + cell / 2 - 10, y + cell / 2 - 7),
                ("sans-serif", 14).into_font().color(&colour),
            ))
            .map_err(|e| err(&e))?;
        }
    }
    for (p, name) in names.iter().enumerate() {
        root.draw(&Text::new(
            *name,
            (x0 + cell * p as i32 + 4, y0 + cell * 7 + 8),
            ("sans-serif", 11),
        ))
        .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// A pattern of `structure` on `grid` as a training pattern looks (xrd-sim's
/// `simulate_structure`: Cu Kα doublet, random widths, texture, zero shift, displacement,
/// background and noise, max 1), drawn from item `index` of the stream [`DEFAULT_SEED`].
fn simulate_cif(structure: &xrd_sim::Structure, grid: &Grid, index: u64) -> Result<Pattern> {
    let y = xrd_sim::TrainingPatternParams::new()
        .grid(grid.start(), grid.step(), grid.len())
        .simulate_structure(structure, DEFAULT_SEED, index)?;
    let y: Vec<f64> = y.into_iter().map(f64::from).collect();
    Ok(Pattern::uniform(grid.start(), grid.step(), y)?.with_wavelength(Some(Wavelength::CU_KA)))
}

/// The labelled patterns of a folder with an `index.csv`: CIFs are simulated on the model's
/// grid, other files read with xrd-io (first pattern of each).
fn read_folder(dir: &Path, model: &Classifier) -> Result<Vec<Labelled>> {
    let grid = model.grid();
    let mut out = Vec::new();
    for (k, (file, space_group)) in read_index(dir)?.into_iter().enumerate() {
        let path = dir.join(&file);
        let is_cif = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("cif"));
        let mut composition = None;
        let pattern = if is_cif {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            match xrd_sim::Cif::parse(&text).and_then(|c| c.first_structure()) {
                Ok(s) => {
                    composition = xrd_minerals::Composition::from_counts(
                        s.composition()
                            .into_iter()
                            .map(|(e, n)| (e.symbol().to_string(), n))
                            .collect(),
                    );
                    simulate_cif(&s, &grid, k as u64)
                }
                Err(e) => Err(e.into()),
            }
        } else {
            xrd_io::read(&path)
                .map_err(Into::into)
                .and_then(|p| p.into_iter().next().ok_or_else(|| "no pattern".into()))
        };
        match pattern {
            Ok(pattern) => out.push(Labelled {
                name: file,
                pattern,
                space_group,
                composition,
            }),
            Err(e) => skipped(&path.display().to_string(), &e),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// train

fn train(args: &Train, ctx: &Context) -> Result<Outcome> {
    let out = &args.out;
    let seed = args.seed;
    let mut params = ClassifierParams::default();
    if let Some(n) = args.patterns {
        params = params.patterns_per_epoch(n);
    }
    if let Some(n) = args.epochs {
        params = params.epochs(n);
    }
    if let Some(n) = args.ensemble {
        params = params.ensemble(n);
    }
    if let Some(n) = args.batch {
        params = params.batch_size(n);
    }
    if let Some(n) = args.passes {
        params = params.passes(n);
    }
    if let Some(r) = args.dropout {
        params = params.dropout(r);
    }
    if let Some(lr) = args.lr {
        let adam = xrd_ae::Adam {
            lr,
            ..params.config().schedule.optimizer
        };
        params = params.optimizer(adam);
    }
    if let Some(n) = args.autocorrelation {
        params = params.autocorrelation(n);
    }
    if let Some(f) = args.peak_threshold {
        params = params.peak_threshold(f);
    }
    if let Some(n) = args.pool {
        params = params.pool(n);
    }
    if let Some(i) = args.intensity {
        params = params.intensity(match i {
            IntensityArg::Linear => Intensity::Linear,
            IntensityArg::Sqrt => Intensity::Sqrt,
        });
    }
    if let Some(n) = args.validation {
        params = params.validation_patterns(n);
    }
    if let Some(c) = args.coverage {
        params = params.threshold_coverage(c);
    }
    if let Some(t) = args.threshold {
        params = params.threshold(t);
    }
    if let Some(widths) = &args.hidden {
        params = params.hidden(widths);
    }
    if let Some(l) = args.loss {
        params = params.loss(match l {
            Loss::CrossEntropy => LossSchedule::CrossEntropy,
            Loss::Alternating => LossSchedule::Alternating,
        });
    }
    if args.system_network {
        params = params.system_network(true);
    }
    if args.own_patterns {
        params = params.shared_patterns(false);
    }
    // Mineral-sized random crystals: the training recipe of the shipped model (xrd-classify README).
    let mut generator = xrd_sim::TrainingPatternParams::new()
        .crystal(xrd_sim::SyntheticCrystalParams::mineral_like());
    if let Some(g) = &args.grid {
        let [start, step, n] = g[..] else {
            return Err("--grid takes three values, START STEP N".into());
        };
        if n < 1.0 || n.fract() != 0.0 {
            return Err(format!("--grid N must be a whole number ≥ 1, got {n}").into());
        }
        generator = generator.grid(start, step, n as usize);
    }
    let mut crystal = generator.get_crystal().clone();
    if let Some([lo, hi]) = args
        .atoms_per_cell
        .as_deref()
        .and_then(|v| <[usize; 2]>::try_from(v).ok())
    {
        crystal = crystal.atoms_per_cell(lo, hi);
    }
    if let Some(n) = args.max_sites {
        crystal = crystal.max_sites(n);
    }
    if let Some(r) = args.max_axis_ratio {
        crystal = crystal.max_axis_ratio(r);
    }
    if let Some(n) = args.max_elements {
        crystal = crystal.max_elements(n);
    }
    let generator_crystal = crystal.clone();
    generator = generator.crystal(crystal);
    let mut source = xrd_classify::SyntheticPatterns::new(generator.clone())?;
    if let Some([lo, hi]) = args
        .measured_noise
        .as_deref()
        .and_then(|v| <[f64; 2]>::try_from(v).ok())
    {
        source = source.measured_noise(lo, hi)?;
    }
    let noise = source.get_measured_noise();
    // Real structures beside the random crystals: the library's entries simulated with the same
    // profiles and artefacts, its groups as often as it has them (Sampling::Source).
    let mixed = if args.library_fraction > 0.0 {
        let library = xrd_minerals::Library::amcsd()?;
        let patterns = xrd_classify::LibraryPatterns::new(&library, generator.clone())?
            .measured_noise(noise.0, noise.1)?
            .strain(args.strain)?;
        for (id, reason) in patterns.unusable() {
            eprintln!("warning: library entry {id} left out of training: {reason}");
        }
        params = params.sampling(xrd_classify::Sampling::Source);
        Some(xrd_classify::MixedPatterns::new(
            patterns,
            source.clone(),
            args.library_fraction,
        )?)
    } else {
        None
    };
    let training_source: &dyn xrd_classify::PatternSource = match &mixed {
        Some(m) => m,
        None => &source,
    };
    params.check()?;
    create_dir(out)?;

    let cfg = params.config().clone();
    // Patterns generated: once for the whole ensemble on shared patterns.
    let (schedule, ensemble) = (&cfg.schedule, cfg.architecture.ensemble);
    let streams = if schedule.shared_patterns {
        1
    } else {
        ensemble
    };
    let total = (streams * schedule.epochs * schedule.patterns_per_epoch) as u64;
    let bar = if ctx.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix:>10} [{bar:36}] {pos:>7}/{len} patterns  {msg}  ({elapsed}, eta {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    };
    bar.set_prefix("training");
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    let start = Instant::now();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // The thresholds are calibrated on the validation patterns of the run: `fit` draws their
    // seed first.
    let validation_seed: u64 = rng.clone().random();
    let model = params.fit(training_source, &mut rng, |p: &Progress| {
        let stream = if schedule.shared_patterns { 0 } else { p.member };
        let done = (stream * p.epochs + p.epoch - 1) * p.patterns_per_epoch + p.patterns;
        bar.set_position(done as u64);
        let mut msg = format!(
            "net {}/{} epoch {}/{} loss {:.4}",
            p.member + 1,
            p.members,
            p.epoch,
            p.epochs,
            p.train_loss
        );
        if let Some(l) = p.system_train_loss {
            msg.push_str(&format!(" (system {l:.4})"));
        }
        if let Some((l, a)) = p.validation {
            msg.push_str(&format!("  val {l:.3} / {:.1} %", 100.0 * a));
            let mut line = format!(
                "net {} epoch {:>3}: train loss {:.4}, validation loss {l:.4}, accuracy {:.1} %",
                p.member + 1,
                p.epoch,
                p.train_loss,
                100.0 * a,
            );
            if let (Some(tl), Some((vl, va))) = (p.system_train_loss, p.system_validation) {
                line.push_str(&format!(
                    "; crystal system: train loss {tl:.4}, validation loss {vl:.4}, accuracy {:.1} %",
                    100.0 * va
                ));
            }
            line.push_str(&format!("  ({:.0} s)", start.elapsed().as_secs_f64()));
            // Without a terminal the bar is hidden: the epoch lines still go to the log.
            if bar.is_hidden() {
                if !ctx.quiet {
                    eprintln!("{line}");
                }
            } else {
                bar.println(line);
            }
        }
        bar.set_message(msg);
    })?;
    let model = match cfg.calibration.threshold_coverage {
        Some(coverage) => {
            bar.set_message("calibrating the refusal thresholds");
            let validation = params.validation_set(training_source, validation_seed)?;
            model.calibrate(validation.matrix(), coverage)?
        }
        None => model,
    };
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let path = out.join("classifier.safetensors");
    model.save(&path)?;
    let log = json!({
        "seed": seed,
        "seconds": seconds,
        "patterns": total,
        "patterns_per_second": total as f64 / seconds,
        "grid": model.grid(),
        "config": model.config(),
        "measured_noise": noise,
        "library_fraction": args.library_fraction,
        "library_strain": args.strain,
        "library_entries": mixed.as_ref().map(|m| m.library().len()),
        "crystal": generator_crystal,
        "history": model.history(),
        "system_history": model.system_history(),
    });
    write_atomic(
        &out.join("training.json"),
        &serde_json::to_string_pretty(&log)?,
    )?;
    training_figure(&out.join("training.svg"), &model)?;
    println!(
        "trained {} network(s) on {total} patterns ({}) in {seconds:.0} s ({:.0} patterns/s); \
         refusal threshold {:.4}{}; wrote {}",
        ensemble,
        match &mixed {
            Some(m) => format!(
                "{:.0} % simulated from {} library structures, the rest random crystals",
                100.0 * m.fraction(),
                m.library().len()
            ),
            None => "random crystals".to_string(),
        },
        total as f64 / seconds,
        model.threshold(),
        match cfg.calibration.threshold_coverage {
            Some(c) => format!(" (answers {:.0} % of the validation patterns)", 100.0 * c),
            None => String::new(),
        },
        path.display()
    );
    Ok(Outcome::Done)
}

/// Training loss and validation loss / accuracy per epoch, one curve per network.
fn training_figure(path: &Path, model: &Classifier) -> Result<()> {
    let epochs = model.config().schedule.epochs;
    let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
    let mut loss = Vec::new();
    let mut acc = Vec::new();
    // The space-group networks, then the crystal-system networks (if any) in other colours.
    let colours = 2 * model.history().len();
    let records = model
        .history()
        .iter()
        .enumerate()
        .map(|(k, h)| (format!("net {}", k + 1), 2 * k, h, "top-1"))
        .chain(model.system_history().iter().enumerate().map(|(k, h)| {
            (
                format!("system net {}", k + 1),
                colours + 2 * k,
                h,
                "crystal system",
            )
        }));
    for (name, colour, h, what) in records {
        loss.push(Curve {
            label: format!("{name} training"),
            y: h.train.clone(),
            colour,
            offset: 0.0,
        });
        if !h.validation.is_empty() {
            loss.push(Curve {
                label: format!("{name} validation (cross-entropy)"),
                y: h.validation.clone(),
                colour: colour + 1,
                offset: 0.0,
            });
            acc.push(Curve {
                label: format!("{name} validation {what}"),
                y: h.validation_accuracy.clone(),
                colour: colour + 1,
                offset: 0.0,
            });
        }
    }
    let mut panels = vec![LinePanel {
        title: "Loss per epoch (synthetic patterns)".into(),
        x: x.clone(),
        curves: loss,
        x_range: None,
    }];
    if !acc.is_empty() {
        panels.push(LinePanel {
            title: "Accuracy on the synthetic validation patterns".into(),
            x,
            curves: acc,
            x_range: None,
        });
    }
    figures::line_panels(path, &panels, ("epoch", ""))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::Predict;

    /// Every option of the classification job is a flag of `xrd classify predict` with the
    /// option's default, and every flag but the inputs and --out an option.
    #[test]
    fn every_option_is_a_flag_with_the_options_default() {
        let (ids, fields) =
            flags::and_fields::<Predict>("predict", "classify", &["inputs", "out"], &[]);
        assert_eq!(ids, fields);
        let args = flags::parse::<Predict>(&["predict", "a.xy"]);
        let o = super::options(&args.model, args.wavelength);
        assert_eq!(o, xrd_jobs::ClassifyOptions::default());
    }
}
