//! Hyper-parameters of a powder calculation.

use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;

use crate::Result;
use crate::error::invalid;
use crate::scattering::{Anomalous, FormFactorTable};

/// Parameters of a powder pattern calculation (builder; every setter documents its default).
///
/// Intensity of a peak: I = Σ_hkl |F_hkl|² · LP(θ), F = Σⱼ occⱼ (f₀ⱼ(s) + f′ⱼ + i f″ⱼ)
/// exp(−Bⱼ s²) exp(2πi g·rⱼ), LP = (1 + cos² 2θ_m cos² 2θ) / (sin² θ cos θ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowderParams {
    pub(crate) radiation: Wavelength,
    pub(crate) two_theta_min: f64,
    pub(crate) two_theta_max: f64,
    pub(crate) form_factors: FormFactorTable,
    pub(crate) anomalous: Anomalous,
    pub(crate) debye_waller: bool,
    pub(crate) monochromator_two_theta: Option<f64>,
    pub(crate) merge_tolerance: f64,
    pub(crate) min_scaled_intensity: f64,
}

impl PowderParams {
    /// The `two_theta_min` set by [`PowderParams::two_theta_range`] (see there for the default).
    pub fn get_two_theta_min(&self) -> f64 {
        self.two_theta_min
    }

    /// The `two_theta_max` set by [`PowderParams::two_theta_range`] (see there for the default).
    pub fn get_two_theta_max(&self) -> f64 {
        self.two_theta_max
    }

    /// The `anomalous` set by [`PowderParams::anomalous`] (see there for the default).
    pub fn get_anomalous(&self) -> &Anomalous {
        &self.anomalous
    }

    /// The `monochromator_two_theta` set by [`PowderParams::monochromator`] (see there for the default).
    pub fn get_monochromator_two_theta(&self) -> Option<f64> {
        self.monochromator_two_theta
    }
}

impl Default for PowderParams {
    fn default() -> Self {
        Self {
            radiation: Wavelength::CU_KA1,
            two_theta_min: 0.0,
            two_theta_max: 90.0,
            form_factors: FormFactorTable::WaasmaierKirfel,
            anomalous: Anomalous::Off,
            debye_waller: true,
            monochromator_two_theta: None,
            merge_tolerance: 1e-5,
            min_scaled_intensity: 1e-3,
        }
    }
}

xrd_io::param_guard!(crate::Error => PowderParams);

impl PowderParams {
    /// Defaults: Cu Kα₁, 2θ 0–90°, Waasmaier–Kirfel, Debye–Waller on, no f′/f″, no
    /// monochromator, no Kα₂.
    pub fn new() -> Self {
        Self::default()
    }

    /// Settings that reproduce pymatgen's `XRDCalculator` at `radiation` (its primary line;
    /// pymatgen has no Kα2) over 0–90°: pymatgen's form-factor table, no Debye–Waller (pymatgen
    /// ignores the CIF's B/U), no f′/f″, no monochromator, peaks merged in 1e-5° bins, scaled
    /// intensities ≤ 1e-3 dropped.
    pub fn pymatgen(radiation: Wavelength) -> Self {
        Self {
            radiation: radiation.without_alpha2(),
            debye_waller: false,
            form_factors: FormFactorTable::Pymatgen,
            ..Self::default()
        }
    }

    /// The X-ray source (default Cu Kα₁, xrd-io's [`Wavelength::CU_KA1`]): peaks are placed at
    /// its primary line; a Kα doublet adds its Kα₂ line, at its intensity ratio, to rendered
    /// profiles (peak lists stay Kα₁ only).
    #[must_use]
    pub fn radiation(mut self, radiation: Wavelength) -> Self {
        self.radiation = radiation;
        self
    }

    /// The source set by [`PowderParams::radiation`].
    pub fn get_radiation(&self) -> Wavelength {
        self.radiation
    }

    /// 2θ range in degrees (default 0–90).
    #[must_use]
    pub fn two_theta_range(mut self, min: f64, max: f64) -> Self {
        self.two_theta_min = min;
        self.two_theta_max = max;
        self
    }

    xrd_io::setters! {
        /// Form-factor table (default Waasmaier–Kirfel).
        #[must_use]
        form_factors, get_form_factors: FormFactorTable;
    }

    /// Anomalous dispersion (default off).
    #[must_use]
    pub fn anomalous(mut self, anomalous: Anomalous) -> Self {
        self.anomalous = anomalous;
        self
    }

    xrd_io::setters! {
        /// Debye–Waller factor exp(−B s²) from each site's B (default on).
        #[must_use]
        debye_waller, get_debye_waller: bool;
    }

    /// Monochromator 2θ_m in degrees (default none, i.e. cos² 2θ_m = 1 as in pymatgen).
    #[must_use]
    pub fn monochromator(mut self, two_theta_m: Option<f64>) -> Self {
        self.monochromator_two_theta = two_theta_m;
        self
    }

    xrd_io::setters! {
        /// Reflections whose 2θ round to the same multiple of this many degrees form one peak
        /// (default 1e-5, as pymatgen).
        #[must_use]
        merge_tolerance, get_merge_tolerance: f64;

        /// Peaks with intensity ≤ this (strongest = 100) are dropped (default 1e-3, as pymatgen).
        #[must_use]
        min_scaled_intensity, get_min_scaled_intensity: f64;
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        if !(self.two_theta_min.is_finite() && self.two_theta_max.is_finite())
            || self.two_theta_min < 0.0
            || self.two_theta_max > 180.0
            || self.two_theta_min >= self.two_theta_max
        {
            return Err(invalid(
                "two_theta_range",
                format!(
                    "need 0 ≤ min < max ≤ 180, got {}–{}",
                    self.two_theta_min, self.two_theta_max
                ),
            ));
        }
        if let Some(m) = self.monochromator_two_theta
            && !(m.is_finite() && (0.0..180.0).contains(&m))
        {
            return Err(invalid(
                "monochromator",
                format!("2θ_m = {m}° must be in [0, 180)"),
            ));
        }
        if !(self.merge_tolerance.is_finite() && self.merge_tolerance > 0.0) {
            return Err(invalid(
                "merge_tolerance",
                format!("{} must be > 0", self.merge_tolerance),
            ));
        }
        if !(self.min_scaled_intensity.is_finite() && self.min_scaled_intensity >= 0.0) {
            return Err(invalid(
                "min_scaled_intensity",
                format!("{} must be ≥ 0", self.min_scaled_intensity),
            ));
        }
        if let crate::Anomalous::Custom(list) = &self.anomalous
            && list
                .iter()
                .any(|(_, a, b)| !a.is_finite() || !b.is_finite())
        {
            return Err(invalid("anomalous", "f′ and f″ must be finite"));
        }
        Ok(())
    }

    /// Lorentz–polarisation factor at Bragg angle θ (radians), with these settings'
    /// monochromator ([`super::lorentz_polarisation`]).
    pub fn lorentz_polarisation(&self, theta: f64) -> f64 {
        super::lorentz_polarisation(theta, self.monochromator_two_theta, None).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radiation_takes_both_lines_of_a_source() {
        let cu = PowderParams::new().radiation(Wavelength::CU_KA);
        assert_eq!(cu.get_radiation().angstrom(), 1.540598);
        assert_eq!(cu.get_radiation().alpha2(), Some(1.544426));
        assert_eq!(cu.get_radiation().ratio(), 0.5);
        // The default is xrd-io's Cu Kα1 (Hölzer et al. 1997).
        assert_eq!(PowderParams::new().get_radiation(), Wavelength::CU_KA1);
        let mo = cu.radiation(Wavelength::MO_KA1);
        assert_eq!(mo.get_radiation().angstrom(), 0.709317);
        assert_eq!(mo.get_radiation().alpha2(), None);
        // pymatgen has one line: a doublet's Kα2 is dropped.
        assert_eq!(
            PowderParams::pymatgen(Wavelength::CU_KA).get_radiation(),
            Wavelength::CU_KA1
        );
    }

    #[test]
    fn each_invalid_value_is_rejected() {
        assert!(PowderParams::new().check().is_ok());
        let bad = [
            (
                "two_theta_range",
                PowderParams::new().two_theta_range(50.0, 10.0),
            ),
            (
                "two_theta_range",
                PowderParams::new().two_theta_range(-1.0, 10.0),
            ),
            (
                "two_theta_range",
                PowderParams::new().two_theta_range(0.0, 190.0),
            ),
            (
                "monochromator",
                PowderParams::new().monochromator(Some(f64::INFINITY)),
            ),
            ("merge_tolerance", PowderParams::new().merge_tolerance(0.0)),
            (
                "min_scaled_intensity",
                PowderParams::new().min_scaled_intensity(-1.0),
            ),
            (
                "anomalous",
                PowderParams::new().anomalous(Anomalous::Custom(vec![(
                    crate::Element::from_z(26).unwrap(),
                    f64::NAN,
                    0.0,
                )])),
            ),
        ];
        for (name, p) in bad {
            match p.check() {
                Err(crate::Error::InvalidParameter(xrd_io::InvalidParameter {
                    name: n, ..
                })) => assert_eq!(n, name, "{p:?}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
