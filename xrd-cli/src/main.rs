//! `xrd`: the jobs of a powder-diffraction lab from the command line. Each subcommand is a thin
//! layer over the workspace's libraries; see `xrd --help` and the crate README.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod commands;

use commands::{Context, Outcome};
use xrd_cli::output::Format;

/// Powder X-ray diffraction patterns: convert, simulate, index, identify phases, classify and
/// build feature spaces.
#[derive(Debug, Parser)]
#[command(name = "xrd", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    /// Worker threads for the parallel parts (default: one per core).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// No progress bars (they are hidden anyway when stderr is not a terminal).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// How results are printed on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert pattern files of any format xrd reads to xy, CSV, JSON or NumPy .npy.
    Convert(commands::convert::Args),
    /// Simulate the powder pattern (or the peak list) of a CIF or POSCAR structure.
    Simulate(commands::simulate::Args),
    /// Index measured patterns: lattice cells with figures of merit, zero shift, likely space
    /// groups.
    Index(commands::index::Args),
    /// The peak list of measured patterns by profile fitting: positions, d-spacings, areas,
    /// widths with their esds.
    Peaks(commands::peaks::Args),
    /// Identify the phases of measured patterns by search-match against a mineral library.
    Identify(Box<commands::identify::Args>),
    /// Whole-pattern (Rietveld) refinement: weight fractions, refined cells, crystallite sizes
    /// and strains of the phases named.
    Refine(Box<commands::refine::Args>),
    /// The mineral library: the entries a name resolves to, judged as references.
    Library(commands::library::Args),
    /// Crystal system and space group of patterns: train, evaluate or predict.
    Classify(commands::classify::Args),
    /// Build the paper's 2-D feature space of your pattern files and estimate their labels.
    FeatureSpace(Box<commands::feature_space::Args>),
    /// A local web workbench: open patterns, refine, compare fits and export the command.
    Serve(commands::serve::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        if n == 0 {
            Cli::command()
                .error(
                    clap::error::ErrorKind::InvalidValue,
                    "--threads must be at least 1",
                )
                .exit();
        }
        // The global pool is built once, before any work: this cannot already be set.
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return ExitCode::FAILURE;
        }
    }
    let ctx = Context {
        quiet: cli.quiet,
        format: cli.format,
    };
    let result = match cli.command {
        Command::Convert(args) => commands::convert::run(args, &ctx),
        Command::Simulate(args) => commands::simulate::run(args, &ctx),
        Command::Index(args) => commands::index::run(args, &ctx),
        Command::Peaks(args) => commands::peaks::run(args, &ctx),
        Command::Identify(args) => commands::identify::run(*args, &ctx),
        Command::Refine(args) => commands::refine::run(*args, &ctx),
        Command::Library(args) => commands::library::run(args, &ctx),
        Command::Classify(args) => commands::classify::run(args, &ctx),
        Command::FeatureSpace(args) => commands::feature_space::run(*args, &ctx),
        Command::Serve(args) => commands::serve::run(args, &ctx),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "xrd", &mut std::io::stdout());
            Ok(Outcome::Done)
        }
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Skipped(n)) => {
            eprintln!(
                "error: {n} input{} skipped (named above)",
                if n == 1 { "" } else { "s" }
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
