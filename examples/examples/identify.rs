//! Phase identification (search-match) of measured powder patterns against the built-in mineral
//! library (the trimmed AMCSD, xrd-minerals) and folders of your own CIF/POSCAR files.
//!
//! ```text
//! cargo run --release -p xrd-examples --example identify -- [OPTIONS] FILES|DIRS...
//! cargo run --release -p xrd-examples --example identify -- evaluate [--data FILE.npz] [OPTIONS]
//! ```
//!
//! Options: `--library DIR` (repeatable: further libraries of CIF/POSCAR files),
//! `--elements Ti,O` (phases made of these elements only), `--require Ti` (phases that contain
//! these), `--max-phases N` (default 3), `--top K` (candidates per file, default 10),
//! `--out DIR` (default `target/identify`), `--cache DIR` (reference patterns; default
//! `target/xrd-cache`), `--min-score S` (refusal threshold), `--smoothing DEG`,
//! `--power P`, `--strain F`, `--background DEG`, `--no-builtin` (only the `--library` folders).
//!
//! Writes `phases.csv` (`file,phase,name,formula,space_group,score,source`; phase 0 with an
//! empty name when nothing matches), `candidates.csv` (the top-K single-phase candidates of each
//! file), `unexplained.csv` (peaks no phase explains) and one SVG per file (the pattern, each
//! phase's fitted profile and sticks, the residual), and prints a table.
//!
//! `evaluate` identifies the labelled patterns of an `.npz` (`patterns`, `two_theta`,
//! `space_group`, Cu Kα; default `../shared/data/measured/rruff_dev.npz`) and writes
//! `summary.json` (first phase's space-group and crystal-system accuracy, accuracy at the
//! refusal threshold, the accuracy–coverage curve), `predictions.csv` and `coverage.svg`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use xrd_examples::args::Args;
use xrd_examples::figures::{self, Curve, LinePanel, XyCurve};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{
    Identification, Library, Matcher, PhaseParams, ReferenceParams, ReferenceSet, SearchParams,
};
use xrd_sim::CrystalSystem;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const DEFAULT_DATA: &str = "../shared/data/measured/rruff_dev.npz";
const USAGE: &str = "usage:
  identify [--library DIR]... [--elements A,B] [--require A,B] [--max-phases N] [--top K] [--out DIR] FILES|DIRS...
  identify evaluate [--data FILE.npz] [--out DIR]
common options: --cache DIR --min-score S --smoothing DEG --power P --noise-floor S --relative-floor F --strain F --strain-prior F --background DEG --no-builtin --quiet";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args = Args::from_env(&[], &["no-builtin", "quiet", "help"])?;
    if args.flag("help") {
        println!("{USAGE}");
        return Ok(());
    }
    let evaluate = args.positional().first().map(String::as_str) == Some("evaluate");
    let options = Options::from_args(&args)?;
    if evaluate {
        let data: PathBuf = args.get("data", PathBuf::from(DEFAULT_DATA))?;
        let out: PathBuf = args.get("out", PathBuf::from("target/identify/evaluate"))?;
        args.reject_unknown()?;
        return run_evaluate(&options, &data, &out);
    }
    let out: PathBuf = args.get("out", PathBuf::from("target/identify"))?;
    args.reject_unknown()?;
    let inputs: Vec<PathBuf> = args.positional().iter().map(PathBuf::from).collect();
    if inputs.is_empty() {
        return Err(format!("no files given\n{USAGE}").into());
    }
    run_identify(&options, &inputs, &out)
}

/// The options both jobs share.
struct Options {
    libraries: Vec<PathBuf>,
    builtin: bool,
    cache: PathBuf,
    search: SearchParams,
    phases: PhaseParams,
    quiet: bool,
}

impl Options {
    fn from_args(args: &Args) -> Result<Self> {
        let list = |name: &str| -> Result<Option<Vec<String>>> {
            Ok(args.opt::<String>(name)?.map(|s| {
                s.split(',')
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect()
            }))
        };
        let d = SearchParams::new();
        let search = SearchParams::new()
            .elements(list("elements")?)
            .required(list("require")?.unwrap_or_default())
            .top(args.get("top", d.get_top())?)
            .min_score(args.get("min-score", d.get_min_score())?)
            .smoothing(args.get("smoothing", d.get_smoothing())?)
            .intensity_power(args.get("power", d.get_intensity_power())?)
            .noise_floor(args.get("noise-floor", d.get_noise_floor())?)
            .relative_floor(args.get("relative-floor", d.get_relative_floor())?)
            .max_strain(args.get("strain", d.get_max_strain())?)
            .strain_prior(args.get("strain-prior", d.get_strain_prior())?)
            .background_width(args.get("background", d.get_background_width())?);
        search.check()?;
        let phases = PhaseParams::new().max_phases(args.get("max-phases", 3)?);
        phases.check()?;
        Ok(Self {
            libraries: args.many::<PathBuf>("library")?.unwrap_or_default(),
            builtin: !args.flag("no-builtin"),
            cache: args.get("cache", PathBuf::from("target/xrd-cache"))?,
            search,
            phases,
            quiet: args.flag("quiet"),
        })
    }

    /// The library searched: the built-in one and the folders or files given.
    fn library(&self) -> Result<Library> {
        let mut lib: Option<Library> = if self.builtin {
            Some(Library::amcsd()?)
        } else {
            None
        };
        for dir in &self.libraries {
            let extra = if dir.is_dir() {
                Library::from_folder(dir)?
            } else {
                Library::from_files(&dir.display().to_string(), std::slice::from_ref(dir))?
            };
            for r in extra.rejected() {
                eprintln!("warning: {}: not used ({})", r.id, r.reason);
            }
            lib = Some(match lib {
                Some(l) => l.merged(extra)?,
                None => extra,
            });
        }
        lib.ok_or_else(|| "no library: --no-builtin needs --library".into())
    }

    /// The reference set of `library` at `wavelength` (cached on disk).
    fn references(&self, library: &Library, wavelength: f64) -> Result<ReferenceSet> {
        let params = ReferenceParams::new().wavelength(wavelength);
        let bar = self.bar(library.len() as u64, "simulating references");
        let t = Instant::now();
        let set = ReferenceSet::cached(library, &params, &self.cache, |done, _| {
            bar.set_position(done as u64);
        })?;
        bar.finish_and_clear();
        if !self.quiet {
            eprintln!(
                "{} references at {wavelength} Å ready in {:.2} s",
                set.len(),
                t.elapsed().as_secs_f64()
            );
        }
        Ok(set)
    }

    fn bar(&self, n: u64, what: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(n);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(what.to_string());
        bar
    }
}

// identify

fn run_identify(options: &Options, inputs: &[PathBuf], out: &Path) -> Result<()> {
    let files = xrd_examples::inputs::pattern_files(inputs)?;
    let mut failed = 0;
    // Every pattern first, so that each wavelength gets one reference set and one matcher
    // (whose per-range norms then serve all its patterns).
    let mut patterns: Vec<(String, Pattern)> = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        match xrd_io::read(file) {
            Ok(read) => {
                for (k, pattern) in read.into_iter().enumerate() {
                    let label = if k == 0 {
                        name.clone()
                    } else {
                        format!("{name}#{k}")
                    };
                    // A pattern that does not say its wavelength is taken as Cu Kα (Kα1 + Kα2).
                    let wavelength = pattern.wavelength().unwrap_or(Wavelength::CU_KA);
                    patterns.push((label, pattern.with_wavelength(Some(wavelength))));
                }
            }
            Err(e) => {
                eprintln!("skipped {name}: {e}");
                failed += 1;
            }
        }
    }
    let library = options.library()?;
    let wavelength_of = |p: &Pattern| p.wavelength().unwrap_or(Wavelength::CU_KA);
    let mut references: Vec<(f64, ReferenceSet)> = Vec::new();
    for (_, p) in &patterns {
        let lambda = wavelength_of(p).angstrom();
        if !references.iter().any(|(l, _)| *l == lambda) {
            references.push((lambda, options.references(&library, lambda)?));
        }
    }
    let mut matchers: Vec<(Wavelength, Matcher<'_>)> = Vec::new();
    for (_, p) in &patterns {
        let w = wavelength_of(p);
        if !matchers.iter().any(|(m, _)| *m == w) {
            let refs = references
                .iter()
                .find(|(l, _)| *l == w.angstrom())
                .map(|(_, r)| r)
                .ok_or("no reference set for a wavelength")?;
            matchers.push((w, Matcher::new(&library, refs, w, options.search.clone())?));
        }
    }
    std::fs::create_dir_all(out)?;
    let mut phases_csv = String::from("file,phase,name,formula,space_group,score,source\n");
    let mut cand_csv =
        String::from("file,rank,name,formula,space_group,score,cell_scale,zero_shift,source\n");
    let mut unexplained_csv = String::from("file,two_theta,height\n");
    println!(
        "{:<36} {:>5} {:<24} {:<22} {:>5} {:>6}",
        "file", "phase", "name", "formula", "sg", "score"
    );
    for (label, pattern) in &patterns {
        let w = wavelength_of(pattern);
        let Some((_, matcher)) = matchers.iter().find(|(m, _)| *m == w) else {
            continue;
        };
        let found = match matcher.identify(pattern, &options.phases) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("skipped {label}: {e}");
                failed += 1;
                continue;
            }
        };
        write_rows(&library, label, &found, &mut phases_csv, &mut cand_csv);
        for p in &found.unexplained {
            unexplained_csv.push_str(&format!("{},{:.4},{:.4}\n", csv(label), p.0, p.1));
        }
        print_rows(&library, label, &found);
        let svg = out.join(format!("{}.svg", svg_name(label)));
        plot(&svg, &library, label, &found)?;
    }
    write(out.join("phases.csv"), &phases_csv)?;
    write(out.join("candidates.csv"), &cand_csv)?;
    write(out.join("unexplained.csv"), &unexplained_csv)?;
    if !options.quiet {
        eprintln!(
            "wrote {}/phases.csv, candidates.csv, unexplained.csv and one SVG per pattern",
            out.display()
        );
    }
    if failed > 0 {
        return Err(format!("{failed} file(s) could not be identified (see above)").into());
    }
    Ok(())
}

fn write(path: PathBuf, text: &str) -> Result<()> {
    xrd_io::write_atomic(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn svg_name(label: &str) -> String {
    Path::new(label)
        .file_name()
        .map_or_else(|| label.to_string(), |n| n.to_string_lossy().into_owned())
        .replace(['#', '/', '\\', ' '], "_")
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
    phases: &mut String,
    candidates: &mut String,
) {
    if found.phases.is_empty() {
        phases.push_str(&format!("{},0,,,,,\n", csv(label)));
    }
    for (k, p) in found.phases.iter().enumerate() {
        let e = &library.entries()[p.candidate.entry];
        let start = row_start(label, k + 1, e, p.candidate.score);
        phases.push_str(&format!("{start},{}\n", csv(&e.id)));
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

fn print_rows(library: &Library, label: &str, found: &Identification) {
    let short: String = label
        .chars()
        .rev()
        .take(36)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if found.phases.is_empty() {
        let best = found.candidates.first().map_or(0.0, |c| c.score);
        println!("{short:<36} {:>5} (no match; best score {best:.3})", 0);
    }
    for (k, p) in found.phases.iter().enumerate() {
        let e = &library.entries()[p.candidate.entry];
        let formula: String = e.formula.chars().take(22).collect();
        let name: String = e.name().chars().take(24).collect();
        println!(
            "{short:<36} {:>5} {name:<24} {formula:<22} {:>5} {:>6.3}",
            k + 1,
            e.space_group,
            p.candidate.score
        );
    }
    if !found.unexplained.is_empty() {
        let list: Vec<String> = found
            .unexplained
            .iter()
            .take(8)
            .map(|(t, h)| format!("{t:.2}° ({:.0} %)", 100.0 * h))
            .collect();
        println!(
            "{short:<36}       unexplained peaks: {}{}",
            list.join(", "),
            if found.unexplained.len() > 8 {
                ", …"
            } else {
                ""
            }
        );
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
struct Summary {
    data: String,
    patterns: usize,
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
    coverage_curve: Vec<(f64, f64, f64)>,
    search: SearchParams,
}

fn run_evaluate(options: &Options, data: &Path, out: &Path) -> Result<()> {
    let d = xrd_io::Dataset::<f32>::read_npz(data)?;
    let groups = d
        .label("space_group")
        .ok_or_else(|| format!("{}: no `space_group` array", data.display()))?
        .to_vec();
    let library = options.library()?;
    let wavelength = Wavelength::CU_KA;
    let t = Instant::now();
    let refs = options.references(&library, wavelength.angstrom())?;
    let seconds_references = t.elapsed().as_secs_f64();
    let matcher = Matcher::new(&library, &refs, wavelength, options.search.clone())?;
    let t = Instant::now();
    let bar = options.bar(d.len() as u64, "identifying");
    let mut rows = Vec::with_capacity(d.len());
    let mut unsearchable = 0usize;
    for (i, &group) in groups.iter().enumerate() {
        let pattern = d.to_pattern(i, Some(wavelength))?;
        let truth = group as u8;
        // A pattern that cannot be searched counts as unanswered (and wrong).
        let cands = matcher.search(&pattern).unwrap_or_else(|e| {
            bar.suspend(|| eprintln!("row {i}: {e}"));
            unsearchable += 1;
            Vec::new()
        });
        bar.inc(1);
        rows.push((i, truth, cands));
    }
    bar.finish_and_clear();
    let seconds_search = t.elapsed().as_secs_f64();
    let n = rows.len() as f64;
    let sg_of = |c: &xrd_minerals::Candidate| library.entries()[c.entry].space_group;
    let system = |g: u8| CrystalSystem::from_space_group(g).ok();
    let mut scored: Vec<(f64, bool)> = Vec::new();
    let (mut sg_ok, mut cs_ok, mut top5) = (0usize, 0usize, 0usize);
    let mut csv = String::from("row,space_group,predicted,score,name,source\n");
    for (i, truth, cands) in &rows {
        let first = cands.first();
        let pred = first.map_or(0, sg_of);
        let ok = pred == *truth;
        sg_ok += usize::from(ok);
        cs_ok += usize::from(pred != 0 && system(pred) == system(*truth));
        top5 += usize::from(cands.iter().take(5).any(|c| sg_of(c) == *truth));
        let score = first.map_or(0.0, |c| c.score);
        scored.push((score, ok));
        let (name, source) = first.map_or((String::new(), String::new()), |c| {
            let e = &library.entries()[c.entry];
            (e.name().to_string(), e.id.clone())
        });
        csv.push_str(&format!(
            "{i},{truth},{pred},{score:.4},{},{source}\n",
            self::csv(&name)
        ));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut curve = Vec::new();
    let mut right = 0usize;
    for (k, (s, ok)) in scored.iter().enumerate() {
        right += usize::from(*ok);
        let answered = k + 1;
        if answered % 10 == 0 || answered == scored.len() {
            curve.push((answered as f64 / n, right as f64 / answered as f64, *s));
        }
    }
    let half = scored.len().div_ceil(2);
    let certain_half = scored[..half].iter().filter(|s| s.1).count() as f64 / half as f64;
    let threshold = options.search.get_min_score();
    let answered: Vec<&(f64, bool)> = scored.iter().filter(|s| s.0 >= threshold).collect();
    let summary = Summary {
        data: data.display().to_string(),
        patterns: rows.len(),
        unsearchable,
        library_entries: library.len(),
        seconds_references,
        seconds_search,
        space_group_accuracy: sg_ok as f64 / n,
        crystal_system_accuracy: cs_ok as f64 / n,
        space_group_top5: top5 as f64 / n,
        min_score: threshold,
        answered_fraction: answered.len() as f64 / n,
        space_group_accuracy_answered: if answered.is_empty() {
            0.0
        } else {
            answered.iter().filter(|s| s.1).count() as f64 / answered.len() as f64
        },
        space_group_accuracy_certain_half: certain_half,
        coverage_curve: curve.clone(),
        search: options.search.clone(),
    };
    std::fs::create_dir_all(out)?;
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
            points: curve.iter().map(|c| (c.0, c.1)).collect(),
            colour: 0,
        }],
        ((0.0, 1.0), (0.0, 1.0)),
        ("coverage", "space-group accuracy"),
    )?;
    println!(
        "{} patterns ({unsearchable} could not be searched), {} references \
         ({seconds_references:.2} s), search {seconds_search:.2} s",
        rows.len(),
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
    Ok(())
}
