//! The main job (`examples/paper.rs`): Utimula et al. 2022 on the built-in (Sm,Zr)(Fe,Ti)12
//! data set, one typed step per section of the paper.
//!
//! [`data::load`] builds the data set; per seed, [`Split::draw`] holds one composition out and
//! splits the rest 90/10, [`feature_space::train`] trains the autoencoder (section II, Figs. 1–2),
//! [`estimation::estimate`] estimates the test and held-out compositions (III.A, Table II, Fig. 4),
//! [`relevance::relevance`] computes the relevance of one pattern (III.B, Fig. 5),
//! [`generation::generate_held_out`] generates the held-out composition (III.C, Fig. 6) and
//! [`pca::pca_baseline`] repeats the measures with a 2-component PCA; [`figures::draw`] draws the
//! figures and [`summary::Summary`] is `summary.json`.

pub mod data;
pub mod estimation;
pub mod feature_space;
pub mod figures;
pub mod generation;
pub mod pca;
pub mod relevance;
pub mod summary;

use rand::Rng;

pub use data::Data;

use xrd_latent::split_rows;

/// Concentrations (x, y) of the composition the paper's Fig. 5 shows: Sm1.0Zr0.0Fe10.5Ti1.5.
pub const RELEVANCE_XY: [f64; 2] = [1.5, 0.0];
/// Concentrations (x, y) of the composition held out of training entirely, to test generation
/// (paper III.C): an intermediate Zr concentration bracketed by y = 0.125 and y = 0.375.
pub const HELD_OUT_XY: [f64; 2] = [1.0, 0.25];
/// Refusal: decline when P is farther from every training point than this fraction of the
/// diagonal of the training points' bounding box.
pub const REFUSAL_FRACTION: f64 = 0.1;
/// Fraction of the patterns (other than the held-out composition's) kept for testing.
pub const TEST_FRACTION: f64 = 0.1;

/// The rows of one run: the held-out composition never reaches training; the other patterns are
/// split into training and test rows (each sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
    /// Rows of the held-out composition ([`HELD_OUT_XY`]).
    pub held_out: Vec<usize>,
}

impl Split {
    /// Holds out [`HELD_OUT_XY`] and splits the rest by [`TEST_FRACTION`], drawing from `rng`.
    pub fn draw<R: Rng + ?Sized>(data: &Data, rng: &mut R) -> Split {
        let (held_out, pool): (Vec<usize>, Vec<usize>) = (0..data.x.nrows())
            .partition(|&i| crate::alloy::has_concentrations(&data.builtin, i, HELD_OUT_XY));
        let (train_k, test_k) = split_rows(pool.len(), TEST_FRACTION, rng);
        Split {
            train: train_k.iter().map(|&k| pool[k]).collect(),
            test: test_k.iter().map(|&k| pool[k]).collect(),
            held_out,
        }
    }
}
