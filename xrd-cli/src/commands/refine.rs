//! `xrd refine`: whole-pattern (Rietveld) refinement of measured patterns (xrd-refine): weight
//! fractions, refined cells, crystallite sizes and strains of the phases named.

use std::path::{Path, PathBuf};

use serde::Serialize;
use xrd_cli::figures::{self, RietveldPlot};
use xrd_cli::output::{Cell, Table};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{
    ChoiceReport, DEFAULT_MAX_CANDIDATES, Library, PhaseSpec, RefineSetup, RefinementRow, RowValue,
    SpecRefinement, named_index, refine_specs,
};
use xrd_refine::{Instrument, RefineParams, Refinement, SummationParams};

mod references;
mod series;

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
    Phases without a usable structure: pawley:SPEC (intensities extracted from the data, \
    positions from the refined cell; no weight fraction), pawley:a,b,c,alpha,beta,gamma,SG \
    (a cell and space group alone), ponkcs:FILE (a phase calibrated by --calibrate). \
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
    #[arg(
        long = "phase",
        value_name = "SPEC",
        required_unless_present = "reference_ids"
    )]
    pub phases: Vec<String>,
    /// A library of measured reference patterns, for phases without a usable structure (clays,
    /// glass): powdR/RockJock's wide CSV (2θ, then one column of counts per reference; gzipped
    /// or not) with its `phase_id,phase_name,rir` table beside it, or a folder of pattern files
    /// (one per reference, named by its id) with such a table.
    #[arg(long, value_name = "LIBRARY", requires = "reference_ids")]
    pub references: Option<PathBuf>,
    /// A reference of --references to fit (repeatable), by its id (QUARTZ,
    /// KAOLINITE_DRY_BRANCH; backgrounds such as BACK_POS are fitted, not quantified): full-
    /// pattern summation, weight fractions from the scales and RIRs.
    #[arg(long = "reference", value_name = "ID", requires = "references")]
    pub reference_ids: Vec<String>,
    /// With --phase and --reference together: the corundum structure (a SPEC as for --phase)
    /// refined on the library's corundum pattern, which puts the references' scale / RIR
    /// beside the structures' weights.
    #[arg(long, value_name = "SPEC", default_value = "corundum")]
    pub rir_bridge: String,
    /// How references are aligned with the pattern: `reference` (a sample shift, then one per
    /// reference), `sample` (one shift) or `none`.
    #[arg(long, default_value = "reference", value_parser = ["reference", "sample", "none"])]
    pub alignment: String,
    /// The largest 2θ shift (°) of a reference against the pattern.
    #[arg(long, value_name = "DEG", default_value_t = SummationParams::default().get_max_shift())]
    pub max_shift: f64,
    /// A further library: a folder of CIF/POSCAR files, or one such file (repeatable).
    #[arg(long, value_name = "DIR")]
    pub library: Vec<PathBuf>,
    /// Look up names only in the --library folders, not the built-in AMCSD.
    #[arg(long)]
    pub no_builtin: bool,
    /// An instrument refined on a standard (--save-instrument), or a GSAS `.prm`/`.iparm` or
    /// GSAS-II `.instprm` instrument parameter file (its wavelength then serves patterns whose
    /// file gives none): its widths, asymmetry and zero are kept, and only the samples' own
    /// broadening and displacement refined.
    #[arg(long, value_name = "FILE")]
    pub instrument: Option<PathBuf>,
    /// The pattern is of a standard: refine every width and asymmetry term of the instrument (no
    /// crystallite size or strain) and write the instrument to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_instrument: Option<PathBuf>,
    /// An internal standard weighed in: SPEC=WT, SPEC one of the --phase (or --reference)
    /// values and WT its weight fraction of the sample (0–1); fractions become absolute and the
    /// rest amorphous.
    #[arg(long, value_name = "SPEC=WT")]
    pub standard: Option<String>,
    /// PONKCS: SPEC=WT, SPEC a pawley: --phase weighed in at WT (0–1) in this mixture; its
    /// intensities, cell and calibrated Z·M are written to NAME.ponkcs.json (in --out, else
    /// here), which `--phase ponkcs:FILE` quantifies elsewhere. Calibrated against --standard
    /// when given, else against the other phases, taken to make up the rest.
    #[arg(long, value_name = "SPEC=WT", conflicts_with = "reference_ids")]
    pub calibrate: Option<String>,
    /// Particle diameter (µm) of every phase: corrects the weight fractions for microabsorption
    /// (Brindley), which matters when the phases absorb very differently (Bi₂O₃ beside NiO);
    /// the uncorrected fractions are reported beside. Without it, no correction (the pattern
    /// cannot tell the particle size), and a warning when 3 µm particles would move a fraction
    /// by more than 2 points.
    #[arg(long, value_name = "UM")]
    pub particle_size: Option<f64>,
    /// Diffracted-beam monochromator angle 2θ_m (°) for the polarisation factor.
    #[arg(long, value_name = "DEG")]
    pub monochromator: Option<f64>,
    /// Polarisation fraction P of the incident beam (GSAS-II's convention: 0.5 unpolarised, about
    /// 0.99 for a synchrotron beam scattered in the vertical plane).
    #[arg(long, value_name = "P")]
    pub polarisation: Option<f64>,
    /// Debye–Scherrer capillary in transmission: the sample's μR, for the cylinder's absorption
    /// across 2θ.
    #[arg(long, value_name = "MU_R")]
    pub capillary: Option<f64>,
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
    /// Chebyshev background terms (default 6 with --phase; 4 with --reference, whose measured
    /// patterns carry their own backgrounds).
    #[arg(long, value_name = "N")]
    pub background: Option<usize>,
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
    /// At most this many library entries of one SPEC are compared, best references first (`xrd
    /// library show SPEC` lists them); the first is kept unless another fits clearly better.
    #[arg(long, default_value_t = DEFAULT_MAX_CANDIDATES)]
    pub max_candidates: usize,
    /// Refine the files as one series (in-situ, operando): in the natural order of their names
    /// (or --order), each frame from the previous frame's result; rows stream to
    /// OUT/series.csv as frames finish, then series.svg and waterfall.svg. Needs --out.
    #[arg(long, requires = "out", conflicts_with_all = ["reference_ids", "calibrate", "save_instrument"])]
    pub sequential: bool,
    /// With --sequential: a CSV with a `file` column (names or paths of the files given) in
    /// the series' order and an order value (temperature, time) in the next column.
    #[arg(long, value_name = "FILE.csv", requires = "sequential")]
    pub order: Option<PathBuf>,
    /// With --sequential: go on from where an interrupted run in --out stopped
    /// (series.jsonl and series.state.json there).
    #[arg(long, requires = "sequential")]
    pub resume: bool,
    /// With --sequential: refine the frames in reverse order too, from a cold start at the
    /// last frame, and flag values that depend on the direction (path-dependent).
    #[arg(long, requires = "sequential")]
    pub backward: bool,
    /// With --sequential: PHASE:PARAMETER=DEGREE (CuO:a=2; a, b, c, alpha, beta, gamma or B):
    /// the parameter as a polynomial of the order value fitted over all frames (repeatable).
    #[arg(long, value_name = "PHASE:PARAM=DEG", requires = "sequential")]
    pub parametric: Vec<String>,
}

/// The options `xrd refine` shares with `xrd.refine`, as given.
pub(super) fn options(args: &Args) -> xrd_minerals::RefineOptions {
    xrd_minerals::RefineOptions {
        stages: args.stages.clone(),
        background_terms: args.background,
        humps: Some(args.humps),
        two_theta_range: match args.range.as_deref() {
            Some([a, b]) => Some((*a, *b)),
            _ => None,
        },
        instrument_standard: args.save_instrument.is_some(),
        alignment: Some(args.alignment.clone()),
        max_shift: Some(args.max_shift),
    }
}

/// Runs `xrd refine`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    if args.phases.is_empty() {
        return references::run(&args, ctx);
    }
    let params = options(&args).refine_params()?;
    let (mut instrument, instrument_wavelength) = load_instrument(args.instrument.as_deref())?;
    if args.monochromator.is_some() {
        instrument.monochromator = args.monochromator;
    }
    if args.polarisation.is_some() {
        instrument.polarisation = args.polarisation;
    }
    if args.capillary.is_some() {
        instrument.capillary_mu_r = args.capillary;
    }
    instrument.check()?;
    // A GSAS instrument file's wavelength serves the patterns whose file and --wavelength give
    // none (xrd_minerals::measured_wavelength).
    let mut args = args;
    args.wavelength =
        xrd_minerals::measured_wavelength(None, args.wavelength, instrument_wavelength);
    let args = args;
    let (specs, bridge) = resolve(&args)?;
    // Measured references beside the structures, and the corundum that bridges their scales.
    let mixed = match bridge {
        None => None,
        Some(bridge) => {
            let (library, refs) = references::load(&args)?;
            let corundum = library.corundum().ok_or(
                "structures and references in one fit need the library's corundum pattern (id \
                 or name `corundum`): it puts the references' scale / RIR beside the structures' \
                 weights",
            )?;
            Some((refs, corundum.clone(), bridge))
        }
    };
    let standard = match &args.standard {
        None => None,
        Some(s) => {
            let (name, wt) = parse_spec_weight("--standard", s)?;
            let refs = mixed.as_ref().map_or(&[][..], |m| m.0.as_slice());
            let index = named_index(name, &specs, refs).ok_or_else(|| {
                format!(
                    "--standard `{s}`: `{name}` is not one of the --phase (or --reference) values"
                )
            })?;
            Some((index, wt))
        }
    };
    let calibrate = match &args.calibrate {
        None => None,
        Some(s) => {
            let (name, wt) = parse_spec_weight("--calibrate", s)?;
            let index = named_index(name, &specs, &[]).ok_or_else(|| {
                format!("--calibrate `{s}`: `{name}` is not one of the --phase values")
            })?;
            Some((index, wt))
        }
    };
    let mut setup = RefineSetup {
        instrument,
        params,
        standard,
        particle_size: args.particle_size,
        references: None,
    };
    let files = input_files(&args.inputs)?;
    if args.sequential {
        return series::run(&args, ctx, files, &specs, &setup);
    }
    let mut table = Table::new(RefinementRow::COLUMNS);
    let failed = each_pattern(&args, &files, |label, pattern, dir| {
        let label = label.to_string();
        let wavelength = wavelength_or(&label, pattern, args.wavelength);
        if let Some((refs, corundum, bridge)) = &mixed {
            setup.references = Some(xrd_minerals::bridged_references(
                refs.clone(),
                bridge.clone(),
                corundum,
                wavelength,
                &setup.instrument,
                Some(args.max_shift),
            )?);
        }
        let (choices, refined) = refine_one(&label, pattern, wavelength, &specs, &setup)?;
        let fit = &refined.refinement;
        for row in refined.rows(&specs, &label) {
            table.push(row.values().into_iter().map(cell).collect());
        }
        for w in &fit.warnings {
            eprintln!("{label}: warning: {w}");
        }
        if let Some(a) = fit.amorphous {
            eprintln!("{label}: amorphous or unidentified: {a:.4}");
        }
        if let Some((index, wt)) = calibrate {
            let cal = refined.calibrate(&specs, &setup, index, wt, &label)?;
            let name = format!(
                "{}.ponkcs.json",
                cal.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            let path = match &args.out {
                Some(out) => {
                    create_dir(out)?;
                    out.join(name)
                }
                None => PathBuf::from(name),
            };
            cal.save(&path)?;
            eprintln!(
                "{label}: {} calibrated (Z·M {:.2} g/mol), written to {}",
                cal.name,
                cal.zm,
                path.display()
            );
        }
        if let Some(path) = &args.save_instrument {
            fit.instrument.save(path)?;
            eprintln!("{label}: instrument written to {}", path.display());
        }
        if let Some(dir) = dir {
            write_outputs(&dir, &label, &specs, &choices, fit)?;
        }
        Ok(())
    });
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

/// A row's value as a table cell, at the row's precision.
pub(super) fn cell(v: RowValue) -> Cell {
    match v {
        RowValue::Text(t) => Cell::text(t),
        RowValue::Integer(n) => Cell::integer(n),
        RowValue::Number { value, decimals } => Cell::number(value, decimals),
        RowValue::Empty => Cell::empty(),
    }
}

/// The instrument of `--instrument`: our JSON (`--save-instrument`), or a GSAS `.prm`/`.iparm`
/// or GSAS-II `.instprm` file with its wavelength (the terms our profile cannot hold said on
/// stderr).
fn load_instrument(path: Option<&Path>) -> Result<(Instrument, Option<Wavelength>)> {
    let Some(path) = path else {
        return Ok((Instrument::default(), None));
    };
    let (instrument, wavelength, dropped) = Instrument::read(path)?;
    if !dropped.is_empty() {
        eprintln!(
            "{}: not carried by our profile: {}",
            path.display(),
            dropped.join(", ")
        );
    }
    Ok((instrument, wavelength))
}

/// The curves every fit.csv holds.
pub(super) struct FitColumns<'a> {
    pub two_theta: &'a [f64],
    pub observed: &'a [f64],
    pub calculated: &'a [f64],
    pub background: &'a [f64],
}

/// Writes `dir/fit.csv`: 2θ, observed, calculated, background, difference, then each named
/// curve.
pub(super) fn write_fit_csv(
    dir: &Path,
    fit: &FitColumns<'_>,
    names: &[&str],
    curves: &[&[f64]],
) -> Result<()> {
    let mut csv = String::from("two_theta,observed,calculated,background,difference");
    for name in names {
        csv.push(',');
        csv.push_str(&xrd_cli::output::csv_field(name));
    }
    csv.push('\n');
    let difference = xrd_minerals::difference(fit.observed, fit.calculated);
    for i in 0..fit.two_theta.len() {
        csv.push_str(&format!(
            "{:.5},{},{:.3},{:.3},{:.3}",
            fit.two_theta[i], fit.observed[i], fit.calculated[i], fit.background[i], difference[i]
        ));
        for c in curves {
            csv.push_str(&format!(",{:.3}", c[i]));
        }
        csv.push('\n');
    }
    xrd_cli::run::write_atomic(&dir.join("fit.csv"), &csv)?;
    Ok(())
}

/// Runs `each` on every pattern of every input file with its label and, with --out, its output
/// folder (one per pattern when there are several); a file that fails is named on stderr and
/// counted.
pub(super) fn each_pattern(
    args: &Args,
    files: &[PathBuf],
    mut each: impl FnMut(&str, &Pattern, Option<PathBuf>) -> Result<()>,
) -> usize {
    let mut failed = 0;
    let several = files.len() > 1;
    for file in files {
        let mut result = || -> Result<()> {
            let patterns = xrd_io::read(file)?;
            let count = patterns.len();
            for (k, pattern) in patterns.iter().enumerate() {
                let label = pattern_name(file, k, count);
                let dir = args.out.as_ref().map(|out| {
                    if several || count > 1 {
                        out.join(label.replace(['/', '\\', '#'], "_"))
                    } else {
                        out.clone()
                    }
                });
                each(&label, pattern, dir)?;
            }
            Ok(())
        };
        if let Err(e) = result() {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    failed
}

/// The SPEC and weight fraction of `FLAG SPEC=WT` (`--standard`, `--calibrate`).
pub(super) fn parse_spec_weight<'a>(flag: &str, s: &'a str) -> Result<(&'a str, f64)> {
    let (name, wt) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{flag} `{s}`: expected SPEC=WT"))?;
    let wt: f64 = wt
        .trim()
        .parse()
        .map_err(|_| format!("{flag} `{s}`: `{wt}` is not a number"))?;
    Ok((name.trim(), wt))
}

/// With --reference, the --rir-bridge structure too (its first entry), from the same library.
fn resolve(args: &Args) -> Result<(Vec<PhaseSpec>, Option<xrd_refine::Phase>)> {
    let bridge = (!args.reference_ids.is_empty()).then_some(args.rir_bridge.as_str());
    let library = if args
        .phases
        .iter()
        .map(String::as_str)
        .chain(bridge)
        .all(PhaseSpec::is_file)
    {
        None
    } else {
        if args.no_builtin && args.library.is_empty() {
            return Err("no library: --no-builtin needs --library".into());
        }
        // Only the entries the names need are read from the built-in library.
        let names: Vec<&str> = args
            .phases
            .iter()
            .map(String::as_str)
            .chain(bridge)
            .map(|t| t.strip_prefix(xrd_minerals::PAWLEY_PREFIX).unwrap_or(t))
            .collect();
        Some(Library::assemble_named(
            !args.no_builtin,
            &args.library,
            &names,
        )?)
    };
    let mut specs = Vec::new();
    for text in &args.phases {
        specs.push(
            PhaseSpec::resolve(text, library.as_ref(), args.max_candidates)
                .map_err(|e| format!("--phase {text}: {e}"))?,
        );
    }
    let bridge = match bridge {
        Some(text) => Some(
            PhaseSpec::resolve(text, library.as_ref(), 1)
                .map_err(|e| format!("--rir-bridge {text}: {e}"))?
                .candidates[0]
                .phase
                .clone(),
        ),
        None => None,
    };
    Ok((specs, bridge))
}

/// Refines `pattern` with the specs (each SPEC's structures compared by a short fit first), the
/// comparison said on stderr.
fn refine_one(
    label: &str,
    pattern: &Pattern,
    wavelength: Wavelength,
    specs: &[PhaseSpec],
    setup: &RefineSetup,
) -> Result<(Vec<ChoiceReport>, SpecRefinement)> {
    let fit = refine_specs(pattern, wavelength, specs, setup)?;
    for (spec, compared) in specs.iter().zip(&fit.compared) {
        let mut list = Vec::new();
        for t in compared {
            let c = &spec.candidates[t.candidate];
            match &t.rwp {
                Ok(r) => list.push(format!(
                    "{} {} (sg {}) Rwp {r:.4}",
                    c.name,
                    c.source,
                    c.phase.space_group()
                )),
                Err(e) => eprintln!("{label}: {} ({}) not compared: {e}", c.name, c.source),
            }
        }
        if !compared.is_empty() {
            eprintln!("{label}: --phase {}: {}", spec.text, list.join(", "));
        }
    }
    let choices = fit.choices(specs);
    for c in &choices {
        if let Some(j) = &c.judgement {
            eprintln!(
                "{label}: --phase {} is {}: {}; {}",
                c.spec, c.source, c.reason, j
            );
        }
    }
    Ok((choices, fit))
}

#[derive(Serialize)]
struct Written<'a> {
    file: &'a str,
    sources: &'a [String],
    /// Which structure each --phase resolved to, and why.
    choices: &'a [ChoiceReport],
    refinement: &'a Refinement,
}

fn write_outputs(
    dir: &Path,
    label: &str,
    specs: &[PhaseSpec],
    choices: &[ChoiceReport],
    fit: &Refinement,
) -> Result<()> {
    let chosen_ids: Vec<String> = choices.iter().map(|c| c.source.clone()).collect();
    let chosen_ids = chosen_ids.as_slice();
    create_dir(dir)?;
    let names: Vec<&str> = fit
        .phases
        .iter()
        .map(|p| p.name.as_str())
        .chain(fit.references.iter().map(|r| r.id.as_str()))
        .collect();
    let curves: Vec<&[f64]> = fit
        .phase_curves
        .iter()
        .chain(&fit.reference_curves)
        .map(Vec::as_slice)
        .collect();
    let columns = FitColumns {
        two_theta: &fit.two_theta,
        observed: &fit.observed,
        calculated: &fit.calculated,
        background: &fit.background,
    };
    write_fit_csv(dir, &columns, &names, &curves)?;
    let json = serde_json::to_string_pretty(&Written {
        file: label,
        sources: chosen_ids,
        choices,
        refinement: fit,
    })?;
    xrd_cli::run::write_atomic(&dir.join("refinement.json"), &json)?;
    for (p, ph) in fit.phases.iter().enumerate() {
        // A phase known by its cell alone has no sites to write.
        let Some(c) = specs[p]
            .candidates
            .iter()
            .find(|c| c.source == chosen_ids[p] && !c.entry.sites.is_empty())
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
        curves: fit
            .references
            .iter()
            .zip(&fit.reference_curves)
            .filter(|(r, _)| !r.background)
            .map(|(r, c)| {
                let label = format!(
                    "{} {:.1} ± {:.1} wt%",
                    r.id,
                    100.0 * r.weight_fraction,
                    100.0 * r.weight_fraction_esd
                );
                (
                    label,
                    c.iter().zip(&fit.background).map(|(v, b)| v + b).collect(),
                )
            })
            .collect(),
    };
    figures::rietveld(&dir.join("rietveld.svg"), &plot)?;
    Ok(())
}
