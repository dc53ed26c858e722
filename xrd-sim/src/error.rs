//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong in `xrd-sim`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The CIF text is malformed (unterminated quote or text field, loop without values, …).
    #[error("CIF syntax error at line {line}: {message}")]
    CifSyntax {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A data block lacks an item the structure needs.
    #[error("CIF block `{block}`: missing {what}")]
    CifMissing {
        /// Data block name.
        block: String,
        /// The missing tag(s) and why they are needed.
        what: String,
    },
    /// A CIF value could not be interpreted.
    #[error("CIF block `{block}`: invalid value `{value}` for {tag}")]
    CifValue {
        /// Data block name.
        block: String,
        /// The tag.
        tag: String,
        /// The offending value.
        value: String,
    },
    /// The CIF has no data block (or not the one asked for).
    #[error("CIF: {0}")]
    CifBlock(String),
    /// A symmetry operator such as `x, y+1/2, -z` could not be parsed.
    #[error("invalid symmetry operator `{0}`")]
    SymmetryOperator(String),
    /// An element or ion symbol is unknown.
    #[error("unknown element or ion `{0}`")]
    UnknownSpecies(String),
    /// No scattering factor is tabulated for a species in the chosen table.
    #[error("no {table} scattering factor for `{species}`")]
    NoScatteringFactor {
        /// Table name.
        table: &'static str,
        /// Species symbol.
        species: String,
    },
    /// No tabulated f′/f″ for this wavelength.
    #[error("no tabulated anomalous dispersion at λ = {wavelength} Å (tabulated: {available})")]
    NoAnomalousTable {
        /// Requested wavelength (Å).
        wavelength: f64,
        /// The tabulated lines.
        available: String,
    },
    /// Lattice parameters or matrix do not describe a cell of positive volume.
    #[error("invalid lattice: {0}")]
    InvalidLattice(String),
    /// A site is invalid (non-finite coordinates, occupancy outside [0, 1], negative B, …).
    #[error("invalid site {index}: {message}")]
    InvalidSite {
        /// Site index.
        index: usize,
        /// What was wrong.
        message: String,
    },
    /// A supercell matrix is singular or does not tile the structure.
    #[error("invalid supercell: {0}")]
    InvalidSupercell(String),
    /// A hyper-parameter is out of range.
    #[error(transparent)]
    InvalidParameter(#[from] xrd_io::InvalidParameter),
    /// The structure gives no reflection in the requested range.
    #[error("no reflection in the 2θ range {0}°–{1}°")]
    NoReflections(f64, f64),
    /// A space-group number, Hall number or symbol that names no space group.
    #[error("unknown space group: {0}")]
    UnknownSpaceGroup(String),
    /// moyo's symmetry search failed.
    #[error("symmetry search failed: {0}")]
    Symmetry(String),
    /// A VASP POSCAR/CONTCAR file is malformed.
    #[error("POSCAR line {line}: {message}")]
    Poscar {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The path.
        path: std::path::PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// No random crystal met the constraints within the allowed number of tries.
    #[error("no random crystal of space group {space_group} after {tries} tries: {reason}")]
    SyntheticCrystal {
        /// Space group asked for.
        space_group: u8,
        /// Tries made.
        tries: usize,
        /// What failed last.
        reason: String,
    },
    /// An error from `xrd-io` (grids, datasets).
    #[error(transparent)]
    Io(#[from] xrd_io::Error),
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::param(name, reason)
}

#[cfg(test)]
pub(crate) use xrd_io::refused;

xrd_io::shared_errors!(Error, wraps Io);
