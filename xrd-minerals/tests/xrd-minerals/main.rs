//! Integration tests of xrd-minerals: one binary, one module per topic.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod floors;
mod library;
mod params;
mod phases;
mod real;
mod references;
mod reporting;
mod search;
mod spec;
