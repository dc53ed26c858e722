#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod baseline;
mod compare;
mod composition;
mod error;
mod evaluation;
mod generator;
mod model;
mod regressor;

pub use baseline::{BRACKET_TOLERANCE, Bracket, LinearBlend, NearestMean};
pub use compare::{CompareParams, Comparison, clean, compare};
pub use composition::{KnownCompositions, SAME_COMPOSITION, composition_groups, same_composition};
pub use error::{Error, Result};
pub use evaluation::{
    EvalConfig, EvalProgress, EvalRow, EvalTable, METRICS, Method, Reference, evaluate,
};
pub use generator::{
    Anchors, DEFAULT_SUPPORT_FACTOR, Generated, Generator, GeneratorParams, SweepStep,
};
pub use model::PatternModel;
pub use regressor::{DirectRegressor, RegressorConfig};
