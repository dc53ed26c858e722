//! `xrd simulate`: the powder pattern or peak list of a CIF or POSCAR structure (xrd-sim).

use std::path::PathBuf;

use xrd_cli::output::{Cell, Format, Table};
use xrd_io::{OutputFormat, Wavelength};
use xrd_sim::{PowderParams, Profile, Simulator};

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
    /// Wavelength: an anode (Cu, Mo, Co, Fe, Cr, Ag: Kα1 + Kα2), a line (CuKa1) or Å.
    #[arg(long, value_parser = parse_wavelength, default_value = "Cu")]
    pub wavelength: Wavelength,
    /// 2θ range in degrees.
    #[arg(long, num_args = 2, value_names = ["MIN", "MAX"], default_values_t = [5.0, 90.0])]
    pub range: Vec<f64>,
    /// 2θ step of the profile in degrees.
    #[arg(long, default_value_t = 0.01)]
    pub step: f64,
    /// Full width at half maximum of the peaks in degrees (pseudo-Voigt).
    #[arg(long, default_value_t = 0.1)]
    pub fwhm: f64,
    /// Lorentzian fraction η of the pseudo-Voigt peaks (0 Gaussian, 1 Lorentzian).
    #[arg(long, default_value_t = 0.5)]
    pub eta: f64,
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

/// Runs `xrd simulate`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let (min, max) = (args.range[0], args.range[1]);
    if !(min.is_finite() && max.is_finite() && 0.0 <= min && min < max && max < 180.0) {
        return Err(format!("--range {min} {max}: need 0 ≤ MIN < MAX < 180").into());
    }
    let name = args.structure.clone();
    // The library is loaded only for a name that is not a file.
    let library = if std::path::Path::new(&name).is_file() {
        None
    } else {
        Some(xrd_minerals::Library::amcsd()?)
    };
    let (_, structure) = xrd_minerals::resolve_structure(&name, library.as_ref())
        .map_err(|e| format!("{name}: {e}"))?;
    let w = args.wavelength;
    let instrument = match &args.instrument {
        Some(path) => Some(
            xrd_refine::Instrument::read(path)
                .map_err(|e| format!("--instrument {}: {e}", path.display()))?
                .0,
        ),
        None => None,
    };
    let base = if args.pymatgen_compatible {
        PowderParams::pymatgen(w)
    } else {
        PowderParams::new()
    };
    let mut params = base.radiation(w).two_theta_range(min, max);
    if let Some(i) = &instrument {
        params = params.monochromator(i.monochromator);
    }
    let sim = Simulator::new(params)?;
    let peaks = sim.peaks(&structure).map_err(|e| format!("{name}: {e}"))?;
    let formula = structure.formula();
    let group = structure.space_group(xrd_minerals::SYMPREC).map_or_else(
        |_| "space group not found".into(),
        |g| format!("space group {} ({})", g.number, g.hm_symbol),
    );
    eprintln!(
        "{name}: {formula}, {group}, {} peaks in {min}–{max}° at {} Å",
        peaks.len(),
        w.angstrom()
    );
    if args.peaks {
        let scaled = peaks.scaled(100.0);
        let mut table = Table::new(["two_theta", "d", "h", "k", "l", "multiplicity", "intensity"]);
        for p in scaled.peaks() {
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
    if !(args.step.is_finite() && args.step > 0.0) {
        return Err(format!("--step {}: need a positive step", args.step).into());
    }
    let profile = match &instrument {
        Some(i) => i.profile(),
        None => Profile::pseudo_voigt(args.eta, args.fwhm),
    };
    profile
        .check()
        .map_err(|e| format!("--fwhm/--eta/--instrument: {e}"))?;
    let pattern = xrd_jobs::simulated_pattern(&sim, &peaks, w, (min, max), args.step, &profile)?;
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
