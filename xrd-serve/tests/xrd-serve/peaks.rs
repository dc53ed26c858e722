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
    // The scan's neighbouring points share their noise: the esds grew by √τ, τ given.
    assert_eq!(
        v["correlation_time"].as_f64().unwrap(),
        list.correlation_time
    );
    assert!(list.correlation_time > 2.0, "{}", list.correlation_time);
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

/// A GSAS file of the two scans as banks 1 and 2 (FXYE: 2θ in centidegrees, intensity, esd).
fn two_banks(first: &xrd_io::Pattern, second: &xrd_io::Pattern) -> String {
    let mut text = String::from("two scans as banks\n");
    for (k, p) in [first, second].into_iter().enumerate() {
        let n = p.len();
        let (start, step) = (100.0 * p.two_theta()[0], 100.0 * p.step().unwrap());
        text += &format!("BANK {} {n} {n} CONS {start} {step} 0 0 FXYE\n", k + 1);
        for (x, y) in p.two_theta().iter().zip(p.intensity()) {
            text += &format!("{:.4} {y:.4} {:.4}\n", 100.0 * x, y.max(1.0).sqrt());
        }
    }
    text
}

#[test]
fn one_pattern_of_a_file_of_several_is_opened_fitted_and_exported_as_file_hash_k() {
    let (Some(a), Some(b)) = (
        xrd_testdata::shared_data("real/autoxrd_MnO.xy"),
        xrd_testdata::shared_data("real/autoxrd_TiO2.xy"),
    ) else {
        return;
    };
    let (mno, tio2) = (
        xrd_io::read(a).unwrap().remove(0),
        xrd_io::read(b).unwrap().remove(0),
    );
    let s = serve(&[("two.fxye", two_banks(&mno, &tio2).as_bytes())], 16);
    let file = format!("{}/two.fxye", s.root);
    // The whole file: two patterns, none picked; `#2` (sent as %23) picks the second.
    let v = s.get(&format!("/api/pattern?file={file}")).json();
    assert_eq!(
        (v["patterns"].as_u64(), v["number"].is_null()),
        (Some(2), true)
    );
    let r = s.get(&format!("/api/pattern?file={file}%232"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["patterns"].as_u64(), v["number"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(v["range"][0].as_f64().unwrap(), tio2.two_theta()[0]);
    for bad in ["%230", "%233"] {
        let r = s.get(&format!("/api/pattern?file={file}{bad}"));
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
        assert!(r.error().contains("holds 2"), "{}", r.body);
    }
    // The peak list of pattern 2 is TiO2's, whether picked by name or by index, and its command
    // names the pattern as `file#2`, which `xrd peaks` reads alone.
    let want = xrd_jobs::Peaks::new(xrd_jobs::PeaksOptions::default())
        .unwrap()
        .run(
            "x",
            &xrd_io::read(format!("{}#2", s.dir.join("two.fxye").display())).unwrap()[0],
        )
        .unwrap();
    for query in [format!("file={file}%232"), format!("file={file}&pattern=1")] {
        let r = s.get(&format!("/api/peaks?{query}"));
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        let v = r.json();
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), want.rows.len(), "{query}");
        for (got, want) in rows.iter().zip(&want.rows) {
            assert_eq!(got["two_theta"].as_f64().unwrap(), want.two_theta);
        }
        let command = v["command"].as_str().unwrap();
        assert!(command.contains("two.fxye#2"), "{command}");
    }
}
