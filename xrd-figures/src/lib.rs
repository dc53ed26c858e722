#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Result of drawing a figure; plotters' errors are turned into strings with the file name.
pub type FigResult = Result<(), String>;

fn err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("cannot draw {}: {e}", path.display())
}

/// A categorical colour for group `i` (colour-blind-friendly Okabe–Ito first, then a palette).
pub fn group_colour(i: usize) -> RGBColor {
    const OKABE_ITO: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
        RGBColor(240, 228, 66),
    ];
    if i < OKABE_ITO.len() {
        OKABE_ITO[i]
    } else {
        let c = Palette99::pick(i).to_rgba();
        RGBColor(c.0, c.1, c.2)
    }
}

/// Viridis-like colour for `t` in [0, 1] (piecewise-linear through five anchors of viridis).
pub fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = t * (ANCHORS.len() - 1) as f64;
    let i = (f.floor() as usize).min(ANCHORS.len() - 2);
    let w = f - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * w).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Bounds of a set of points, padded by 5 % (and never degenerate).
pub fn padded_bounds(points: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for p in points {
        for k in 0..2 {
            if p[k].is_finite() {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    for k in 0..2 {
        if !lo[k].is_finite() {
            lo[k] = -1.0;
            hi[k] = 1.0;
        }
        let pad = ((hi[k] - lo[k]) * 0.05).max(1e-6);
        lo[k] -= pad;
        hi[k] += pad;
    }
    ([lo[0], hi[0]], [lo[1], hi[1]])
}

/// One panel of labelled points in a 2-D plane.
#[derive(Debug, Clone)]
pub struct ScatterPanel {
    /// Panel title.
    pub title: String,
    /// The points.
    pub points: Vec<[f64; 2]>,
    /// Group index of each point (colour and legend entry).
    pub group: Vec<usize>,
    /// Hollow marker for these points (e.g. test points).
    pub hollow: Vec<bool>,
}

/// Draws scatter panels side by side, with one legend of `group_names`.
pub fn scatter_panels(
    path: &Path,
    panels: &[ScatterPanel],
    group_names: &[String],
    axis: (&str, &str),
) -> FigResult {
    let n = panels.len().max(1);
    let root = SVGBackend::new(path, (520 * n as u32 + 160, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let (plots, legend) = root.split_horizontally(520 * n as u32);
    let areas = plots.split_evenly((1, n));
    for (panel, area) in panels.iter().zip(areas.iter()) {
        draw_scatter(path, area, panel, axis)?;
    }
    draw_legend(path, &legend, group_names)?;
    root.present().map_err(err(path))
}

fn draw_scatter(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &ScatterPanel,
    axis: (&str, &str),
) -> FigResult {
    let (xr, yr) = padded_bounds(&panel.points);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(xr[0]..xr[1], yr[0]..yr[1])
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc(axis.0)
        .y_desc(axis.1)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err(path))?;
    let marks = panel.points.iter().enumerate().map(|(i, p)| {
        let colour = group_colour(panel.group.get(i).copied().unwrap_or(0));
        let hollow = panel.hollow.get(i).copied().unwrap_or(false);
        let style = if hollow {
            colour.stroke_width(2)
        } else {
            colour.mix(0.85).filled()
        };
        Circle::new((p[0], p[1]), 4, style)
    });
    chart.draw_series(marks).map_err(err(path))?;
    Ok(())
}

fn draw_legend(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    names: &[String],
) -> FigResult {
    for (i, name) in names.iter().enumerate() {
        let y = 40 + 22 * i as i32;
        area.draw(&Circle::new((14, y), 5, group_colour(i).filled()))
            .map_err(err(path))?;
        area.draw(&Text::new(name.clone(), (26, y - 7), ("sans-serif", 13)))
            .map_err(err(path))?;
    }
    Ok(())
}

/// One curve of a line plot.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend label.
    pub label: String,
    /// Values on the shared x axis.
    pub y: Vec<f64>,
    /// Colour index ([`group_colour`]).
    pub colour: usize,
    /// Vertical offset added when drawing (to stack curves).
    pub offset: f64,
}

/// A panel of curves over one x axis.
#[derive(Debug, Clone)]
pub struct LinePanel {
    /// Panel title.
    pub title: String,
    /// Shared x values.
    pub x: Vec<f64>,
    /// The curves.
    pub curves: Vec<Curve>,
    /// Optional x range to show (defaults to all of `x`).
    pub x_range: Option<(f64, f64)>,
}

/// Draws line panels stacked vertically.
pub fn line_panels(path: &Path, panels: &[LinePanel], axis: (&str, &str)) -> FigResult {
    let n = panels.len().max(1);
    let root = SVGBackend::new(path, (1100, 330 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    for (panel, area) in panels.iter().zip(root.split_evenly((n, 1)).iter()) {
        draw_lines(path, area, panel, axis)?;
    }
    root.present().map_err(err(path))
}

fn draw_lines(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &LinePanel,
    axis: (&str, &str),
) -> FigResult {
    let (x0, x1) = panel.x_range.unwrap_or((
        panel.x.first().copied().unwrap_or(0.0),
        panel.x.last().copied().unwrap_or(1.0),
    ));
    let in_range = |x: f64| x >= x0 && x <= x1;
    let mut y0 = f64::INFINITY;
    let mut y1 = f64::NEG_INFINITY;
    for c in &panel.curves {
        for (x, y) in panel.x.iter().zip(&c.y) {
            if in_range(*x) && y.is_finite() {
                y0 = y0.min(y + c.offset);
                y1 = y1.max(y + c.offset);
            }
        }
    }
    if !y0.is_finite() || y1 <= y0 {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = (y1 - y0) * 0.05;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 17))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc(axis.0)
        .y_desc(axis.1)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err(path))?;
    for c in &panel.curves {
        let colour = group_colour(c.colour);
        let pts = panel
            .x
            .iter()
            .zip(&c.y)
            .filter(|(x, y)| in_range(**x) && y.is_finite())
            .map(|(x, y)| (*x, y + c.offset));
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(1)))
            .map_err(err(path))?
            .label(c.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err(path))?;
    Ok(())
}

/// A curve of `(x, y)` points of its own (unlike [`Curve`], which shares the panel's x).
#[derive(Debug, Clone)]
pub struct XyCurve {
    /// Legend label.
    pub label: String,
    /// The points, drawn in order.
    pub points: Vec<(f64, f64)>,
    /// Colour index ([`group_colour`]).
    pub colour: usize,
}

/// Draws curves of their own points in one panel over the given ranges (e.g. accuracy against
/// coverage), each point marked.
pub fn xy_curves(
    path: &Path,
    title: &str,
    curves: &[XyCurve],
    ranges: ((f64, f64), (f64, f64)),
    axis: (&str, &str),
) -> FigResult {
    let root = SVGBackend::new(path, (760, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let ((x0, x1), (y0, y1)) = ranges;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(52)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc(axis.0)
        .y_desc(axis.1)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err(path))?;
    for c in curves {
        let colour = group_colour(c.colour);
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(err(path))?
            .label(c.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
            .map_err(err(path))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(err(path))?;
    root.present().map_err(err(path))
}

/// A painted map over a rectangle, with the known points on top.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Panel title.
    pub title: String,
    /// x range of the painted rectangle.
    pub x_range: (f64, f64),
    /// y range of the painted rectangle.
    pub y_range: (f64, f64),
    /// Values, row-major `ny × nx` (row 0 at `y_range.0`); non-finite cells are left blank.
    pub values: Vec<f64>,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Colour scale (value at 0 and at 1 of the colour map).
    pub scale: (f64, f64),
    /// Known points, drawn as white-edged dots.
    pub points: Vec<[f64; 2]>,
}

/// Draws heat maps side by side with a colour bar each.
pub fn heatmaps(path: &Path, maps: &[Heatmap], axis: (&str, &str)) -> FigResult {
    let n = maps.len().max(1);
    let root = SVGBackend::new(path, (560 * n as u32, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    for (map, area) in maps.iter().zip(root.split_evenly((1, n)).iter()) {
        let (plot, bar) = area.split_horizontally(480);
        draw_heatmap(path, &plot, map, axis)?;
        draw_colour_bar(path, &bar, map.scale)?;
    }
    root.present().map_err(err(path))
}

fn draw_heatmap(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    map: &Heatmap,
    axis: (&str, &str),
) -> FigResult {
    let (x0, x1) = map.x_range;
    let (y0, y1) = map.y_range;
    let mut chart = ChartBuilder::on(area)
        .caption(&map.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc(axis.0)
        .y_desc(axis.1)
        .disable_mesh()
        .draw()
        .map_err(err(path))?;
    let dx = (x1 - x0) / map.nx.max(1) as f64;
    let dy = (y1 - y0) / map.ny.max(1) as f64;
    let span = (map.scale.1 - map.scale.0).max(f64::MIN_POSITIVE);
    let cells = (0..map.ny)
        .flat_map(|j| (0..map.nx).map(move |i| (i, j)))
        .filter_map(|(i, j)| {
            let v = *map.values.get(j * map.nx + i)?;
            v.is_finite().then(|| {
                let (cx, cy) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                Rectangle::new(
                    [(cx, cy), (cx + dx, cy + dy)],
                    viridis((v - map.scale.0) / span).filled(),
                )
            })
        });
    chart.draw_series(cells).map_err(err(path))?;
    let dots = map
        .points
        .iter()
        .map(|p| Circle::new((p[0], p[1]), 3, WHITE.stroke_width(1)));
    chart.draw_series(dots).map_err(err(path))?;
    Ok(())
}

fn draw_colour_bar(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    scale: (f64, f64),
) -> FigResult {
    const STEPS: i32 = 60;
    let (top, bottom) = (60, 440);
    let h = (bottom - top) as f64 / STEPS as f64;
    for s in 0..STEPS {
        let t = s as f64 / (STEPS - 1) as f64;
        let y = bottom - ((s + 1) as f64 * h) as i32;
        area.draw(&Rectangle::new(
            [(10, y), (30, y + h.ceil() as i32)],
            viridis(t).filled(),
        ))
        .map_err(err(path))?;
    }
    for (t, y) in [(scale.1, top), (scale.0, bottom)] {
        area.draw(&Text::new(
            format!("{t:.2}"),
            (34, y - 6),
            ("sans-serif", 12),
        ))
        .map_err(err(path))?;
    }
    Ok(())
}

/// A stick annotation: text placed at (x, y) in data coordinates.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// x (data coordinates).
    pub x: f64,
    /// y (data coordinates).
    pub y: f64,
    /// Text.
    pub text: String,
}

/// A pattern with its relevance profile, the layout of the paper's Fig. 5.
#[derive(Debug, Clone)]
pub struct RelevancePlot<'a> {
    /// Figure title.
    pub title: &'a str,
    /// 2θ of the pattern's points.
    pub x: &'a [f64],
    /// The pattern.
    pub pattern: &'a [f64],
    /// 2θ of the relevance windows (their centres).
    pub dev_x: &'a [f64],
    /// Dev(2θ) of each window.
    pub dev: &'a [f64],
    /// Labels to place (e.g. the strong-but-irrelevant peaks).
    pub notes: &'a [Annotation],
    /// 2θ range to show (default: all).
    pub x_range: Option<(f64, f64)>,
}

/// Draws a pattern (line) with a relevance profile (open circles), both scaled to max 1, and
/// labels at the given annotations.
pub fn relevance_figure(path: &Path, plot: &RelevancePlot<'_>) -> FigResult {
    let RelevancePlot {
        title,
        x,
        pattern,
        dev_x,
        dev,
        notes,
        x_range,
    } = *plot;
    let root = SVGBackend::new(path, (1100, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let (x0, x1) = x_range.unwrap_or((
        x.first().copied().unwrap_or(0.0),
        x.last().copied().unwrap_or(1.0),
    ));
    let max_of = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|a| a.is_finite())
            .fold(0.0, f64::max)
    };
    let (pm, dm) = (max_of(pattern).max(1e-300), max_of(dev).max(1e-300));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(x0..x1, -0.02..1.12)
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc("2θ (degrees)")
        .y_desc("scaled to max 1")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err(path))?;
    let line = x
        .iter()
        .zip(pattern)
        .filter(|(a, _)| **a >= x0 && **a <= x1)
        .map(|(a, b)| (*a, b / pm));
    let c0 = group_colour(6);
    chart
        .draw_series(LineSeries::new(line, c0.stroke_width(1)))
        .map_err(err(path))?
        .label("XRD")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c0.stroke_width(2)));
    let c1 = group_colour(1);
    let circles = dev_x
        .iter()
        .zip(dev)
        .filter(|(a, d)| **a >= x0 && **a <= x1 && **d > 0.0)
        .map(move |(a, d)| Circle::new((*a, d / dm), 3, c1.stroke_width(1)));
    chart
        .draw_series(circles)
        .map_err(err(path))?
        .label("Dev(2θ)")
        .legend(move |(x, y)| Circle::new((x + 9, y), 3, c1.stroke_width(1)));
    for note in notes.iter().filter(|n| n.x >= x0 && n.x <= x1) {
        chart
            .draw_series(std::iter::once(Text::new(
                note.text.clone(),
                (note.x, (note.y / pm + 0.04).min(1.08)),
                ("sans-serif", 12).into_font().color(&RED),
            )))
            .map_err(err(path))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err(path))?;
    root.present().map_err(err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_kind_writes_an_svg() {
        let dir = std::env::temp_dir().join(format!("xrd-fig-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pts = vec![[0.0, 0.0], [1.0, 0.5], [0.3, 0.9]];
        let panel = ScatterPanel {
            title: "t".into(),
            points: pts.clone(),
            group: vec![0, 1, 2],
            hollow: vec![false, true, false],
        };
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        scatter_panels(
            &dir.join("s.svg"),
            &[panel.clone(), panel],
            &names,
            ("z1", "z2"),
        )
        .unwrap();
        let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 3.0).sin().abs()).collect();
        let lp = LinePanel {
            title: "l".into(),
            x: x.clone(),
            curves: vec![Curve {
                label: "y".into(),
                y: y.clone(),
                colour: 0,
                offset: 0.0,
            }],
            x_range: None,
        };
        line_panels(&dir.join("l.svg"), &[lp], ("2θ", "I")).unwrap();
        let hm = Heatmap {
            title: "h".into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            values: vec![0.0, 0.5, f64::NAN, 1.0],
            nx: 2,
            ny: 2,
            scale: (0.0, 1.0),
            points: pts,
        };
        heatmaps(&dir.join("h.svg"), &[hm], ("z1", "z2")).unwrap();
        let notes = [Annotation {
            x: 2.0,
            y: 0.5,
            text: "(0 0 1)".into(),
        }];
        relevance_figure(
            &dir.join("r.svg"),
            &RelevancePlot {
                title: "r",
                x: &x,
                pattern: &y,
                dev_x: &x,
                dev: &y,
                notes: &notes,
                x_range: None,
            },
        )
        .unwrap();
        for f in ["s.svg", "l.svg", "h.svg", "r.svg"] {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            assert!(text.starts_with("<svg") && text.contains("</svg>"), "{f}");
        }
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A Rietveld plot: observed points, calculated line, the difference below, one row of
/// reflection ticks per phase.
#[derive(Debug, Clone)]
pub struct RietveldPlot {
    /// Title.
    pub title: String,
    /// 2θ of the points.
    pub two_theta: Vec<f64>,
    /// Observed counts.
    pub observed: Vec<f64>,
    /// Calculated counts.
    pub calculated: Vec<f64>,
    /// Per phase: its label and its reflections' 2θ.
    pub ticks: Vec<(String, Vec<f64>)>,
    /// Per phase without reflection positions (a measured reference): its label and its
    /// contribution at every point, drawn as a line.
    pub curves: Vec<(String, Vec<f64>)>,
}

impl RietveldPlot {
    /// The plot of a refinement: observed and calculated, each phase's reflections labelled
    /// with its weight fraction, each measured reference's curve on the background.
    pub fn of_refinement(label: &str, fit: &xrd_refine::Refinement) -> Self {
        RietveldPlot {
            title: format!("{label}: Rwp {:.2} %, GoF {:.2}", 100.0 * fit.rwp, fit.gof),
            two_theta: fit.two_theta.clone(),
            observed: fit.observed.clone(),
            calculated: fit.calculated.clone(),
            ticks: fit
                .phases
                .iter()
                .map(|p| {
                    (
                        weighed(&p.name, p.weight_fraction, p.weight_fraction_esd),
                        p.ticks.iter().map(|t| t.0).collect(),
                    )
                })
                .collect(),
            curves: reference_curves(&fit.references, &fit.reference_curves, &fit.background),
        }
    }

    /// The plot of a summation of measured references: each reference's curve on the
    /// background, the amorphous rest in the title when a standard gives it.
    pub fn of_summation(label: &str, q: &xrd_refine::Quantification) -> Self {
        let title = match q.amorphous {
            Some(a) => format!(
                "{label}: Rwp {:.2} %, GoF {:.2}, amorphous {:.1} wt%",
                100.0 * q.rwp,
                q.gof,
                100.0 * a
            ),
            None => format!("{label}: Rwp {:.2} %, GoF {:.2}", 100.0 * q.rwp, q.gof),
        };
        RietveldPlot {
            title,
            two_theta: q.two_theta.clone(),
            observed: q.observed.clone(),
            calculated: q.calculated.clone(),
            ticks: Vec::new(),
            curves: reference_curves(&q.references, &q.curves, &q.background),
        }
    }
}

/// `NAME 12.3 ± 0.4 wt%`.
fn weighed(name: &str, w: f64, esd: f64) -> String {
    format!("{name} {:.1} ± {:.1} wt%", 100.0 * w, 100.0 * esd)
}

/// Each measured reference's curve on the background (a background reference, which carries
/// no weight, left out), labelled with its weight fraction.
fn reference_curves(
    references: &[xrd_refine::ReferenceResult],
    curves: &[Vec<f64>],
    background: &[f64],
) -> Vec<(String, Vec<f64>)> {
    references
        .iter()
        .zip(curves)
        .filter(|(r, _)| !r.background)
        .map(|(r, c)| {
            (
                weighed(&r.id, r.weight_fraction, r.weight_fraction_esd),
                c.iter().zip(background).map(|(v, b)| v + b).collect(),
            )
        })
        .collect()
}

/// Draws a [`RietveldPlot`] into the SVG file `path`.
pub fn rietveld(path: &Path, plot: &RietveldPlot) -> FigResult {
    let svg = rietveld_svg(plot)?;
    xrd_io::write_atomic(path, svg.as_bytes()).map_err(err(path))
}

/// A [`RietveldPlot`] as SVG text (what [`rietveld`] writes).
///
/// # Errors
/// plotters' errors, as text.
pub fn rietveld_svg(plot: &RietveldPlot) -> Result<String, String> {
    let mut svg = String::new();
    draw_rietveld(&mut svg, plot)?;
    Ok(svg)
}

fn draw_rietveld(svg: &mut String, plot: &RietveldPlot) -> FigResult {
    let path = Path::new("rietveld.svg");
    let root = SVGBackend::with_string(svg, (1100, 620)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let x0 = plot.two_theta.first().copied().unwrap_or(0.0);
    let x1 = plot.two_theta.last().copied().unwrap_or(1.0).max(x0 + 1e-9);
    let top = plot
        .observed
        .iter()
        .chain(&plot.calculated)
        .copied()
        .fold(0.0, f64::max)
        .max(1e-9);
    let diff: Vec<f64> = plot
        .observed
        .iter()
        .zip(&plot.calculated)
        .map(|(o, c)| o - c)
        .collect();
    let span = diff.iter().fold(0.0f64, |m, d| m.max(d.abs())).max(1e-9);
    // The difference curve sits below zero, the tick rows between it and the pattern.
    let rows = plot.ticks.len() as f64;
    let tick_row = 0.04 * top;
    let diff_zero = -(rows + 1.0) * tick_row - span;
    let bottom = diff_zero - span;
    let mut chart = ChartBuilder::on(&root)
        .caption(&plot.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, bottom..top * 1.05)
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc("2θ (°)")
        .y_desc("counts")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err(path))?;
    let pts = |y: &[f64], offset: f64| -> Vec<(f64, f64)> {
        plot.two_theta
            .iter()
            .zip(y)
            .map(|(&x, &v)| (x, v + offset))
            .collect()
    };
    chart
        .draw_series(
            pts(&plot.observed, 0.0)
                .into_iter()
                .map(|p| Circle::new(p, 1, BLACK.mix(0.6).filled())),
        )
        .map_err(err(path))?
        .label("observed")
        .legend(|(x, y)| Circle::new((x + 9, y), 3, BLACK.filled()));
    let red = RGBColor(213, 94, 0);
    chart
        .draw_series(LineSeries::new(
            pts(&plot.calculated, 0.0),
            red.stroke_width(1),
        ))
        .map_err(err(path))?
        .label("calculated")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], red.stroke_width(2)));
    let blue = RGBColor(0, 114, 178);
    chart
        .draw_series(LineSeries::new(pts(&diff, diff_zero), blue.stroke_width(1)))
        .map_err(err(path))?
        .label("observed − calculated")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], blue.stroke_width(2)));
    // Colours 0 and 1 are the difference's and the calculated curve's.
    for (k, (label, ticks)) in plot.ticks.iter().enumerate() {
        let colour = group_colour(k + 2);
        let y = -(k as f64 + 1.0) * tick_row;
        chart
            .draw_series(ticks.iter().map(|&t| {
                PathElement::new(
                    [(t, y - 0.35 * tick_row), (t, y + 0.35 * tick_row)],
                    colour.stroke_width(1),
                )
            }))
            .map_err(err(path))?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new([(x + 9, y - 5), (x + 9, y + 5)], colour.stroke_width(2))
            });
    }
    for (k, (label, curve)) in plot.curves.iter().enumerate() {
        let colour = group_colour(plot.ticks.len() + k + 2);
        chart
            .draw_series(LineSeries::new(pts(curve, 0.0), colour.stroke_width(1)))
            .map_err(err(path))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err(path))?;
    root.present().map_err(err(path))
}

/// How strongly a point of a series panel asks to be looked at ([`series`] draws the levels
/// differently, so a ring means "look here").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    /// Nothing to look at.
    #[default]
    None,
    /// Worth knowing, not alarming (a parameter at a bound, a phase appearing): a short dark
    /// red tick at the bottom of the panel under the point.
    Minor,
    /// Look here (an Rwp outlier, a jump the chain made): a red ring around the point.
    Major,
}

/// One point of a series panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// The order value (temperature, time or frame).
    pub x: f64,
    /// The value.
    pub y: f64,
    /// Its estimated standard deviation (0 or non-finite: no band).
    pub esd: f64,
    /// How strongly the point asks to be looked at.
    pub flag: Severity,
}

/// A panel of a series figure: a title (the y-axis quantity, e.g. "weight fraction",
/// "CuO a (Å)", "Rwp") and named series of points, one point a frame.
#[derive(Debug, Clone, Default)]
pub struct SeriesPanel {
    /// The y-axis quantity.
    pub title: String,
    /// Named series of points (the name goes into the legend when there are several).
    pub series: Vec<(String, Vec<SeriesPoint>)>,
    /// What the panel's flags say (e.g. "at_bound(U)"), quoted in the note written when a flag
    /// is on most of a series' frames; empty: the note gives the count only.
    pub flag_reason: String,
    /// The goodness of fit the esds were multiplied by (e.g. the frames' median), when they
    /// were: above [`ESD_GOF_NOTE`] the panel says "esds × GoF 13", since such esds measure the
    /// misfit more than the precision.
    pub esd_gof: Option<f64>,
}

/// GoF above which a panel whose esds were multiplied by it says so.
pub const ESD_GOF_NOTE: f64 = 2.0;
/// Height of one panel of [`series`] (px); the bottom one has [`SERIES_X_AXIS`] more.
const SERIES_PANEL_HEIGHT: u32 = 220;
/// Extra height of the bottom panel of [`series`] for the x labels (px).
const SERIES_X_AXIS: u32 = 44;
/// Colour of the ticks of [`Severity::Minor`] flags: a dark red, of the rings' family but
/// quieter, and unlike any series line.
const MINOR_FLAG: RGBColor = RGBColor(160, 0, 0);

/// Draws panels stacked vertically sharing the x axis (the order value: temperature, time or
/// frame), each series as a line with markers inside a translucent esd band (y ± esd, clipped to
/// the panel; the values alone set the y range, so one large esd cannot flatten the trend), a
/// legend per panel when it has more than one series, and `x_label` under the bottom panel.
///
/// Flags are ranked: a [`Severity::Major`] point gets a red ring, a [`Severity::Minor`] one a
/// dark red tick at the bottom of the panel. A flag level on more than half of a series' finite
/// points says nothing frame by frame: it is not drawn on each point but stated once in the
/// panel's note ("flagged on 184 of 190 frames: at_bound(U)", with
/// [`SeriesPanel::flag_reason`]), and only the points flagged above it are marked. The note
/// also says "esds × GoF 13" when [`SeriesPanel::esd_gof`] exceeds [`ESD_GOF_NOTE`]. Panels with
/// no finite point are drawn empty with their title; non-finite values are skipped.
pub fn series(path: &Path, panels: &[SeriesPanel], x_label: &str) -> FigResult {
    let n = panels.len().max(1);
    let root = SVGBackend::new(path, (900, SERIES_PANEL_HEIGHT * n as u32 + SERIES_X_AXIS))
        .into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    if panels.is_empty() {
        draw_note(path, &root, "no series to draw")?;
        return root.present().map_err(err(path));
    }
    let x_range = series_x_range(panels);
    let mut rest = root.clone();
    for (k, panel) in panels.iter().enumerate() {
        let bottom = k + 1 == panels.len();
        let area = if bottom {
            rest.clone()
        } else {
            let (top, below) = rest.split_vertically(SERIES_PANEL_HEIGHT);
            rest = below;
            top
        };
        draw_series_panel(path, &area, panel, x_range, bottom.then_some(x_label))?;
    }
    root.present().map_err(err(path))
}

/// A centred grey note on an otherwise empty area.
fn draw_note(path: &Path, area: &DrawingArea<SVGBackend<'_>, Shift>, note: &str) -> FigResult {
    let (w, h) = area.dim_in_pixel();
    let grey = BLACK.mix(0.6);
    let style = TextStyle::from(("sans-serif", 16).into_font())
        .color(&grey)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        note.to_string(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))
    .map_err(err(path))
}

/// The shared x range of a series figure: all finite x, padded by 3 % (±1 around a single value).
fn series_x_range(panels: &[SeriesPanel]) -> (f64, f64) {
    let xs = panels
        .iter()
        .flat_map(|p| &p.series)
        .flat_map(|(_, pts)| pts)
        .map(|p| p.x)
        .filter(|x| x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi > lo {
        let pad = (hi - lo) * 0.03;
        (lo - pad, hi + pad)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

/// The y range of a series panel: its finite values, padded (the esds do not widen it: bands
/// inflated by a poor fit would flatten the trend).
fn series_y_range(panel: &SeriesPanel) -> (f64, f64) {
    let (ymin, ymax) = panel
        .series
        .iter()
        .flat_map(|(_, pts)| pts)
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
    if !ymin.is_finite() {
        return (0.0, 1.0);
    }
    let scale = ymin.abs().max(ymax.abs());
    let pad = if ymax > ymin {
        0.08 * (ymax - ymin)
    } else if scale > 0.0 {
        0.05 * scale
    } else {
        1.0
    };
    (ymin - pad, ymax + pad)
}

fn is_finite_point(p: &SeriesPoint) -> bool {
    p.x.is_finite() && p.y.is_finite()
}

/// The flag level on more than half of a series' finite points ([`Severity::None`] when none
/// is), with the number of points flagged at it or above: such flags are stated once, not drawn.
fn common_flag(pts: &[SeriesPoint]) -> (Severity, usize) {
    let finite: Vec<&SeriesPoint> = pts.iter().filter(|p| is_finite_point(p)).collect();
    let mut common = (Severity::None, 0);
    for level in [Severity::Minor, Severity::Major] {
        let n = finite.iter().filter(|p| p.flag >= level).count();
        if 2 * n > finite.len() {
            common = (level, n);
        }
    }
    common
}

/// The notes of a series panel: a flag on most frames of a series, esds inflated by a poor fit.
fn panel_notes(panel: &SeriesPanel) -> Vec<String> {
    let mut notes = Vec::new();
    // The series whose common flag covers the most points speaks for the panel.
    let most = panel
        .series
        .iter()
        .map(|(_, pts)| {
            let (level, n) = common_flag(pts);
            (level, n, pts.iter().filter(|p| is_finite_point(p)).count())
        })
        .filter(|(level, ..)| *level > Severity::None)
        .max_by_key(|&(_, n, _)| n);
    if let Some((_, n, of)) = most {
        let mut note = format!("flagged on {n} of {of} frames");
        if !panel.flag_reason.is_empty() {
            note += ": ";
            note += &panel.flag_reason;
        }
        notes.push(note);
    }
    if let Some(gof) = panel.esd_gof.filter(|g| *g > ESD_GOF_NOTE) {
        notes.push(format!("esds × GoF {}", short_number(gof)));
    }
    notes
}

/// The esd band of a series: one translucent polygon per run of successive points with an esd
/// (a thin bar for a lone one), clipped to the panel's `(y0, y1)`.
fn esd_bands(pts: &[SeriesPoint], (y0, y1): (f64, f64), colour: RGBColor) -> Vec<DynElement> {
    let has_band = |p: &SeriesPoint| is_finite_point(p) && p.esd.is_finite() && p.esd > 0.0;
    let clip = |y: f64| y.clamp(y0, y1);
    pts.split(|p| !has_band(p))
        .filter(|run| !run.is_empty())
        .map(|run| {
            if let [p] = run {
                let bar = [(p.x, clip(p.y - p.esd)), (p.x, clip(p.y + p.esd))];
                DynElement::Bar(PathElement::new(bar, colour.mix(0.5).stroke_width(1)))
            } else {
                let upper = run.iter().map(|p| (p.x, clip(p.y + p.esd)));
                let lower = run.iter().rev().map(|p| (p.x, clip(p.y - p.esd)));
                let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
                DynElement::Band(Polygon::new(outline, colour.mix(0.2).filled()))
            }
        })
        .collect()
}

/// An esd band or, for a lone point, its bar.
enum DynElement {
    Band(Polygon<(f64, f64)>),
    Bar(PathElement<(f64, f64)>),
}

fn draw_series_panel(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &SeriesPanel,
    (x0, x1): (f64, f64),
    x_label: Option<&str>,
) -> FigResult {
    let (y0, y1) = series_y_range(panel);
    let notes = panel_notes(panel);
    let mut chart = ChartBuilder::on(area)
        .margin_top(if notes.is_empty() { 10 } else { 20 })
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(4)
        .x_label_area_size(if x_label.is_some() { SERIES_X_AXIS } else { 8 })
        .y_label_area_size(84)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err(path))?;
    let no_label = |_: &f64| String::new();
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .axis_style(BLACK)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .y_labels(5)
        .y_desc(panel.title.as_str());
    match x_label {
        Some(label) => mesh.x_desc(label),
        None => mesh.x_label_formatter(&no_label),
    };
    mesh.draw().map_err(err(path))?;
    let finite = |p: &&SeriesPoint| is_finite_point(p);
    for (k, (name, pts)) in panel.series.iter().enumerate() {
        let colour = group_colour(k);
        for element in esd_bands(pts, (y0, y1), colour) {
            match element {
                DynElement::Band(e) => chart.draw_series(std::iter::once(e)),
                DynElement::Bar(e) => chart.draw_series(std::iter::once(e)),
            }
            .map_err(err(path))?;
        }
        // The legend entry, then the line broken where a value is missing.
        chart
            .draw_series(LineSeries::new(std::iter::empty(), colour.stroke_width(2)))
            .map_err(err(path))?
            .label(name.clone())
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (18, 0)], colour.stroke_width(2))
                    + Circle::new((9, 0), 3, colour.filled())
            });
        for segment in pts.split(|p| !is_finite_point(p)) {
            let line = segment.iter().map(|p| (p.x, p.y));
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(2)))
                .map_err(err(path))?;
        }
        let marks = pts
            .iter()
            .filter(finite)
            .map(|p| Circle::new((p.x, p.y), 3, colour.filled()));
        chart.draw_series(marks).map_err(err(path))?;
    }
    // Flags above each series' common level, the minor ones as ticks under the points.
    let marked = |level: Severity| -> Vec<(f64, f64)> {
        panel
            .series
            .iter()
            .flat_map(|(_, pts)| {
                let (common, _) = common_flag(pts);
                pts.iter()
                    .filter(finite)
                    .filter(move |p| p.flag == level && level > common)
                    .map(|p| (p.x, p.y))
            })
            .collect()
    };
    let several = panel.series.len() > 1;
    let (minor, major) = (marked(Severity::Minor), marked(Severity::Major));
    if !minor.is_empty() {
        let tick = MINOR_FLAG.stroke_width(2);
        let height = 0.06 * (y1 - y0);
        let drawn = chart
            .draw_series(
                minor
                    .into_iter()
                    .map(|(x, _)| PathElement::new([(x, y0), (x, y0 + height)], tick)),
            )
            .map_err(err(path))?;
        if several {
            drawn
                .label("minor flag")
                .legend(move |(x, y)| PathElement::new([(x + 9, y - 5), (x + 9, y + 5)], tick));
        }
    }
    if !major.is_empty() {
        let ring = RED.stroke_width(2);
        let drawn = chart
            .draw_series(major.into_iter().map(|p| Circle::new(p, 6, ring)))
            .map_err(err(path))?;
        if several {
            drawn
                .label("flagged")
                .legend(move |(x, y)| Circle::new((x + 9, y), 5, ring));
        }
    }
    if !notes.is_empty() {
        // Above the plotting area, right-aligned: never over the data or the legend.
        let (px, py) = chart.plotting_area().get_pixel_range();
        let (ax, ay) = area.get_base_pixel();
        let grey = BLACK.mix(0.75);
        let style = TextStyle::from(("sans-serif", 12).into_font())
            .color(&grey)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        area.draw(&Text::new(
            notes.join("; "),
            (px.end - ax, py.start - ay - 3),
            style,
        ))
        .map_err(err(path))?;
    }
    if several {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(legend_corner(panel, (x0, x1), (y0, y1)))
            .draw()
            .map_err(err(path))?;
    }
    Ok(())
}

/// The corner of a series panel holding the fewest points (upper right on a tie), for its legend.
fn legend_corner(
    panel: &SeriesPanel,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> SeriesLabelPosition {
    let mut counts = [0usize; 4];
    for p in panel.series.iter().flat_map(|(_, pts)| pts) {
        let (u, v) = ((p.x - x0) / (x1 - x0), (p.y - y0) / (y1 - y0));
        if !(u.is_finite() && v.is_finite()) {
            continue;
        }
        let corner = match (u > 0.55, u < 0.45, v > 0.55, v < 0.45) {
            (true, _, true, _) => 0,
            (_, true, true, _) => 1,
            (true, _, _, true) => 2,
            (_, true, _, true) => 3,
            _ => continue,
        };
        counts[corner] += 1;
    }
    match (0..4).min_by_key(|&k| counts[k]).unwrap_or(0) {
        0 => SeriesLabelPosition::UpperRight,
        1 => SeriesLabelPosition::UpperLeft,
        2 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::LowerLeft,
    }
}

/// The frames of a series as a heat map: 2θ across, frame number up.
#[derive(Debug, Clone)]
pub struct Waterfall {
    /// 2θ range shown.
    pub two_theta: (f64, f64),
    /// Each frame's (2θ, intensity) points, in the series' order.
    pub frames: Vec<Vec<(f64, f64)>>,
    /// Reflection positions (2θ) per phase, with the phase's name, drawn as tick rows under the
    /// map (one row of short vertical ticks per phase, colour [`group_colour`]`(i)`, labelled).
    pub ticks: Vec<(String, Vec<f64>)>,
}

/// Most rows of a waterfall's map: more frames are averaged in groups of successive frames.
const WATERFALL_MAX_ROWS: usize = 400;
/// Height of one tick row under the waterfall (px).
const WATERFALL_TICK_ROW: u32 = 18;
/// Colour levels of a waterfall's map (palette entries 1..=255; entry 0 is "no data").
const WATERFALL_LEVELS: usize = 255;

/// Draws the waterfall into the SVG file `path` (see [`waterfall_svg`]).
pub fn waterfall(path: &Path, plot: &Waterfall) -> FigResult {
    let svg = waterfall_svg(plot)?;
    xrd_io::write_atomic(path, svg.as_bytes()).map_err(err(path))
}

/// The waterfall as SVG text: each frame resampled onto one column per pixel across
/// `two_theta` (the mean of its points in each column, linear interpolation where a column holds
/// none, blank outside the frame), more than 400 frames averaged in groups; y axis "frame"
/// 1..=n, x axis "2θ (°)", the reflection ticks below and a colour bar in intensity units at the
/// right.
///
/// The map is one PNG image inside the SVG (no seams between cells, and a size that does not
/// grow with the noise), coloured with [`viridis`] on a square-root scale (shows weak peaks).
/// The top of the scale is robust to one strong line: the 99.5th percentile of the map once
/// each row's strongest line is left out (its maximum and both flanks, down to 1 % of its
/// height above the row's median), so a line 100× stronger than the rest saturates instead of
/// turning every other line dark; the colour bar's top label then reads "≥ …". An empty
/// `frames` gives an empty figure with a note.
///
/// # Errors
/// plotters' or the PNG encoder's errors, as text.
pub fn waterfall_svg(plot: &Waterfall) -> Result<String, String> {
    let mut svg = String::new();
    let images = draw_waterfall(&mut svg, plot)?;
    Ok(with_images(svg, &images))
}

/// A raster to place in an SVG: its pixel rectangle and its PNG bytes.
struct Raster {
    x: i32,
    y: i32,
    width: i32,
    height: i32,
    png: Vec<u8>,
}

/// `svg` with `images` placed right after its first element (the white background that
/// `fill(&WHITE)` draws first), so under everything else: plotters' SVG backend has no images.
fn with_images(mut svg: String, images: &[Raster]) -> String {
    use base64::Engine;
    let Some(at) = svg.find("/>\n").map(|i| i + 3) else {
        return svg;
    };
    let elements: String = images
        .iter()
        .map(|r| {
            format!(
                "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" \
                 style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>\n",
                r.x,
                r.y,
                r.width,
                r.height,
                base64::engine::general_purpose::STANDARD.encode(&r.png)
            )
        })
        .collect();
    svg.insert_str(at, &elements);
    svg
}

fn draw_waterfall(svg: &mut String, plot: &Waterfall) -> Result<Vec<Raster>, String> {
    const WIDTH: u32 = 1000;
    const SIDE: u32 = 120;
    const MAP_HEIGHT: u32 = 520;
    const X_AXIS: u32 = 44;
    let path = Path::new("waterfall.svg");
    let rows = plot.ticks.len() as u32;
    let ticks_height = rows * WATERFALL_TICK_ROW + 6 + X_AXIS;
    let root = SVGBackend::with_string(svg, (WIDTH, MAP_HEIGHT + ticks_height)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let n = plot.frames.len();
    if n == 0 {
        draw_note(path, &root, "no frames to draw")?;
        root.present().map_err(err(path))?;
        return Ok(Vec::new());
    }
    let (x0, x1) = waterfall_range(plot);
    let (main, _) = root.split_horizontally(WIDTH - SIDE);
    let (map_area, tick_area) = main.split_vertically(MAP_HEIGHT);
    let mut map = ChartBuilder::on(&map_area)
        .margin_top(28)
        .margin_left(10)
        .margin_right(10)
        .x_label_area_size(6)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, 0.5..n as f64 + 0.5)
        .map_err(err(path))?;
    let no_label = |_: &f64| String::new();
    let frame_label = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round())
        } else {
            String::new()
        }
    };
    map.configure_mesh()
        .disable_mesh()
        .axis_style(BLACK)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&no_label)
        .y_label_formatter(&frame_label)
        .y_desc("frame")
        .draw()
        .map_err(err(path))?;
    // The map: one pixel column per column of the plotting area, one row per frame (or group).
    let (px, py) = map.plotting_area().get_pixel_range();
    let cols = (px.end - px.start).max(1) as usize;
    let grid_rows = n
        .min(WATERFALL_MAX_ROWS)
        .min((py.end - py.start).max(1) as usize);
    let grid = waterfall_grid(plot, (x0, x1), cols, grid_rows);
    let scale = waterfall_scale(&grid, cols);
    let clipped = grid.iter().any(|v| *v > scale);
    // Image rows run top down: the last frames first.
    let pixels: Vec<u8> = (0..grid_rows)
        .rev()
        .flat_map(|r| grid[r * cols..(r + 1) * cols].iter())
        .map(|&v| colour_index(v, scale))
        .collect();
    let palette = waterfall_palette();
    let mut images = vec![Raster {
        x: px.start,
        y: py.start,
        width: px.end - px.start,
        height: py.end - py.start,
        png: indexed_png(cols as u32, grid_rows as u32, &palette, &pixels)?,
    }];
    // Colour bar beside the map, labelled in intensity (square-root scale).
    let (bar_x, bar_top, bar_bottom) = (px.end + 14, py.start, py.end);
    let bar: Vec<u8> = (1..=WATERFALL_LEVELS as u8).rev().collect();
    images.push(Raster {
        x: bar_x,
        y: bar_top,
        width: 14,
        height: bar_bottom - bar_top,
        png: indexed_png(1, WATERFALL_LEVELS as u32, &palette, &bar)?,
    });
    root.draw(&Rectangle::new(
        [(bar_x, bar_top), (bar_x + 14, bar_bottom)],
        BLACK.stroke_width(1),
    ))
    .map_err(err(path))?;
    let label =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for t in [0.0, 0.5, 1.0] {
        let y = bar_bottom - (t * (bar_bottom - bar_top) as f64).round() as i32;
        root.draw(&PathElement::new(
            [(bar_x + 14, y), (bar_x + 18, y)],
            BLACK.stroke_width(1),
        ))
        .map_err(err(path))?;
        let value = short_number(t * t * scale);
        let text = if t == 1.0 && clipped {
            format!("≥ {value}")
        } else {
            value
        };
        root.draw(&Text::new(text, (bar_x + 21, y), label.clone()))
            .map_err(err(path))?;
    }
    let title =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
    root.draw(&Text::new("I (√ scale)", (bar_x - 4, bar_top - 10), title))
        .map_err(err(path))?;
    // Tick rows, first phase on top, the 2θ axis under them.
    let mut ticks = ChartBuilder::on(&tick_area)
        .margin_top(6)
        .margin_left(10)
        .margin_right(10)
        .x_label_area_size(X_AXIS)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, 0.0..(rows.max(1) as f64))
        .map_err(err(path))?;
    ticks
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .axis_style(BLACK)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .x_desc("2θ (°)")
        .draw()
        .map_err(err(path))?;
    for (k, (name, positions)) in plot.ticks.iter().enumerate() {
        let colour = group_colour(k);
        let y = rows as f64 - k as f64 - 0.5;
        // One tick per pixel column: dense reflection lists stay small.
        let mut seen = std::collections::BTreeSet::new();
        let marks = positions
            .iter()
            .copied()
            .filter(|t| t.is_finite() && *t >= x0 && *t <= x1)
            .filter(|t| seen.insert(ticks.backend_coord(&(*t, y)).0))
            .map(|t| PathElement::new([(t, y - 0.35), (t, y + 0.35)], colour.stroke_width(1)))
            .collect::<Vec<_>>();
        ticks.draw_series(marks).map_err(err(path))?;
        let (lx, ly) = ticks.backend_coord(&(x1, y));
        let style = TextStyle::from(("sans-serif", 12).into_font())
            .color(&colour)
            .pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(name.clone(), (lx + 14, ly), style))
            .map_err(err(path))?;
    }
    root.present().map_err(err(path))?;
    Ok(images)
}

/// The 2θ range of a waterfall: the given one when finite and not empty, else the frames'.
fn waterfall_range(plot: &Waterfall) -> (f64, f64) {
    let (a, b) = plot.two_theta;
    if a.is_finite() && b.is_finite() && a != b {
        return (a.min(b), a.max(b));
    }
    let (lo, hi) = plot
        .frames
        .iter()
        .flatten()
        .map(|p| p.0)
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 1.0, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// A compact label for an intensity (3 significant digits, exponent outside 0.01..100000).
fn short_number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if !(1e-2..1e5).contains(&v.abs()) {
        format!("{v:.2e}")
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        let text = format!("{v:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    }
}

/// A frame resampled onto `cols` columns across `(x0, x1)`: the mean of its points in each
/// column, linear interpolation at a column's centre when it holds none, NaN outside the frame.
fn resample(frame: &[(f64, f64)], (x0, x1): (f64, f64), cols: usize) -> Vec<f64> {
    let mut pts: Vec<(f64, f64)> = frame
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let dx = (x1 - x0) / cols as f64;
    let mut sum = vec![0.0; cols];
    let mut count = vec![0usize; cols];
    for &(x, y) in &pts {
        if x >= x0 && x <= x1 {
            let c = (((x - x0) / dx) as usize).min(cols - 1);
            sum[c] += y;
            count[c] += 1;
        }
    }
    (0..cols)
        .map(|c| {
            if count[c] > 0 {
                return sum[c] / count[c] as f64;
            }
            let t = x0 + (c as f64 + 0.5) * dx;
            let i = pts.partition_point(|p| p.0 < t);
            if i == 0 || i == pts.len() {
                return f64::NAN;
            }
            let ((xa, ya), (xb, yb)) = (pts[i - 1], pts[i]);
            if xb > xa {
                ya + (yb - ya) * (t - xa) / (xb - xa)
            } else {
                ya
            }
        })
        .collect()
}

/// The frames of a waterfall on a grid: each resampled onto `cols` columns across `(x0, x1)`,
/// successive frames averaged into `rows` rows; row-major, row 0 the first frames, NaN where no
/// frame has data.
fn waterfall_grid(plot: &Waterfall, (x0, x1): (f64, f64), cols: usize, rows: usize) -> Vec<f64> {
    let n = plot.frames.len();
    let mut grid = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        let (a, b) = (r * n / rows, (r + 1) * n / rows);
        let mut sum = vec![0.0; cols];
        let mut count = vec![0usize; cols];
        for frame in &plot.frames[a..b] {
            for (c, v) in resample(frame, (x0, x1), cols).into_iter().enumerate() {
                if v.is_finite() {
                    sum[c] += v;
                    count[c] += 1;
                }
            }
        }
        grid.extend(
            sum.iter()
                .zip(&count)
                .map(|(s, &k)| if k > 0 { s / k as f64 } else { f64::NAN }),
        );
    }
    grid
}

/// The top of a waterfall's colour scale (see [`waterfall_svg`]): the 99.5th percentile of the
/// grid's finite values once each row's strongest line is left out (its maximum and both flanks
/// while they stay above 1 % of its height over the row's median); positive (the largest
/// value, or 1, when the percentile is not).
fn waterfall_scale(grid: &[f64], cols: usize) -> f64 {
    let mut kept: Vec<f64> = Vec::with_capacity(grid.len());
    for row in grid.chunks(cols.max(1)) {
        let mut finite: Vec<f64> = row.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            continue;
        }
        let mid = finite.len() / 2;
        let median = *finite.select_nth_unstable_by(mid, f64::total_cmp).1;
        let Some((peak, top)) = row
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            continue;
        };
        let floor = median + 0.01 * (top - median);
        let above = |c: usize| row[c].is_finite() && row[c] > floor;
        let mut lo = peak;
        while lo > 0 && above(lo - 1) {
            lo -= 1;
        }
        let mut hi = peak;
        while hi + 1 < row.len() && above(hi + 1) {
            hi += 1;
        }
        kept.extend(
            row.iter()
                .enumerate()
                .filter(|&(c, v)| v.is_finite() && !(lo..=hi).contains(&c))
                .map(|(_, v)| *v),
        );
    }
    let largest = grid
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if kept.is_empty() {
        return if largest > 0.0 { largest } else { 1.0 };
    }
    let k = ((kept.len() - 1) as f64 * 0.995).round() as usize;
    let p = *kept.select_nth_unstable_by(k, f64::total_cmp).1;
    if p > 0.0 {
        p
    } else if largest > 0.0 {
        largest
    } else {
        1.0
    }
}

/// The palette entry of an intensity: 0 (transparent) for no data, else 1 + the level of
/// √(I / scale) on [`WATERFALL_LEVELS`] levels (clipped at the top).
fn colour_index(v: f64, scale: f64) -> u8 {
    if !v.is_finite() {
        return 0;
    }
    let t = (v.max(0.0) / scale).sqrt().min(1.0);
    1 + (t * (WATERFALL_LEVELS - 1) as f64).round() as u8
}

/// The waterfall's palette: entry 0 for no data (white, made transparent), then [`viridis`].
fn waterfall_palette() -> Vec<[u8; 3]> {
    std::iter::once([255, 255, 255])
        .chain((0..WATERFALL_LEVELS).map(|l| {
            let c = viridis(l as f64 / (WATERFALL_LEVELS - 1) as f64);
            [c.0, c.1, c.2]
        }))
        .collect()
}

/// An indexed-colour PNG (8 bits a pixel, palette entry 0 transparent) of `width × height`
/// pixels, rows top first. Written by hand (five chunks) on flate2, which the workspace has,
/// rather than adding an image crate for it.
fn indexed_png(
    width: u32,
    height: u32,
    palette: &[[u8; 3]],
    pixels: &[u8],
) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let w = width as usize;
    if pixels.len() != w * height as usize || palette.is_empty() || palette.len() > 256 {
        return Err(format!(
            "cannot encode a {width} × {height} image of {} pixels and {} colours",
            pixels.len(),
            palette.len()
        ));
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    // Bit depth 8, colour type 3 (indexed), deflate, adaptive filtering, no interlace.
    ihdr.extend([8, 3, 0, 0, 0]);
    // Each row: filter type 0 (none: indexed images compress best unfiltered), then its pixels.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for row in pixels.chunks(w.max(1)) {
        z.write_all(&[0])
            .and_then(|()| z.write_all(row))
            .map_err(|e| format!("cannot encode an image: {e}"))?;
    }
    let idat = z
        .finish()
        .map_err(|e| format!("cannot encode an image: {e}"))?;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"PLTE", palette.concat().as_slice());
    png_chunk(&mut png, b"tRNS", &[0]);
    png_chunk(&mut png, b"IDAT", &idat);
    png_chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

/// One PNG chunk: length, type, data and the CRC-32 of type and data.
fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    png.extend(kind);
    png.extend(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend(crc.sum().to_be_bytes());
}

#[cfg(test)]
mod series_tests {
    use super::*;

    fn svg_size(path: &Path) -> usize {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with("<svg") && text.contains("</svg>"));
        text.len()
    }

    fn point(x: f64, y: f64, esd: f64) -> SeriesPoint {
        SeriesPoint {
            x,
            y,
            esd,
            flag: Severity::None,
        }
    }

    /// The red rings of a series figure (major flags, their legend entry included).
    fn rings(svg: &str) -> usize {
        svg.matches("fill=\"none\" stroke=\"#FF0000\"").count()
    }

    /// The dark red ticks of minor flags (their legend entry included).
    fn minor_ticks(svg: &str) -> usize {
        svg.matches("stroke=\"#A00000\"").count()
    }

    fn one_panel(pts: Vec<SeriesPoint>, reason: &str, gof: Option<f64>) -> String {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("series.svg");
        let panel = SeriesPanel {
            title: "CuO a (Å)".into(),
            series: vec![("CuO a".into(), pts)],
            flag_reason: reason.into(),
            esd_gof: gof,
        };
        series(&file, &[panel], "frame").unwrap();
        std::fs::read_to_string(&file).unwrap()
    }

    /// Frames of two Gaussian peaks moving with the frame number, on `points` steps over 10..60°,
    /// with a deterministic ±`noise` relative jitter.
    fn frames(n: usize, points: usize, noise: f64) -> Vec<Vec<(f64, f64)>> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..n)
            .map(|f| {
                let shift = 2.0 * f as f64 / n as f64;
                (0..points)
                    .map(|i| {
                        let x = 10.0 + 50.0 * i as f64 / (points - 1) as f64;
                        let g = |c: f64, w: f64, h: f64| h * (-((x - c) / w).powi(2) / 2.0).exp();
                        let y = 50.0 + g(25.0 + shift, 0.1, 5000.0) + g(41.0 - shift, 0.15, 800.0);
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                        (x, y * (1.0 + noise * (2.0 * u - 1.0)))
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn series_figure_with_esds_flags_and_empty_panels() {
        let dir = tempfile::tempdir().unwrap();
        let xs: Vec<f64> = (0..12).map(|i| 25.0 + 50.0 * i as f64).collect();
        let mut cuo: Vec<SeriesPoint> = xs
            .iter()
            .map(|&x| point(x, 0.3 + x / 2000.0, 0.01))
            .collect();
        cuo[5].flag = Severity::Major;
        cuo[6].flag = Severity::Minor;
        let cu2o: Vec<SeriesPoint> = xs
            .iter()
            .map(|&x| point(x, 0.7 - x / 2000.0, 0.0))
            .collect();
        let mut a: Vec<SeriesPoint> = xs
            .iter()
            .map(|&x| point(x, 4.68 + 1e-5 * x, 2e-4))
            .collect();
        a[3].y = f64::NAN;
        a[4].esd = f64::INFINITY;
        a[7].esd = 50.0;
        a[8].flag = Severity::Major;
        let rwp: Vec<SeriesPoint> = xs
            .iter()
            .map(|&x| point(x, 8.0 + (x / 100.0).sin(), f64::NAN))
            .collect();
        let panels = vec![
            SeriesPanel {
                title: "weight fraction".into(),
                series: vec![("CuO".into(), cuo), ("Cu2O".into(), cu2o)],
                ..Default::default()
            },
            SeriesPanel {
                title: "CuO a (Å)".into(),
                series: vec![("CuO".into(), a)],
                ..Default::default()
            },
            SeriesPanel {
                title: "Rwp".into(),
                series: vec![("Rwp".into(), rwp)],
                ..Default::default()
            },
        ];
        let file = dir.path().join("series.svg");
        series(&file, &panels, "T (°C)").unwrap();
        let size = svg_size(&file);
        eprintln!("series.svg: {size} bytes");
        let svg = std::fs::read_to_string(&file).unwrap();
        // Two major points and the legend's ring of the two-series panel; one minor tick and its
        // legend entry.
        assert_eq!(rings(&svg), 3);
        assert_eq!(minor_ticks(&svg), 2);
        // The 50 Å esd is clipped to the panel: the values set the y range.
        assert!(series_y_range(&panels[1]).1 < 4.7);
        let nan = SeriesPanel {
            title: "nothing".into(),
            series: vec![
                ("x".into(), vec![point(f64::NAN, f64::NAN, f64::NAN); 4]),
                ("y".into(), vec![]),
            ],
            ..Default::default()
        };
        let constant = SeriesPanel {
            title: "constant".into(),
            series: vec![("c".into(), vec![point(1.0, 0.0, 0.0)])],
            ..Default::default()
        };
        series(
            &dir.path().join("nan.svg"),
            &[nan.clone(), constant],
            "frame",
        )
        .unwrap();
        series(&dir.path().join("only-nan.svg"), &[nan], "frame").unwrap();
        series(&dir.path().join("none.svg"), &[], "frame").unwrap();
        for f in ["nan.svg", "only-nan.svg", "none.svg"] {
            assert!(svg_size(&dir.path().join(f)) > 0, "{f}");
        }
    }

    #[test]
    fn a_flag_on_every_frame_is_said_once() {
        let pts: Vec<SeriesPoint> = (0..100)
            .map(|i| SeriesPoint {
                flag: Severity::Major,
                ..point(i as f64, 4.0 + 1e-4 * i as f64, 1e-5)
            })
            .collect();
        let svg = one_panel(pts.clone(), "at_bound(U)", None);
        assert_eq!(rings(&svg), 0);
        assert!(svg.contains("flagged on 100 of 100 frames: at_bound(U)"));
        // Minor on every frame, major on three: the three are ringed, the rest said once.
        let mut mixed: Vec<SeriesPoint> = pts
            .iter()
            .map(|p| SeriesPoint {
                flag: Severity::Minor,
                ..*p
            })
            .collect();
        for i in [10, 50, 90] {
            mixed[i].flag = Severity::Major;
        }
        let svg = one_panel(mixed, "at_bound(U)", None);
        assert_eq!((rings(&svg), minor_ticks(&svg)), (3, 0));
        assert!(svg.contains("flagged on 100 of 100 frames: at_bound(U)"));
    }

    #[test]
    fn a_flag_on_3_frames_of_100_gives_3_rings() {
        let mut pts: Vec<SeriesPoint> = (0..100)
            .map(|i| point(i as f64, 4.0 + 1e-4 * i as f64, 1e-5))
            .collect();
        for i in [7, 40, 77] {
            pts[i].flag = Severity::Major;
        }
        pts[60].flag = Severity::Minor;
        let svg = one_panel(pts, "", None);
        assert_eq!((rings(&svg), minor_ticks(&svg)), (3, 1));
        assert!(!svg.contains("flagged on"));
    }

    #[test]
    fn esds_inflated_by_a_poor_fit_are_said_so() {
        // Esds ten times the trend's span: drawn as one band, the y range kept on the values.
        let pts: Vec<SeriesPoint> = (0..50)
            .map(|i| point(i as f64, 4.0 + 1e-4 * i as f64, 0.05))
            .collect();
        let svg = one_panel(pts.clone(), "", Some(13.2));
        assert!(svg.contains("esds × GoF 13.2"), "no GoF note");
        assert_eq!(svg.matches("<polygon").count(), 1);
        let panel = SeriesPanel {
            series: vec![("a".into(), pts.clone())],
            ..Default::default()
        };
        let (lo, hi) = series_y_range(&panel);
        assert!(lo > 3.99 && hi < 4.01, "{lo} {hi}");
        // A fit close to 1 needs no note.
        assert!(!one_panel(pts, "", Some(1.1)).contains("GoF"));
    }

    #[test]
    fn waterfall_of_moving_peaks() {
        let dir = tempfile::tempdir().unwrap();
        let plot = Waterfall {
            two_theta: (10.0, 60.0),
            frames: frames(20, 1200, 0.0),
            ticks: vec![
                ("CuO".into(), vec![25.0, 35.5, 38.7, 48.7, 58.3, 61.0]),
                (
                    "Cu2O".into(),
                    (0..2000).map(|i| 10.0 + i as f64 * 0.025).collect(),
                ),
            ],
        };
        let file = dir.path().join("waterfall.svg");
        waterfall(&file, &plot).unwrap();
        eprintln!("waterfall.svg (20 frames): {} bytes", svg_size(&file));
        let empty = Waterfall {
            two_theta: (10.0, 60.0),
            frames: vec![],
            ticks: vec![("CuO".into(), vec![25.0])],
        };
        waterfall(&dir.path().join("empty.svg"), &empty).unwrap();
        assert!(svg_size(&dir.path().join("empty.svg")) > 0);
        let odd = Waterfall {
            two_theta: (f64::NAN, f64::NAN),
            frames: vec![
                vec![],
                vec![(20.0, f64::NAN)],
                vec![(20.0, 1.0), (21.0, 2.0)],
            ],
            ticks: vec![],
        };
        waterfall(&dir.path().join("odd.svg"), &odd).unwrap();
        assert!(svg_size(&dir.path().join("odd.svg")) > 0);
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(2256.0), "2256");
        assert_eq!(short_number(1.25e6), "1.25e6");
    }

    #[test]
    fn waterfall_is_one_image_not_rectangles() {
        let plot = Waterfall {
            two_theta: (10.0, 60.0),
            frames: frames(40, 1200, 0.05),
            ticks: vec![("CuO".into(), vec![25.0, 35.5])],
        };
        let svg = waterfall_svg(&plot).unwrap();
        // The map and the colour bar, each one PNG; a handful of rectangles (background, frames).
        assert_eq!(svg.matches("<image").count(), 2);
        assert_eq!(svg.matches("href=\"data:image/png;base64,").count(), 2);
        assert!(
            svg.matches("<rect").count() < 10,
            "{}",
            svg.matches("<rect").count()
        );
        // The map's PNG decodes as a PNG: signature, then IHDR of one column per pixel, 40 rows.
        use base64::Engine;
        let start = svg.find("base64,").unwrap() + 7;
        let end = start + svg[start..].find('"').unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(&svg[start..end])
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!(height, 40);
        // The image sits under the axes: right after the background.
        assert!(svg.find("<image").unwrap() < svg.find("<line").unwrap_or(usize::MAX));
        assert!(svg.find("<image").unwrap() < svg.find("<text").unwrap());
    }

    #[test]
    fn one_strong_line_does_not_set_the_colour_scale() {
        // A weak line every 5°, one line 100× stronger; background 10.
        let frame: Vec<(f64, f64)> = (0..2500)
            .map(|i| {
                let x = 10.0 + 50.0 * i as f64 / 2499.0;
                let g = |c: f64, h: f64| h * (-((x - c) / 0.08).powi(2) / 2.0).exp();
                let weak: f64 = (0..10).map(|k| g(12.5 + 5.0 * k as f64, 100.0)).sum();
                (x, 10.0 + weak + g(31.0, 10_000.0))
            })
            .collect();
        let plot = Waterfall {
            two_theta: (10.0, 60.0),
            frames: vec![frame; 30],
            ticks: vec![],
        };
        let grid = waterfall_grid(&plot, (10.0, 60.0), 800, 30);
        let scale = waterfall_scale(&grid, 800);
        let strong = grid.iter().copied().fold(0.0, f64::max);
        assert!(
            scale < 0.05 * strong,
            "scale {scale} against a line of {strong}"
        );
        // The weak lines' tops reach the upper part of the colour map.
        let weak_top = grid[..800]
            .iter()
            .enumerate()
            .filter(|(c, _)| (*c as f64 * 50.0 / 800.0 + 10.0 - 31.0).abs() > 1.0)
            .map(|(_, v)| *v)
            .fold(0.0, f64::max);
        assert!(colour_index(weak_top, scale) > 200, "{scale} {weak_top}");
        assert!(waterfall_svg(&plot).unwrap().contains("≥ "));
    }

    #[test]
    fn waterfall_of_400_frames_stays_small() {
        let ticks = vec![(
            "CuO".into(),
            (0..400).map(|i| 10.0 + i as f64 * 0.125).collect(),
        )];
        for (name, noise) in [("smooth", 0.0), ("noisy", 0.1), ("very-noisy", 0.8)] {
            let plot = Waterfall {
                two_theta: (10.0, 60.0),
                frames: frames(400, 2500, noise),
                ticks: ticks.clone(),
            };
            let size = waterfall_svg(&plot).unwrap().len();
            eprintln!("waterfall.svg (400 × 2500, {name}): {size} bytes");
            assert!(size < 1_000_000, "{name}: {size}");
        }
    }
}
