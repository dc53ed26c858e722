//! Whether a reference's lines stand among the peaks that the phases found leave unexplained.
//!
//! The residual search ranks references by a cosine over the whole residual. When the residual
//! holds the lines of two missing phases, one of them outside the library, the cosine prefers a
//! reference with many lines spread over both (La₂TiO₅ for La(OH)₃ beside NiO in dara_dev)
//! to the one whose few lines are all there (NiO's three). The test here asks the question a
//! person asks of a peak list instead: with one shift of 2θ, do the reference's lines that would
//! be strong enough to see fall on unexplained peaks? It names candidates the cosine ranks low,
//! and it strikes out those whose strong lines are missing.

use crate::phases::{FoundPhase, Identification, masked_spans};
use crate::search::Matcher;

/// Largest shift (° 2θ) of the reference's anchor line (see [`ANCHOR`]) to the peak it is
/// matched with: a sample displacement or zero error of a lab scan (NiO in dara_dev: 0.16°), or
/// a cell a few tenths of a per cent off.
const MAX_SHIFT: f64 = 0.3;
/// A line falls on a peak within this (° 2θ) after the shift: the unexplained peaks come from
/// a residual smoothed with the search's σ (0.15°).
const HIT: f64 = 0.1;
/// Lines weaker than this share of the strongest are not judged: a reference's weak intensities
/// are its least reliable.
const MIN_LINE: f64 = 0.05;
/// Lines of at least this share of the strongest judged one are each tried as the line that
/// sets the shift and the scale.
const ANCHOR: f64 = 0.25;
/// A reference is named by its lines when this share of the intensity of its visible lines falls
/// on unexplained peaks…
pub(crate) const MIN_SHARE_ON_PEAKS: f64 = 0.75;
/// …on this many peaks at least (one peak fits a line of many references).
pub(crate) const MIN_HITS: usize = 2;
/// A candidate of the residual search is tried only when this share of the intensity of its
/// visible lines falls on unexplained peaks: a looser test than naming one, since the residual
/// search has already found its profile in the residual, and the peaks' positions, read from a
/// residual that another phase's misfit distorts, are a tenth of a degree uncertain. La₂TiO₅
/// for La(OH)₃ beside NiO: 0.36, LaH₂ there 0.56; rhodochrosite beside V₂O₅: 0.77 (chosen on
/// the tuning half of dara_dev).
pub(crate) const MIN_SHARE_TO_TRY: f64 = 0.6;

/// How a reference's lines meet the unexplained peaks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Evidence {
    /// Share of the intensity of the lines that would be seen which falls on unexplained peaks.
    pub share: f64,
    /// How many of those lines fall on one.
    pub hits: usize,
}

impl Evidence {
    /// Whether the lines name the reference ([`MIN_SHARE_ON_PEAKS`], [`MIN_HITS`]).
    pub(crate) fn names(&self) -> bool {
        self.share >= MIN_SHARE_ON_PEAKS && self.hits >= MIN_HITS
    }

    /// Whether a candidate the residual search found is worth a fit ([`MIN_SHARE_TO_TRY`]).
    pub(crate) fn worth_trying(&self) -> bool {
        self.share >= MIN_SHARE_TO_TRY
    }
}

/// The evidence of `lines` (2θ °, relative intensity; Kα1 lines in the pattern's range) among
/// `peaks` (2θ °, height; sorted by 2θ) outside the `hidden` spans, where no peak is looked
/// for. Each line that can be judged of at least [`ANCHOR`] of the strongest is matched with
/// each peak within [`MAX_SHIFT`]; its height there scales the others, and those that would
/// stand above the weakest peak are the visible ones. The shift is tried as constant, as a cell
/// scale (∝ tan θ) and as a displacement (∝ cos θ); the best is returned. `None` when nothing
/// can be judged.
pub(crate) fn evidence(
    lines: &[(f64, f64)],
    peaks: &[(f64, f64)],
    hidden: &[(f64, f64)],
) -> Option<Evidence> {
    let floor = peaks.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let strongest = lines.iter().map(|l| l.1).fold(0.0, f64::max);
    let judged: Vec<(f64, f64)> = lines
        .iter()
        .copied()
        .filter(|&(t, i)| {
            i >= MIN_LINE * strongest && !hidden.iter().any(|&(a, b)| (a..=b).contains(&t))
        })
        .collect();
    let strongest_judged = judged.iter().map(|l| l.1).fold(0.0, f64::max);
    if !(strongest_judged > 0.0 && floor.is_finite()) {
        return None;
    }
    let half = |t: f64| (t / 2.0).to_radians();
    let mut best: Option<Evidence> = None;
    // Each strong line in turn sets the shift and scale: the strongest's peak can be cut down
    // by a found phase's line beside it (magnetite's 311 beside hematite's 110).
    for &(t0, i0) in judged.iter().filter(|l| l.1 >= ANCHOR * strongest_judged) {
        let shapes: [&dyn Fn(f64) -> f64; 3] =
            [&|_| 1.0, &|t| half(t).tan() / half(t0).tan(), &|t| {
                half(t).cos() / half(t0).cos()
            }];
        for &(u, h) in peaks.iter().filter(|(u, _)| (u - t0).abs() <= MAX_SHIFT) {
            let per = h / i0;
            for shape in shapes {
                let (mut on, mut seen, mut hits) = (0.0, 0.0, 0);
                for &(t, i) in &judged {
                    if per * i < floor {
                        continue;
                    }
                    seen += i;
                    let at = t + (u - t0) * shape(t);
                    let k = peaks.partition_point(|p| p.0 < at - HIT);
                    if peaks.get(k).is_some_and(|p| p.0 <= at + HIT) {
                        on += i;
                        hits += 1;
                    }
                }
                let e = Evidence {
                    share: on / seen,
                    hits,
                };
                if best.is_none_or(|b| (e.share, e.hits) > (b.share, b.hits)) {
                    best = Some(e);
                }
            }
        }
    }
    best
}

impl Matcher {
    /// The evidence for entry `i` among the peaks `found` leaves unexplained (its lines at the
    /// library's cell, Kα1, in the pattern's range).
    pub(crate) fn line_evidence(&self, i: usize, found: &Identification) -> Option<Evidence> {
        let (lo, hi) = (*found.two_theta.first()?, *found.two_theta.last()?);
        let lines: Vec<(f64, f64)> = self
            .lines(i, 1.0, 0.0)
            .filter(|&(t, _, primary)| primary && (lo..=hi).contains(&t))
            .map(|(t, i, _)| (t, i))
            .collect();
        evidence(&lines, &found.unexplained, &masked_spans(&found.phases))
    }

    /// Without an element filter, the entries made only of the elements of the phases `kept`
    /// (without traces) whose lines name them among the lines of the found phase `p`
    /// ([`Evidence::names`]; the lines under the other found phases not judged): the
    /// isotype made of what the powder is known to hold, for `p` found as one of other
    /// elements (Ba₂MgUO₆, a double perovskite with magnetite's cell, beside hematite). One
    /// entry per material, the best-judged ([`crate::ranked`]), not `p`'s, at most `most`, the
    /// best evidence first.
    pub(crate) fn coherent_relatives(
        &self,
        p: &FoundPhase,
        found: &Identification,
        kept: &[usize],
        most: usize,
    ) -> Vec<usize> {
        let entries = self.library().entries();
        if kept.is_empty() || self.params().get_elements().is_some() {
            return Vec::new();
        }
        let strongest = p.sticks.iter().map(|s| s.1).fold(0.0, f64::max);
        let mut peaks: Vec<(f64, f64)> = (p.sticks.iter().copied())
            .filter(|&(_, h)| h >= MIN_LINE * strongest)
            .collect();
        peaks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let hidden =
            masked_spans((found.phases.iter()).filter(|o| o.candidate.entry != p.candidate.entry));
        let (lo, hi) = match (found.two_theta.first(), found.two_theta.last()) {
            (Some(&lo), Some(&hi)) => (lo, hi),
            _ => return Vec::new(),
        };
        let mut named: Vec<(Evidence, usize)> = (0..entries.len())
            .filter(|&i| self.allows(i) && i != p.candidate.entry)
            .filter(|&i| self.made_of_elements_of(i, kept))
            .filter_map(|i| {
                let lines: Vec<(f64, f64)> = (self.lines(i, 1.0, 0.0))
                    .filter(|&(t, _, primary)| primary && (lo..=hi).contains(&t))
                    .map(|(t, i, _)| (t, i))
                    .collect();
                Some((evidence(&lines, &peaks, &hidden)?, i))
            })
            .filter(|(e, _)| e.names())
            .collect();
        named.sort_by(|a, b| {
            (b.0.share.total_cmp(&a.0.share))
                .then(b.0.hits.cmp(&a.0.hits))
                .then(a.1.cmp(&b.1))
        });
        let named: Vec<usize> = named.into_iter().map(|(_, i)| i).collect();
        // One entry per material: the best-judged of those the first of it stands for.
        let mut out: Vec<usize> = Vec::new();
        let mut done: Vec<usize> = kept.to_vec();
        done.push(p.candidate.entry);
        for &i in &named {
            if out.len() >= most {
                break;
            }
            if self.same_mineral_as(i, &done) {
                continue;
            }
            let same: Vec<usize> = (named.iter().copied())
                .filter(|&k| self.same_mineral_as(k, &[i]))
                .collect();
            let best = crate::ranked(self.library(), &same)
                .first()
                .map_or(i, |b| b.0);
            done.push(i);
            out.push(best);
        }
        out
    }

    /// The entries the element filter allows, and `keep` keeps, whose lines name them among
    /// the unexplained peaks ([`Evidence::names`]), best first (share, then hits, then library
    /// order).
    pub(crate) fn named_by_lines(
        &self,
        found: &Identification,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        if found.unexplained.is_empty() {
            return Vec::new();
        }
        let mut named: Vec<(Evidence, usize)> = (0..self.library().entries().len())
            .filter(|&i| self.allows(i) && keep(i))
            .filter_map(|i| Some((self.line_evidence(i, found)?, i)))
            .filter(|(e, _)| e.names())
            .collect();
        named.sort_by(|a, b| {
            b.0.share
                .total_cmp(&a.0.share)
                .then(b.0.hits.cmp(&a.0.hits))
                .then(a.1.cmp(&b.1))
        });
        named.into_iter().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NiO's lines against the unexplained peaks of dara_dev's NiO–La(OH)₃–TiO₂ scan, shifted
    /// by 0.16°, among La(OH)₃'s.
    #[test]
    fn a_few_lines_all_on_peaks_name_the_reference() {
        let nio = [
            (37.25, 0.61),
            (43.29, 1.0),
            (62.88, 0.48),
            (75.41, 0.15),
            (79.41, 0.13),
        ];
        let peaks = [
            (15.76, 0.21),
            (27.41, 0.21),
            (28.10, 0.26),
            (37.41, 0.07),
            (39.62, 0.18),
            (43.45, 0.15),
            (48.7, 0.1),
            (63.05, 0.07),
        ];
        let e = evidence(&nio, &peaks, &[]).unwrap();
        // 75.4° and 79.4° would stand at 0.02: below the weakest peak, not judged.
        assert_eq!(e.hits, 3);
        assert!(e.names(), "{e:?}");
        // A reference whose strongest line sits on a peak but whose other strong lines do not.
        let other = [(28.1, 1.0), (30.9, 0.8), (33.5, 0.7), (46.2, 0.5)];
        let e = evidence(&other, &peaks, &[]).unwrap();
        assert!(!e.names(), "{e:?}");
    }

    /// Magnetite's lines against the peaks left beside hematite at 15 % of its height: the
    /// strongest line's peak (311 at 35.4°, on the flank of hematite's 110) stands at about
    /// 0.4 of what its 220 and 511 say, so scaled by it they would stand under the weakest peak
    /// (one hit); 220 or 511 sets the scale as well.
    #[test]
    fn a_strong_line_other_than_the_strongest_can_set_the_scale() {
        let magnetite = [
            (30.10, 0.30),
            (35.42, 1.0),
            (43.05, 0.20),
            (56.94, 0.30),
            (62.52, 0.40),
        ];
        let hidden = [(62.2, 62.7)];
        let peaks = [(30.10, 0.05), (35.36, 0.06), (56.95, 0.045)];
        let e = evidence(&magnetite, &peaks, &hidden).unwrap();
        assert_eq!(e.hits, 3, "{e:?}");
        assert!(e.names(), "{e:?}");
    }

    #[test]
    fn lines_under_a_found_phase_are_not_judged() {
        let lines = [(30.0, 1.0), (35.0, 0.9), (40.0, 0.8)];
        let peaks = [(30.05, 0.3), (40.05, 0.2)];
        let open = evidence(&lines, &peaks, &[]).unwrap();
        assert!(!open.names(), "{open:?}");
        let hidden = evidence(&lines, &peaks, &[(34.8, 35.2)]).unwrap();
        assert!(hidden.names(), "{hidden:?}");
        assert_eq!(hidden.hits, 2);
    }

    #[test]
    fn a_shift_growing_with_angle_is_followed() {
        // A cell 0.4 % larger than the reference's: the shift grows as tan θ.
        let scale = 1.004f64;
        let at = |t: f64| {
            let d = 1.0 / (2.0 * (t / 2.0).to_radians().sin());
            2.0 * (1.0 / (2.0 * d * scale)).asin().to_degrees()
        };
        let lines = [(30.0, 1.0), (50.0, 0.7), (80.0, 0.6)];
        let peaks: Vec<(f64, f64)> = lines.iter().map(|&(t, i)| (at(t), 0.2 * i)).collect();
        let e = evidence(&lines, &peaks, &[]).unwrap();
        assert_eq!(e.hits, 3, "{e:?}");
    }

    #[test]
    fn nothing_to_judge_gives_none() {
        assert!(evidence(&[], &[(30.0, 0.2)], &[]).is_none());
        assert!(evidence(&[(30.0, 1.0)], &[], &[]).is_none());
        assert!(evidence(&[(30.0, 1.0)], &[(30.0, 0.2)], &[(29.0, 31.0)]).is_none());
    }
}
