//! The built-in library, library files and folders of CIFs.

use proptest::prelude::*;
use xrd_minerals::{Error, Library};

use crate::common::{amcsd, shared_cifs};

#[test]
fn the_builtin_library_holds_the_amcsd_with_sources() {
    let lib = amcsd();
    // 9,275 rows in the database: every one is an entry or a rejection with its reason.
    assert_eq!(lib.len() + lib.rejected().len(), 9275);
    assert!(lib.len() >= 9270, "{} entries", lib.len());
    for r in lib.rejected() {
        assert!(r.id.starts_with("amcsd:") && !r.reason.is_empty());
    }
    let galena = lib
        .entries()
        .iter()
        .find(|e| e.mineral == "Galena")
        .unwrap();
    assert_eq!(galena.space_group, 225);
    assert_eq!(galena.elements, ["Pb", "S"]);
    assert!(galena.publication.year > 1900 && !galena.publication.journal.is_empty());
    // Space groups come from the operators; polar groups are not taken for their
    // centrosymmetric supergroups (one orbit of P6_3mc looks like P6_3/mmc).
    let wurtzite = lib
        .entries()
        .iter()
        .find(|e| e.mineral == "Wurtzite")
        .unwrap();
    assert_eq!(wurtzite.space_group, 186);
    let groups: std::collections::BTreeSet<u8> =
        lib.entries().iter().map(|e| e.space_group).collect();
    assert!(groups.len() >= 190, "{} space groups", groups.len());
    assert!(lib.info().citation.contains("Downs"));
    // The built-in file loads without checking its entries: every one must pass.
    for e in lib.entries() {
        e.check().unwrap();
    }
}

#[test]
fn every_entry_expands_to_a_structure() {
    let lib = amcsd();
    for e in lib.entries().iter().step_by(97) {
        let s = e.structure().unwrap();
        assert!(s.len() >= e.sites.len(), "{}", e.id);
    }
}

#[test]
fn a_library_file_reads_back_equal() {
    let lib = shared_cifs().unwrap_or_else(amcsd);
    let bytes = lib.to_bytes().unwrap();
    let back = Library::from_bytes(&bytes, "test").unwrap();
    assert_eq!(&back, &**lib);
    assert_eq!(back.fingerprint(), lib.fingerprint());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.json.gz");
    lib.write(&path).unwrap();
    assert_eq!(&Library::read(&path).unwrap(), &**lib);
}

#[test]
fn files_of_another_format_or_version_are_refused() {
    let gz = |text: &str| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let other = gz(r#"{"format":"something","format_version":1,"info":{},"entries":[]}"#);
    let newer =
        gz(r#"{"format":"xrd-minerals-library","format_version":99,"info":{},"entries":[]}"#);
    let bad_group = gz(
        r#"{"format":"xrd-minerals-library","format_version":1,"info":{},"entries":[{"id":"x","mineral":"","formula":"Si","elements":["Si"],"cell":[5,5,5,90,90,90],"space_group":231,"hm_symbol":"","operators":["x,y,z"],"sites":[{"label":"Si","element":"Si","frac":[0,0,0],"occupancy":1,"b_iso":0}],"publication":{},"notes":[]}]}"#,
    );
    for (bytes, needle) in [
        (other, "format `something`"),
        (newer, "format version 99"),
        (bad_group, "space group 231"),
        (b"not gzip".to_vec(), "gzip"),
    ] {
        match Library::from_bytes(&bytes, "test") {
            Err(Error::Format { reason, .. }) => assert!(reason.contains(needle), "{reason}"),
            other => panic!("expected a format error, got {other:?}"),
        }
    }
}

#[test]
fn a_folder_of_cifs_is_a_library_with_moyo_space_groups() {
    let Some(lib) = shared_cifs() else { return };
    let sg = |name: &str| {
        lib.entries()
            .iter()
            .find(|e| e.id.ends_with(name))
            .unwrap_or_else(|| panic!("{name} missing"))
            .space_group
    };
    assert_eq!(sg("Rutile.cif"), 136);
    assert_eq!(sg("Silicon.cif"), 227);
    assert_eq!(sg("autoxrd_TiO2_141.cif"), 141);
    assert_eq!(sg("autoxrd_Mn2O3_206.cif"), 206);
}

#[test]
fn unreadable_files_of_a_folder_are_listed_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.cif"), b"data_x\n_cell_length_a abc\n").unwrap();
    std::fs::write(
        dir.path().join("nacl.cif"),
        "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
         _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
         _symmetry_space_group_name_H-M 'F m -3 m'\n\
         loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
         Na 0 0 0\nCl 0.5 0.5 0.5\n",
    )
    .unwrap();
    let lib = Library::from_folder(dir.path()).unwrap();
    assert_eq!(lib.len(), 1);
    assert_eq!(lib.entries()[0].space_group, 225);
    assert_eq!(lib.rejected().len(), 1);
    assert!(lib.rejected()[0].id.ends_with("junk.cif"));
    assert!(matches!(
        Library::from_folder(dir.path().join("none")),
        Err(Error::File { .. })
    ));
}

/// Real entries of the built-in library, spread over it, as the JSON a library file holds.
fn sample_entries() -> &'static [serde_json::Value] {
    static ENTRIES: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        amcsd()
            .entries()
            .iter()
            .step_by(397)
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    })
}

/// A gzipped library file holding `entries`.
fn library_file(entries: &[serde_json::Value]) -> Vec<u8> {
    use std::io::Write;
    let json = serde_json::json!({
        "format": "xrd-minerals-library",
        "format_version": 1,
        "info": {},
        "entries": entries,
    });
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(json.to_string().as_bytes()).unwrap();
    e.finish().unwrap()
}

/// Numbers an entry mutation writes: zero, negative, past `u8` and `u64`, huge, subnormal,
/// and no number at all.
const EDGE_NUMBERS: [&str; 12] = [
    "-1",
    "0",
    "-0",
    "1",
    "255",
    "256",
    "18446744073709551616",
    "1e308",
    "-1e308",
    "1e-320",
    "0.5",
    "null",
];

/// Strings an entry mutation writes: symmetry operators that almost parse (too few or many
/// parts, division by zero, a singular or non-integer matrix, odd translations), element
/// symbols that are not elements, and other types.
const EDGE_STRINGS: [&str; 13] = [
    "\"\"",
    "\"x,y\"",
    "\"x,y,z,x\"",
    "\"x/0,y,z\"",
    "\"x,x,x\"",
    "\"x+y,y,z\"",
    "\"0.5x,y,z\"",
    "\"-x+1/2,-y,z+1/3\"",
    "\"Xx\"",
    "\"D\"",
    "\"si\"",
    "null",
    "1",
];

/// Whole fields an entry mutation writes.
const EDGE_CONTAINERS: [&str; 5] = ["[]", "{}", "null", "[0,0,0]", "[\"x,y,z\",\"x,y\"]"];

/// One field of a real entry changed (indices taken modulo what the entry holds).
#[derive(Debug, Clone)]
enum EntryEdit {
    /// One of the six cell parameters.
    Cell {
        i: usize,
        v: usize,
    },
    SpaceGroup {
        v: usize,
    },
    /// One symmetry operator.
    Operator {
        i: usize,
        v: usize,
    },
    /// A site's B, element, coordinate or occupancy; or the site repeated.
    Site {
        i: usize,
        field: usize,
        k: usize,
        v: usize,
    },
    /// A whole field (cell, operators, sites, elements, space group).
    Whole {
        key: usize,
        v: usize,
    },
}

fn entry_edit() -> impl Strategy<Value = EntryEdit> {
    let (n, t) = (0..EDGE_NUMBERS.len(), 0..EDGE_STRINGS.len());
    prop_oneof![
        2 => (any::<usize>(), n.clone()).prop_map(|(i, v)| EntryEdit::Cell { i, v }),
        1 => n.clone().prop_map(|v| EntryEdit::SpaceGroup { v }),
        2 => (any::<usize>(), t).prop_map(|(i, v)| EntryEdit::Operator { i, v }),
        4 => (any::<usize>(), 0..5usize, any::<usize>(), n)
            .prop_map(|(i, field, k, v)| EntryEdit::Site { i, field, k, v }),
        1 => (0..5usize, 0..EDGE_CONTAINERS.len()).prop_map(|(key, v)| EntryEdit::Whole { key, v }),
    ]
}

/// Applies `edit` to the JSON of an entry.
fn apply_edit(e: &mut serde_json::Value, edit: &EntryEdit) {
    let json = |s: &str| -> serde_json::Value { serde_json::from_str(s).unwrap() };
    match *edit {
        EntryEdit::Cell { i, v } => {
            if let Some(a) = e["cell"].as_array_mut().filter(|a| !a.is_empty()) {
                let len = a.len();
                a[i % len] = json(EDGE_NUMBERS[v]);
            }
        }
        EntryEdit::SpaceGroup { v } => e["space_group"] = json(EDGE_NUMBERS[v]),
        EntryEdit::Operator { i, v } => {
            if let Some(a) = e["operators"].as_array_mut().filter(|a| !a.is_empty()) {
                let len = a.len();
                a[i % len] = json(EDGE_STRINGS[v]);
            }
        }
        EntryEdit::Site { i, field, k, v } => {
            if let Some(a) = e["sites"].as_array_mut().filter(|a| !a.is_empty()) {
                let len = a.len();
                let number = json(EDGE_NUMBERS[v]);
                if field == 4 {
                    let copy = a[i % len].clone();
                    a.push(copy);
                    return;
                }
                // A site an earlier edit replaced by something else has no fields to change.
                let Some(site) = a[i % len].as_object_mut() else {
                    return;
                };
                match field {
                    0 => {
                        site.insert("b_iso".into(), number);
                    }
                    1 => {
                        site.insert("element".into(), json(EDGE_STRINGS[v % EDGE_STRINGS.len()]));
                    }
                    2 => {
                        if let Some(f) = site.get_mut("frac").and_then(|f| f.as_array_mut()) {
                            let len = f.len().max(1);
                            if let Some(x) = f.get_mut(k % len) {
                                *x = number;
                            }
                        }
                    }
                    _ => {
                        site.insert("occupancy".into(), number);
                    }
                }
            }
        }
        EntryEdit::Whole { key, v } => {
            let key = ["cell", "operators", "sites", "elements", "space_group"][key];
            e[key] = json(EDGE_CONTAINERS[v]);
        }
    }
}

#[test]
fn sampled_real_entries_read_back_unmutated() {
    // The fuzzer below mutates these; unmutated, each is a library file that reads.
    for e in sample_entries() {
        let lib = Library::from_bytes(&library_file(std::slice::from_ref(e)), "sample").unwrap();
        assert!(
            lib.entries()[0].structure().is_ok(),
            "{}",
            lib.entries()[0].id
        );
    }
    assert!(sample_entries().len() >= 20);
}

fn builtin_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/amcsd.json.gz")).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes are refused with an error.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let read = Library::from_bytes(&bytes, "fuzz");
        prop_assert!(matches!(read, Err(Error::Format { .. })), "{:?}", read.err());
    }

    /// The real file truncated anywhere, or with a byte changed, is an error or (a change the
    /// gzip checksum cannot see is impossible) never a panic.
    #[test]
    fn damaged_library_files_are_errors(cut in 0usize..1_000_000, flip in 0usize..1_000_000, bit in 0u8..8) {
        let bytes = builtin_bytes();
        let cut = cut % bytes.len();
        let truncated = Library::from_bytes(&bytes[..cut], "fuzz");
        prop_assert!(matches!(truncated, Err(Error::Format { .. })), "{:?}", truncated.err());
        let mut damaged = bytes[..bytes.len().min(4096)].to_vec();
        let i = flip % damaged.len();
        damaged[i] ^= 1 << bit;
        let read = Library::from_bytes(&damaged, "fuzz");
        prop_assert!(matches!(read, Err(Error::Format { .. })), "{:?}", read.err());
    }

    /// Valid library JSON with mutated fields is read or refused, never a panic.
    #[test]
    fn mutated_entries_never_panic(
        group in 0u8..=255,
        a in -10.0f64..50.0,
        occ in -1.0f64..2.0,
        op in "[xyz0-9,/+-]{0,12}",
        el in "[A-Za-z]{0,3}",
    ) {
        use std::io::Write;
        let json = format!(
            r#"{{"format":"xrd-minerals-library","format_version":1,"info":{{}},"entries":[{{"id":"x","mineral":"","formula":"Si","elements":["Si"],"cell":[{a},5,5,90,90,90],"space_group":{group},"hm_symbol":"","operators":["{op}"],"sites":[{{"label":"Si","element":"{el}","frac":[0,0,0],"occupancy":{occ},"b_iso":0}}],"publication":{{}},"notes":[]}}]}}"#
        );
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(json.as_bytes()).unwrap();
        let bytes = e.finish().unwrap();
        if let Ok(lib) = Library::from_bytes(&bytes, "fuzz") {
            prop_assert!(lib.entries()[0].structure().is_ok());
        }
    }

    /// Real entries with one to three fields changed (a cell parameter, the space group, an
    /// operator, a site's element, position, occupancy or B, a repeated site, or a whole list):
    /// past the gzip and JSON layers to the entry checks; refused, or read into entries that
    /// expand to structures.
    #[test]
    fn mutated_real_entries_are_read_or_refused(
        entry in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(entry_edit(), 1..4),
    ) {
        let mut e = entry.get(sample_entries()).clone();
        for edit in &edits {
            apply_edit(&mut e, edit);
        }
        if let Ok(lib) = Library::from_bytes(&library_file(&[e]), "fuzz") {
            for entry in lib.entries() {
                prop_assert!(entry.structure().is_ok(), "{entry:?}");
            }
        }
    }
}

#[test]
fn lookup_by_id_name_and_formula() {
    let lib = amcsd();
    let by_id = lib.lookup("amcsd:8240");
    assert_eq!(by_id.len(), 1);
    assert_eq!(lib.entries()[by_id[0]].mineral, "Manganosite");
    let by_name = lib.lookup("anatase");
    assert!(!by_name.is_empty());
    assert!(
        by_name
            .iter()
            .all(|&i| lib.entries()[i].mineral == "Anatase")
    );
    // A formula: every polymorph of TiO2.
    let groups: std::collections::BTreeSet<u8> = lib
        .lookup("TiO2")
        .iter()
        .map(|&i| lib.entries()[i].space_group)
        .collect();
    for sg in [136, 141, 61] {
        assert!(groups.contains(&sg), "{groups:?}");
    }
    assert!(lib.lookup("Unobtainium").is_empty());
    assert!(lib.lookup("").is_empty());
}

#[test]
fn an_entry_written_as_cif_reads_back_as_the_same_structure() {
    let lib = amcsd();
    for &i in lib
        .lookup("Anatase")
        .iter()
        .take(2)
        .chain(&lib.lookup("Rhodochrosite")[..1])
    {
        let e = &lib.entries()[i];
        let s = e.structure().unwrap();
        let back = xrd_sim::Structure::from_cif(&e.to_cif(None)).unwrap();
        assert_eq!(back.len(), s.len(), "{}", e.id);
        assert!((back.lattice().volume() - s.lattice().volume()).abs() < 1e-3);
        let mut cell = e.cell;
        cell[0] *= 1.01;
        let refined = xrd_sim::Structure::from_cif(&e.to_cif(Some(cell))).unwrap();
        assert!((refined.lattice().lengths()[0] - cell[0]).abs() < 1e-5);
    }
}
