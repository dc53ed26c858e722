//! The indexing's thresholds and search limits.

use serde::{Deserialize, Serialize};

use crate::metric::{MAX_PARAMS, Metric};
use crate::{Error, Result};

/// Indexing thresholds and search limits (builder; defaults on each setter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexingParams {
    pub(crate) tolerance: f64,
    pub(crate) lines: usize,
    pub(crate) trial_lines: usize,
    pub(crate) min_indexed: f64,
    pub(crate) min_merit: f64,
    pub(crate) lines_per_unknown: f64,
    pub(crate) max_edge: f64,
    pub(crate) max_zero_shift: f64,
    // Files written before the option were calibrated with an indexing that refined every
    // screened trial: they read as 0 (and 0 is not written, so that they write back the same).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) min_trial_merit: f64,
    pub(crate) relative_height: f64,
    pub(crate) noise_multiple: f64,
    pub(crate) min_separation: f64,
    pub(crate) background_window: f64,
    pub(crate) metrics: Vec<Metric>,
}

impl Default for IndexingParams {
    fn default() -> Self {
        IndexingParams {
            tolerance: 0.04,
            lines: 20,
            trial_lines: 6,
            min_indexed: 0.9,
            min_merit: 20.0,
            lines_per_unknown: 3.0,
            max_edge: 25.0,
            max_zero_shift: 0.1,
            min_trial_merit: 1.5,
            relative_height: 0.01,
            noise_multiple: 5.0,
            min_separation: 0.08,
            background_window: 2.0,
            metrics: vec![
                Metric::Cubic,
                Metric::Hexagonal,
                Metric::Tetragonal,
                Metric::Orthorhombic,
            ],
        }
    }
}

xrd_io::param_guard!(Error => IndexingParams);

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl IndexingParams {
    xrd_io::setters! {
        /// Largest difference (degrees 2θ) between an observed line and its reflection for the
        /// line to count as indexed. Default 0.04°: a few steps of a 0.01° scan.
        tolerance, get_tolerance: f64;

        /// How many of the first lines (by angle) are indexed. Default 20 (de Wolff's M₂₀).
        lines, get_lines: usize;

        /// Among how many of the first lines the trial cells' lines are chosen. Default 6.
        trial_lines, get_trial_lines: usize;

        /// Smallest share of the lines' weight (√height) a cell must index to be accepted, in
        /// (0, 1]. Default 0.9: measured patterns hold impurity and noise lines.
        min_indexed, get_min_indexed: f64;

        /// Smallest de Wolff figure of merit of an accepted cell, > 0. Default 20 (de Wolff's rule
        /// of thumb is M₂₀ ≥ 10 for a cell that is seldom wrong; measured lines with impurities
        /// need more).
        min_merit, get_min_merit: f64;

        /// Smallest number of lines per unknown (cell parameters plus the zero shift) for a cell
        /// to be accepted, ≥ 1. Default 3: a cubic cell needs 6 lines, a tetragonal or hexagonal
        /// one 9, an orthorhombic one 12.
        lines_per_unknown, get_lines_per_unknown: f64;

        /// Longest cell edge tried, ångström, in (0, 100]. Default 25 Å.
        max_edge, get_max_edge: f64;

        /// Largest zero shift found, degrees 2θ: trial cells are screened allowing for a shift
        /// this large, and a refinement that would move the shift beyond it keeps its last value.
        /// Default 0.1° (a wider window lets more wrong trials through the screen).
        max_zero_shift, get_max_zero_shift: f64;

        /// Smallest figure of merit of a trial cell after its first least-squares step (twice
        /// this after the second), ≥ 0 (0 refines every trial that passes the screen). Those
        /// steps match each line within wide windows, so their merit — de Wolff's, with the
        /// reflections enumerated up to the last line for N — is far below the final one; a
        /// trial below it is not refined further. Default 1.5: most wrong trials are large
        /// cells that fit every line somewhere and stop here (about 40 % of the trials refined
        /// stop after the first step, a further quarter after the second), while on the RRUFF
        /// development set (`rruff_dev.npz`, chosen on its even rows) no accepted cell came
        /// from one.
        min_trial_merit, get_min_trial_merit: f64;

        /// Smallest line height as a fraction of the highest, in [0, 1). Default 0.01.
        relative_height, get_relative_height: f64;

        /// Smallest line height in standard deviations of the pattern's noise, ≥ 0. Default 5.
        /// The noise is the point-to-point σ, raised where neighbouring points share their
        /// noise ([`xrd_io::observed::SearchNoise`]), so that the noise's wiggles are not lines.
        noise_multiple, get_noise_multiple: f64;

        /// Smallest distance between two lines, degrees 2θ (of two closer maxima the higher is
        /// kept), ≥ 0. Default 0.08°.
        min_separation, get_min_separation: f64;

        /// Width of the rolling-minimum background removed before the lines are found, degrees 2θ,
        /// > 0. Default 2°: a few times the widest line of a laboratory scan.
        background_window, get_background_window: f64;
    }

    /// The metrics tried (any order; they are tried from the most symmetric down), at least one.
    /// Default cubic, hexagonal, tetragonal and orthorhombic: a monoclinic search (four
    /// parameters) costs far more and accepts wrong cells far more often.
    pub fn metrics(mut self, metrics: &[Metric]) -> Self {
        self.metrics = metrics.to_vec();
        self
    }

    /// The metrics set by [`IndexingParams::metrics`].
    pub fn get_metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// Validates every value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setter of the first invalid value.
    pub fn check(&self) -> Result<()> {
        let positive = |name, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::param(name, format!("{v} is not a finite value > 0")))
            }
        };
        positive("tolerance", self.tolerance)?;
        positive("min_merit", self.min_merit)?;
        positive("max_edge", self.max_edge)?;
        positive("background_window", self.background_window)?;
        // The reflections enumerated grow as the cube of the edge.
        if self.max_edge > 100.0 {
            return Err(Error::param(
                "max_edge",
                format!("{} Å is over 100 Å", self.max_edge),
            ));
        }
        if !(self.lines_per_unknown.is_finite() && self.lines_per_unknown >= 1.0) {
            return Err(Error::param(
                "lines_per_unknown",
                format!("{} is not a finite value ≥ 1", self.lines_per_unknown),
            ));
        }
        for (name, v) in [
            ("max_zero_shift", self.max_zero_shift),
            ("min_trial_merit", self.min_trial_merit),
            ("noise_multiple", self.noise_multiple),
            ("min_separation", self.min_separation),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::param(name, format!("{v} is not a finite value ≥ 0")));
            }
        }
        if !(self.min_indexed > 0.0 && self.min_indexed <= 1.0) {
            return Err(Error::param(
                "min_indexed",
                format!("{} is not a fraction in (0, 1]", self.min_indexed),
            ));
        }
        if !(0.0..1.0).contains(&self.relative_height) {
            return Err(Error::param(
                "relative_height",
                format!("{} is not a fraction in [0, 1)", self.relative_height),
            ));
        }
        // A cell of p parameters plus a zero shift needs more lines than unknowns to be tested.
        if self.lines < MAX_PARAMS + 2 || self.lines > 100 {
            return Err(Error::param(
                "lines",
                format!("{} is not in {}–100", self.lines, MAX_PARAMS + 2),
            ));
        }
        if self.trial_lines < MAX_PARAMS || self.trial_lines > self.lines.min(10) {
            return Err(Error::param(
                "trial_lines",
                format!(
                    "{} is not in {MAX_PARAMS}–{} (at most `lines` and 10)",
                    self.trial_lines,
                    self.lines.min(10)
                ),
            ));
        }
        if self.metrics.is_empty() {
            return Err(Error::param("metrics", "no metric to try"));
        }
        Ok(())
    }
}
