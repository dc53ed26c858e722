//! The file formats xrd-io knows, named apart from their readers (which need the `formats`
//! feature) because every pattern records the format it was read from.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A supported file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Format {
    /// Plain columns: 2θ, intensity and optionally sigma (`.xy .xye .dat .txt .csv .tsv`).
    Columns,
    /// RRUFF powder text (`##KEY=VALUE` header).
    Rruff,
    /// PANalytical XRDML.
    Xrdml,
    /// Bruker/Siemens binary RAW, versions 1 to 4.
    BrukerRaw,
    /// Bruker/Siemens UXD text.
    Uxd,
    /// Rigaku RAS text.
    RigakuRas,
    /// Rigaku RASX (zip).
    RigakuRasx,
    /// GSAS raw / fxye.
    Gsas,
    /// Powder CIF.
    PdCif,
    /// Bruker BRML (zip of XML).
    Brml,
    /// The JSON written by [`crate::write()`] (a list of patterns or one pattern).
    Json,
    /// A NumPy `.npy` array of columns 2θ, intensity[, sigma].
    Npy,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 12] = [
        Format::Columns,
        Format::Rruff,
        Format::Xrdml,
        Format::BrukerRaw,
        Format::Uxd,
        Format::RigakuRas,
        Format::RigakuRasx,
        Format::Gsas,
        Format::PdCif,
        Format::Brml,
        Format::Json,
        Format::Npy,
    ];

    /// A short human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Columns => "plain columns",
            Format::Rruff => "RRUFF",
            Format::Xrdml => "PANalytical XRDML",
            Format::BrukerRaw => "Bruker RAW",
            Format::Uxd => "Bruker UXD",
            Format::RigakuRas => "Rigaku RAS",
            Format::RigakuRasx => "Rigaku RASX",
            Format::Gsas => "GSAS",
            Format::PdCif => "pdCIF",
            Format::Brml => "Bruker BRML",
            Format::Json => "xrd-io JSON",
            Format::Npy => "NumPy .npy columns",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
