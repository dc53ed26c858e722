//! A refinement end to end: the job, 409 while it runs, the result, history, export, cancel.

use super::*;

fn request(file: &str, phases: &[&str], stages: &[&str]) -> Vec<u8> {
    serde_json::json!({
        "file": file,
        "options": { "phases": phases, "stages": stages },
    })
    .to_string()
    .into_bytes()
}

#[test]
fn refine_history_and_export() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(&[("scan.xrdml", &scan)], 64);
    let file = format!("{}/scan.xrdml", s.root);
    // With no job, a waiting request answers at once.
    let t = std::time::Instant::now();
    assert!(s.get("/api/job?since=0&wait=2000").json()["running"].is_null());
    assert!(t.elapsed() < std::time::Duration::from_millis(500));
    let r = s.post(
        "/api/refine",
        &request(&file, &["NiO", "Bi2O3"], &["scale", "cells", "profile"]),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    // While a job runs, a request for news it does not have waits (unless the job ends).
    let t = std::time::Instant::now();
    let held = s.get("/api/job?since=1000000&wait=300").json();
    assert!(
        held["running"].is_null() || t.elapsed() >= std::time::Duration::from_millis(290),
        "{held} after {:?}",
        t.elapsed()
    );
    // While it runs, other edits are refused.
    let busy = s.post("/api/refine", &request(&file, &["NiO"], &["scale"]));
    let upload = s.post("/api/upload?name=a.xy", b"10 1\n10.1 2\n10.2 3\n");
    let done_first = s.get("/api/job").json()["running"].is_null();
    if !done_first {
        assert_eq!(busy.status, 409, "{}", busy.body);
        assert!(busy.error().contains("running"));
        assert_eq!(upload.status, 409);
    }
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    let events: Vec<&str> = job["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(events.iter().any(|e| e.starts_with("stage")), "{events:?}");
    let first = s.get("/api/result").json();
    let phases = first["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    let total: f64 = phases
        .iter()
        .map(|p| p["weight_fraction"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    for p in phases {
        assert!(p["weight_fraction_esd"].as_f64().unwrap() > 0.0);
        assert_eq!(p["cell"].as_array().unwrap().len(), 6);
        assert!(!p["ticks"].as_array().unwrap().is_empty());
        assert_eq!(
            p["ticks"].as_array().unwrap().len(),
            p["hkl"].as_array().unwrap().len()
        );
    }
    // The XRDML gives no esds: the page takes √y, as the refinement weighs.
    assert!(first["sigma"].is_null());
    let rwp1 = first["rwp"].as_f64().unwrap();
    assert!(rwp1 > 0.0 && rwp1 < 0.2, "{rwp1}");
    let n = first["two_theta"].as_array().unwrap().len();
    for k in ["observed", "calculated", "background", "difference"] {
        assert_eq!(first[k].as_array().unwrap().len(), n, "{k}");
    }
    // The exported table is the job's rows at the command line's precision.
    let csv = s.get("/api/export?what=csv").body;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("file,phase,name,formula,space_group,weight_fraction"));
    let w: f64 = lines[1].split(',').nth(5).unwrap().parse().unwrap();
    let exact = first["rows"][0]["weight_fraction"].as_f64().unwrap();
    assert!((w - exact).abs() <= 5e-5, "{w} {exact}");
    let fit = s.get("/api/export?what=fit").body;
    assert_eq!(fit.lines().count(), n + 1);
    assert!(fit.starts_with("two_theta,observed,calculated,background,difference,"));
    let json: serde_json::Value =
        serde_json::from_str(&s.get("/api/export?what=json").body).unwrap();
    assert_eq!(json["refinement"]["rwp"].as_f64(), Some(rwp1));
    let command = s.get("/api/export?what=command").body;
    assert!(command.starts_with("xrd refine "), "{command}");
    assert!(
        command.contains("--phase NiO --phase Bi2O3")
            && command.contains("--stages scale,cells,profile")
    );
    let python = s.get("/api/export?what=python").body;
    assert!(python.contains(r#"phases=["NiO", "Bi2O3"]"#), "{python}");

    // A second fit, then undo and redo between them.
    let r = s.post(
        "/api/refine",
        &request(&file, &["NiO", "Bi2O3"], &["scale"]),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
    let second = s.get("/api/result").json();
    assert_ne!(second["checkpoint"], first["checkpoint"]);
    let h = s.get("/api/history").json();
    assert_eq!(h["checkpoints"].as_array().unwrap().len(), 2);
    assert_eq!(h["can_undo"], true);
    let undo = s.post("/api/undo", b"");
    assert_eq!(undo.status, 200, "{}", undo.body);
    assert_eq!(undo.json()["current"], first["checkpoint"]);
    assert_eq!(
        undo.json()["request"]["options"]["stages"],
        serde_json::json!(["scale", "cells", "profile"])
    );
    assert_eq!(s.get("/api/result").json()["rwp"].as_f64(), Some(rwp1));
    assert_eq!(s.post("/api/undo", b"").status, 409);
    assert_eq!(
        s.post("/api/redo", b"").json()["current"],
        second["checkpoint"]
    );
    // Both stay readable by id, for the comparison.
    let again = s
        .get(&format!("/api/result?checkpoint={}", first["checkpoint"]))
        .json();
    assert_eq!(again["rwp"].as_f64(), Some(rwp1));
}

#[test]
fn a_cancelled_job_frees_the_workbench() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(&[("scan.xrdml", &scan)], 64);
    let file = format!("{}/scan.xrdml", s.root);
    let r = s.post(
        "/api/refine",
        &request(
            &file,
            &["NiO", "Bi2O3"],
            &["scale", "cells", "profile", "texture"],
        ),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let c = s.post("/api/cancel", b"").json();
    let job = s.get("/api/job").json();
    if !c["cancelled"].is_null() {
        assert_eq!(job["phase"], "cancelled", "{job}");
        assert!(job["running"].is_null());
        assert_eq!(s.get("/api/result").status, 404);
    }
    // A new job is accepted at once.
    let r = s.post("/api/refine", &request(&file, &["NiO"], &["scale"]));
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
}

#[test]
fn phases_and_measured_references_in_one_fit() {
    let Some(dara) = xrd_testdata::shared_data("measured/dara_dev") else {
        return;
    };
    let Some(rockjock) = xrd_testdata::shared_data("references/rockjock") else {
        return;
    };
    let s = serve_paths(fresh_dir("mixed"), &[dara, rockjock], 64);
    let body = serde_json::json!({
        "file": "dara_dev/NiO_0p2030-Li2CO3_0p2999-TiO2_0p5025--8min.xrdml",
        "options": {
            "phases": ["NiO", "Li2CO3"],
            "references": ["ANATASE"],
            "reference_library": "rockjock/rockjock_library_all168.csv.gz",
        },
    });
    let r = s.post("/api/refine", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
    let fit = s.get("/api/result").json();
    let rows = fit["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["kind"], "reference");
    assert_eq!(fit["references"][0]["id"], "ANATASE");
    let n = fit["two_theta"].as_array().unwrap().len();
    assert_eq!(fit["reference_curves"][0].as_array().unwrap().len(), n);
    let total: f64 = rows
        .iter()
        .map(|r| r["weight_fraction"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    // The library must be a served file too.
    let outside = serde_json::json!({
        "file": "dara_dev/NiO_0p2030-Li2CO3_0p2999-TiO2_0p5025--8min.xrdml",
        "options": { "phases": ["NiO"], "references": ["ANATASE"], "reference_library": "/etc/passwd" },
    });
    assert_eq!(
        s.post("/api/refine", outside.to_string().as_bytes()).status,
        404
    );
}

#[test]
fn references_alone_are_a_summation() {
    let Some(dara) = xrd_testdata::shared_data("measured/dara_dev") else {
        return;
    };
    let Some(rockjock) = xrd_testdata::shared_data("references/rockjock") else {
        return;
    };
    let s = serve_paths(fresh_dir("sum"), &[dara, rockjock], 64);
    let alone = serde_json::json!({
        "file": "dara_dev/TiO2_0p4009-ZnO_0p6010--8min.xrdml",
        "options": {
            "references": ["ANATASE", "ZINCITE"],
            "reference_library": "rockjock/rockjock_library_all168.csv.gz",
        },
    });
    let r = s.post("/api/refine", alone.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    let fit = s.get("/api/result").json();
    assert_eq!(fit["mode"], "summation");
    assert_eq!(fit["phases"].as_array().unwrap().len(), 0);
    let rows = fit["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["id"], "ANATASE");
    assert_eq!(rows[1]["id"], "ZINCITE");
    let total: f64 = rows
        .iter()
        .map(|r| r["weight_fraction"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    // Zincite is the larger part of the weighed 40 : 60.
    assert!(
        rows[1]["weight_fraction"].as_f64().unwrap() > 0.5,
        "{rows:?}"
    );
    let n = fit["two_theta"].as_array().unwrap().len();
    assert_eq!(fit["reference_curves"].as_array().unwrap().len(), 2);
    assert_eq!(fit["reference_curves"][1].as_array().unwrap().len(), n);
    // Exported as `xrd refine --references … --out` writes it.
    let csv = s.get("/api/export?what=csv").body;
    assert!(
        csv.starts_with("file,phase,id,name,kind,weight_fraction"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    let fitcsv = s.get("/api/export?what=fit").body;
    assert!(
        fitcsv.starts_with("two_theta,observed,calculated,background,difference,ANATASE,ZINCITE\n"),
        "{}",
        &fitcsv[..100]
    );
    assert_eq!(fitcsv.lines().count(), n + 1);
    let json: serde_json::Value =
        serde_json::from_str(&s.get("/api/export?what=json").body).unwrap();
    assert_eq!(json["quantification"]["rwp"].as_f64(), fit["rwp"].as_f64());
    let command = s.get("/api/export?what=command").body;
    assert!(
        command.contains("--reference ANATASE --reference ZINCITE") && !command.contains("--phase"),
        "{command}"
    );
    // In the history with its references.
    let h = s.get("/api/history").json();
    assert_eq!(
        h["checkpoints"][0]["phases"],
        serde_json::json!(["ANATASE", "ZINCITE"])
    );
    // A summation needs its library.
    let nolib = serde_json::json!({
        "file": "dara_dev/TiO2_0p4009-ZnO_0p6010--8min.xrdml",
        "options": { "references": ["ANATASE"] },
    });
    let r = s.post("/api/refine", nolib.to_string().as_bytes());
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error().contains("reference"), "{}", r.body);
}
