//! `xrd convert`: any format xrd-io reads to xy, CSV, JSON or NumPy `.npy`.

use std::path::{Path, PathBuf};

use xrd_cli::output::{Cell, Table};
use xrd_io::{Grid, OutOfRange, OutputFormat, Pattern};

use super::{Context, Outcome, Result, create_dir, input_files, pattern_name, skipped};

/// Output formats of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// `2θ intensity [sigma]` columns after `#` comment lines (wavelength, sample, source).
    Xy,
    /// Comma-separated with a header row `two_theta,intensity[,sigma]`.
    Csv,
    /// xrd-io's JSON (every field of the pattern, metadata included).
    Json,
    /// NumPy `.npy`: a float64 array of shape (points, 2|3).
    Npy,
}

impl To {
    fn format(self) -> OutputFormat {
        match self {
            To::Xy => OutputFormat::Xy,
            To::Csv => OutputFormat::Csv,
            To::Json => OutputFormat::Json,
            To::Npy => OutputFormat::Npy,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            To::Xy => "xy",
            To::Csv => "csv",
            To::Json => "json",
            To::Npy => "npy",
        }
    }
}

/// Options of `xrd convert`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Files holding several patterns (RRUFF sets, multi-range scans) give one \
    output per pattern, named FILE-1, FILE-2, …; the output never replaces its input."
)]
pub struct Args {
    /// Pattern files or folders (searched one level deep) in any format xrd reads; `FILE#k` is pattern k (from 1) of a file of several.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = To::Xy)]
    pub to: To,
    /// Resample onto START + i·STEP, i < N (zero outside the measured range).
    #[arg(long, num_args = 3, value_names = ["START", "STEP", "N"])]
    pub grid: Option<Vec<f64>>,
    /// Folder of the converted files (created if needed).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// Runs `xrd convert`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let grid = match args.grid.as_deref() {
        Some(&[start, step, n]) => {
            if !(n >= 1.0 && n.fract() == 0.0) {
                return Err(format!("--grid N must be a whole number ≥ 1, got {n}").into());
            }
            Some(Grid::new(start, step, n as usize)?)
        }
        _ => None,
    };
    let files = input_files(&args.inputs)?;
    create_dir(&args.out)?;
    let mut table = Table::new([
        "file",
        "format",
        "points",
        "two_theta_min",
        "two_theta_max",
        "wavelength",
        "written",
    ]);
    let mut failed = 0;
    for file in &files {
        match convert(file, &args, grid.as_ref(), &mut table) {
            Ok(()) => {}
            Err(e) => {
                skipped(&file.display().to_string(), &e);
                failed += 1;
            }
        }
    }
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

fn convert(file: &Path, args: &Args, grid: Option<&Grid>, table: &mut Table) -> Result<()> {
    let mut patterns = xrd_io::read(file)?;
    if let Some(grid) = grid {
        for p in &mut patterns {
            let y = p.resample(grid, OutOfRange::Zero)?;
            let meta = p.meta().clone();
            *p = Pattern::uniform(grid.start(), grid.step(), y)?
                .with_wavelength(p.wavelength())
                .with_meta(meta);
        }
    }
    let stem = file
        .file_stem()
        .map_or_else(|| "pattern".into(), |s| s.to_string_lossy().into_owned());
    let count = patterns.len();
    for (k, pattern) in patterns.iter().enumerate() {
        let name = if count > 1 {
            format!("{stem}-{}.{}", k + 1, args.to.extension())
        } else {
            format!("{stem}.{}", args.to.extension())
        };
        let target = args.out.join(name);
        if same_file(&target, file) {
            return Err(format!(
                "{} would replace its input; choose another --out or --to",
                target.display()
            )
            .into());
        }
        xrd_io::save(&target, std::slice::from_ref(pattern), args.to.format())?;
        let tt = pattern.two_theta();
        table.push(vec![
            Cell::text(pattern_name(file, k, count)),
            Cell::from(pattern.meta().format.map(|f| f.name().to_string())),
            Cell::integer(pattern.len() as i64),
            Cell::number(tt[0], 4),
            Cell::number(tt[tt.len() - 1], 4),
            Cell::from(pattern.wavelength().map(|w| Cell::number(w.angstrom(), 6))),
            Cell::text(target.display().to_string()),
        ]);
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
