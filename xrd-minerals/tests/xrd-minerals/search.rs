//! Search-match of single phases.

use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Entry, Error, Matcher, ReferenceParams, ReferenceSet, SearchParams};
use xrd_sim::{Lattice, Structure};

use crate::common::{amcsd, measured_like};

fn entry(mineral: &str, group: u8) -> &'static Entry {
    amcsd()
        .entries()
        .iter()
        .find(|e| e.mineral == mineral && e.space_group == group)
        .unwrap_or_else(|| panic!("no {mineral} in {group}"))
}

/// The entry's structure with every cell edge scaled by `scale`.
fn strained(e: &Entry, scale: f64) -> Structure {
    let s = e.structure().unwrap();
    let [a, b, c, al, be, ga] = e.cell;
    let lattice = Lattice::from_parameters(a * scale, b * scale, c * scale, al, be, ga).unwrap();
    s.with_lattice(lattice)
}

fn matcher(params: SearchParams) -> Matcher {
    crate::common::amcsd_matcher_with(params)
}

#[test]
fn strained_shifted_noisy_patterns_find_their_mineral() {
    let m = matcher(SearchParams::new());
    for (mineral, group, scale, shift) in [
        ("Rutile", 136, 1.012, 0.06),
        ("Calcite", 167, 0.99, -0.05),
        ("Forsterite", 62, 1.008, 0.0),
    ] {
        let e = entry(mineral, group);
        let pattern = measured_like(&[(&strained(e, scale), 1.0)], shift, 7);
        let found = m.search(&pattern).unwrap();
        let best = &found[0];
        let b = &amcsd().entries()[best.entry];
        assert_eq!(
            b.space_group,
            group,
            "{mineral}: found {} {}",
            b.name(),
            b.id
        );
        assert!(best.score > 0.8, "{mineral}: score {}", best.score);
        if b.id == e.id {
            assert!(
                (best.cell_scale - scale).abs() < 0.003,
                "{mineral}: {best:?}"
            );
        }
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

#[test]
fn element_filters_restrict_the_candidates() {
    let rutile = entry("Rutile", 136);
    let pattern = measured_like(&[(&rutile.structure().unwrap(), 1.0)], 0.0, 3);
    let ti_o = matcher(SearchParams::new().elements(Some(vec!["Ti".into(), "O".into()])));
    for c in ti_o.search(&pattern).unwrap() {
        assert!(amcsd().entries()[c.entry].made_of(&["Ti".into(), "O".into()]));
    }
    let with_ca = matcher(SearchParams::new().required(vec!["Ca".into()]));
    for c in with_ca.search(&pattern).unwrap() {
        let e = &amcsd().entries()[c.entry];
        assert!(e.elements.contains(&"Ca".to_string()), "{}", e.id);
    }
}

#[test]
fn patterns_the_matcher_cannot_search_are_errors() {
    let m = matcher(SearchParams::new());
    let flat = Pattern::uniform(10.0, 0.02, vec![5.0; 2000])
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA));
    assert!(matches!(m.search(&flat), Err(Error::Pattern(_))));
    let rutile = entry("Rutile", 136);
    let mo = measured_like(&[(&rutile.structure().unwrap(), 1.0)], 0.0, 3)
        .with_wavelength(Some(Wavelength::MO_KA));
    assert!(matches!(m.search(&mo), Err(Error::Pattern(_))));
    let short = Pattern::uniform(10.0, 0.02, vec![1.0; 8]).unwrap();
    assert!(matches!(m.search(&short), Err(Error::Pattern(_))));
    // References simulated at another wavelength are refused.
    let lib = crate::common::shared_cifs().unwrap_or_else(amcsd);
    let mo_refs = ReferenceSet::build(
        lib,
        &ReferenceParams::new().wavelength(Wavelength::synchrotron(0.7093)),
        |_, _| {},
    )
    .unwrap();
    assert!(matches!(
        Matcher::new(
            lib.clone(),
            &mo_refs,
            Wavelength::CU_KA,
            SearchParams::new()
        ),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "references",
            ..
        }))
    ));
    assert!(matches!(
        Matcher::new(
            amcsd().clone(),
            &mo_refs,
            Wavelength::MO_KA1,
            SearchParams::new()
        ),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "references",
            ..
        }))
    ));
}

#[test]
fn evaluation_scores_first_candidates_by_hand() {
    let m = matcher(SearchParams::new());
    let rutile = entry("Rutile", 136);
    let calcite = entry("Calcite", 167);
    let patterns = vec![
        measured_like(&[(&rutile.structure().unwrap(), 1.0)], 0.0, 1),
        measured_like(&[(&calcite.structure().unwrap(), 1.0)], 0.02, 2),
        // A wrong label: calcite called rutile's group; and a pattern no search takes.
        measured_like(&[(&calcite.structure().unwrap(), 1.0)], -0.02, 3),
        Pattern::uniform(10.0, 0.02, vec![5.0; 2000])
            .unwrap()
            .with_wavelength(Some(Wavelength::CU_KA)),
    ];
    let truth = [136, 167, 136, 225];
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let e = m
        .evaluate(&patterns, &truth, |_| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(calls.into_inner(), 4);
    assert_eq!(e.unsearchable, 1);
    assert!(e.patterns[3].error.is_some() && e.patterns[3].candidates.is_empty());
    // By hand from the candidates: rows 0 and 1 right, 2 wrong (calcite is trigonal, rutile
    // tetragonal), 3 unanswered.
    let group = |i: usize| amcsd().entries()[e.patterns[i].candidates[0].entry].space_group;
    assert_eq!((group(0), group(1), group(2)), (136, 167, 167));
    assert_eq!(e.space_group_accuracy, 0.5);
    assert_eq!(e.crystal_system_accuracy, 0.5);
    let last = e.coverage_curve.last().unwrap();
    assert_eq!((last.coverage, last.accuracy), (1.0, 0.5));
    // The most similar half (two of four): the two highest scores, both right here unless the
    // mislabelled calcite scores highest.
    let mut scores: Vec<(f64, bool)> = (0..3)
        .map(|i| (e.patterns[i].candidates[0].score, group(i) == truth[i]))
        .chain(std::iter::once((0.0, false)))
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    let half = scores[..2].iter().filter(|s| s.1).count() as f64 / 2.0;
    assert_eq!(e.space_group_accuracy_certain_half, half);
    assert!(matches!(
        m.evaluate(&patterns, &truth[..3], |_| {}),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "truth",
            ..
        }))
    ));
    assert!(matches!(
        m.evaluate(&patterns[..1], &[231], |_| {}),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "truth",
            ..
        }))
    ));
}

#[test]
fn scores_of_a_narrow_scan_are_cosines() {
    // Rutile seen through 30–41.75° only (as a short lab scan): its strongest line (27.4°) and
    // those of many references lie just outside, where a strain of 2 % could bring them in.
    // A score counts only the lines inside the range at scale 1, as its norm does, so every
    // score stays a cosine, ≤ 1 (one scan like it scored 10 when they did not).
    let rutile = entry("Rutile", 136).structure().unwrap();
    let full = measured_like(&[(&rutile, 1.0)], 0.0, 8);
    let (x, y): (Vec<f64>, Vec<f64>) = full
        .two_theta()
        .iter()
        .zip(full.intensity())
        .filter(|(t, _)| (30.0..=41.75).contains(*t))
        .map(|(&t, &v)| (t, v))
        .unzip();
    let narrow = Pattern::new(x, y)
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA));
    let found = matcher(SearchParams::new().top(64))
        .search(&narrow)
        .unwrap();
    assert!(!found.is_empty());
    for c in &found {
        assert!(c.score <= 1.0 + 1e-9, "{} scores {}", c.entry, c.score);
    }
}

#[test]
fn a_scan_of_noise_only_matches_nothing() {
    // Counts of about 10 ± 3 on a flat background, no peak: its noise spikes once matched a
    // reference at 0.76, above the refusal threshold. Now no candidate, and no phase.
    let mut noise = crate::common::Noise::new(12);
    let x: Vec<f64> = (0..400).map(|i| 30.0 + 0.03 * f64::from(i)).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|_| 10.0 + 6.0 * (noise.next() - 0.5))
        .collect();
    let blank = Pattern::new(x, y)
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA));
    let m = matcher(SearchParams::new());
    assert!(m.search(&blank).unwrap().is_empty());
    let found = m
        .identify(&blank, &xrd_minerals::PhaseParams::new())
        .unwrap();
    assert!(found.phases.is_empty());
}
