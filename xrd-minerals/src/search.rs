//! Search-match: every reference of a library scored against a measured pattern.
//!
//! **Figure of merit.** The cosine similarity of two profiles: the measured pattern, background
//! removed ([`SearchParams::background`], a top-hat by default), scaled to 1 and raised to a
//! power ([`SearchParams::intensity_power`], 1 by default; ½ makes intensity errors of texture
//! and of the reference count less than positions), and the reference's reflections with the
//! same transform, each a Gaussian of standard deviation σ ([`SearchParams::smoothing`]) with
//! its Kα2 partner when the pattern has one; the measured profile is smoothed with the same
//! Gaussian. Both are continuous functions of 2θ, so the cosine is computed without rendering
//! the reference: ⟨R, Y⟩ = Σₖ wₖ (y ⋆ G_{σ√2})(2θₖ) and ‖R‖² = Σⱼₖ wⱼ wₖ G_{σ√2}(2θⱼ − 2θₖ)
//! (with the doublet's terms).
//!
//! **Tolerances.** A cell scale (isotropic strain, [`SearchParams::max_strain`], ±2 % by default)
//! is searched for every reference on a grid in 1/d, where it is a multiplication; the best
//! candidates are then refined on a finer grid together with a zero shift of 2θ
//! ([`SearchParams::max_zero_shift`]), which also absorbs most of a sample displacement over a
//! pattern's range. Background goes with the top-hat, noise with the smoothing, intensity errors
//! (preferred orientation) with the power transform.
//!
//! **Refusal.** A pattern whose best score is below [`SearchParams::min_score`] matches nothing.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};

use crate::error::invalid;
use crate::library::Library;
use crate::profile::{Measured, Preparation, gaussian};
use crate::references::ReferenceSet;
use crate::{Error, Result};

/// Default σ of the Gaussian of the profiles (° 2θ).
pub const DEFAULT_SMOOTHING: f64 = 0.15;
/// Default width (° 2θ) of the background window ([`SearchParams::background_width`]).
pub const DEFAULT_BACKGROUND_WIDTH: f64 = 5.0;
/// Default noise floor (in noise standard deviations) subtracted before the power transform.
pub const DEFAULT_NOISE_FLOOR: f64 = 3.0;
/// Default floor subtracted before the power transform, as a fraction of the strongest point.
pub const DEFAULT_RELATIVE_FLOOR: f64 = 0.0;
/// Default power of the intensity transform.
pub const DEFAULT_INTENSITY_POWER: f64 = 1.0;
/// Default largest isotropic strain of a reference's cell.
pub const DEFAULT_MAX_STRAIN: f64 = 0.02;
/// Default σ of the Gaussian prior on the strain (its weight multiplies the score).
pub const DEFAULT_STRAIN_PRIOR: f64 = 0.015;
/// Default strain step of the search over every reference.
pub const DEFAULT_STRAIN_STEP: f64 = 0.003;
/// Default largest zero shift (° 2θ) of the refinement.
pub const DEFAULT_MAX_ZERO_SHIFT: f64 = 0.1;
/// Default number of candidates refined.
pub const DEFAULT_REFINED: usize = 64;
/// Default number of candidates returned.
pub const DEFAULT_TOP: usize = 10;
/// Default refusal threshold of the score; chosen on the RRUFF development set (see the README).
pub const DEFAULT_MIN_SCORE: f64 = 0.6;

const CUTOFF_SIGMAS: f64 = 4.0;
/// Steps of the refinement per search step of strain.
const REFINE_STRAIN_SUBSTEPS: usize = 4;
/// Zero-shift step of the refinement, in units of σ.
const REFINE_ZERO_STEP_SIGMAS: f64 = 0.25;

/// How the background of a measured pattern is estimated before it is compared
/// ([`SearchParams::background`]): xrd-io's, shared by every crate that prepares a measured
/// pattern.
pub use xrd_io::Background;

/// Settings of a search (builder; defaults on each setter, `DEFAULT_*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    smoothing: f64,
    background: Background,
    background_width: f64,
    intensity_power: f64,
    noise_floor: f64,
    relative_floor: f64,
    max_strain: f64,
    strain_prior: f64,
    strain_step: f64,
    max_zero_shift: f64,
    refined: usize,
    top: usize,
    min_score: f64,
    elements: Option<Vec<String>>,
    required: Vec<String>,
    non_ambient: bool,
}

impl Default for SearchParams {
    fn default() -> Self {
        Self {
            smoothing: DEFAULT_SMOOTHING,
            background: Background::default(),
            background_width: DEFAULT_BACKGROUND_WIDTH,
            intensity_power: DEFAULT_INTENSITY_POWER,
            noise_floor: DEFAULT_NOISE_FLOOR,
            relative_floor: DEFAULT_RELATIVE_FLOOR,
            max_strain: DEFAULT_MAX_STRAIN,
            strain_prior: DEFAULT_STRAIN_PRIOR,
            strain_step: DEFAULT_STRAIN_STEP,
            max_zero_shift: DEFAULT_MAX_ZERO_SHIFT,
            refined: DEFAULT_REFINED,
            top: DEFAULT_TOP,
            min_score: DEFAULT_MIN_SCORE,
            elements: None,
            required: Vec::new(),
            non_ambient: false,
        }
    }
}

xrd_io::param_guard!(crate::Error => SearchParams);

impl SearchParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    xrd_io::setters! {
        /// σ (° 2θ) of the Gaussian of both profiles; default [`DEFAULT_SMOOTHING`].
        #[must_use]
        smoothing, get_smoothing: f64;

        /// How the background is estimated; default [`Background::TopHat`].
        #[must_use]
        background, get_background: Background;

        /// Width (° 2θ) of the background window: broader than the broadest peak, narrower
        /// than a hump of the background; default [`DEFAULT_BACKGROUND_WIDTH`].
        #[must_use]
        background_width, get_background_width: f64;

        /// Power p of the intensity transform I ↦ Iᵖ (1: linear, ½: square root); default
        /// [`DEFAULT_INTENSITY_POWER`].
        #[must_use]
        intensity_power, get_intensity_power: f64;

        /// Intensities below this many noise standard deviations (the robust σ of the
        /// point-to-point differences) are set to 0 and the rest lowered by it before the power
        /// transform; default [`DEFAULT_NOISE_FLOOR`].
        #[must_use]
        noise_floor, get_noise_floor: f64;

        /// … or below this fraction of the strongest point, whichever is higher (what is left of a
        /// background the background filter did not take); default [`DEFAULT_RELATIVE_FLOOR`].
        #[must_use]
        relative_floor, get_relative_floor: f64;

        /// Largest relative change of a reference's cell edges (isotropic); default
        /// [`DEFAULT_MAX_STRAIN`].
        #[must_use]
        max_strain, get_max_strain: f64;

        /// σ of the Gaussian prior on the strain: a candidate's score is multiplied by
        /// exp(−½ (strain/σ)²); default [`DEFAULT_STRAIN_PRIOR`].
        #[must_use]
        strain_prior, get_strain_prior: f64;

        /// Step of the strain searched for every reference; default [`DEFAULT_STRAIN_STEP`].
        #[must_use]
        strain_step, get_strain_step: f64;

        /// Largest zero shift (° 2θ) of the refinement; default [`DEFAULT_MAX_ZERO_SHIFT`].
        #[must_use]
        max_zero_shift, get_max_zero_shift: f64;

        /// How many of the best references are refined; default [`DEFAULT_REFINED`].
        #[must_use]
        refined, get_refined: usize;

        /// How many candidates a search returns; default [`DEFAULT_TOP`].
        #[must_use]
        top, get_top: usize;

        /// Scores below this match nothing; default [`DEFAULT_MIN_SCORE`].
        #[must_use]
        min_score, get_min_score: f64;
    }

    /// Only references made of these elements (symbols such as `Ti`, `O`); default all.
    #[must_use]
    pub fn elements(mut self, symbols: Option<Vec<String>>) -> Self {
        self.elements = symbols;
        self
    }

    /// Also proposes references that cannot be a phase of a powder at room conditions:
    /// structures measured at high pressure or far from room temperature, and ices
    /// ([`crate::Entry::is_ambient`]); default false (a chemist strikes them out: Ice II as
    /// half of a room-temperature oxide powder).
    #[must_use]
    pub fn non_ambient(mut self, allow: bool) -> Self {
        self.non_ambient = allow;
        self
    }

    /// Whether non-ambient references are proposed ([`SearchParams::non_ambient`]).
    pub fn get_non_ambient(&self) -> bool {
        self.non_ambient
    }

    /// Only references that contain all these elements; default none.
    #[must_use]
    pub fn required(mut self, symbols: Vec<String>) -> Self {
        self.required = symbols;
        self
    }

    /// The allowed elements.
    pub fn get_elements(&self) -> Option<&[String]> {
        self.elements.as_deref()
    }

    /// The required elements.
    pub fn get_required(&self) -> &[String] {
        &self.required
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setter.
    pub fn check(&self) -> Result<()> {
        let positive = |name, v: f64, max: f64| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(invalid(name, format!("{v} (expected 0 < value ≤ {max})")))
            }
        };
        positive("smoothing", self.smoothing, 2.0)?;
        positive("background_width", self.background_width, 90.0)?;
        positive("intensity_power", self.intensity_power, 2.0)?;
        if !(self.noise_floor.is_finite() && (0.0..=100.0).contains(&self.noise_floor)) {
            return Err(invalid(
                "noise_floor",
                format!("{} (expected 0 ≤ σ ≤ 100)", self.noise_floor),
            ));
        }
        if !(self.max_strain.is_finite() && (0.0..=0.2).contains(&self.max_strain)) {
            return Err(invalid(
                "max_strain",
                format!("{} (expected 0 ≤ strain ≤ 0.2)", self.max_strain),
            ));
        }
        positive("strain_step", self.strain_step, 0.2)?;
        if !(self.relative_floor.is_finite() && (0.0..0.5).contains(&self.relative_floor)) {
            return Err(invalid(
                "relative_floor",
                format!("{} (expected 0 ≤ fraction < 0.5)", self.relative_floor),
            ));
        }
        positive("strain_prior", self.strain_prior, 1.0)?;
        if self.max_strain / self.strain_step > 1000.0 {
            return Err(invalid(
                "strain_step",
                format!(
                    "{} gives more than 2000 strains up to {}",
                    self.strain_step, self.max_strain
                ),
            ));
        }
        if !(self.max_zero_shift.is_finite() && (0.0..=2.0).contains(&self.max_zero_shift)) {
            return Err(invalid(
                "max_zero_shift",
                format!("{}° (expected 0 ≤ shift ≤ 2)", self.max_zero_shift),
            ));
        }
        if self.top == 0 {
            return Err(invalid("top", "0 (expected at least 1)"));
        }
        if !(self.min_score.is_finite() && (0.0..=1.0).contains(&self.min_score)) {
            return Err(invalid(
                "min_score",
                format!("{} (expected a score in [0, 1])", self.min_score),
            ));
        }
        for (name, list) in [
            ("elements", self.elements.as_deref().unwrap_or(&[])),
            ("required", &self.required[..]),
        ] {
            for s in list {
                if xrd_sim::Element::from_symbol(s).is_err() {
                    return Err(invalid(name, format!("`{s}` is not an element symbol")));
                }
            }
        }
        if let Some(allowed) = &self.elements
            && let Some(r) = self.required.iter().find(|r| !allowed.contains(r))
        {
            return Err(invalid(
                "required",
                format!("`{r}` is required but not among the allowed elements"),
            ));
        }
        Ok(())
    }

    pub(crate) fn preparation(&self, wavelength: f64) -> Preparation {
        Preparation {
            background: self.background,
            background_width: self.background_width,
            power: self.intensity_power,
            noise_floor: self.noise_floor,
            relative_floor: self.relative_floor,
            sigma: self.smoothing,
            wavelength,
        }
    }
}

/// A reference's fit to a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Index of the entry in the library.
    pub entry: usize,
    /// The figure of merit, a cosine in [0, 1].
    pub score: f64,
    /// The cell scale found: the reference's d-spacings times this match the pattern.
    pub cell_scale: f64,
    /// The zero shift found (° 2θ, added to the reference's positions).
    pub zero_shift: f64,
}

/// A reference's reflections as the search needs them.
#[derive(Debug, Clone, Default)]
struct Prepared {
    /// 1/d (Å⁻¹), increasing.
    q: Vec<f64>,
    /// Transformed intensities.
    w: Vec<f64>,
    /// Intensities, strongest 1.
    linear: Vec<f64>,
}

/// A reference's reflections inside a pattern's 2θ range at cell scale 1 (a slice of its lines:
/// q increases) and their norm ‖R‖. Every score sums over these only, whatever strain and shift
/// move them to: a reflection a strain brought in from outside the range would add to ⟨R, Y⟩
/// without adding to ‖R‖, so that a cosine could exceed 1 (a narrow scan, with a strong line
/// just outside it, scored 10).
#[derive(Debug, Clone)]
struct Span {
    lines: std::ops::Range<usize>,
    norm: f64,
}

/// The spans of every reference for the 2θ range whose bounds' bits are the key.
type SpansOfRange = (u64, u64, Arc<Vec<Span>>);

/// Searches one library (with its reference set) for the phases of patterns.
///
/// ```no_run
/// use xrd_minerals::{Library, Matcher, ReferenceParams, ReferenceSet, SearchParams};
/// let library = Library::amcsd()?;
/// let refs = ReferenceSet::cached(&library, &ReferenceParams::new(), "target/xrd-cache", |_, _| {})?;
/// let library = std::sync::Arc::new(library);
/// let matcher = Matcher::new(library.clone(), &refs, xrd_io::Wavelength::CU_KA, SearchParams::new())?;
/// let pattern = xrd_io::read("scan.xy")?.remove(0);
/// for c in matcher.search(&pattern)? {
///     let e = &library.entries()[c.entry];
///     println!("{} {} {:.3}", e.name(), e.space_group, c.score);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Matcher {
    library: Arc<Library>,
    params: SearchParams,
    wavelength: Wavelength,
    prepared: Vec<Prepared>,
    allowed: Vec<bool>,
    /// Under an element filter, the entries it leaves out only for a trace of another element
    /// ([`crate::Entry::made_of_but_traces`]), with their formulas without it: what
    /// identification compares beside a found phase of that formula.
    traced: Vec<(usize, crate::Composition)>,
    /// The [`Span`] of every entry for the 2θ ranges seen (patterns of one instrument share
    /// theirs).
    spans: Mutex<Vec<SpansOfRange>>,
    /// Each entry's elements without its traces, as indices into a list of symbols: made once,
    /// when identification without an element filter first asks which entries are made of the
    /// elements of the phases found ([`Matcher::made_of_elements_of`]).
    main_elements: std::sync::OnceLock<Vec<Vec<u16>>>,
}

impl Matcher {
    /// A matcher of patterns measured at `wavelength` (a Kα doublet adds its Kα2 line to every
    /// reference) against `library`, whose reflections `references` holds. The matcher shares
    /// the library (an [`Arc`]), so a front end can keep it across calls.
    ///
    /// # Errors
    /// Invalid parameters; [`Error::InvalidParameter`] (`references`) when the set is not the
    /// library's or was simulated at another wavelength.
    pub fn new(
        library: impl Into<Arc<Library>>,
        references: &ReferenceSet,
        wavelength: Wavelength,
        params: SearchParams,
    ) -> Result<Self> {
        params.check()?;
        let library: Arc<Library> = library.into();
        if references.len() != library.len() {
            return Err(invalid(
                "references",
                format!(
                    "{} reference patterns for {} entries",
                    references.len(),
                    library.len()
                ),
            ));
        }
        let lambda = references.params().get_wavelength().angstrom();
        if (lambda - wavelength.angstrom()).abs() > 1e-6 {
            return Err(invalid(
                "references",
                format!(
                    "simulated at {lambda} Å, the pattern's wavelength is {} Å",
                    wavelength.angstrom()
                ),
            ));
        }
        let p = params.intensity_power;
        let prepared = (0..library.len())
            .map(|i| match references.get(i) {
                Some(Ok(sticks)) => Prepared {
                    q: sticks.iter().map(|s| 1.0 / f64::from(s.d)).collect(),
                    w: sticks
                        .iter()
                        .map(|s| (f64::from(s.intensity) / 100.0).powf(p))
                        .collect(),
                    linear: sticks
                        .iter()
                        .map(|s| f64::from(s.intensity) / 100.0)
                        .collect(),
                },
                _ => Prepared::default(),
            })
            .collect();
        let allowed = library
            .entries()
            .iter()
            .map(|e| {
                params.elements.as_ref().is_none_or(|a| e.made_of(a))
                    && e.contains_all(&params.required)
                    && (params.non_ambient || e.is_ambient())
            })
            .collect::<Vec<bool>>();
        let traced = match &params.elements {
            Some(elements) => (library.entries().iter().enumerate())
                .filter(|&(i, e)| {
                    !allowed[i]
                        && e.made_of_but_traces(elements)
                        && e.contains_all(&params.required)
                        && (params.non_ambient || e.is_ambient())
                })
                .filter_map(|(i, e)| {
                    let c = crate::Composition::parse(&e.formula).ok()?;
                    Some((i, c.without_traces()))
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            library,
            params,
            wavelength,
            prepared,
            allowed,
            traced,
            spans: Mutex::new(Vec::new()),
            main_elements: std::sync::OnceLock::new(),
        })
    }

    /// Whether entry `i` is made of the elements of the entries `of`, traces of either aside
    /// (magnetite of hematite's, α-Mn₂O₃ `(Fe.034 Mn1.966) O3` of hausmannite's); never of
    /// none.
    pub(crate) fn made_of_elements_of(&self, i: usize, of: &[usize]) -> bool {
        let main = self.main_elements.get_or_init(|| {
            let mut symbols: Vec<String> = Vec::new();
            let entries = self.library.entries();
            entries
                .iter()
                .map(|e| {
                    let elements: Vec<String> = match crate::Composition::parse(&e.formula) {
                        Ok(c) => (c.without_traces().fractions().iter())
                            .map(|(s, _)| s.clone())
                            .collect(),
                        Err(_) => e.elements.clone(),
                    };
                    (elements.into_iter())
                        .map(|s| match symbols.iter().position(|x| *x == s) {
                            Some(k) => k as u16,
                            None => {
                                symbols.push(s);
                                (symbols.len() - 1) as u16
                            }
                        })
                        .collect()
                })
                .collect()
        });
        !of.is_empty()
            && main.get(i).is_some_and(|mine| {
                mine.iter().all(|x| {
                    of.iter()
                        .any(|&k| main.get(k).is_some_and(|t| t.contains(x)))
                })
            })
    }

    /// The library searched.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The library searched, shared.
    pub fn shared_library(&self) -> &Arc<Library> {
        &self.library
    }

    /// The parameters.
    pub fn params(&self) -> &SearchParams {
        &self.params
    }

    /// The wavelength of the patterns.
    pub fn wavelength(&self) -> Wavelength {
        self.wavelength
    }

    /// The best [`SearchParams::top`] candidates for `pattern`, best first (all of them, even
    /// below [`SearchParams::min_score`]; compare with it to refuse); none when its strongest
    /// point stands less than [`xrd_io::MIN_PEAK_SIGMAS`] noise σ above its background (a scan
    /// of noise only). A pattern
    /// that states another wavelength than the matcher's is refused.
    ///
    /// # Errors
    /// [`Error::Pattern`] for a pattern without signal or of another wavelength; background
    /// errors of xrd-io.
    pub fn search(&self, pattern: &Pattern) -> Result<Vec<Candidate>> {
        self.check_wavelength(pattern)?;
        let measured = Measured::new(pattern, &self.preparation())?;
        Ok(self.search_prepared(&measured, &[]))
    }

    /// [`Matcher::search`] with the entries `skip` (indices into the library) left out, as if the
    /// library lacked them.
    ///
    /// # Errors
    /// As [`Matcher::search`].
    pub fn search_excluding(&self, pattern: &Pattern, skip: &[usize]) -> Result<Vec<Candidate>> {
        self.check_wavelength(pattern)?;
        let measured = Measured::new(pattern, &self.preparation())?;
        Ok(self.search_prepared(&measured, skip))
    }

    /// The observed lines of entry `i` under a cell scale and zero shift: 2θ (°), intensity
    /// (strongest Kα1 line 1) and whether it is the Kα1 line (else the Kα2 partner).
    pub(crate) fn lines(
        &self,
        i: usize,
        cell_scale: f64,
        zero_shift: f64,
    ) -> impl Iterator<Item = (f64, f64, bool)> + '_ {
        let p = &self.prepared[i];
        let (ratio, rho) = self.doublet().unwrap_or((1.0, 0.0));
        p.q.iter().zip(&p.linear).flat_map(move |(q, l)| {
            let q = q / cell_scale;
            let alpha2 = (rho > 0.0).then_some((q * ratio, l * rho, false));
            [(q, *l, true)]
                .into_iter()
                .chain(alpha2)
                .filter_map(move |(q, intensity, primary)| {
                    self.two_theta(q)
                        .map(|t| (t + zero_shift, intensity, primary))
                })
        })
    }

    /// Under an element filter, the entries it leaves out only for a trace of another element,
    /// with their formulas without it.
    pub(crate) fn traced(&self) -> &[(usize, crate::Composition)] {
        &self.traced
    }

    /// Whether entry `i` passes the search's element filter.
    pub(crate) fn allows(&self, i: usize) -> bool {
        self.allowed.get(i).copied().unwrap_or(false)
    }

    pub(crate) fn preparation(&self) -> Preparation {
        self.params.preparation(self.wavelength.angstrom())
    }

    pub(crate) fn check_wavelength(&self, pattern: &Pattern) -> Result<()> {
        if let Some(w) = pattern.wavelength()
            && (w.angstrom() - self.wavelength.angstrom()).abs() > 1e-4
        {
            return Err(Error::Pattern(format!(
                "measured at {} Å, the references at {} Å",
                w.angstrom(),
                self.wavelength.angstrom()
            )));
        }
        Ok(())
    }

    /// The search of a prepared pattern, leaving out the entries of `skip`.
    pub(crate) fn search_prepared(&self, m: &Measured, skip: &[usize]) -> Vec<Candidate> {
        if !m.has_peaks {
            return Vec::new();
        }
        self.search_ranked::<true>(m, &|i| !skip.contains(&i)).0
    }

    /// The search of a prepared pattern among the entries `keep` keeps (the element filter
    /// applies too).
    pub(crate) fn search_prepared_among(
        &self,
        m: &Measured,
        keep: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<Candidate> {
        if !m.has_peaks {
            return Vec::new();
        }
        self.search_ranked::<true>(m, keep).0
    }

    /// The search of a prepared pattern among the entries `keep` keeps, and how many entries got
    /// a coarse score. With `PRUNE`,
    /// entries whose bound shows they cannot be among the best are not scored (the same
    /// candidates as scoring them all: tested).
    fn search_ranked<const PRUNE: bool>(
        &self,
        m: &Measured,
        keep: &(dyn Fn(usize) -> bool + Sync),
    ) -> (Vec<Candidate>, usize) {
        let strains = strain_grid(self.params.max_strain, self.params.strain_step);
        let spans = self.spans(m);
        let refined = self.params.refined.max(self.params.top);
        // The entries by an upper bound of their coarse score, highest first; scored in
        // chunks until the next bound is below the `refined`-th best score found: no entry
        // left can be among the best (the same candidates as scoring every entry; tested).
        let factors = stretch(&strains);
        let mut order: Vec<(f64, usize)> = (0..self.prepared.len())
            .into_par_iter()
            .filter(|&i| self.allowed[i] && keep(i))
            .map(|i| (self.coarse_bound(i, m, &spans[i], factors), i))
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut coarse: Vec<Candidate> = Vec::new();
        let mut scores: Vec<f64> = Vec::new();
        let mut scored = 0;
        for chunk in order.chunks(COARSE_CHUNK) {
            if PRUNE && coarse.len() >= refined {
                scores.clear();
                scores.extend(coarse.iter().map(|c| c.score));
                let (_, nth, _) = scores.select_nth_unstable_by(refined - 1, |a, b| b.total_cmp(a));
                // The bound sums the same terms in another order: a relative 1e-6 covers it.
                if chunk[0].0 * (1.0 + 1e-6) + 1e-12 < *nth {
                    break;
                }
            }
            scored += chunk.len();
            coarse.par_extend(
                chunk
                    .par_iter()
                    .filter_map(|&(_, i)| self.coarse(i, m, &spans[i], &strains)),
            );
        }
        coarse.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        coarse.truncate(refined);
        let mut fine: Vec<Candidate> = coarse
            .par_iter()
            .map(|c| self.refine(c, m, &spans[c.entry]))
            .collect();
        fine.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        fine.truncate(self.params.top);
        (fine, scored)
    }

    fn doublet(&self) -> Option<(f64, f64)> {
        self.wavelength
            .alpha2()
            .map(|a2| (a2 / self.wavelength.angstrom(), self.wavelength.ratio()))
    }

    fn two_theta(&self, q: f64) -> Option<f64> {
        let s = q * self.wavelength.angstrom() / 2.0;
        (s < 1.0).then(|| 2.0 * s.asin().to_degrees())
    }

    /// The [`Span`] of every entry for the pattern's range, computed once per range.
    fn spans(&self, m: &Measured) -> Arc<Vec<Span>> {
        let key = (m.range.0.to_bits(), m.range.1.to_bits());
        // A poisoned lock only means another search panicked; the cache itself stays valid.
        let cached = self
            .spans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(a, b, _)| (*a, *b) == key)
            .map(|(_, _, n)| Arc::clone(n));
        if let Some(n) = cached {
            return n;
        }
        let n: Arc<Vec<Span>> = Arc::new(
            (0..self.prepared.len())
                .into_par_iter()
                .map(|i| self.span(i, m))
                .collect(),
        );
        let mut cache = self
            .spans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.push((key.0, key.1, Arc::clone(&n)));
        n
    }

    /// Entry `i`'s reflections inside the pattern's range at cell scale 1 and their ‖R‖ (no
    /// shift).
    fn span(&self, i: usize, m: &Measured) -> Span {
        let p = &self.prepared[i];
        let (lo, hi) = m.range;
        let start =
            p.q.partition_point(|&q| self.two_theta(q).is_some_and(|t| t < lo));
        let end =
            p.q.partition_point(|&q| self.two_theta(q).is_some_and(|t| t <= hi));
        let lines = start..end.max(start);
        let (ratio, _) = self.doublet().unwrap_or((1.0, 0.0));
        let mut tt = Vec::with_capacity(p.q.len());
        for (&q, &w) in p.q[lines.clone()].iter().zip(&p.w[lines.clone()]) {
            if let Some(t) = self.two_theta(q) {
                let t2 = self.two_theta(q * ratio).unwrap_or(f64::INFINITY);
                tt.push((t, t2, w));
            }
        }
        Span {
            lines,
            norm: self.norm_of(&tt),
        }
    }

    /// ‖R‖ of reflections at (2θ of Kα1, 2θ of Kα2, weight), sorted by 2θ: their profile
    /// smoothed as the pattern's is.
    fn norm_of(&self, tt: &[(f64, f64, f64)]) -> f64 {
        let s2 = self.params.smoothing * std::f64::consts::SQRT_2;
        let (_, rho) = self.doublet().unwrap_or((1.0, 0.0));
        let reach = CUTOFF_SIGMAS * s2
            + tt.last().map_or(0.0, |l| {
                if l.1.is_finite() {
                    (l.1 - l.0).abs()
                } else {
                    0.0
                }
            });
        let mut sum = 0.0;
        let mut start = 0;
        for j in 0..tt.len() {
            while tt[start].0 < tt[j].0 - reach {
                start += 1;
            }
            for k in start..tt.len() {
                if tt[k].0 > tt[j].0 + reach {
                    break;
                }
                let (a, b) = (tt[j], tt[k]);
                sum += a.2
                    * b.2
                    * ((1.0 + rho * rho) * gaussian(a.0 - b.0, s2)
                        + 2.0 * rho * gaussian(a.0 - b.1, s2));
            }
        }
        sum.sqrt()
    }

    /// An upper bound of entry `i`'s coarse score (see [`Matcher::coarse`]): each line at the
    /// largest value the profile takes where the strains can move it (1/d times a factor in
    /// `stretch`, see [`stretch`]), and the prior at its largest, 1. NaN where `coarse` gives
    /// no candidate; +∞ where a weight is negative.
    fn coarse_bound(&self, i: usize, m: &Measured, span: &Span, stretch: (f64, f64)) -> f64 {
        let p = &self.prepared[i];
        let norm = span.norm;
        if p.q.is_empty() || norm.is_nan() || norm <= 0.0 {
            return f64::NAN;
        }
        let (ratio, rho) = self.doublet().unwrap_or((1.0, 0.0));
        let (lo, hi) = stretch;
        let mut s = 0.0;
        let r = span.lines.clone();
        for (q, w) in p.q[r.clone()].iter().zip(&p.w[r]) {
            if *w < 0.0 {
                return f64::INFINITY;
            }
            let top = m.by_q_max.between(q * lo, q * hi)
                + rho * m.by_q_max.between(q * lo * ratio, q * hi * ratio);
            s += w * top;
        }
        s / (norm * m.norm)
    }

    /// The best cell scale of entry `i` on the coarse grid.
    fn coarse(&self, i: usize, m: &Measured, span: &Span, strains: &[f64]) -> Option<Candidate> {
        let p = &self.prepared[i];
        let norm = span.norm;
        if p.q.is_empty() || norm.is_nan() || norm <= 0.0 {
            return None;
        }
        let (ratio, rho) = self.doublet().unwrap_or((1.0, 0.0));
        let mut best = (f64::NEG_INFINITY, 1.0);
        let (qs, ws) = (&p.q[span.lines.clone()], &p.w[span.lines.clone()]);
        for &e in strains {
            let inv = 1.0 / (1.0 + e);
            let mut s = 0.0;
            for (q, w) in qs.iter().zip(ws) {
                let x = q * inv;
                s += w * (m.by_q.at(x) + rho * m.by_q.at(x * ratio));
            }
            let s = s * self.prior(e);
            if s > best.0 {
                best = (s, 1.0 + e);
            }
        }
        Some(Candidate {
            entry: i,
            score: best.0 / (norm * m.norm),
            cell_scale: best.1,
            zero_shift: 0.0,
        })
    }

    /// The weight of a strain: a Gaussian prior of σ [`SearchParams::strain_prior`], so that a
    /// wrong reference cannot buy a better score with a large strain.
    fn prior(&self, strain: f64) -> f64 {
        let z = strain / self.params.strain_prior;
        (-0.5 * z * z).exp()
    }

    /// Cell scale and zero shift refined around a coarse candidate, on 2θ.
    fn refine(&self, c: &Candidate, m: &Measured, span: &Span) -> Candidate {
        let p = &self.prepared[c.entry];
        let (ratio, rho) = self.doublet().unwrap_or((1.0, 0.0));
        let step = self.params.strain_step / REFINE_STRAIN_SUBSTEPS as f64;
        let n_strain = REFINE_STRAIN_SUBSTEPS as i64;
        let z_step = REFINE_ZERO_STEP_SIGMAS * self.params.smoothing;
        let n_zero = (self.params.max_zero_shift / z_step).round() as i64;
        let max_scale = 1.0 + self.params.max_strain;
        let min_scale = 1.0 - self.params.max_strain;
        // In a residual, lines under the phases found before are not judged: their part of the
        // residual is set to 0, and the reference's norm is taken without them (magnetite's
        // 311 under hematite's 110, NiO's 111 under bismite's lines).
        // Which lines are hidden is read once, at the coarse scale (a strain step moves a line
        // by a few hundredths of a degree), and so is their norm.
        let (qs, ws) = (&p.q[span.lines.clone()], &p.w[span.lines.clone()]);
        let visible: Vec<bool> = if m.hidden.is_empty() {
            Vec::new()
        } else {
            (qs.iter())
                .map(|q| {
                    self.two_theta(q / c.cell_scale)
                        .is_none_or(|t| !m.hidden.iter().any(|&(a, b)| (a..=b).contains(&t)))
                })
                .collect()
        };
        let shown = |k: usize| visible.get(k).is_none_or(|&v| v);
        let mut positions: Vec<(f64, f64, f64)> = Vec::with_capacity(p.q.len());
        let norm = if m.hidden.is_empty() {
            span.norm
        } else {
            for (k, (q, w)) in qs.iter().zip(ws).enumerate() {
                if let Some(t) = self.two_theta(q / c.cell_scale)
                    && shown(k)
                {
                    let t2 = self
                        .two_theta(q * ratio / c.cell_scale)
                        .unwrap_or(f64::INFINITY);
                    positions.push((t, t2, *w));
                }
            }
            self.norm_of(&positions)
        };
        if norm.is_nan() || norm <= 0.0 {
            return *c;
        }
        let mut best = if m.hidden.is_empty() {
            *c
        } else {
            Candidate {
                score: f64::NEG_INFINITY,
                ..*c
            }
        };
        for a in -n_strain..=n_strain {
            let scale = (c.cell_scale + a as f64 * step).clamp(min_scale, max_scale);
            positions.clear();
            for (k, (q, w)) in qs.iter().zip(ws).enumerate() {
                if let Some(t) = self.two_theta(q / scale)
                    && shown(k)
                {
                    let t2 = self.two_theta(q * ratio / scale).unwrap_or(f64::INFINITY);
                    positions.push((t, t2, *w));
                }
            }
            for b in -n_zero..=n_zero {
                let z = b as f64 * z_step;
                let s: f64 = positions
                    .iter()
                    .map(|(t, t2, w)| {
                        w * (m.by_two_theta.at(t + z) + rho * m.by_two_theta.at(t2 + z))
                    })
                    .sum();
                let score = s * self.prior(scale - 1.0) / (norm * m.norm);
                if score > best.score {
                    best = Candidate {
                        entry: c.entry,
                        score,
                        cell_scale: scale,
                        zero_shift: z,
                    };
                }
            }
        }
        if best.score.is_finite() { best } else { *c }
    }
}

/// Entries scored at once between two checks of the bound in the search (a few per thread
/// and core, so that the check costs nothing beside the scores).
const COARSE_CHUNK: usize = 256;

/// The range of the factors 1/(1 + e) that the strains `e` apply to 1/d: computed once per
/// search for every reference's bound.
fn stretch(strains: &[f64]) -> (f64, f64) {
    strains
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
            let inv = 1.0 / (1.0 + e);
            (lo.min(inv), hi.max(inv))
        })
}

/// Strains −max, …, 0, …, +max in steps of `step` (0 always included).
fn strain_grid(max: f64, step: f64) -> Vec<f64> {
    let n = (max / step).floor() as i64;
    (-n..=n).map(|k| k as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Preparation;
    use crate::{Library, ReferenceParams};
    use xrd_io::Grid;
    use xrd_sim::{PowderParams, Profile, Simulator};

    /// The search that scores only the entries whose bound lets them be among the best gives
    /// the candidates of the search that scores every entry, on patterns of single entries,
    /// strained, of mixtures, and of noise; with few candidates refined, most entries are not
    /// scored.
    #[test]
    fn the_bound_keeps_the_best_candidates() {
        let all = Library::amcsd().unwrap();
        let entries: Vec<_> = all.entries().iter().step_by(20).cloned().collect();
        let library = Arc::new(Library::new(all.info().clone(), entries, Vec::new()).unwrap());
        let refs = ReferenceSet::build(&library, &ReferenceParams::new(), |_, _| {}).unwrap();
        let params = SearchParams::new().refined(8).top(8);
        // Cu Kα with its Kα2 partner, so that the bound covers the doublet too.
        let matcher = Matcher::new(library.clone(), &refs, Wavelength::CU_KA, params).unwrap();
        let sim = Simulator::new(PowderParams::new().two_theta_range(10.0, 80.0)).unwrap();
        let grid = Grid::new(10.0, 0.02, 3501).unwrap();
        let pattern_of = |picks: &[(usize, f64)]| {
            let mut y = vec![0.0; grid.len()];
            for &(i, weight) in picks {
                let s = library.entries()[i].structure().unwrap();
                let p = sim.pattern(&s, &grid, &Profile::gaussian(0.1)).unwrap();
                for (a, b) in y.iter_mut().zip(p.iter()) {
                    *a += weight * b;
                }
            }
            // A slow background and a little deterministic ripple.
            for (k, a) in y.iter_mut().enumerate() {
                *a += 0.05 + 0.02 * ((k as f64) * 0.37).sin().abs();
            }
            Pattern::new(grid.positions(), y).unwrap()
        };
        let patterns = [
            pattern_of(&[(3, 1.0)]),
            pattern_of(&[(100, 1.0)]),
            pattern_of(&[(200, 1.0), (300, 0.5)]),
            pattern_of(&[(40, 1.0), (41, 1.0), (420, 0.3)]),
            pattern_of(&[]),
        ];
        let prep: Preparation = matcher.preparation();
        let mut pruned_some = 0;
        for (k, pattern) in patterns.iter().enumerate() {
            let m = Measured::new(pattern, &prep).unwrap();
            let (fast, scored) = matcher.search_ranked::<true>(&m, &|_| true);
            let (full, all_scored) = matcher.search_ranked::<false>(&m, &|_| true);
            assert_eq!(fast, full, "pattern {k}");
            let (fast_skip, _) = matcher.search_ranked::<true>(&m, &|i| i != 7);
            let (full_skip, _) = matcher.search_ranked::<false>(&m, &|i| i != 7);
            assert_eq!(fast_skip, full_skip, "pattern {k}, entry 7 left out");
            assert!(!fast.is_empty());
            // The bound itself, entry by entry: never below the coarse score.
            let strains = strain_grid(matcher.params.max_strain, matcher.params.strain_step);
            let spans = matcher.spans(&m);
            for i in 0..library.len() {
                if let Some(c) = matcher.coarse(i, &m, &spans[i], &strains) {
                    let bound = matcher.coarse_bound(i, &m, &spans[i], stretch(&strains));
                    assert!(
                        c.score <= bound * (1.0 + 1e-6) + 1e-12,
                        "entry {i}: {c:?} > {bound}"
                    );
                }
            }
            pruned_some += usize::from(scored < all_scored);
        }
        assert!(
            pruned_some >= 3,
            "{pruned_some} of {} searches pruned",
            patterns.len()
        );
    }
}
