//! Refusing to answer, in the spirit of Vecsei et al. 2019's certainty threshold.

use serde::{Deserialize, Serialize};
use xrd_io::Float;

use crate::{Error, Estimate, EstimateKind, Result, TriangleEstimator};

/// When to decline an estimate: a classifier refuses below a certainty threshold (Vecsei et
/// al. 2019, Sec. V.E); here the uncertainty is geometric. An estimate is declined when P is
/// outside every candidate triangle (unless `refuse_outside` is off) or when P is farther
/// than `max_distance` from the nearest known point.
///
/// Defaults: `max_distance = ∞` (refuse only outside points), `refuse_outside = true`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefusalPolicy {
    /// Largest accepted distance from P to the nearest known point (plane units).
    pub max_distance: f64,
    /// Decline every [`EstimateKind::Outside`] estimate.
    pub refuse_outside: bool,
}

impl Default for RefusalPolicy {
    fn default() -> Self {
        Self {
            max_distance: f64::INFINITY,
            refuse_outside: true,
        }
    }
}

/// Why an estimate was declined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Refusal<F = f64> {
    /// P lies outside every candidate triangle.
    Outside {
        /// The declined estimate.
        estimate: Estimate<F>,
    },
    /// P is farther than the policy's `max_distance` from the nearest known point.
    TooFar {
        /// The declined estimate (its `distance` exceeds the threshold).
        estimate: Estimate<F>,
    },
}

impl<F> Refusal<F> {
    /// The declined estimate, for callers that want it anyway.
    pub fn estimate(&self) -> &Estimate<F> {
        match self {
            Self::Outside { estimate } | Self::TooFar { estimate } => estimate,
        }
    }
}

impl RefusalPolicy {
    /// A policy refusing outside points and points farther than `max_distance`.
    pub fn new(max_distance: f64) -> Self {
        Self {
            max_distance,
            ..Self::default()
        }
    }

    /// Validates the policy.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `max_distance` is NaN or negative (`∞` is valid).
    pub fn check(&self) -> Result<()> {
        if self.max_distance.is_nan() || self.max_distance < 0.0 {
            return Err(Error::InvalidParam {
                name: "max_distance",
                value: self.max_distance.to_string(),
                reason: "need a value ≥ 0 (∞ allowed)",
            });
        }
        Ok(())
    }

    /// Whether the policy answers for an estimate with this kind and nearest distance.
    pub fn accepts<F: Float>(&self, kind: &EstimateKind<F>, distance: F) -> bool {
        let outside = matches!(kind, EstimateKind::Outside { .. });
        !(self.refuse_outside && outside) && distance.as_f64() <= self.max_distance
    }

    /// Applies the policy to an estimate.
    ///
    /// # Errors
    /// [`Refusal`] carrying the declined estimate.
    pub fn decide<F: Float>(&self, estimate: Estimate<F>) -> Result<Estimate<F>, Refusal<F>> {
        if self.accepts(&estimate.kind, estimate.distance) {
            Ok(estimate)
        } else if estimate.kind.is_inside() || !self.refuse_outside {
            Err(Refusal::TooFar { estimate })
        } else {
            Err(Refusal::Outside { estimate })
        }
    }
}

impl<F: Float> TriangleEstimator<F> {
    /// [`estimate`](Self::estimate) followed by [`RefusalPolicy::decide`].
    ///
    /// # Errors
    /// [`Refusal`] when the policy declines (an unchecked policy with NaN threshold declines
    /// everything).
    pub fn estimate_or_refuse(
        &self,
        p: [F; 2],
        policy: &RefusalPolicy,
    ) -> Result<Estimate<F>, Refusal<F>> {
        policy.decide(self.estimate(p))
    }
}
