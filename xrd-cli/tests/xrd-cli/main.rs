//! Tests of the `xrd` binary: every subcommand once on real files of `../shared/data`, and bad
//! input of every kind (each a non-zero exit naming the file, never a panic).

// Test code panics on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod common;
mod evaluate;
mod feature_space;
mod jobs;
mod refine;
mod series;
