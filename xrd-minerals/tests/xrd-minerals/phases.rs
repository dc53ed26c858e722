//! Several phases.

use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Matcher, PhaseParams, SearchParams};

use crate::common::{amcsd, amcsd_references, measured_like};

fn structure(mineral: &str, group: u8) -> xrd_sim::Structure {
    amcsd()
        .entries()
        .iter()
        .find(|e| e.mineral == mineral && e.space_group == group)
        .unwrap()
        .structure()
        .unwrap()
}

/// Rutile and (60 % as strong) halite.
fn mixture(zero_shift: f64, seed: u64) -> Pattern {
    let (rutile, halite) = (structure("Rutile", 136), structure("Halite", 225));
    measured_like(&[(&rutile, 1.0), (&halite, 0.6)], zero_shift, seed)
}

fn matcher(params: SearchParams) -> Matcher<'static> {
    Matcher::new(amcsd(), amcsd_references(), Wavelength::CU_KA, params).unwrap()
}

#[test]
fn a_two_phase_mixture_gives_both_phases_and_their_shares() {
    let pattern = mixture(0.02, 11);
    let found = matcher(SearchParams::new())
        .identify(&pattern, &PhaseParams::new())
        .unwrap();
    let names: Vec<&str> = found
        .phases
        .iter()
        .map(|p| amcsd().entries()[p.candidate.entry].mineral.as_str())
        .collect();
    assert!(names.len() >= 2, "{names:?}");
    assert_eq!(&names[..2], ["Rutile", "Halite"], "{names:?}");
    let share: f64 = found.phases.iter().map(|p| p.share).sum();
    let shares: Vec<f64> = found.phases.iter().map(|p| p.share).collect();
    assert!(
        share > 0.7 && share < 1.1,
        "explained {share}: {names:?} {shares:?}"
    );
    assert!(found.phases[0].share > found.phases[1].share);
    assert!(found.unexplained.is_empty(), "{:?}", found.unexplained);
    assert_eq!(found.residual.len(), pattern.len());
}

#[test]
fn peaks_of_a_phase_outside_the_library_are_reported() {
    // A library without halite: its peaks stay unexplained.
    let m = matcher(SearchParams::new().elements(Some(vec!["Ti".into(), "O".into()])));
    let found = m.identify(&mixture(0.0, 5), &PhaseParams::new()).unwrap();
    let halite = structure("Halite", 225);
    assert_eq!(
        amcsd().entries()[found.phases[0].candidate.entry].mineral,
        "Rutile"
    );
    // Halite's two strongest peaks (Cu Kα1).
    let sim =
        xrd_sim::Simulator::new(xrd_sim::PowderParams::new().two_theta_range(10.0, 80.0)).unwrap();
    let mut peaks = sim.peaks(&halite).unwrap().peaks().to_vec();
    peaks.sort_by(|a, b| b.intensity.total_cmp(&a.intensity));
    for t in peaks.iter().take(2).map(|p| p.two_theta) {
        assert!(
            found.unexplained.iter().any(|(x, _)| (x - t).abs() < 0.2),
            "{t}° not reported: {:?}",
            found.unexplained
        );
    }
}

#[test]
fn max_phases_bounds_the_answer() {
    let m = Matcher::new(
        amcsd(),
        amcsd_references(),
        Wavelength::CU_KA,
        SearchParams::new(),
    )
    .unwrap();
    let (rutile, halite) = (structure("Rutile", 136), structure("Halite", 225));
    let pattern = measured_like(&[(&rutile, 1.0), (&halite, 0.6)], 0.0, 5);
    let found = m
        .identify(&pattern, &PhaseParams::new().max_phases(1))
        .unwrap();
    assert_eq!(found.phases.len(), 1);
}
