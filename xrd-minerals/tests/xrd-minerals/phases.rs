//! Several phases.

use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Background, Identification, Matcher, PhaseParams, SearchParams};

use crate::common::{amcsd, amcsd_references, measured_like};

fn structure(mineral: &str, group: u8) -> xrd_sim::Structure {
    amcsd()
        .entries()
        .iter()
        // An entry measured at room conditions (the first halite is at 3.2 GPa).
        .find(|e| e.mineral == mineral && e.space_group == group && e.is_ambient())
        .unwrap()
        .structure()
        .unwrap()
}

/// Rutile and (60 % as strong) halite.
fn mixture(zero_shift: f64, seed: u64) -> Pattern {
    let (rutile, halite) = (structure("Rutile", 136), structure("Halite", 225));
    measured_like(&[(&rutile, 1.0), (&halite, 0.6)], zero_shift, seed)
}

/// The minerals of the phases found, in order.
fn minerals(found: &Identification) -> Vec<&'static str> {
    found
        .phases
        .iter()
        .map(|p| amcsd().entries()[p.candidate.entry].mineral.as_str())
        .collect()
}

fn matcher(params: SearchParams) -> Matcher {
    crate::common::amcsd_matcher_with(params)
}

#[test]
fn a_two_phase_mixture_gives_both_phases_and_their_shares() {
    let pattern = mixture(0.02, 11);
    let found = matcher(SearchParams::new())
        .identify(&pattern, &PhaseParams::new())
        .unwrap();
    let names = minerals(&found);
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
        amcsd().clone(),
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

/// `pattern` with `f(2θ)` added to every point.
fn plus(pattern: &Pattern, f: impl Fn(f64) -> f64) -> Pattern {
    let y: Vec<f64> = pattern
        .two_theta()
        .iter()
        .zip(pattern.intensity())
        .map(|(&t, &v)| v + f(t))
        .collect();
    pattern.clone().with_intensity(y).unwrap()
}

/// The unexplained peaks of rutile on `pattern` with the background estimated by `background`.
fn unexplained(pattern: &Pattern, background: Background) -> Vec<(f64, f64)> {
    let found = matcher(SearchParams::new().background(background))
        .identify(pattern, &PhaseParams::new())
        .unwrap();
    let names = minerals(&found);
    assert_eq!(names, ["Rutile"], "{background:?}: {:?}", found.unexplained);
    found.unexplained
}

#[test]
fn a_broad_hump_of_the_background_is_not_read_as_peaks() {
    // Rutile (strongest point about 100 counts over a background of 20) on an amorphous hump
    // of 12 counts, σ 5° (FWHM 12°, as amorphous silica), at 20°: the top-hat background
    // follows it; SNIP, a lower envelope,
    // leaves its top as residual peaks.
    let rutile = structure("Rutile", 136);
    let hump = |t: f64| 12.0 * (-0.5 * ((t - 20.0) / 5.0).powi(2)).exp();
    let pattern = plus(&measured_like(&[(&rutile, 1.0)], 0.0, 3), hump);
    let rolling = unexplained(&pattern, Background::TopHat);
    assert!(rolling.is_empty(), "{rolling:?}");
    let snip = unexplained(&pattern, Background::Snip);
    assert!(
        snip.iter().any(|&(t, _)| (14.0..26.0).contains(&t)),
        "{snip:?}"
    );
}

#[test]
fn spikes_of_one_point_are_not_peaks() {
    // Single-point spikes of 6 % of the strongest peak (above the 3 % of a significant peak,
    // but one point wide) between rutile's lines.
    let rutile = structure("Rutile", 136);
    let pattern = plus(&measured_like(&[(&rutile, 1.0)], 0.0, 4), |t| {
        if [20.0, 47.0, 60.0].iter().any(|s| (t - s).abs() < 0.01) {
            6.0
        } else {
            0.0
        }
    });
    let found = unexplained(&pattern, Background::TopHat);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn textured_heights_leave_no_residual_peaks() {
    // Rutile with preferred orientation along [110] (March r = 0.85: the (110) line 1.6 times
    // as strong, lines at right angles 0.8 times) and broad peaks with Lorentzian tails (as a
    // nanocrystalline sample's): the refined heights of the phase's profile take the texture
    // up, so its own lines leave no peaks in the residual beside the masked ones.
    let rutile = structure("Rutile", 136);
    let sim = xrd_sim::Simulator::new(
        xrd_sim::PowderParams::new()
            .radiation(Wavelength::CU_KA)
            .two_theta_range(5.0, 85.0),
    )
    .unwrap();
    let texture = xrd_sim::MarchDollase {
        direction: [1, 1, 0],
        r: 0.85,
    };
    let peaks = sim.peaks_textured(&rutile, &texture).unwrap();
    let grid = xrd_io::Grid::new(10.0, 0.02, 3501).unwrap();
    let y = sim
        .render_with(
            &peaks,
            &grid,
            &xrd_sim::Profile::pseudo_voigt(0.5, 0.35),
            &xrd_sim::Geometry::IDEAL,
        )
        .unwrap();
    let max = y.iter().copied().fold(0.0, f64::max);
    let mut noise = crate::common::Noise::new(9);
    let y: Vec<f64> = y
        .iter()
        .map(|v| 100.0 * v / max + 20.0 + 2.0 * (noise.next() - 0.5))
        .collect();
    let pattern = Pattern::new(grid.positions(), y)
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA));
    let found = unexplained(&pattern, Background::TopHat);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn one_peak_left_names_no_phase() {
    // Rutile and one further peak (5 % of its strongest, at 28.7°, as an impurity's only
    // visible line): many references have a line there, none may be named from it alone; the
    // peak is reported unexplained.
    let rutile = structure("Rutile", 136);
    let pattern = plus(&measured_like(&[(&rutile, 1.0)], 0.0, 6), |t| {
        5.0 * (-0.5 * ((t - 28.7) / 0.07).powi(2)).exp()
    });
    let found = unexplained(&pattern, Background::TopHat);
    assert!(
        found.iter().any(|&(t, _)| (t - 28.7).abs() < 0.1),
        "{found:?}"
    );
}
