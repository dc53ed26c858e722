//! `xrd refine`: whole-pattern (Rietveld) refinement of measured patterns (xrd-refine): weight
//! fractions, refined cells, crystallite sizes and strains of the phases named.

use std::path::{Path, PathBuf};

use serde::Serialize;
use xrd_cli::figures::{self, RietveldPlot};
use xrd_cli::output::{Cell, Table};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Entry, Library};
use xrd_refine::{Instrument, Phase, RefineParams, Refinement, Refiner, Stage};

use super::{
    Context, Outcome, Result, create_dir, input_files, parse_wavelength, pattern_name, skipped,
    wavelength_or,
};

/// Options of `xrd refine`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each --phase SPEC is a library id (amcsd:8240), a mineral name \
    (anatase), a formula (TiO2: every library entry of that composition, polymorphs included; \
    the best-fitting one is kept and the others reported on stderr) or a CIF/POSCAR file. \
    Prints one row per phase: weight fraction (Hill & Howard) with its esd, refined cell, \
    crystallite size and microstrain, and the fit's Rwp and GoF. With --out: fit.csv (2θ, \
    observed, calculated, background, difference, each phase), refinement.json (every \
    parameter), one refined CIF per phase and rietveld.svg."
)]
pub struct Args {
    /// Pattern files or folders (searched one level deep); each is refined with the same phases.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// A phase to refine (repeatable): library id, mineral name, formula or CIF/POSCAR path.
    #[arg(long = "phase", required = true, value_name = "SPEC")]
    pub phases: Vec<String>,
    /// A further library: a folder of CIF/POSCAR files, or one such file (repeatable).
    #[arg(long, value_name = "DIR")]
    pub library: Vec<PathBuf>,
    /// Look up names only in the --library folders, not the built-in AMCSD.
    #[arg(long)]
    pub no_builtin: bool,
    /// An instrument refined on a standard (--save-instrument): its widths, asymmetry and zero
    /// are kept, and only the samples' own broadening and displacement refined.
    #[arg(long, value_name = "FILE")]
    pub instrument: Option<PathBuf>,
    /// The pattern is of a standard: refine every width and asymmetry term of the instrument (no
    /// crystallite size or strain) and write the instrument to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_instrument: Option<PathBuf>,
    /// An internal standard weighed in: SPEC=WT, SPEC one of the --phase values and WT its
    /// weight fraction of the sample (0–1); fractions become absolute and the rest amorphous.
    #[arg(long, value_name = "SPEC=WT")]
    pub standard: Option<String>,
    /// Particle diameter (µm) of every phase: corrects the weight fractions for microabsorption
    /// (Brindley), which matters when the phases absorb very differently (Bi₂O₃ beside NiO).
    #[arg(long, value_name = "UM")]
    pub particle_size: Option<f64>,
    /// Diffracted-beam monochromator angle 2θ_m (°) for the polarisation factor.
    #[arg(long, value_name = "DEG")]
    pub monochromator: Option<f64>,
    /// Folder of fit.csv, refinement.json, the refined CIFs and rietveld.svg (a folder per file
    /// when several are refined).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// Refine only the points in this 2θ range (°).
    #[arg(long, num_args = 2, value_names = ["MIN", "MAX"])]
    pub range: Option<Vec<f64>>,
    /// Chebyshev background terms.
    #[arg(long, default_value_t = RefineParams::default().get_background_terms())]
    pub background: usize,
    /// Broad peaks added to the background (an amorphous hump, a sample holder).
    #[arg(long, default_value_t = RefineParams::default().get_humps())]
    pub humps: usize,
    /// The stages, in order, each freeing its parameters on top of the earlier ones
    /// (scale, cells, profile, texture, b: the overall displacement parameters, off by default).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "scale,cells,profile,texture"
    )]
    pub stages: Vec<String>,
    /// At most this many library entries of one SPEC are compared.
    #[arg(long, default_value_t = 8)]
    pub max_candidates: usize,
}

/// One structure a --phase may be: its name, source (library id or file), the phase and the
/// entry it was read from (written back with the refined cell).
struct Candidate {
    name: String,
    source: String,
    phase: Phase,
    entry: Entry,
}

/// One phase as named on the command line: the structures it may be.
struct Spec {
    text: String,
    candidates: Vec<Candidate>,
}

/// Runs `xrd refine`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let mut stages = Vec::new();
    for s in &args.stages {
        stages.push(
            Stage::from_name(s).ok_or_else(|| {
                format!("unknown stage `{s}` (scale, cells, profile, texture, b)")
            })?,
        );
    }
    let params = RefineParams::new()
        .stages(stages)
        .background_terms(args.background)
        .humps(args.humps)
        .standard(args.save_instrument.is_some())
        .two_theta_range(match args.range.as_deref() {
            Some([a, b]) => Some((*a, *b)),
            _ => None,
        });
    params.check()?;
    let mut instrument = match &args.instrument {
        Some(path) => Instrument::load(path)?,
        None => Instrument::default(),
    };
    if args.monochromator.is_some() {
        instrument.monochromator = args.monochromator;
    }
    instrument.check()?;
    let specs = resolve(&args)?;
    let standard = match &args.standard {
        None => None,
        Some(s) => {
            let (name, wt) = s
                .rsplit_once('=')
                .ok_or_else(|| format!("--standard `{s}`: expected SPEC=WT"))?;
            let wt: f64 = wt
                .trim()
                .parse()
                .map_err(|_| format!("--standard `{s}`: `{wt}` is not a number"))?;
            let index = specs
                .iter()
                .position(|p| p.text == name.trim())
                .ok_or_else(|| {
                    format!("--standard `{s}`: `{name}` is not one of the --phase values")
                })?;
            Some((index, wt))
        }
    };
    let setup = Setup {
        instrument,
        params,
        standard,
        particle_size: args.particle_size,
    };
    let files = input_files(&args.inputs)?;
    let mut table = Table::new([
        "file",
        "phase",
        "name",
        "formula",
        "space_group",
        "weight_fraction",
        "weight_fraction_esd",
        "a",
        "b",
        "c",
        "alpha",
        "beta",
        "gamma",
        "size_nm",
        "strain",
        "source",
        "rwp",
        "gof",
    ]);
    let mut failed = 0;
    let several = files.len() > 1;
    for file in &files {
        let result = (|| -> Result<()> {
            let patterns = xrd_io::read(file)?;
            let count = patterns.len();
            for (k, pattern) in patterns.iter().enumerate() {
                let label = pattern_name(file, k, count);
                let wavelength = wavelength_or(&label, pattern, args.wavelength);
                let (chosen, fit) = refine_one(&label, pattern, wavelength, &specs, &setup)?;
                for (p, ph) in fit.phases.iter().enumerate() {
                    let c = ph.cell;
                    table.push(vec![
                        Cell::text(label.clone()),
                        Cell::integer(p as i64 + 1),
                        Cell::text(ph.name.clone()),
                        Cell::text(ph.formula.clone()),
                        Cell::integer(i64::from(ph.space_group)),
                        Cell::number(ph.weight_fraction, 4),
                        Cell::number(ph.weight_fraction_esd, 4),
                        Cell::number(c[0], 5),
                        Cell::number(c[1], 5),
                        Cell::number(c[2], 5),
                        Cell::number(c[3], 3),
                        Cell::number(c[4], 3),
                        Cell::number(c[5], 3),
                        ph.size_nm.map_or_else(Cell::empty, |s| Cell::number(s, 1)),
                        Cell::number(ph.strain, 5),
                        Cell::text(chosen[p].clone()),
                        Cell::number(fit.rwp, 4),
                        Cell::number(fit.gof, 3),
                    ]);
                }
                for w in &fit.warnings {
                    eprintln!("{label}: warning: {w}");
                }
                if let Some(a) = fit.amorphous {
                    eprintln!("{label}: amorphous or unidentified: {a:.4}");
                }
                if let Some(path) = &args.save_instrument {
                    fit.instrument.save(path)?;
                    eprintln!("{label}: instrument written to {}", path.display());
                }
                if let Some(out) = &args.out {
                    let dir = if several || count > 1 {
                        out.join(label.replace(['/', '\\', '#'], "_"))
                    } else {
                        out.clone()
                    };
                    write_outputs(&dir, &label, &specs, &chosen, &fit)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

/// The candidates of every --phase.
fn resolve(args: &Args) -> Result<Vec<Spec>> {
    let mut library: Option<Library> = None;
    let mut specs = Vec::new();
    for text in &args.phases {
        let path = Path::new(text);
        let entries: Vec<Candidate> = if path.is_file() {
            let lib = Library::from_files(text, &[path.to_path_buf()])?;
            let e = lib
                .entries()
                .first()
                .ok_or_else(|| format!("--phase {text}: no structure read"))?;
            let name = path
                .file_stem()
                .map_or(text.clone(), |s| s.to_string_lossy().into_owned());
            vec![Candidate {
                name: name.clone(),
                source: text.clone(),
                phase: Phase::with_space_group(name, e.structure()?, e.space_group)?,
                entry: e.clone(),
            }]
        } else {
            if library.is_none() {
                library = Some(load_library(args)?);
            }
            let lib = library.as_ref().ok_or("no library")?;
            let found = lib.lookup(text);
            if found.is_empty() {
                return Err(format!(
                    "--phase {text}: no library entry has this id, mineral name or formula \
                     (or give a CIF file)"
                )
                .into());
            }
            // Distinct structures first: one entry per space group and cell (to 0.5 %).
            let mut seen: Vec<(u8, [f64; 3])> = Vec::new();
            let mut out = Vec::new();
            for &i in &found {
                let e = &lib.entries()[i];
                let abc = [e.cell[0], e.cell[1], e.cell[2]];
                if seen.iter().any(|(sg, c)| {
                    *sg == e.space_group
                        && c.iter().zip(&abc).all(|(x, y)| (x - y).abs() < 5e-3 * x)
                }) {
                    continue;
                }
                let Ok(structure) = e.structure() else {
                    continue;
                };
                let Ok(phase) = Phase::with_space_group(e.name(), structure, e.space_group) else {
                    continue;
                };
                seen.push((e.space_group, abc));
                out.push(Candidate {
                    name: e.name().to_string(),
                    source: e.id.clone(),
                    phase,
                    entry: e.clone(),
                });
                if out.len() >= args.max_candidates.max(1) {
                    break;
                }
            }
            if out.is_empty() {
                return Err(
                    format!("--phase {text}: no usable structure among its entries").into(),
                );
            }
            out
        };
        specs.push(Spec {
            text: text.clone(),
            candidates: entries,
        });
    }
    Ok(specs)
}

fn load_library(args: &Args) -> Result<Library> {
    let mut lib = if args.no_builtin {
        None
    } else {
        Some(Library::amcsd()?)
    };
    for dir in &args.library {
        let extra = if dir.is_dir() {
            Library::from_folder(dir)?
        } else {
            Library::from_files(&dir.display().to_string(), std::slice::from_ref(dir))?
        };
        lib = Some(match lib {
            Some(l) => l.merged(extra)?,
            None => extra,
        });
    }
    lib.ok_or_else(|| "no library: --no-builtin needs --library".into())
}

/// Chooses each SPEC's candidate by a short fit (scales, background, cells, zero), then refines
/// the chosen phases with every stage.
/// What every pattern's refinement shares besides its phases.
struct Setup {
    instrument: Instrument,
    params: RefineParams,
    standard: Option<(usize, f64)>,
    particle_size: Option<f64>,
}

fn refine_one(
    label: &str,
    pattern: &Pattern,
    wavelength: Wavelength,
    specs: &[Spec],
    setup: &Setup,
) -> Result<(Vec<String>, Refinement)> {
    let Setup {
        instrument,
        params,
        standard,
        particle_size,
    } = setup;
    let mut choice = vec![0usize; specs.len()];
    let quick = params
        .clone()
        .stages(vec![Stage::ScaleBackground, Stage::CellsZero])
        .max_iterations(15);
    for (s, spec) in specs.iter().enumerate() {
        if spec.candidates.len() < 2 {
            continue;
        }
        let mut tried = Vec::new();
        for c in 0..spec.candidates.len() {
            choice[s] = c;
            let phases = chosen(specs, &choice);
            match Refiner::new(phases)
                .instrument(instrument.clone())
                .params(quick.clone())
                .fit(pattern, wavelength)
            {
                Ok(fit) => tried.push((fit.rwp, c)),
                Err(e) => eprintln!(
                    "{label}: {} ({}) not compared: {e}",
                    spec.candidates[c].name, spec.candidates[c].source
                ),
            }
        }
        tried.sort_by(|a, b| a.0.total_cmp(&b.0));
        let best = tried.first().map_or(0, |t| t.1);
        choice[s] = best;
        let list: Vec<String> = tried
            .iter()
            .map(|(r, c)| {
                let c = &spec.candidates[*c];
                format!(
                    "{} {} (sg {}) Rwp {r:.4}",
                    c.name,
                    c.source,
                    c.phase.space_group()
                )
            })
            .collect();
        eprintln!("{label}: --phase {}: {}", spec.text, list.join(", "));
    }
    let mut refiner = Refiner::new(chosen(specs, &choice))
        .instrument(instrument.clone())
        .params(params.clone());
    if let Some(d) = *particle_size {
        refiner = refiner.particle_size(d);
    }
    if let Some((i, w)) = *standard {
        refiner = refiner.standard(i, w);
    }
    let fit = refiner.fit(pattern, wavelength)?;
    let ids = specs
        .iter()
        .zip(&choice)
        .map(|(s, &c)| s.candidates[c].source.clone())
        .collect();
    Ok((ids, fit))
}

fn chosen(specs: &[Spec], choice: &[usize]) -> Vec<Phase> {
    specs
        .iter()
        .zip(choice)
        .map(|(s, &c)| s.candidates[c].phase.clone())
        .collect()
}

#[derive(Serialize)]
struct Written<'a> {
    file: &'a str,
    sources: &'a [String],
    refinement: &'a Refinement,
}

fn write_outputs(
    dir: &Path,
    label: &str,
    specs: &[Spec],
    chosen_ids: &[String],
    fit: &Refinement,
) -> Result<()> {
    create_dir(dir)?;
    let mut csv = String::from("two_theta,observed,calculated,background,difference");
    for p in &fit.phases {
        csv.push(',');
        csv.push_str(&xrd_cli::output::csv_field(&p.name));
    }
    csv.push('\n');
    for i in 0..fit.two_theta.len() {
        csv.push_str(&format!(
            "{:.5},{},{:.3},{:.3},{:.3}",
            fit.two_theta[i],
            fit.observed[i],
            fit.calculated[i],
            fit.background[i],
            fit.observed[i] - fit.calculated[i]
        ));
        for c in &fit.phase_curves {
            csv.push_str(&format!(",{:.3}", c[i]));
        }
        csv.push('\n');
    }
    xrd_cli::run::write_atomic(&dir.join("fit.csv"), &csv)?;
    let json = serde_json::to_string_pretty(&Written {
        file: label,
        sources: chosen_ids,
        refinement: fit,
    })?;
    xrd_cli::run::write_atomic(&dir.join("refinement.json"), &json)?;
    for (p, ph) in fit.phases.iter().enumerate() {
        let Some(c) = specs[p]
            .candidates
            .iter()
            .find(|c| c.source == chosen_ids[p])
        else {
            continue;
        };
        let name = format!(
            "{}_{}",
            p + 1,
            ph.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        xrd_cli::run::write_atomic(
            &dir.join(format!("{name}.cif")),
            &c.entry.to_cif(Some(ph.cell)),
        )?;
    }
    let plot = RietveldPlot {
        title: format!("{label}: Rwp {:.2} %, GoF {:.2}", 100.0 * fit.rwp, fit.gof),
        two_theta: fit.two_theta.clone(),
        observed: fit.observed.clone(),
        calculated: fit.calculated.clone(),
        ticks: fit
            .phases
            .iter()
            .map(|p| {
                (
                    format!(
                        "{} {:.1} ± {:.1} wt%",
                        p.name,
                        100.0 * p.weight_fraction,
                        100.0 * p.weight_fraction_esd
                    ),
                    p.ticks.iter().map(|t| t.0).collect(),
                )
            })
            .collect(),
    };
    figures::rietveld(&dir.join("rietveld.svg"), &plot)?;
    Ok(())
}
