//! Ensembles on one shared pattern stream (`shared_patterns`): off, the classifier trained
//! before the option existed, bit for bit; on, the members train in lockstep on the same chunks.

use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{History, Network};
use xrd_classify::{Classifier, ClassifierConfig, LossSchedule, PatternSource, Progress, evaluate};
use xrd_io::Grid;

use super::classify::{assert_pinned, networks_only, params, source, test_set, weights_checksum};
use super::synthetic::{tiny, tiny_params};
use xrd_testdata::fnv;

/// Checksums of every network's weights (space-group, then crystal-system) and of every
/// training record's losses and validation.
fn checksums(model: &Classifier) -> (u64, u64) {
    let weights = weights_checksum(model.members().iter().chain(model.system_networks()));
    let records = model
        .history()
        .iter()
        .chain(model.system_history())
        .flat_map(|h| {
            h.train
                .iter()
                .chain(&h.validation)
                .chain(&h.validation_accuracy)
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        });
    (weights, fnv(records))
}

/// A tiny ensemble of three with crystal-system networks, each network on patterns of its own
/// (whatever the default), that exercises every draw of the training streams: dropout, two
/// passes per chunk (shuffles), the alternating loss (a new trainer every epoch) and
/// validation.
fn pinned_params() -> xrd_classify::ClassifierParams {
    params()
        .epochs(3)
        .ensemble(3)
        .passes(2)
        .loss(LossSchedule::Alternating)
        .system_network(true)
        .shared_patterns(false)
}

fn fit(p: &xrd_classify::ClassifierParams, seed: u64) -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    p.fit(&source(), &mut rng, |_: &Progress| {}).unwrap()
}

#[test]
fn ensemble_unshared_is_bit_identical_to_the_classifier_before_the_option() {
    // Computed by the code before the option existed (branch `ensemble` at f28f85b).
    assert_pinned(
        checksums(&fit(&pinned_params(), 2027)),
        (13_060_433_277_765_366_943, 1_205_943_971_816_266_028),
        (15_424_259_501_771_416_755, 6_825_252_596_388_425_369),
        checksums(&fit(&pinned_params(), 2027)),
    );
}

/// The networks (space-group, then crystal-system) and the records of a classifier, without
/// its configuration.
fn trained(model: &Classifier) -> (Vec<&Network<f32>>, Vec<&History>) {
    (
        model
            .members()
            .iter()
            .chain(model.system_networks())
            .collect(),
        model
            .history()
            .iter()
            .chain(model.system_history())
            .collect(),
    )
}

#[test]
fn ensemble_of_one_is_the_same_bits_shared_or_not() {
    let p = pinned_params().ensemble(1);
    let run = |p: xrd_classify::ClassifierParams| {
        let mut calls = Vec::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let model = p
            .fit(&source(), &mut rng, |q: &Progress| calls.push(*q))
            .unwrap();
        (model, calls)
    };
    let (off, off_calls) = run(p.clone().shared_patterns(false));
    let (on, on_calls) = run(p.shared_patterns(true));
    assert_eq!(trained(&on), trained(&off));
    assert_eq!(on_calls, off_calls);
    assert!(on.config().schedule.shared_patterns && !off.config().schedule.shared_patterns);
    let mut cfg = on.config().clone();
    cfg.schedule.shared_patterns = false;
    assert_eq!(&cfg, off.config(), "only the flag differs");
}

#[test]
fn ensemble_lockstep_members_learn_differ_and_report_in_turn() {
    let shared = pinned_params().epochs(2).shared_patterns(true);
    let mut calls = Vec::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let model = shared
        .fit(&source(), &mut rng, |q: &Progress| calls.push(*q))
        .unwrap();
    let alone = fit(&pinned_params().epochs(2), 12);
    // The first network trains as it would alone; the others differ from theirs alone and from
    // each other.
    assert_eq!(model.members()[0], alone.members()[0]);
    assert_eq!(model.system_networks()[0], alone.system_networks()[0]);
    assert_eq!(model.history()[0], alone.history()[0]);
    for k in 1..3 {
        assert_ne!(model.members()[k], alone.members()[k]);
        assert_ne!(model.system_networks()[k], alone.system_networks()[k]);
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        assert_ne!(model.members()[a], model.members()[b]);
        assert_ne!(model.system_networks()[a], model.system_networks()[b]);
    }
    // 3 chunks per epoch (100, 100, 56), 2 epochs, each chunk reported by the networks in turn.
    assert_eq!(calls.len(), 2 * 3 * 3);
    for (i, c) in calls.iter().enumerate() {
        assert_eq!((c.member, c.members), (i % 3, 3));
        assert_eq!(c.epoch, 1 + i / 9);
        assert_eq!(c.patterns, [100, 200, 256][i / 3 % 3]);
        let end = c.patterns == 256;
        assert_eq!(c.validation.is_some(), end);
        assert_eq!(c.system_validation.is_some(), end);
        assert!(c.system_train_loss.is_some());
    }
    for h in model.history().iter().chain(model.system_history()) {
        assert_eq!(h.train.len(), 2);
        assert_eq!(h.validation_accuracy.len(), 2);
    }
    assert_eq!(
        calls[17].validation.map(|v| v.1),
        model.history()[2].validation_accuracy.last().copied()
    );
    let (x, truth) = test_set();
    let e = evaluate(&networks_only(&model).predict(&x).unwrap(), &truth).unwrap();
    assert!(e.space_group_top1 > 0.9 && e.crystal_system > 0.9, "{e:?}");
}

#[test]
fn ensemble_lockstep_is_deterministic_whatever_the_threads() {
    // xrd-sim's generator runs in parallel: the same bits on one thread and on two.
    let synthetic = tiny();
    let p = tiny_params()
        .ensemble(2)
        .passes(2)
        .system_network(true)
        .shared_patterns(true);
    let fit_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
            p.fit(&synthetic, &mut rng, |_: &Progress| {}).unwrap()
        })
    };
    let one = fit_on(1);
    assert_eq!(one, fit_on(2));
    assert_eq!(one, fit_on(1));
    assert_ne!(one.members()[0], one.members()[1]);
}

/// A source that counts the patterns asked of it.
struct Counting<S> {
    inner: S,
    patterns: AtomicUsize,
}

impl<S: PatternSource> PatternSource for Counting<S> {
    fn grid(&self) -> Grid {
        self.inner.grid()
    }

    fn space_groups(&self) -> Vec<u8> {
        self.inner.space_groups()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> xrd_classify::Result<Array2<f32>> {
        self.patterns
            .fetch_add(space_groups.len(), Ordering::Relaxed);
        self.inner.patterns(space_groups, seed)
    }
}

#[test]
fn ensemble_of_three_on_shared_patterns_generates_as_much_as_one() {
    let asked = |p: xrd_classify::ClassifierParams| {
        let counting = Counting {
            inner: source(),
            patterns: AtomicUsize::new(0),
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
        p.fit(&counting, &mut rng, |_: &Progress| {}).unwrap();
        counting.patterns.load(Ordering::Relaxed)
    };
    // 2 epochs of 256 patterns per network, and 40 validation patterns once.
    let p = params().epochs(2).system_network(true);
    assert_eq!(asked(p.clone()), 2 * 256 + 40);
    assert_eq!(
        asked(p.clone().ensemble(3).shared_patterns(false)),
        3 * 2 * 256 + 40
    );
    assert_eq!(asked(p.ensemble(3).shared_patterns(true)), 2 * 256 + 40);
}

#[test]
fn ensemble_flag_is_stored_and_older_files_read_as_unshared() {
    let model = fit(&params().epochs(1).ensemble(2).shared_patterns(true), 15);
    let bytes = model.to_safetensors().unwrap();
    let back = Classifier::from_safetensors(&bytes).unwrap();
    assert!(back.config().schedule.shared_patterns);
    assert_eq!(back, model);
    // The same file without the field, as written before the option (blanked in place): its
    // networks were trained on patterns of their own, whatever the default is now.
    let field = br#",\"shared_patterns\":true"#;
    let mut old = bytes.clone();
    let at = old
        .windows(field.len())
        .position(|w| w == field)
        .expect("the flag in the header's config");
    old[at..at + field.len()].fill(b' ');
    let back = Classifier::from_safetensors(&old).unwrap();
    assert!(!back.config().schedule.shared_patterns);
    assert_eq!(trained(&back), trained(&model));
    let cfg: ClassifierConfig = serde_json::from_str("{}").unwrap();
    assert!(!cfg.schedule.shared_patterns);
}
