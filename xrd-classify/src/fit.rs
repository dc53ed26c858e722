//! Training: patterns streamed from a [`PatternSource`], labels drawn class-balanced, networks of
//! the ensemble trained one after the other, or in lockstep on shared patterns, on xrd-ae's
//! engine.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Dense, History, Loss, Network, NetworkParams, Trainer};

use crate::predict::{add_softmax, check_finite};
use crate::{
    Classifier, ClassifierConfig, ClassifierParams, CrystalSystem, Error, LabelledPatterns,
    PatternSource, Result, SPACE_GROUPS, Sampling,
};

/// What the progress callback receives after every generated chunk of an epoch, for every
/// network trained on it (on [shared patterns](crate::ScheduleConfig::shared_patterns), the
/// networks of the ensemble in turn after every chunk).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// 0-based network of the ensemble that has just trained on the chunk.
    pub member: usize,
    /// Networks in the ensemble.
    pub members: usize,
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs per network.
    pub epochs: usize,
    /// Patterns trained on so far in this epoch.
    pub patterns: usize,
    /// Patterns per epoch.
    pub patterns_per_epoch: usize,
    /// Mean training loss of the epoch so far (cross-entropy, or quadratic on the quadratic
    /// epochs of [`LossSchedule::Alternating`](crate::LossSchedule::Alternating)), over all
    /// passes.
    pub train_loss: f64,
    /// At the end of an epoch with validation patterns: their mean cross-entropy and top-1
    /// space-group accuracy under this network.
    pub validation: Option<(f64, f64)>,
    /// With a crystal-system network: its mean training loss of the epoch so far.
    pub system_train_loss: Option<f64>,
    /// With a crystal-system network, at the end of an epoch with validation patterns: their
    /// mean cross-entropy and crystal-system accuracy under it.
    pub system_validation: Option<(f64, f64)>,
}

/// Smallest probability taken into a cross-entropy, so that a confident mistake costs a finite
/// amount.
const MIN_PROBABILITY: f64 = 1e-12;

/// Draws `n` space groups from `groups` (uniformly, or by `weights` as a cumulative table).
fn draw_labels<R: Rng + ?Sized>(
    groups: &[u8],
    cumulative: Option<&[f64]>,
    n: usize,
    rng: &mut R,
) -> Vec<u8> {
    (0..n)
        .map(|_| match cumulative {
            None => groups[rng.random_range(0..groups.len())],
            Some(c) => {
                let total = c.last().copied().unwrap_or(1.0);
                let u = rng.random::<f64>() * total;
                let k = c.partition_point(|&v| v <= u).min(groups.len() - 1);
                groups[k]
            }
        })
        .collect()
}

/// Running sums of `w`.
fn cumulate(w: &[f64]) -> Vec<f64> {
    w.iter()
        .scan(0.0, |s, v| {
            *s += v;
            Some(*s)
        })
        .collect()
}

/// Weights of `groups` that give every crystal system present the same share, split evenly
/// among its groups.
pub(crate) fn system_balanced(groups: &[u8]) -> Vec<f64> {
    let system = |g: u8| crate::system_of(g).map_or(0, CrystalSystem::index);
    let mut per_system = [0usize; 7];
    for &g in groups {
        per_system[system(g)] += 1;
    }
    let present = per_system.iter().filter(|&&n| n > 0).count().max(1) as f64;
    groups
        .iter()
        .map(|&g| 1.0 / (present * per_system[system(g)].max(1) as f64))
        .collect()
}

/// One-hot targets of class indices (rows × `classes`).
fn one_hot(classes: usize, truth: &[usize]) -> Array2<f32> {
    let mut y = Array2::zeros((truth.len(), classes));
    for (i, &c) in truth.iter().enumerate() {
        y[[i, c]] = 1.0;
    }
    y
}

/// Output indices of space groups (group `g` is output `g - 1`).
fn group_indices(labels: &[u8]) -> Vec<usize> {
    labels.iter().map(|&g| g as usize - 1).collect()
}

/// Crystal-system indices of space groups ([`CrystalSystem`] order).
fn system_indices(labels: &[u8]) -> Result<Vec<usize>> {
    labels
        .iter()
        .map(|&g| crate::system_of(g).map(CrystalSystem::index))
        .collect()
}

/// Patterns of `labels` from the source, checked, as the network sees them (pooled and scaled
/// by the configuration).
fn generate<S: PatternSource + ?Sized>(
    source: &S,
    labels: &[u8],
    seed: u64,
    cfg: &ClassifierConfig,
) -> Result<Array2<f32>> {
    let x = generate_patterns(source, labels, seed)?;
    Ok(crate::input::transform(
        x.view(),
        &source.grid(),
        &cfg.input,
    ))
}

/// The source's patterns for `labels`, checked (before the input transform).
fn generate_patterns<S: PatternSource + ?Sized>(
    source: &S,
    labels: &[u8],
    seed: u64,
) -> Result<Array2<f32>> {
    let x = source.patterns(labels, seed)?;
    let width = source.grid().len();
    if x.dim() != (labels.len(), width) {
        return Err(Error::Source(format!(
            "asked for {} patterns of {width} points, got {} × {}",
            labels.len(),
            x.nrows(),
            x.ncols()
        )));
    }
    check_finite(x.view(), "generated patterns")?;
    Ok(x)
}

/// The network with its last layer's activation replaced.
fn with_output(net: Network<f32>, activation: Activation) -> Result<Network<f32>> {
    let mut layers = net.layers().to_vec();
    if let Some(last) = layers.pop() {
        if last.activation() == activation {
            layers.push(last);
        } else {
            layers.push(Dense::new(
                last.weight().to_owned(),
                last.bias().to_owned(),
                activation,
            )?);
        }
    }
    Ok(Network::new(layers)?)
}

/// Mean cross-entropy and top-1 accuracy of one network on patterns of known classes (output
/// indices).
fn validate(net: &Network<f32>, x: ArrayView2<'_, f32>, truth: &[usize]) -> (f64, f64) {
    let out = net.forward(x);
    let p = if net.layers().last().map(Dense::activation) == Some(Activation::Softmax) {
        out.mapv(f64::from)
    } else {
        let mut acc = Array2::zeros(out.raw_dim());
        add_softmax(out.view(), 1.0, &mut acc);
        acc
    };
    let (mut loss, mut right) = (0.0, 0usize);
    for (row, &truth) in p.rows().into_iter().zip(truth) {
        loss -= row[truth].max(MIN_PROBABILITY).ln();
        let best =
            row.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            );
        right += usize::from(best.0 == truth);
    }
    let n = truth.len().max(1) as f64;
    (loss / n, right as f64 / n)
}

/// The output activation and loss of an epoch of the quadratic (`true`, Vecsei's softmax + MSE)
/// or the cross-entropy loss (logits; the softmax is fused into the loss).
fn output_and_loss(quadratic: bool) -> (Activation, Loss) {
    if quadratic {
        (Activation::Softmax, Loss::Mse)
    } else {
        (Activation::Identity, Loss::CrossEntropy)
    }
}

/// One network in training: its trainer, replaced (fresh Adam moments) when the loss changes,
/// and its record.
struct Head {
    net: Network<f32>,
    trainer: Option<(bool, Trainer<f32>)>,
    history: History,
    /// Loss sum of the epoch so far, weighted by patterns.
    sum: f64,
}

impl Head {
    fn new(net: Network<f32>) -> Self {
        Head {
            net,
            trainer: None,
            history: History::default(),
            sum: 0.0,
        }
    }

    /// Makes the trainer of an epoch of the quadratic (`true`) or cross-entropy loss: the same
    /// as the last epoch's, or a new one (its dropout seeded from `rng`).
    fn start_epoch<R: Rng + ?Sized>(
        &mut self,
        quadratic: bool,
        cfg: &ClassifierConfig,
        rng: &mut R,
    ) -> Result<()> {
        self.sum = 0.0;
        let (act, loss) = output_and_loss(quadratic);
        match self.trainer.take() {
            Some((q, t)) if q == quadratic => self.trainer = Some((q, t)),
            other => {
                if let Some((_, t)) = other {
                    self.net = t.into_network();
                }
                self.net = with_output(self.net.clone(), act)?;
                let t = Trainer::new(
                    self.net.clone(),
                    loss,
                    cfg.schedule.optimizer,
                    cfg.schedule.batch_size,
                )?
                .with_rng(rng);
                self.trainer = Some((quadratic, t));
            }
        }
        Ok(())
    }

    /// The passes over one chunk (`rows` in each pass's order) against one-hot targets `y`;
    /// adds the chunk's mean loss, weighted by its patterns, to the epoch's sum.
    fn train(
        &mut self,
        x: ArrayView2<'_, f32>,
        y: ArrayView2<'_, f32>,
        passes: &[Vec<usize>],
        epoch: usize,
    ) -> Result<()> {
        let Some((_, t)) = self.trainer.as_mut() else {
            return Err(Error::shape(
                "trainer",
                "a trainer (an epoch begun)",
                "none",
            ));
        };
        let mut l = 0.0;
        for rows in passes {
            l += t.epoch(x, Some(y), rows).map_err(|e| match e {
                xrd_ae::Error::Diverged { loss, .. } => {
                    Error::Ae(xrd_ae::Error::Diverged { epoch, loss })
                }
                other => Error::Ae(other),
            })?;
        }
        self.sum += l / passes.len() as f64 * x.nrows() as f64;
        Ok(())
    }

    /// The network being trained.
    fn network(&self) -> &Network<f32> {
        match &self.trainer {
            Some((_, t)) => t.network(),
            None => &self.net,
        }
    }

    /// Records the end of an epoch of `loss` over `patterns`.
    fn end_epoch(&mut self, patterns: usize, loss: Loss, validation: Option<(f64, f64)>) {
        self.history.train.push(self.sum / patterns as f64);
        self.history.losses.push(loss);
        if let Some((vl, va)) = validation {
            self.history.validation.push(vl);
            self.history.validation_accuracy.push(va);
        }
    }

    /// The trained network (outputs logits) and its record.
    fn finish(self) -> Result<Trained> {
        let net = match self.trainer {
            Some((_, t)) => t.into_network(),
            None => self.net,
        };
        Ok((with_output(net, Activation::Identity)?, self.history))
    }
}

/// A trained network (outputs logits) and its record.
type Trained = (Network<f32>, History);

/// A network of the ensemble in training, its crystal-system network (if any), and the streams
/// that seed them.
struct Member {
    /// Seeds the space-group network's initial weights, dropout masks and batch orders (and,
    /// for the first network of a group, the group's labels and patterns).
    rng: Xoshiro256PlusPlus,
    head: Head,
    /// The crystal-system network and its own stream.
    system: Option<(Head, Xoshiro256PlusPlus)>,
}

impl Member {
    /// The untrained networks of the member seeded by `seed`.
    fn new(
        seed: u64,
        width: usize,
        sg_builder: &NetworkParams<f32>,
        system_builder: Option<&NetworkParams<f32>>,
    ) -> Result<Self> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        // The crystal-system network draws from the member's stream jumped 2^128 ahead: its
        // own non-overlapping stream, without a draw from the member's, so that the
        // space-group network is the same bits with or without it.
        let system = match system_builder {
            Some(builder) => {
                let mut system_rng = rng.clone();
                system_rng.jump();
                let net = builder.build(width, &mut system_rng)?;
                Some((Head::new(net), system_rng))
            }
            None => None,
        };
        let head = Head::new(sg_builder.build(width, &mut rng)?);
        Ok(Member { rng, head, system })
    }

    fn start_epoch(&mut self, quadratic: bool, cfg: &ClassifierConfig) -> Result<()> {
        self.head.start_epoch(quadratic, cfg, &mut self.rng)?;
        if let Some((h, r)) = self.system.as_mut() {
            h.start_epoch(quadratic, cfg, r)?;
        }
        Ok(())
    }

    /// The row orders of the passes over a chunk of `n` patterns: the first in the order
    /// generated, unless `shuffle_first`, each further one a shuffle of the one before.
    fn passes(&mut self, n: usize, passes: usize, shuffle_first: bool) -> Vec<Vec<usize>> {
        let mut first: Vec<usize> = (0..n).collect();
        if shuffle_first {
            first.shuffle(&mut self.rng);
        }
        let mut all = vec![first];
        for _ in 1..passes {
            let mut rows = all[all.len() - 1].clone();
            rows.shuffle(&mut self.rng);
            all.push(rows);
        }
        all
    }

    /// The trained networks and their records: the space-group network's, the
    /// crystal-system network's.
    fn finish(self) -> Result<(Trained, Option<Trained>)> {
        let system = self.system.map(|(h, _)| h.finish()).transpose()?;
        Ok((self.head.finish()?, system))
    }
}

/// What every network of a training run shares: the source, the configuration, the label
/// distribution and the validation patterns.
struct Stream<'a, S: ?Sized> {
    source: &'a S,
    cfg: &'a ClassifierConfig,
    groups: &'a [u8],
    /// Cumulative label weights (`None`: uniform).
    cumulative: Option<&'a [f64]>,
    /// Validation patterns with their space-group and crystal-system output indices.
    validation: Option<&'a (Array2<f32>, Vec<usize>, Vec<usize>)>,
}

impl<S: PatternSource + ?Sized> Stream<'_, S> {
    /// Trains `group` (the networks of the ensemble from index `first` on) in lockstep, all
    /// epochs: the labels and patterns of every chunk are drawn once, from the first network's
    /// stream, and every network then takes its passes over the chunk in its own batch orders.
    /// The first network trains exactly as it would alone: its trainer's seeds are drawn from
    /// its stream at the start of an epoch and the shuffles of its extra passes after a chunk's
    /// seed, before the next chunk's labels, as they are alone. The others shuffle their first
    /// pass too, so that no two networks see the same minibatches. `callback` hears about every
    /// network after its passes over every chunk.
    fn train(
        &self,
        group: &mut [Member],
        first: usize,
        callback: &mut impl FnMut(&Progress),
    ) -> Result<()> {
        let cfg = self.cfg;
        for epoch in 1..=cfg.schedule.epochs {
            let quadratic = cfg.schedule.loss.quadratic(epoch);
            for member in group.iter_mut() {
                member.start_epoch(quadratic, cfg)?;
            }
            let (_, loss) = output_and_loss(quadratic);
            let mut done = 0usize;
            while done < cfg.schedule.patterns_per_epoch {
                let n = cfg
                    .schedule
                    .chunk
                    .min(cfg.schedule.patterns_per_epoch - done);
                let Some(lead) = group.first_mut() else {
                    return Ok(());
                };
                let labels = draw_labels(self.groups, self.cumulative, n, &mut lead.rng);
                let x = generate(self.source, &labels, lead.rng.random(), cfg)?;
                let y = one_hot(SPACE_GROUPS, &group_indices(&labels));
                let system_y = if cfg.architecture.system_network {
                    Some(one_hot(CrystalSystem::ALL.len(), &system_indices(&labels)?))
                } else {
                    None
                };
                done += n;
                let end = done == cfg.schedule.patterns_per_epoch;
                for (k, member) in group.iter_mut().enumerate() {
                    let passes = member.passes(n, cfg.schedule.passes, k > 0);
                    member.head.train(x.view(), y.view(), &passes, epoch)?;
                    if let (Some((h, _)), Some(sy)) = (member.system.as_mut(), &system_y) {
                        h.train(x.view(), sy.view(), &passes, epoch)?;
                    }
                    let validation = match (self.validation, end) {
                        (Some((vx, vg, _)), true) => {
                            Some(validate(member.head.network(), vx.view(), vg))
                        }
                        _ => None,
                    };
                    let system_validation = match (self.validation, &member.system, end) {
                        (Some((vx, _, vs)), Some((h, _)), true) => {
                            Some(validate(h.network(), vx.view(), vs))
                        }
                        _ => None,
                    };
                    let train_loss = member.head.sum / done as f64;
                    let system_train_loss =
                        member.system.as_ref().map(|(h, _)| h.sum / done as f64);
                    if end {
                        member.head.end_epoch(done, loss, validation);
                        if let Some((h, _)) = member.system.as_mut() {
                            h.end_epoch(done, loss, system_validation);
                        }
                    }
                    callback(&Progress {
                        member: first + k,
                        members: cfg.architecture.ensemble,
                        epoch,
                        epochs: cfg.schedule.epochs,
                        patterns: done,
                        patterns_per_epoch: cfg.schedule.patterns_per_epoch,
                        train_loss,
                        validation,
                        system_train_loss,
                        system_validation,
                    });
                }
            }
        }
        Ok(())
    }
}

impl ClassifierParams {
    /// Trains the ensemble on patterns streamed from `source`: for every epoch,
    /// [`ScheduleConfig::patterns_per_epoch`](crate::ScheduleConfig::patterns_per_epoch)
    /// fresh patterns of space groups drawn by the
    /// [`Sampling`] policy, generated [`chunk`](crate::ScheduleConfig::chunk) at a time —
    /// for every network of the ensemble, or, with
    /// [`shared_patterns`](crate::ScheduleConfig::shared_patterns), once for all of them,
    /// which then train in lockstep on every chunk.
    /// `rng` seeds everything (initial weights, labels, the source's seeds, validation
    /// patterns): the same seed gives bit-identical classifiers. Each network has its own
    /// stream (seeded by a draw from `rng`) for its initial weights, dropout masks and batch
    /// orders; on its own it also draws its labels and patterns from it, on shared patterns
    /// the first network's stream draws them for all (so the first network is the same bits
    /// with or without shared patterns). With
    /// [`system_network`](crate::ArchitectureConfig::system_network), each network's
    /// crystal-system network trains on the same chunks, in the same order, from its own stream
    /// (the member's jumped ahead), so the space-group networks are the same bits as without it.
    /// `callback` hears about every network after every chunk it trained on (on shared
    /// patterns: each network in turn, after every chunk).
    ///
    /// The classifier refuses by the configuration's
    /// [`calibration`](crate::ClassifierConfig::calibration) as it is: calibrating the
    /// thresholds is a step of its own ([`Classifier::calibrate`], on
    /// [`ClassifierParams::validation_set`] for the thresholds `xrd classify train` sets).
    ///
    /// # Errors
    /// An invalid configuration; a source that offers no space group, bad frequencies, patterns
    /// of the wrong shape or non-finite values; divergence.
    pub fn fit<S, R>(
        &self,
        source: &S,
        rng: &mut R,
        callback: impl FnMut(&Progress),
    ) -> Result<Classifier>
    where
        S: PatternSource + ?Sized,
        R: Rng + ?Sized,
    {
        xrd_io::FitWith::fit_with(self, source, rng, callback)
    }

    /// The validation patterns of a training run on `source`: what [`fit`](Self::fit) reports
    /// the validation loss and accuracy on after every epoch, and what `xrd classify train`
    /// calibrates the refusal thresholds on after training ([`Classifier::calibrate`]).
    /// [`validation_patterns`](crate::ScheduleConfig::validation_patterns) patterns of the
    /// source's space groups in turn, generated from `seed`: in a training run, the first `u64`
    /// that `fit` draws from its generator (`rng.clone().random()` before
    /// `fit(source, &mut rng, …)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] `validation_patterns` for none; an invalid configuration; as
    /// [`fit`](Self::fit) for the source.
    pub fn validation_set<S>(&self, source: &S, seed: u64) -> Result<LabelledPatterns>
    where
        S: PatternSource + ?Sized,
    {
        let cfg = self.config();
        cfg.check()?;
        if cfg.schedule.validation_patterns == 0 {
            return Err(Error::param(
                "validation_patterns",
                "0: no validation patterns",
            ));
        }
        let groups = offered_groups(source)?;
        let (raw, labels) = validation_rows(source, &groups, cfg, seed)?;
        LabelledPatterns::new(source.grid(), &raw, &labels)
    }
}

/// The space groups `source` offers, checked.
fn offered_groups<S: PatternSource + ?Sized>(source: &S) -> Result<Vec<u8>> {
    let groups = source.space_groups();
    if groups.is_empty() {
        return Err(Error::Source("the source offers no space group".into()));
    }
    if let Some(&g) = groups
        .iter()
        .find(|&&g| g == 0 || g as usize > SPACE_GROUPS)
    {
        return Err(Error::SpaceGroup(g));
    }
    Ok(groups)
}

/// The validation patterns (before the input transform) and their labels: `groups` in turn,
/// generated from `seed`.
fn validation_rows<S: PatternSource + ?Sized>(
    source: &S,
    groups: &[u8],
    cfg: &ClassifierConfig,
    seed: u64,
) -> Result<(Array2<f32>, Vec<u8>)> {
    let labels: Vec<u8> = (0..cfg.schedule.validation_patterns)
        .map(|i| groups[i % groups.len()])
        .collect();
    Ok((generate_patterns(source, &labels, seed)?, labels))
}

impl<'a, S, R> xrd_io::FitWith<&'a S, R> for ClassifierParams
where
    S: PatternSource + ?Sized,
    R: Rng + ?Sized,
{
    type Object = Classifier;
    type Progress = Progress;

    /// The one implementation of [`ClassifierParams::fit`], on parameters validated once.
    fn fit_with_checked(
        params: &xrd_io::Checked<Self>,
        source: &'a S,
        rng: &mut R,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Classifier> {
        let params: &Self = params;
        let mut callback = progress;
        let cfg = params.config();
        let grid = source.grid();
        let groups = offered_groups(source)?;
        let cumulative = match cfg.schedule.sampling {
            Sampling::Balanced => None,
            Sampling::BalancedSystems => Some(cumulate(&system_balanced(&groups))),
            Sampling::Source => {
                let f = source.frequencies();
                if f.len() != groups.len() || f.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(Error::Source(
                        "frequencies must be one finite value ≥ 0 per space group".into(),
                    ));
                }
                let c = cumulate(&f);
                if c.last().is_none_or(|&t| t <= 0.0) {
                    return Err(Error::Source("frequencies sum to zero".into()));
                }
                Some(c)
            }
        };

        let validation_seed: u64 = rng.random();
        let member_seeds: Vec<u64> = (0..cfg.architecture.ensemble)
            .map(|_| rng.random())
            .collect();
        let validation_set = if cfg.schedule.validation_patterns > 0 {
            let (raw, labels) = validation_rows(source, &groups, cfg, validation_seed)?;
            let x = crate::input::transform(raw.view(), &grid, &cfg.input);
            Some((x, group_indices(&labels), system_indices(&labels)?))
        } else {
            None
        };

        let builder = |outputs: usize| {
            let mut builder = NetworkParams::<f32>::default().init(cfg.architecture.init);
            for &h in &cfg.architecture.hidden {
                builder = builder.layer(h, Activation::Relu);
                if cfg.architecture.dropout > 0.0 {
                    builder = builder.dropout(cfg.architecture.dropout);
                }
            }
            builder.layer(outputs, Activation::Identity)
        };
        let (sg_builder, system_builder) =
            (builder(SPACE_GROUPS), builder(CrystalSystem::ALL.len()));
        let width = cfg.input.input_width(grid.len());
        let new_member = |seed: u64| {
            Member::new(
                seed,
                width,
                &sg_builder,
                cfg.architecture.system_network.then_some(&system_builder),
            )
        };

        let stream = Stream {
            source,
            cfg,
            groups: &groups,
            cumulative: cumulative.as_deref(),
            validation: validation_set.as_ref(),
        };
        // Unshared, each network is made, trained and finished in turn, so that only one set of
        // Adam moments is alive at a time.
        let finished = if cfg.schedule.shared_patterns {
            let mut members = member_seeds
                .iter()
                .map(|&seed| new_member(seed))
                .collect::<Result<Vec<_>>>()?;
            stream.train(&mut members, 0, &mut callback)?;
            members
                .into_iter()
                .map(Member::finish)
                .collect::<Result<Vec<_>>>()?
        } else {
            member_seeds
                .iter()
                .enumerate()
                .map(|(k, &seed)| {
                    let mut member = new_member(seed)?;
                    stream.train(std::slice::from_mut(&mut member), k, &mut callback)?;
                    member.finish()
                })
                .collect::<Result<Vec<_>>>()?
        };

        let (mut nets, mut histories) = (Vec::new(), Vec::new());
        let (mut systems, mut system_histories) = (Vec::new(), Vec::new());
        for ((net, history), system) in finished {
            nets.push(net);
            histories.push(history);
            if let Some((net, history)) = system {
                systems.push(net);
                system_histories.push(history);
            }
        }
        let mut classifier = Classifier::from_networks(grid, nets, cfg.clone())?;
        if cfg.architecture.system_network {
            classifier = classifier.with_system_networks(systems)?;
        }
        Ok(classifier.with_histories(histories, system_histories))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn balanced_and_weighted_labels() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let groups = [2, 14, 225];
        let l = draw_labels(&groups, None, 3000, &mut rng);
        for g in groups {
            let c = l.iter().filter(|&&v| v == g).count();
            assert!((900..1100).contains(&c), "{g}: {c}");
        }
        let l = draw_labels(&groups, Some(&[0.0, 1.0, 1.0]), 100, &mut rng);
        assert!(l.iter().all(|&g| g == 14));
    }

    #[test]
    fn system_balanced_weights() {
        // Triclinic 1, 2; monoclinic 14; cubic 225: each system a third.
        let w = system_balanced(&[1, 2, 14, 225]);
        assert_eq!(w, [1.0 / 6.0, 1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0]);
        let all: Vec<u8> = xrd_sim::SpaceGroup::NUMBERS.collect();
        let w = system_balanced(&all);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((w[13] - 1.0 / 7.0 / 13.0).abs() < 1e-15); // P2_1/c, one of 13 monoclinic groups
    }

    #[test]
    fn one_hot_rows() {
        let y = one_hot(SPACE_GROUPS, &group_indices(&[1, 230]));
        assert_eq!(y[[0, 0]], 1.0);
        assert_eq!(y[[1, 229]], 1.0);
        assert_eq!(y.sum(), 2.0);
    }
}
