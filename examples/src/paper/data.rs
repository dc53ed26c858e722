//! The built-in data set with its concentration groups.

use std::time::Instant;

use ndarray::Array2;
use xrd_sim::builtin::{Builtin, BuiltinParams};

use crate::alloy::concentration_groups;
use xrd_cli::run::Result;

/// The data set of the main job.
#[derive(Debug, Clone)]
pub struct Data {
    /// The simulated series (patterns, compositions, peaks).
    pub builtin: Builtin,
    /// Its patterns in f32, the precision the models train in.
    pub x: Array2<f32>,
    /// The concentration group of every pattern (index into `group_names`).
    pub group: Vec<usize>,
    /// `x = 1.0, y = 0.250` per concentration group, in ascending (x, y).
    pub group_names: Vec<String>,
    /// Time to build the data set.
    pub seconds: f64,
}

/// Builds the built-in data set with its default parameters.
pub fn load() -> Result<Data> {
    let t = Instant::now();
    let builtin = BuiltinParams::default().build()?;
    let seconds = t.elapsed().as_secs_f64();
    let x = builtin.patterns.mapv(|v| v as f32);
    let (group, xy) = concentration_groups(&builtin);
    let group_names = xy
        .iter()
        .map(|c| format!("x = {:.1}, y = {:.3}", c[0], c[1]))
        .collect();
    Ok(Data {
        builtin,
        x,
        group,
        group_names,
        seconds,
    })
}
