//! Identification and the library's suggestions: bad input answered with JSON errors, an
//! identification of a dara_dev mixture, its phases refined by their library ids.

use super::*;

/// The In₂O₃ + MnCO₃ mixture (50 : 50 wt% weighed).
const MIXTURE: &str = "measured/dara_dev/In2O3_0p5002-MnCO3_0p5000--8min.xrdml";

fn identify(file: &str, options: serde_json::Value) -> Vec<u8> {
    serde_json::json!({ "file": file, "options": options })
        .to_string()
        .into_bytes()
}

#[test]
fn the_library_suggests_entries_with_their_judgement() {
    let s = serve(&[], 1);
    let no_token = s.get_without_token("/api/library?q=calcite");
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    assert!(no_token.error().contains("token"));
    let missing = s.get("/api/library");
    assert_eq!(missing.status, 400);
    assert!(missing.error().contains("q="));
    let long = s.get(&format!("/api/library?q={}", "a".repeat(150)));
    assert_eq!(long.status, 400);
    let r = s.get("/api/library?q=calcite");
    assert_eq!(r.status, 200, "{}", r.body);
    let entries = r.json()["entries"].as_array().unwrap().clone();
    assert!(
        !entries.is_empty() && entries.len() <= 20,
        "{}",
        entries.len()
    );
    // The name resolves first, best reference first, as `xrd library show calcite` ranks.
    let first = &entries[0];
    assert_eq!(first["name"], "Calcite", "{first}");
    assert!(first["id"].as_str().unwrap().starts_with("amcsd:"));
    assert_eq!(first["space_group"], 167);
    assert_eq!(first["ambient"], true);
    assert!(!first["judgement"].as_str().unwrap().is_empty());
    // A prefix of a name, and an id as the refinement takes it.
    let prefix = s.get("/api/library?q=rhodoch").json();
    assert!(
        prefix["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "Rhodochrosite"),
        "{prefix}"
    );
    let id = first["id"].as_str().unwrap();
    let by_id = s.get(&format!("/api/library?q={}", enc(id))).json();
    assert_eq!(by_id["entries"][0]["id"], id);
    let nothing = s.get("/api/library?q=unobtainium").json();
    assert_eq!(nothing["entries"].as_array().unwrap().len(), 0);
    assert_eq!(s.get("/api/files").status, 200);
}

#[test]
fn bad_identifications_are_refused_with_json_errors() {
    let Some(scan) = data(MIXTURE) else { return };
    let s = serve(&[("mix.xrdml", &scan)], 64);
    let file = format!("{}/mix.xrdml", s.root);
    assert_eq!(s.get("/api/identify").status, 404);
    let cases = [
        (
            identify(&file, serde_json::json!({ "dance": 1 })),
            400,
            "dance",
        ),
        (
            identify(&file, serde_json::json!({ "elements": ["Xx"] })),
            400,
            "elements",
        ),
        (identify(&file, serde_json::json!({ "top": 0 })), 400, "top"),
        (
            identify(&file, serde_json::json!({ "builtin": false })),
            400,
            "library",
        ),
        (
            identify(&file, serde_json::json!({ "cache": "/tmp/elsewhere" })),
            400,
            "cache",
        ),
        (
            identify(&file, serde_json::json!({ "library": ["/etc"] })),
            404,
            "/etc",
        ),
        (
            identify(
                &file,
                serde_json::json!({ "library": [format!("{}/../..", s.root)] }),
            ),
            403,
            "outside",
        ),
        (
            identify("nowhere/x.xy", serde_json::json!({})),
            404,
            "nowhere",
        ),
        (br#"{"file": "a", "extra": 1}"#.to_vec(), 400, "extra"),
        (b"not json".to_vec(), 400, "request"),
    ];
    for (body, status, word) in cases {
        let r = s.post("/api/identify", &body);
        assert_eq!(
            r.status,
            status,
            "{}: {}",
            String::from_utf8_lossy(&body),
            r.body
        );
        assert!(r.error().contains(word), "{word}: {}", r.body);
    }
    // A file that is not a pattern: the job slot is released with the reader's error.
    let s2 = serve(&[("noise.xy", b"\x00\x01\x02garbage")], 1);
    let r = s2.post(
        "/api/identify",
        &identify(&format!("{}/noise.xy", s2.root), serde_json::json!({})),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let job = s2.get("/api/job").json();
    assert!(
        job["running"].is_null() && job["phase"] == "failed",
        "{job}"
    );
    assert_eq!(s.get("/api/files").status, 200);
}

#[test]
fn identify_then_refine_the_phases_found() {
    let Some(scan) = data(MIXTURE) else { return };
    let s = serve(&[("mix.xrdml", &scan)], 64);
    let file = format!("{}/mix.xrdml", s.root);
    let options = serde_json::json!({ "elements": ["In", "Mn", "O", "C"] });
    let r = s.post("/api/identify", &identify(&file, options.clone()));
    assert_eq!(r.status, 202, "{}", r.body);
    // One job at a time: a refinement or a second identification waits.
    let busy = s.post("/api/identify", &identify(&file, options.clone()));
    if !s.get("/api/job").json()["running"].is_null() {
        assert_eq!(busy.status, 409, "{}", busy.body);
    }
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    assert_eq!(job["kind"], "identify");
    let found = s.get("/api/identify").json();
    assert_eq!(found["file"], file);
    let rows: Vec<&serde_json::Value> = found["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["phase"].as_u64() > Some(0))
        .collect();
    assert!(!rows.is_empty(), "{found}");
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("In2") || n.contains("Rhodochrosite")),
        "{names:?}"
    );
    for r in &rows {
        assert!(r["source"].as_str().unwrap().starts_with("amcsd:"), "{r}");
        assert!(r["weight_fraction"].as_f64().unwrap() > 0.0);
        assert!(r["rwp"].as_f64().unwrap() < 0.3);
    }
    let candidates = found["candidates"].as_array().unwrap();
    assert!(candidates.iter().any(|c| c["found"] == true), "{found}");
    assert!(candidates.iter().all(|c| c["score"].as_f64().is_some()));
    assert!(found["fit"]["calculated"].as_array().unwrap().len() > 1000);
    // A second identification with the same options reuses the job's matcher: no
    // reference set is built again.
    let r = s.post("/api/identify", &identify(&file, options));
    assert_eq!(r.status, 202, "{}", r.body);
    let again = s.wait();
    assert_eq!(again["phase"], "done");
    let events = again["events"].as_array().unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("reference sets")),
        "{events:?}"
    );
    // The ids found, as the refinement takes them.
    let ids: Vec<&str> = rows.iter().map(|r| r["source"].as_str().unwrap()).collect();
    let body = serde_json::json!({
        "file": file,
        "options": { "phases": ids, "stages": ["scale", "cells"] },
    });
    let r = s.post("/api/refine", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
    let fit = s.get("/api/result").json();
    assert_eq!(fit["rows"].as_array().unwrap().len(), ids.len());
    for (row, id) in fit["rows"].as_array().unwrap().iter().zip(&ids) {
        assert_eq!(row["source"], *id);
    }
}

#[test]
fn a_cancelled_identification_frees_the_workbench() {
    let Some(scan) = data(MIXTURE) else { return };
    let s = serve(&[("mix.xrdml", &scan)], 64);
    let file = format!("{}/mix.xrdml", s.root);
    let r = s.post("/api/identify", &identify(&file, serde_json::json!({})));
    assert_eq!(r.status, 202, "{}", r.body);
    let c = s.post("/api/cancel", b"").json();
    if !c["cancelled"].is_null() {
        let job = s.get("/api/job").json();
        assert_eq!(job["phase"], "cancelled", "{job}");
        assert_eq!(job["kind"], "identify");
        // A cancelled identification leaves no result.
        assert_eq!(s.get("/api/identify").status, 404);
    }
    let body = serde_json::json!({ "file": file, "options": { "phases": ["In2O3"], "stages": ["scale"] } });
    let r = s.post("/api/refine", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
}

#[test]
fn identify_against_a_served_cif_folder_and_refine_by_served_names() {
    let Some(scan) = data(MIXTURE) else { return };
    let Some(cif) = xrd_testdata::shared_data("cif") else {
        return;
    };
    let dir = fresh_dir("cifs");
    std::fs::write(dir.join("mix.xrdml"), &scan).unwrap();
    let s = serve_paths(dir, &[cif], 64);
    let file = format!("{}/mix.xrdml", s.root);
    let r = s.post(
        "/api/identify",
        &identify(
            &file,
            serde_json::json!({ "builtin": false, "library": ["cif"], "elements": ["In", "O"] }),
        ),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    let found = s.get("/api/identify").json();
    let rows = found["rows"].as_array().unwrap();
    let specs = found["specs"].as_array().unwrap();
    assert_eq!(rows.len(), specs.len());
    // The folder's In2O3 found, its spec the served name, not the server's path.
    let k = rows
        .iter()
        .position(|r| {
            r["source"]
                .as_str()
                .is_some_and(|s| s.ends_with("In2O3_Marezio1966.cif"))
        })
        .unwrap_or_else(|| panic!("{found}"));
    assert_eq!(specs[k], "cif/In2O3_Marezio1966.cif");
    let body = serde_json::json!({
        "file": file,
        "options": { "phases": [specs[k]], "stages": ["scale"] },
    });
    let r = s.post("/api/refine", body.to_string().as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(s.wait()["phase"], "done");
    assert_eq!(
        s.get("/api/result").json()["rows"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
