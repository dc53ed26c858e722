//! Search-match of the 457 measured RRUFF patterns of `../shared/data/measured/rruff_dev.npz`
//! with a background added, to compare background estimates (the RRUFF patterns come without
//! one): each pattern (strongest point 1) gets 0.1, a slope of up to 0.2, an amorphous hump
//! (Gaussian of σ 3–7° at 15–35°) of height HUMP, is scaled to COUNTS and given counting noise
//! (normal, variance = mean), all from a fixed seed.
//!
//! ```sh
//! cargo run --release -p xrd-benches --features probes --example search_background \
//!     -- [HUMP [COUNTS [tophat|snip]]]
//! ```

// A measurement run by hand on known files; a failure is a bug here, not user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use xrd_benches::RRUFF;
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Background, Matcher, SearchParams};

fn main() {
    let hump: f64 = std::env::args().nth(1).map_or(0.3, |s| s.parse().unwrap());
    let counts: f64 = std::env::args()
        .nth(2)
        .map_or(5000.0, |s| s.parse().unwrap());
    let background = match std::env::args().nth(3).as_deref() {
        Some("snip") => Background::Snip,
        _ => Background::TopHat,
    };
    let (library, refs) = xrd_benches::amcsd_cu_ka().unwrap();
    let m = Matcher::new(
        library.clone(),
        &refs,
        Wavelength::CU_KA,
        SearchParams::new().background(background),
    )
    .unwrap();
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    let groups: Vec<u8> = data
        .label("space_group")
        .unwrap()
        .iter()
        .map(|&g| g as u8)
        .collect();
    let mut state = 2019u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    };
    let patterns: Vec<Pattern> = (0..data.len())
        .map(|i| {
            let p = data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap();
            let centre = 15.0 + 20.0 * uniform();
            let width = 3.0 + 4.0 * uniform();
            let slope = 0.2 * uniform();
            let y: Vec<f64> = p
                .two_theta()
                .iter()
                .zip(p.intensity())
                .map(|(&t, &v)| {
                    let z = (t - centre) / width;
                    let bg = 0.1 + slope * (90.0 - t) / 85.0 + hump * (-0.5 * z * z).exp();
                    let mean = counts * (v.max(0.0) + bg);
                    // Gaussian approximation of Poisson counts (Box–Muller).
                    let (u1, u2) = (uniform().max(1e-300), uniform());
                    let n = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                    (mean + mean.sqrt() * n).max(0.0)
                })
                .collect();
            p.with_intensity(y).unwrap()
        })
        .collect();
    let e = m.evaluate(&patterns, &groups, |_| {}).unwrap();
    println!(
        "{background:?}, hump {hump}, counts {counts}: space group {:.1} %, crystal system {:.1} %, half {:.1} %, answered {:.1} %",
        100.0 * e.space_group_accuracy,
        100.0 * e.crystal_system_accuracy,
        100.0 * e.space_group_accuracy_certain_half,
        100.0 * e.answered_fraction
    );
}
