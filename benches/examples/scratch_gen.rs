use std::time::Instant;
use xrd_sim::{SyntheticCrystalParams, TrainingPatternParams};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let unchecked = args.get(2).is_some_and(|s| s == "u");
    let p = if unchecked {
        TrainingPatternParams::new().crystal(SyntheticCrystalParams::new().check_symmetry(None))
    } else {
        TrainingPatternParams::new()
    };
    let t = Instant::now();
    let b = p.batch(1, 0, n).unwrap();
    let el = t.elapsed().as_secs_f64();
    let s: f64 = b.patterns.iter().map(|&v| v as f64).sum();
    println!("{n} patterns in {el:.3} s ({:.0}/s) sum {s}", n as f64 / el);
}
#[allow(dead_code)]
fn stats() {}
