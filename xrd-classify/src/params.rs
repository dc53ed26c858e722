//! Hyper-parameters of a classifier: the builder, its serialisable configuration and `check()`.

use serde::{Deserialize, Serialize};
use xrd_ae::{Adam, Init};

use crate::{CalibrationConfig, Error, Intensity, Result};

/// Hidden widths of Vecsei et al. (2019)'s dense network (their Fig. 2b): 8,500 → 1024 → 512 → 230.
pub const VECSEI_HIDDEN: [usize; 2] = [1024, 512];

/// Default hidden widths: 512 inputs (the autocorrelation lags) → 512 → 256 → 230, about 20×
/// cheaper per pattern than Vecsei's network on 8,500 points, so that a 15-minute run sees many
/// more fresh patterns (see the README's results).
pub const DEFAULT_HIDDEN: [usize; 2] = [512, 256];

/// Default max-pooling window of the pattern part of the input: 0, no pattern part — the
/// network sees the autocorrelation alone. With the pattern max-pooled by 10 (0.1°) beside the
/// autocorrelation, the network did worse on measured and on simulated-from-real patterns (see
/// the README's results): the raw positions depend on the cell size, which the random crystals
/// vary freely, and the raw noise floor differs from that of measured patterns.
pub const DEFAULT_POOL: usize = 0;

/// Default autocorrelation lags: half of a 1,024-point ln d* grid over 5–90°, ratios of peak
/// positions up to about 4.
pub const DEFAULT_AUTOCORRELATION: usize = 512;

/// Default peak threshold of the autocorrelation input: 5 % of the strongest peak. Measured
/// patterns carry noise of up to several per cent of the maximum that survives the background
/// removal and fills the autocorrelation; cutting it off makes measured and training patterns
/// look alike (see the README's results).
pub const DEFAULT_PEAK_THRESHOLD: f64 = 0.05;

/// Dropout rate after every hidden layer in training (PyTorch `nn.Dropout(0.3)`): Vecsei et al.'s
/// dense network has dropout layers after its hidden layers (their Fig. 2b); 0.3 is the rate of
/// the classifier network xrd-ae's benches measure against PyTorch.
pub const DEFAULT_DROPOUT: f64 = 0.3;

/// Vecsei et al.'s refusal threshold: below a certainty of 0.45 about half of the RRUFF patterns
/// are left unclassified, and the rest are right 82 % of the time.
pub const VECSEI_THRESHOLD: f64 = 0.45;

/// Default of [`CalibrationConfig::threshold_coverage`]: the calibration after training
/// ([`Classifier::calibrate`](crate::Classifier::calibrate)) sets the refusal threshold so that
/// half of the fresh synthetic validation patterns are answered — Vecsei et al.'s
/// operating point (their 0.45 answered about half of the RRUFF patterns). A fixed 0.45 suits
/// networks as certain as theirs; the shipped ensemble's average is rarely that certain and would
/// refuse every RRUFF pattern.
pub const DEFAULT_THRESHOLD_COVERAGE: f64 = 0.5;

/// Default of [`ArchitectureConfig::system_network`]: no crystal-system network, the crystal
/// system is the sum of the space-group probabilities of each system.
pub const DEFAULT_SYSTEM_NETWORK: bool = false;

/// Default of [`ArchitectureConfig::ensemble`]: four networks whose probabilities are averaged
/// (Vecsei et al. used 10). On shared patterns ([`DEFAULT_SHARED_PATTERNS`]) the three extra
/// networks add about 10 % to the training time; single networks of two seeds differed by 2.7
/// points in RRUFF crystal-system accuracy, and averaging evens such differences out.
pub const DEFAULT_ENSEMBLE: usize = 4;

/// Default of [`ScheduleConfig::epochs`]: 16 epochs of 16,384 patterns. Trained for 40 epochs
/// instead (the previous default), the same ensemble reaches a lower training loss (4.05 against
/// 4.23) and a higher validation accuracy on fresh synthetic patterns (7.2–8.1 % against
/// 5.7–6.7 %) but is worse on every measure of both real sets — measured RRUFF and AFLOW
/// prototypes (see the crate README's results): what more epochs learn about random crystals
/// does not carry over.
pub const DEFAULT_EPOCHS: usize = 16;

/// Default of [`ScheduleConfig::shared_patterns`]: the networks of an ensemble train in
/// lockstep on one stream of patterns, so an ensemble costs about the generation of one network
/// (`false`: every network draws its own patterns, `n` times the cost).
pub const DEFAULT_SHARED_PATTERNS: bool = true;

/// Which loss each training epoch minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LossSchedule {
    /// Softmax + cross-entropy on every epoch (PyTorch `nn.CrossEntropyLoss()` on the logits).
    #[default]
    CrossEntropy,
    /// Vecsei et al.'s schedule: cross-entropy on odd epochs, the quadratic cost of the softmax
    /// output against the one-hot label on even epochs ("the categorical cross entropy helps to
    /// speed up convergence while the quadratic error is necessary for the network to produce a
    /// more meaningful output distribution"). Adam's moments restart when the loss changes, as
    /// they do when a Keras model is compiled with another loss.
    Alternating,
}

impl LossSchedule {
    /// Whether 1-based `epoch` minimises the quadratic cost.
    pub fn quadratic(self, epoch: usize) -> bool {
        self == LossSchedule::Alternating && epoch.is_multiple_of(2)
    }
}

/// How the space groups of the training patterns are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Sampling {
    /// Every space group the source offers equally often (class-balanced over space groups).
    Balanced,
    /// Every crystal system equally often, its space groups equally often within it
    /// (class-balanced over crystal systems first). Balancing space groups alone gives the
    /// monoclinic system, 13 of the 230 groups, a prior of 6 % and the triclinic one of 1 %,
    /// while they hold about a third and a tenth of measured inorganic patterns (RRUFF: 35 %
    /// and 11 %); this keeps every group in training but the systems at 1/7 each.
    #[default]
    BalancedSystems,
    /// In proportion to the source's own frequencies
    /// ([`PatternSource::frequencies`](crate::PatternSource::frequencies)).
    Source,
}

/// What the networks see of a pattern on the grid: the input transform (see
/// [`input`](crate::input)), applied the same way to training patterns and to the patterns
/// classified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputConfig {
    /// Max-pooling window of the pattern part of the input, in grid points (default
    /// [`DEFAULT_POOL`]; 1: the network sees the grid as it is; 0: the pattern is left out and
    /// the network sees the autocorrelation only); see [`InputConfig::input_width`].
    pub pool: usize,
    /// Intensity scaling of the input after pooling (default [`Intensity::Linear`]).
    pub intensity: Intensity,
    /// Lags of the autocorrelation over ln d* appended to the input, on a ln d* grid of twice as
    /// many points spanning the grid (default [`DEFAULT_AUTOCORRELATION`]; 0: none); see
    /// [`input`](crate::input).
    pub autocorrelation: usize,
    /// Fraction of the background-free pattern's maximum subtracted before the autocorrelation
    /// (values below it set to 0), in `[0, 1)` (default [`DEFAULT_PEAK_THRESHOLD`]; 0: none); see
    /// [`input`](crate::input).
    pub peak_threshold: f64,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            pool: DEFAULT_POOL,
            intensity: Intensity::Linear,
            autocorrelation: DEFAULT_AUTOCORRELATION,
            peak_threshold: DEFAULT_PEAK_THRESHOLD,
        }
    }
}

impl InputConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if self.pool == 0 && self.autocorrelation == 0 {
            return Err(Error::param(
                "pool",
                "0 leaves the pattern out: needs autocorrelation lags ≥ 1",
            ));
        }
        if !(0.0..1.0).contains(&self.peak_threshold) {
            return Err(Error::param(
                "peak_threshold",
                format!("must lie in [0, 1), got {}", self.peak_threshold),
            ));
        }
        Ok(())
    }
}

/// The networks: their widths, initialisation and dropout, how many make up the ensemble and
/// whether a crystal-system network stands beside each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArchitectureConfig {
    /// Hidden layer widths, each followed by ReLU and dropout (default [`DEFAULT_HIDDEN`];
    /// Vecsei et al.'s [`VECSEI_HIDDEN`] on the unpooled grid is the original).
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer in training, in `[0, 1)` (default
    /// [`DEFAULT_DROPOUT`]; 0 switches it off).
    pub dropout: f64,
    /// Weight initialisation (default [`Init::He`], for ReLU layers).
    pub init: Init,
    /// Networks trained from different seeds whose probabilities are averaged (default
    /// [`DEFAULT_ENSEMBLE`] = 4; Vecsei et al. used 10).
    pub ensemble: usize,
    /// Whether every network of the ensemble gets a crystal-system network beside it (default
    /// [`DEFAULT_SYSTEM_NETWORK`]): the same input, hidden widths and dropout, 7 outputs (the
    /// crystal systems in [`CrystalSystem`](crate::CrystalSystem) order), trained on the same
    /// patterns with the same loss schedule and optimiser. Its probabilities are the crystal
    /// system's, and the space-group probabilities are rescaled within each system to match
    /// them (see [`Classifier::probabilities`](crate::Classifier::probabilities)).
    pub system_network: bool,
}

impl Default for ArchitectureConfig {
    fn default() -> Self {
        ArchitectureConfig {
            hidden: DEFAULT_HIDDEN.to_vec(),
            dropout: DEFAULT_DROPOUT,
            init: Init::He,
            ensemble: DEFAULT_ENSEMBLE,
            system_network: DEFAULT_SYSTEM_NETWORK,
        }
    }
}

impl ArchitectureConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if self.hidden.contains(&0) {
            return Err(Error::param("hidden", "every hidden layer needs ≥ 1 unit"));
        }
        if self.ensemble == 0 {
            return Err(Error::param("ensemble", "must be ≥ 1"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::param(
                "dropout",
                format!("must lie in [0, 1), got {}", self.dropout),
            ));
        }
        Ok(())
    }
}

/// The training schedule: the loss, how labels are drawn, how many fresh patterns in what
/// portions, the minibatches, the validation patterns and the optimiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleConfig {
    /// Loss of each epoch (default [`LossSchedule::CrossEntropy`]).
    pub loss: LossSchedule,
    /// How training labels are drawn (default [`Sampling::BalancedSystems`]).
    pub sampling: Sampling,
    /// Epochs per network (default [`DEFAULT_EPOCHS`] = 16; with the default patterns per epoch
    /// 262,144 patterns).
    pub epochs: usize,
    /// Fresh patterns drawn from the source in every epoch (default 16,384): training streams, no
    /// pattern is seen twice.
    pub patterns_per_epoch: usize,
    /// Patterns generated at once and then trained on (default 2,048; bounds the memory: 2,048 ×
    /// 8,500 f32 is 70 MB).
    pub chunk: usize,
    /// Passes over each generated chunk before the next is generated (default 1: every pattern
    /// is trained on once). More passes trade fresh patterns for cheaper gradient steps when
    /// generating costs more than training.
    pub passes: usize,
    /// Rows per minibatch (default 64).
    pub batch_size: usize,
    /// Patterns drawn once (balanced) to report the validation loss and accuracy after every
    /// epoch, and to calibrate the refusal thresholds on after training (default 690, three per
    /// space group; 0 switches validation off); see
    /// [`ClassifierParams::validation_set`].
    pub validation_patterns: usize,
    /// The optimiser (default [`Adam::default`], the learning rate etc. of Vecsei et al.).
    pub optimizer: Adam,
    /// Whether the networks of the ensemble train in lockstep on one stream of patterns
    /// (default [`DEFAULT_SHARED_PATTERNS`]; files written before the option read as `false`):
    /// the labels and patterns of every chunk are drawn and generated once, and every network
    /// (with its crystal-system network) takes its passes over the chunk, from its own initial
    /// weights, with its own dropout masks and batch orders. Generating the patterns takes
    /// most of the training time, so an ensemble then costs about one network's generation
    /// plus a network step per member; its members see the same patterns and may differ less than on patterns of their own.
    /// The first network is the same bits either way, so with `ensemble = 1` it changes nothing.
    pub shared_patterns: bool,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            loss: LossSchedule::CrossEntropy,
            sampling: Sampling::BalancedSystems,
            epochs: DEFAULT_EPOCHS,
            patterns_per_epoch: 16384,
            chunk: 2048,
            passes: 1,
            batch_size: 64,
            validation_patterns: 690,
            optimizer: Adam::default(),
            shared_patterns: DEFAULT_SHARED_PATTERNS,
        }
    }
}

impl ScheduleConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        for (name, value) in [
            ("epochs", self.epochs),
            ("patterns_per_epoch", self.patterns_per_epoch),
            ("chunk", self.chunk),
            ("passes", self.passes),
            ("batch_size", self.batch_size),
        ] {
            if value == 0 {
                return Err(Error::param(name, "must be ≥ 1"));
            }
        }
        self.optimizer.check()?;
        Ok(())
    }
}

/// The configuration of a classifier, serialisable (it is stored in the model file): the input
/// transform, the architecture, the training schedule, the calibration of the refusal
/// thresholds and what a prediction reports.
///
/// Stored flat, one field per value as before the split (`pool`, `intensity`, …, `threshold`,
/// `indexing_threshold`, …, `top_k`, `system_network`, `shared_patterns`), so that model files
/// and summaries written before it read as they are and a classifier writes the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredConfig", into = "StoredConfig")]
pub struct ClassifierConfig {
    /// What the networks see of a pattern.
    pub input: InputConfig,
    /// The networks.
    pub architecture: ArchitectureConfig,
    /// How they are trained.
    pub schedule: ScheduleConfig,
    /// The refusal thresholds and what they were calibrated for
    /// ([`Classifier::calibrate`](crate::Classifier::calibrate)).
    pub calibration: CalibrationConfig,
    /// Number of most probable space groups reported per prediction, 1–230 (default
    /// [`DEFAULT_TOP_K`]): what a prediction reports, part of none of the above.
    pub top_k: usize,
}

/// Default of [`ClassifierConfig::top_k`]: the five most probable space groups.
pub const DEFAULT_TOP_K: usize = 5;

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            input: InputConfig::default(),
            architecture: ArchitectureConfig::default(),
            schedule: ScheduleConfig::default(),
            calibration: CalibrationConfig::default(),
            top_k: DEFAULT_TOP_K,
        }
    }
}

xrd_io::param_guard!(Error => ClassifierConfig);
xrd_io::param_guard!(Error => InputConfig);
xrd_io::param_guard!(Error => ArchitectureConfig);
xrd_io::param_guard!(Error => ScheduleConfig);

impl ClassifierConfig {
    /// Validates every part, and that a calibration to a coverage has validation patterns to
    /// calibrate on.
    pub fn check(&self) -> Result<()> {
        self.input.check()?;
        self.architecture.check()?;
        self.schedule.check()?;
        self.calibration.check()?;
        if self.top_k == 0 {
            return Err(Error::param("top_k", "must be ≥ 1"));
        }
        if self.top_k > crate::SPACE_GROUPS {
            return Err(Error::param(
                "top_k",
                format!("must be ≤ {}, got {}", crate::SPACE_GROUPS, self.top_k),
            ));
        }
        if self.calibration.threshold_coverage.is_some() && self.schedule.validation_patterns == 0 {
            return Err(Error::param(
                "threshold_coverage",
                "needs validation patterns (or a fixed threshold: `threshold(t)`)",
            ));
        }
        Ok(())
    }
}

/// The configuration as model files store it: flat, in the order of the fields before the split
/// (so that the same classifier gives the same bytes).
#[derive(Serialize, Deserialize)]
#[serde(default)]
struct StoredConfig {
    pool: usize,
    intensity: Intensity,
    autocorrelation: usize,
    peak_threshold: f64,
    hidden: Vec<usize>,
    dropout: f64,
    loss: LossSchedule,
    sampling: Sampling,
    ensemble: usize,
    epochs: usize,
    patterns_per_epoch: usize,
    chunk: usize,
    passes: usize,
    batch_size: usize,
    validation_patterns: usize,
    optimizer: Adam,
    init: Init,
    threshold: f64,
    indexing_threshold: Option<f64>,
    indexing_calibrated_with: Option<xrd_index::IndexingParams>,
    // None, not the default, when missing: files written before the option had a fixed
    // threshold.
    #[serde(default)]
    threshold_coverage: Option<f64>,
    top_k: usize,
    system_network: bool,
    // `false`, not the default, when missing: files written before the option were trained on
    // patterns of their own whatever the default is now.
    #[serde(default)]
    shared_patterns: bool,
}

impl Default for StoredConfig {
    fn default() -> Self {
        ClassifierConfig::default().into()
    }
}

impl From<ClassifierConfig> for StoredConfig {
    fn from(c: ClassifierConfig) -> Self {
        let (i, a, s, k) = (c.input, c.architecture, c.schedule, c.calibration);
        StoredConfig {
            pool: i.pool,
            intensity: i.intensity,
            autocorrelation: i.autocorrelation,
            peak_threshold: i.peak_threshold,
            hidden: a.hidden,
            dropout: a.dropout,
            loss: s.loss,
            sampling: s.sampling,
            ensemble: a.ensemble,
            epochs: s.epochs,
            patterns_per_epoch: s.patterns_per_epoch,
            chunk: s.chunk,
            passes: s.passes,
            batch_size: s.batch_size,
            validation_patterns: s.validation_patterns,
            optimizer: s.optimizer,
            init: a.init,
            threshold: k.threshold,
            indexing_threshold: k.indexing_threshold,
            indexing_calibrated_with: k.indexing_calibrated_with,
            threshold_coverage: k.threshold_coverage,
            top_k: c.top_k,
            system_network: a.system_network,
            shared_patterns: s.shared_patterns,
        }
    }
}

impl From<StoredConfig> for ClassifierConfig {
    fn from(c: StoredConfig) -> Self {
        ClassifierConfig {
            input: InputConfig {
                pool: c.pool,
                intensity: c.intensity,
                autocorrelation: c.autocorrelation,
                peak_threshold: c.peak_threshold,
            },
            architecture: ArchitectureConfig {
                hidden: c.hidden,
                dropout: c.dropout,
                init: c.init,
                ensemble: c.ensemble,
                system_network: c.system_network,
            },
            schedule: ScheduleConfig {
                loss: c.loss,
                sampling: c.sampling,
                epochs: c.epochs,
                patterns_per_epoch: c.patterns_per_epoch,
                chunk: c.chunk,
                passes: c.passes,
                batch_size: c.batch_size,
                validation_patterns: c.validation_patterns,
                optimizer: c.optimizer,
                shared_patterns: c.shared_patterns,
            },
            calibration: CalibrationConfig {
                threshold: c.threshold,
                indexing_threshold: c.indexing_threshold,
                indexing_calibrated_with: c.indexing_calibrated_with,
                threshold_coverage: c.threshold_coverage,
            },
            top_k: c.top_k,
        }
    }
}

/// Builder of a [`Classifier`](crate::Classifier): documented defaults, [`ClassifierParams::check`],
/// then [`ClassifierParams::fit`](crate::ClassifierParams::fit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassifierParams {
    config: ClassifierConfig,
}

xrd_io::param_guard!(Error => ClassifierParams);

impl ClassifierParams {
    /// Builder from a whole configuration.
    pub fn from_config(config: ClassifierConfig) -> Self {
        ClassifierParams { config }
    }

    /// Sets the max-pooling window of the pattern part of the input (1: none; 0: no pattern
    /// part, the autocorrelation only).
    pub fn pool(mut self, points: usize) -> Self {
        self.config.input.pool = points;
        self
    }

    /// Sets the intensity scaling of the input.
    pub fn intensity(mut self, intensity: Intensity) -> Self {
        self.config.input.intensity = intensity;
        self
    }

    /// Sets the number of autocorrelation lags appended to the input (0: none).
    pub fn autocorrelation(mut self, lags: usize) -> Self {
        self.config.input.autocorrelation = lags;
        self
    }

    /// Sets the peak threshold of the autocorrelation input (fraction of the maximum; 0: none).
    pub fn peak_threshold(mut self, fraction: f64) -> Self {
        self.config.input.peak_threshold = fraction;
        self
    }

    /// Sets the hidden layer widths (any number of layers, including none).
    pub fn hidden(mut self, widths: &[usize]) -> Self {
        self.config.architecture.hidden = widths.to_vec();
        self
    }

    /// Sets the dropout rate after each hidden layer (0: none).
    pub fn dropout(mut self, rate: f64) -> Self {
        self.config.architecture.dropout = rate;
        self
    }

    /// Sets the loss schedule.
    pub fn loss(mut self, loss: LossSchedule) -> Self {
        self.config.schedule.loss = loss;
        self
    }

    /// Sets how training labels are drawn.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.config.schedule.sampling = sampling;
        self
    }

    /// Sets the number of networks in the ensemble.
    pub fn ensemble(mut self, n: usize) -> Self {
        self.config.architecture.ensemble = n;
        self
    }

    /// Sets the number of epochs per network.
    pub fn epochs(mut self, n: usize) -> Self {
        self.config.schedule.epochs = n;
        self
    }

    /// Sets the number of fresh patterns per epoch.
    pub fn patterns_per_epoch(mut self, n: usize) -> Self {
        self.config.schedule.patterns_per_epoch = n;
        self
    }

    /// Sets the number of patterns generated at once.
    pub fn chunk(mut self, n: usize) -> Self {
        self.config.schedule.chunk = n;
        self
    }

    /// Sets the number of passes over each generated chunk.
    pub fn passes(mut self, n: usize) -> Self {
        self.config.schedule.passes = n;
        self
    }

    /// Sets the minibatch size.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config.schedule.batch_size = n;
        self
    }

    /// Sets the number of validation patterns (0: none).
    pub fn validation_patterns(mut self, n: usize) -> Self {
        self.config.schedule.validation_patterns = n;
        self
    }

    /// Sets the optimiser.
    pub fn optimizer(mut self, adam: Adam) -> Self {
        self.config.schedule.optimizer = adam;
        self
    }

    /// Sets the weight initialisation.
    pub fn init(mut self, init: Init) -> Self {
        self.config.architecture.init = init;
        self
    }

    /// Sets a fixed refusal threshold for predictions with and without indexing (no
    /// [`threshold_coverage`](Self::threshold_coverage), no
    /// [`indexing_threshold`](CalibrationConfig::indexing_threshold)).
    pub fn threshold(mut self, t: f64) -> Self {
        self.config.calibration = CalibrationConfig::fixed(t);
        self
    }

    /// Sets the fraction of the validation patterns that the thresholds calibrated after
    /// training answer ([`Classifier::calibrate`](crate::Classifier::calibrate); see
    /// [`CalibrationConfig::threshold_coverage`]).
    pub fn threshold_coverage(mut self, coverage: f64) -> Self {
        self.config.calibration.threshold_coverage = Some(coverage);
        self
    }

    /// Sets the number of space groups reported per prediction.
    pub fn top_k(mut self, k: usize) -> Self {
        self.config.top_k = k;
        self
    }

    /// Sets whether a crystal-system network is trained beside each space-group network.
    pub fn system_network(mut self, on: bool) -> Self {
        self.config.architecture.system_network = on;
        self
    }

    /// Sets whether the networks of the ensemble train in lockstep on one shared stream of
    /// patterns.
    pub fn shared_patterns(mut self, on: bool) -> Self {
        self.config.schedule.shared_patterns = on;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// Validates the configuration.
    pub fn check(&self) -> Result<()> {
        self.config.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(p: ClassifierParams, name: &str) {
        match p.check() {
            Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
                assert_eq!(n, name)
            }
            other => panic!("expected invalid `{name}`, got {other:?}"),
        }
    }

    #[test]
    fn indexing_threshold_outside_unit_interval() {
        for t in [-0.1, 1.5, f64::NAN] {
            let mut c = ClassifierConfig::default();
            c.calibration.indexing_threshold = Some(t);
            invalid(ClassifierParams::from_config(c), "indexing_threshold");
        }
        // A fixed threshold serves both paths.
        let mut c = ClassifierConfig::default();
        c.calibration.indexing_threshold = Some(0.2);
        let p = ClassifierParams::from_config(c).threshold(0.3);
        assert_eq!(p.config().calibration, CalibrationConfig::fixed(0.3));
    }

    #[test]
    fn defaults_are_valid() {
        let p = ClassifierParams::default();
        p.check().unwrap();
        assert_eq!(p.config().architecture.hidden, [512, 256]);
        assert_eq!(p.config().input.input_width(8500), 512);
        assert_eq!(p.config().calibration.threshold, 0.45);
        assert_eq!(p.config().calibration.threshold_coverage, Some(0.5));
        let fixed = ClassifierParams::default().threshold(0.3);
        assert_eq!(
            (
                fixed.config().calibration.threshold,
                fixed.config().calibration.threshold_coverage
            ),
            (0.3, None)
        );
        assert_eq!(p.config().top_k, 5);
        assert!(!p.config().architecture.system_network);
        assert_eq!(p.config().schedule.shared_patterns, DEFAULT_SHARED_PATTERNS);
        assert!(
            ClassifierParams::default()
                .system_network(true)
                .check()
                .is_ok()
        );
    }

    #[test]
    fn zero_hidden_width() {
        invalid(ClassifierParams::default().hidden(&[8, 0]), "hidden");
    }

    #[test]
    fn dropout_outside_unit_interval() {
        invalid(ClassifierParams::default().dropout(1.0), "dropout");
        invalid(ClassifierParams::default().dropout(-0.1), "dropout");
        invalid(ClassifierParams::default().dropout(f64::NAN), "dropout");
    }

    #[test]
    fn peak_threshold_outside_unit_interval() {
        invalid(
            ClassifierParams::default().peak_threshold(1.0),
            "peak_threshold",
        );
        invalid(
            ClassifierParams::default().peak_threshold(-0.1),
            "peak_threshold",
        );
        invalid(
            ClassifierParams::default().peak_threshold(f64::NAN),
            "peak_threshold",
        );
    }

    #[test]
    fn zero_pool_without_autocorrelation() {
        invalid(
            ClassifierParams::default().pool(0).autocorrelation(0),
            "pool",
        );
        ClassifierParams::default().pool(0).check().unwrap();
    }

    #[test]
    fn zero_ensemble() {
        invalid(ClassifierParams::default().ensemble(0), "ensemble");
    }

    #[test]
    fn zero_epochs() {
        invalid(ClassifierParams::default().epochs(0), "epochs");
    }

    #[test]
    fn zero_patterns_per_epoch() {
        invalid(
            ClassifierParams::default().patterns_per_epoch(0),
            "patterns_per_epoch",
        );
    }

    #[test]
    fn zero_chunk() {
        invalid(ClassifierParams::default().chunk(0), "chunk");
    }

    #[test]
    fn zero_passes() {
        invalid(ClassifierParams::default().passes(0), "passes");
    }

    #[test]
    fn zero_batch_size() {
        invalid(ClassifierParams::default().batch_size(0), "batch_size");
    }

    #[test]
    fn zero_or_too_many_top_k() {
        invalid(ClassifierParams::default().top_k(0), "top_k");
        invalid(ClassifierParams::default().top_k(231), "top_k");
    }

    #[test]
    fn threshold_coverage_outside_unit_interval_or_without_validation() {
        let p = ClassifierParams::default();
        invalid(p.clone().threshold_coverage(0.0), "threshold_coverage");
        invalid(p.clone().threshold_coverage(1.5), "threshold_coverage");
        invalid(p.clone().threshold_coverage(f64::NAN), "threshold_coverage");
        invalid(p.clone().validation_patterns(0), "threshold_coverage");
        p.clone().threshold_coverage(1.0).check().unwrap();
        p.validation_patterns(0).threshold(0.4).check().unwrap();
    }

    #[test]
    fn threshold_outside_unit_interval() {
        invalid(ClassifierParams::default().threshold(1.5), "threshold");
        invalid(ClassifierParams::default().threshold(-0.1), "threshold");
        invalid(ClassifierParams::default().threshold(f64::NAN), "threshold");
    }

    #[test]
    fn invalid_optimizer_is_reported() {
        let adam = Adam {
            lr: -1.0,
            ..Adam::default()
        };
        assert!(matches!(
            ClassifierParams::default().optimizer(adam).check(),
            Err(Error::Ae(xrd_ae::Error::InvalidParameter(_)))
        ));
    }

    #[test]
    fn alternating_schedule() {
        assert!(!LossSchedule::CrossEntropy.quadratic(2));
        assert!(!LossSchedule::Alternating.quadratic(1));
        assert!(LossSchedule::Alternating.quadratic(2));
    }
}
