//! Classifier files: safetensors with the tensor names of a PyTorch `state_dict`, plus the grid,
//! the class list and the configuration as metadata.
//!
//! Each network is written by xrd-ae ([`Network::to_safetensors`]), so its tensors carry the
//! names of an `nn.Sequential` of `nn.Linear`, activation and (with dropout) `nn.Dropout`
//! modules — for the default network `Linear(512,512), ReLU(), Dropout(0.3), Linear(512,256),
//! ReLU(), Dropout(0.3), Linear(256,230), Identity()`: `0.weight`, `0.bias`, `3.weight`, `3.bias`,
//! `6.weight`, `6.bias`. A single network keeps
//! them as they are; an ensemble of `N` puts network `k` under `{k}.` — the names of an
//! `nn.ModuleList` of `N` such `nn.Sequential`s. The xrd-ae metadata of the networks is kept
//! under keys prefixed `xrd_ae.`; the classifier adds `format = "xrd-classify"`,
//! `format_version`, `members`, `grid` (JSON `{start, step, n}`), `classes` (JSON list: output
//! `i` is space group `classes[i]`), `config` (JSON, with the input transform: `pool`,
//! `intensity`, `autocorrelation`, `peak_threshold`; `shared_patterns`, absent from files
//! written before it and then read as `false`) and `history` (JSON). An ensemble trained on
//! [shared patterns](crate::ScheduleConfig::shared_patterns) is stored like any other. The
//! configuration is stored flat, as before its split into parts (see
//! [`ClassifierConfig`]).
//!
//! Crystal-system networks (version 4,
//! [`ArchitectureConfig::system_network`](crate::ArchitectureConfig::system_network)), when the
//! classifier has them, are written the same way under `system.`: `system.0.weight`, … for
//! one network, `system.{k}.0.weight`, … for network `k` of an ensemble — the names of a
//! PyTorch module holding the space-group network(s) as above and the crystal-system
//! `nn.Sequential` (or `nn.ModuleList` of them) as its submodule `system`; in PyTorch, load the
//! tensors without the `system.` prefix into the space-group module and the rest, prefix
//! stripped, into the crystal-system module. Their xrd-ae metadata (7 outputs) is kept under
//! keys prefixed `xrd_ae_system.`, their training record under `system_history` (JSON).
//!
//! Version 2 added the input transform, version 3 the peak threshold, version 4 the
//! crystal-system networks; version-3 files are read (without crystal-system networks), files
//! of other versions refused.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{SafeTensors, TensorView};
use xrd_ae::Network;
use xrd_io::Grid;

use crate::{Classifier, ClassifierConfig, Error, Result, SPACE_GROUPS};
use xrd_ae::History;

/// Version of the classifier metadata layout written; files of version 3 (no crystal-system
/// networks) are read too, files of other versions refused.
pub const FORMAT_VERSION: u8 = 4;
const FORMAT: &str = "xrd-classify";
const AE_PREFIX: &str = "xrd_ae.";
/// Tensor-name prefix of the crystal-system networks.
const SYSTEM_PREFIX: &str = "system.";
/// Metadata-key prefix of the crystal-system networks' xrd-ae metadata.
const AE_SYSTEM_PREFIX: &str = "xrd_ae_system.";
/// The shipped model's bytes and the name its errors give.
const SHIPPED_BYTES: &[u8] = include_bytes!("../models/classifier.safetensors");
const SHIPPED_NAME: &str = "<shipped model>";
const MEMORY: &str = "<memory>";

fn format_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| format_err(Path::new(MEMORY), e.to_string()))
}

fn member_prefix(members: usize, k: usize) -> String {
    if members == 1 {
        String::new()
    } else {
        format!("{k}.")
    }
}

impl Classifier {
    /// The classifier as safetensors bytes (see the [module docs](self)).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let n = self.members().len();
        let encode = |nets: &[Network<f32>]| {
            nets.iter()
                .map(Network::to_safetensors)
                .collect::<std::result::Result<Vec<_>, _>>()
        };
        let (member_bytes, system_bytes) =
            (encode(self.members())?, encode(self.system_networks())?);
        let mut metadata = HashMap::new();
        let mut views = Vec::new();
        for (outer, meta_prefix, all) in [
            ("", AE_PREFIX, &member_bytes),
            (SYSTEM_PREFIX, AE_SYSTEM_PREFIX, &system_bytes),
        ] {
            for (k, bytes) in all.iter().enumerate() {
                let parsed = SafeTensors::deserialize(bytes)
                    .map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?;
                if k == 0 {
                    let (_, meta) = SafeTensors::read_metadata(bytes)
                        .map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?;
                    for (key, v) in meta.metadata().clone().unwrap_or_default() {
                        metadata.insert(format!("{meta_prefix}{key}"), v);
                    }
                }
                let prefix = format!("{outer}{}", member_prefix(n, k));
                for (name, t) in parsed.tensors() {
                    let view = TensorView::new(t.dtype(), t.shape().to_vec(), t.data())
                        .map_err(|e| format_err(Path::new(MEMORY), e.to_string()))?;
                    views.push((format!("{prefix}{name}"), view));
                }
            }
        }
        if !self.system_networks().is_empty() {
            metadata.insert("system_history".into(), json(&self.system_history())?);
        }
        metadata.insert("format".into(), FORMAT.into());
        metadata.insert("format_version".into(), FORMAT_VERSION.to_string());
        metadata.insert("members".into(), n.to_string());
        metadata.insert("grid".into(), json(&self.grid())?);
        let classes: Vec<u8> = (1..=SPACE_GROUPS as u8).collect();
        metadata.insert("classes".into(), json(&classes)?);
        metadata.insert("config".into(), json(self.config())?);
        metadata.insert("history".into(), json(&self.history())?);
        // xrd-ae's writer sorts the header, so the same classifier gives the same bytes.
        Ok(xrd_ae::safetensors_bytes(views, metadata)?)
    }

    /// Saves the classifier to `path` atomically (temporary file in the same folder + rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        xrd_io::write_atomic(path, &self.to_safetensors()?).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a classifier written by [`Classifier::save`].
    ///
    /// # Errors
    /// [`Error::File`]; [`Error::Format`] for anything corrupt, truncated, of another version or
    /// inconsistent.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &bytes)
    }

    /// The model shipped with the crate (`models/classifier.safetensors`, embedded in the
    /// binary): what `xrd classify train` makes with its defaults (the crate README gives its
    /// recipe and its results).
    ///
    /// # Errors
    /// [`Error::Format`] if the embedded file were corrupt (a test reads it).
    pub fn shipped() -> Result<Self> {
        Self::parse(Path::new(SHIPPED_NAME), SHIPPED_BYTES)
    }

    /// [`Classifier::load`] from bytes.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self> {
        Self::parse(Path::new(MEMORY), bytes)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| {
            format_err(path, format!("not a valid safetensors file: {e}"))
        };
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| bad(&e))?;
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| bad(&e))?;
        let metadata = meta.metadata().clone().unwrap_or_default();
        let get = |key: &str| {
            metadata
                .get(key)
                .map(String::as_str)
                .ok_or_else(|| format_err(path, format!("metadata `{key}` is missing")))
        };
        if get("format")? != FORMAT {
            return Err(format_err(
                path,
                "metadata `format` is not \"xrd-classify\"",
            ));
        }
        let version = get("format_version")?;
        if version != FORMAT_VERSION.to_string() && version != "3" {
            return Err(format_err(
                path,
                format!("format version {version} (this build reads 3 and {FORMAT_VERSION})"),
            ));
        }
        let parse_json = |key: &str| -> Result<serde_json::Value> {
            serde_json::from_str(get(key)?)
                .map_err(|e| format_err(path, format!("metadata `{key}`: {e}")))
        };
        let grid: Grid = serde_json::from_value(parse_json("grid")?)
            .map_err(|e| format_err(path, format!("metadata `grid`: {e}")))?;
        let grid = Grid::new(grid.start(), grid.step(), grid.len())
            .map_err(|e| format_err(path, format!("metadata `grid`: {e}")))?;
        let classes: Vec<u8> = serde_json::from_value(parse_json("classes")?)
            .map_err(|e| format_err(path, format!("metadata `classes`: {e}")))?;
        if classes != (1..=SPACE_GROUPS as u8).collect::<Vec<_>>() {
            return Err(format_err(
                path,
                "metadata `classes` is not space groups 1–230 in order",
            ));
        }
        let mut config: ClassifierConfig = serde_json::from_value(parse_json("config")?)
            .map_err(|e| format_err(path, format!("metadata `config`: {e}")))?;
        if version == "3" {
            // Before the option existed: whatever its default now, there is no system network.
            config.architecture.system_network = false;
        }
        let history: Vec<History> = serde_json::from_value(parse_json("history")?)
            .map_err(|e| format_err(path, format!("metadata `history`: {e}")))?;
        let members: usize = get("members")?
            .parse()
            .map_err(|_| format_err(path, "metadata `members` is not a number"))?;
        if members == 0 || members > tensors.len() {
            return Err(format_err(
                path,
                format!(
                    "metadata `members` is {members}, for {} tensors",
                    tensors.len()
                ),
            ));
        }
        let ae_meta = |prefix: &str| -> HashMap<String, String> {
            metadata
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
                .collect()
        };
        let (nets, mut used) = read_networks(path, &tensors, "", members, &ae_meta(AE_PREFIX))?;
        // Version 3 had none: its `system.` tensors would be left over, an error below.
        let has_systems = version != "3"
            && tensors
                .names()
                .iter()
                .any(|name| name.starts_with(SYSTEM_PREFIX));
        if version != "3" && has_systems != config.architecture.system_network {
            return Err(format_err(
                path,
                format!(
                    "the configuration says system_network = {}, the file has {} crystal-system networks",
                    config.architecture.system_network,
                    if has_systems { "its" } else { "no" }
                ),
            ));
        }
        let systems = if has_systems {
            let (systems, n) = read_networks(
                path,
                &tensors,
                SYSTEM_PREFIX,
                members,
                &ae_meta(AE_SYSTEM_PREFIX),
            )?;
            used += n;
            Some(systems)
        } else {
            None
        };
        if used != tensors.len() {
            return Err(format_err(
                path,
                format!(
                    "{} tensors, {used} belong to the {members} networks",
                    tensors.len()
                ),
            ));
        }
        let mut c = Classifier::from_networks(grid, nets, config)
            .map_err(|e| format_err(path, e.to_string()))?;
        let mut system_history = Vec::new();
        if let Some(systems) = systems {
            c = c
                .with_system_networks(systems)
                .map_err(|e| format_err(path, format!("crystal-system networks: {e}")))?;
            system_history = serde_json::from_value(parse_json("system_history")?)
                .map_err(|e| format_err(path, format!("metadata `system_history`: {e}")))?;
        }
        Ok(c.with_histories(history, system_history))
    }
}

/// The `members` networks whose tensors are named `{outer}{member prefix}{xrd-ae name}`, read
/// with the xrd-ae metadata `meta`; and how many tensors they took. With no `outer`, the
/// crystal-system networks' tensors are left out.
fn read_networks(
    path: &Path,
    tensors: &SafeTensors<'_>,
    outer: &str,
    members: usize,
    meta: &HashMap<String, String>,
) -> Result<(Vec<Network<f32>>, usize)> {
    let mut nets = Vec::with_capacity(members);
    let mut used = 0;
    for k in 0..members {
        let prefix = format!("{outer}{}", member_prefix(members, k));
        let mut views = Vec::new();
        for (name, t) in tensors.tensors() {
            if outer.is_empty() && name.starts_with(SYSTEM_PREFIX) {
                continue;
            }
            let Some(rest) = name.strip_prefix(&prefix) else {
                continue;
            };
            let view = TensorView::new(t.dtype(), t.shape().to_vec(), t.data())
                .map_err(|e| format_err(path, e.to_string()))?;
            views.push((rest.to_string(), view));
        }
        used += views.len();
        let member = safetensors::tensor::serialize(views, &Some(meta.clone()))
            .map_err(|e| format_err(path, e.to_string()))?;
        let what = if outer.is_empty() {
            "network"
        } else {
            "crystal-system network"
        };
        let net = Network::<f32>::from_safetensors(&member)
            .map_err(|e| format_err(path, format!("{what} {k}: {e}")))?;
        nets.push(net);
    }
    Ok((nets, used))
}
