//! Fixtures more than one module builds: zip archives in memory, proptest case counts.

use std::io::Write;

/// A zip archive (deflate) of `members`, each `(name, bytes)`, in memory.
pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("in-memory zip member");
        w.write_all(data).expect("in-memory write");
    }
    w.finish().expect("in-memory zip").into_inner()
}

/// Proptest cases of the reader fuzz tests: `XRD_IO_FUZZ_CASES`, or `default` (kept small for
/// debug builds; set the variable for a long run).
pub fn fuzz_cases(default: u32) -> u32 {
    std::env::var("XRD_IO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
