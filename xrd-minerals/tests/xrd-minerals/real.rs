//! Measured patterns of ../shared/data against the built-in library.

use xrd_minerals::PhaseParams;

use crate::common::{amcsd, amcsd_matcher};

/// (mineral, space group) of each phase found in a shared measured file.
fn phases(file: &str) -> Option<Vec<(String, u8)>> {
    let path = xrd_testdata::shared_data(&format!("real/{file}"))?;
    let pattern = xrd_io::read(path).unwrap().remove(0);
    let found = amcsd_matcher()
        .identify(&pattern, &PhaseParams::new())
        .unwrap();
    Some(
        found
            .phases
            .iter()
            .map(|p| {
                let e = &amcsd().entries()[p.candidate.entry];
                (e.name().to_string(), e.space_group)
            })
            .collect(),
    )
}

#[test]
fn single_phase_lab_patterns_are_named() {
    for (file, mineral, group) in [
        ("autoxrd_MnO.xy", "Manganosite", 225),
        ("autoxrd_Mn2O3.xy", "Bixbyite", 206),
        ("autoxrd_TiO2.xy", "Anatase", 141),
    ] {
        let Some(found) = phases(file) else { return };
        assert_eq!(found[0], (mineral.to_string(), group), "{file}: {found:?}");
    }
}

#[test]
fn the_three_phase_mixture_finds_its_phases() {
    let Some(found) = phases("autoxrd_Li2MnO3_MnO_TiO2.xy") else {
        return;
    };
    let groups: Vec<u8> = found.iter().map(|f| f.1).collect();
    assert_eq!(found[0].0, "Manganosite", "{found:?}");
    // Li2MnO3 (C2/m) is in the AMCSD as a synthetic compound; TiO2 as anatase.
    assert!(groups.contains(&12), "{found:?}");
    assert!(groups.contains(&141), "{found:?}");
}

#[test]
fn a_short_scan_of_noise_names_nothing() {
    // xylib's Empyrean file: 196 points over 30–41.75°, counts 2–22, no peak. Its noise once
    // matched thalcusite at 0.76 (after scores of 3.9 and 10.4, above any cosine).
    let Some(found) = phases("xylib_empyrean.xrdml") else {
        return;
    };
    assert!(found.is_empty(), "{found:?}");
}
