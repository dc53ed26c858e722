//! Integration tests of xrd-ae: one binary, one module per topic.
//!
//! One binary per crate keeps a fresh `cargo test --workspace` short: linking a test
//! binary against the crate and its dependencies costs far more than compiling its tests.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adam;
mod diagnostics;
mod dropout;
mod fixtures;
mod golden;
mod gradients;
mod isa;
mod params;
mod pca;
mod persist;
mod training;
