//! CPU time of painting 1000 × 1000 pixels from the bench's 150 known points, for comparing
//! with the CPU time `benches/reference/scipy_griddata.py` prints. CPU time (user + system of
//! the whole process, from `/proc/self/stat`, Linux) is far less disturbed than wall-clock time
//! on a shared, loaded machine; run with `RAYON_NUM_THREADS=1` for the cost per core.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p xrd-benches --example paint_cpu -- 10
//! ```

use std::time::Instant;

use xrd_latent::{PaintGrid, TriangleEstimator};

/// User + system CPU seconds of this process (Linux `/proc/self/stat`, 100 ticks per second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10);
    let (pts, vals) = xrd_benches::paint_known_points(150);
    let est = TriangleEstimator::params().fit(pts.view(), vals.view())?;
    let p: Vec<[f64; 2]> = pts.outer_iter().map(|r| [r[0], r[1]]).collect();
    let grid = PaintGrid::around(&p, 0.05, 1000, 1000)?;
    est.paint(&grid)?; // warm-up
    let (c0, t0) = (cpu_seconds().ok_or("no /proc/self/stat")?, Instant::now());
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        std::hint::black_box(est.paint(&grid)?);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let cpu = cpu_seconds().ok_or("no /proc/self/stat")? - c0;
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "paint 1000 x 1000 from 150 points, {reps} runs: CPU {:.1} ms per paint ({:.0} ns per pixel), \
         wall mean {:.1} ms, best {:.1} ms",
        cpu / reps as f64 * 1e3,
        cpu / reps as f64 * 1e9 / 1e6,
        wall / reps as f64 * 1e3,
        best * 1e3
    );
    Ok(())
}
