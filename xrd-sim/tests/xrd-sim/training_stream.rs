//! The training-pattern stream is fixed: the same seed and index give the same pattern, bit for
//! bit, across releases, because classifiers are trained (and experiments compared) on it. The
//! checksums below were computed by the generator before it was optimised (commit 41424ad); any
//! speed-up must reproduce them exactly. The parameters are spelled out rather than taken from
//! the defaults, so that a change of default values does not look like a change of the stream.
//!
//! One deliberate change since: on 2026-11-24 the stream's Cu Kα moved from Bearden's
//! 1.540562 / 1.544390 Å to xrd-io's 1.540598 / 1.544426 Å (Hölzer et al. 1997, the values its
//! citation gives), and the stream's checksums were pinned again; the simulator's below spell
//! out the old wavelengths and kept the checksums of 41424ad.

use xrd_io::{Grid, Wavelength};
use xrd_sim::artefacts::Artefacts;
use xrd_sim::synthetic::default_elements;
use xrd_sim::{PowderParams, Profile, Simulator, SyntheticCrystalParams, TrainingPatternParams};
use xrd_testdata::fnv;

fn checksum_f32(values: &[f32]) -> u64 {
    fnv(values.iter().map(|v| u64::from(v.to_bits())))
}

fn checksum_f64(values: &[f64]) -> u64 {
    fnv(values.iter().map(|v| v.to_bits()))
}

/// The generator's defaults as of commit 41424ad, set explicitly.
fn pinned() -> TrainingPatternParams {
    TrainingPatternParams::new()
        .grid(5.0, 0.01, 8500)
        .space_groups((1..=230).map(|n| (n, 1.0)).collect())
        .crystal(
            SyntheticCrystalParams::new()
                .max_atoms(48)
                .max_sites(4)
                .max_elements(3)
                .packing(0.35, 0.75)
                .max_axis_ratio(2.0)
                .min_distance(0.7)
                .b_iso(0.2, 1.5)
                .placement_tries(20)
                .max_tries(200)
                .check_symmetry(Some(1e-3))
                .general_position(0.7)
                .elements(default_elements()),
        )
        .caglioti((0.0, 0.01), (-0.005, 0.0), (0.001, 0.01))
        .crystallite_size(300.0, 3000.0)
        .eta(0.0, 0.6)
        .window(10.0)
        .zero_shift(-0.05, 0.05)
        .displacement(-0.1, 0.1, 240.0)
        .texture(0.7, 1.0)
        .artefacts(Some(Artefacts {
            noise: (0.002, 0.02),
            probability: 0.5,
            amplitude: 0.1,
        }))
}

fn batch_checksum(p: &TrainingPatternParams, seed: u64, first: u64, n: usize) -> (u64, u64) {
    let b = p.batch(seed, first, n).unwrap();
    let values = b.patterns.as_slice().unwrap();
    (
        checksum_f32(values),
        fnv(b.space_group.iter().map(|&g| u64::from(g))),
    )
}

#[test]
fn the_default_stream_is_unchanged() {
    let got = [
        batch_checksum(&pinned(), 1, 0, 40),
        batch_checksum(&pinned(), 20_261_122, 1_000_000, 24),
    ];
    assert_eq!(
        got,
        [
            (5_448_945_161_332_504_480, 12_896_954_233_807_097_229),
            (4_411_972_148_514_319_493, 13_829_790_372_454_677_184),
        ]
    );
}

#[test]
fn other_settings_are_unchanged() {
    // Pure Lorentzian-heavy profiles, a coarse grid, a narrow window, no texture, no artefacts
    // and no symmetry check: the branches the defaults do not take.
    let p = pinned()
        .grid(10.0, 0.02, 3000)
        .eta(0.5, 1.0)
        .window(3.0)
        .texture(1.0, 1.0)
        .artefacts(None)
        .crystal(SyntheticCrystalParams::new().check_symmetry(None));
    let a = batch_checksum(&p, 5, 0, 24);
    // Gaussian only, Kα₁ widths without size broadening spread, one group.
    let q = pinned()
        .eta(0.0, 0.0)
        .crystallite_size(1000.0, 1000.0)
        .space_groups(vec![(225, 1.0)]);
    let b = batch_checksum(&q, 9, 3, 8);
    let x = pinned().pattern_of(166, 3, 4).unwrap();
    let y = pinned().simulate_structure(&x.structure, 8, 1).unwrap();
    let got = [a, b, (checksum_f32(&x.intensities), checksum_f32(&y))];
    assert_eq!(
        got,
        [
            (9_073_016_283_201_502_761, 15_707_774_099_074_564_629),
            (11_113_567_123_115_292_890, 2_509_426_640_263_610_789),
            (6_743_809_725_333_321_284, 318_927_088_419_494_413),
        ]
    );
}

#[test]
fn simulator_patterns_are_unchanged() {
    let x = pinned().pattern_of(62, 2, 0).unwrap().structure;
    let sim = |doublet| {
        Simulator::new(
            PowderParams::new()
                .two_theta_range(5.0, 120.0)
                .radiation(doublet),
        )
        .unwrap()
    };
    let grid = Grid::new(5.0, 0.01, 11_500).unwrap();
    let profiles = [
        Profile::gaussian(0.03),
        Profile::pseudo_voigt(0.4, 0.05),
        Profile::lorentzian(0.02).caglioti(0.01, -0.002, 0.003),
    ];
    let sums: Vec<u64> = profiles
        .iter()
        .flat_map(|p| {
            [
                Wavelength::synchrotron(1.540_562),
                Wavelength::doublet(1.540_562, 1.544_390, 0.5).unwrap(),
            ]
            .map(|d| checksum_f64(&sim(d).pattern(&x, &grid, p).unwrap()))
        })
        .collect();
    assert_eq!(
        sums,
        [
            17_517_032_598_800_895_911,
            10_884_257_592_915_574_134,
            14_564_610_230_352_822_122,
            7_921_030_606_255_438_014,
            12_909_650_675_524_746_953,
            12_652_029_244_766_007_895,
        ]
    );
}
