//! Phases named as a person names them, the refinement that chooses among a formula's
//! structures, and the rows an identification reports.

use xrd_io::Wavelength;
use xrd_minerals::{
    ConfirmParams, Library, Matcher, PhaseParams, PhaseSpec, RefineSetup, SearchParams,
    refine_specs,
};

use crate::common::{amcsd, amcsd_references};

#[test]
fn a_name_a_formula_and_an_id_resolve_to_library_entries() {
    let lib = amcsd();
    let anatase = PhaseSpec::resolve("anatase", Some(lib), 8).unwrap();
    assert!(anatase.candidates.iter().all(|c| c.name == "Anatase"));
    assert!(
        anatase
            .candidates
            .iter()
            .all(|c| c.phase.space_group() == 141)
    );
    // A formula names its polymorphs: anatase (141) and rutile (136) at least.
    let tio2 = PhaseSpec::resolve("TiO2", Some(lib), 20).unwrap();
    let groups: Vec<u8> = tio2
        .candidates
        .iter()
        .map(|c| c.phase.space_group())
        .collect();
    assert!(groups.contains(&141) && groups.contains(&136), "{groups:?}");
    // Distinct structures only, and no more than asked for.
    assert!(
        PhaseSpec::resolve("TiO2", Some(lib), 2)
            .unwrap()
            .candidates
            .len()
            <= 2
    );
    let id = &anatase.candidates[0].source;
    let by_id = PhaseSpec::resolve(id, Some(lib), 8).unwrap();
    assert_eq!(by_id.candidates.len(), 1);
    assert_eq!(&by_id.candidates[0].source, id);
}

#[test]
fn unknown_names_and_missing_libraries_are_errors_that_say_so() {
    let e = PhaseSpec::resolve("unobtainium", Some(amcsd()), 8).unwrap_err();
    assert!(matches!(e, xrd_minerals::Error::InvalidParameter(_)), "{e}");
    assert!(e.to_string().contains("no library entry"), "{e}");
    let e = PhaseSpec::resolve("anatase", None, 8).unwrap_err();
    assert!(e.to_string().contains("no library was given"), "{e}");
    let setup = RefineSetup::default();
    let pattern = xrd_io::Pattern::new(vec![10.0, 20.0, 30.0], vec![1.0, 2.0, 3.0]).unwrap();
    let e = refine_specs(&pattern, Wavelength::CU_KA, &[], &setup).unwrap_err();
    assert!(matches!(e, xrd_minerals::Error::InvalidParameter(_)), "{e}");
}

#[test]
fn assembling_without_any_library_is_an_error() {
    let e = Library::assemble(false, &[]).unwrap_err();
    assert!(matches!(e, xrd_minerals::Error::InvalidParameter(_)), "{e}");
}

/// The weighed NiO/Bi₂O₃ mixture refined from two formulas: Bi₂O₃'s preferred reference
/// (sphaerobismoite, the best-judged entry) gives way to bismite, which fits clearly better;
/// NiO's sound determinations share one cell, so nothing is compared. With Brindley's
/// correction at 3 µm the fractions come near the weighed 0.60/0.40.
#[test]
fn a_formula_is_refined_with_its_preferred_structure_unless_another_fits_clearly_better() {
    let Some(scan) =
        xrd_testdata::shared_data("measured/dara_dev/NiO_0p6007-Bi2O3_0p4008--2min.xrdml")
    else {
        return;
    };
    let pattern = xrd_io::read(&scan).unwrap().remove(0);
    let specs = [
        PhaseSpec::resolve("NiO", Some(amcsd()), 3).unwrap(),
        PhaseSpec::resolve("Bi2O3", Some(amcsd()), 3).unwrap(),
    ];
    assert_eq!(specs[1].candidates.len(), 3);
    assert_eq!(specs[1].candidates[0].name, "Sphaerobismoite");
    let setup = RefineSetup {
        particle_size: Some(3.0),
        ..RefineSetup::default()
    };
    let fit = refine_specs(&pattern, Wavelength::CU_KA, &specs, &setup).unwrap();
    let compared = &fit.compared[1];
    assert_eq!(compared.len(), specs[1].candidates.len());
    let rwps: Vec<f64> = compared.iter().map(|c| *c.rwp.as_ref().unwrap()).collect();
    assert!(rwps.windows(2).all(|w| w[0] <= w[1]), "{rwps:?}");
    // In preference order, the first kept unless another's Rwp is 3 % lower: bismite's 0.063
    // against sphaerobismoite's 0.145.
    let mut in_order: Vec<Result<f64, String>> = vec![Err(String::new()); compared.len()];
    for c in compared {
        in_order[c.candidate] = c.rwp.clone();
    }
    assert_eq!(Some(fit.choice[1]), xrd_minerals::choose(&in_order));
    assert_eq!(fit.chosen(&specs, 1).name, "Bismite");
    let choices = fit.choices(&specs);
    assert_eq!(choices[1].source, fit.sources(&specs)[1]);
    assert!(
        choices[1].reason.starts_with("fits clearly better"),
        "{:?}",
        choices[1]
    );
    assert_eq!(choices[1].compared.len(), 3);
    assert!(choices[0].judgement.is_some());
    let w: Vec<f64> = fit
        .refinement
        .phases
        .iter()
        .map(|p| p.weight_fraction)
        .collect();
    assert!(
        (w[0] - 0.6007).abs() < 0.04 && (w[1] - 0.4008).abs() < 0.04,
        "{w:?}"
    );
    let p = &fit.refinement.phases[1];
    assert!(
        p.weight_fraction_uncorrected
            .is_some_and(|u| u < p.weight_fraction)
    );
}

/// TiO₂ of the autoXRD set: search-match names anatase; the refinement looks at rutile, and the
/// report gives the refined phases with weight fractions that sum to one.
#[test]
fn the_report_gives_the_refined_phases_with_weight_fractions() {
    let Some(path) = xrd_testdata::shared_data("real/autoxrd_TiO2.xy") else {
        return;
    };
    let pattern = xrd_io::read(path).unwrap().remove(0);
    let matcher = Matcher::new(
        amcsd().clone(),
        amcsd_references(),
        Wavelength::CU_KA,
        SearchParams::new().elements(Some(vec!["Ti".into(), "O".into()])),
    )
    .unwrap();
    let found = matcher.identify(&pattern, &PhaseParams::new()).unwrap();
    let plain = found.report(None);
    assert_eq!(plain.len(), found.phases.len());
    assert!(
        plain
            .iter()
            .all(|r| r.refined.is_none() && r.share.is_some())
    );
    // A cancelled control stops the refinements: the confirmation is the cancel, not a result.
    let control = xrd_core::Control::new();
    control.cancel();
    assert!(matches!(
        matcher.confirm(&pattern, &found, &ConfirmParams::new(), &control),
        Err(xrd_minerals::Error::Refine(xrd_refine::Error::Cancelled(_)))
    ));
    let confirmed = matcher
        .confirm(&pattern, &found, &ConfirmParams::new(), &Default::default())
        .unwrap()
        .unwrap();
    let rows = found.report(Some(&confirmed));
    let names: Vec<&str> = rows
        .iter()
        .map(|r| amcsd().entries()[r.entry].name())
        .collect();
    // Rutile is not kept: its strongest line (27.4°) is not among the unexplained peaks, so it
    // is not even tried (before that test, a fit with it gained 2.9 % of Rwp, under the 3 %
    // asked).
    assert_eq!(names, ["Anatase"]);
    let total: f64 = rows
        .iter()
        .map(|r| r.refined.unwrap().weight_fraction)
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert!(
        confirmed.notes.iter().any(|n| n.starts_with("Rutile")),
        "{:?}",
        confirmed.notes
    );
}

#[test]
fn relatives_are_the_entries_of_one_material() {
    let lib = amcsd();
    let rutile = lib.lookup("rutile");
    let first = rutile[0];
    let family = lib.relatives(first);
    // Every rutile entry by name, nothing of another space group but by name, itself included.
    assert!(rutile.iter().all(|i| family.contains(i)), "{family:?}");
    assert!(family.contains(&first));
    assert!(family.windows(2).all(|w| w[0] < w[1]));
    assert!(!family.iter().any(|&i| lib.entries()[i].name() == "Anatase"));
    assert!(lib.relatives(usize::MAX).is_empty());
}

/// A name resolves to structures measured at room conditions: calcite's 458 °C entry
/// (amcsd:17857, c = 17.28 Å against 17.06) and dolomite's 3 GPa one (amcsd:3598) are not
/// among the candidates; pinned by id, they are used.
#[test]
fn names_resolve_to_entries_measured_at_room_conditions() {
    let lib = amcsd();
    for (name, other) in [("calcite", "amcsd:17857"), ("dolomite", "amcsd:3598")] {
        let spec = PhaseSpec::resolve(name, Some(lib), 50).unwrap();
        assert!(
            spec.candidates.iter().all(|c| c.entry.is_ambient()),
            "{name}"
        );
        assert!(spec.candidates.iter().all(|c| c.source != other), "{name}");
        let pinned = PhaseSpec::resolve(other, Some(lib), 1).unwrap();
        assert_eq!(pinned.candidates[0].source, other);
        assert!(!pinned.candidates[0].entry.is_ambient());
    }
}

/// How much V₂O₅'s weight fraction in the weighed V₂O₅/MnCO₃ mixture (2-minute scan, 0.7006 /
/// 0.3001) depends on which shcherbinaite entry is refined, and the error of the one chosen for
/// `V2O5` (docs/experiments/dara_spread.py does this for every weighed component). Measured:
/// seven entries spread over 9.1 wt% points (the 1936 determinations read up to 7 points low);
/// the chosen 1996 entry is 1.1 points off.
#[test]
fn the_chosen_reference_holds_where_the_entries_of_a_mineral_spread() {
    let Some(scan) =
        xrd_testdata::shared_data("measured/dara_dev/V2O5_0p7006-MnCO3_0p3001--2min.xrdml")
    else {
        return;
    };
    let pattern = xrd_io::read(&scan).unwrap().remove(0);
    let w = pattern.wavelength().unwrap();
    let lib = amcsd();
    let fraction = |spec: &str| -> f64 {
        let specs = [
            PhaseSpec::resolve(spec, Some(lib), 3).unwrap(),
            PhaseSpec::resolve("amcsd:9892", Some(lib), 1).unwrap(),
        ];
        let fit = refine_specs(&pattern, w, &specs, &RefineSetup::default()).unwrap();
        fit.refinement.phases[0].weight_fraction
    };
    let chosen = fraction("V2O5");
    let each: Vec<f64> = xrd_minerals::ranked(lib, &lib.lookup("Shcherbinaite"))
        .iter()
        .map(|(i, _)| fraction(&lib.entries()[*i].id))
        .collect();
    let spread = each.iter().copied().fold(f64::MIN, f64::max)
        - each.iter().copied().fold(f64::MAX, f64::min);
    assert_eq!(each.len(), 7);
    assert!((0.07..0.105).contains(&spread), "{each:?}");
    assert!((chosen - 0.7006).abs() < 0.02, "{chosen} {each:?}");
}

/// dara_dev's NiO (10 wt%) – La(OH)₃ (20 %) – TiO₂ scans, La(OH)₃ outside the library: the
/// residual search ranks La₂TiO₅ (many lines over La(OH)₃'s) above NiO (three lines, all on
/// unexplained peaks). The unexplained peaks name NiO; La₂TiO₅, whose visible lines mostly miss
/// them, is not tried, nor LaH₂ (its cubic lines on La(OH)₃'s peaks in the 8-minute scan), a
/// hydride beside oxides.
#[test]
fn the_unexplained_peaks_name_a_phase_the_residual_cosine_ranks_low() {
    for (scan, struck, why) in [
        (
            "2min",
            "La2 Ti O5",
            "too few of their lines are among the unexplained peaks",
        ),
        ("8min", "La H2", "a hydride beside an oxide"),
    ] {
        let Some(path) = xrd_testdata::shared_data(&format!(
            "measured/dara_dev/NiO_0p1031-La(OH)3_0p2025-TiO2_0p7014--{scan}.xrdml"
        )) else {
            return;
        };
        let pattern = xrd_io::read(path).unwrap().remove(0);
        let (_, confirmed) = identify_under(&pattern, &["Ni", "La", "O", "H", "Ti"]);
        let names: Vec<&str> = confirmed
            .entries
            .iter()
            .map(|&e| amcsd().entries()[e].name())
            .collect();
        assert_eq!(
            names,
            ["Anatase", "Bunsenite"],
            "{scan}: {:?}",
            confirmed.notes
        );
        // 10.3 wt% weighed.
        let nio = confirmed.refinement.phases[1].weight_fraction;
        assert!((nio - 0.11).abs() < 0.01, "{scan}: {nio}");
        assert!(
            confirmed
                .notes
                .iter()
                .any(|n| n.starts_with(struck) && n.contains(why)),
            "{scan}: {:?}",
            confirmed.notes
        );
    }
}

/// What an identification under an element filter says: the confirmation's entries (ids), its
/// notes, and the 2θ of the unexplained peaks before and after it.
struct Confirmed {
    ids: Vec<String>,
    notes: Vec<String>,
    before: Vec<f64>,
    after: Vec<f64>,
}

/// Search-match of `pattern` under `elements` (none: no filter) and its confirmation by
/// refinement (defaults).
fn identify_under(
    pattern: &xrd_io::Pattern,
    elements: &[&str],
) -> (xrd_minerals::Identification, xrd_minerals::Confirmation) {
    let elements = (!elements.is_empty()).then(|| elements.iter().map(|e| e.to_string()).collect());
    let matcher = Matcher::new(
        amcsd().clone(),
        amcsd_references(),
        Wavelength::CU_KA,
        SearchParams::new().elements(elements),
    )
    .unwrap();
    let found = matcher.identify(pattern, &PhaseParams::new()).unwrap();
    let confirmed = matcher
        .confirm(pattern, &found, &ConfirmParams::new(), &Default::default())
        .unwrap()
        .unwrap();
    (found, confirmed)
}

/// The identification of a shared measured file under `elements`.
fn confirmed_with(file: &str, elements: &[&str]) -> Option<Confirmed> {
    let path = xrd_testdata::shared_data(file)?;
    let pattern = xrd_io::read(path).unwrap().remove(0);
    let (found, confirmed) = identify_under(&pattern, elements);
    let ids = (confirmed.entries.iter())
        .map(|&e| amcsd().entries()[e].id.clone())
        .collect();
    let before = found.unexplained.iter().map(|p| p.0).collect();
    let after = confirmed.unexplained(&found).iter().map(|p| p.0).collect();
    Some(Confirmed {
        ids,
        notes: confirmed.notes,
        before,
        after,
    })
}

/// Under an element filter, the entry of a found phase's formula refined with a trace of
/// another element is compared with the trace-free ones and taken only for a significantly
/// better fit. On XRD-AutoAnalyzer's Mn₂O₃ scan with Mn and O, α-Mn₂O₃
/// (`(Fe.034 Mn1.966) O3`, Ia3̄) fits at Rwp 5.2 % against 9.8 % of the 1928 I2₁3 structure
/// search-match found, and its lines explain the peaks at 23.15° and 45.18° search-match left
/// (pyrolusite, added, the one at 28.71°). On dara_dev's V₂O₅–MnCO₃
/// scan the Mg-traced V₂O₅ fits no better than the pure one (0.1159 against 0.1160) and the
/// pure one is reported; rhodochrosite is named and its 104 line at 31.49° is not left.
#[test]
fn the_element_filter_takes_a_traced_entry_only_for_a_better_fit() {
    let Some(Confirmed {
        ids,
        notes,
        before,
        after,
    }) = confirmed_with("real/autoxrd_Mn2O3.xy", &["Mn", "O"])
    else {
        return;
    };
    // Pyrolusite (MnO₂, 110 at 28.68°) is added for the one peak α-Mn₂O₃ leaves, 28.71° (Rwp
    // 0.0516 → 0.0498, 2 wt%): a second oxidation state of Mn, tried like any other phase.
    assert_eq!(ids, ["amcsd:9391", "amcsd:11760"], "{notes:?}");
    assert!(
        notes.iter().any(|n| n.starts_with(
            "Bixbyite (amcsd:9391), with a trace of Fe (0.7 at.%) outside the elements given, \
             taken: Rwp 0.05"
        ) && n.ends_with("of Bixbyite (amcsd:17467)")),
        "{notes:?}"
    );
    let near = |list: &[f64], t: f64| list.iter().any(|x| (x - t).abs() < 0.05);
    assert!(near(&before, 23.15) && near(&before, 45.18), "{before:?}");
    assert!(!near(&after, 23.15) && !near(&after, 45.18), "{after:?}");
    assert!(near(&before, 28.71) && !near(&after, 28.71), "{after:?}");

    let Some(Confirmed {
        ids,
        notes,
        before,
        after,
    }) = confirmed_with(
        "measured/dara_dev/V2O5_0p7006-MnCO3_0p3001--2min.xrdml",
        &["V", "Mn", "C", "O"],
    )
    else {
        return;
    };
    assert!(ids.iter().any(|i| i == "amcsd:13890"), "{ids:?} {notes:?}");
    assert!(!ids.iter().any(|i| i == "amcsd:13889"), "{ids:?}");
    assert!(
        notes.iter().any(|n| n.starts_with(
            "Shcherbinaite (amcsd:13889), with a trace of Mg (0.1 at.%) outside the elements \
             given, not taken"
        ) && n.ends_with("is no significant gain")),
        "{notes:?}"
    );
    // Rhodochrosite: search-match finds it since its residual search stopped judging lines
    // under V₂O₅'s (before, the refinement added it and its 104 at 31.49° had been listed).
    assert!(
        ids.iter().any(|i| amcsd()
            .entries()
            .iter()
            .any(|e| &e.id == i && e.mineral == "Rhodochrosite")),
        "{ids:?} {notes:?}"
    );
    assert!(
        !near(&before, 31.49) && !near(&after, 31.49),
        "{before:?} {after:?}"
    );
    assert!(after.len() < before.len(), "{before:?} {after:?}");
}

/// The confirmed phases' names for `pattern` under `elements`, and the notes.
fn confirmed_names(pattern: &xrd_io::Pattern, elements: &[&str]) -> (Vec<String>, Vec<String>) {
    let (_, confirmed) = identify_under(pattern, elements);
    let mut names: Vec<String> = (confirmed.entries.iter())
        .map(|&e| amcsd().entries()[e].name().to_string())
        .collect();
    names.sort();
    (names, confirmed.notes)
}

/// An element in a second oxidation state is no bar to a phase: partly oxidised copper and
/// iron oxides (cuprite at 30 % of tenorite's peak height, hematite beside magnetite) are named
/// as both phases, with a note. Such a phase only loses ties: in dara_dev's NiO–Li₂CO₃–TiO₂
/// 8-minute scan TiO (Ti²⁺ beside anatase's Ti⁴⁺, the rock-salt cell of NiO within 0.1 %)
/// fits as NiO does (Rwp 0.0817 against 0.0818) and NiO is named. Before, the second state was
/// struck out: `--elements Cu,O` on a tenorite–cuprite powder named tenorite alone and said
/// cuprite "could not be refined".
#[test]
fn a_second_oxidation_state_is_named_where_it_fits_and_loses_ties() {
    let structure = structure_named;
    for (major, minor, elements, taken) in [
        (
            "tenorite",
            "cuprite",
            ["Cu", "O"],
            "with Cu +1.0 beside Cu +2.0 in Tenorite, taken",
        ),
        (
            "magnetite",
            "hematite",
            ["Fe", "O"],
            "with Fe +3.0 beside Fe +2.7 in Magnetite, taken",
        ),
    ] {
        let (a, b) = (structure(major), structure(minor));
        let pattern = crate::common::measured_like(&[(&a, 1.0), (&b, 0.3)], 0.02, 11);
        let (names, notes) = confirmed_names(&pattern, &elements);
        let mut want = [major, minor].map(|n| {
            let mut c = n.chars();
            c.next()
                .unwrap()
                .to_uppercase()
                .chain(c)
                .collect::<String>()
        });
        want.sort();
        assert_eq!(names, want, "{notes:?}");
        assert!(notes.iter().any(|n| n.contains(taken)), "{notes:?}");
    }
    let Some(path) = xrd_testdata::shared_data(
        "measured/dara_dev/NiO_0p2030-Li2CO3_0p2999-TiO2_0p5025--8min.xrdml",
    ) else {
        return;
    };
    let pattern = xrd_io::read(path).unwrap().remove(0);
    let (names, notes) = confirmed_names(&pattern, &["Ni", "Li", "C", "O", "Ti"]);
    assert_eq!(names, ["Anatase", "Bunsenite", "Zabuyelite"], "{notes:?}");
    assert!(
        notes.iter().any(|n| n
            .starts_with("Ti O (amcsd:11427), with Ti +2.0 beside Ti +4.0 in Anatase, not taken")),
        "{notes:?}"
    );
}

/// The best-judged structure a name resolves to.
fn structure_named(name: &str) -> xrd_sim::Structure {
    let lib = amcsd();
    let (best, _) = xrd_minerals::ranked(lib, &lib.lookup(name))[0].clone();
    lib.entries()[best].structure().unwrap()
}

/// Without an element filter, the phases found stand for what the powder is made of: an
/// isotype of other elements that fits no better than one of those elements is not named
/// (TiN, rock salt of 4.24 Å, for CoO of 4.26 Å beside Co₃O₄), and one of those elements whose
/// lines name it among a found phase's is compared with it (an iron-oxide spinel for Ba₂MgUO₆
/// of its cell, or diopside, beside hematite). Before, these powders came out as Co₃O₄ + TiN
/// and hematite + Ba₂MgUO₆ or hematite alone. At 15 % magnetite and maghemite (its lines, but
/// for weak superstructure ones) fit alike, and maghemite, Fe³⁺ as hematite's, wins the tie.
#[test]
fn without_elements_the_phases_found_stand_for_them() {
    for (major, minor, share) in [
        ("Co3O4", &["CoO"][..], 0.3),
        ("hematite", &["magnetite"][..], 0.4),
        ("hematite", &["magnetite", "maghemite"][..], 0.15),
    ] {
        let (a, b) = (structure_named(major), structure_named(minor[0]));
        let pattern = crate::common::measured_like(&[(&a, 1.0), (&b, share)], 0.02, 11);
        let (_, confirmed) = identify_under(&pattern, &[]);
        let lib = amcsd();
        let composition = |i: usize| {
            xrd_minerals::Composition::parse(&lib.entries()[i].formula)
                .unwrap()
                .without_traces()
        };
        let is =
            |e: usize, name: &str| composition(e).same_formula(&composition(lib.lookup(name)[0]));
        let named: Vec<&str> = (confirmed.entries.iter())
            .map(|&e| lib.entries()[e].formula.as_str())
            .collect();
        let what = format!(
            "{major} + {share} {minor:?}: {named:?} {:?}",
            confirmed.notes
        );
        assert_eq!(named.len(), 2, "{what}");
        assert!(confirmed.entries.iter().any(|&e| is(e, major)), "{what}");
        assert!(
            (confirmed.entries.iter()).any(|&e| minor.iter().any(|m| is(e, m))),
            "{what}"
        );
    }
}

/// A fit too poor to decide among the library (xylib's Cu₃Au scan, an alloy the library
/// lacks: Rwp above 0.2) keeps the phases found as they are, but not those it gives no weight:
/// the residual searches of such a pattern find phases on its misfit, which were listed at
/// 0.0000 of the weight.
#[test]
fn a_poor_fit_keeps_the_phases_found_that_have_weight() {
    let Some(path) = xrd_testdata::shared_data("real/xylib_Cu3Au-1.raw") else {
        return;
    };
    let pattern = xrd_io::read(path).unwrap().remove(0);
    let (found, confirmed) = identify_under(&pattern, &[]);
    assert!(
        found.phases.len() > confirmed.entries.len(),
        "{:?}",
        confirmed.notes
    );
    assert!(
        confirmed.notes[0].contains("too poor to confirm or change them"),
        "{:?}",
        confirmed.notes
    );
    assert!(
        (confirmed.notes.iter()).any(|n| n.contains("dropped: 0.0000 of the weight")),
        "{:?}",
        confirmed.notes
    );
    assert_eq!(confirmed.entries.len(), confirmed.refinement.phases.len());
    for p in &confirmed.refinement.phases {
        assert!(
            p.weight_fraction >= 0.005,
            "{} {}",
            p.name,
            p.weight_fraction
        );
    }
}

/// A formula names the entries refined with a trace of another element too, and a trace costs
/// less than an old, B-less structure: `Mn2O3` resolves first to α-Mn₂O₃ of 1971 refined as
/// `(Fe.034 Mn1.966) O3` (Fe 0.7 at.%; on XRD-AutoAnalyzer's Mn₂O₃ scan Rwp 5.14 %), not to the
/// I2₁3 structure of 1928 (9.79 %); Fe-rich bixbyite (Fe 25 at.%) is another material.
#[test]
fn a_formula_takes_entries_with_a_trace_of_another_element() {
    let lib = amcsd();
    let found = lib.lookup("Mn2O3");
    let ids: Vec<&str> = found
        .iter()
        .map(|&i| lib.entries()[i].id.as_str())
        .collect();
    assert!(
        ids.contains(&"amcsd:9391") && ids.contains(&"amcsd:17467"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"amcsd:9392"), "{ids:?}");
    let ranked = xrd_minerals::ranked(lib, &found);
    let (best, why) = &ranked[0];
    assert_eq!(lib.entries()[*best].id, "amcsd:9391");
    assert!(!why.substituted, "{why:?}");
    assert!(
        why.remarks.iter().any(|r| r == "traces of Fe 0.7 at.%"),
        "{:?}",
        why.remarks
    );
    // Entries with traces neither make their polymorph the more studied one nor change what a
    // mineral's usual elements are: CaCO3 is calcite first (aragonite has a Sr-bearing
    // temperature series), MnS alabandite, sphalerite its pure ZnS.
    for (spec, first) in [
        ("CaCO3", "Calcite"),
        ("MnS", "Alabandite"),
        ("TiO2", "Rutile"),
        ("SiO2", "Quartz"),
    ] {
        let r = xrd_minerals::ranked(lib, &lib.lookup(spec));
        assert_eq!(lib.entries()[r[0].0].mineral, first, "{spec}");
    }
    let zns = xrd_minerals::ranked(lib, &lib.lookup("sphalerite"));
    assert_eq!(lib.entries()[zns[0].0].id, "amcsd:110");
    assert!(!zns[0].1.substituted);
    // Traces aside, every element of a formula's entries is the formula's.
    for &i in &lib.lookup("TiO2") {
        let e = &lib.entries()[i];
        let c = xrd_minerals::Composition::parse(&e.formula).unwrap();
        assert!(
            c.without_traces()
                .same_formula(&xrd_minerals::Composition::parse("TiO2").unwrap()),
            "{}",
            e.formula
        );
    }
}
