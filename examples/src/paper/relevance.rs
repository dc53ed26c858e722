//! Section III.B: the relevance Dev(2θ) of one Sm1.0Zr0.0Fe10.5Ti1.5 pattern and its peaks
//! that are strong but irrelevant (Fig. 5).

use std::time::Instant;

use serde::Serialize;
use xrd_ae::Autoencoder;
use xrd_relevance::{DevProfile, PeakRelevanceParams, PeakReport, Relevance, peak_relevance};

use super::{Data, RELEVANCE_XY, Split};
use crate::alloy::has_concentrations;
use xrd_cli::run::Result;

/// A peak that is strong in the pattern but little relevant to the feature space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrongButIrrelevant {
    /// Position (degrees 2θ).
    pub two_theta: f64,
    /// Height relative to the pattern's strongest peak.
    pub relative_height: f64,
    /// Relevance relative to the most relevant peak.
    pub relative_relevance: f64,
    /// Its reflections' Miller indices, strongest first, each family once.
    pub hkl: Vec<String>,
}

/// What the summary reports of the relevance step of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelevanceResult {
    /// Time of the exact relevance profile.
    pub seconds: f64,
    /// The pattern's configuration id.
    pub pattern: String,
    /// Whether it is a test row (else the first pattern of the composition).
    pub pattern_in_test_set: bool,
    /// Spearman correlation of peak intensity and relevance.
    pub spearman: Option<f64>,
    /// The strong but irrelevant peaks, strongest first.
    pub strong_but_irrelevant: Vec<StrongButIrrelevant>,
}

/// The profile and peak report (for Fig. 5) and the measures.
#[derive(Debug, Clone)]
pub struct RelevanceStep {
    /// Row of the pattern.
    pub row: usize,
    /// Its relevance profile.
    pub profile: DevProfile<f32>,
    /// Its peaks with their relevance.
    pub report: PeakReport,
    /// The measures.
    pub result: RelevanceResult,
}

/// The exact relevance profile of a [`RELEVANCE_XY`] pattern, from the test rows if any.
pub fn relevance(data: &Data, split: &Split, model: &Autoencoder<f32>) -> Result<RelevanceStep> {
    let b = &data.builtin;
    let is_target = |i: &usize| has_concentrations(b, *i, RELEVANCE_XY);
    let (row, in_test) = match split.test.iter().find(|i| is_target(i)) {
        Some(&i) => (i, true),
        None => (
            (0..data.x.nrows())
                .find(is_target)
                .ok_or("no pattern of the relevance composition")?,
            false,
        ),
    };
    let relevance = Relevance::params().build(&b.grid)?;
    let t = Instant::now();
    let profile = relevance
        .profile_exact(model, data.x.row(row))
        .map_err(|e| format!("relevance profile: {e}"))?;
    let seconds = t.elapsed().as_secs_f64();
    let report = peak_relevance(
        &profile,
        data.x.row(row),
        Some(&b.peaks[row]),
        &PeakRelevanceParams::default(),
    )?;
    let strong_but_irrelevant = report
        .strong_but_irrelevant()
        .iter()
        .map(|p| StrongButIrrelevant {
            two_theta: p.peak.position,
            relative_height: p.relative_height,
            relative_relevance: p.relative_relevance,
            hkl: unique_hkl(&p.hkl),
        })
        .collect();
    Ok(RelevanceStep {
        row,
        result: RelevanceResult {
            seconds,
            pattern: b.config_id[row].clone(),
            pattern_in_test_set: in_test,
            spearman: report.spearman,
            strong_but_irrelevant,
        },
        profile,
        report,
    })
}

/// The hkl labels of a peak, strongest first, each family once.
fn unique_hkl(hkl: &[[f64; 3]]) -> Vec<String> {
    let mut h: Vec<String> = hkl.iter().map(hkl_text).collect();
    h.dedup();
    h
}

/// `(6 3 1)`, or `(0.50 0.50 0)` for a superstructure reflection.
pub fn hkl_text(h: &[f64; 3]) -> String {
    let f = |v: f64| {
        if (v - v.round()).abs() < 1e-6 {
            format!("{}", v.round() as i64)
        } else {
            format!("{v:.2}")
        }
    };
    format!("({} {} {})", f(h[0]), f(h[1]), f(h[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkl_labels() {
        assert_eq!(hkl_text(&[6.0, 3.0, 1.0]), "(6 3 1)");
        assert_eq!(hkl_text(&[0.5, 0.5, 0.0]), "(0.50 0.50 0)");
        assert_eq!(
            unique_hkl(&[[6.0, 0.0, 2.0], [6.0, 0.0, 2.0], [1.0, 0.0, 1.0]]),
            vec!["(6 0 2)", "(1 0 1)"]
        );
    }
}
