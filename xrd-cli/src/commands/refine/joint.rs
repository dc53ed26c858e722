//! `xrd refine --joint FILE… --instrument PRM… --range LO HI…`: several patterns of one sample
//! refined together with one structure per phase (xrd-jobs' `JointJob`).

use xrd_cli::figures::{self, RietveldPlot};
use xrd_cli::output::{Cell, Table};
use xrd_jobs::{HistogramOptions, JointJob};

use super::super::{Context, Outcome, Result, create_dir, input_files, pattern_name};
use super::{Args, options, ranges};

/// Runs `xrd refine --joint`.
pub(super) fn run(args: &Args, ctx: &Context) -> Result<Outcome> {
    let files = input_files(&args.inputs)?;
    let mut patterns = Vec::new();
    for file in &files {
        let read = xrd_io::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let count = read.len();
        for (k, p) in read.into_iter().enumerate() {
            patterns.push((pattern_name(file, k, count), p));
        }
    }
    let n = patterns.len();
    // One instrument and one range per pattern, or one for all.
    let per = |what: &str, given: usize| -> Result<()> {
        if given > 1 && given != n {
            return Err(format!(
                "{given} {what} for {n} patterns: give one per pattern (in the patterns' order) \
                 or one for all"
            )
            .into());
        }
        Ok(())
    };
    let ranges = ranges(args);
    per("--instrument files", args.instrument.len())?;
    per("--range pairs", ranges.len())?;
    per("--geometry values", args.geometry.len())?;
    let histograms: Vec<HistogramOptions> = (0..n)
        .map(|k| HistogramOptions {
            instrument: args.instrument.get(k).or(args.instrument.first()).cloned(),
            two_theta_range: ranges.get(k).or(ranges.first()).copied(),
            geometry: args.geometry.get(k).or(args.geometry.first()).cloned(),
        })
        .collect();
    let job = JointJob::new(options(args), &histograms).map_err(super::super::flagged)?;
    for ((path, dropped), h) in args
        .instrument
        .iter()
        .zip(job.dropped_instrument_terms())
        .zip(&histograms)
    {
        let _ = h;
        if !dropped.is_empty() {
            eprintln!(
                "{}: not carried by our profile: {}",
                path.display(),
                dropped.join(", ")
            );
        }
    }
    let control = super::super::interruptible();
    let fit = job.run(&patterns, &control)?;
    let r = &fit.refinement;
    for (file, h) in fit.files.iter().zip(&r.histograms) {
        eprintln!("{file}: Rwp {:.4}, Rp {:.4}, GoF {:.3}", h.rwp, h.rp, h.gof);
        for w in &h.warnings {
            eprintln!("{file}: warning: {w}");
        }
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    for h in &r.hydrostatic {
        eprintln!(
            "{}: {} cell {:+.4} % against the first pattern's (hydrostatic, ± {:.4} %)",
            fit.files[h.pattern],
            h.phase,
            100.0 * h.strain,
            100.0 * h.esd
        );
    }
    eprintln!(
        "all patterns: Rwp {:.4} after {} joint iterations ({:?})",
        r.rwp, r.iterations, r.stop
    );
    // One row per site: the structure the patterns share.
    let mut table = Table::new(["phase", "site", "element", "x", "y", "z", "U", "occupancy"]);
    if let Some(first) = r.histograms.first() {
        for ph in &first.phases {
            for s in &ph.sites {
                let v = |value: f64, esd: f64| Cell::text(xrd_refine::cif_value(value, esd));
                table.push(vec![
                    Cell::text(ph.name.clone()),
                    Cell::text(s.label.clone()),
                    Cell::text(s.element.clone()),
                    v(s.xyz[0], s.xyz_esd[0]),
                    v(s.xyz[1], s.xyz_esd[1]),
                    v(s.xyz[2], s.xyz_esd[2]),
                    v(s.u, s.u_esd),
                    v(s.occupancy, s.occupancy_esd),
                ]);
            }
        }
    }
    ctx.print(&table);
    if let Some(dir) = &args.out {
        create_dir(dir)?;
        xrd_cli::run::write_atomic(&dir.join("refinement.json"), &fit.refinement_json()?)?;
        for cif in &fit.cifs {
            xrd_cli::run::write_atomic(&dir.join(&cif.file_name), &cif.text)?;
        }
        for (k, (file, h)) in fit.files.iter().zip(&r.histograms).enumerate() {
            if let Some(csv) = fit.fit_csv(k) {
                xrd_cli::run::write_atomic(&dir.join(format!("fit_{}.csv", k + 1)), &csv)?;
            }
            let plot = RietveldPlot::of_refinement(file, h);
            figures::rietveld(&dir.join(format!("rietveld_{}.svg", k + 1)), &plot)?;
        }
    }
    control.check().map_err(|_| "cancelled")?;
    Ok(Outcome::Done)
}
