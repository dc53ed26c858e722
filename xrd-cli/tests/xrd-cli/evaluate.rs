//! `xrd classify evaluate` and `xrd identify evaluate` through the built binary, on a fixed
//! subset of `rruff_dev.npz` and on a folder of the shared CIFs (with and without
//! `--exclude-matching`): the summaries checked against their own predictions and against the
//! values measured when the tests were written; `--half` keeps the rows of its half
//! (`xrd_io::halves`), the reporting half by default.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xrd_testdata::{Half, rruff_rows, shared_data};

use crate::common::{Run, arg, cache, csv_rows, xrd};

/// Every 19th row of `rruff_dev.npz` (rows 0, 19, …, 456: 25 measured patterns, with their
/// `source_index`) written as an `.npz` in `dir`, with the rows' space groups.
fn rruff_subset(dir: &Path) -> Option<(PathBuf, Vec<u8>)> {
    let full = shared_data("measured/rruff_dev.npz")?;
    let d = xrd_io::Dataset::<f32>::read_npz(&full).unwrap();
    let rows: Vec<usize> = (0..d.len()).step_by(19).collect();
    let subset = d.select(&rows).unwrap();
    let groups = subset
        .label("space_group")
        .unwrap()
        .iter()
        .map(|&g| g as u8)
        .collect();
    let path = dir.join("rruff_subset.npz");
    subset.write_npz(&path).unwrap();
    Some((path, groups))
}

/// The rows of the subset (its own rows) in the reporting and the tuning half.
fn subset_halves(npz: &Path) -> (Vec<usize>, Vec<usize>) {
    let d = xrd_io::Dataset::<f32>::read_npz(npz).unwrap();
    let source = d.label("source_index").unwrap().to_vec();
    (
        rruff_rows(source.iter().copied(), Half::Reporting),
        rruff_rows(source, Half::Tuning),
    )
}

/// The subset without its `source_index` (renamed), written beside it.
fn without_source_index(npz: &Path) -> PathBuf {
    let mut d = xrd_io::Dataset::<f32>::read_npz(npz).unwrap();
    for name in &mut d.label_names {
        if name == "source_index" {
            *name = "file_number".into();
        }
    }
    let path = npz.with_file_name("no_source_index.npz");
    d.write_npz(&path).unwrap();
    path
}

fn summary(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The rows of a CSV file, split at commas, header first (the tests read only the columns
/// before the first one that may hold a quoted name).
fn csv_file(path: &Path) -> Vec<Vec<String>> {
    csv_rows(&std::fs::read_to_string(path).unwrap())
}

/// The number at `key` of a JSON object.
fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

/// Asserts that the fraction at `key` is `count` of `n` patterns, give or take one pattern
/// (measured when the test was written; one pattern's change is not a regression, two are).
fn about(v: &Value, key: &str, count: usize, n: usize) {
    let (got, want) = (num(v, key), count as f64 / n as f64);
    assert!(
        (got - want).abs() <= 1.0 / n as f64 + 1e-9,
        "{key}: {got} against {count}/{n} measured"
    );
}

/// `xrd --quiet COMMAND evaluate --data DATA [--half HALF] EXTRA… --out OUT`.
fn evaluate(command: &str, data: &Path, half: Option<&str>, extra: &[&str], out: &Path) -> Run {
    let mut args = vec!["--quiet", command, "evaluate", "--data", arg(data)];
    args.extend(half.map(|h| ["--half", h]).iter().flatten());
    args.extend(extra);
    args.extend(["--out", arg(out)]);
    xrd(&args)
}

/// The fraction of `rows` (header skipped) for which `keep` holds.
fn share(rows: &[Vec<String>], keep: impl Fn(&[String]) -> bool) -> f64 {
    rows[1..].iter().filter(|r| keep(r)).count() as f64 / (rows.len() - 1) as f64
}

#[test]
fn identify_evaluate_reports_the_rows_it_predicted() {
    let dir = tempfile::tempdir().unwrap();
    let Some((npz, truth)) = rruff_subset(dir.path()) else {
        return;
    };
    let out = dir.path().join("identify");
    let run = evaluate("identify", &npz, Some("all"), &["--cache", cache()], &out);
    let printed = run.ok();
    let s = summary(&out);
    assert_eq!((&s["half"], &s["patterns"]), (&"all".into(), &25.into()));
    assert_eq!(s["data_patterns"], 25, "{s}");
    assert_eq!(s["unsearchable"], 0, "{s}");
    assert_eq!(s["library_entries"], 9273, "{s}");
    assert_eq!(s["min_score"], 0.6, "{s}");
    // predictions.csv: one row per pattern, in order, with the npz's space group as the truth.
    let rows = csv_file(&out.join("predictions.csv"));
    assert_eq!(
        rows[0].join(","),
        "row,space_group,predicted,score,name,source"
    );
    assert_eq!(rows.len(), 26);
    for (k, (r, g)) in rows[1..].iter().zip(&truth).enumerate() {
        assert_eq!(
            (r[0].parse::<usize>().unwrap(), r[1].parse::<u8>().unwrap()),
            (k, *g)
        );
        let score: f64 = r[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&score), "{r:?}");
    }
    // The summary's accuracies are those of its own predictions.
    let right = share(&rows, |r| r[1] == r[2]);
    assert!(
        (num(&s, "space_group_accuracy") - right).abs() < 1e-9,
        "{s}"
    );
    let system = |g: &str| xrd_sim::CrystalSystem::from_space_group(g.parse().unwrap()).unwrap();
    let system_right = share(&rows, |r| system(&r[1]) == system(&r[2]));
    assert!(
        (num(&s, "crystal_system_accuracy") - system_right).abs() < 1e-9,
        "{s}"
    );
    let answered = share(&rows, |r| r[3].parse::<f64>().unwrap() >= 0.6);
    assert!(
        (num(&s, "answered_fraction") - answered).abs() < 1e-9,
        "{s}"
    );
    // Measured: 14 space groups and 19 crystal systems of 25 right, 17 in the top five, 11 of
    // the 13 most similar.
    about(&s, "space_group_accuracy", 14, 25);
    about(&s, "crystal_system_accuracy", 19, 25);
    about(&s, "space_group_top5", 17, 25);
    about(&s, "space_group_accuracy_certain_half", 11, 13);
    // Rows that must stay right: beryl (192), tetrahedrite (217), pollucite (230).
    for (row, group, name) in [
        (3, "192", "Beryl"),
        (12, "217", "Tetrahedrite"),
        (16, "230", "Pollucite"),
    ] {
        let r = &rows[row + 1];
        assert_eq!((r[2].as_str(), r[4].as_str()), (group, name), "{r:?}");
    }
    assert!(
        printed.starts_with("25 patterns (all of 25; 0 could not be searched), 9273 references"),
        "{printed}"
    );
    let line = format!("first phase: space group {:.1} %", 100.0 * right);
    assert!(printed.contains(&line), "{printed}");
    assert!(out.join("coverage.svg").exists());

    // By default the reporting half, with --half tuning the other: each run holds the rows of
    // its half (by their row in the .npz), each predicted as in the run over all rows.
    let (reporting, tuning) = subset_halves(&npz);
    assert_eq!(reporting.len() + tuning.len(), 25);
    assert!(!reporting.is_empty() && !tuning.is_empty());
    for (half, want) in [(None, &reporting), (Some("tuning"), &tuning)] {
        let out = dir.path().join(format!("identify-{half:?}"));
        let printed = evaluate("identify", &npz, half, &["--cache", cache()], &out)
            .ok()
            .to_string();
        let s = summary(&out);
        let name = half.unwrap_or("reporting");
        assert_eq!(
            (&s["half"], &s["patterns"], &s["data_patterns"]),
            (&name.into(), &want.len().into(), &25.into()),
            "{s}"
        );
        let half_rows = csv_file(&out.join("predictions.csv"));
        let got: Vec<usize> = half_rows[1..]
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect();
        assert_eq!(&got, want);
        for r in &half_rows[1..] {
            let all = &rows[r[0].parse::<usize>().unwrap() + 1];
            assert_eq!(r[..4], all[..4], "row {}", r[0]);
        }
        let right = share(&half_rows, |r| r[1] == r[2]);
        assert!(
            (num(&s, "space_group_accuracy") - right).abs() < 1e-9,
            "{s}"
        );
        let start = format!("{} patterns (the {name} half of 25;", want.len());
        assert!(printed.starts_with(&start), "{printed}");
    }

    // A half needs the file's source_index; --half all scores a file without one, and so does
    // the default.
    let bare = without_source_index(&npz);
    let run = xrd(&[
        "identify",
        "evaluate",
        "--data",
        arg(&bare),
        "--half",
        "reporting",
        "--cache",
        cache(),
        "--out",
        arg(&dir.path().join("bare")),
    ]);
    run.failed(1, "no `source_index` array to split into halves by");
    assert!(run.stderr.contains("--half all"), "{}", run.stderr);
}

#[test]
fn classify_evaluate_reports_the_rows_it_predicted() {
    let dir = tempfile::tempdir().unwrap();
    let Some((npz, truth)) = rruff_subset(dir.path()) else {
        return;
    };
    let out = dir.path().join("classify");
    let run = evaluate("classify", &npz, Some("all"), &["--cache", cache()], &out);
    let printed = run.ok();
    let s = summary(&out);
    assert_eq!(
        (&s["model"], &s["patterns"], &s["indexing"], &s["library"]),
        (&"shipped".into(), &25.into(), &true.into(), &"amcsd".into()),
        "{s}"
    );
    assert_eq!(
        (&s["half"], &s["data_patterns"]),
        (&"all".into(), &25.into())
    );
    assert_eq!(
        (&s["exclude_matching"], &s["entries_excluded"]),
        (&false.into(), &Value::Null)
    );
    let decided = &s["decided_by"];
    let total: u64 = ["library", "indexing", "networks"]
        .iter()
        .map(|k| decided[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 25, "{decided}");
    let rows = csv_file(&out.join("predictions.csv"));
    assert!(rows[0].join(",").starts_with(
        "index,file,true_space_group,true_crystal_system,space_group,crystal_system,certainty,\
         top5,refused,decided_by,phase,"
    ));
    assert_eq!(rows.len(), 26);
    for (k, (r, g)) in rows[1..].iter().zip(&truth).enumerate() {
        assert_eq!(
            (r[0].parse::<usize>().unwrap(), r[2].parse::<u8>().unwrap()),
            (k, *g)
        );
        let system = xrd_sim::CrystalSystem::from_space_group(*g).unwrap();
        assert_eq!(r[3], system.name(), "{r:?}");
        // The answer is the first of the top five.
        assert_eq!(r[7].split(';').next(), Some(r[4].as_str()), "{r:?}");
        let certainty: f64 = r[6].parse().unwrap();
        assert_eq!(r[8] == "true", certainty < num(&s, "threshold"), "{r:?}");
    }
    // The summary's numbers are those of its own predictions.
    let right = share(&rows, |r| r[2] == r[4]);
    assert!((num(&s, "space_group_top1") - right).abs() < 1e-9, "{s}");
    let system_right = share(&rows, |r| r[3] == r[5]);
    assert!(
        (num(&s, "crystal_system") - system_right).abs() < 1e-9,
        "{s}"
    );
    let top5 = share(&rows, |r| r[7].split(';').any(|g| g == r[2]));
    assert!((num(&s, "space_group_top5") - top5).abs() < 1e-9, "{s}");
    let answered = share(&rows, |r| r[8] == "false");
    assert!(
        (num(&s, "coverage_at_threshold") - answered).abs() < 1e-9,
        "{s}"
    );
    let combined = &s["stages"]["combined"];
    assert_eq!(combined["space_group_top1"], s["space_group_top1"]);
    // Measured with the shipped model, indexing and the library: 18 space groups and 22
    // crystal systems of 25 right, 17 answered at the threshold (14 of them right); the
    // networks alone 11 space groups, the library alone 14.
    about(&s, "space_group_top1", 18, 25);
    about(&s, "crystal_system", 22, 25);
    about(&s, "coverage_at_threshold", 17, 25);
    about(&s["stages"]["networks"], "space_group_top1", 11, 25);
    about(&s["stages"]["library"], "space_group_top1", 14, 25);
    assert!(
        printed.contains("25 patterns (all of 25) from"),
        "{printed}"
    );
    for f in ["coverage.svg", "confusion.svg"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The networks alone, by default on the reporting half and with --half tuning on the
    // other: the rows of each half, named by their row in the .npz.
    let (reporting, tuning) = subset_halves(&npz);
    for (half, want) in [(None, &reporting), (Some("tuning"), &tuning)] {
        let out = dir.path().join(format!("networks-{half:?}"));
        let extra = ["--no-indexing", "--no-library"];
        let printed = evaluate("classify", &npz, half, &extra, &out)
            .ok()
            .to_string();
        let s = summary(&out);
        let name = half.unwrap_or("reporting");
        assert_eq!(
            (&s["half"], &s["patterns"], &s["data_patterns"]),
            (&name.into(), &want.len().into(), &25.into()),
            "{s}"
        );
        let half_rows = csv_file(&out.join("predictions.csv"));
        let named: Vec<usize> = half_rows[1..]
            .iter()
            .map(|r| r[1].parse().unwrap())
            .collect();
        assert_eq!(&named, want);
        let right = share(&half_rows, |r| r[2] == r[4]);
        assert!((num(&s, "space_group_top1") - right).abs() < 1e-9, "{s}");
        let start = format!("{} patterns (the {name} half of 25) from", want.len());
        assert!(printed.contains(&start), "{printed}");
    }

    // --exclude-matching needs structures to match: an .npz has none.
    let run = xrd(&[
        "classify",
        "evaluate",
        "--data",
        arg(&npz),
        "--cache",
        cache(),
        "--exclude-matching",
        "--out",
        arg(&out),
    ]);
    run.failed(
        1,
        "--exclude-matching needs test structures (a folder of CIFs)",
    );
}

/// The shared CIFs of the folder test, with their space groups (the `autoxrd_` ones are P1
/// files of the structure their name gives).
const CIFS: [(&str, u8); 12] = [
    ("Copper.cif", 225),
    ("Diamond.cif", 227),
    ("Graphite.cif", 194),
    ("KCl.cif", 225),
    ("LiCoO2.cif", 166),
    ("Rutile.cif", 136),
    ("Sapphire.cif", 167),
    ("Silicon.cif", 227),
    ("ZnO.cif", 186),
    ("autoxrd_Mn2O3_206.cif", 206),
    ("autoxrd_MnO_225.cif", 225),
    ("autoxrd_TiO2_141.cif", 141),
];

/// The phase the library names for each structure when it holds it: (file, mineral).
const OWN: [(&str, &str); 9] = [
    ("Copper.cif", "Copper"),
    ("Diamond.cif", "Diamond"),
    ("KCl.cif", "Sylvite"),
    ("Rutile.cif", "Rutile"),
    ("Sapphire.cif", "Corundum"),
    ("Silicon.cif", "Silicon"),
    ("ZnO.cif", "Zincite"),
    ("autoxrd_MnO_225.cif", "Manganosite"),
    ("autoxrd_TiO2_141.cif", "Anatase"),
];

#[test]
fn classify_evaluate_on_cifs_finds_each_in_the_library_unless_excluded() {
    let Some(cifs) = shared_data("cif") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut index = String::from("file,space_group\n");
    for (f, g) in CIFS {
        std::fs::copy(cifs.join(f), data.join(f)).unwrap();
        index.push_str(&format!("{f},{g}\n"));
    }
    std::fs::write(data.join("index.csv"), index).unwrap();
    let scored = |out: &Path, extra: &[&str]| {
        let extra = [&["--cache", cache()], extra].concat();
        evaluate("classify", &data, None, &extra, out).ok();
        (summary(out), csv_file(&out.join("predictions.csv")))
    };
    let (s, rows) = scored(&dir.path().join("all"), &[]);
    let (sx, rows_x) = scored(&dir.path().join("excluded"), &["--exclude-matching"]);
    // Columns: 1 file, 2 true space group, 4 space group, 10 phase, 12 phase's space group.
    let row = |rows: &[Vec<String>], f: &str| rows.iter().find(|r| r[1] == f).unwrap().clone();
    for (f, g) in CIFS {
        assert_eq!(row(&rows, f)[2], g.to_string());
    }
    // With the whole library, each structure it holds is named as its own mineral, in its own
    // space group.
    for (f, mineral) in OWN {
        let r = row(&rows, f);
        assert_eq!((r[10].as_str(), &r[12]), (mineral, &r[2]), "{r:?}");
    }
    assert_eq!(
        (&s["exclude_matching"], &s["entries_excluded"]),
        (&false.into(), &Value::Null)
    );
    // Measured: 11 of 12 space groups (graphite refused at 186), every crystal system.
    about(&s, "space_group_top1", 11, 12);
    about(&s, "crystal_system", 12, 12);
    // --exclude-matching keeps each structure's formula in its space group out of the search:
    // 107 entries over the 12 structures, and a structure of one formula is never named.
    assert_eq!(
        (&sx["exclude_matching"], &sx["entries_excluded"]),
        (&true.into(), &107.into()),
        "{sx}"
    );
    for (f, mineral) in [
        ("Copper.cif", "Copper"),
        ("KCl.cif", "Sylvite"),
        ("Silicon.cif", "Silicon"),
        ("ZnO.cif", "Zincite"),
        ("autoxrd_MnO_225.cif", "Manganosite"),
        ("autoxrd_TiO2_141.cif", "Anatase"),
    ] {
        let r = row(&rows_x, f);
        assert_ne!(r[10], mineral, "{r:?}");
    }
    // Graphite and diamond are still found, in other space groups only (2H graphite in 186, a
    // diamond entry in I4₁/amd).
    for f in ["Graphite.cif", "Diamond.cif"] {
        let r = row(&rows_x, f);
        assert_ne!(r[12], r[2], "{r:?}");
    }
    // Without its own entries anatase is refused (measured certainty 0.23).
    assert_eq!(row(&rows_x, "autoxrd_TiO2_141.cif")[8], "true");
    // The networks never see the library: their stage is the same in both runs.
    assert_eq!(sx["stages"]["networks"], s["stages"]["networks"]);
    // Measured: 7 of 12 space groups, 10 of 12 crystal systems.
    about(&sx, "space_group_top1", 7, 12);
    about(&sx, "crystal_system", 10, 12);
    assert!(num(&sx, "space_group_top1") < num(&s, "space_group_top1"));
    // A folder has no source_index: it is scored whole (above, by default), never by half.
    xrd(&[
        "classify",
        "evaluate",
        "--data",
        arg(&data),
        "--no-library",
        "--no-indexing",
        "--half",
        "tuning",
        "--out",
        arg(dir.path()),
    ])
    .failed(1, "a folder is scored whole (--half all)");
    assert_eq!(
        (&s["half"], &s["data_patterns"]),
        (&"all".into(), &12.into())
    );
    // Without the library there is nothing to exclude from.
    xrd(&[
        "classify",
        "evaluate",
        "--data",
        arg(&data),
        "--no-library",
        "--exclude-matching",
        "--out",
        arg(dir.path()),
    ])
    .failed(
        1,
        "--exclude-matching needs the library (drop --no-library)",
    );
}
