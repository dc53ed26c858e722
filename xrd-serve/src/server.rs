//! The server: its options, the listening socket, the token and the checks every request
//! passes (Host, Origin, token) before it reaches the API.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::files::Served;
use crate::http::{Refused, Response, read_request};
use crate::job::Bench;
use crate::{Error, Result};

/// The default upload limit (MB).
pub const DEFAULT_MAX_UPLOAD_MB: usize = 64;
/// Connections served at once; more are answered 503.
const MAX_CONNECTIONS: usize = 32;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What `xrd serve` is started with.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Pattern files and folders to serve (read-only).
    pub paths: Vec<PathBuf>,
    /// The address to listen on (default 127.0.0.1).
    pub host: String,
    /// The port (0: any free port).
    pub port: u16,
    /// Largest upload, in MB (default [`DEFAULT_MAX_UPLOAD_MB`]).
    pub max_upload_mb: usize,
    /// The access token; `None` draws a random one.
    pub token: Option<String>,
    /// Folder of the reference patterns identifications cache (default
    /// [`xrd_jobs::DEFAULT_CACHE`], as `xrd identify`); a page cannot name another.
    pub cache: PathBuf,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            host: "127.0.0.1".into(),
            port: 0,
            max_upload_mb: DEFAULT_MAX_UPLOAD_MB,
            token: None,
            cache: PathBuf::from(xrd_jobs::DEFAULT_CACHE),
        }
    }
}

impl ServeOptions {
    /// Whether `host` is a loopback address (or `localhost`): anything else exposes the
    /// workbench to the network, which a front end should say.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .trim_matches(['[', ']'])
                .parse::<IpAddr>()
                .is_ok_and(|a| a.is_loopback())
    }
}

/// Shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub token: String,
    pub served: Served,
    pub max_upload: usize,
    /// Where identifications cache their reference patterns.
    pub cache: PathBuf,
    /// The Host header values accepted (`host:port`, `host`), lower-cased.
    pub hosts: Vec<String>,
    pub bench: Mutex<Bench>,
    /// Identification jobs kept with their matchers, by their options (JSON).
    pub identify_jobs: xrd_jobs::Kept<xrd_jobs::Identify>,
    pub stop: AtomicBool,
    pub connections: AtomicUsize,
}

/// A bound workbench server; [`Server::run`] serves until [`Server::stop_handle`]'s handle
/// stops it.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    address: SocketAddr,
    shared: Arc<Shared>,
    display_host: String,
}

/// Stops a running server (from another thread or a signal handler's thread).
#[derive(Debug, Clone)]
pub struct StopHandle {
    shared: Arc<Shared>,
    address: SocketAddr,
}

impl StopHandle {
    /// Stops the server: [`Server::run`] returns after the connection in hand.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_millis(200));
    }
}

/// 128 random bits as hex, from the operating system when it has a source, else from std's
/// randomly keyed hasher mixed with the time and process id.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if from_os.is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in bytes.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.write_u32(std::process::id());
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    /// Checks `options`, opens the served paths and binds the socket.
    ///
    /// # Errors
    /// [`Error::File`] for a path that does not exist, [`Error::Bind`] when the address is
    /// taken or not ours, [`Error::InvalidOption`] for an upload limit of 0 or an empty host.
    pub fn bind(options: &ServeOptions) -> Result<Self> {
        if options.max_upload_mb == 0 {
            return Err(Error::InvalidOption {
                name: "max_upload",
                reason: "must be at least 1 MB".into(),
            });
        }
        if options.host.trim().is_empty() {
            return Err(Error::InvalidOption {
                name: "host",
                reason: "empty".into(),
            });
        }
        if let Some(t) = &options.token
            && (t.len() < 16 || !t.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(Error::InvalidOption {
                name: "token",
                reason: "at least 16 letters or digits".into(),
            });
        }
        let token = options.token.clone().unwrap_or_else(random_token);
        // Named by another random draw: the temporary folder's name is visible to every local
        // user, the token must not be.
        let uploads = std::env::temp_dir().join(format!("xrd-serve-{}", &random_token()[..16]));
        let served = Served::new(&options.paths, uploads)?;
        let host = options.host.trim_matches(['[', ']']).to_string();
        let address = if host.contains(':') {
            format!("[{host}]:{}", options.port)
        } else {
            format!("{host}:{}", options.port)
        };
        let listener = TcpListener::bind(&address).map_err(|source| Error::Bind {
            address: address.clone(),
            source,
        })?;
        let bound = listener.local_addr().map_err(|source| Error::Bind {
            address: address.clone(),
            source,
        })?;
        let port = bound.port();
        crate::library::preload();
        let display_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let mut hosts = Vec::new();
        let mut names = vec![display_host.to_ascii_lowercase()];
        if options.is_loopback() {
            names.extend(["127.0.0.1".into(), "localhost".into(), "[::1]".into()]);
        }
        for n in names {
            hosts.push(format!("{n}:{port}"));
            if port == 80 {
                hosts.push(n);
            }
        }
        let shared = Arc::new(Shared {
            token,
            served,
            max_upload: options.max_upload_mb * 1_000_000,
            cache: options.cache.clone(),
            hosts,
            bench: Mutex::new(Bench::new()),
            identify_jobs: xrd_jobs::Kept::new(crate::identify::KEPT_JOBS),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
        });
        Ok(Self {
            listener,
            address: bound,
            shared,
            display_host,
        })
    }

    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The access token.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The URL to open: `http://HOST:PORT/?token=…`.
    pub fn url(&self) -> String {
        format!(
            "http://{}:{}/?token={}",
            self.display_host,
            self.address.port(),
            self.shared.token
        )
    }

    /// A handle that stops [`Server::run`].
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            shared: Arc::clone(&self.shared),
            address: self.address,
        }
    }

    /// Serves until stopped, one thread per connection (at most 32 at once), then removes
    /// the upload folder.
    pub fn run(self) {
        for stream in self.listener.incoming() {
            if self.shared.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let shared = Arc::clone(&self.shared);
            if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                shared.connections.fetch_sub(1, Ordering::SeqCst);
                let _ = Response::error(503, "too many connections").write(&stream);
                continue;
            }
            let spawned = std::thread::Builder::new()
                .name("xrd-serve".into())
                .spawn(move || {
                    handle(&shared, &stream);
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                });
            if spawned.is_err() {
                self.shared.connections.fetch_sub(1, Ordering::SeqCst);
            }
        }
        if let Some(running) = &self
            .shared
            .bench
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running
        {
            running.control.cancel();
        }
        let _ = std::fs::remove_dir_all(self.shared.served.uploads());
    }
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The checks of a request, in order: Host (DNS rebinding), Origin (cross-site requests),
/// then the token for the API.
fn guard(shared: &Shared, req: &crate::http::Request) -> Option<Response> {
    let host = req.header("host").unwrap_or("").to_ascii_lowercase();
    if !shared.hosts.contains(&host) {
        return Some(Response::error(
            421,
            format!("Host `{host}` refused: open the URL xrd serve printed"),
        ));
    }
    if let Some(origin) = req.header("origin") {
        let origin = origin.to_ascii_lowercase();
        let ok = origin
            .strip_prefix("http://")
            .is_some_and(|o| shared.hosts.iter().any(|h| h == o));
        if !ok {
            return Some(Response::error(
                403,
                format!("Origin `{origin}` refused: cross-site requests are not served"),
            ));
        }
    }
    if req.path.starts_with("/api/") {
        let given = req
            .header("x-xrd-token")
            .or_else(|| req.param("token"))
            .unwrap_or("");
        if !same(given, &shared.token) {
            return Some(Response::error(
                403,
                "missing or wrong token: open the URL xrd serve printed",
            ));
        }
    }
    None
}

fn handle(shared: &Arc<Shared>, stream: &TcpStream) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let response = match read_request(stream, shared.max_upload) {
        Err(Refused(status, message)) => Response::error(status, message),
        Ok(req) => match guard(shared, &req) {
            Some(refused) => refused,
            None => crate::api::route(shared, &req),
        },
    };
    let _ = response.write(stream);
    // Let the client read the answer before the socket closes (an early 413 leaves the body
    // unread).
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut reader = stream;
    let mut drained = 0;
    while let Ok(n) = std::io::Read::read(&mut reader, &mut sink) {
        drained += n;
        if n == 0 || drained > (1 << 20) {
            break;
        }
    }
}
