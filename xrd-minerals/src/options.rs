//! The options of a refinement as the command line and Python take them, turned into its
//! configuration once: stage names, the wavelength a measured pattern is read at, and which
//! phase or reference an internal standard or a calibration names.

use xrd_io::Wavelength;
use xrd_refine::{
    Alignment, Instrument, Phase, Reference, ReferenceLibrary, ReferenceSet, RefineParams, Stage,
    SummationParams,
};

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

/// The settings of a refinement that the command line and Python both take, as given (`None`:
/// the default), turned into the checked configuration once.
///
/// ```
/// let o = xrd_minerals::RefineOptions {
///     stages: vec!["scale".into(), "cells".into()],
///     background_terms: Some(8),
///     ..Default::default()
/// };
/// let params = o.refine_params()?;
/// assert_eq!(params.get_background_terms(), 8);
/// // The summation of measured references keeps its own default background (4 terms).
/// let o = xrd_minerals::RefineOptions::default();
/// assert_eq!(o.summation_params()?.get_background_terms(), 4);
/// # Ok::<(), xrd_minerals::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefineOptions {
    /// Stage names ([`stages_from_names`]); empty: [`Stage::DEFAULT`].
    pub stages: Vec<String>,
    /// Chebyshev background terms.
    pub background_terms: Option<usize>,
    /// Broad background peaks.
    pub humps: Option<usize>,
    /// The 2θ range refined (°).
    pub two_theta_range: Option<(f64, f64)>,
    /// The pattern is a standard the instrument is refined on (to be saved).
    pub instrument_standard: bool,
    /// A summation's alignment by name ([`Alignment::from_name`]: reference, sample, none).
    pub alignment: Option<String>,
    /// The largest shift (°) of a measured reference.
    pub max_shift: Option<f64>,
}

impl RefineOptions {
    /// The refinement's settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for an unknown stage or a value out of range.
    pub fn refine_params(&self) -> Result<RefineParams> {
        let mut params = RefineParams::new()
            .two_theta_range(self.two_theta_range)
            .instrument_standard(self.instrument_standard);
        if !self.stages.is_empty() {
            params = params.stages(stages_from_names(&self.stages)?);
        }
        if let Some(b) = self.background_terms {
            params = params.background_terms(b);
        }
        if let Some(h) = self.humps {
            params = params.humps(h);
        }
        params.check()?;
        Ok(params)
    }

    /// A full-pattern summation's settings (its own default background: the references carry
    /// their own backgrounds).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for an unknown alignment or a value out of range.
    pub fn summation_params(&self) -> Result<SummationParams> {
        let mut params = SummationParams::new().two_theta_range(self.two_theta_range);
        if let Some(name) = &self.alignment {
            let a = Alignment::from_name(name).ok_or_else(|| {
                invalid("alignment", format!("`{name}`: reference, sample or none"))
            })?;
            params = params.alignment(a);
        }
        if let Some(b) = self.background_terms {
            params = params.background_terms(b);
        }
        if let Some(m) = self.max_shift {
            params = params.max_shift(m);
        }
        params.check()?;
        Ok(params)
    }
}

/// The references of `ids` in `library`, in the order given.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] (`references`) for an id the library lacks (naming a few
/// it has) or one given twice.
pub fn references_by_id<S: AsRef<str>>(
    library: &ReferenceLibrary,
    ids: &[S],
) -> Result<Vec<Reference>> {
    let mut references: Vec<Reference> = Vec::new();
    for id in ids {
        let id = id.as_ref();
        let r = library.get(id).ok_or_else(|| {
            let some: Vec<&str> = library
                .references()
                .iter()
                .take(6)
                .map(|r| r.id.as_str())
                .collect();
            invalid(
                "references",
                format!(
                    "{id}: not in the library ({} references, such as {})",
                    library.len(),
                    some.join(", ")
                ),
            )
        })?;
        if references.iter().any(|q| q.id == r.id) {
            return Err(invalid("references", format!("{id} is given twice")));
        }
        references.push(r.clone());
    }
    Ok(references)
}

/// Measured references to fit beside structures: their weights put beside the structures' by
/// `bridge` (a corundum structure) refined on the library's `corundum` pattern
/// ([`xrd_refine::rir_scale`]) at `wavelength` with `instrument`; `max_shift` (°) their largest
/// shift (default the summation's).
///
/// # Errors
/// Those of [`xrd_refine::rir_scale`].
pub fn bridged_references(
    references: Vec<Reference>,
    bridge: Phase,
    corundum: &Reference,
    wavelength: Wavelength,
    instrument: &Instrument,
    max_shift: Option<f64>,
) -> Result<ReferenceSet> {
    let k = xrd_refine::rir_scale(bridge, corundum, wavelength, instrument)?;
    Ok(ReferenceSet {
        references,
        rir_scale: k,
        max_shift: max_shift.unwrap_or(SummationParams::default().get_max_shift()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// The parameter an error refuses, the crate's own or xrd-refine's.
    fn name(e: Error) -> String {
        match e.invalid_parameter() {
            Some(p) => p.name.to_string(),
            None => panic!("{e:?}"),
        }
    }

    #[test]
    fn references_are_found_by_id_once_each() {
        let pattern =
            xrd_io::Pattern::new((0..20).map(|i| 10.0 + i as f64).collect(), vec![1.0; 20])
                .unwrap();
        let mut library = ReferenceLibrary::new();
        for id in ["KAOLINITE", "QUARTZ"] {
            let r = Reference::from_pattern(id, id, 1.0, &pattern).unwrap();
            library.push(r).unwrap();
        }
        let found = references_by_id(&library, &["quartz", "KAOLINITE"]).unwrap();
        assert_eq!(
            found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["QUARTZ", "KAOLINITE"]
        );
        let missing = references_by_id(&library, &["ILLITE"]).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("ILLITE: not in the library (2 references"),
            "{missing}"
        );
        assert_eq!(name(missing), "references");
        let twice = references_by_id(&library, &["QUARTZ", "quartz"]).unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
    }

    #[test]
    fn invalid_options_are_named() {
        let o = |f: fn(&mut RefineOptions)| {
            let mut o = RefineOptions::default();
            f(&mut o);
            o
        };
        let stages = o(|o| o.stages = vec!["warp".into()]);
        assert_eq!(name(stages.refine_params().unwrap_err()), "stages");
        let background = o(|o| o.background_terms = Some(0));
        assert_eq!(
            name(background.refine_params().unwrap_err()),
            "background_terms"
        );
        let alignment = o(|o| o.alignment = Some("sideways".into()));
        assert_eq!(name(alignment.summation_params().unwrap_err()), "alignment");
        let shift = o(|o| o.max_shift = Some(-1.0));
        assert_eq!(name(shift.summation_params().unwrap_err()), "max_shift");
        // The defaults are the crates' own.
        assert_eq!(
            RefineOptions::default().refine_params().unwrap(),
            RefineParams::default()
        );
        let sum = RefineOptions::default().summation_params().unwrap();
        assert_eq!(sum, SummationParams::default());
    }
}
