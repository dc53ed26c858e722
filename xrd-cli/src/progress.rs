//! Progress bars on stderr: hidden with `--quiet` and whenever stderr is not a terminal
//! (indicatif's stderr target draws nothing then), so scripts and CI logs see none.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `len` items of `unit` ("files", "patterns"), or a hidden one when `quiet`.
pub fn bar(len: usize, unit: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len as u64);
    let template =
        format!("[{{bar:36}}] {{pos:>5}}/{{len}} {unit}  {{msg}}  ({{elapsed}}, eta {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A bar on stderr for `epochs` training epochs with the loss as its message (hidden when
/// stderr is not a terminal).
pub fn epoch_bar(epochs: usize, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(epochs as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>12} [{bar:36}] {pos:>5}/{len} epochs  loss {msg}  ({elapsed}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
