//! How far search-match could go on the 457 measured RRUFF patterns of
//! `../shared/data/measured/rruff_dev.npz`: each pattern is searched against the whole library
//! and against the references of its true space group only. Where the first phase is wrong but
//! a reference of the true group scores about as well as right answers do, the ranking missed
//! it; where none does, the library most likely lacks the mineral. Prints one line per pattern
//! (row, true group, predicted group, best score, best score in the true group, that reference).
//!
//! ```sh
//! cargo run --release -p xrd-benches --features probes --example search_ceiling [-- POWER]
//! ```

// A measurement run by hand on known files; a failure is a bug here, not user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use rayon::prelude::*;
use xrd_benches::RRUFF;
use xrd_io::Wavelength;
use xrd_minerals::{Library, Matcher, ReferenceParams, ReferenceSet, SearchParams};

fn main() {
    let power: f64 = std::env::args().nth(1).map_or(1.0, |s| s.parse().unwrap());
    let (library, refs) = xrd_benches::amcsd_cu_ka().unwrap();
    let rp = ReferenceParams::new().wavelength(Wavelength::CU_KA);
    let sp = SearchParams::new().intensity_power(power);
    let all = Matcher::new(library.clone(), &refs, Wavelength::CU_KA, sp.clone()).unwrap();
    let mut subs: Vec<Option<(Library, ReferenceSet)>> = (0..=230).map(|_| None).collect();
    for g in 1..=230u8 {
        let e: Vec<_> = library
            .entries()
            .iter()
            .filter(|e| e.space_group == g)
            .cloned()
            .collect();
        if e.is_empty() {
            continue;
        }
        let lib = Library::new(library.info().clone(), e, Vec::new()).unwrap();
        let r = ReferenceSet::build(&lib, &rp, |_, _| {}).unwrap();
        subs[g as usize] = Some((lib, r));
    }
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    let groups = data.label("space_group").unwrap();
    let rows: Vec<String> = (0..data.len())
        .into_par_iter()
        .map(|i| {
            let p = data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap();
            let t = groups[i] as u8;
            let best = all.search(&p).unwrap();
            let (bg, bs) = (library.entries()[best[0].entry].space_group, best[0].score);
            let (tn, ts) = match &subs[t as usize] {
                Some((lib, r)) => {
                    let m = Matcher::new(lib.clone(), r, Wavelength::CU_KA, sp.clone()).unwrap();
                    let c = m.search(&p).unwrap();
                    (lib.entries()[c[0].entry].name().to_string(), c[0].score)
                }
                None => (String::from("-"), 0.0),
            };
            format!("{i}\t{t}\t{bg}\t{bs:.4}\t{ts:.4}\t{tn}")
        })
        .collect();
    println!("row\ttruth\tpredicted\tbest\ttrue_group_best\tname");
    for r in rows {
        println!("{r}");
    }
}
