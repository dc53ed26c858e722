//! `xrd index`: lattice cells of measured patterns (xrd-index: de Wolff's figure of merit, zero
//! shift, systematic absences).

use std::path::{Path, PathBuf};

use xrd_cli::output::{Cell, Table};
use xrd_index::IndexingParams;
use xrd_io::Wavelength;
use xrd_jobs::{Index, IndexOptions, IndexRow};

use super::{
    Context, Outcome, Result, input_files, parse_wavelength, pattern_name, skipped, wavelength_or,
};

/// Options of `xrd index`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "One row per pattern with the accepted cell: the most symmetric metric \
    whose best cell indexes ≥ 90 % of the lines' weight (--min-indexed) with de Wolff's M ≥ 20 \
    from ≥ 3 lines per unknown. `likely_space_groups` are the groups whose absences explain every indexed line \
    best. --all lists the best cell of every metric tried, accepted or not."
)]
pub struct Args {
    /// Pattern files or folders (searched one level deep); `FILE#k` is pattern k (from 1) of a file of several.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Wavelength of patterns whose file does not give one (anode, line or Å; default Cu Kα).
    #[arg(long, value_parser = parse_wavelength)]
    pub wavelength: Option<Wavelength>,
    /// Tolerance of a line's 2θ in degrees.
    #[arg(long, default_value_t = IndexingParams::default().get_tolerance())]
    pub tolerance: f64,
    /// Lowest de Wolff figure of merit accepted.
    #[arg(long, default_value_t = IndexingParams::default().get_min_merit())]
    pub min_merit: f64,
    /// A trial cell stops when its first least-squares step's figure of merit is below this
    /// (its second's below twice this); 0 refines every trial, as --all may want.
    #[arg(long, default_value_t = IndexingParams::default().get_min_trial_merit())]
    pub min_trial_merit: f64,
    /// Share of the lines' weight (each line weighs √height) an accepted cell must index; lower
    /// it for a sample with an impurity whose lines no cell of the main phase explains.
    #[arg(long, default_value_t = IndexingParams::default().get_min_indexed())]
    pub min_indexed: f64,
    /// How many lines (the first, by angle) are indexed.
    #[arg(long, default_value_t = IndexingParams::default().get_lines())]
    pub lines: usize,
    /// Try monoclinic cells too (slower, and more often wrong).
    #[arg(long)]
    pub monoclinic: bool,
    /// List the best cell of every metric tried.
    #[arg(long)]
    pub all: bool,
}

/// The options of the indexing job, from the flags.
fn options(args: &Args) -> IndexOptions {
    IndexOptions {
        wavelength: args.wavelength,
        tolerance: args.tolerance,
        min_merit: args.min_merit,
        min_trial_merit: args.min_trial_merit,
        min_indexed: args.min_indexed,
        lines: args.lines,
        monoclinic: args.monoclinic,
        all: args.all,
    }
}

/// Runs `xrd index`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let job = Index::new(options(&args)).map_err(super::flagged)?;
    let files = input_files(&args.inputs)?;
    let mut table = Table::new([
        "file",
        "metric",
        "accepted",
        "a",
        "b",
        "c",
        "beta",
        "zero_shift",
        "lines",
        "indexed",
        "merit",
        "likely_space_groups",
        "pawley",
    ]);
    let mut failed = 0;
    for file in &files {
        if let Err(e) = index_file(file, &args, &job, &mut table) {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

/// A cell as a table row, with the cell as `xrd refine --phase` takes it (to check the
/// indexing by a Pawley fit) when accepted.
fn row(r: &IndexRow) -> Vec<Cell> {
    let groups: Vec<String> = r.likely_space_groups.iter().map(u8::to_string).collect();
    let pawley = match r.likely_space_groups.first() {
        Some(g) if r.accepted => Cell::text(format!(
            "{}{:.5},{:.5},{:.5},{:.3},{:.3},{:.3},{g}",
            xrd_minerals::PAWLEY_PREFIX,
            r.a,
            r.b,
            r.c,
            r.alpha,
            r.beta,
            r.gamma
        )),
        _ => Cell::empty(),
    };
    vec![
        Cell::text(r.file.clone()),
        Cell::text(r.metric.clone()),
        Cell::text(if r.accepted { "yes" } else { "no" }),
        Cell::number(r.a, 4),
        Cell::number(r.b, 4),
        Cell::number(r.c, 4),
        Cell::number(r.beta, 2),
        Cell::number(r.zero_shift, 3),
        Cell::integer(r.lines as i64),
        Cell::integer(r.indexed as i64),
        Cell::number(r.merit, 1),
        Cell::text(groups.join(";")),
        pawley,
    ]
}

fn index_file(file: &Path, args: &Args, job: &Index, table: &mut Table) -> Result<()> {
    let patterns = xrd_io::read(file)?;
    let count = patterns.len();
    for (k, pattern) in patterns.iter().enumerate() {
        let name = pattern_name(file, k, count);
        // Said when assumed; the job picks the same.
        wavelength_or(&name, pattern, args.wavelength);
        let indexed = job.run(&name, pattern)?;
        // Why `lines` may be fewer than `xrd peaks` lists (its fit tests each line instead).
        if indexed.search_noise_factor > 1.0 {
            eprintln!(
                "{name}: neighbouring points share their noise: lines searched {:.2} × higher \
                 than its point-to-point scatter gives",
                indexed.search_noise_factor
            );
        }
        for r in &indexed.rows {
            table.push(row(r));
        }
        if indexed.rows.is_empty() {
            let mut cells = vec![
                Cell::text(name.clone()),
                Cell::text("none"),
                Cell::text("no"),
            ];
            if !args.all {
                cells.resize(8, Cell::empty());
                cells.push(Cell::integer(indexed.lines as i64));
            }
            table.push(cells);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::flags;
    use super::Args;

    /// Every option of the indexing job is a flag of `xrd index` with the option's default,
    /// and every flag but the inputs an option.
    #[test]
    fn every_option_is_a_flag_with_the_options_default() {
        let (ids, fields) = flags::and_fields::<Args>("index", "index", &["inputs"], &[]);
        assert_eq!(ids, fields);
        let args = flags::parse::<Args>(&["index", "a.xy"]);
        assert_eq!(super::options(&args), xrd_jobs::IndexOptions::default());
    }
}
