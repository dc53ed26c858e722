//! `xrd library show NAME`: the library entries a name, formula or id resolves to, judged as
//! references for quantitative analysis and in the order `xrd refine --phase NAME` tries them.

use std::path::PathBuf;

use xrd_cli::output::{Cell, Table};
use xrd_minerals::Library;

use super::{Context, Outcome, Result};

/// Options of `xrd library`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `xrd library` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the entries a mineral name, formula or id resolves to, best reference first, with
    /// the judgements that ranked them (room conditions, cell against the consensus of the
    /// name's entries, substitution, supercell, H sites, displacement parameters, year). `xrd
    /// refine --phase NAME` compares the first few (--max-candidates); pin another by its id.
    #[command(
        after_help = "A penalty of 100 or more marks a structure measured away from room \
        conditions (or an ice): a name that has any entry at room conditions never resolves to \
        one. `xrd refine` keeps the first entry unless another fits clearly better (Rwp lower by \
        3 % of the first's)."
    )]
    Show(ShowArgs),
}

/// Options of `xrd library show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A mineral name (calcite), formula (CaCO3) or library id (amcsd:8240).
    pub name: String,
    /// A further library: a folder of CIF/POSCAR files, or one such file (repeatable).
    #[arg(long, value_name = "PATH")]
    pub library: Vec<PathBuf>,
    /// Look up the name only in the --library folders, not the built-in AMCSD.
    #[arg(long)]
    pub no_builtin: bool,
}

/// Runs `xrd library`.
pub fn run(args: Args, ctx: &Context) -> Result<Outcome> {
    match args.command {
        Command::Show(show) => run_show(&show, ctx),
    }
}

fn run_show(args: &ShowArgs, ctx: &Context) -> Result<Outcome> {
    if args.no_builtin && args.library.is_empty() {
        return Err("no library: --no-builtin needs --library".into());
    }
    let lib = Library::assemble_named(!args.no_builtin, &args.library, &[&args.name])?;
    let found = lib.lookup(&args.name);
    if found.is_empty() {
        return Err(format!(
            "`{}`: no library entry has this id, mineral name or formula",
            args.name
        )
        .into());
    }
    let mut table = Table::new([
        "rank",
        "id",
        "name",
        "formula",
        "space_group",
        "a",
        "b",
        "c",
        "year",
        "cell_deviation",
        "penalty",
        "judgement",
    ]);
    for (rank, (i, s)) in xrd_minerals::ranked(&lib, &found).into_iter().enumerate() {
        let e = &lib.entries()[i];
        table.push(vec![
            Cell::integer(rank as i64 + 1),
            Cell::text(e.id.clone()),
            Cell::text(e.name()),
            Cell::text(e.formula.clone()),
            Cell::integer(i64::from(e.space_group)),
            Cell::number(e.cell[0], 4),
            Cell::number(e.cell[1], 4),
            Cell::number(e.cell[2], 4),
            Cell::integer(i64::from(e.publication.year)),
            Cell::number(s.cell_deviation, 4),
            Cell::number(s.penalty, 2),
            Cell::text(s.summary()),
        ]);
    }
    ctx.print(&table);
    Ok(Outcome::Done)
}
