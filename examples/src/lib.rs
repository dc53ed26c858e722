//! Shared steps of the xrd end-to-end examples: the built-in alloy's labels ([`alloy`]), the
//! paper's triangle estimation with its refusal policy ([`estimation`]), reconstruction
//! measures ([`measures`]), training with a progress bar ([`training`]) and the main job's steps
//! ([`paper`]). The feature-space pipeline, purity and splits live in xrd-latent; figures,
//! progress bars and output files are shared with the `xrd` command through `xrd-cli`'s library.

pub mod alloy;
pub mod estimation;
pub mod measures;
pub mod paper;
pub mod training;
