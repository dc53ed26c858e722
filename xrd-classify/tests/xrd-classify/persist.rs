//! Classifier files never panic the reader, whatever the bytes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use ndarray::Array2;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, NetworkParams};
use xrd_classify::{
    ArchitectureConfig, CalibrationConfig, Classifier, ClassifierConfig, Error, InputConfig,
};
use xrd_io::Grid;

use super::classify::rewritten;

fn small_file() -> Vec<u8> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let net = NetworkParams::<f32>::default()
        .layer(4, Activation::Relu)
        .dropout(0.3)
        .layer(230, Activation::Identity)
        .build(6, &mut rng)
        .unwrap();
    // With crystal-system networks, so that the fuzzing reaches their reader too.
    let system = NetworkParams::<f32>::default()
        .layer(3, Activation::Relu)
        .layer(7, Activation::Identity)
        .build(6, &mut rng)
        .unwrap();
    Classifier::from_networks(
        Grid::new(10.0, 1.0, 6).unwrap(),
        vec![net.clone(), net],
        ClassifierConfig {
            input: InputConfig {
                pool: 1,
                autocorrelation: 0,
                ..InputConfig::default()
            },
            architecture: ArchitectureConfig {
                system_network: true,
                ..ArchitectureConfig::default()
            },
            ..ClassifierConfig::default()
        },
    )
    .unwrap()
    .with_system_networks(vec![system.clone(), system])
    .unwrap()
    .to_safetensors()
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn classify_arbitrary_bytes_are_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let read = Classifier::from_safetensors(&bytes);
        prop_assert!(matches!(read, Err(Error::Format { .. })), "{:?}", read.err());
    }

    #[test]
    fn classify_truncated_or_flipped_files_never_panic(cut in 0usize..4000, at in 0usize..4000, v in any::<u8>()) {
        let file = small_file();
        let cut = cut % file.len();
        let truncated = Classifier::from_safetensors(&file[..cut]);
        prop_assert!(matches!(truncated, Err(Error::Format { .. })), "{:?}", truncated.err());
        let mut flipped = file.clone();
        let at = at % flipped.len();
        flipped[at] = v;
        // A flipped byte may still give a valid file (e.g. inside a weight); it must not panic.
        if let Ok(c) = Classifier::from_safetensors(&flipped) {
            let _ = c.predict(&Array2::<f32>::zeros((1, 6)));
        }
    }
}

#[test]
fn classify_file_with_dropout_reads_back() {
    let file = small_file();
    // The same classifier, the same bytes (the header's keys are sorted).
    assert_eq!(file, small_file());
    let c = Classifier::from_safetensors(&file).unwrap();
    assert_eq!(c.to_safetensors().unwrap(), file);
    assert_eq!(c.members().len(), 2);
    assert_eq!(c.members()[0].layers()[0].dropout(), 0.3);
    assert_eq!(c.system_networks().len(), 2);
    assert_eq!(c.system_networks()[0].outputs(), 7);
}

#[test]
fn classify_files_of_another_version_are_refused_by_name() {
    let file = small_file();
    // The header is JSON: the version field rewritten in place, same length.
    let old = rewritten(
        &file,
        br#""format_version":"4""#,
        br#""format_version":"2""#,
    );
    match Classifier::from_safetensors(&old) {
        Err(Error::Format { reason, .. }) => {
            assert!(reason.contains("format version 2"), "{reason}")
        }
        other => panic!("expected a format error, got {other:?}"),
    }
    assert!(Classifier::from_safetensors(&file).is_ok());
}

/// The configuration as `xrd classify train --patterns 32 --epochs 1 --hidden 8 --ensemble 1
/// --grid 10 0.5 160 --validation 8` stored it before the configuration was split into parts
/// (02d4f2f): flat, one key per value.
const BEFORE_SPLIT: &str = r#"{"pool":0,"intensity":"linear","autocorrelation":512,"peak_threshold":0.05,"hidden":[8],"dropout":0.3,"loss":"cross_entropy","sampling":"source","ensemble":1,"epochs":1,"patterns_per_epoch":32,"chunk":2048,"passes":1,"batch_size":64,"validation_patterns":8,"optimizer":{"lr":0.001,"beta1":0.9,"beta2":0.999,"eps":1e-8,"weight_decay":1e-7,"decay":"l2"},"init":"he","threshold":0.005421604781969685,"indexing_threshold":0.00605674062136936,"indexing_calibrated_with":{"tolerance":0.04,"lines":20,"trial_lines":6,"min_indexed":0.9,"min_merit":20.0,"lines_per_unknown":3.0,"max_edge":25.0,"max_zero_shift":0.1,"relative_height":0.01,"noise_multiple":5.0,"min_separation":0.08,"background_window":2.0,"metrics":["cubic","hexagonal","tetragonal","orthorhombic"]},"threshold_coverage":0.5,"top_k":5,"system_network":false,"shared_patterns":true}"#;

#[test]
fn classify_configuration_written_before_the_split_reads_into_its_parts() {
    let c: ClassifierConfig = serde_json::from_str(BEFORE_SPLIT).unwrap();
    let mut expected = ClassifierConfig::default();
    expected.architecture.hidden = vec![8];
    expected.architecture.ensemble = 1;
    expected.schedule.sampling = xrd_classify::Sampling::Source;
    expected.schedule.epochs = 1;
    expected.schedule.patterns_per_epoch = 32;
    expected.schedule.validation_patterns = 8;
    expected.calibration = CalibrationConfig {
        threshold: 0.005_421_604_781_969_685,
        indexing_threshold: Some(0.006_056_740_621_369_36),
        // Before the trial merit's cut: another indexing than today's default.
        indexing_calibrated_with: Some(xrd_index::IndexingParams::default().min_trial_merit(0.0)),
        threshold_coverage: Some(0.5),
    };
    assert_eq!(c, expected);
    // And is written as it was: the same bytes.
    assert_eq!(serde_json::to_string(&c).unwrap(), BEFORE_SPLIT);
    // Keys missing from older files: defaults, except the options whose absence means the file
    // predates them (a fixed threshold, patterns of each network's own).
    let old: ClassifierConfig = serde_json::from_str("{}").unwrap();
    let mut expected = ClassifierConfig::default();
    expected.calibration.threshold_coverage = None;
    expected.schedule.shared_patterns = false;
    assert_eq!(old, expected);
}

/// The committed model reads and is written back byte for byte.
#[test]
fn classify_shipped_file_reads_and_writes_the_same_bytes() {
    let bytes = std::fs::read(super::shipped::SHIPPED).unwrap();
    let model = Classifier::from_safetensors(&bytes).unwrap();
    assert_eq!(model.config().architecture.ensemble, 4);
    assert!(model.to_safetensors().unwrap() == bytes, "other bytes");
}
