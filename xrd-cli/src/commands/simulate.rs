//! `xrd simulate`: the powder pattern or peak list of a CIF or POSCAR structure (xrd-sim).

use std::path::PathBuf;

use xrd_cli::output::{Cell, Format, Table};
use xrd_io::{OutputFormat, Wavelength};
use xrd_jobs::{DEFAULT_STEP, DEFAULT_TWO_THETA, Simulate, SimulateOptions};

use super::{Context, Outcome, Result, parse_wavelength};

/// Options of `xrd simulate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without --peaks the profile goes to stdout as xy columns (csv or json \
    with --format) unless --out names a file (.xy, .csv, .json or .npy). Summary lines go to \
    stderr, so `xrd simulate rutile.cif > rutile.xy` gives a clean file."
)]
pub struct Args {
    /// A CIF (first data block) or POSCAR/CONTCAR file, or a built-in library entry by id
    /// (amcsd:8240), mineral name (rutile) or formula (TiO2: its first entry measured at room
    /// conditions).
    #[arg(value_name = "FILE|SPEC")]
    pub structure: String,
    /// Wavelength: an anode (Cu, Mo, Co, Fe, Cr, Ag: Kα1 + Kα2), a line (CuKa1) or Å (default
    /// Cu).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// 2θ range in degrees.
    #[arg(long = "range", num_args = 2, value_names = ["MIN", "MAX"], default_values_t = [DEFAULT_TWO_THETA.0, DEFAULT_TWO_THETA.1])]
    pub two_theta: Vec<f64>,
    /// 2θ step of the profile in degrees.
    #[arg(long, default_value_t = DEFAULT_STEP)]
    pub step: f64,
    /// Full width at half maximum of the peaks in degrees (pseudo-Voigt; default 0.1).
    #[arg(long)]
    pub fwhm: Option<f64>,
    /// Lorentzian fraction η of the pseudo-Voigt peaks (0 Gaussian, 1 Lorentzian; default 0.5).
    #[arg(long)]
    pub eta: Option<f64>,
    /// A refined instrument (`xrd refine --save-instrument`, or a GSAS-II .instprm/.prm): its
    /// Thompson–Cox–Hastings widths (U, V, W, X, Y) instead of --fwhm/--eta, and its
    /// monochromator in the Lorentz–polarisation factor.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fwhm", "eta"])]
    pub instrument: Option<PathBuf>,
    /// pymatgen's XRDCalculator settings: its form-factor table, no Debye–Waller factors (for
    /// comparing with pymatgen; the defaults use the CIF's B/U and Waasmaier–Kirfel factors).
    #[arg(long)]
    pub pymatgen_compatible: bool,
    /// Print the peak list (2θ, d, hkl, multiplicity, intensity scaled to 100) instead.
    #[arg(long)]
    pub peaks: bool,
    /// Write the profile to this file instead of stdout (format from its extension).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The options of the simulation job, from the flags.
fn options(args: &Args) -> SimulateOptions {
    SimulateOptions {
        structure: args.structure.clone(),
        wavelength: args.wavelength,
        two_theta: match args.two_theta.as_slice() {
            [a, b] => (*a, *b),
            _ => DEFAULT_TWO_THETA,
        },
        step: args.step,
        fwhm: args.fwhm,
        eta: args.eta,
        instrument: args.instrument.clone(),
        pymatgen_compatible: args.pymatgen_compatible,
    }
}

/// Runs `xrd simulate`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let options = options(&args);
    let (min, max) = options.two_theta;
    let job = Simulate::new(options).map_err(super::flagged)?;
    let simulated = job.peaks()?;
    let group = simulated.space_group.as_ref().map_or_else(
        || "space group not found".into(),
        |(number, symbol)| format!("space group {number} ({symbol})"),
    );
    eprintln!(
        "{}: {}, {group}, {} peaks in {min}–{max}° at {} Å",
        args.structure,
        simulated.formula,
        simulated.peaks.len(),
        simulated.wavelength.angstrom()
    );
    if args.peaks {
        let mut table = Table::new(["two_theta", "d", "h", "k", "l", "multiplicity", "intensity"]);
        for p in simulated.peaks.peaks() {
            table.push(vec![
                Cell::number(p.two_theta, 4),
                Cell::number(p.d_spacing, 5),
                Cell::integer(p.hkl[0] as i64),
                Cell::integer(p.hkl[1] as i64),
                Cell::integer(p.hkl[2] as i64),
                Cell::integer(i64::from(p.multiplicity)),
                Cell::number(p.intensity, 2),
            ]);
        }
        ctx.print(&table);
        return Ok(Outcome::Done);
    }
    let pattern = job.pattern()?;
    match &args.out {
        Some(path) => {
            let format = OutputFormat::from_path(path).ok_or_else(|| {
                format!(
                    "{}: name the output .xy, .csv, .json or .npy",
                    path.display()
                )
            })?;
            xrd_io::save(path, &[pattern], format)?;
        }
        None => {
            let format = match ctx.format {
                Format::Table => OutputFormat::Xy,
                Format::Csv => OutputFormat::Csv,
                Format::Json => OutputFormat::Json,
            };
            let mut out = std::io::stdout().lock();
            xrd_io::write(&[pattern], format, &mut out)?;
        }
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::Args;

    /// Every option of the simulation job is a flag of `xrd simulate`, every flag an option but
    /// the output's (--peaks, --out), and no flag gives the options other defaults.
    #[test]
    fn every_option_is_a_flag_with_the_options_default() {
        let (ids, fields) =
            flags::and_fields::<Args>("simulate", "simulate", &["peaks", "out"], &[]);
        assert_eq!(ids, fields);
        let args = flags::parse::<Args>(&["simulate", "rutile"]);
        let default = xrd_jobs::SimulateOptions {
            structure: "rutile".into(),
            ..Default::default()
        };
        assert_eq!(super::options(&args), default);
    }
}
