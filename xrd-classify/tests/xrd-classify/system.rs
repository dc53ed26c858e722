//! The crystal-system network beside the space-group network: off by default, and when off the
//! classifier is the one trained before the option existed, bit for bit.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_classify::{Classifier, LossSchedule, Progress};

use super::classify::{params, source, test_set};

/// FNV-1a over 64-bit words.
fn fnv(words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Checksums of the space-group networks' weights and of the probabilities on the test set.
fn checksums(model: &Classifier) -> (u64, u64) {
    let weights = model.members().iter().flat_map(|net| {
        net.layers().iter().flat_map(|l| {
            l.weight()
                .iter()
                .chain(l.bias().iter())
                .map(|v| u64::from(v.to_bits()))
                .collect::<Vec<_>>()
        })
    });
    let (x, _) = test_set();
    let p = model.probabilities(&x).unwrap();
    (fnv(weights), fnv(p.iter().map(|v| v.to_bits())))
}

/// A tiny ensemble that exercises every draw of the training stream: two members, dropout,
/// two passes per chunk (shuffles), the alternating loss (a new trainer every epoch) and
/// validation.
fn pinned_fit() -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    params()
        .epochs(3)
        .ensemble(2)
        .passes(2)
        .loss(LossSchedule::Alternating)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap()
}

#[test]
fn sysnet_off_is_bit_identical_to_the_classifier_before_the_option() {
    let model = pinned_fit();
    // Computed by the code before the system network existed (branch `sysnet` at da70fb6), for
    // each build of xrd-ae's kernels (their bits differ between instruction sets; AVX-512 was
    // not at hand, so it checks only the determinism below).
    let expected = match xrd_ae::instruction_set() {
        xrd_ae::InstructionSet::Avx2 => {
            Some((12_968_238_377_370_762_642, 5_321_742_516_708_810_968))
        }
        xrd_ae::InstructionSet::Portable => {
            Some((4_575_282_812_105_983_012, 9_729_570_739_608_621_284))
        }
        _ => None,
    };
    let got = checksums(&model);
    if let Some(expected) = expected {
        assert_eq!(got, expected);
    }
    assert_eq!(got, checksums(&pinned_fit()));
}

#[test]
fn sysnet_shipped_model_predicts_as_before_the_option() {
    let model = Classifier::load(super::shipped::SHIPPED).unwrap();
    let x = ndarray::Array2::from_shape_fn((3, 8500), |(i, j)| {
        if j % (500 + 100 * i) == 300 {
            1.0f32
        } else {
            0.01
        }
    });
    let p = model.probabilities(&x).unwrap();
    let preds = model.predict(&x).unwrap();
    let words = p
        .iter()
        .map(|v| v.to_bits())
        .chain(preds.iter().flat_map(|q| {
            [
                u64::from(q.space_group),
                q.crystal_system.index() as u64,
                q.certainty.to_bits(),
                q.system_certainty.to_bits(),
            ]
        }));
    let got = fnv(words);
    // As `sysnet_off_is_bit_identical_to_the_classifier_before_the_option`.
    let expected = match xrd_ae::instruction_set() {
        xrd_ae::InstructionSet::Avx2 | xrd_ae::InstructionSet::Portable => {
            Some(18_359_533_911_076_136_501)
        }
        _ => None,
    };
    if let Some(expected) = expected {
        assert_eq!(got, expected);
    }
}
