//! The tuning and reporting halves of a labelled set of measured patterns (the RRUFF set,
//! `measured/rruff_dev.npz`): settings chosen on measured data are chosen on the
//! [`Half::Tuning`] half, results are reported on the [`Half::Reporting`] half. `xrd classify
//! evaluate` and `xrd identify evaluate` score the reporting half by default, and the workspace's
//! tests (through `xrd-testdata`) set their floors on it.
//!
//! A pattern's half is a fixed rule of its identity, its `source_index` label (the file number in
//! Salgado et al.'s repository), and of nothing else — not its row, its labels or its
//! intensities — so that it never changes when the file is reordered or a setting is tuned.
//!
//! ```
//! use xrd_io::halves::{Half, half_of};
//! assert_eq!(half_of(0), Half::Reporting);
//! // Rows of the reporting half among patterns with these source indices.
//! let rows = Half::Reporting.rows([0.0, 1.0, 2.0, 3.0])?;
//! assert!(rows.iter().all(|&r| half_of(r as u64) == Half::Reporting));
//! assert!(Half::Tuning.rows([0.5]).is_err()); // not a file number
//! # Ok::<(), xrd_io::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Location, Result};

/// The label array of an `.npz` that names each pattern's source (its identity), which
/// [`half_of`] reads.
pub const SOURCE_INDEX: &str = "source_index";

/// One half of a labelled set of measured patterns (see the [module](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Half {
    /// Where settings are chosen (232 of the 457 patterns of `rruff_dev.npz`).
    Tuning,
    /// Where results are reported (225 of the 457).
    Reporting,
}

impl Half {
    /// `"tuning"` or `"reporting"`.
    pub fn name(self) -> &'static str {
        match self {
            Half::Tuning => "tuning",
            Half::Reporting => "reporting",
        }
    }

    /// The rows (in order) of this half among patterns with these `source_index` values (one
    /// per row).
    ///
    /// # Errors
    /// [`Error::OutOfDomain`] for a source index that is not a whole number ≥ 0 (`at`: its row).
    pub fn rows(self, source_index: impl IntoIterator<Item = f64>) -> Result<Vec<usize>> {
        let mut rows = Vec::new();
        for (i, s) in source_index.into_iter().enumerate() {
            // Exactly representable whole numbers only (below 2⁵³).
            if !(s >= 0.0 && s.fract() == 0.0 && s < 9_007_199_254_740_992.0) {
                return Err(Error::OutOfDomain {
                    what: SOURCE_INDEX,
                    at: Location::Point(i),
                    value: s,
                    expected: "a file number (a whole number ≥ 0)",
                });
            }
            if half_of(s as u64) == self {
                rows.push(i);
            }
        }
        Ok(rows)
    }
}

impl std::fmt::Display for Half {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The half of the pattern whose `source_index` is given: the top bit of splitmix64's
/// finaliser of that number, 1 for [`Half::Reporting`]. Python:
/// `z = (s + 0x9e3779b97f4a7c15) % 2**64`, then
/// `z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) % 2**64`,
/// `z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) % 2**64`, reporting when `(z ^ (z >> 31)) >> 63`.
pub fn half_of(source_index: u64) -> Half {
    let mut z = source_index.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    if (z ^ (z >> 31)) >> 63 == 1 {
        Half::Reporting
    } else {
        Half::Tuning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_halves_partition_the_rows() {
        let s: Vec<f64> = (0..1000).map(f64::from).collect();
        let (t, r) = (
            Half::Tuning.rows(s.iter().copied()).unwrap(),
            Half::Reporting.rows(s.iter().copied()).unwrap(),
        );
        assert_eq!(t.len() + r.len(), 1000);
        assert!(t.iter().all(|i| !r.contains(i)));
        // About half each (a fair coin: 500 ± 3 standard errors of 15.8).
        assert!((450..=550).contains(&r.len()), "{}", r.len());
    }

    #[test]
    fn a_source_index_that_is_not_a_file_number_is_refused() {
        for (bad, at) in [(-1.0, 1), (2.5, 1), (f64::NAN, 1), (f64::INFINITY, 1)] {
            match Half::Reporting.rows([3.0, bad]) {
                Err(Error::OutOfDomain {
                    what: SOURCE_INDEX,
                    at: Location::Point(p),
                    ..
                }) => assert_eq!(p, at),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_read_as_serde_writes_them() {
        assert_eq!(
            serde_json::to_string(&Half::Reporting).unwrap(),
            "\"reporting\""
        );
        assert_eq!(Half::Tuning.to_string(), "tuning");
    }
}
