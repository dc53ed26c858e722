//! `xrd serve`: the local web workbench (xrd-serve) on the files and folders given.

use std::path::PathBuf;

use clap::Parser;
use xrd_serve::{DEFAULT_MAX_UPLOAD_MB, ServeOptions, Server};

use super::{Context, Outcome, Result};

/// Options of `xrd serve`.
#[derive(Debug, Parser)]
pub struct Args {
    /// Pattern files and folders the page may open (read-only; nothing outside them is served).
    #[arg(value_name = "FILES|DIR")]
    pub paths: Vec<PathBuf>,
    /// Port to listen on (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. Anything but loopback exposes your files to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// Largest upload (MB).
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_MAX_UPLOAD_MB)]
    pub max_upload: usize,
    /// Folder of the cached reference patterns of identifications (as `xrd identify --cache`).
    #[arg(long, value_name = "DIR", default_value = xrd_jobs::DEFAULT_CACHE)]
    pub cache: PathBuf,
}

/// Starts the server and serves until the process is stopped.
pub fn run(args: Args, _ctx: &Context) -> Result<Outcome> {
    let options = ServeOptions {
        paths: args.paths,
        host: args.host,
        port: args.port,
        max_upload_mb: args.max_upload,
        token: None,
        cache: args.cache,
    };
    if !options.is_loopback() {
        eprintln!(
            "warning: listening on {}, not loopback: anyone who can reach it and has the token \
             can read the served files and run jobs",
            options.host
        );
    }
    let server = Server::bind(&options)?;
    let url = server.url();
    println!("xrd serve: open {url}");
    eprintln!("(Ctrl-C stops the server)");
    if args.open {
        open_browser(&url);
    }
    server.run();
    Ok(Outcome::Done)
}

/// Opens `url` with the platform's opener; says so when there is none.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("cannot open a browser ({opener}: {e}); open the URL above");
    }
}
