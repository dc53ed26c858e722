//! Hold-out evaluation of contour decoding against the baselines on the built-in data set.
//!
//! `cargo run --release -p xrd-interp --example evaluate -- [--epochs N] [--seeds K]`
//!
//! Prints the Markdown table to stdout; progress and timings go to stderr.

use std::process::ExitCode;
use std::time::Instant;

use ndarray::Array2;
use xrd_interp::{EvalConfig, evaluate};
use xrd_io::Dataset;
use xrd_sim::builtin::BuiltinParams;

const USAGE: &str = "usage: evaluate [--epochs N] [--seeds K]\n\
  --epochs N  training epochs of the autoencoder and the regressor (default 1000, the paper's)\n\
  --seeds K   seeds 0..K per hold-out (default 3)";

fn parse() -> Result<(usize, usize), String> {
    let (mut epochs, mut seeds) = (1000, 3);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}: expected a positive integer, got {v:?}")),
            }
        };
        match a.as_str() {
            "--epochs" => epochs = value("--epochs")?,
            "--seeds" => seeds = value("--seeds")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((epochs, seeds))
}

/// The built-in data set as f32 patterns labelled (x, y).
fn built_in() -> Result<Dataset<f32>, Box<dyn std::error::Error>> {
    let b = BuiltinParams::default().build()?;
    let labels = Array2::from_shape_fn(
        (b.x.len(), 2),
        |(i, j)| if j == 0 { b.x[i] } else { b.y[i] },
    );
    Ok(Dataset::new(
        b.grid,
        b.patterns.mapv(|v| v as f32),
        b.config_id.clone(),
        labels,
        vec!["x".into(), "y".into()],
    )?)
}

fn main() -> ExitCode {
    let (epochs, seeds) = match parse() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let start = Instant::now();
    let data = match built_in() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: building the built-in data set: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "built-in data set: {} patterns × {} points ({:.1} s)",
        data.len(),
        data.grid.len(),
        start.elapsed().as_secs_f64()
    );
    let config = EvalConfig::default()
        .epochs(epochs)
        .seeds((0..seeds as u64).collect());
    let t = Instant::now();
    let table = evaluate(&data, &config, |p| {
        eprintln!(
            "[{:>3}/{}] hold-out {} seed {} {:<22} {:>7.1} s",
            p.done,
            p.total,
            p.holdout,
            p.seed,
            p.method.label(),
            t.elapsed().as_secs_f64()
        );
    });
    match table {
        Ok(table) => {
            println!(
                "Built-in data set ({} patterns), epochs {epochs}, seeds 0..{seeds}, f32.\n",
                data.len()
            );
            println!("{table}");
            eprintln!("total {:.1} s", start.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
