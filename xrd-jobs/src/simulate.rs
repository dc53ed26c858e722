//! The simulation job (`xrd simulate`, `xrd.simulate`, `xrd.peaks`): a structure's peak list and
//! its powder pattern on a 2θ grid, from a CIF/POSCAR file or a library entry by name.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xrd_io::{Pattern, Wavelength};
use xrd_minerals::Library;
use xrd_sim::{PeakList, PowderParams, Profile, Simulator, Structure};

use crate::error::{existing, invalid};
use crate::refine::load_instrument;
use crate::{Error, Result, simulated_pattern};

/// The default 2θ range (°) of a simulation.
pub const DEFAULT_TWO_THETA: (f64, f64) = (5.0, 90.0);
/// The default 2θ step (°) of a simulated profile.
pub const DEFAULT_STEP: f64 = 0.01;
/// The default full width at half maximum (°) of the simulated peaks.
pub const DEFAULT_FWHM: f64 = 0.1;
/// The default Lorentzian fraction of the simulated pseudo-Voigt peaks.
pub const DEFAULT_ETA: f64 = 0.5;

/// The options of a simulation ([`Simulate`]), as `xrd simulate`'s flags, `xrd.simulate`'s
/// keywords and a JSON request take them.
///
/// ```
/// let o: xrd_jobs::SimulateOptions =
///     serde_json::from_str(r#"{"structure": "rutile", "two_theta": [20, 60]}"#).unwrap();
/// assert_eq!(o.step, 0.01);
/// o.check()?;
/// let wide = xrd_jobs::SimulateOptions { two_theta: (60.0, 20.0), ..o };
/// assert_eq!(xrd_core::refused(wide.check()), "two_theta");
/// # Ok::<(), xrd_jobs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulateOptions {
    /// A CIF (first data block) or POSCAR/CONTCAR file, or a built-in library entry by id,
    /// mineral name or formula (its first entry measured at room conditions).
    pub structure: String,
    /// The wavelength (default Cu Kα1 + Kα2).
    pub wavelength: Option<Wavelength>,
    /// The 2θ range (°).
    pub two_theta: (f64, f64),
    /// The profile's 2θ step (°).
    pub step: f64,
    /// Full width at half maximum of the pseudo-Voigt peaks (°; default 0.1).
    pub fwhm: Option<f64>,
    /// Their Lorentzian fraction η (default 0.5).
    pub eta: Option<f64>,
    /// A refined instrument: its widths and monochromator in place of `fwhm` and `eta`.
    pub instrument: Option<PathBuf>,
    /// pymatgen's XRDCalculator settings (its form factors, no Debye–Waller factors).
    pub pymatgen_compatible: bool,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            structure: String::new(),
            wavelength: None,
            two_theta: DEFAULT_TWO_THETA,
            step: DEFAULT_STEP,
            fwhm: None,
            eta: None,
            instrument: None,
            pymatgen_compatible: false,
        }
    }
}

impl SimulateOptions {
    /// Checks every option.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field: no structure, a 2θ range outside
    /// 0 ≤ min < max < 180, a step that is not positive, `fwhm` or `eta` beside an instrument,
    /// a profile out of range.
    pub fn check(&self) -> Result<()> {
        if self.structure.trim().is_empty() {
            return Err(invalid(
                "structure",
                "name a structure file or library entry",
            ));
        }
        let (min, max) = self.two_theta;
        if !(min.is_finite() && max.is_finite() && 0.0 <= min && min < max && max < 180.0) {
            return Err(invalid(
                "two_theta",
                format!("({min}, {max}): need 0 ≤ min < max < 180"),
            ));
        }
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(invalid(
                "step",
                format!("{}: need a positive step", self.step),
            ));
        }
        if self.instrument.is_some() && (self.fwhm.is_some() || self.eta.is_some()) {
            return Err(invalid(
                "instrument",
                "the instrument gives the peak widths: not with fwhm or eta",
            ));
        }
        let profile = Profile::pseudo_voigt(
            self.eta.unwrap_or(DEFAULT_ETA),
            self.fwhm.unwrap_or(DEFAULT_FWHM),
        );
        profile.check().map_err(|e| match e.invalid_parameter() {
            Some(p) => invalid(
                if p.name == "eta" { "eta" } else { "fwhm" },
                p.reason.clone(),
            ),
            None => Error::from(e),
        })?;
        Ok(())
    }
}

/// A simulation job: the structure resolved, the instrument read, the simulator set up.
#[derive(Debug)]
pub struct Simulate {
    options: SimulateOptions,
    source: String,
    structure: Structure,
    simulator: Simulator,
    profile: Profile,
    wavelength: Wavelength,
}

/// What a simulation returns.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Simulated {
    /// Where the structure came from: its file, or its library id.
    pub source: String,
    /// Its formula.
    pub formula: String,
    /// Its space group number and Hermann–Mauguin symbol, when found.
    pub space_group: Option<(u8, String)>,
    /// The wavelength simulated at.
    pub wavelength: Wavelength,
    /// The reflections in range, the strongest 100.
    pub peaks: PeakList,
}

impl Simulate {
    /// The job of `options`, reading the built-in library only for a name that is not a file.
    ///
    /// # Errors
    /// An invalid option; a missing file ([`Error::FileNotFound`]: a structure that reads as a
    /// path, the instrument); a name no entry has.
    pub fn new(options: SimulateOptions) -> Result<Self> {
        Self::with_library(options, None)
    }

    /// As [`Simulate::new`], names looked up in `library` when given.
    ///
    /// # Errors
    /// As [`Simulate::new`].
    pub fn with_library(options: SimulateOptions, library: Option<&Library>) -> Result<Self> {
        options.check()?;
        let name = options.structure.as_str();
        let owned;
        let library = if std::path::Path::new(name).is_file() {
            None
        } else if let Some(path) = crate::refine::spec_file(name) {
            // A path that is not there, not a mineral the library lacks.
            existing(&path)?;
            None
        } else if let Some(l) = library {
            Some(l)
        } else {
            owned = Library::amcsd()?;
            Some(&owned)
        };
        let (source, structure) =
            xrd_minerals::resolve_structure(name, library).map_err(|source| Error::Spec {
                option: "structure",
                text: name.to_string(),
                source: Box::new(source),
            })?;
        let (instrument, _, _) = match &options.instrument {
            Some(path) => {
                let (i, w, d) = load_instrument(Some(path))?;
                (Some(i), w, d)
            }
            None => (None, None, Vec::new()),
        };
        let wavelength = options.wavelength.unwrap_or(Wavelength::CU_KA);
        let base = if options.pymatgen_compatible {
            PowderParams::pymatgen(wavelength)
        } else {
            PowderParams::new()
        };
        let mut params = base
            .radiation(wavelength)
            .two_theta_range(options.two_theta.0, options.two_theta.1);
        if let Some(i) = &instrument {
            params = params.monochromator(i.monochromator);
        }
        let profile = match &instrument {
            Some(i) => i.profile(),
            None => Profile::pseudo_voigt(
                options.eta.unwrap_or(DEFAULT_ETA),
                options.fwhm.unwrap_or(DEFAULT_FWHM),
            ),
        };
        Ok(Simulate {
            simulator: Simulator::new(params)?,
            options,
            source,
            structure,
            profile,
            wavelength,
        })
    }

    /// The structure's reflections and what it is.
    ///
    /// # Errors
    /// Those of [`Simulator::peaks`].
    pub fn peaks(&self) -> Result<Simulated> {
        let peaks = self.simulator.peaks(&self.structure)?;
        Ok(Simulated {
            source: self.source.clone(),
            formula: self.structure.formula(),
            space_group: self
                .structure
                .space_group(xrd_minerals::SYMPREC)
                .ok()
                .map(|g| (g.number, g.hm_symbol)),
            wavelength: self.wavelength,
            peaks: peaks.scaled(100.0),
        })
    }

    /// The structure's powder pattern on the grid of the options, the strongest point 100, the
    /// wavelength recorded.
    ///
    /// # Errors
    /// Those of [`Simulator::peaks`] and [`simulated_pattern`].
    pub fn pattern(&self) -> Result<Pattern> {
        // The reflections as simulated (not scaled to 100): the profile is scaled once.
        let peaks = self.simulator.peaks(&self.structure)?;
        simulated_pattern(
            &self.simulator,
            &peaks,
            self.wavelength,
            self.options.two_theta,
            self.options.step,
            &self.profile,
        )
    }
}
