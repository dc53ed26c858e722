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

impl IndexingParams {
    /// Largest difference (degrees 2θ) between an observed line and its reflection for the
    /// line to count as indexed. Default 0.04°: a few steps of a 0.01° scan.
    pub fn tolerance(mut self, degrees: f64) -> Self {
        self.tolerance = degrees;
        self
    }

    /// How many of the first lines (by angle) are indexed. Default 20 (de Wolff's M₂₀).
    pub fn lines(mut self, n: usize) -> Self {
        self.lines = n;
        self
    }

    /// Among how many of the first lines the trial cells' lines are chosen. Default 6.
    pub fn trial_lines(mut self, n: usize) -> Self {
        self.trial_lines = n;
        self
    }

    /// Smallest share of the lines' weight (√height) a cell must index to be accepted, in
    /// (0, 1]. Default 0.9: measured patterns hold impurity and noise lines.
    pub fn min_indexed(mut self, fraction: f64) -> Self {
        self.min_indexed = fraction;
        self
    }

    /// Smallest de Wolff figure of merit of an accepted cell, > 0. Default 20 (de Wolff's rule of
    /// thumb is M₂₀ ≥ 10 for a cell that is seldom wrong; measured lines with impurities need
    /// more).
    pub fn min_merit(mut self, merit: f64) -> Self {
        self.min_merit = merit;
        self
    }

    /// Smallest number of lines per unknown (cell parameters plus the zero shift) for a cell
    /// to be accepted, ≥ 1. Default 3: a cubic cell needs 6 lines, a tetragonal or hexagonal
    /// one 9, an orthorhombic one 12.
    pub fn lines_per_unknown(mut self, lines: f64) -> Self {
        self.lines_per_unknown = lines;
        self
    }

    /// Longest cell edge tried, ångström, in (0, 100]. Default 25 Å.
    pub fn max_edge(mut self, angstrom: f64) -> Self {
        self.max_edge = angstrom;
        self
    }

    /// Largest zero shift found, degrees 2θ: trial cells are screened with the tolerance plus
    /// this much, and a refinement that would move the shift beyond it keeps its last value.
    /// Default 0.1° (a wider window lets more wrong trials through the screen).
    pub fn max_zero_shift(mut self, degrees: f64) -> Self {
        self.max_zero_shift = degrees;
        self
    }

    /// Smallest line height as a fraction of the highest, in [0, 1). Default 0.01.
    pub fn relative_height(mut self, fraction: f64) -> Self {
        self.relative_height = fraction;
        self
    }

    /// Smallest line height in standard deviations of the pattern's noise, ≥ 0. Default 5.
    pub fn noise_multiple(mut self, multiple: f64) -> Self {
        self.noise_multiple = multiple;
        self
    }

    /// Smallest distance between two lines, degrees 2θ (of two closer maxima the higher is kept),
    /// ≥ 0. Default 0.08°.
    pub fn min_separation(mut self, degrees: f64) -> Self {
        self.min_separation = degrees;
        self
    }

    /// Width of the rolling-minimum background removed before the lines are found, degrees 2θ,
    /// > 0. Default 2°: a few times the widest line of a laboratory scan.
    pub fn background_window(mut self, degrees: f64) -> Self {
        self.background_window = degrees;
        self
    }

    /// The metrics tried (any order; they are tried from the most symmetric down), at least one.
    /// Default cubic, hexagonal, tetragonal and orthorhombic: a monoclinic search (four
    /// parameters) costs far more and accepts wrong cells far more often.
    pub fn metrics(mut self, metrics: &[Metric]) -> Self {
        self.metrics = metrics.to_vec();
        self
    }

    /// The tolerance set by [`IndexingParams::tolerance`].
    pub fn get_tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The count set by [`IndexingParams::lines`].
    pub fn get_lines(&self) -> usize {
        self.lines
    }

    /// The count set by [`IndexingParams::trial_lines`].
    pub fn get_trial_lines(&self) -> usize {
        self.trial_lines
    }

    /// The fraction set by [`IndexingParams::min_indexed`].
    pub fn get_min_indexed(&self) -> f64 {
        self.min_indexed
    }

    /// The merit set by [`IndexingParams::min_merit`].
    pub fn get_min_merit(&self) -> f64 {
        self.min_merit
    }

    /// The count set by [`IndexingParams::lines_per_unknown`].
    pub fn get_lines_per_unknown(&self) -> f64 {
        self.lines_per_unknown
    }

    /// The edge set by [`IndexingParams::max_edge`].
    pub fn get_max_edge(&self) -> f64 {
        self.max_edge
    }

    /// The shift set by [`IndexingParams::max_zero_shift`].
    pub fn get_max_zero_shift(&self) -> f64 {
        self.max_zero_shift
    }

    /// The fraction set by [`IndexingParams::relative_height`].
    pub fn get_relative_height(&self) -> f64 {
        self.relative_height
    }

    /// The multiple set by [`IndexingParams::noise_multiple`].
    pub fn get_noise_multiple(&self) -> f64 {
        self.noise_multiple
    }

    /// The distance set by [`IndexingParams::min_separation`].
    pub fn get_min_separation(&self) -> f64 {
        self.min_separation
    }

    /// The width set by [`IndexingParams::background_window`].
    pub fn get_background_window(&self) -> f64 {
        self.background_window
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
