//! The instrument: its peak widths, asymmetry, zero shift and monochromator, refined once on a
//! standard and saved for the samples measured after it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::absorption::CAPILLARY_MAX_MU_R;
use crate::error::invalid;
use crate::{Error, Result};

/// Format tag of an instrument file.
pub const INSTRUMENT_FORMAT: &str = "xrd-refine instrument 1";

/// A diffractometer's contribution to the pattern.
///
/// Peak widths (FWHM, degrees 2θ) after Thompson, Cox & Hastings: Gaussian
/// H_G² = U tan²θ + V tanθ + W, Lorentzian H_L = X tanθ + Y / cosθ; each phase adds its own
/// crystallite size (to the 1/cosθ term) and microstrain (to the tanθ term) on top.
///
/// ```
/// use xrd_refine::Instrument;
/// let lab = Instrument::default();
/// assert!(lab.check().is_ok());
/// let dir = std::env::temp_dir().join("xrd-refine-doc-instrument.json");
/// lab.save(&dir)?;
/// assert_eq!(Instrument::load(&dir)?, lab);
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    /// Caglioti U (deg²).
    pub u: f64,
    /// Caglioti V (deg²).
    pub v: f64,
    /// Caglioti W (deg²).
    pub w: f64,
    /// Lorentzian tanθ coefficient (deg).
    pub x: f64,
    /// Lorentzian 1/cosθ coefficient (deg).
    pub y: f64,
    /// Axial-divergence asymmetry: the peak is multiplied by 1 + a·cotθ·2z·exp(−z²),
    /// z = (2θ − centre)/FWHM (Bérar & Baldinozzi's first term; negative for the usual low-angle
    /// tail).
    pub asymmetry: f64,
    /// Zero shift (deg), added to every peak position.
    pub zero: f64,
    /// Diffracted-beam monochromator angle 2θ_m (deg) of the Lorentz–polarisation factor, or
    /// none.
    pub monochromator: Option<f64>,
    /// Polarisation fraction P of the incident beam, GSAS-II's `Polariz.` (0.5 unpolarised, about
    /// 0.99 for a synchrotron beam diffracted in the vertical plane). With it the numerator of the
    /// Lorentz–polarisation factor is P + (1 − P)·c·cos²2θ, c = cos²2θ_m of the monochromator
    /// (1 without one); without it (`None`, the default), 1 + c·cos²2θ, an unpolarised
    /// laboratory beam (the same as P = 0.5 up to a constant the scale absorbs).
    #[serde(default)]
    pub polarisation: Option<f64>,
    /// Debye–Scherrer capillary: μR of the cylinder (linear absorption coefficient times radius),
    /// the beam bathing the whole cross-section. Every reflection is multiplied by the
    /// transmission factor A(2θ) ([`capillary_absorption`](crate::absorption::capillary_absorption))
    /// normalised to 1 at 2θ = 0: the scale absorbs the constant, only the rise of A with 2θ
    /// matters. `None` (the default): no absorption correction (flat-plate Bragg–Brentano,
    /// whose absorption does not depend on 2θ).
    #[serde(default)]
    pub capillary_mu_r: Option<f64>,
    /// Axial divergence by Finger, Cox & Jephcoat (S/L, H/L), as GSAS and GSAS-II files give
    /// it: each peak convolved with the FCJ weight ([`crate::AxialDivergence`]), beside or in
    /// place of `asymmetry`. `None` (the default): no such convolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axial: Option<crate::AxialDivergence>,
    /// Whether the values were refined on a standard (then a sample's fit keeps them).
    pub refined: bool,
    /// What the beam scatters from (default X-rays): with neutrons, each site's coherent
    /// scattering length replaces its form factor in a refined structure, and a neutron
    /// instrument has no polarisation factor (`polarisation` 1).
    #[serde(default)]
    pub probe: xrd_sim::Probe,
    /// How the specimen sits in the beam, which decides how its offset from the
    /// diffractometer's axis shifts the peaks (default Bragg–Brentano; a GSAS neutron file
    /// reads as Debye–Scherrer).
    #[serde(default)]
    pub geometry: crate::SampleGeometry,
}

impl Default for Instrument {
    /// A laboratory Bragg–Brentano diffractometer before refinement: FWHM 0.06° at low angle
    /// (W = 0.0036), no Lorentzian part, no asymmetry, zero 0, no monochromator, an unpolarised
    /// beam, no capillary absorption, a flat plate in reflection.
    fn default() -> Self {
        Self {
            u: 0.0,
            v: 0.0,
            w: 0.0036,
            x: 0.0,
            y: 0.0,
            asymmetry: 0.0,
            zero: 0.0,
            monochromator: None,
            polarisation: None,
            capillary_mu_r: None,
            axial: None,
            refined: false,
            probe: xrd_sim::Probe::XRay,
            geometry: crate::SampleGeometry::BraggBrentano,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    instrument: Instrument,
}

impl Instrument {
    /// The instrument's peak shape for the simulator: Thompson–Cox–Hastings with its U, V, W,
    /// X and Y ([`xrd_sim::powder::Profile::tch`]), the widths a refinement fits before any
    /// phase's size and strain. The asymmetry, zero shift, monochromator and capillary are not
    /// part of a profile and are left out.
    ///
    /// ```
    /// use xrd_refine::Instrument;
    /// let lab = Instrument { x: 0.02, ..Instrument::default() };
    /// let profile = lab.profile();
    /// assert!(profile.check().is_ok());
    /// assert!(profile.fwhm(100.0) > profile.fwhm(20.0));
    /// ```
    pub fn profile(&self) -> xrd_sim::powder::Profile {
        xrd_sim::powder::Profile::tch(self.u, self.v, self.w, self.x, self.y)
    }

    /// Checks that every value is finite, W > 0, X, Y ≥ 0, 0 ≤ 2θ_m < 180, 0 ≤ P ≤ 1 and
    /// 0 ≤ μR ≤ 10 (the range the capillary quadrature is checked over).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("u", self.u),
            ("v", self.v),
            ("w", self.w),
            ("x", self.x),
            ("y", self.y),
            ("asymmetry", self.asymmetry),
            ("zero", self.zero),
        ] {
            if !v.is_finite() {
                return Err(invalid(name, format!("{v} must be finite")));
            }
        }
        if self.w <= 0.0 {
            return Err(invalid("w", format!("{} must be > 0", self.w)));
        }
        if self.x < 0.0 || self.y < 0.0 {
            return Err(invalid(
                "x",
                format!("X {} and Y {} must be ≥ 0", self.x, self.y),
            ));
        }
        if let Some(m) = self.monochromator
            && !(m.is_finite() && (0.0..180.0).contains(&m))
        {
            return Err(invalid(
                "monochromator",
                format!("2θ_m = {m}° must be in [0, 180)"),
            ));
        }
        if let Some(p) = self.polarisation
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return Err(invalid(
                "polarisation",
                format!("P = {p} must be in [0, 1]"),
            ));
        }
        if let Some(m) = self.capillary_mu_r
            && !(m.is_finite() && (0.0..=CAPILLARY_MAX_MU_R).contains(&m))
        {
            return Err(invalid(
                "capillary_mu_r",
                format!("μR = {m} must be in [0, {CAPILLARY_MAX_MU_R}]"),
            ));
        }
        if let Some(a) = &self.axial {
            a.check()?;
        }
        Ok(())
    }

    /// Writes the instrument as a small JSON file (atomically).
    ///
    /// # Errors
    /// [`Error::Instrument`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = File {
            format: INSTRUMENT_FORMAT.into(),
            instrument: self.clone(),
        };
        let err = |message: String| Error::Instrument {
            path: path.to_path_buf(),
            message,
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| err(e.to_string()))?;
        xrd_io::write_atomic(path, text.as_bytes()).map_err(|e| err(e.to_string()))
    }

    /// Reads an instrument file of any kind: a GSAS `.prm`/`.iparm` or GSAS-II `.instprm`
    /// file (by its extension; [`crate::gsas::read_instrument`], its wavelength returned and the
    /// terms our profile cannot hold in the third item), else one written by
    /// [`Instrument::save`] (no wavelength).
    ///
    /// # Errors
    /// As [`Instrument::load`] and [`crate::gsas::read_instrument`].
    pub fn read(path: impl AsRef<Path>) -> Result<(Self, Option<xrd_io::Wavelength>, Vec<String>)> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(ext.as_str(), "prm" | "iparm" | "instprm" | "inst") {
            let g = crate::gsas::read_instrument(path)?;
            return Ok((g.instrument, Some(g.wavelength), g.dropped));
        }
        Ok((Self::load(path)?, None, Vec::new()))
    }

    /// Reads an instrument written by [`Instrument::save`].
    ///
    /// # Errors
    /// [`Error::Instrument`] for an unreadable file, another format or invalid values.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let err = |message: String| Error::Instrument {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let said = value["instrument"].get("geometry").is_some();
        let mut file: File = serde_json::from_value(value).map_err(|e| err(e.to_string()))?;
        // A file from before the geometry was kept: the geometry its probe and capillary imply,
        // as reading its GSAS file or `--capillary` give now.
        if !said {
            let i = &mut file.instrument;
            i.geometry = crate::SampleGeometry::implied(i.probe, i.capillary_mu_r.is_some());
        }
        if file.format != INSTRUMENT_FORMAT {
            return Err(err(format!(
                "format `{}`, expected `{INSTRUMENT_FORMAT}`",
                file.format
            )));
        }
        file.instrument.check().map_err(|e| err(e.to_string()))?;
        Ok(file.instrument)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SampleGeometry;

    #[test]
    fn invalid_values_are_named() {
        let name = |i: Instrument| match i.check() {
            Err(Error::InvalidParameter(p)) => p.name,
            other => panic!("{other:?}"),
        };
        let d = Instrument::default;
        assert_eq!(name(Instrument { w: 0.0, ..d() }), "w");
        assert_eq!(name(Instrument { u: f64::NAN, ..d() }), "u");
        assert_eq!(name(Instrument { y: -1.0, ..d() }), "x");
        assert_eq!(
            name(Instrument {
                zero: f64::INFINITY,
                ..d()
            }),
            "zero"
        );
        assert_eq!(
            name(Instrument {
                monochromator: Some(190.0),
                ..d()
            }),
            "monochromator"
        );
        for p in [-0.1, 1.5, f64::NAN] {
            assert_eq!(
                name(Instrument {
                    polarisation: Some(p),
                    ..d()
                }),
                "polarisation"
            );
        }
        for m in [-0.1, 10.5, f64::INFINITY] {
            assert_eq!(
                name(Instrument {
                    capillary_mu_r: Some(m),
                    ..d()
                }),
                "capillary_mu_r"
            );
        }
        let synchrotron = Instrument {
            polarisation: Some(0.99),
            capillary_mu_r: Some(1.0),
            ..d()
        };
        assert!(synchrotron.check().is_ok());
        let axial = |s_l, h_l| Instrument {
            axial: Some(crate::AxialDivergence { s_l, h_l }),
            ..d()
        };
        assert!(axial(0.015, 0.01).check().is_ok());
        assert_eq!(name(axial(-0.01, 0.01)), "axial");
    }

    #[test]
    fn sample_geometries_by_name() {
        for g in [SampleGeometry::BraggBrentano, SampleGeometry::DebyeScherrer] {
            assert_eq!(g.to_string().parse::<SampleGeometry>().unwrap(), g);
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{g}\""));
        }
        for (text, g) in [
            ("Debye-Scherrer", SampleGeometry::DebyeScherrer),
            ("capillary", SampleGeometry::DebyeScherrer),
            ("reflection", SampleGeometry::BraggBrentano),
        ] {
            assert_eq!(text.parse::<SampleGeometry>().unwrap(), g);
        }
        let e = "cone".parse::<SampleGeometry>().unwrap_err();
        assert_eq!(e.invalid_parameter().map(|p| p.name), Some("geometry"));
        // The terms' derivatives in θ against central differences.
        for g in [SampleGeometry::BraggBrentano, SampleGeometry::DebyeScherrer] {
            let (t, h) = (0.7, 1e-6);
            let (_, d) = g.terms(t);
            let (up, down) = (g.terms(t + h).0, g.terms(t - h).0);
            for k in 0..2 {
                assert!(
                    ((up[k] - down[k]) / (2.0 * h) - d[k]).abs() < 1e-8,
                    "{g} {k}"
                );
            }
        }
    }

    #[test]
    fn files_without_the_new_fields_still_load() {
        // An instrument file as written before `polarisation` and `capillary_mu_r` existed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        std::fs::write(
            &path,
            r#"{"format": "xrd-refine instrument 1", "instrument": {"u": 0.01, "v": -0.002,
                "w": 0.003, "x": 0.0, "y": 0.01, "asymmetry": 0.0, "zero": 0.01,
                "monochromator": null, "refined": true}}"#,
        )
        .unwrap();
        let i = Instrument::load(&path).unwrap();
        assert_eq!((i.polarisation, i.capillary_mu_r), (None, None));
        assert_eq!(i.geometry, SampleGeometry::BraggBrentano);
        // One written before the geometry with a capillary or neutrons: a cylinder.
        for extra in [r#""capillary_mu_r": 1.0"#, r#""probe": "neutron""#] {
            let old = format!(
                r#"{{"format": "xrd-refine instrument 1", "instrument": {{"u": 0.01, "v": 0.0,
                    "w": 0.003, "x": 0.0, "y": 0.0, "asymmetry": 0.0, "zero": 0.0,
                    "monochromator": null, "refined": true, {extra}}}}}"#
            );
            std::fs::write(&path, old).unwrap();
            let g = Instrument::load(&path).unwrap().geometry;
            assert_eq!(g, SampleGeometry::DebyeScherrer, "{extra}");
        }
        assert_eq!(i.w, 0.003);
        let new = Instrument {
            polarisation: Some(0.99),
            capillary_mu_r: Some(0.8),
            geometry: SampleGeometry::DebyeScherrer,
            ..i
        };
        new.save(&path).unwrap();
        assert_eq!(Instrument::load(&path).unwrap(), new);
    }

    #[test]
    fn any_instrument_file_is_read_by_its_kind() {
        let dir = std::env::temp_dir().join(format!("xrd-refine-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ours = dir.join("lab.json");
        Instrument::default().save(&ours).unwrap();
        let (i, w, dropped) = Instrument::read(&ours).unwrap();
        assert_eq!((i, w, dropped.len()), (Instrument::default(), None, 0));
        let gsas = dir.join("beamline.instprm");
        std::fs::write(
            &gsas,
            "#GSAS-II instrument parameter file\nType:PXC\nLam:0.5\nU:1\nV:0\nW:2\n",
        )
        .unwrap();
        let (i, w, _) = Instrument::read(&gsas).unwrap();
        assert_eq!(w.map(|w| w.angstrom()), Some(0.5));
        assert!(i.refined);
        // A neutron instrument keeps its probe.
        let neutron = dir.join("d1a.instprm");
        std::fs::write(
            &neutron,
            "#GSAS-II instrument parameter file\nType:PNC\nLam:1.909\nU:1\nV:0\nW:2\n",
        )
        .unwrap();
        let (i, w, _) = Instrument::read(&neutron).unwrap();
        assert_eq!(i.probe, xrd_sim::Probe::Neutron);
        assert_eq!(w.map(|w| w.angstrom()), Some(1.909));
        // A JSON file named as a GSAS one is read as GSAS, and says so.
        let wrong = dir.join("lab.prm");
        std::fs::copy(&ours, &wrong).unwrap();
        assert!(matches!(
            Instrument::read(&wrong),
            Err(Error::Instrument { .. })
        ));
    }

    #[test]
    fn file_errors() {
        let dir = std::env::temp_dir().join(format!("xrd-refine-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"format\": \"other\", \"instrument\": {}}").unwrap();
        assert!(matches!(
            Instrument::load(&bad),
            Err(Error::Instrument { .. })
        ));
        assert!(matches!(
            Instrument::load(dir.join("missing.json")),
            Err(Error::Instrument { .. })
        ));
    }
}
