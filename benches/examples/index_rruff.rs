//! The default indexing's accuracy on all 457 measured RRUFF patterns of
//! `../shared/data/measured/rruff_dev.npz`, and its CPU time, one pattern after another on one
//! thread: how many patterns get an accepted cell, and for how many of those the accepted
//! metric's crystal systems hold the pattern's true system (from its space-group label) — the
//! two numbers a faster search must keep (issue #28).
//!
//! ```sh
//! cargo run --release -p xrd-benches --features probes --example index_rruff [-- OUT.tsv [STEP [MIN_INDEXED]]]
//! ```
//!
//! With a path, one line per pattern (row, true system, accepted metric, cell, M, indexed
//! weight) is written there, to compare two versions of the search pattern by pattern. With a
//! step, only every STEP-th pattern is indexed (29: the bench's 16). With a share, cells must
//! index that share of the lines' weight (default 0.9).

// A measurement run by hand on a known file; a failure is a bug here, not user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

use xrd_benches::RRUFF;
use xrd_benches::cpu_seconds;
use xrd_index::Indexer;
use xrd_io::Wavelength;
use xrd_sim::CrystalSystem;

fn main() {
    if !Path::new(RRUFF).exists() {
        eprintln!("index_rruff skipped: no {RRUFF}");
        return;
    }
    let out = std::env::args().nth(1);
    let step: usize = std::env::args().nth(2).map_or(1, |s| s.parse().unwrap());
    let data = xrd_io::Dataset::<f32>::read_npz(RRUFF).unwrap();
    let groups = data.label("space_group").unwrap();
    let mut params = xrd_index::IndexingParams::default();
    if let Some(share) = std::env::args().nth(3) {
        params = params.min_indexed(share.parse().unwrap());
    }
    let indexer = Indexer::new(params).unwrap();
    let (mut accepted, mut right) = (0, 0);
    let mut table = String::from("row\ttruth\tmetric\tcell\tmerit\tindexed_weight\n");
    let start = cpu_seconds().unwrap_or(0.0);
    let rows: Vec<usize> = (0..data.len()).step_by(step).collect();
    for &i in &rows {
        let truth = CrystalSystem::from_space_group(groups[i] as u8).unwrap();
        let pattern = data.to_pattern(i, Some(Wavelength::CU_KA)).unwrap();
        let indexing = indexer.index_pattern(&pattern).unwrap();
        let _ = write!(table, "{i}\t{truth:?}\t");
        match indexing.accepted() {
            Some(s) => {
                accepted += 1;
                if s.metric.systems().contains(&truth) {
                    right += 1;
                }
                let l = s.cell.lengths();
                let _ = writeln!(
                    table,
                    "{:?}\t{:.4} {:.4} {:.4}\t{:.1}\t{:.3}",
                    s.metric, l[0], l[1], l[2], s.merit, s.indexed_weight
                );
            }
            None => {
                let _ = writeln!(table, "-\t-\t-\t-");
            }
        }
    }
    let used = cpu_seconds().unwrap_or(start) - start;
    let n = rows.len();
    println!(
        "{n} patterns: a cell accepted for {accepted} ({:.1} %), the right crystal system for \
         {right} of them ({:.1} %); {:.1} ms CPU per pattern",
        100.0 * accepted as f64 / n as f64,
        100.0 * right as f64 / accepted.max(1) as f64,
        1e3 * used / n as f64
    );
    if let Some(path) = out {
        std::fs::write(&path, table).unwrap();
        println!("per pattern: {path}");
    }
}
