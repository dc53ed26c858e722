//! Converts the AMCSD SQLite file (larixite's `amcsd_cif1.db`) into the library file this crate
//! ships (`data/amcsd.json.gz`).
//!
//! ```text
//! cargo run --release -p xrd-minerals --features amcsd --example convert_amcsd -- \
//!     ../shared/data/structures/amcsd/amcsd_cif1.db xrd-minerals/data/amcsd.json.gz
//! ```
//! stdout: counts of entries, rejections by reason and symmetry disagreements.

use std::collections::BTreeMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, out] = args.as_slice() else {
        eprintln!("usage: convert_amcsd AMCSD.db OUT.json.gz");
        return ExitCode::from(2);
    };
    let (library, report) = match xrd_minerals::amcsd::convert(db) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = library.write(out) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "{} entries, {} rejected, {} with notes, {} where moyo places the atoms in another group",
        library.len(),
        library.rejected().len(),
        report.with_notes,
        report.symmetry_disagreements
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in library.rejected() {
        // Group reasons by their text before the first digit-bearing detail.
        let key: String = r.reason.split(':').next().unwrap_or("").to_string();
        *reasons.entry(key).or_default() += 1;
    }
    for (reason, n) in reasons {
        println!("  rejected {n:5}: {reason}");
    }
    let groups: std::collections::BTreeSet<u8> =
        library.entries().iter().map(|e| e.space_group).collect();
    println!("{} space groups", groups.len());
    ExitCode::SUCCESS
}
