//! Hyper-parameters of a refinement (builder; every setter documents its default).

use serde::{Deserialize, Serialize};

/// The most Chebyshev background terms a fit takes.
pub(crate) const MAX_BACKGROUND_TERMS: usize = 20;

use crate::Result;
use crate::error::invalid;
use crate::parameter::{Id, ParamId, SiteParam, Width};

/// One stage of the staged strategy: each frees its parameters on top of the earlier stages'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Stage {
    /// Phase scales and the background (Chebyshev terms, broad peaks).
    ScaleBackground,
    /// Cells (the free parameters of each crystal system), each phase's crystallite size
    /// (its own width, unless [`RefineParams::instrument_standard`] is set), each measured
    /// reference's shift, and the zero shift, or the specimen displacement instead where the
    /// instrument was refined on a standard before ([`crate::Instrument::refined`]): a
    /// Debye–Scherrer sample's offsets across and along the beam, the latter only where the range
    /// tells it from the cell ([`crate::SampleGeometry`]).
    CellsZero,
    /// Peak widths: each phase's crystallite size and microstrain, and the instrument's
    /// Caglioti U, V, W when it was not refined on a standard before (all its width and
    /// asymmetry terms when [`RefineParams::instrument_standard`] is set, and then no size or
    /// strain).
    Profile,
    /// March–Dollase preferred orientation, kept per phase only where it lowers Rwp by
    /// [`RefineParams::texture_min_gain`].
    Texture,
    /// The overall atomic displacement parameter B of each phase (not the specimen
    /// displacement, which [`Stage::CellsZero`] refines), each held at the structure's values
    /// where the data do not carry it (its esd above 0.5 Å², or at a bound: a minor phase).
    #[serde(alias = "Displacement")]
    OverallB,
    /// The structure of every phase whose intensities come from it: the site parameters of
    /// [`RefineParams::atoms`] (default each site's free coordinates and U) — a Rietveld
    /// structure refinement, after the profile — and with them the instrument's Gaussian
    /// widths U, V, W and its asymmetry, even from an instrument file (on PbSO4's X-ray
    /// pattern with GSAS-II's instrument file they bring the worst site from 0.089 to 0.060 Å
    /// of the single crystal's).
    Atoms,
}

impl Stage {
    /// The default plan: every stage but [`Stage::OverallB`]. On the weighed mixtures of
    /// dara_dev (where it was chosen) refining B raised the mean weight-fraction error from
    /// 3.2 to 3.6 wt% points: B trades off against the scale.
    pub const DEFAULT: [Stage; 4] = [
        Stage::ScaleBackground,
        Stage::CellsZero,
        Stage::Profile,
        Stage::Texture,
    ];

    /// Every stage, in order.
    pub const ALL: [Stage; 6] = [
        Stage::ScaleBackground,
        Stage::CellsZero,
        Stage::Profile,
        Stage::Texture,
        Stage::OverallB,
        Stage::Atoms,
    ];

    /// A structure refinement's plan: scale and background, cells and zero, profile, atoms.
    pub const STRUCTURE: [Stage; 4] = [
        Stage::ScaleBackground,
        Stage::CellsZero,
        Stage::Profile,
        Stage::Atoms,
    ];

    /// The stage's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::ScaleBackground => "scale",
            Stage::CellsZero => "cells",
            Stage::Profile => "profile",
            Stage::Texture => "texture",
            Stage::OverallB => "b",
            Stage::Atoms => "atoms",
        }
    }

    /// The stage of a name of [`Stage::name`].
    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The stages of the short fits that compare candidates (a spec's structures, identify's
/// alternatives and phase sets): the one comparison plan of the workspace.
pub const COMPARISON_STAGES: [Stage; 2] = [Stage::ScaleBackground, Stage::CellsZero];

/// Iterations per stage of a comparison fit.
pub const COMPARISON_ITERATIONS: usize = 8;

/// What decides, beside the plan, whether a stage frees a parameter.
pub(crate) struct Situation<'a> {
    /// The instrument is being refined on a standard ([`RefineParams::instrument_standard`]).
    pub instrument_standard: bool,
    /// The instrument was refined on a standard before: its terms are held.
    pub fixed_instrument: bool,
    /// Each phase's texture direction, where one was kept.
    pub textured: &'a [Option<[i32; 3]>],
    /// Each phase's overall B, held where the data do not carry it.
    pub fixed_b: &'a [bool],
    /// The site parameters [`Stage::Atoms`] refines.
    pub atoms: &'a [SiteParam],
    /// Whether each phase's harmonic texture is on.
    pub harmonics: &'a [bool],
    /// Whether the pattern tells a Debye–Scherrer sample's offset along the beam from the cell
    /// ([`crate::model::Model::along_offset_determined`]).
    pub along_offset: bool,
}

/// What a stage does beside refining what it frees: the one per-stage hook of the run
/// ([`Stage::hook`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    /// Nothing beside its parameters.
    Plain,
    /// Before refining: each phase's March–Dollase direction chosen by trial fits.
    TextureTrial,
    /// After refining: each phase's B that the data do not carry held, and the stage refined
    /// again without it.
    HoldUncarriedB,
}

impl Stage {
    /// Whether this stage frees parameter `id` (on top of the stages before it in a plan).
    /// [`Stage::ScaleBackground`]'s parameters are free in every stage. The one home of what
    /// each stage refines; [`Stage`]'s variants document the same in words. Exhaustive in the
    /// parameter: a new kind of parameter does not compile until a stage is chosen for it.
    pub(crate) fn frees(self, id: Id, s: &Situation<'_>) -> bool {
        use Stage::{Atoms, CellsZero, OverallB, Profile, ScaleBackground, Texture};
        let instrument = !s.fixed_instrument;
        let (stages, when): (&[Stage], bool) = match id {
            Id::Background(_) | Id::Hump(..) | Id::Scale(_) | Id::ReferenceScale(_) => {
                (&[ScaleBackground], true)
            }
            Id::Cell(..) | Id::ReferenceShift(_) => (&[CellsZero], true),
            // Each phase's own width with its cell: peaks of the starting width may be far
            // narrower than the measured ones, which leaves the cells little to move by, and
            // a shared width fitted first would carry one phase's broadening for all.
            Id::Size(_) => (&[CellsZero, Profile], !s.instrument_standard),
            // A refined instrument's zero is held: the specimen's displacement moves instead.
            Id::Zero => (&[CellsZero], instrument),
            Id::Displacement => (&[CellsZero], !instrument),
            // At low angles only (a synchrotron's), an offset along the beam moves peaks as the
            // cell does: held there, where the cell would take whatever it is given.
            Id::DisplacementAlong => (&[CellsZero], !instrument && s.along_offset),
            Id::Strain(_) => (&[Profile], !s.instrument_standard),
            // A structure's intensities are only as good as the profile they are integrated
            // under: the atoms stage refines the Gaussian widths and the asymmetry whatever
            // the instrument file says (a converted GSAS profile drops terms we cannot hold).
            Id::Width(Width::U | Width::V | Width::W) if self == Atoms => (&[Atoms], true),
            Id::Asymmetry if self == Atoms => (&[Atoms], true),
            Id::Width(Width::U | Width::W) => (&[Profile], instrument),
            Id::Width(Width::V) => (&[Profile], instrument && s.instrument_standard),
            Id::Width(Width::X | Width::Y) | Id::Asymmetry => {
                (&[Profile], instrument && s.instrument_standard)
            }
            Id::Texture(p) => (&[Texture], s.textured[p].is_some()),
            Id::B(p) => (&[OverallB], !s.fixed_b[p]),
            Id::Site(_, _, param) => (&[Atoms], s.atoms.contains(&param)),
            Id::Harmonic(p, ..) => (&[Texture], s.harmonics.get(p).copied().unwrap_or(false)),
        };
        when && stages.contains(&self)
    }

    /// What the stage does beside refining its parameters. Exhaustive in the stage: a new
    /// stage does not compile until its behaviour is chosen.
    pub(crate) fn hook(self) -> Hook {
        match self {
            Stage::ScaleBackground | Stage::CellsZero | Stage::Profile | Stage::Atoms => {
                Hook::Plain
            }
            Stage::Texture => Hook::TextureTrial,
            Stage::OverallB => Hook::HoldUncarriedB,
        }
    }
}

/// How a refinement is run.
///
/// ```
/// use xrd_refine::{RefineParams, Stage};
/// let p = RefineParams::new()
///     .background_terms(8)
///     .stages(vec![Stage::ScaleBackground, Stage::CellsZero]);
/// assert!(p.check().is_ok());
/// assert!(matches!(
///     RefineParams::new().background_terms(0).check(),
///     Err(xrd_refine::Error::InvalidParameter(p)) if p.name == "background_terms"
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefineParams {
    pub(crate) stages: Vec<Stage>,
    pub(crate) background_terms: usize,
    pub(crate) humps: usize,
    pub(crate) max_iterations: usize,
    pub(crate) tolerance: f64,
    pub(crate) zero_search: f64,
    pub(crate) texture_min_gain: f64,
    // Files written before the rename call it `standard`.
    #[serde(alias = "standard")]
    pub(crate) instrument_standard: bool,
    pub(crate) two_theta_range: Option<(f64, f64)>,
    pub(crate) max_correlation: f64,
    #[serde(default)]
    pub(crate) excluded: Vec<(f64, f64)>,
    #[serde(default)]
    pub(crate) fixed: Vec<ParamId>,
    #[serde(default)]
    pub(crate) freed: Vec<ParamId>,
    #[serde(default = "default_atoms")]
    pub(crate) atoms: Vec<SiteParam>,
    #[serde(default)]
    pub(crate) restraints: Vec<crate::Restraint>,
    #[serde(default)]
    pub(crate) texture_harmonics: u8,
}

fn default_atoms() -> Vec<SiteParam> {
    vec![SiteParam::X, SiteParam::Y, SiteParam::Z, SiteParam::U]
}

impl Default for RefineParams {
    fn default() -> Self {
        Self {
            stages: Stage::DEFAULT.to_vec(),
            background_terms: 6,
            humps: 0,
            max_iterations: 40,
            tolerance: 1e-4,
            zero_search: 0.3,
            texture_min_gain: 0.01,
            instrument_standard: false,
            two_theta_range: None,
            max_correlation: 0.95,
            excluded: Vec::new(),
            fixed: Vec::new(),
            freed: Vec::new(),
            atoms: default_atoms(),
            restraints: Vec::new(),
            texture_harmonics: 0,
        }
    }
}

xrd_io::param_guard!(crate::Error => RefineParams);

impl RefineParams {
    /// The defaults (see each setter).
    pub fn new() -> Self {
        Self::default()
    }

    /// These settings with the comparison plan: [`COMPARISON_STAGES`] at
    /// [`COMPARISON_ITERATIONS`] iterations each. Candidates compared this way are ranked by
    /// the Rwp of the same short fit wherever they are compared.
    #[must_use]
    pub fn comparison(&self) -> Self {
        self.clone()
            .stages(COMPARISON_STAGES.to_vec())
            .max_iterations(COMPARISON_ITERATIONS)
    }

    /// The stages, run in this order, each freeing its parameters on top of the earlier ones
    /// (default [`Stage::DEFAULT`]).
    #[must_use]
    pub fn stages(mut self, stages: Vec<Stage>) -> Self {
        self.stages = stages;
        self
    }

    /// The stages set by [`RefineParams::stages`].
    pub fn get_stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The last stage of the plan, whose parameters a warm fit refines and whose covariance
    /// the report gives.
    pub(crate) fn last_stage(&self) -> Stage {
        self.stages
            .last()
            .copied()
            .unwrap_or(Stage::ScaleBackground)
    }

    /// 2θ regions (°, each `(from, to)`) left out of the fit: a sample holder's line, a
    /// detector gap, an impurity nobody wants to model (default none).
    #[must_use]
    pub fn excluded(mut self, regions: Vec<(f64, f64)>) -> Self {
        self.excluded = regions;
        self
    }

    /// The regions set by [`RefineParams::excluded`].
    pub fn get_excluded(&self) -> &[(f64, f64)] {
        &self.excluded
    }

    /// Parameters held at their start (or warm-start) value whatever the stages free (default
    /// none). Each must be a parameter of the refinement: the fit refuses one that is not.
    #[must_use]
    pub fn fixed(mut self, ids: Vec<ParamId>) -> Self {
        self.fixed = ids;
        self
    }

    /// The parameters set by [`RefineParams::fixed`].
    pub fn get_fixed(&self) -> &[ParamId] {
        &self.fixed
    }

    /// Parameters refined in the plan's last stage beside those its stages free (default
    /// none), such as a phase's B in a plan without [`Stage::OverallB`]. Each must be a
    /// parameter of the refinement.
    #[must_use]
    pub fn freed(mut self, ids: Vec<ParamId>) -> Self {
        self.freed = ids;
        self
    }

    /// The parameters set by [`RefineParams::freed`].
    pub fn get_freed(&self) -> &[ParamId] {
        &self.freed
    }

    /// The site parameters [`Stage::Atoms`] refines, at least one (default x, y, z and U: each
    /// site's free coordinates and its isotropic displacement; add
    /// [`SiteParam::Occupancy`] for partly occupied sites).
    #[must_use]
    pub fn atoms(mut self, params: Vec<SiteParam>) -> Self {
        self.atoms = params;
        self
    }

    /// The site parameters set by [`RefineParams::atoms`].
    pub fn get_atoms(&self) -> &[SiteParam] {
        &self.atoms
    }

    /// Bond distances and angles of refined structures held near targets as soft constraints
    /// ([`crate::Restraint`]; default none). They need the atoms stage.
    #[must_use]
    pub fn restraints(mut self, restraints: Vec<crate::Restraint>) -> Self {
        self.restraints = restraints;
        self
    }

    /// The restraints set by [`RefineParams::restraints`].
    pub fn get_restraints(&self) -> &[crate::Restraint] {
        &self.restraints
    }

    xrd_io::setters! {
        /// Chebyshev background terms, 1–20 (default 6).
        #[must_use]
        background_terms, get_background_terms: usize;

        /// Broad pseudo-Voigt peaks added to the background for an amorphous hump or a sample
        /// holder, 0–4 (default 0).
        #[must_use]
        humps, get_humps: usize;

        /// Levenberg–Marquardt iterations per stage, ≥ 1 (default 40).
        #[must_use]
        max_iterations, get_max_iterations: usize;

        /// A stage ends when an accepted step lowers χ² by less than this fraction, in (0, 0.1)
        /// (default 1e-4: a smaller change moves no weight fraction by a thousandth on dara_dev).
        #[must_use]
        tolerance, get_tolerance: f64;

        /// Half-width (°) of the search for the zero shift before the first stage, 0–2; 0 skips
        /// it (default 0.3).
        #[must_use]
        zero_search, get_zero_search: f64;

        /// Relative Rwp gain a phase's preferred orientation must bring to be kept, 0–0.5
        /// (default 0.01).
        #[must_use]
        texture_min_gain, get_texture_min_gain: f64;

        /// The highest order of the spherical-harmonic texture offered to each phase whose
        /// intensities come from its structure, even, 2–8 ([`crate::MAX_HARMONIC_ORDER`]); 0
        /// offers none (the default). The texture stage then tries the harmonics beside the
        /// March–Dollase directions and keeps them where they lower Rwp by
        /// [`RefineParams::texture_min_gain`] more than the better of random powder and
        /// March–Dollase, and the weight they give stays positive on every reflection.
        #[must_use]
        texture_harmonics, get_texture_harmonics: u8;

        /// Refines an instrument on a standard: every width and asymmetry term of the
        /// instrument, no crystallite size or strain (default false).
        #[must_use]
        instrument_standard, get_instrument_standard: bool;

        /// Refines only the points within this 2θ range (default the whole pattern).
        #[must_use]
        two_theta_range, get_two_theta_range: Option<(f64, f64)>;

        /// Correlations of refined parameters above this magnitude are warned about, in (0, 1]
        /// (default 0.95).
        #[must_use]
        max_correlation, get_max_correlation: f64;
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        if self.stages.is_empty() {
            return Err(invalid("stages", "need at least one stage"));
        }
        for r in &self.restraints {
            r.check()?;
        }
        if !self.restraints.is_empty() && !self.stages.contains(&Stage::Atoms) {
            return Err(invalid(
                "restraints",
                "restraints hold a refined structure: add the atoms stage",
            ));
        }
        if self.atoms.is_empty() {
            return Err(invalid(
                "atoms",
                "name at least one site parameter (x, y, z, U, occ)",
            ));
        }
        if !(1..=MAX_BACKGROUND_TERMS).contains(&self.background_terms) {
            return Err(invalid(
                "background_terms",
                format!(
                    "{} must be in 1–{MAX_BACKGROUND_TERMS}",
                    self.background_terms
                ),
            ));
        }
        if self.humps > 4 {
            return Err(invalid("humps", format!("{} must be in 0–4", self.humps)));
        }
        if self.max_iterations == 0 {
            return Err(invalid("max_iterations", "must be ≥ 1"));
        }
        if !(self.tolerance > 0.0 && self.tolerance < 0.1) {
            return Err(invalid(
                "tolerance",
                format!("{} must be in (0, 0.1)", self.tolerance),
            ));
        }
        if !(0.0..=2.0).contains(&self.zero_search) {
            return Err(invalid(
                "zero_search",
                format!("{} must be in 0–2", self.zero_search),
            ));
        }
        if !(0.0..=0.5).contains(&self.texture_min_gain) {
            return Err(invalid(
                "texture_min_gain",
                format!("{} must be in 0–0.5", self.texture_min_gain),
            ));
        }
        if self.texture_harmonics % 2 == 1 || self.texture_harmonics > crate::MAX_HARMONIC_ORDER {
            return Err(invalid(
                "texture_harmonics",
                format!(
                    "{} must be 0 (none) or an even order 2–{}",
                    self.texture_harmonics,
                    crate::MAX_HARMONIC_ORDER
                ),
            ));
        }
        if let Some((lo, hi)) = self.two_theta_range
            && !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo < hi && hi <= 180.0)
        {
            return Err(invalid(
                "two_theta_range",
                format!("need 0 ≤ min < max ≤ 180, got {lo}–{hi}"),
            ));
        }
        if !(self.max_correlation > 0.0 && self.max_correlation <= 1.0) {
            return Err(invalid(
                "max_correlation",
                format!("{} must be in (0, 1]", self.max_correlation),
            ));
        }
        check_excluded(&self.excluded)?;
        if let Some(id) = self.fixed.iter().find(|id| self.freed.contains(id)) {
            return Err(invalid("fixed", format!("`{id}` is both fixed and freed")));
        }
        Ok(())
    }
}

/// Each excluded region is `(from, to)` with 0 ≤ from < to ≤ 180.
pub(crate) fn check_excluded(regions: &[(f64, f64)]) -> Result<()> {
    match regions.iter().find(|(lo, hi)| {
        !(lo.is_finite() && hi.is_finite() && *lo >= 0.0 && lo < hi && *hi <= 180.0)
    }) {
        Some((lo, hi)) => Err(invalid(
            "excluded",
            format!("need 0 ≤ from < to ≤ 180 in each region, got {lo}–{hi}"),
        )),
        None => Ok(()),
    }
}

/// Whether 2θ `t` (°) lies in one of `regions`.
pub(crate) fn is_excluded(regions: &[(f64, f64)], t: f64) -> bool {
    regions.iter().any(|&(a, b)| a <= t && t <= b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: RefineParams) -> &'static str {
        match p.check() {
            Ok(()) => "ok",
            Err(crate::Error::InvalidParameter(e)) => e.name,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn each_invalid_value_is_named() {
        let d = RefineParams::new;
        assert_eq!(refused(d()), "ok");
        assert_eq!(refused(d().stages(vec![])), "stages");
        assert_eq!(refused(d().background_terms(0)), "background_terms");
        assert_eq!(refused(d().background_terms(21)), "background_terms");
        assert_eq!(refused(d().humps(5)), "humps");
        assert_eq!(refused(d().max_iterations(0)), "max_iterations");
        assert_eq!(refused(d().tolerance(0.0)), "tolerance");
        assert_eq!(refused(d().tolerance(f64::NAN)), "tolerance");
        assert_eq!(refused(d().zero_search(-0.1)), "zero_search");
        assert_eq!(refused(d().texture_min_gain(0.6)), "texture_min_gain");
        assert_eq!(refused(d().texture_harmonics(3)), "texture_harmonics");
        assert_eq!(refused(d().texture_harmonics(10)), "texture_harmonics");
        assert!(d().texture_harmonics(8).check().is_ok());
        assert_eq!(
            refused(d().two_theta_range(Some((50.0, 20.0)))),
            "two_theta_range"
        );
        assert_eq!(
            refused(d().two_theta_range(Some((f64::NAN, 20.0)))),
            "two_theta_range"
        );
        assert_eq!(refused(d().max_correlation(0.0)), "max_correlation");
        assert_eq!(refused(d().excluded(vec![(30.0, 29.0)])), "excluded");
        assert_eq!(refused(d().excluded(vec![(f64::NAN, 29.0)])), "excluded");
        let zero = vec![ParamId::Zero];
        assert_eq!(refused(d().fixed(zero.clone()).freed(zero)), "fixed");
    }

    #[test]
    fn stage_names_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::from_name(s.name()), Some(s));
        }
        assert_eq!(Stage::from_name("nothing"), None);
    }

    /// Every kind of parameter, one of each. The match below has no wildcard: a new kind of
    /// [`Id`] fails to compile here until it is listed, and then the test below asks that a
    /// stage frees it.
    fn every_kind() -> Vec<Id> {
        use crate::parameter::HumpPart;
        let all = vec![
            Id::Background(0),
            Id::Hump(0, HumpPart::Area),
            Id::Hump(0, HumpPart::Position),
            Id::Hump(0, HumpPart::Fwhm),
            Id::Zero,
            Id::Displacement,
            Id::DisplacementAlong,
            Id::Width(Width::U),
            Id::Width(Width::V),
            Id::Width(Width::W),
            Id::Width(Width::X),
            Id::Width(Width::Y),
            Id::Asymmetry,
            Id::Scale(0),
            Id::Cell(0, 0),
            Id::B(0),
            Id::Size(0),
            Id::Strain(0),
            Id::Texture(0),
            Id::ReferenceScale(0),
            Id::ReferenceShift(0),
            Id::Site(0, 0, SiteParam::X),
            Id::Site(0, 0, SiteParam::U),
            Id::Harmonic(0, 2, 0),
        ];
        for id in &all {
            match id {
                Id::Background(_)
                | Id::Hump(..)
                | Id::Zero
                | Id::Displacement
                | Id::DisplacementAlong
                | Id::Width(_)
                | Id::Asymmetry
                | Id::Scale(_)
                | Id::Cell(..)
                | Id::B(_)
                | Id::Size(_)
                | Id::Strain(_)
                | Id::Texture(_)
                | Id::ReferenceScale(_)
                | Id::ReferenceShift(_)
                | Id::Site(..)
                | Id::Harmonic(..) => {}
            }
        }
        all
    }

    #[test]
    fn every_parameter_has_a_stage_that_frees_it() {
        let textured = [Some([0, 0, 1])];
        let fixed_b = [false];
        let situations: Vec<Situation<'_>> = [(false, false), (true, false), (false, true)]
            .into_iter()
            .map(|(instrument_standard, fixed_instrument)| Situation {
                instrument_standard,
                fixed_instrument,
                textured: &textured,
                fixed_b: &fixed_b,
                atoms: &[SiteParam::X, SiteParam::U],
                harmonics: &[true],
                along_offset: true,
            })
            .collect();
        for id in every_kind() {
            let freed = Stage::ALL
                .iter()
                .any(|st| situations.iter().any(|s| st.frees(id, s)));
            assert!(freed, "no stage frees {id:?}");
        }
    }

    #[test]
    fn every_stage_frees_a_parameter_or_acts() {
        let textured = [Some([0, 0, 1])];
        let fixed_b = [false];
        let s = Situation {
            instrument_standard: false,
            fixed_instrument: false,
            textured: &textured,
            fixed_b: &fixed_b,
            atoms: &[SiteParam::X],
            harmonics: &[false],
            along_offset: true,
        };
        for stage in Stage::ALL {
            let frees = every_kind().into_iter().any(|id| stage.frees(id, &s));
            assert!(
                frees || stage.hook() != Hook::Plain,
                "{stage:?} does nothing"
            );
        }
    }
}
