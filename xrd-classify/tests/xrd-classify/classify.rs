//! Training on a small synthetic source, prediction, ensembles, determinism and files.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::Loss;
use xrd_classify::{
    Classifier, ClassifierParams, CrystalSystem, Error, LabelledPatterns, LossSchedule,
    PatternSource, Progress, Result, evaluate,
};
use xrd_io::{Grid, Pattern, Wavelength};

/// Four space groups, each a peak at its own position (±1 point) with random height noise.
pub(crate) struct Peaks {
    grid: Grid,
}

pub(crate) const GROUPS: [u8; 4] = [2, 14, 62, 225];

fn centre(g: u8) -> f64 {
    match g {
        2 => 8.0,
        14 => 20.0,
        62 => 32.0,
        _ => 44.0,
    }
}

impl PatternSource for Peaks {
    fn grid(&self) -> Grid {
        self.grid
    }

    fn space_groups(&self) -> Vec<u8> {
        GROUPS.to_vec()
    }

    fn patterns(&self, space_groups: &[u8], seed: u64) -> Result<Array2<f32>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n = self.grid.len();
        let mut x = Array2::zeros((space_groups.len(), n));
        for (i, &g) in space_groups.iter().enumerate() {
            let c = centre(g) + rng.random_range(-1.0..1.0);
            let noise: f64 = rng.random_range(0.0..0.2);
            for j in 0..n {
                let v = (-((j as f64 - c) / 2.0).powi(2)).exp() + noise * rng.random::<f64>();
                x[[i, j]] = v as f32;
            }
            let max = x.row(i).iter().copied().fold(0.0f32, f32::max);
            x.row_mut(i).mapv_inplace(|v| v / max);
        }
        Ok(x)
    }
}

pub(crate) fn source() -> Peaks {
    Peaks {
        grid: Grid::new(10.0, 1.0, 56).unwrap(),
    }
}

/// FNV checksum of the weights and biases of `nets`, in order.
pub(crate) fn weights_checksum<'a>(nets: impl Iterator<Item = &'a xrd_ae::Network<f32>>) -> u64 {
    xrd_testdata::fnv(nets.flat_map(|net| {
        net.layers().iter().flat_map(|l| {
            l.weight()
                .iter()
                .chain(l.bias().iter())
                .map(|v| u64::from(v.to_bits()))
                .collect::<Vec<_>>()
        })
    }))
}

/// `file` with the first occurrence of `from` in its (JSON) header rewritten to `to`, of the same
/// length, in place.
pub(crate) fn rewritten(file: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "an in-place rewrite keeps the length");
    let at = file
        .windows(from.len())
        .position(|w| w == from)
        .expect("the text to rewrite in the header");
    let mut out = file.to_vec();
    out[at..at + from.len()].copy_from_slice(to);
    out
}

/// `got` against the value computed by earlier code for this build of xrd-ae's kernels, and
/// against `again`. The AVX2 and AVX-512 kernels run the same IEEE operations per lane, so both
/// give the `simd` bits (checked on an Intel Xeon with AVX-512 on 2026-11-23: all three pins
/// held); the portable build sums in another order and has its own.
pub(crate) fn assert_pinned<T: PartialEq + std::fmt::Debug>(
    got: T,
    simd: T,
    portable: T,
    again: T,
) {
    match xrd_ae::instruction_set() {
        xrd_ae::InstructionSet::Portable => assert_eq!(got, portable),
        _ => assert_eq!(got, simd),
    }
    assert_eq!(got, again);
}

pub(crate) fn params() -> ClassifierParams {
    // The tiny grid as it is: no pooling, no autocorrelation; one network (tests of ensembles
    // say how many).
    ClassifierParams::default()
        .ensemble(1)
        .pool(1)
        .autocorrelation(0)
        .hidden(&[16])
        .epochs(4)
        .patterns_per_epoch(256)
        .chunk(100)
        .batch_size(16)
        .validation_patterns(40)
        .optimizer(xrd_ae::Adam {
            lr: 1e-2,
            ..xrd_ae::Adam::default()
        })
}

/// The toy sources' patterns (a few peaks per label on a coarse grid) are no crystal's: their
/// predictions come from the networks alone, without indexing.
pub(crate) fn networks_only(model: &Classifier) -> Classifier {
    model.clone().with_indexing(None).unwrap()
}

pub(crate) fn test_set() -> (Array2<f32>, Vec<u8>) {
    let labels: Vec<u8> = (0..80).map(|i| GROUPS[i % 4]).collect();
    (source().patterns(&labels, 999).unwrap(), labels)
}

/// `model` calibrated as `xrd classify train` calibrates it: on the validation patterns of its
/// training run with `params` from a generator seeded by `seed`, to answer half of them.
pub(crate) fn calibrated(model: Classifier, params: &ClassifierParams, seed: u64) -> Classifier {
    let validation_seed: u64 = Xoshiro256PlusPlus::seed_from_u64(seed).random();
    let validation = params.validation_set(&source(), validation_seed).unwrap();
    model.calibrate(validation.matrix(), 0.5).unwrap()
}

#[test]
fn classify_learns_the_peaks_and_reports_progress() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut calls = Vec::new();
    let fitted = params()
        .fit(&source(), &mut rng, |p: &Progress| calls.push(*p))
        .unwrap();
    // Training leaves the thresholds as configured; the calibration is a step of its own.
    assert_eq!(
        fitted.config().calibration,
        ClassifierParams::default().config().calibration
    );
    let model = calibrated(fitted, &params(), 1);
    assert_eq!(model.config().calibration.threshold_coverage, Some(0.5));
    assert_eq!(
        model.config().calibration.indexing_calibrated_with,
        Some(xrd_index::IndexingParams::default())
    );
    // 3 chunks per epoch (100, 100, 56), 4 epochs; validation at each epoch's end.
    assert_eq!(calls.len(), 12);
    assert_eq!(calls[2].patterns, 256);
    assert!(calls[2].validation.is_some() && calls[1].validation.is_none());
    let h = &model.history()[0];
    assert_eq!(h.train.len(), 4);
    assert!(h.train[3] < h.train[0]);
    // Two thresholds chosen on the same validation patterns: with indexing (the default) and
    // for the networks alone.
    let t = model.config().calibration.indexing_threshold.unwrap();
    assert_eq!(model.threshold(), t);
    assert_eq!(
        networks_only(&model).threshold(),
        model.config().calibration.threshold
    );
    assert_eq!(model.clone().with_threshold(0.3).unwrap().threshold(), 0.3);
    let (x, truth) = test_set();
    let preds = networks_only(&model).predict(&x).unwrap();
    let e = evaluate(&preds, &truth).unwrap();
    assert!(e.space_group_top1 > 0.9, "{e:?}");
    let probabilities = model.probabilities(&x).unwrap();
    assert_eq!(probabilities.nrows(), preds.len());
    for (p, row) in preds.iter().zip(probabilities.rows()) {
        assert!((row.sum() - 1.0).abs() < 1e-9);
        assert_eq!(p.certainty, row[usize::from(p.space_group) - 1]);
        assert_eq!(p.top.len(), 5);
        assert_eq!(p.certainty, p.top[0].1);
        assert_eq!(
            p.refused,
            p.certainty < model.config().calibration.threshold
        );
    }
    // The threshold was chosen to answer half of the 40 validation patterns; fresh patterns of
    // the same source are answered about as often.
    let t = model.config().calibration.threshold;
    assert!(
        t > 0.0 && t < 1.0 && t != xrd_classify::VECSEI_THRESHOLD,
        "{t}"
    );
    let answered = preds.iter().filter(|p| !p.refused).count() as f64 / preds.len() as f64;
    assert!((0.3..=0.7).contains(&answered), "{answered}");
}

#[test]
fn classify_same_seed_same_bits_and_ensembles_average() {
    let fit = |seed: u64, n: usize| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        params()
            .epochs(2)
            .ensemble(n)
            .fit(&source(), &mut rng, |_: &Progress| {})
            .unwrap()
    };
    let a = fit(5, 2);
    assert_eq!(a, fit(5, 2));
    assert_ne!(a.members()[0], a.members()[1]);
    let (x, _) = test_set();
    let p = a.probabilities(&x).unwrap();
    let single = |k: usize| {
        Classifier::from_networks(a.grid(), vec![a.members()[k].clone()], a.config().clone())
            .unwrap()
            .probabilities(&x)
            .unwrap()
    };
    let mean = (single(0) + single(1)) / 2.0;
    for (u, v) in p.iter().zip(mean.iter()) {
        assert!((u - v).abs() < 1e-12);
    }
}

#[test]
fn classify_alternating_schedule_trains() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let model = params()
        .loss(LossSchedule::Alternating)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap();
    let (ce, mse) = (Loss::CrossEntropy, Loss::Mse);
    assert_eq!(model.history()[0].losses, [ce, mse, ce, mse]);
    let (x, truth) = test_set();
    let e = evaluate(&networks_only(&model).predict(&x).unwrap(), &truth).unwrap();
    assert!(e.space_group_top1 > 0.8, "{e:?}");
    // The stored networks output logits again.
    assert_eq!(
        model.members()[0].layers().last().unwrap().activation(),
        xrd_ae::Activation::Identity
    );
}

#[test]
fn classify_labelled_patterns_as_source() {
    let (x, labels) = test_set();
    let data = LabelledPatterns::new(source().grid(), &x, &labels).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let model = params()
        .sampling(xrd_classify::Sampling::Source)
        .fit(&data, &mut rng, |_: &Progress| {})
        .unwrap();
    let e = evaluate(&networks_only(&model).predict(&x).unwrap(), &labels).unwrap();
    assert!(e.space_group_top1 > 0.9, "{e:?}");
}

#[test]
fn classify_save_load_round_trip() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let model = params()
        .epochs(1)
        .ensemble(3)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    model.save(&path).unwrap();
    let back = Classifier::load(&path).unwrap();
    assert_eq!(back, model);
    let single = Classifier::from_networks(
        model.grid(),
        vec![model.members()[0].clone()],
        model.config().clone(),
    )
    .unwrap();
    let bytes = single.to_safetensors().unwrap();
    assert_eq!(Classifier::from_safetensors(&bytes).unwrap(), single);
    // Corrupt and truncated files are errors, never panics.
    assert!(matches!(
        Classifier::from_safetensors(&bytes[..bytes.len() / 2]),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        Classifier::from_safetensors(b"not a file"),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        Classifier::load(dir.path().join("missing")),
        Err(Error::File { .. })
    ));
}

#[test]
fn classify_measured_pattern_with_warnings() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let model = params()
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap();
    // A Cu pattern with the group-225 peak at 2θ = 54°, measured only from 30° on.
    let x: Vec<f64> = (0..=600).map(|i| 30.0 + 0.05 * f64::from(i)).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|t| 5.0 * (-((t - 54.0) / 2.0).powi(2)).exp())
        .collect();
    let p = Pattern::new(x, y)
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA));
    let pred = networks_only(&model).predict_pattern(&p).unwrap();
    assert_eq!(pred.space_group, 225);
    assert_eq!(pred.crystal_system, CrystalSystem::Cubic);
    assert!(matches!(
        pred.warnings[..],
        [xrd_classify::InputWarning::Padded { .. }]
    ));
    // In a batch: the same answers, warnings included.
    let batch = networks_only(&model)
        .predict_patterns(&[p.clone(), p])
        .unwrap();
    for b in &batch {
        assert_eq!(
            (b.space_group, &b.warnings),
            (pred.space_group, &pred.warnings)
        );
        assert!((b.certainty - pred.certainty).abs() < 1e-6);
    }
}

#[test]
fn classify_refuses_a_pattern_of_noise_only() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let model = networks_only(
        &params()
            .fit(&source(), &mut rng, |_: &Progress| {})
            .unwrap(),
    );
    // Counting noise on a flat background of 100, then the same with a peak of 20 σ.
    let x: Vec<f64> = (0..=1200).map(|i| 30.0 + 0.025 * f64::from(i)).collect();
    let noise: Vec<f64> = x
        .iter()
        .map(|_| 100.0 + 10.0 * (rng.random::<f64>() - 0.5) * 12f64.sqrt())
        .collect();
    let with_peak: Vec<f64> = x
        .iter()
        .zip(&noise)
        .map(|(t, n)| n + 200.0 * (-((t - 45.0) / 0.1).powi(2)).exp())
        .collect();
    let no_peaks = |p: &xrd_classify::Prediction| {
        p.warnings
            .iter()
            .any(|w| matches!(w, xrd_classify::InputWarning::NoPeaks { .. }))
    };
    let pattern = |y: Vec<f64>| {
        Pattern::new(x.clone(), y)
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA))
    };
    let flat = model.predict_pattern(&pattern(noise)).unwrap();
    assert!(flat.refused && no_peaks(&flat), "{flat:?}");
    let peak = model.predict_pattern(&pattern(with_peak)).unwrap();
    assert!(!no_peaks(&peak), "{peak:?}");
    // xylib's Empyrean scan: 196 points of counts 2–22 over 30–41.75°, no peak.
    if let Some(path) = xrd_testdata::shared_data("real/xylib_empyrean.xrdml") {
        let measured = &xrd_io::read(&path).unwrap()[0];
        let pred = model.predict_pattern(measured).unwrap();
        assert!(pred.refused && no_peaks(&pred), "{pred:?}");
    }
}

/// A classifier trained for one epoch on the test source (seed 7).
fn one_epoch_model() -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    params()
        .epochs(1)
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap()
}

#[test]
fn classify_bad_inputs_are_errors() {
    let model = one_epoch_model();
    assert!(matches!(
        model.predict(&Array2::<f32>::zeros((2, 3))),
        Err(Error::ShapeMismatch(_))
    ));
    let mut x = Array2::<f32>::zeros((1, 56));
    x[[0, 3]] = f32::NAN;
    assert!(matches!(model.predict(&x), Err(Error::NonFinite(_))));
    assert!(matches!(
        model.clone().with_threshold(2.0),
        Err(Error::InvalidParameter(p)) if p.name == "threshold"
    ));
    assert!(
        model
            .with_threshold(0.9)
            .unwrap()
            .config()
            .calibration
            .threshold
            == 0.9
    );
}

#[test]
fn classify_checked_params_fit_and_predict_as_the_inherent_paths() {
    use xrd_io::{ParamGuard, Predict};
    assert!(matches!(
        params().epochs(0).into_checked(),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "epochs",
            ..
        }))
    ));
    let p = params().epochs(1);
    let inherent = p
        .fit(
            &source(),
            &mut Xoshiro256PlusPlus::seed_from_u64(9),
            |_: &Progress| {},
        )
        .unwrap();
    let mut chunks = 0;
    let checked = p
        .into_checked()
        .unwrap()
        .fit_with(
            &source(),
            &mut Xoshiro256PlusPlus::seed_from_u64(9),
            |_: &Progress| chunks += 1,
        )
        .unwrap();
    assert_eq!(inherent, checked, "same seed, same bits");
    assert_eq!(chunks, 3, "3 chunks in the one epoch");
    let (x, _) = test_set();
    assert_eq!(
        Predict::predict(&checked, &x).unwrap(),
        inherent.predict(&x).unwrap()
    );
}

/// A refusal threshold calibrated for one indexing is not used by predictions that index with
/// other parameters (or not at all): they fall back to the networks' threshold.
#[test]
fn an_indexing_threshold_holds_only_for_its_indexing() {
    let model = one_epoch_model();
    let mut config = model.config().clone();
    config.calibration = xrd_classify::CalibrationConfig {
        threshold: 0.5,
        indexing_threshold: Some(0.2),
        indexing_calibrated_with: None,
        threshold_coverage: None,
    };
    let m = Classifier::from_networks(model.grid(), model.members().to_vec(), config).unwrap();
    // None: calibrated with the default indexing, which predictions use by default.
    assert_eq!(m.threshold(), 0.2);
    let other = xrd_index::IndexingParams::default().tolerance(0.05);
    assert_eq!(
        m.clone()
            .with_indexing(Some(other.clone()))
            .unwrap()
            .threshold(),
        0.5
    );
    assert_eq!(m.clone().with_indexing(None).unwrap().threshold(), 0.5);
    // Calibrated with the other parameters: used with them, not with the defaults.
    let mut config = m.config().clone();
    config.calibration.indexing_calibrated_with = Some(other.clone());
    let m = Classifier::from_networks(model.grid(), model.members().to_vec(), config).unwrap();
    assert_eq!(m.threshold(), 0.5);
    assert_eq!(m.with_indexing(Some(other)).unwrap().threshold(), 0.2);
}

/// The calibration after training sets the thresholds that training itself set before it was a
/// step of its own: the same validation patterns, the same certainties.
#[test]
fn classify_calibration_reproduces_the_thresholds_of_training() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let fitted = params()
        .fit(&source(), &mut rng, |_: &Progress| {})
        .unwrap();
    let model = calibrated(fitted, &params(), 1);
    let c = &model.config().calibration;
    let bits = (
        c.threshold.to_bits(),
        c.indexing_threshold.map(f64::to_bits),
    );
    // Set by `fit` with seed 1 at 02d4f2f, before the calibration was its own step.
    assert_pinned(
        bits,
        (4_607_063_717_935_469_826, Some(4_607_063_717_935_469_829)),
        (4_607_063_717_940_808_200, Some(4_607_063_717_940_808_208)),
        bits,
    );
}

#[test]
fn classify_calibration_checks_its_inputs() {
    let model = one_epoch_model();
    let (x, _) = test_set();
    for coverage in [0.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            model.clone().calibrate(&x, coverage),
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "threshold_coverage",
                ..
            }))
        ));
    }
    assert!(matches!(
        model.clone().calibrate(&Array2::<f32>::zeros((0, 56)), 0.5),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        model.clone().calibrate(&Array2::<f32>::zeros((2, 3)), 0.5),
        Err(Error::ShapeMismatch(_))
    ));
    let mut nan = x.clone();
    nan[[0, 3]] = f32::NAN;
    assert!(matches!(
        model.clone().calibrate(&nan, 0.5),
        Err(Error::NonFinite(_))
    ));
    assert!(matches!(
        params()
            .validation_patterns(0)
            .threshold(0.4)
            .validation_set(&source(), 1),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "validation_patterns",
            ..
        }))
    ));
    // Without indexing, one threshold: the networks'.
    let plain = networks_only(&model).calibrate(&x, 0.5).unwrap();
    let c = &plain.config().calibration;
    assert_eq!(
        (c.indexing_threshold, c.indexing_calibrated_with.as_ref()),
        (None, None)
    );
    assert_eq!(plain.threshold(), c.threshold);
    // The same patterns with indexing: the networks' threshold is the same.
    let indexed = model.calibrate(&x, 0.5).unwrap();
    assert_eq!(indexed.config().calibration.threshold, c.threshold);
    assert!(indexed.config().calibration.indexing_threshold.is_some());
}
