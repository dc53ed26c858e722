//! `XRD_ISA` (xrd-io's one CPU probe) caps xrd-sim's kernels too: a pattern simulated in a child
//! process capped to the portable kernels has the same bits as one with the best this CPU has
//! (the AVX2 builds run the same operations).

use xrd_io::Wavelength;
use xrd_io::cpu::{ISA_ENV, instruction_set};
use xrd_sim::{PowderParams, Profile, Simulator, TrainingPatternParams};

/// A pseudo-Voigt pattern with a Kα2 doublet of a random crystal: both AVX2 kernels of xrd-sim
/// (the structure factors' phases and the profiles).
fn workload() -> Vec<f64> {
    let x = TrainingPatternParams::new()
        .pattern_of(62, 2, 0)
        .unwrap()
        .structure;
    let sim = Simulator::new(
        PowderParams::new()
            .two_theta_range(10.0, 80.0)
            .radiation(Wavelength::CU_KA),
    )
    .unwrap();
    let grid = xrd_io::Grid::new(10.0, 0.02, 3500).unwrap();
    sim.pattern(&x, &grid, &Profile::pseudo_voigt(0.4, 0.05))
        .unwrap()
}

/// Run by [`the_isa_variable_caps_the_simulator`] in a child process.
#[test]
#[ignore = "run in a child process by the_isa_variable_caps_the_simulator"]
fn report_isa_and_pattern() {
    let bits: Vec<String> = workload().iter().map(|v| v.to_bits().to_string()).collect();
    println!("isa={}", instruction_set().name());
    println!("bits={}", bits.join(","));
}

fn child(value: &str) -> (String, String) {
    let f = xrd_testdata::child_test_fields(
        "isa::report_isa_and_pattern",
        ISA_ENV,
        value,
        &["isa=", "bits="],
    );
    (f[0].clone(), f[1].clone())
}

#[test]
fn the_isa_variable_caps_the_simulator() {
    let (best, reference) = child("");
    let (portable, bits) = child("portable");
    assert_eq!(portable, "portable");
    assert_eq!(bits, reference, "portable vs {best}");
    assert_eq!(child("avx2").1, reference);
}
