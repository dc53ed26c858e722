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
    let title = match q.amorphous {
        Some(a) => format!(
            "{label}: Rwp {:.2} %, GoF {:.2}, amorphous {:.1} wt%",
            100.0 * q.rwp,
            q.gof,
            100.0 * a
        ),
        None => format!("{label}: Rwp {:.2} %, GoF {:.2}", 100.0 * q.rwp, q.gof),
    };
    let plot = RietveldPlot {
        title,
        two_theta: q.two_theta.clone(),
        observed: q.observed.clone(),
        calculated: q.calculated.clone(),
        ticks: Vec::new(),
        curves: q
            .references
            .iter()
            .zip(&q.curves)
            .filter(|(r, _)| !r.background)
            .map(|(r, c)| {
                let bg = &q.background;
                let label = format!(
                    "{} {:.1} ± {:.1} wt%",
                    r.id,
                    100.0 * r.weight_fraction,
                    100.0 * r.weight_fraction_esd
                );
                (label, c.iter().zip(bg).map(|(v, b)| v + b).collect())
            })
            .collect(),
    };
    figures::rietveld(&dir.join("rietveld.svg"), &plot)?;
    Ok(())
}
