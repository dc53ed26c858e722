//! Integration tests of xrd-latent: one binary, one module per topic.
//!
//! One binary per crate keeps a fresh `cargo test --workspace` short: linking a test
//! binary against the crate and its dependencies costs far more than compiling its tests.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod estimator;
mod evaluation;
mod locate;
mod paint;
mod params;
mod properties;
mod refusal;
mod series;
