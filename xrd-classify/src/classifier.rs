//! The trained classifier: an ensemble of networks on one 2θ grid.

use ndarray::{Array2, ArrayBase, Data, Ix2};
use rayon::prelude::*;
use xrd_ae::Network;
use xrd_io::{Grid, Pattern};

use crate::predict::{add_softmax, check_finite, check_width, from_probabilities};
use crate::{ClassifierConfig, ClassifierParams, Error, Prediction, Result, measured};
use xrd_ae::History;

/// A space-group classifier: `ensemble` networks mapping a pattern on [`Classifier::grid`] to
/// the logits of the 230 space groups (output `i` is space group `i + 1`); their softmax
/// probabilities are averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    pub(crate) grid: Grid,
    pub(crate) members: Vec<Network<f32>>,
    pub(crate) config: ClassifierConfig,
    pub(crate) history: Vec<History>,
}

impl Classifier {
    /// A builder with the documented defaults.
    pub fn params() -> ClassifierParams {
        ClassifierParams::default()
    }

    /// A classifier from trained networks (each with `grid.len()` inputs and 230 outputs, the
    /// logits) and the configuration whose `threshold` and `top_k` predictions use.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for no networks or networks of other widths; an invalid configuration.
    pub fn from_networks(
        grid: Grid,
        members: Vec<Network<f32>>,
        config: ClassifierConfig,
    ) -> Result<Self> {
        config.check()?;
        if members.is_empty() {
            return Err(Error::shape("at least one network", "none"));
        }
        for net in &members {
            let width = config.input_width(grid.len());
            if net.inputs() != width {
                return Err(Error::shape(
                    format!(
                        "{width} inputs (the grid of {} points pooled by {}, {} lags)",
                        grid.len(),
                        config.pool,
                        config.autocorrelation
                    ),
                    format!("{}", net.inputs()),
                ));
            }
            check_width(net.outputs())?;
        }
        Ok(Classifier {
            grid,
            members,
            config,
            history: Vec::new(),
        })
    }

    /// The 2θ grid of the input patterns.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The networks of the ensemble.
    pub fn members(&self) -> &[Network<f32>] {
        &self.members
    }

    /// The configuration (training, threshold, top-k).
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// The training record of each network (losses, validation accuracy; see
    /// [`xrd_ae::History`]).
    pub fn history(&self) -> &[History] {
        &self.history
    }

    /// The same classifier refusing below `threshold` instead.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] outside `[0, 1]`.
    pub fn with_threshold(mut self, threshold: f64) -> Result<Self> {
        let mut config = self.config.clone();
        config.threshold = threshold;
        config.check()?;
        self.config = config;
        Ok(self)
    }

    /// The space-group probabilities (rows × 230, rows summing to 1) of patterns on the grid,
    /// averaged over the ensemble.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another width; [`Error::NonFinite`].
    pub fn probabilities<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<f64>> {
        if x.ncols() != self.grid.len() {
            return Err(Error::shape(
                format!("{} columns (the grid)", self.grid.len()),
                format!("{} × {}", x.nrows(), x.ncols()),
            ));
        }
        check_finite(x.view(), "patterns")?;
        let x = crate::input::transform(x.view(), &self.grid, &self.config);
        let mut acc = Array2::zeros((x.nrows(), crate::SPACE_GROUPS));
        let w = 1.0 / self.members.len() as f64;
        for net in &self.members {
            add_softmax(net.forward(x.view()).view(), w, &mut acc);
        }
        Ok(acc)
    }

    /// Predictions for patterns already on the grid (rows of `grid().len()` values, max 1).
    ///
    /// # Errors
    /// As [`Classifier::probabilities`].
    pub fn predict<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Vec<Prediction>> {
        let p = self.probabilities(x)?;
        Ok(p.rows()
            .into_iter()
            .map(|row| from_probabilities(row, self.config.top_k, self.config.threshold))
            .collect())
    }

    /// The prediction for a measured pattern (any file xrd-io reads): converted to Cu Kα if it
    /// states another wavelength, resampled onto the grid, padded where it is shorter, scaled to
    /// max 1; [`Prediction::warnings`] says what was done.
    ///
    /// # Errors
    /// [`Error::Io`] when the pattern cannot be put on the grid.
    pub fn predict_pattern(&self, pattern: &Pattern) -> Result<Prediction> {
        self.predict_patterns(std::slice::from_ref(pattern))?
            .pop()
            .ok_or_else(|| Error::shape("one prediction", "none"))
    }

    /// [`Classifier::predict_pattern`] for many patterns, prepared in parallel and classified in
    /// one batch.
    ///
    /// # Errors
    /// The first pattern (in order) that cannot be put on the grid.
    pub fn predict_patterns(&self, patterns: &[Pattern]) -> Result<Vec<Prediction>> {
        let prepared = patterns
            .par_iter()
            .map(|p| measured::prepare(p, &self.grid))
            .collect::<Result<Vec<_>>>()?;
        let mut x = Array2::zeros((prepared.len(), self.grid.len()));
        for (mut row, (values, _)) in x.rows_mut().into_iter().zip(&prepared) {
            row.assign(&ndarray::ArrayView1::from(&values[..]));
        }
        let mut out = self.predict(&x)?;
        for (p, (_, warnings)) in out.iter_mut().zip(prepared) {
            p.warnings = warnings;
        }
        Ok(out)
    }
}

impl<'a, S: Data<Elem = f32>> xrd_io::Predict<&'a ArrayBase<S, Ix2>, Vec<Prediction>>
    for Classifier
{
    type Error = Error;

    fn predict(&self, x: &'a ArrayBase<S, Ix2>) -> Result<Vec<Prediction>> {
        Classifier::predict(self, x)
    }
}
