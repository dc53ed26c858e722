//! Real-data floors of the library search (#32 part 2): its first candidate on a fixed subset of
//! the measured RRUFF patterns against two baselines computed here, independently of the search
//! — the majority class of the subset and a plain nearest-neighbour search of the same library
//! (the 40-line baseline of #29), every 6th pattern from row 3. The search's own floors on
//! RRUFF, near its measured accuracy, are `reporting`'s (the reporting half).

use std::sync::OnceLock;

use xrd_io::Wavelength;
use xrd_minerals::{Matcher, SearchParams};
use xrd_sim::CrystalSystem;
use xrd_testdata::majority;

use crate::common::{amcsd, amcsd_references};

/// The subset: rows 3, 9, 15, … of the 457 (76 patterns).
const FIRST_ROW: usize = 3;
const ROW_STEP: usize = 6;
/// Standard errors of the binomial a floor keeps above its baseline.
const SDS: f64 = 2.0;

/// The nearest-neighbour baseline's grid: 2θ bins of 0.05° from 5° to 90°.
const NN_START: f64 = 5.0;
const NN_BIN: f64 = 0.05;
const NN_BINS: usize = 1700;
/// Gaussian σ (°) of the rendered reference lines.
const NN_SIGMA: f64 = 0.15;
/// Half-width (°) of the rolling minimum that removes the measured background.
const NN_BACKGROUND: f64 = 2.0;
/// Kα2 / Kα1 intensity ratio.
const NN_KA2: f64 = 0.5;

/// The subset: true space groups, patterns as the search reads them, and the intensities on
/// the file's 2θ grid.
struct Subset {
    truth: Vec<u8>,
    patterns: Vec<xrd_io::Pattern>,
    intensities: Vec<Vec<f64>>,
    two_theta: Vec<f64>,
}

fn subset() -> Option<&'static Subset> {
    static SUBSET: OnceLock<Option<Subset>> = OnceLock::new();
    SUBSET
        .get_or_init(|| {
            let path = xrd_testdata::shared_data("measured/rruff_dev.npz")?;
            let d = xrd_io::Dataset::<f32>::read_npz(path).unwrap();
            let groups = d.label("space_group").unwrap();
            let rows: Vec<usize> = (FIRST_ROW..d.len()).step_by(ROW_STEP).collect();
            let truth = rows.iter().map(|&i| groups[i] as u8).collect();
            let patterns = rows
                .iter()
                .map(|&i| d.to_pattern(i, Some(Wavelength::CU_KA)).unwrap())
                .collect();
            let intensities = rows
                .iter()
                .map(|&i| d.patterns.row(i).iter().map(|&v| f64::from(v)).collect())
                .collect();
            let two_theta = (0..d.grid.len()).map(|j| d.grid.x(j)).collect();
            Some(Subset {
                truth,
                patterns,
                intensities,
                two_theta,
            })
        })
        .as_ref()
}

fn system(g: u8) -> CrystalSystem {
    CrystalSystem::from_space_group(g).unwrap()
}

/// `p` plus [`SDS`] binomial standard errors on `n` trials.
fn floor(p: f64, n: usize) -> f64 {
    xrd_testdata::binomial_bound(p, n, SDS)
}

/// Share of `predicted` equal to `truth` under `key`.
fn accuracy<K: PartialEq>(predicted: &[u8], truth: &[u8], key: impl Fn(u8) -> K) -> f64 {
    let right = predicted
        .iter()
        .zip(truth)
        .filter(|(p, t)| key(**p) == key(**t))
        .count();
    right as f64 / truth.len() as f64
}

/// The first candidate's space group of the search for each pattern (0 when it names none).
fn first_groups(patterns: &[xrd_io::Pattern]) -> Vec<u8> {
    let m = Matcher::new(
        amcsd().clone(),
        amcsd_references(),
        Wavelength::CU_KA,
        SearchParams::new(),
    )
    .unwrap();
    patterns
        .iter()
        .map(|p| {
            m.search(p)
                .unwrap()
                .first()
                .map_or(0, |c| amcsd().entries()[c.entry].space_group)
        })
        .collect()
}

/// [`first_groups`] of the RRUFF subset.
fn searched(subset: &Subset) -> Vec<u8> {
    first_groups(&subset.patterns)
}

/// A measured pattern in the baseline's bins (mean of the points in each), its background (a
/// rolling minimum of ±[`NN_BACKGROUND`]) removed.
fn nn_measured(two_theta: &[f64], y: &[f64]) -> Vec<f64> {
    let mut sum = vec![0.0; NN_BINS];
    let mut count = vec![0usize; NN_BINS];
    for (&x, &v) in two_theta.iter().zip(y) {
        let b = ((x - NN_START) / NN_BIN).floor();
        if b >= 0.0 && (b as usize) < NN_BINS {
            sum[b as usize] += v;
            count[b as usize] += 1;
        }
    }
    let binned: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect();
    let half = (NN_BACKGROUND / NN_BIN).round() as usize;
    (0..NN_BINS)
        .map(|k| {
            let lo = k.saturating_sub(half);
            let hi = (k + half + 1).min(NN_BINS);
            let min = binned[lo..hi].iter().copied().fold(f64::INFINITY, f64::min);
            binned[k] - min
        })
        .collect()
}

/// An entry's reference lines as Gaussians of σ [`NN_SIGMA`] at Cu Kα1 and Kα2, on the
/// baseline's bin centres.
fn nn_reference(sticks: &[xrd_minerals::Stick]) -> Vec<f64> {
    let mut y = vec![0.0; NN_BINS];
    let reach = (4.0 * NN_SIGMA / NN_BIN).ceil() as isize;
    for s in sticks {
        for (lambda, weight) in [
            (Wavelength::CU_KA1.angstrom(), 1.0),
            (Wavelength::CU_KA2.angstrom(), NN_KA2),
        ] {
            let sin = lambda / (2.0 * f64::from(s.d));
            if sin >= 1.0 {
                continue;
            }
            let centre = 2.0 * sin.asin().to_degrees();
            let k0 = ((centre - NN_START) / NN_BIN).floor() as isize;
            for k in (k0 - reach)..=(k0 + reach) {
                if k < 0 || k as usize >= NN_BINS {
                    continue;
                }
                let x = NN_START + (k as f64 + 0.5) * NN_BIN;
                let z = (x - centre) / NN_SIGMA;
                y[k as usize] += weight * f64::from(s.intensity) * (-0.5 * z * z).exp();
            }
        }
    }
    y
}

/// The space group of the library entry whose rendered lines are most similar (cosine) to each
/// measured pattern of the subset (0 when no entry has lines).
fn nearest_neighbour(subset: &Subset) -> Vec<u8> {
    let refs = amcsd_references();
    let rendered: Vec<(u8, Vec<f64>, f64)> = (0..refs.len())
        .filter_map(|i| {
            let sticks = refs.get(i)?.ok()?;
            let y = nn_reference(sticks);
            let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
            (norm > 0.0).then(|| (amcsd().entries()[i].space_group, y, norm))
        })
        .collect();
    subset
        .intensities
        .iter()
        .map(|y| {
            let m = nn_measured(&subset.two_theta, y);
            let mut best = (f64::NEG_INFINITY, 0u8);
            for (g, r, norm) in &rendered {
                let dot: f64 = m.iter().zip(r).map(|(a, b)| a * b).sum::<f64>() / norm;
                if dot > best.0 {
                    best = (dot, *g);
                }
            }
            best.1
        })
        .collect()
}

/// The search's first candidates on the subset, computed once per test binary.
fn search_answers(subset: &Subset) -> &'static [u8] {
    static ANSWERS: OnceLock<Vec<u8>> = OnceLock::new();
    ANSWERS.get_or_init(|| searched(subset))
}

/// Crystal system of a group, `None` for no answer (0).
fn system_of(g: u8) -> Option<CrystalSystem> {
    (g != 0).then(|| system(g))
}

/// Right answers of `a` minus those of `b`, and the number of patterns only one of them gets
/// right (the discordant pairs of McNemar's test), under `key`.
fn paired<K: PartialEq>(a: &[u8], b: &[u8], truth: &[u8], key: impl Fn(u8) -> K) -> (i64, usize) {
    let (mut only_a, mut only_b) = (0i64, 0i64);
    for ((&x, &y), &t) in a.iter().zip(b).zip(truth) {
        match (key(x) == key(t), key(y) == key(t)) {
            (true, false) => only_a += 1,
            (false, true) => only_b += 1,
            _ => {}
        }
    }
    (only_a - only_b, (only_a + only_b) as usize)
}

/// The search against the nearest-neighbour baseline of #29. It does not beat it — on the
/// whole set the baseline is slightly better (space group 0.527 vs 0.512, crystal system
/// 0.621 vs 0.600; on this subset 0.474 vs 0.474 and 0.579 vs 0.566) — so what is asserted is
/// that it is not significantly worse: its right answers minus the baseline's are no lower
/// than −[`SDS`] standard errors of that difference (√ of the discordant pairs, McNemar).
/// Measured: the two disagree on 4 patterns' groups (2 right each way, bound −4) and on 3
/// patterns' systems (search −1, bound −3.5). The baseline itself must beat the majority
/// class, so that the comparison means something. It renders the library's own reference
/// lines (the simulation is shared; the ranking is not).
#[test]
fn rruff_search_is_not_worse_than_the_nearest_neighbour_baseline() {
    let Some(s) = subset() else { return };
    let n = s.truth.len();
    let search = search_answers(s);
    let nn = nearest_neighbour(s);
    let nn_sg = accuracy(&nn, &s.truth, |g| g);
    let nn_cs = accuracy(&nn, &s.truth, system_of);
    let sg_floor = floor(majority(s.truth.iter().copied()), n);
    let cs_floor = floor(majority(s.truth.iter().map(|&g| system(g))), n);
    assert!(
        nn_sg > sg_floor,
        "baseline space group {nn_sg:.3} <= {sg_floor:.3}"
    );
    assert!(
        nn_cs > cs_floor,
        "baseline crystal system {nn_cs:.3} <= {cs_floor:.3}"
    );
    let (d, discordant) = paired(search, &nn, &s.truth, |g| g);
    assert!(
        d as f64 >= -SDS * (discordant as f64).sqrt(),
        "space group: search − baseline {d} of {n} ({discordant} discordant)"
    );
    let (d, discordant) = paired(search, &nn, &s.truth, system_of);
    assert!(
        d as f64 >= -SDS * (discordant as f64).sqrt(),
        "crystal system: search − baseline {d} of {n} ({discordant} discordant)"
    );
}

/// Every eighth AFLOW prototype (`../shared/data/structures/aflow`, 36 of 286), simulated as a
/// lab would measure it (xrd-sim's training-pattern artefacts: peak widths, texture, zero shift,
/// Kα doublet, background and noise; Cu Kα, 5–90° in 0.02° steps), with its true space group.
fn aflow() -> Option<&'static (Vec<xrd_io::Pattern>, Vec<u8>)> {
    static SET: OnceLock<Option<(Vec<xrd_io::Pattern>, Vec<u8>)>> = OnceLock::new();
    SET.get_or_init(|| {
        let dir = xrd_testdata::shared_data("structures/aflow")?;
        let index = std::fs::read_to_string(dir.join("index.csv")).unwrap();
        let mut lines = index.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name| header.iter().position(|h| *h == name).unwrap();
        let (file, group) = (col("file"), col("space_group"));
        let params = xrd_sim::TrainingPatternParams::new().grid(5.0, 0.02, 4250);
        let (mut patterns, mut truth) = (Vec::new(), Vec::new());
        for (k, line) in lines.enumerate().step_by(8) {
            let f: Vec<&str> = line.split(',').collect();
            let text = std::fs::read_to_string(dir.join(f[file])).unwrap();
            let s = xrd_sim::Cif::parse(&text)
                .unwrap()
                .first_structure()
                .unwrap();
            let y = params.simulate_structure(&s, 2019, k as u64).unwrap();
            let y: Vec<f64> = y.into_iter().map(f64::from).collect();
            patterns.push(
                xrd_io::Pattern::uniform(5.0, 0.02, y)
                    .unwrap()
                    .with_wavelength(Some(Wavelength::CU_KA)),
            );
            truth.push(f[group].parse().unwrap());
        }
        Some((patterns, truth))
    })
    .as_ref()
}

/// The search on simulated AFLOW prototypes (structures of another source than the library;
/// many are minerals it holds): the first candidate's space group and crystal system beat the
/// majority class of the subset by [`SDS`] standard errors.
///
/// Measured: space group 0.333 (floor 0.175), crystal system 0.528 (floor 0.394). Planted: a
/// constant answer (group 14) fails.
#[test]
fn aflow_search_beats_the_majority_class() {
    let Some((patterns, truth)) = aflow() else {
        return;
    };
    let search = first_groups(patterns);
    let n = truth.len();
    let sg = accuracy(&search, truth, |g| g);
    let cs = accuracy(&search, truth, system_of);
    let sg_floor = floor(majority(truth.iter().copied()), n);
    let cs_floor = floor(majority(truth.iter().map(|&g| system(g))), n);
    eprintln!(
        "AFLOW search ({n} prototypes): space group {sg:.3} (floor {sg_floor:.3}), crystal system {cs:.3} (floor {cs_floor:.3})"
    );
    assert!(sg > sg_floor, "space group {sg:.3} <= {sg_floor:.3}");
    assert!(cs > cs_floor, "crystal system {cs:.3} <= {cs_floor:.3}");
}
