//! The library stage of a prediction: search-match of each pattern against a mineral library
//! (xrd-minerals), turned into a distribution over space groups and a weight that grows with
//! how well the best phase matches.

use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Candidate, Library, Matcher, ReferenceParams, ReferenceSet, SearchParams};

use crate::{Error, Result, SPACE_GROUPS};

/// Default refusal threshold of predictions with a library ([`LibrarySearch::threshold`]): 0.5,
/// below which an answer is more likely wrong than right if the certainty is the probability of
/// being right (the reliability curve of `classify evaluate` shows how far it is).
pub const DEFAULT_LIBRARY_THRESHOLD: f64 = 0.5;

/// Default [`LibraryWeighting::temperature`].
pub const DEFAULT_TEMPERATURE: f64 = 0.02;
/// Default [`LibraryWeighting::midpoint`].
pub const DEFAULT_MIDPOINT: f64 = 0.825;
/// Default [`LibraryWeighting::width`].
pub const DEFAULT_WIDTH: f64 = 0.08;
/// Default [`LibraryWeighting::decisive_merit`].
pub const DEFAULT_DECISIVE_MERIT: f64 = 200.0;

/// How the candidates of a library search become evidence about the space group.
///
/// The candidates (best first, scores s₁ ≥ s₂ ≥ …, cosines in [0, 1]) vote for their space
/// groups with weights exp((sⱼ − s₁) / `temperature`), so that candidates almost as good as the
/// best share its vote and poorer ones hardly count: this gives the library's distribution
/// P_lib(g). The library's share of the answer is λ = 1 / (1 + exp(−(s₁ − `midpoint`) /
/// `width`)): a match well above the midpoint decides, one well below leaves the answer to the
/// indexing and the networks, P(g) = λ·P_lib(g) + (1 − λ)·P_net(g).
///
/// The defaults were chosen on the measured RRUFF development set with the shipped networks, from
/// a grid of 340 weightings (`cargo run --release -p xrd-examples --example library_weighting`):
/// 59.5 % space group there; chosen on either half of the rows they score 59.6 % and 58.5 % on
/// the other half, against 58.4 % for the first guess (0.02, 0.8, 0.04) — the choice moves the
/// result by about a point, within the set's noise.
///
/// An accepted indexed cell of figure of merit ≥ `decisive_merit` fixes the crystal system: the
/// library's distribution is first restricted to the groups of the cell's systems. On RRUFF
/// (the development set) 200 is the lowest of 50, 100, 200 and ∞ (never) that loses nothing
/// there (crystal system 75.7 → 75.9 %, space group and most certain half unchanged; 100 costs
/// 0.2 and 0.9 points); such cells name the right system for 95 % of the RRUFF patterns with
/// M ≥ 100. For a material the library lacks it matters more: AFLOW prototypes with their own
/// entries excluded, crystal system 67.5 % with ∞, 71.7 % with 200, 73.1 % with 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryWeighting {
    /// Score difference over which a candidate's vote falls by e (default
    /// [`DEFAULT_TEMPERATURE`]), > 0.
    pub temperature: f64,
    /// Best score at which the library and the other evidence weigh equally (default
    /// [`DEFAULT_MIDPOINT`]), in [0, 1].
    pub midpoint: f64,
    /// Score difference over which the library's weight rises from 0.27 to 0.73 (default
    /// [`DEFAULT_WIDTH`]), > 0.
    pub width: f64,
    /// De Wolff figure of merit from which an accepted indexed cell fixes the crystal system
    /// against the library: the library's distribution is restricted to the groups of the
    /// cell's systems before it is mixed in, and gives no evidence when it has none there
    /// (default [`DEFAULT_DECISIVE_MERIT`]; infinity: the library may overrule any cell), > 0.
    pub decisive_merit: f64,
}

impl Default for LibraryWeighting {
    fn default() -> Self {
        LibraryWeighting {
            temperature: DEFAULT_TEMPERATURE,
            midpoint: DEFAULT_MIDPOINT,
            width: DEFAULT_WIDTH,
            decisive_merit: DEFAULT_DECISIVE_MERIT,
        }
    }
}

impl LibraryWeighting {
    /// The 340 weightings the default was chosen among (temperature 0.005–0.08, midpoint
    /// 0.55–0.95 in steps of 0.025, width 0.01–0.08), each with the default decisive merit:
    /// what `examples/library_weighting.rs` and the tuning-half sweep search.
    pub fn search_grid() -> Vec<LibraryWeighting> {
        let mut grid = Vec::new();
        for temperature in [0.005, 0.01, 0.02, 0.04, 0.08] {
            for m in 0..=16 {
                for width in [0.01, 0.02, 0.04, 0.08] {
                    grid.push(LibraryWeighting {
                        temperature,
                        midpoint: 0.55 + 0.025 * f64::from(m),
                        width,
                        ..LibraryWeighting::default()
                    });
                }
            }
        }
        grid
    }

    /// Validates every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn check(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(Error::param(
                "temperature",
                format!("must be finite and > 0, got {}", self.temperature),
            ));
        }
        if !(0.0..=1.0).contains(&self.midpoint) {
            return Err(Error::param(
                "midpoint",
                format!("must lie in [0, 1], got {}", self.midpoint),
            ));
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(Error::param(
                "width",
                format!("must be finite and > 0, got {}", self.width),
            ));
        }
        if self.decisive_merit.is_nan() || self.decisive_merit <= 0.0 {
            return Err(Error::param(
                "decisive_merit",
                format!("must be > 0, got {}", self.decisive_merit),
            ));
        }
        Ok(())
    }

    /// The library's weight λ for a best score `s`.
    pub fn weight(&self, s: f64) -> f64 {
        1.0 / (1.0 + (-(s - self.midpoint) / self.width).exp())
    }

    /// The library's distribution over the 230 space groups (entry `i` is group `i + 1`) from
    /// candidates best first, with `group` giving a candidate's space group; None without
    /// candidates.
    pub fn distribution(
        &self,
        candidates: &[Candidate],
        group: impl Fn(&Candidate) -> u8,
    ) -> Option<Vec<f64>> {
        let best = candidates.first()?.score;
        let mut p = vec![0.0; SPACE_GROUPS];
        let mut total = 0.0;
        for c in candidates {
            let g = usize::from(group(c));
            if (1..=SPACE_GROUPS).contains(&g) {
                let w = ((c.score - best) / self.temperature).exp();
                p[g - 1] += w;
                total += w;
            }
        }
        if total <= 0.0 {
            return None;
        }
        for v in &mut p {
            *v /= total;
        }
        Some(p)
    }
}

/// The best library phase of a pattern, as a prediction reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseMatch {
    /// Index of the entry in the library.
    pub entry: usize,
    /// The entry's id (`amcsd:…` ids are AMCSD numbers; a file name for a folder library).
    pub id: String,
    /// Mineral name, or the formula for an entry without one.
    pub name: String,
    /// Chemical formula as published.
    pub formula: String,
    /// The entry's space group.
    pub space_group: u8,
    /// The search's figure of merit (a cosine in [0, 1]).
    pub score: f64,
    /// The library's weight λ in the prediction ([`LibraryWeighting::weight`]).
    pub weight: f64,
}

/// Reference sets by wavelength (the bits of λ in Å), shared by the clones of a stage.
type ReferencesByWavelength = Arc<Mutex<Vec<(u64, Arc<ReferenceSet>)>>>;

/// What one pattern's search gave: its candidates, best first, or why it could not be searched.
pub(crate) type Searched = std::result::Result<Vec<Candidate>, String>;

/// A mineral library that a [`Classifier`](crate::Classifier) searches for every pattern it
/// predicts ([`Classifier::with_library`](crate::Classifier::with_library)): reference patterns
/// at each wavelength met (simulated once, kept), xrd-minerals' search-match, and the weighting
/// of its candidates.
#[derive(Debug, Clone)]
pub struct LibrarySearch {
    library: Arc<Library>,
    params: SearchParams,
    weighting: LibraryWeighting,
    threshold: f64,
    /// Reference sets by wavelength (Å bits).
    references: ReferencesByWavelength,
}

impl PartialEq for LibrarySearch {
    /// The same library (by content), search parameters, weighting and threshold; the
    /// reference patterns follow from the library.
    fn eq(&self, other: &Self) -> bool {
        self.library.fingerprint() == other.library.fingerprint()
            && self.params == other.params
            && self.weighting == other.weighting
            && self.threshold == other.threshold
    }
}

impl LibrarySearch {
    /// A stage searching `library` with `params` and the default [`LibraryWeighting`];
    /// reference patterns are simulated when a wavelength is first met (about a second for the
    /// built-in library) unless given with [`LibrarySearch::with_references`].
    ///
    /// # Errors
    /// Invalid `params` ([`Error::Minerals`]).
    pub fn new(library: Library, params: SearchParams) -> Result<Self> {
        params.check()?;
        Ok(LibrarySearch {
            library: Arc::new(library),
            params,
            weighting: LibraryWeighting::default(),
            threshold: DEFAULT_LIBRARY_THRESHOLD,
            references: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The same stage with `references` (e.g. read from a cache, xrd-minerals'
    /// [`ReferenceSet::cached`]) for their wavelength.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`references`) when the set is not of this library.
    pub fn with_references(self, references: ReferenceSet) -> Result<Self> {
        if references.len() != self.library.len() {
            return Err(Error::param(
                "references",
                format!(
                    "{} reference patterns for {} entries",
                    references.len(),
                    self.library.len()
                ),
            ));
        }
        let key = references.params().get_wavelength().angstrom().to_bits();
        let mut sets = self
            .references
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sets.retain(|(k, _)| *k != key);
        sets.push((key, Arc::new(references)));
        drop(sets);
        Ok(self)
    }

    /// The same stage weighing the library's evidence by `weighting`.
    ///
    /// # Errors
    /// An invalid `weighting`.
    pub fn weighting(mut self, weighting: LibraryWeighting) -> Result<Self> {
        weighting.check()?;
        self.weighting = weighting;
        Ok(self)
    }

    /// The same stage refusing combined predictions whose certainty lies below `threshold`
    /// (default [`DEFAULT_LIBRARY_THRESHOLD`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`threshold`) outside `[0, 1]`.
    pub fn threshold(mut self, threshold: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(Error::param(
                "threshold",
                format!("must lie in [0, 1], got {threshold}"),
            ));
        }
        self.threshold = threshold;
        Ok(self)
    }

    /// The refusal threshold of combined predictions.
    pub fn get_threshold(&self) -> f64 {
        self.threshold
    }

    /// The weighting of the library's evidence.
    pub fn get_weighting(&self) -> &LibraryWeighting {
        &self.weighting
    }

    /// The library searched.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The search parameters.
    pub fn params(&self) -> &SearchParams {
        &self.params
    }

    /// The reference set of `wavelength` (its primary line), simulated on first use.
    fn references(&self, wavelength: Wavelength) -> Result<Arc<ReferenceSet>> {
        let key = wavelength.angstrom().to_bits();
        let mut sets = self
            .references
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, r)) = sets.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(r));
        }
        let params = ReferenceParams::new().wavelength(wavelength);
        let set = Arc::new(ReferenceSet::build(&self.library, &params, |_, _| {})?);
        sets.push((key, Arc::clone(&set)));
        Ok(set)
    }

    /// Searches every pattern (Cu Kα when it states no wavelength), leaving out for pattern `i`
    /// the entries `exclude[i]` (indices into the library) when given. A pattern that cannot be
    /// searched gets the reason instead of candidates.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `exclude` does not have one list per pattern; reference
    /// patterns that cannot be simulated.
    pub(crate) fn search(
        &self,
        patterns: &[Pattern],
        exclude: Option<&[Vec<usize>]>,
    ) -> Result<Vec<Searched>> {
        if let Some(x) = exclude
            && x.len() != patterns.len()
        {
            return Err(Error::shape(
                "exclusion lists",
                format!("{} exclusion lists (one per pattern)", patterns.len()),
                format!("{}", x.len()),
            ));
        }
        let wavelength = |p: &Pattern| p.wavelength().unwrap_or(Wavelength::CU_KA);
        let mut out: Vec<Option<Searched>> = vec![None; patterns.len()];
        let mut seen: Vec<Wavelength> = Vec::new();
        for p in patterns {
            let w = wavelength(p);
            if !seen.contains(&w) {
                seen.push(w);
            }
        }
        for w in seen {
            let refs = self.references(w)?;
            let matcher = Matcher::new(Arc::clone(&self.library), &refs, w, self.params.clone())?;
            // A search scores few references in parallel (its bound leaves out the rest), so
            // the patterns are searched in parallel too.
            let found: Vec<(usize, Searched)> = patterns
                .par_iter()
                .enumerate()
                .filter(|(_, p)| wavelength(p) == w)
                .map(|(i, p)| {
                    let skip = exclude.map_or(&[][..], |x| &x[i][..]);
                    (
                        i,
                        matcher.search_excluding(p, skip).map_err(|e| e.to_string()),
                    )
                })
                .collect();
            for (i, searched) in found {
                out[i] = Some(searched);
            }
        }
        Ok(out
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err("not searched".to_string())))
            .collect())
    }

    /// The library's distribution over space groups and its best phase for one search; None
    /// when the search gave no candidate.
    pub(crate) fn evidence(&self, searched: &Searched) -> Option<(Vec<f64>, PhaseMatch)> {
        let candidates = searched.as_ref().ok()?;
        let entries = self.library.entries();
        let group = |c: &Candidate| entries.get(c.entry).map_or(0, |e| e.space_group);
        let p = self.weighting.distribution(candidates, group)?;
        let best = candidates.first()?;
        let e = entries.get(best.entry)?;
        Some((
            p,
            PhaseMatch {
                entry: best.entry,
                id: e.id.clone(),
                name: e.name().to_string(),
                formula: e.formula.clone(),
                space_group: e.space_group,
                score: best.score,
                weight: self.weighting.weight(best.score),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(entry: usize, score: f64) -> Candidate {
        Candidate {
            entry,
            score,
            cell_scale: 1.0,
            zero_shift: 0.0,
        }
    }

    #[test]
    fn candidates_vote_by_their_scores() {
        let w = LibraryWeighting {
            temperature: 0.02,
            midpoint: 0.8,
            width: 0.04,
            ..LibraryWeighting::default()
        };
        // Entries 0 and 2 are group 225, entry 1 group 62.
        let group = |c: &Candidate| [225, 62, 225][c.entry];
        let p = w
            .distribution(&[cand(0, 0.9), cand(1, 0.88), cand(2, 0.5)], group)
            .unwrap();
        let (a, b, c) = (1.0, (-1.0f64).exp(), (-20.0f64).exp());
        let t = a + b + c;
        assert!((p[224] - (a + c) / t).abs() < 1e-12);
        assert!((p[61] - b / t).abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(w.distribution(&[], group).is_none());
        assert!((w.weight(0.8) - 0.5).abs() < 1e-15);
        assert!(w.weight(0.95) > 0.97 && w.weight(0.6) < 0.01);
        let d = LibraryWeighting::default();
        assert!((d.weight(d.midpoint) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn invalid_weightings_name_their_field() {
        let bad = |w: LibraryWeighting, name: &str| match w.check() {
            Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
                assert_eq!(n, name)
            }
            other => panic!("expected invalid `{name}`, got {other:?}"),
        };
        let d = LibraryWeighting::default();
        d.check().unwrap();
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            bad(
                LibraryWeighting {
                    temperature: t,
                    ..d
                },
                "temperature",
            );
            bad(LibraryWeighting { width: t, ..d }, "width");
        }
        for m in [-0.1, 1.1, f64::NAN] {
            bad(LibraryWeighting { midpoint: m, ..d }, "midpoint");
        }
        for m in [0.0, -20.0, f64::NAN] {
            bad(
                LibraryWeighting {
                    decisive_merit: m,
                    ..d
                },
                "decisive_merit",
            );
        }
        // Infinity: no cell is decisive.
        LibraryWeighting {
            decisive_merit: f64::INFINITY,
            ..d
        }
        .check()
        .unwrap();
    }
}
