//! From output probabilities to a prediction: space group, crystal system, certainty, top-k and
//! refusal.

use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut1, Axis};
use serde::{Deserialize, Serialize};

use crate::{CrystalSystem, Error, InputWarning, Result, SPACE_GROUPS};
use xrd_index::{Indexing, Metric, Solution};
use xrd_io::NonFinite;

/// What decided a prediction's space group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// A library phase matched well enough to outweigh the rest ([`Prediction::phase`]).
    Library,
    /// An indexed cell fixed the crystal system and narrowed the groups ([`Prediction::cell`]),
    /// the networks chose among them.
    Indexing,
    /// The networks alone.
    #[default]
    Networks,
}

impl Evidence {
    /// The name used in tables (`library`, `indexing`, `networks`).
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Library => "library",
            Evidence::Indexing => "indexing",
            Evidence::Networks => "networks",
        }
    }
}

/// The classification of one pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The most probable space group (1–230) of [`Prediction::crystal_system`].
    pub space_group: u8,
    /// The most probable crystal system: by the crystal-system networks when the classifier has
    /// them ([`ArchitectureConfig::system_network`](crate::ArchitectureConfig::system_network)),
    /// else by the space-group probabilities summed per system; restricted by an indexed cell.
    /// Always the system of [`Prediction::space_group`].
    pub crystal_system: CrystalSystem,
    /// The probability of [`Prediction::space_group`] (Vecsei et al.'s certainty, Eq. 13).
    pub certainty: f64,
    /// The probability of [`Prediction::crystal_system`].
    pub system_certainty: f64,
    /// The `top_k` most probable space groups with their probabilities: the answer first, then
    /// the others most probable first.
    pub top: Vec<(u8, f64)>,
    /// Whether the certainty lies below the classifier's threshold: the classifier declines to
    /// answer (the fields above are still filled in).
    pub refused: bool,
    /// What was done to a measured pattern to put it on the classifier's grid.
    pub warnings: Vec<InputWarning>,
    /// The cell an indexing of the pattern's lines accepted ([`xrd_index`]), which fixed
    /// the crystal system; None when no metric was accepted or the classifier does not index.
    pub cell: Option<Solution>,
    /// The best phase of the library search, when the classifier searches a library
    /// ([`Classifier::with_library`](crate::Classifier::with_library)) and the pattern had a
    /// candidate.
    #[serde(default)]
    pub phase: Option<crate::PhaseMatch>,
    /// What decided the space group.
    #[serde(default)]
    pub decided_by: Evidence,
}

impl Prediction {
    /// The top-k space-group numbers, most probable first.
    pub fn top_space_groups(&self) -> Vec<u8> {
        self.top.iter().map(|&(g, _)| g).collect()
    }
}

/// Probabilities of the seven crystal systems: the space-group probabilities (entry `i` is
/// space group `i + 1`; entries beyond 230 are ignored) summed per system.
pub fn system_probabilities(p: ArrayView1<'_, f64>) -> [f64; 7] {
    let mut out = [0.0; 7];
    for (i, &v) in p.iter().enumerate().take(SPACE_GROUPS) {
        // Output i is space group i + 1 (always in 1–230 for a 230-wide output).
        if let Ok(s) = crate::system_of(i as u8 + 1) {
            out[s.index()] += v;
        }
    }
    out
}

/// Rescales the space-group probabilities `p` (entry `i` is space group `i + 1`) within each
/// crystal system so that the system sums to `q`: p'(g) = p(g) · q(s) / P(s), P(s) the sum of p
/// over the groups of system s. Where P(s) is below the smallest normal f64 (underflow, or 0),
/// q(s) is spread evenly over the system's groups instead.
pub(crate) fn rescale_to_systems(mut p: ArrayViewMut1<'_, f64>, q: &[f64; 7]) {
    let sums = system_probabilities(p.view());
    let mut groups = [0usize; 7];
    for g in 1..=SPACE_GROUPS as u8 {
        if let Ok(s) = crate::system_of(g) {
            groups[s.index()] += 1;
        }
    }
    for (i, v) in p.iter_mut().enumerate().take(SPACE_GROUPS) {
        if let Ok(s) = crate::system_of(i as u8 + 1) {
            let s = s.index();
            // p / P ≤ 1 first, so that a tiny P cannot overflow the quotient.
            *v = if sums[s] >= f64::MIN_POSITIVE {
                *v / sums[s] * q[s]
            } else {
                q[s] / groups[s] as f64
            };
        }
    }
}

/// The prediction for one row of space-group probabilities `p` and crystal-system
/// probabilities `systems`.
pub(crate) fn from_probabilities(
    p: ArrayView1<'_, f64>,
    systems: &[f64; 7],
    top_k: usize,
    threshold: f64,
) -> Prediction {
    let mut order: Vec<usize> = (0..p.len()).collect();
    // Stable sort: ties go to the lower space group.
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let (mut sys, mut sys_p) = (0, f64::NEG_INFINITY);
    for (i, &v) in systems.iter().enumerate() {
        if v > sys_p {
            (sys, sys_p) = (i, v);
        }
    }
    let system = CrystalSystem::ALL[sys];
    // The answer is the most probable group of the most probable system, so that the crystal
    // system is always its group's (the system may come from other evidence than p: crystal-
    // system networks, an indexed cell).
    let groups = system.space_groups();
    let best = order
        .iter()
        .copied()
        .find(|&i| u8::try_from(i + 1).is_ok_and(|g| groups.contains(&g)))
        .unwrap_or(usize::from(*groups.start()) - 1);
    let certainty = p.get(best).copied().unwrap_or(0.0);
    // The top k with the answer first.
    let mut top: Vec<(u8, f64)> = std::iter::once(best)
        .chain(order.iter().copied().filter(|&i| i != best))
        .take(top_k.max(1))
        .map(|i| (i as u8 + 1, p.get(i).copied().unwrap_or(0.0)))
        .collect();
    top.truncate(top_k);
    Prediction {
        space_group: best as u8 + 1,
        crystal_system: system,
        certainty,
        system_certainty: sys_p,
        top,
        refused: certainty < threshold,
        warnings: Vec::new(),
        cell: None,
        phase: None,
        decided_by: Evidence::Networks,
    }
}

/// Mixes the library's distribution `library` into the probabilities `p` with weight `lambda`,
/// p ← (1 − λ)·p + λ·p_lib, and returns the crystal-system probabilities of the mixture.
pub(crate) fn mix_library(mut p: ArrayViewMut1<'_, f64>, library: &[f64], lambda: f64) -> [f64; 7] {
    for (v, l) in p.iter_mut().zip(library) {
        *v = (1.0 - lambda) * *v + lambda * l;
    }
    system_probabilities(p.view())
}

/// The library's distribution over space groups `dist` as evidence beside the accepted `cell`:
/// restricted to the groups of the cell's crystal systems (and renormalised) when its figure of
/// merit reaches `decisive_merit`, unchanged otherwise. None when the restriction leaves no
/// probability: the library then gives no evidence.
pub(crate) fn library_beside_cell(
    dist: &[f64],
    cell: Option<&Solution>,
    decisive_merit: f64,
) -> Option<Vec<f64>> {
    let mut p = dist.to_vec();
    if let Some(c) = cell.filter(|c| c.merit >= decisive_merit) {
        let groups: Vec<u8> = c
            .metric
            .systems()
            .iter()
            .flat_map(|s| s.space_groups())
            .collect();
        restrict_to_groups(ArrayViewMut1::from(&mut p[..]), &groups)?;
    }
    Some(p)
}

/// Sets the probabilities of the groups outside `groups` to zero and renormalises `p` (entry
/// `i` is space group `i + 1`); returns the new crystal-system probabilities. None (and `p`
/// unchanged) when `groups` is empty or holds no probability.
pub(crate) fn restrict_to_groups(mut p: ArrayViewMut1<'_, f64>, groups: &[u8]) -> Option<[f64; 7]> {
    let kept: f64 = groups
        .iter()
        .filter_map(|&g| p.get(usize::from(g).wrapping_sub(1)))
        .sum();
    if kept < f64::MIN_POSITIVE {
        return None;
    }
    for (i, v) in p.iter_mut().enumerate() {
        let g = u8::try_from(i + 1).unwrap_or(0);
        *v = if groups.contains(&g) { *v / kept } else { 0.0 };
    }
    Some(system_probabilities(p.view()))
}

/// The crystal-system probabilities `q` restricted to the systems `indexing` allows (and
/// renormalised; spread evenly where q gives them no mass): those of the accepted metric, or,
/// when none was accepted, the systems that none of the `tested` metrics (those tried on enough
/// lines to be accepted, [`Indexing::tested`]) describes: a metric that could not be tested
/// rules nothing out.
pub(crate) fn systems_from_indexing(
    q: &[f64; 7],
    indexing: &Indexing,
    tested: &[Metric],
) -> [f64; 7] {
    let allowed: Vec<CrystalSystem> = match indexing.accepted() {
        Some(s) => s.metric.systems().to_vec(),
        None => CrystalSystem::ALL
            .into_iter()
            .filter(|s| !tested.iter().any(|m| m.systems().contains(s)))
            .collect(),
    };
    if allowed.is_empty() {
        return *q;
    }
    let mass: f64 = allowed.iter().map(|s| q[s.index()]).sum();
    let mut out = [0.0; 7];
    for s in &allowed {
        out[s.index()] = if mass >= f64::MIN_POSITIVE {
            q[s.index()] / mass
        } else {
            1.0 / allowed.len() as f64
        };
    }
    out
}

/// Row-wise softmax of logits, in f64, added into `acc` with weight `w`.
pub(crate) fn add_softmax(logits: ArrayView2<'_, f32>, w: f64, acc: &mut Array2<f64>) {
    for (z, mut a) in logits.axis_iter(Axis(0)).zip(acc.axis_iter_mut(Axis(0))) {
        let max = z
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let sum: f64 = z.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        for (a, &v) in a.iter_mut().zip(z.iter()) {
            *a += w * (f64::from(v) - max).exp() / sum;
        }
    }
}

/// Errors on the first NaN / infinity of `x`.
pub(crate) fn check_finite(x: ArrayView2<'_, f32>, what: &'static str) -> Result<()> {
    for ((row, col), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(NonFinite::cell(what, row, col, f64::from(*v)).into());
        }
    }
    Ok(())
}

/// Checks that `p` is a 230-wide probability matrix.
pub(crate) fn check_width(cols: usize) -> Result<()> {
    if cols != SPACE_GROUPS {
        return Err(Error::shape(
            "probabilities",
            format!("{SPACE_GROUPS} space-group outputs"),
            format!("{cols}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array};

    /// Probabilities on four groups: two cubic, one orthorhombic, one monoclinic.
    fn four_groups() -> Array1<f64> {
        let mut p = Array1::zeros(SPACE_GROUPS);
        p[224] = 0.3; // Fm-3m (225), cubic
        p[220] = 0.2; // 221, cubic
        p[61] = 0.4; // Pnma (62), orthorhombic
        p[13] = 0.1; // P2_1/c (14), monoclinic
        p
    }

    /// A cell of a decisive merit keeps the library to its system; below that merit, or
    /// without a cell, the library's distribution is unchanged.
    #[test]
    fn a_decisive_cell_keeps_the_library_to_its_system() {
        use xrd_index::{Indexer, Line};
        // The first 10 lines of a cubic P cell, a = 4 Å: an exact fit, a high merit.
        let lines: Vec<Line> = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11]
            .iter()
            .map(|&n| Line {
                two_theta: 2.0 * (1.5406 * f64::from(n).sqrt() / 8.0).asin().to_degrees(),
                height: 1.0,
            })
            .collect();
        let ix = Indexer::default()
            .index_lines(&lines, xrd_io::Wavelength::synchrotron(1.5406))
            .unwrap();
        let cell = ix.accepted().unwrap();
        assert_eq!(cell.metric, Metric::Cubic);
        let mut dist = vec![0.0; 230];
        dist[224] = 0.2; // Fm-3m, cubic
        dist[138] = 0.8; // I4/mmm, tetragonal
        let kept = library_beside_cell(&dist, Some(cell), cell.merit).unwrap();
        assert_eq!((kept[224], kept[138]), (1.0, 0.0));
        assert_eq!(
            library_beside_cell(&dist, Some(cell), cell.merit * 1.01).unwrap(),
            dist
        );
        assert_eq!(library_beside_cell(&dist, None, 1.0).unwrap(), dist);
        // Nothing in the cell's system: no evidence.
        dist[224] = 0.0;
        assert!(library_beside_cell(&dist, Some(cell), 1.0).is_none());
    }

    #[test]
    fn indexing_restricts_the_systems() {
        use xrd_index::{Indexer, IndexingParams, Line};
        let q = [0.1, 0.3, 0.2, 0.1, 0.15, 0.05, 0.1];
        let tried = [
            Metric::Cubic,
            Metric::Hexagonal,
            Metric::Tetragonal,
            Metric::Orthorhombic,
        ];
        // Nothing accepted: triclinic and monoclinic, in the networks' proportion.
        let none = Indexer::default()
            .index_lines(&[], xrd_io::Wavelength::synchrotron(1.5406))
            .unwrap();
        let r = systems_from_indexing(&q, &none, &tried);
        let want = [0.25, 0.75, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert!(
            r.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{r:?}"
        );
        // Only cubic tried: every other system.
        let r = systems_from_indexing(&q, &none, &[Metric::Cubic]);
        assert!(r[6] == 0.0 && (r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((r[1] - 0.3 / 0.9).abs() < 1e-12);
        // A hexagonal cell: trigonal and hexagonal, 0.15 : 0.05.
        // The first 12 lines of a hexagonal cell, a = 6 Å, c = 9 Å.
        let (ra, rc) = (4.0 / (3.0 * 36.0), 1.0 / 81.0);
        let mut qs: Vec<f64> = (0..4)
            .flat_map(|h| (0..4).flat_map(move |k| (0..4).map(move |l| (h, k, l))))
            .filter(|&t| t != (0, 0, 0))
            .map(|(h, k, l)| ra * f64::from(h * h + h * k + k * k) + rc * f64::from(l * l))
            .collect();
        qs.sort_by(f64::total_cmp);
        qs.dedup_by(|b, a| (*b - *a).abs() < 1e-9);
        let lines: Vec<Line> = qs[..12]
            .iter()
            .map(|q| Line {
                two_theta: 2.0 * (1.5406 * q.sqrt() / 2.0).asin().to_degrees(),
                height: 1.0,
            })
            .collect();
        let params = IndexingParams::default().metrics(&[Metric::Hexagonal]);
        let hex = Indexer::new(params)
            .unwrap()
            .index_lines(&lines, xrd_io::Wavelength::synchrotron(1.5406))
            .unwrap();
        assert_eq!(hex.accepted().map(|s| s.metric), Some(Metric::Hexagonal));
        let r = systems_from_indexing(&q, &hex, &tried);
        assert!(
            (r[4] - 0.75).abs() < 1e-12 && (r[5] - 0.25).abs() < 1e-12,
            "{r:?}"
        );
        // Systems the networks give no mass share evenly.
        let r = systems_from_indexing(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], &hex, &tried);
        assert_eq!((r[4], r[5]), (0.5, 0.5));
    }

    #[test]
    fn prediction_from_probabilities() {
        let p = four_groups();
        let pred = from_probabilities(p.view(), &system_probabilities(p.view()), 3, 0.35);
        // Pnma (62) is the most probable group, but the cubic groups together are more
        // probable: the answer is the most probable cubic group, so that the system is its own.
        assert_eq!(pred.crystal_system, CrystalSystem::Cubic);
        assert!((pred.system_certainty - 0.5).abs() < 1e-15);
        assert_eq!((pred.space_group, pred.certainty), (225, 0.3));
        assert_eq!(pred.top_space_groups(), [225, 62, 221]);
        assert!(pred.refused);
        assert!(!from_probabilities(p.view(), &system_probabilities(p.view()), 3, 0.3).refused);
        // The answer first even beyond the k most probable; k = 0 lists none.
        let q = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let pred = from_probabilities(p.view(), &q, 1, 0.0);
        assert_eq!(pred.top_space_groups(), [225]);
        assert!(from_probabilities(p.view(), &q, 0, 0.0).top.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever the probabilities and the systems' evidence, the crystal system of a
        /// prediction is the system of its space group, and the answer heads its top k.
        #[test]
        fn the_system_is_always_the_space_groups(
            p in proptest::collection::vec(0.0f64..1.0, SPACE_GROUPS),
            q in proptest::collection::vec(0.0f64..1.0, 7),
            k in 0usize..6,
        ) {
            let p = Array1::from(p);
            let q: [f64; 7] = std::array::from_fn(|i| q[i]);
            for systems in [q, system_probabilities(p.view())] {
                let pred = from_probabilities(p.view(), &systems, k, 0.5);
                proptest::prop_assert_eq!(
                    CrystalSystem::from_space_group(pred.space_group).unwrap(),
                    pred.crystal_system
                );
                proptest::prop_assert_eq!(pred.certainty, p[usize::from(pred.space_group) - 1]);
                if k > 0 {
                    proptest::prop_assert_eq!(pred.top[0].0, pred.space_group);
                }
                proptest::prop_assert_eq!(pred.top.len(), k);
            }
        }
    }

    #[test]
    fn rescaling_within_systems_by_hand() {
        let mut p = four_groups();
        // The system network: orthorhombic 0.6, cubic 0.1, triclinic 0.3 (no group had any).
        let q = [0.3, 0.0, 0.6, 0.0, 0.0, 0.0, 0.1];
        rescale_to_systems(p.view_mut(), &q);
        assert!((p[61] - 0.6).abs() < 1e-15); // the only orthorhombic group takes it all
        assert!((p[224] - 0.06).abs() < 1e-15); // 0.3 · 0.1 / 0.5
        assert!((p[220] - 0.04).abs() < 1e-15);
        assert_eq!(p[13], 0.0); // monoclinic: 0.1 · 0 / 0.1
        assert_eq!((p[0], p[1]), (0.15, 0.15)); // triclinic had 0: spread over P1 and P-1
        assert!((p.sum() - 1.0).abs() < 1e-15);
        assert_eq!(system_probabilities(p.view())[6], p[224] + p[220]);
        // Downstream follows p' and q: Pnma is now certain enough, the system orthorhombic.
        let pred = from_probabilities(p.view(), &q, 3, 0.45);
        assert_eq!((pred.space_group, pred.certainty), (62, p[61]));
        assert_eq!(pred.crystal_system, CrystalSystem::Orthorhombic);
        assert_eq!(pred.system_certainty, 0.6);
        assert_eq!(pred.top_space_groups(), [62, 1, 2]);
        assert!(!pred.refused);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Per-system sums of p' equal q, whatever p — also where a system's p underflows.
        #[test]
        fn rescaled_systems_sum_to_q(
            raw in proptest::collection::vec(0.0f64..1.0, SPACE_GROUPS),
            tiny in proptest::collection::vec(0usize..SPACE_GROUPS, 0..60),
            q in proptest::collection::vec(0.0f64..1.0, 7),
            subnormal_triclinic in proptest::bool::ANY,
        ) {
            let mut p = Array1::from(raw);
            for &i in &tiny {
                p[i] = if i % 2 == 0 { 0.0 } else { 1e-310 };
            }
            if subnormal_triclinic {
                // P(triclinic) = 2e-310, below the smallest normal f64: spread evenly instead.
                (p[0], p[1]) = (1e-310, 1e-310);
            }
            let qs = q.iter().sum::<f64>().max(1e-9);
            let q: [f64; 7] = std::array::from_fn(|s| q[s] / qs);
            rescale_to_systems(p.view_mut(), &q);
            proptest::prop_assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0));
            let sums = system_probabilities(p.view());
            for s in 0..7 {
                proptest::prop_assert!((sums[s] - q[s]).abs() < 1e-12, "{} {}", sums[s], q[s]);
            }
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_and_average() {
        let z = array![[1.0f32, 2.0, 3.0], [1000.0, 0.0, -1000.0]];
        let mut acc = Array2::zeros((2, 3));
        add_softmax(z.view(), 0.5, &mut acc);
        add_softmax(z.view(), 0.5, &mut acc);
        for row in acc.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-12);
        }
        let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
        let s: f64 = e.iter().sum();
        assert!((acc[[0, 2]] - e[2] / s).abs() < 1e-12);
        assert_eq!(acc[[1, 0]], 1.0);
    }
}
