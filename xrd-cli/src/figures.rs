//! SVG figures of the `xrd` command and the examples (plotters, SVG backend: no system fonts needed, the viewer renders
//! the text).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

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

/// Draws a [`RietveldPlot`].
pub fn rietveld(path: &Path, plot: &RietveldPlot) -> FigResult {
    let root = SVGBackend::new(path, (1100, 620)).into_drawing_area();
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
