//! `xrd identify`: phase identification (search-match) of measured powder patterns against the
//! built-in mineral library (the trimmed AMCSD, xrd-minerals) and folders of your own CIF/POSCAR
//! files; `xrd identify evaluate` measures it on labelled patterns.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use serde::Serialize;
use xrd_cli::figures::{self, Curve, LinePanel, XyCurve};
use xrd_cli::output::{Table, csv_field as csv};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{
    DEFAULT_MAX_PHASES, DEFAULT_MIN_RWP_GAIN, DEFAULT_SIGNIFICANCE, Identification, Library,
    ReportedPhase, SearchParams,
};

use super::{
    Context, Halves, Outcome, Result, create_dir, half_name, input_files, labelled_npz,
    parse_wavelength, pattern_name, skipped, wavelength_or,
};

const DEFAULT_DATA: &str = "../shared/data/measured/rruff_dev.npz";

/// Options of `xrd identify`.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Prints one row per phase found (phase 0 with an empty name when nothing \
        matches above --min-score); peaks no phase explains go to stderr. With --out it also \
        writes phases.csv, candidates.csv (the top candidates of each pattern), unexplained.csv \
        and one SVG per pattern. Patterns whose file gives no wavelength are taken as Cu Kα, or as \
        --wavelength says."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Pattern files or folders (searched one level deep); `FILE#k` is pattern k (from 1) of a file of several.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Folder for phases.csv, candidates.csv, unexplained.csv and the SVGs.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// Search-match only: no Rietveld refinement of what it finds (the rows then give each
    /// phase's share of the intensity, not a weight fraction).
    #[arg(long)]
    pub no_refine: bool,
    /// The F-test a further phase must pass in the refinement, as a one-sided normal deviate.
    #[arg(long, default_value_t = DEFAULT_SIGNIFICANCE)]
    pub significance: f64,
    /// The relative drop of Rwp a further phase must bring as well.
    #[arg(long, default_value_t = DEFAULT_MIN_RWP_GAIN)]
    pub min_rwp_gain: f64,
    #[command(flatten)]
    pub options: Options,
}

/// `xrd identify evaluate`.
#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Identify the labelled patterns of an .npz (patterns, two_theta, space_group; Cu Kα) and
    /// report the first phase's space-group and crystal-system accuracy: by default on the
    /// reporting half of the RRUFF set (--half).
    Evaluate(Evaluate),
}

/// Options of `xrd identify evaluate`.
#[derive(Debug, clap::Args)]
pub struct Evaluate {
    /// The labelled patterns.
    #[arg(long, value_name = "FILE.npz", default_value = DEFAULT_DATA)]
    pub data: PathBuf,
    /// Folder of summary.json, predictions.csv and coverage.svg.
    #[arg(long, value_name = "DIR", default_value = "target/identify/evaluate")]
    pub out: PathBuf,
    /// The rows scored, split by their source_index (xrd_io::halves): the reporting half, where
    /// results are reported, the tuning half, where settings are chosen, or all [default:
    /// reporting; all for data without a source_index]. predictions.csv holds the rows scored,
    /// each with its row in the .npz.
    #[arg(long, value_enum, value_name = "HALF")]
    pub half: Option<Halves>,
    #[command(flatten)]
    pub options: Options,
}

/// The library and search options both jobs share (defaults: xrd-minerals' `DEFAULT_*`).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A further library: a folder of CIF/POSCAR files, or one such file (repeatable).
    #[arg(long, value_name = "DIR")]
    pub library: Vec<PathBuf>,
    /// Search only the --library folders, not the built-in AMCSD.
    #[arg(long)]
    pub no_builtin: bool,
    /// Phases made of these elements only (`Ti,O`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub elements: Option<Vec<String>>,
    /// Phases that contain all of these elements.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub require: Vec<String>,
    /// Also propose structures that cannot be a phase of a powder at room conditions: measured
    /// at high pressure (above 0.1 GPa) or outside 200–400 K, and ices (left out by default).
    #[arg(long)]
    pub non_ambient: bool,
    /// Phases per pattern, at most.
    #[arg(long, default_value_t = DEFAULT_MAX_PHASES)]
    pub max_phases: usize,
    /// Candidates kept per pattern.
    #[arg(long, default_value_t = SearchParams::new().get_top())]
    pub top: usize,
    /// Refusal threshold: a best score below it names no phase.
    #[arg(long, default_value_t = SearchParams::new().get_min_score())]
    pub min_score: f64,
    /// Gaussian smoothing of both profiles, degrees.
    #[arg(long, default_value_t = SearchParams::new().get_smoothing())]
    pub smoothing: f64,
    /// Power applied to intensities before comparing (1 linear, 0.5 square root).
    #[arg(long, default_value_t = SearchParams::new().get_intensity_power())]
    pub power: f64,
    /// Noise floor in noise sigmas subtracted from the measured profile.
    #[arg(long, default_value_t = SearchParams::new().get_noise_floor())]
    pub noise_floor: f64,
    /// Floor as a fraction of the strongest peak.
    #[arg(long, default_value_t = SearchParams::new().get_relative_floor())]
    pub relative_floor: f64,
    /// Largest cell strain refined per candidate (0.02 = ±2 %).
    #[arg(long, default_value_t = SearchParams::new().get_max_strain())]
    pub strain: f64,
    /// Width of the prior on the strain.
    #[arg(long, default_value_t = SearchParams::new().get_strain_prior())]
    pub strain_prior: f64,
    /// Width of the background window, degrees: broader than the broadest peak, narrower than
    /// a hump of the background.
    #[arg(long, default_value_t = SearchParams::new().get_background_width())]
    pub background: f64,
    /// How the background is estimated.
    #[arg(long, value_enum, default_value_t = BackgroundMethod::TopHat)]
    pub background_method: BackgroundMethod,
    /// Folder of the cached reference patterns.
    #[arg(long, value_name = "DIR", default_value = "target/xrd-cache")]
    pub cache: PathBuf,
}

/// The search's background method (`xrd_minerals::Background`) on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackgroundMethod {
    /// Top-hat: the morphological opening, smoothed; follows broad humps.
    TopHat,
    /// SNIP (the lower envelope; a hump's top remains, as peaks).
    Snip,
}

/// Runs `xrd identify`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    match args.command {
        Some(Sub::Evaluate(e)) => {
            // Search-match only, at Cu Kα: what the evaluation scores.
            let options = xrd_jobs::IdentifyOptions {
                refine: false,
                ..job_options(&e.options)
            };
            run_evaluate(options, ctx.quiet, &e.data, e.half, &e.out)
        }
        None => run_identify(
            identify_options(&args),
            ctx,
            &args.inputs,
            args.out.as_deref(),
        ),
    }
}

/// The identification job's options of `xrd identify`'s flags.
fn identify_options(args: &Args) -> xrd_jobs::IdentifyOptions {
    xrd_jobs::IdentifyOptions {
        wavelength: args.wavelength,
        refine: !args.no_refine,
        significance: args.significance,
        min_rwp_gain: args.min_rwp_gain,
        ..job_options(&args.options)
    }
}

/// The job's options of the library and search flags both subcommands share (the rest at
/// their defaults).
fn job_options(o: &Options) -> xrd_jobs::IdentifyOptions {
    xrd_jobs::IdentifyOptions {
        library: o.library.clone(),
        builtin: !o.no_builtin,
        elements: o.elements.clone(),
        require: o.require.clone(),
        non_ambient: o.non_ambient,
        max_phases: o.max_phases,
        top: o.top,
        min_score: o.min_score,
        smoothing: o.smoothing,
        power: o.power,
        noise_floor: o.noise_floor,
        relative_floor: o.relative_floor,
        strain: o.strain,
        strain_prior: o.strain_prior,
        background: o.background,
        background_method: match o.background_method {
            BackgroundMethod::TopHat => xrd_jobs::BackgroundMethod::TopHat,
            BackgroundMethod::Snip => xrd_jobs::BackgroundMethod::Snip,
        },
        cache: o.cache.clone(),
        ..xrd_jobs::IdentifyOptions::default()
    }
}

/// The job of `options`, its library's own rejects said on stderr (the built-in library's,
/// ids `amcsd:…`, are documented in its README).
fn identify_job(options: xrd_jobs::IdentifyOptions) -> Result<xrd_jobs::Identify> {
    let job = xrd_jobs::Identify::new(options)?;
    for r in job
        .library()
        .rejected()
        .iter()
        .filter(|r| !r.id.starts_with("amcsd:"))
    {
        eprintln!("warning: {}: not used ({})", r.id, r.reason);
    }
    Ok(job)
}

/// A control that draws the reference set's bar and the patterns' bar and says when the
/// references are ready.
fn control(references: ProgressBar, patterns: ProgressBar, quiet: bool) -> xrd_jobs::Control {
    let started = Instant::now();
    xrd_jobs::Control::new().on_progress(move |p| match p.what {
        "references" => references.set_position(p.done as u64),
        "reference sets" => {
            references.finish_and_clear();
            if !quiet {
                eprintln!(
                    "{} ready in {:.2} s",
                    p.message,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        "files" | "patterns" => patterns.set_position(p.done as u64),
        _ => {}
    })
}

// identify

/// The patterns of `inputs` identified by the job of `options` (patterns whose file gives no
/// wavelength are read at the option's, else Cu Kα, said on stderr).
fn run_identify(
    options: xrd_jobs::IdentifyOptions,
    ctx: &Context,
    inputs: &[PathBuf],
    out: Option<&Path>,
) -> Result<Outcome> {
    // Options first: a bad flag fails before any file is read.
    options.check()?;
    let quiet = ctx.quiet;
    let wavelength = options.wavelength;
    let files = input_files(inputs)?;
    let mut failed = 0;
    let mut patterns: Vec<(String, Pattern)> = Vec::new();
    for file in &files {
        match xrd_io::read(file) {
            Ok(read) => {
                let count = read.len();
                for (k, pattern) in read.into_iter().enumerate() {
                    let label = pattern_name(file, k, count);
                    let wavelength = wavelength_or(&label, &pattern, wavelength);
                    patterns.push((label, pattern.with_wavelength(Some(wavelength))));
                }
            }
            Err(e) => {
                skipped(&file.display().to_string(), &e);
                failed += 1;
            }
        }
    }
    if patterns.is_empty() {
        return Err(format!("none of the {} input files could be read", files.len()).into());
    }
    let job = identify_job(options)?;
    let library: &Library = job.library();
    let references = xrd_cli::progress::bar(library.len(), "simulating references", quiet);
    let bar = xrd_cli::progress::bar(patterns.len(), "patterns", quiet);
    let control = control(references, bar.clone(), quiet);
    let identified = job.run(&patterns, &control)?;
    if let Some(out) = out {
        create_dir(out)?;
    }
    let mut phases_csv = String::from(
        "file,phase,name,formula,space_group,score,source,weight_fraction,weight_fraction_esd,rwp\n",
    );
    let mut cand_csv =
        String::from("file,rank,name,formula,space_group,score,cell_scale,zero_shift,source\n");
    let mut unexplained_csv = String::from("file,two_theta,height\n");
    let mut table = Table::new(xrd_jobs::IdentifyRow::COLUMNS);
    for file in &identified.files {
        let label = &file.file;
        let (Some(found), None) = (&file.found, &file.error) else {
            let error = file.error.as_deref().unwrap_or("not identified");
            bar.suspend(|| skipped(label, &error));
            failed += 1;
            continue;
        };
        for m in file.messages() {
            bar.suspend(|| eprintln!("{label}: {m}"));
        }
        let rows = found.report(file.confirmed.as_ref());
        write_rows(library, label, found, &rows, &mut phases_csv, &mut cand_csv);
        for p in &file.unexplained() {
            unexplained_csv.push_str(&format!("{},{:.4},{:.4}\n", csv(label), p.0, p.1));
        }
        table_rows(library, label, found, &rows, &mut table);
        if let Some(out) = out {
            let svg = out.join(format!("{}.svg", super::svg_name(label)));
            plot(&svg, library, label, found)?;
        }
    }
    bar.finish_and_clear();
    ctx.print(&table);
    if let Some(out) = out {
        write(out.join("phases.csv"), &phases_csv)?;
        write(out.join("candidates.csv"), &cand_csv)?;
        write(out.join("unexplained.csv"), &unexplained_csv)?;
        if !quiet {
            eprintln!(
                "wrote {}/phases.csv, candidates.csv, unexplained.csv and one SVG per pattern",
                out.display()
            );
        }
    }
    Ok(Outcome::skipping(failed))
}

fn write(path: PathBuf, text: &str) -> Result<()> {
    xrd_io::write_atomic(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// `file,rank,name,formula,space_group,score`: the columns phases.csv and candidates.csv share.
fn row_start(label: &str, rank: usize, e: &xrd_minerals::Entry, score: f64) -> String {
    format!(
        "{},{rank},{},{},{},{score:.4}",
        csv(label),
        csv(e.name()),
        csv(&e.formula),
        e.space_group
    )
}

fn write_rows(
    library: &Library,
    label: &str,
    found: &Identification,
    rows: &[ReportedPhase],
    phases: &mut String,
    candidates: &mut String,
) {
    if rows.is_empty() {
        phases.push_str(&format!("{},0,,,,,,,,\n", csv(label)));
    }
    for (k, r) in rows.iter().enumerate() {
        let e = &library.entries()[r.entry];
        let start = row_start(label, k + 1, e, r.score);
        let refined = r.refined.map_or(",,".to_string(), |f| {
            format!(
                "{:.4},{:.4},{:.4}",
                f.weight_fraction, f.weight_fraction_esd, f.rwp
            )
        });
        phases.push_str(&format!("{start},{},{refined}\n", csv(&e.id)));
    }
    for (k, c) in found.candidates.iter().enumerate() {
        let e = &library.entries()[c.entry];
        let start = row_start(label, k + 1, e, c.score);
        candidates.push_str(&format!(
            "{start},{:.5},{:.3},{}\n",
            c.cell_scale,
            c.zero_shift,
            csv(&e.id)
        ));
    }
}

/// One table row per phase found (phase 0 when none).
fn table_rows(
    library: &Library,
    label: &str,
    found: &Identification,
    rows: &[ReportedPhase],
    table: &mut Table,
) {
    for row in xrd_jobs::identify_rows(library, label, found, rows) {
        table.push(row.values().into_iter().map(super::refine::cell).collect());
    }
}

fn plot(path: &Path, library: &Library, label: &str, found: &Identification) -> Result<()> {
    let mut curves = vec![Curve {
        label: "measured (background removed)".into(),
        y: found.measured.clone(),
        colour: 0,
        offset: 0.0,
    }];
    for (k, p) in found.phases.iter().enumerate() {
        let e = &library.entries()[p.candidate.entry];
        curves.push(Curve {
            label: format!(
                "phase {}: {} ({}, {:.0} % of the intensity)",
                k + 1,
                e.name(),
                e.space_group,
                100.0 * p.share
            ),
            y: p.profile.clone(),
            colour: k + 1,
            offset: 0.0,
        });
    }
    curves.push(Curve {
        label: "residual".into(),
        y: found.residual.clone(),
        colour: 7,
        offset: 0.0,
    });
    let panel = LinePanel {
        title: format!("{label}: phases found"),
        x: found.two_theta.clone(),
        curves,
        x_range: None,
    };
    figures::line_panels(path, &[panel], ("2θ (°)", "intensity (strongest = 1)"))?;
    Ok(())
}

// evaluate

#[derive(Serialize)]
struct Summary<'a> {
    data: String,
    /// `reporting`, `tuning` or `all`.
    half: &'static str,
    /// The rows of the half scored.
    patterns: usize,
    /// The rows of the file.
    data_patterns: usize,
    unsearchable: usize,
    library_entries: usize,
    seconds_references: f64,
    seconds_search: f64,
    space_group_accuracy: f64,
    crystal_system_accuracy: f64,
    space_group_top5: f64,
    min_score: f64,
    answered_fraction: f64,
    space_group_accuracy_answered: f64,
    space_group_accuracy_certain_half: f64,
    coverage_curve: &'a [xrd_io::coverage::CoveragePoint],
    search: SearchParams,
}

fn run_evaluate(
    options: xrd_jobs::IdentifyOptions,
    quiet: bool,
    data: &Path,
    half: Option<Halves>,
    out: &Path,
) -> Result<Outcome> {
    let search = options.search()?;
    let job = identify_job(options)?;
    let set = labelled_npz(data, half)?;
    let (patterns, truth) = (&set.patterns, &set.truth);
    let library: &Library = job.library();
    let references = xrd_cli::progress::bar(library.len(), "simulating references", quiet);
    let bar = xrd_cli::progress::bar(patterns.len(), "identifying", quiet);
    let control = control(references, bar.clone(), quiet);
    let t = Instant::now();
    job.matcher(Wavelength::CU_KA, &control)?;
    let seconds_references = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let e = job.evaluate(patterns, truth, &control)?;
    bar.finish_and_clear();
    let seconds_search = t.elapsed().as_secs_f64();
    for p in e.patterns.iter().filter(|p| p.error.is_some()) {
        eprintln!(
            "row {}: {}",
            set.rows[p.index],
            p.error.as_deref().unwrap_or_default()
        );
    }
    let mut csv = String::from("row,space_group,predicted,score,name,source\n");
    for p in &e.patterns {
        let first = p.candidates.first();
        let (pred, score) = first.map_or((0, 0.0), |c| {
            (library.entries()[c.entry].space_group, c.score)
        });
        let (name, source) = first.map_or((String::new(), String::new()), |c| {
            let entry = &library.entries()[c.entry];
            (entry.name().to_string(), entry.id.clone())
        });
        csv.push_str(&format!(
            "{},{},{pred},{score:.4},{},{source}\n",
            set.rows[p.index],
            p.truth,
            self::csv(&name)
        ));
    }
    let unsearchable = e.unsearchable;
    let threshold = e.min_score;
    let certain_half = e.space_group_accuracy_certain_half;
    let summary = Summary {
        data: data.display().to_string(),
        half: set.halves.name(),
        patterns: e.patterns.len(),
        data_patterns: set.rows_in_file,
        unsearchable,
        library_entries: library.len(),
        seconds_references,
        seconds_search,
        space_group_accuracy: e.space_group_accuracy,
        crystal_system_accuracy: e.crystal_system_accuracy,
        space_group_top5: e.space_group_top5,
        min_score: threshold,
        answered_fraction: e.answered_fraction,
        space_group_accuracy_answered: e.space_group_accuracy_answered,
        space_group_accuracy_certain_half: certain_half,
        coverage_curve: &e.coverage_curve,
        search,
    };
    create_dir(out)?;
    write(
        out.join("summary.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    write(out.join("predictions.csv"), &csv)?;
    figures::xy_curves(
        &out.join("coverage.svg"),
        "first phase's space group against coverage (most similar first)",
        &[XyCurve {
            label: "search-match".into(),
            points: e
                .coverage_curve
                .iter()
                .map(|c| (c.coverage, c.accuracy))
                .collect(),
            colour: 0,
        }],
        ((0.0, 1.0), (0.0, 1.0)),
        ("coverage", "space-group accuracy"),
    )?;
    println!(
        "{} patterns ({} of {}; {unsearchable} could not be searched), {} references \
         ({seconds_references:.2} s), search {seconds_search:.2} s",
        e.patterns.len(),
        half_name(set.halves),
        set.rows_in_file,
        library.len()
    );
    println!(
        "first phase: space group {:.1} %, crystal system {:.1} %, top-5 {:.1} %; most similar half {:.1} %; \
         at score ≥ {threshold}: {:.1} % answered, {:.1} % of them right",
        100.0 * summary.space_group_accuracy,
        100.0 * summary.crystal_system_accuracy,
        100.0 * summary.space_group_top5,
        100.0 * certain_half,
        100.0 * summary.answered_fraction,
        100.0 * summary.space_group_accuracy_answered
    );
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::Args;

    /// Every option of the identification job is a flag of `xrd identify` with the option's
    /// default (`refine` and `builtin` as `--no-refine` and `--no-builtin`), and every flag but
    /// the inputs and --out an option.
    #[test]
    fn every_option_is_a_flag_with_the_options_default() {
        let (ids, fields) = flags::and_fields::<Args>(
            "identify",
            "identify",
            &["inputs", "out"],
            &[("no_refine", "refine"), ("no_builtin", "builtin")],
        );
        assert_eq!(ids, fields);
        let args = flags::parse::<Args>(&["identify", "a.xy"]);
        assert_eq!(
            super::identify_options(&args),
            xrd_jobs::IdentifyOptions::default()
        );
    }
}
