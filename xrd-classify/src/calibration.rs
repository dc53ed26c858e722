//! Calibration of the refusal thresholds: a step of its own after training
//! ([`Classifier::calibrate`]), stored with the indexing parameters it was calibrated for.

use ndarray::{ArrayBase, Data, Ix2};
use serde::{Deserialize, Serialize};
use xrd_index::IndexingParams;

use crate::{Classifier, DEFAULT_THRESHOLD_COVERAGE, Error, Result, VECSEI_THRESHOLD};

/// The refusal thresholds of a classifier and what they were calibrated for: a prediction whose
/// certainty lies below its threshold is refused
/// ([`Prediction::refused`](crate::Prediction::refused)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationConfig {
    /// Certainty below which a prediction of the networks alone is refused, in `[0, 1]`
    /// (default [`VECSEI_THRESHOLD`] until [`Classifier::calibrate`] sets it). It serves
    /// predictions with indexing too when [`indexing_threshold`](Self::indexing_threshold) does
    /// not apply.
    pub threshold: f64,
    /// Certainty below which a prediction made with indexing (the default,
    /// [`Classifier::with_indexing`]) is refused, in `[0, 1]`: [`Classifier::calibrate`] sets it
    /// as it sets [`threshold`](Self::threshold), from the certainties of the same patterns
    /// predicted with indexing (restricting the probabilities to the groups an indexing allows
    /// raises the certainties). None (the default, a fixed threshold, files written before the
    /// option): [`threshold`](Self::threshold) serves both.
    pub indexing_threshold: Option<f64>,
    /// The indexing parameters [`indexing_threshold`](Self::indexing_threshold) was calibrated
    /// with; None: [`IndexingParams::default`] (as in files written before the field).
    /// Predictions that index with other parameters do not use it
    /// ([`CalibrationConfig::threshold_for`]).
    pub indexing_calibrated_with: Option<IndexingParams>,
    /// The fraction of the calibration patterns answered at the thresholds: in training
    /// parameters, what `xrd classify train` calibrates to after training, on the validation
    /// patterns (default `Some(`[`DEFAULT_THRESHOLD_COVERAGE`]`)`; needs validation patterns);
    /// in a classifier, what [`Classifier::calibrate`] calibrated it to. `None`: fixed
    /// thresholds. Files written before the option read as `None`.
    pub threshold_coverage: Option<f64>,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        CalibrationConfig {
            threshold: VECSEI_THRESHOLD,
            indexing_threshold: None,
            indexing_calibrated_with: None,
            threshold_coverage: Some(DEFAULT_THRESHOLD_COVERAGE),
        }
    }
}

xrd_io::param_guard!(Error => CalibrationConfig);

impl CalibrationConfig {
    /// A fixed threshold `t` for predictions with and without indexing, calibrated on nothing.
    pub fn fixed(t: f64) -> Self {
        CalibrationConfig {
            threshold: t,
            indexing_threshold: None,
            indexing_calibrated_with: None,
            threshold_coverage: None,
        }
    }

    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::param(
                "threshold",
                format!("must lie in [0, 1], got {}", self.threshold),
            ));
        }
        if let Some(t) = self.indexing_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::param(
                "indexing_threshold",
                format!("must lie in [0, 1], got {t}"),
            ));
        }
        if let Some(c) = self.threshold_coverage {
            check_coverage(c)?;
        }
        if let Some(p) = &self.indexing_calibrated_with {
            p.check()?;
        }
        Ok(())
    }

    /// The refusal threshold of predictions that index with `indexing` (None: they do not):
    /// [`indexing_threshold`](Self::indexing_threshold) when `indexing` is what it was
    /// calibrated with ([`indexing_calibrated_with`](Self::indexing_calibrated_with)), else
    /// [`threshold`](Self::threshold): a threshold calibrated for one indexing says nothing of
    /// the certainties of another.
    pub fn threshold_for(&self, indexing: Option<&IndexingParams>) -> f64 {
        let calibrated_for = |params: &IndexingParams| match &self.indexing_calibrated_with {
            Some(c) => params == c,
            None => *params == IndexingParams::default(),
        };
        match (indexing, self.indexing_threshold) {
            (Some(ix), Some(t)) if calibrated_for(ix) => t,
            _ => self.threshold,
        }
    }
}

/// Errors unless `coverage` lies in (0, 1].
fn check_coverage(coverage: f64) -> Result<()> {
    if coverage > 0.0 && coverage <= 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "threshold_coverage",
            format!("must lie in (0, 1], got {coverage}"),
        ))
    }
}

/// The certainty threshold that answers (certainty ≥ threshold) at least the fraction
/// `coverage` (checked) of these certainties: the `⌈coverage·n⌉`-th largest (0 with none).
fn threshold_for_coverage(certainties: &[f64], coverage: f64) -> f64 {
    xrd_io::coverage::score_at_coverage(
        certainties,
        coverage,
        xrd_io::coverage::Answer::HighestFirst,
    )
    .ok()
    .flatten()
    .unwrap_or(0.0)
}

impl Classifier {
    /// The same classifier with its refusal thresholds calibrated on patterns `x` (rows on the
    /// grid, as for [`Classifier::predict`]) so that the fraction `coverage` of them is
    /// answered: the threshold of the networks alone from the largest of each pattern's
    /// space-group probabilities ([`Classifier::probabilities`]), and, when the classifier
    /// indexes, the threshold of predictions with indexing from the certainties of the same
    /// patterns predicted with indexing, stored with the indexing parameters
    /// ([`CalibrationConfig::indexing_calibrated_with`]). Each threshold is the
    /// `⌈coverage·n⌉`-th largest of these values. The library stage, if any, is left out: it
    /// refuses by its own threshold
    /// ([`LibrarySearch::threshold`](crate::LibrarySearch::threshold)).
    ///
    /// `xrd classify train` calibrates on the fresh synthetic validation patterns of the
    /// training run
    /// ([`ClassifierParams::validation_set`](crate::ClassifierParams::validation_set)), never on
    /// measured data, to answer [`DEFAULT_THRESHOLD_COVERAGE`] of them — Vecsei et
    /// al.'s operating point.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] `threshold_coverage` outside (0, 1]; [`Error::ShapeMismatch`]
    /// for no patterns or another width; [`Error::NonFinite`]; the indexing's errors.
    pub fn calibrate<S: Data<Elem = f32>>(
        self,
        x: &ArrayBase<S, Ix2>,
        coverage: f64,
    ) -> Result<Self> {
        check_coverage(coverage)?;
        if x.nrows() == 0 {
            return Err(Error::shape("calibration patterns", "at least one", "none"));
        }
        let largest: Vec<f64> = self
            .probabilities(x)?
            .rows()
            .into_iter()
            .map(|r| r.iter().copied().fold(0.0, f64::max))
            .collect();
        let mut calibration = CalibrationConfig {
            threshold: threshold_for_coverage(&largest, coverage),
            indexing_threshold: None,
            indexing_calibrated_with: None,
            threshold_coverage: Some(coverage),
        };
        // The library, if any, stays out: its threshold is its own.
        let library = self.library().cloned();
        let plain = self.with_library(None);
        if let Some(indexing) = plain.indexing().cloned() {
            let certainties: Vec<f64> = plain.predict(x)?.iter().map(|p| p.certainty).collect();
            calibration.indexing_threshold = Some(threshold_for_coverage(&certainties, coverage));
            calibration.indexing_calibrated_with = Some(indexing);
        }
        Ok(plain.with_calibration(calibration)?.with_library(library))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_answers_the_asked_fraction() {
        let c = [0.1, 0.5, 0.3, 0.9];
        assert_eq!(threshold_for_coverage(&c, 0.5), 0.5);
        assert_eq!(threshold_for_coverage(&c, 0.6), 0.3);
        assert_eq!(threshold_for_coverage(&c, 1.0), 0.1);
        assert_eq!(threshold_for_coverage(&c, 0.01), 0.9);
        assert_eq!(threshold_for_coverage(&[], 0.5), 0.0);
    }

    fn invalid(c: CalibrationConfig, name: &str) {
        match c.check() {
            Err(Error::InvalidParameter(p)) => assert_eq!(p.name, name),
            other => panic!("expected invalid `{name}`, got {other:?}"),
        }
    }

    #[test]
    fn threshold_outside_unit_interval() {
        for t in [-0.1, 1.5, f64::NAN] {
            invalid(CalibrationConfig::fixed(t), "threshold");
        }
    }

    #[test]
    fn indexing_threshold_outside_unit_interval() {
        for t in [-0.1, 1.5, f64::NAN] {
            let c = CalibrationConfig {
                indexing_threshold: Some(t),
                ..CalibrationConfig::default()
            };
            invalid(c, "indexing_threshold");
        }
    }

    #[test]
    fn threshold_coverage_outside_unit_interval() {
        for t in [0.0, -0.5, 1.5, f64::NAN] {
            let c = CalibrationConfig {
                threshold_coverage: Some(t),
                ..CalibrationConfig::default()
            };
            invalid(c, "threshold_coverage");
        }
        CalibrationConfig::default().check().unwrap();
        CalibrationConfig::fixed(0.3).check().unwrap();
    }

    #[test]
    fn invalid_indexing_parameters_are_reported() {
        let c = CalibrationConfig {
            indexing_calibrated_with: Some(IndexingParams::default().tolerance(-1.0)),
            ..CalibrationConfig::default()
        };
        assert!(matches!(c.check(), Err(Error::Index(_))), "{:?}", c.check());
    }
}
