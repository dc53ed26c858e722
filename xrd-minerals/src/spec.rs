//! Phases as a person names them for a refinement — a structure file, a library id, a mineral
//! name or a formula — and the refinement that chooses, for a formula with several entries (its
//! polymorphs, or several determinations of one structure), the one that fits best.

use std::path::Path;

use rayon::prelude::*;

use xrd_io::{Pattern, Wavelength};
use xrd_refine::{
    Calibration, Instrument, MeasuredReferences, Phase, RefineParams, Refinement, Refiner,
};
use xrd_sim::{Lattice, SpaceGroup, SymOp};

use crate::choice::Suitability;
use crate::error::invalid;
use crate::{Entry, Library, Result};

/// Default number of distinct structures of one name compared ([`PhaseSpec::resolve`]).
pub const DEFAULT_MAX_CANDIDATES: usize = 3;

/// The prefix of a Pawley phase spec (`pawley:anatase`, `pawley:4.59,4.59,2.96,90,90,90,136`).
pub const PAWLEY_PREFIX: &str = "pawley:";

/// The prefix of a PONKCS phase spec (`ponkcs:clay.ponkcs.json`).
pub const PONKCS_PREFIX: &str = "ponkcs:";

/// `a,b,c,alpha,beta,gamma,SG` as numbers; `None` when `text` is not such a list.
fn parse_cell(text: &str) -> Result<Option<[f64; 7]>> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() != 7 {
        return Ok(None);
    }
    let mut out = [0.0; 7];
    for (o, f) in out.iter_mut().zip(&fields) {
        match f.parse::<f64>() {
            Ok(v) if v.is_finite() => *o = v,
            _ => return Ok(None),
        }
    }
    if out[6].fract() != 0.0 || !(1.0..=230.0).contains(&out[6]) {
        return Err(invalid(
            "phase",
            format!("`{text}`: the seventh number, the space group, must be an integer in 1–230"),
        ));
    }
    Ok(Some(out))
}

/// An entry for a phase known by its cell and symmetry alone (no sites).
fn synthetic_entry(
    id: &str,
    name: &str,
    cell: [f64; 6],
    space_group: u8,
    ops: &[SymOp],
) -> Result<Entry> {
    Ok(Entry {
        id: id.to_string(),
        mineral: name.to_string(),
        formula: String::new(),
        elements: Vec::new(),
        cell,
        space_group,
        hm_symbol: SpaceGroup::new(space_group)?.hm_symbol().to_string(),
        operators: ops.iter().map(SymOp::to_xyz).collect(),
        sites: Vec::new(),
        publication: Default::default(),
        notes: vec!["a phase without a structure: cell and symmetry only".to_string()],
        conditions: Default::default(),
    })
}

/// The structure a spec names, as `xrd simulate` and `xrd.simulate` read it: a CIF or POSCAR
/// file when such a file exists, else the first of `library`'s entries that [`PhaseSpec`]
/// resolves the id, mineral name or formula to (one measured at room conditions when there is
/// one). Returns the source (the path or the library id) and the structure.
///
/// # Errors
/// File and structure errors of a file; [`crate::Error::InvalidParameter`] (`phase`) when
/// nothing is named, or `spec` is not a file and `library` is `None`.
pub fn resolve_structure(
    spec: &str,
    library: Option<&Library>,
) -> Result<(String, xrd_sim::Structure)> {
    if Path::new(spec).is_file() {
        return Ok((spec.to_string(), xrd_sim::Structure::from_file(spec)?));
    }
    let Some(lib) = library else {
        return Err(invalid(
            "phase",
            format!("`{spec}` is not a file, and no library was given to look it up"),
        ));
    };
    let found = PhaseSpec::from_library(spec, lib, 1)?;
    let e = &found[0].entry;
    Ok((e.id.clone(), e.structure()?))
}

/// One structure a [`PhaseSpec`] may be.
#[derive(Debug, Clone)]
pub struct SpecCandidate {
    /// The phase's name: the mineral name, else the formula; a file's stem for a file.
    pub name: String,
    /// Where it comes from: the library id, or the file's path.
    pub source: String,
    /// The phase as refined.
    pub phase: Phase,
    /// The entry it was read from (written back with the refined cell by [`Entry::to_cif`]).
    pub entry: Entry,
    /// How suitable a library entry is as the phase's reference (`None` for a file).
    pub suitability: Option<Suitability>,
}

/// A phase as named by a person, and the structures it may be.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    /// The text as given.
    pub text: String,
    /// The distinct structures it names (one for a file or an id), in the library's order.
    pub candidates: Vec<SpecCandidate>,
}

impl PhaseSpec {
    /// The structures `text` names: a CIF or POSCAR file when such a file exists, else the
    /// entries of `library` with that id, mineral name or formula ([`Library::lookup`]), one per
    /// space group and cell (to 0.5 %), at most `max_candidates`.
    ///
    /// Two prefixes name phases without a usable structure: `pawley:SPEC` refines the phase of
    /// SPEC (any of the above) with its intensities extracted from the data, or, with
    /// `pawley:a,b,c,alpha,beta,gamma,SG`, a phase known only by its cell and space group
    /// (standard setting); `ponkcs:FILE` a phase calibrated by `xrd refine --calibrate`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] (`phase`) when nothing usable is named, or `text` is
    /// not a file and `library` is `None`; file and structure errors of a file.
    pub fn resolve(text: &str, library: Option<&Library>, max_candidates: usize) -> Result<Self> {
        if let Some(rest) = text.strip_prefix(PONKCS_PREFIX) {
            let cal = Calibration::load(rest)?;
            let phase = Phase::calibrated(&cal)?;
            let entry =
                synthetic_entry(text, &cal.name, cal.cell, cal.space_group, &cal.operators())?;
            return Ok(Self {
                text: text.to_string(),
                candidates: vec![SpecCandidate {
                    name: cal.name.clone(),
                    source: text.to_string(),
                    phase,
                    entry,
                    suitability: None,
                }],
            });
        }
        if let Some(rest) = text.strip_prefix(PAWLEY_PREFIX) {
            if let Some(cell) = parse_cell(rest)? {
                let [a, b, c, al, be, ga, sg] = cell;
                let number = sg as u8;
                let ops = SpaceGroup::new(number)?.operations();
                let lattice = Lattice::from_parameters(a, b, c, al, be, ga)?;
                let name = format!("{} cell", SpaceGroup::new(number)?.hm_symbol());
                let entry = synthetic_entry(text, &name, [a, b, c, al, be, ga], number, ops)?;
                return Ok(Self {
                    text: text.to_string(),
                    candidates: vec![SpecCandidate {
                        name: name.clone(),
                        source: text.to_string(),
                        phase: Phase::pawley(name, lattice, number, ops)?,
                        entry,
                        suitability: None,
                    }],
                });
            }
            let mut spec = Self::resolve(rest, library, max_candidates)?;
            for c in &mut spec.candidates {
                let ops = c.entry.symmetry_operators()?;
                c.phase = c.phase.clone().with_extracted_intensities(&ops)?;
            }
            spec.text = text.to_string();
            return Ok(spec);
        }
        let path = Path::new(text);
        let candidates = if path.is_file() {
            vec![Self::from_file(text, path)?]
        } else {
            let Some(lib) = library else {
                return Err(invalid(
                    "phase",
                    format!("`{text}` is not a file, and no library was given to look it up"),
                ));
            };
            Self::from_library(text, lib, max_candidates)?
        };
        Ok(Self {
            text: text.to_string(),
            candidates,
        })
    }

    /// `true` when `text` needs no library to resolve: a structure file, a calibration, or a
    /// Pawley phase of either or of a cell.
    pub fn is_file(text: &str) -> bool {
        if text.starts_with(PONKCS_PREFIX) {
            return true;
        }
        if let Some(rest) = text.strip_prefix(PAWLEY_PREFIX) {
            return parse_cell(rest).is_ok_and(|c| c.is_some()) || Path::new(rest).is_file();
        }
        Path::new(text).is_file()
    }

    fn from_file(text: &str, path: &Path) -> Result<SpecCandidate> {
        let lib = Library::from_files(text, &[path.to_path_buf()])?;
        let Some(e) = lib.entries().first() else {
            let why = lib
                .rejected()
                .first()
                .map_or_else(|| "no structure read".to_string(), |r| r.reason.clone());
            return Err(invalid("phase", format!("{text}: {why}")));
        };
        let name = path
            .file_stem()
            .map_or_else(|| text.to_string(), |s| s.to_string_lossy().into_owned());
        Ok(SpecCandidate {
            name: name.clone(),
            source: text.to_string(),
            phase: reference_phase(&name, e)?,
            entry: e.clone(),
            suitability: None,
        })
    }

    fn from_library(text: &str, lib: &Library, max: usize) -> Result<Vec<SpecCandidate>> {
        let mut found = lib.lookup(text);
        // A name or formula resolves to a structure measured at room conditions when it has
        // one (a high-temperature calcite, a high-pressure corundum are other cells); an id
        // pinned by the user is taken as it is.
        if found.iter().any(|&i| lib.entries()[i].is_ambient()) {
            found.retain(|&i| lib.entries()[i].is_ambient());
        }
        if found.is_empty() {
            return Err(invalid(
                "phase",
                format!(
                    "`{text}`: no library entry has this id, mineral name or formula (or give a \
                     CIF file)"
                ),
            ));
        }
        let ranked = crate::choice::ranked(lib, &found);
        let mut seen: Vec<(u8, [f64; 3])> = Vec::new();
        let mut out = Vec::new();
        for (i, suitability) in ranked {
            let e = &lib.entries()[i];
            // A heated, compressed, substituted or misprinted determination is not compared
            // when its phase has a sound one.
            if suitability.set_aside && out.iter().any(|c: &SpecCandidate| c.name == e.name()) {
                continue;
            }
            let abc = [e.cell[0], e.cell[1], e.cell[2]];
            if seen.iter().any(|(sg, c)| {
                *sg == e.space_group && c.iter().zip(&abc).all(|(x, y)| (x - y).abs() < 5e-3 * x)
            }) {
                continue;
            }
            // Entries whose structure cannot be built or refined are passed over: another
            // determination of the same phase usually can.
            let Ok(phase) = reference_phase(e.name(), e) else {
                continue;
            };
            seen.push((e.space_group, abc));
            out.push(SpecCandidate {
                name: e.name().to_string(),
                source: e.id.clone(),
                phase,
                entry: e.clone(),
                suitability: Some(suitability),
            });
            if out.len() >= max.max(1) {
                break;
            }
        }
        if out.is_empty() {
            return Err(invalid(
                "phase",
                format!("`{text}`: no usable structure among its entries"),
            ));
        }
        Ok(out)
    }
}

/// The phase `name` refined for an entry: its structure with missing or implausible displacement
/// parameters replaced by [`crate::default_b`] ([`crate::with_default_b`]).
///
/// # Errors
/// An entry whose structure cannot be built.
pub fn reference_phase(name: &str, e: &Entry) -> Result<Phase> {
    let (e, _, _) = crate::choice::with_default_b(e);
    Ok(Phase::with_space_group(
        name,
        e.structure()?,
        e.space_group,
    )?)
}

/// What a refinement shares besides its phases: the instrument, the plan, an internal standard
/// and the particle size for the microabsorption correction.
#[derive(Debug, Clone, Default)]
pub struct RefineSetup {
    /// The instrument (profile, Kα2, monochromator), refined further by the fit.
    pub instrument: Instrument,
    /// The refinement's plan and settings.
    pub params: RefineParams,
    /// An internal standard: the spec's index and its weighed weight fraction.
    pub standard: Option<(usize, f64)>,
    /// Particle diameter in µm for Brindley's correction, the same for every phase.
    pub particle_size: Option<f64>,
    /// Measured reference patterns fitted beside the phases.
    pub references: Option<MeasuredReferences>,
    /// Steers the refinements (cancel, progress): the final fit reports its stages, the short
    /// fits that compare structures report nothing but stop on a cancel too.
    pub control: xrd_core::Control,
}

impl RefineSetup {
    /// The refinement of `phases` with this setup (the one front end of the command line and
    /// Python: a series refines the phases chosen on its first frame with it).
    pub fn refiner(&self, phases: Vec<Phase>) -> Refiner {
        let mut r = Refiner::new(phases)
            .instrument(self.instrument.clone())
            .params(self.params.clone());
        if let Some(d) = self.particle_size {
            r = r.particle_size(d);
        }
        if let Some((i, w)) = self.standard {
            r = r.standard(i, w);
        }
        if let Some(set) = &self.references {
            r = r.references(set.clone());
        }
        r.control(self.control.clone())
    }
}

/// One structure compared for a spec, and the Rwp of its short fit (`None` when that failed,
/// with the reason).
#[derive(Debug, Clone)]
pub struct Compared {
    /// Index into the spec's candidates.
    pub candidate: usize,
    /// Rwp of the short fit, or why it failed.
    pub rwp: std::result::Result<f64, String>,
}

/// A refinement of named phases: which structure of each spec was chosen, and the refinement.
#[derive(Debug, Clone)]
pub struct SpecRefinement {
    /// The chosen candidate of each spec.
    pub choice: Vec<usize>,
    /// For each spec with several structures, every structure compared, best first.
    pub compared: Vec<Vec<Compared>>,
    /// The refinement of the chosen phases with the full plan.
    pub refinement: Refinement,
}

impl SpecRefinement {
    /// The chosen candidate of spec `s`.
    pub fn chosen<'a>(&self, specs: &'a [PhaseSpec], s: usize) -> &'a SpecCandidate {
        &specs[s].candidates[self.choice[s]]
    }

    /// Which structure each spec resolved to and why, in phase order (written to
    /// `refinement.json` and said by `xrd refine`).
    pub fn choices(&self, specs: &[PhaseSpec]) -> Vec<ChoiceReport> {
        specs
            .iter()
            .enumerate()
            .map(|(s, spec)| {
                let chosen = self.choice[s];
                let c = &spec.candidates[chosen];
                let rwp_of = |k: usize| {
                    self.compared[s]
                        .iter()
                        .find(|t| t.candidate == k)
                        .and_then(|t| t.rwp.as_ref().ok().copied())
                };
                let reason = if spec.candidates.len() < 2 {
                    if c.suitability.is_none() {
                        "given".to_string()
                    } else if spec.text == c.source {
                        "pinned by its id".to_string()
                    } else {
                        "the preferred reference; no other distinct sound structure to compare"
                            .to_string()
                    }
                } else if chosen == 0 {
                    "the preferred reference; no other fitted clearly better".to_string()
                } else {
                    match (rwp_of(0), rwp_of(chosen)) {
                        (Some(r0), Some(r)) => format!(
                            "fits clearly better than the preferred {} (Rwp {r:.4} against \
                             {r0:.4}, lower by more than {:.0} %)",
                            spec.candidates[0].source,
                            100.0 * crate::choice::SWITCH_MARGIN
                        ),
                        _ => format!(
                            "the preferred {} could not be refined",
                            spec.candidates[0].source
                        ),
                    }
                };
                ChoiceReport {
                    spec: spec.text.clone(),
                    source: c.source.clone(),
                    judgement: c.suitability.as_ref().map(Suitability::summary),
                    reason,
                    compared: (0..spec.candidates.len())
                        .filter(|_| spec.candidates.len() > 1)
                        .map(|k| ComparedReport {
                            source: spec.candidates[k].source.clone(),
                            name: spec.candidates[k].name.clone(),
                            penalty: spec.candidates[k].suitability.as_ref().map(|x| x.penalty),
                            rwp: rwp_of(k),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// The phases of the chosen structures, in spec order (as refined before the fit): what a
    /// series refines on every frame after choosing on the first.
    pub fn phases(&self, specs: &[PhaseSpec]) -> Vec<Phase> {
        (0..specs.len())
            .map(|s| self.chosen(specs, s).phase.clone())
            .collect()
    }

    /// The PONKCS calibration of the Pawley phase of spec `index` from this refinement of a
    /// mixture it was weighed into at `weight` (0–1), measured as the pattern `calibrated_on`:
    /// against `setup`'s internal standard when it has one, else against the other phases
    /// ([`Refiner::calibrate`]).
    ///
    /// # Errors
    /// Those of [`Refiner::calibrate`] (not a Pawley phase, a weight outside (0, 1)).
    pub fn calibrate(
        &self,
        specs: &[PhaseSpec],
        setup: &RefineSetup,
        index: usize,
        weight: f64,
        calibrated_on: &str,
    ) -> Result<Calibration> {
        // The calibration needs the phases and the standard only: the instrument and plan
        // are in the refinement already.
        let mut refiner = Refiner::new(self.phases(specs));
        if let Some((i, w)) = setup.standard {
            refiner = refiner.standard(i, w);
        }
        Ok(refiner.calibrate(&self.refinement, index, weight, calibrated_on)?)
    }

    /// The sources (library id or path) of the chosen structures, in phase order.
    pub fn sources(&self, specs: &[PhaseSpec]) -> Vec<String> {
        (0..specs.len())
            .map(|s| self.chosen(specs, s).source.clone())
            .collect()
    }
}

/// Which structure a spec resolved to, and why ([`SpecRefinement::choices`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChoiceReport {
    /// The spec as given.
    pub spec: String,
    /// The structure refined: a library id or a path.
    pub source: String,
    /// What the library knows against the entry ([`Suitability::summary`]); none for a file.
    pub judgement: Option<String>,
    /// Why it was chosen.
    pub reason: String,
    /// The structures compared, in preference order (empty when there was one).
    pub compared: Vec<ComparedReport>,
}

/// One structure compared for a spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ComparedReport {
    /// Library id or path.
    pub source: String,
    /// Its name.
    pub name: String,
    /// Its ranking penalty ([`Suitability::penalty`]).
    pub penalty: Option<f64>,
    /// The Rwp of its short fit; none when it failed.
    pub rwp: Option<f64>,
}

/// Refines `specs` on `pattern`: each spec with several structures has them compared by a short
/// fit (scales, background, cells and zero; the other specs at their current choice), the first
/// (the preferred reference, [`crate::ranked`]) kept unless another's Rwp is lower by
/// [`crate::SWITCH_MARGIN`] of it, then the chosen phases are refined with the full plan of
/// `setup`.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] (`specs`) when it is empty or a spec has no candidate;
/// those of [`Refiner::fit`] for the final refinement.
pub fn refine_specs(
    pattern: &Pattern,
    wavelength: Wavelength,
    specs: &[PhaseSpec],
    setup: &RefineSetup,
) -> Result<SpecRefinement> {
    if specs.is_empty() || specs.iter().any(|s| s.candidates.is_empty()) {
        return Err(invalid(
            "specs",
            "at least one phase, each with a structure",
        ));
    }
    let phases_of = |choice: &[usize]| -> Vec<Phase> {
        specs
            .iter()
            .zip(choice)
            .map(|(s, &c)| s.candidates[c].phase.clone())
            .collect()
    };
    let mut choice = vec![0usize; specs.len()];
    let mut compared = vec![Vec::new(); specs.len()];
    let quick = RefineSetup {
        params: setup.params.comparison(),
        control: setup.control.silent(),
        ..setup.clone()
    };
    for (s, spec) in specs.iter().enumerate() {
        if spec.candidates.len() < 2 {
            continue;
        }
        // The candidates' short fits are independent: in parallel.
        let mut tried: Vec<Compared> = (0..spec.candidates.len())
            .into_par_iter()
            .map(|c| {
                let mut with = choice.clone();
                with[s] = c;
                let rwp = quick
                    .refiner(phases_of(&with))
                    .fit(pattern, wavelength)
                    .map(|f| f.rwp)
                    .map_err(|e| e.to_string());
                Compared { candidate: c, rwp }
            })
            .collect();
        // The candidates come in preference order: the first is kept unless another fits
        // clearly better (crate::choice::choose).
        let rwps: Vec<std::result::Result<f64, String>> =
            tried.iter().map(|t| t.rwp.clone()).collect();
        choice[s] = crate::choice::choose(&rwps).unwrap_or(0);
        tried.sort_by(|a, b| match (&a.rwp, &b.rwp) {
            (Ok(x), Ok(y)) => x.total_cmp(y),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => a.candidate.cmp(&b.candidate),
        });
        compared[s] = tried;
        setup.control.check().map_err(xrd_refine::Error::from)?;
        setup.control.report(
            xrd_core::Progress::new("candidates", s + 1, specs.len()).message(spec.text.clone()),
        );
    }
    let refinement = setup.refiner(phases_of(&choice)).fit(pattern, wavelength)?;
    Ok(SpecRefinement {
        choice,
        compared,
        refinement,
    })
}
