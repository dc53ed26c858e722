//! What is reported of an identification: one row per phase, from the refinement when it
//! confirmed any phase, else from search-match.

use serde::Serialize;

use crate::{Confirmation, Identification};

/// One phase as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReportedPhase {
    /// Index of its entry in the library.
    pub entry: usize,
    /// Its search-match score (NaN for a phase the search did not score).
    pub score: f64,
    /// Its share of the intensity in search-match (`None` for a phase only the refinement
    /// added).
    pub share: Option<f64>,
    /// Weight fraction, its esd and the refinement's Rwp (`None` without refinement).
    pub refined: Option<RefinedShare>,
}

/// A phase's weight fraction from the refinement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RefinedShare {
    /// Weight fraction (Hill–Howard).
    pub weight_fraction: f64,
    /// Its esd.
    pub weight_fraction_esd: f64,
    /// The refinement's weighted-profile R factor.
    pub rwp: f64,
}

impl Identification {
    /// The phases to report: the refined ones, in the refinement's order, when `confirmed` is
    /// given, else the phases of search-match. Empty when nothing was named.
    pub fn report(&self, confirmed: Option<&Confirmation>) -> Vec<ReportedPhase> {
        let score_of = |entry: usize| {
            self.phases
                .iter()
                .map(|p| &p.candidate)
                .chain(self.phases.iter().flat_map(|p| &p.alternatives))
                .chain(&self.residual_candidates)
                .chain(&self.candidates)
                .find(|c| c.entry == entry)
                .map_or(f64::NAN, |c| c.score)
        };
        match confirmed {
            Some(c) => c
                .entries
                .iter()
                .zip(&c.refinement.phases)
                .map(|(&entry, p)| ReportedPhase {
                    entry,
                    score: score_of(entry),
                    share: self
                        .phases
                        .iter()
                        .find(|f| f.candidate.entry == entry)
                        .map(|f| f.share),
                    refined: Some(RefinedShare {
                        weight_fraction: p.weight_fraction,
                        weight_fraction_esd: p.weight_fraction_esd,
                        rwp: c.refinement.rwp,
                    }),
                })
                .collect(),
            None => self
                .phases
                .iter()
                .map(|p| ReportedPhase {
                    entry: p.candidate.entry,
                    score: p.candidate.score,
                    share: Some(p.share),
                    refined: None,
                })
                .collect(),
        }
    }
}
