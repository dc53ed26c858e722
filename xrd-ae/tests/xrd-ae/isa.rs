//! `XRD_ISA` (xrd-io's `ISA_ENV`) caps the instruction set of the f32 kernels: each value runs in a child process
//! (the variable is read once per process) that reports the instruction set it used and the
//! result of a few training steps and an inference; every path must agree with the others, and
//! the AVX2 and AVX-512 paths bit for bit.
#![allow(clippy::unwrap_used)]

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Activation, Adam, ISA_ENV, InstructionSet, Loss, Network, Trainer, instruction_set};

/// Trains a small classifier (wide enough for the blocked and lane kernels) for a few steps and
/// returns the final weights and three inferences: 40 dense rows (the gemm crate, whose AVX2
/// kernels `XRD_ISA=avx2` picks), the same rows with most columns zero (xrd-ae's lane
/// kernels) and 7 rows (the dot products).
fn workload() -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let net = Network::<f32>::params()
        .layer(40, Activation::Relu)
        .dropout(0.2)
        .layer(7, Activation::Identity)
        .build(1100, &mut rng)
        .unwrap();
    let x = Array2::from_shape_simple_fn((40, 1100), || rng.random_range(0.0f32..1.0));
    let mut y = Array2::zeros((40, 7));
    for r in 0..40 {
        y[(r, r % 7)] = 1.0;
    }
    let mut t = Trainer::new(net, Loss::CrossEntropy, Adam::default(), 40).unwrap();
    for _ in 0..3 {
        t.step(x.view(), y.view()).unwrap();
    }
    let mut out: Vec<f32> = t.network().predict(&x).unwrap().iter().copied().collect();
    let mut sparse = x.clone();
    sparse.slice_mut(ndarray::s![.., ..700]).fill(0.0);
    out.extend(t.network().predict(&sparse).unwrap().iter());
    // Up to 16 rows of a layer with 1024 or more inputs go through the dot-product kernels,
    // which sum across lanes: they too must agree bit for bit.
    let few = x.slice(ndarray::s![..7, ..]);
    out.extend(t.network().predict(&few).unwrap().iter());
    for l in t.network().layers() {
        out.extend(l.weight().iter().take(500));
    }
    out
}

/// Run by [`the_isa_variable_caps_the_kernels`] in a child process.
#[test]
#[ignore = "run in a child process by the_isa_variable_caps_the_kernels"]
fn report_isa_and_workload() {
    // One plan for every child: a measured one may choose other kernels (other last bits) in
    // one child than in another.
    xrd_ae::set_plan(xrd_ae::Plan::DEFAULT).unwrap();
    let values: Vec<String> = workload().iter().map(|v| v.to_string()).collect();
    println!("isa={}", instruction_set().name());
    println!("values={}", values.join(","));
}

fn child(value: &str) -> (String, Vec<f32>) {
    // The test's path in this binary (module `isa` of tests/xrd-ae/main.rs).
    let f = xrd_testdata::child_test_fields(
        "isa::report_isa_and_workload",
        ISA_ENV,
        value,
        &["isa=", "values="],
    );
    let values = f[1].split(',').map(|v| v.parse().unwrap()).collect();
    (f[0].clone(), values)
}

#[test]
fn the_isa_variable_caps_the_kernels() {
    let (best, reference) = child("");
    assert_eq!(best, {
        // The best this CPU has: what an uncapped process reports.
        let (name, _) = child("avx512");
        name
    });
    for (value, cap) in [
        ("avx2", InstructionSet::Avx2),
        ("portable", InstructionSet::Portable),
    ] {
        let (name, values) = child(value);
        let allowed: Vec<&str> = [
            InstructionSet::Portable,
            InstructionSet::Avx2,
            InstructionSet::Avx512,
        ]
        .into_iter()
        .filter(|&i| i <= cap)
        .map(InstructionSet::name)
        .collect();
        assert!(allowed.contains(&name.as_str()), "{value} ran {name}");
        assert_eq!(values.len(), reference.len());
        // The AVX2 and AVX-512 kernels run the same operations per lane: the same bits (values
        // print as the shortest decimal that reads back to the same f32).
        let simd = |n: &str| n == "avx2" || n == "avx512";
        if simd(&name) && simd(&best) {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&values),
                bits(&reference),
                "{value} ran {name}, best {best}"
            );
        }
        for (a, b) in values.iter().zip(&reference) {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "{value}: {a} vs {b} ({best})"
            );
        }
    }
    assert_eq!(child("portable").0, "portable");
}
