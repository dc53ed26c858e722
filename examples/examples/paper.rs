//! Reproduces Utimula et al. 2022 end to end on the built-in (Sm,Zr)(Fe,Ti)12 data set.
//!
//! ```sh
//! cargo run --release -p xrd-examples --example paper -- [--out DIR] [--epochs 1000] [--seed 1] [--repeats 1]
//! ```
//!
//! Writes the figures (`fig1_feature_space.svg`, `fig2_reconstruction.svg`,
//! `fig4_concentration_maps.svg`, `fig5_relevance.svg`, `fig6_generated.svg`), `table2.txt` and
//! `summary.json` into DIR (default `target/paper`), and prints the tables. The steps live in
//! `xrd_examples::paper`, one per section of the paper.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::DEFAULT_WEIGHT_DECAY;
use xrd_cli::run::{Result, exit_code, write_atomic};
use xrd_examples::paper::figures::{RunFigures, draw};
use xrd_examples::paper::summary::{RunResult, Summary};
use xrd_examples::paper::{
    Data, Split, data, estimation, feature_space, generation, pca, relevance,
};

/// Reproduces Utimula et al. 2022 on the built-in data set; writes figures, table2.txt and
/// summary.json into --out.
#[derive(Debug, Parser)]
#[command(name = "paper")]
struct Options {
    /// Output folder.
    #[arg(long, default_value = "target/paper")]
    out: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = 1000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    epochs: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs with successive seeds (their spread is reported).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    repeats: usize,
    /// L2 weight decay of Adam.
    #[arg(long, default_value_t = DEFAULT_WEIGHT_DECAY)]
    weight_decay: f64,
}

fn main() -> ExitCode {
    exit_code(run(&Options::parse()))
}

fn run(o: &Options) -> Result<()> {
    std::fs::create_dir_all(&o.out)
        .map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    eprintln!("building the built-in (Sm,Zr)(Fe,Ti)12 data set …");
    let data = data::load()?;
    eprintln!(
        "  {} patterns × {} points, {} concentrations, {:.2} s",
        data.x.nrows(),
        data.x.ncols(),
        data.group_names.len(),
        data.seconds
    );
    let mut runs = Vec::with_capacity(o.repeats);
    for r in 0..o.repeats {
        let seed = o.seed + r as u64;
        eprintln!("run {}/{} (seed {seed})", r + 1, o.repeats);
        let figures_dir = (r == 0).then_some(o.out.as_path());
        runs.push(run_once(&data, o, seed, figures_dir)?);
    }
    let summary = Summary::of(&data, o.epochs, &runs)?;
    write_atomic(&o.out.join("summary.json"), &summary.to_json()?)?;
    summary.print();
    eprintln!("wrote {}", o.out.display());
    Ok(())
}

/// One seed: the paper's sections in order, then the PCA baseline on the same rows.
fn run_once(data: &Data, o: &Options, seed: u64, fig_dir: Option<&Path>) -> Result<RunResult> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let split = Split::draw(data, &mut rng);
    let trained = feature_space::train(data, &split, o.epochs, o.weight_decay, &mut rng)?;
    let estimation = estimation::estimate(data, &split, &trained.points)?;
    let relevance = relevance::relevance(data, &split, &trained.model)?;
    let generation = generation::generate_held_out(data, &trained.model, &split)
        .map_err(|e| format!("generating the held-out composition: {e}"))?;
    let pca = pca::pca_baseline(data, &split).map_err(|e| format!("the PCA baseline: {e}"))?;
    if let Some(dir) = fig_dir {
        draw(
            dir,
            &RunFigures {
                data,
                split: &split,
                epochs: o.epochs,
                trained: &trained,
                estimation: &estimation,
                relevance: &relevance,
                curves: &generation.curves,
            },
        )?;
    }
    Ok(RunResult {
        seed,
        feature_space: trained.result,
        estimation: estimation.result,
        relevance: relevance.result,
        generation: generation.result,
        pca,
    })
}
