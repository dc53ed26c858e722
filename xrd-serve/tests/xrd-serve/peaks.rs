//! `GET /api/peaks`: the peak list of a served pattern, as `xrd peaks` gives it.

use crate::{data, serve};

#[test]
fn the_peak_list_of_a_served_scan_is_the_commands() {
    let Some(bytes) = data("real/autoxrd_MnO.xy") else {
        return;
    };
    let s = serve(&[("MnO.xy", &bytes)], 16);
    let file = format!("{}/MnO.xy", s.root);
    let r = s.get(&format!("/api/peaks?file={file}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let rows = v["rows"].as_array().unwrap();
    // The same list as the job (and `xrd peaks`): rock salt's seven lines, 200 the strongest.
    let pattern = xrd_io::read(xrd_testdata::shared_data("real/autoxrd_MnO.xy").unwrap())
        .unwrap()
        .remove(0);
    let job = xrd_jobs::Peaks::new(xrd_jobs::PeaksOptions::default()).unwrap();
    let list = job.run("x", &pattern).unwrap();
    assert_eq!(rows.len(), 7);
    for (got, want) in rows.iter().zip(&list.rows) {
        assert_eq!(got["two_theta"].as_f64().unwrap(), want.two_theta);
        assert_eq!(got["area"].as_f64().unwrap(), want.area);
    }
    assert_eq!(rows[1]["relative_intensity"].as_f64().unwrap(), 100.0);
    let n = v["two_theta"].as_array().unwrap().len();
    assert_eq!(v["calculated"].as_array().unwrap().len(), n);
    assert_eq!(v["observed"].as_array().unwrap().len(), n);
    assert!(
        v["command"].as_str().unwrap().starts_with("xrd peaks "),
        "{}",
        v["command"]
    );
    // Options from the query, and the command that gives them.
    let r = s.get(&format!(
        "/api/peaks?file={file}&min_height=0.2&wavelength=Cu"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(v["rows"].as_array().unwrap().len() < 7);
    let command = v["command"].as_str().unwrap();
    assert!(
        command.ends_with("--min-height 0.2 --wavelength Cu"),
        "{command}"
    );
    // Refused: an option out of range (named), a number that is not one, no file.
    let bad = s.get(&format!("/api/peaks?file={file}&min_height=2"));
    assert_eq!(bad.status, 400);
    assert!(bad.error().contains("min_height"), "{}", bad.body);
    let bad = s.get(&format!("/api/peaks?file={file}&noise_multiple=many"));
    assert_eq!(bad.status, 400);
    assert!(bad.error().contains("noise_multiple"), "{}", bad.body);
    assert_eq!(s.get("/api/peaks").status, 400);
    assert_eq!(
        s.get(&format!("/api/peaks?file={}/none.xy", s.root)).status,
        404
    );
}
