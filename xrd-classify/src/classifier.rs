//! The trained classifier: an ensemble of networks on one 2θ grid.

use ndarray::{Array2, ArrayBase, Axis, Data, Ix2};
use rayon::prelude::*;
use xrd_ae::Network;
use xrd_io::{Grid, Pattern, Wavelength};

use crate::predict::{
    add_softmax, check_finite, check_width, from_probabilities, library_beside_cell, mix_library,
    rescale_to_systems, restrict_to_groups, systems_from_indexing,
};
use crate::{
    CalibrationConfig, ClassifierConfig, ClassifierParams, CrystalSystem, Error, Evidence,
    LibrarySearch, Prediction, Result, measured, system_probabilities,
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
    grid: Grid,
    members: Vec<Network<f32>>,
    systems: Vec<Network<f32>>,
    config: ClassifierConfig,
    history: Vec<History>,
    system_history: Vec<History>,
    /// Not stored with the model: how predictions index patterns (None: they do not).
    indexing: Option<Indexer>,
    /// Not stored with the model: the library predictions search (None: they do not).
    library: Option<LibrarySearch>,
}

/// A prediction with what each kind of evidence said on its own: for measuring each stage and
/// showing what decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// The networks alone (refused below the calibration's
    /// [`threshold`](CalibrationConfig::threshold)).
    pub networks: Prediction,
    /// The networks restricted by the indexing; None when the classifier does not index.
    pub indexed: Option<Prediction>,
    /// The library search alone (its distribution over space groups,
    /// [`LibraryWeighting::distribution`](crate::LibraryWeighting::distribution)); None without
    /// a library or without a candidate.
    pub library: Option<Prediction>,
    /// The answer: every kind of evidence combined ([`Classifier::predict`]).
    pub combined: Prediction,
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
            return Err(Error::shape("networks", "at least one network", "none"));
        }
        // No crystal-system networks yet: the configuration says so until they are attached.
        let mut config = config;
        config.architecture.system_network = false;
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
            library: None,
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
                "crystal-system networks",
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
                    "crystal-system network",
                    "7 crystal-system outputs",
                    format!("{}", net.outputs()),
                ));
            }
        }
        self.config.architecture.system_network = !systems.is_empty();
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

    /// The configuration: the input transform, the architecture, the training schedule, the
    /// calibration of the refusal thresholds and top-k.
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

    /// The same classifier refusing below `threshold` instead, with indexing or without: a
    /// fixed threshold ([`CalibrationConfig::fixed`]) replaces the calibration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] outside `[0, 1]`.
    pub fn with_threshold(self, threshold: f64) -> Result<Self> {
        self.with_calibration(CalibrationConfig::fixed(threshold))
    }

    /// The same classifier with another calibration of its refusal thresholds (see
    /// [`Classifier::calibrate`], which computes one).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid calibration.
    pub fn with_calibration(mut self, calibration: CalibrationConfig) -> Result<Self> {
        calibration.check()?;
        self.config.calibration = calibration;
        Ok(self)
    }

    /// The same classifier with the training records of its networks and crystal-system
    /// networks.
    pub(crate) fn with_histories(
        mut self,
        history: Vec<History>,
        system_history: Vec<History>,
    ) -> Self {
        self.history = history;
        self.system_history = system_history;
        self
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

    /// The same classifier searching `library` for every pattern it predicts, or no library
    /// (None, the default): a phase that matches well decides the space group, one that matches
    /// poorly leaves it to the indexing and the networks (see [`Classifier::predict`]).
    pub fn with_library(mut self, library: Option<LibrarySearch>) -> Self {
        self.library = library;
        self
    }

    /// The library predictions search (None: they do not).
    pub fn library(&self) -> Option<&LibrarySearch> {
        self.library.as_ref()
    }

    /// The refusal threshold of the networks' and the indexing's predictions: the calibration's
    /// [`indexing_threshold`](CalibrationConfig::indexing_threshold) when the classifier indexes
    /// with the parameters that threshold was calibrated with, else its
    /// [`threshold`](CalibrationConfig::threshold) ([`CalibrationConfig::threshold_for`]). With
    /// a library stage the answers are refused by the library's threshold instead
    /// ([`Classifier::refusal_threshold`]).
    pub fn threshold(&self) -> f64 {
        self.config.calibration.threshold_for(self.indexing())
    }

    /// The refusal threshold of the classifier's answers ([`Prediction::refused`]): the library
    /// stage's ([`LibrarySearch::get_threshold`]) when it has one, else [`Classifier::threshold`].
    pub fn refusal_threshold(&self) -> f64 {
        self.library()
            .map_or_else(|| self.threshold(), LibrarySearch::get_threshold)
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
                "patterns",
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
        let x = crate::input::transform(x.view(), &self.grid, &self.config.input);
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
    /// Cu Kα as [`crate::TRAINING_WAVELENGTH`]): the stages of [`Classifier::predict_stages`]
    /// with each row taken as a measured Cu Kα pattern on the grid, keeping the combined answer.
    ///
    /// 1. **Networks**: the ensemble's space-group probabilities ([`Classifier::probabilities`]).
    /// 2. **Indexing** (the default, [`Classifier::with_indexing`]): each pattern's lines are
    ///    indexed ([`Indexer::index_pattern_at`]) and the crystal-system probabilities q of the
    ///    networks are restricted to the systems the indexing allows: those of the accepted
    ///    metric (its cell is [`Prediction::cell`]), or, when no metric is accepted, the
    ///    systems that no metric tried on enough lines to be accepted describes (triclinic and
    ///    monoclinic with the default metrics and 12 or more lines; nothing is ruled out below 6
    ///    lines). The space-group probabilities are rescaled to the restricted q as with
    ///    crystal-system networks ([`Classifier::probabilities`]); with an accepted cell they are
    ///    then restricted to the groups whose systematic absences explain the lines best
    ///    ([`Indexing::likely_space_groups`](xrd_index::Indexing::likely_space_groups)).
    /// 3. **Library** ([`Classifier::with_library`]): the pattern is searched in the mineral
    ///    library and the candidates' distribution over space groups is mixed in with the weight
    ///    of the best match ([`LibraryWeighting`](crate::LibraryWeighting)); the best phase is
    ///    [`Prediction::phase`]. An accepted cell of a decisive figure of merit
    ///    ([`LibraryWeighting::decisive_merit`](crate::LibraryWeighting::decisive_merit)) keeps
    ///    the library's distribution to the cell's crystal systems (the phase's weight is 0 when
    ///    the library has nothing there).
    /// 4. **Answer**: the most probable space group of the most probable crystal system, so that
    ///    the two agree; [`Prediction::decided_by`] says which evidence weighed most for it.
    ///
    /// # Errors
    /// As [`Classifier::probabilities`].
    pub fn predict<S: Data<Elem = f32>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Vec<Prediction>> {
        self.check_rows(x)?;
        // The rows as patterns only for the stages that read patterns: the networks alone need
        // none (a copy of every row on the inference path otherwise).
        let patterns = if self.indexing.is_some() || self.library.is_some() {
            x.axis_iter(Axis(0))
                .map(|row| {
                    let y: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
                    Ok(Pattern::uniform(self.grid.start(), self.grid.step(), y)?)
                })
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let gathered = self.gather_rows(x, &patterns, crate::TRAINING_WAVELENGTH, None)?;
        Ok(gathered.iter().map(|g| self.decide(g).combined).collect())
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
            .ok_or_else(|| Error::shape("predictions", "one prediction", "none"))
    }

    /// [`Classifier::predict_pattern`] for many patterns, prepared in parallel and classified in
    /// one batch (the answers of [`Classifier::predict_stages`]).
    ///
    /// # Errors
    /// The first pattern (in order) that cannot be put on the grid.
    pub fn predict_patterns(&self, patterns: &[Pattern]) -> Result<Vec<Prediction>> {
        let stages = self.predict_stages(patterns, None)?;
        Ok(stages.into_iter().map(|s| s.combined).collect())
    }

    /// Every stage of the prediction of measured patterns (see [`Classifier::predict`]):
    /// [`Classifier::gather`] then [`Classifier::decide`].
    ///
    /// # Errors
    /// As [`Classifier::gather`].
    pub fn predict_stages(
        &self,
        patterns: &[Pattern],
        exclude: Option<&[Vec<usize>]>,
    ) -> Result<Vec<Stages>> {
        Ok(self
            .gather(patterns, exclude)?
            .iter()
            .map(|g| self.decide(g))
            .collect())
    }

    /// The evidence about each measured pattern, gathered once (the costly part of a
    /// prediction): the networks see the pattern converted to the grid; the indexing and the
    /// library search see it as measured — on its own points, in the wavelength it states (Cu
    /// Kα when it states none), before any resampling. `exclude[i]`, when given, lists library
    /// entries (indices) the search leaves out for pattern `i`: what the classifier does for a
    /// material its library lacks. [`Classifier::decide`] weighs it.
    ///
    /// # Errors
    /// The first pattern (in order) that cannot be put on the grid; [`Error::ShapeMismatch`]
    /// when `exclude` does not have one list per pattern.
    pub fn gather(
        &self,
        patterns: &[Pattern],
        exclude: Option<&[Vec<usize>]>,
    ) -> Result<Vec<Gathered>> {
        let prepared = patterns
            .par_iter()
            .map(|p| measured::prepare(p, &self.grid))
            .collect::<Result<Vec<_>>>()?;
        let mut x = Array2::zeros((prepared.len(), self.grid.len()));
        for (mut row, (values, _)) in x.rows_mut().into_iter().zip(&prepared) {
            row.assign(&ndarray::ArrayView1::from(&values[..]));
        }
        let mut out = self.gather_rows(&x, patterns, crate::TRAINING_WAVELENGTH, exclude)?;
        for (g, (_, warnings)) in out.iter_mut().zip(prepared) {
            g.warnings.splice(0..0, warnings);
        }
        Ok(out)
    }

    /// The evidence for rows `x` (on the grid) of the measured `patterns`
    /// (`default_wavelength` for those that state none; empty when the classifier neither
    /// indexes nor searches a library).
    fn gather_rows<S: Data<Elem = f32>>(
        &self,
        x: &ArrayBase<S, Ix2>,
        patterns: &[Pattern],
        default_wavelength: Wavelength,
        exclude: Option<&[Vec<usize>]>,
    ) -> Result<Vec<Gathered>> {
        let (p, q) = self.both_probabilities(x)?;
        let mut indexings = match &self.indexing {
            Some(indexer) => patterns
                .par_iter()
                .map(|p| {
                    let w = p.wavelength().unwrap_or(default_wavelength);
                    Ok(Some(indexer.index_pattern_at(p, w)?))
                })
                .collect::<Result<Vec<Option<Indexing>>>>()?,
            None => vec![None; patterns.len()],
        };
        // A pattern of noise only is refused whatever the networks say of it.
        let rows = x.view();
        let peak_sigmas = (0..x.nrows())
            .into_par_iter()
            .map(|i| match patterns.get(i) {
                Some(p) => p.peak_sigmas(xrd_minerals::DEFAULT_BACKGROUND_WIDTH),
                None => {
                    let y: Vec<f64> = rows.row(i).iter().map(|&v| f64::from(v)).collect();
                    Pattern::uniform(self.grid.start(), self.grid.step(), y)?
                        .peak_sigmas(xrd_minerals::DEFAULT_BACKGROUND_WIDTH)
                }
            })
            .collect::<std::result::Result<Vec<f64>, xrd_io::Error>>()?;
        let mut searches = match &self.library {
            Some(library) => library
                .search(patterns, exclude)?
                .into_iter()
                .map(Some)
                .collect(),
            None => vec![None; patterns.len()],
        };
        Ok(p.rows()
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let indexing = indexings.get_mut(i).and_then(Option::take);
                Gathered {
                    probabilities: row.to_vec(),
                    systems: q.as_ref().map(|q| std::array::from_fn(|s| q[[i, s]])),
                    // What decide needs of the indexing, worked out once.
                    tested: indexing.as_ref().map(Indexing::tested).unwrap_or_default(),
                    likely: indexing
                        .as_ref()
                        .map(Indexing::likely_space_groups)
                        .unwrap_or_default(),
                    indexing,
                    search: searches.get_mut(i).and_then(Option::take),
                    warnings: if peak_sigmas[i] < xrd_io::MIN_PEAK_SIGMAS {
                        vec![crate::InputWarning::NoPeaks {
                            sigmas: peak_sigmas[i],
                        }]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect())
    }

    /// Weighs the evidence about one pattern ([`Classifier::gather`]) into every stage's
    /// prediction and the answer (see [`Classifier::predict`]), with the classifier's
    /// thresholds and library weighting — cheap, so that weightings can be compared on evidence
    /// gathered once.
    pub fn decide(&self, gathered: &Gathered) -> Stages {
        let (top_k, threshold) = (self.config.top_k, self.threshold());
        let mut row = ndarray::Array1::from(gathered.probabilities.clone());
        let no_peaks = gathered
            .warnings
            .iter()
            .any(|w| matches!(w, crate::InputWarning::NoPeaks { .. }));
        let with_warnings = |mut p: Prediction| {
            p.warnings.clone_from(&gathered.warnings);
            p.refused |= no_peaks;
            p
        };
        // 1. The networks.
        let mut systems = gathered
            .systems
            .unwrap_or_else(|| system_probabilities(row.view()));
        let networks = from_probabilities(
            row.view(),
            &systems,
            top_k,
            self.config.calibration.threshold,
        );
        // 2. The indexing's constraints.
        let indexed = gathered.indexing.as_ref().map(|ix| {
            systems = systems_from_indexing(&systems, ix, &gathered.tested);
            rescale_to_systems(row.view_mut(), &systems);
            if let Some(s) = restrict_to_groups(row.view_mut(), &gathered.likely) {
                systems = s;
            }
            let mut pred = from_probabilities(row.view(), &systems, top_k, threshold);
            pred.cell = ix.accepted().cloned();
            if pred.cell.is_some() {
                pred.decided_by = Evidence::Indexing;
            }
            pred
        });
        let mut combined = indexed.clone().unwrap_or_else(|| networks.clone());
        // 3. The library's evidence.
        let evidence = match (&self.library, &gathered.search) {
            (Some(lib), Some(searched)) => lib.evidence(searched).map(|e| (lib, e)),
            _ => None,
        };
        let library = evidence.map(|(lib, (dist, mut phase))| {
            let before = row.clone();
            // A cell of a decisive merit fixes the system: the library chooses within it.
            let decisive = lib.get_weighting().decisive_merit;
            let mixed = library_beside_cell(&dist, combined.cell.as_ref(), decisive)
                .unwrap_or_else(|| {
                    phase.weight = 0.0;
                    dist.clone()
                });
            let systems = mix_library(row.view_mut(), &mixed, phase.weight);
            // 4. The answer, and what weighed most for it.
            let mut pred = from_probabilities(row.view(), &systems, top_k, lib.get_threshold());
            let g = usize::from(pred.space_group) - 1;
            pred.decided_by = if phase.weight * mixed[g] >= (1.0 - phase.weight) * before[g] {
                Evidence::Library
            } else {
                combined.decided_by
            };
            pred.cell.clone_from(&combined.cell);
            pred.phase = Some(phase.clone());
            combined = pred;
            let dist = ndarray::Array1::from(dist);
            let mut alone = from_probabilities(
                dist.view(),
                &system_probabilities(dist.view()),
                top_k,
                lib.get_threshold(),
            );
            alone.phase = Some(phase);
            alone.decided_by = Evidence::Library;
            alone
        });
        Stages {
            networks: with_warnings(networks),
            indexed: indexed.map(with_warnings),
            library: library.map(with_warnings),
            combined: with_warnings(combined),
        }
    }
}

/// The evidence about one pattern ([`Classifier::gather`]), for [`Classifier::decide`].
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    /// The networks' space-group probabilities (230).
    probabilities: Vec<f64>,
    /// The crystal-system networks' probabilities, when the classifier has them.
    systems: Option<[f64; 7]>,
    /// The indexing, when the classifier indexes.
    indexing: Option<Indexing>,
    /// The metrics the indexing tested ([`Indexing::tested`]).
    tested: Vec<xrd_index::Metric>,
    /// The space groups whose absences explain the lines best
    /// ([`Indexing::likely_space_groups`]).
    likely: Vec<u8>,
    /// The library search, when the classifier searches a library.
    search: Option<crate::search::Searched>,
    /// What was done to the pattern to put it on the grid.
    warnings: Vec<crate::InputWarning>,
}

impl Gathered {
    /// The networks' space-group probabilities (entry `i` is group `i + 1`).
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// The indexing of the pattern's lines (None when the classifier does not index).
    pub fn indexing(&self) -> Option<&Indexing> {
        self.indexing.as_ref()
    }

    /// The library's candidates, best first (None without a library or when the pattern could
    /// not be searched).
    pub fn candidates(&self) -> Option<&[xrd_minerals::Candidate]> {
        self.search.as_ref()?.as_ref().ok().map(Vec::as_slice)
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
    let width = config.input.input_width(grid.len());
    if net.inputs() != width {
        return Err(Error::shape(
            "network inputs",
            format!(
                "{width} inputs (the grid of {} points pooled by {}, {} lags)",
                grid.len(),
                config.input.pool,
                config.input.autocorrelation
            ),
            format!("{}", net.inputs()),
        ));
    }
    Ok(())
}
