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
    assert!(matches!(
        Autoencoder::<f32>::from_safetensors(&plain),
        Err(Error::Format { reason, .. }) if reason.contains("`format` is missing")
    ));
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
    assert!(matches!(
        Autoencoder::<f32>::from_safetensors(&other),
        Err(Error::Format { reason, .. }) if reason.contains("not \"xrd-ae\"")
    ));
    let broken = with_metadata(&bytes, |m| {
        m.insert("config".into(), "{not json".into());
    });
    assert!(matches!(
        Autoencoder::<f32>::from_safetensors(&broken),
        Err(Error::Format { reason, .. }) if reason.contains("metadata `config`")
    ));
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
    assert!(matches!(
        Autoencoder::<f32>::from_torch_safetensors(&bytes, 31, other),
        Err(Error::Format { reason, .. }) if reason.contains("has shape")
    ));
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
    #![proptest_config(ProptestConfig::with_cases(256))]

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

/// JSON values a mutation puts in place of a field of the header or of the metadata's JSON:
/// wrong types, zero, negative, huge and past-`u64` numbers, activation names, empty containers.
const EDGE_JSON: [&str; 20] = [
    "null",
    "-1",
    "0",
    "1",
    "3",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "-0.5",
    "0.5",
    "\"x\"",
    "\"\"",
    "[]",
    "{}",
    "true",
    "\"relu\"",
    "\"prelu\"",
    "[1,2,3]",
];

/// Sizes a mutation puts in a shape or an offset: empty, small, one past the model's widths,
/// and past `u32` and `usize` products.
const EDGE_SIZES: [u64; 8] = [0, 1, 2, 3, 9, 33, 1 << 32, u64::MAX];

const DTYPES: [&str; 9] = ["F32", "F64", "I32", "U32", "F16", "BF16", "I64", "U8", "X"];

/// A field of a valid model file changed; indices are taken modulo what the file holds.
#[derive(Debug, Clone)]
enum FileMutation {
    /// A tensor's dtype.
    Dtype {
        tensor: usize,
        dtype: usize,
    },
    /// One entry of a tensor's shape or data offsets (a size), or the whole of either (any
    /// JSON value).
    Header {
        tensor: usize,
        field: usize,
        index: Option<usize>,
        edge: usize,
    },
    /// A tensor's shape changed to another of as many values (transposed, flattened, with a
    /// leading 1, or its first axis halved and the last doubled): the file stays valid
    /// safetensors, so the model's own checks decide.
    Reshape {
        tensor: usize,
        how: usize,
    },
    /// A tensor renamed to another layer's module, or removed.
    Rename {
        tensor: usize,
        to: usize,
    },
    Remove {
        tensor: usize,
    },
    /// A top-level metadata entry (`format`, `format_version`, `kind`) set to an edge value.
    Metadata {
        key: usize,
        edge: usize,
    },
    /// A field of the `config` or `layers` JSON of the metadata, or a layer removed.
    Json {
        layers: bool,
        item: usize,
        field: usize,
        edge: usize,
    },
    /// A weight overwritten with a non-finite or huge value.
    Weight {
        at: usize,
        value: usize,
    },
}

fn file_mutation() -> impl Strategy<Value = FileMutation> {
    let e = 0..EDGE_JSON.len();
    prop_oneof![
        1 => (any::<usize>(), 0..DTYPES.len()).prop_map(|(tensor, dtype)| FileMutation::Dtype { tensor, dtype }),
        1 => (any::<usize>(), 0..2usize, proptest::option::of(0..3usize), e.clone()).prop_map(
            |(tensor, field, index, edge)| FileMutation::Header { tensor, field, index, edge }
        ),
        3 => (any::<usize>(), 0..4usize).prop_map(|(tensor, how)| FileMutation::Reshape { tensor, how }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(tensor, to)| FileMutation::Rename { tensor, to }),
        1 => any::<usize>().prop_map(|tensor| FileMutation::Remove { tensor }),
        1 => (0..3usize, e.clone()).prop_map(|(key, edge)| FileMutation::Metadata { key, edge }),
        1 => (any::<bool>(), any::<usize>(), any::<usize>(), e).prop_map(|(layers, item, field, edge)| {
            FileMutation::Json { layers, item, field, edge }
        }),
        1 => (any::<usize>(), 0..4usize).prop_map(|(at, value)| FileMutation::Weight { at, value }),
    ]
}

/// The header of a safetensors file as JSON, and its data.
fn split_file(bytes: &[u8]) -> (serde_json::Map<String, serde_json::Value>, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    (header, bytes[8 + n..].to_vec())
}

fn join_file(header: &serde_json::Map<String, serde_json::Value>, data: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out.extend(data);
    out
}

fn edge(i: usize) -> serde_json::Value {
    serde_json::from_str(EDGE_JSON[i]).unwrap()
}

/// Applies `mutations` to the header, metadata and data of a model file.
fn mutate_file(bytes: &[u8], mutations: &[FileMutation]) -> Vec<u8> {
    use serde_json::Value;
    let (mut header, mut data) = split_file(bytes);
    for m in mutations {
        let names: Vec<String> = header
            .keys()
            .filter(|k| *k != "__metadata__")
            .cloned()
            .collect();
        let pick = |i: usize| names.get(i % names.len().max(1)).cloned();
        match m.clone() {
            FileMutation::Dtype { tensor, dtype } => {
                if let Some(n) = pick(tensor) {
                    header[&n]["dtype"] = Value::from(DTYPES[dtype]);
                }
            }
            FileMutation::Header {
                tensor,
                field,
                index,
                edge: e,
            } => {
                if let Some(n) = pick(tensor) {
                    let key = ["shape", "data_offsets"][field];
                    match (index, header[&n][key].as_array_mut()) {
                        (Some(i), Some(a)) if !a.is_empty() => {
                            let len = a.len();
                            a[i % len] = Value::from(EDGE_SIZES[e % EDGE_SIZES.len()]);
                        }
                        _ => header[&n][key] = edge(e),
                    }
                }
            }
            FileMutation::Reshape { tensor, how } => {
                // A shape an earlier mutation made other than a list of sizes stays as it is.
                let shape = pick(tensor).and_then(|n| {
                    let sizes = header[&n]["shape"].as_array()?;
                    let sizes: Option<Vec<u64>> = sizes.iter().map(|v| v.as_u64()).collect();
                    Some((n, sizes?))
                });
                if let Some((n, mut shape)) = shape {
                    match how {
                        0 => shape.reverse(),
                        1 => shape = vec![shape.iter().product()],
                        2 => shape.insert(0, 1),
                        _ => {
                            if shape.len() > 1 && shape[0].is_multiple_of(2) {
                                shape[0] /= 2;
                                *shape.last_mut().unwrap() *= 2;
                            }
                        }
                    }
                    header[&n]["shape"] = Value::from(shape);
                }
            }
            FileMutation::Rename { tensor, to } => {
                if let (Some(from), Some(to)) = (pick(tensor), pick(to)) {
                    let v = header.remove(&from).unwrap();
                    header.insert(format!("{to}{}", if from == to { ".x" } else { "" }), v);
                }
            }
            FileMutation::Remove { tensor } => {
                if let Some(n) = pick(tensor) {
                    header.remove(&n);
                }
            }
            FileMutation::Metadata { key, edge: e } => {
                let key = ["format", "format_version", "kind"][key];
                // Metadata values are strings (any other type breaks the header itself).
                let v = match edge(e) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                header["__metadata__"][key] = Value::String(v);
            }
            FileMutation::Json {
                layers,
                item,
                field,
                edge: e,
            } => {
                let key = if layers { "layers" } else { "config" };
                let Some(text) = header["__metadata__"][key].as_str() else {
                    continue;
                };
                let mut json: Value = serde_json::from_str(text).unwrap();
                let target = if let Value::Array(a) = &mut json {
                    if a.is_empty() {
                        continue;
                    }
                    if field % 5 == 4 {
                        let len = a.len();
                        a.remove(item % len);
                        None
                    } else {
                        let len = a.len();
                        Some(&mut a[item % len])
                    }
                } else {
                    Some(&mut json)
                };
                if let Some(Value::Object(o)) = target {
                    let keys: Vec<String> = o.keys().cloned().collect();
                    if !keys.is_empty() {
                        o[&keys[field % keys.len()]] = edge(e);
                    }
                }
                header["__metadata__"][key] = Value::String(json.to_string());
            }
            FileMutation::Weight { at, value } => {
                let v = [f32::NAN, f32::INFINITY, -f32::INFINITY, f32::MAX][value];
                if data.len() >= 4 {
                    let i = (at % (data.len() / 4)) * 4;
                    data[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    join_file(&header, &data)
}

#[test]
fn a_model_file_split_and_joined_again_loads_equal() {
    // The fuzzer below rewrites the header; unmutated, what it writes is the same model.
    let ae = model();
    let bytes = ae.to_safetensors().unwrap();
    let again = mutate_file(&bytes, &[]);
    let back = Autoencoder::<f32>::from_safetensors(&again).unwrap();
    assert_eq!(back.encoder(), ae.encoder());
    assert_eq!(back.decoder(), ae.decoder());
    assert_eq!(back.config(), ae.config());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A valid model file with mutated header fields, metadata or weights reaches the loader's
    /// checks of tensors, layers and configuration: it is refused, or it loads into a model
    /// that encodes and decodes (errors allowed) without panicking.
    #[test]
    fn model_files_with_mutated_fields_are_read_or_refused(
        mutations in proptest::collection::vec(file_mutation(), 1..3),
    ) {
        let bytes = mutate_file(&model().to_safetensors().unwrap(), &mutations);
        if let Ok(ae) = Autoencoder::<f32>::from_safetensors(&bytes) {
            let x = Array2::from_elem((2, ae.inputs()), 0.5f32);
            if let Ok(z) = ae.encode(&x) {
                let _ = ae.decode(&z);
            }
        }
        if let Ok(ae) = Autoencoder::<f64>::from_safetensors(&bytes) {
            let x = Array2::from_elem((2, ae.inputs()), 0.5f64);
            let _ = ae.encode(&x);
        }
        let _ = Network::<f32>::from_safetensors(&bytes);
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
