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

/// One point of a series panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// The order value (temperature, time or frame).
    pub x: f64,
    /// The value.
    pub y: f64,
    /// Its estimated standard deviation (0 or non-finite: no bar).
    pub esd: f64,
    /// Drawn with a hollow red circle on top (e.g. a frame whose fit is suspect).
    pub flagged: bool,
}

/// A panel of a series figure: a title (the y-axis quantity, e.g. "weight fraction",
/// "CuO a (Å)", "Rwp") and named series of points.
#[derive(Debug, Clone)]
pub struct SeriesPanel {
    /// The y-axis quantity.
    pub title: String,
    /// Named series of points (the name goes into the legend when there are several).
    pub series: Vec<(String, Vec<SeriesPoint>)>,
}

/// Height of one panel of [`series`] (px); the bottom one has [`SERIES_X_AXIS`] more.
const SERIES_PANEL_HEIGHT: u32 = 220;
/// Extra height of the bottom panel of [`series`] for the x labels (px).
const SERIES_X_AXIS: u32 = 44;

/// Draws panels stacked vertically sharing the x axis (the order value: temperature, time or
/// frame), each series as a line with markers and vertical esd bars (y ± esd; bars with esd 0 or
/// non-finite are skipped), flagged points as hollow red circles on top, a legend per panel when
/// it has more than one series, and `x_label` under the bottom panel. Panels with no finite point
/// are drawn empty with their title; non-finite values are skipped.
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

/// The y range of a series panel: the finite values and their esd bars (the bars reach at most
/// one span of the values beyond them, so one huge esd does not flatten the panel), padded.
fn series_y_range(panel: &SeriesPanel) -> (f64, f64) {
    let pts: Vec<SeriesPoint> = panel
        .series
        .iter()
        .flat_map(|(_, pts)| pts.iter().copied())
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .collect();
    let (ymin, ymax) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
    if !ymin.is_finite() {
        return (0.0, 1.0);
    }
    let scale = ymin.abs().max(ymax.abs());
    let reach = if ymax > ymin {
        ymax - ymin
    } else if scale > 0.0 {
        0.05 * scale
    } else {
        1.0
    };
    let (mut lo, mut hi) = (ymin, ymax);
    for p in pts.iter().filter(|p| p.esd.is_finite() && p.esd > 0.0) {
        lo = lo.min((p.y - p.esd).max(ymin - reach));
        hi = hi.max((p.y + p.esd).min(ymax + reach));
    }
    let pad = if hi > lo {
        0.08 * (hi - lo)
    } else if scale > 0.0 {
        0.05 * scale
    } else {
        1.0
    };
    (lo - pad, hi + pad)
}

fn draw_series_panel(
    path: &Path,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &SeriesPanel,
    (x0, x1): (f64, f64),
    x_label: Option<&str>,
) -> FigResult {
    let (y0, y1) = series_y_range(panel);
    let mut chart = ChartBuilder::on(area)
        .margin_top(10)
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
    let finite = |p: &&SeriesPoint| p.x.is_finite() && p.y.is_finite();
    let bar = |p: &SeriesPoint| p.esd.is_finite() && p.esd > 0.0;
    for (k, (name, pts)) in panel.series.iter().enumerate() {
        let colour = group_colour(k);
        let style = colour.stroke_width(1);
        // Bars clipped to the panel; a cap where the bar ends inside it.
        let bars = pts.iter().filter(finite).filter(|p| bar(p)).map(|p| {
            let lo = (p.y - p.esd).max(y0);
            let hi = (p.y + p.esd).min(y1);
            PathElement::new([(p.x, lo), (p.x, hi)], style)
        });
        chart.draw_series(bars).map_err(err(path))?;
        let ends = pts
            .iter()
            .filter(finite)
            .filter(|p| bar(p))
            .flat_map(|p| [p.y - p.esd, p.y + p.esd].map(|y| (p.x, y)))
            .filter(|(_, y)| *y >= y0 && *y <= y1);
        chart
            .draw_series(
                ends.map(|c| EmptyElement::at(c) + PathElement::new([(-3, 0), (3, 0)], style)),
            )
            .map_err(err(path))?;
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
        for segment in pts.split(|p| !(p.x.is_finite() && p.y.is_finite())) {
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
    let flagged: Vec<(f64, f64)> = panel
        .series
        .iter()
        .flat_map(|(_, pts)| pts)
        .filter(finite)
        .filter(|p| p.flagged)
        .map(|p| (p.x, p.y))
        .collect();
    let several = panel.series.len() > 1;
    if !flagged.is_empty() {
        let flag = RED.stroke_width(2);
        let drawn = chart
            .draw_series(flagged.into_iter().map(|p| Circle::new(p, 6, flag)))
            .map_err(err(path))?;
        if several {
            drawn
                .label("flagged")
                .legend(move |(x, y)| Circle::new((x + 9, y), 5, flag));
        }
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

/// Most rectangles a waterfall's map may take (about 85 bytes of SVG each); beyond it the map is
/// drawn coarser (fewer colour levels, then fewer columns and rows).
const WATERFALL_MAX_RECTS: usize = 16_000;
/// The grids a waterfall's map tries, finest first: (most columns, most rows, colour levels).
const WATERFALL_GRIDS: [(usize, usize, usize); 5] = [
    (800, 400, 32),
    (800, 400, 16),
    (400, 400, 16),
    (400, 200, 8),
    (200, 100, 8),
];
/// Height of one tick row under the waterfall (px).
const WATERFALL_TICK_ROW: u32 = 18;

/// Draws the waterfall: each frame resampled onto up to 800 columns across `two_theta` (the mean
/// of its points in each column, linear interpolation where a column holds none, blank outside
/// the frame), intensity on a square-root scale (shows weak peaks) coloured with [`viridis`] in
/// 32 levels, normalised to the global 99.5th percentile of the frames; y axis "frame" 1..=n
/// (more than 400 frames are averaged in groups); x axis "2θ (°)"; the reflection ticks below;
/// a colour bar in intensity units at the right. Cells of equal colour are merged into one
/// rectangle (runs along 2θ, then equal runs of successive rows), and a map that would still
/// take too many rectangles (noisy frames) is drawn with fewer levels and cells, so the SVG
/// stays small. An empty `frames` gives an empty figure with a note.
pub fn waterfall(path: &Path, plot: &Waterfall) -> FigResult {
    const WIDTH: u32 = 1000;
    const SIDE: u32 = 120;
    const MAP_HEIGHT: u32 = 520;
    const X_AXIS: u32 = 44;
    let rows = plot.ticks.len() as u32;
    let ticks_height = rows * WATERFALL_TICK_ROW + 6 + X_AXIS;
    let root = SVGBackend::new(path, (WIDTH, MAP_HEIGHT + ticks_height)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let n = plot.frames.len();
    if n == 0 {
        draw_note(path, &root, "no frames to draw")?;
        return root.present().map_err(err(path));
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
    let scale = percentile_995(plot, (x0, x1));
    let (chosen, levels) = waterfall_map(plot, (x0, x1), map.plotting_area().dim_in_pixel(), scale);
    let top = (levels - 1).max(1) as f64;
    map.draw_series(chosen.iter().map(|c| {
        Rectangle::new(
            [(c.x.0, c.y.0), (c.x.1, c.y.1)],
            viridis(c.level as f64 / top).filled(),
        )
    }))
    .map_err(err(path))?;
    // Colour bar beside the map, labelled in intensity (square-root scale).
    let (px, py) = map.plotting_area().get_pixel_range();
    let (bar_x, bar_top, bar_bottom) = (px.end + 14, py.start, py.end);
    let step = (bar_bottom - bar_top) as f64 / levels as f64;
    for l in 0..levels {
        let y_hi = bar_bottom - ((l + 1) as f64 * step).round() as i32;
        let y_lo = bar_bottom - (l as f64 * step).round() as i32;
        root.draw(&Rectangle::new(
            [(bar_x, y_hi), (bar_x + 14, y_lo)],
            viridis(l as f64 / top).filled(),
        ))
        .map_err(err(path))?;
    }
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
        root.draw(&Text::new(
            short_number(t * t * scale),
            (bar_x + 21, y),
            label.clone(),
        ))
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
    root.present().map_err(err(path))
}

/// The rectangles of a waterfall's map on the finest of [`WATERFALL_GRIDS`] (at most one cell
/// per pixel of the `(width, height)` plotting area) that takes at most [`WATERFALL_MAX_RECTS`],
/// or on the coarsest one; with the number of colour levels used.
fn waterfall_map(
    plot: &Waterfall,
    range: (f64, f64),
    (width, height): (u32, u32),
    scale: f64,
) -> (Vec<MapCell>, usize) {
    let mut chosen = (Vec::new(), 1);
    for (cols, rows, levels) in WATERFALL_GRIDS {
        let cols = cols.min(width as usize).max(1);
        let rows = rows.min(plot.frames.len()).min(height as usize).max(1);
        chosen = (
            waterfall_cells(plot, range, cols, rows, scale, levels),
            levels,
        );
        if chosen.0.len() <= WATERFALL_MAX_RECTS {
            break;
        }
    }
    chosen
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

/// The 99.5th percentile of the frames' finite intensities inside the range (all of them when
/// none is inside); a positive value (the largest one, or 1, when it is not).
fn percentile_995(plot: &Waterfall, (x0, x1): (f64, f64)) -> f64 {
    let mut values: Vec<f64> = plot
        .frames
        .iter()
        .flatten()
        .filter(|(x, y)| y.is_finite() && *x >= x0 && *x <= x1)
        .map(|p| p.1)
        .collect();
    if values.is_empty() {
        values = plot
            .frames
            .iter()
            .flatten()
            .map(|p| p.1)
            .filter(|y| y.is_finite())
            .collect();
    }
    if values.is_empty() {
        return 1.0;
    }
    let k = ((values.len() - 1) as f64 * 0.995).round() as usize;
    let (_, p, _) = values.select_nth_unstable_by(k, f64::total_cmp);
    let p = *p;
    if p > 0.0 {
        p
    } else {
        let max = values.iter().copied().fold(0.0, f64::max);
        if max > 0.0 { max } else { 1.0 }
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

/// One rectangle of a waterfall's map: a 2θ span, a frame span and a colour level.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MapCell {
    x: (f64, f64),
    y: (f64, f64),
    level: usize,
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

/// The map of a waterfall as merged rectangles: frames resampled onto `cols` columns, averaged
/// into `rows` rows (groups of successive frames), quantised to `levels` colour levels of
/// √(I / scale), runs of equal level along a row merged, then equal runs of successive rows.
fn waterfall_cells(
    plot: &Waterfall,
    (x0, x1): (f64, f64),
    cols: usize,
    rows: usize,
    scale: f64,
    levels: usize,
) -> Vec<MapCell> {
    let n = plot.frames.len();
    let dx = (x1 - x0) / cols as f64;
    let level = |v: f64| -> Option<usize> {
        v.is_finite().then(|| {
            let t = (v.max(0.0) / scale).sqrt().min(1.0);
            ((t * levels as f64) as usize).min(levels - 1)
        })
    };
    let mut cells: Vec<MapCell> = Vec::new();
    // Runs of the previous row still open (column span and level → index in `cells`).
    let mut open: std::collections::HashMap<(usize, usize, usize), usize> = Default::default();
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
        let row: Vec<Option<usize>> = (0..cols)
            .map(|c| {
                if count[c] > 0 {
                    level(sum[c] / count[c] as f64)
                } else {
                    None
                }
            })
            .collect();
        let (y_lo, y_hi) = (a as f64 + 0.5, b as f64 + 0.5);
        let mut next = std::collections::HashMap::new();
        let mut c = 0;
        while c < cols {
            let start = c;
            while c < cols && row[c] == row[start] {
                c += 1;
            }
            let Some(l) = row[start] else { continue };
            let key = (start, c, l);
            let index = match open.get(&key) {
                Some(&i) => {
                    cells[i].y.1 = y_hi;
                    i
                }
                None => {
                    cells.push(MapCell {
                        x: (x0 + start as f64 * dx, x0 + c as f64 * dx),
                        y: (y_lo, y_hi),
                        level: l,
                    });
                    cells.len() - 1
                }
            };
            next.insert(key, index);
        }
        open = next;
    }
    cells
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
            flagged: false,
        }
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
        cuo[5].flagged = true;
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
        a[8].flagged = true;
        let rwp: Vec<SeriesPoint> = xs
            .iter()
            .map(|&x| point(x, 8.0 + (x / 100.0).sin(), f64::NAN))
            .collect();
        let panels = vec![
            SeriesPanel {
                title: "weight fraction".into(),
                series: vec![("CuO".into(), cuo), ("Cu2O".into(), cu2o)],
            },
            SeriesPanel {
                title: "CuO a (Å)".into(),
                series: vec![("CuO".into(), a)],
            },
            SeriesPanel {
                title: "Rwp".into(),
                series: vec![("Rwp".into(), rwp)],
            },
        ];
        let file = dir.path().join("series.svg");
        series(&file, &panels, "T (°C)").unwrap();
        let size = svg_size(&file);
        eprintln!("series.svg: {size} bytes");
        let nan = SeriesPanel {
            title: "nothing".into(),
            series: vec![
                ("x".into(), vec![point(f64::NAN, f64::NAN, f64::NAN); 4]),
                ("y".into(), vec![]),
            ],
        };
        let constant = SeriesPanel {
            title: "constant".into(),
            series: vec![("c".into(), vec![point(1.0, 0.0, 0.0)])],
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
    }

    #[test]
    fn waterfall_cells_cover_the_map_once() {
        let plot = Waterfall {
            two_theta: (10.0, 60.0),
            frames: frames(20, 1200, 0.0),
            ticks: vec![],
        };
        let scale = percentile_995(&plot, (10.0, 60.0));
        let cells = waterfall_cells(&plot, (10.0, 60.0), 100, 20, scale, 32);
        let area: f64 = cells
            .iter()
            .map(|c| (c.x.1 - c.x.0) * (c.y.1 - c.y.0))
            .sum();
        assert!((area - 50.0 * 20.0).abs() < 1e-6, "{area}");
        assert!(cells.iter().all(|c| c.level < 32));
        assert!(cells.iter().any(|c| c.level == 31));
        // Background rows merge: far fewer cells than 100 × 20.
        assert!(cells.len() < 600, "{}", cells.len());
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(2256.0), "2256");
        assert_eq!(short_number(1.25e6), "1.25e6");
    }

    #[test]
    fn waterfall_of_400_frames_stays_small() {
        let dir = tempfile::tempdir().unwrap();
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
            let file = dir.path().join(format!("{name}.svg"));
            waterfall(&file, &plot).unwrap();
            let size = svg_size(&file);
            let scale = percentile_995(&plot, plot.two_theta);
            let (cells, levels) = waterfall_map(&plot, plot.two_theta, (800, 470), scale);
            eprintln!(
                "waterfall.svg (400 × 2500, {name}): {size} bytes, {} rectangles, {levels} levels",
                cells.len()
            );
            assert!(size < 2_000_000, "{name}: {size}");
        }
    }
}
