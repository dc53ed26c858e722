//! Fixtures shared by the real-data tests: the default classifier as `xrd classify` runs it and
//! the halves of the measured RRUFF set.

use std::sync::OnceLock;

use xrd_classify::{Classifier, LibrarySearch, TRAINING_WAVELENGTH};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Library, ReferenceParams, ReferenceSet, SearchParams};
use xrd_testdata::{Half, rruff_rows, shared_data};

/// The reference patterns' parameters at the classifier's wavelength — the one call of these
/// tests that names a wavelength in Å (as `xrd classify`'s `load_model` does).
pub fn reference_params() -> ReferenceParams {
    ReferenceParams::new().wavelength(TRAINING_WAVELENGTH)
}

/// The shipped classifier with what `xrd classify` attaches to it by default: the indexing it
/// ships with and the built-in library searched with default parameters and weighting
/// (references cached in `CARGO_TARGET_TMPDIR`, shared with the other tests of this binary).
pub fn default_classifier() -> &'static Classifier {
    static MODEL: OnceLock<Classifier> = OnceLock::new();
    MODEL.get_or_init(|| {
        let library = Library::amcsd().unwrap();
        let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("xrd-cache");
        let refs = ReferenceSet::cached(&library, &reference_params(), cache, |_, _| {}).unwrap();
        let stage = LibrarySearch::new(library, SearchParams::new())
            .unwrap()
            .with_references(refs)
            .unwrap();
        Classifier::shipped().unwrap().with_library(Some(stage))
    })
}

/// Rows of `rruff_dev.npz` as `xrd classify evaluate` reads them (Cu Kα), with their true
/// space groups.
pub struct Rows {
    /// Row numbers in the file.
    pub rows: Vec<usize>,
    pub patterns: Vec<Pattern>,
    pub truth: Vec<u8>,
}

/// Every `step`th row of `half` of `rruff_dev.npz` (None when the file is absent).
pub fn rruff_half(half: Half, step: usize) -> Option<Rows> {
    let path = shared_data("measured/rruff_dev.npz")?;
    let d = xrd_io::Dataset::<f32>::read_npz(&path).unwrap();
    let source = d.label("source_index").unwrap();
    let groups = d.label("space_group").unwrap();
    let rows: Vec<usize> = rruff_rows(source.iter().copied(), half)
        .into_iter()
        .step_by(step)
        .collect();
    Some(Rows {
        patterns: rows
            .iter()
            .map(|&i| d.to_pattern(i, Some(Wavelength::CU_KA)).unwrap())
            .collect(),
        truth: rows.iter().map(|&i| groups[i] as u8).collect(),
        rows,
    })
}

/// `p - sds` binomial standard errors on `n` trials (and `p + sds` for `sds < 0`).
pub fn less_sds(p: f64, n: usize, sds: f64) -> f64 {
    xrd_testdata::binomial_bound(p, n, -sds)
}
