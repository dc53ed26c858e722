//! Safetensors files with the tensor names of a PyTorch `nn.Sequential` `state_dict`.
//!
//! Each layer of a chain is an `nn.Linear` module followed by its activation module
//! (`nn.Identity()` included) and, if it has dropout, an `nn.Dropout` module, numbered in order as
//! in an `nn.Sequential`; without dropout layer `i` is module `2i`. Its tensors are
//! `{prefix}{k}.weight` (`outputs × inputs`), `{prefix}{k}.bias` and, for PReLU,
//! `{prefix}{k+1}.weight` (shape `[1]`), `k` its linear module's index. An [`Autoencoder`]
//! uses the prefixes `encoder.` and `decoder.` (a module with two `nn.Sequential` attributes, as
//! built by `benches/reference/torch_autoencoder.py`); a plain [`Network`] has no prefix.
//!
//! The metadata holds `format = "xrd-ae"`, `format_version`, `kind` (`autoencoder` / `network`),
//! `layers` (JSON list of `{inputs, outputs, activation}`) and, for an autoencoder, `config`
//! (the [`AutoencoderConfig`] as JSON).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ndarray::{Array1, Array2};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::{Activation, Autoencoder, AutoencoderConfig, Dense, Error, Network, Result};

/// Version of the metadata layout written by this crate; files of another version are refused.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT: &str = "xrd-ae";
const MEMORY: &str = "<memory>";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct LayerMeta {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    /// Dropout rate after the activation; written only when non-zero (files without it: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    dropout: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The `nn.Sequential` index of each layer's `nn.Linear` module: linear, activation and, with
/// dropout, an `nn.Dropout` module per layer.
fn linear_modules(dropouts: impl Iterator<Item = f64>) -> Vec<usize> {
    let mut next = 0;
    dropouts
        .map(|p| {
            let k = next;
            next += 2 + usize::from(p > 0.0);
            k
        })
        .collect()
}

fn format_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Little-endian bytes of values in the file's dtype (that of `F`).
fn to_bytes<F: Float>(values: impl Iterator<Item = F>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        if F::NAME == "f32" {
            out.extend_from_slice(&(v.as_f64() as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&v.as_f64().to_le_bytes());
        }
    }
    out
}

fn dtype_of<F: Float>() -> Dtype {
    if F::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// The tensors of a chain of layers under `prefix`.
fn chain_tensors<F: Float>(
    prefix: &str,
    layers: &[Dense<F>],
) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let mut out = Vec::new();
    let modules = linear_modules(layers.iter().map(|l| l.dropout));
    for (l, k) in layers.iter().zip(modules) {
        out.push((
            format!("{prefix}{k}.weight"),
            vec![l.outputs(), l.inputs()],
            to_bytes(l.weight.iter().copied()),
        ));
        out.push((
            format!("{prefix}{k}.bias"),
            vec![l.outputs()],
            to_bytes(l.bias.iter().copied()),
        ));
        if l.activation == Activation::Prelu {
            out.push((
                format!("{prefix}{}.weight", k + 1),
                vec![1],
                to_bytes(std::iter::once(l.slope)),
            ));
        }
    }
    out
}

fn layer_meta<F: Float>(layers: &[Dense<F>]) -> Vec<LayerMeta> {
    layers
        .iter()
        .map(|l| LayerMeta {
            inputs: l.inputs(),
            outputs: l.outputs(),
            activation: l.activation,
            dropout: l.dropout,
        })
        .collect()
}

fn serialize<F: Float>(
    tensors: Vec<(String, Vec<usize>, Vec<u8>)>,
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let mut views = Vec::with_capacity(tensors.len());
    for (name, shape, bytes) in &tensors {
        let view = TensorView::new(dtype_of::<F>(), shape.clone(), bytes)
            .map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?;
        views.push((name.clone(), view));
    }
    safetensors_bytes(views, metadata)
}

/// The safetensors bytes of `tensors` with `metadata`, the same bytes for the same contents.
///
/// The `safetensors` crate writes its header from hash maps, whose iteration order changes from
/// one process to the next, so two runs that train the same weights would write different files;
/// here the header is written again with its keys (and the metadata's keys) sorted, padded with
/// spaces to a multiple of 8 bytes as the format asks. Readers see the same tensors and metadata.
///
/// # Errors
/// [`Error::Format`] when a tensor's bytes do not fit its shape and type (the `safetensors`
/// crate's checks).
pub fn safetensors_bytes<V: safetensors::View>(
    tensors: Vec<(String, V)>,
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let err = |e: String| format_err(Path::new(MEMORY), e);
    let bytes =
        safetensors::tensor::serialize(tensors, &Some(metadata)).map_err(|e| err(e.to_string()))?;
    let header_len = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| bytes.len() >= 8 + n)
        .ok_or_else(|| err("safetensors wrote no header".into()))?;
    let mut header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + header_len]).map_err(|e| err(e.to_string()))?;
    if let Some(m) = header.get_mut("__metadata__") {
        let sorted: BTreeMap<String, String> =
            serde_json::from_value(m.take()).map_err(|e| err(e.to_string()))?;
        *m = serde_json::to_value(sorted).map_err(|e| err(e.to_string()))?;
    }
    let mut text = serde_json::to_vec(&header).map_err(|e| err(e.to_string()))?;
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - header_len);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + header_len..]);
    Ok(out)
}

fn base_metadata<F: Float>(kind: &str, layers: &[LayerMeta]) -> Result<HashMap<String, String>> {
    let mut m = HashMap::new();
    m.insert("format".into(), FORMAT.into());
    m.insert("format_version".into(), FORMAT_VERSION.to_string());
    m.insert("kind".into(), kind.into());
    m.insert("dtype".into(), F::NAME.into());
    m.insert(
        "layers".into(),
        serde_json::to_string(layers).map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?,
    );
    Ok(m)
}

/// Writes `bytes` to `path` atomically (xrd-io's one atomic writer).
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    xrd_core::write_atomic(path, bytes).map_err(|source| Error::File {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::File {
        path: path.to_path_buf(),
        source,
    })
}

/// Parsed safetensors file with its metadata.
struct Parsed<'a> {
    path: &'a Path,
    tensors: SafeTensors<'a>,
    metadata: HashMap<String, String>,
}

impl<'a> Parsed<'a> {
    fn new(path: &'a Path, bytes: &'a [u8], need_metadata: bool) -> Result<Self> {
        let tensors = SafeTensors::deserialize(bytes)
            .map_err(|e| format_err(path, format!("not a valid safetensors file: {e}")))?;
        let (_, meta) = SafeTensors::read_metadata(bytes)
            .map_err(|e| format_err(path, format!("not a valid safetensors file: {e}")))?;
        let metadata = meta.metadata().clone().unwrap_or_default();
        let parsed = Parsed {
            path,
            tensors,
            metadata,
        };
        if need_metadata {
            parsed.check_header()?;
        }
        Ok(parsed)
    }

    fn meta(&self, key: &str) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format_err(self.path, format!("metadata `{key}` is missing")))
    }

    fn check_header(&self) -> Result<()> {
        if self.meta("format")? != FORMAT {
            return Err(format_err(self.path, "metadata `format` is not \"xrd-ae\""));
        }
        let version = self.meta("format_version")?;
        if version != FORMAT_VERSION.to_string() {
            return Err(format_err(
                self.path,
                format!(
                    "format version {version} is not supported (this is version {FORMAT_VERSION})"
                ),
            ));
        }
        Ok(())
    }

    fn kind(&self, expected: &str) -> Result<()> {
        let kind = self.meta("kind")?;
        if kind != expected {
            return Err(format_err(
                self.path,
                format!("holds a {kind}, not a {expected}"),
            ));
        }
        Ok(())
    }

    fn layers(&self) -> Result<Vec<LayerMeta>> {
        serde_json::from_str(self.meta("layers")?)
            .map_err(|e| format_err(self.path, format!("metadata `layers`: {e}")))
    }

    /// A tensor of the given shape, converted to `F`.
    fn tensor<F: Float>(&self, name: &str, shape: &[usize]) -> Result<Vec<F>> {
        let t = self
            .tensors
            .tensor(name)
            .map_err(|_| format_err(self.path, format!("tensor `{name}` is missing")))?;
        if t.shape() != shape {
            return Err(format_err(
                self.path,
                format!(
                    "tensor `{name}` has shape {:?}, expected {shape:?}",
                    t.shape()
                ),
            ));
        }
        let values: Vec<F> = match t.dtype() {
            Dtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|c| F::of(f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))))
                .collect(),
            Dtype::F64 => t
                .data()
                .chunks_exact(8)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    F::of(f64::from_le_bytes(b))
                })
                .collect(),
            other => {
                return Err(format_err(
                    self.path,
                    format!("tensor `{name}` has dtype {other:?}, expected F32 or F64"),
                ));
            }
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format_err(
                self.path,
                format!("tensor `{name}` holds a non-finite value at {i}"),
            ));
        }
        Ok(values)
    }

    /// Reads the layers of a chain under `prefix`.
    fn chain<F: Float>(&self, prefix: &str, metas: &[LayerMeta]) -> Result<Vec<Dense<F>>> {
        let mut layers = Vec::with_capacity(metas.len());
        let modules = linear_modules(metas.iter().map(|m| m.dropout));
        for (m, k) in metas.iter().zip(modules) {
            let w = self.tensor::<F>(&format!("{prefix}{k}.weight"), &[m.outputs, m.inputs])?;
            let b = self.tensor::<F>(&format!("{prefix}{k}.bias"), &[m.outputs])?;
            let w = Array2::from_shape_vec((m.outputs, m.inputs), w)
                .map_err(|e| format_err(self.path, e.to_string()))?;
            let mut layer = Dense::new(w, Array1::from(b), m.activation)
                .and_then(|l| l.with_dropout(m.dropout))
                .map_err(|e| format_err(self.path, e.to_string()))?;
            if m.activation == Activation::Prelu {
                let s = self.tensor::<F>(&format!("{prefix}{}.weight", k + 1), &[1])?;
                layer.slope = s[0];
            }
            layers.push(layer);
        }
        Ok(layers)
    }

    /// Every tensor must have been used: extra tensors mean another architecture.
    fn no_extra(&self, expected: usize) -> Result<()> {
        if self.tensors.len() != expected {
            let mut names: Vec<_> = self.tensors.names().into_iter().cloned().collect();
            names.sort();
            return Err(format_err(
                self.path,
                format!(
                    "{} tensors, expected {expected} for this architecture: {names:?}",
                    names.len()
                ),
            ));
        }
        Ok(())
    }
}

fn tensor_count(metas: &[LayerMeta]) -> usize {
    metas
        .iter()
        .map(|m| 2 + usize::from(m.activation == Activation::Prelu))
        .sum()
}

impl<F: Float> Autoencoder<F> {
    /// The weights as safetensors bytes (see the module docs of the format).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let mut tensors = chain_tensors("encoder.", &self.encoder.layers);
        tensors.extend(chain_tensors("decoder.", &self.decoder.layers));
        let mut all = layer_meta(&self.encoder.layers);
        all.extend(layer_meta(&self.decoder.layers));
        let mut meta = base_metadata::<F>("autoencoder", &all)?;
        meta.insert(
            "config".into(),
            serde_json::to_string(&self.config)
                .map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?,
        );
        meta.insert(
            "encoder_layers".into(),
            self.encoder.layers.len().to_string(),
        );
        serialize::<F>(tensors, meta)
    }

    /// Saves the weights and configuration to `path` atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write(path.as_ref(), &self.to_safetensors()?)
    }

    /// Reads an autoencoder written by [`Autoencoder::save`] (f32 or f64 tensors, converted to `F`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(path, &read(path)?)
    }

    /// [`Autoencoder::load`] from bytes.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self> {
        Self::parse(Path::new(MEMORY), bytes)
    }

    /// Reads a PyTorch `state_dict` saved with `safetensors.torch.save_file` (no xrd-ae metadata)
    /// for the architecture of `config` with `inputs` inputs.
    pub fn from_torch_safetensors(
        bytes: &[u8],
        inputs: usize,
        config: AutoencoderConfig,
    ) -> Result<Self> {
        let path = Path::new(MEMORY);
        let parsed = Parsed::new(path, bytes, false)?;
        config.check()?;
        let (shapes, k) = config.layer_shapes(inputs);
        let metas: Vec<LayerMeta> = shapes
            .iter()
            .map(|&(inputs, outputs, activation)| LayerMeta {
                inputs,
                outputs,
                activation,
                dropout: 0.0,
            })
            .collect();
        Self::assemble(&parsed, &metas, k, config)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let parsed = Parsed::new(path, bytes, true)?;
        parsed.kind("autoencoder")?;
        let config: AutoencoderConfig = serde_json::from_str(parsed.meta("config")?)
            .map_err(|e| format_err(path, format!("metadata `config`: {e}")))?;
        let metas = parsed.layers()?;
        let k: usize = parsed
            .meta("encoder_layers")?
            .parse()
            .map_err(|_| format_err(path, "metadata `encoder_layers` is not a number"))?;
        if k > metas.len() {
            return Err(format_err(
                path,
                "metadata `encoder_layers` exceeds the number of layers",
            ));
        }
        Self::assemble(&parsed, &metas, k, config)
    }

    fn assemble(
        parsed: &Parsed<'_>,
        metas: &[LayerMeta],
        k: usize,
        config: AutoencoderConfig,
    ) -> Result<Self> {
        let encoder = parsed.chain::<F>("encoder.", &metas[..k])?;
        let decoder = parsed.chain::<F>("decoder.", &metas[k..])?;
        parsed.no_extra(tensor_count(metas))?;
        let wrap = |e: Error| format_err(parsed.path, e.to_string());
        Autoencoder::from_parts(
            Network::new(encoder).map_err(wrap)?,
            Network::new(decoder).map_err(wrap)?,
            config,
        )
        .map_err(wrap)
    }
}

impl<F: Float> Network<F> {
    /// The weights as safetensors bytes (names of a plain `nn.Sequential`: `0.weight`, `0.bias`, …).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let meta = base_metadata::<F>("network", &layer_meta(&self.layers))?;
        serialize::<F>(chain_tensors("", &self.layers), meta)
    }

    /// Saves the network to `path` atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write(path.as_ref(), &self.to_safetensors()?)
    }

    /// Reads a network written by [`Network::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(path, &read(path)?)
    }

    /// [`Network::load`] from bytes.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self> {
        Self::parse(Path::new(MEMORY), bytes)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let parsed = Parsed::new(path, bytes, true)?;
        parsed.kind("network")?;
        let metas = parsed.layers()?;
        let layers = parsed.chain::<F>("", &metas)?;
        parsed.no_extra(tensor_count(&metas))?;
        Network::new(layers).map_err(|e| format_err(path, e.to_string()))
    }
}
