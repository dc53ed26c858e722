//! The options of a refinement as the command line and Python take them, turned into its
//! configuration once: stage names, the wavelength a measured pattern is read at, and which
//! phase or reference an internal standard or a calibration names.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;
use xrd_minerals::{DEFAULT_MAX_CANDIDATES, PhaseSpec};
use xrd_refine::{
    Alignment, Instrument, MeasuredReferences, ParamId, Phase, Reference, ReferenceLibrary,
    RefineParams, SiteParam, Stage, SummationParams,
};

use crate::error::invalid;
use crate::{Error, Result};

/// The stages named (`scale`, `cells`, `profile`, `texture`, `b`; [`Stage::name`]), in the
/// order given.
///
/// ```
/// use xrd_refine::Stage;
/// let stages = xrd_jobs::stages_from_names(&["scale", "cells"]).unwrap();
/// assert_eq!(stages, [Stage::ScaleBackground, Stage::CellsZero]);
/// assert!(xrd_jobs::stages_from_names(&["magic"]).is_err());
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
/// assert_eq!(xrd_jobs::named_index("anatase", &specs, &[]), Some(0));
/// assert_eq!(xrd_jobs::named_index("rutile", &specs, &[]), None);
/// ```
pub fn named_index(name: &str, specs: &[PhaseSpec], references: &[Reference]) -> Option<usize> {
    specs.iter().position(|p| p.text == name).or_else(|| {
        let j = references
            .iter()
            .position(|r| r.id.eq_ignore_ascii_case(name))?;
        Some(specs.len() + j)
    })
}

/// A phase or reference weighed into the sample: `SPEC=WT` on the command line, `(spec, wt)`
/// in Python, `{"spec": …, "weight": …}` in JSON.
///
/// ```
/// let w: xrd_jobs::Weighed = "corundum = 0.2".parse()?;
/// assert_eq!(w, xrd_jobs::Weighed { spec: "corundum".into(), weight: 0.2 });
/// assert!("corundum".parse::<xrd_jobs::Weighed>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighed {
    /// The phase's spec as given among the phases, or a reference's id.
    pub spec: String,
    /// Its weight fraction of the sample (0–1).
    pub weight: f64,
}

impl std::str::FromStr for Weighed {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (spec, wt) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("`{s}`: expected SPEC=WT"))?;
        let weight: f64 = wt
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{}` is not a number", wt.trim()))?;
        Ok(Weighed {
            spec: spec.trim().to_string(),
            weight,
        })
    }
}

impl std::fmt::Display for Weighed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.spec, self.weight)
    }
}

/// The stage names of [`Stage::DEFAULT`].
fn default_stages() -> Vec<String> {
    Stage::DEFAULT
        .iter()
        .map(|s| s.name().to_string())
        .collect()
}

/// The options of a refinement ([`crate::Refine`]): structures named by specs, measured
/// references summed, or both in one fit. One struct for the command line (`xrd refine`'s
/// flags), Python (`xrd.refine`'s keywords) and a JSON request, with the same defaults and the
/// same [`RefineOptions::check`].
///
/// ```
/// let o: xrd_jobs::RefineOptions =
///     serde_json::from_str(r#"{"phases": ["anatase"], "background": 8}"#).unwrap();
/// assert_eq!(o.refine_params()?.get_background_terms(), 8);
/// assert_eq!(o.stages, ["scale", "cells", "profile", "texture"]);
/// // A misspelt option is refused, not ignored.
/// assert!(serde_json::from_str::<xrd_jobs::RefineOptions>(r#"{"phase": []}"#).is_err());
/// # Ok::<(), xrd_jobs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RefineOptions {
    /// Phase specs: library ids, mineral names, formulas, CIF/POSCAR paths, `pawley:…`,
    /// `ponkcs:FILE` ([`PhaseSpec::resolve`]).
    pub phases: Vec<String>,
    /// Further libraries: folders of CIF/POSCAR files, or such files.
    pub library: Vec<PathBuf>,
    /// Look names up in the built-in AMCSD too (default true).
    pub builtin: bool,
    /// Ids of measured references of `reference_library` to fit.
    pub references: Vec<String>,
    /// The library of measured reference patterns ([`ReferenceLibrary::read`]).
    pub reference_library: Option<PathBuf>,
    /// With phases and references together: the corundum structure refined on the library's
    /// corundum pattern, which puts the two kinds of weight side by side (default `corundum`).
    pub rir_bridge: String,
    /// How references are aligned: `reference`, `sample` or `none` (default `reference`).
    pub alignment: String,
    /// The largest 2θ shift (°) of a reference (default the summation's).
    pub max_shift: f64,
    /// An instrument file: ours (`save_instrument`) or a GSAS `.prm`/`.iparm`/`.instprm`.
    pub instrument: Option<PathBuf>,
    /// The pattern is a standard: refine the instrument and write it here.
    pub save_instrument: Option<PathBuf>,
    /// An internal standard weighed in (a phase spec or a reference id).
    pub standard: Option<Weighed>,
    /// PONKCS: a `pawley:` phase weighed in, calibrated on this mixture.
    pub calibrate: Option<Weighed>,
    /// Particle diameter (µm) of Brindley's microabsorption correction.
    pub particle_size: Option<f64>,
    /// Diffracted-beam monochromator angle 2θ_m (°).
    pub monochromator: Option<f64>,
    /// Polarisation fraction P of the incident beam (0–1).
    pub polarisation: Option<f64>,
    /// Debye–Scherrer capillary: the sample's μR.
    pub capillary: Option<f64>,
    /// How the specimen sits in the beam: `bragg_brentano` or `debye_scherrer`
    /// ([`xrd_refine::SampleGeometry`]; default the instrument file's: Debye–Scherrer for a
    /// GSAS neutron file or with `capillary`, else Bragg–Brentano).
    pub geometry: Option<String>,
    /// The wavelength of patterns whose file gives none (else the instrument file's, else
    /// Cu Kα).
    pub wavelength: Option<Wavelength>,
    /// Refine only this 2θ range (°).
    pub two_theta_range: Option<(f64, f64)>,
    /// 2θ regions (°, each `[from, to]`) left out of the fit.
    pub exclude: Vec<(f64, f64)>,
    /// Parameters held at their start, by id ([`xrd_refine::ParamId`]: `Calcite.size`,
    /// `instrument.zero`).
    pub fix: Vec<String>,
    /// Parameters refined in the last stage beside what the stages free, by id.
    pub free: Vec<String>,
    /// Chebyshev background terms (default the refinement's, or the summation's with
    /// references alone).
    pub background: Option<usize>,
    /// Broad background peaks.
    pub humps: usize,
    /// The stages in order ([`stages_from_names`]; default [`Stage::DEFAULT`]).
    pub stages: Vec<String>,
    /// At most this many library entries of one spec are compared.
    pub max_candidates: usize,
    /// The site parameters the `atoms` stage refines: `x`, `y`, `z` (or `xyz`), `U` (or
    /// `uiso`), `occ`, `uij` (anisotropic, in place of U) (default `xyz`, `U`).
    pub atoms: Vec<String>,
    /// Bond distances and angles of refined structures held near a target
    /// ([`xrd_refine::Restraint`]: `PHASE:A-B=1.47/0.01`, `PHASE:A-C-B=109.5/1`).
    pub restraints: Vec<String>,
    /// The highest order of the spherical-harmonic texture offered to each structure phase
    /// (even, 2–8; 0 none, the default): kept where it beats random powder and March–Dollase
    /// ([`RefineParams::texture_harmonics`]).
    pub texture_harmonics: u8,
}

impl Default for RefineOptions {
    fn default() -> Self {
        RefineOptions {
            phases: Vec::new(),
            library: Vec::new(),
            builtin: true,
            references: Vec::new(),
            reference_library: None,
            rir_bridge: DEFAULT_RIR_BRIDGE.to_string(),
            alignment: Alignment::default().name().to_string(),
            max_shift: SummationParams::default().get_max_shift(),
            instrument: None,
            save_instrument: None,
            standard: None,
            calibrate: None,
            particle_size: None,
            monochromator: None,
            polarisation: None,
            capillary: None,
            geometry: None,
            wavelength: None,
            two_theta_range: None,
            exclude: Vec::new(),
            fix: Vec::new(),
            free: Vec::new(),
            background: None,
            humps: RefineParams::default().get_humps(),
            stages: default_stages(),
            max_candidates: DEFAULT_MAX_CANDIDATES,
            atoms: vec!["xyz".into(), "U".into()],
            restraints: Vec::new(),
            texture_harmonics: 0,
        }
    }
}

/// The site parameters of names such as `xyz`, `U`, `occ` ([`RefineOptions::atoms`]).
///
/// # Errors
/// [`crate::Error::InvalidParameter`] (`atoms`) for a name that is no site parameter.
pub fn site_params_from_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<SiteParam>> {
    let mut out = Vec::new();
    for n in names {
        let n = n.as_ref();
        let more = if n == "xyz" {
            vec![SiteParam::X, SiteParam::Y, SiteParam::Z]
        } else if n == "uij" || n == "Uij" {
            SiteParam::ANISOTROPIC.to_vec()
        } else {
            vec![n.parse::<SiteParam>().map_err(|_| {
                invalid(
                    "atoms",
                    format!("`{n}` is no site parameter (xyz, x, y, z, U, occ, uij)"),
                )
            })?]
        };
        for p in more {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The structure that bridges measured references and structures by default.
pub const DEFAULT_RIR_BRIDGE: &str = "corundum";

/// `r`'s refused parameter as this crate's, renamed from the refinement's setter to the
/// option's field, so that every front end matches one variant.
pub(crate) fn renamed<T>(r: Result<T>, names: &[(&str, &'static str)]) -> Result<T> {
    r.map_err(|e| match e.invalid_parameter() {
        Some(p) => {
            let name = names
                .iter()
                .find(|(from, _)| *from == p.name)
                .map_or(p.name, |(_, to)| to);
            invalid(name, p.reason.clone())
        }
        None => e,
    })
}

/// A weight fraction of `SPEC=WT` in (0, 1).
fn check_weight(name: &'static str, w: &Option<Weighed>) -> Result<()> {
    match w {
        Some(w) if !(w.weight > 0.0 && w.weight < 1.0) => Err(invalid(
            name,
            format!("`{w}`: the weight fraction must be in (0, 1)"),
        )),
        _ => Ok(()),
    }
}

impl RefineOptions {
    /// Checks every option as the job will use it.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the field: no phase and no reference, a
    /// reference without its library, an unknown stage or alignment, a value out of range, a
    /// weight fraction outside (0, 1), a calibration beside references.
    pub fn check(&self) -> Result<()> {
        if self.phases.is_empty() && self.references.is_empty() {
            return Err(invalid("phases", "name at least one phase or reference"));
        }
        if !self.references.is_empty() && self.reference_library.is_none() {
            return Err(invalid(
                "reference_library",
                "references need reference_library (a file or folder)",
            ));
        }
        if !self.builtin
            && self.library.is_empty()
            && !self.phases.iter().all(|p| PhaseSpec::is_file(p))
        {
            return Err(invalid(
                "builtin",
                "no library: builtin false needs a library",
            ));
        }
        if self.max_candidates == 0 {
            return Err(invalid("max_candidates", "must be ≥ 1"));
        }
        if self.calibrate.is_some() && !self.references.is_empty() {
            return Err(invalid("calibrate", "not with references"));
        }
        check_weight("standard", &self.standard)?;
        check_weight("calibrate", &self.calibrate)?;
        if let Some(d) = self.particle_size
            && !(d.is_finite() && d >= 0.0)
        {
            return Err(invalid("particle_size", format!("{d} µm must be ≥ 0")));
        }
        self.instrument_overrides(Instrument::default())?;
        self.refine_params()?;
        self.summation_params()?;
        Ok(())
    }

    /// `instrument` with this options' monochromator, polarisation, capillary and geometry
    /// (a capillary without a geometry is a Debye–Scherrer sample), checked.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] (`monochromator`, `polarisation`, `capillary`,
    /// `geometry`) or the
    /// instrument's own.
    pub fn instrument_overrides(&self, mut instrument: Instrument) -> Result<Instrument> {
        if self.monochromator.is_some() {
            instrument.monochromator = self.monochromator;
        }
        if self.polarisation.is_some() {
            instrument.polarisation = self.polarisation;
        }
        if self.capillary.is_some() {
            instrument.capillary_mu_r = self.capillary;
            instrument.geometry = xrd_refine::SampleGeometry::implied(instrument.probe, true);
        }
        if let Some(g) = &self.geometry {
            instrument.geometry = g.parse().map_err(Error::from)?;
        }
        let checked = instrument.check().map_err(Error::from);
        renamed(checked, &[("capillary_mu_r", "capillary")])?;
        Ok(instrument)
    }

    /// The refinement's settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for an unknown stage or a value out of range.
    pub fn refine_params(&self) -> Result<RefineParams> {
        let ids = |option: &'static str, texts: &[String]| -> Result<Vec<ParamId>> {
            texts
                .iter()
                .map(|t| {
                    t.parse::<ParamId>()
                        .map_err(|e| invalid(option, format!("`{t}`: {e}")))
                })
                .collect()
        };
        let mut params = RefineParams::new()
            .two_theta_range(self.two_theta_range)
            .excluded(self.exclude.clone())
            .fixed(ids("fix", &self.fix)?)
            .freed(ids("free", &self.free)?)
            .instrument_standard(self.save_instrument.is_some())
            .humps(self.humps);
        let restraints = self
            .restraints
            .iter()
            .map(|t| t.parse::<xrd_refine::Restraint>().map_err(Error::from))
            .collect::<Result<Vec<_>>>()?;
        params = params
            .stages(stages_from_names(&self.stages)?)
            .atoms(site_params_from_names(&self.atoms)?)
            .restraints(restraints)
            .texture_harmonics(self.texture_harmonics);
        if let Some(b) = self.background {
            params = params.background_terms(b);
        }
        let checked = params.check().map_err(Error::from);
        renamed(
            checked,
            &[
                ("background_terms", "background"),
                ("excluded", "exclude"),
                ("fixed", "fix"),
            ],
        )?;
        Ok(params)
    }

    /// A full-pattern summation's settings (its own default background: the references carry
    /// their own backgrounds).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for an unknown alignment or a value out of range.
    pub fn summation_params(&self) -> Result<SummationParams> {
        let a = Alignment::from_name(&self.alignment).ok_or_else(|| {
            invalid(
                "alignment",
                format!("`{}`: reference, sample or none", self.alignment),
            )
        })?;
        let mut params = SummationParams::new()
            .two_theta_range(self.two_theta_range)
            .excluded(self.exclude.clone())
            .alignment(a)
            .max_shift(self.max_shift);
        if let Some(b) = self.background {
            params = params.background_terms(b);
        }
        let checked = params.check().map_err(Error::from);
        renamed(
            checked,
            &[("background_terms", "background"), ("excluded", "exclude")],
        )?;
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
) -> Result<MeasuredReferences> {
    let k = xrd_refine::rir_scale(bridge, corundum, wavelength, instrument)?;
    Ok(MeasuredReferences {
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

    /// The field `check` refuses in options changed by `f` from valid ones.
    fn refused(f: fn(&mut RefineOptions)) -> String {
        let mut o = RefineOptions {
            phases: vec!["anatase".into()],
            ..Default::default()
        };
        assert!(o.check().is_ok());
        f(&mut o);
        name(o.check().unwrap_err())
    }

    #[test]
    fn one_test_per_invalid_option() {
        assert_eq!(refused(|o| o.phases.clear()), "phases");
        assert_eq!(
            refused(|o| o.references = vec!["QUARTZ".into()]),
            "reference_library"
        );
        assert_eq!(refused(|o| o.builtin = false), "builtin");
        assert_eq!(refused(|o| o.max_candidates = 0), "max_candidates");
        fn w(weight: f64) -> Option<Weighed> {
            Some(Weighed {
                spec: "anatase".into(),
                weight,
            })
        }
        assert_eq!(refused(|o| o.standard = w(1.5)), "standard");
        assert_eq!(refused(|o| o.calibrate = w(0.0)), "calibrate");
        assert_eq!(
            refused(|o| {
                o.references = vec!["QUARTZ".into()];
                o.reference_library = Some("refs.csv".into());
                o.calibrate = Some(Weighed {
                    spec: "anatase".into(),
                    weight: 0.5,
                });
            }),
            "calibrate"
        );
        assert_eq!(refused(|o| o.particle_size = Some(-1.0)), "particle_size");
        assert_eq!(refused(|o| o.monochromator = Some(200.0)), "monochromator");
        assert_eq!(refused(|o| o.polarisation = Some(1.5)), "polarisation");
        assert_eq!(refused(|o| o.capillary = Some(-1.0)), "capillary");
        assert_eq!(refused(|o| o.geometry = Some("cone".into())), "geometry");
        assert_eq!(
            refused(|o| o.two_theta_range = Some((50.0, 10.0))),
            "two_theta_range"
        );
        assert_eq!(refused(|o| o.background = Some(0)), "background");
        assert_eq!(refused(|o| o.humps = 9), "humps");
        assert_eq!(refused(|o| o.texture_harmonics = 5), "texture_harmonics");
        assert_eq!(refused(|o| o.texture_harmonics = 10), "texture_harmonics");
        assert_eq!(refused(|o| o.stages = vec!["warp".into()]), "stages");
        assert_eq!(refused(|o| o.stages.clear()), "stages");
        assert_eq!(refused(|o| o.alignment = "sideways".into()), "alignment");
        assert_eq!(refused(|o| o.max_shift = -1.0), "max_shift");
        assert_eq!(refused(|o| o.exclude = vec![(40.0, 30.0)]), "exclude");
        assert_eq!(refused(|o| o.fix = vec!["Calcite.volume".into()]), "fix");
        assert_eq!(refused(|o| o.free = vec!["nothing".into()]), "free");
        assert_eq!(
            refused(|o| {
                o.fix = vec!["instrument.zero".into()];
                o.free = vec!["instrument.zero".into()];
            }),
            "fix"
        );
    }

    #[test]
    fn the_defaults_are_the_crates_own() {
        let o = RefineOptions::default();
        assert_eq!(o.refine_params().unwrap(), RefineParams::default());
        assert_eq!(o.summation_params().unwrap(), SummationParams::default());
        // JSON with nothing in it is the default, and the default goes through JSON unchanged.
        let empty: RefineOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, o);
        let again: RefineOptions =
            serde_json::from_value(serde_json::to_value(&o).unwrap()).unwrap();
        assert_eq!(again, o);
    }
}
