//! Bad input gives an error that names its cause, never a panic.

use xrd_io::{Pattern, Wavelength};
use xrd_refine::{Error, Instrument, Phase, RefineParams, Refiner};
use xrd_sim::Structure;

const HALITE: &str = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
    _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
    _symmetry_space_group_name_H-M 'F m -3 m'\n\
    loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
    Na 0 0 0\nCl 0.5 0.5 0.5\n";

fn halite() -> Phase {
    Phase::new("halite", Structure::from_cif(HALITE).unwrap()).unwrap()
}

fn flat(from: f64, to: f64, n: usize) -> Pattern {
    let tt: Vec<f64> = (0..n)
        .map(|i| from + (to - from) * i as f64 / (n - 1) as f64)
        .collect();
    Pattern::new(tt, vec![100.0; n]).unwrap()
}

#[test]
fn negative_counts_and_esds_are_refused() {
    let p = flat(20.0, 60.0, 400);
    let mut y = p.intensity().to_vec();
    y[17] = -3.0;
    let bad = p.clone().with_intensity(y).unwrap();
    let e = Refiner::new(vec![halite()])
        .fit(&bad, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::Pattern(m) if m.contains("point 17")),
        "{e}"
    );
    let zero_esd = p.clone().with_sigma(Some(vec![0.0; 400])).unwrap();
    let e = Refiner::new(vec![halite()])
        .fit(&zero_esd, Wavelength::CU_KA)
        .unwrap_err();
    assert!(matches!(&e, Error::Pattern(m) if m.contains("esd")), "{e}");
}

#[test]
fn a_phase_without_reflections_in_range_is_named() {
    // Halite's first line (111) is at 27.4°.
    let e = Refiner::new(vec![halite()])
        .fit(&flat(5.0, 20.0, 300), Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::NoReflections(name, ..) if name == "halite"),
        "{e}"
    );
}

#[test]
fn settings_are_checked() {
    let p = flat(20.0, 60.0, 400);
    let e = Refiner::new(vec![]).fit(&p, Wavelength::CU_KA).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter(x) if x.name == "phases"),
        "{e}"
    );
    let e = Refiner::new(vec![halite()])
        .params(RefineParams::new().background_terms(0))
        .fit(&p, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter(x) if x.name == "background_terms"),
        "{e}"
    );
    let e = Refiner::new(vec![halite()])
        .instrument(Instrument {
            w: -1.0,
            ..Instrument::default()
        })
        .fit(&p, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter(x) if x.name == "w"),
        "{e}"
    );
    let e = Refiner::new(vec![halite()])
        .particle_size(-1.0)
        .fit(&p, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter(x) if x.name == "particle_size"),
        "{e}"
    );
    assert!(matches!(
        halite().with_particle_size(f64::NAN),
        Err(Error::InvalidParameter(x)) if x.name == "particle_size"
    ));
    let e = Refiner::new(vec![halite()])
        .standard(3, 0.2)
        .fit(&p, Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter(x) if x.name == "standard"),
        "{e}"
    );
    let e = Refiner::new(vec![halite()])
        .fit(&flat(20.0, 60.0, 10), Wavelength::CU_KA)
        .unwrap_err();
    assert!(
        matches!(&e, Error::Pattern(m) if m.contains("10 points")),
        "{e}"
    );
}

#[test]
fn a_pattern_of_noise_still_ends_with_a_result_or_an_error() {
    // No peak at all: the scale goes to zero; the fit must not panic.
    let r = Refiner::new(vec![halite()]).fit(&flat(20.0, 60.0, 400), Wavelength::CU_KA);
    if let Ok(fit) = r {
        assert!(fit.phases[0].weight_fraction.is_finite() || fit.phases[0].scale == 0.0);
    }
}

/// Halite with sylvite (KCl), simulated at a synchrotron wavelength that has no tabulated f″
/// (Chantler's lines only): the absorption coefficients of the microabsorption correction
/// cannot be computed there.
fn two_salts_at(lambda: Wavelength) -> (Vec<Phase>, Pattern) {
    let sylvite = HALITE
        .replace("NaCl", "KCl")
        .replace("5.64", "6.29")
        .replace("Na 0", "K 0");
    let phases = vec![
        halite(),
        Phase::new("sylvite", Structure::from_cif(&sylvite).unwrap()).unwrap(),
    ];
    let sim = xrd_sim::Simulator::new(xrd_sim::PowderParams::new().radiation(lambda)).unwrap();
    let grid = xrd_io::Grid::new(8.0, 0.01, 2201).unwrap();
    let profile = xrd_sim::Profile::gaussian(0.05);
    let mut y = vec![100.0; grid.len()];
    for ph in &phases {
        let peaks = sim.peaks(ph.structure()).unwrap();
        let curve = sim.render(&peaks, &grid, &profile).unwrap();
        y.iter_mut().zip(&curve).for_each(|(v, c)| *v += 1e-2 * c);
    }
    (phases, Pattern::uniform(8.0, 0.01, y).unwrap())
}

#[test]
fn the_default_microabsorption_correction_steps_aside_where_absorption_is_not_tabulated() {
    let lambda = Wavelength::synchrotron(0.7);
    let (phases, pattern) = two_salts_at(lambda);
    // By default: refined, uncorrected (the same fractions as with the correction off).
    let by_default = Refiner::new(phases.clone()).fit(&pattern, lambda).unwrap();
    let off = Refiner::new(phases.clone())
        .particle_size(0.0)
        .fit(&pattern, lambda)
        .unwrap();
    for (a, b) in by_default.phases.iter().zip(&off.phases) {
        assert_eq!(a.weight_fraction, b.weight_fraction);
    }
    // Asked for explicitly, the correction cannot be made: an error, not a silent skip.
    let asked = Refiner::new(phases)
        .particle_size(3.0)
        .fit(&pattern, lambda);
    let e = asked.unwrap_err();
    assert!(
        matches!(&e, Error::Sim(xrd_sim::Error::NoAnomalousTable { wavelength, .. }) if *wavelength == 0.7),
        "{e:?}"
    );
}
