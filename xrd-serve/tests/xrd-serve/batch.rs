//! A batch over a folder: one table, a failing file's error in its row, the rest refined.

use super::*;

#[test]
fn a_batch_keeps_going_past_a_bad_file() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(
        &[
            ("a.xrdml", &scan),
            ("b.xrdml", &scan),
            ("broken.xrdml", &scan[..scan.len() / 2]),
        ],
        64,
    );
    let files: Vec<String> = ["a.xrdml", "broken.xrdml", "b.xrdml"]
        .iter()
        .map(|f| format!("{}/{f}", s.root))
        .collect();
    assert_eq!(s.get("/api/batch").status, 404);
    let bad = [
        (
            serde_json::json!({ "files": [], "mode": "refine" }),
            400,
            "files",
        ),
        (
            serde_json::json!({ "files": files, "mode": "dance" }),
            400,
            "dance",
        ),
        (
            serde_json::json!({ "files": files, "mode": "refine", "options": { "phases": ["NiO"], "stages": ["scale"], "colour": 1 } }),
            400,
            "colour",
        ),
        (
            serde_json::json!({ "files": files, "mode": "refine", "options": { "phases": ["Unobtainium"] } }),
            400,
            "Unobtainium",
        ),
        (
            serde_json::json!({ "files": files, "mode": "identify", "options": { "min_score": 2.0 } }),
            400,
            "min_score",
        ),
    ];
    for (body, status, word) in bad {
        let r = s.post("/api/batch", body.to_string().as_bytes());
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.error().contains(word), "{word}: {}", r.body);
    }
    let body = serde_json::json!({
        "files": files,
        "mode": "refine",
        "options": { "phases": ["NiO", "Bi2O3"], "stages": ["scale"] },
    });
    let r = s.post("/api/batch", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    let busy = s.post("/api/batch", body.to_string().as_bytes());
    if !s.get("/api/job").json()["running"].is_null() {
        assert_eq!(busy.status, 409, "{}", busy.body);
    }
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    assert_eq!(job["kind"], "batch");
    let t = s.get("/api/batch").json();
    assert_eq!(t["done"], 3);
    assert_eq!(t["columns"][0], "file");
    let rows = t["rows"].as_array().unwrap();
    // Two phases of each good file, one error row for the broken one, in the files' order.
    assert_eq!(rows.len(), 5, "{t}");
    assert_eq!(rows[2]["file"], files[1]);
    assert!(
        rows[2]["error"].as_str().unwrap().contains("broken"),
        "{}",
        rows[2]
    );
    let wt = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "weight_fraction")
        .unwrap();
    for r in rows.iter().filter(|r| r["error"].is_null()) {
        let w = r["values"][wt].as_f64().unwrap();
        assert!(w > 0.2 && w < 0.8, "{r}");
    }
    // Both good files are the same scan: the same numbers.
    assert_eq!(rows[0]["values"][wt], rows[3]["values"][wt]);
}

#[test]
fn a_cancelled_batch_stops_and_frees_the_workbench() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(&[("a.xrdml", &scan), ("b.xrdml", &scan)], 64);
    let files: Vec<String> = ["a.xrdml", "b.xrdml"]
        .iter()
        .map(|f| format!("{}/{f}", s.root))
        .collect();
    let body = serde_json::json!({
        "files": files,
        "mode": "refine",
        "options": { "phases": ["NiO", "Bi2O3"] },
    });
    assert_eq!(
        s.post("/api/batch", body.to_string().as_bytes()).status,
        202
    );
    let c = s.post("/api/cancel", b"").json();
    if !c["cancelled"].is_null() {
        let job = s.get("/api/job").json();
        assert_eq!(job["phase"], "cancelled", "{job}");
        assert!(s.get("/api/batch").json()["done"].as_u64() < Some(2));
    }
    let again = serde_json::json!({
        "files": [files[0]],
        "mode": "refine",
        "options": { "phases": ["NiO"], "stages": ["scale"] },
    });
    assert_eq!(
        s.post("/api/batch", again.to_string().as_bytes()).status,
        202
    );
    assert_eq!(s.wait()["phase"], "done");
    assert_eq!(
        s.get("/api/batch").json()["rows"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn a_batch_of_identifications() {
    let Some(mix) = data("measured/dara_dev/In2O3_0p5002-MnCO3_0p5000--2min.xrdml") else {
        return;
    };
    let s = serve(
        &[("mix.xrdml", &mix), ("notes.xy", b"no pattern here\n")],
        64,
    );
    let files: Vec<String> = ["mix.xrdml", "notes.xy"]
        .iter()
        .map(|f| format!("{}/{f}", s.root))
        .collect();
    let body = serde_json::json!({
        "files": files,
        "mode": "identify",
        "options": { "elements": ["In", "Mn", "O", "C"] },
    });
    let r = s.post("/api/batch", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
    let t = s.get("/api/batch").json();
    assert_eq!(t["mode"], "identify");
    assert_eq!(t["columns"][5], "score");
    let rows = t["rows"].as_array().unwrap();
    let (good, bad): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r["error"].is_null());
    assert_eq!(bad.len(), 1, "{t}");
    assert_eq!(bad[0]["file"], files[1]);
    assert!(!good.is_empty());
    for r in good {
        assert_eq!(r["file"], files[0]);
        assert!(
            r["values"][7].as_str().unwrap().starts_with("amcsd:"),
            "{r}"
        );
    }
}
