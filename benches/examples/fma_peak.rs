//! This machine's f32 FMA peak, for the roofline figures of BENCHMARKS.md: a tight loop of
//! independent 8-lane fused multiply-adds (AVX2 + FMA; 12 accumulators hide the 4-cycle
//! latency of two FMA pipes), on 1 and on N threads at once. A Zen 3 core retires two such
//! FMAs per cycle (32 flop), so GFLOP/s per core ÷ 32 is the clock the loop ran at.
//!
//! ```text
//! cargo run --release -p xrd-benches --example fma_peak -- 2   # threads (default 2)
//! ```

// The intrinsics are the point of this program.
#![allow(unsafe_code)]

use std::time::Instant;

/// FMAs per accumulator per call.
const ROUNDS: usize = 200_000_000;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fma_loop(seed: f32) -> f32 {
    use std::arch::x86_64::*;
    // Twelve independent chains: enough to keep two pipes of latency 4 busy.
    let mut acc = [_mm256_set1_ps(seed); 12];
    let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
    for _ in 0..std::hint::black_box(ROUNDS) {
        for x in acc.iter_mut() {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut out = [0.0f32; 8];
    let mut sum = acc[0];
    for x in &acc[1..] {
        sum = _mm256_add_ps(sum, *x);
    }
    // SAFETY: `out` holds exactly 8 f32.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
    out.iter().sum()
}

/// [`fma_loop`] with 16-lane AVX-512 vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_loop512(seed: f32) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(seed); 12];
    let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
    for _ in 0..std::hint::black_box(ROUNDS) {
        for x in acc.iter_mut() {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let mut sum = acc[0];
    for x in &acc[1..] {
        sum = _mm512_add_ps(sum, *x);
    }
    _mm512_reduce_add_ps(sum)
}

/// CPU seconds of the calling thread (Linux `/proc/thread-self/stat`, 100 ticks per second):
/// on a shared machine the rate per CPU-second is the core's, whatever else runs.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
}

/// GFLOP per wall second and per CPU second of one loop on this thread (2 flop per lane per
/// FMA): `fma_loop` (8 lanes) or, with `lanes` = 16, `fma_loop512`.
#[cfg(target_arch = "x86_64")]
fn run(seed: f32, lanes: usize) -> (f64, f64) {
    let (t, c) = (Instant::now(), thread_cpu_seconds().unwrap_or(f64::NAN));
    let seed = std::hint::black_box(seed);
    // SAFETY: called only after checking that the CPU has AVX2 and FMA, and AVX-512F for 16
    // lanes.
    let r = unsafe {
        if lanes == 16 {
            fma_loop512(seed)
        } else {
            fma_loop(seed)
        }
    };
    let (wall, cpu) = (
        t.elapsed().as_secs_f64(),
        thread_cpu_seconds().unwrap_or(f64::NAN) - c,
    );
    std::hint::black_box(r);
    let flop = (ROUNDS * 12 * lanes * 2) as f64 / 1e9;
    (flop / wall, flop / cpu)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[cfg(target_arch = "x86_64")]
    {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            return Err("this CPU lacks AVX2 + FMA".into());
        }
        let threads: usize = std::env::args()
            .nth(1)
            .map(|a| a.parse())
            .transpose()?
            .unwrap_or(2);
        run(1.0, 8); // warm-up (clock ramp)
        let (mut wall, mut cpu) = (0.0f64, 0.0f64);
        for _ in 0..3 {
            let (w, c) = run(1.0, 8);
            (wall, cpu) = (wall.max(w), cpu.max(c));
        }
        println!(
            "1 thread: {wall:.1} GFLOP per wall second, {cpu:.1} per CPU second (best of 3) \
             = {:.2} GHz at 32 flop/cycle",
            cpu / 32.0
        );
        if is_x86_feature_detected!("avx512f") {
            let best512 = (0..3).map(|_| run(1.0, 16).1).fold(0.0f64, f64::max);
            println!(
                "1 thread, AVX-512: {best512:.1} GFLOP per CPU second (best of 3) = {:.1} \
                 flop/cycle at the AVX2 loop's clock (64: two 16-lane FMA pipes)",
                best512 / (cpu / 32.0)
            );
        }
        let mut best = 0.0f64;
        for _ in 0..3 {
            let t = Instant::now();
            let per: Vec<f64> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|i| s.spawn(move || run(1.0 + i as f32, 8).1))
                    .collect();
                hs.into_iter().filter_map(|h| h.join().ok()).collect()
            });
            let wall = t.elapsed().as_secs_f64();
            let total = (threads * ROUNDS * 12 * 8 * 2) as f64 / wall / 1e9;
            best = best.max(total);
            eprintln!(
                "  {threads} threads: per CPU second of each {per:.1?} GFLOP, together {total:.1} \
                 GFLOP per wall second"
            );
        }
        println!("{threads} threads: {best:.1} GFLOP per wall second together (best of 3)");
        Ok(())
    }
    #[cfg(not(target_arch = "x86_64"))]
    Err("x86-64 only".into())
}
