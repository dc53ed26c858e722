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
    // Bixbyite, Ia-3, Z = 16.
    ("In2O3_Marezio1966.cif", 80),
    ("KCl.cif", 8),
    // La(OH)3, P6_3/m, Z = 2, hydrogen included.
    ("LaOH3_Beall1977.cif", 14),
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

/// A structure that reads is one the simulator can use: a real cell, finite positions,
/// occupancies and displacements.
fn usable(s: &Structure) -> Result<(), String> {
    let v = s.lattice().volume();
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("cell volume {v}"));
    }
    for site in s.sites() {
        if site.frac.iter().any(|x| !x.is_finite())
            || !site.occupancy.is_finite()
            || !site.b_iso.is_finite()
        {
            return Err(format!("site {site:?}"));
        }
    }
    Ok(())
}

/// Sets of symmetry operators as a CIF lists them (each closed under composition).
const OPERATORS: [&[&str]; 4] = [
    &["x,y,z"],
    &["x,y,z", "-x,-y,-z"],
    &["x,y,z", "-x,-y,z", "-x,y,-z", "x,-y,-z"],
    &[
        "x,y,z",
        "-y,x-y,z",
        "-x+y,-x,z",
        "x+1/2,y+1/2,z",
        "-y+1/2,x-y+1/2,z",
        "-x+y+1/2,-x+1/2,z",
    ],
];

/// Ways of naming the symmetry instead of listing operators.
const NAMED_SYMMETRY: [&str; 5] = [
    "_symmetry_space_group_name_H-M 'F m -3 m'",
    "_space_group_name_H-M_alt 'P 42/m n m'",
    "_space_group_IT_number 194",
    "_symmetry_Int_Tables_number 2",
    "_symmetry_space_group_name_Hall '-P 2ac 2n'",
];

const ELEMENTS: [&str; 6] = ["Si", "O", "Ti", "Fe", "Na", "Cl"];

/// One atom site of a generated file: element, position, occupancy, U.
type GenSite = (usize, [f64; 3], f64, f64);

/// A valid CIF from generated fields: cell, symmetry (a list of operators or a name), atom sites
/// with uncertainties on some numbers, optionally displacements of the aniso loop.
fn cif_text(
    cell: [f64; 6],
    symmetry: usize,
    sites: &[GenSite],
    uncertain: bool,
    aniso: bool,
) -> String {
    let num = |v: f64| {
        if uncertain {
            format!("{v:.5}(3)")
        } else {
            format!("{v:.6}")
        }
    };
    let mut t = String::from("data_generated\n_chemical_name_common 'generated crystal'\n");
    for (tag, v) in [
        "_cell_length_a",
        "_cell_length_b",
        "_cell_length_c",
        "_cell_angle_alpha",
        "_cell_angle_beta",
        "_cell_angle_gamma",
    ]
    .iter()
    .zip(cell)
    {
        t += &format!("{tag} {}\n", num(v));
    }
    if symmetry < OPERATORS.len() {
        t += "loop_\n_symmetry_equiv_pos_as_xyz\n";
        for op in OPERATORS[symmetry] {
            t += &format!("'{op}'\n");
        }
    } else {
        t += NAMED_SYMMETRY[(symmetry - OPERATORS.len()) % NAMED_SYMMETRY.len()];
        t += "\n";
    }
    t += "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
          _atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n_atom_site_U_iso_or_equiv\n";
    for (i, (e, x, occ, u)) in sites.iter().enumerate() {
        let e = ELEMENTS[e % ELEMENTS.len()];
        t += &format!(
            "{e}{i} {e} {} {} {} {} {}\n",
            num(x[0]),
            num(x[1]),
            num(x[2]),
            num(*occ),
            num(*u)
        );
    }
    if aniso {
        t += "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n\
              _atom_site_aniso_U_33\n";
        for (i, (e, ..)) in sites.iter().enumerate() {
            t += &format!("{}{i} 0.01 0.02 0.015\n", ELEMENTS[e % ELEMENTS.len()]);
        }
    }
    t
}

/// Values a mutation puts in place of a field: missing and unknown markers, numbers CIF readers
/// mishandle (non-finite, huge, tiny, negative, bad uncertainties), symmetry and element strings
/// that almost parse. The file stays valid CIF syntax, so the cell, symmetry and site checks
/// decide.
const EDGE_VALUES: [&str; 28] = [
    "?",
    ".",
    "''",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0",
    "-0",
    "-1",
    "1e308",
    "-1e308",
    "1e-320",
    "1e400",
    "18446744073709551616",
    "1(",
    "(2)",
    "1.2(3",
    "1.2(99999999999999999999)",
    "x,y",
    "x+y+z,,",
    "x/0,y,z",
    "2x,3y,-4z",
    "'P 9'",
    "231",
    "Xx",
    "Si9+",
    "O2-",
];

/// Tokens that break the syntax where they land: quotes, text fields, tags and reserved words.
const SYNTAX_VALUES: [&str; 8] = ["'", "\"", ";", "_x", "loop_", "data_", "save_", "global_"];

#[derive(Debug, Clone)]
enum CifMutation {
    /// Replace the `k`-th value of the file (a whitespace-separated token that is not a tag,
    /// `loop_` or the block header) by an edge value (or a syntax token).
    Value { k: usize, edge: usize, syntax: bool },
    /// Delete line `k`.
    DeleteLine { k: usize },
    /// Repeat line `k`.
    RepeatLine { k: usize },
    /// Drop the last token of line `k` (a loop row one value short).
    ShortRow { k: usize },
    /// End the file after line `k`.
    Truncate { k: usize },
}

fn cif_mutation() -> impl Strategy<Value = CifMutation> {
    prop_oneof![
        8 => (any::<usize>(), 0..EDGE_VALUES.len()).prop_map(|(k, edge)| CifMutation::Value { k, edge, syntax: false }),
        1 => (any::<usize>(), 0..SYNTAX_VALUES.len()).prop_map(|(k, edge)| CifMutation::Value { k, edge, syntax: true }),
        1 => any::<usize>().prop_map(|k| CifMutation::DeleteLine { k }),
        1 => any::<usize>().prop_map(|k| CifMutation::RepeatLine { k }),
        1 => any::<usize>().prop_map(|k| CifMutation::ShortRow { k }),
        1 => any::<usize>().prop_map(|k| CifMutation::Truncate { k }),
    ]
}

/// Applies `m` to the lines of `text` (indices taken modulo the number of lines or tokens).
fn mutate_lines(text: &str, mutations: &[CifMutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *m {
            CifMutation::Value { k, edge, syntax } => {
                // Values only: tags, `loop_` and the block header stay.
                let tokens: Vec<(usize, usize)> = lines
                    .iter()
                    .enumerate()
                    .flat_map(|(i, l)| {
                        l.split_whitespace()
                            .enumerate()
                            .filter(|(_, w)| {
                                !w.starts_with('_') && *w != "loop_" && !w.starts_with("data_")
                            })
                            .map(move |(j, _)| (i, j))
                    })
                    .collect();
                if tokens.is_empty() {
                    continue;
                }
                let (i, j) = tokens[k % tokens.len()];
                let mut words: Vec<&str> = lines[i].split_whitespace().collect();
                words[j] = if syntax {
                    SYNTAX_VALUES[edge]
                } else {
                    EDGE_VALUES[edge]
                };
                lines[i] = words.join(" ");
            }
            CifMutation::DeleteLine { k } => {
                lines.remove(k % n);
            }
            CifMutation::RepeatLine { k } => {
                let l = lines[k % n].clone();
                lines.insert(k % n, l);
            }
            CifMutation::ShortRow { k } => {
                let mut words: Vec<&str> = lines[k % n].split_whitespace().collect();
                words.pop();
                lines[k % n] = words.join(" ");
            }
            CifMutation::Truncate { k } => lines.truncate(k % n),
        }
    }
    lines.join("\n") + "\n"
}

fn gen_site() -> impl Strategy<Value = GenSite> {
    (
        0..ELEMENTS.len(),
        [0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0],
        0.05f64..1.0,
        0.0f64..0.05,
    )
}

fn gen_cell() -> impl Strategy<Value = [f64; 6]> {
    [
        2.0f64..15.0,
        2.0f64..15.0,
        2.0f64..15.0,
        75.0f64..105.0,
        75.0f64..105.0,
        75.0f64..105.0,
    ]
}

#[test]
fn a_cell_whose_volume_overflows_is_refused() {
    // Found by the fuzzer below: `_cell_length_a 1e308` read into a structure of infinite
    // volume (every matrix entry finite, their product not).
    let text = cif_text(
        [1e308, 2.0, 2.0, 75.0, 75.0, 75.0],
        0,
        &[(0, [0.0; 3], 1.0, 0.0)],
        false,
        false,
    );
    match Cif::parse(&text).and_then(|c| c.first_structure()) {
        Err(xrd_sim::Error::InvalidLattice(reason)) => assert!(reason.contains("not finite")),
        other => panic!("expected an invalid lattice, got {other:?}"),
    }
}

#[test]
fn generated_cifs_read_before_they_are_mutated() {
    // The fuzzer below is only as good as its files: unmutated, every kind it writes reads.
    let sites = [
        (0, [0.1, 0.2, 0.3], 1.0, 0.01),
        (1, [0.5, 0.5, 0.5], 0.5, 0.02),
    ];
    for symmetry in 0..OPERATORS.len() + NAMED_SYMMETRY.len() {
        for (uncertain, aniso) in [(false, false), (true, true)] {
            let text = cif_text(
                [5.0, 5.0, 5.0, 90.0, 90.0, 90.0],
                symmetry,
                &sites,
                uncertain,
                aniso,
            );
            let s = Cif::parse(&text)
                .and_then(|c| c.first_structure())
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert!(s.len() >= sites.len(), "{text}");
            usable(&s).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = Cif::parse(&text).and_then(|c| c.structures());
        // Behind a block header the text reaches the tag and loop parser.
        let _ = Cif::parse(&format!("data_x\n{text}")).and_then(|c| c.structures());
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

    /// Valid generated files with mutated fields: the parser gets past the block, tag and
    /// loop syntax to the cell, symmetry and site checks. Errors are fine; a panic is not, and
    /// a structure that reads is usable.
    #[test]
    fn generated_files_with_mutated_fields_are_read_or_refused(
        cell in gen_cell(),
        symmetry in 0..OPERATORS.len() + NAMED_SYMMETRY.len(),
        sites in proptest::collection::vec(gen_site(), 1..4),
        uncertain in any::<bool>(),
        aniso in any::<bool>(),
        mutations in proptest::collection::vec(cif_mutation(), 1..4),
    ) {
        let text = mutate_lines(&cif_text(cell, symmetry, &sites, uncertain, aniso), &mutations);
        if let Ok(structures) = Cif::parse(&text).and_then(|c| c.structures()) {
            for s in &structures {
                prop_assert!(usable(s).is_ok(), "{:?}\n{text}", usable(s));
            }
        }
    }
}
