#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod absorption;
mod atoms;
mod axial;
mod calibration;
mod cell;
mod constraints;
mod error;
mod fit;
pub mod gsas;
mod harmonics;
mod instrument;
mod lm;
mod model;
mod parameter;
mod params;
pub mod peaks;
mod phase;
mod quadrature;
mod quality;
mod reference;
mod refined_cif;
mod refinement;
mod restraint;
mod series;
mod state;
mod summation;
mod weights;

pub use axial::AxialDivergence;
pub use calibration::{CALIBRATION_FORMAT, CalibratedPeak, Calibration, Operator};
pub use error::{Error, Result};
pub use harmonics::MAX_HARMONIC_ORDER;
pub use instrument::{INSTRUMENT_FORMAT, Instrument};
pub use lm::Stop;
pub use parameter::{
    HumpPart, ParamId, PhaseParam, RESERVED_NAMES, ReferenceParam, SiteParam, Width,
};
pub use params::{COMPARISON_ITERATIONS, COMPARISON_STAGES, RefineParams, Stage};
pub use phase::{Intensities, Phase};
pub use reference::{BACKGROUND_NAME, Reference, ReferenceLibrary};
pub use refined_cif::{cif_value, refined_cif};
pub use refinement::{
    BACKGROUND_ADVICE_GAIN, BACKGROUND_CHECK_TERMS, BackgroundCheck, Bond, BondAngle,
    HarmonicTexture, HydrostaticStrain, Joint, JointRefinement, MICROABSORPTION_WARNING,
    MeasuredReferences, OVERLAP_CORRELATION, Overlap, ParameterValue, PhaseKind, PhaseResult,
    Refinement, Refiner, SENSITIVITY_PARTICLE_SIZE, SiteResult, rir_scale,
};
pub use restraint::{Restraint, RestraintResult};
pub use series::{
    CELL_LABELS, Flag, Frame, FrameFit, FrameStart, Parametric, ParametricFit, Sequential, Series,
    SeriesParams, Tracked, tracked,
};
pub use state::State;
pub use summation::{Alignment, Quantification, ReferenceResult, Summation, SummationParams};
pub use weights::{DEFAULT_MAX_SHIFT, DETECTION_SIGMAS};
pub use xrd_sim::SampleGeometry;
pub use xrd_sim::powder::tch::REACH;
