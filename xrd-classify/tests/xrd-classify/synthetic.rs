//! xrd-sim's synthetic crystals as a training source.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_classify::{Classifier, ClassifierParams, PatternSource, Progress, SyntheticPatterns};
use xrd_sim::TrainingPatternParams;

pub(crate) fn tiny() -> SyntheticPatterns {
    SyntheticPatterns::new(TrainingPatternParams::new().grid(10.0, 0.2, 300)).unwrap()
}

/// One small network for [`tiny`]'s 300-point patterns: 150 pooled points + 16 lags.
pub(crate) fn tiny_params() -> ClassifierParams {
    Classifier::params()
        .ensemble(1)
        .pool(2)
        .autocorrelation(16)
        .hidden(&[8])
        .epochs(2)
        .patterns_per_epoch(24)
        .chunk(12)
        .batch_size(8)
        .validation_patterns(7)
}

#[test]
fn classify_synthetic_source_is_reproducible() {
    let s = tiny();
    assert_eq!(s.grid().len(), 300);
    assert_eq!(s.space_groups().len(), 230);
    let groups = [1, 14, 62, 225, 230, 166];
    let a = s.patterns(&groups, 5).unwrap();
    assert_eq!(a.dim(), (6, 300));
    assert_eq!(a, s.patterns(&groups, 5).unwrap());
    assert_ne!(a, s.patterns(&groups, 6).unwrap());
    for row in a.rows() {
        let max = row.iter().copied().fold(0.0f32, f32::max);
        assert!(
            (max - 1.0).abs() < 1e-6,
            "rows are scaled to max 1, got {max}"
        );
    }
    assert!(matches!(
        s.patterns(&[0], 1),
        Err(xrd_classify::Error::SpaceGroup(0))
    ));
}

#[test]
fn classify_trains_on_synthetic_crystals() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let model = tiny_params()
        .fit(&tiny(), &mut rng, |_: &Progress| {})
        .unwrap();
    assert_eq!(model.grid().len(), 300);
    assert_eq!(model.members()[0].inputs(), 150 + 16);
    assert_eq!(model.history()[0].validation_accuracy.len(), 2);
}

#[test]
fn invalid_simulator_parameters_are_the_simulators_error() {
    match SyntheticPatterns::new(TrainingPatternParams::new().window(0.5)) {
        Err(xrd_classify::Error::Sim(xrd_sim::Error::InvalidParameter { name, .. })) => {
            assert_eq!(name, "window")
        }
        other => panic!("expected xrd-sim's InvalidParameter(window), got {other:?}"),
    }
}

#[test]
fn classify_measured_noise_is_optional_seeded_and_checked() {
    let params = TrainingPatternParams::new().grid(10.0, 0.2, 300);
    let quiet = tiny().measured_noise(0.0, 0.0).unwrap();
    assert_eq!(quiet.get_measured_noise(), (0.0, 0.0));
    assert_eq!(
        tiny().get_measured_noise(),
        xrd_classify::DEFAULT_MEASURED_NOISE
    );
    // Off: xrd-sim's patterns as they are.
    let a = quiet.patterns(&[14, 225], 3).unwrap();
    let b = params.pattern_of(225, 3, 1).unwrap().intensities;
    assert_eq!(a.row(1).to_vec(), b);
    // On: other values, still max 1 and ≥ 0, the same for the same seed.
    let loud = tiny().measured_noise(0.05, 0.05).unwrap();
    let c = loud.patterns(&[14, 225], 3).unwrap();
    assert_ne!(c, a);
    assert_eq!(c, loud.patterns(&[14, 225], 3).unwrap());
    for row in c.rows() {
        assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(row.iter().copied().fold(0.0f32, f32::max), 1.0);
    }
    // How much the noise spreads the points between peaks: xrd-sim's own test.
    for (lo, hi) in [
        (-0.1, 0.1),
        (0.0, 0.1),
        (0.2, 0.1),
        (0.1, 1.0),
        (f64::NAN, 0.1),
    ] {
        match tiny().measured_noise(lo, hi) {
            Err(xrd_classify::Error::Sim(xrd_sim::Error::InvalidParameter { name, .. })) => {
                assert_eq!(name, "measured_noise")
            }
            other => panic!("({lo}, {hi}): expected xrd-sim's InvalidParameter, got {other:?}"),
        }
    }
}
