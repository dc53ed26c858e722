//! `xrd refine --references LIBRARY --reference ID…`: the outputs of a full-pattern summation
//! of measured reference patterns (xrd-jobs' `Refine` in its summation mode).

use std::path::Path;

use serde::Serialize;
use xrd_cli::figures::{self, RietveldPlot};
use xrd_refine::Quantification;

use super::super::{Result, create_dir};
use super::{FitColumns, write_fit_csv};

#[derive(Serialize)]
struct Written<'a> {
    file: &'a str,
    library: &'a Path,
    quantification: &'a Quantification,
}

/// fit.csv, quantification.json and rietveld.svg of a summation.
pub(super) fn write_outputs(
    dir: &Path,
    label: &str,
    library: &Path,
    q: &Quantification,
) -> Result<()> {
    create_dir(dir)?;
    let names: Vec<&str> = q.references.iter().map(|r| r.id.as_str()).collect();
    let curves: Vec<&[f64]> = q.curves.iter().map(Vec::as_slice).collect();
    let columns = FitColumns {
        two_theta: &q.two_theta,
        observed: &q.observed,
        calculated: &q.calculated,
        background: &q.background,
    };
    write_fit_csv(dir, &columns, &names, &curves)?;
    let json = serde_json::to_string_pretty(&Written {
        file: label,
        library,
        quantification: q,
    })?;
    xrd_cli::run::write_atomic(&dir.join("quantification.json"), &json)?;
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
