//! The trained classifier: an ensemble of networks on one 2θ grid.

use ndarray::{Array2, ArrayBase, Axis, Data, Ix2};
use rayon::prelude::*;
use xrd_ae::Network;
use xrd_io::{Grid, Pattern};

use crate::predict::{
    add_softmax, check_finite, check_width, from_probabilities, rescale_to_systems,
    restrict_to_groups, systems_from_indexing,
};
use crate::{
    ClassifierConfig, ClassifierParams, CrystalSystem, Error, Prediction, Result, measured,
    system_probabilities,
};
use xrd_ae::History;
use xrd_index::{Indexer, Indexing, IndexingParams};

/// A space-group classifier: `ensemble` networks mapping a pattern on [`Classifier::grid`] to
/// the logits of the 230 space groups (output `i` is space group `i + 1`); their softmax
/// probabilities are averaged. Optionally a crystal-system network beside each
/// ([`Classifier::system_networks`]), whose averaged probabilities give the crystal system.
///
/// Predictions also index each pattern's lines ([`xrd_index`]) unless
/// [`Classifier::with_indexing`] turns it off: the lattice metric an indexing accepts decides
/// the crystal system (see [`Classifier::predict`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    pub(crate) grid: Grid,
    pub(crate) members: Vec<Network<f32>>,
    pub(crate) systems: Vec<Network<f32>>,
    pub(crate) config: ClassifierConfig,
    pub(crate) history: Vec<History>,
    pub(crate) system_history: Vec<History>,
    /// Not stored with the model: how predictions index patterns (None: they do not).
    pub(crate) indexing: Option<Indexer>,
}

impl Classifier {
    /// A builder with the documented defaults.
    pub fn params() -> ClassifierParams {
        ClassifierParams::default()
    }

    /// A classifier from trained networks (each with `grid.len()` inputs and 230 outputs, the
    /// logits) and the configuration whose `threshold` and `top_k` predictions use; without
    /// crystal-system networks ([`Classifier::with_system_networks`] adds them), so the
    /// configuration's `system_network` is set to false until then.
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
        // No crystal-system networks yet: the configuration says so until they are attached.
        let config = ClassifierConfig {
            system_network: false,
            ..config
        };
        for net in &members {
            check_inputs(net, &grid, &config)?;
            check_width(net.outputs())?;
        }
        Ok(Classifier {
            grid,
            members,
            systems: Vec::new(),
            config,
            history: Vec::new(),
            system_history: Vec::new(),
            indexing: Some(Indexer::default()),
        })
    }

    /// The same classifier with crystal-system networks, one per network of the ensemble (the
    /// same inputs, 7 outputs: the logits of the crystal systems in [`CrystalSystem`] order),
    /// whose averaged softmax probabilities then give the crystal system (see
    /// [`Classifier::probabilities`]); the configuration's `system_network` is set to match.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another number of networks than the ensemble's, or networks
    /// of other widths.
    pub fn with_system_networks(mut self, systems: Vec<Network<f32>>) -> Result<Self> {
        if systems.len() != self.members.len() {
            return Err(Error::shape(
                format!(
                    "{} crystal-system networks (one per member)",
                    self.members.len()
                ),
                format!("{}", systems.len()),
            ));
        }
        for net in &systems {
            check_inputs(net, &self.grid, &self.config)?;
            if net.outputs() != CrystalSystem::ALL.len() {
                return Err(Error::shape(
                    "7 crystal-system outputs",
                    format!("{}", net.outputs()),
                ));
            }
        }
        self.config.system_network = !systems.is_empty();
        self.systems = systems;
        Ok(self)
    }

    /// The 2θ grid of the input patterns.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The networks of the ensemble.
    pub fn members(&self) -> &[Network<f32>] {
        &self.members
    }

    /// The crystal-system networks, one per member (empty without them).
    pub fn system_networks(&self) -> &[Network<f32>] {
        &self.systems
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

    /// The training record of each crystal-system network (validation accuracy: crystal
    /// systems); empty without them.
    pub fn system_history(&self) -> &[History] {
        &self.system_history
    }

    /// The same classifier refusing below `threshold` instead, with indexing or without (the
    /// configuration's [`indexing_threshold`](ClassifierConfig::indexing_threshold) is cleared).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] outside `[0, 1]`.
    pub fn with_threshold(mut self, threshold: f64) -> Result<Self> {
        let mut config = self.config.clone();
        config.threshold = threshold;
        config.indexing_threshold = None;
        config.check()?;
        self.config = config;
        Ok(self)
    }

    /// The same classifier indexing patterns with `params` when it predicts, or not at all
    /// (None: the networks alone decide). Default: [`IndexingParams::default`]. With other
    /// parameters than the refusal threshold for indexed predictions was calibrated with,
    /// predictions refuse by the networks' threshold ([`Classifier::threshold`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid `params`.
    pub fn with_indexing(mut self, params: Option<IndexingParams>) -> Result<Self> {
        self.indexing = params.map(Indexer::new).transpose()?;
        Ok(self)
    }

    /// How predictions index patterns (None: they do not).
    pub fn indexing(&self) -> Option<&IndexingParams> {
        self.indexing.as_ref().map(Indexer::params)
    }

    /// The refusal threshold predictions use: the configuration's
    /// [`indexing_threshold`](ClassifierConfig::indexing_threshold) when the classifier indexes
    /// with the parameters that threshold was calibrated with
    /// ([`indexing_calibrated_with`](ClassifierConfig::indexing_calibrated_with)), else its
    /// [`threshold`](ClassifierConfig::threshold): a threshold calibrated for one indexing says
    /// nothing of the certainties of another.
    pub fn threshold(&self) -> f64 {
        let calibrated_for = |params: &IndexingParams| match &self.config.indexing_calibrated_with {
            Some(c) => params == c,
            None => *params == IndexingParams::default(),
        };
        match (&self.indexing, self.config.indexing_threshold) {
            (Some(ix), Some(t)) if calibrated_for(ix.params()) => t,
            _ => self.config.threshold,
        }
    }

    /// The space-group probabilities (rows × 230, rows summing to 1) of patterns on the grid,
    /// averaged over the ensemble (the networks alone: no indexing).
    ///
    /// With crystal-system networks, the space-group probabilities p(g) are rescaled within
    /// each crystal system s so that they sum to the system networks' (averaged) probability
    /// q(s): p'(g) = p(g) · q(s) / P(s), with P(s) the sum of p over the groups of s (q(s)
    /// spread evenly over the groups where P(s) underflows). Vecsei et al. trained a separate
    /// network for the crystal system; summing a 230-way softmax gives the system only
    /// indirectly, through many small, poorly trained probabilities. The rescaling keeps the
    /// space network's ranking within each system and makes the two answers consistent: the
    /// certainty, top-k and refusal follow p', the crystal system q.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another width; [`Error::NonFinite`].
    pub fn probabilities<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Array2<f64>> {
        Ok(self.both_probabilities(x)?.0)
    }

    /// The crystal-system probabilities (rows × 7, [`CrystalSystem`] order, rows summing to
    /// 1): the crystal-system networks' averaged over the ensemble when the classifier has them,
    /// else the space-group probabilities summed per system ([`system_probabilities`]).
    ///
    /// # Errors
    /// As [`Classifier::probabilities`].
    pub fn crystal_system_probabilities<S: Data<Elem = f32>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<Array2<f64>> {
        let (p, q) = self.both_probabilities(x)?;
        if let Some(q) = q {
            return Ok(q);
        }
        let mut q = Array2::zeros((p.nrows(), CrystalSystem::ALL.len()));
        for (mut q, p) in q.rows_mut().into_iter().zip(p.rows()) {
            q.assign(&ndarray::ArrayView1::from(&system_probabilities(p)));
        }
        Ok(q)
    }

    /// Errors unless `x` holds finite rows on the grid.
    fn check_rows<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<()> {
        if x.ncols() != self.grid.len() {
            return Err(Error::shape(
                format!("{} columns (the grid)", self.grid.len()),
                format!("{} × {}", x.nrows(), x.ncols()),
            ));
        }
        check_finite(x.view(), "patterns")
    }

    /// The space-group probabilities (rescaled to the crystal-system networks when there are
    /// any) and the crystal-system networks' probabilities.
    fn both_probabilities<S: Data<Elem = f32>>(
        &self,
        x: &ArrayBase<S, Ix2>,
    ) -> Result<(Array2<f64>, Option<Array2<f64>>)> {
        self.check_rows(x)?;
        let x = crate::input::transform(x.view(), &self.grid, &self.config);
        Ok(self.probabilities_of_input(x.view()))
    }

    /// [`Classifier::both_probabilities`] of network inputs (patterns already through the input
    /// transform).
    pub(crate) fn probabilities_of_input(
        &self,
        x: ndarray::ArrayView2<'_, f32>,
    ) -> (Array2<f64>, Option<Array2<f64>>) {
        let mut acc = Array2::zeros((x.nrows(), crate::SPACE_GROUPS));
        let w = 1.0 / self.members.len() as f64;
        for net in &self.members {
            add_softmax(net.forward(x.view()).view(), w, &mut acc);
        }
        if self.systems.is_empty() {
            return (acc, None);
        }
        let mut q = Array2::zeros((x.nrows(), CrystalSystem::ALL.len()));
        for net in &self.systems {
            add_softmax(net.forward(x.view()).view(), w, &mut q);
        }
        for (p, q) in acc.rows_mut().into_iter().zip(q.rows()) {
            let q: [f64; 7] = std::array::from_fn(|s| q[s]);
            rescale_to_systems(p, &q);
        }
        (acc, Some(q))
    }

    /// Predictions for patterns already on the grid (rows of `grid().len()` values, max 1,
    /// Cu Kα as [`crate::TRAINING_WAVELENGTH`]).
    ///
    /// With indexing (the default, [`Classifier::with_indexing`]) each row's lines are indexed
    /// ([`Indexer::index_pattern_at`], rows in parallel, each row a Cu Kα pattern on the grid) and the crystal-system probabilities q of the
    /// networks are restricted to the systems the indexing allows: those of the accepted
    /// metric (its cell is [`Prediction::cell`]), or, when no metric is accepted, the systems
    /// that no metric tried on enough lines to be accepted describes (triclinic and monoclinic
    /// with the default metrics and 12 or more lines; nothing is ruled out below 6 lines).
    /// The space-group probabilities are rescaled to the restricted q as with crystal-system
    /// networks ([`Classifier::probabilities`]); with an accepted cell they are then restricted
    /// to the groups whose systematic absences explain the lines best
    /// ([`Indexing::likely_space_groups`](xrd_index::Indexing::likely_space_groups);
    /// renormalised, the crystal system following them, so rhombohedral absences choose the
    /// trigonal system), so the space group is the networks' most probable one among them. On the 457 measured RRUFF patterns this takes
    /// the crystal-system accuracy of the shipped networks from 34 % to 62 % (README).
    ///
    /// # Errors
    /// As [`Classifier::probabilities`].
    pub fn predict<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Vec<Prediction>> {
        let indexings = match &self.indexing {
            Some(indexer) => {
                // The networks' checks, before the rows become patterns.
                self.check_rows(x)?;
                Some(
                    x.axis_iter(Axis(0))
                        .into_par_iter()
                        .map(|row| {
                            let y: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
                            let pattern = Pattern::uniform(self.grid.start(), self.grid.step(), y)?;
                            Ok(indexer.index_pattern_at(&pattern, crate::TRAINING_WAVELENGTH)?)
                        })
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            None => None,
        };
        self.predict_indexed(x, indexings.as_deref())
    }

    /// Predictions for rows of `x` with the indexing of each (None: the networks alone).
    fn predict_indexed<S: Data<Elem = f32>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        indexings: Option<&[Indexing]>,
    ) -> Result<Vec<Prediction>> {
        let (mut p, q) = self.both_probabilities(x)?;
        let threshold = self.threshold();
        let mut out = Vec::with_capacity(p.nrows());
        for (i, mut row) in p.rows_mut().into_iter().enumerate() {
            let mut systems = match &q {
                Some(q) => std::array::from_fn(|s| q[[i, s]]),
                None => system_probabilities(row.view()),
            };
            let mut cell = None;
            if let Some(ix) = indexings.and_then(|ix| ix.get(i)) {
                systems = systems_from_indexing(&systems, ix, &ix.tested());
                rescale_to_systems(row.view_mut(), &systems);
                let likely = ix.likely_space_groups();
                if let Some(s) = restrict_to_groups(row.view_mut(), &likely) {
                    systems = s;
                }
                cell = ix.accepted().cloned();
            }
            let mut pred = from_probabilities(row.view(), &systems, self.config.top_k, threshold);
            pred.cell = cell;
            out.push(pred);
        }
        Ok(out)
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
    /// one batch. Each pattern is indexed as it was measured — on its own points, in the
    /// wavelength it states (Cu Kα when it states none), its own background removed once — not
    /// as the converted row the networks see.
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
        // Each pattern is indexed as measured: its own points and wavelength (Cu Kα when it
        // states none), before the conversion to the classifier's grid.
        let indexings = match &self.indexing {
            Some(indexer) => Some(
                patterns
                    .par_iter()
                    .map(|p| {
                        let w = p.wavelength().unwrap_or(crate::TRAINING_WAVELENGTH);
                        Ok(indexer.index_pattern_at(p, w)?)
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let mut out = self.predict_indexed(&x, indexings.as_deref())?;
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

/// Errors unless `net` takes the input the configuration makes of patterns on `grid`.
fn check_inputs(net: &Network<f32>, grid: &Grid, config: &ClassifierConfig) -> Result<()> {
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
    Ok(())
}
