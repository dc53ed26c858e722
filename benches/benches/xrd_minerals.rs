//! xrd-minerals: the reference peak lists of the whole built-in library (9,273 AMCSD entries,
//! Cu Kα1, 2θ ≤ 100°) and one measured RRUFF pattern (row 0 of
//! `../shared/data/measured/rruff_dev.npz`) searched against all of them (default
//! `SearchParams`, Cu Kα doublet). The matcher keeps the references' norms per 2θ range, so
//! after the first iteration this is the per-pattern cost of a batch of one instrument.
//!
//! No Python reference: no search-match program of the field runs here (HighScore and Match! are
//! closed; pymatgen has none). Without the RRUFF file the search bench is skipped with a message.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use xrd_benches::RRUFF;
use xrd_io::Wavelength;
use xrd_minerals::{Library, Matcher, ReferenceParams, ReferenceSet, SearchParams};

fn benches(c: &mut Criterion) {
    let library = Library::amcsd().unwrap();
    let params = ReferenceParams::new();
    let mut group = c.benchmark_group("xrd_minerals");
    group.sample_size(10);
    group.bench_function("references_amcsd_9273", |b| {
        b.iter(|| ReferenceSet::build(&library, &params, |_, _| {}).unwrap());
    });
    let refs = ReferenceSet::build(&library, &params, |_, _| {}).unwrap();
    if Path::new(RRUFF).exists() {
        let d = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
        let pattern = d.to_pattern(0, Some(Wavelength::CU_KA)).unwrap();
        let matcher = Matcher::new(
            library.clone(),
            &refs,
            Wavelength::CU_KA,
            SearchParams::new(),
        )
        .unwrap();
        group.bench_function("search_rruff_1_against_9273", |b| {
            b.iter(|| matcher.search(&pattern).unwrap());
        });
    } else {
        eprintln!("skipping search_rruff_1_against_9273: {RRUFF} is absent");
    }
    group.finish();
}

criterion_group!(minerals, benches);
criterion_main!(minerals);
