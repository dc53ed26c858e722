//! `xrd refine --sequential`: a series of frames refined in order, each from the one before.

use std::io::Write;
use std::path::{Path, PathBuf};

use xrd_cli::figures::{self, SeriesPanel, SeriesPoint, Waterfall};
use xrd_cli::output::{Cell, Table};
use xrd_minerals::{RefineSetup, refine_specs};
use xrd_refine::{
    CELL_LABELS, Frame, FrameFit, Parametric, Sequential, Series, SeriesParams, SeriesValue, State,
};

use super::super::{Context, Outcome, Result, create_dir, wavelength_or};
use super::Args;
use xrd_minerals::PhaseSpec;

/// The files of a run, kept as it goes.
const ROWS: &str = "series.csv";
const RESULTS: &str = "series.jsonl";
const STATE: &str = "series.state.json";

/// Runs a sequential refinement of `files` (already in the series' order unless --order).
pub(super) fn run(
    args: &Args,
    ctx: &Context,
    files: Vec<PathBuf>,
    specs: &[PhaseSpec],
    setup: &RefineSetup,
) -> Result<Outcome> {
    let out = args
        .out
        .clone()
        .ok_or("--sequential needs --out DIR (series.csv, series.svg, waterfall.svg go there)")?;
    create_dir(&out)?;
    let (files, orders, order_name) = order(args, files)?;
    // Every frame read up front: a frame that cannot be read is reported as failed and the
    // series goes on.
    let mut frames = Vec::with_capacity(files.len());
    for (k, file) in files.iter().enumerate() {
        let name = file.display().to_string();
        let read = xrd_io::read(file);
        frames.push(xrd_minerals::series_frame(
            name.clone(),
            read,
            orders[k],
            |p| wavelength_or(&name, p, args.wavelength),
        ));
    }
    // Header temperatures name the order when no --order file was given.
    let order_name = xrd_minerals::order_name(order_name.as_deref(), &frames);
    // The phases: each spec's structure chosen on the first frame that can be read.
    let (name, (first, first_w)) = frames
        .iter()
        .find_map(|f| f.data().ok().map(|d| (f.name(), d)))
        .ok_or("no frame of the series could be read")?;
    let chosen = refine_specs(first, *first_w, specs, setup)
        .map_err(|e| format!("{name} (the first frame, where the phases are chosen): {e}"))?;
    let phases = chosen.phases(specs);
    let names: Vec<String> = phases.iter().map(|p| p.name().to_string()).collect();
    let refiner = setup.refiner(phases);
    let parametric = args
        .parametric
        .iter()
        .map(|s| Parametric::parse(s))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let params = SeriesParams::new()
        .backward(args.backward)
        .parametric(parametric);
    params.check()?;
    let sequential = Sequential::new(refiner).params(params);
    // A resumed run: the frames done and the state it left.
    let (done, state) = if args.resume {
        resume(&out, &frames)?
    } else {
        for f in [ROWS, RESULTS, STATE] {
            let p = out.join(f);
            if p.exists() {
                std::fs::remove_file(&p)?;
            }
        }
        (Vec::new(), None)
    };
    if !done.is_empty() {
        eprintln!(
            "resuming after frame {} of {} ({})",
            done.len(),
            frames.len(),
            done.last().map_or("", |f| f.name.as_str())
        );
    }
    let header = header(&names, &order_name);
    if done.is_empty() {
        std::fs::write(out.join(ROWS), format!("{}\n", header.join(",")))?;
    }
    let total = frames.len();
    let progress = xrd_cli::progress::bar(total, "frames", ctx.quiet);
    progress.set_position(done.len() as u64);
    let series = sequential.run(&frames, done, state, |fit, state| {
        // Each frame lands on disk before the next starts: an interrupted run loses nothing.
        let mut rows = std::fs::OpenOptions::new()
            .append(true)
            .open(out.join(ROWS))
            .map_err(|e| xrd_refine::Error::Pattern(format!("{ROWS}: {e}")))?;
        let line: Vec<String> = row(fit, &names).iter().map(csv_text).collect();
        writeln!(rows, "{}", line.join(","))
            .map_err(|e| xrd_refine::Error::Pattern(format!("{ROWS}: {e}")))?;
        let mut results = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out.join(RESULTS))
            .map_err(|e| xrd_refine::Error::Pattern(format!("{RESULTS}: {e}")))?;
        let json = serde_json::to_string(fit)
            .map_err(|e| xrd_refine::Error::Pattern(format!("{RESULTS}: {e}")))?;
        writeln!(results, "{json}")
            .map_err(|e| xrd_refine::Error::Pattern(format!("{RESULTS}: {e}")))?;
        if let Some(s) = state {
            let json = serde_json::to_string(s)
                .map_err(|e| xrd_refine::Error::Pattern(format!("{STATE}: {e}")))?;
            xrd_io::write_atomic(out.join(STATE), json.as_bytes())
                .map_err(|e| xrd_refine::Error::Pattern(format!("{STATE}: {e}")))?;
        }
        if let Some(e) = &fit.error {
            eprintln!("frame {} failed: {e}", fit.index + 1);
        }
        progress.inc(1);
        Ok(())
    })?;
    progress.finish_and_clear();
    // The whole table again, with the flags of the passes after the chain.
    let mut table = Table::new(header.iter().map(String::as_str));
    for f in &series.frames {
        table.push(row(f, &names));
    }
    xrd_cli::run::write_atomic(&out.join(ROWS), &table.render(xrd_cli::output::Format::Csv))?;
    xrd_cli::run::write_atomic(
        &out.join("series.json"),
        &serde_json::to_string_pretty(&series)?,
    )?;
    figures_of(&out, &series, &frames, &names, &order_name)?;
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
    eprintln!(
        "{} frames: {} refined warm, {} cold or reseeded, {failed} failed, {flagged} flagged; \
         written to {}",
        series.frames.len(),
        series
            .frames
            .iter()
            .filter(|f| f.start == xrd_refine::FrameStart::Warm)
            .count(),
        series.frames.len()
            - failed
            - series
                .frames
                .iter()
                .filter(|f| f.start == xrd_refine::FrameStart::Warm)
                .count(),
        out.display()
    );
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

/// The files in the series' order, each one's order value, and the order column's name.
type Ordered = (Vec<PathBuf>, Vec<Option<f64>>, Option<String>);

/// The frames' order: `--order FILE.csv` (a `file` column and an order column, the first
/// other one), else the natural order of the names (`frame_9` before `frame_10`).
fn order(args: &Args, mut files: Vec<PathBuf>) -> Result<Ordered> {
    let Some(path) = &args.order else {
        files.sort_by(|a, b| natural(&a.display().to_string(), &b.display().to_string()));
        let n = files.len();
        return Ok((files, vec![None; n], None));
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--order {}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let head: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("--order {}: empty", path.display()))?
        .split(',')
        .map(str::trim)
        .collect();
    let fcol = head
        .iter()
        .position(|h| h.eq_ignore_ascii_case("file"))
        .ok_or_else(|| format!("--order {}: no `file` column", path.display()))?;
    let ocol = (0..head.len()).find(|&i| i != fcol);
    let mut out = Vec::new();
    let mut values = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let name = cells.get(fcol).copied().unwrap_or("");
        let file = files
            .iter()
            .find(|f| {
                f.file_name().is_some_and(|s| s.to_string_lossy() == name)
                    || f.display().to_string() == name
            })
            .cloned()
            .ok_or_else(|| {
                format!(
                    "--order {} line {}: `{name}` is not one of the files given",
                    path.display(),
                    n + 2
                )
            })?;
        let value = match ocol.and_then(|c| cells.get(c)) {
            Some(v) if !v.is_empty() => Some(v.parse::<f64>().map_err(|_| {
                format!(
                    "--order {} line {}: `{v}` is not a number",
                    path.display(),
                    n + 2
                )
            })?),
            _ => None,
        };
        out.push(file);
        values.push(value);
    }
    if out.is_empty() {
        return Err(format!("--order {}: no frame listed", path.display()).into());
    }
    Ok((out, values, ocol.map(|c| head[c].to_string())))
}

/// Compares names with runs of digits as numbers.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let d = c.is_ascii_digit();
            match out.last_mut() {
                Some((k, t)) if *k == d => t.push(c),
                _ => out.push((d, c.to_string())),
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for (p, q) in x.iter().zip(&y) {
        let o = if p.0 && q.0 {
            let (u, v) = (p.1.trim_start_matches('0'), q.1.trim_start_matches('0'));
            u.len().cmp(&v.len()).then_with(|| u.cmp(v))
        } else {
            p.1.cmp(&q.1)
        };
        if o.is_ne() {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

/// The frames of an interrupted run (series.jsonl) and its last state, checked against the
/// frames given.
fn resume(out: &Path, frames: &[Frame]) -> Result<(Vec<FrameFit>, Option<State>)> {
    let path = out.join(RESULTS);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok((Vec::new(), None));
    };
    let mut done = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // A line cut by the interruption ends what was done.
        let Ok(fit) = serde_json::from_str::<FrameFit>(line) else {
            break;
        };
        if frames.get(n).is_none_or(|f| f.name() != fit.name) {
            return Err(format!(
                "--resume: frame {} of {} is `{}`, not `{}` of this run (other files or order)",
                n + 1,
                path.display(),
                fit.name,
                frames.get(n).map_or("", Frame::name)
            )
            .into());
        }
        done.push(fit);
    }
    let state = match std::fs::read_to_string(out.join(STATE)) {
        Ok(t) => Some(serde_json::from_str::<State>(&t)?),
        Err(_) => None,
    };
    // The rows file again, from what was done (its last line may have been cut).
    let mut table = String::new();
    if let Ok(t) = std::fs::read_to_string(out.join(ROWS))
        && let Some(h) = t.lines().next()
    {
        table.push_str(h);
        table.push('\n');
        for l in t.lines().skip(1).take(done.len()) {
            table.push_str(l);
            table.push('\n');
        }
    }
    xrd_cli::run::write_atomic(&out.join(ROWS), &table)?;
    Ok((done, state))
}

fn header(names: &[String], order_name: &str) -> Vec<String> {
    xrd_refine::series_columns(names, order_name)
}

fn row(f: &FrameFit, names: &[String]) -> Vec<Cell> {
    f.row(names.len())
        .into_iter()
        .map(|v| match v {
            SeriesValue::Integer(i) => Cell::integer(i),
            SeriesValue::Number(x, d) => Cell::number(x, d),
            SeriesValue::Text(t) => Cell::text(t),
            _ => Cell::empty(),
        })
        .collect()
}

fn csv_text(c: &Cell) -> String {
    xrd_cli::output::csv_field(c.as_text())
}

/// series.svg (weight fractions and cells against the order value, esd bars, Rwp below) and
/// waterfall.svg (the frames as a 2θ-vs-frame map with the reflections of the first frame).
fn figures_of(
    out: &Path,
    series: &Series,
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
        flagged: !f.flags.is_empty(),
    };
    let fits: Vec<&FrameFit> = series
        .frames
        .iter()
        .filter(|f| f.refinement.is_some())
        .collect();
    panels.push(SeriesPanel {
        title: "weight fraction".into(),
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
        for k in shown {
            panels.push(SeriesPanel {
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
