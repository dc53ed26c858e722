//! Refusing to answer, in the spirit of Vecsei et al. 2019's certainty threshold.

use serde::{Deserialize, Serialize};
use xrd_core::coverage::{Answer, score_at_coverage};
use xrd_core::{Float, NonFinite, ParamGuard};

use crate::{Answer as SeriesAnswer, Error, Estimate, EstimateKind, Result, TriangleEstimator};

/// When to decline an estimate: a classifier refuses below a certainty threshold (Vecsei et
/// al. 2019, Sec. V.E); here the uncertainty is geometric, plus how well the feature space
/// represents the pattern. An estimate is declined when P is outside every candidate triangle
/// (unless `refuse_outside` is off), when P is farther than `max_distance` from the nearest
/// known point, or when the pattern's reconstruction error (given by the caller, e.g. the mean
/// squared difference between the pattern and the autoencoder's reconstruction of it) exceeds
/// `max_reconstruction_error`. The last criterion catches patterns unlike every training
/// pattern — e.g. of a composition never trained on — whose latent point may still land among
/// the known points. [`RefusalCalibration`] sets both thresholds from a validation split.
///
/// Defaults: `max_distance = ∞` (refuse only outside points), `refuse_outside = true`,
/// `max_reconstruction_error = None` (not used).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefusalPolicy {
    /// Largest accepted distance from P to the nearest known point (plane units).
    pub max_distance: f64,
    /// Decline every [`EstimateKind::Outside`] estimate (and every
    /// [`extrapolated`](crate::Answer::extrapolated) composition-series answer:
    /// [`accepts_answer`](Self::accepts_answer)).
    pub refuse_outside: bool,
    /// Largest accepted reconstruction error of the pattern (same units as the errors passed to
    /// [`decide_with`](Self::decide_with)); `None`: not used.
    pub max_reconstruction_error: Option<f64>,
}

impl Default for RefusalPolicy {
    fn default() -> Self {
        Self {
            max_distance: f64::INFINITY,
            refuse_outside: true,
            max_reconstruction_error: None,
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
    /// The pattern is reconstructed worse than the policy's `max_reconstruction_error`: it is
    /// unlike the patterns the feature space was trained on.
    PoorReconstruction {
        /// The declined estimate.
        estimate: Estimate<F>,
        /// The pattern's reconstruction error.
        error: f64,
    },
}

impl<F> Refusal<F> {
    /// The declined estimate, for callers that want it anyway.
    pub fn estimate(&self) -> &Estimate<F> {
        match self {
            Self::Outside { estimate }
            | Self::TooFar { estimate }
            | Self::PoorReconstruction { estimate, .. } => estimate,
        }
    }
}

xrd_core::param_guard!(Error => RefusalPolicy);

impl RefusalPolicy {
    /// A policy refusing outside points and points farther than `max_distance`.
    pub fn new(max_distance: f64) -> Self {
        Self {
            max_distance,
            ..Self::default()
        }
    }

    /// The policy of the paper's examples and of `xrd feature-space`: decline when a point is
    /// farther from every known point than `fraction` of the diagonal of the known points'
    /// bounding box, whether a triangle encloses it or not.
    ///
    /// ```
    /// let known = [[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]];
    /// let policy = xrd_latent::RefusalPolicy::within_extent(&known, 0.1);
    /// assert_eq!(policy.max_distance, 0.5);
    /// assert!(!policy.refuse_outside);
    /// ```
    pub fn within_extent(known: &[[f64; 2]], fraction: f64) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in known {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let diagonal = ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2)).sqrt();
        Self {
            max_distance: fraction * diagonal,
            refuse_outside: false,
            ..Self::default()
        }
    }

    /// Validates the policy.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `max_distance` or `max_reconstruction_error` is NaN or
    /// negative (`∞` is valid).
    pub fn check(&self) -> Result<()> {
        if self.max_distance.is_nan() || self.max_distance < 0.0 {
            return Err(Error::param(
                "max_distance",
                crate::error::reason(
                    self.max_distance.to_string(),
                    "need a value ≥ 0 (∞ allowed)",
                ),
            ));
        }
        if let Some(e) = self.max_reconstruction_error
            && (e.is_nan() || e < 0.0)
        {
            return Err(Error::param(
                "max_reconstruction_error",
                crate::error::reason(e.to_string(), "need a value ≥ 0 (∞ allowed)"),
            ));
        }
        Ok(())
    }

    /// Sets the largest accepted reconstruction error.
    pub fn with_max_reconstruction_error(mut self, error: f64) -> Self {
        self.max_reconstruction_error = Some(error);
        self
    }

    /// Whether the policy answers for an estimate with this kind and nearest distance, on the
    /// geometric criteria only (the reconstruction criterion needs the pattern's error: see
    /// [`accepts_with`](Self::accepts_with)).
    pub fn accepts<F: Float>(&self, kind: &EstimateKind<F>, distance: F) -> bool {
        let outside = matches!(kind, EstimateKind::Outside { .. });
        !(self.refuse_outside && outside) && distance.as_f64() <= self.max_distance
    }

    /// Whether the policy answers for an estimate with this kind and nearest distance, for a
    /// pattern with this reconstruction error (a NaN error is refused when the criterion is
    /// used).
    pub fn accepts_with<F: Float>(
        &self,
        kind: &EstimateKind<F>,
        distance: F,
        reconstruction_error: f64,
    ) -> bool {
        self.accepts(kind, distance) && self.reconstructs_well(reconstruction_error)
    }

    /// Whether the policy answers for a composition-series estimate
    /// ([`SeriesEstimator::estimate`](crate::SeriesEstimator::estimate)), on the geometric
    /// criteria: declined when the estimator refused it ([`Extrapolation::Refuse`](crate::Extrapolation::Refuse)),
    /// when it is [`extrapolated`](crate::Answer::extrapolated) and `refuse_outside` is set (an
    /// extrapolated answer is the series estimators' outside estimate), or when its distance is
    /// NaN or above `max_distance`.
    pub fn accepts_answer(&self, answer: &SeriesAnswer) -> bool {
        !self.refuses_whatever_the_distance(answer) && answer.distance <= self.max_distance
    }

    /// [`accepts_answer`](Self::accepts_answer) for a pattern with this reconstruction error
    /// (a NaN error is refused when the criterion is used).
    pub fn accepts_answer_with(&self, answer: &SeriesAnswer, reconstruction_error: f64) -> bool {
        self.accepts_answer(answer) && self.reconstructs_well(reconstruction_error)
    }

    /// Declined by the estimator, or extrapolated where outside estimates are declined.
    fn refuses_whatever_the_distance(&self, answer: &SeriesAnswer) -> bool {
        answer.refused || (self.refuse_outside && answer.extrapolated)
    }

    fn reconstructs_well(&self, error: f64) -> bool {
        self.max_reconstruction_error.is_none_or(|m| error <= m)
    }

    /// Applies the policy, reconstruction criterion included, to an estimate of a pattern whose
    /// reconstruction error is `reconstruction_error`. The geometric reasons take precedence.
    ///
    /// # Errors
    /// [`Refusal`] carrying the declined estimate.
    pub fn decide_with<F: Float>(
        &self,
        estimate: Estimate<F>,
        reconstruction_error: f64,
    ) -> Result<Estimate<F>, Refusal<F>> {
        let estimate = self.decide(estimate)?;
        if self.reconstructs_well(reconstruction_error) {
            Ok(estimate)
        } else {
            Err(Refusal::PoorReconstruction {
                estimate,
                error: reconstruction_error,
            })
        }
    }

    /// Applies the policy's geometric criteria to an estimate.
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

impl<F: Float> TriangleEstimator<F> {
    /// [`estimate`](Self::estimate) followed by [`RefusalPolicy::decide_with`] for a pattern
    /// whose reconstruction error is `reconstruction_error`.
    ///
    /// # Errors
    /// [`Refusal`] when the policy declines.
    pub fn estimate_or_refuse_with(
        &self,
        p: [F; 2],
        reconstruction_error: f64,
        policy: &RefusalPolicy,
    ) -> Result<Estimate<F>, Refusal<F>> {
        policy.decide_with(self.estimate(p), reconstruction_error)
    }
}

/// Default of [`RefusalCalibration::quantile`].
pub const DEFAULT_REFUSAL_QUANTILE: f64 = 0.975;
/// Default of [`RefusalCalibration::margin`].
pub const DEFAULT_REFUSAL_MARGIN: f64 = 1.0;

/// Sets a [`RefusalPolicy`]'s thresholds from held-out patterns the model should answer for:
/// `max_distance` and `max_reconstruction_error` become `margin` × the `quantile` of the
/// validation patterns' distances (from their latent point to the nearest training point) and
/// reconstruction errors. Each criterion then refuses about `1 − quantile` of in-distribution
/// patterns (with `margin = 1`), and more of anything unlike them.
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `quantile` | [`DEFAULT_REFUSAL_QUANTILE`] = 0.975 | `(0, 1]` |
/// | `margin` | [`DEFAULT_REFUSAL_MARGIN`] = 1 | finite, `> 0` |
/// | `refuse_outside` | `false` | any |
///
/// ```
/// use xrd_latent::RefusalCalibration;
///
/// let distances = [0.01, 0.02, 0.03, 0.02, 0.05];
/// let errors = [1e-4, 2e-4, 1.5e-4, 3e-4, 2e-4];
/// let policy = RefusalCalibration::default().quantile(1.0).calibrate(&distances, &errors)?;
/// assert_eq!(policy.max_distance, 0.05);
/// assert_eq!(policy.max_reconstruction_error, Some(3e-4));
/// # Ok::<(), xrd_latent::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefusalCalibration {
    /// Quantile of the validation values taken as threshold.
    quantile: f64,
    /// Factor on the quantile.
    margin: f64,
    /// Whether the calibrated policy also declines every outside estimate (and extrapolated
    /// series answer).
    refuse_outside: bool,
}

impl Default for RefusalCalibration {
    fn default() -> Self {
        Self {
            quantile: DEFAULT_REFUSAL_QUANTILE,
            margin: DEFAULT_REFUSAL_MARGIN,
            refuse_outside: false,
        }
    }
}

xrd_core::param_guard!(Error => RefusalCalibration);

impl RefusalCalibration {
    xrd_core::setters! {
        /// Sets the quantile.
        quantile, get_quantile: f64;

        /// Sets the margin.
        margin, get_margin: f64;

        /// Sets whether outside estimates (and extrapolated series answers, which
        /// [`calibrate_answers`](Self::calibrate_answers) then counts as refused) are declined.
        refuse_outside, get_refuse_outside: bool;
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a quantile outside `(0, 1]` or a margin that is not finite
    /// and positive.
    pub fn check(&self) -> Result<()> {
        if !(self.quantile > 0.0 && self.quantile <= 1.0) {
            return Err(Error::param(
                "quantile",
                crate::error::reason(self.quantile.to_string(), "need 0 < quantile ≤ 1"),
            ));
        }
        if !(self.margin.is_finite() && self.margin > 0.0) {
            return Err(Error::param(
                "margin",
                crate::error::reason(self.margin.to_string(), "need a finite margin > 0"),
            ));
        }
        Ok(())
    }

    /// The policy calibrated on validation `distances` and reconstruction `errors` (one each
    /// per validation pattern; either may be empty, which leaves its criterion off:
    /// `max_distance = ∞`, `max_reconstruction_error = None`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters; [`Error::NonFinite`] for a NaN,
    /// infinite or negative value (row = its index, column 0 for distances, 1 for errors).
    pub fn calibrate(&self, distances: &[f64], errors: &[f64]) -> Result<RefusalPolicy> {
        xrd_core::Fit::fit(self, (distances, errors))
    }

    /// The policy calibrated on the answers of a composition-series estimator for validation
    /// patterns (such as the leave-one-out [`SeriesEvaluation::records`](crate::SeriesEvaluation))
    /// and their reconstruction errors (may be empty: the criterion is then off).
    ///
    /// Extrapolated answers count. Those the calibrated policy declines whatever its distance
    /// threshold — refused by the estimator, or extrapolated when
    /// [`refuse_outside`](Self::refuse_outside) is set — are counted as refused: they take
    /// their share of the `1 − quantile` that the geometric criteria refuse, and `max_distance`
    /// is `margin` × the smallest distance that answers `quantile` of *all* the answers (the
    /// nearest rank, with the declined ones last). When they already exceed `1 − quantile`,
    /// every other answer is kept (the largest of their distances); when every answer is
    /// declined, the distance criterion is off. Extrapolated answers that are kept (the
    /// policy does not refuse outside estimates) count like any other. The reconstruction
    /// threshold is [`calibrate`](Self::calibrate)'s.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters; [`Error::NonFinite`] for a NaN,
    /// infinite or negative distance of an answer not declined (row = its index, column 0) or
    /// reconstruction error (column 1).
    pub fn calibrate_answers(
        &self,
        answers: &[SeriesAnswer],
        errors: &[f64],
    ) -> Result<RefusalPolicy> {
        let params = (*self).into_checked()?;
        let outside = RefusalPolicy {
            refuse_outside: self.refuse_outside,
            ..RefusalPolicy::default()
        };
        let mut distances = Vec::with_capacity(answers.len());
        for (row, a) in answers.iter().enumerate() {
            if outside.refuses_whatever_the_distance(a) {
                // Declined at any threshold: last in the order of answering.
                distances.push(f64::INFINITY);
            } else if a.distance.is_finite() && a.distance >= 0.0 {
                distances.push(a.distance);
            } else {
                return Err(NonFinite::cell("calibration values", row, 0, a.distance).into());
            }
        }
        let mut policy = params.fit((&[][..], errors))?;
        let at = score_at_coverage(&distances, self.quantile, Answer::LowestFirst)
            .ok()
            .flatten();
        let kept = distances
            .iter()
            .copied()
            .filter(|d| d.is_finite())
            .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
        policy.max_distance = match at {
            Some(d) if d.is_finite() => self.margin * d,
            // The declined ones reach into the quantile: keep every other.
            _ => kept.map_or(f64::INFINITY, |d| self.margin * d),
        };
        Ok(policy)
    }
}

impl<'a, 'b> xrd_core::Fit<(&'a [f64], &'b [f64])> for RefusalCalibration {
    type Object = RefusalPolicy;

    /// Calibrates from `data = (distances, errors)`: the calibration of
    /// [`RefusalCalibration::calibrate`] and [`RefusalCalibration::calibrate_answers`].
    fn fit_checked(
        params: &xrd_core::Checked<Self>,
        (distances, errors): (&'a [f64], &'b [f64]),
    ) -> Result<RefusalPolicy> {
        let threshold = |v: &[f64], col: usize| -> Result<Option<f64>> {
            if let Some(row) = v.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
                return Err(NonFinite::cell("calibration values", row, col, v[row]).into());
            }
            // Nearest-rank quantile: the smallest value with at least `quantile` of them ≤ it
            // (the quantile was checked; the values just above).
            let q = score_at_coverage(v, params.quantile, Answer::LowestFirst)
                .ok()
                .flatten();
            Ok(q.map(|q| params.margin * q))
        };
        Ok(RefusalPolicy {
            max_distance: threshold(distances, 0)?.unwrap_or(f64::INFINITY),
            refuse_outside: params.refuse_outside,
            max_reconstruction_error: threshold(errors, 1)?,
        })
    }
}
