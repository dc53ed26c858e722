//! `xrd refine` through the built binary on the weighed mixtures of dara_dev (development
//! numbers: the default plan was chosen on these scans).

use crate::common::{arg, csv_rows, xrd};
use xrd_testdata::shared_data;

/// Weight fractions, their esds and the fit's Rwp of `xrd refine FILE --phase …`.
fn refine(file: &str, phases: &[&str], extra: &[&str]) -> Vec<Vec<String>> {
    let path = shared_data(&format!("measured/dara_dev/{file}")).unwrap();
    let mut args = vec!["--format", "csv", "refine", arg(&path)];
    for p in phases {
        args.extend(["--phase", p]);
    }
    args.extend(extra);
    csv_rows(xrd(&args).ok())
}

#[test]
fn a_weighed_mixture_of_indium_oxide_and_rhodochrosite() {
    let Some(cif) = shared_data("cif/In2O3_Marezio1966.cif") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let rows = refine(
        "In2O3_0p5002-MnCO3_0p5000--2min.xrdml",
        &[arg(&cif), "MnCO3"],
        &["--out", arg(out.path())],
    );
    assert_eq!(
        rows[0].join(","),
        "file,phase,name,formula,space_group,weight_fraction,weight_fraction_esd,a,b,c,alpha,\
         beta,gamma,size_nm,strain,source,rwp,gof"
    );
    let w = |r: &[String]| r[5].parse::<f64>().unwrap();
    // Weighed 0.5002 and 0.5000; measured 0.493 and 0.507.
    assert!((w(&rows[1]) - 0.5002).abs() < 0.02, "{rows:?}");
    assert!((w(&rows[2]) - 0.5000).abs() < 0.02, "{rows:?}");
    assert_eq!(rows[2][2], "Rhodochrosite");
    assert_eq!(rows[1][4], "206");
    // Bixbyite's cell, 10.117 Å.
    assert!(
        (rows[1][7].parse::<f64>().unwrap() - 10.117).abs() < 0.01,
        "{rows:?}"
    );
    let rwp: f64 = rows[1][16].parse().unwrap();
    assert!(rwp < 0.07, "Rwp {rwp}");
    for f in [
        "fit.csv",
        "refinement.json",
        "rietveld.svg",
        "1_In2O3_Marezio1966.cif",
        "2_Rhodochrosite.cif",
    ] {
        assert!(out.path().join(f).exists(), "{f}");
    }
    let fit = std::fs::read_to_string(out.path().join("fit.csv")).unwrap();
    assert!(fit.starts_with(
        "two_theta,observed,calculated,background,difference,In2O3_Marezio1966,Rhodochrosite\n"
    ));
    // The refined CIF reads back with the refined cell.
    let cif_text = std::fs::read_to_string(out.path().join("1_In2O3_Marezio1966.cif")).unwrap();
    let s = xrd_sim::Structure::from_cif(&cif_text).unwrap();
    assert!((s.lattice().lengths()[0] - 10.117).abs() < 0.01);
}

#[test]
fn a_formula_compares_polymorphs_and_keeps_anatase() {
    if shared_data("measured/dara_dev").is_none() {
        return;
    }
    let rows = refine("TiO2_0p4009-ZnO_0p6010--2min.xrdml", &["TiO2", "ZnO"], &[]);
    assert_eq!(rows[1][2], "Anatase", "{rows:?}");
    assert_eq!(rows[2][2], "Zincite", "{rows:?}");
    let w = |r: &[String]| r[5].parse::<f64>().unwrap();
    // Weighed 0.4009 and 0.6010; measured 0.380 and 0.620.
    assert!((w(&rows[1]) - 0.4009).abs() < 0.04, "{rows:?}");
}

#[test]
fn unknown_phases_and_stages_are_refused() {
    let Some(path) = shared_data("measured/dara_dev/TiO2_0p4009-ZnO_0p6010--2min.xrdml") else {
        return;
    };
    let run = xrd(&["refine", arg(&path), "--phase", "Unobtainium"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("Unobtainium"), "{}", run.stderr);
    let run = xrd(&[
        "refine",
        arg(&path),
        "--phase",
        "ZnO",
        "--stages",
        "scale,magic",
    ]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("unknown stage `magic`"),
        "{}",
        run.stderr
    );
}
