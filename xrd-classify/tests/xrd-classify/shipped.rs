//! The model shipped in the repository is what `classify train` makes with its defaults.

use ndarray::Array2;
use xrd_classify::{Classifier, ClassifierConfig};

pub(crate) const SHIPPED: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/models/classifier.safetensors");

#[test]
fn classify_shipped_model_has_the_default_configuration() {
    let size = std::fs::metadata(SHIPPED).unwrap().len();
    assert!(size <= 16 << 20, "{size} bytes");
    let model = Classifier::load(SHIPPED).unwrap();
    // Trained before `shared_patterns` existed: stored (and read) as off, whatever the default.
    let defaults = ClassifierConfig {
        shared_patterns: false,
        ..ClassifierConfig::default()
    };
    assert_eq!(model.config(), &defaults);
    assert_eq!(model.grid().len(), 8500);
    assert_eq!(model.members().len(), 1);
    assert_eq!(model.history()[0].train.len(), model.config().epochs);
    let x = Array2::from_shape_fn(
        (1, 8500),
        |(_, j)| if j % 700 == 300 { 1.0f32 } else { 0.01 },
    );
    let p = model.predict(&x).unwrap();
    assert_eq!(p[0].top.len(), 5);
    assert!((0.0..=1.0).contains(&p[0].certainty));
}
