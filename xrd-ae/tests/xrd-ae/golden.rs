//! xrd-ae against PyTorch: encodings, loss and one Adam step of a small model, from a golden file
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too
//! written by `benches/reference/torch_autoencoder.py --golden` (see that script).

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use safetensors::SafeTensors;
use safetensors::tensor::TensorView;
use xrd_ae::{Adam, Autoencoder, Loss, Network};

/// Relative tolerance against PyTorch in f32.
const REL: f64 = 1e-5;
/// Absolute floor of the comparison, for values that are (nearly) zero.
const ABS: f64 = 1e-7;

const GOLDEN: &[u8] = include_bytes!("../data/torch_golden.safetensors");

fn values(t: &TensorView<'_>) -> Vec<f32> {
    t.data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn matrix(st: &SafeTensors<'_>, name: &str) -> Array2<f32> {
    let t = st.tensor(name).unwrap();
    let shape = t.shape().to_vec();
    Array2::from_shape_vec((shape[0], shape[1]), values(&t)).unwrap()
}

fn close(a: ArrayView1<'_, f32>, b: ArrayView1<'_, f32>) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_relative_eq!(*x, *y, epsilon = ABS as f32, max_relative = REL as f32);
    }
}

/// The initial model: the tensors of the golden file without a `golden.` / `after_adam.` prefix.
fn initial(st: &SafeTensors<'_>) -> Autoencoder<f32> {
    let plain: Vec<(String, TensorView<'_>)> = st
        .tensors()
        .into_iter()
        .filter(|(n, _)| !n.contains('_') && !n.starts_with("golden"))
        .collect();
    let bytes = safetensors::tensor::serialize(plain, &None).unwrap();
    let config = Autoencoder::<f32>::params()
        .hidden(&[8, 4])
        .latent(2)
        .config()
        .clone();
    Autoencoder::from_torch_safetensors(&bytes, 32, config).unwrap()
}

#[test]
fn encodings_and_reconstructions_match_pytorch() {
    let st = SafeTensors::deserialize(GOLDEN).unwrap();
    let ae = initial(&st);
    let x = matrix(&st, "golden.inputs");
    let z = ae.encode(&x).unwrap();
    close(
        z.flatten().view(),
        matrix(&st, "golden.encodings").flatten().view(),
    );
    let r = ae.reconstruct(&x).unwrap();
    close(
        r.flatten().view(),
        matrix(&st, "golden.reconstructions").flatten().view(),
    );
    let loss = values(&st.tensor("golden.loss").unwrap())[0];
    assert_relative_eq!(
        ae.reconstruction_loss(&x).unwrap() as f32,
        loss,
        max_relative = REL as f32
    );
}

#[test]
fn one_adam_step_matches_pytorch() {
    let st = SafeTensors::deserialize(GOLDEN).unwrap();
    let x = matrix(&st, "golden.inputs");
    // One epoch, one batch holding all four inputs, no validation: exactly one Adam step
    // (PyTorch `Adam(lr=1e-3, weight_decay=1e-5)`, MSE) through the training engine.
    let params = Autoencoder::<f32>::params()
        .hidden(&[8, 4])
        .latent(2)
        .epochs(1)
        .batch_size(4)
        .validation_fraction(0.0)
        .optimizer(Adam {
            lr: 1e-3,
            weight_decay: 1e-5,
            ..Adam::default()
        });
    let trained = params
        .fit_from(
            initial(&st),
            &x,
            &mut Xoshiro256PlusPlus::seed_from_u64(0),
            |_| {},
        )
        .unwrap();
    let loss = values(&st.tensor("golden.loss").unwrap())[0];
    assert_relative_eq!(
        trained.history().train[0] as f32,
        loss,
        max_relative = REL as f32
    );
    for (prefix, net) in [
        ("encoder", trained.encoder()),
        ("decoder", trained.decoder()),
    ] {
        for (i, layer) in net.layers().iter().enumerate() {
            let w = matrix(&st, &format!("after_adam.{prefix}.{}.weight", 2 * i));
            close(layer.weight().flatten().view(), w.flatten().view());
            let b = Array1::from(values(
                &st.tensor(&format!("after_adam.{prefix}.{}.bias", 2 * i))
                    .unwrap(),
            ));
            close(layer.bias(), b.view());
        }
    }
    // The same step through the public gradient API plus `Adam::step`.
    let ae = initial(&st);
    let mut layers = ae.encoder().layers().to_vec();
    layers.extend(ae.decoder().layers().iter().cloned());
    let net = Network::new(layers).unwrap();
    let g = net.gradients(&x, &x, Loss::Mse).unwrap();
    let adam = Adam {
        weight_decay: 1e-5,
        ..Adam::default()
    };
    let first = &net.layers()[0];
    let mut w = first.weight().iter().copied().collect::<Vec<f32>>();
    let gw = g.layers[0].weight.iter().copied().collect::<Vec<f32>>();
    let (mut m, mut v) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    adam.step(1, &mut w, &gw, &mut m, &mut v).unwrap();
    close(
        Array1::from(w).view(),
        matrix(&st, "after_adam.encoder.0.weight").flatten().view(),
    );
}
