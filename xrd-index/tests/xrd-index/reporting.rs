//! The default indexing on the reporting half of the measured RRUFF set (issue #45 part 2; the
//! split: `xrd_testdata::rruff_half`, the numbers:
//! `docs/experiments/2026-11-26-tuning-and-reporting-halves.md`): it accepts cells of the true
//! crystal system for at least as many patterns as measured less two binomial standard errors,
//! and wrong cells for at most as many as measured plus two.
use xrd_index::Indexer;
use xrd_io::Wavelength;
use xrd_sim::CrystalSystem;
use xrd_testdata::{Half, rruff_rows, shared_data};

/// Binomial standard errors between a measured share and its floor or ceiling.
const SDS: f64 = 2.0;
/// Measured on the 225 patterns of the reporting half with the default parameters: a cell
/// accepted for 101, of the true crystal system for 82 (0.364), of another for 19 (0.084).
const RIGHT: usize = 82;
const WRONG: usize = 19;

/// `p + sds` binomial standard errors on `n` trials (`p − |sds|` for a negative `sds`).
fn plus_sds(p: f64, n: usize, sds: f64) -> f64 {
    xrd_testdata::binomial_bound(p, n, sds)
}

/// Whether the default indexing accepts a cell for each of `rows` and whether its metric names
/// the true crystal system: (accepted, right) per row, on every core.
fn index_rows(d: &xrd_io::Dataset<f32>, rows: &[usize]) -> Vec<(bool, bool)> {
    let groups = d.label("space_group").unwrap();
    let indexer = Indexer::default();
    let one = |i: usize| {
        let truth = CrystalSystem::from_space_group(groups[i] as u8).unwrap();
        let pattern = d.to_pattern(i, Some(Wavelength::CU_KA)).unwrap();
        let indexing = indexer
            .index_pattern_at(&pattern, Wavelength::CU_KA)
            .unwrap();
        indexing.accepted().map_or((false, false), |c| {
            (true, c.metric.systems().contains(&truth))
        })
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(|&i| one(i)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// Planted bugs this caught: see the experiment note.
#[test]
fn default_indexing_holds_its_reporting_half_cells() {
    let Some(path) = shared_data("measured/rruff_dev.npz") else {
        return;
    };
    let d = xrd_io::Dataset::<f32>::read_npz(&path).unwrap();
    let rows = rruff_rows(
        d.label("source_index").unwrap().iter().copied(),
        Half::Reporting,
    );
    let n = rows.len();
    assert_eq!(n, 225);
    let results = index_rows(&d, &rows);
    let accepted = results.iter().filter(|r| r.0).count();
    let right = results.iter().filter(|r| r.1).count();
    let wrong = accepted - right;
    let floor = plus_sds(RIGHT as f64 / n as f64, n, -SDS) * n as f64;
    let ceiling = plus_sds(WRONG as f64 / n as f64, n, SDS) * n as f64;
    eprintln!(
        "indexing, {n} reporting rows: {accepted} cells accepted, {right} right (floor {floor:.1}), {wrong} wrong (ceiling {ceiling:.1})"
    );
    assert!(
        right as f64 >= floor,
        "{right} right cells of {n} < {floor:.1}"
    );
    assert!(
        wrong as f64 <= ceiling,
        "{wrong} wrong cells of {n} > {ceiling:.1}"
    );
}
