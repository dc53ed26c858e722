//! `xrd refine --sequential`: a series of frames refined in order, each from the one before.

use std::io::Write;
use std::path::Path;

use xrd_cli::figures::{self, SeriesPanel, SeriesPoint, Severity, Waterfall};
use xrd_cli::output::{Cell, Table};
use xrd_jobs::{Order, Series, SeriesEvent, SeriesOptions, SeriesOutput};
use xrd_refine::{CELL_LABELS, Flag, Frame, FrameFit};

use super::super::{Context, Outcome, Result, create_dir, input_files};
use super::Args;

/// The table of the rows, streamed as frames finish and rewritten at the end.
const ROWS: &str = "series.csv";

/// The options of the series job, from the flags.
pub(super) fn options(args: &Args) -> SeriesOptions {
    SeriesOptions {
        phases: args.phases.clone(),
        library: args.library.clone(),
        builtin: args.builtin,
        instrument: args.instrument.first().cloned(),
        particle_size: args.particle_size,
        monochromator: args.monochromator,
        polarisation: args.polarisation,
        capillary: args.capillary,
        geometry: args.geometry.first().cloned(),
        wavelength: args.wavelength,
        two_theta_range: super::range(args),
        exclude: super::excluded(args),
        fix: args.fix.clone(),
        free: args.free.clone(),
        background: args.background,
        humps: args.humps,
        stages: args.stages.clone(),
        max_candidates: args.max_candidates,
        order: args.order.clone().map(Order::File),
        backward: args.backward,
        parametric: args.parametric.clone(),
        resume: args.resume,
        background_hump: args.background_hump,
    }
}

/// Appends `line` to the rows file.
fn append(path: &Path, line: &str) -> xrd_jobs::Result<()> {
    let error = |source| xrd_jobs::Error::File {
        path: path.to_path_buf(),
        source,
    };
    let mut rows = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    writeln!(rows, "{line}").map_err(error)
}

/// The rows file cut to its header and the first `done` rows (its last line may have been cut
/// by the interruption).
fn trim(path: &Path, done: usize) -> xrd_jobs::Result<()> {
    let mut table = String::new();
    if let Ok(t) = std::fs::read_to_string(path)
        && let Some(h) = t.lines().next()
    {
        table.push_str(h);
        table.push('\n');
        for l in t.lines().skip(1).take(done) {
            table.push_str(l);
            table.push('\n');
        }
    }
    xrd_core_write(path, &table)
}

fn xrd_core_write(path: &Path, text: &str) -> xrd_jobs::Result<()> {
    xrd_io::write_atomic(path, text.as_bytes()).map_err(|source| xrd_jobs::Error::File {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs a sequential refinement of the inputs (in the natural order of their names unless
/// --order).
pub(super) fn run(args: &Args, ctx: &Context) -> Result<Outcome> {
    let out = args
        .out
        .clone()
        .ok_or("--sequential needs --out DIR (series.csv, series.svg, waterfall.svg go there)")?;
    create_dir(&out)?;
    let job = Series::new(options(args)).map_err(super::super::flagged)?;
    super::say_dropped(args, job.dropped_instrument_terms());
    let files = xrd_jobs::natural_order(input_files(&args.inputs)?);
    let progress = xrd_cli::progress::bar(files.len(), "frames", ctx.quiet);
    let bar = progress.clone();
    let control = super::super::interruptible().on_progress(move |p| {
        if p.what == "frames" {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
    });
    let rows_path = out.join(ROWS);
    let mut phases = 0;
    let output = job.run(files, Some(&out), &control, |event| match event {
        SeriesEvent::Started {
            columns,
            phases: names,
            done,
            frames,
            ..
        } => {
            phases = names.len();
            if done.is_empty() {
                xrd_core_write(&rows_path, &format!("{}\n", columns.join(",")))
            } else {
                eprintln!(
                    "resuming after frame {} of {frames} ({})",
                    done.len(),
                    done.last().map_or("", |f| f.name.as_str())
                );
                trim(&rows_path, done.len())
            }
        }
        SeriesEvent::Frame(fit, _) => {
            if let Some(e) = &fit.error {
                eprintln!("frame {} failed: {e}", fit.index + 1);
            }
            let line: Vec<String> = row(fit, phases).iter().map(csv_text).collect();
            append(&rows_path, &line.join(","))
        }
        _ => Ok(()),
    });
    let output = match output {
        Err(xrd_jobs::Error::Cancelled) => {
            progress.finish_and_clear();
            return Err(format!(
                "cancelled; the frames done are in {}: go on with --resume",
                out.display()
            )
            .into());
        }
        r => r?,
    };
    progress.finish_and_clear();
    let SeriesOutput {
        phases: names,
        order_name,
        columns,
        series,
        frames,
        ..
    } = output;
    // The whole table again, with the flags of the passes after the chain.
    let mut table = Table::new(columns.iter().map(String::as_str));
    for f in &series.frames {
        table.push(row(f, names.len()));
    }
    xrd_cli::run::write_atomic(&rows_path, &table.render(xrd_cli::output::Format::Csv))?;
    xrd_cli::run::write_atomic(
        &out.join("series.json"),
        &serde_json::to_string_pretty(&series)?,
    )?;
    figures_of(&out, &series, &frames, &names, &order_name)?;
    for n in &series.notes {
        eprintln!("note: {n}");
    }
    for p in &series.parametric {
        let terms: Vec<String> = p
            .coefficients
            .iter()
            .zip(&p.coefficient_esd)
            .enumerate()
            .map(|(k, (c, e))| format!("{c:.6e} ± {e:.1e}·t^{k}"))
            .collect();
        eprintln!(
            "parametric {} {} (degree {}): {}; χ²/dof {:.2}; its esds are {:.2} × the frames' own (median)",
            p.spec.phase,
            p.spec.parameter,
            p.spec.degree,
            terms.join(" + "),
            p.chi2,
            p.esd_ratio()
        );
    }
    let failed = series
        .frames
        .iter()
        .filter(|f| f.refinement.is_none())
        .count();
    let flagged = series.frames.iter().filter(|f| !f.flags.is_empty()).count();
    let warm = series
        .frames
        .iter()
        .filter(|f| f.start == xrd_refine::FrameStart::Warm)
        .count();
    eprintln!(
        "{} frames: {warm} refined warm, {} cold or reseeded, {failed} failed, {flagged} flagged; \
         written to {}",
        series.frames.len(),
        series.frames.len() - failed - warm,
        out.display()
    );
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

fn row(f: &FrameFit, phases: usize) -> Vec<Cell> {
    xrd_jobs::series_row(f, phases)
        .into_iter()
        .map(super::cell)
        .collect()
}

fn csv_text(c: &Cell) -> String {
    xrd_cli::output::csv_field(c.as_text())
}

/// series.svg (weight fractions and cells against the order value, esd bands, Rwp below; flags
/// ranked by [`severity`], what most frames share said once by [`flag_reason`]) and
/// waterfall.svg (the frames as a 2θ-vs-frame map with the reflections of the first frame).
fn figures_of(
    out: &Path,
    series: &xrd_refine::Series,
    frames: &[Frame],
    names: &[String],
    order_name: &str,
) -> Result<()> {
    let x = |f: &FrameFit| f.order.unwrap_or((f.index + 1) as f64);
    let mut panels = Vec::new();
    let point = |f: &FrameFit, v: f64, e: f64| SeriesPoint {
        x: x(f),
        y: v,
        esd: e,
        flag: severity(&f.flags),
    };
    let fits: Vec<&FrameFit> = series
        .frames
        .iter()
        .filter(|f| f.refinement.is_some())
        .collect();
    panels.push(SeriesPanel {
        title: "weight fraction".into(),
        flag_reason: flag_reason(&fits),
        esd_gof: median_gof(&fits),
        series: (0..names.len())
            .map(|p| {
                (
                    names[p].clone(),
                    fits.iter()
                        .filter_map(|f| {
                            let ph = &f.refinement.as_ref()?.phases[p];
                            Some(point(f, ph.weight_fraction, ph.weight_fraction_esd))
                        })
                        .collect(),
                )
            })
            .collect(),
    });
    for (p, name) in names.iter().enumerate() {
        let Some(first) = fits.first().and_then(|f| f.refinement.as_ref()) else {
            break;
        };
        let refined: Vec<usize> = (0..3)
            .filter(|&k| {
                fits.iter().any(|f| {
                    f.refinement
                        .as_ref()
                        .is_some_and(|r| r.phases[p].cell_esd[k] > 0.0)
                })
            })
            .collect();
        // Tied axes (a = b = c) are drawn once.
        let mut shown: Vec<usize> = Vec::new();
        for k in refined {
            if !shown
                .iter()
                .any(|&j| (first.phases[p].cell[j] - first.phases[p].cell[k]).abs() < 1e-12)
            {
                shown.push(k);
            }
        }
        // The frames where the phase is refined (its cell drawn).
        let present: Vec<&FrameFit> = fits
            .iter()
            .copied()
            .filter(|f| f.refinement.as_ref().is_some_and(|r| !r.phases[p].absent))
            .collect();
        for k in shown {
            panels.push(SeriesPanel {
                flag_reason: flag_reason(&present),
                esd_gof: median_gof(&present),
                title: format!("{name} {} (Å)", CELL_LABELS[k]),
                series: vec![(
                    format!("{name} {}", CELL_LABELS[k]),
                    fits.iter()
                        .filter_map(|f| {
                            let ph = &f.refinement.as_ref()?.phases[p];
                            (!ph.absent).then(|| point(f, ph.cell[k], ph.cell_esd[k]))
                        })
                        .collect(),
                )],
            });
        }
    }
    panels.push(SeriesPanel {
        title: "Rwp".into(),
        flag_reason: flag_reason(&fits),
        esd_gof: None,
        series: vec![(
            "Rwp".into(),
            fits.iter()
                .map(|f| point(f, f.refinement.as_ref().map_or(0.0, |r| r.rwp), 0.0))
                .collect(),
        )],
    });
    figures::series(&out.join("series.svg"), &panels, order_name)?;
    // The waterfall: frames on a common 2θ grid.
    let readable: Vec<(usize, &xrd_io::Pattern)> = frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.data().ok().map(|d| (i, &d.0)))
        .collect();
    if let Some((_, p0)) = readable.first() {
        let (lo, hi) = p0.range();
        let ticks = series
            .frames
            .iter()
            .find_map(|f| f.refinement.as_ref())
            .map(|r| {
                r.phases
                    .iter()
                    .map(|p| (p.name.clone(), p.ticks.iter().map(|t| t.0).collect()))
                    .collect()
            })
            .unwrap_or_default();
        let rows: Vec<Vec<(f64, f64)>> = readable
            .iter()
            .map(|(_, p)| {
                p.two_theta()
                    .iter()
                    .copied()
                    .zip(p.intensity().iter().copied())
                    .collect()
            })
            .collect();
        figures::waterfall(
            &out.join("waterfall.svg"),
            &Waterfall {
                two_theta: (lo, hi),
                frames: rows,
                ticks,
            },
        )?;
    }
    Ok(())
}

/// How strongly a frame's flags ask to be looked at in series.svg: a jump the chain made, an Rwp
/// outlier, a rejected warm fit or a path-dependent value is major (a ring: look here); a
/// parameter at a bound, a phase appearing or vanishing, or a confirmed discontinuity (a real
/// transition) is minor.
fn severity(flags: &[Flag]) -> Severity {
    flags
        .iter()
        .map(|f| match f {
            Flag::Reseeded { .. }
            | Flag::RwpOutlier { .. }
            | Flag::PathDependent { .. }
            | Flag::Discontinuity {
                confirmed: false, ..
            } => Severity::Major,
            _ => Severity::Minor,
        })
        .max()
        .unwrap_or_default()
}

/// A flag's kind for a note: `at_bound(U)` names its parameter (a bound on every frame is one
/// story), the others their kind only (`rwp_outlier`, `chain_jump`).
fn flag_kind(flag: &Flag) -> String {
    let token = flag.to_string();
    match flag {
        Flag::AtBound { .. } => token,
        _ => token.split('(').next().unwrap_or(&token).to_string(),
    }
}

/// What a panel's frames' flags say, for the note series.svg writes when a flag is on most of
/// them: the kinds on more than half of the frames, else the two commonest with their counts.
fn flag_reason(frames: &[&FrameFit]) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for f in frames {
        let kinds: std::collections::BTreeSet<String> = f.flags.iter().map(flag_kind).collect();
        for k in kinds {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let most: Vec<&str> = ranked
        .iter()
        .filter(|(_, n)| 2 * n > frames.len())
        .map(|(k, _)| k.as_str())
        .collect();
    if most.is_empty() {
        ranked
            .iter()
            .take(2)
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        most.join(", ")
    }
}

/// The median goodness of fit of the frames: their esds carry it as a factor.
fn median_gof(frames: &[&FrameFit]) -> Option<f64> {
    let mut gof: Vec<f64> = frames
        .iter()
        .filter_map(|f| Some(f.refinement.as_ref()?.gof))
        .filter(|g| g.is_finite())
        .collect();
    if gof.is_empty() {
        return None;
    }
    let mid = gof.len() / 2;
    Some(*gof.select_nth_unstable_by(mid, f64::total_cmp).1)
}
