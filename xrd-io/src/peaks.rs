//! Peak finding (height, prominence and separation thresholds; position, height, FWHM, area) and
//! the DeepXRD (Dong et al. 2022, section 2.5) post-processing: peak merging, peak alignment and
//! the peak match percentage.
//!
//! ```
//! use xrd_io::peaks::{find_peaks, merge_peaks, peak_match_percentage, PeakParams, DEEPXRD_WINDOW};
//! let x: Vec<f64> = (0..2000).map(|i| 10.0 + i as f64 * 0.02).collect();
//! let gauss = |c: f64, h: f64| move |t: f64| h * (-(t - c).powi(2) / (2.0 * 0.05f64.powi(2))).exp();
//! let y: Vec<f64> = x.iter().map(|&t| gauss(20.0, 100.0)(t) + gauss(35.0, 30.0)(t)).collect();
//! let peaks = find_peaks(&x, &y, &PeakParams::default())?;
//! assert_eq!(peaks.len(), 2);
//! assert!((peaks[0].position - 20.0).abs() < 1e-9);
//! assert!((peaks[0].fwhm - 2.3548 * 0.05).abs() < 1e-3);
//! let merged = merge_peaks(&peaks, DEEPXRD_WINDOW)?;
//! assert_eq!(peak_match_percentage(&merged, &peaks, DEEPXRD_WINDOW)?, 1.0);
//! # Ok::<(), xrd_io::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Float, Location, Result};

/// The DeepXRD window for merging and aligning peaks: 2° 2θ.
pub const DEEPXRD_WINDOW: f64 = 2.0;

/// Peak-finding thresholds (builder; defaults documented on each setter).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakParams {
    relative_height: f64,
    min_prominence: f64,
    min_separation: f64,
}

impl Default for PeakParams {
    fn default() -> Self {
        PeakParams {
            relative_height: 0.1,
            min_prominence: 0.0,
            min_separation: 0.0,
        }
    }
}

crate::param_guard!(Error => PeakParams);

impl PeakParams {
    crate::setters! {
        /// Minimum peak height as a fraction of the pattern's maximum, in [0, 1]. Default 0.1 (the
        /// DeepXRD threshold of 10 cps on patterns scaled to 100).
        relative_height, get_relative_height: f64;

        /// Minimum prominence (height above the higher of the two minima separating the peak from
        /// taller neighbours or the ends) as a fraction of the maximum, in [0, 1]. Default 0.
        min_prominence, get_min_prominence: f64;

        /// Minimum distance between two peaks in degrees 2θ; of two closer peaks the taller is
        /// kept. Default 0 (no constraint).
        min_separation, get_min_separation: f64;
    }

    /// Validates the thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a fraction outside [0, 1] or a negative or non-finite
    /// separation.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("relative_height", self.relative_height),
            ("min_prominence", self.min_prominence),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::param(
                    name,
                    crate::error::reason(v.to_string(), "a fraction in [0, 1]"),
                ));
            }
        }
        if !(self.min_separation.is_finite() && self.min_separation >= 0.0) {
            return Err(Error::param(
                "min_separation",
                crate::error::reason(
                    self.min_separation.to_string(),
                    "a finite distance ≥ 0 degrees",
                ),
            ));
        }
        Ok(())
    }
}

/// A peak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    /// Index of the maximum in the input (the middle of a flat top).
    pub index: usize,
    /// 2θ of the maximum (degrees).
    pub position: f64,
    /// Intensity at the maximum.
    pub height: f64,
    /// Height above the higher of the two bases (see [`PeakParams::min_prominence`]).
    pub prominence: f64,
    /// Full width (degrees) at half prominence, i.e. at `height − prominence/2`, with linear
    /// interpolation of the crossings.
    pub fwhm: f64,
    /// Integrated intensity above the base level `height − prominence`, over the peak ± one FWHM
    /// beyond its half-height crossings (bounded by the bases); degrees × intensity.
    pub area: f64,
}

/// Finds the peaks of `intensity` sampled at `two_theta` (strictly increasing, degrees), sorted by
/// position. Edge points are never peaks; an all-non-positive pattern has none.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad `params`; [`Error::ShapeMismatch`];
/// [`Error::NonFinite`] and [`Error::NonMonotonic`] for bad input values.
pub fn find_peaks<F: Float>(
    two_theta: &[f64],
    intensity: &[F],
    params: &PeakParams,
) -> Result<Vec<Peak>> {
    params.check()?;
    if two_theta.len() != intensity.len() {
        return Err(Error::shape(
            "intensities per 2θ position",
            two_theta.len(),
            intensity.len(),
        ));
    }
    let y: Vec<f64> = intensity.iter().map(|v| v.as_f64()).collect();
    for (what, xs) in [("2θ", two_theta), ("intensity", &y[..])] {
        if let Some(i) = xs.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                file: crate::error::NO_FILE.into(),
                at: Location::Point(i),
                what,
                value: xs[i],
            });
        }
    }
    if let Some(i) = two_theta.windows(2).position(|w| w[1] <= w[0]) {
        return Err(Error::NonMonotonic {
            file: crate::error::NO_FILE.into(),
            at: Location::Point(i + 1),
            previous: two_theta[i],
            value: two_theta[i + 1],
        });
    }
    let max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if y.len() < 3 || max <= 0.0 {
        return Ok(Vec::new());
    }
    let min_height = params.relative_height * max;
    let min_prominence = params.min_prominence * max;

    let mut found = Vec::new();
    for (first, last) in local_maxima(&y) {
        let i = (first + last) / 2;
        if y[i] < min_height {
            continue;
        }
        let (left_base, right_base) = bases(&y, first, last);
        let prominence = y[i] - y[left_base].max(y[right_base]);
        if prominence < min_prominence {
            continue;
        }
        found.push(describe(
            two_theta, &y, i, prominence, left_base, right_base,
        ));
    }
    if params.min_separation > 0.0 {
        found = enforce_separation(found, params.min_separation);
    }
    Ok(found)
}

/// Maximal runs `first..=last` of equal values higher than both neighbours (interior only).
fn local_maxima(y: &[f64]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 1;
    while i + 1 < y.len() {
        if y[i - 1] < y[i] {
            let mut k = i;
            while k + 1 < y.len() && y[k + 1] == y[i] {
                k += 1;
            }
            if k + 1 < y.len() && y[k + 1] < y[k] {
                out.push((i, k));
            }
            i = k + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Indices of the minima on each side of the flat top `first..=last`, searching until a higher
/// point or the end.
fn bases(y: &[f64], first: usize, last: usize) -> (usize, usize) {
    let h = y[first];
    let mut left = first;
    let mut j = first;
    while j > 0 && y[j - 1] <= h {
        j -= 1;
        if y[j] < y[left] {
            left = j;
        }
    }
    let mut right = last;
    let mut j = last;
    while j + 1 < y.len() && y[j + 1] <= h {
        j += 1;
        if y[j] < y[right] {
            right = j;
        }
    }
    (left, right)
}

fn describe(
    x: &[f64],
    y: &[f64],
    i: usize,
    prominence: f64,
    left_base: usize,
    right_base: usize,
) -> Peak {
    let half = y[i] - prominence / 2.0;
    let crossing = |mut j: usize, toward_left: bool| -> f64 {
        // Walk from the maximum until the signal drops below half height, then interpolate.
        loop {
            let next = if toward_left {
                j.checked_sub(1)
            } else {
                Some(j + 1).filter(|&k| k < y.len())
            };
            match next {
                Some(k) if (toward_left && k >= left_base) || (!toward_left && k <= right_base) => {
                    if y[k] < half {
                        return x[k] + (half - y[k]) / (y[j] - y[k]) * (x[j] - x[k]);
                    }
                    j = k;
                }
                _ => return x[j],
            }
        }
    };
    let (lx, rx) = (crossing(i, true), crossing(i, false));
    let fwhm = rx - lx;
    let base = y[i] - prominence;
    let (from, to) = (lx - fwhm, rx + fwhm);
    let mut area = 0.0;
    for k in left_base..right_base {
        if x[k] >= from && x[k + 1] <= to {
            area += 0.5 * (x[k + 1] - x[k]) * ((y[k] - base).max(0.0) + (y[k + 1] - base).max(0.0));
        }
    }
    Peak {
        index: i,
        position: x[i],
        height: y[i],
        prominence,
        fwhm,
        area,
    }
}

fn enforce_separation(peaks: Vec<Peak>, min_separation: f64) -> Vec<Peak> {
    let mut by_height: Vec<usize> = (0..peaks.len()).collect();
    by_height.sort_by(|&a, &b| peaks[b].height.total_cmp(&peaks[a].height).then(a.cmp(&b)));
    let mut keep = vec![false; peaks.len()];
    let mut kept: Vec<f64> = Vec::new();
    for k in by_height {
        if kept
            .iter()
            .all(|&p| (p - peaks[k].position).abs() >= min_separation)
        {
            keep[k] = true;
            kept.push(peaks[k].position);
        }
    }
    peaks
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

fn check_window(window: f64) -> Result<()> {
    if window.is_finite() && window > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            "window",
            crate::error::reason(window.to_string(), "a finite width > 0 degrees"),
        ))
    }
}

/// DeepXRD peak merging: peaks closer than `window` degrees to their neighbour (chained) count as
/// one peak placed at the middle of the group (halfway between its first and last positions), with
/// the group's largest height, prominence and FWHM of its tallest member and the summed area.
/// The output is sorted by position.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `window` is finite and positive.
pub fn merge_peaks(peaks: &[Peak], window: f64) -> Result<Vec<Peak>> {
    check_window(window)?;
    let mut sorted = peaks.to_vec();
    sorted.sort_by(|a, b| a.position.total_cmp(&b.position));
    let mut out: Vec<Peak> = Vec::new();
    let mut group: Vec<Peak> = Vec::new();
    let flush = |group: &mut Vec<Peak>, out: &mut Vec<Peak>| {
        if let (Some(first), Some(last)) = (group.first(), group.last()) {
            let tallest = group
                .iter()
                .copied()
                .fold(*first, |a, b| if b.height > a.height { b } else { a });
            out.push(Peak {
                position: 0.5 * (first.position + last.position),
                area: group.iter().map(|p| p.area).sum(),
                prominence: group
                    .iter()
                    .map(|p| p.prominence)
                    .fold(f64::NEG_INFINITY, f64::max),
                ..tallest
            });
        }
        group.clear();
    };
    for p in sorted {
        if group
            .last()
            .is_some_and(|q| p.position - q.position >= window)
        {
            flush(&mut group, &mut out);
        }
        group.push(p);
    }
    flush(&mut group, &mut out);
    Ok(out)
}

/// DeepXRD peak alignment: for each true peak, the index in `predicted` of the tallest predicted
/// peak within `window` degrees (inclusive), or `None`. A predicted peak may serve several true
/// peaks, as in the paper.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `window` is finite and positive.
pub fn align_peaks(predicted: &[Peak], truth: &[Peak], window: f64) -> Result<Vec<Option<usize>>> {
    check_window(window)?;
    Ok(truth
        .iter()
        .map(|t| {
            predicted
                .iter()
                .enumerate()
                .filter(|(_, p)| (p.position - t.position).abs() <= window)
                .max_by(|(_, a), (_, b)| a.height.total_cmp(&b.height))
                .map(|(k, _)| k)
        })
        .collect())
}

/// DeepXRD peak match percentage: the fraction (0–1, as the paper's tables report it) of true
/// peaks that have a predicted peak within `window` degrees after [`align_peaks`].
///
/// # Errors
/// [`Error::InvalidParameter`] for a bad window; [`Error::Degenerate`] when `truth` is empty.
pub fn peak_match_percentage(predicted: &[Peak], truth: &[Peak], window: f64) -> Result<f64> {
    if truth.is_empty() {
        check_window(window)?;
        return Err(Error::Degenerate {
            what: "peak match percentage",
            reason: "there are no true peaks".into(),
        });
    }
    let aligned = align_peaks(predicted, truth, window)?;
    Ok(aligned.iter().filter(|a| a.is_some()).count() as f64 / truth.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::refused;

    const SIGMA: f64 = 0.08;
    /// FWHM of a Gaussian over its standard deviation, 2√(2 ln 2).
    const FWHM_PER_SIGMA: f64 = 2.354_820_045;

    fn gaussian(x: &[f64], peaks: &[(f64, f64)], background: f64) -> Vec<f64> {
        x.iter()
            .map(|&t| {
                background
                    + peaks
                        .iter()
                        .map(|&(c, h)| h * (-(t - c).powi(2) / (2.0 * SIGMA * SIGMA)).exp())
                        .sum::<f64>()
            })
            .collect()
    }

    fn axis() -> Vec<f64> {
        (0..4000).map(|i| 10.0 + i as f64 * 0.01).collect()
    }

    fn peak(position: f64, height: f64) -> Peak {
        Peak {
            index: 0,
            position,
            height,
            prominence: height,
            fwhm: 0.1,
            area: height * 0.1,
        }
    }

    #[test]
    fn gaussian_peaks_position_width_area() {
        let x = axis();
        let y = gaussian(&x, &[(20.0, 100.0), (30.0, 50.0), (40.0, 5.0)], 10.0);
        let peaks = find_peaks(&x, &y, &PeakParams::default()).unwrap();
        assert_eq!(peaks.len(), 3, "{peaks:?}");
        let p = peaks[0];
        assert!((p.position - 20.0).abs() < 1e-9);
        assert!((p.height - 110.0).abs() < 1e-6);
        assert!((p.prominence - 100.0).abs() < 1e-6);
        assert!((p.fwhm - FWHM_PER_SIGMA * SIGMA).abs() < 2e-3, "{}", p.fwhm);
        let area = 100.0 * SIGMA * (2.0 * std::f64::consts::PI).sqrt();
        assert!((p.area - area).abs() / area < 5e-3, "{} vs {area}", p.area);
        // Relative height 0.2 of 110: the 15-high third peak goes.
        let strict = find_peaks(&x, &y, &PeakParams::default().relative_height(0.2)).unwrap();
        assert_eq!(strict.len(), 2);
        // Prominence 0.1 of 110 = 11: the third peak (prominence 5) goes.
        let prom = find_peaks(
            &x,
            &y,
            &PeakParams::default()
                .relative_height(0.0)
                .min_prominence(0.1),
        )
        .unwrap();
        assert_eq!(
            prom.iter().map(|p| p.position).collect::<Vec<_>>(),
            vec![20.0, 30.0]
        );
        // Separation 15°: 30 is within 15 of the taller 20; 40 is 20 away from 20 but 10 from 30 (dropped).
        let sep = find_peaks(&x, &y, &PeakParams::default().min_separation(15.0)).unwrap();
        assert_eq!(
            sep.iter().map(|p| p.position).collect::<Vec<_>>(),
            vec![20.0, 40.0]
        );
    }

    #[test]
    fn plateaus_edges_and_flat_signals() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let p = find_peaks(&x, &[0.0, 1.0, 3.0, 3.0, 3.0, 0.0], &PeakParams::default()).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].index, 3);
        assert!(
            find_peaks(&x, &[5.0, 4.0, 3.0, 2.0, 1.0, 0.0], &PeakParams::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            find_peaks(&x, &[0.0; 6], &PeakParams::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            find_peaks(&x, &[1.0f32; 6], &PeakParams::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn invalid_inputs_are_errors() {
        for bad in [
            PeakParams::default().relative_height(1.5),
            PeakParams::default().relative_height(f64::NAN),
            PeakParams::default().min_prominence(-0.1),
            PeakParams::default().min_separation(-1.0),
            PeakParams::default().min_separation(f64::INFINITY),
        ] {
            assert!(
                matches!(bad.check(), Err(Error::InvalidParameter(_))),
                "{bad:?}"
            );
        }
        let p = PeakParams::default();
        assert!(matches!(
            find_peaks(&[1.0, 2.0], &[1.0], &p),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            find_peaks(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 0.0], &p),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            find_peaks(&[1.0, 3.0, 2.0], &[1.0, 2.0, 0.0], &p),
            Err(Error::NonMonotonic { .. })
        ));
        assert_eq!(refused(merge_peaks(&[], 0.0)), "window");
        assert_eq!(refused(align_peaks(&[], &[], f64::NAN)), "window");
        assert!(matches!(
            peak_match_percentage(&[], &[], 2.0),
            Err(Error::Degenerate { .. })
        ));
    }

    #[test]
    fn deepxrd_merging_alignment_and_match() {
        let peaks = [
            peak(10.0, 5.0),
            peak(11.5, 8.0),
            peak(13.0, 2.0),
            peak(20.0, 9.0),
            peak(30.0, 1.0),
        ];
        let merged = merge_peaks(&peaks, DEEPXRD_WINDOW).unwrap();
        // 10, 11.5 and 13 chain (gaps 1.5 < 2) → one peak at 11.5 with height 8.
        assert_eq!(
            merged
                .iter()
                .map(|p| (p.position, p.height))
                .collect::<Vec<_>>(),
            vec![(11.5, 8.0), (20.0, 9.0), (30.0, 1.0)]
        );
        assert!((merged[0].area - 1.5).abs() < 1e-12);
        // Exactly 2° apart: not merged (closer than the window merges).
        assert_eq!(
            merge_peaks(&[peak(1.0, 1.0), peak(3.0, 1.0)], 2.0)
                .unwrap()
                .len(),
            2
        );

        let truth = [
            peak(10.0, 1.0),
            peak(20.0, 1.0),
            peak(25.0, 1.0),
            peak(40.0, 1.0),
        ];
        let predicted = [
            peak(9.0, 3.0),
            peak(11.0, 7.0),
            peak(21.5, 1.0),
            peak(27.1, 5.0),
        ];
        let a = align_peaks(&predicted, &truth, DEEPXRD_WINDOW).unwrap();
        assert_eq!(a, vec![Some(1), Some(2), None, None]);
        assert_eq!(
            peak_match_percentage(&predicted, &truth, DEEPXRD_WINDOW).unwrap(),
            0.5
        );
    }
}
