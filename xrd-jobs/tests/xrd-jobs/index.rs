//! The indexing and classification jobs on a simulated halite pattern.

use xrd_jobs::{Index, IndexOptions};

use crate::fixtures;

#[test]
fn halite_is_indexed_cubic_with_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = fixtures::series(dir.path(), 1);
    let pattern = xrd_io::read(&files[0]).unwrap().remove(0);
    let indexed = Index::new(IndexOptions::default())
        .unwrap()
        .run("halite", &pattern)
        .unwrap();
    assert_eq!(indexed.rows.len(), 1, "{indexed:?}");
    let r = &indexed.rows[0];
    assert!(r.accepted && r.metric == "cubic", "{r:?}");
    assert!((r.a - 5.64).abs() < 0.01, "{r:?}");
    // Every metric's best cell with `all`, the accepted one among them.
    let all = Index::new(IndexOptions {
        all: true,
        ..Default::default()
    })
    .unwrap()
    .run("halite", &pattern)
    .unwrap();
    assert!(all.rows.len() > 1);
    assert_eq!(all.rows.iter().filter(|r| r.accepted).count(), 1);
}

#[test]
fn an_index_option_out_of_range_is_named() {
    let o = IndexOptions {
        min_indexed: 2.0,
        ..Default::default()
    };
    assert_eq!(xrd_core::refused(o.check()), "min_indexed");
    let o = IndexOptions {
        lines: 0,
        ..Default::default()
    };
    assert_eq!(xrd_core::refused(o.check()), "lines");
}

#[test]
fn halite_is_classified_cubic_without_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (_, files) = fixtures::series(dir.path(), 1);
    let pattern = xrd_io::read(&files[0]).unwrap().remove(0);
    let job = xrd_jobs::Classify::new(xrd_jobs::ClassifyOptions {
        library: false,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(job.model_name(), "shipped");
    let out = job.run(&[("halite".to_string(), pattern)]);
    let c = out[0].as_ref().unwrap();
    assert_eq!(c.crystal_system, "cubic", "{c:?}");
    assert_eq!(c.top5.len(), 5);
    let missing = xrd_jobs::Classify::new(xrd_jobs::ClassifyOptions {
        model: Some(dir.path().join("missing.safetensors")),
        library: false,
        ..Default::default()
    });
    assert!(
        matches!(missing, Err(xrd_jobs::Error::FileNotFound { .. })),
        "{missing:?}"
    );
}
