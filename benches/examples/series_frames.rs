//! Writes the synthetic in-situ series of `xrd_benches::series_frame` (three phases, Cu Kα) or,
//! with `--reaction`, of `xrd_benches::reaction_frame` (nine phases, three to seven at a time,
//! 0.2413 Å; with `--real` as well, departing from the CIFs as a heated sample does:
//! `xrd_benches::Realism::Real`; with `--crowded`, nanocrystalline as well, the lines of its
//! phases merging: `xrd_benches::Realism::Crowded`), or with `--overlapped` of
//! `xrd_benches::overlapped_frame` (six library phases overlapping in pairs) as `.xy` files with an `order.csv` (file, temperature_k) and a `truth.csv` (the
//! weight fractions), for timing `xrd refine --sequential` against rietx's chained mode
//! (`benches/reference/rietx_series.py`) on the same frames.
//!
//! ```text
//! cargo run --release -p xrd-benches --features probes --example series_frames -- DIR [N] [--reaction [--real | --crowded] | --overlapped]
//! ```

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

fn main() {
    let reaction = std::env::args().any(|a| a == "--reaction");
    let overlapped = std::env::args().any(|a| a == "--overlapped");
    let realism = if std::env::args().any(|a| a == "--crowded") {
        xrd_benches::Realism::Crowded
    } else if std::env::args().any(|a| a == "--real") {
        xrd_benches::Realism::Real
    } else {
        xrd_benches::Realism::Model
    };
    let mut args = std::env::args()
        .skip(1)
        .filter(|a| !["--reaction", "--real", "--crowded", "--overlapped"].contains(&a.as_str()));
    let Some(dir) = args.next().map(std::path::PathBuf::from) else {
        eprintln!("usage: series_frames DIR [N]");
        std::process::exit(2);
    };
    let n: usize = args.next().map_or(384, |s| s.parse().unwrap());
    if !std::path::Path::new(xrd_benches::SERIES_CIFS[0]).exists() {
        eprintln!(
            "the shared CIFs are absent: {}",
            xrd_benches::SERIES_CIFS[0]
        );
        std::process::exit(1);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut order = String::from("file,temperature_k\n");
    let structures: Vec<xrd_sim::Structure> = if overlapped {
        let library = xrd_minerals::Library::amcsd().unwrap();
        xrd_benches::OVERLAPPED_PHASES
            .iter()
            .map(|(name, id)| {
                let i = *library
                    .lookup(id)
                    .first()
                    .unwrap_or_else(|| panic!("{name}: {id} is not in the library"));
                library.entries()[i].structure().unwrap()
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut truth = if overlapped {
        let names: Vec<&str> = xrd_benches::OVERLAPPED_PHASES.iter().map(|p| p.0).collect();
        format!("file,{}\n", names.join(","))
    } else if reaction {
        let names: Vec<&str> = xrd_benches::REACTION_PHASES.iter().map(|p| p.0).collect();
        format!("file,{}\n", names.join(","))
    } else {
        String::from("file,rutile,zincite,manganosite\n")
    };
    for k in 0..n {
        let (p, t, w) = if overlapped {
            let (p, t, w) = xrd_benches::overlapped_frame(k, n, &structures);
            (p, t, w.to_vec())
        } else if reaction {
            let (p, t, w) = xrd_benches::reaction_frame_with(k, n, realism);
            (p, t, w.to_vec())
        } else {
            let (p, t, w) = xrd_benches::series_frame(k, n);
            (p, t, w.to_vec())
        };
        let name = format!("frame_{k:04}.xy");
        let mut xy = String::new();
        for (x, y) in p.two_theta().iter().zip(p.intensity()) {
            writeln!(xy, "{x:.6} {y}").unwrap();
        }
        std::fs::write(dir.join(&name), xy).unwrap();
        writeln!(order, "{name},{t:.3}").unwrap();
        let w: Vec<String> = w.iter().map(|x| format!("{x:.5}")).collect();
        writeln!(truth, "{name},{}", w.join(",")).unwrap();
    }
    std::fs::write(dir.join("order.csv"), order).unwrap();
    std::fs::write(dir.join("truth.csv"), truth).unwrap();
    eprintln!("{n} frames written to {}", dir.display());
}
