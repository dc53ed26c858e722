#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod groups;
mod indexer;
mod lines;
mod metric;
mod params;
mod solution;

pub use error::{Error, Result};
pub use groups::GroupFit;
pub use indexer::Indexer;
pub use lines::Line;
pub use metric::Metric;
pub use params::IndexingParams;
pub use solution::{Indexing, Solution};
