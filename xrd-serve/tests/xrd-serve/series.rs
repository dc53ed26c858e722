//! A folder refined as a series (`xrd refine --sequential` through the job layer).

use super::*;

#[test]
fn a_series_lands_frame_by_frame() {
    let Some(folder) = xrd_testdata::shared_data("series/cucr2o4_11bm") else {
        return;
    };
    let s = serve_paths(fresh_dir("series"), &[folder], 64);
    let files = ["OH_00.fxye", "OH_04.fxye", "OH_09.fxye"].map(|f| format!("cucr2o4_11bm/{f}"));
    let options = serde_json::json!({
        "phases": ["cucr2o4_11bm/CuCr2O4.cif", "cucr2o4_11bm/CuO.cif"],
        "instrument": "cucr2o4_11bm/OH_00.prm",
    });
    // Refused before any job starts: no files, a file outside, an option the series lacks.
    let bad = [
        (serde_json::json!({ "files": [], "options": options }), 400),
        (
            serde_json::json!({ "files": ["cucr2o4_11bm/../../x.fxye"], "options": options }),
            403,
        ),
        (
            serde_json::json!({ "files": files, "options": { "phases": ["CuO"], "standard": {"spec": "CuO", "weight": 0.1} } }),
            400,
        ),
        (
            serde_json::json!({ "files": files, "options": { "phases": ["CuO"], "resume": true } }),
            400,
        ),
    ];
    for (body, status) in bad {
        let r = s.post("/api/series", body.to_string().as_bytes());
        assert_eq!(r.status, status, "{body}: {}", r.body);
        r.error();
    }
    assert_eq!(s.get("/api/series").status, 404);
    let body = serde_json::json!({ "files": files, "options": options }).to_string();
    let r = s.post("/api/series", body.as_bytes());
    assert_eq!(r.status, 202, "{}", r.body);
    let job = s.wait();
    assert_eq!(job["phase"], "done", "{job}");
    let t = s.get("/api/series").json();
    assert_eq!(t["phases"], serde_json::json!(["CuCr2O4", "CuO"]));
    let rows = t["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let columns: Vec<&str> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let wt = columns.iter().position(|c| *c == "CuO_wt").unwrap();
    for row in rows {
        assert_eq!(row.as_array().unwrap().len(), columns.len());
        let w = row[wt].as_f64().unwrap();
        assert!(w > 0.0 && w < 0.1, "CuO {w}");
    }
    // What the series says as a whole, as `xrd refine --sequential` prints it: these frames'
    // backgrounds miss a slow part of the pattern.
    let notes = t["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .starts_with("3 of 3 frames: the background misses a slow part"),
        "{notes:?}"
    );
    // A frame opens with its file and its refined phases (and their reflection ticks).
    let f = s.get("/api/series?frame=1").json();
    assert_eq!(f["file"], "cucr2o4_11bm/OH_04.fxye");
    let phases = f["fit"]["refinement"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    assert!(!phases[0]["ticks"].as_array().unwrap().is_empty());
    // … and its fit drawn again from the state the series kept: the curves of its Rwp.
    let curves = &f["curves"];
    let n = curves["two_theta"].as_array().expect("curves").len();
    assert!(n > 1000, "{n} points");
    for k in ["observed", "calculated", "background", "difference"] {
        assert_eq!(curves[k].as_array().unwrap().len(), n, "{k}");
    }
    assert_eq!(curves["phase_curves"].as_array().unwrap().len(), 2);
    let rwp = f["fit"]["refinement"]["rwp"].as_f64().unwrap();
    let again = curves["rwp"].as_f64().unwrap();
    assert!((again - rwp).abs() <= 1e-9 * rwp, "{again} against {rwp}");
    assert_eq!(s.get("/api/series?frame=7").status, 404);
    // One frame refined alone: its file's esds come with the fit, for the Δ/σ panel.
    let body = serde_json::json!({ "file": files[0], "options": options }).to_string();
    assert_eq!(s.post("/api/refine", body.as_bytes()).status, 202);
    assert_eq!(s.wait()["phase"], "done");
    let r = s.get("/api/result").json();
    let sigma = r["sigma"].as_array().expect("the FXYE file's esds");
    assert_eq!(sigma.len(), r["two_theta"].as_array().unwrap().len());
    assert!(sigma.iter().all(|v| v.as_f64().unwrap() > 0.0));
}

#[test]
fn a_series_heat_map_has_a_row_per_frame() {
    let Some(folder) = xrd_testdata::shared_data("series/cucr2o4_11bm") else {
        return;
    };
    // Two frames and a file that is no pattern, in the served folder beside the series'.
    let dir = fresh_dir("series-map");
    for f in ["OH_00.fxye", "OH_04.fxye"] {
        std::fs::copy(folder.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("OH_09.fxye"), b"not a pattern\n").unwrap();
    let s = serve_paths(dir, &[folder], 64);
    assert_eq!(s.get("/api/series?map=1").status, 404, "no series yet");
    let files: Vec<String> = ["OH_00.fxye", "OH_09.fxye", "OH_04.fxye"]
        .iter()
        .map(|f| format!("{}/{f}", s.root))
        .collect();
    let options = serde_json::json!({
        "phases": ["cucr2o4_11bm/CuCr2O4.cif", "cucr2o4_11bm/CuO.cif"],
        "instrument": "cucr2o4_11bm/OH_00.prm",
    });
    let body = serde_json::json!({ "files": files, "options": options }).to_string();
    assert_eq!(s.post("/api/series", body.as_bytes()).status, 202);
    // The map is of the data: it is there while the frames are still being refined.
    assert_eq!(s.get_without_token("/api/series?map=1").status, 403);
    for bad in ["abc", "-3", "1e3"] {
        let r = s.get(&format!("/api/series?map=1&width={bad}"));
        assert_eq!(r.status, 400, "width={bad}: {}", r.body);
        r.error();
    }
    let m = s.get("/api/series?map=1&width=500").json();
    assert_eq!(m["width"], 500);
    let tth: Vec<f64> = m["two_theta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(tth.len(), 500);
    assert!(tth.windows(2).all(|w| w[0] < w[1]));
    let rows = m["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "one row per frame");
    // The file that is no pattern: an empty row and its error, the others drawn.
    assert!(rows[1].is_null());
    assert_eq!(m["errors"][0]["frame"], 1);
    for k in [0, 2] {
        let row: Vec<f64> = rows[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(row.len(), 500);
        assert!(row.iter().all(|v| v.is_finite()));
        // Each column is its bucket's maximum: the strongest peak survives.
        let p = s
            .get(&format!("/api/pattern?file={}", enc(&files[k])))
            .json();
        let (lo, hi) = (
            m["range"][0].as_f64().unwrap(),
            m["range"][1].as_f64().unwrap(),
        );
        let top = p["x"]
            .as_array()
            .unwrap()
            .iter()
            .zip(p["y"].as_array().unwrap())
            .filter(|(x, _)| (lo..=hi).contains(&x.as_f64().unwrap()))
            .map(|(_, y)| y.as_f64().unwrap())
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(row.iter().copied().fold(f64::NEG_INFINITY, f64::max), top);
    }
    // Widths are clamped to 200-2000 columns.
    let narrow = s.get("/api/series?map=1&width=5").json();
    assert_eq!(narrow["two_theta"].as_array().unwrap().len(), 200);
    let wide = s.get("/api/series?map=1&width=99999").json();
    assert_eq!(wide["rows"][0].as_array().unwrap().len(), 2000);
    s.post("/api/cancel", b"");
    s.wait();
}
