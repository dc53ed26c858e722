//! One test per invalid value of every parameter type.

use xrd_minerals::{Error, PhaseParams, ReferenceParams, SearchParams};

fn refused<T: std::fmt::Debug>(r: Result<T, Error>, name: &str) {
    match r {
        Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
            assert_eq!(n, name)
        }
        other => panic!("expected `{name}` refused, got {other:?}"),
    }
}

#[test]
fn defaults_are_valid() {
    SearchParams::new().check().unwrap();
    PhaseParams::new().check().unwrap();
    ReferenceParams::new().check().unwrap();
}

#[test]
fn invalid_search_params_name_their_setter() {
    let p = SearchParams::new;
    refused(p().smoothing(0.0).check(), "smoothing");
    refused(p().smoothing(f64::NAN).check(), "smoothing");
    refused(p().background_width(-1.0).check(), "background_width");
    refused(p().intensity_power(0.0).check(), "intensity_power");
    refused(p().noise_floor(-1.0).check(), "noise_floor");
    refused(p().relative_floor(0.5).check(), "relative_floor");
    refused(p().max_strain(0.5).check(), "max_strain");
    refused(p().max_strain(f64::INFINITY).check(), "max_strain");
    refused(p().strain_prior(0.0).check(), "strain_prior");
    refused(p().strain_step(0.0).check(), "strain_step");
    refused(p().max_strain(0.2).strain_step(1e-6).check(), "strain_step");
    refused(p().max_zero_shift(-0.1).check(), "max_zero_shift");
    refused(p().top(0).check(), "top");
    refused(p().min_score(1.5).check(), "min_score");
    refused(p().elements(Some(vec!["Xx".into()])).check(), "elements");
    refused(p().required(vec!["Qq".into()]).check(), "required");
    refused(
        p().elements(Some(vec!["Ti".into(), "O".into()]))
            .required(vec!["Mn".into()])
            .check(),
        "required",
    );
}

#[test]
fn invalid_phase_params_name_their_setter() {
    let p = PhaseParams::new;
    refused(p().max_phases(0).check(), "max_phases");
    refused(p().max_phases(21).check(), "max_phases");
    refused(p().min_peak_height(0.0).check(), "min_peak_height");
    refused(p().min_peak_height(1.0).check(), "min_peak_height");
    refused(p().noise_sigmas(-1.0).check(), "noise_sigmas");
    refused(p().min_share(1.0).check(), "min_share");
}

#[test]
fn invalid_reference_params_name_their_setter() {
    let p = ReferenceParams::new;
    // The wavelength is an xrd_io::Wavelength, valid by construction.
    refused(p().two_theta_max(180.0).check(), "two_theta_max");
    refused(p().two_theta_max(0.0).check(), "two_theta_max");
    refused(
        p().min_relative_intensity(100.0).check(),
        "min_relative_intensity",
    );
    refused(
        p().min_relative_intensity(-1.0).check(),
        "min_relative_intensity",
    );
}
