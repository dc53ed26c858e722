//! Checks of a trained feature space that catch a silent failure: latent points that collapsed
//! onto a point or a line, dead ReLUs, and an autoencoder that reconstructs worse than PCA.

use std::fmt;

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::dense::check_input;
use crate::{Activation, Autoencoder, Error, FeatureSpace, Pca, PcaParams, Result};

/// The latent points count as collapsed when their largest principal spread (standard
/// deviation) is below this fraction of `max(1, largest |z|)`.
pub const COLLAPSE_TOLERANCE: f64 = 1e-4;

/// A principal spread below this fraction of the largest one does not count towards the rank:
/// 2-D points whose second spread is under 1 % of the first lie on a line.
pub const RANK_FRACTION: f64 = 0.01;

/// How the latent points of a set of patterns spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentSpread {
    /// Standard deviation of every latent coordinate.
    pub std: Vec<f64>,
    /// Standard deviations along the principal axes of the points, largest first.
    pub principal_std: Vec<f64>,
    /// Number of principal spreads above [`RANK_FRACTION`] of the largest (0 when collapsed).
    pub rank: usize,
    /// Whether every point sits at (almost) the same place ([`COLLAPSE_TOLERANCE`]).
    pub collapsed: bool,
}

impl LatentSpread {
    /// The spread of the rows of `z` (n × latent, n ≥ 2).
    ///
    /// # Errors
    /// [`Error::TooFewSamples`] for fewer than two rows, [`Error::NonFinite`] for NaN/∞.
    pub fn of<F: Float>(z: ArrayView2<'_, F>) -> Result<Self> {
        let (n, k) = z.dim();
        check_input(z, k, "latent points")?;
        if n < 2 {
            return Err(Error::TooFewSamples(format!(
                "the spread of latent points needs at least 2, got {n}"
            )));
        }
        let zf = z.mapv(|v| v.as_f64());
        let mean = zf
            .mean_axis(Axis(0))
            .unwrap_or_else(|| ndarray::Array1::zeros(k));
        let zc = &zf - &mean.view().insert_axis(Axis(0));
        let cov: Array2<f64> = zc.t().dot(&zc) / (n - 1) as f64;
        let std = cov.diag().iter().map(|v| v.max(0.0).sqrt()).collect();
        let (values, _) = xrd_core::linalg::symmetric_eigen(cov.view()).ok_or_else(|| {
            Error::TooFewSamples("latent covariance: no eigen-decomposition".into())
        })?;
        let mut principal_std: Vec<f64> = values.iter().map(|v| v.max(0.0).sqrt()).collect();
        principal_std.sort_by(|a, b| b.total_cmp(a));
        let largest = principal_std.first().copied().unwrap_or(0.0);
        let scale = zf.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let collapsed = largest <= COLLAPSE_TOLERANCE * scale;
        let rank = if collapsed {
            0
        } else {
            principal_std
                .iter()
                .filter(|&&s| s > RANK_FRACTION * largest)
                .count()
        };
        Ok(LatentSpread {
            std,
            principal_std,
            rank,
            collapsed,
        })
    }

    /// Whether the points span fewer dimensions than the feature space has (for a 2-D space:
    /// they lie on a line, or on one point).
    pub fn degenerate(&self) -> bool {
        self.rank < self.principal_std.len()
    }
}

/// Dead ReLU units of one hidden layer: units that output 0 for every pattern given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadUnits {
    /// Layer index in the chain encoder then decoder (0 = the encoder's first layer).
    pub layer: usize,
    /// Units that are 0 on every pattern.
    pub dead: usize,
    /// Units of the layer.
    pub units: usize,
}

/// The dead units of every ReLU layer of `model` on the patterns `x` (n × inputs, n ≥ 1).
///
/// # Errors
/// As [`Autoencoder::encode`]; [`Error::TooFewSamples`] for no rows.
pub fn dead_relus<F: Float>(
    model: &Autoencoder<F>,
    x: ArrayView2<'_, F>,
) -> Result<Vec<DeadUnits>> {
    check_input(x, Autoencoder::inputs(model), "patterns")?;
    if x.nrows() == 0 {
        return Err(Error::TooFewSamples("no patterns to run".into()));
    }
    let mut out = Vec::new();
    let mut h = x.to_owned();
    let layers = model.encoder.layers.iter().chain(&model.decoder.layers);
    for (i, layer) in layers.enumerate() {
        h = layer.forward(h.view());
        if layer.activation == Activation::Relu {
            let dead = h
                .axis_iter(Axis(1))
                .filter(|col| col.iter().all(|&v| v <= F::zero()))
                .count();
            out.push(DeadUnits {
                layer: i,
                dead,
                units: h.ncols(),
            });
        }
    }
    Ok(out)
}

/// Something wrong with a trained feature space, in plain words through [`fmt::Display`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Warning {
    /// Every pattern lands on (almost) the same point.
    Collapsed,
    /// The points span fewer dimensions than the feature space has (e.g. a line in 2-D).
    Degenerate {
        /// Dimensions the points span.
        rank: usize,
        /// Dimensions of the feature space.
        latent: usize,
    },
    /// A ReLU layer whose units are all, or mostly, dead.
    DeadUnits(DeadUnits),
    /// The model reconstructs the validation patterns worse than a PCA with as many components
    /// fitted on the same training patterns.
    WorseThanPca {
        /// The model's validation MSE.
        model: f64,
        /// PCA's validation MSE.
        pca: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Collapsed => write!(
                f,
                "every pattern lands on the same feature-space point: the feature space carries no information"
            ),
            Warning::Degenerate { rank, latent } => write!(
                f,
                "the feature-space points span only {rank} of {latent} dimensions (they lie on a \
                 {}): distances and estimates along the missing direction mean nothing",
                if *rank == 1 {
                    "line"
                } else {
                    "lower-dimensional set"
                }
            ),
            Warning::DeadUnits(d) => write!(
                f,
                "{} of the {} ReLU units of layer {} output 0 for every pattern (dead)",
                d.dead, d.units, d.layer
            ),
            Warning::WorseThanPca { model, pca } => write!(
                f,
                "the feature space reconstructs the validation patterns worse than a plain PCA \
                 fitted on the same training patterns (MSE {model:.3e} against {pca:.3e}): it is no \
                 better than a linear projection of these patterns; prefer the PCA"
            ),
        }
    }
}

/// Layers with at least this fraction of dead units are reported.
pub const DEAD_FRACTION: f64 = 0.5;

/// The health of a trained feature space: see [`Diagnostics::of`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Spread of the training patterns' latent points.
    pub spread: LatentSpread,
    /// Dead units per ReLU layer on the training patterns (empty for a model without ReLUs,
    /// e.g. a PCA).
    pub dead_units: Vec<DeadUnits>,
    /// The model's reconstruction MSE on the validation patterns.
    pub validation_mse: f64,
    /// Reconstruction MSE on the validation patterns of a PCA with as many components fitted on
    /// the training patterns (`None` when it cannot be fitted, e.g. too few patterns).
    pub pca_validation_mse: Option<f64>,
    /// Everything that looks wrong, in plain words.
    pub warnings: Vec<Warning>,
}

impl Diagnostics {
    /// Diagnoses `model` trained on `train`, against the held-out patterns `validation` (both
    /// n × inputs; `validation` may be empty, which skips the reconstruction comparison).
    /// `dead` are the model's dead units, from [`dead_relus`] for an autoencoder (pass an empty
    /// list otherwise).
    ///
    /// # Errors
    /// [`Error::TooFewSamples`] for fewer than two training rows; shape and finiteness errors
    /// of the model.
    pub fn of<F: Float, M: FeatureSpace<F> + ?Sized>(
        model: &M,
        train: ArrayView2<'_, F>,
        validation: ArrayView2<'_, F>,
        dead: Vec<DeadUnits>,
    ) -> Result<Self> {
        let z = model.encode(train)?;
        let spread = LatentSpread::of(z.view())?;
        let latent = model.latent();
        let mut warnings = Vec::new();
        if spread.collapsed {
            warnings.push(Warning::Collapsed);
        } else if spread.rank < latent.min(train.nrows().saturating_sub(1)) {
            warnings.push(Warning::Degenerate {
                rank: spread.rank,
                latent,
            });
        }
        for d in &dead {
            if d.units > 0 && d.dead as f64 >= DEAD_FRACTION * d.units as f64 {
                warnings.push(Warning::DeadUnits(*d));
            }
        }
        let (validation_mse, pca_validation_mse) = if validation.nrows() == 0 {
            (f64::NAN, None)
        } else {
            let own = model.reconstruction_mse(validation)?;
            let pca: Option<Pca<F>> = PcaParams::default().components(latent).fit(&train).ok();
            let pca_mse = match pca {
                Some(p) => Some(p.reconstruction_mse(validation)?),
                None => None,
            };
            if let Some(p) = pca_mse
                && own > p
            {
                warnings.push(Warning::WorseThanPca { model: own, pca: p });
            }
            (own, pca_mse)
        };
        Ok(Diagnostics {
            spread,
            dead_units: dead,
            validation_mse,
            pca_validation_mse,
            warnings,
        })
    }
}
