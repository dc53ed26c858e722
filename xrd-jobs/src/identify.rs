//! The identification job (`xrd identify`, `xrd.identify`): search-match of measured patterns
//! against the mineral library and folders of CIF/POSCAR files, confirmed by refinement.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_core::{Control, Progress};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::{
    Background, ConfirmParams, Confirmation, DEFAULT_MAX_PHASES, DEFAULT_MIN_RWP_GAIN,
    DEFAULT_SIGNIFICANCE, Identification, Library, Matcher, PhaseParams, ReferenceParams,
    ReferenceSet, SearchEvaluation, SearchParams,
};

use crate::error::invalid;
use crate::{DEFAULT_CACHE, Error, IdentifyRow, Result, identify_rows};

/// How the background of a pattern is estimated before the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundMethod {
    /// Top-hat: the morphological opening, smoothed; follows broad humps.
    #[default]
    TopHat,
    /// SNIP (the lower envelope; a hump's top remains, as peaks).
    Snip,
}

/// The options of an identification ([`Identify`]), as `xrd identify`'s flags, `xrd.identify`'s
/// keywords and a JSON request take them; the defaults are xrd-minerals'.
///
/// ```
/// let o: xrd_jobs::IdentifyOptions = serde_json::from_str(r#"{"refine": false}"#).unwrap();
/// assert!(!o.refine && o.builtin);
/// assert!(o.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentifyOptions {
    /// The wavelength of patterns whose file gives none (default Cu Kα).
    pub wavelength: Option<Wavelength>,
    /// Confirm what the search finds by a Rietveld refinement (default true).
    pub refine: bool,
    /// The F-test a further phase must pass in the refinement, as a one-sided normal deviate.
    pub significance: f64,
    /// The relative drop of Rwp a further phase must bring as well.
    pub min_rwp_gain: f64,
    /// Further libraries: folders of CIF/POSCAR files, or such files.
    pub library: Vec<PathBuf>,
    /// Search the built-in AMCSD too (default true).
    pub builtin: bool,
    /// Phases made of these elements only.
    pub elements: Option<Vec<String>>,
    /// Phases that contain all of these elements.
    pub require: Vec<String>,
    /// Also propose structures measured away from room conditions, and ices.
    pub non_ambient: bool,
    /// Phases per pattern, at most.
    pub max_phases: usize,
    /// Candidates kept per pattern.
    pub top: usize,
    /// Refusal threshold: a best score below it names no phase.
    pub min_score: f64,
    /// Gaussian smoothing of both profiles, degrees.
    pub smoothing: f64,
    /// Power applied to intensities before comparing.
    pub power: f64,
    /// Noise floor in noise sigmas subtracted from the measured profile.
    pub noise_floor: f64,
    /// Floor as a fraction of the strongest peak.
    pub relative_floor: f64,
    /// Largest cell strain refined per candidate.
    pub strain: f64,
    /// Width of the prior on the strain.
    pub strain_prior: f64,
    /// Width of the background window, degrees.
    pub background: f64,
    /// How the background is estimated.
    pub background_method: BackgroundMethod,
    /// Folder of the cached reference patterns (default [`DEFAULT_CACHE`]).
    pub cache: PathBuf,
}

impl Default for IdentifyOptions {
    fn default() -> Self {
        let s = SearchParams::new();
        IdentifyOptions {
            wavelength: None,
            refine: true,
            significance: DEFAULT_SIGNIFICANCE,
            min_rwp_gain: DEFAULT_MIN_RWP_GAIN,
            library: Vec::new(),
            builtin: true,
            elements: None,
            require: Vec::new(),
            non_ambient: false,
            max_phases: DEFAULT_MAX_PHASES,
            top: s.get_top(),
            min_score: s.get_min_score(),
            smoothing: s.get_smoothing(),
            power: s.get_intensity_power(),
            noise_floor: s.get_noise_floor(),
            relative_floor: s.get_relative_floor(),
            strain: s.get_max_strain(),
            strain_prior: s.get_strain_prior(),
            background: s.get_background_width(),
            background_method: BackgroundMethod::TopHat,
            cache: PathBuf::from(DEFAULT_CACHE),
        }
    }
}

/// The notes of a confirming refinement: what it changed, and when its background misses a
/// slow part of the pattern, what more terms would give (identification has no background
/// option of its own; a refinement of the phases found takes it).
fn notes_of(c: &Confirmation) -> Vec<String> {
    let mut notes: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
    if let Some(b) = c.refinement.background_check.filter(|b| b.advised()) {
        notes.push(format!(
            "{}: refine the phases found with `xrd refine --background {}`",
            b.finding(),
            b.more_terms
        ));
    }
    notes
}

/// xrd-minerals' parameter names as this crate's option names.
fn renamed(e: xrd_minerals::Error) -> Error {
    match e.invalid_parameter() {
        Some(p) => {
            let name = match p.name {
                "intensity_power" => "power",
                "max_strain" => "strain",
                "background_width" => "background",
                "required" => "require",
                other => other,
            };
            invalid(name, p.reason.clone())
        }
        None => e.into(),
    }
}

impl IdentifyOptions {
    /// The search's settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the option out of range.
    pub fn search(&self) -> Result<SearchParams> {
        let search = SearchParams::new()
            .elements(self.elements.clone())
            .required(self.require.clone())
            .non_ambient(self.non_ambient)
            .top(self.top)
            .min_score(self.min_score)
            .smoothing(self.smoothing)
            .intensity_power(self.power)
            .noise_floor(self.noise_floor)
            .relative_floor(self.relative_floor)
            .max_strain(self.strain)
            .strain_prior(self.strain_prior)
            .background_width(self.background)
            .background(match self.background_method {
                BackgroundMethod::TopHat => Background::TopHat,
                BackgroundMethod::Snip => Background::Snip,
            });
        search.check().map_err(renamed)?;
        Ok(search)
    }

    /// The phase search's settings.
    ///
    /// # Errors
    /// As [`IdentifyOptions::search`].
    pub fn phases(&self) -> Result<PhaseParams> {
        let phases = PhaseParams::new().max_phases(self.max_phases);
        phases.check().map_err(renamed)?;
        Ok(phases)
    }

    /// The refinement's settings, `None` without refinement.
    ///
    /// # Errors
    /// As [`IdentifyOptions::search`].
    pub fn confirm(&self) -> Result<Option<ConfirmParams>> {
        if !self.refine {
            return Ok(None);
        }
        let p = ConfirmParams::new()
            .significance(self.significance)
            .min_rwp_gain(self.min_rwp_gain)
            .max_phases(self.max_phases);
        p.check().map_err(renamed)?;
        Ok(Some(p))
    }

    /// Checks every option.
    ///
    /// # Errors
    /// As [`IdentifyOptions::search`]; `library` when neither the built-in library nor a
    /// folder is searched.
    pub fn check(&self) -> Result<()> {
        self.search()?;
        self.phases()?;
        self.confirm()?;
        if !self.builtin && self.library.is_empty() {
            return Err(invalid(
                "library",
                "no library: without the built-in one, give a folder",
            ));
        }
        Ok(())
    }
}

/// What the identification of one pattern returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct IdentifiedFile {
    /// The pattern's label.
    pub file: String,
    /// One row per phase found (phase 0 when none); empty when it failed.
    pub rows: Vec<IdentifyRow>,
    /// Why it failed.
    pub error: Option<String>,
    /// The refinement's notes: what it changed, and what more background terms would give
    /// when its background misses a slow part of the pattern.
    pub notes: Vec<String>,
    /// The search's result (candidates, unexplained peaks, profiles).
    #[serde(skip)]
    pub found: Option<Identification>,
    /// The refinement's result.
    #[serde(skip)]
    pub confirmed: Option<Confirmation>,
}

impl IdentifiedFile {
    /// The peaks no phase explains (2θ, height as a share of the strongest point): those the
    /// search left, less those the refinement's phases account for
    /// ([`xrd_minerals::Confirmation::unexplained`]: a phase it added or put in place of the
    /// search's).
    pub fn unexplained(&self) -> Vec<(f64, f64)> {
        match (&self.found, &self.confirmed) {
            (Some(found), Some(confirmed)) => confirmed.unexplained(found),
            (Some(found), None) => found.unexplained.clone(),
            (None, _) => Vec::new(),
        }
    }

    /// What a reader is told beside the rows (`xrd identify`'s stderr lines, Python's
    /// warnings): the refinement's notes, each as `refinement: …`, then the peaks no phase
    /// explains (the first eight, with their heights as a share of the strongest point).
    pub fn messages(&self) -> Vec<String> {
        let mut out: Vec<String> = (self.notes.iter())
            .map(|n| format!("refinement: {n}"))
            .collect();
        let unexplained = self.unexplained();
        if !unexplained.is_empty() {
            let list: Vec<String> = (unexplained.iter().take(8))
                .map(|(t, h)| format!("{t:.2}° ({:.0} %)", 100.0 * h))
                .collect();
            let more = if unexplained.len() > 8 { ", …" } else { "" };
            out.push(format!("unexplained peaks: {}{more}", list.join(", ")));
        }
        out
    }
}

/// What an identification returns: one [`IdentifiedFile`] per pattern, in order.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Identified {
    /// The patterns' results.
    pub files: Vec<IdentifiedFile>,
}

/// An identification job: the library read once, and one matcher per wavelength met (its
/// reference set simulated or read from the disk cache once), kept for the life of the job, so
/// a front end that keeps the job (the Python bindings, the workbench) pays for them once.
#[derive(Debug)]
pub struct Identify {
    options: IdentifyOptions,
    search: SearchParams,
    phases: PhaseParams,
    confirm: Option<ConfirmParams>,
    library: Arc<Library>,
    matchers: Mutex<Vec<(Wavelength, Arc<Matcher>)>>,
}

impl Identify {
    /// The job of `options`: the library assembled (the built-in one and the folders given).
    ///
    /// # Errors
    /// An option out of range; the library's errors.
    pub fn new(options: IdentifyOptions) -> Result<Self> {
        Self::with_library(options, None)
    }

    /// As [`Identify::new`], with `builtin` as the built-in library when given and no folder
    /// is (a front end that keeps it across calls).
    ///
    /// # Errors
    /// As [`Identify::new`].
    pub fn with_library(options: IdentifyOptions, builtin: Option<Arc<Library>>) -> Result<Self> {
        options.check()?;
        let library = match builtin {
            Some(l) if options.builtin && options.library.is_empty() => l,
            _ => Arc::new(Library::assemble(options.builtin, &options.library)?),
        };
        Ok(Identify {
            search: options.search()?,
            phases: options.phases()?,
            confirm: options.confirm()?,
            options,
            library,
            matchers: Mutex::new(Vec::new()),
        })
    }

    /// The options of the job.
    pub fn options(&self) -> &IdentifyOptions {
        &self.options
    }

    /// The library searched.
    pub fn library(&self) -> &Arc<Library> {
        &self.library
    }

    /// The reference set at `wavelength` (cached on disk in the option's folder), reporting
    /// its progress as `references`.
    ///
    /// # Errors
    /// The library's errors.
    pub fn references(&self, wavelength: Wavelength, control: &Control) -> Result<ReferenceSet> {
        let params = ReferenceParams::new().wavelength(wavelength);
        let n = self.library.len();
        Ok(ReferenceSet::cached(
            &self.library,
            &params,
            &self.options.cache,
            |done, _| control.report(Progress::new("references", done, n)),
        )?)
    }

    /// The matcher of patterns at `wavelength`: built at the first call (its reference set
    /// reported as `references`, then once ready as `reference sets` with its size and
    /// wavelength), kept for the next.
    ///
    /// # Errors
    /// [`Error::Cancelled`]; the reference set's errors.
    pub fn matcher(&self, wavelength: Wavelength, control: &Control) -> Result<Arc<Matcher>> {
        let kept = |all: &[(Wavelength, Arc<Matcher>)]| {
            all.iter()
                .find(|(w, _)| *w == wavelength)
                .map(|(_, m)| Arc::clone(m))
        };
        if let Some(m) = kept(&self.matchers.lock().unwrap_or_else(PoisonError::into_inner)) {
            return Ok(m);
        }
        control.check()?;
        let set = self.references(wavelength, control)?;
        let matcher = Arc::new(Matcher::new(
            Arc::clone(&self.library),
            &set,
            wavelength,
            self.search.clone(),
        )?);
        let mut all = self.matchers.lock().unwrap_or_else(PoisonError::into_inner);
        // Two callers may have built it at once: the first one kept is the one used.
        if let Some(m) = kept(&all) {
            return Ok(m);
        }
        all.push((wavelength, Arc::clone(&matcher)));
        control.report(
            Progress::new("reference sets", all.len(), 0).message(format!(
                "{} references at {} Å",
                set.len(),
                wavelength.angstrom()
            )),
        );
        Ok(matcher)
    }

    /// The wavelength `pattern` is read at: its file's, else the option's, else Cu Kα.
    pub fn wavelength_of(&self, pattern: &Pattern) -> Wavelength {
        pattern
            .wavelength()
            .or(self.options.wavelength)
            .unwrap_or(Wavelength::CU_KA)
    }

    /// Identifies the patterns `named` (label, pattern), in parallel, with the matcher of each
    /// one's wavelength; a pattern that fails keeps its error and the rest go on. Reports the
    /// matchers as [`Identify::matcher`] does, then each pattern done (`files`, with its label);
    /// a cancel stops the refinement under way at its next step and the job returns
    /// [`Error::Cancelled`].
    ///
    /// # Errors
    /// [`Error::Cancelled`]; the reference sets' errors.
    pub fn run(&self, named: &[(String, Pattern)], control: &Control) -> Result<Identified> {
        let mut matchers: Vec<(Wavelength, Arc<Matcher>)> = Vec::new();
        for (_, p) in named {
            let w = self.wavelength_of(p);
            if !matchers.iter().any(|(m, _)| *m == w) {
                matchers.push((w, self.matcher(w, control)?));
            }
        }
        let n = named.len();
        let done = AtomicUsize::new(0);
        let files: Vec<Result<IdentifiedFile>> = named
            .par_iter()
            .map(|(label, pattern)| {
                control.check()?;
                let w = self.wavelength_of(pattern);
                let pattern = pattern.clone().with_wavelength(Some(w));
                let result = match matchers.iter().find(|(m, _)| *m == w) {
                    Some((_, matcher)) => self.one(matcher, &pattern, control),
                    None => Err(Error::Input("no reference set for a wavelength".into())),
                };
                let file = match result {
                    Ok((found, confirmed)) => {
                        let reported = found.report(confirmed.as_ref());
                        IdentifiedFile {
                            file: label.clone(),
                            rows: identify_rows(&self.library, label, &found, &reported),
                            error: None,
                            notes: confirmed.as_ref().map(notes_of).unwrap_or_default(),
                            found: Some(found),
                            confirmed,
                        }
                    }
                    Err(Error::Cancelled) => return Err(Error::Cancelled),
                    Err(e) => IdentifiedFile {
                        file: label.clone(),
                        rows: Vec::new(),
                        error: Some(e.to_string()),
                        notes: Vec::new(),
                        found: None,
                        confirmed: None,
                    },
                };
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                control.report(Progress::new("files", k, n).message(label.clone()));
                Ok(file)
            })
            .collect();
        Ok(Identified {
            files: files.into_iter().collect::<Result<_>>()?,
        })
    }

    /// Search-match of labelled patterns (`truth`: each one's space group) with the first
    /// phase scored against the label (`xrd identify evaluate`); patterns at the option's
    /// wavelength, else Cu Kα. Progress as `patterns`.
    ///
    /// # Errors
    /// [`Error::Cancelled`]; `truth` not one space group per pattern; the reference set's
    /// errors.
    pub fn evaluate(
        &self,
        patterns: &[Pattern],
        truth: &[u8],
        control: &Control,
    ) -> Result<SearchEvaluation> {
        let w = self.options.wavelength.unwrap_or(Wavelength::CU_KA);
        let matcher = self.matcher(w, control)?;
        let n = patterns.len();
        let evaluation = matcher.evaluate(patterns, truth, |done| {
            control.report(Progress::new("patterns", done, n));
        })?;
        control.check()?;
        Ok(evaluation)
    }

    fn one(
        &self,
        matcher: &Matcher,
        pattern: &Pattern,
        control: &Control,
    ) -> Result<(Identification, Option<Confirmation>)> {
        let found = matcher.identify(pattern, &self.phases)?;
        let confirmed = match &self.confirm {
            Some(params) => matcher.confirm(pattern, &found, params, control)?,
            None => None,
        };
        Ok((found, confirmed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(o: IdentifyOptions) -> String {
        match o.check() {
            Err(Error::InvalidParameter(p)) => p.name.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_check() {
        assert!(IdentifyOptions::default().check().is_ok());
        let o: IdentifyOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, IdentifyOptions::default());
        assert!(serde_json::from_str::<IdentifyOptions>(r#"{"dance": 1}"#).is_err());
    }

    #[test]
    fn a_cancelled_control_stops_before_the_first_pattern() {
        let job = Identify::new(IdentifyOptions::default()).unwrap();
        let pattern = Pattern::new(vec![20.0, 20.1, 20.2], vec![1.0, 2.0, 1.0]).unwrap();
        let control = Control::new();
        control.cancel();
        let named = vec![("a".to_string(), pattern)];
        assert!(matches!(job.run(&named, &control), Err(Error::Cancelled)));
    }

    #[test]
    fn invalid_smoothing() {
        let o = IdentifyOptions {
            smoothing: 0.0,
            ..Default::default()
        };
        assert_eq!(name(o), "smoothing");
    }

    #[test]
    fn invalid_power() {
        let o = IdentifyOptions {
            power: -1.0,
            ..Default::default()
        };
        assert_eq!(name(o), "power");
    }

    #[test]
    fn invalid_noise_floor() {
        let o = IdentifyOptions {
            noise_floor: f64::NAN,
            ..Default::default()
        };
        assert_eq!(name(o), "noise_floor");
    }

    #[test]
    fn invalid_relative_floor() {
        let o = IdentifyOptions {
            relative_floor: 0.7,
            ..Default::default()
        };
        assert_eq!(name(o), "relative_floor");
    }

    #[test]
    fn invalid_strain() {
        let o = IdentifyOptions {
            strain: 0.5,
            ..Default::default()
        };
        assert_eq!(name(o), "strain");
    }

    #[test]
    fn invalid_strain_prior() {
        let o = IdentifyOptions {
            strain_prior: 0.0,
            ..Default::default()
        };
        assert_eq!(name(o), "strain_prior");
    }

    #[test]
    fn invalid_background() {
        let o = IdentifyOptions {
            background: 200.0,
            ..Default::default()
        };
        assert_eq!(name(o), "background");
    }

    #[test]
    fn invalid_max_phases() {
        let o = IdentifyOptions {
            max_phases: 0,
            ..Default::default()
        };
        assert_eq!(name(o), "max_phases");
    }

    #[test]
    fn invalid_library() {
        let o = IdentifyOptions {
            builtin: false,
            ..Default::default()
        };
        assert_eq!(name(o), "library");
    }

    #[test]
    fn invalid_top() {
        let o = IdentifyOptions {
            top: 0,
            ..Default::default()
        };
        assert_eq!(name(o), "top");
    }

    #[test]
    fn invalid_min_score() {
        let o = IdentifyOptions {
            min_score: 2.0,
            ..Default::default()
        };
        assert_eq!(name(o), "min_score");
    }

    #[test]
    fn invalid_elements() {
        let o = IdentifyOptions {
            elements: Some(vec!["Xx".into()]),
            ..Default::default()
        };
        assert_eq!(name(o), "elements");
    }

    #[test]
    fn invalid_require() {
        let o = IdentifyOptions {
            require: vec!["Xx".into()],
            ..Default::default()
        };
        assert_eq!(name(o), "require");
    }

    #[test]
    fn invalid_significance() {
        let o = IdentifyOptions {
            significance: 0.0,
            ..Default::default()
        };
        assert_eq!(name(o), "significance");
    }

    #[test]
    fn invalid_min_rwp_gain() {
        let o = IdentifyOptions {
            min_rwp_gain: 0.9,
            ..Default::default()
        };
        assert_eq!(name(o), "min_rwp_gain");
    }
}
