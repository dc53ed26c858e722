//! xrd-index: the default indexing of measured RRUFF patterns of
//! `../shared/data/measured/rruff_dev.npz` (every 29th of the 457: 16 patterns of all six
//! systems of the set), one pattern after another on one thread — what `xrd index` and a
//! classifier prediction spend per pattern. `XRD_BENCH_CPU=1` also prints the process CPU time
//! per pattern. No Python reference: neither scipy nor pymatgen index powder patterns.
//! Without the RRUFF file the bench is skipped with a message.

// Bench inputs are built in place; a failure is a bug in the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use xrd_benches::RRUFF;
use xrd_benches::cpu_time;
use xrd_index::Indexer;
use xrd_io::{Pattern, Wavelength};

fn index(c: &mut Criterion) {
    if !Path::new(RRUFF).exists() {
        eprintln!("xrd_index/index_rruff_16 skipped: no {RRUFF}");
        return;
    }
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    let patterns: Vec<Pattern> = (0..data.len())
        .step_by(29)
        .map(|i| data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap())
        .collect();
    let indexer = Indexer::default();
    let mut group = c.benchmark_group("xrd_index");
    group.sample_size(10);
    group.throughput(Throughput::Elements(patterns.len() as u64));
    let all = || {
        patterns
            .iter()
            .map(|p| indexer.index_pattern(p).unwrap())
            .collect::<Vec<_>>()
    };
    group.bench_function("index_rruff_16", |b| b.iter(all));
    group.bench_function("indexer_new", |b| b.iter(Indexer::default));
    group.finish();
    cpu_time("index 16 RRUFF patterns, one thread", all);
}

criterion_group!(benches, index);
criterion_main!(benches);
