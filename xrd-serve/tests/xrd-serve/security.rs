//! Token, Host, Origin, upload size and paths outside the served folders.

use super::*;

#[test]
fn the_api_needs_the_token() {
    let s = serve(&[], 64);
    let port = s.addr.port();
    let no_token = raw(
        s.addr,
        &format!("GET /api/files HTTP/1.1\r\nHost: 127.0.0.1:{port}"),
        b"",
    );
    assert_eq!(no_token.status, 403);
    assert!(no_token.error().contains("token"));
    let wrong = raw(
        s.addr,
        &format!(
            "GET /api/files HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Xrd-Token: 0123456789abcdef0123456789abcdef"
        ),
        b"",
    );
    assert_eq!(wrong.status, 403);
    let in_query = raw(
        s.addr,
        &format!(
            "GET /api/files?token={} HTTP/1.1\r\nHost: localhost:{port}",
            s.token
        ),
        b"",
    );
    assert_eq!(in_query.status, 200, "{}", in_query.body);
    assert_eq!(s.get("/api/files").status, 200);
    // The page itself is public (it holds no data) and comes from inside the binary.
    let page = raw(
        s.addr,
        &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}"),
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("uPlot.iife.min.js") && !page.body.contains("http"));
    let js = raw(
        s.addr,
        &format!("GET /assets/uPlot.iife.min.js HTTP/1.1\r\nHost: 127.0.0.1:{port}"),
        b"",
    );
    assert!(js.status == 200 && js.body.starts_with("/*! https://github.com/leeoniya/uPlot"));
}

#[test]
fn a_foreign_host_is_refused() {
    let s = serve(&[], 64);
    let port = s.addr.port();
    for host in [
        format!("evil.example:{port}"),
        "127.0.0.1:1".to_string(),
        String::new(),
    ] {
        let r = raw(
            s.addr,
            &format!(
                "GET /api/files HTTP/1.1\r\nHost: {host}\r\nX-Xrd-Token: {}",
                s.token
            ),
            b"",
        );
        assert_eq!(r.status, 421, "Host {host}: {}", r.body);
        assert!(r.error().contains("Host"));
    }
    let ok = raw(
        s.addr,
        &format!(
            "GET /api/files HTTP/1.1\r\nHost: LOCALHOST:{port}\r\nX-Xrd-Token: {}",
            s.token
        ),
        b"",
    );
    assert_eq!(ok.status, 200);
}

#[test]
fn a_cross_site_post_is_refused() {
    let s = serve(&[], 64);
    let port = s.addr.port();
    let body = br#"{"file":"x","options":{"phases":["NiO"]}}"#;
    let head = |origin: &str| {
        format!(
            "POST /api/refine HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nX-Xrd-Token: {}\r\nContent-Length: {}",
            s.token,
            body.len()
        )
    };
    let evil = raw(s.addr, &head("http://evil.example"), body);
    assert_eq!(evil.status, 403);
    assert!(evil.error().contains("Origin"));
    let https = raw(s.addr, &head(&format!("https://127.0.0.1:{port}")), body);
    assert_eq!(https.status, 403);
    // The page's own origin passes the check (and the request fails later, on its file).
    let own = raw(s.addr, &head(&format!("http://127.0.0.1:{port}")), body);
    assert_eq!(own.status, 404, "{}", own.body);
}

#[test]
fn an_upload_over_the_limit_is_refused_before_it_is_read() {
    let s = serve(&[], 1);
    let port = s.addr.port();
    let r = raw(
        s.addr,
        &format!(
            "POST /api/upload?name=big.xy HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Xrd-Token: {}\r\nContent-Length: 5000000",
            s.token
        ),
        &[b'1'; 4096],
    );
    assert_eq!(r.status, 413);
    assert!(r.error().contains("limit"));
    // Still serving.
    assert_eq!(s.get("/api/files").status, 200);
}

#[test]
fn paths_outside_the_served_folder_are_refused() {
    let s = serve(&[("a.xy", b"10 1\n10.1 2\n10.2 3\n")], 64);
    let outside = fresh_dir("outside");
    std::fs::write(outside.join("secret.xy"), b"10 1\n10.1 2\n10.2 3\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.join("secret.xy"), s.dir.join("link.xy")).unwrap();
    let root = &s.root;
    for name in [
        format!(
            "{root}/../{}/secret.xy",
            outside.file_name().unwrap().to_string_lossy()
        ),
        format!("{root}/../../../../etc/passwd"),
        format!("{root}/link.xy"),
        "uploads/../../etc/passwd".to_string(),
    ] {
        let r = s.get(&format!("/api/pattern?file={}", enc(&name)));
        assert_eq!(r.status, 403, "{name}: {}", r.body);
        assert!(r.error().contains("outside"));
    }
    // Percent-encoded dots decode to a parent folder, refused as well.
    let r = s.get(&format!(
        "/api/pattern?file={root}/%2e%2e/%2E%2E/etc/passwd"
    ));
    assert_eq!(r.status, 403, "{}", r.body);
    for name in ["/etc/passwd", "nosuchroot/a.xy"] {
        let r = s.get(&format!("/api/pattern?file={}", enc(name)));
        assert_eq!(r.status, 404, "{name}: {}", r.body);
    }
    // A raw traversal in the request target is no route either.
    assert_eq!(s.get("/assets/../../etc/passwd").status, 404);
    // A structure file named by a refinement goes through the same check.
    let body =
        format!(r#"{{"file":"{root}/a.xy","options":{{"phases":["{root}/../../etc/x.cif"]}}}}"#);
    let r = s.post("/api/refine", body.as_bytes());
    assert_eq!(r.status, 403, "{}", r.body);
    let listed = s.get("/api/files").json();
    let files: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&format!("{root}/a.xy").as_str()),
        "{files:?}"
    );
    let _ = std::fs::remove_dir_all(outside);
}
