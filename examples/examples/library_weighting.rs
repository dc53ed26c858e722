//! How the library weighting of xrd-classify's predictions (`LibraryWeighting`: temperature,
//! midpoint, width) was chosen: the evidence about every pattern of a labelled set (networks,
//! indexing, library candidates) is gathered once, then every weighting of a grid decides the
//! answers. Because the set is a development set (measured RRUFF patterns), the choice is
//! checked two-fold: chosen on the even rows and scored on the odd ones, and the other way
//! round; the defaults are the choice on all rows.
//!
//! ```sh
//! cargo run --release -p xrd-examples --example library_weighting
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use xrd_classify::{Classifier, Gathered, LibrarySearch, LibraryWeighting};
use xrd_cli::run::Result;
use xrd_minerals::{Library, ReferenceParams, ReferenceSet, SearchParams};

#[derive(Debug, Parser)]
#[command(about = "Choose the library weighting of xrd-classify on a labelled set")]
struct Args {
    /// The labelled patterns (.npz with patterns, two_theta, space_group).
    #[arg(long, default_value = "../shared/data/measured/rruff_dev.npz")]
    data: PathBuf,
    /// A model written by `xrd classify train` (default: the shipped model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Folder of the cached reference patterns.
    #[arg(long, default_value = "target/xrd-cache")]
    cache: PathBuf,
    /// Intensity power of the library search (`SearchParams::intensity_power`).
    #[arg(long, default_value_t = SearchParams::new().get_intensity_power())]
    power: f64,
}

/// Space-group accuracy of the answers under `w` on the rows `rows`.
fn accuracy(
    model: &Classifier,
    w: LibraryWeighting,
    gathered: &[Gathered],
    truth: &[u8],
    rows: &[usize],
) -> Result<f64> {
    let stage = model.library().ok_or("no library")?.clone().weighting(w)?;
    let model = model.clone().with_library(Some(stage));
    let right = rows
        .iter()
        .filter(|&&i| model.decide(&gathered[i]).combined.space_group == truth[i])
        .count();
    Ok(right as f64 / rows.len().max(1) as f64)
}

/// The best weighting of `grid` on `rows` (the first of equals, in grid order).
fn best(
    model: &Classifier,
    grid: &[LibraryWeighting],
    gathered: &[Gathered],
    truth: &[u8],
    rows: &[usize],
) -> Result<(LibraryWeighting, f64)> {
    let mut out = (grid[0], f64::NEG_INFINITY);
    for &w in grid {
        let a = accuracy(model, w, gathered, truth, rows)?;
        if a > out.1 {
            out = (w, a);
        }
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let model = match &args.model {
        Some(p) => Classifier::load(p)?,
        None => Classifier::shipped()?,
    };
    let library = Library::amcsd()?;
    let params = ReferenceParams::new().wavelength(xrd_classify::TRAINING_WAVELENGTH);
    let refs = ReferenceSet::cached(&library, &params, &args.cache, |_, _| {})?;
    let stage = LibrarySearch::new(library, SearchParams::new().intensity_power(args.power))?
        .with_references(refs)?;
    let model = model.with_library(Some(stage));
    let set = xrd_cli::inputs::labelled_npz(&args.data, Some(xrd_cli::inputs::Halves::All))?;
    let (patterns, truth) = (set.patterns, set.truth);
    let t = Instant::now();
    let gathered = model.gather(&patterns, None)?;
    eprintln!(
        "evidence about {} patterns gathered in {:.1} s",
        patterns.len(),
        t.elapsed().as_secs_f64()
    );
    let grid = LibraryWeighting::search_grid();
    let all: Vec<usize> = (0..truth.len()).collect();
    let even: Vec<usize> = all.iter().copied().filter(|i| i % 2 == 0).collect();
    let odd: Vec<usize> = all.iter().copied().filter(|i| i % 2 == 1).collect();
    let default = LibraryWeighting::default();
    println!(
        "default {default:?}: space group {:.1} % (all rows)",
        100.0 * accuracy(&model, default, &gathered, &truth, &all)?
    );
    let (on_even, a_even) = best(&model, &grid, &gathered, &truth, &even)?;
    let (on_odd, a_odd) = best(&model, &grid, &gathered, &truth, &odd)?;
    println!(
        "chosen on the even rows {on_even:?} ({:.1} % there): {:.1} % on the odd rows",
        100.0 * a_even,
        100.0 * accuracy(&model, on_even, &gathered, &truth, &odd)?
    );
    println!(
        "chosen on the odd rows {on_odd:?} ({:.1} % there): {:.1} % on the even rows",
        100.0 * a_odd,
        100.0 * accuracy(&model, on_odd, &gathered, &truth, &even)?
    );
    let (on_all, a_all) = best(&model, &grid, &gathered, &truth, &all)?;
    println!(
        "chosen on all rows {on_all:?}: {:.1} % (a development number)",
        100.0 * a_all
    );
    Ok(())
}
