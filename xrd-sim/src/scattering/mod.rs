//! Atomic scattering factors f₀(s), s = sin θ / λ, and anomalous dispersion f′, f″ (X-rays);
//! coherent scattering lengths b_c ([`neutron`]; neutrons).

pub mod neutron;
// Generated; kept byte for byte as the script writes it.
#[rustfmt::skip]
mod neutron_tables;
mod tables;

use serde::{Deserialize, Serialize};
use xrd_io::Wavelength;

use crate::element::{Element, Species};
use crate::{Error, Result};

pub use neutron::{
    NeutronLength, Probe, isotope_scattering_length, neutron_scattering_length,
    species_scattering_length,
};

/// Coefficient in pymatgen's Mott–Bethe formula f(s) = Z − 41.78214 · s² · Σ aᵢ exp(−bᵢ s²).
const MOTT_BETHE: f64 = 41.78214;

/// Which table of atomic scattering factors to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FormFactorTable {
    /// Waasmaier & Kirfel (1995): f₀ = c + Σ₅ aᵢ exp(−bᵢ s²), valid to s = 6 Å⁻¹, neutral atoms
    /// and common ions (an ion's charge is rounded to the nearest integer; an ion that is not
    /// tabulated falls back to the neutral atom).
    #[default]
    WaasmaierKirfel,
    /// pymatgen's `XRDCalculator` table (Mott–Bethe on electron-scattering fits, element only,
    /// charge ignored): f = Z − 41.78214 s² Σ aᵢ exp(−bᵢ s²). Unphysical above s ≈ 1.3 Å⁻¹ for
    /// some heavy elements; use it to reproduce pymatgen.
    Pymatgen,
}

/// The f₀(s) of one species under one table.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomicFactor {
    label: &'static str,
    form: Form,
}

#[derive(Debug, Clone, PartialEq)]
enum Form {
    Gaussians { c: f64, a: [f64; 5], b: [f64; 5] },
    MottBethe { z: f64, pairs: [[f64; 2]; 4] },
}

impl AtomicFactor {
    /// Looks up `species` in `table`.
    ///
    /// # Errors
    /// [`Error::NoScatteringFactor`] if the element is not tabulated (e.g. Z > 98).
    pub fn new(table: FormFactorTable, species: &Species) -> Result<Self> {
        let sym = species.element.symbol();
        match table {
            FormFactorTable::WaasmaierKirfel => {
                let z = species.element.z();
                let q = species.integer_charge();
                let pick = |charge: i8| {
                    tables::WAASMAIER_KIRFEL
                        .iter()
                        .find(|e| e.1 == z && e.2 == charge)
                };
                let e = pick(q)
                    .or_else(|| pick(0))
                    .ok_or_else(|| Error::NoScatteringFactor {
                        table: "Waasmaier-Kirfel",
                        species: species.to_string(),
                    })?;
                Ok(Self {
                    label: e.0,
                    form: Form::Gaussians {
                        c: e.3,
                        a: e.4,
                        b: e.5,
                    },
                })
            }
            FormFactorTable::Pymatgen => {
                let e = tables::PYMATGEN
                    .iter()
                    .find(|e| e.0 == sym)
                    .ok_or_else(|| Error::NoScatteringFactor {
                        table: "pymatgen",
                        species: species.to_string(),
                    })?;
                Ok(Self {
                    label: e.0,
                    form: Form::MottBethe {
                        z: f64::from(species.element.z()),
                        pairs: e.1,
                    },
                })
            }
        }
    }

    /// The table entry used, e.g. `"Ti4+"` or `"O"`.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// f₀ at s = sin θ / λ (Å⁻¹), in electrons.
    pub fn f0(&self, s: f64) -> f64 {
        let s2 = s * s;
        match &self.form {
            Form::Gaussians { c, a, b } => {
                c + a
                    .iter()
                    .zip(b)
                    .map(|(ai, bi)| ai * (-bi * s2).exp())
                    .sum::<f64>()
            }
            Form::MottBethe { z, pairs } => {
                z - MOTT_BETHE * s2 * pairs.iter().map(|p| p[0] * (-p[1] * s2).exp()).sum::<f64>()
            }
        }
    }
}

/// Anomalous dispersion corrections f′ + i f″ added to f₀.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Anomalous {
    /// None (f′ = f″ = 0).
    #[default]
    Off,
    /// Chantler's tabulated values at the nearest tabulated characteristic line; the wavelength
    /// must be within 0.002 Å of one of [`Anomalous::tabulated_lines`].
    Tabulated,
    /// User values `(element, f′, f″)`; elements not listed get 0.
    Custom(Vec<(Element, f64, f64)>),
}

impl Anomalous {
    /// The lines at which Chantler f′, f″ are shipped: `(name, wavelength in Å)`.
    pub fn tabulated_lines() -> &'static [(&'static str, f64)] {
        tables::ANOMALOUS_LINES
    }

    /// Chantler's values when `wavelength` is within 0.002 Å of a tabulated line, else none:
    /// what a refinement at that wavelength takes.
    ///
    /// ```
    /// use xrd_sim::Anomalous;
    /// use xrd_io::Wavelength;
    /// assert_eq!(Anomalous::at_line(Wavelength::CU_KA), Anomalous::Tabulated);
    /// assert_eq!(Anomalous::at_line(Wavelength::synchrotron(0.8)), Anomalous::Off);
    /// ```
    pub fn at_line(wavelength: Wavelength) -> Self {
        let lambda = wavelength.angstrom();
        if tables::ANOMALOUS_LINES
            .iter()
            .any(|(_, l)| (l - lambda).abs() <= 0.002)
        {
            Self::Tabulated
        } else {
            Self::Off
        }
    }

    /// (f′, f″) of `element` at the primary line of `wavelength`.
    ///
    /// # Errors
    /// [`Error::NoAnomalousTable`] for [`Anomalous::Tabulated`] at an untabulated wavelength or
    /// element beyond U.
    pub fn correction(&self, element: Element, wavelength: Wavelength) -> Result<(f64, f64)> {
        let wavelength = wavelength.angstrom();
        match self {
            Self::Off => Ok((0.0, 0.0)),
            Self::Custom(list) => Ok(list
                .iter()
                .find(|(e, _, _)| *e == element)
                .map_or((0.0, 0.0), |&(_, f1, f2)| (f1, f2))),
            Self::Tabulated => {
                let err = || Error::NoAnomalousTable {
                    wavelength,
                    available: tables::ANOMALOUS_LINES
                        .iter()
                        .map(|(n, l)| format!("{n} {l} Å"))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let line = tables::ANOMALOUS_LINES
                    .iter()
                    .position(|(_, l)| (l - wavelength).abs() <= 0.002)
                    .ok_or_else(err)?;
                let row = tables::ANOMALOUS
                    .get(usize::from(element.z()) - 1)
                    .ok_or_else(err)?;
                Ok((row[line][0], row[line][1]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Species {
        Species::parse(s).unwrap()
    }

    #[test]
    fn forward_scattering_counts_electrons() {
        for sym in ["H", "O", "Fe", "Sm", "Zr", "U"] {
            let f = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &sp(sym)).unwrap();
            let z = f64::from(sp(sym).element.z());
            assert!((f.f0(0.0) - z).abs() < 0.05, "{sym}: {}", f.f0(0.0));
            let p = AtomicFactor::new(FormFactorTable::Pymatgen, &sp(sym)).unwrap();
            assert_eq!(p.f0(0.0), z);
        }
        let o2 = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &sp("O2-")).unwrap();
        assert_eq!(o2.label(), "O2-");
        assert!((o2.f0(0.0) - 10.0).abs() < 0.05);
        // Fractional bond-valence charge → nearest tabulated ion.
        let ti = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &sp("Ti3.928+")).unwrap();
        assert_eq!(ti.label(), "Ti4+");
        // Untabulated ion → neutral atom.
        let fe = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &sp("Fe5+")).unwrap();
        assert_eq!(fe.label(), "Fe");
    }

    #[test]
    fn high_angle_values_match_the_oracle_readme() {
        // oracle/README.md: Sm at s = 1.75 Å⁻¹: pymatgen 23.9, Waasmaier–Kirfel 12.8.
        let wk = AtomicFactor::new(FormFactorTable::WaasmaierKirfel, &sp("Sm")).unwrap();
        let pm = AtomicFactor::new(FormFactorTable::Pymatgen, &sp("Sm")).unwrap();
        assert!((wk.f0(1.75) - 12.8).abs() < 0.05, "{}", wk.f0(1.75));
        assert!((pm.f0(1.75) - 23.9).abs() < 0.05, "{}", pm.f0(1.75));
    }

    #[test]
    fn anomalous_lookup() {
        let cu = Element::from_symbol("Cu").unwrap();
        let (f1, f2) = Anomalous::Tabulated
            .correction(cu, Wavelength::synchrotron(1.5406))
            .unwrap();
        assert!(
            (f1 + 1.99).abs() < 0.05 && (f2 - 0.58).abs() < 0.05,
            "{f1} {f2}"
        );
        assert!(matches!(
            Anomalous::Tabulated.correction(cu, Wavelength::synchrotron(1.0)),
            Err(Error::NoAnomalousTable { wavelength, available })
                if wavelength == 1.0 && available.contains("Cu Ka1 1.54056 Å")
        ));
        assert_eq!(
            Anomalous::Off
                .correction(cu, Wavelength::synchrotron(1.0))
                .unwrap(),
            (0.0, 0.0)
        );
        let custom = Anomalous::Custom(vec![(cu, -2.0, 0.5)]);
        assert_eq!(
            custom.correction(cu, Wavelength::synchrotron(1.0)).unwrap(),
            (-2.0, 0.5)
        );
    }
}
