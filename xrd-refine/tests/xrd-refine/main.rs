//! Integration tests of xrd-refine: synthetic mixtures where every parameter is known, bad
//! input, and measured mixtures of ../shared/data.

#![allow(clippy::unwrap_used)]

mod errors;
mod measured;
mod pawley;
mod series;
mod structure;
mod summation;
mod synthetic;

use xrd_refine::Phase;
use xrd_sim::Structure;

/// A phase of a CIF of ../shared/data/cif, or None (the test skips) without the data.
pub fn cif_phase(name: &str) -> Option<Phase> {
    let path = xrd_testdata::shared_data(&format!("cif/{name}"))?;
    let structure = Structure::from_file(&path).unwrap();
    Some(Phase::new(name.trim_end_matches(".cif"), structure).unwrap())
}
