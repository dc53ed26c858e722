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
    assert!(halite().with_particle_size(f64::NAN).is_err());
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
