//! The observed lines of a measured pattern: peak positions an indexing can trust, with the
//! background, the noise and the Kα2 partners of stronger lines left out.

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};
use xrd_io::peaks::{PeakParams, find_peaks};
use xrd_io::{Grid, Wavelength};

use crate::{Error, Result};

/// One observed line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Position, degrees 2θ (the maximum, refined by a parabola through its neighbours).
    pub two_theta: f64,
    /// Height above the background, on the pattern's scale.
    pub height: f64,
}

/// Savitzky–Golay weights (quadratic, 9 points), ×231: they smooth the noise of a measured
/// pattern without moving a peak's maximum.
const SMOOTH: [f64; 9] = [-21.0, 14.0, 39.0, 54.0, 59.0, 54.0, 39.0, 14.0, -21.0];

/// The lines of `y` on `grid`, sorted by position: the maxima of the background-free, smoothed
/// pattern that stand at least `relative_height` of its maximum and `noise_multiple` times its
/// noise above the background, at least `min_separation` degrees apart, without the lines that
/// sit at the Kα2 position of a stronger line (when `wavelength` is a doublet).
///
/// The noise is estimated from the point-to-point differences (their median absolute value,
/// scaled to a normal standard deviation), so a smooth pattern's threshold is its relative one.
pub(crate) fn observed_lines(
    y: ArrayView1<'_, f32>,
    grid: &Grid,
    wavelength: Wavelength,
    params: &super::IndexingParams,
) -> Result<Vec<Line>> {
    if y.len() != grid.len() {
        return Err(Error::shape(
            format!("{} points (the grid)", grid.len()),
            format!("{} points", y.len()),
        ));
    }
    if let Some(col) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "pattern",
            row: 0,
            col,
        });
    }
    let n = y.len();
    if n < SMOOTH.len() {
        return Ok(Vec::new());
    }
    let window = (crate::BACKGROUND_WINDOW / grid.step()).round().max(1.0) as usize;
    let z = crate::input::without_background(y, window);
    let noise = xrd_io::noise_sigma(y.iter().copied());
    let mut s = vec![0.0; n];
    for i in 4..n - 4 {
        s[i] = SMOOTH
            .iter()
            .zip(&z[i - 4..=i + 4])
            .map(|(w, v)| w * v)
            .sum::<f64>()
            / 231.0;
    }
    let max = s.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Ok(Vec::new());
    }
    let floor = (params.noise_multiple * noise / max).min(1.0);
    let peak_params = PeakParams::default()
        .relative_height(params.relative_height.max(floor))
        .min_prominence((0.5 * params.relative_height).max(floor))
        .min_separation(params.min_separation);
    let x: Vec<f64> = (0..n).map(|i| grid.x(i)).collect();
    let peaks = find_peaks(&x, &s, &peak_params)?;
    let mut lines: Vec<Line> = peaks
        .iter()
        .map(|p| {
            let i = p.index;
            let (a, b, c) = (s[i - 1], s[i], s[i + 1]);
            let den = a - 2.0 * b + c;
            let off = if den < 0.0 {
                (0.5 * (a - c) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            Line {
                two_theta: x[i] + off * grid.step(),
                height: b,
            }
        })
        .collect();
    // A grid may reach 0° or 180°, where no line can be indexed.
    lines.retain(|l| l.two_theta > 0.0 && l.two_theta < 180.0 && l.height > 0.0);
    if let (Some(l2), ratio) = (wavelength.alpha2(), wavelength.ratio()) {
        drop_alpha2(
            &mut lines,
            wavelength.angstrom(),
            l2,
            ratio,
            params.tolerance,
        );
    }
    Ok(lines)
}

/// Removes the lines within `tolerance` (degrees) of the Kα2 position of a stronger line: a Kα2
/// line is `ratio` of its Kα1 line, so a line there no taller than min(1.6 `ratio`, 0.8) of the
/// stronger one is taken for its partner (the margin covers overlap with the Kα1 tail).
fn drop_alpha2(lines: &mut Vec<Line>, l1: f64, l2: f64, ratio: f64, tolerance: f64) {
    let limit = (1.6 * ratio).min(0.8);
    let mut keep = vec![true; lines.len()];
    for i in 0..lines.len() {
        let s = (0.5 * lines[i].two_theta).to_radians().sin() * l2 / l1;
        if s >= 1.0 {
            continue;
        }
        let partner = 2.0 * s.asin().to_degrees();
        for j in i + 1..lines.len() {
            if (lines[j].two_theta - partner).abs() <= tolerance
                && lines[j].height <= limit * lines[i].height
            {
                keep[j] = false;
            }
        }
    }
    let mut k = keep.iter();
    lines.retain(|_| k.next().copied().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexing::IndexingParams;

    fn gauss(x: f64, c: f64, h: f64) -> f64 {
        h * (-(x - c).powi(2) / (2.0 * 0.03f64.powi(2))).exp()
    }

    #[test]
    fn finds_lines_and_drops_the_alpha2_partners() {
        let grid = Grid::new(20.0, 0.01, 4001).unwrap();
        let w = Wavelength::CU_KA;
        let l2 = w.alpha2().unwrap();
        let partner = |t: f64| {
            2.0 * ((0.5 * t).to_radians().sin() * l2 / w.angstrom())
                .asin()
                .to_degrees()
        };
        let centres = [(25.3, 1.0), (41.77, 0.4), (55.5, 0.2)];
        let y: Vec<f32> = (0..grid.len())
            .map(|i| {
                let x = grid.x(i);
                let mut v = 0.05 + 0.001 * x;
                for &(c, h) in &centres {
                    v += gauss(x, c, h) + gauss(x, partner(c), 0.5 * h);
                }
                v as f32
            })
            .collect();
        let lines = observed_lines(
            ndarray::ArrayView1::from(&y),
            &grid,
            w,
            &IndexingParams::default(),
        )
        .unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        // At 25° the Kα2 tail (0.064° away) pulls the maximum by 0.006°.
        for (l, &(c, _)) in lines.iter().zip(&centres) {
            assert!((l.two_theta - c).abs() < 0.01, "{l:?} vs {c}");
        }
        let single = observed_lines(
            ndarray::ArrayView1::from(&y),
            &grid,
            Wavelength::CU_KA1,
            &IndexingParams::default(),
        )
        .unwrap();
        // Without the doublet the partners stay, but the one 0.064° from 25.3° merges into it
        // (closer than the 0.08° separation).
        assert_eq!(single.len(), 5);
    }

    #[test]
    fn refuses_bad_input() {
        let grid = Grid::new(20.0, 0.01, 100).unwrap();
        let p = IndexingParams::default();
        let short = vec![0.0f32; 99];
        assert!(matches!(
            observed_lines(
                ndarray::ArrayView1::from(&short),
                &grid,
                Wavelength::CU_KA,
                &p
            ),
            Err(Error::ShapeMismatch { .. })
        ));
        let mut nan = vec![0.0f32; 100];
        nan[7] = f32::NAN;
        assert!(matches!(
            observed_lines(
                ndarray::ArrayView1::from(&nan),
                &grid,
                Wavelength::CU_KA,
                &p
            ),
            Err(Error::NonFinite { col: 7, .. })
        ));
    }
}
