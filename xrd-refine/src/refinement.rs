//! The staged refinement and what it reports.

use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};
use xrd_sim::CrystalSystem;

use crate::calibration::{CALIBRATION_FORMAT, CalibratedPeak, Calibration, Operator};
use crate::constraints::Constraints;
use crate::fit::{self, Data, Fit};
use crate::instrument::Instrument;
use crate::lm::{self, LevenbergMarquardt, Stop};
use crate::model::{Model, Parts};
use crate::parameter::{Id, ParamId, PhaseParam, RESERVED_NAMES};
use crate::params::{Hook, RefineParams, Situation, Stage};
use crate::phase::{Intensities, Phase, PhaseModel};
use crate::reference::Reference;
use crate::state::{Choices, FitState, State};
use crate::summation::ReferenceResult;
use crate::{Error, Result};
use xrd_core::{Control, Progress};

mod background_advice;
mod geometry;
mod joint;
mod report;
pub(crate) use report::INSTRUMENT_ADVICE;

pub use joint::{HydrostaticStrain, Joint, JointRefinement};

/// Peaks are prepared this far (°) beyond the refined range, for cell changes, zero and Kα₂.
const MARGIN: f64 = 3.0;

/// Fewest points a refinement accepts.
const MIN_POINTS: usize = 20;

/// Steps of the zero-shift search (°): coarse over the whole search, then fine around the best.
const ZERO_COARSE_STEP: f64 = 0.04;
const ZERO_STEP: f64 = 0.01;

/// Positions (steps across the range) and widths (° at Cu Kα, scaled by the wavelength:
/// [`crate::model::hump_scale`]) tried for each broad background peak.
const HUMP_POSITIONS: usize = 16;
const HUMP_WIDTHS: [f64; 4] = [4.0, 8.0, 15.0, 30.0];

/// Iterations of each trial fit of a texture direction.
const TEXTURE_TRIAL_ITERATIONS: usize = 3;

/// The smallest weight a harmonic texture may give a reflection: a pole density at or below
/// zero is no texture, it is the fit using the harmonics as free intensities.
const MIN_HARMONIC_WEIGHT: f64 = 0.05;

/// A size broadening below this 1/cosθ coefficient (°) is beyond the resolution: no size.
const MIN_SIZE_BROADENING: f64 = 1e-4;

/// At most this many Pawley cycles (intensities, then the stage's parameters) per stage.
const PAWLEY_CYCLES: usize = 8;

/// A stage's Pawley cycles end when χ² changes by less than this fraction.
const PAWLEY_TOLERANCE: f64 = 1e-3;

/// An overall B whose esd exceeds this (Å²) is not carried by the data: it is held at the
/// structure's values (a minor phase's B runs to a bound and drags its scale with it).
const B_CARRIED: f64 = 0.5;

/// Relative ridge on the diagonal of Pawley's intensities: peaks closer than the resolution
/// share their counts instead of making the system singular.
const PAWLEY_RIDGE: f64 = 1e-9;

/// Measured reference patterns to fit beside a refinement's phases ([`Refiner::references`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredReferences {
    /// The references.
    pub references: Vec<Reference>,
    /// S·ZMV per unit of scale / RIR ([`rir_scale`]): what puts their weights beside the
    /// structures'.
    pub rir_scale: f64,
    /// The largest 2θ shift (°) of a reference, in (0, 2].
    pub max_shift: f64,
}

/// S·ZMV (the Rietveld weight of a structure phase, g/mol·Å³) that one unit of a reference
/// library's scale / RIR stands for: `corundum` (a structure) refined against the library's
/// corundum pattern `reference` (whose RIR is 1 by definition, any other taken into account)
/// with the sample's `instrument` (its Lorentz–polarisation sets the intensity scale), without
/// microabsorption correction. With it [`Refiner::references`] quantifies references
/// and structures in one fit; it holds for patterns measured like the library's.
///
/// # Errors
/// As [`Refiner::fit`] on the reference's pattern.
pub fn rir_scale(
    corundum: Phase,
    reference: &Reference,
    wavelength: Wavelength,
    instrument: &Instrument,
) -> Result<f64> {
    let pattern = Pattern::uniform(reference.start, reference.step, reference.counts.clone())?;
    let fit = Refiner::new(vec![corundum])
        .instrument(instrument.clone())
        .particle_size(0.0)
        .fit(&pattern, wavelength)?;
    let p = &fit.phases[0];
    Ok(p.scale * p.cell_mass * p.volume * reference.rir)
}

/// How a phase's intensities were obtained, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PhaseKind {
    /// Rietveld: intensities from the structure.
    Structure,
    /// Pawley: intensities extracted from the data (no weight fraction).
    Pawley,
    /// PONKCS: calibrated intensities and Z·M.
    Ponkcs,
}

impl PhaseKind {
    /// The name used in tables (`structure`, `pawley`, `ponkcs`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Structure => "structure",
            Self::Pawley => "pawley",
            Self::Ponkcs => "ponkcs",
        }
    }
}

/// One refined phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    /// The phase's name.
    pub name: String,
    /// Its formula (from the structure).
    pub formula: String,
    /// Its space-group number.
    pub space_group: u8,
    /// Weight fraction among the crystalline phases refined (Hill & Howard: S·ZMV), or, with an
    /// internal standard, of the whole sample.
    pub weight_fraction: f64,
    /// Its standard uncertainty (see [`Refinement::esd_factor`]).
    pub weight_fraction_esd: f64,
    /// a, b, c (Å), α, β, γ (°) refined.
    pub cell: [f64; 6],
    /// Their standard uncertainties.
    pub cell_esd: [f64; 6],
    /// Cell volume (Å³).
    pub volume: f64,
    /// Crystallite size (nm) by Scherrer (K = 0.9) from the Lorentzian 1/cosθ broadening, or
    /// none when the peaks are no broader than the instrument's.
    pub size_nm: Option<f64>,
    /// Microstrain ε = Δd/d from the Lorentzian tanθ broadening (FWHM = 4ε tanθ).
    pub strain: f64,
    /// March–Dollase direction and r, when the fit kept a preferred orientation.
    pub texture: Option<([i32; 3], f64)>,
    /// Overall displacement parameter B (Å²) added to the structure's.
    pub b_overall: f64,
    /// The Rietveld scale factor S.
    pub scale: f64,
    /// The cell content's mass Z·M (g/mol).
    pub cell_mass: f64,
    /// Kα₁ peak positions (°, with zero shift and displacement) and their Miller indices, for
    /// the reflection ticks.
    pub ticks: Vec<(f64, [i32; 3])>,
    /// How its intensities were obtained.
    pub kind: PhaseKind,
    /// A Pawley phase's extracted intensities, every reflection (empty for the others).
    pub extracted: Vec<CalibratedPeak>,
    /// Whether the phase was held absent (scale 0) in this fit: a sequential refinement holds
    /// a phase whose weight fraction is within its detection limit ([`crate::Sequential`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
    /// For an absent phase: the weight fraction it would need to be detected, three esds of
    /// its fraction with its scale freed at zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_limit: Option<f64>,
    /// Hydrogen atoms per cell added to `cell_mass` by charge balance: the structure has no H
    /// sites where its chemistry has H ([`Phase::missing_hydrogen`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hydrogen_added: f64,
    /// The weight fraction without the microabsorption correction, when one was applied (a
    /// particle size given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_fraction_uncorrected: Option<f64>,
    /// The asymmetric-unit sites, when the structure was refined ([`Stage::Atoms`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteResult>,
    /// With refined sites: the bonds (neighbours within 1.25 × the sum of covalent radii).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bonds: Vec<Bond>,
    /// With refined sites: the angles between the bonds of each site with at most six.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub angles: Vec<BondAngle>,
    /// With refined sites: the Bragg R factor Σ|I_obs − I_calc| / Σ I_obs over the phase's
    /// reflections, the observed intensities apportioned by Rietveld's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_bragg: Option<f64>,
    /// With refined sites: the structure-factor R factor Σ||F_obs| − |F_calc|| / Σ|F_obs|.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_f: Option<f64>,
    /// The spherical-harmonic texture, when the fit kept one
    /// ([`crate::RefineParams::texture_harmonics`]); its coefficients are among the
    /// parameters (`Phase.harmonic.L.K`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texture_harmonics: Option<HarmonicTexture>,
    /// The parameter of another phase its scale trades with most, when the correlation
    /// exceeds [`OVERLAP_CORRELATION`]: the data hardly tell the two apart (overlapped lines),
    /// and the weight fraction's esd, from the full covariance, says how far it can move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<Overlap>,
    /// The parameter of another phase its scale correlates with most, whatever the
    /// correlation: what a series' hold of overlapped phases looks at below the reported
    /// threshold.
    #[serde(skip)]
    pub(crate) trades: Option<Overlap>,
}

/// A phase's scale trading off with another phase's parameter ([`PhaseResult::overlap`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlap {
    /// The other phase's parameter.
    pub with: ParamId,
    /// The correlation of the two (−1 … 1).
    pub correlation: f64,
}

/// A phase's scale correlating with another phase's parameter above this magnitude is reported
/// as overlapped ([`PhaseResult::overlap`]).
pub const OVERLAP_CORRELATION: f64 = 0.9;

/// A phase's spherical-harmonic texture as refined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HarmonicTexture {
    /// The highest order offered.
    pub order: u8,
    /// The smallest and largest pole-density weight W(h) it gives the phase's reflections
    /// (1 everywhere is random powder).
    pub weight_range: (f64, f64),
}

/// A bond of a refined structure: from an asymmetric-unit site to an image of another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bond {
    /// The site it starts from.
    pub from: String,
    /// The site whose image it ends at.
    pub to: String,
    /// The operation (and lattice translation) of that image, as `x,y,z` text.
    pub symmetry: String,
    /// Its length (Å).
    pub distance: f64,
    /// Its standard uncertainty (Å), from the coordinates' and the cell's covariance.
    pub esd: f64,
}

/// An angle between two bonds of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BondAngle {
    /// The first neighbour, the centre, the second neighbour (labels).
    pub sites: [String; 3],
    /// The angle (°).
    pub degrees: f64,
    /// Its standard uncertainty (°).
    pub esd: f64,
}

/// One refined asymmetric-unit site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteResult {
    /// Its label (unique within the phase).
    pub label: String,
    /// Its element's symbol.
    pub element: String,
    /// Atoms of the cell it stands for.
    pub multiplicity: usize,
    /// Fractional x, y, z.
    pub xyz: [f64; 3],
    /// Their standard uncertainties (0 for a coordinate its site symmetry fixes).
    pub xyz_esd: [f64; 3],
    /// Isotropic displacement U (Å²).
    pub u: f64,
    /// Its standard uncertainty (0 when not refined).
    pub u_esd: f64,
    /// The anisotropic displacement U11, U22, U33, U12, U13, U23 (Å²), when refined so (then
    /// `u` is U_eq).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u_aniso: Option<[f64; 6]>,
    /// Their standard uncertainties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u_aniso_esd: Option<[f64; 6]>,
    /// Occupancy.
    pub occupancy: f64,
    /// Its standard uncertainty (0 when not refined).
    pub occupancy_esd: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// A refined parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterValue {
    /// What it is ([`ParamId`]; its text form in JSON, such as `Calcite.cell.A`).
    pub id: ParamId,
    /// Its value.
    pub value: f64,
    /// Its standard uncertainty (0 when it was not refined in the last stage).
    pub esd: f64,
    /// Whether it was refined in the last stage.
    pub refined: bool,
    /// Whether it was refined and stopped at one of its bounds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_bound: bool,
}

/// A refinement's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refinement {
    /// The phases, in the order given.
    pub phases: Vec<PhaseResult>,
    /// Profile R factor Σ|y − f| / Σ|y|.
    pub rp: f64,
    /// Weighted profile R factor.
    pub rwp: f64,
    /// Expected R factor √((N − P) / Σ w y²).
    pub rexp: f64,
    /// Reduced χ² = Σ w (y − f)² / (N − P).
    pub chi2: f64,
    /// Goodness of fit Rwp / Rexp.
    pub gof: f64,
    /// Durbin–Watson d of the weighted residuals (2 for uncorrelated ones).
    pub durbin_watson: f64,
    /// Factor by which the esds exceed those of χ²·(JᵀWJ)⁻¹: Bérar & Lelann's √((1+ρ)/(1−ρ))
    /// for the serial correlation ρ of the residuals, which counting statistics alone ignore.
    pub esd_factor: f64,
    /// What [`BACKGROUND_CHECK_TERMS`] more Chebyshev terms would do to the fit; a warning
    /// says it when they would lower Rwp by [`BACKGROUND_ADVICE_GAIN`] or more
    /// ([`BackgroundCheck::advised`]). None at the most terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_check: Option<BackgroundCheck>,
    /// The instrument as refined (or as given).
    pub instrument: Instrument,
    /// Specimen displacement term (°): the peak shift is this × cosθ, or in Debye–Scherrer
    /// geometry ([`Instrument::geometry`]) × cos 2θ (an offset across the beam).
    pub displacement: f64,
    /// A Debye–Scherrer specimen's offset along the beam (°): the peak shift is this × sin 2θ;
    /// none in Bragg–Brentano geometry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displacement_along: Option<f64>,
    /// Every parameter.
    pub parameters: Vec<ParameterValue>,
    /// Warnings: strongly correlated parameters, parameters at a bound.
    pub warnings: Vec<String>,
    /// Least-squares iterations, all stages.
    pub iterations: usize,
    /// Why the last least-squares run (the last stage's) stopped.
    #[serde(default)]
    pub stop: Stop,
    /// Points refined (N).
    pub points: usize,
    /// Parameters refined by least squares in the last stage (P). A Pawley phase's
    /// intensities, solved linearly between the least-squares cycles, are not counted.
    pub refined: usize,
    /// 2θ of the points refined.
    pub two_theta: Vec<f64>,
    /// Observed counts.
    pub observed: Vec<f64>,
    /// Calculated counts.
    pub calculated: Vec<f64>,
    /// The background.
    pub background: Vec<f64>,
    /// Each phase's contribution.
    pub phase_curves: Vec<Vec<f64>>,
    /// The measured references fitted beside the phases ([`Refiner::references`]).
    pub references: Vec<ReferenceResult>,
    /// Each reference's contribution.
    pub reference_curves: Vec<Vec<f64>>,
    /// With an internal standard: the amorphous or unidentified rest (weight fraction).
    pub amorphous: Option<f64>,
    /// The restraints on refined structures, as they ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restraints: Vec<crate::RestraintResult>,
}

/// The particle diameter (µm) at which a refinement without a given size ([`Refiner::particle_size`],
/// [`Phase::with_particle_size`]) tests how much Brindley's microabsorption correction would
/// move its fractions (a ground laboratory powder; the diameter that suited dara_dev's weighed
/// mixtures best, docs/experiments/2026-11-26-refine-particle-size.md). The correction itself
/// is applied only with a given size.
pub const SENSITIVITY_PARTICLE_SIZE: f64 = 3.0;

/// A refinement without a particle size warns when the correction at
/// [`SENSITIVITY_PARTICLE_SIZE`] would move a weight fraction by more than this.
pub const MICROABSORPTION_WARNING: f64 = 0.02;

#[cfg(test)]
pub(crate) use background_advice::BACKGROUND_ADVICE;
pub(crate) use background_advice::hump_hint;
pub use background_advice::{BACKGROUND_ADVICE_GAIN, BACKGROUND_CHECK_TERMS, BackgroundCheck};

/// A refinement to run: the phases, the instrument, the settings and optionally an internal
/// standard.
///
/// ```no_run
/// use xrd_refine::{Instrument, Phase, RefineParams, Refiner};
/// use xrd_sim::Structure;
/// let pattern = xrd_io::read("mixture.xy")?.remove(0);
/// let rutile = Phase::new("rutile", Structure::from_file("rutile.cif")?)?;
/// let anatase = Phase::new("anatase", Structure::from_file("anatase.cif")?)?;
/// let fit = Refiner::new(vec![rutile, anatase])
///     .fit(&pattern, xrd_io::Wavelength::CU_KA)?;
/// for p in &fit.phases {
///     println!("{} {:.3} ± {:.3}", p.name, p.weight_fraction, p.weight_fraction_esd);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Refiner {
    phases: Vec<Phase>,
    references: Vec<Reference>,
    /// S·ZMV of one unit of reference scale / RIR (see [`rir_scale`]).
    rir_scale: Option<f64>,
    max_shift: f64,
    instrument: Instrument,
    pub(crate) params: RefineParams,
    standard: Option<(usize, f64)>,
    particle_size: Option<f64>,
    control: Control,
}

impl Refinement {
    /// Whether this refinement, with more parameters than `simpler`, fits significantly better:
    /// an F-test of the drop in χ² per added parameter against the χ² per degree of freedom
    /// left, F = ((χ²₀ − χ²₁)/ΔP) / (χ²₁/(N − P₁)), against the F quantile for a one-sided
    /// normal deviate `z` (3.09: α = 0.001), taken from the χ² quantile by Wilson–Hilferty
    /// (N − P₁ is in the thousands for a scan).
    pub fn significantly_better_than(&self, simpler: &Refinement, z: f64) -> bool {
        let dof = |r: &Refinement| (r.points.saturating_sub(r.refined)).max(1) as f64;
        let (chi_a, chi_b) = (simpler.chi2 * dof(simpler), self.chi2 * dof(self));
        let k = self.refined.saturating_sub(simpler.refined).max(1) as f64;
        let f = ((chi_a - chi_b) / k) / (chi_b / dof(self));
        let crit = (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
        f > crit
    }
}

impl Refiner {
    /// A refinement of `phases` with the default instrument and settings.
    pub fn new(phases: Vec<Phase>) -> Self {
        Self {
            phases,
            references: Vec::new(),
            rir_scale: None,
            max_shift: crate::weights::DEFAULT_MAX_SHIFT,
            instrument: Instrument::default(),
            params: RefineParams::default(),
            standard: None,
            particle_size: None,
            control: Control::default(),
        }
    }

    /// Steers the fit: cancelled, it stops before its next least-squares step with
    /// [`Error::Cancelled`]; each stage is reported as it starts (`what` "stage", the stage's
    /// name as message). Default: never cancelled, reporting nowhere.
    #[must_use]
    pub fn control(mut self, control: Control) -> Self {
        self.control = control;
        self
    }

    /// The instrument (default [`Instrument::default`]); one refined on a standard keeps its
    /// widths, asymmetry and zero.
    #[must_use]
    pub fn instrument(mut self, instrument: Instrument) -> Self {
        self.instrument = instrument;
        self
    }

    /// The settings (default [`RefineParams::default`]).
    #[must_use]
    pub fn params(mut self, params: RefineParams) -> Self {
        self.params = params;
        self
    }

    /// The instrument set by [`Refiner::instrument`].
    pub fn get_instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The settings set by [`Refiner::params`].
    pub fn get_params(&self) -> &RefineParams {
        &self.params
    }

    /// Corrects weight fractions for microabsorption (Brindley) with particles of this diameter
    /// (µm) for every phase that does not give its own ([`Phase::with_particle_size`]); 0 (the
    /// default) for no correction, the fractions without it then reported with a warning when
    /// the correction at [`SENSITIVITY_PARTICLE_SIZE`] would move one by more than
    /// [`MICROABSORPTION_WARNING`].
    #[must_use]
    pub fn particle_size(mut self, diameter_um: f64) -> Self {
        self.particle_size = Some(diameter_um);
        self
    }

    /// Measured reference patterns fitted beside the phases (full-pattern summation in the
    /// same fit), each with a scale and a 2θ shift (see [`MeasuredReferences`]). An internal standard ([`Refiner::standard`]) may be one of them: its
    /// index counts the phases first, then the references.
    #[must_use]
    pub fn references(mut self, set: MeasuredReferences) -> Self {
        self.references = set.references;
        self.rir_scale = Some(set.rir_scale);
        self.max_shift = set.max_shift;
        self
    }

    /// Phase `index` is an internal standard weighed in at `weight_fraction` of the sample:
    /// weight fractions become absolute and the rest amorphous or unidentified.
    #[must_use]
    pub fn standard(mut self, index: usize, weight_fraction: f64) -> Self {
        self.standard = Some((index, weight_fraction));
        self
    }

    /// A PONKCS calibration of Pawley phase `phase` from `fit` (this refiner's fit of a
    /// mixture in which the phase was weighed in at `weight_fraction`): its extracted
    /// intensities and refined cell, and the Z·M that makes S·ZM·V give that weight beside the
    /// other phases — against the internal standard when there is one ([`Refiner::standard`]),
    /// else against the structure phases, taken to make up the rest. Uncorrected for
    /// microabsorption (a phase without a structure has no known absorption), both here and
    /// where the calibration is used. `calibrated_on` names the pattern.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `phase` is not a Pawley phase of this refiner, the
    /// weight fraction is not in (0, 1), `fit` is not of these phases, or the phase (or the
    /// phases it is calibrated against) refined to zero.
    pub fn calibrate(
        &self,
        fit: &Refinement,
        phase: usize,
        weight_fraction: f64,
        calibrated_on: &str,
    ) -> Result<Calibration> {
        let bad = |reason: String| crate::error::invalid("calibrate", reason);
        let Some(ph) = self.phases.get(phase) else {
            return Err(bad(format!("phase {phase} of {}", self.phases.len())));
        };
        if *ph.intensities() != Intensities::Extracted {
            return Err(bad(format!("`{}` is not a Pawley phase", ph.name())));
        }
        if !(weight_fraction > 0.0 && weight_fraction < 1.0) {
            return Err(bad(format!(
                "weight fraction {weight_fraction} must be in (0, 1)"
            )));
        }
        if fit.phases.len() != self.phases.len() || fit.phases[phase].name != ph.name() {
            return Err(bad(
                "the refinement is not of this refiner's phases".to_string()
            ));
        }
        if !self.references.is_empty() {
            return Err(bad(
                "calibrate on a mixture of structure phases (and a standard), without measured \
                 references"
                    .to_string(),
            ));
        }
        let zmv = |r: &PhaseResult| r.scale * r.cell_mass * r.volume;
        let me = &fit.phases[phase];
        // S_p ZMV_p = (w_p / w_ref) Σ_ref S ZMV.
        let (against, w_against) = match self.standard {
            Some((s, ws)) => (zmv(&fit.phases[s]), ws),
            None => (
                fit.phases
                    .iter()
                    .enumerate()
                    .filter(|&(i, r)| i != phase && r.kind != PhaseKind::Pawley)
                    .map(|(_, r)| zmv(r))
                    .sum(),
                1.0 - weight_fraction,
            ),
        };
        if !(me.scale > 0.0 && against > 0.0) {
            return Err(bad(format!(
                "`{}` or the phases it is calibrated against refined to zero",
                ph.name()
            )));
        }
        let zm = weight_fraction / w_against * against / (me.scale * me.volume);
        let cal = Calibration {
            format: CALIBRATION_FORMAT.to_string(),
            name: ph.name().to_string(),
            space_group: ph.space_group(),
            cell: me.cell,
            operators: ph.operators().iter().map(Operator::from).collect(),
            peaks: me.extracted.clone(),
            zm,
            weight_fraction,
            calibrated_on: calibrated_on.to_string(),
        };
        cal.check()?;
        Ok(cal)
    }

    /// Refines the phases against `pattern` measured at `wavelength` (Kα₂ from it when it has
    /// one).
    ///
    /// # Errors
    /// Invalid settings or instrument, no phase, a standard that names no phase, too few points,
    /// NaN or negative counts, non-positive esds, a phase without reflections in range, a
    /// structure that cannot be simulated, or parameters the data cannot tell apart.
    pub fn fit(&self, pattern: &Pattern, wavelength: Wavelength) -> Result<Refinement> {
        self.fit_from(pattern, wavelength, None).map(|(r, _)| r)
    }

    /// As [`Refiner::fit`], and the state it ended in (the start of a warm fit).
    ///
    /// # Errors
    /// As [`Refiner::fit`].
    pub fn fit_state(
        &self,
        pattern: &Pattern,
        wavelength: Wavelength,
    ) -> Result<(Refinement, State)> {
        self.fit_from(pattern, wavelength, None)
    }

    /// A warm start: refines `pattern` from `state` (another pattern's result with the same
    /// phases, settings and refined range, as in a series measured on one sample). The
    /// searches (zero shift, broad peaks, texture directions) are skipped and every
    /// parameter of the last stage is refined at once from the state's values; phases the
    /// state holds absent stay at scale 0.
    ///
    /// # Errors
    /// As [`Refiner::fit`], and [`Error::InvalidParameter`] when the state is of another model.
    pub fn fit_warm(
        &self,
        pattern: &Pattern,
        wavelength: Wavelength,
        state: &State,
    ) -> Result<(Refinement, State)> {
        self.fit_from(pattern, wavelength, Some(state))
    }

    /// The refinement `state` stands for, without refining: the curves, weight fractions,
    /// R factors and esds of `pattern` at the state's parameter values (the covariance of the
    /// last stage's parameters there). A series keeps each frame's state, not its curves; this
    /// draws a frame's fit again. For the state a fit ended in, the numbers are that fit's.
    ///
    /// # Errors
    /// As [`Refiner::fit_warm`].
    pub fn evaluate(
        &self,
        pattern: &Pattern,
        wavelength: Wavelength,
        state: &State,
    ) -> Result<Refinement> {
        self.fit_from_mode(pattern, wavelength, Some(state), false)
            .map(|(r, _)| r)
    }

    /// The state of a cold fit before it refines anything: every parameter at its start (the
    /// structures' cells, the instrument's widths).
    ///
    /// # Errors
    /// As [`Refiner::fit`].
    pub(crate) fn start_state(&self, pattern: &Pattern, wavelength: Wavelength) -> Result<State> {
        self.check_inputs()?;
        let (tt, data) = self.measured(pattern)?;
        let model = self.prepare(tt, &data, wavelength)?;
        Ok(FitState::cold(&model).state(&model))
    }

    /// `Err(Cancelled)` once this refiner's control is cancelled.
    pub(crate) fn check_cancel(&self) -> std::result::Result<(), xrd_core::Cancelled> {
        self.control.check()
    }

    /// Every phase and reference named once, and no phase by a word [`ParamId`] reserves:
    /// each parameter's key then names one parameter.
    fn check_names(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for ph in &self.phases {
            let name = ph.name();
            let root = name.split('.').next().unwrap_or(name);
            // Every key of the phase must read back as itself (`X.cell` would not: its B's key
            // `X.cell.B` reads as X's cell coefficient B).
            let keys_parse = [
                PhaseParam::Scale,
                PhaseParam::Cell("A".into()),
                PhaseParam::B,
                PhaseParam::Size,
                PhaseParam::Strain,
                PhaseParam::Texture,
            ]
            .into_iter()
            .map(|p| ParamId::Phase(name.to_string(), p))
            .all(|k| k.to_string().parse::<ParamId>().is_ok_and(|back| back == k));
            if name.is_empty() || RESERVED_NAMES.contains(&root) || !keys_parse {
                return Err(crate::error::invalid(
                    "phases",
                    format!(
                        "a phase may not be called `{name}` (its parameters' keys would not \
                         read back; reserved first words: {})",
                        RESERVED_NAMES.join(", ")
                    ),
                ));
            }
            if !seen.insert(name) {
                return Err(crate::error::invalid(
                    "phases",
                    format!("two phases are called `{name}`: give each its own name"),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.references {
            if r.name.is_empty() {
                return Err(crate::error::invalid(
                    "references",
                    "a reference has no name",
                ));
            }
            if !seen.insert(r.name.as_str()) {
                return Err(crate::error::invalid(
                    "references",
                    format!("two references are called `{}`", r.name),
                ));
            }
        }
        Ok(())
    }

    /// Settings, instrument, phases, references and standard, checked before any work.
    fn check_inputs(&self) -> Result<()> {
        self.params.check()?;
        self.instrument.check()?;
        if self.phases.is_empty() {
            return Err(crate::error::invalid("phases", "need at least one phase"));
        }
        self.check_names()?;
        if let Some(d) = self.particle_size
            && !(d.is_finite() && d >= 0.0)
        {
            return Err(crate::error::invalid(
                "particle_size",
                format!("{d} µm must be finite and ≥ 0 (0: no microabsorption correction)"),
            ));
        }
        if !self.references.is_empty() {
            if !self.rir_scale.is_some_and(|k| k.is_finite() && k > 0.0) {
                return Err(crate::error::invalid(
                    "rir_scale",
                    "must be finite and > 0 (see xrd_refine::rir_scale)",
                ));
            }
            if !(self.max_shift > 0.0 && self.max_shift <= 2.0) {
                return Err(crate::error::invalid(
                    "max_shift",
                    format!("{} must be in (0, 2]", self.max_shift),
                ));
            }
            for r in &self.references {
                r.check()?;
            }
        }
        if let Some((i, w)) = self.standard
            && (i >= self.phases.len() + self.references.len() || !(w > 0.0 && w < 1.0))
        {
            return Err(crate::error::invalid(
                "standard",
                format!(
                    "phase {i} of {} at weight fraction {w}: need an existing phase and 0 < w < 1",
                    self.phases.len()
                ),
            ));
        }
        if let Some((i, _)) = self.standard
            && i < self.phases.len()
            && *self.phases[i].intensities() == Intensities::Extracted
        {
            return Err(crate::error::invalid(
                "standard",
                format!(
                    "`{}` is a Pawley phase, which has no weight",
                    self.phases[i].name()
                ),
            ));
        }
        Ok(())
    }

    /// The measured points to refine: those in the refined range (and where every measured
    /// reference was measured at every allowed shift), with their weights.
    fn measured(&self, pattern: &Pattern) -> Result<(Vec<f64>, Data)> {
        let mut data_range = self
            .params
            .two_theta_range
            .unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        // Measured references are fitted only where each was measured at every allowed shift.
        for r in &self.references {
            data_range.0 = data_range.0.max(r.start + self.max_shift);
            data_range.1 = data_range.1.min(r.end() - self.max_shift);
        }
        let (mut tt, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for (i, (&t, &c)) in pattern
            .two_theta()
            .iter()
            .zip(pattern.intensity())
            .enumerate()
        {
            if t < data_range.0
                || t > data_range.1
                || crate::params::is_excluded(&self.params.excluded, t)
            {
                continue;
            }
            if !c.is_finite() || c < 0.0 {
                return Err(Error::Pattern(format!(
                    "count {c} at 2θ = {t}° (point {i}): counts must be finite and ≥ 0"
                )));
            }
            let sigma = match pattern.sigma() {
                Some(s) => s[i],
                None => c.max(1.0).sqrt(),
            };
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(Error::Pattern(format!(
                    "esd {sigma} at 2θ = {t}° (point {i}) must be finite and > 0"
                )));
            }
            tt.push(t);
            y.push(c);
            w.push(1.0 / (sigma * sigma));
        }
        if tt.len() < MIN_POINTS {
            return Err(Error::Pattern(format!(
                "{} points in the refined range; need at least {MIN_POINTS}",
                tt.len()
            )));
        }
        Ok((tt, Data { y, w }))
    }

    /// The model of the phases and references at these points, each phase's peaks prepared.
    fn prepare(&self, tt: Vec<f64>, data: &Data, wavelength: Wavelength) -> Result<Model> {
        let range = (tt[0], tt[tt.len() - 1]);
        let mut phase_models = Vec::with_capacity(self.phases.len());
        for ph in &self.phases {
            let m = PhaseModel::new(ph, wavelength, range, MARGIN)?;
            let inside = m.peaks.iter().any(|pk| {
                pk.theta(&m.cell_start, wavelength)
                    .is_some_and(|th| (range.0..=range.1).contains(&(2.0 * th.to_degrees())))
            });
            if !inside {
                return Err(Error::NoReflections(
                    ph.name().to_string(),
                    range.0,
                    range.1,
                ));
            }
            phase_models.push(m);
        }
        let y_max = data.y.iter().copied().fold(0.0, f64::max);
        let model = Model::new(
            tt,
            wavelength,
            phase_models,
            &self.instrument,
            self.params.background_terms,
            self.params.humps,
            y_max,
        )
        .with_references(self.references.clone(), self.max_shift);
        // Neutrons need the structures' own scattering lengths even when no site is refined.
        let model = if self.params.stages.contains(&Stage::Atoms)
            || self.instrument.probe == xrd_sim::Probe::Neutron
        {
            let anisotropic = self
                .params
                .atoms
                .iter()
                .any(|p| crate::SiteParam::ANISOTROPIC.contains(p));
            model
                .with_atoms(&self.phases, anisotropic)?
                .with_restraints(&self.params.restraints)?
        } else {
            model
        };
        if self.params.texture_harmonics > 0 && self.params.stages.contains(&Stage::Texture) {
            return model.with_harmonics(&self.phases, self.params.texture_harmonics);
        }
        Ok(model)
    }

    fn fit_from(
        &self,
        pattern: &Pattern,
        wavelength: Wavelength,
        warm: Option<&State>,
    ) -> Result<(Refinement, State)> {
        self.fit_from_mode(pattern, wavelength, warm, true)
    }

    /// A fit from `warm` (else cold), refined when `refine`, else reported at the start.
    fn fit_from_mode(
        &self,
        pattern: &Pattern,
        wavelength: Wavelength,
        warm: Option<&State>,
        refine: bool,
    ) -> Result<(Refinement, State)> {
        self.check_inputs()?;
        let (tt, data) = self.measured(pattern)?;
        let model = self.prepare(tt, &data, wavelength)?;
        // Parameters fixed or freed by name must be this model's.
        let keys = model.table.keys();
        for (option, ids) in [("fixed", &self.params.fixed), ("freed", &self.params.freed)] {
            if let Some(id) = ids.iter().find(|id| !keys.contains(id)) {
                return Err(crate::error::invalid(
                    option,
                    format!("`{id}` is no parameter of this refinement"),
                ));
            }
        }
        let start = match warm {
            Some(state) => {
                let pawley: Vec<bool> = self
                    .phases
                    .iter()
                    .map(|p| *p.intensities() == Intensities::Extracted)
                    .collect();
                FitState::warm(&model, &model.table.keys(), state, &pawley)?
            }
            None => FitState::cold(&model),
        };
        let (mut run, mut values) = Run::new(self, &model, &data, &self.params, start);
        match (refine, warm.is_some()) {
            (false, _) => {}
            (true, true) => run.refine_warm(&mut values, &self.phases)?,
            (true, false) => run.refine(&mut values, &self.phases)?,
        }
        let free = run.free(&values, self.params.last_stage());
        let effort = (run.iterations, run.stop);
        let fit = run.into_state(values);
        let refinement = self.report(&model, &data, &fit, &free, effort)?;
        Ok((refinement, fit.state(&model)))
    }
}

/// Hill & Howard's weight fractions w_p = S_p·ZMV_p / Σ_q S_q·ZMV_q of scales `s` and
/// `zmv` (Z·M·V per unit of scale, corrected for microabsorption or not).
fn hill_howard(s: &[f64], zmv: &[f64]) -> Vec<f64> {
    let total: f64 = s.iter().zip(zmv).map(|(a, b)| a * b).sum();
    s.iter()
        .zip(zmv)
        .map(|(a, b)| a * b / total.max(f64::MIN_POSITIVE))
        .collect()
}

/// The state of one staged refinement.
struct Run<'a> {
    model: &'a Model,
    /// What the run chose beside the values (texture, extracted intensities).
    choices: Choices,
    data: &'a Data,
    params: &'a RefineParams,
    fixed_instrument: bool,
    iterations: usize,
    /// Why the last least-squares run stopped.
    stop: Stop,
    control: &'a Control,
    /// Phases held at scale 0.
    absent: Vec<bool>,
    /// Phases whose overall B is held ([`B_CARRIED`]).
    fixed_b: Vec<bool>,
    /// Phases refined by their scale alone.
    held_shape: Vec<bool>,
    /// Of those, the ones a series holds for overlap (carried through the run untouched).
    overlap_held: Vec<bool>,
}

impl<'a> Run<'a> {
    /// A run of `refiner`'s fit of `model` to `data` under `params`, from `state`; returns
    /// the run and the working values.
    fn new(
        refiner: &'a Refiner,
        model: &'a Model,
        data: &'a Data,
        params: &'a RefineParams,
        state: FitState,
    ) -> (Self, Vec<f64>) {
        let FitState {
            values,
            choices,
            absent,
            fixed_b,
            held_shape,
            overlap_held,
        } = state;
        let run = Run {
            model,
            data,
            params,
            fixed_instrument: refiner.instrument.refined,
            iterations: 0,
            stop: Stop::default(),
            control: &refiner.control,
            choices,
            absent,
            fixed_b,
            held_shape,
            overlap_held,
        };
        (run, values)
    }

    /// What the run ended in, at `values`.
    fn into_state(self, values: Vec<f64>) -> FitState {
        FitState {
            values,
            choices: self.choices,
            absent: self.absent,
            fixed_b: self.fixed_b,
            held_shape: self.held_shape,
            overlap_held: self.overlap_held,
        }
    }

    /// The parameters free in `stage` and the stages before it in the plan ([`Stage::frees`]),
    /// less those held: a phase held absent, the rest of a phase or reference refined away
    /// (it adds nothing the data could fix them by).
    fn free(&self, values: &[f64], stage: Stage) -> Vec<usize> {
        let upto: Vec<Stage> = {
            let pos = self
                .params
                .stages
                .iter()
                .position(|&s| s == stage)
                .unwrap_or(0);
            self.params.stages[..=pos].to_vec()
        };
        let textured = self.choices.directions();
        let harmonics = self.choices.harmonics_on();
        let situation = Situation {
            instrument_standard: self.params.instrument_standard,
            fixed_instrument: self.fixed_instrument,
            textured: &textured,
            fixed_b: &self.fixed_b,
            atoms: &self.params.atoms,
            harmonics: &harmonics,
            along_offset: self.model.along_offset_determined(),
        };
        let l = &self.model.layout;
        let held = |id: Id| match id {
            Id::Scale(p) => self.absent[p],
            Id::ReferenceShift(r) => values[l.references[r].0] <= 0.0,
            _ => id.phase().is_some_and(|p| {
                self.absent[p] || self.held_shape[p] || values[l.phases[p].scale] <= 0.0
            }),
        };
        let table = &self.model.table;
        let last = stage == self.params.last_stage();
        (0..table.len())
            .filter(|&i| {
                let (id, key) = (table[i].id, &table[i].key);
                !held(id)
                    && !self.params.fixed.contains(key)
                    && (Stage::ScaleBackground.frees(id, &situation)
                        || upto.iter().any(|s| s.frees(id, &situation))
                        || (last && self.params.freed.contains(key)))
            })
            .collect()
    }

    fn minimise(&mut self, values: &mut [f64], free: &[usize], iterations: usize) -> Result<f64> {
        let constraints = Constraints::select(self.model.table.len(), free);
        let solver = LevenbergMarquardt {
            control: self.control.silent(),
            ..LevenbergMarquardt::new(iterations, self.params.tolerance)
        };
        let s = fit::minimise(
            self.model,
            &self.choices,
            values,
            &constraints,
            self.data,
            &solver,
        )?;
        self.iterations += s.iterations;
        self.stop = s.stop;
        Ok(s.chi2)
    }

    /// Holds each phase's overall B that the data do not carry (its esd above [`B_CARRIED`] Å²,
    /// or at a bound) at the structure's values; true when one was held.
    fn hold_uncarried_b(&mut self, values: &mut [f64], free: &[usize]) -> bool {
        let constraints = Constraints::select(self.model.table.len(), free);
        let (j, _, chi2) =
            Fit::new(self.model, &self.choices, self.data, &constraints, values).at_start();
        let mut normal = j.tr_mul(&j);
        let mut grad = nalgebra::DVector::zeros(free.len());
        lm::hold_inert(&mut normal, &mut grad);
        let Some(inverse) = normal.cholesky().map(|c| c.inverse()) else {
            return false;
        };
        let dof = self.data.y.len().saturating_sub(free.len()).max(1) as f64;
        let mut held = false;
        for p in 0..self.model.layout.phases.len() {
            let b = self.model.layout.phases[p].b;
            let Some(c) = free.iter().position(|&i| i == b) else {
                continue;
            };
            let esd = (inverse[(c, c)] * chi2 / dof).max(0.0).sqrt();
            let par = &self.model.table[b];
            let at_bound = values[b] <= par.lo || values[b] >= par.hi;
            if esd > B_CARRIED || at_bound {
                values[b] = 0.0;
                self.fixed_b[p] = true;
                held = true;
            }
        }
        held
    }

    /// Drops each March–Dollase texture whose r ran to a bound (0.3 or 3: a phase's lines
    /// drawn onto others', not a texture); true when one was dropped.
    fn drop_bounded_textures(&mut self, values: &mut [f64]) -> bool {
        let mut dropped = false;
        for p in 0..self.model.layout.phases.len() {
            let t = self.model.layout.phases[p].texture;
            if self.choices.texture(p).is_some() && self.model.table[t].at_bound(values[t]) {
                self.choices.set_texture(self.model, p, None, values);
                values[t] = 1.0;
                dropped = true;
            }
        }
        dropped
    }

    /// From a warm start: every parameter of the last stage at once, no searches.
    fn refine_warm(&mut self, values: &mut [f64], phases: &[Phase]) -> Result<()> {
        let last = self.params.last_stage();
        // A phase entering at scale 0 has its scale found first: its cell and widths have no
        // effect on the pattern until then.
        let entering = self
            .model
            .layout
            .phases
            .iter()
            .enumerate()
            .any(|(p, pi)| !self.absent[p] && values[pi.scale] <= 0.0);
        if entering {
            let free = self.free(values, self.params.stages[0]);
            self.minimise(values, &free, self.params.max_iterations)?;
        }
        let extracted: Vec<usize> = (0..phases.len())
            .filter(|&p| *phases[p].intensities() == Intensities::Extracted && !self.absent[p])
            .collect();
        let free = self.free(values, last);
        if extracted.is_empty() {
            self.minimise(values, &free, self.params.max_iterations)?;
            return Ok(());
        }
        self.pawley_cycles(values, &free, &extracted)?;
        self.extract(values, &extracted);
        Ok(())
    }

    /// Pawley's intensities at the current cell, then `free` at them, until χ² settles.
    fn pawley_cycles(
        &mut self,
        values: &mut [f64],
        free: &[usize],
        extracted: &[usize],
    ) -> Result<()> {
        let mut last = f64::INFINITY;
        for _ in 0..PAWLEY_CYCLES {
            self.extract(values, extracted);
            let chi2 = self.minimise(values, free, self.params.max_iterations)?;
            if (last - chi2).abs() <= PAWLEY_TOLERANCE * chi2 {
                break;
            }
            last = chi2;
        }
        Ok(())
    }

    fn refine(&mut self, values: &mut Vec<f64>, phases: &[Phase]) -> Result<()> {
        self.start(values)?;
        let extracted: Vec<usize> = (0..phases.len())
            .filter(|&p| *phases[p].intensities() == Intensities::Extracted)
            .collect();
        let stages = self.params.stages.clone();
        // Intensities are extracted once the cells have been refined at their starting
        // intensities (at wrong positions, free intensities would hold the cells where they
        // are), or in the last stage of a plan without later ones.
        let extract_from = stages
            .iter()
            .position(|&s| s == Stage::CellsZero)
            .map_or(stages.len().saturating_sub(1), |c| {
                (c + 1).min(stages.len() - 1)
            });
        for (k, &stage) in stages.iter().enumerate() {
            self.control.check()?;
            self.control
                .report(Progress::new("stage", k + 1, stages.len()).message(stage.name()));
            let hook = stage.hook();
            if hook == Hook::TextureTrial {
                self.choose_textures(values, phases)?;
            }
            let free = self.free(values, stage);
            if extracted.is_empty() || k < extract_from {
                self.minimise(values, &free, self.params.max_iterations)?;
                let redo = match hook {
                    Hook::HoldUncarriedB => self.hold_uncarried_b(values, &free),
                    Hook::TextureTrial => self.drop_bounded_textures(values),
                    Hook::Plain => false,
                };
                if redo {
                    let free = self.free(values, stage);
                    self.minimise(values, &free, self.params.max_iterations)?;
                }
                continue;
            }
            self.pawley_cycles(values, &free, &extracted)?;
        }
        if !extracted.is_empty() {
            self.extract(values, &extracted);
        }
        Ok(())
    }

    /// Pawley's step: the peak intensities of the `phases` given and the Chebyshev background
    /// by weighted linear least squares, every other parameter held (the pattern is linear in
    /// them); a negative intensity is set to zero and the rest solved again.
    fn extract(&mut self, values: &mut [f64], phases: &[usize]) {
        let model = self.model;
        let mut parts = Parts::default();
        model.evaluate(&self.choices, values, None, Some(&mut parts));
        let l = &model.layout;
        let cheb = model.chebyshev_table();
        let n = self.data.y.len();
        // What the background and the extracted peaks must explain: the data less the other
        // phases and the humps.
        let mut target = self.data.y.clone();
        for (p, curve) in parts.phases.iter().enumerate() {
            if !phases.contains(&p) {
                target.iter_mut().zip(curve).for_each(|(t, c)| *t -= c);
            }
        }
        for curve in &parts.references {
            target.iter_mut().zip(curve).for_each(|(t, c)| *t -= c);
        }
        for (i, t) in target.iter_mut().enumerate() {
            let chebyshev: f64 = cheb
                .iter()
                .zip(&values[l.background.clone()])
                .map(|(tk, c)| tk[i] * c)
                .sum();
            *t -= parts.background[i] - chebyshev;
        }
        // Columns: the Chebyshev terms (dense), then every peak at unit intensity.
        let mut columns: Vec<(usize, Vec<f64>)> = cheb.iter().map(|t| (0, t.clone())).collect();
        let nb = columns.len();
        let mut owners = Vec::new();
        for &p in phases {
            for (k, c) in model
                .peak_curves(&self.choices, values, p, true)
                .into_iter()
                .enumerate()
            {
                if !c.1.is_empty() {
                    owners.push((p, k));
                    columns.push(c);
                }
            }
        }
        let m = columns.len();
        let w = &self.data.w;
        let mut a = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        for (r, (fr, cr)) in columns.iter().enumerate() {
            b[r] = cr
                .iter()
                .enumerate()
                .map(|(i, v)| w[fr + i] * v * target[fr + i])
                .sum();
            for (c, (fc, cc)) in columns.iter().enumerate().skip(r) {
                let lo = (*fr).max(*fc);
                let hi = (fr + cr.len()).min(fc + cc.len()).min(n);
                let v: f64 = (lo..hi).map(|i| w[i] * cr[i - fr] * cc[i - fc]).sum();
                a[r * m + c] = v;
                a[c * m + r] = v;
            }
        }
        // Unit diagonal (counts and Chebyshev terms differ by orders of magnitude), and a small
        // ridge that keeps peaks coinciding within the resolution solvable (they share their
        // counts).
        let scale: Vec<f64> = (0..m)
            .map(|r| {
                let d = a[r * m + r];
                if d > 0.0 { 1.0 / d.sqrt() } else { 1.0 }
            })
            .collect();
        for r in 0..m {
            b[r] *= scale[r];
            for c in 0..m {
                a[r * m + c] *= scale[r] * scale[c];
            }
        }
        for r in nb..m {
            a[r * m + r] += PAWLEY_RIDGE;
        }
        let mut zero = vec![false; m];
        let mut solution = None;
        // Each round sets at least one intensity to zero, so m rounds end it.
        for _ in 0..=m {
            let keep: Vec<usize> = (0..m).filter(|&r| !zero[r]).collect();
            let a = &a;
            let sub: Vec<f64> = keep
                .iter()
                .flat_map(|&r| keep.iter().map(move |&c| a[r * m + c]))
                .collect();
            let rhs: Vec<f64> = keep.iter().map(|&r| b[r]).collect();
            let Some(x) = xrd_core::linalg::solve(&sub, &rhs, 1e-15) else {
                return;
            };
            let mut full = vec![0.0; m];
            for (&r, v) in keep.iter().zip(x) {
                full[r] = v * scale[r];
            }
            let negative: Vec<usize> = (nb..m).filter(|&r| !zero[r] && full[r] < 0.0).collect();
            solution = Some(full);
            if negative.is_empty() {
                break;
            }
            negative.iter().for_each(|&r| zero[r] = true);
        }
        let Some(x) = solution else { return };
        for (k, i) in l.background.clone().enumerate() {
            values[i] = x[k];
        }
        for (&(p, k), &v) in owners.iter().zip(&x[nb..]) {
            self.choices.set_peak_f2(self.model, p, k, v.max(0.0));
        }
    }

    /// Scales and background by linear least squares, for each zero shift of a coarse search
    /// and then a fine one around the best; the best kept.
    fn start(&mut self, values: &mut Vec<f64>) -> Result<()> {
        // Each broad peak of the background placed by a search of its position and width (its
        // area is linear: solved with the scales), one after the other.
        let (lo, hi) = (self.model.tt[0], self.model.tt[self.model.tt.len() - 1]);
        for h in self.model.layout.humps.clone() {
            let mut best: Option<(f64, Vec<f64>)> = None;
            for k in 0..=HUMP_POSITIONS {
                self.control.check()?;
                for fwhm in HUMP_WIDTHS {
                    let mut trial = values.clone();
                    trial[h.position] = lo + (hi - lo) * k as f64 / HUMP_POSITIONS as f64;
                    trial[h.fwhm] = fwhm * crate::model::hump_scale(self.model.radiation);
                    let chi2 = fit::linear(self.model, &self.choices, &mut trial, self.data);
                    if best.as_ref().is_none_or(|(c, _)| chi2 < *c) {
                        best = Some((chi2, trial));
                    }
                }
            }
            if let Some((_, v)) = best {
                *values = v;
            }
        }
        let zero = self.model.layout.zero;
        let start = values[zero];
        let half = if self.fixed_instrument {
            0.0
        } else {
            self.params.zero_search
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        let mut centre = start;
        for (step, reach) in [(ZERO_COARSE_STEP, half), (ZERO_STEP, ZERO_COARSE_STEP)] {
            let steps = (reach / step).round() as i64;
            for k in -steps..=steps {
                self.control.check()?;
                let mut trial = values.clone();
                trial[zero] = centre + k as f64 * step;
                if (trial[zero] - start).abs() > half + 1e-12 {
                    continue;
                }
                let chi2 = fit::linear(self.model, &self.choices, &mut trial, self.data);
                if best.as_ref().is_none_or(|(c, _)| chi2 < *c) {
                    best = Some((chi2, trial));
                }
            }
            if let Some((_, v)) = &best {
                centre = v[zero];
            }
        }
        if let Some((_, v)) = best {
            *values = v;
        }
        // The references' common shift by the same search, before each is refined on its own.
        let shifts: Vec<usize> = self.model.layout.references.iter().map(|r| r.1).collect();
        if let Some(&first) = shifts.first() {
            let reach = self.model.table[first].hi;
            let steps = (reach / ZERO_STEP).floor() as i64;
            let mut best: Option<(f64, Vec<f64>)> = None;
            for k in -steps..=steps {
                let mut trial = values.clone();
                for &i in &shifts {
                    trial[i] = k as f64 * ZERO_STEP;
                }
                let chi2 = fit::linear(self.model, &self.choices, &mut trial, self.data);
                if best.as_ref().is_none_or(|(c, _)| chi2 < *c) {
                    best = Some((chi2, trial));
                }
            }
            if let Some((_, v)) = best {
                *values = v;
            }
        }
        Ok(())
    }

    /// For each phase, the March–Dollase direction among the low-index ones that lowers Rwp
    /// most, kept when the gain reaches the threshold; once one phase's is kept, every other
    /// phase's best direction that lowers χ² at all. The same whatever the phases' order.
    fn choose_textures(&mut self, values: &mut [f64], phases: &[Phase]) -> Result<()> {
        // The fit so far is converged in everything but texture: its χ² is the baseline, and
        // after each phase the χ² with that phase's choice (a phase judged after a textured
        // one is asked for its own gain, not the earlier phase's again).
        let mut base = fit::chi2(self.model, &self.choices, values, self.data);
        let scales: Vec<usize> = self.model.layout.phases.iter().map(|p| p.scale).collect();
        // Texture is the specimen's as much as a phase's (how the powder was packed): once one
        // phase's texture is kept, every other phase keeps the direction that lowers χ² at all
        // (r near 1 where it is not textured), in a second pass, whatever the phases' order.
        let mut textured = vec![false; phases.len()];
        for pass in 0..2 {
            if pass == 1 && !textured.contains(&true) {
                break;
            }
            let threshold = if pass == 0 {
                self.params.texture_min_gain
            } else {
                0.0
            };
            for (p, ph) in phases.iter().enumerate() {
                let pi = self.model.layout.phases[p].clone();
                // Extracted or calibrated intensities carry whatever texture the data had.
                if values[pi.scale] <= 0.0
                    || *ph.intensities() != Intensities::Structure
                    || textured[p]
                {
                    continue;
                }
                let candidates: Vec<[i32; 3]> = match ph.texture_direction() {
                    Some(d) => vec![d],
                    None => match ph.crystal_system() {
                        CrystalSystem::Cubic => vec![[1, 0, 0], [1, 1, 0], [1, 1, 1]],
                        CrystalSystem::Tetragonal
                        | CrystalSystem::Hexagonal
                        | CrystalSystem::Trigonal => {
                            vec![[0, 0, 1], [1, 0, 0], [1, 1, 0]]
                        }
                        _ => vec![[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                    },
                };
                let mut best: Option<(f64, [i32; 3], Vec<f64>)> = None;
                for d in candidates {
                    let mut v = values.to_vec();
                    v[pi.texture] = 1.0;
                    self.choices.set_texture(self.model, p, Some(d), &v);
                    // The direction is ranked by a short fit of its r with the scales.
                    let mut free = scales.clone();
                    free.push(pi.texture);
                    free.sort_unstable();
                    let c = self.minimise(&mut v, &free, TEXTURE_TRIAL_ITERATIONS)?;
                    if best.as_ref().is_none_or(|(b, _, _)| c < *b) {
                        best = Some((c, d, v));
                    }
                }
                let gain = |c: f64, reference: f64| 1.0 - (c / reference).sqrt();
                let kept = match best {
                    Some((c, d, v)) if gain(c, base) >= threshold && c < base => {
                        self.choices.set_texture(self.model, p, Some(d), &v);
                        values[pi.texture] = v[pi.texture];
                        textured[p] = true;
                        c
                    }
                    _ => {
                        self.choices.set_texture(self.model, p, None, values);
                        values[pi.texture] = 1.0;
                        base
                    }
                };
                base = kept;
                // The harmonics, where offered, replace what was kept only when they explain more
                // by the same margin, and weigh no reflection negative.
                if pass == 0 && !pi.harmonics.is_empty() {
                    let mut v = values.to_vec();
                    v[pi.texture] = 1.0;
                    v[pi.harmonics.clone()].fill(0.0);
                    let md = self.choices.texture(p).map(|t| t.direction);
                    self.choices.set_texture(self.model, p, None, &v);
                    self.choices.set_harmonics(p, true);
                    let mut free = scales.clone();
                    free.extend(pi.harmonics.clone());
                    free.sort_unstable();
                    let c = self.minimise(&mut v, &free, TEXTURE_TRIAL_ITERATIONS)?;
                    let positive = self
                        .model
                        .harmonic_range(&self.choices, &v, p)
                        .is_some_and(|(lo, _)| lo > MIN_HARMONIC_WEIGHT);
                    if positive && gain(c, kept) >= self.params.texture_min_gain {
                        values[pi.texture] = 1.0;
                        values[pi.harmonics.clone()].copy_from_slice(&v[pi.harmonics.clone()]);
                        base = c;
                        textured[p] = true;
                    } else {
                        self.choices.set_harmonics(p, false);
                        self.choices.set_texture(self.model, p, md, values);
                    }
                }
            }
        }
        Ok(())
    }
}
