//! Integration tests of xrd-index: one binary, one module per topic.

// Test code and its helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod reporting;
