#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod batch;
mod decimate;
mod error;
mod export;
mod files;
mod http;
mod identify;
mod job;
mod library;
mod peaks;
mod series;
mod series_map;
mod server;

pub use decimate::{DECIMATE_FROM, min_max};
pub use error::{Error, Result};
pub use server::{DEFAULT_MAX_UPLOAD_MB, ServeOptions, Server, StopHandle};
