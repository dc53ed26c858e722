//! Hyper-parameters of a classifier: the builder, its serialisable configuration and `check()`.

use serde::{Deserialize, Serialize};
use xrd_ae::{Adam, Init};

use crate::{Error, Intensity, Result};

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

/// Default of [`ClassifierConfig::threshold_coverage`]: after training, the refusal threshold is
/// set so that half of the fresh synthetic validation patterns are answered — Vecsei et al.'s
/// operating point (their 0.45 answered about half of the RRUFF patterns). A fixed 0.45 suits
/// networks as certain as theirs; the shipped ensemble's average is rarely that certain and would
/// refuse every RRUFF pattern.
pub const DEFAULT_THRESHOLD_COVERAGE: f64 = 0.5;

/// Default of [`ClassifierConfig::system_network`]: no crystal-system network, the crystal
/// system is the sum of the space-group probabilities of each system.
pub const DEFAULT_SYSTEM_NETWORK: bool = false;

/// Default of [`ClassifierConfig::ensemble`]: four networks whose probabilities are averaged
/// (Vecsei et al. used 10). On shared patterns ([`DEFAULT_SHARED_PATTERNS`]) the three extra
/// networks add about 10 % to the training time; single networks of two seeds differed by 2.7
/// points in RRUFF crystal-system accuracy, and averaging evens such differences out.
pub const DEFAULT_ENSEMBLE: usize = 4;

/// Default of [`ClassifierConfig::epochs`]: 16 epochs of 16,384 patterns. Trained for 40 epochs
/// instead (the previous default), the same ensemble reaches a lower training loss (4.05 against
/// 4.23) and a higher validation accuracy on fresh synthetic patterns (7.2–8.1 % against
/// 5.7–6.7 %) but is worse on every measure of both real sets — measured RRUFF and AFLOW
/// prototypes (see the crate README's results): what more epochs learn about random crystals
/// does not carry over.
pub const DEFAULT_EPOCHS: usize = 16;

/// Default of [`ClassifierConfig::shared_patterns`]: the networks of an ensemble train in
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

/// The configuration of a classifier, serialisable (it is stored in the model file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifierConfig {
    /// Max-pooling window of the pattern part of the input, in grid points (default
    /// [`DEFAULT_POOL`]; 1: the network sees the grid as it is; 0: the pattern is left out and
    /// the network sees the autocorrelation only); see [`ClassifierConfig::input_width`].
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
    /// Hidden layer widths, each followed by ReLU and dropout (default [`DEFAULT_HIDDEN`];
    /// Vecsei et al.'s [`VECSEI_HIDDEN`] on the unpooled grid is the original).
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer in training, in `[0, 1)` (default
    /// [`DEFAULT_DROPOUT`]; 0 switches it off).
    pub dropout: f64,
    /// Loss of each epoch (default [`LossSchedule::CrossEntropy`]).
    pub loss: LossSchedule,
    /// How training labels are drawn (default [`Sampling::BalancedSystems`]).
    pub sampling: Sampling,
    /// Networks trained from different seeds whose probabilities are averaged (default
    /// [`DEFAULT_ENSEMBLE`] = 4; Vecsei et al. used 10).
    pub ensemble: usize,
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
    /// epoch (default 690, three per space group; 0 switches validation off).
    pub validation_patterns: usize,
    /// The optimiser (default [`Adam::default`], the learning rate etc. of Vecsei et al.).
    pub optimizer: Adam,
    /// Weight initialisation (default [`Init::He`], for ReLU layers).
    pub init: Init,
    /// Certainty below which a prediction is refused (default [`VECSEI_THRESHOLD`] until
    /// training sets it from [`threshold_coverage`](Self::threshold_coverage)).
    pub threshold: f64,
    /// Certainty below which a prediction made with indexing (the default,
    /// [`Classifier::with_indexing`](crate::Classifier::with_indexing)) is refused: training sets
    /// it as it sets [`threshold`](Self::threshold), from the certainties of the same validation
    /// patterns predicted with indexing (restricting the probabilities to the groups an indexing
    /// allows raises the certainties). None (the default, a fixed threshold, files written
    /// before the option): [`threshold`](Self::threshold) serves both.
    pub indexing_threshold: Option<f64>,
    /// The indexing parameters [`indexing_threshold`](Self::indexing_threshold) was calibrated
    /// with; None: [`IndexingParams::default`](xrd_index::IndexingParams::default) (as in files
    /// written before the field). Predictions that index with other parameters do not use it.
    pub indexing_calibrated_with: Option<xrd_index::IndexingParams>,
    /// When set, training ends by setting [`threshold`](Self::threshold) to the certainty at
    /// which this fraction of the validation patterns (fresh synthetic ones, never measured
    /// data) is answered: the `⌈c·n⌉`-th largest of their certainties (default
    /// `Some(`[`DEFAULT_THRESHOLD_COVERAGE`]`)`; needs validation patterns). `None`: the
    /// threshold stays as set. Files written before the option read as `None`.
    #[serde(default)]
    pub threshold_coverage: Option<f64>,
    /// Number of most probable space groups reported per prediction (default 5).
    pub top_k: usize,
    /// Whether every network of the ensemble gets a crystal-system network beside it (default
    /// [`DEFAULT_SYSTEM_NETWORK`]): the same input, hidden widths and dropout, 7 outputs (the
    /// crystal systems in [`CrystalSystem`](crate::CrystalSystem) order), trained on the same
    /// patterns with the same loss schedule and optimiser. Its probabilities are the crystal
    /// system's, and the space-group probabilities are rescaled within each system to match
    /// them (see [`Classifier::probabilities`](crate::Classifier::probabilities)).
    pub system_network: bool,
    /// Whether the networks of the ensemble train in lockstep on one stream of patterns
    /// (default [`DEFAULT_SHARED_PATTERNS`]; files written before the option read as `false`):
    /// the labels and patterns of every chunk are drawn and generated once, and every network
    /// (with its crystal-system network) takes its passes over the chunk, from its own initial
    /// weights, with its own dropout masks and batch orders. Generating the patterns takes
    /// most of the training time, so an ensemble then costs about one network's generation
    /// plus a network step per member; its members see the same patterns and may differ less than on patterns of their own.
    /// The first network is the same bits either way, so with `ensemble = 1` it changes nothing.
    // `false`, not the default, when missing: files written before the option were trained on
    // patterns of their own whatever the default is now.
    #[serde(default)]
    pub shared_patterns: bool,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            pool: DEFAULT_POOL,
            intensity: Intensity::Linear,
            autocorrelation: DEFAULT_AUTOCORRELATION,
            peak_threshold: DEFAULT_PEAK_THRESHOLD,
            hidden: DEFAULT_HIDDEN.to_vec(),
            dropout: DEFAULT_DROPOUT,
            loss: LossSchedule::CrossEntropy,
            sampling: Sampling::BalancedSystems,
            ensemble: DEFAULT_ENSEMBLE,
            epochs: DEFAULT_EPOCHS,
            patterns_per_epoch: 16384,
            chunk: 2048,
            passes: 1,
            batch_size: 64,
            validation_patterns: 690,
            optimizer: Adam::default(),
            init: Init::He,
            threshold: VECSEI_THRESHOLD,
            indexing_threshold: None,
            indexing_calibrated_with: None,
            threshold_coverage: Some(DEFAULT_THRESHOLD_COVERAGE),
            top_k: 5,
            system_network: DEFAULT_SYSTEM_NETWORK,
            shared_patterns: DEFAULT_SHARED_PATTERNS,
        }
    }
}

xrd_io::param_guard!(Error => ClassifierConfig);

impl ClassifierConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<()> {
        if self.hidden.contains(&0) {
            return Err(Error::param("hidden", "every hidden layer needs ≥ 1 unit"));
        }
        if self.pool == 0 && self.autocorrelation == 0 {
            return Err(Error::param(
                "pool",
                "0 leaves the pattern out: needs autocorrelation lags ≥ 1",
            ));
        }
        for (name, value) in [
            ("ensemble", self.ensemble),
            ("epochs", self.epochs),
            ("patterns_per_epoch", self.patterns_per_epoch),
            ("chunk", self.chunk),
            ("passes", self.passes),
            ("batch_size", self.batch_size),
            ("top_k", self.top_k),
        ] {
            if value == 0 {
                return Err(Error::param(name, "must be ≥ 1"));
            }
        }
        if self.top_k > crate::SPACE_GROUPS {
            return Err(Error::param(
                "top_k",
                format!("must be ≤ {}, got {}", crate::SPACE_GROUPS, self.top_k),
            ));
        }
        if !(0.0..1.0).contains(&self.peak_threshold) {
            return Err(Error::param(
                "peak_threshold",
                format!("must lie in [0, 1), got {}", self.peak_threshold),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::param(
                "dropout",
                format!("must lie in [0, 1), got {}", self.dropout),
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
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::param(
                "threshold",
                format!("must lie in [0, 1], got {}", self.threshold),
            ));
        }
        if let Some(c) = self.threshold_coverage {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::param(
                    "threshold_coverage",
                    format!("must lie in (0, 1], got {c}"),
                ));
            }
            if self.validation_patterns == 0 {
                return Err(Error::param(
                    "threshold_coverage",
                    "needs validation patterns (or a fixed threshold: `threshold(t)`)",
                ));
            }
        }
        self.optimizer.check()?;
        Ok(())
    }
}

/// Builder of a [`Classifier`](crate::Classifier): documented defaults, [`ClassifierParams::check`],
/// then [`ClassifierParams::fit`](crate::ClassifierParams::fit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassifierParams {
    pub(crate) config: ClassifierConfig,
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
        self.config.pool = points;
        self
    }

    /// Sets the intensity scaling of the input.
    pub fn intensity(mut self, intensity: Intensity) -> Self {
        self.config.intensity = intensity;
        self
    }

    /// Sets the number of autocorrelation lags appended to the input (0: none).
    pub fn autocorrelation(mut self, lags: usize) -> Self {
        self.config.autocorrelation = lags;
        self
    }

    /// Sets the peak threshold of the autocorrelation input (fraction of the maximum; 0: none).
    pub fn peak_threshold(mut self, fraction: f64) -> Self {
        self.config.peak_threshold = fraction;
        self
    }

    /// Sets the hidden layer widths (any number of layers, including none).
    pub fn hidden(mut self, widths: &[usize]) -> Self {
        self.config.hidden = widths.to_vec();
        self
    }

    /// Sets the dropout rate after each hidden layer (0: none).
    pub fn dropout(mut self, rate: f64) -> Self {
        self.config.dropout = rate;
        self
    }

    /// Sets the loss schedule.
    pub fn loss(mut self, loss: LossSchedule) -> Self {
        self.config.loss = loss;
        self
    }

    /// Sets how training labels are drawn.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.config.sampling = sampling;
        self
    }

    /// Sets the number of networks in the ensemble.
    pub fn ensemble(mut self, n: usize) -> Self {
        self.config.ensemble = n;
        self
    }

    /// Sets the number of epochs per network.
    pub fn epochs(mut self, n: usize) -> Self {
        self.config.epochs = n;
        self
    }

    /// Sets the number of fresh patterns per epoch.
    pub fn patterns_per_epoch(mut self, n: usize) -> Self {
        self.config.patterns_per_epoch = n;
        self
    }

    /// Sets the number of patterns generated at once.
    pub fn chunk(mut self, n: usize) -> Self {
        self.config.chunk = n;
        self
    }

    /// Sets the number of passes over each generated chunk.
    pub fn passes(mut self, n: usize) -> Self {
        self.config.passes = n;
        self
    }

    /// Sets the minibatch size.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config.batch_size = n;
        self
    }

    /// Sets the number of validation patterns (0: none).
    pub fn validation_patterns(mut self, n: usize) -> Self {
        self.config.validation_patterns = n;
        self
    }

    /// Sets the optimiser.
    pub fn optimizer(mut self, adam: Adam) -> Self {
        self.config.optimizer = adam;
        self
    }

    /// Sets the weight initialisation.
    pub fn init(mut self, init: Init) -> Self {
        self.config.init = init;
        self
    }

    /// Sets a fixed refusal threshold for predictions with and without indexing (no
    /// [`threshold_coverage`](Self::threshold_coverage), no
    /// [`indexing_threshold`](ClassifierConfig::indexing_threshold)).
    pub fn threshold(mut self, t: f64) -> Self {
        self.config.threshold = t;
        self.config.indexing_threshold = None;
        self.config.threshold_coverage = None;
        self
    }

    /// Sets the fraction of the validation patterns that the threshold chosen after training
    /// answers (see [`ClassifierConfig::threshold_coverage`]).
    pub fn threshold_coverage(mut self, coverage: f64) -> Self {
        self.config.threshold_coverage = Some(coverage);
        self
    }

    /// Sets the number of space groups reported per prediction.
    pub fn top_k(mut self, k: usize) -> Self {
        self.config.top_k = k;
        self
    }

    /// Sets whether a crystal-system network is trained beside each space-group network.
    pub fn system_network(mut self, on: bool) -> Self {
        self.config.system_network = on;
        self
    }

    /// Sets whether the networks of the ensemble train in lockstep on one shared stream of
    /// patterns.
    pub fn shared_patterns(mut self, on: bool) -> Self {
        self.config.shared_patterns = on;
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
            let c = ClassifierConfig {
                indexing_threshold: Some(t),
                ..ClassifierConfig::default()
            };
            invalid(ClassifierParams::from_config(c), "indexing_threshold");
        }
        // A fixed threshold serves both paths.
        let p = ClassifierParams::from_config(ClassifierConfig {
            indexing_threshold: Some(0.2),
            ..ClassifierConfig::default()
        })
        .threshold(0.3);
        assert_eq!(p.config().indexing_threshold, None);
    }

    #[test]
    fn defaults_are_valid() {
        let p = ClassifierParams::default();
        p.check().unwrap();
        assert_eq!(p.config().hidden, [512, 256]);
        assert_eq!(p.config().input_width(8500), 512);
        assert_eq!(p.config().threshold, 0.45);
        assert_eq!(p.config().threshold_coverage, Some(0.5));
        let fixed = ClassifierParams::default().threshold(0.3);
        assert_eq!(
            (fixed.config().threshold, fixed.config().threshold_coverage),
            (0.3, None)
        );
        assert_eq!(p.config().top_k, 5);
        assert!(!p.config().system_network);
        assert_eq!(p.config().shared_patterns, DEFAULT_SHARED_PATTERNS);
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
