#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod groups;
mod indexer;
mod indexing;
mod lines;
mod metric;
mod params;
mod solution;

pub use error::{Error, Result};
pub use groups::GroupFit;
pub use indexer::Indexer;
pub use indexing::Indexing;
pub use lines::Line;
pub use metric::Metric;
pub use params::IndexingParams;
pub use solution::Solution;
