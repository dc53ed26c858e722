//! Safetensors persistence: round trips, PyTorch tensor names, and errors for bad files.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use ndarray::Array2;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use safetensors::SafeTensors;
use xrd_ae::{Activation, Autoencoder, Error, Network};

fn model() -> Autoencoder<f32> {
    Autoencoder::params()
        .hidden(&[8, 4])
        .latent(2)
        .build(32, &mut Xoshiro256PlusPlus::seed_from_u64(11))
        .unwrap()
}

fn input() -> Array2<f32> {
    Array2::from_shape_fn((3, 32), |(i, j)| ((i * 7 + j) % 5) as f32 / 5.0)
}

#[test]
fn autoencoder_round_trips_bit_for_bit_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ae.safetensors");
    let ae = model();
    ae.save(&path).unwrap();
    let back = Autoencoder::<f32>::load(&path).unwrap();
    assert_eq!(back.encoder(), ae.encoder());
    assert_eq!(back.decoder(), ae.decoder());
    assert_eq!(back.config(), ae.config());
    assert_eq!(back.encode(&input()).unwrap(), ae.encode(&input()).unwrap());
    // Atomic write: only the target file is left in the folder.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("ae.safetensors")]);
    // Overwriting works too.
    ae.save(&path).unwrap();
    // An f32 file loads as f64.
    let wide = Autoencoder::<f64>::load(&path).unwrap();
    assert_eq!(
        wide.encoder().layers()[0].weight()[(1, 2)],
        f64::from(ae.encoder().layers()[0].weight()[(1, 2)])
    );
}

#[test]
fn tensor_names_are_those_of_a_torch_sequential_state_dict() {
    let bytes = model().to_safetensors().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().cloned().collect();
    names.sort();
    let expected = [
        "decoder.0.bias",
        "decoder.0.weight",
        "decoder.2.bias",
        "decoder.2.weight",
        "decoder.4.bias",
        "decoder.4.weight",
        "encoder.0.bias",
        "encoder.0.weight",
        "encoder.2.bias",
        "encoder.2.weight",
        "encoder.4.bias",
        "encoder.4.weight",
    ];
    assert_eq!(names, expected);
    assert_eq!(st.tensor("encoder.0.weight").unwrap().shape(), &[8, 32]);
    assert_eq!(st.tensor("decoder.4.weight").unwrap().shape(), &[32, 8]);
    // A file without our metadata (as PyTorch's save_file writes) loads given the architecture.
    let tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = st.tensors();
    let plain = safetensors::tensor::serialize(tensors, &None).unwrap();
    assert!(Autoencoder::<f32>::from_safetensors(&plain).is_err());
    let ae =
        Autoencoder::<f32>::from_torch_safetensors(&plain, 32, model().config().clone()).unwrap();
    assert_eq!(ae.encoder(), model().encoder());
}

#[test]
fn network_with_prelu_round_trips() {
    let net: Network<f64> = Network::params()
        .layer(5, Activation::Prelu)
        .layer(3, Activation::Softmax)
        .build(4, &mut Xoshiro256PlusPlus::seed_from_u64(2))
        .unwrap();
    let bytes = net.to_safetensors().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("1.weight").unwrap().shape(), &[1]);
    assert_eq!(st.tensor("2.weight").unwrap().shape(), &[3, 5]);
    assert_eq!(Network::<f64>::from_safetensors(&bytes).unwrap(), net);
    // Kinds are not interchangeable.
    assert!(matches!(
        Autoencoder::<f64>::from_safetensors(&bytes),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        Network::<f32>::from_safetensors(&model().to_safetensors().unwrap()),
        Err(Error::Format { .. })
    ));
}

#[test]
fn truncated_files_are_errors() {
    let bytes = model().to_safetensors().unwrap();
    for cut in [0, 4, 8, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            matches!(
                Autoencoder::<f32>::from_safetensors(&bytes[..cut]),
                Err(Error::Format { .. })
            ),
            "cut {cut}"
        );
    }
}

/// Rewrites the metadata of a file (tensor data kept).
fn with_metadata(
    bytes: &[u8],
    edit: impl FnOnce(&mut std::collections::HashMap<String, String>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let mut m = meta.metadata().clone().unwrap();
    edit(&mut m);
    safetensors::tensor::serialize(st.tensors(), &Some(m)).unwrap()
}

#[test]
fn other_format_versions_and_formats_are_refused() {
    let bytes = model().to_safetensors().unwrap();
    let v2 = with_metadata(&bytes, |m| {
        m.insert("format_version".into(), "2".into());
    });
    let err = Autoencoder::<f32>::from_safetensors(&v2).unwrap_err();
    assert!(err.to_string().contains("version 2"), "{err}");
    let other = with_metadata(&bytes, |m| {
        m.insert("format".into(), "other".into());
    });
    assert!(Autoencoder::<f32>::from_safetensors(&other).is_err());
    let broken = with_metadata(&bytes, |m| {
        m.insert("config".into(), "{not json".into());
    });
    assert!(Autoencoder::<f32>::from_safetensors(&broken).is_err());
}

#[test]
fn mismatched_architectures_are_errors() {
    let bytes = model().to_safetensors().unwrap();
    // The config says latent 3 but the tensors hold latent 2.
    let wrong = with_metadata(&bytes, |m| {
        let c = m["config"].replace("\"latent\":2", "\"latent\":3");
        m.insert("config".into(), c);
    });
    assert!(matches!(
        Autoencoder::<f32>::from_safetensors(&wrong),
        Err(Error::Format { .. })
    ));
    // The layer list claims other widths than the tensors have.
    let wrong = with_metadata(&bytes, |m| {
        let l = m["layers"].replacen("\"outputs\":8", "\"outputs\":9", 1);
        m.insert("layers".into(), l);
    });
    let err = Autoencoder::<f32>::from_safetensors(&wrong).unwrap_err();
    assert!(err.to_string().contains("shape"), "{err}");
    // A PyTorch file for another architecture.
    let other = model().config().clone();
    assert!(Autoencoder::<f32>::from_torch_safetensors(&bytes, 31, other).is_err());
}

#[test]
fn missing_files_are_io_errors() {
    assert!(matches!(
        Autoencoder::<f32>::load("/nonexistent/x.safetensors"),
        Err(Error::File { .. })
    ));
    assert!(matches!(
        model().save("/nonexistent/dir/x.safetensors"),
        Err(Error::File { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Autoencoder::<f32>::from_safetensors(&bytes);
        let _ = Network::<f64>::from_safetensors(&bytes);
    }

    #[test]
    fn corrupted_bytes_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = model().to_safetensors().unwrap();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        let _ = Autoencoder::<f32>::from_safetensors(&bytes);
    }
}

#[test]
fn the_same_contents_give_the_same_bytes() {
    use std::collections::HashMap;
    // Hash maps of the same entries iterate in different orders (each has its own random
    // state), which the `safetensors` crate's header follows; ours is sorted.
    let entries: Vec<(String, String)> = (0..24)
        .map(|i| (format!("key{i}"), format!("{i}")))
        .collect();
    let forward: HashMap<String, String> = entries.iter().cloned().collect();
    let backward: HashMap<String, String> = entries.iter().rev().cloned().collect();
    let data: Vec<u8> = (0..24u8).collect();
    let views = || {
        vec![
            (
                "b".to_string(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 3], &data)
                    .unwrap(),
            ),
            (
                "a".to_string(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::U8, vec![24], &data)
                    .unwrap(),
            ),
        ]
    };
    let one = xrd_ae::safetensors_bytes(views(), forward.clone()).unwrap();
    let two = xrd_ae::safetensors_bytes(views(), backward).unwrap();
    assert_eq!(one, two);
    assert_eq!(one.len() % 8, 0);
    // What readers see is what the crate itself writes.
    let plain = safetensors::tensor::serialize(views(), &Some(forward)).unwrap();
    let (ours, theirs) = (
        SafeTensors::deserialize(&one).unwrap(),
        SafeTensors::deserialize(&plain).unwrap(),
    );
    assert_eq!(
        SafeTensors::read_metadata(&one).unwrap().1.metadata(),
        SafeTensors::read_metadata(&plain).unwrap().1.metadata()
    );
    for name in ["a", "b"] {
        let (x, y) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!(
            (x.dtype(), x.shape(), x.data()),
            (y.dtype(), y.shape(), y.data())
        );
    }
    // And a network written twice is the same file.
    let net = model();
    assert_eq!(net.to_safetensors().unwrap(), net.to_safetensors().unwrap());
}
