//! The peak list from the page (`GET /api/peaks`): the job layer's `Peaks` (`xrd peaks`, the
//! same options) on the open pattern. A fit of a few lines per group takes well under a
//! second, so it answers at once instead of running as the workbench's job.

use serde_json::{Value, json};
use xrd_jobs::{Peaks, PeaksOptions};

use crate::api::{job_error, labelled_pattern, parse_wavelength};
use crate::export::shell;
use crate::http::{Request, Response};
use crate::server::Shared;

/// The peak list of `file=` (pattern `pattern=`, default the first) with the options
/// `min_height=`, `noise_multiple=` and `wavelength=` (for a file that gives none): the
/// rows, the fitted curve at every point, the warnings and the command that gives the same
/// list.
pub(crate) fn list(shared: &Shared, req: &Request) -> Result<Response, Response> {
    let name = req
        .param("file")
        .ok_or_else(|| Response::error(400, "file= is missing"))?;
    let k: usize = match req.param("pattern") {
        Some(s) => s
            .parse()
            .map_err(|_| Response::error(400, format!("pattern={s}: not a whole number")))?,
        None => 0,
    };
    let mut options = PeaksOptions {
        wavelength: parse_wavelength(req.param("wavelength"))?,
        ..PeaksOptions::default()
    };
    let number = |key: &str| -> Result<Option<f64>, Response> {
        match req.param(key).map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| Response::error(400, format!("{key}={s}: not a number"))),
            None => Ok(None),
        }
    };
    if let Some(v) = number("min_height")? {
        options.min_height = v;
    }
    if let Some(v) = number("noise_multiple")? {
        options.noise_multiple = v;
    }
    let job = Peaks::new(options.clone()).map_err(|e| job_error(&e))?;
    let (path, pattern, label) = labelled_pattern(shared, name, k)?;
    let list = job.run(&label, &pattern).map_err(|e| job_error(&e))?;
    let mut command = vec![
        "xrd".to_string(),
        "peaks".to_string(),
        shell(&path.display().to_string()),
    ];
    let defaults = PeaksOptions::default();
    if options.min_height != defaults.min_height {
        command.push(format!("--min-height {}", options.min_height));
    }
    if options.noise_multiple != defaults.noise_multiple {
        command.push(format!("--noise-multiple {}", options.noise_multiple));
    }
    if let Some(w) = req
        .param("wavelength")
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        command.push(format!("--wavelength {}", shell(w)));
    }
    let body: Value = json!({
        "file": name,
        "wavelength": list.wavelength.angstrom(),
        "rows": list.rows,
        "rwp": list.rwp,
        "correlation_time": list.correlation_time,
        "warnings": list.warnings,
        "two_theta": pattern.two_theta(),
        "observed": pattern.intensity(),
        "calculated": list.calculated,
        "command": command.join(" "),
    });
    Ok(Response::json(200, &body))
}
