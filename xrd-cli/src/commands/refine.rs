//! `xrd refine`: whole-pattern (Rietveld) refinement of measured patterns (xrd-refine): weight
//! fractions, refined cells, crystallite sizes and strains of the phases named.

use std::path::{Path, PathBuf};

use xrd_cli::figures::{self, RietveldPlot};
use xrd_cli::output::{Cell, Table};
use xrd_io::{Pattern, Wavelength};
use xrd_jobs::{Control, Refine, RefineOptions, RefineOutput, Refined, RowValue, Weighed};
use xrd_minerals::DEFAULT_MAX_CANDIDATES;
use xrd_refine::{RefineParams, SummationParams};

mod joint;
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
    /// Pattern files or folders (searched one level deep); `FILE#k` is pattern k (from 1) of a file of several; each is refined with the same phases.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// A phase to refine (repeatable): library id, mineral name, formula or CIF/POSCAR path.
    #[arg(
        long = "phase",
        value_name = "SPEC",
        required_unless_present = "references"
    )]
    pub phases: Vec<String>,
    /// A library of measured reference patterns, for phases without a usable structure (clays,
    /// glass): powdR/RockJock's wide CSV (2θ, then one column of counts per reference; gzipped
    /// or not) with its `phase_id,phase_name,rir` table beside it, or a folder of pattern files
    /// (one per reference, named by its id) with such a table.
    #[arg(long = "references", value_name = "LIBRARY", requires = "references")]
    pub reference_library: Option<PathBuf>,
    /// A reference of --references to fit (repeatable), by its id (QUARTZ,
    /// KAOLINITE_DRY_BRANCH; backgrounds such as BACK_POS are fitted, not quantified): full-
    /// pattern summation, weight fractions from the scales and RIRs.
    #[arg(long = "reference", value_name = "ID", requires = "reference_library")]
    pub references: Vec<String>,
    /// With --phase and --reference together: the corundum structure (a SPEC as for --phase)
    /// refined on the library's corundum pattern, which puts the references' scale / RIR
    /// beside the structures' weights.
    #[arg(long, value_name = "SPEC", default_value = xrd_jobs::DEFAULT_RIR_BRIDGE)]
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
    #[arg(long = "no-builtin", action = clap::ArgAction::SetFalse)]
    pub builtin: bool,
    /// An instrument refined on a standard (--save-instrument), or a GSAS `.prm`/`.iparm` or
    /// GSAS-II `.instprm` instrument parameter file (its wavelength then serves patterns whose
    /// file gives none): its widths, asymmetry and zero are kept, and only the samples' own
    /// broadening and displacement refined. With --joint: one per pattern, in the patterns'
    /// order (X-ray or neutron), or one for all.
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append)]
    pub instrument: Vec<PathBuf>,
    /// The pattern is of a standard: refine every width and asymmetry term of the instrument (no
    /// crystallite size or strain) and write the instrument to FILE.
    #[arg(long, value_name = "FILE")]
    pub save_instrument: Option<PathBuf>,
    /// An internal standard weighed in: SPEC=WT, SPEC one of the --phase (or --reference)
    /// values and WT its weight fraction of the sample (0–1); fractions become absolute and the
    /// rest amorphous.
    #[arg(long, value_name = "SPEC=WT")]
    pub standard: Option<Weighed>,
    /// PONKCS: SPEC=WT, SPEC a pawley: --phase weighed in at WT (0–1) in this mixture; its
    /// intensities, cell and calibrated Z·M are written to NAME.ponkcs.json (in --out, else
    /// here), which `--phase ponkcs:FILE` quantifies elsewhere. Calibrated against --standard
    /// when given, else against the other phases, taken to make up the rest.
    #[arg(long, value_name = "SPEC=WT", conflicts_with = "references")]
    pub calibrate: Option<Weighed>,
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
    /// How the specimen sits in the beam, which decides how its offset shifts the peaks:
    /// `bragg_brentano` (a flat plate in reflection: one displacement, × cos θ) or
    /// `debye_scherrer` (a cylinder in transmission: offsets across and along the beam, × cos 2θ
    /// and sin 2θ). Default the instrument file's: Debye–Scherrer for a GSAS neutron file or
    /// with --capillary, else Bragg–Brentano. With --joint: one per pattern, or one for all.
    #[arg(long, value_name = "GEOMETRY", action = clap::ArgAction::Append)]
    pub geometry: Vec<String>,
    /// Folder of fit.csv, refinement.json, the refined CIFs and rietveld.svg (a folder per file
    /// when several are refined).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// Refine only the points in this 2θ range (°). With --joint: one per pattern, in the
    /// patterns' order, or one for all.
    #[arg(long = "range", num_args = 2, value_names = ["MIN", "MAX"], action = clap::ArgAction::Append)]
    pub two_theta_range: Vec<f64>,
    /// Leave the points of this 2θ region (°) out of the fit: a sample holder's line, a
    /// detector gap (repeatable).
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], action = clap::ArgAction::Append)]
    pub exclude: Vec<f64>,
    /// Hold a parameter at its start whatever the stages free, by id: `Calcite.size`,
    /// `Calcite.cell.A=B`, `instrument.zero`, `background.3` (repeatable; the ids are the
    /// `id` column of refinement.json's parameters).
    #[arg(long, value_name = "ID")]
    pub fix: Vec<String>,
    /// Refine a parameter in the last stage beside what the stages free, by id (`Calcite.B`;
    /// repeatable).
    #[arg(long, value_name = "ID")]
    pub free: Vec<String>,
    /// Chebyshev background terms (default 6 with --phase; 4 with --reference, whose measured
    /// patterns carry their own backgrounds).
    #[arg(long, value_name = "N")]
    pub background: Option<usize>,
    /// Broad peaks added to the background (an amorphous hump, a sample holder).
    #[arg(long, default_value_t = RefineParams::default().get_humps())]
    pub humps: usize,
    /// The stages, in order, each freeing its parameters on top of the earlier ones
    /// (scale, cells, profile, texture, b: the overall displacement parameters, off by default;
    /// atoms: the structure, see --refine-atoms).
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
    #[arg(long, requires = "out", conflicts_with_all = ["references", "calibrate", "save_instrument"])]
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
    /// With --sequential and no --humps: try a broad background peak on the first frame, and give
    /// every frame one when the first frame's fit with it is significantly better and 2 % lower
    /// in Rwp (`--background-hump false`: never).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub background_hump: bool,
    /// The site parameters the atoms stage refines: xyz (each site's coordinates its site
    /// symmetry leaves free), U (isotropic displacement), uij (anisotropic displacements under
    /// the site symmetry, in place of U), occ (occupancy); comma-separated.
    #[arg(long = "refine-atoms", value_delimiter = ',', default_value = "xyz,U")]
    pub atoms: Vec<String>,
    /// Hold a bond of a refined structure near a target as a soft constraint: PHASE:A-B=Å/σ
    /// (a distance to the nearest image of B) or PHASE:A-C-B=°/σ (an angle at C); repeatable.
    #[arg(long = "restrain", value_name = "PHASE:A-B=T/SIGMA")]
    pub restraints: Vec<String>,
    /// Offer each structure phase a spherical-harmonic texture up to this even order (2–8,
    /// GSAS-II's cylindrical sample symmetry): the texture stage keeps it where it lowers Rwp
    /// by more than March–Dollase does, with every reflection's weight positive (0: none).
    #[arg(long = "texture-harmonics", value_name = "ORDER", default_value_t = 0)]
    pub texture_harmonics: u8,
    /// Refine the files together as patterns of one sample (X-ray and neutron, two banks, two
    /// wavelengths): one structure per phase (a CIF file or library id), each pattern with its
    /// own scale, background, profile, zero and cell; one --instrument, --range and --geometry
    /// per pattern, in order (or one for all). Plan: scale, cells, profile alone, then atoms
    /// together. With --out: refinement.json (histograms, each pattern's Rwp; the sites), the
    /// refined CIF, and per pattern fit_N.csv and rietveld_N.svg.
    #[arg(long, conflicts_with_all = ["sequential", "references", "calibrate", "save_instrument", "standard"])]
    pub joint: bool,
    /// With --sequential: PHASE:PARAMETER=DEGREE (CuO:a=2; a, b, c, alpha, beta, gamma or B):
    /// the parameter as a polynomial of the order value fitted over all frames (repeatable).
    #[arg(long, value_name = "PHASE:PARAM=DEG", requires = "sequential")]
    pub parametric: Vec<String>,
}

/// The options of the refinement job, from the flags.
pub(super) fn options(args: &Args) -> RefineOptions {
    RefineOptions {
        phases: args.phases.clone(),
        library: args.library.clone(),
        builtin: args.builtin,
        references: args.references.clone(),
        reference_library: args.reference_library.clone(),
        rir_bridge: args.rir_bridge.clone(),
        alignment: args.alignment.clone(),
        max_shift: args.max_shift,
        instrument: args.instrument.first().cloned(),
        save_instrument: args.save_instrument.clone(),
        standard: args.standard.clone(),
        calibrate: args.calibrate.clone(),
        particle_size: args.particle_size,
        monochromator: args.monochromator,
        polarisation: args.polarisation,
        capillary: args.capillary,
        geometry: args.geometry.first().cloned(),
        wavelength: args.wavelength,
        two_theta_range: range(args),
        exclude: excluded(args),
        fix: args.fix.clone(),
        free: args.free.clone(),
        background: args.background,
        humps: args.humps,
        stages: args.stages.clone(),
        max_candidates: args.max_candidates,
        atoms: args.atoms.clone(),
        restraints: args.restraints.clone(),
        texture_harmonics: args.texture_harmonics,
    }
}

/// The `--exclude FROM TO` regions (clap gives the values of every occurrence in one list,
/// two at a time).
fn excluded(args: &Args) -> Vec<(f64, f64)> {
    args.exclude.chunks_exact(2).map(|r| (r[0], r[1])).collect()
}

/// Every `--range MIN MAX`, in order.
fn ranges(args: &Args) -> Vec<(f64, f64)> {
    args.two_theta_range
        .chunks_exact(2)
        .map(|r| (r[0], r[1]))
        .collect()
}

/// `--range MIN MAX` (the first: one pattern at a time has one range).
fn range(args: &Args) -> Option<(f64, f64)> {
    ranges(args).first().copied()
}

/// Says on stderr which terms of the `--instrument` file our profile does not carry.
pub(super) fn say_dropped(args: &Args, dropped: &[String]) {
    if let (Some(path), false) = (args.instrument.first(), dropped.is_empty()) {
        eprintln!(
            "{}: not carried by our profile: {}",
            path.display(),
            dropped.join(", ")
        );
    }
}

/// Runs `xrd refine`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    if args.joint {
        return joint::run(&args, ctx);
    }
    for (flag, n) in [
        ("--instrument", args.instrument.len()),
        ("--range", args.two_theta_range.len() / 2),
        ("--geometry", args.geometry.len()),
    ] {
        if n > 1 {
            return Err(format!(
                "{flag} given {n} times: one pattern at a time takes one (several are for \
                 --joint)"
            )
            .into());
        }
    }
    if args.sequential {
        return series::run(&args, ctx);
    }
    let job = Refine::new(options(&args)).map_err(super::flagged)?;
    say_dropped(&args, job.dropped_instrument_terms());
    let files = input_files(&args.inputs)?;
    let control = super::interruptible();
    let mut table = Table::new(job.columns().iter().copied());
    let failed = each_pattern(&args, &files, &control, |label, pattern, dir| {
        // A refinement's wavelength, as the job picks it, said when assumed (a summation needs
        // none: its references are patterns measured alike).
        if !job.specs().is_empty() {
            wavelength_or(label, pattern, job.wavelength());
        }
        let refined = match job.run(label, pattern, &control)? {
            RefineOutput::Refinement(r) => *r,
            RefineOutput::Summation(s) => {
                for row in &s.rows {
                    table.push(row.values().into_iter().map(cell).collect());
                }
                for w in &s.quantification.warnings {
                    eprintln!("{label}: warning: {w}");
                }
                if let Some(dir) = dir {
                    references::write_outputs(&dir, label, &s)?;
                }
                return Ok(());
            }
        };
        say_choices(label, &refined);
        let fit = &refined.refinement;
        for row in &refined.rows {
            table.push(row.values().into_iter().map(cell).collect());
        }
        for w in &fit.warnings {
            eprintln!("{label}: warning: {w}");
        }
        // A refined structure's sites, as the CIF has them (the rows keep one schema).
        for ph in fit.phases.iter().filter(|p| !p.sites.is_empty()) {
            let v = xrd_refine::cif_value;
            eprintln!(
                "{label}: {} sites (x, y, z, U, occupancy; R_Bragg {:.4}):",
                ph.name,
                ph.r_bragg.unwrap_or(f64::NAN)
            );
            for s in &ph.sites {
                eprintln!(
                    "  {:6} {:2} {} {} {} {} {}",
                    s.label,
                    s.element,
                    v(s.xyz[0], s.xyz_esd[0]),
                    v(s.xyz[1], s.xyz_esd[1]),
                    v(s.xyz[2], s.xyz_esd[2]),
                    v(s.u, s.u_esd),
                    v(s.occupancy, s.occupancy_esd)
                );
            }
        }
        for r in &fit.restraints {
            eprintln!(
                "{label}: restraint {}: {:.4} ({:+.1} σ)",
                r.restraint, r.value, r.deviation
            );
        }
        if let Some(a) = fit.amorphous {
            eprintln!("{label}: amorphous or unidentified: {a:.4}");
        }
        if let Some(cal) = &refined.calibration {
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
        if let Some(path) = &refined.instrument_saved {
            eprintln!("{label}: instrument written to {}", path.display());
        }
        if let Some(dir) = dir {
            write_outputs(&dir, label, &refined)?;
        }
        Ok(())
    });
    ctx.print(&table);
    // The patterns refined before a Ctrl-C are printed; the command then says it stopped.
    control.check().map_err(|_| "cancelled")?;
    Ok(Outcome::skipping(failed))
}

/// A row's value as a table cell, at its quantity's precision.
pub(crate) fn cell(v: RowValue) -> Cell {
    match v {
        RowValue::Text(t) => Cell::text(t),
        RowValue::Integer(n) => Cell::integer(n),
        RowValue::Number { value, quantity } => Cell::number(value, quantity.decimals()),
        RowValue::Empty => Cell::empty(),
    }
}

/// Runs `each` on every pattern of every input file with its label and, with --out, its output
/// folder (one per pattern when there are several); a file that fails is named on stderr and
/// counted. Stops when `control` is cancelled.
pub(super) fn each_pattern(
    args: &Args,
    files: &[PathBuf],
    control: &Control,
    mut each: impl FnMut(&str, &Pattern, Option<PathBuf>) -> Result<()>,
) -> usize {
    let mut failed = 0;
    let several = files.len() > 1;
    for file in files {
        if control.is_cancelled() {
            break;
        }
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
        if let Err(e) = result()
            && !control.is_cancelled()
        {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    failed
}

/// Says on stderr how each spec's structures compared and which was kept, and why.
fn say_choices(label: &str, refined: &Refined) {
    for compared in &refined.compared {
        let mut list = Vec::new();
        for t in &compared.tried {
            match (&t.rwp, &t.error) {
                (Some(r), _) => list.push(format!(
                    "{} {} (sg {}) Rwp {r:.4}",
                    t.name, t.source, t.space_group
                )),
                (None, e) => eprintln!(
                    "{label}: {} ({}) not compared: {}",
                    t.name,
                    t.source,
                    e.as_deref().unwrap_or("")
                ),
            }
        }
        if !compared.tried.is_empty() {
            eprintln!("{label}: --phase {}: {}", compared.spec, list.join(", "));
        }
    }
    for c in &refined.choices {
        if let Some(j) = &c.judgement {
            eprintln!(
                "{label}: --phase {} is {}: {}; {}",
                c.spec, c.source, c.reason, j
            );
        }
    }
}

fn write_outputs(dir: &Path, label: &str, refined: &Refined) -> Result<()> {
    let fit = &refined.refinement;
    create_dir(dir)?;
    xrd_cli::run::write_atomic(&dir.join("fit.csv"), &refined.fit_csv())?;
    xrd_cli::run::write_atomic(&dir.join("refinement.json"), &refined.refinement_json()?)?;
    for cif in &refined.cifs {
        xrd_cli::run::write_atomic(&dir.join(&cif.file_name), &cif.text)?;
    }
    let plot = RietveldPlot::of_refinement(label, fit);
    figures::rietveld(&dir.join("rietveld.svg"), &plot)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::Args as _;

    use super::Args;

    /// The ids of `xrd refine`'s arguments.
    fn ids() -> BTreeSet<String> {
        Args::augment_args(clap::Command::new("refine"))
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| id != "help")
            .collect()
    }

    fn fields(job: &str) -> BTreeSet<String> {
        xrd_jobs::option_fields(job)
            .unwrap_or_else(|| panic!("no job {job}"))
            .into_iter()
            .collect()
    }

    /// Every option of the refinement and the series jobs is a flag of `xrd refine`, and every
    /// flag is an option of one of them, but the inputs, --out and --sequential.
    #[test]
    fn every_option_is_a_flag_and_every_flag_an_option() {
        let ids = ids();
        let refine = fields("refine");
        let series = fields("series");
        for f in refine.iter().chain(&series) {
            assert!(ids.contains(f), "option {f} has no flag of xrd refine");
        }
        let own: BTreeSet<String> = ["inputs", "out", "sequential", "joint"]
            .iter()
            .map(ToString::to_string)
            .collect();
        for id in &ids {
            assert!(
                refine.contains(id) || series.contains(id) || own.contains(id),
                "flag {id} is no job's option"
            );
        }
    }

    /// The flags' defaults are the options' defaults: parsing no flag gives the default
    /// options.
    #[test]
    fn the_flags_defaults_are_the_options() {
        let m = Args::augment_args(clap::Command::new("refine"))
            .try_get_matches_from(["refine", "--phase", "anatase", "a.xy"])
            .unwrap_or_else(|e| panic!("{e}"));
        let args =
            <Args as clap::FromArgMatches>::from_arg_matches(&m).unwrap_or_else(|e| panic!("{e}"));
        let o = super::options(&args);
        let default = xrd_jobs::RefineOptions {
            phases: vec!["anatase".into()],
            ..Default::default()
        };
        assert_eq!(o, default);
        let s = super::series::options(&args);
        let default = xrd_jobs::SeriesOptions {
            phases: vec!["anatase".into()],
            ..Default::default()
        };
        assert_eq!(s, default);
    }
}
