//! Measured mixtures of ../shared/data: the weighed fractions the refinement recovers
//! (dara_dev; development numbers, since settings were chosen on the same scans).

use xrd_io::Wavelength;
use xrd_refine::Refiner;

use crate::cif_phase;

#[test]
fn bixbyite_and_anatase_of_a_weighed_mixture() {
    // V2O5 10 wt%, In2O3 20 wt%, TiO2 (anatase) 70 wt%; V2O5 is left out (its structure is in
    // the library, which this crate does not use): the other two share the rest.
    let Some(path) = xrd_testdata::shared_data(
        "measured/dara_dev/V2O5_0p1012-In2O3_0p2008-TiO2_0p7001--8min.xrdml",
    ) else {
        return;
    };
    let (Some(in2o3), Some(anatase)) = (
        cif_phase("In2O3_Marezio1966.cif"),
        cif_phase("autoxrd_TiO2_141.cif"),
    ) else {
        return;
    };
    let pattern = xrd_io::read(&path).unwrap().remove(0);
    let w = pattern.wavelength().unwrap_or(Wavelength::CU_KA);
    let fit = Refiner::new(vec![in2o3, anatase]).fit(&pattern, w).unwrap();
    let f: Vec<f64> = fit.phases.iter().map(|p| p.weight_fraction).collect();
    assert!((f[0] - 0.2008 / 0.9009).abs() < 0.03, "In2O3 {f:?}");
    assert!(fit.rwp < 0.12, "Rwp {}", fit.rwp);
    // Bixbyite's refined cell: 10.117 Å (Marezio 1966).
    assert!(
        (fit.phases[0].cell[0] - 10.117).abs() < 0.01,
        "{:?}",
        fit.phases[0].cell
    );
}
