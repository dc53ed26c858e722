#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cells;
mod contour;
mod error;
mod estimator;
mod evaluation;
mod frame;
mod geometry;
mod kdtree;
mod locate;
mod paint;
mod params;
mod pipeline;
mod purity;
mod refusal;
mod series;
mod tile;

pub use contour::Polyline;
pub use error::{Error, Result};
pub use estimator::{Estimate, EstimateKind, TriangleEstimator};
pub use evaluation::{Evaluation, Record, WorstTable, delta};
pub use kdtree::{KdTree, LEAF_SIZE, Neighbour};
pub use locate::{Located, MAX_WALK_STEPS};
pub use paint::{PaintGrid, Painted};
pub use params::{
    DEFAULT_COLLINEAR_TOLERANCE, DEFAULT_EDGE_TOLERANCE, DEFAULT_LOCATE_TOLERANCE,
    DEFAULT_NEIGHBOURS, MAX_NEIGHBOURS, OutsideRule, ROUNDING_SLACK, TriangleParams,
};
pub use pipeline::{
    DEFAULT_EPOCHS, DEFAULT_PATIENCE, DEFAULT_RESTARTS, DEFAULT_SEED, DEFAULT_VALIDATION,
    EARLY_STOPPING_FRACTION, EstimationParams, LabelEstimation, MIN_EARLY_STOPPING_ROWS,
    PCA_BASELINE_NEIGHBOURS, Pipeline, PipelineData, PipelineDiagnostics, PipelineParams,
    PipelineProgress, Purity, Space, SpaceChoice, as_points, points_of, split_rows,
};
pub use purity::{chance_purity, knn_purity};
pub use refusal::{
    DEFAULT_REFUSAL_MARGIN, DEFAULT_REFUSAL_QUANTILE, Refusal, RefusalCalibration, RefusalPolicy,
};
pub use series::{
    Answer, CANDIDATE_NEIGHBOURS, DEFAULT_EXTRAPOLATION_MARGIN, DEFAULT_LOCAL_NEIGHBOURS,
    DEFAULT_MIN_AXIS_RATIO, DEFAULT_MIN_CONDITIONING, EstimatorKind, Extrapolation, Selection,
    SeriesEstimator, SeriesEvaluation, SeriesParams, SeriesRecord, mean_predictor_delta,
};
/// A point of the accuracy–coverage curve (xrd-io's, shared by the workspace).
pub use xrd_core::coverage::CoveragePoint;
