//! Every CIF in ../shared/data/cif and ../shared/data/oracle loads, with the expected atom
//! counts; the parser never panics on arbitrary text or mutations of real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use xrd_sim::{Cif, Structure};

use xrd_testdata::shared_data;

/// Atoms in the full cell, counted by hand from each file (Z × atoms per formula unit).
const EXPECTED: &[(&str, usize)] = &[
    ("Ca2RuO4.cif", 28),
    ("Copper.cif", 4),
    ("Diamond.cif", 8),
    ("Graphite.cif", 4),
    ("KCl.cif", 8),
    ("LiCoO2.cif", 12),
    ("Rutile.cif", 6),
    ("Sapphire.cif", 30),
    ("Silicon.cif", 8),
    ("ZnO.cif", 4),
    ("autoxrd_LiF_225.cif", 8),
    ("autoxrd_Mn2O3_206.cif", 80),
    ("autoxrd_MnO_225.cif", 8),
    ("autoxrd_TiO2_136.cif", 6),
    ("autoxrd_TiO2_141.cif", 12),
    ("triclinic.cif", 1),
];

#[test]
fn every_shared_cif_loads() {
    let Some(dir) = shared_data("cif") else {
        return;
    };
    for (name, n) in EXPECTED {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let s = Structure::from_cif(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.len(), *n, "{name}");
    }
    let count = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cif")
        })
        .count();
    assert_eq!(
        count,
        EXPECTED.len(),
        "a CIF was added to shared/data/cif: list it here"
    );
    let oracle = shared_data("oracle").unwrap();
    for (name, n) in [
        ("si_cuka1_1.5406.cif", 8),
        ("nacl_cuka1_1.5406.cif", 8),
        ("smfe12_conv_lam0.496.cif", 26),
        ("smfe11ti_conv2x2x1_lam0.496.cif", 104),
    ] {
        let s = Structure::from_cif(&std::fs::read_to_string(oracle.join(name)).unwrap()).unwrap();
        assert_eq!(s.len(), n, "{name}");
    }
}

#[test]
fn ions_occupancy_and_displacements_are_read() {
    let Some(dir) = shared_data("cif") else {
        return;
    };
    let s =
        Structure::from_cif(&std::fs::read_to_string(dir.join("autoxrd_TiO2_136.cif")).unwrap())
            .unwrap();
    let ti = &s.sites()[0];
    assert_eq!(ti.species.element.symbol(), "Ti");
    assert!((ti.species.charge - 3.928).abs() < 1e-12);
    let s =
        Structure::from_cif(&std::fs::read_to_string(dir.join("triclinic.cif")).unwrap()).unwrap();
    assert!((s.sites()[0].b_iso - 8.0 * std::f64::consts::PI.powi(2) * 0.05).abs() < 1e-9);
}

fn real_texts() -> Vec<String> {
    let Some(dir) = shared_data("cif") else {
        return vec!["data_x\n_cell_length_a 1\n".into()];
    };
    EXPECTED
        .iter()
        .map(|(n, _)| std::fs::read_to_string(dir.join(n)).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = Cif::parse(&text).and_then(|c| c.structures());
    }

    #[test]
    fn parser_never_panics_on_mutated_files(file in 0usize..16, cut in 0usize..5000, junk in "[ -~\n;'\"_]{0,12}") {
        let texts = real_texts();
        let t = &texts[file % texts.len()];
        let mut cut = cut.min(t.len());
        while !t.is_char_boundary(cut) { cut -= 1; }
        let mutated = format!("{}{}{}", &t[..cut], junk, &t[cut..]);
        let _ = Cif::parse(&mutated).and_then(|c| c.structures());
        let truncated = &t[..cut];
        let _ = Cif::parse(truncated).and_then(|c| c.structures());
    }
}
