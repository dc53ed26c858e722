#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod float;
mod grid;

pub use error::{Error, Result};
pub use float::Float;
pub use grid::Grid;
