//! The heat map of a series (`GET /api/series?map=1&width=N`): every frame's measured
//! intensity resampled to `N` columns over the frames' common 2θ range, one row per frame in
//! the series' order. It is of the data, not the fits, so frames not refined yet are in it.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::api::{bench, read_patterns};
use crate::http::{Request, Response};
use crate::server::Shared;

/// Columns of a map when the page gives no width.
const DEFAULT_WIDTH: usize = 800;
/// The columns a page may ask for: fewer say nothing, more than a screen's are wasted.
const WIDTHS: std::ops::RangeInclusive<usize> = 200..=2000;

/// A series' map at one width, kept with the series (its files do not change while it lives).
#[derive(Debug)]
pub(crate) struct SeriesMap {
    width: usize,
    value: Value,
}

/// One frame's first pattern (2θ, intensity), or why it cannot be drawn.
type Read = Result<(Vec<f64>, Vec<f64>), String>;

pub(crate) fn route(shared: &Shared, req: &Request) -> Result<Response, Response> {
    let width = match req.param("width") {
        None => DEFAULT_WIDTH,
        Some(w) => w
            .parse::<usize>()
            .map_err(|_| Response::error(400, format!("width `{w}`: not a number")))?
            .clamp(*WIDTHS.start(), *WIDTHS.end()),
    };
    // The files are read without the lock: a series running meanwhile reports into it.
    let (id, files) = {
        let b = bench(shared);
        let s = b
            .series
            .as_ref()
            .ok_or_else(|| Response::error(404, "no series yet"))?;
        if let Some(m) = s.map.as_ref().filter(|m| m.width == width) {
            return Ok(Response::json(200, &m.value));
        }
        (s.id, s.files.clone())
    };
    let reads: Vec<Read> = files
        .iter()
        .map(|f| match read_patterns(shared, f) {
            Ok(served) => served
                .patterns
                .into_iter()
                .next()
                .map(|p| (p.two_theta().to_vec(), p.intensity().to_vec()))
                .ok_or_else(|| format!("{f}: no pattern")),
            Err(e) => Err(e.message()),
        })
        .collect();
    let value = map_json(id, &files, &reads, width)?;
    let mut b = bench(shared);
    if let Some(s) = b.series.as_mut().filter(|s| s.id == id) {
        s.map = Some(Arc::new(SeriesMap {
            width,
            value: value.clone(),
        }));
    }
    Ok(Response::json(200, &value))
}

fn map_json(id: usize, files: &[String], reads: &[Read], width: usize) -> Result<Value, Response> {
    // The common range, so that every row covers every column.
    let (lo, hi) = reads
        .iter()
        .flatten()
        .filter(|(x, _)| !x.is_empty())
        .fold((f64::NEG_INFINITY, f64::INFINITY), |(lo, hi), (x, _)| {
            (lo.max(x[0]), hi.min(x[x.len() - 1]))
        });
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Err(Response::error(
            400,
            "the frames share no 2θ range (or none reads): no map",
        ));
    }
    let step = (hi - lo) / width as f64;
    let two_theta: Vec<f64> = (0..width).map(|c| lo + (c as f64 + 0.5) * step).collect();
    let mut rows = Vec::with_capacity(reads.len());
    let mut errors = Vec::new();
    for (k, read) in reads.iter().enumerate() {
        match read {
            Ok((x, y)) => rows.push(json!(resample(x, y, lo, hi, width))),
            Err(e) => {
                rows.push(Value::Null);
                errors.push(json!({ "frame": k, "error": e }));
            }
        }
    }
    Ok(json!({
        "id": id,
        "files": files,
        "width": width,
        "range": [lo, hi],
        "two_theta": two_theta,
        "rows": rows,
        "errors": errors,
    }))
}

/// `y` over `width` equal buckets of `[lo, hi]`, each the largest value in it so that no peak
/// is lost (as [`crate::decimate::min_max`] keeps maxima); a bucket narrower than the step
/// holds no point and takes the value interpolated at its centre.
fn resample(x: &[f64], y: &[f64], lo: f64, hi: f64, width: usize) -> Vec<f64> {
    let n = x.len().min(y.len());
    let step = (hi - lo) / width as f64;
    let mut out = vec![f64::NEG_INFINITY; width];
    for i in 0..n {
        if x[i] < lo || x[i] > hi || !y[i].is_finite() {
            continue;
        }
        let c = (((x[i] - lo) / step) as usize).min(width - 1);
        out[c] = out[c].max(y[i]);
    }
    for (c, v) in out.iter_mut().enumerate() {
        if v.is_finite() {
            continue;
        }
        let t = lo + (c as f64 + 0.5) * step;
        let j = x[..n].partition_point(|&xi| xi < t).clamp(1, n.max(2) - 1);
        *v = if n < 2 {
            y.first().copied().unwrap_or(0.0)
        } else {
            let (x0, x1, y0, y1) = (x[j - 1], x[j], y[j - 1], y[j]);
            if x1 > x0 {
                y0 + (y1 - y0) * (t - x0) / (x1 - x0)
            } else {
                y0
            }
        };
        if !v.is_finite() {
            *v = 0.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_their_peak_and_fill_between_points() {
        let x: Vec<f64> = (0..1000).map(|i| 10.0 + i as f64 * 0.01).collect();
        let mut y = vec![1.0; 1000];
        y[503] = 50.0;
        let r = resample(&x, &y, 10.0, 19.99, 200);
        assert_eq!(r.len(), 200);
        assert_eq!(r.iter().copied().fold(0.0, f64::max), 50.0);
        // Fewer points than columns: between two points the line between them.
        let r = resample(&[0.0, 1.0], &[0.0, 10.0], 0.0, 1.0, 200);
        assert!(r.iter().all(|v| v.is_finite() && (0.0..=10.0).contains(v)));
        assert!((r[100] - 5.025).abs() < 1e-9, "{}", r[100]);
    }
}
