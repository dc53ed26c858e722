//! Bad inputs: each answered with a JSON error naming what is wrong, the server still serving.

use super::*;

/// A cubic cell with no atom sites.
const EMPTY_CIF: &str = "data_empty\n_cell_length_a 4.0\n_cell_length_b 4.0\n_cell_length_c 4.0\n\
_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'P m -3 m'\n";

fn still_serving(s: &Running) {
    assert_eq!(s.get("/api/files").status, 200);
}

#[test]
fn random_bytes_are_no_pattern() {
    let s = serve(&[], 64);
    // Fixed pseudo-random bytes (xorshift), not text.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for name in ["noise.bin", "noise.xy", "noise.xrdml"] {
        let r = s.post(&format!("/api/upload?name={name}"), &bytes);
        assert_eq!(r.status, 400, "{name}: {}", r.body);
        assert!(r.error().contains(name), "{}", r.body);
        still_serving(&s);
    }
    let r = s.post("/api/upload?name=empty.xy", b"");
    assert_eq!(r.status, 400);
    // Nothing was stored.
    let files = s.get("/api/files").json();
    assert!(files["files"].as_array().unwrap().is_empty(), "{files}");
}

#[test]
fn a_truncated_xrdml_is_refused() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(&[], 64);
    let cut = &scan[..scan.len() / 2];
    let r = s.post("/api/upload?name=cut.xrdml", cut);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error().contains("cut.xrdml"));
    still_serving(&s);
    // The whole file uploads, is listed and reads.
    let r = s.post("/api/upload?name=whole.xrdml", &scan);
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["name"], "uploads/whole.xrdml");
    assert_eq!(j["info"]["format"], "Xrdml");
    assert_eq!(j["info"]["points"], 8282);
}

#[test]
fn malformed_requests_are_json_errors() {
    let s = serve(&[("a.xy", b"10 1\n10.1 2\n10.2 3\n")], 64);
    let file = format!("{}/a.xy", s.root);
    for (body, status, needle) in [
        ("not json".to_string(), 400, "request"),
        (
            format!(r#"{{"file":"{file}","options":{{"phase":["NiO"]}}}}"#),
            400,
            "phase",
        ),
        (
            format!(r#"{{"file":"{file}","options":{{"phases":[]}}}}"#),
            400,
            "phases",
        ),
        (
            format!(r#"{{"file":"{file}","options":{{"phases":["NiO"],"particle_size":-3}}}}"#),
            400,
            "particle_size",
        ),
        (
            format!(r#"{{"file":"{file}","options":{{"phases":["NiO"],"stages":["magic"]}}}}"#),
            400,
            "magic",
        ),
        (
            format!(r#"{{"file":"{file}","options":{{"phases":["NiO"]}},"wavelength":"banana"}}"#),
            400,
            "wavelength",
        ),
        (
            format!(
                r#"{{"file":"{file}","options":{{"phases":["NiO"],"save_instrument":"x.json"}}}}"#
            ),
            400,
            "save_instrument",
        ),
    ] {
        let r = s.post("/api/refine", body.as_bytes());
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.error().contains(needle), "{body}: {}", r.body);
        // A refused request leaves no job behind.
        assert!(s.get("/api/job").json()["running"].is_null());
    }
    assert_eq!(s.get("/api/nothing").status, 405);
    assert_eq!(s.get("/elsewhere").status, 404);
    assert_eq!(s.get("/api/pattern").status, 400);
    assert_eq!(s.get("/api/result").status, 404);
    assert_eq!(s.get("/api/export?what=csv").status, 404);
    assert_eq!(s.post("/api/undo", b"").status, 409);
    still_serving(&s);
}

#[test]
fn an_unknown_phase_and_a_cif_without_atoms_are_refused() {
    let Some(scan) = data(SCAN) else { return };
    let s = serve(&[("scan.xrdml", &scan)], 64);
    let file = format!("{}/scan.xrdml", s.root);
    let r = s.post(
        "/api/refine",
        format!(r#"{{"file":"{file}","options":{{"phases":["Unobtainium"]}}}}"#).as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error().contains("Unobtainium"), "{}", r.body);
    let up = s.post("/api/upload?name=empty.cif", EMPTY_CIF.as_bytes());
    assert_eq!(up.status, 200, "{}", up.body);
    let r = s.post(
        "/api/refine",
        format!(r#"{{"file":"{file}","options":{{"phases":["uploads/empty.cif"]}}}}"#).as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error().contains("empty.cif"), "{}", r.body);
    let missing = s.post(
        "/api/refine",
        format!(r#"{{"file":"{file}","options":{{"phases":["uploads/none.cif"]}}}}"#).as_bytes(),
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    let job = s.get("/api/job").json();
    assert_eq!(job["phase"], "failed");
    still_serving(&s);
}

#[test]
fn long_patterns_are_decimated_by_min_and_max() {
    let n = 30_000;
    let mut xy = String::new();
    for i in 0..n {
        let t = 10.0 + i as f64 * 0.002;
        let y = if i == 17_777 {
            5000.0
        } else {
            100.0 + (i % 7) as f64
        };
        xy.push_str(&format!("{t:.4} {y}\n"));
    }
    let s = serve(&[("long.xy", xy.as_bytes())], 64);
    let r = s.get(&format!(
        "/api/pattern?file={}/long.xy&buckets=1000",
        s.root
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["points"], n);
    assert_eq!(j["decimated"], true);
    let y = j["y"].as_array().unwrap();
    assert!(y.len() <= 2000 && y.len() >= 1000, "{}", y.len());
    assert!(y.iter().any(|v| v.as_f64() == Some(5000.0)));
    assert!(y.iter().any(|v| v.as_f64() == Some(100.0)));
}
