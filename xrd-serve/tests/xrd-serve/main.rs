//! Integration tests of the workbench server over plain HTTP (std's TcpStream): the security
//! checks, bad inputs answered with JSON errors, and a refinement end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batch;
mod identify;
mod inputs;
mod peaks;
mod refine;
mod security;
mod series;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use xrd_serve::{ServeOptions, Server, StopHandle};

/// The dara_dev scan every refinement test uses (NiO 60.07 wt%, Bi₂O₃ 40.08 wt% weighed).
pub const SCAN: &str = "measured/dara_dev/NiO_0p6007-Bi2O3_0p4008--8min.xrdml";

/// A running server on a fresh folder; stopped when dropped.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub token: String,
    pub dir: PathBuf,
    /// The served name of the folder (`ROOT/…`).
    pub root: String,
    stop: StopHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh empty folder.
pub fn fresh_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xrd-serve-test-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Serves a fresh folder holding `files` (name, bytes), with `max_upload_mb`.
pub fn serve(files: &[(&str, &[u8])], max_upload_mb: usize) -> Running {
    let dir = fresh_dir("root");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    serve_paths(dir, &[], max_upload_mb)
}

/// Serves the fresh folder `dir` (removed at the end) and the folders `more`.
pub fn serve_paths(dir: PathBuf, more: &[PathBuf], max_upload_mb: usize) -> Running {
    let mut paths = vec![dir.clone()];
    paths.extend(more.iter().cloned());
    let server = Server::bind(&ServeOptions {
        paths,
        max_upload_mb,
        // The workspace's cache, as `xrd identify` run from the workspace uses, not one in the
        // crate's folder (cargo runs tests there).
        cache: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/xrd-cache"),
        ..ServeOptions::default()
    })
    .unwrap();
    let addr = server.address();
    let token = server.token().to_string();
    assert!(
        server
            .url()
            .starts_with(&format!("http://127.0.0.1:{}/?token=", addr.port()))
    );
    let stop = server.stop_handle();
    let thread = std::thread::spawn(move || server.run());
    let root = dir.file_name().unwrap().to_string_lossy().into_owned();
    Running {
        addr,
        token,
        dir,
        root,
        stop,
        thread: Some(thread),
    }
}

/// A response: status and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The JSON error message (the reply must be one).
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {}", self.body))
            .to_string()
    }
}

/// Sends a raw request (head lines without the final blank line) and `body`.
pub fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    s.write_all(format!("{head}\r\n\r\n").as_bytes()).unwrap();
    // The server may answer before the body is sent (413): a failed write is fine.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Reply { status, body }
}

impl Running {
    fn head(&self, method: &str, path: &str, len: usize) -> String {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Xrd-Token: {}\r\nContent-Length: {len}",
            self.addr.port(),
            self.token
        )
    }

    /// A request without the token.
    pub fn get_without_token(&self, path: &str) -> Reply {
        raw(
            self.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0",
                self.addr.port()
            ),
            b"",
        )
    }

    pub fn get(&self, path: &str) -> Reply {
        raw(self.addr, &self.head("GET", path, 0), b"")
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        raw(self.addr, &self.head("POST", path, body.len()), body)
    }

    /// Waits for the job to end, as the page does: each request is held until the job has
    /// news or 2 s pass.
    pub fn wait(&self) -> serde_json::Value {
        for _ in 0..120 {
            let j = self.get("/api/job?since=1000000&wait=2000").json();
            if j["running"].is_null() {
                return j;
            }
        }
        panic!("the job did not finish");
    }
}

/// The bytes of `../shared/data/<rel>`, or `None` (skipping) when absent.
pub fn data(rel: &str) -> Option<Vec<u8>> {
    xrd_testdata::shared_data(rel).map(|p| std::fs::read(p).unwrap())
}

/// URL-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
