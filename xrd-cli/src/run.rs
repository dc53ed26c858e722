//! How an example runs: its error type, its exit code and its output files.

/// Boxed error of the examples: every library error converts into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Result of the examples.
pub type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The process exit code of an example: success, or the error on stderr and failure.
pub fn exit_code(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Writes `text` to `path` atomically, through the workspace's one atomic writer
/// ([`xrd_io::write_atomic`]).
pub fn write_atomic(path: &std::path::Path, text: &str) -> Result<()> {
    Ok(xrd_io::write_atomic(path, text.as_bytes())?)
}
