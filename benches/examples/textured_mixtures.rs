//! Writes synthetic laboratory scans of the carbonate set's four phases (calcite, gibbsite,
//! dolomite, hematite from the built-in AMCSD library, by the ids `xrd refine --phase NAME`
//! chooses) at random weight fractions, the platy gibbsite and the rhombohedral carbonates
//! textured (`xrd_benches::textured_mixture`): `.xy` files, a `truth.csv` of the weight
//! fractions and a `texture.csv` of each scan's March–Dollase r. Issue 64 part 4 measures
//! `xrd refine` on them with and without each texture correction
//! (`docs/experiments/textured_mixtures.py`).
//!
//! ```text
//! cargo run --release -p xrd-benches --features probes --example textured_mixtures -- DIR [N]
//! ```

#![allow(clippy::unwrap_used)]

use rand::{Rng, SeedableRng};
use std::fmt::Write as _;

/// (name, AMCSD id, texture direction in the structure's cell): gibbsite's plates lie on
/// (001), calcite and dolomite cleave on {104} (hexagonal setting), hematite untextured.
const PHASES: [(&str, &str, Option<[i32; 3]>); 4] = [
    ("calcite", "amcsd:12867", Some([1, 0, 4])),
    ("gibbsite", "amcsd:17978", Some([0, 0, 1])),
    ("dolomite", "amcsd:1453", Some([1, 0, 4])),
    ("hematite", "amcsd:17731", None),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(std::path::PathBuf::from) else {
        eprintln!("usage: textured_mixtures DIR [N]");
        std::process::exit(2);
    };
    let n: usize = args.next().map_or(16, |s| s.parse().unwrap());
    let library = xrd_minerals::Library::amcsd().unwrap();
    let structures: Vec<xrd_sim::Structure> = PHASES
        .iter()
        .map(|(name, id, _)| {
            let i = *library
                .lookup(id)
                .first()
                .unwrap_or_else(|| panic!("{name}: {id} is not in the library"));
            library.entries()[i].structure().unwrap()
        })
        .collect();
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(64);
    let names: Vec<&str> = PHASES.iter().map(|p| p.0).collect();
    let mut truth = format!("file,{}\n", names.join(","));
    let mut textures = format!("file,{}\n", names.join(","));
    for k in 0..n {
        // 5–50 % each, normalised.
        let raw: Vec<f64> = (0..4).map(|_| rng.random_range(0.1..1.0)).collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let r: Vec<Option<f64>> = PHASES
            .iter()
            .map(|(name, _, d)| {
                d.map(|_| match *name {
                    "gibbsite" => rng.random_range(0.6..0.85),
                    _ => rng.random_range(0.85..1.0),
                })
            })
            .collect();
        let phases: Vec<(&xrd_sim::Structure, Option<xrd_sim::MarchDollase>)> = structures
            .iter()
            .zip(PHASES.iter().zip(&r))
            .map(|(s, ((_, _, d), r))| {
                let texture = d
                    .zip(*r)
                    .map(|(direction, r)| xrd_sim::MarchDollase { direction, r });
                (s, texture)
            })
            .collect();
        let p = xrd_benches::textured_mixture(&phases, &weights, 9000 + k as u64);
        let name = format!("mixture_{k:02}.xy");
        let mut xy = String::new();
        for (x, y) in p.two_theta().iter().zip(p.intensity()) {
            writeln!(xy, "{x:.4} {y}").unwrap();
        }
        std::fs::write(dir.join(&name), xy).unwrap();
        let w: Vec<String> = weights.iter().map(|x| format!("{x:.5}")).collect();
        writeln!(truth, "{name},{}", w.join(",")).unwrap();
        let r: Vec<String> = r
            .iter()
            .map(|r| r.map_or(String::new(), |r| format!("{r:.3}")))
            .collect();
        writeln!(textures, "{name},{}", r.join(",")).unwrap();
    }
    std::fs::write(dir.join("truth.csv"), truth).unwrap();
    std::fs::write(dir.join("texture.csv"), textures).unwrap();
    eprintln!("{n} mixtures written to {}", dir.display());
}
