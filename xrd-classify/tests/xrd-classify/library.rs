//! Real structures as a training source, and the library stage of predictions.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions unwrap too

use std::sync::OnceLock;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_classify::{
    Classifier, Error, Evidence, LibraryPatterns, LibrarySearch, LibraryWeighting, MixedPatterns,
    PatternSource, SyntheticPatterns,
};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{Composition, Library, SearchParams};
use xrd_sim::TrainingPatternParams;

/// The shared CIF folder as a library (rutile, silicon, copper, …), read once.
fn cifs() -> Option<&'static Library> {
    static LIB: OnceLock<Option<Library>> = OnceLock::new();
    LIB.get_or_init(|| {
        xrd_testdata::shared_data("cif").map(|dir| Library::from_folder(dir).unwrap())
    })
    .as_ref()
}

fn generator() -> TrainingPatternParams {
    TrainingPatternParams::new().grid(10.0, 0.1, 700)
}

fn entry_of(lib: &Library, id_part: &str) -> usize {
    lib.entries()
        .iter()
        .position(|e| e.id.contains(id_part))
        .unwrap_or_else(|| panic!("no entry {id_part}"))
}

#[test]
fn library_patterns_are_the_entries_simulated_like_training_patterns() {
    let Some(lib) = cifs() else { return };
    let src = LibraryPatterns::new(lib, generator())
        .unwrap()
        .strain(0.0)
        .unwrap()
        .measured_noise(0.0, 0.0)
        .unwrap();
    assert_eq!(src.len() + src.unusable().len(), lib.len());
    let groups = src.space_groups();
    let counts = src.counts();
    assert_eq!(counts.iter().sum::<usize>(), src.len());
    assert_eq!(
        src.frequencies(),
        counts.iter().map(|&c| c as f64).collect::<Vec<_>>()
    );
    // Rutile is the only entry of P4_2/mnm among the shared CIFs that is not also in the
    // autoxrd file: pick a group with one entry and compare with the simulator by hand.
    let (k, &g) = groups
        .iter()
        .enumerate()
        .find(|(k, _)| counts[*k] == 1)
        .unwrap();
    let e = lib.entries().iter().find(|e| e.space_group == g).unwrap();
    let want = generator()
        .measured_noise(0.0, 0.0)
        .simulate_structure(&e.structure().unwrap(), 7, 2)
        .unwrap();
    let got = src.patterns(&[g, g, g], 7).unwrap();
    assert_eq!(got.row(2).to_vec(), want, "group {g} (entry {k})");
    // Reproducible, and another seed is another pattern.
    assert_eq!(got, src.patterns(&[g, g, g], 7).unwrap());
    assert_ne!(got, src.patterns(&[g, g, g], 8).unwrap());
    assert!(matches!(src.patterns(&[3], 1), Err(Error::Source(_))));
}

#[test]
fn strained_library_patterns_move_their_peaks_by_at_most_the_strain() {
    let Some(path) = xrd_testdata::shared_data("cif/Silicon.cif") else {
        return;
    };
    // Silicon (Fd-3m, 227) alone: its strongest line (111) near 28.44° moves by at most ±2 % of
    // d, and does move.
    let lib = &Library::from_files("si", &[path]).unwrap();
    let g = lib.entries()[0].space_group;
    assert_eq!(g, 227);
    let radius = generator().get_goniometer_radius();
    let quiet = |strain: f64| {
        LibraryPatterns::new(
            lib,
            generator()
                .zero_shift(0.0, 0.0)
                .displacement(0.0, 0.0, radius),
        )
        .unwrap()
        .strain(strain)
        .unwrap()
        .measured_noise(0.0, 0.0)
        .unwrap()
    };
    let two_theta = |y: ndarray::ArrayView1<'_, f32>| {
        // The strongest point between 26° and 31°.
        let (i0, i1) = (160, 210);
        let i = (i0..i1).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap();
        10.0 + 0.1 * i as f64
    };
    let d_of = |t: f64| 1.540_598 / (2.0 * (t / 2.0).to_radians().sin());
    let base = two_theta(quiet(0.0).patterns(&[g], 3).unwrap().row(0));
    let strained = quiet(0.02).patterns(&[g; 12], 3).unwrap();
    let mut moved = 0;
    for row in strained.rows() {
        let t = two_theta(row);
        // ±2 % of d plus a grid step of slack.
        assert!(
            (d_of(t) / d_of(base) - 1.0).abs() < 0.02 + 0.004,
            "{t} vs {base}"
        );
        moved += usize::from((t - base).abs() > 0.05);
    }
    assert!(moved >= 6, "{moved} of 12 patterns moved");
    assert!(matches!(
        quiet(0.0).strain(0.3),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "strain",
            ..
        }))
    ));
    assert!(matches!(
        quiet(0.0).strain(f64::NAN),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "strain",
            ..
        }))
    ));
}

#[test]
fn a_mixture_draws_library_patterns_in_its_share() {
    let Some(lib) = cifs() else { return };
    let library = LibraryPatterns::new(lib, generator()).unwrap();
    let synthetic = SyntheticPatterns::new(generator()).unwrap();
    let lib_groups = library.space_groups();
    for f in [0.0, 0.25, 1.0] {
        let m = MixedPatterns::new(library.clone(), synthetic.clone(), f).unwrap();
        assert_eq!(m.space_groups().len(), 230);
        let freq = m.frequencies();
        assert!((freq.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let on_library: f64 = lib_groups.iter().map(|&g| freq[usize::from(g) - 1]).sum();
        // The library's share plus the random crystals' share of the same groups.
        assert!(on_library >= f - 1e-12, "{f}: {on_library}");
        if f == 1.0 {
            assert!((on_library - 1.0).abs() < 1e-12);
        }
    }
    // Fraction 1: a request for a library group is answered from the library, bit for bit.
    let all = MixedPatterns::new(library.clone(), synthetic.clone(), 1.0).unwrap();
    let g = lib_groups[0];
    let x = all.patterns(&[g, g], 11).unwrap();
    assert_eq!(x, all.patterns(&[g, g], 11).unwrap());
    assert_eq!(x.dim(), (2, 700));
    for bad in [-0.1, 1.5, f64::NAN] {
        assert!(matches!(
            MixedPatterns::new(library.clone(), synthetic.clone(), bad),
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "fraction",
                ..
            }))
        ));
    }
    let other = SyntheticPatterns::new(TrainingPatternParams::new().grid(10.0, 0.2, 350)).unwrap();
    assert!(matches!(
        MixedPatterns::new(library, other, 0.5),
        Err(Error::ShapeMismatch(_))
    ));
}

/// A tiny classifier (the networks know nothing of crystals) searching the shared CIFs.
fn with_library(lib: &Library) -> Classifier {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let source = super::synthetic::tiny();
    let model = super::synthetic::tiny_params()
        .fit(&source, &mut rng, |_| {})
        .unwrap();
    let stage = LibrarySearch::new(lib.clone(), SearchParams::new()).unwrap();
    model.with_indexing(None).unwrap().with_library(Some(stage))
}

/// Rutile simulated as a lab would measure it (Cu Kα doublet, 10–80°).
fn rutile(lib: &Library) -> Pattern {
    let s = lib.entries()[entry_of(lib, "Rutile")].structure().unwrap();
    let y = TrainingPatternParams::new()
        .grid(10.0, 0.02, 3500)
        .simulate_structure(&s, 1, 1)
        .unwrap();
    Pattern::uniform(10.0, 0.02, y.into_iter().map(f64::from).collect())
        .unwrap()
        .with_wavelength(Some(Wavelength::CU_KA))
}

#[test]
fn a_good_library_match_decides_and_its_absence_leaves_the_networks() {
    let Some(lib) = cifs() else { return };
    let model = with_library(lib);
    let pattern = rutile(lib);
    let stages = model
        .predict_stages(std::slice::from_ref(&pattern), None)
        .unwrap();
    let s = &stages[0];
    let p = &s.combined;
    let phase = p.phase.as_ref().unwrap();
    assert!(phase.id.contains("Rutile"), "{phase:?}");
    assert_eq!((p.space_group, p.decided_by), (136, Evidence::Library));
    assert!(phase.score > 0.95, "{phase:?}");
    let weight = LibraryWeighting::default().weight(phase.score);
    assert!(phase.weight == weight && weight > 0.85, "{phase:?}");
    assert_eq!(s.library.as_ref().unwrap().space_group, 136);
    assert!(s.indexed.is_none());
    // The combination is the mixture of the two stages: λ·P_lib + (1 − λ)·P_net at the answer.
    let lib_p = s.library.as_ref().unwrap().certainty;
    let net_p = s
        .networks
        .top
        .iter()
        .find(|t| t.0 == 136)
        .map_or(0.0, |t| t.1);
    let mixed = phase.weight * lib_p + (1.0 - phase.weight) * net_p;
    if s.networks.top.iter().any(|t| t.0 == 136) {
        assert!(
            (p.certainty - mixed).abs() < 1e-9,
            "{} {mixed}",
            p.certainty
        );
    } else {
        assert!(p.certainty >= phase.weight * lib_p - 1e-12);
    }
    // The crystal system is the answer's.
    assert_eq!(p.crystal_system, xrd_sim::CrystalSystem::Tetragonal);

    // Rutile's own entries left out (its formula, its group): the library no longer decides
    // with rutile.
    let comp = Composition::parse("TiO2").unwrap();
    let own = lib.same_material(&comp, 136);
    assert!(own.contains(&entry_of(lib, "Rutile")));
    let without = model
        .predict_stages(
            std::slice::from_ref(&pattern),
            Some(std::slice::from_ref(&own)),
        )
        .unwrap();
    let q = &without[0].combined;
    assert!(q.phase.as_ref().is_none_or(|m| !own.contains(&m.entry)));
    assert!(
        q.phase.as_ref().is_none_or(|m| m.weight < phase.weight),
        "{:?}",
        q.phase
    );
    // One exclusion list per pattern.
    assert!(matches!(
        model.predict_stages(std::slice::from_ref(&pattern), Some(&[])),
        Err(Error::ShapeMismatch(_))
    ));
}

#[test]
fn library_stage_parameters_are_checked() {
    let Some(lib) = cifs() else { return };
    let stage = LibrarySearch::new(lib.clone(), SearchParams::new()).unwrap();
    for t in [-0.1, 1.1, f64::NAN] {
        assert!(matches!(
            stage.clone().threshold(t),
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "threshold",
                ..
            }))
        ));
    }
    let w = LibraryWeighting {
        width: 0.0,
        ..LibraryWeighting::default()
    };
    assert!(matches!(
        stage.clone().weighting(w),
        Err(Error::InvalidParameter(xrd_io::InvalidParameter {
            name: "width",
            ..
        }))
    ));
    assert!(matches!(
        LibrarySearch::new(lib.clone(), SearchParams::new().top(0)),
        Err(Error::Minerals(_))
    ));
}
