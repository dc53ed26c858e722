//! Whether a reference's lines stand among the peaks that the phases found leave unexplained.
//!
//! The residual search ranks references by a cosine over the whole residual. When the residual
//! holds the lines of two missing phases, one of them outside the library, the cosine prefers a
//! reference with many lines spread over both (La₂TiO₅ for La(OH)₃ beside NiO in dara_dev)
//! to the one whose few lines are all there (NiO's three). The test here asks the question a
//! person asks of a peak list instead: with one shift of 2θ, do the reference's lines that would
//! be strong enough to see fall on unexplained peaks? It names candidates the cosine ranks low,
//! and it strikes out those whose strong lines are missing.

use crate::phases::{Identification, masked_spans};
use crate::search::Matcher;

/// Largest shift (° 2θ) of the reference's strongest line to the peak it is matched with: a
/// sample displacement or zero error of a lab scan (NiO in dara_dev: 0.16°), or a cell a few
/// tenths of a per cent off.
const MAX_SHIFT: f64 = 0.3;
/// A line falls on a peak within this (° 2θ) after the shift: the unexplained peaks come from
/// a residual smoothed with the search's σ (0.15°).
const HIT: f64 = 0.1;
/// Lines weaker than this share of the strongest are not judged: a reference's weak intensities
/// are its least reliable.
const MIN_LINE: f64 = 0.05;
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
/// `peaks` (2θ °, height) outside the `hidden` spans, where no peak is looked for. The
/// strongest line that can be judged is matched with each peak within [`MAX_SHIFT`]; its height
/// there scales the others, and those that would stand above the weakest unexplained peak are
/// the visible ones. The shift is tried as constant, as a cell scale (∝ tan θ) and as a
/// displacement (∝ cos θ); the best is returned. `None` when nothing can be judged.
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
    let &(t0, i0) = judged.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    if !(i0 > 0.0 && floor.is_finite()) {
        return None;
    }
    let half = |t: f64| (t / 2.0).to_radians();
    let shapes: [&dyn Fn(f64) -> f64; 3] = [&|_| 1.0, &|t| half(t).tan() / half(t0).tan(), &|t| {
        half(t).cos() / half(t0).cos()
    }];
    let mut best: Option<Evidence> = None;
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
                if peaks.iter().any(|(v, _)| (at - v).abs() <= HIT) {
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

    /// The entries the element filter allows whose lines name them among the unexplained peaks
    /// ([`Evidence::names`]), best first (share, then hits, then library order).
    pub(crate) fn named_by_lines(&self, found: &Identification) -> Vec<usize> {
        if found.unexplained.is_empty() {
            return Vec::new();
        }
        let mut named: Vec<(Evidence, usize)> = (0..self.library().entries().len())
            .filter(|&i| self.allows(i))
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
