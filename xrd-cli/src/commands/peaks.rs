//! `xrd peaks`: the peak list of measured patterns by profile fitting (xrd-refine's `peaks`:
//! split pseudo-Voigts with their Kα2 partners on a straight background, neighbours together).

use std::path::{Path, PathBuf};

use xrd_cli::output::{Format, Table};
use xrd_figures::RietveldPlot;
use xrd_io::Wavelength;
use xrd_jobs::{PeakRow, Peaks, PeaksOptions};

use super::{
    Context, Outcome, Result, create_dir, input_files, parse_wavelength, pattern_name, skipped,
    svg_name, wavelength_or,
};

/// Options of `xrd peaks`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "One row per line: its position and d-spacing with their esds (from the \
    fit, scaled by its reduced χ² and by the square root of its residuals' correlation time, \
    for neighbouring points that share their noise), height above the background, area (Kα2 not included) and \
    its esd, intensity relative to the strongest area, FWHM, integral breadth, the Lorentzian \
    share η, the asymmetry of the half widths (below 0: a longer tail to low angles), the \
    background under the line and the group of lines fitted together. Lines are found 5 times \
    the noise and 1 % of the strongest above a rolling-minimum background (--noise-multiple, \
    --min-height); a Kα2 partner is fitted with its line, not listed. --out writes the rows \
    as peaks.csv and one SVG per pattern."
)]
pub struct Args {
    /// Pattern files or folders (searched one level deep); `FILE#k` is pattern k (from 1) of a file of several.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// Smallest height above the background, as a fraction of the strongest line's.
    #[arg(long, default_value_t = PeaksOptions::default().min_height)]
    pub min_height: f64,
    /// Smallest height above the background in multiples of the pattern's noise.
    #[arg(long, default_value_t = PeaksOptions::default().noise_multiple)]
    pub noise_multiple: f64,
    /// Smallest distance between two lines in degrees (the taller kept).
    #[arg(long, default_value_t = PeaksOptions::default().min_separation)]
    pub min_separation: f64,
    /// Width in degrees of the rolling minimum that finds the background.
    #[arg(long, default_value_t = PeaksOptions::default().background_window)]
    pub background_window: f64,
    /// Half-width of the window fitted around a line, in FWHMs.
    #[arg(long, default_value_t = PeaksOptions::default().window)]
    pub window: f64,
    /// Lines fitted together at most: a longer chain of overlapping windows is cut at its
    /// deepest valleys into groups of this many, each refitted with its neighbours' lines held.
    #[arg(long, default_value_t = PeaksOptions::default().max_group_lines)]
    pub max_group_lines: usize,
    /// Folder for peaks.csv and one SVG per pattern (observed, fitted, difference, the lines).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The options of the peak-list job, from the flags.
fn options(args: &Args) -> PeaksOptions {
    PeaksOptions {
        wavelength: args.wavelength,
        min_height: args.min_height,
        noise_multiple: args.noise_multiple,
        min_separation: args.min_separation,
        background_window: args.background_window,
        window: args.window,
        max_group_lines: args.max_group_lines,
    }
}

/// Runs `xrd peaks`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let job = Peaks::new(options(&args)).map_err(super::flagged)?;
    let files = input_files(&args.inputs)?;
    let mut table = Table::new(PeakRow::COLUMNS);
    if let Some(out) = &args.out {
        create_dir(out)?;
    }
    let mut failed = 0;
    for file in &files {
        if let Err(e) = peaks_of_file(file, &args, &job, &mut table) {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    ctx.print(&table);
    if let Some(out) = &args.out {
        let path = out.join("peaks.csv");
        xrd_io::write_atomic(&path, table.render(Format::Csv).as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !ctx.quiet {
            eprintln!("wrote {}/peaks.csv and one SVG per pattern", out.display());
        }
    }
    Ok(Outcome::skipping(failed))
}

fn peaks_of_file(file: &Path, args: &Args, job: &Peaks, table: &mut Table) -> Result<()> {
    let patterns = xrd_io::read(file)?;
    let count = patterns.len();
    for (k, pattern) in patterns.iter().enumerate() {
        let name = pattern_name(file, k, count);
        // Said when assumed; the job picks the same.
        wavelength_or(&name, pattern, args.wavelength);
        let list = job.run(&name, pattern)?;
        for w in &list.warnings {
            eprintln!("{name}: {w}");
        }
        // What the table has no column for, as the workbench's peak view says it.
        eprintln!(
            "{name}: {} lines, Rwp {:.2} % over the fitted windows, residuals' correlation \
             time {:.1} points (esds × {:.2})",
            list.rows.len(),
            100.0 * list.rwp,
            list.correlation_time,
            list.correlation_time.sqrt()
        );
        if let Some(out) = &args.out {
            let plot = RietveldPlot {
                title: format!(
                    "{name}: {} lines, Rwp {:.2} % over the fitted windows",
                    list.rows.len(),
                    100.0 * list.rwp
                ),
                two_theta: pattern.two_theta().to_vec(),
                observed: pattern.intensity().to_vec(),
                calculated: list.calculated.clone(),
                ticks: vec![(
                    "lines".to_string(),
                    list.rows.iter().map(|r| r.two_theta).collect(),
                )],
                curves: Vec::new(),
            };
            xrd_figures::rietveld(&out.join(format!("{}.svg", svg_name(&name))), &plot)?;
        }
        for r in &list.rows {
            table.push(r.values().into_iter().map(super::refine::cell).collect());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::Args;

    /// Every option of the peak-list job is a flag of `xrd peaks` with the option's default,
    /// and every flag but the inputs and --out an option.
    #[test]
    fn every_option_is_a_flag_with_the_options_default() {
        let (ids, fields) = flags::and_fields::<Args>("peaks", "peaks", &["inputs", "out"], &[]);
        assert_eq!(ids, fields);
        let args = flags::parse::<Args>(&["peaks", "a.xy"]);
        assert_eq!(super::options(&args), xrd_jobs::PeaksOptions::default());
    }
}
