//! `xrd index`: lattice cells of measured patterns (xrd-index: de Wolff's figure of merit, zero
//! shift, systematic absences).

use std::path::{Path, PathBuf};

use xrd_cli::output::{Cell, Table};
use xrd_index::{Indexer, IndexingParams, Metric, Solution};
use xrd_io::Wavelength;

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
    /// Pattern files or folders (searched one level deep).
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

/// Runs `xrd index`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    let mut metrics = vec![
        Metric::Cubic,
        Metric::Hexagonal,
        Metric::Tetragonal,
        Metric::Orthorhombic,
    ];
    if args.monoclinic {
        metrics.push(Metric::Monoclinic);
    }
    let indexer = Indexer::new(
        IndexingParams::default()
            .tolerance(args.tolerance)
            .min_merit(args.min_merit)
            .min_trial_merit(args.min_trial_merit)
            .min_indexed(args.min_indexed)
            .lines(args.lines)
            .metrics(&metrics),
    )?
    .every_metric(args.all);
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
        if let Err(e) = index_file(file, &args, &indexer, &mut table) {
            skipped(&file.display().to_string(), &e);
            failed += 1;
        }
    }
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

fn index_file(file: &Path, args: &Args, indexer: &Indexer, table: &mut Table) -> Result<()> {
    let patterns = xrd_io::read(file)?;
    let count = patterns.len();
    for (k, pattern) in patterns.iter().enumerate() {
        let name = pattern_name(file, k, count);
        let wavelength = wavelength_or(&name, pattern, args.wavelength);
        let indexing = indexer.index_pattern_at(pattern, wavelength)?;
        let groups = indexing
            .likely_space_groups()
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(";");
        let accepted = indexing.accepted();
        let first_group = indexing.likely_space_groups().first().copied();
        let row = |s: &Solution, is_accepted: bool, groups: &str| {
            let ([a, b, c], [alpha, beta, gamma]) = (s.cell.lengths(), s.cell.angles());
            // The cell as `xrd refine --phase` takes it, to check the indexing by a Pawley fit.
            let pawley = match first_group {
                Some(g) if is_accepted => Cell::text(format!(
                    "{}{a:.5},{b:.5},{c:.5},{alpha:.3},{beta:.3},{gamma:.3},{g}",
                    xrd_minerals::PAWLEY_PREFIX
                )),
                _ => Cell::empty(),
            };
            vec![
                Cell::text(name.clone()),
                Cell::text(format!("{:?}", s.metric).to_lowercase()),
                Cell::text(if is_accepted { "yes" } else { "no" }),
                Cell::number(a, 4),
                Cell::number(b, 4),
                Cell::number(c, 4),
                Cell::number(beta, 2),
                Cell::number(s.zero_shift, 3),
                Cell::integer(s.lines as i64),
                Cell::integer(s.indexed as i64),
                Cell::number(s.merit, 1),
                Cell::text(groups),
                pawley,
            ]
        };
        if args.all {
            for s in &indexing.solutions {
                let is_accepted = accepted.is_some_and(|a| a == s);
                table.push(row(s, is_accepted, if is_accepted { &groups } else { "" }));
            }
            if indexing.solutions.is_empty() {
                table.push(vec![
                    Cell::text(name.clone()),
                    Cell::text("none"),
                    Cell::text("no"),
                ]);
            }
        } else if let Some(s) = accepted {
            table.push(row(s, true, &groups));
        } else {
            let mut cells = vec![
                Cell::text(name.clone()),
                Cell::text("none"),
                Cell::text("no"),
            ];
            cells.resize(8, Cell::empty());
            cells.push(Cell::integer(indexing.lines.len() as i64));
            table.push(cells);
        }
    }
    Ok(())
}
