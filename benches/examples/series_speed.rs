//! The cost of one warm frame of the synthetic series, in-process and repeated (the minimum and
//! median of the repeats, less noisy on a shared machine than a whole run): frame 21 of the
//! 64-frame reaction series (`xrd_benches::reaction_frame`, nine phases named, 0.2413 Å, no
//! instrument file) from frame 20's cold result, and frame 193 of the 384-frame three-phase
//! series from frame 192's, as `xrd refine --sequential` refines every frame after the first.
//!
//! ```text
//! cargo run --release -p xrd-benches --features probes --example series_speed -- [REPEATS]
//! ```

#![allow(clippy::unwrap_used)]

use std::time::Instant;
use xrd_refine::{Phase, Refiner};

fn time(label: &str, repeats: usize, mut f: impl FnMut()) {
    let mut t: Vec<f64> = (0..repeats)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    println!(
        "{label}: min {:.2} ms, median {:.2} ms ({repeats} repeats)",
        t[0],
        t[repeats / 2]
    );
}

fn main() {
    let repeats: usize = std::env::args().nth(1).map_or(15, |s| s.parse().unwrap());
    let phases = |files: &[String]| -> Vec<Phase> {
        files
            .iter()
            .map(|f| Phase::new(f.as_str(), xrd_sim::Structure::from_file(f).unwrap()).unwrap())
            .collect()
    };
    let reaction: Vec<String> = xrd_benches::REACTION_PHASES
        .iter()
        .map(|p| xrd_benches::shared_cif(p.1))
        .collect();
    let refiner = Refiner::new(phases(&reaction)).particle_size(0.0);
    let (before, _, _) = xrd_benches::reaction_frame(20, 64);
    let (frame, _, _) = xrd_benches::reaction_frame(21, 64);
    let w = xrd_io::Wavelength::synchrotron(0.2413);
    let (_, state) = refiner.fit_state(&before, w).unwrap();
    time("reaction, nine phases, warm frame", repeats, || {
        refiner.fit_warm(&frame, w, &state).unwrap();
    });
    let three: Vec<String> = xrd_benches::SERIES_CIFS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let refiner = Refiner::new(phases(&three)).particle_size(0.0);
    let (before, _, _) = xrd_benches::series_frame(192, 384);
    let (frame, _, _) = xrd_benches::series_frame(193, 384);
    let w = xrd_io::Wavelength::CU_KA;
    let (_, state) = refiner.fit_state(&before, w).unwrap();
    time("three phases, warm frame", repeats, || {
        refiner.fit_warm(&frame, w, &state).unwrap();
    });
}
