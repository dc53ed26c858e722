//! Shared steps of the xrd end-to-end examples: the built-in alloy's labels ([`alloy`]) and the
//! main job's steps ([`paper`]). Figures, progress and the other helpers the examples share with
//! the `xrd` command live in `xrd-cli`'s library.

pub mod alloy;
pub mod paper;
