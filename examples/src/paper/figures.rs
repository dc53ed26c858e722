//! The paper's figures and Table II for one run.

use std::path::Path;

use ndarray::Axis;
use xrd_latent::PaintGrid;

use super::estimation::{Estimation, EstimationResult};
use super::feature_space::Trained;
use super::generation::Curves;
use super::relevance::{RelevanceStep, hkl_text};
use super::{Data, Split};
use crate::alloy::formula;
use xrd_cli::figures::{
    self, Annotation, Curve, Heatmap, LinePanel, RelevancePlot, ScatterPanel, relevance_figure,
};
use xrd_cli::run::{Result, write_atomic};

/// Resolution of the painted maps.
pub const PAINT_RESOLUTION: usize = 240;

/// Everything one run draws.
#[derive(Debug, Clone, Copy)]
pub struct RunFigures<'a> {
    /// The data set.
    pub data: &'a Data,
    /// The run's rows.
    pub split: &'a Split,
    /// Epochs trained.
    pub epochs: usize,
    /// The feature space.
    pub trained: &'a Trained,
    /// The estimation.
    pub estimation: &'a Estimation,
    /// The relevance profile.
    pub relevance: &'a RelevanceStep,
    /// The generated and true patterns of the held-out composition.
    pub curves: &'a Curves,
}

/// Draws Figs. 1, 2, 4, 5 and 6 and writes Table II into `dir`.
pub fn draw(dir: &Path, run: &RunFigures<'_>) -> Result<()> {
    let grid_x = run.data.builtin.grid.positions();
    fig1(dir, run)?;
    fig2(dir, run, &grid_x)?;
    fig4(dir, run)?;
    fig5(dir, run, &grid_x)?;
    fig6(dir, &grid_x, run.curves)?;
    write_atomic(&dir.join("table2.txt"), &table2(&run.estimation.result))
}

/// Fig. 1: the feature space before and after training, test rows hollow.
fn fig1(dir: &Path, run: &RunFigures<'_>) -> Result<()> {
    let data = run.data;
    let test_mark: Vec<bool> = (0..data.x.nrows())
        .map(|i| run.split.test.binary_search(&i).is_ok())
        .collect();
    figures::scatter_panels(
        &dir.join("fig1_feature_space.svg"),
        &[
            ScatterPanel {
                title: "(a) before training (epoch 0)".into(),
                points: run.trained.points_before.clone(),
                group: data.group.clone(),
                hollow: test_mark.clone(),
            },
            ScatterPanel {
                title: format!("(b) after training (epoch {})", run.epochs),
                points: run.trained.points.clone(),
                group: data.group.clone(),
                hollow: test_mark,
            },
        ],
        &data.group_names,
        ("z₁", "z₂"),
    )?;
    Ok(())
}

/// Fig. 2: the first test pattern and its reconstruction.
fn fig2(dir: &Path, run: &RunFigures<'_>, grid_x: &[f64]) -> Result<()> {
    let b = &run.data.builtin;
    let row = run.split.test[0];
    let input: Vec<f64> = run.data.x.row(row).iter().map(|&v| f64::from(v)).collect();
    let output: Vec<f64> = run
        .trained
        .test_reconstruction
        .row(0)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let panel = |title: String, range: Option<(f64, f64)>| LinePanel {
        title,
        x: grid_x.to_vec(),
        curves: vec![
            Curve {
                label: "input".into(),
                y: input.clone(),
                colour: 6,
                offset: 0.0,
            },
            Curve {
                label: "reconstruction".into(),
                y: output.clone(),
                colour: 1,
                offset: 0.0,
            },
        ],
        x_range: range,
    };
    figures::line_panels(
        &dir.join("fig2_reconstruction.svg"),
        &[
            panel(
                format!(
                    "test pattern {} ({}) and its reconstruction",
                    b.config_id[row],
                    formula(b.composition.row(row).as_slice().unwrap_or(&[]))
                ),
                None,
            ),
            panel("detail 10°–20°".into(), Some((10.0, 20.0))),
        ],
        ("2θ (degrees)", "intensity (max 1)"),
    )?;
    Ok(())
}

/// Fig. 4: Ti and Zr painted over the feature space by the estimator.
fn fig4(dir: &Path, run: &RunFigures<'_>) -> Result<()> {
    let grid = PaintGrid::around(
        &run.trained.points,
        0.08,
        PAINT_RESOLUTION,
        PAINT_RESOLUTION,
    )?;
    let painted = run.estimation.estimator.paint(&grid)?;
    let map = |title: &str, component: usize, scale: (f64, f64)| Heatmap {
        title: title.into(),
        x_range: (grid.x_min, grid.x_max),
        y_range: (grid.y_min, grid.y_max),
        values: painted
            .values
            .index_axis(Axis(2), component)
            .indexed_iter()
            .map(|((j, i), &v)| if painted.covered[[j, i]] { v } else { f64::NAN })
            .collect(),
        nx: grid.nx,
        ny: grid.ny,
        scale,
        points: run.estimation.known.clone(),
    };
    figures::heatmaps(
        &dir.join("fig4_concentration_maps.svg"),
        &[
            map("Ti per formula unit (x)", 3, (0.0, 2.0)),
            map("Zr per formula unit (y)", 1, (0.0, 0.5)),
        ],
        ("z₁", "z₂"),
    )?;
    Ok(())
}

/// Fig. 5: Dev(2θ) under the pattern, strong but irrelevant peaks annotated.
fn fig5(dir: &Path, run: &RunFigures<'_>, grid_x: &[f64]) -> Result<()> {
    let b = &run.data.builtin;
    let rel = run.relevance;
    let pattern: Vec<f64> = run
        .data
        .x
        .row(rel.row)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let dev: Vec<f64> = rel.profile.dev().iter().map(|&v| f64::from(v)).collect();
    let notes: Vec<Annotation> = rel
        .report
        .strong_but_irrelevant()
        .iter()
        .map(|p| Annotation {
            x: p.peak.position,
            y: p.peak.height,
            text: p.hkl.first().map_or("strong, irrelevant".into(), hkl_text),
        })
        .collect();
    let title = format!(
        "Dev(2θ) of {} ({}), Δ = 0.03°",
        b.config_id[rel.row],
        formula(b.composition.row(rel.row).as_slice().unwrap_or(&[]))
    );
    relevance_figure(
        &dir.join("fig5_relevance.svg"),
        &RelevancePlot {
            title: &title,
            x: grid_x,
            pattern: &pattern,
            dev_x: &rel.profile.centers(),
            dev: &dev,
            notes: &notes,
            x_range: Some((1.0, 40.0)),
        },
    )?;
    Ok(())
}

/// Fig. 6: the held-out composition generated and true (curves offset).
fn fig6(dir: &Path, x: &[f64], curves: &Curves) -> Result<()> {
    let series: Vec<(&str, &[f64], usize)> = [
        (
            "true patterns (mean)",
            Some(curves.truth_mean.as_slice()),
            6,
        ),
        ("contour decoding", curves.contour.as_deref(), 1),
        ("nearest composition", Some(curves.nearest.as_slice()), 0),
        ("linear blend", Some(curves.blend.as_slice()), 2),
    ]
    .into_iter()
    .filter_map(|(label, y, colour)| y.map(|y| (label, y, colour)))
    .collect();
    let panel = |title: &str, range: Option<(f64, f64)>| LinePanel {
        title: title.into(),
        x: x.to_vec(),
        curves: series
            .iter()
            .enumerate()
            .map(|(i, (label, y, colour))| Curve {
                label: (*label).into(),
                y: y.to_vec(),
                colour: *colour,
                offset: -1.1 * i as f64,
            })
            .collect(),
        x_range: range,
    };
    figures::line_panels(
        &dir.join("fig6_generated.svg"),
        &[
            panel(
                "held-out composition: generated vs true (curves offset)",
                None,
            ),
            panel("detail 10°–20°", Some((10.0, 20.0))),
        ],
        ("2θ (degrees)", "intensity (max 1)"),
    )?;
    Ok(())
}

/// Table II: the worst estimated test compositions.
pub fn table2(result: &EstimationResult) -> String {
    let mut s = String::from(
        "Table II (our data): test compositions estimated from the feature space, worst ten\n\
         True composition               Estimated composition          Error δ     How\n",
    );
    for r in &result.worst {
        s.push_str(&format!(
            "{:<30} {:<30} {:<11.3e} {}{}\n",
            formula(&r.truth),
            formula(&r.estimated),
            r.delta,
            r.kind,
            if r.refused { " (refused)" } else { "" }
        ));
    }
    s
}
