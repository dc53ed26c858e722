//! Bad input: a non-zero exit, the file named, no panic; the rest of a folder still processed.

use std::path::{Path, PathBuf};

use xrd_testdata::shared_data;

use crate::common::{arg, xrd};

/// Bad pattern files of every kind, in `dir`.
fn bad_files(dir: &Path) -> Vec<PathBuf> {
    let mut random = Vec::with_capacity(4096);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..4096 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        random.push((state >> 56) as u8);
    }
    let files: [(&str, Vec<u8>); 5] = [
        ("random.bin", random),
        ("empty.xy", Vec::new()),
        ("nan.xy", b"10 1\n10.1 nan\n10.2 3\n".to_vec()),
        ("backwards.xy", b"10 1\n9.9 2\n10.2 3\n".to_vec()),
        (
            "truncated.xrdml",
            b"<?xml version=\"1.0\"?><xrdMeasurements><xrdMeasurement>".to_vec(),
        ),
    ];
    let mut out: Vec<PathBuf> = files
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    out.push(dir.join("missing.xy"));
    out
}

#[test]
fn every_pattern_job_fails_on_each_bad_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = dir.path().join("out");
    for file in bad_files(dir.path()) {
        let name = file.file_name().unwrap().to_str().unwrap();
        let jobs: [Vec<&str>; 4] = [
            vec!["convert", "--out", arg(&out)],
            vec!["index"],
            vec!["identify", "--cache", arg(&cache)],
            vec!["classify", "predict"],
        ];
        for job in jobs {
            let mut args = job.clone();
            args.push(arg(&file));
            xrd(&args).failed(1, name);
        }
        xrd(&["simulate", arg(&file)]).failed(1, name);
    }
}

#[test]
fn a_folder_with_bad_files_converts_the_rest_and_names_the_bad() {
    let Some(good) = shared_data("real/xylib_with_sigma.txt") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(&good, inputs.join("good.txt")).unwrap();
    let bad = bad_files(&inputs);
    let out = dir.path().join("out");
    let run = xrd(&[
        "--format",
        "csv",
        "convert",
        "--out",
        arg(&out),
        arg(&inputs),
    ]);
    // Five bad files in the folder (the missing one is not in it).
    run.failed(1, "5 inputs skipped");
    for file in bad.iter().filter(|f| f.exists()) {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(
            run.stderr.contains(name),
            "{name} not named: {}",
            run.stderr
        );
    }
    assert!(out.join("good.xy").exists());
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
}

#[test]
fn bad_usage_exits_with_two() {
    for args in [
        vec!["no-such-command"],
        vec!["convert"],
        vec!["--format", "yaml", "index", "x.xy"],
        vec!["--threads", "0", "index", "x.xy"],
        vec!["simulate", "x.cif", "--range", "10"],
        vec!["convert", "--to", "png", "x.xy"],
        vec!["classify", "predict"],
        vec!["feature-space"],
        vec!["identify", "--wavelength", "Xx", "x.xy"],
        vec!["classify", "predict", "--wavelength", "0", "x.xy"],
        vec!["index", "--wavelength", "Mo 1.54", "x.xy"],
    ] {
        let run = xrd(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn bad_values_fail_with_one_line_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let cif = dir.path().join("x.cif");
    std::fs::write(&cif, "data_x\n_cell_length_a 4\n").unwrap();
    for (args, named) in [
        (vec!["simulate", arg(&cif)], "x.cif"),
        (
            vec!["simulate", arg(&cif), "--range", "90", "10"],
            "--range",
        ),
        (vec!["index", "--tolerance=-1", "x.xy"], "tolerance"),
        (
            vec!["index", "--min-trial-merit=-1", "x.xy"],
            "min_trial_merit",
        ),
        (vec!["index", "--min-indexed", "0", "x.xy"], "min_indexed"),
        (vec!["index", "--min-indexed", "1.5", "x.xy"], "min_indexed"),
        (vec!["index", "--lines", "3", "x.xy"], "lines"),
        (vec!["identify", "--min-score", "2", "x.xy"], "min_score"),
        (vec!["identify", "--background", "0", "x.xy"], "background"),
        (
            vec![
                "classify",
                "predict",
                "--model",
                "nowhere.safetensors",
                "x.xy",
            ],
            "nowhere.safetensors",
        ),
        (vec!["feature-space", "--patterns", "nowhere"], "nowhere"),
    ] {
        let run = xrd(&args);
        run.failed(1, named);
        assert_eq!(
            run.stderr
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{}",
            run.stderr
        );
    }
}

#[test]
fn file_hash_k_reads_pattern_k_alone_and_refuses_one_past_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("three.gsa");
    std::fs::write(
        &file,
        "t\nBANK 1 2 1 CONST 500 5 0 0 ESD\n     100       5     200       7\n\
         BANK 2 2 1 CONST 0 0 0 0 FXYE\n 1000.0 3.0 0.5\n 1010.0 4.0 0.6\n\
         BANK 3 2 1 CONST 0 0 0 0 ALT\n 2000 1.5 0.1 2002 2.5 0.2\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let all = xrd(&["--format", "csv", "convert", "--out", arg(&out), arg(&file)]);
    assert_eq!(all.ok().lines().count(), 4, "{}", all.stdout);
    let second = format!("{}#2", file.display());
    let run = xrd(&["--format", "csv", "convert", "--out", arg(&out), &second]);
    let rows: Vec<&str> = run.ok().lines().collect();
    assert_eq!(rows.len(), 2, "{}", run.stdout);
    assert!(rows[1].contains("three.gsa#2"), "{}", rows[1]);
    let written = std::fs::read_to_string(out.join("three.xy")).unwrap();
    let first = written.lines().find(|l| !l.starts_with('#')).unwrap();
    assert!(first.trim_start().starts_with("10"), "{first}");
    xrd(&[
        "convert",
        "--out",
        arg(&out),
        &format!("{}#4", file.display()),
    ])
    .failed(1, "no pattern 4 (the file holds 3");
}
