//! The crystal-system network beside the space-group network: off by default, and when off the
//! classifier is the one trained before the option existed, bit for bit.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_classify::{
    Classifier, CrystalSystem, Error, LossSchedule, Progress, evaluate, system_probabilities,
};

use super::classify::{
    assert_pinned, networks_only, params, rewritten, source, test_set, weights_checksum,
};
use xrd_testdata::fnv;

/// Checksums of the space-group networks' weights and of the probabilities on the test set.
fn checksums(model: &Classifier) -> (u64, u64) {
    let weights = weights_checksum(model.members().iter());
    let (x, _) = test_set();
    let p = model.probabilities(&x).unwrap();
    (weights, fnv(p.iter().map(|v| v.to_bits())))
}

/// A tiny ensemble that exercises every draw of the training stream: two members (each on
/// patterns of its own, as before the option), dropout, two passes per chunk (shuffles), the
/// alternating loss (a new trainer every epoch) and validation.
fn pinned_fit() -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    params()
        .epochs(3)
        .ensemble(2)
        .shared_patterns(false)
        .passes(2)
        .loss(LossSchedule::Alternating)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap()
}

#[test]
fn sysnet_off_is_bit_identical_to_the_classifier_before_the_option() {
    // Computed by the code before the system network existed (branch `sysnet` at da70fb6).
    assert_pinned(
        checksums(&pinned_fit()),
        (12_968_238_377_370_762_642, 5_321_742_516_708_810_968),
        (4_575_282_812_105_983_012, 9_729_570_739_608_621_284),
        checksums(&pinned_fit()),
    );
}

/// A tiny classifier with crystal-system networks.
fn fit_with_systems(seed: u64, ensemble: usize) -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    params()
        .epochs(2)
        .ensemble(ensemble)
        .system_network(true)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap()
}

#[test]
fn sysnet_on_leaves_the_space_group_networks_as_they_are() {
    let fit = |on: bool| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        params()
            .epochs(2)
            .ensemble(2)
            .passes(2)
            .system_network(on)
            .fit(&source(), &mut rng, |_: &Progress| {})
            .unwrap()
    };
    let (off, on) = (fit(false), fit(true));
    assert!(off.system_networks().is_empty() && off.system_history().is_empty());
    assert_eq!(on.members(), off.members());
    assert_eq!(on.history(), off.history());
    assert_eq!(on.system_networks().len(), 2);
    assert_ne!(on.system_networks()[0], on.system_networks()[1]);
    for net in on.system_networks() {
        assert_eq!(net.outputs(), 7);
        assert_eq!(net.inputs(), on.members()[0].inputs());
        assert_eq!(
            net.layers()[0].dropout(),
            on.members()[0].layers()[0].dropout()
        );
    }
    assert_eq!(on, fit(true), "same seed, same bits");
}

#[test]
fn sysnet_learns_the_systems_and_reports_progress() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut calls = Vec::new();
    let model = params()
        .system_network(true)
        .fit(&source(), &mut rng, |p: &Progress| calls.push(*p))
        .unwrap();
    assert!(calls.iter().all(|p| p.system_train_loss.is_some()));
    assert!(calls[2].system_validation.is_some() && calls[1].system_validation.is_none());
    let h = &model.system_history()[0];
    assert_eq!(h.train.len(), 4);
    assert!(h.train[3] < h.train[0], "{h:?}");
    assert_eq!(h.validation_accuracy.len(), 4);
    let (x, truth) = test_set();
    let e = evaluate(&networks_only(&model).predict(&x).unwrap(), &truth).unwrap();
    assert!(e.crystal_system > 0.9 && e.space_group_top1 > 0.9, "{e:?}");
}

#[test]
fn sysnet_space_groups_are_rescaled_to_the_system_probabilities() {
    let model = fit_with_systems(3, 2);
    let (x, _) = test_set();
    let p = model.probabilities(&x).unwrap();
    let q = model.crystal_system_probabilities(&x).unwrap();
    // q is the mean of the members' system softmax.
    let single = |k: usize| {
        Classifier::from_networks(
            model.grid(),
            vec![model.members()[k].clone()],
            model.config().clone(),
        )
        .unwrap()
        .with_system_networks(vec![model.system_networks()[k].clone()])
        .unwrap()
        .crystal_system_probabilities(&x)
        .unwrap()
    };
    let mean = (single(0) + single(1)) / 2.0;
    for (u, v) in q.iter().zip(mean.iter()) {
        assert!((u - v).abs() < 1e-12);
    }
    // Without the system networks, the space-group probabilities summed per system.
    let plain = Classifier::from_networks(
        model.grid(),
        model.members().to_vec(),
        model.config().clone(),
    )
    .unwrap();
    let p0 = plain.probabilities(&x).unwrap();
    let q0 = plain.crystal_system_probabilities(&x).unwrap();
    for i in 0..x.nrows() {
        assert_eq!(q0.row(i).to_vec(), system_probabilities(p0.row(i)));
    }
    let preds = networks_only(&model).predict(&x).unwrap();
    for i in 0..x.nrows() {
        let sums = system_probabilities(p.row(i));
        for s in 0..7 {
            assert!((sums[s] - q[[i, s]]).abs() < 1e-6, "row {i} system {s}");
        }
        assert!((p.row(i).sum() - 1.0).abs() < 1e-9);
        // Within a system, the space-group network's ratios are kept.
        let ratio = p[[i, 224]] / p[[i, 220]];
        assert!((ratio / (p0[[i, 224]] / p0[[i, 220]]) - 1.0).abs() < 1e-9);
        // Everything downstream follows p' and q.
        let pred = &preds[i];
        let best = (0..230)
            .max_by(|&a, &b| p[[i, a]].total_cmp(&p[[i, b]]))
            .unwrap();
        assert_eq!(pred.certainty, p[[i, best]]);
        assert_eq!(pred.top[0], (pred.space_group, pred.certainty));
        for w in pred.top.windows(2) {
            assert!(w[0].1 >= w[1].1);
            assert_eq!(w[1].1, p[[i, w[1].0 as usize - 1]]);
        }
        assert_eq!(
            pred.refused,
            pred.certainty < model.config().calibration.threshold
        );
        let sys = (0..7)
            .max_by(|&a, &b| q[[i, a]].total_cmp(&q[[i, b]]))
            .unwrap();
        assert_eq!(pred.crystal_system, CrystalSystem::ALL[sys]);
        assert_eq!(pred.system_certainty, q[[i, sys]]);
    }
}

#[test]
fn sysnet_files_round_trip_and_version_3_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (x, _) = test_set();
    for ensemble in [1, 2] {
        let model = fit_with_systems(4, ensemble);
        let path = dir.path().join(format!("c{ensemble}.safetensors"));
        model.save(&path).unwrap();
        let back = Classifier::load(&path).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.predict(&x).unwrap(), model.predict(&x).unwrap());
        let names: Vec<String> =
            safetensors::SafeTensors::deserialize(&std::fs::read(&path).unwrap())
                .unwrap()
                .names()
                .into_iter()
                .cloned()
                .collect();
        let first = if ensemble == 1 {
            "system.0.weight"
        } else {
            "system.1.0.weight"
        };
        assert!(names.iter().any(|n| n == first), "{names:?}");
    }
    // A version-3 file (no system networks; the header rewritten in place) loads.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let plain = params()
        .epochs(1)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap();
    let v3 = as_version_3(plain.to_safetensors().unwrap());
    assert_eq!(Classifier::from_safetensors(&v3).unwrap(), plain);
    // A version-3 header over crystal-system tensors is inconsistent.
    let v3 = as_version_3(fit_with_systems(4, 1).to_safetensors().unwrap());
    assert!(matches!(
        Classifier::from_safetensors(&v3),
        Err(Error::Format { .. })
    ));
}

/// The file with its header's version rewritten to 3 (same length).
fn as_version_3(file: Vec<u8>) -> Vec<u8> {
    rewritten(
        &file,
        br#""format_version":"4""#,
        br#""format_version":"3""#,
    )
}

#[test]
fn sysnet_networks_of_other_shapes_are_refused() {
    let model = fit_with_systems(6, 2);
    let systems = model.system_networks().to_vec();
    let plain = |m: &Classifier| {
        Classifier::from_networks(m.grid(), m.members().to_vec(), m.config().clone()).unwrap()
    };
    assert!(matches!(
        plain(&model).with_system_networks(systems[..1].to_vec()),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        plain(&model).with_system_networks(model.members().to_vec()),
        Err(Error::ShapeMismatch(_))
    ));
    assert_eq!(
        plain(&model)
            .with_system_networks(systems)
            .unwrap()
            .predict(&test_set().0)
            .unwrap(),
        model.predict(&test_set().0).unwrap()
    );
}

#[test]
fn sysnet_the_configuration_follows_the_networks_and_files_that_disagree_are_refused() {
    let model = fit_with_systems(6, 2);
    let plain = Classifier::from_networks(
        model.grid(),
        model.members().to_vec(),
        model.config().clone(),
    )
    .unwrap();
    assert!(
        !plain.config().architecture.system_network,
        "no system networks attached yet"
    );
    let with = plain
        .clone()
        .with_system_networks(model.system_networks().to_vec())
        .unwrap();
    assert!(with.config().architecture.system_network);
    // A file whose configuration claims crystal-system networks it does not carry.
    let file = plain.to_safetensors().unwrap();
    let claims = rewritten(
        &file,
        br#"\"system_network\":false"#,
        br#"\"system_network\":true "#,
    );
    assert!(Classifier::from_safetensors(&file).is_ok());
    assert!(matches!(
        Classifier::from_safetensors(&claims),
        Err(Error::Format { .. })
    ));
}
