//! The memory floor of one training epoch of the paper's autoencoder, for the roofline figures of
//! BENCHMARKS.md: every minibatch's Adam update must read and write each weight and both of its
//! moments (24 bytes per parameter), whatever the kernels do. This program streams exactly that
//! — the paper network's 3,076,678 parameters, 14 minibatches (135 patterns at batch 10) — with
//! a minimal update (no gradient, no square root, no division), split over the threads in blocks
//! of 65,536 parameters, and reports the best time per epoch.
//!
//! ```text
//! cargo run --release -p xrd-benches --features probes --example adam_stream -- 2   # threads
//! ```

use std::time::Instant;

use rayon::prelude::*;

/// Parameters of 11,900 → 128 → 64 → 12 → 2 → 12 → 64 → 128 → 11,900 (weights and biases).
const PARAMETERS: usize = 3_076_678;
/// Minibatches per epoch: 135 training patterns at batch 10.
const STEPS: usize = 14;
/// Parameters per parallel task.
const BLOCK: usize = 64 * 1024;

/// One streamed "update": reads and writes the weight and both moments of every parameter.
fn step(w: &mut [f32], m: &mut [f32], v: &mut [f32]) {
    w.par_chunks_mut(BLOCK)
        .zip(m.par_chunks_mut(BLOCK))
        .zip(v.par_chunks_mut(BLOCK))
        .for_each(|((w, m), v)| {
            for ((w, m), v) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()) {
                let mm = 0.9 * *m + 0.1e-3;
                let vv = 0.999 * *v + 1e-9;
                *m = mm;
                *v = vv;
                *w -= 1e-3 * mm * vv;
            }
        });
}

fn main() -> Result<(), rayon::ThreadPoolBuildError> {
    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut w = vec![0.01f32; PARAMETERS];
    let mut m = vec![0.0f32; PARAMETERS];
    let mut v = vec![0.0f32; PARAMETERS];
    let mut best = f64::INFINITY;
    let mut times = Vec::new();
    pool.install(|| {
        for _ in 0..40 {
            let t = Instant::now();
            for _ in 0..STEPS {
                step(&mut w, &mut m, &mut v);
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            times.push(ms);
            best = best.min(ms);
        }
    });
    times.sort_by(f64::total_cmp);
    let bytes = (STEPS * PARAMETERS * 24) as f64;
    println!(
        "{threads} thread(s): one epoch's Adam state ({:.0} MB read and written) best {best:.2} ms \
         ({:.1} GB/s), median {:.2} ms; checksum {}",
        bytes / 1e6,
        bytes / best / 1e6,
        times[times.len() / 2],
        w.iter().map(|&x| f64::from(x)).sum::<f64>()
    );
    Ok(())
}
