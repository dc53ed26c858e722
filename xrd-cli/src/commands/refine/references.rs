//! `xrd refine --references LIBRARY --reference ID…`: full-pattern summation of measured
//! reference patterns (xrd-refine's `Summation`), for phases without a usable structure.

use std::path::Path;

use serde::Serialize;
use xrd_cli::figures::{self, RietveldPlot};
use xrd_cli::output::Table;
use xrd_minerals::{SummationRow, summation_rows};
use xrd_refine::{Quantification, Reference, ReferenceLibrary, Summation};

use super::super::{Context, Outcome, Result, create_dir, input_files};
use super::{Args, FitColumns, each_pattern, parse_spec_weight, write_fit_csv};

/// The library of --references and the references --reference names, in order.
pub(super) fn load(args: &Args) -> Result<(ReferenceLibrary, Vec<Reference>)> {
    let path = args
        .references
        .as_ref()
        .ok_or("--reference needs --references LIBRARY")?;
    let library = ReferenceLibrary::read(path)?;
    let references = xrd_minerals::references_by_id(&library, &args.reference_ids)
        .map_err(|e| format!("--reference in {}: {e}", path.display()))?;
    Ok((library, references))
}

/// Runs the summation of every input with the references named.
pub(super) fn run(args: &Args, ctx: &Context) -> Result<Outcome> {
    let (_, references) = load(args)?;
    let path = args
        .references
        .as_ref()
        .ok_or("--reference needs --references LIBRARY")?;
    let standard = match &args.standard {
        None => None,
        Some(s) => {
            let (name, wt) = parse_spec_weight("--standard", s)?;
            let index = xrd_minerals::named_index(name, &[], &references).ok_or_else(|| {
                format!("--standard `{s}`: `{name}` is not one of the --reference values")
            })?;
            Some((index, wt))
        }
    };
    let params = super::options(args).summation_params()?;
    let mut summation = Summation::new(references).params(params);
    if let Some((i, w)) = standard {
        summation = summation.standard(i, w);
    }
    let files = input_files(&args.inputs)?;
    let mut table = Table::new(SummationRow::COLUMNS);
    let failed = each_pattern(args, &files, |label, pattern, dir| {
        let label = label.to_string();
        let q = summation.fit(pattern)?;
        for row in summation_rows(&label, &q) {
            table.push(row.values().into_iter().map(super::cell).collect());
        }
        for w in &q.warnings {
            eprintln!("{label}: warning: {w}");
        }
        if let Some(dir) = dir {
            write_outputs(&dir, &label, path, &q)?;
        }
        Ok(())
    });
    ctx.print(&table);
    Ok(Outcome::skipping(failed))
}

#[derive(Serialize)]
struct Written<'a> {
    file: &'a str,
    library: &'a Path,
    quantification: &'a Quantification,
}

fn write_outputs(dir: &Path, label: &str, library: &Path, q: &Quantification) -> Result<()> {
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
