//! The feature-space pipeline of `xrd feature-space`: hold out validation patterns, train the
//! autoencoder with restarts and early stopping, fit a 2-component PCA on the same rows,
//! diagnose both (with the nearest-neighbour purity of label groups), keep whichever
//! reconstructs the held-out patterns better ([`PipelineParams::fit`]); then estimate labels
//! from the labelled points with the estimator of lowest leave-one-out error and calibrate
//! refusal on that leave-one-out ([`EstimationParams::estimate`]).
//!
//! Progress goes to a callback ([`PipelineProgress`]); nothing is printed.

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use xrd_ae::{Autoencoder, Diagnostics, EarlyStopping, FeatureSpace, Pca, Progress, dead_relus};

use crate::{
    Answer, Error, EstimatorKind, Extrapolation, RefusalCalibration, RefusalPolicy, Result,
    Selection, SeriesEstimator, SeriesEvaluation, SeriesParams, knn_purity,
};

/// Default of [`PipelineParams::epochs`].
pub const DEFAULT_EPOCHS: usize = 1000;
/// Default of [`PipelineParams::restarts`].
pub const DEFAULT_RESTARTS: usize = 3;
/// Default of [`PipelineParams::patience`].
pub const DEFAULT_PATIENCE: usize = 100;
/// Default of [`PipelineParams::validation`].
pub const DEFAULT_VALIDATION: f64 = 0.2;
/// Default of [`PipelineParams::seed`].
pub const DEFAULT_SEED: u64 = 1;
/// Fraction of its training rows the autoencoder keeps for early stopping, when it has at least
/// [`MIN_EARLY_STOPPING_ROWS`] of them (none otherwise).
pub const EARLY_STOPPING_FRACTION: f64 = 0.15;
/// Fewest training rows with which the autoencoder keeps rows for early stopping.
pub const MIN_EARLY_STOPPING_ROWS: usize = 8;
/// Neighbours of the local linear fit in PCA's space that the chosen estimator is compared with
/// ([`LabelEstimation::pca_baseline_delta`]).
pub const PCA_BASELINE_NEIGHBOURS: usize = 4;

/// A reproducible split of `n` rows: a shuffled `test_fraction` for testing (at least one row,
/// and at least one left for training when `n` ≥ 2), the rest for training; returns
/// `(train, test)`, both sorted.
pub fn split_rows<R: Rng + ?Sized>(
    n: usize,
    test_fraction: f64,
    rng: &mut R,
) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    let n_test = ((n as f64 * test_fraction).round() as usize).clamp(1, n.saturating_sub(1).max(1));
    let mut test = idx[..n_test.min(n)].to_vec();
    let mut train = idx[n_test.min(n)..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    (train, test)
}

/// Latent points (n × 2) as `[x, y]` pairs.
pub fn as_points(z: &Array2<f64>) -> Vec<[f64; 2]> {
    z.rows().into_iter().map(|r| [r[0], r[1]]).collect()
}

/// Latent points of the rows of `x` in a 2-D feature space (autoencoder, PCA) as `[x, y]` pairs.
///
/// # Errors
/// [`Error::InvalidParameter`] (`latent`) for a feature space that is not 2-D; the model's
/// errors (wrapped in [`Error::Ae`]).
pub fn points_of<M: FeatureSpace<f32> + ?Sized>(
    model: &M,
    x: ArrayView2<'_, f32>,
) -> Result<Vec<[f64; 2]>> {
    if model.latent() != 2 {
        return Err(Error::param(
            "latent",
            format!("need a 2-D feature space, got {}-D", model.latent()),
        ));
    }
    Ok(as_points(&model.encode(x)?.mapv(f64::from)))
}

/// Which feature space [`PipelineParams::fit`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceChoice {
    /// The one that reconstructs the held-out patterns better (the default); the autoencoder
    /// when there are no held-out patterns.
    #[default]
    Auto,
    /// The autoencoder.
    Autoencoder,
    /// The 2-component PCA (no autoencoder is trained).
    Pca,
}

/// The feature space a pipeline kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// The autoencoder.
    Autoencoder,
    /// The PCA refitted on every pattern ([`Pipeline::pca`]).
    Pca,
}

impl Space {
    /// `autoencoder` or `pca`.
    pub fn name(self) -> &'static str {
        match self {
            Space::Autoencoder => "autoencoder",
            Space::Pca => "pca",
        }
    }
}

/// Parameters of the feature-space pipeline ([`fit`](Self::fit)).
///
/// | parameter | default |
/// |---|---|
/// | [`epochs`](Self::epochs) | [`DEFAULT_EPOCHS`] (1000) |
/// | [`restarts`](Self::restarts) | [`DEFAULT_RESTARTS`] (3) |
/// | [`patience`](Self::patience) | [`DEFAULT_PATIENCE`] (100) |
/// | [`validation`](Self::validation) | [`DEFAULT_VALIDATION`] (0.2) |
/// | [`seed`](Self::seed) | [`DEFAULT_SEED`] (1) |
/// | [`choice`](Self::choice) | [`SpaceChoice::Auto`] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineParams {
    epochs: usize,
    restarts: usize,
    patience: usize,
    validation: f64,
    seed: u64,
    choice: SpaceChoice,
}

impl Default for PipelineParams {
    fn default() -> Self {
        Self {
            epochs: DEFAULT_EPOCHS,
            restarts: DEFAULT_RESTARTS,
            patience: DEFAULT_PATIENCE,
            validation: DEFAULT_VALIDATION,
            seed: DEFAULT_SEED,
            choice: SpaceChoice::Auto,
        }
    }
}

xrd_core::param_guard!(Error => PipelineParams);

/// What [`PipelineParams::fit`] works on.
#[derive(Debug, Clone)]
pub struct PipelineData<'a> {
    /// Every pattern (n × points), each scaled as the model expects.
    pub patterns: ArrayView2<'a, f32>,
    /// The label group of each of the first `groups.len()` patterns (the labelled ones), for the
    /// nearest-neighbour purity; empty for none.
    pub groups: &'a [usize],
    /// An autoencoder trained elsewhere (e.g. loaded from a file), used instead of training one.
    pub model: Option<Autoencoder<f32>>,
}

/// One epoch of one restart of [`PipelineParams::fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PipelineProgress {
    /// 0-based restart.
    pub restart: usize,
    /// Number of restarts trained.
    pub restarts: usize,
    /// The epoch's progress.
    pub epoch: Progress,
}

/// Nearest-neighbour purity of the label groups in both feature spaces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Purity {
    /// In the autoencoder's space (`None` without an autoencoder).
    pub autoencoder: Option<f64>,
    /// In the PCA's space.
    pub pca: f64,
}

/// What [`PipelineParams::fit`] measured of both feature spaces, on the same rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineDiagnostics {
    /// Of the PCA fitted on the training rows.
    pub pca: Diagnostics,
    /// Of the autoencoder (`None` without one).
    pub autoencoder: Option<Diagnostics>,
    /// Purity of the label groups, only when groups repeat (with one pattern per group every
    /// purity is 0 and says nothing).
    pub purity: Option<Purity>,
    /// The feature space kept.
    pub chosen: Space,
    /// How it was chosen.
    pub choice: SpaceChoice,
    /// The held-out rows (sorted).
    pub validation_rows: Vec<usize>,
}

impl PipelineDiagnostics {
    /// The autoencoder's validation MSE (`None` without an autoencoder).
    pub fn autoencoder_validation_mse(&self) -> Option<f64> {
        self.autoencoder.as_ref().map(|d| d.validation_mse)
    }
}

/// A fitted feature-space pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The autoencoder (trained, or the one given); `None` under [`SpaceChoice::Pca`].
    pub autoencoder: Option<Autoencoder<f32>>,
    /// Latent points of every pattern under untrained weights (when one was trained).
    pub before: Option<Array2<f64>>,
    /// Each restart's validation MSE, in seed order (empty without held-out rows or training).
    pub restart_losses: Vec<f64>,
    /// The 2-component PCA refitted on every pattern (the held-out rows served their purpose).
    pub pca: Pca<f32>,
    /// The diagnostics and the choice.
    pub diagnostics: PipelineDiagnostics,
}

impl Pipeline {
    /// The feature space kept.
    pub fn chosen(&self) -> Space {
        self.diagnostics.chosen
    }
}

impl PipelineParams {
    xrd_core::setters! {
        /// Training epochs at most; early stopping ends sooner (default [`DEFAULT_EPOCHS`]).
        epochs, get_epochs: usize;

        /// Training restarts from seeds `seed + 1`, `seed + 2`, …; the one that reconstructs the
        /// held-out patterns best is kept (default [`DEFAULT_RESTARTS`]).
        restarts, get_restarts: usize;

        /// Early-stopping patience in epochs (default [`DEFAULT_PATIENCE`]).
        patience, get_patience: usize;

        /// Fraction of the patterns held out, in `[0, 1)`: at least one, and none with fewer
        /// than 4 patterns or a fraction of 0 (default [`DEFAULT_VALIDATION`]).
        validation, get_validation: f64;

        /// Seed of the split, of the untrained projection and of each restart (default
        /// [`DEFAULT_SEED`]).
        seed, get_seed: u64;

        /// Which feature space to keep (default [`SpaceChoice::Auto`]).
        choice, get_choice: SpaceChoice;
    }

    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `epochs`, `restarts` or `patience` (0), or
    /// `validation` (outside `[0, 1)`).
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("epochs", self.epochs),
            ("restarts", self.restarts),
            ("patience", self.patience),
        ] {
            if v == 0 {
                return Err(Error::param(name, "must be at least 1, got 0"));
            }
        }
        if !(0.0..1.0).contains(&self.validation) {
            return Err(Error::param(
                "validation",
                format!("must lie in [0, 1), got {}", self.validation),
            ));
        }
        Ok(())
    }

    /// Number of held-out rows of `n` patterns.
    fn validation_rows(&self, n: usize) -> usize {
        if n < 4 || self.validation == 0.0 {
            0
        } else {
            ((n as f64 * self.validation).round() as usize).clamp(1, n - 3)
        }
    }

    /// Holds out validation rows, trains the autoencoder (unless one is given or
    /// [`SpaceChoice::Pca`]) on the others with restarts and early stopping, fits a PCA on the
    /// same rows, diagnoses both, measures the purity of the label groups and keeps one feature
    /// space; `progress` receives every epoch of every restart.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`]; [`Error::ShapeMismatch`] for a given model whose inputs are
    /// not the patterns' points, or more groups than patterns; training and diagnostic errors
    /// ([`Error::Ae`]).
    pub fn fit(
        &self,
        data: PipelineData<'_>,
        mut progress: impl FnMut(&PipelineProgress),
    ) -> Result<Pipeline> {
        self.check()?;
        let all = data.patterns;
        if data.groups.len() > all.nrows() {
            return Err(Error::shape(
                "groups",
                format!("at most {} (one per labelled pattern)", all.nrows()),
                data.groups.len(),
            ));
        }
        if let Some(m) = &data.model
            && m.inputs() != all.ncols()
        {
            return Err(Error::shape("model inputs", all.ncols(), m.inputs()));
        }
        // Held-out patterns for choosing between the feature spaces (spread over the files).
        let n = all.nrows();
        let n_val = self.validation_rows(n);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let (fit_rows, val_rows) = if n_val == 0 {
            ((0..n).collect(), Vec::new())
        } else {
            split_rows(n, n_val as f64 / n as f64, &mut rng)
        };
        let fit = all.select(Axis(0), &fit_rows);
        let val = all.select(Axis(0), &val_rows);

        let early = EarlyStopping {
            patience: self.patience,
            min_delta: 0.0,
        };
        let params = Autoencoder::<f32>::params()
            .epochs(self.epochs)
            .validation_fraction(if fit.nrows() >= MIN_EARLY_STOPPING_ROWS {
                EARLY_STOPPING_FRACTION
            } else {
                0.0
            })
            .early_stopping(early);
        let mut before = None;
        let mut restart_losses = Vec::new();
        let ae = if self.choice == SpaceChoice::Pca {
            None
        } else {
            Some(match data.model {
                Some(model) => model,
                None => {
                    before = Some(
                        params
                            .build(all.ncols(), &mut rng)?
                            .encode(&all)?
                            .mapv(f64::from),
                    );
                    let seeds: Vec<u64> = (0..self.restarts as u64)
                        .map(|r| self.seed + 1 + r)
                        .collect();
                    let restarts = seeds.len();
                    if val.nrows() > 0 {
                        let (model, losses) = params.fit_best(&fit, &val, &seeds, |i, p| {
                            progress(&PipelineProgress {
                                restart: i,
                                restarts,
                                epoch: *p,
                            })
                        })?;
                        restart_losses = losses;
                        model
                    } else {
                        params.fit(&fit, &mut rng, |p| {
                            progress(&PipelineProgress {
                                restart: 0,
                                restarts,
                                epoch: *p,
                            })
                        })?
                    }
                }
            })
        };
        let pca: Pca<f32> = Pca::params().fit(&fit)?;

        // Diagnostics of both, on the same rows.
        let pca_diag = Diagnostics::of(&pca, fit.view(), val.view(), Vec::new())?;
        let ae_diag = match &ae {
            Some(ae) => Some(Diagnostics::of(
                ae,
                fit.view(),
                val.view(),
                dead_relus(ae, fit.view())?,
            )?),
            None => None,
        };
        // How well the label groups cluster in each space: only when groups repeat.
        let n_lab = data.groups.len();
        let distinct = data
            .groups
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let purity = if n_lab >= 2 && distinct < n_lab {
            let lab = all.slice(ndarray::s![..n_lab, ..]);
            Some(Purity {
                pca: knn_purity(&points_of(&pca, lab)?, data.groups)?,
                autoencoder: match &ae {
                    Some(ae) => Some(knn_purity(&points_of(ae, lab)?, data.groups)?),
                    None => None,
                },
            })
        } else {
            None
        };
        let ae_val = ae_diag.as_ref().map(|d| d.validation_mse);
        let use_pca = match self.choice {
            SpaceChoice::Pca => true,
            SpaceChoice::Autoencoder => false,
            // NaN (no validation rows) never wins: keep the autoencoder then.
            SpaceChoice::Auto => ae_val.is_some_and(|a| pca_diag.validation_mse < a),
        };
        // Refit on every pattern: the validation rows served their purpose.
        let pca_all: Pca<f32> = Pca::params().fit(&all)?;
        Ok(Pipeline {
            autoencoder: ae,
            before,
            restart_losses,
            pca: pca_all,
            diagnostics: PipelineDiagnostics {
                pca: pca_diag,
                autoencoder: ae_diag,
                purity,
                chosen: if use_pca {
                    Space::Pca
                } else {
                    Space::Autoencoder
                },
                choice: self.choice,
                validation_rows: val_rows,
            },
        })
    }
}

/// Parameters of label estimation from a feature space ([`estimate`](Self::estimate)).
///
/// | parameter | default |
/// |---|---|
/// | [`extrapolation`](Self::extrapolation) | [`Extrapolation::Clamp`] |
/// | [`estimator`](Self::estimator) | `None`: the lowest leave-one-out mean δ |
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EstimationParams {
    extrapolation: Extrapolation,
    estimator: Option<EstimatorKind>,
}

xrd_core::param_guard!(Error => EstimationParams);

impl EstimationParams {
    xrd_core::setters! {
        /// What an extrapolated estimate becomes (default [`Extrapolation::Clamp`]); under
        /// [`Extrapolation::Refuse`] the refusal calibration counts extrapolated answers as
        /// refused.
        extrapolation, get_extrapolation: Extrapolation;

        /// The estimator, or `None` (the default) for the one of lowest leave-one-out mean δ.
        estimator, get_estimator: Option<EstimatorKind>;
    }

    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates every parameter (every value is valid).
    ///
    /// # Errors
    /// None today.
    pub fn check(&self) -> Result<()> {
        Ok(())
    }

    /// Estimates the labels of `query` points from `known` points (n × 2) with `labels`
    /// (n × m): every estimator's leave-one-out ([`SeriesParams::choose`]), the estimator of
    /// [`estimator`](Self::estimator) fitted on every known point, and a refusal calibrated
    /// ([`RefusalCalibration`], its default quantile) on that estimator's leave-one-out answers.
    /// `pca_known` are the known points in a PCA's space, to compare with
    /// ([`LabelEstimation::pca_baseline_delta`]).
    ///
    /// # Errors
    /// As [`SeriesParams::choose`], [`SeriesParams::fit`] and
    /// [`RefusalCalibration::calibrate_answers`].
    pub fn estimate(
        &self,
        known: ArrayView2<'_, f64>,
        labels: ArrayView2<'_, f64>,
        query: &[[f64; 2]],
        pca_known: Option<ArrayView2<'_, f64>>,
    ) -> Result<LabelEstimation> {
        self.check()?;
        let params = SeriesParams::new().extrapolation(self.extrapolation);
        let selection = params.choose(known, labels)?;
        let kind = self.estimator.unwrap_or(selection.chosen);
        let chosen = selection
            .evaluation(kind)
            .ok_or_else(|| Error::param("estimator", "no leave-one-out of the chosen estimator"))?
            .clone();
        let fitted_params = params.clone().neighbours(chosen.neighbours);
        let pca_baseline_delta = match pca_known {
            Some(pca) => Some(
                params
                    .clone()
                    .neighbours(PCA_BASELINE_NEIGHBOURS)
                    .leave_one_out(EstimatorKind::LocalLinear, pca, labels)?
                    .mean_delta(),
            ),
            None => None,
        };
        let estimator = fitted_params.fit(kind, known, labels)?;
        // Each labelled point estimated from the others stands for a point to estimate: its
        // distance sets the threshold, and under Refuse the extrapolated ones are refusals.
        let refuse = self.extrapolation == Extrapolation::Refuse;
        let loo: Vec<Answer> = chosen.records.iter().map(|r| r.answer.clone()).collect();
        let policy = RefusalCalibration::default()
            .refuse_outside(refuse)
            .calibrate_answers(&loo, &[])?;
        let declined = loo.iter().filter(|a| !policy.accepts_answer(a)).count();
        let answers = query
            .iter()
            .map(|p| {
                let a = estimator.estimate(*p);
                // A NaN distance (a non-finite point) is refused too.
                let refused = !policy.accepts_answer(&a);
                (a, refused)
            })
            .collect();
        Ok(LabelEstimation {
            selection,
            kind,
            chosen,
            pca_baseline_delta,
            estimator,
            policy,
            declined,
            answers,
        })
    }
}

/// What [`EstimationParams::estimate`] measured, chose and answered.
#[derive(Debug, Clone)]
pub struct LabelEstimation {
    /// Every estimator's leave-one-out and the one of lowest mean δ.
    pub selection: Selection,
    /// The estimator used.
    pub kind: EstimatorKind,
    /// Its leave-one-out.
    pub chosen: SeriesEvaluation,
    /// Leave-one-out mean δ of a local linear fit of the [`PCA_BASELINE_NEIGHBOURS`] nearest in
    /// the PCA's space, when PCA points were given.
    pub pca_baseline_delta: Option<f64>,
    /// The estimator fitted on every known point.
    pub estimator: SeriesEstimator,
    /// The calibrated refusal.
    pub policy: RefusalPolicy,
    /// Known points the policy would refuse in their leave-one-out.
    pub declined: usize,
    /// Each query point's answer and whether it is refused.
    pub answers: Vec<(Answer, bool)>,
}

impl LabelEstimation {
    /// Leave-one-out mean δ of the lowest-error estimator (NaN when nothing was answered).
    pub fn best_delta(&self) -> f64 {
        self.selection
            .evaluation(self.selection.chosen)
            .map_or(f64::NAN, SeriesEvaluation::mean_delta)
    }

    /// Whether the best estimator beats predicting each point by the mean of the others (NaN,
    /// nothing answered, does not).
    pub fn beats_mean(&self) -> bool {
        let best = self.best_delta();
        !(best.is_nan() || best >= self.selection.mean_predictor_delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(p: PipelineParams, name: &str) {
        match p.check() {
            Err(Error::InvalidParameter(e)) => assert_eq!(e.name, name),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid_and_documented() {
        let p = PipelineParams::default();
        p.check().unwrap();
        assert_eq!(
            (p.get_epochs(), p.get_restarts(), p.get_patience()),
            (DEFAULT_EPOCHS, DEFAULT_RESTARTS, DEFAULT_PATIENCE)
        );
        assert_eq!(p.get_validation(), DEFAULT_VALIDATION);
        assert_eq!(p.get_seed(), DEFAULT_SEED);
        assert_eq!(p.get_choice(), SpaceChoice::Auto);
        EstimationParams::default().check().unwrap();
    }

    #[test]
    fn zero_epochs_is_refused() {
        invalid(PipelineParams::new().epochs(0), "epochs");
    }

    #[test]
    fn zero_restarts_is_refused() {
        invalid(PipelineParams::new().restarts(0), "restarts");
    }

    #[test]
    fn zero_patience_is_refused() {
        invalid(PipelineParams::new().patience(0), "patience");
    }

    #[test]
    fn validation_of_one_is_refused() {
        invalid(PipelineParams::new().validation(1.0), "validation");
    }

    #[test]
    fn negative_validation_is_refused() {
        invalid(PipelineParams::new().validation(-0.1), "validation");
    }

    #[test]
    fn nan_validation_is_refused() {
        invalid(PipelineParams::new().validation(f64::NAN), "validation");
    }

    #[test]
    fn split_is_a_partition_and_reproducible() {
        let mut a = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(1);
        let (tr, te) = split_rows(150, 0.1, &mut a);
        assert_eq!((tr.len(), te.len()), (135, 15));
        let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..150).collect::<Vec<_>>());
        assert_eq!(split_rows(150, 0.1, &mut b), (tr, te));
    }

    #[test]
    fn validation_rows_leave_three_to_fit() {
        let p = PipelineParams::new();
        assert_eq!(p.validation_rows(3), 0);
        assert_eq!(p.validation_rows(4), 1);
        assert_eq!(p.validation_rows(10), 2);
        assert_eq!(p.clone().validation(0.9).validation_rows(10), 7);
        assert_eq!(p.validation(0.0).validation_rows(10), 0);
    }

    /// Patterns of a one-parameter series: a peak moving along the grid.
    fn series(n: usize, points: usize) -> Array2<f32> {
        Array2::from_shape_fn((n, points), |(i, j)| {
            let c = 5.0 + 10.0 * i as f32 / n as f32;
            (-((j as f32 - c) / 2.0).powi(2)).exp()
        })
    }

    #[test]
    fn pipeline_trains_chooses_and_reports() {
        let x = series(12, 24);
        let groups: Vec<usize> = (0..12).map(|i| i / 3).collect();
        let mut epochs = 0;
        let fitted = PipelineParams::new()
            .epochs(3)
            .restarts(2)
            .fit(
                PipelineData {
                    patterns: x.view(),
                    groups: &groups,
                    model: None,
                },
                |_| epochs += 1,
            )
            .unwrap();
        assert!(epochs >= 2, "progress reported");
        assert_eq!(fitted.restart_losses.len(), 2);
        assert_eq!(fitted.diagnostics.validation_rows.len(), 2);
        assert!(fitted.before.is_some());
        assert!(fitted.diagnostics.purity.is_some());
        let ae_mse = fitted.diagnostics.autoencoder_validation_mse().unwrap();
        let pca_wins = fitted.diagnostics.pca.validation_mse < ae_mse;
        assert_eq!(fitted.chosen() == Space::Pca, pca_wins);
        // PCA only: no autoencoder, PCA kept.
        let pca_only = PipelineParams::new()
            .choice(SpaceChoice::Pca)
            .fit(
                PipelineData {
                    patterns: x.view(),
                    groups: &[],
                    model: None,
                },
                |_| {},
            )
            .unwrap();
        assert!(pca_only.autoencoder.is_none());
        assert_eq!(pca_only.chosen(), Space::Pca);
        assert!(pca_only.diagnostics.purity.is_none());
    }

    #[test]
    fn estimation_answers_and_refuses_far_points() {
        // A label that is x + y on a 5 × 5 lattice.
        let known = Array2::from_shape_fn((25, 2), |(i, j)| {
            if j == 0 {
                (i % 5) as f64
            } else {
                (i / 5) as f64
            }
        });
        let labels = Array2::from_shape_fn((25, 1), |(i, _)| known[[i, 0]] + known[[i, 1]]);
        let est = EstimationParams::new()
            .estimate(
                known.view(),
                labels.view(),
                &[[1.5, 2.5], [100.0, 100.0]],
                None,
            )
            .unwrap();
        assert!(est.beats_mean());
        assert!((est.answers[0].0.value[0] - 4.0).abs() < 1e-6);
        assert!(!est.answers[0].1);
        assert!(est.answers[1].1, "a far point is refused");
    }
}
