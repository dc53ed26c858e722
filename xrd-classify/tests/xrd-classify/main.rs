//! Integration tests of xrd-classify: one binary, one module per topic.
//!
//! One binary per crate keeps a fresh `cargo test --workspace` short: linking a test
//! binary against the crate and its dependencies costs far more than compiling its tests.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod classify;
mod common;
mod ensemble;
mod floors;
mod indexing;
mod library;
mod persist;
mod reporting;
mod shipped;
mod synthetic;
mod system;
