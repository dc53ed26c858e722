//! Identification confirmed by whole-pattern refinement: the phases search-match found are
//! refined together (xrd-refine), close alternatives for the same residual compared by their
//! refined fit, a further phase kept only where it improves the fit significantly (an F-test,
//! [`Refinement::significantly_better_than`]), and weak phases the residual test could not
//! name tried: among the elements given (or, without, those of the phases kept), those whose
//! lines the unexplained peaks name, then the best candidates of a residual search whose visible
//! lines fall on those peaks (`evidence`).
//! Among a found phase's alternatives, what a chemist would not expect is compared after the
//! rest and taken only for a significantly better fit: an element in a second oxidation state
//! beside the phases kept before it (so the order of the found phases matters), then, under an
//! element filter, the entry of the same mineral refined with a trace of another element or,
//! without one, an entry with an element no phase kept has (beside which the entries of the
//! kept phases' elements whose lines name them among the found phase's are compared too).
//! What comes out is weight fractions instead of intensity shares.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::Control;
use xrd_io::Pattern;
use xrd_refine::{Phase, RefineParams, Refinement, Refiner, Stage};

use crate::error::invalid;
use crate::phases::Identification;
use crate::search::Matcher;
use crate::{Composition, Result};

/// Default one-sided normal deviate of the F-test a further phase must pass (α = 0.001).
pub const DEFAULT_SIGNIFICANCE: f64 = 3.09;
/// Default relative drop of Rwp a further phase must bring as well.
pub const DEFAULT_MIN_RWP_GAIN: f64 = 0.03;
/// Default number of the last residual search's candidates tried as further phases.
pub const DEFAULT_EXTRA_CANDIDATES: usize = 4;
/// The non-metals (and metalloids), which make a compound of hydrogen something other than a
/// metal hydride.
const NON_METALS: [&str; 17] = [
    "He", "B", "C", "N", "O", "F", "Ne", "Si", "P", "S", "Cl", "Ar", "As", "Se", "Br", "Te", "I",
];
/// Oxidation states of one element in two phases that differ by more than this are two states
/// (non-stoichiometry such as Ni₀.₉₉₅O stays within it).
const OXIDATION_TOLERANCE: f64 = 0.25;

/// Settings of [`Matcher::confirm`] (builder; defaults `DEFAULT_*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmParams {
    significance: f64,
    min_rwp_gain: f64,
    extra_candidates: usize,
    max_phases: usize,
}

impl Default for ConfirmParams {
    fn default() -> Self {
        Self {
            significance: DEFAULT_SIGNIFICANCE,
            min_rwp_gain: DEFAULT_MIN_RWP_GAIN,
            extra_candidates: DEFAULT_EXTRA_CANDIDATES,
            max_phases: crate::DEFAULT_MAX_PHASES,
        }
    }
}

xrd_io::param_guard!(crate::Error => ConfirmParams);

impl ConfirmParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    xrd_io::setters! {
        /// The one-sided normal deviate z of the F-test a further phase must pass
        /// ([`Refinement::significantly_better_than`]), 1–10 (default 3.09, α = 0.001).
        #[must_use]
        significance, get_significance: f64;

        /// The relative drop of Rwp a further phase must bring besides passing the F-test (which
        /// a lab scan's thousands of points pass for any small misfit), 0–0.5 (default 0.03, chosen
        /// on dara_dev among 0.01, 0.02, 0.03 and 0.05).
        #[must_use]
        min_rwp_gain, get_min_rwp_gain: f64;

        /// How many of the last residual search's candidates are tried as further phases,
        /// 0–20 (default 4).
        #[must_use]
        extra_candidates, get_extra_candidates: usize;

        /// Most phases kept, 1–6 (default [`DEFAULT_MAX_PHASES`](crate::DEFAULT_MAX_PHASES)).
        #[must_use]
        max_phases, get_max_phases: usize;
    }

    /// Validates every value.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the first invalid one.
    pub fn check(&self) -> Result<()> {
        if !(1.0..=10.0).contains(&self.significance) {
            return Err(invalid(
                "significance",
                format!("{} must be in 1–10", self.significance),
            ));
        }
        if !(0.0..=0.5).contains(&self.min_rwp_gain) {
            return Err(invalid(
                "min_rwp_gain",
                format!("{} must be in 0–0.5", self.min_rwp_gain),
            ));
        }
        if self.extra_candidates > 20 {
            return Err(invalid(
                "extra_candidates",
                format!("{} must be in 0–20", self.extra_candidates),
            ));
        }
        if !(1..=6).contains(&self.max_phases) {
            return Err(invalid(
                "max_phases",
                format!("{} must be in 1–6", self.max_phases),
            ));
        }
        Ok(())
    }
}

/// An identification confirmed by refinement.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The library entries kept, in the refinement's phase order (that of `refinement.phases`).
    pub entries: Vec<usize>,
    /// The refinement of the kept phases (default plan).
    pub refinement: Refinement,
    /// What changed, for the log: entries dropped, replaced or added, and why.
    pub notes: Vec<String>,
}

impl Confirmation {
    /// The peaks search-match left unexplained ([`Identification::unexplained`]: 2θ, height as
    /// a share of the strongest point) which the confirmed fit leaves too: those where the
    /// refinement's residual (observed − calculated) still stands at half or more of what the
    /// search's residual stood there (both averaged over 0.1° to keep their noise down, the
    /// search's scaled by the strongest point above the background), and those outside the
    /// refined range. A phase the refinement added or put in place of the search's explains its
    /// lines; a weak peak on the flank of a strong line stays unless the fit takes it.
    pub fn unexplained(&self, found: &Identification) -> Vec<(f64, f64)> {
        let r = &self.refinement;
        // The search's intensities are background-free with the strongest point 1; the
        // refinement's counts are scaled to them by their strongest point above its background.
        let strongest = (r.observed.iter().zip(&r.background))
            .map(|(o, b)| o - b)
            .fold(0.0, f64::max);
        let residual: Vec<f64> = (r.observed.iter().zip(&r.calculated))
            .map(|(o, c)| o - c)
            .collect();
        if strongest <= 0.0 || residual.len() != r.two_theta.len() {
            return found.unexplained.clone();
        }
        (found.unexplained.iter().copied())
            .filter(|&(t, _)| {
                let Some(left) = peak_mean(&r.two_theta, &residual, t) else {
                    return true;
                };
                let before = peak_mean(&found.two_theta, &found.residual, t).unwrap_or(0.0);
                left >= EXPLAINED_SHARE * before * strongest
            })
            .collect()
    }
}

/// The largest mean of `y` over a span of [`RESIDUAL_SPAN`] centred within half of it of `t`
/// (a peak's top, averaged over a few points); `None` where `x` has no point there.
fn peak_mean(x: &[f64], y: &[f64], t: f64) -> Option<f64> {
    let half = RESIDUAL_SPAN / 2.0;
    let at = |v: f64| x.partition_point(|&p| p < v);
    // Prefix sums of the points near t: the mean over any span in constant time.
    let (lo, hi) = (at(t - RESIDUAL_SPAN), at(t + RESIDUAL_SPAN).min(y.len()));
    let mut sums = vec![0.0];
    for v in &y[lo..hi] {
        sums.push(sums[sums.len() - 1] + v);
    }
    (at(t - half)..at(t + half))
        .filter_map(|i| {
            let (a, b) = (at(x[i] - half) - lo, at(x[i] + half).min(hi) - lo);
            (b > a).then(|| (sums[b] - sums[a]) / (b - a) as f64)
        })
        .reduce(f64::max)
}

/// Width (° 2θ) of the span the residual is averaged over when an unexplained peak is looked
/// for in the confirmed fit ([`Confirmation::unexplained`]): a peak's top, a few points.
const RESIDUAL_SPAN: f64 = 0.1;

/// An unexplained peak stays unexplained where the confirmed fit's residual stands at this
/// share of the search's residual there ([`Confirmation::unexplained`]).
const EXPLAINED_SHARE: f64 = 0.5;

/// Above this Rwp of the phases found, and without an element filter, the refinement keeps them
/// as they are (a fit that poor — seen on processed RRUFF patterns, Rwp 0.27–0.60, against
/// 0.03–0.11 on laboratory scans — cannot tell one of 9,273 structures from another).
const TRUSTED_RWP: f64 = 0.2;

/// Tier of an alternative with an element in a second oxidation state beside the phases kept
/// (`Matcher::confirm`; 0 is the expected).
const SECOND_STATE: usize = 1;
/// Tier of an alternative with an element outside those given (a trace) or, without an element
/// filter, one no phase kept has; with a second oxidation state as well, the tier after.
const FOREIGN: usize = 2;

/// Entries made of the kept phases' elements compared with a found phase of other elements
/// (`Matcher::coherent_relatives`), at most.
const COHERENT: usize = 2;

/// Alternatives of a found phase compared with it.
const MAX_ALTERNATIVES: usize = 4;

/// Weight fraction below which a phase is dropped after the final fit, whatever its esd.
const MIN_WEIGHT: f64 = 0.005;

/// Iterations per stage of the fit that decides whether the fit can decide anything: enough to
/// tell Rwp 0.3 from 0.1, and it is most of the cost on a batch of poorly fitting patterns (457
/// RRUFF patterns: 29 s in all at 3, 36 s at 6).
const GATE_ITERATIONS: usize = 3;

/// The fits of a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Decides whether a fit is good enough to decide anything: scales, background, cells,
    /// zero and each phase's size, [`GATE_ITERATIONS`] each, started from search-match's zero
    /// shift without a search.
    Gate,
    /// Compares phase sets: the workspace's comparison plan ([`RefineParams::comparison`]).
    Compare,
    /// The final fit: the default plan.
    Full,
}

impl Matcher {
    /// Refines the phases of `found` against `pattern` and keeps what the fit supports (see
    /// the module docs). `None` when `found` names no phase or its phases cannot be refined
    /// together; its phases unchanged when their fit is poorer than Rwp 0.2 and the search has
    /// no element filter, but for those that fit gives no weight (less than 0.5 %).
    ///
    /// Every refinement runs under `control`: once it is cancelled, the refinement under way
    /// stops at its next least-squares step and this returns the refinement's
    /// `Cancelled` error.
    ///
    /// # Errors
    /// Invalid `params`; a wavelength other than the references'; [`xrd_refine::Error::Cancelled`]
    /// (inside [`crate::Error::Refine`]).
    pub fn confirm(
        &self,
        pattern: &Pattern,
        found: &Identification,
        params: &ConfirmParams,
        control: &Control,
    ) -> Result<Option<Confirmation>> {
        params.check()?;
        // A cancelled refinement fails like one that cannot run; this turns either into the
        // cancel once the fits of a step are in.
        let cancelled = || control.check().map_err(xrd_refine::Error::from);
        cancelled()?;
        self.check_wavelength(pattern)?;
        if found.phases.is_empty() {
            return Ok(None);
        }
        let wavelength = pattern.wavelength().unwrap_or(self.wavelength());
        let entries = self.library().entries();
        let phase_of = |i: usize| -> Option<Phase> {
            // The same reference a named phase is refined with (missing B given defaults).
            crate::spec::reference_phase(entries[i].name(), &entries[i]).ok()
        };
        let search_zero = found.phases[0].candidate.zero_shift.clamp(-1.0, 1.0);
        let fit = |set: &[usize], plan: Plan| -> Option<Refinement> {
            let phases: Option<Vec<Phase>> = set.iter().map(|&i| phase_of(i)).collect();
            let settings = match plan {
                Plan::Gate => RefineParams::new()
                    .stages(vec![Stage::ScaleBackground, Stage::CellsZero])
                    .max_iterations(GATE_ITERATIONS)
                    .zero_search(0.0),
                Plan::Compare => RefineParams::new().comparison(),
                Plan::Full => RefineParams::new(),
            };
            // The trust check starts from the zero shift search-match found instead of searching.
            let zero = if plan == Plan::Gate { search_zero } else { 0.0 };
            Refiner::new(phases?)
                .instrument(xrd_refine::Instrument {
                    zero,
                    ..xrd_refine::Instrument::default()
                })
                .params(settings)
                .control(control.clone())
                .fit(pattern, wavelength)
                .ok()
        };
        let name = |i: usize| format!("{} ({})", entries[i].name(), entries[i].id);
        let better = |r: &Refinement, than: &Refinement| {
            r.significantly_better_than(than, params.significance)
                && r.rwp <= than.rwp * (1.0 - params.min_rwp_gain)
        };
        let mut notes = Vec::new();
        // Without an element filter, a poor fit of the phases search-match found decides
        // nothing among the whole library: they are kept as found, with the weight fractions of
        // that fit. (With one, a poor fit is what missing phases give, which the search below
        // looks for.)
        let restricted = self.params().get_elements().is_some();
        if !restricted {
            let as_found: Vec<usize> = found.phases.iter().map(|p| p.candidate.entry).collect();
            // Phases it cannot refine at all are left to search-match.
            let gate = fit(&as_found, Plan::Gate);
            cancelled()?;
            let Some(r) = gate else {
                return Ok(None);
            };
            if r.rwp > TRUSTED_RWP {
                notes.push(format!(
                    "Rwp {:.4} of the phases found is too poor to confirm or change them",
                    r.rwp
                ));
                // Found phases the fit gives no weight at all are not there whatever the fit's
                // quality (a residual search of a poor pattern finds phases on its misfit).
                let (mut as_found, mut r) = (as_found, r);
                let empty: Vec<usize> = (r.phases.iter().enumerate())
                    .filter(|(_, p)| p.weight_fraction < MIN_WEIGHT)
                    .map(|(k, _)| k)
                    .collect();
                if !empty.is_empty() && empty.len() < as_found.len() {
                    let mut left = as_found.clone();
                    for &k in empty.iter().rev() {
                        left.remove(k);
                    }
                    let again = fit(&left, Plan::Gate);
                    cancelled()?;
                    if let Some(again) = again {
                        for &k in &empty {
                            notes.push(format!(
                                "{} dropped: {:.4} of the weight",
                                name(as_found[k]),
                                r.phases[k].weight_fraction
                            ));
                        }
                        (as_found, r) = (left, again);
                    }
                }
                return Ok(Some(Confirmation {
                    entries: as_found,
                    refinement: r,
                    notes,
                }));
            }
        }
        // Each phase in turn, with its alternatives for the same residual, kept only when it
        // improves on the phases before it.
        let mut kept: Vec<usize> = Vec::new();
        let mut current: Option<Refinement> = None;
        for phase in &found.phases {
            // The search's choice, then up to MAX_ALTERNATIVES others for the same residual: the
            // best refined fit is kept.
            let tries: Vec<usize> = std::iter::once(phase.candidate)
                .chain(phase.alternatives.iter().copied().take(MAX_ALTERNATIVES))
                .map(|c| c.entry)
                .filter(|&e| {
                    !(kept.contains(&e)
                        || self.same_mineral_as(e, &kept)
                        || self.implausible_beside(e, &kept).is_some())
                })
                .collect();
            // Without an element filter, the entries of the same lines made of the elements of
            // the phases kept too (magnetite for Ba₂MgUO₆ beside hematite), which the search's
            // cosine can rank far below (the line it would be judged by hidden under
            // hematite's).
            let coherent: Vec<usize> = if self.new_elements(phase.candidate.entry, &kept).is_some()
            {
                (self.coherent_relatives(phase, found, &kept, COHERENT))
                    .into_iter()
                    .filter(|e| {
                        !(tries.contains(e)
                            || kept.contains(e)
                            || self.implausible_beside(*e, &kept).is_some())
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let tries: Vec<usize> = tries.into_iter().chain(coherent).collect();
            let pure = tries.len();
            // Under one, the entries of the same formulas refined with a trace of another
            // element.
            let traced = self.traced_relatives(&tries, &kept);
            let tries: Vec<usize> = tries.into_iter().chain(traced).collect();
            // What a chemist would not expect of an entry, in tiers: an element in a second
            // oxidation state beside the phases kept (TiO beside TiO₂ where NiO of the same
            // cell fits as well), then a trace outside the elements given or, without
            // elements, an element none of the phases kept has (TiN beside Co₃O₄ where CoO of
            // the same cell fits as well: the phases found are the evidence of what the powder
            // is made of), then both.
            let unexpected: Vec<Option<(usize, String)>> = (tries.iter().enumerate())
                .map(|(k, &e)| {
                    if k >= pure {
                        return Some((
                            FOREIGN,
                            format!("with {} outside the elements given", self.traces_outside(e)),
                        ));
                    }
                    let state = self
                        .other_state_beside(e, &kept)
                        .map(|w| format!("with {w}"));
                    let new = (!restricted)
                        .then(|| self.new_elements(e, &kept))
                        .flatten()
                        .map(|n| format!("with {n}, which no phase kept has"));
                    match (state, new) {
                        (None, None) => None,
                        (Some(w), None) => Some((SECOND_STATE, w)),
                        (None, Some(n)) => Some((FOREIGN, n)),
                        (Some(w), Some(n)) => Some((FOREIGN + SECOND_STATE, format!("{n}, {w}"))),
                    }
                })
                .collect();
            // The candidates' comparison fits are independent: in parallel, then the first of
            // the lowest Rwp in the search's order, as one after the other.
            let fits: Vec<Option<Refinement>> = tries
                .par_iter()
                .map(|&e| {
                    let mut set = kept.clone();
                    set.push(e);
                    fit(&set, Plan::Compare)
                })
                .collect();
            cancelled()?;
            let mut tiers: [Option<(usize, Refinement, String)>; FOREIGN + SECOND_STATE + 1] =
                std::array::from_fn(|_| None);
            for ((e, r), why) in tries.into_iter().zip(fits).zip(unexpected) {
                let Some(r) = r else { continue };
                let (tier, why) = why.unwrap_or_default();
                if tiers[tier].as_ref().is_none_or(|(_, b, _)| r.rwp < b.rwp) {
                    tiers[tier] = Some((e, r, why));
                }
            }
            // An unexpected entry is taken only for a significantly better fit than the best of
            // the tiers before it (as a further phase is): one that fits as well is the one to
            // report.
            let [first, rest @ ..] = tiers;
            let mut best = first.map(|(e, r, _)| (e, r));
            // The best fit of the tiers so far, taken or not: a later tier must beat it.
            let mut bar: Option<Refinement> = best.as_ref().map(|(_, r)| r.clone());
            for (tier, (e, r, why)) in (1..).zip(rest).filter_map(|(t, x)| Some((t, x?))) {
                let gained = bar.as_ref().is_none_or(|b| better(&r, b));
                // A close call is said too: within the gain asked of the entry reported.
                let close = best
                    .as_ref()
                    .is_some_and(|(_, b)| r.rwp < b.rwp * (1.0 + params.min_rwp_gain));
                // Without a comparison, an element of its own is what most phases of a
                // mixture have: nothing to say.
                let compared = bar.is_some() || restricted || tier < FOREIGN;
                if (gained || close) && compared {
                    let against = best
                        .as_ref()
                        .map(|(p, b)| format!(" against {:.4} of {}", b.rwp, name(*p)));
                    notes.push(format!(
                        "{}, {why}, {}: Rwp {:.4}{}{}",
                        name(e),
                        if gained { "taken" } else { "not taken" },
                        r.rwp,
                        against.unwrap_or_default(),
                        if gained {
                            ""
                        } else {
                            " is no significant gain"
                        }
                    ));
                }
                if gained {
                    bar = Some(r.clone());
                    best = Some((e, r));
                } else if bar.as_ref().is_none_or(|b| r.rwp < b.rwp) {
                    bar = Some(r);
                }
            }
            let Some((entry, r)) = best else {
                let c = phase.candidate.entry;
                // Say why nothing was fitted: a phase kept already, one that cannot stand beside
                // them, or fits that failed.
                if !(kept.contains(&c) || self.same_mineral_as(c, &kept)) {
                    let why = (self.implausible_beside(c, &kept)).map_or_else(
                        || "could not be refined".into(),
                        |w| format!("not tried: {w}"),
                    );
                    notes.push(format!("{} {why}", name(c)));
                }
                continue;
            };
            if entry != phase.candidate.entry {
                notes.push(format!(
                    "{} replaced by {} (Rwp {:.4})",
                    name(phase.candidate.entry),
                    name(entry),
                    r.rwp
                ));
            }
            match &current {
                Some(c) if !better(&r, c) => {
                    notes.push(format!(
                        "{} dropped: Rwp {:.4} → {:.4} is no significant gain",
                        name(entry),
                        c.rwp,
                        r.rwp
                    ));
                }
                _ => {
                    kept.push(entry);
                    current = Some(r);
                }
            }
        }
        // Weak phases the residual test could not name: only among the elements the user
        // allowed (or those of the phases kept), since any of thousands of structures can fit a
        // misfit of the others. First those whose lines the unexplained peaks name (`evidence`:
        // a few lines all there, which the residual search's cosine ranks low beside a second
        // missing phase), then the residual search's best; each only where its visible lines
        // fall on those peaks, since a reference with many lines can lower Rwp by fitting a
        // little of everything.
        let mut tried = 0;
        let mut seen: Vec<usize> = Vec::new();
        // Struck out by their lines: one note for all, each material once.
        let mut missing: Vec<usize> = Vec::new();
        // Without one, the elements of the phases kept stand for the filter: a powder is
        // seldom made of elements no phase found has, and a phase of them explains a weak
        // phase's lines (magnetite at 15 % of hematite) better than anything of other elements.
        let allowed = |e: usize| restricted || self.made_of_elements_of(e, &kept);
        let residual_candidates = if restricted {
            found.residual_candidates.clone()
        } else if kept.is_empty() {
            Vec::new()
        } else {
            self.residual_search_among(found, &allowed)
        };
        let order: Vec<usize> = self
            .named_by_lines(found, allowed)
            .into_iter()
            .chain(residual_candidates.iter().map(|c| c.entry))
            .collect();
        for e in order {
            if kept.len() >= params.max_phases || tried >= params.extra_candidates {
                break;
            }
            if seen.contains(&e) || kept.contains(&e) || self.same_mineral_as(e, &kept) {
                continue;
            }
            seen.push(e);
            // Without a filter, only what its lines name: a powder's own elements still make
            // polymorphs and other states enough to fit any misfit (diamond's one line beside
            // Li₂CO₃ in dara_dev).
            if !(self.line_evidence(e, found)).is_some_and(|ev| {
                if restricted {
                    ev.worth_trying()
                } else {
                    ev.names()
                }
            }) {
                missing.push(e);
                continue;
            }
            tried += 1;
            if let Some(why) = self.implausible_beside(e, &kept) {
                notes.push(format!("{} not tried: {why}", name(e)));
                continue;
            }
            let mut set = kept.clone();
            set.push(e);
            let tried_fit = fit(&set, Plan::Compare);
            cancelled()?;
            let (Some(r), Some(cur)) = (tried_fit, &current) else {
                continue;
            };
            if better(&r, cur) && r.phases.last().is_some_and(|p| p.weight_fraction > 0.0) {
                notes.push(format!(
                    "{} added: Rwp {:.4} → {:.4}",
                    name(e),
                    cur.rwp,
                    r.rwp
                ));
                kept.push(e);
                current = Some(r);
            } else {
                notes.push(format!(
                    "{} tried, not kept: Rwp {:.4} → {:.4}",
                    name(e),
                    cur.rwp,
                    r.rwp
                ));
            }
        }
        if !missing.is_empty() {
            let mut names: Vec<&str> = Vec::new();
            for &e in &missing {
                let n = entries[e].name();
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            notes.push(format!(
                "{} ({} entries) not tried: too few of their lines are among the unexplained peaks",
                names.join(", "),
                missing.len()
            ));
        }
        // Backward: a phase whose removal the others make up for (the fit without it is not
        // significantly worse) goes, the least needed first.
        while kept.len() > 1 {
            let Some(cur) = &current else { break };
            let mut least: Option<(usize, Refinement)> = None;
            for k in 0..kept.len() {
                let mut set = kept.clone();
                set.remove(k);
                if let Some(r) = fit(&set, Plan::Compare)
                    && !better(cur, &r)
                    && least.as_ref().is_none_or(|(_, b)| r.rwp < b.rwp)
                {
                    least = Some((k, r));
                }
            }
            cancelled()?;
            let Some((k, r)) = least else { break };
            notes.push(format!(
                "{} dropped: without it Rwp {:.4} → {:.4} only",
                name(kept[k]),
                cur.rwp,
                r.rwp
            ));
            kept.remove(k);
            current = Some(r);
        }
        if kept.is_empty() {
            return Ok(None);
        }
        let full = fit(&kept, Plan::Full);
        cancelled()?;
        let Some(mut refinement) = full else {
            return Ok(None);
        };
        // A phase the final fit leaves at less than its esd (or 0.5 wt%) is not shown to be
        // there: dropped, and the rest refined again.
        let weak: Vec<usize> = refinement
            .phases
            .iter()
            .enumerate()
            .filter(|(_, p)| p.weight_fraction < p.weight_fraction_esd.max(MIN_WEIGHT))
            .map(|(k, _)| k)
            .collect();
        if !weak.is_empty() && weak.len() < kept.len() {
            for &k in weak.iter().rev() {
                notes.push(format!(
                    "{} dropped: {:.4} ± {:.4} of the weight",
                    name(kept[k]),
                    refinement.phases[k].weight_fraction,
                    refinement.phases[k].weight_fraction_esd
                ));
                kept.remove(k);
            }
            let again = fit(&kept, Plan::Full);
            cancelled()?;
            match again {
                Some(r) => refinement = r,
                None => return Ok(None),
            }
        }
        Ok(Some(Confirmation {
            entries: kept,
            refinement,
            notes,
        }))
    }

    /// Why entry `i` cannot stand beside the phases `entries` in one powder, if it cannot: a
    /// metal hydride beside an oxide or hydroxide (they react), or no possible oxidation state
    /// at all (MnO₄.₁₇ would need Mn⁸⁺). A chemist strikes such a phase out however well it
    /// fits.
    fn implausible_beside(&self, i: usize, entries: &[usize]) -> Option<String> {
        let all = self.library().entries();
        // A metal hydride and an oxide or hydroxide react (H⁻ + OH⁻ → H₂ + O²⁻); a hydride's
        // few cubic lines otherwise fit a misfit (LaH₂ for La(OH)₃'s beside NiO in dara_dev).
        let hydride = |k: usize| {
            let e = &all[k].elements;
            e.iter().any(|x| x == "H" || x == "D")
                && e.iter()
                    .all(|x| x == "H" || x == "D" || !NON_METALS.contains(&x.as_str()))
        };
        let oxide = |k: usize| all[k].elements.iter().any(|x| x == "O");
        for &k in entries {
            if (hydride(i) && oxide(k)) || (oxide(i) && hydride(k)) {
                return Some(format!("a hydride beside an oxide ({})", all[k].name()));
            }
        }
        let mine = self.oxidation_states(i)?;
        let (el, q) = mine.iter().find(|(_, q)| !(-4.0..=7.0).contains(q))?;
        Some(format!("{el} would be {q:+.1}"))
    }

    /// An element of entry `i` in another oxidation state than in one of `entries`, in words
    /// (by charge balance, [`Composition::oxidation_states`]: V⁴⁺O₂ beside V₂⁵⁺O₅, Mn⁴⁺O₂
    /// beside Mn²⁺CO₃, a metal or carbon beside its oxide or carbonate). Such a phase is
    /// possible (a partly reduced or oxidised powder: Fe₃O₄ beside Fe₂O₃, Cu₂O beside CuO), so
    /// it is not struck out; among a found phase's alternatives it is taken only for a
    /// significantly better fit than the others' (TiO beside TiO₂ where NiO of the same cell
    /// fits as well).
    fn other_state_beside(&self, i: usize, entries: &[usize]) -> Option<String> {
        let all = self.library().entries();
        let mine = self.oxidation_states(i)?;
        for &k in entries {
            let Some(theirs) = self.oxidation_states(k) else {
                continue;
            };
            for (el, q) in &mine {
                if let Some((_, p)) = theirs.iter().find(|(e, _)| e == el)
                    && (q - p).abs() > OXIDATION_TOLERANCE
                {
                    return Some(format!(
                        "{el} {q:+.1} beside {el} {p:+.1} in {}",
                        all[k].name()
                    ));
                }
            }
        }
        None
    }

    /// The oxidation states of entry `i` by charge balance; a trace (Fe.034 in α-Mn₂O₃) leaves
    /// the states of the rest as they are.
    fn oxidation_states(&self, i: usize) -> Option<Vec<(String, f64)>> {
        Composition::parse(&self.library().entries()[i].formula)
            .ok()
            .and_then(|c| c.without_traces().oxidation_states())
    }

    /// The elements of entry `i` (without its traces) that none of `entries` has (without
    /// theirs), in words ("Ti and N"); `None` when it has none or `entries` is empty.
    pub(crate) fn new_elements(&self, i: usize, entries: &[usize]) -> Option<String> {
        let all = self.library().entries();
        let elements = |k: usize| -> Vec<String> {
            Composition::parse(&all[k].formula)
                .map(|c| {
                    (c.without_traces().fractions().iter())
                        .map(|(e, _)| e.clone())
                        .collect()
                })
                .unwrap_or_else(|_| all[k].elements.clone())
        };
        if entries.is_empty() {
            return None;
        }
        let present: Vec<String> = entries.iter().flat_map(|&k| elements(k)).collect();
        let new: Vec<String> = (elements(i).into_iter())
            .filter(|e| !present.contains(e))
            .collect();
        let (last, rest) = new.split_last()?;
        Some(if rest.is_empty() {
            last.clone()
        } else {
            format!("{} and {last}", rest.join(", "))
        })
    }

    /// Under an element filter, the entries the filter left out only for a trace of another
    /// element ([`crate::Entry::made_of_but_traces`]) whose formula without it is that of one of
    /// `tries`: for each try, the best-judged ([`crate::ranked`]) of those of its mineral or
    /// space group (not another polymorph), at room conditions, not of a mineral of `kept`.
    /// α-Mn₂O₃ is in the library as `(Fe.034 Mn1.966) O3`; its formula's only trace-free entry
    /// is a structure of 1928.
    fn traced_relatives(&self, tries: &[usize], kept: &[usize]) -> Vec<usize> {
        let library = self.library();
        let entries = library.entries();
        let mut out = Vec::new();
        for &t in tries {
            let Ok(formula) = Composition::parse(&entries[t].formula) else {
                continue;
            };
            let traced: Vec<usize> = (self.traced().iter())
                .filter(|(e, without)| {
                    let entry = &entries[*e];
                    without.same_formula(&formula)
                        // The found phase's mineral or structure, not another polymorph.
                        && ((!entry.mineral.is_empty() && entry.mineral == entries[t].mineral)
                            || entry.space_group == entries[t].space_group)
                        && !self.same_mineral_as(*e, kept)
                })
                .map(|(e, _)| *e)
                .collect();
            if let Some(&(best, _)) = crate::choice::ranked(library, &traced).first()
                && !out.contains(&best)
            {
                out.push(best);
            }
        }
        out
    }

    /// The traces of entry `i` outside the search's elements, in words ("a trace of Fe
    /// (0.7 at.%)").
    fn traces_outside(&self, i: usize) -> String {
        let allowed = self.params().get_elements().unwrap_or_default();
        let Ok(formula) = Composition::parse(&self.library().entries()[i].formula) else {
            return "a trace".into();
        };
        let words: Vec<String> = formula
            .traces()
            .into_iter()
            .filter(|(e, _)| !allowed.iter().any(|a| a == e))
            .map(|(e, f)| format!("{e} ({:.1} at.%)", 100.0 * f))
            .collect();
        format!("a trace of {}", words.join(" and "))
    }

    /// Whether entry `i` is a material already among `entries`: the same mineral name, or the
    /// same formula in the same space group, or the same formula with a volume per atom within
    /// 2 % (one structure described in two space groups, as In₂O₃ of 1928 and of 1966).
    pub(crate) fn same_mineral_as(&self, i: usize, entries: &[usize]) -> bool {
        let all = self.library().entries();
        let name = &all[i].mineral;
        let composition = Composition::parse(&all[i].formula).ok();
        let volume = |k: usize| crate::choice::volume_per_atom(&all[k]).map(|v| v.0);
        entries.iter().any(|&k| {
            let same_formula = composition.as_ref().is_some_and(|c| {
                Composition::parse(&all[k].formula).is_ok_and(|o| o.same_formula(c))
            });
            (!name.is_empty() && &all[k].mineral == name)
                || same_formula
                    && (all[k].space_group == all[i].space_group
                        || volume(i)
                            .zip(volume(k))
                            .is_some_and(|(a, b)| (a / b - 1.0).abs() < 0.02))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: ConfirmParams) -> &'static str {
        match p.check() {
            Ok(()) => "ok",
            Err(crate::Error::InvalidParameter(e)) => e.name,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn each_invalid_value_is_named() {
        let d = ConfirmParams::new;
        assert_eq!(refused(d()), "ok");
        assert_eq!(refused(d().significance(0.5)), "significance");
        assert_eq!(refused(d().significance(f64::NAN)), "significance");
        assert_eq!(refused(d().extra_candidates(21)), "extra_candidates");
        assert_eq!(refused(d().min_rwp_gain(-0.1)), "min_rwp_gain");
        assert_eq!(refused(d().max_phases(0)), "max_phases");
        assert_eq!(refused(d().max_phases(7)), "max_phases");
    }
}
