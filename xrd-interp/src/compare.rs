//! Comparing a generated pattern with a true one: DeepXRD's distances (Dong et al. 2022,
//! Sec. 2.5) from xrd-io, the peak match percentage after alignment, and the shift of the
//! strongest peaks.

use serde::{Deserialize, Serialize};
use xrd_io::peaks::{Peak, PeakParams, align_peaks, find_peaks, merge_peaks};
use xrd_io::similarity::{cosine_distance, dtw, js_divergence, pearson_distance};
use xrd_io::{Float, Grid};

use crate::{Error, Result};

/// Settings of [`compare`]. The DeepXRD defaults (2° windows) are for Cu Kα patterns over
/// 0–180°; the paper's synchrotron patterns (λ = 0.496 Å) are about three times denser in 2θ
/// and composition moves their peaks by hundredths to tenths of a degree, so the defaults here
/// are narrower.
///
/// | field | default |
/// |---|---|
/// | `peaks` | [`PeakParams::default`] (peaks ≥ 10 % of the maximum, the DeepXRD threshold) |
/// | `match_window` | 0.05° (merging and alignment window) |
/// | `dtw_band` | 0.5° (Sakoe–Chiba band) |
/// | `strongest` | 5 strongest true peaks for the shift |
/// | `shift_window` | 0.5° (a strong peak with no predicted peak this close counts as shifted by the window) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompareParams {
    /// Peak finding on both patterns.
    peaks: PeakParams,
    /// Window (degrees) of DeepXRD peak merging (predicted peaks) and alignment.
    match_window: f64,
    /// Sakoe–Chiba band of DTW, in degrees (converted to grid points).
    dtw_band: f64,
    /// Number of strongest true peaks whose shift is measured.
    strongest: usize,
    /// Largest shift (degrees) searched for; also the penalty for a missing peak.
    shift_window: f64,
}

impl CompareParams {
    xrd_io::setters! {
        /// Peak finding on both patterns.
        peaks, get_peaks: PeakParams;

        /// Window (degrees) of DeepXRD peak merging (predicted peaks) and alignment.
        match_window, get_match_window: f64;

        /// Sakoe–Chiba band of DTW, in degrees (converted to grid points).
        dtw_band, get_dtw_band: f64;

        /// Number of strongest true peaks whose shift is measured.
        strongest, get_strongest: usize;

        /// Largest shift (degrees) searched for; also the penalty for a missing peak.
        shift_window, get_shift_window: f64;
    }
}

impl Default for CompareParams {
    fn default() -> Self {
        CompareParams {
            peaks: PeakParams::default(),
            match_window: 0.05,
            dtw_band: 0.5,
            strongest: 5,
            shift_window: 0.5,
        }
    }
}

xrd_io::param_guard!(Error => CompareParams);

impl CompareParams {
    /// Validates every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad field.
    pub fn check(&self) -> Result<()> {
        self.peaks.check()?;
        for (name, v) in [
            ("match_window", self.match_window),
            ("dtw_band", self.dtw_band),
            ("shift_window", self.shift_window),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::param(
                    name,
                    format!("must be finite and > 0 degrees, got {v}"),
                ));
            }
        }
        if self.strongest == 0 {
            return Err(Error::param("strongest", "must be ≥ 1"));
        }
        Ok(())
    }
}

/// Dissimilarities of a predicted pattern from a true one (lower is better except
/// `peak_match`). An undefined measure (a flat or all-zero prediction) gets its worst value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// 1 − Pearson r (DeepXRD Eq. 4); 1 when undefined.
    pub pearson: f64,
    /// Cosine distance (Eq. 3); 1 when undefined.
    pub cosine: f64,
    /// Jensen–Shannon divergence, base 2, in [0, 1] (Eq. 5); 1 when undefined.
    pub jsd: f64,
    /// Banded DTW with absolute-difference cost, divided by the number of points.
    pub dtw: f64,
    /// Fraction of true peaks with a predicted (merged) peak within the match window.
    pub peak_match: f64,
    /// Mean |Δ2θ| (degrees) from each of the strongest true peaks to the nearest predicted
    /// peak, capped at the shift window.
    pub peak_shift: f64,
}

/// Clamps negative intensities to zero and scales the maximum to one (all zero stays zero):
/// applied to every prediction and every truth before [`compare`], so that the metrics see
/// every method on the same footing.
pub fn clean<F: Float>(pattern: &[F]) -> Vec<f64> {
    let mut v: Vec<f64> = pattern.iter().map(|x| x.as_f64().max(0.0)).collect();
    let max = v.iter().copied().fold(0.0, f64::max);
    if max > 0.0 && max.is_finite() {
        v.iter_mut().for_each(|x| *x /= max);
    }
    v
}

/// Compares `predicted` with `truth` (both on `grid`, both passed through [`clean`] first).
///
/// # Errors
/// [`Error::InvalidParameter`] for bad `params`; [`Error::ShapeMismatch`] when a pattern does not
/// have one value per grid point or contains NaN/inf.
pub fn compare<F: Float>(
    predicted: &[F],
    truth: &[F],
    grid: &Grid,
    params: &CompareParams,
) -> Result<Comparison> {
    params.check()?;
    for (what, p) in [("predicted pattern", predicted), ("true pattern", truth)] {
        if p.len() != grid.len() || p.iter().any(|v| !v.is_finite()) {
            return Err(Error::shape(
                what,
                format!("{} finite values (the grid)", grid.len()),
                format!(
                    "{} values{}",
                    p.len(),
                    if p.iter().any(|v| !v.is_finite()) {
                        " with NaN/inf"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    let (p, t) = (clean(predicted), clean(truth));
    let band = grid.points_for_width(params.dtw_band);
    let x = grid.positions();
    let true_peaks = find_peaks(&x, &t, &params.peaks)?;
    let pred_peaks = merge_peaks(&find_peaks(&x, &p, &params.peaks)?, params.match_window)?;
    Ok(Comparison {
        pearson: pearson_distance(&p, &t).unwrap_or(1.0),
        cosine: cosine_distance(&p, &t).unwrap_or(1.0),
        jsd: js_divergence(&p, &t).unwrap_or(1.0),
        dtw: dtw(&p, &t, Some(band))? / p.len() as f64,
        peak_match: peak_match(&pred_peaks, &true_peaks, params.match_window)?,
        peak_shift: strongest_shift(&pred_peaks, &true_peaks, params),
    })
}

/// Peak match fraction; a truth without peaks is matched when the prediction has none either.
fn peak_match(pred: &[Peak], truth: &[Peak], window: f64) -> Result<f64> {
    if truth.is_empty() {
        return Ok(if pred.is_empty() { 1.0 } else { 0.0 });
    }
    let aligned = align_peaks(pred, truth, window)?;
    Ok(aligned.iter().filter(|a| a.is_some()).count() as f64 / truth.len() as f64)
}

/// Mean shift of the strongest true peaks to their nearest predicted peak.
fn strongest_shift(pred: &[Peak], truth: &[Peak], params: &CompareParams) -> f64 {
    let mut strong: Vec<&Peak> = truth.iter().collect();
    strong.sort_by(|a, b| b.height.total_cmp(&a.height));
    strong.truncate(params.strongest);
    if strong.is_empty() {
        return 0.0;
    }
    let total: f64 = strong
        .iter()
        .map(|t| {
            pred.iter()
                .map(|p| (p.position - t.position).abs())
                .fold(params.shift_window, f64::min)
        })
        .sum();
    total / strong.len() as f64
}
