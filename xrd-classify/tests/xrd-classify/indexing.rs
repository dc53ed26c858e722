//! Indexing in the shipped classifier's predictions, on measured RRUFF patterns.

use ndarray::Axis;
use xrd_classify::{Classifier, CrystalSystem, TRAINING_WAVELENGTH};
use xrd_index::Indexer;
use xrd_io::Pattern;
use xrd_testdata::shared_data;

use super::classify::networks_only;
use super::shipped::SHIPPED;

/// Every 29th of the 457 measured patterns (16 of them, all six systems of the set).
#[test]
fn indexing_decides_the_crystal_system_of_measured_patterns() {
    let Some(path) = shared_data("measured/rruff_dev.npz") else {
        return;
    };
    let d = xrd_io::Dataset::<f32>::read_npz(&path).unwrap();
    let rows: Vec<usize> = (0..d.len()).step_by(29).collect();
    let x = d.patterns.select(Axis(0), &rows);
    let truth: Vec<CrystalSystem> = rows
        .iter()
        .map(|&i| {
            CrystalSystem::from_space_group(d.label("space_group").unwrap()[i] as u8).unwrap()
        })
        .collect();
    let model = Classifier::load(SHIPPED).unwrap();
    let with = model.predict(&x).unwrap();
    let without = networks_only(&model).predict(&x).unwrap();
    let right = |p: &[xrd_classify::Prediction]| {
        p.iter()
            .zip(&truth)
            .filter(|(p, t)| p.crystal_system == **t)
            .count()
    };
    let indexer = Indexer::default();
    let grid = model.grid();
    for (p, row) in with.iter().zip(x.rows()) {
        // An accepted cell fixes the system; without one, no system of a metric tested on
        // enough lines remains.
        match &p.cell {
            Some(c) => assert!(c.metric.systems().contains(&p.crystal_system), "{p:?}"),
            None => {
                let y = row.iter().map(|&v| f64::from(v)).collect();
                let row = Pattern::uniform(grid.start(), grid.step(), y).unwrap();
                let ix = indexer.index_pattern_at(&row, TRAINING_WAVELENGTH).unwrap();
                assert!(ix.accepted().is_none());
                for m in ix.tested() {
                    assert!(!m.systems().contains(&p.crystal_system), "{p:?}");
                }
            }
        }
        // The answer's system is its group's.
        assert_eq!(
            CrystalSystem::from_space_group(p.space_group).unwrap(),
            p.crystal_system
        );
        let sum: f64 = p.top.iter().map(|t| t.1).sum();
        assert!(sum <= 1.0 + 1e-9);
    }
    assert!(without.iter().all(|p| p.cell.is_none()));
    // Pinned by this code (the indexing is scalar f64 code; the networks give the same bits on
    // every kernel build). Re-pinned 2026-11-25 for the networks trained on real structures
    // (the random-crystal networks gave (7, 11)), and for the indexing's bounded screen and
    // trial merit (it gave (5, 11)); the floors module bounds the accuracy itself.
    assert_eq!((right(&without), right(&with)), (5, 12));
}
