//! Simulate a powder pattern from a CIF.
//!
//! ```text
//! cargo run --release -p xrd-sim --example simulate -- FILE.cif --wavelength 1.5406 --range 10 90 \
//!     [--step 0.01] [--fwhm 0.05] [--peaks] [--pymatgen-compatible]
//! ```
//! stdout: the pattern as `two_theta intensity` lines (strongest point = 100), or with `--peaks`
//! a CSV `two_theta,intensity,h,k,l,multiplicity` (strongest peak = 100).

use std::process::ExitCode;

use xrd_io::Grid;
use xrd_sim::{PowderParams, Profile, Simulator, Structure};

const USAGE: &str = "usage: simulate FILE.cif --wavelength ANGSTROM --range MIN MAX [--step DEG] [--fwhm DEG] [--peaks] [--pymatgen-compatible]";

struct Args {
    file: String,
    wavelength: f64,
    range: (f64, f64),
    step: f64,
    fwhm: f64,
    peaks: bool,
    pymatgen: bool,
}

fn number(it: &mut impl Iterator<Item = String>, flag: &str) -> Result<f64, String> {
    let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse::<f64>()
        .map_err(|_| format!("{flag}: `{v}` is not a number"))
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut file, mut wavelength, mut range) = (None, None, None);
    let (mut step, mut fwhm, mut peaks, mut pymatgen) = (0.01, 0.05, false, false);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--wavelength" => wavelength = Some(number(&mut it, "--wavelength")?),
            "--range" => range = Some((number(&mut it, "--range")?, number(&mut it, "--range")?)),
            "--step" => step = number(&mut it, "--step")?,
            "--fwhm" => fwhm = number(&mut it, "--fwhm")?,
            "--peaks" => peaks = true,
            "--pymatgen-compatible" => pymatgen = true,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            s if file.is_none() => file = Some(s.to_string()),
            s => return Err(format!("unexpected argument {s}\n{USAGE}")),
        }
    }
    Ok(Args {
        file: file.ok_or_else(|| format!("missing FILE.cif\n{USAGE}"))?,
        wavelength: wavelength.ok_or_else(|| format!("missing --wavelength\n{USAGE}"))?,
        range: range.ok_or_else(|| format!("missing --range\n{USAGE}"))?,
        step,
        fwhm,
        peaks,
        pymatgen,
    })
}

fn run(a: &Args) -> Result<String, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(&a.file)?;
    let structure = Structure::from_cif(&text)?;
    let base = if a.pymatgen {
        PowderParams::pymatgen(a.wavelength)
    } else {
        PowderParams::new().wavelength(a.wavelength)
    };
    let sim = Simulator::new(base.two_theta_range(a.range.0, a.range.1))?;
    let peaks = sim.peaks(&structure)?;
    let mut out = String::new();
    if a.peaks {
        out.push_str("two_theta,intensity,h,k,l,multiplicity\n");
        for p in peaks.scaled(100.0).peaks() {
            let [h, k, l] = p.hkl;
            out.push_str(&format!(
                "{:.6},{:.6},{h},{k},{l},{}\n",
                p.two_theta, p.intensity, p.multiplicity
            ));
        }
    } else {
        if a.step.is_nan() || a.step <= 0.0 {
            return Err("--step must be > 0".into());
        }
        let n = ((a.range.1 - a.range.0) / a.step).round() as usize + 1;
        let grid = Grid::new(a.range.0, a.step, n)?;
        let y = sim.render(&peaks, &grid, &Profile::gaussian(a.fwhm))?;
        let max = y.iter().copied().fold(0.0, f64::max);
        let scale = if max > 0.0 { 100.0 / max } else { 0.0 };
        for (i, v) in y.iter().enumerate() {
            out.push_str(&format!("{:.4} {:.6}\n", grid.x(i), v * scale));
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(s) => {
            print!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
