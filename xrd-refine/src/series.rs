//! Sequential refinement of a series: frames of one sample measured while temperature or time
//! changes, each refined from the result of the frame before.

use std::fmt;

use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};

use crate::error::invalid;
use crate::parameter::{ParamId, PhaseParam};
use crate::refinement::{
    BACKGROUND_ADVICE_GAIN, BACKGROUND_CHECK_TERMS, INSTRUMENT_ADVICE, PhaseResult, Refinement,
    Refiner,
};
use crate::state::State;
use crate::{Error, Result};

/// Wavelengths of two frames closer than this fraction are the same.
const WAVELENGTH_TOLERANCE: f64 = 1e-5;

/// A phase held absent comes back only when the fit with it lowers Rwp by this fraction (beside
/// the F-test and its fraction's esd).
const APPEAR_RWP_GAIN: f64 = 0.02;

/// A phase's scale correlating with another phase's parameter above this magnitude has its shape
/// (or the other phase's) tried held at the frame before's ([`Sequential::hold_overlapped`]):
/// below [`crate::OVERLAP_CORRELATION`], which is reported, because a slide under way shows
/// first as a weaker trade (0.83 in the frame a spinel slid onto its neighbour's lines, with
/// its B refined).
const HOLD_CORRELATION: f64 = 0.7;

/// An overlapped phase's free cell that moved from the frame before's by more than this many of
/// its esds (√2 × 3: the two frames' esds alike) beyond [`SLIDE_STEP`] has slid onto another
/// phase's lines ([`Sequential::hold_overlapped`]).
const SLIDE_SIGMAS: f64 = 4.25;

/// The relative step of a cell length between frames allowed for heating beside its esds: 5e-4,
/// some 50 K of a typical oxide's expansion.
const SLIDE_STEP: f64 = 5e-4;

/// A held phase comes back only with every cell length within this fraction of the cell it
/// was held with.
const REAPPEAR_CELL: f64 = 0.02;

/// The reference Rwp of a warm fit is the median of this many frames accepted before it.
const RWP_MEMORY: usize = 5;

/// A cold fit's backward elimination tries holding this many of the phases present each round,
/// those with the smallest fraction over esd.
const ELIMINATION_TRIALS: usize = 2;

/// One frame of a series: a pattern, or why it could not be read.
#[derive(Debug, Clone)]
pub struct Frame {
    name: String,
    order: Option<f64>,
    data: std::result::Result<(Pattern, Wavelength), String>,
}

impl Frame {
    /// A frame named `name` (its file, say), measured at `wavelength`.
    pub fn new(name: impl Into<String>, pattern: Pattern, wavelength: Wavelength) -> Self {
        Self {
            name: name.into(),
            order: None,
            data: Ok((pattern, wavelength)),
        }
    }

    /// A frame that could not be read: it is reported as failed and the series goes on.
    pub fn unreadable(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            order: None,
            data: Err(message.into()),
        }
    }

    /// The frame's order value (temperature, time) for tables, figures and parametric fits.
    #[must_use]
    pub fn with_order(mut self, order: Option<f64>) -> Self {
        self.order = order;
        self
    }

    /// The frame's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its order value.
    pub fn order(&self) -> Option<f64> {
        self.order
    }

    /// Its pattern and wavelength, or why it could not be read.
    pub fn data(&self) -> std::result::Result<&(Pattern, Wavelength), &str> {
        self.data.as_ref().map_err(String::as_str)
    }
}

/// How a frame's kept fit started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FrameStart {
    /// From the previous frame's result.
    Warm,
    /// From the structures, with the full staged plan (the first frame of a chain).
    Cold,
    /// The warm fit was rejected and the frame refitted cold.
    Reseeded,
    /// No fit was accepted: the frame is reported and skipped, the chain goes on from the last
    /// good frame.
    Failed,
}

impl FrameStart {
    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Warm => "warm",
            Self::Cold => "cold",
            Self::Reseeded => "reseeded",
            Self::Failed => "failed",
        }
    }
}

/// Something about a frame a user should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "flag")]
#[non_exhaustive]
pub enum Flag {
    /// The warm fit was rejected (and why): Rwp jumped, a parameter stopped at a bound, or the
    /// fit failed.
    Reseeded {
        /// Why.
        reason: String,
    },
    /// The frame's Rwp exceeds [`SeriesParams::rwp_jump`] times the series' median.
    RwpOutlier {
        /// Its Rwp.
        rwp: f64,
        /// The series' median Rwp.
        median: f64,
    },
    /// A parameter stopped at one of its bounds.
    AtBound {
        /// The parameter.
        parameter: ParamId,
    },
    /// A phase's weight fraction is within its detection limit: it is held at 0 from here on.
    Absent {
        /// The phase.
        phase: String,
    },
    /// A phase held absent improves the fit significantly again and is refined from here on.
    Appeared {
        /// The phase.
        phase: String,
    },
    /// A step from the frame before that is large against the series' typical step and its
    /// esds; `confirmed` when refitting both frames cold shows the same jump (a real
    /// discontinuity such as a phase transition), else the chain made it.
    Discontinuity {
        /// The value ([`tracked`]).
        parameter: Tracked,
        /// Its step in the chain.
        step: f64,
        /// Its step between the two frames refitted cold.
        cold_step: f64,
        /// Whether the cold refits show the jump too.
        confirmed: bool,
    },
    /// A phase's scale trades off with another phase's parameter (correlation above
    /// [`crate::OVERLAP_CORRELATION`]: overlapped lines): its weight fraction is as uncertain as
    /// its esd, from the full covariance, says.
    Overlapped {
        /// The phase.
        phase: String,
        /// The other phase's parameter.
        with: ParamId,
        /// Their correlation.
        correlation: f64,
    },
    /// A phase overlapped with another whose cell and widths the frame does not determine
    /// (freeing them is not significantly better, or slides its cell beyond its esds): refined
    /// by its scale alone, its cell, widths and B held at the frame before's, so it cannot
    /// slide onto the other's lines and take its weight.
    Held {
        /// The phase.
        phase: String,
    },
    /// The forward and the backward chain disagree beyond their esds: the value depends on the
    /// order the frames were refined in.
    PathDependent {
        /// The value ([`tracked`]).
        parameter: Tracked,
        /// Its forward value.
        forward: f64,
        /// Its backward value.
        backward: f64,
    },
}

impl fmt::Display for Flag {
    /// A compact token for a table cell: `reseeded(rwp 0.31 > 1.5 × 0.12)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reseeded { reason } => write!(f, "reseeded({reason})"),
            Self::RwpOutlier { rwp, median } => write!(f, "rwp_outlier({rwp:.4} vs {median:.4})"),
            Self::AtBound { parameter } => write!(f, "at_bound({parameter})"),
            Self::Absent { phase } => write!(f, "absent({phase})"),
            Self::Appeared { phase } => write!(f, "appeared({phase})"),
            Self::Held { phase } => write!(f, "held({phase})"),
            Self::Discontinuity {
                parameter,
                step,
                cold_step,
                confirmed,
            } => write!(
                f,
                "{}({parameter} {step:+.3e}, cold {cold_step:+.3e})",
                if *confirmed {
                    "discontinuity"
                } else {
                    "chain_jump"
                }
            ),
            Self::PathDependent {
                parameter,
                forward,
                backward,
            } => write!(
                f,
                "path_dependent({parameter} {forward:.6} vs {backward:.6})"
            ),
            Self::Overlapped {
                phase,
                with,
                correlation,
            } => write!(f, "overlapped({phase} ~ {with} {correlation:+.2})"),
        }
    }
}

/// One frame's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameFit {
    /// Its place in the series (0-based, in the order given).
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Its order value.
    pub order: Option<f64>,
    /// How the kept fit started.
    pub start: FrameStart,
    /// The refinement (its curves dropped: a series keeps hundreds), none for a failed frame.
    pub refinement: Option<Refinement>,
    /// Why the frame failed.
    pub error: Option<String>,
    /// What to look at.
    pub flags: Vec<Flag>,
}

/// A parameter refined over all frames as a polynomial in the order value
/// ([`SeriesParams::parametric`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parametric {
    /// The phase, by name.
    pub phase: String,
    /// The parameter: `a`, `b`, `c`, `alpha`, `beta`, `gamma` or `B` (overall displacement).
    pub parameter: String,
    /// The polynomial's degree, 1–4.
    pub degree: usize,
}

impl Parametric {
    /// `phase`'s `parameter` as a polynomial of `degree` in the order value.
    pub fn new(phase: impl Into<String>, parameter: impl Into<String>, degree: usize) -> Self {
        Self {
            phase: phase.into(),
            parameter: parameter.into(),
            degree,
        }
    }

    /// Parses `PHASE:PARAMETER=DEGREE` (`CuO:a=2`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for another form or a degree outside 1–4.
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = || {
            invalid(
                "parametric",
                format!("`{spec}`: expected PHASE:PARAMETER=DEGREE (CuO:a=2)"),
            )
        };
        let (left, degree) = spec.rsplit_once('=').ok_or_else(bad)?;
        let (phase, parameter) = left.rsplit_once(':').ok_or_else(bad)?;
        let degree: usize = degree.trim().parse().map_err(|_| bad())?;
        let p = Self::new(phase.trim(), parameter.trim(), degree);
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        if !(1..=4).contains(&self.degree) {
            return Err(invalid(
                "parametric",
                format!("degree {} must be in 1–4", self.degree),
            ));
        }
        if !["a", "b", "c", "alpha", "beta", "gamma", "B"].contains(&self.parameter.as_str()) {
            return Err(invalid(
                "parametric",
                format!(
                    "parameter `{}` must be one of a, b, c, alpha, beta, gamma, B",
                    self.parameter
                ),
            ));
        }
        Ok(())
    }
}

/// A parametric fit's result: the polynomial and, frame by frame, its value beside the frame's
/// own.
///
/// The polynomial is the weighted least-squares fit of the frames' values with their esds.
/// For a model linear in its parameters this is exactly the joint refinement of all frames with
/// the parameter constrained to the polynomial (each frame's other parameters profiled out: the
/// frame's marginal variance is the inverse of its Schur complement); for a refinement it is
/// that to first order, at each frame's optimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParametricFit {
    /// What was fitted.
    pub spec: Parametric,
    /// Coefficients c₀, c₁, … of Σ cₖ tᵏ, t the order value.
    pub coefficients: Vec<f64>,
    /// Their esds.
    pub coefficient_esd: Vec<f64>,
    /// χ² per degree of freedom of the frames' values about the polynomial (≫ 1: the
    /// polynomial does not describe the trend; the esds are scaled by its root when above 1).
    pub chi2: f64,
    /// Per frame used: (index, order value, polynomial value, its esd, the frame's value, its
    /// esd).
    pub frames: Vec<(usize, f64, f64, f64, f64, f64)>,
}

impl ParametricFit {
    /// Median over frames of the polynomial's esd over the frame's own esd.
    pub fn esd_ratio(&self) -> f64 {
        let mut r: Vec<f64> = self
            .frames
            .iter()
            .filter(|f| f.5 > 0.0)
            .map(|f| f.3 / f.5)
            .collect();
        median(&mut r)
    }
}

/// A series' result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Every frame, in the order given (the forward chain).
    pub frames: Vec<FrameFit>,
    /// The backward chain ([`SeriesParams::backward`]), in the same order as `frames`, or empty.
    pub backward: Vec<FrameFit>,
    /// The parametric fits asked for.
    pub parametric: Vec<ParametricFit>,
    /// What the series chose for all its frames, in words (a broad background peak added, and
    /// why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How a series is refined.
///
/// ```
/// use xrd_refine::SeriesParams;
/// let p = SeriesParams::new().backward(true).rwp_jump(1.3);
/// assert!(p.check().is_ok());
/// assert!(matches!(
///     SeriesParams::new().rwp_jump(0.9).check(),
///     Err(xrd_refine::Error::InvalidParameter(p)) if p.name == "rwp_jump"
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesParams {
    backward: bool,
    rwp_jump: f64,
    discontinuity: f64,
    path_sigmas: f64,
    detection_sigmas: f64,
    appear_z: f64,
    parametric: Vec<Parametric>,
    #[serde(default = "yes")]
    background_hump: bool,
}

fn yes() -> bool {
    true
}

impl Default for SeriesParams {
    fn default() -> Self {
        Self {
            backward: false,
            rwp_jump: 1.5,
            discontinuity: 8.0,
            path_sigmas: 3.0,
            detection_sigmas: 3.0,
            appear_z: 3.09,
            parametric: Vec::new(),
            background_hump: true,
        }
    }
}

xrd_io::param_guard!(crate::Error => SeriesParams);

impl SeriesParams {
    /// The defaults (see each setter).
    pub fn new() -> Self {
        Self::default()
    }

    xrd_io::setters! {
        /// Also refines the frames in reverse order, from a cold start at the last frame, and
        /// flags values that depend on the direction (default false).
        #[must_use]
        backward, get_backward: bool;

        /// A warm fit whose Rwp exceeds this factor times the median Rwp of the last five
        /// accepted frames is refitted cold; a frame above it against the series' median is an
        /// Rwp outlier; > 1 (default 1.5).
        #[must_use]
        rwp_jump, get_rwp_jump: f64;

        /// A step between two frames is a jump when it exceeds this factor times the series'
        /// median step (and three esds); > 1 (default 8).
        #[must_use]
        discontinuity, get_discontinuity: f64;

        /// Forward and backward values differing by more than this many combined esds are
        /// path-dependent; > 0 (default 3).
        #[must_use]
        path_sigmas, get_path_sigmas: f64;

        /// A phase whose weight fraction is below this many esds is held absent (when the fit
        /// without it is not significantly worse, by the F-test of
        /// [`SeriesParams::appear_z`]); > 0 (default 3).
        #[must_use]
        detection_sigmas, get_detection_sigmas: f64;

        /// An absent phase reappears when freeing it lowers χ² significantly by an F-test at
        /// this one-sided normal deviate ([`Refinement::significantly_better_than`]), its
        /// fraction exceeds its detection limit and its cell stays within 2 % of the one it was
        /// held with, off its bounds; > 0 (default 3.09: α = 0.001). A phase whose cell runs
        /// to a bound (±5 % in a length: it fits lines it does not have) is held absent with
        /// the cell of the frame before.
        #[must_use]
        appear_z, get_appear_z: f64;

        /// Where the refiner has no broad background peak, the first frame is also fitted
        /// cold with one, and every frame gets it when that fit is significantly better (the
        /// F-test of [`SeriesParams::appear_z`]) and lowers Rwp by 2 %: a capillary's or an
        /// amorphous precursor's hump that the Chebyshev terms cannot follow is otherwise taken
        /// up by phases absent from the frame (default true).
        #[must_use]
        background_hump, get_background_hump: bool;
    }

    /// Parameters refined over all frames as polynomials of the order value (default none).
    #[must_use]
    pub fn parametric(mut self, parametric: Vec<Parametric>) -> Self {
        self.parametric = parametric;
        self
    }

    /// The parametric fits set by [`SeriesParams::parametric`].
    pub fn get_parametric(&self) -> &[Parametric] {
        &self.parametric
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        let finite_above = |name: &'static str, v: f64, lo: f64| {
            if v.is_finite() && v > lo {
                Ok(())
            } else {
                Err(invalid(name, format!("{v} must be finite and > {lo}")))
            }
        };
        finite_above("rwp_jump", self.rwp_jump, 1.0)?;
        finite_above("discontinuity", self.discontinuity, 1.0)?;
        finite_above("path_sigmas", self.path_sigmas, 0.0)?;
        finite_above("detection_sigmas", self.detection_sigmas, 0.0)?;
        finite_above("appear_z", self.appear_z, 0.0)?;
        for p in &self.parametric {
            p.check()?;
        }
        Ok(())
    }
}

/// Sequential refinement: each frame starts from the previous frame's result (a warm start),
/// with rietx's safeguards.
///
/// - A warm fit is rejected when it fails, its Rwp jumps ([`SeriesParams::rwp_jump`]) or a
///   parameter newly stops at a bound; the frame is then refitted cold and the better of the
///   two kept. A frame neither fits is reported as failed and the chain goes on from the last
///   good frame.
/// - A phase whose weight fraction falls within its detection limit is held at 0 and reported
///   with the limit; each frame, a held phase is freed again when that passes an F-test
///   ([`SeriesParams::appear_z`]).
/// - After the chain: Rwp outliers; discontinuities, re-measured by refitting the two frames
///   cold; optionally a backward chain and the path-dependent values; parametric fits.
///
/// ```no_run
/// use xrd_refine::{Frame, Phase, Refiner, Sequential};
/// use xrd_sim::Structure;
/// let phases = vec![Phase::new("spinel", Structure::from_file("CuCr2O4.cif")?)?];
/// let frames: Vec<Frame> = ["OH_00.fxye", "OH_04.fxye"]
///     .iter()
///     .map(|f| {
///         let p = xrd_io::read(f).unwrap().remove(0);
///         let w = p.wavelength().unwrap();
///         Frame::new(*f, p, w)
///     })
///     .collect();
/// let series = Sequential::new(Refiner::new(phases)).run(&frames, Vec::new(), None, |_, _| Ok(()))?;
/// for f in &series.frames {
///     println!("{} {:?}", f.name, f.refinement.as_ref().map(|r| r.rwp));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sequential {
    refiner: Refiner,
    params: SeriesParams,
    control: xrd_core::Control,
}

/// Whether phase `after` (of refinement `fit`) is the phase `before` with its shape freed: every
/// cell length within [`REAPPEAR_CELL`] of before's (thermal expansion between frames is far
/// below it) and no cell parameter at a bound — not a cell stretched onto other lines.
fn same_place(before: &PhaseResult, after: &PhaseResult, fit: &Refinement) -> bool {
    let same_cell = (0..3).all(|k| (after.cell[k] / before.cell[k] - 1.0).abs() < REAPPEAR_CELL);
    let bound = fit.parameters.iter().any(|v| {
        v.at_bound && matches!(&v.id, ParamId::Phase(n, PhaseParam::Cell(_)) if *n == after.name)
    });
    same_cell && !bound
}

/// A cold fit made before the chain: (frame index, refinement, state).
type Cold = (usize, Refinement, State);

/// Whether phase `free`'s cell left `held`'s (the frame before's) by more than its esds allow
/// ([`SLIDE_SIGMAS`]) beside a step of heating ([`SLIDE_STEP`]): slid onto another phase's
/// lines, however much the fit gains by it.
fn slid(free: &PhaseResult, held: &PhaseResult) -> bool {
    (0..3).any(|k| {
        let step = (free.cell[k] - held.cell[k]).abs();
        step > SLIDE_SIGMAS * free.cell_esd[k] + SLIDE_STEP * held.cell[k]
    })
}

/// The names of the phases of `r` present beside phase `p`.
fn present_besides(r: &Refinement, p: usize) -> Vec<&str> {
    r.phases
        .iter()
        .enumerate()
        .filter(|(q, ph)| *q != p && !ph.absent)
        .map(|(_, ph)| ph.name.as_str())
        .collect()
}

/// What one chain step keeps.
struct Step {
    fit: FrameFit,
    state: Option<State>,
}

impl Sequential {
    /// A series refined with `refiner`'s phases, instrument and settings.
    pub fn new(refiner: Refiner) -> Self {
        Self {
            refiner,
            params: SeriesParams::default(),
            control: xrd_core::Control::default(),
        }
    }

    /// Steers the series: each frame of the forward chain is reported as it lands (`what`
    /// "frames", the frame's name as message); cancelled, the run stops within one
    /// least-squares step with [`Error::Cancelled`], the frame under way dropped and every
    /// frame before it already handed to `on_frame` (so a resumed run goes on from there).
    #[must_use]
    pub fn control(mut self, control: xrd_core::Control) -> Self {
        self.refiner = self.refiner.control(control.silent());
        self.control = control;
        self
    }

    /// The series settings (default [`SeriesParams::default`]).
    #[must_use]
    pub fn params(mut self, params: SeriesParams) -> Self {
        self.params = params;
        self
    }

    /// Refines `frames` in order. `done` are the frames of an interrupted run already refined
    /// (the first `done.len()` frames are not refitted) and `state` the last good state it
    /// left; `on_frame` is called with each new frame's result and the state the chain goes on
    /// from, as each lands (write it out there: an error it returns stops the run).
    ///
    /// # Errors
    /// Invalid settings, no frame, more frames done than given, `on_frame`'s error, or
    /// [`Error::Cancelled`] when the series' control or its refiner's is cancelled (the frames
    /// handed to `on_frame` stand; the one under way is dropped). A frame that cannot be
    /// refined is not an error: it is reported as failed.
    pub fn run<F>(
        &self,
        frames: &[Frame],
        done: Vec<FrameFit>,
        state: Option<State>,
        on_frame: F,
    ) -> Result<Series>
    where
        F: FnMut(&FrameFit, Option<&State>) -> Result<()> + Send,
    {
        self.params.check()?;
        if frames.is_empty() {
            return Err(invalid("frames", "a series needs at least one frame"));
        }
        if done.len() > frames.len() {
            return Err(invalid(
                "done",
                format!("{} frames done of a series of {}", done.len(), frames.len()),
            ));
        }
        let wavelength = frames
            .iter()
            .find_map(|f| f.data().ok().map(|d| d.1))
            .ok_or_else(|| invalid("frames", "no frame of the series could be read"))?;
        let order: Vec<usize> = (0..frames.len()).collect();
        let (chosen, first, notes) = self.with_background(frames, done.len(), state.as_ref())?;
        let this = chosen.as_ref().unwrap_or(self);
        let first = std::sync::Mutex::new(first);
        let mut series =
            this.run_chains(frames, &order, wavelength, done, state, &first, on_frame)?;
        series.notes = notes;
        // Said once for the series, not on every frame's row.
        let advised = series
            .frames
            .iter()
            .filter_map(|f| f.refinement.as_ref())
            .filter(|r| r.warnings.iter().any(|m| m.ends_with(INSTRUMENT_ADVICE)))
            .count();
        if advised > 0 {
            series.notes.push(format!(
                "{advised} of {} frames: the instrument's widths ran to a bound or could not be \
                 told from the sample's broadening; {INSTRUMENT_ADVICE}",
                series.frames.len()
            ));
        }
        let slow = series
            .frames
            .iter()
            .filter_map(|f| f.refinement.as_ref())
            .filter(|r| r.background_check.is_some_and(|c| c.advised()))
            .count();
        if slow > 0 {
            series.notes.push(background_note(
                slow,
                series.frames.len(),
                this.refiner.params.get_humps(),
            ));
        }
        Ok(series)
    }

    /// The series with a broad background peak when its first frame asks for one
    /// ([`SeriesParams::background_hump`]), or none to keep this one; the first frame's cold
    /// fit with what was chosen (the chain starts from it); and why, in words. A resumed run
    /// keeps what its state was refined with.
    fn with_background(
        &self,
        frames: &[Frame],
        done: usize,
        state: Option<&State>,
    ) -> Result<(Option<Sequential>, Option<Cold>, Vec<String>)> {
        if !self.params.background_hump || self.refiner.params.get_humps() > 0 {
            return Ok((None, None, Vec::new()));
        }
        let humped = || {
            let mut s = self.clone();
            s.refiner.params = s.refiner.params.clone().humps(1);
            s
        };
        if let Some(st) = state {
            let has = st.ids().iter().any(|id| matches!(id, ParamId::Hump(..)));
            return Ok((has.then(humped), None, Vec::new()));
        }
        let Some((pattern, w)) = frames.get(done).and_then(|f| f.data().ok()) else {
            return Ok((None, None, Vec::new()));
        };
        let w = *w;
        let plain = self.cold(pattern, w);
        let with = humped();
        let hump = with.cold(pattern, w);
        self.check_cancel()?;
        Ok(match (plain, hump) {
            (Ok((r0, _)), Ok((r1, s1))) if self.needs(&r1, &r0) => {
                let note = format!(
                    "a broad background peak added to every frame: the first frame's cold fit \
                     with it is significantly better (Rwp {:.4} against {:.4}; without it, \
                     phases absent from a frame take up the background's misfit)",
                    r1.rwp, r0.rwp
                );
                (Some(with), Some((done, r1, s1)), vec![note])
            }
            (plain, _) => (None, plain.ok().map(|(r, s)| (done, r, s)), Vec::new()),
        })
    }

    /// The chains and the flags after them, for [`Sequential::run`]; `first`, a cold fit
    /// already made of one frame, is used by the forward chain in place of refitting it.
    #[allow(clippy::too_many_arguments)]
    fn run_chains<F>(
        &self,
        frames: &[Frame],
        order: &[usize],
        wavelength: Wavelength,
        done: Vec<FrameFit>,
        state: Option<State>,
        first: &std::sync::Mutex<Option<Cold>>,
        on_frame: F,
    ) -> Result<Series>
    where
        F: FnMut(&FrameFit, Option<&State>) -> Result<()> + Send,
    {
        let order = order.to_vec();
        let backward_order: Vec<usize> = order.iter().rev().copied().collect();
        let (forward, backward) = rayon::join(
            || {
                self.chain(
                    frames,
                    &order,
                    wavelength,
                    (done, state),
                    on_frame,
                    (true, Some(first)),
                )
            },
            || {
                if self.params.backward {
                    self.chain(
                        frames,
                        &backward_order,
                        wavelength,
                        (Vec::new(), None),
                        |_, _| Ok(()),
                        (false, None),
                    )
                } else {
                    Ok(Vec::new())
                }
            },
        );
        let mut forward = forward?;
        let mut backward = backward?;
        backward.sort_by_key(|f| f.index);
        self.flag_outliers(&mut forward);
        self.flag_discontinuities(frames, &mut forward);
        if !backward.is_empty() {
            self.flag_outliers(&mut backward);
            self.flag_path_dependence(&mut forward, &backward);
        }
        // The flags refit frames cold: one cut short by a cancel would be missing.
        self.check_cancel()?;
        let parametric = self
            .params
            .parametric
            .iter()
            .map(|p| parametric_fit(&forward, p))
            .collect::<Result<Vec<_>>>()?;
        Ok(Series {
            frames: forward,
            backward,
            parametric,
            notes: Vec::new(),
        })
    }

    /// `Err(Cancelled)` once the series' control, or the refiner's own, is cancelled.
    fn check_cancel(&self) -> Result<()> {
        self.control.check()?;
        self.refiner.check_cancel()?;
        Ok(())
    }

    /// One chain over `frames[order[..]]`.
    fn chain<F>(
        &self,
        frames: &[Frame],
        order: &[usize],
        wavelength: Wavelength,
        (done, mut state): (Vec<FrameFit>, Option<State>),
        mut on_frame: F,
        (track, first): (bool, Option<&std::sync::Mutex<Option<Cold>>>),
    ) -> Result<Vec<FrameFit>>
    where
        F: FnMut(&FrameFit, Option<&State>) -> Result<()>,
    {
        let mut out = done;
        let mut rwps: Vec<f64> = out
            .iter()
            .filter_map(|f| f.refinement.as_ref().map(|r| r.rwp))
            .collect();
        let mut bounded: Vec<ParamId> = Vec::new();
        let trials = self.trial_refiner();
        for &i in &order[out.len()..] {
            let frame = &frames[i];
            let reference = {
                let mut last: Vec<f64> = rwps.iter().rev().take(RWP_MEMORY).copied().collect();
                (!last.is_empty()).then(|| median(&mut last))
            };
            self.check_cancel()?;
            // The cold fit the choice of background made of this frame, if it did.
            let made = first.and_then(|m| {
                let mut g = m.lock().ok()?;
                if g.as_ref().is_some_and(|c| c.0 == i) {
                    g.take().map(|(_, r, s)| (r, s))
                } else {
                    None
                }
            });
            let step = self.step(
                frame,
                i,
                wavelength,
                (state.as_ref(), made),
                (reference, &bounded),
                &trials,
            );
            // A frame cut short by a cancel is dropped, not reported as failed.
            self.check_cancel()?;
            if let (Some(r), Some(s)) = (&step.fit.refinement, step.state) {
                rwps.push(r.rwp);
                bounded = r
                    .parameters
                    .iter()
                    .filter(|p| p.at_bound)
                    .map(|p| p.id.clone())
                    .collect();
                state = Some(s);
            }
            on_frame(&step.fit, state.as_ref())?;
            if track {
                self.control.report(
                    xrd_core::Progress::new("frames", out.len() + 1, order.len())
                        .message(frame.name.clone()),
                );
            }
            out.push(step.fit);
        }
        Ok(out)
    }

    /// One frame: warm (or cold for the first), reseeded when rejected, then the phases' absence
    /// and reappearance.
    fn step(
        &self,
        frame: &Frame,
        index: usize,
        wavelength: Wavelength,
        (previous, made): (Option<&State>, Option<(Refinement, State)>),
        (reference_rwp, bounded): (Option<f64>, &[ParamId]),
        trials: &Refiner,
    ) -> Step {
        let failed = |error: String, flags: Vec<Flag>| Step {
            fit: FrameFit {
                index,
                name: frame.name.clone(),
                order: frame.order,
                start: FrameStart::Failed,
                refinement: None,
                error: Some(error),
                flags,
            },
            state: None,
        };
        let (pattern, w) = match frame.data() {
            Ok((p, w)) => (p, *w),
            // A reader's message already names its file.
            Err(e) if e.starts_with(&frame.name) => return failed(e.to_string(), Vec::new()),
            Err(e) => return failed(format!("{}: {e}", frame.name), Vec::new()),
        };
        if (w.angstrom() - wavelength.angstrom()).abs()
            > WAVELENGTH_TOLERANCE * wavelength.angstrom()
        {
            return failed(
                format!(
                    "{}: wavelength {} Å differs from the series' {} Å",
                    frame.name,
                    w.angstrom(),
                    wavelength.angstrom()
                ),
                Vec::new(),
            );
        }
        let mut flags = Vec::new();
        let mut start = FrameStart::Cold;
        let mut kept: Option<(Refinement, State)> = None;
        // Whether `kept` has been through the phases' absence and reappearance.
        let mut settled = false;
        // The phases the absence trials held for overlap ([`Self::hold_overlapped`]).
        let mut overlap_held = Vec::new();
        // (Rwp jump, new parameter at a bound) of a warm fit.
        let rejection = |r: &Refinement| {
            let jump = reference_rwp
                .filter(|&m| r.rwp > self.params.rwp_jump * m)
                .map(|m| format!("rwp {:.4} > {} × {m:.4}", r.rwp, self.params.rwp_jump));
            let bound = r
                .parameters
                .iter()
                .find(|p| p.at_bound && !bounded.contains(&p.id))
                .map(|p| format!("{} at a bound", p.id));
            (jump, bound)
        };
        if let Some(prev) = previous {
            match self.refiner.fit_warm(pattern, w, prev) {
                Ok((mut r, mut s)) => match rejection(&r) {
                    (None, None) => {
                        start = FrameStart::Warm;
                        kept = Some((r, s));
                    }
                    (jump, bound) => {
                        // A new bound without an Rwp jump is mostly a vanished phase whose
                        // cell ran onto other lines: the absence trials from the warm fit hold
                        // it for a fraction of a cold fit's cost (a cold fit with its backward
                        // elimination is many fits). Cold when the frame is still rejected, or
                        // at once on a jump (a phase that came: the trials, its cell held
                        // where it started, seldom find it; measured on the reaction series).
                        let mut reason = jump.clone().or(bound);
                        if jump.is_none() {
                            overlap_held =
                                self.absence(trials, pattern, w, previous, &mut r, &mut s);
                            settled = true;
                            if rejection(&r) == (None, None) {
                                reason = None;
                            }
                        }
                        match reason {
                            None => start = FrameStart::Warm,
                            Some(reason) => {
                                flags.push(Flag::Reseeded { reason });
                                start = FrameStart::Reseeded;
                            }
                        }
                        kept = Some((r, s));
                    }
                },
                Err(e) => {
                    flags.push(Flag::Reseeded {
                        reason: e.to_string(),
                    });
                    start = FrameStart::Reseeded;
                }
            }
        }
        if start != FrameStart::Warm {
            match made.map_or_else(|| self.cold(pattern, w), Ok) {
                // The cold fit replaces a rejected warm one only when it fits better.
                Ok((r, s)) => {
                    if kept.as_ref().is_none_or(|(k, _)| r.rwp < k.rwp) {
                        kept = Some((r, s));
                        settled = false;
                        overlap_held.clear();
                    } else {
                        start = FrameStart::Warm;
                    }
                }
                Err(e) if kept.is_none() => {
                    return failed(format!("{}: {e}", frame.name), flags);
                }
                Err(_) => start = FrameStart::Warm,
            }
        }
        let Some((mut r, mut s)) = kept else {
            return failed(format!("{}: no fit", frame.name), flags);
        };
        if !settled {
            overlap_held = self.absence(trials, pattern, w, previous, &mut r, &mut s);
        }
        // Phases that vanished or came back since the frame before (or absent from the start).
        for (p, ph) in r.phases.iter().enumerate() {
            let before = previous.is_some_and(|st| st.absent().get(p).copied().unwrap_or(false));
            if ph.absent && !before {
                flags.push(Flag::Absent {
                    phase: ph.name.clone(),
                });
            } else if !ph.absent && before {
                flags.push(Flag::Appeared {
                    phase: ph.name.clone(),
                });
            }
        }
        for (p, ph) in r.phases.iter().enumerate() {
            if !ph.absent && overlap_held.get(p).copied().unwrap_or(false) {
                flags.push(Flag::Held {
                    phase: ph.name.clone(),
                });
            }
        }
        for p in r.parameters.iter().filter(|p| p.at_bound) {
            flags.push(Flag::AtBound {
                parameter: p.id.clone(),
            });
        }
        for ph in &r.phases {
            if let Some(o) = &ph.overlap {
                flags.push(Flag::Overlapped {
                    phase: ph.name.clone(),
                    with: o.with.clone(),
                    correlation: o.correlation,
                });
            }
        }
        Step {
            fit: FrameFit {
                index,
                name: frame.name.clone(),
                order: frame.order,
                start,
                refinement: Some(strip(r)),
                error: None,
                flags,
            },
            state: Some(s),
        }
    }

    /// A cold fit of every phase, then the phases the data do not need held absent one at a
    /// time (backward elimination): of the phases present (the [`ELIMINATION_TRIALS`] least
    /// supported by their fraction's esd), the one whose removal raises χ² least is held while
    /// the fit with it is not significantly better (the F-test of
    /// [`SeriesParams::appear_z`]). A series names every phase it may meet; in a cold fit
    /// those absent from the frame otherwise take the intensity of the others' lines, and the
    /// chain would carry that start.
    fn cold(&self, pattern: &Pattern, w: Wavelength) -> Result<(Refinement, State)> {
        let (mut r, mut s) = self.refiner.fit_state(pattern, w)?;
        // A phase held is put back at its structure's cell and widths: in the fit of every
        // phase its cell had moved onto other phases' lines, and it is tried back from there.
        // (The starts are prepared once, when a phase is first held.)
        let mut start: Option<State> = None;
        loop {
            let mut present: Vec<usize> = (0..r.phases.len())
                .filter(|&p| !r.phases[p].absent)
                .collect();
            if present.len() < 2 {
                break;
            }
            // Holding a phase raises χ² by about the square of its fraction over its esd
            // (Wald): only the phases least supported that way are tried, not every phase
            // present (each trial is a fit).
            let support = |p: usize| {
                let ph = &r.phases[p];
                if ph.weight_fraction_esd > 0.0 {
                    ph.weight_fraction / ph.weight_fraction_esd
                } else {
                    f64::INFINITY
                }
            };
            present.sort_by(|&a, &b| support(a).total_cmp(&support(b)));
            present.truncate(ELIMINATION_TRIALS);
            let best = present
                .iter()
                .filter_map(|&p| {
                    let held = s.clone().with_absent(p, true);
                    self.refiner
                        .fit_warm(pattern, w, &held)
                        .ok()
                        .map(|(r2, s2)| (p, r2, s2))
                })
                .filter(|(_, r2, _)| !r.significantly_better_than(r2, self.params.appear_z))
                .min_by(|a, b| a.1.chi2.total_cmp(&b.1.chi2));
            match best {
                Some((p, r2, mut s2)) => {
                    if start.is_none() {
                        start = Some(self.refiner.start_state(pattern, w)?);
                    }
                    if let Some(start) = &start {
                        s2.copy_phase_expanded(&r2.phases[p].name, start, &present_besides(&r2, p));
                    }
                    r = r2;
                    s = s2;
                }
                None => break,
            }
        }
        Ok((r, s))
    }

    /// The refiner of the absence and reappearance trials: the series' own, less its overall
    /// B stage. The trials ask whether a phase is there, which its B does not decide; freed in
    /// them, each phase's B, trading with its scale, made every trial several times dearer (the
    /// frame's own fit refines it). Made once per chain and handed to [`Self::absence`].
    fn trial_refiner(&self) -> std::borrow::Cow<'_, Refiner> {
        let stages = self.refiner.params.get_stages();
        if !stages.contains(&crate::Stage::OverallB) || stages.len() < 2 {
            return std::borrow::Cow::Borrowed(&self.refiner);
        }
        let mut r = self.refiner.clone();
        let kept: Vec<crate::Stage> = stages
            .iter()
            .copied()
            .filter(|&st| st != crate::Stage::OverallB)
            .collect();
        r.params = r.params.clone().stages(kept);
        std::borrow::Cow::Owned(r)
    }

    /// Holds phases within their detection limit at 0, and frees held ones that the data now
    /// show; holds the shape of overlapped phases the frame does not determine
    /// ([`Self::hold_overlapped`]) and returns which it held.
    fn absence(
        &self,
        trials: &Refiner,
        pattern: &Pattern,
        w: Wavelength,
        previous: Option<&State>,
        r: &mut Refinement,
        s: &mut State,
    ) -> Vec<bool> {
        let z = self.params.detection_sigmas;
        let held_here = self.hold_overlapped(trials, (pattern, w), previous, r, s);
        // A phase held absent keeps the cell and widths it had in the frame before (there, or
        // held there), or in the first frame its structure's expanded as the phases present
        // have expanded (prepared once, when needed): not the cell its fit here may have
        // stretched onto other lines, from which every later trial to bring it back would
        // start (In₂O₃ held at +3.8 % from the first frame never came back as it grew in).
        let mut start: Option<State> = None;
        let mut reset = |held: &mut State, p: usize, r: &Refinement| {
            let name = r.phases[p].name.as_str();
            match previous {
                Some(prev) => held.copy_phase(name, prev),
                None => {
                    if start.is_none() {
                        start = trials.start_state(pattern, w).ok();
                    }
                    if let Some(st) = &start {
                        held.copy_phase_expanded(name, st, &present_besides(r, p));
                    }
                }
            }
        };
        // A phase whose cell ran to its bound (±5 % in a length) fits lines it does not have
        // (its own have gone), and one whose size or strain broadening ran to its bound has
        // drawn its lines out into a hump under the others (a vanished phase taking up what
        // the background and the other phases' profiles miss; it took 35 wt% of a synthetic
        // reaction frame where it had none): it is held absent with the cell and widths of the
        // frame before, from which it is tried again in the next frames.
        for p in 0..r.phases.len() {
            let present = r.phases.iter().filter(|ph| !ph.absent).count();
            let name = r.phases[p].name.clone();
            let bound = r.parameters.iter().any(|v| {
                v.at_bound
                    && matches!(&v.id, ParamId::Phase(n, PhaseParam::Cell(_) | PhaseParam::Size | PhaseParam::Strain) if *n == name)
            });
            if r.phases[p].absent || present < 2 || !bound {
                continue;
            }
            let mut held = s.clone().with_absent(p, true);
            reset(&mut held, p, r);
            if let Ok((r2, s2)) = trials.fit_warm(pattern, w, &held) {
                *r = r2;
                *s = s2;
            }
        }
        for p in 0..r.phases.len() {
            let present = r.phases.iter().filter(|ph| !ph.absent).count();
            let ph = &r.phases[p];
            if ph.absent || present < 2 || ph.weight_fraction > z * ph.weight_fraction_esd {
                continue;
            }
            let mut held = s.clone().with_absent(p, true);
            reset(&mut held, p, r);
            // Held only when the data do not need it: the fit with it must not be
            // significantly better (the F-test of reappearance, the other way round).
            if let Ok((r2, s2)) = trials.fit_warm(pattern, w, &held)
                && !r.significantly_better_than(&r2, self.params.appear_z)
            {
                *r = r2;
                *s = s2;
            }
        }
        // A phase held absent comes back by its scale alone, its cell and widths held where it
        // left (or where it started): freed at scale 0 it would first stretch them onto other
        // phases' lines. Then they are freed, kept only where the data carry them.
        for p in 0..r.phases.len() {
            if !r.phases[p].absent {
                continue;
            }
            let freed = s.clone().with_absent(p, false).with_shape_held(p, true);
            let Ok((r2, s2)) = trials.fit_warm(pattern, w, &freed) else {
                continue;
            };
            if !r2.significantly_better_than(r, self.params.appear_z) {
                continue;
            }
            // Beside the F-test (lenient where the residuals are systematic, as a frame with
            // phases still missing has them), a gain in Rwp a user would see. Not its weight
            // above the detection limit: a phase whose lines overlap another's has a weight
            // esd that hides it however much the fit gains (β beside α titanium: 0.08 ± 0.10
            // with Rwp 0.282 → 0.271), and the elimination holds a phase only when the F-test
            // does not need it either.
            if r2.rwp <= r.rwp * (1.0 - APPEAR_RWP_GAIN) {
                *r = r2;
                *s = s2;
                continue;
            }
            // The data need the phase but its lines sit where it left them (a series heated
            // since has moved them): the gain is asked of the fit with its cell and widths
            // freed, kept near the cell it came back with and off its bounds (not stretched
            // onto other phases' lines).
            let released = s2.clone().with_shape_held(p, false);
            if let Ok((r3, s3)) = trials.fit_warm(pattern, w, &released) {
                let ph3 = &r3.phases[p];
                if self.needs(&r3, r) && same_place(&r2.phases[p], ph3, &r3) {
                    *r = r3;
                    *s = s3;
                }
            }
        }
        // Releasing one phase changes no other's hold: the flags are read once. A phase held
        // for overlap whose scale still trades with another's lines once freed is released
        // only as a reappearance is admitted (the data must need its shape) and without a
        // slide; none held in this frame.
        let held = s.shape_held();
        for (p, &here) in held_here.iter().enumerate() {
            if r.phases[p].absent || !held.get(p).copied().unwrap_or(false) || here {
                continue;
            }
            let released = s.clone().with_shape_held(p, false);
            if let Ok((r2, s2)) = trials.fit_warm(pattern, w, &released)
                && same_place(&r.phases[p], &r2.phases[p], &r2)
                && r2.rwp <= r.rwp
                && (!s.overlap_held(p)
                    || r2.phases[p]
                        .trades
                        .as_ref()
                        .is_none_or(|o| o.correlation.abs() <= HOLD_CORRELATION)
                    || (self.needs(&r2, r) && !slid(&r2.phases[p], &r.phases[p])))
            {
                *r = r2;
                *s = s2;
            }
        }
        held_here
    }

    /// Whether fit `freer` is better than `held` the way a phase's return must be: the F-test
    /// at [`SeriesParams::appear_z`] and an Rwp lower by [`APPEAR_RWP_GAIN`].
    fn needs(&self, freer: &Refinement, held: &Refinement) -> bool {
        freer.significantly_better_than(held, self.params.appear_z)
            && freer.rwp <= held.rwp * (1.0 - APPEAR_RWP_GAIN)
    }

    /// Part of [`Self::absence`]: each phase whose scale trades with another phase's parameter
    /// (overlapped lines) is refitted with its cell and widths held at the frame before's; the
    /// hold is kept unless the free fit is better the way a returning phase must be
    /// ([`Self::needs`]). Where the frame does not determine them, a freed cell slides onto the
    /// other phase's lines and the two share its weight as the noise and the model's misfit
    /// please (a spinel gone from a synthetic series took 6 wt% of its neighbour's this way).
    /// Returns the phases held here.
    fn hold_overlapped(
        &self,
        trials: &Refiner,
        (pattern, w): (&Pattern, Wavelength),
        previous: Option<&State>,
        r: &mut Refinement,
        s: &mut State,
    ) -> Vec<bool> {
        let mut held = vec![false; r.phases.len()];
        let Some(prev) = previous else {
            return held;
        };
        let already = s.shape_held();
        // The phases to try: each whose scale trades with another phase's parameter, and the
        // other phase when that parameter is of its shape (its cell, widths or B moving under
        // the first's lines is the slide).
        let mut candidates = Vec::new();
        for ph in &r.phases {
            let Some(o) = ph
                .trades
                .as_ref()
                .filter(|o| o.correlation.abs() > HOLD_CORRELATION)
            else {
                continue;
            };
            candidates.push(ph.name.clone());
            if let ParamId::Phase(other, param) = &o.with
                && *param != PhaseParam::Scale
            {
                candidates.push(other.clone());
            }
        }
        for (p, h) in held.iter_mut().enumerate() {
            let ph = &r.phases[p];
            if ph.absent
                || !candidates.contains(&ph.name)
                || already.get(p).copied().unwrap_or(false)
            {
                continue;
            }
            let mut trial = s.clone().with_overlap_held(p);
            trial.copy_phase(&ph.name, prev);
            let Ok((r2, s2)) = trials.fit_warm(pattern, w, &trial) else {
                continue;
            };
            // The held fit's cell is the frame before's.
            if slid(&r.phases[p], &r2.phases[p]) || !self.needs(r, &r2) {
                *r = r2;
                *s = s2;
                *h = true;
            }
        }
        held
    }

    fn flag_outliers(&self, frames: &mut [FrameFit]) {
        let mut rwps: Vec<f64> = frames
            .iter()
            .filter_map(|f| f.refinement.as_ref().map(|r| r.rwp))
            .collect();
        if rwps.len() < 3 {
            return;
        }
        let m = median(&mut rwps);
        for f in frames {
            if let Some(r) = &f.refinement
                && r.rwp > self.params.rwp_jump * m
            {
                f.flags.push(Flag::RwpOutlier {
                    rwp: r.rwp,
                    median: m,
                });
            }
        }
    }

    /// Jumps between consecutive good frames, re-measured by refitting both frames cold.
    fn flag_discontinuities(&self, frames: &[Frame], fits: &mut [FrameFit]) {
        let good: Vec<usize> = (0..fits.len())
            .filter(|&i| fits[i].refinement.is_some())
            .collect();
        if good.len() < 3 {
            return;
        }
        let names = tracked(
            fits[good[0]]
                .refinement
                .as_ref()
                .map_or(&[][..], |r| &r.phases),
        );
        let indices: Vec<usize> = fits.iter().map(|f| f.index).collect();
        let mut cold: Vec<Option<Refinement>> = vec![None; fits.len()];
        let mut cold_fit = |i: usize| -> Option<Refinement> {
            if cold[i].is_none()
                && let Ok((p, w)) = frames[indices[i]].data()
            {
                cold[i] = self.refiner.fit(p, *w).ok();
            }
            cold[i].clone()
        };
        for name in &names {
            let values: Vec<Option<(f64, f64)>> = good
                .iter()
                .map(|&i| fits[i].refinement.as_ref().and_then(|r| value_of(r, name)))
                .collect();
            let mut steps: Vec<f64> = values
                .windows(2)
                .filter_map(|v| Some((v[1]?.0 - v[0]?.0).abs()))
                .collect();
            if steps.len() < 2 {
                continue;
            }
            let typical = median(&mut steps);
            for k in 1..good.len() {
                let (Some((a, ea)), Some((b, eb))) = (values[k - 1], values[k]) else {
                    continue;
                };
                let step = b - a;
                let sigma = (ea * ea + eb * eb).sqrt();
                if step.abs() <= 1e-9 * a.abs().max(b.abs()) {
                    continue;
                }
                if step.abs() <= self.params.discontinuity * typical || step.abs() <= 3.0 * sigma {
                    continue;
                }
                let (i0, i1) = (good[k - 1], good[k]);
                let cold_step = match (cold_fit(i0), cold_fit(i1)) {
                    (Some(c0), Some(c1)) => match (value_of(&c0, name), value_of(&c1, name)) {
                        (Some(x0), Some(x1)) => x1.0 - x0.0,
                        _ => f64::NAN,
                    },
                    _ => f64::NAN,
                };
                let confirmed = cold_step.abs() > self.params.discontinuity * typical;
                fits[i1].flags.push(Flag::Discontinuity {
                    parameter: name.clone(),
                    step,
                    cold_step,
                    confirmed,
                });
            }
        }
    }

    fn flag_path_dependence(&self, forward: &mut [FrameFit], backward: &[FrameFit]) {
        for (f, b) in forward.iter_mut().zip(backward) {
            let (Some(rf), Some(rb)) = (&f.refinement, &b.refinement) else {
                continue;
            };
            for name in tracked(&rf.phases) {
                let (Some((vf, ef)), Some((vb, eb))) = (value_of(rf, &name), value_of(rb, &name))
                else {
                    continue;
                };
                let sigma = (ef * ef + eb * eb).sqrt();
                if (vf - vb).abs() > self.params.path_sigmas * sigma && sigma > 0.0 {
                    f.flags.push(Flag::PathDependent {
                        parameter: name,
                        forward: vf,
                        backward: vb,
                    });
                }
            }
        }
    }
}

/// A value a series follows, per phase: its weight fraction, a cell parameter or its overall
/// B. Text form `PHASE.wt`, `PHASE.a` … `PHASE.gamma`, `PHASE.B` (parses back).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tracked {
    /// The phase's weight fraction.
    WeightFraction(String),
    /// Cell parameter `k` of [`CELL_LABELS`].
    Cell(String, usize),
    /// The phase's overall displacement parameter B.
    B(String),
}

impl Tracked {
    /// The phase whose value it is.
    pub fn phase(&self) -> &str {
        match self {
            Tracked::WeightFraction(p) | Tracked::Cell(p, _) | Tracked::B(p) => p,
        }
    }

    /// The value of `phase` that a name such as [`Parametric::parameter`]'s names: `wt`,
    /// `a` … `gamma`, `B`.
    pub fn of_parameter(phase: &str, parameter: &str) -> Option<Tracked> {
        let phase = phase.to_string();
        match parameter {
            "wt" => Some(Tracked::WeightFraction(phase)),
            "B" => Some(Tracked::B(phase)),
            l => CELL_LABELS
                .iter()
                .position(|c| *c == l)
                .map(|k| Tracked::Cell(phase, k)),
        }
    }
}

impl fmt::Display for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tracked::WeightFraction(p) => write!(f, "{p}.wt"),
            Tracked::Cell(p, k) => write!(f, "{p}.{}", CELL_LABELS.get(*k).unwrap_or(&"cell")),
            Tracked::B(p) => write!(f, "{p}.B"),
        }
    }
}

impl std::str::FromStr for Tracked {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.rsplit_once('.')
            .filter(|(p, _)| !p.is_empty())
            .and_then(|(p, q)| Tracked::of_parameter(p, q))
            .ok_or_else(|| {
                invalid(
                    "tracked",
                    format!("`{s}`: need PHASE.wt, PHASE.a … PHASE.gamma or PHASE.B"),
                )
            })
    }
}

impl Serialize for Tracked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Tracked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The values a series follows: each phase's weight fraction and the cell parameters it
/// refines.
pub fn tracked(phases: &[crate::PhaseResult]) -> Vec<Tracked> {
    let mut out = Vec::new();
    for p in phases {
        out.push(Tracked::WeightFraction(p.name.clone()));
        for k in 0..CELL_LABELS.len() {
            // Tied and fixed parameters (a hexagonal γ) carry rounding for an esd.
            if p.cell_esd[k] > 1e-9 * p.cell[k].abs() {
                out.push(Tracked::Cell(p.name.clone(), k));
            }
        }
    }
    out
}

/// Names of the six cell parameters.
pub const CELL_LABELS: [&str; 6] = ["a", "b", "c", "alpha", "beta", "gamma"];

/// A tracked value and its esd ([`tracked`]); none where the phase is absent.
fn value_of(r: &Refinement, key: &Tracked) -> Option<(f64, f64)> {
    let p = r.phases.iter().find(|p| p.name == key.phase())?;
    if p.absent {
        return None;
    }
    match key {
        Tracked::WeightFraction(_) => Some((p.weight_fraction, p.weight_fraction_esd)),
        Tracked::Cell(_, k) => Some((*p.cell.get(*k)?, *p.cell_esd.get(*k)?)),
        Tracked::B(name) => {
            let id = ParamId::Phase(name.clone(), PhaseParam::B);
            r.parameters
                .iter()
                .find(|v| v.id == id)
                .map(|v| (v.value, v.esd))
        }
    }
}

/// The weighted polynomial fit of a parameter over the frames.
fn parametric_fit(frames: &[FrameFit], spec: &Parametric) -> Result<ParametricFit> {
    let name = Tracked::of_parameter(&spec.phase, &spec.parameter).ok_or_else(|| {
        invalid(
            "parametric",
            format!(
                "parameter `{}` must be one of a, b, c, alpha, beta, gamma, B",
                spec.parameter
            ),
        )
    })?;
    let mut rows = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        let Some(r) = &f.refinement else { continue };
        if !r.phases.iter().any(|p| p.name == spec.phase) {
            return Err(invalid(
                "parametric",
                format!("no phase named `{}` in the series", spec.phase),
            ));
        }
        if let Some((v, e)) = value_of(r, &name)
            && e > 0.0
        {
            rows.push((f.index, f.order.unwrap_or(k as f64), v, e));
        }
    }
    let m = spec.degree + 1;
    if rows.len() <= m {
        return Err(invalid(
            "parametric",
            format!(
                "`{name}` is refined in {} frames; a polynomial of degree {} needs more than {m}",
                rows.len(),
                spec.degree
            ),
        ));
    }
    // Centred, scaled order values keep the normal equations conditioned.
    let ts: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let centre = ts.iter().sum::<f64>() / ts.len() as f64;
    let half = ts
        .iter()
        .map(|t| (t - centre).abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let basis = |t: f64| -> Vec<f64> {
        let u = (t - centre) / half;
        (0..m).map(|k| u.powi(k as i32)).collect()
    };
    let mut a = nalgebra::DMatrix::<f64>::zeros(m, m);
    let mut b = nalgebra::DVector::<f64>::zeros(m);
    for &(_, t, v, e) in &rows {
        let x = basis(t);
        let w = 1.0 / (e * e);
        for r in 0..m {
            b[r] += w * x[r] * v;
            for c in 0..m {
                a[(r, c)] += w * x[r] * x[c];
            }
        }
    }
    let inverse = a
        .clone()
        .cholesky()
        .map(|c| c.inverse())
        .ok_or_else(|| Error::Singular(format!("the order values of `{name}`")))?;
    let u = &inverse * &b;
    let dof = (rows.len() - m) as f64;
    let chi2: f64 = rows
        .iter()
        .map(|&(_, t, v, e)| {
            let f: f64 = basis(t).iter().zip(u.iter()).map(|(x, c)| x * c).sum();
            ((v - f) / e).powi(2)
        })
        .sum::<f64>()
        / dof;
    let inflate = chi2.max(1.0);
    let cov_u = inverse * inflate;
    // From the centred basis to powers of t: t^k terms of ((t − centre)/half)^j.
    let mut to_t = nalgebra::DMatrix::<f64>::zeros(m, m);
    for j in 0..m {
        // ((t − c)/h)^j = Σ_k C(j,k) t^k (−c)^(j−k) / h^j
        for k in 0..=j {
            to_t[(k, j)] = binomial(j, k) * (-centre).powi((j - k) as i32) / half.powi(j as i32);
        }
    }
    let coefficients = &to_t * &u;
    let cov_c = &to_t * &cov_u * to_t.transpose();
    let frames_out = rows
        .iter()
        .map(|&(i, t, v, e)| {
            let x = nalgebra::DVector::from_vec(basis(t));
            let f = x.dot(&u);
            let var = (x.transpose() * &cov_u * &x)[(0, 0)];
            (i, t, f, var.max(0.0).sqrt(), v, e)
        })
        .collect();
    Ok(ParametricFit {
        spec: spec.clone(),
        coefficients: coefficients.iter().copied().collect(),
        coefficient_esd: (0..m).map(|k| cov_c[(k, k)].max(0.0).sqrt()).collect(),
        chi2,
        frames: frames_out,
    })
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The refinement without its curves (a series keeps only the numbers).
fn strip(mut r: Refinement) -> Refinement {
    r.two_theta = Vec::new();
    r.observed = Vec::new();
    r.calculated = Vec::new();
    r.background = Vec::new();
    r.phase_curves = Vec::new();
    r.reference_curves = Vec::new();
    r
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The series' note of `slow` of `frames` frames whose background check advises more terms; a
/// series with `humps` background peaks (given, or chosen on its first frame) is not told to
/// add one, as a frame's warning is not.
fn background_note(slow: usize, frames: usize, humps: usize) -> String {
    let hump = crate::refinement::hump_hint(humps);
    format!(
        "{slow} of {frames} frames: the background misses a slow part of the pattern, where \
         {BACKGROUND_CHECK_TERMS} more Chebyshev terms would lower Rwp by {:.0} % or more \
         (`--background`){hump}",
        100.0 * BACKGROUND_ADVICE_GAIN
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The series' note names a hump only for a series without one.
    #[test]
    fn the_series_note_names_a_hump_only_without_one() {
        let bare = background_note(4, 17, 0);
        assert!(
            bare.starts_with("4 of 17 frames: the background misses"),
            "{bare}"
        );
        assert!(
            bare.ends_with(crate::refinement::BACKGROUND_ADVICE),
            "{bare}"
        );
        let humped = background_note(4, 17, 1);
        assert!(humped.ends_with("(`--background`)"), "{humped}");
    }

    /// `phases` at Cu Kα in the given scales, rendered by xrd-sim, with a background and
    /// counting noise.
    fn pattern(phases: &[(&crate::Phase, f64)]) -> Pattern {
        use rand::{Rng, SeedableRng};
        let sim = xrd_sim::Simulator::new(
            xrd_sim::PowderParams::new()
                .radiation(Wavelength::CU_KA)
                .two_theta_range(15.0, 85.0),
        )
        .unwrap();
        let grid = xrd_io::Grid::new(15.0, 0.02, 3501).unwrap();
        let profile = xrd_sim::Profile::gaussian(0.1).caglioti(0.006, -0.002, 0.003);
        let mut y = vec![0.0; grid.len()];
        for &(ph, scale) in phases {
            let peaks = sim.peaks(ph.structure()).unwrap();
            let curve = sim
                .render_with(&peaks, &grid, &profile, &xrd_sim::Geometry::IDEAL)
                .unwrap();
            let k = 10.0 * scale / (ph.cell_mass().unwrap() * ph.structure().lattice().volume());
            y.iter_mut().zip(&curve).for_each(|(a, c)| *a += k * c);
        }
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let tt = grid.positions();
        let counts = y
            .iter()
            .map(|v| {
                let mean = v + 200.0;
                let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mean + z * mean.sqrt()).max(0.0)
            })
            .collect();
        Pattern::new(tt, counts).unwrap()
    }

    /// Rutile, zincite and manganosite from the shared CIFs, when there.
    fn phases() -> Option<[crate::Phase; 3]> {
        let phase = |name: &str| {
            let path = xrd_testdata::shared_data(&format!("cif/{name}.cif"))?;
            let s = xrd_sim::Structure::from_file(&path).unwrap();
            Some(crate::Phase::new(name, s).unwrap())
        };
        Some([phase("Rutile")?, phase("ZnO")?, phase("autoxrd_MnO_225")?])
    }

    /// A phase the first frame holds absent is held at its structure's cell, not at the cell
    /// its free fit left it (here stretched by 3 %, as In₂O₃'s ran onto other lines in a
    /// synthetic heating series and, held there, never came back as it grew in).
    #[test]
    fn a_phase_held_in_the_first_frame_goes_back_to_its_structures_cell() {
        let Some([rutile, zincite, mno]) = phases() else {
            return;
        };
        let a0 = mno.structure().lattice().lengths()[0];
        let pattern = pattern(&[(&rutile, 1.0), (&zincite, 1.0)]);
        let w = Wavelength::CU_KA;
        let refiner = Refiner::new(vec![rutile, zincite, mno]).particle_size(0.0);
        let series = Sequential::new(refiner.clone());
        let (_, mut state) = refiner.fit_state(&pattern, w).unwrap();
        // Manganosite at scale 0 (its shape then unrefined) with its cell stretched by 3 %.
        let name = "autoxrd_MnO_225";
        for id in state.ids().to_vec() {
            match &id {
                ParamId::Phase(n, PhaseParam::Cell(_)) if n == name => {
                    let v = state.value(&id).unwrap();
                    state.set_value(&id, v / 1.03_f64.powi(2));
                }
                ParamId::Phase(n, PhaseParam::Scale) if n == name => state.set_value(&id, 0.0),
                _ => {}
            }
        }
        let (mut r, mut s) = refiner.fit_warm(&pattern, w, &state).unwrap();
        assert!((r.phases[2].cell[0] / a0 - 1.03).abs() < 1e-6);
        series.absence(&refiner, &pattern, w, None, &mut r, &mut s);
        let mno = &r.phases[2];
        assert!(mno.absent, "{mno:?}");
        assert!(
            (mno.cell[0] / a0 - 1.0).abs() < 2e-3,
            "held at a = {}",
            mno.cell[0]
        );
    }

    /// A phase held absent has its B judged again when it comes back: the cold fit that held
    /// its B (not carried by the data where the phase is not) must not hold it for good (a
    /// bixbyite that grew in kept the structure's B for 170 frames, Rwp 0.044 against 0.027).
    #[test]
    fn a_phase_held_absent_has_its_b_freed_when_it_comes_back() {
        let Some([rutile, zincite, mno]) = phases() else {
            return;
        };
        // Manganosite at 1 %, too little to carry its B, then at a third.
        let weak = pattern(&[(&rutile, 1.0), (&zincite, 1.0), (&mno, 0.02)]);
        let with = pattern(&[(&rutile, 1.0), (&zincite, 1.0), (&mno, 1.0)]);
        let w = Wavelength::CU_KA;
        let plan = crate::RefineParams::new().stages(vec![
            crate::Stage::ScaleBackground,
            crate::Stage::CellsZero,
            crate::Stage::Profile,
            crate::Stage::OverallB,
        ]);
        let refiner = Refiner::new(vec![rutile, zincite, mno])
            .particle_size(0.0)
            .params(plan);
        let b_free = |r: &Refinement| {
            r.parameters
                .iter()
                .find(|v| v.id == ParamId::Phase("autoxrd_MnO_225".into(), PhaseParam::B))
                .is_some_and(|v| v.refined)
        };
        let (r, s) = refiner.fit_state(&weak, w).unwrap();
        // The cold fit holds manganosite's B.
        assert!(
            !b_free(&r) && r.phases[2].weight_fraction > 0.0,
            "{:?}",
            r.phases[2]
        );
        // Held absent, then back where it is in the pattern.
        let back = s.with_absent(2, true).with_absent(2, false);
        let (r, _) = refiner.fit_warm(&with, w, &back).unwrap();
        assert!(b_free(&r), "{:?}", r.parameters);
    }
}
