#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod ae;
mod distance;
mod encoder;
mod ensemble;
mod error;
mod exact;
mod params;
mod peaks;
mod profile;
mod rank;
mod window;

pub use distance::Distance;
pub use encoder::Encoder;
pub use ensemble::{EnsembleProfile, PeakStability, ProfileScaling, peak_stability};
pub use error::{Error, Result};
pub use exact::LayeredEncoder;
pub use params::{
    DEFAULT_BATCH_SIZE, DEFAULT_MARGIN_DEGREES, DEFAULT_WIDTH_DEGREES, Mask, Relevance,
    RelevanceParams, Span,
};
pub use peaks::{
    DEFAULT_IRRELEVANT, DEFAULT_STRONG, PeakRelevance, PeakRelevanceParams, PeakReport,
    peak_relevance,
};
pub use profile::DevProfile;
pub use rank::{average_ranks, spearman};
pub use window::Window;
