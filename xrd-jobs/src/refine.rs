//! The refinement job: the phases named refined on a pattern (structures, `pawley:` and
//! `ponkcs:` phases), measured references summed, or both in one fit, assembled once from
//! [`RefineOptions`] for every front end.

use std::path::PathBuf;

use serde::Serialize;
use xrd_core::{Control, Progress};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{ChoiceReport, Library, PAWLEY_PREFIX, PhaseSpec, RefineSetup};
use xrd_refine::{Calibration, Phase, Quantification, Reference, ReferenceLibrary, Refinement};

use crate::error::{existing, invalid};
use crate::{
    Error, RefineOptions, RefinementRow, Result, SummationRow, bridged_references,
    measured_wavelength, named_index, references_by_id, spec_rows, summation_rows,
};

/// A refinement job, assembled from its options once (instrument read, phases resolved,
/// references loaded) and run on any number of patterns.
#[derive(Debug)]
pub struct Refine {
    options: RefineOptions,
    wavelength: Option<Wavelength>,
    dropped: Vec<String>,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Structures(Box<Structures>),
    Summation(Box<xrd_refine::Summation>),
}

#[derive(Debug)]
struct Structures {
    specs: Vec<PhaseSpec>,
    setup: RefineSetup,
    mixed: Option<Mixed>,
    calibrate: Option<(usize, f64)>,
}

/// Measured references fitted beside structures, and what bridges their weights.
#[derive(Debug)]
struct Mixed {
    references: Vec<Reference>,
    corundum: Reference,
    bridge: Phase,
}

/// The file a phase spec names, when its text reads as a path (a `ponkcs:` calibration, a
/// structure file by its extension or name, anything with a folder in it), whether or not it
/// exists: a missing one is then a missing file, not a mineral name the library lacks.
pub(crate) fn spec_file(text: &str) -> Option<PathBuf> {
    if let Some(path) = text.strip_prefix(xrd_minerals::PONKCS_PREFIX) {
        return Some(PathBuf::from(path));
    }
    let t = text.strip_prefix(PAWLEY_PREFIX).unwrap_or(text);
    let path = std::path::Path::new(t);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let structure = [".cif", ".mcif", ".vasp", ".poscar"]
        .iter()
        .any(|e| name.ends_with(e))
        || name.starts_with("poscar")
        || name.starts_with("contcar");
    (structure || t.contains(['/', '\\'])).then(|| path.to_path_buf())
}

/// `text` resolved as the option `option` names it, a missing file said as such.
pub(crate) fn resolve_spec(
    option: &'static str,
    text: &str,
    library: Option<&Library>,
    max_candidates: usize,
) -> Result<PhaseSpec> {
    if let Some(path) = spec_file(text) {
        existing(&path)?;
    }
    PhaseSpec::resolve(text, library, max_candidates).map_err(|source| Error::Spec {
        option,
        text: text.to_string(),
        source: Box::new(source),
    })
}

/// The library the specs `texts` need: none when every one is a file, `given` when a front end
/// keeps one (Python's built-in library, read once per process), else the built-in (when
/// `builtin`) and the folders of `extra`, reading only the entries the names need.
pub(crate) fn library_for<'a>(
    texts: &[&str],
    builtin: bool,
    extra: &[PathBuf],
    given: Option<&'a Library>,
) -> Result<Option<std::borrow::Cow<'a, Library>>> {
    if texts.iter().all(|t| PhaseSpec::is_file(t)) {
        return Ok(None);
    }
    if let Some(l) = given {
        return Ok(Some(std::borrow::Cow::Borrowed(l)));
    }
    if !builtin && extra.is_empty() {
        return Err(invalid(
            "builtin",
            "no library: builtin false needs a library",
        ));
    }
    for path in extra {
        existing(path)?;
    }
    let names: Vec<&str> = texts
        .iter()
        .map(|t| t.strip_prefix(PAWLEY_PREFIX).unwrap_or(t))
        .collect();
    Ok(Some(std::borrow::Cow::Owned(Library::assemble_named(
        builtin, extra, &names,
    )?)))
}

/// Refuses a neutron instrument beside a pattern whose file says it was measured with an X-ray
/// tube (a Kα₁/Kα₂ doublet): a neutron's scattering lengths would be fitted to X-ray data.
pub(crate) fn check_probe(
    label: &str,
    pattern: &Pattern,
    instrument: &xrd_refine::Instrument,
) -> Result<()> {
    if instrument.probe == xrd_sim::Probe::Neutron
        && let Some(w) = pattern.wavelength()
        && w.alpha2().is_some()
    {
        return Err(invalid(
            "instrument",
            format!(
                "{label}: a neutron instrument beside X-ray data (the file says {:.5} Å with a \
                 Kα₂ line)",
                w.angstrom()
            ),
        ));
    }
    Ok(())
}

/// The instrument of `path` (ours or a GSAS file, with its wavelength and the terms our profile
/// cannot hold), else the default.
pub(crate) fn load_instrument(
    path: Option<&std::path::Path>,
) -> Result<(xrd_refine::Instrument, Option<Wavelength>, Vec<String>)> {
    match path {
        Some(path) => {
            existing(path)?;
            Ok(xrd_refine::Instrument::read(path)?)
        }
        None => Ok((xrd_refine::Instrument::default(), None, Vec::new())),
    }
}

/// The references of `ids` in the library at `path`, and the library's corundum.
fn load_references(
    path: &std::path::Path,
    ids: &[String],
) -> Result<(Vec<Reference>, Option<Reference>)> {
    existing(path)?;
    let library = ReferenceLibrary::read(path)?;
    let references = references_by_id(&library, ids).map_err(|e| match e.invalid_parameter() {
        Some(p) => invalid("references", format!("{} in {}", p.reason, path.display())),
        None => e,
    })?;
    Ok((references, library.corundum().cloned()))
}

/// The index of a weighed phase or reference among `specs` then `references`.
fn weighed_index(
    option: &'static str,
    w: &crate::Weighed,
    specs: &[PhaseSpec],
    references: &[Reference],
) -> Result<(usize, f64)> {
    let index = named_index(&w.spec, specs, references).ok_or_else(|| {
        let among = match (specs.is_empty(), references.is_empty()) {
            (false, true) => "the phases",
            (true, false) => "the references",
            _ => "the phases or references",
        };
        invalid(option, format!("`{w}`: `{}` is not one of {among}", w.spec))
    })?;
    Ok((index, w.weight))
}

impl Refine {
    /// The job of `options`, reading the libraries its phase specs need.
    ///
    /// # Errors
    /// An invalid option ([`RefineOptions::check`]); a missing file
    /// ([`Error::FileNotFound`]: a CIF, the instrument, the reference library); a spec that
    /// names nothing ([`Error::Spec`]); a standard or calibration that names no phase.
    pub fn new(options: RefineOptions) -> Result<Self> {
        Self::with_library(options, None)
    }

    /// As [`Refine::new`], names looked up in `library` when given (a front end that keeps
    /// the built-in library across calls passes it).
    ///
    /// # Errors
    /// As [`Refine::new`].
    pub fn with_library(options: RefineOptions, library: Option<&Library>) -> Result<Self> {
        options.check()?;
        let (instrument, instrument_wavelength, dropped) =
            load_instrument(options.instrument.as_deref())?;
        let instrument = options.instrument_overrides(instrument)?;
        let wavelength = measured_wavelength(None, options.wavelength, instrument_wavelength);
        let mode = if options.phases.is_empty() {
            let path = options
                .reference_library
                .as_deref()
                .ok_or_else(|| invalid("reference_library", "references need a library"))?;
            let (references, _) = load_references(path, &options.references)?;
            let standard = match &options.standard {
                Some(w) => Some(weighed_index("standard", w, &[], &references)?),
                None => None,
            };
            let mut summation =
                xrd_refine::Summation::new(references).params(options.summation_params()?);
            if let Some((i, w)) = standard {
                summation = summation.standard(i, w);
            }
            Mode::Summation(Box::new(summation))
        } else {
            let bridge = (!options.references.is_empty()).then_some(options.rir_bridge.as_str());
            let texts: Vec<&str> = options
                .phases
                .iter()
                .map(String::as_str)
                .chain(bridge)
                .collect();
            let library = library_for(&texts, options.builtin, &options.library, library)?;
            let library = library.as_deref();
            let specs = options
                .phases
                .iter()
                .map(|t| resolve_spec("phases", t, library, options.max_candidates))
                .collect::<Result<Vec<_>>>()?;
            let mixed = match bridge {
                None => None,
                Some(text) => {
                    let path = options
                        .reference_library
                        .as_deref()
                        .ok_or_else(|| invalid("reference_library", "references need a library"))?;
                    let (references, corundum) = load_references(path, &options.references)?;
                    let corundum = corundum.ok_or_else(|| {
                        Error::Input(
                            "structures and references in one fit need the library's corundum \
                             pattern (id or name `corundum`): it puts the references' scale / \
                             RIR beside the structures' weights"
                                .into(),
                        )
                    })?;
                    let spec = resolve_spec("rir_bridge", text, library, 1)?;
                    let bridge = spec.candidates[0].phase.clone();
                    Some(Mixed {
                        references,
                        corundum,
                        bridge,
                    })
                }
            };
            let references = mixed.as_ref().map_or(&[][..], |m| m.references.as_slice());
            let standard = match &options.standard {
                Some(w) => Some(weighed_index("standard", w, &specs, references)?),
                None => None,
            };
            let calibrate = match &options.calibrate {
                Some(w) => Some(weighed_index("calibrate", w, &specs, &[])?),
                None => None,
            };
            let setup = RefineSetup {
                instrument,
                params: options.refine_params()?,
                standard,
                particle_size: options.particle_size,
                references: None,
                control: xrd_core::Control::default(),
            };
            Mode::Structures(Box::new(Structures {
                specs,
                setup,
                mixed,
                calibrate,
            }))
        };
        Ok(Refine {
            options,
            wavelength,
            dropped,
            mode,
        })
    }

    /// The options the job was built from.
    pub fn options(&self) -> &RefineOptions {
        &self.options
    }

    /// The wavelength of patterns whose file gives none: the option's, else the instrument
    /// file's; none when neither says (Cu Kα is then assumed).
    pub fn wavelength(&self) -> Option<Wavelength> {
        self.wavelength
    }

    /// The wavelength `pattern` is refined at: its file's, else [`Refine::wavelength`], else
    /// Cu Kα.
    pub fn wavelength_of(&self, pattern: &Pattern) -> Wavelength {
        measured_wavelength(pattern.wavelength(), self.wavelength, None)
            .unwrap_or(Wavelength::CU_KA)
    }

    /// The terms of the instrument file that our profile cannot hold (for the front end to
    /// say).
    pub fn dropped_instrument_terms(&self) -> &[String] {
        &self.dropped
    }

    /// The columns of the rows [`Refine::run`] returns: a refinement's, or a summation's with
    /// references alone.
    pub fn columns(&self) -> &'static [&'static str] {
        match &self.mode {
            Mode::Structures(_) => &RefinementRow::COLUMNS,
            Mode::Summation(_) => &SummationRow::COLUMNS,
        }
    }

    /// The phase specs resolved (empty for a summation of references alone).
    pub fn specs(&self) -> &[PhaseSpec] {
        match &self.mode {
            Mode::Structures(s) => &s.specs,
            Mode::Summation(_) => &[],
        }
    }

    /// Refines `pattern`, labelled `label` (its file, `#k` for one of several patterns in a
    /// file), at [`Refine::wavelength_of`]; saves the instrument when `save_instrument` is set.
    ///
    /// # Errors
    /// [`Error::Cancelled`] when `control` is cancelled; those of the refinement, the
    /// summation, the RIR bridge or the calibration.
    pub fn run(&self, label: &str, pattern: &Pattern, control: &Control) -> Result<RefineOutput> {
        control.check()?;
        let out = match &self.mode {
            Mode::Summation(summation) => {
                let q = summation.fit(pattern)?;
                RefineOutput::Summation(Box::new(Summed {
                    file: label.to_string(),
                    rows: summation_rows(label, &q),
                    library: self.options.reference_library.clone().unwrap_or_default(),
                    quantification: q,
                }))
            }
            Mode::Structures(s) => {
                RefineOutput::Refinement(Box::new(self.refine(label, pattern, s, control)?))
            }
        };
        control.report(Progress::new("patterns", 1, 1).message(label));
        Ok(out)
    }

    fn refine(
        &self,
        label: &str,
        pattern: &Pattern,
        s: &Structures,
        control: &Control,
    ) -> Result<Refined> {
        let wavelength = self.wavelength_of(pattern);
        check_probe(label, pattern, &s.setup.instrument)?;
        let mut setup = RefineSetup {
            control: control.clone(),
            ..s.setup.clone()
        };
        if let Some(m) = &s.mixed {
            setup.references = Some(bridged_references(
                m.references.clone(),
                m.bridge.clone(),
                &m.corundum,
                wavelength,
                &setup.instrument,
                Some(self.options.max_shift),
            )?);
        }
        control.check()?;
        let fit = xrd_minerals::refine_specs(pattern, wavelength, &s.specs, &setup)?;
        control.check()?;
        let compared = s
            .specs
            .iter()
            .zip(&fit.compared)
            .map(|(spec, tried)| ComparedSpec {
                spec: spec.text.clone(),
                tried: tried
                    .iter()
                    .map(|t| {
                        let c = &spec.candidates[t.candidate];
                        ComparedFit {
                            source: c.source.clone(),
                            name: c.name.clone(),
                            space_group: c.phase.space_group(),
                            rwp: t.rwp.as_ref().ok().copied(),
                            error: t.rwp.as_ref().err().cloned(),
                        }
                    })
                    .collect(),
            })
            .collect();
        let calibration = match s.calibrate {
            Some((index, wt)) => Some(fit.calibrate(&s.specs, &setup, index, wt, label)?),
            None => None,
        };
        let choices = fit.choices(&s.specs);
        let sources = fit.sources(&s.specs);
        let r = &fit.refinement;
        let cifs = r
            .phases
            .iter()
            .enumerate()
            .filter_map(|(p, ph)| {
                // A phase known by its cell alone has no sites to write.
                let c = s.specs[p]
                    .candidates
                    .iter()
                    .find(|c| c.source == sources[p] && !c.entry.sites.is_empty())?;
                let name = format!(
                    "{}_{}",
                    p + 1,
                    ph.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                );
                // A refined structure carries its sites with their esds and the pattern.
                let text = if ph.sites.is_empty() {
                    c.entry.to_cif(Some(ph.cell))
                } else {
                    xrd_refine::refined_cif(&c.phase, ph, &[(label, r)])
                        .unwrap_or_else(|_| c.entry.to_cif(Some(ph.cell)))
                };
                Some(RefinedCif {
                    phase: p,
                    file_name: format!("{name}.cif"),
                    text,
                })
            })
            .collect();
        if let Some(path) = &self.options.save_instrument {
            r.instrument.save(path)?;
        }
        Ok(Refined {
            file: label.to_string(),
            rows: spec_rows(&fit, &s.specs, label),
            wavelength,
            compared,
            choices,
            sources,
            calibration,
            cifs,
            instrument_saved: self.options.save_instrument.clone(),
            refinement: fit.refinement,
        })
    }
}

/// What a refinement job returns for one pattern: a refinement of phases (with any measured
/// references beside them) or a summation of measured references alone.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RefineOutput {
    /// Phases refined.
    Refinement(Box<Refined>),
    /// Measured references summed.
    Summation(Box<Summed>),
}

/// A refinement of named phases on one pattern.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Refined {
    /// The pattern's label.
    pub file: String,
    /// One row per phase, then per measured reference.
    pub rows: Vec<RefinementRow>,
    /// The wavelength refined at.
    pub wavelength: Wavelength,
    /// Per spec, the structures compared by a short fit (none when it had one candidate).
    pub compared: Vec<ComparedSpec>,
    /// Which structure each spec resolved to, and why.
    pub choices: Vec<ChoiceReport>,
    /// The source (library id or path) of each phase's structure.
    pub sources: Vec<String>,
    /// The PONKCS calibration, with `calibrate`.
    pub calibration: Option<Calibration>,
    /// The refined structures as CIF files (phases with sites only).
    pub cifs: Vec<RefinedCif>,
    /// Where the refined instrument was written, with `save_instrument`.
    pub instrument_saved: Option<PathBuf>,
    /// Every refined parameter, the curves and the fit's quality.
    pub refinement: Refinement,
}

/// A measured-reference summation of one pattern.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Summed {
    /// The pattern's label.
    pub file: String,
    /// One row per reference, then the rest with an internal standard.
    pub rows: Vec<SummationRow>,
    /// The reference library.
    pub library: PathBuf,
    /// The summation's result.
    pub quantification: Quantification,
}

/// The structures of one spec compared by a short fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedSpec {
    /// The spec as given.
    pub spec: String,
    /// Each structure tried, best Rwp first.
    pub tried: Vec<ComparedFit>,
}

/// One structure's short fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedFit {
    /// Library id or path.
    pub source: String,
    /// Its name.
    pub name: String,
    /// Its space group.
    pub space_group: u8,
    /// The short fit's Rwp, when it succeeded.
    pub rwp: Option<f64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// A refined structure as a CIF file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefinedCif {
    /// The phase (0-based).
    pub phase: usize,
    /// Its file name: `N_NAME.cif`.
    pub file_name: String,
    /// The CIF text.
    pub text: String,
}
