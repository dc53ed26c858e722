//! What the line search reads of a pattern's noise ([`xrd_io::observed::SearchNoise`]): the
//! smoothing's noise ratio on the background and the factor its thresholds take, on synthetic
//! patterns of known noise and on the measured sets of `../shared/data`.
//!
//! ```sh
//! cargo run --release -p xrd-benches --features probes --example line_noise
//! ```
//!
//! Synthetic patterns, 5–90° with a falling background of 200–300 counts and counting noise,
//! at steps of 0.005–0.08°: "lines" holds 40 lines of σ 0.05–0.3°, "dense" 120 narrow ones of σ
//! 0.03–0.15° (heights log-normal about twice the background, e^1.5 spread, so many are weak);
//! "pairs" and "triples" the lines of "lines" with the noise shared by 2 and 3 neighbouring
//! points (a moving sum, scaled back to the counting σ), whose ratios are 1.9045 and 2.709. The
//! onset and full-ratio constants of `xrd_io::correlation_factor` were chosen on the synthetic
//! rows alone; the measured rows report them (RRUFF by half, dara_dev's 20 scans, the four
//! XRD-AutoAnalyzer scans).

// A measurement run by hand on known files; a failure is a bug here, not user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rand::distr::Distribution;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_benches::RRUFF;
use xrd_io::halves::Half;
use xrd_io::observed::{LineSearch, SearchNoise, search_lines};
use xrd_io::{Pattern, Wavelength};

/// The shared data folder.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// One standard normal.
fn normal(rng: &mut impl Rng) -> f64 {
    xrd_core::random::BoxMuller.sample(rng)
}

/// A synthetic pattern: `lines` Gaussian lines of σ in `width` on a falling background, counting
/// noise shared by `shared` neighbouring points (1: independent), rounded to whole counts.
fn synthetic(
    rng: &mut impl Rng,
    step: f64,
    lines: usize,
    width: (f64, f64),
    shared: usize,
) -> Pattern {
    let n = ((90.0 - 5.0) / step) as usize + 1;
    let x: Vec<f64> = (0..n).map(|i| 5.0 + i as f64 * step).collect();
    let mut lambda: Vec<f64> = x
        .iter()
        .map(|t| 200.0 * (1.0 + 0.5 * (-(t - 5.0) / 15.0).exp()))
        .collect();
    for _ in 0..lines {
        let c = 10.0 + 75.0 * rng.random::<f64>();
        let w = width.0 + (width.1 - width.0) * rng.random::<f64>();
        let h = (400f64.ln() + 1.5 * normal(rng)).exp();
        for (l, t) in lambda.iter_mut().zip(&x) {
            *l += h * (-0.5 * ((t - c) / w).powi(2)).exp();
        }
    }
    let u: Vec<f64> = (0..n + shared).map(|_| normal(rng)).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let e = u[i..i + shared].iter().sum::<f64>() / (shared as f64).sqrt();
            (lambda[i] + lambda[i].sqrt() * e).round()
        })
        .collect();
    Pattern::uniform(5.0, step, y).unwrap()
}

fn noise(p: &Pattern) -> SearchNoise {
    search_lines(p, Wavelength::CU_KA, &LineSearch::default())
        .unwrap()
        .noise
}

/// "min / median / 99th percentile / max of the ratios read (how many not read); factors ≠ 1".
fn summary(noises: &[SearchNoise]) -> String {
    let mut r: Vec<f64> = noises.iter().filter_map(|n| n.ratio).collect();
    r.sort_by(f64::total_cmp);
    let unread = noises.len() - r.len();
    let moved = noises.iter().filter(|n| n.factor != 1.0).count();
    if r.is_empty() {
        return format!("none read ({unread}); factors ≠ 1: {moved}");
    }
    let q = |f: f64| r[((r.len() - 1) as f64 * f).round() as usize];
    format!(
        "ratio min {:.2} median {:.2} p99 {:.2} max {:.2} ({unread} not read); factors ≠ 1: {moved} of {}",
        r[0],
        q(0.5),
        q(0.99),
        r[r.len() - 1],
        noises.len()
    )
}

fn main() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    println!("synthetic (seed 5):");
    for step in [0.005, 0.01, 0.02, 0.04, 0.06, 0.08] {
        for (kind, count, lines, width, shared) in [
            ("lines", 300, 40, (0.05, 0.3), 1),
            ("dense", 100, 120, (0.03, 0.15), 1),
            ("pairs", 60, 40, (0.05, 0.3), 2),
            ("triples", 60, 40, (0.05, 0.3), 3),
        ] {
            let noises: Vec<SearchNoise> = (0..count)
                .map(|_| noise(&synthetic(&mut rng, step, lines, width, shared)))
                .collect();
            println!("  step {step:.3}° {kind:8} {}", summary(&noises));
        }
    }
    if Path::new(RRUFF).exists() {
        let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
        let source = data.label(xrd_io::halves::SOURCE_INDEX).unwrap().to_vec();
        for half in [Half::Tuning, Half::Reporting] {
            let noises: Vec<SearchNoise> = (half.rows(source.iter().copied()).unwrap().iter())
                .map(|&i| noise(&data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap()))
                .collect();
            println!("RRUFF, {} half: {}", half.name(), summary(&noises));
        }
    }
    let mut files: Vec<_> = ["measured/dara_dev", "real"]
        .iter()
        .filter_map(|d| std::fs::read_dir(Path::new(DATA).join(d)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".xrdml") || name.starts_with("autoxrd_")
        })
        .collect();
    files.sort();
    for f in files {
        let n = noise(&xrd_io::read(&f).unwrap()[0]);
        let ratio = n.ratio.map_or("not read".into(), |r| format!("{r:.2}"));
        println!(
            "{}: ratio {ratio}, factor {:.2}",
            f.file_name().unwrap().to_string_lossy(),
            n.factor
        );
    }
}
