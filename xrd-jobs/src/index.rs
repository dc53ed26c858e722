//! The indexing job (`xrd index`, `xrd.index`): the lattice cell of a measured pattern.

use serde::{Deserialize, Serialize};
use xrd_index::{Indexer, IndexingParams, Metric, Solution};
use xrd_io::{Pattern, Wavelength};

use crate::error::invalid;
use crate::{Result, measured_wavelength};

/// The options of an indexing ([`Index`]), as `xrd index`'s flags, `xrd.index`'s keywords and a
/// JSON request take them; the defaults are xrd-index's.
///
/// ```
/// let o: xrd_jobs::IndexOptions = serde_json::from_str(r#"{"monoclinic": true}"#).unwrap();
/// assert_eq!(o.lines, xrd_index::IndexingParams::default().get_lines());
/// let job = xrd_jobs::Index::new(o)?;
/// # Ok::<(), xrd_jobs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexOptions {
    /// The wavelength of patterns whose file gives none (default Cu Kα).
    pub wavelength: Option<Wavelength>,
    /// Tolerance of a line's 2θ (°).
    pub tolerance: f64,
    /// Lowest de Wolff figure of merit accepted.
    pub min_merit: f64,
    /// A trial cell stops when its first step's figure of merit is below this.
    pub min_trial_merit: f64,
    /// Share of the lines' weight an accepted cell must index.
    pub min_indexed: f64,
    /// How many lines (the first, by angle) are indexed.
    pub lines: usize,
    /// Try monoclinic cells too.
    pub monoclinic: bool,
    /// Report the best cell of every metric tried, not only the accepted one.
    pub all: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        let p = IndexingParams::default();
        IndexOptions {
            wavelength: None,
            tolerance: p.get_tolerance(),
            min_merit: p.get_min_merit(),
            min_trial_merit: p.get_min_trial_merit(),
            min_indexed: p.get_min_indexed(),
            lines: p.get_lines(),
            monoclinic: false,
            all: false,
        }
    }
}

impl IndexOptions {
    /// The indexing's settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the option out of range.
    pub fn params(&self) -> Result<IndexingParams> {
        let mut metrics = vec![
            Metric::Cubic,
            Metric::Hexagonal,
            Metric::Tetragonal,
            Metric::Orthorhombic,
        ];
        if self.monoclinic {
            metrics.push(Metric::Monoclinic);
        }
        let params = IndexingParams::default()
            .tolerance(self.tolerance)
            .min_merit(self.min_merit)
            .min_trial_merit(self.min_trial_merit)
            .min_indexed(self.min_indexed)
            .lines(self.lines)
            .metrics(&metrics);
        params.check().map_err(|e| match e.invalid_parameter() {
            Some(p) => invalid(p.name, p.reason.clone()),
            None => e.into(),
        })?;
        Ok(params)
    }

    /// Checks every option.
    ///
    /// # Errors
    /// As [`IndexOptions::params`].
    pub fn check(&self) -> Result<()> {
        self.params().map(|_| ())
    }
}

/// One cell an indexing proposes: a row of `xrd index` and a dict of `xrd.index`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    /// The pattern's label.
    pub file: String,
    /// The metric (`cubic`, `hexagonal`, …).
    pub metric: String,
    /// Whether it is the accepted cell.
    pub accepted: bool,
    /// Cell lengths (Å).
    pub a: f64,
    /// b (Å).
    pub b: f64,
    /// c (Å).
    pub c: f64,
    /// α (°).
    pub alpha: f64,
    /// β (°).
    pub beta: f64,
    /// γ (°).
    pub gamma: f64,
    /// Zero shift (° 2θ).
    pub zero_shift: f64,
    /// Lines used.
    pub lines: usize,
    /// Lines indexed.
    pub indexed: usize,
    /// De Wolff's figure of merit.
    pub merit: f64,
    /// The space groups whose absences explain the lines best (the accepted cell only).
    pub likely_space_groups: Vec<u8>,
}

/// What an indexing of one pattern returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Indexed {
    /// The pattern's label.
    pub file: String,
    /// The lines found in the pattern.
    pub lines: usize,
    /// What the line search multiplied the point-to-point noise by: over 1 where neighbouring
    /// points share their noise, and the lines were searched that much higher
    /// (`xrd_io::observed::SearchNoise`).
    pub search_noise_factor: f64,
    /// The accepted cell, or with `all` the best of every metric; empty when none.
    pub rows: Vec<IndexRow>,
}

/// An indexing job.
#[derive(Debug)]
pub struct Index {
    options: IndexOptions,
    indexer: Indexer,
}

impl Index {
    /// The job of `options`.
    ///
    /// # Errors
    /// An option out of range.
    pub fn new(options: IndexOptions) -> Result<Self> {
        let indexer = Indexer::new(options.params()?)?.every_metric(options.all);
        Ok(Index { options, indexer })
    }

    /// The wavelength `pattern` is indexed at: its file's, else the option's, else Cu Kα.
    pub fn wavelength_of(&self, pattern: &Pattern) -> Wavelength {
        measured_wavelength(pattern.wavelength(), self.options.wavelength, None)
            .unwrap_or(Wavelength::CU_KA)
    }

    /// Indexes `pattern`, labelled `label`.
    ///
    /// # Errors
    /// Those of [`Indexer::index_pattern_at`].
    pub fn run(&self, label: &str, pattern: &Pattern) -> Result<Indexed> {
        let indexing = self
            .indexer
            .index_pattern_at(pattern, self.wavelength_of(pattern))?;
        let groups = indexing.likely_space_groups();
        let accepted = indexing.accepted();
        let row = |s: &Solution, is_accepted: bool| {
            let ([a, b, c], [alpha, beta, gamma]) = (s.cell.lengths(), s.cell.angles());
            IndexRow {
                file: label.to_string(),
                metric: format!("{:?}", s.metric).to_lowercase(),
                accepted: is_accepted,
                a,
                b,
                c,
                alpha,
                beta,
                gamma,
                zero_shift: s.zero_shift,
                lines: s.lines,
                indexed: s.indexed,
                merit: s.merit,
                likely_space_groups: if is_accepted {
                    groups.clone()
                } else {
                    Vec::new()
                },
            }
        };
        let rows = if self.options.all {
            (indexing.solutions.iter())
                .map(|s| row(s, accepted.is_some_and(|a| a == s)))
                .collect()
        } else {
            accepted.map(|s| row(s, true)).into_iter().collect()
        };
        Ok(Indexed {
            file: label.to_string(),
            lines: indexing.lines.len(),
            search_noise_factor: indexing.search_noise.map_or(1.0, |n| n.factor),
            rows,
        })
    }
}
