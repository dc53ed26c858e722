//! Classifier files never panic the reader, whatever the bytes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use ndarray::Array2;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, NetworkParams};
use xrd_classify::{Classifier, ClassifierConfig, Error};
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
            pool: 1,
            autocorrelation: 0,
            system_network: true,
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
        prop_assert!(Classifier::from_safetensors(&bytes).is_err());
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
