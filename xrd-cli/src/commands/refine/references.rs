//! `xrd refine --references LIBRARY --reference ID…`: the outputs of a full-pattern summation
//! of measured reference patterns (xrd-jobs' `Refine` in its summation mode).

use std::path::Path;

use xrd_cli::figures::{self, RietveldPlot};
use xrd_jobs::Summed;

use super::super::{Result, create_dir};

/// fit.csv, quantification.json and rietveld.svg of a summation.
pub(super) fn write_outputs(dir: &Path, label: &str, summed: &Summed) -> Result<()> {
    create_dir(dir)?;
    let q = &summed.quantification;
    xrd_cli::run::write_atomic(&dir.join("fit.csv"), &summed.fit_csv())?;
    xrd_cli::run::write_atomic(
        &dir.join("quantification.json"),
        &summed.quantification_json()?,
    )?;
    let plot = RietveldPlot::of_summation(label, q);
    figures::rietveld(&dir.join("rietveld.svg"), &plot)?;
    Ok(())
}
