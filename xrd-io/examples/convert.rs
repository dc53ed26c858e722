//! Converts any supported diffraction file to xy, CSV or JSON on stdout.
//!
//! ```text
//! cargo run -p xrd-io --example convert -- IN [--to xy|csv|json] [--grid START STEP N]
//! ```
//!
//! A metadata summary goes to stderr. `--grid` resamples onto `START + i·STEP`, `i < N` (zero
//! outside the measured range). xy and CSV hold one pattern: for files with several scans the
//! first is written (stderr says so); JSON holds them all.

use std::io::Write;
use std::process::ExitCode;

use xrd_io::{Grid, OutOfRange, OutputFormat, Pattern};

const USAGE: &str = "usage: convert IN [--to xy|csv|json] [--grid START STEP N]";

struct Args {
    input: String,
    to: OutputFormat,
    grid: Option<Grid>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut input = None;
    let mut to = OutputFormat::Xy;
    let mut grid = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--to" => {
                let v = args.next().ok_or("--to needs a value: xy, csv or json")?;
                to = OutputFormat::from_name(&v)
                    .ok_or(format!("unknown output format {v:?} (xy, csv or json)"))?;
            }
            "--grid" => {
                let mut num = |what: &str| -> Result<String, String> {
                    args.next().ok_or(format!("--grid needs {what}"))
                };
                let start: f64 = num("START")?
                    .parse()
                    .map_err(|e| format!("--grid START: {e}"))?;
                let step: f64 = num("STEP")?
                    .parse()
                    .map_err(|e| format!("--grid STEP: {e}"))?;
                let n: usize = num("N")?.parse().map_err(|e| format!("--grid N: {e}"))?;
                grid = Some(Grid::new(start, step, n).map_err(|e| e.to_string())?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ if input.is_some() => return Err(format!("more than one input file\n{USAGE}")),
            _ => input = Some(a),
        }
    }
    Ok(Args {
        input: input.ok_or(USAGE)?,
        to,
        grid,
    })
}

fn summary(p: &Pattern, k: usize) -> String {
    let m = p.meta();
    let (a, b) = p.range();
    let mut s = format!(
        "pattern {k}: {} points, 2θ {a}..{b}°{}",
        p.len(),
        p.step().map(|s| format!(", step {s}°")).unwrap_or_default()
    );
    if let Some(f) = m.format {
        s += &format!(", format {f}");
    }
    match p.wavelength() {
        Some(w) => s += &format!(", wavelength {w}"),
        None => s += ", wavelength not stated",
    }
    if let Some(n) = &m.sample {
        s += &format!(", sample {n:?}");
    }
    if let Some(t) = m.counting_time {
        s += &format!(", {t} s/step");
    }
    if p.sigma().is_some() {
        s += ", with sigma";
    }
    s
}

fn run() -> Result<(), String> {
    let args = parse_args(std::env::args().skip(1))?;
    let mut patterns = xrd_io::read(&args.input).map_err(|e| e.to_string())?;
    for (k, p) in patterns.iter().enumerate() {
        eprintln!("{}", summary(p, k));
    }
    if let Some(grid) = args.grid {
        patterns = patterns
            .iter()
            .map(|p| p.resampled(&grid, OutOfRange::Zero))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        eprintln!(
            "resampled onto {} points from {}° in steps of {}°",
            grid.len(),
            grid.start(),
            grid.step()
        );
    }
    if args.to != OutputFormat::Json && patterns.len() > 1 {
        eprintln!(
            "{} holds {} patterns; writing the first (use --to json for all)",
            args.input,
            patterns.len()
        );
        patterns.truncate(1);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    xrd_io::write(&patterns, args.to, &mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("convert: {message}");
            ExitCode::FAILURE
        }
    }
}
