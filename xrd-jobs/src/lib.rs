#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod classify;
mod error;
mod fields;
mod frames;
mod identify;
mod index;
mod joint;
mod kept;
mod options;
mod peaks;
mod refine;
mod rows;
mod series;
mod simulate;
mod simulated;
mod written;

pub use classify::{Classified, Classify, ClassifyOptions, DEFAULT_CACHE};
pub use error::{Error, Result};
pub use fields::{JOBS, option_fields};
pub use frames::{order_name, series_frame};
pub use identify::{BackgroundMethod, Identified, IdentifiedFile, Identify, IdentifyOptions};
pub use index::{Index, IndexOptions, IndexRow, Indexed};
pub use joint::{HistogramOptions, JointJob, JointRefined};
pub use kept::{Kept, kept_key};
pub use options::{
    DEFAULT_RIR_BRIDGE, RefineOptions, Weighed, bridged_references, measured_wavelength,
    named_index, references_by_id, site_params_from_names, stages_from_names,
};
pub use peaks::{PeakList, PeakRow, Peaks, PeaksOptions};
pub use refine::{ComparedFit, ComparedSpec, Refine, RefineOutput, Refined, RefinedCif, Summed};
pub use rows::{
    IdentifyRow, Quantity, RefinementRow, RowValue, SummationRow, difference, identify_rows,
    refinement_rows, series_columns, series_row, spec_rows, summation_rows,
};
pub use series::{
    Order, ROWS_FILE, STATE_FILE, Series, SeriesEvent, SeriesOptions, SeriesOutput, natural_order,
};
pub use simulate::{
    DEFAULT_ETA, DEFAULT_FWHM, DEFAULT_STEP, DEFAULT_TWO_THETA, Simulate, SimulateOptions,
    Simulated,
};
pub use simulated::simulated_pattern;
pub use written::csv_field;
/// How a front end steers a job: the cancel token and progress callback every job takes.
pub use xrd_core::{Cancelled, Control, Progress};
