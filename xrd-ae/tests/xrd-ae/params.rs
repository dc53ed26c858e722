//! `check()` rejects every invalid hyper-parameter (one test per invalid value).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use xrd_ae::{
    Activation, Adam, Autoencoder, AutoencoderParams, EarlyStopping, Error, Network, NetworkParams,
    TrainConfig,
};

fn ae() -> AutoencoderParams<f32> {
    Autoencoder::<f32>::params()
}

fn rejects(p: &AutoencoderParams<f32>, field: &str) {
    match p.check() {
        Err(Error::InvalidParameter(xrd_core::InvalidParameter { name, .. })) => {
            assert!(name.contains(field), "{name} vs {field}")
        }
        other => panic!("expected an invalid `{field}`, got {other:?}"),
    }
}

fn adam(f: impl FnOnce(&mut Adam)) -> AutoencoderParams<f32> {
    let mut a = Adam::default();
    f(&mut a);
    ae().optimizer(a)
}

#[test]
fn defaults_are_valid_and_the_papers() {
    ae().check().unwrap();
    let c = ae().config().clone();
    assert_eq!(c.hidden, vec![128, 64, 12]);
    assert_eq!(c.latent, 2);
    assert_eq!(c.train.batch_size, 10);
    assert_eq!(c.train.epochs, 1000);
    assert_eq!(c.train.validation_rows(150), 15);
    assert_eq!(c.hidden_activation, Activation::Relu);
    assert_eq!(c.latent_activation, Activation::Tanh);
    assert_eq!(c.output_activation, Activation::Identity);
    TrainConfig::default().check().unwrap();
}

#[test]
fn zero_width_hidden_layer() {
    rejects(&ae().hidden(&[128, 0, 12]), "hidden");
}

#[test]
fn zero_latent() {
    rejects(&ae().latent(0), "latent");
}

#[test]
fn zero_batch_size() {
    rejects(&ae().batch_size(0), "batch_size");
}

#[test]
fn zero_epochs() {
    rejects(&ae().epochs(0), "epochs");
}

#[test]
fn validation_fraction_one() {
    rejects(&ae().validation_fraction(1.0), "validation_fraction");
}

#[test]
fn negative_validation_fraction() {
    rejects(&ae().validation_fraction(-0.1), "validation_fraction");
}

#[test]
fn nan_validation_fraction() {
    rejects(&ae().validation_fraction(f64::NAN), "validation_fraction");
}

#[test]
fn zero_patience() {
    rejects(
        &ae().early_stopping(EarlyStopping {
            patience: 0,
            min_delta: 0.0,
        }),
        "patience",
    );
}

#[test]
fn negative_min_delta() {
    rejects(
        &ae().early_stopping(EarlyStopping {
            patience: 3,
            min_delta: -1.0,
        }),
        "min_delta",
    );
}

#[test]
fn zero_learning_rate() {
    rejects(&adam(|a| a.lr = 0.0), "lr");
}

#[test]
fn infinite_learning_rate() {
    rejects(&adam(|a| a.lr = f64::INFINITY), "lr");
}

#[test]
fn beta1_of_one() {
    rejects(&adam(|a| a.beta1 = 1.0), "beta1");
}

#[test]
fn negative_beta1() {
    rejects(&adam(|a| a.beta1 = -0.1), "beta1");
}

#[test]
fn beta2_of_one() {
    rejects(&adam(|a| a.beta2 = 1.0), "beta2");
}

#[test]
fn zero_eps() {
    rejects(&adam(|a| a.eps = 0.0), "eps");
}

#[test]
fn negative_weight_decay() {
    rejects(&adam(|a| a.weight_decay = -1e-5), "weight_decay");
}

#[test]
fn nan_weight_decay() {
    rejects(&adam(|a| a.weight_decay = f64::NAN), "weight_decay");
}

#[test]
fn network_without_layers() {
    assert!(matches!(
        Network::<f64>::params().check(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "layers",
            ..
        }))
    ));
}

#[test]
fn network_layer_of_zero_units() {
    let p: NetworkParams<f64> = Network::params()
        .layer(4, Activation::Relu)
        .layer(0, Activation::Identity);
    assert!(matches!(
        p.check(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "layers",
            ..
        }))
    ));
}

#[test]
fn network_bad_training_config() {
    let p: NetworkParams<f64> = Network::params().layer(4, Activation::Relu).epochs(0);
    assert!(matches!(
        p.check(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "epochs",
            ..
        }))
    ));
}

#[test]
fn configs_round_trip_through_json() {
    let c = ae()
        .latent(3)
        .early_stopping(EarlyStopping {
            patience: 5,
            min_delta: 1e-4,
        })
        .config()
        .clone();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(
        serde_json::from_str::<xrd_ae::AutoencoderConfig>(&json).unwrap(),
        c
    );
}

fn rejects_dropout(rate: f64) {
    let p: NetworkParams<f64> = Network::params().layer(4, Activation::Relu).dropout(rate);
    assert!(
        matches!(
            p.check(),
            Err(Error::InvalidParameter(xrd_core::InvalidParameter {
                name: "dropout",
                ..
            }))
        ),
        "{rate}"
    );
}

#[test]
fn network_negative_dropout() {
    rejects_dropout(-0.1);
}

#[test]
fn network_dropout_of_one() {
    rejects_dropout(1.0);
}

#[test]
fn network_nan_dropout() {
    rejects_dropout(f64::NAN);
}

#[test]
fn network_dropout_before_any_layer() {
    let p: NetworkParams<f64> = Network::params().dropout(0.2).layer(4, Activation::Relu);
    assert!(matches!(
        p.check(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "dropout",
            ..
        }))
    ));
}

#[test]
fn network_config_with_dropout_round_trips_through_json() {
    let p: NetworkParams<f64> = Network::params()
        .layer(4, Activation::Relu)
        .dropout(0.3)
        .layer(2, Activation::Identity);
    p.check().unwrap();
    let json = serde_json::to_string(p.config()).unwrap();
    let back: xrd_ae::NetworkConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, p.config());
    assert_eq!(back.layers[0].dropout, 0.3);
    // Configurations written before dropout existed still read (no dropout).
    let old: xrd_ae::LayerSpec =
        serde_json::from_str(r#"{"units":3,"activation":"relu"}"#).unwrap();
    assert_eq!(old.dropout, 0.0);
}

#[test]
fn checked_params_train_the_same_bits_and_report_every_epoch() {
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use xrd_core::ParamGuard;

    assert!(matches!(
        ae().epochs(0).into_checked(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "epochs",
            ..
        }))
    ));
    let x =
        ndarray::Array2::from_shape_fn((12, 8), |(i, j)| ((i * 8 + j) as f32 * 0.37).sin().abs());
    let p = ae().hidden(&[6]).epochs(3).batch_size(4);
    let inherent = p
        .fit(&x, &mut Xoshiro256PlusPlus::seed_from_u64(7), |_| {})
        .unwrap();
    let mut epochs = 0;
    let checked = p
        .into_checked()
        .unwrap()
        .fit_with(&x, &mut Xoshiro256PlusPlus::seed_from_u64(7), |_| {
            epochs += 1
        })
        .unwrap();
    assert_eq!(inherent, checked, "same seed, same bits");
    assert_eq!(epochs, 3);
}

#[test]
fn checked_network_params_train_the_same_bits() {
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use xrd_core::{ParamGuard, Predict};

    assert!(matches!(
        Network::<f64>::params().into_checked(),
        Err(Error::InvalidParameter(xrd_core::InvalidParameter {
            name: "layers",
            ..
        }))
    ));
    let x = ndarray::Array2::from_shape_fn((10, 3), |(i, j)| (i + 2 * j) as f64 / 10.0);
    let y = x.map(|v| 2.0 * v - 1.0);
    let p = Network::<f64>::params()
        .layer(4, Activation::Tanh)
        .layer(3, Activation::Identity)
        .epochs(3)
        .batch_size(5);
    let inherent = p
        .fit(&x, &y, &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {})
        .unwrap();
    let checked = p
        .into_checked()
        .unwrap()
        .fit_with((&x, &y), &mut Xoshiro256PlusPlus::seed_from_u64(1), |_| {})
        .unwrap();
    assert_eq!(inherent, checked, "same seed, same bits");
    assert_eq!(
        Predict::predict(&checked, &x).unwrap(),
        inherent.predict(&x).unwrap()
    );
}

#[test]
fn network_config_rejects_each_invalid_value() {
    use xrd_ae::{LayerSpec, NetworkConfig};
    let layer = |units, dropout| LayerSpec {
        units,
        activation: Activation::Relu,
        dropout,
    };
    let ok = NetworkConfig {
        layers: vec![layer(4, 0.0)],
        ..NetworkConfig::default()
    };
    ok.check().unwrap();
    let mut no_epochs = ok.clone();
    no_epochs.train.epochs = 0;
    for (bad, name) in [
        (NetworkConfig::default(), "layers"),
        (
            NetworkConfig {
                layers: vec![layer(4, 0.0), layer(0, 0.0)],
                ..ok.clone()
            },
            "layers",
        ),
        (
            NetworkConfig {
                layers: vec![layer(4, 1.0)],
                ..ok.clone()
            },
            "dropout",
        ),
        (no_epochs, "epochs"),
    ] {
        match bad.check() {
            Err(Error::InvalidParameter(xrd_core::InvalidParameter { name: got, .. })) => {
                assert_eq!(got, name)
            }
            other => panic!("{bad:?}: expected InvalidParameter({name}), got {other:?}"),
        }
    }
}
