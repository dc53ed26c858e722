//! Search-match scores at two intensity powers combined, on all 457 measured RRUFF patterns of
//! `../shared/data/measured/rruff_dev.npz` and the XRD-AutoAnalyzer lab scans: each pattern is
//! searched at power 1 and at power P (default ½, the first argument), the top 64 of each
//! united, and the union ranked by the scores at one power, the other, and their mean,
//! geometric mean and minimum. A reference missing from one list is given that list's lowest
//! score (an upper bound of its true score): a measurement of what a combination could give,
//! not an implementation of one.
//!
//! ```sh
//! cargo run --release -p xrd-benches --features probes --example search_powers [-- P]
//! ```

// A measurement run by hand on known files; a failure is a bug here, not user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use rayon::prelude::*;
use std::collections::HashMap;
use xrd_benches::RRUFF;
use xrd_io::Wavelength;
use xrd_minerals::{Matcher, SearchParams};
use xrd_sim::CrystalSystem;

/// A way to rank by two scores.
type Rule = Box<dyn Fn(f64, f64) -> f64>;

fn main() {
    let pb: f64 = std::env::args().nth(1).map_or(0.5, |s| s.parse().unwrap());
    let (library, refs) = xrd_benches::amcsd_cu_ka().unwrap();
    let ma = Matcher::new(
        library.clone(),
        &refs,
        Wavelength::CU_KA,
        SearchParams::new().top(64),
    )
    .unwrap();
    let mb = Matcher::new(
        library.clone(),
        &refs,
        Wavelength::CU_KA,
        SearchParams::new().top(64).intensity_power(pb),
    )
    .unwrap();
    let combine = |pat: &xrd_io::Pattern| -> Vec<(usize, f64, f64)> {
        let a = ma.search(pat).unwrap_or_default();
        let b = mb.search(pat).unwrap_or_default();
        let amin = a.last().map_or(0.0, |c| c.score);
        let bmin = b.last().map_or(0.0, |c| c.score);
        let mut m: HashMap<usize, (f64, f64)> = HashMap::new();
        for c in &a {
            m.entry(c.entry).or_insert((amin, bmin)).0 = c.score;
        }
        for c in &b {
            m.entry(c.entry).or_insert((amin, bmin)).1 = c.score;
        }
        let mut v: Vec<(usize, f64, f64)> = m.into_iter().map(|(e, (x, y))| (e, x, y)).collect();
        v.sort_by_key(|x| x.0);
        v
    };
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    let groups = data.label("space_group").unwrap();
    let pats: Vec<_> = (0..data.len())
        .map(|i| data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap())
        .collect();
    let all: Vec<Vec<(usize, f64, f64)>> = pats.par_iter().map(&combine).collect();
    let entries = library.entries();
    let rules: Vec<(&str, Rule)> = vec![
        ("a", Box::new(|x, _| x)),
        ("b", Box::new(|_, y| y)),
        ("mean", Box::new(|x, y| 0.5 * (x + y))),
        ("geo", Box::new(|x: f64, y: f64| (x * y).sqrt())),
        ("min", Box::new(|x: f64, y: f64| x.min(y))),
    ];
    for (name, f) in &rules {
        let (mut sg, mut cs) = (0, 0);
        let mut half: Vec<(f64, bool)> = Vec::new();
        for (i, v) in all.iter().enumerate() {
            let best = v
                .iter()
                .map(|&(e, x, y)| (f(x, y), e))
                .max_by(|p, q| p.0.total_cmp(&q.0).then(q.1.cmp(&p.1)));
            let Some((s, e)) = best else { continue };
            let g = entries[e].space_group;
            let t = groups[i] as u8;
            sg += usize::from(g == t);
            cs += usize::from(
                CrystalSystem::from_space_group(g).unwrap()
                    == CrystalSystem::from_space_group(t).unwrap(),
            );
            half.push((s, g == t));
        }
        half.sort_by(|p, q| q.0.total_cmp(&p.0));
        let h = half.len() / 2 + 1;
        let hr = half[..h].iter().filter(|x| x.1).count() as f64 / h as f64;
        println!(
            "{name:6} sg {:.1} cs {:.1} half {:.1}",
            100.0 * sg as f64 / 457.0,
            100.0 * cs as f64 / 457.0,
            100.0 * hr
        );
    }
    for f in ["MnO", "Mn2O3", "TiO2", "Li2MnO3_MnO_TiO2"] {
        let p = xrd_io::read(format!(
            "{}/../../shared/data/real/autoxrd_{f}.xy",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let p = p.into_iter().next().unwrap();
        let v = combine(&p);
        for (name, fun) in &rules {
            let mut s: Vec<(f64, usize)> = v.iter().map(|&(e, x, y)| (fun(x, y), e)).collect();
            s.sort_by(|p, q| q.0.total_cmp(&p.0));
            let top: Vec<String> = s
                .iter()
                .take(3)
                .map(|(sc, e)| {
                    format!(
                        "{}({},{:.3})",
                        entries[*e].name(),
                        entries[*e].space_group,
                        sc
                    )
                })
                .collect();
            println!("{f:18} {name:6} {}", top.join(" "));
        }
    }
}
