//! The options of a refinement as the command line and Python take them, turned into its
//! configuration once: stage names, the wavelength a measured pattern is read at, and which
//! phase or reference an internal standard or a calibration names.

use xrd_io::Wavelength;
use xrd_refine::{Reference, Stage};

use crate::error::invalid;
use crate::{PhaseSpec, Result};

/// The stages named (`scale`, `cells`, `profile`, `texture`, `b`; [`Stage::name`]), in the
/// order given.
///
/// ```
/// use xrd_refine::Stage;
/// let stages = xrd_minerals::stages_from_names(&["scale", "cells"]).unwrap();
/// assert_eq!(stages, [Stage::ScaleBackground, Stage::CellsZero]);
/// assert!(xrd_minerals::stages_from_names(&["magic"]).is_err());
/// ```
///
/// # Errors
/// [`crate::Error::InvalidParameter`] (`stages`) for a name that is not a stage's.
pub fn stages_from_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<Stage>> {
    names
        .iter()
        .map(|s| {
            let s = s.as_ref();
            Stage::from_name(s).ok_or_else(|| {
                let known: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                invalid(
                    "stages",
                    format!("unknown stage `{s}` ({})", known.join(", ")),
                )
            })
        })
        .collect()
}

/// The wavelength a measured pattern was taken at: its file's, else the one given
/// (`--wavelength`, `wavelength=`), else an instrument file's (a GSAS `.prm`); none when
/// nothing says, and the caller assumes Cu Kα (saying so where a person reads it).
pub fn measured_wavelength(
    file: Option<Wavelength>,
    given: Option<Wavelength>,
    instrument: Option<Wavelength>,
) -> Option<Wavelength> {
    file.or(given).or(instrument)
}

/// The index that `name` gives a phase or reference of a fit of `specs` then `references`
/// (as `--standard SPEC=WT` and `--calibrate SPEC=WT` name them): a spec by its text as given,
/// a reference by its id in any case, counted after the specs. `None` when it names neither.
///
/// ```
/// let specs = [xrd_minerals::PhaseSpec { text: "anatase".into(), candidates: Vec::new() }];
/// assert_eq!(xrd_minerals::named_index("anatase", &specs, &[]), Some(0));
/// assert_eq!(xrd_minerals::named_index("rutile", &specs, &[]), None);
/// ```
pub fn named_index(name: &str, specs: &[PhaseSpec], references: &[Reference]) -> Option<usize> {
    specs.iter().position(|p| p.text == name).or_else(|| {
        let j = references
            .iter()
            .position(|r| r.id.eq_ignore_ascii_case(name))?;
        Some(specs.len() + j)
    })
}
