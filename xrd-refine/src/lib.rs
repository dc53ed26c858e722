#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod absorption;
mod cell;
mod error;
mod instrument;
mod lm;
mod model;
mod params;
mod phase;
mod refinement;

pub use error::{Error, Result};
pub use instrument::{INSTRUMENT_FORMAT, Instrument};
pub use params::{RefineParams, Stage};
pub use phase::Phase;
pub use refinement::{DEFAULT_PARTICLE_SIZE, ParameterValue, PhaseResult, Refinement, Refiner};
pub use xrd_sim::powder::tch::REACH;
