//! Integration tests of xrd-io: one binary, one module per topic.
//!
//! One binary per crate keeps a fresh `cargo test --workspace` short: linking a test
//! binary against the crate and its dependencies costs far more than compiling its tests.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod fixtures;
mod line_noise;
mod numpy;
mod pattern_number;
mod real_files;
mod robustness;
mod series;
