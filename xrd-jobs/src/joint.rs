//! The joint job: several patterns of one sample (X-ray and neutron, two banks, two
//! wavelengths) refined together with one structure per phase ([`xrd_refine::Joint`]),
//! assembled once from [`RefineOptions`] and each pattern's instrument and range.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xrd_core::Control;
use xrd_io::{Pattern, Wavelength};
use xrd_refine::{JointRefinement, Phase, RefineParams, Refiner, Stage};

use crate::error::invalid;
use crate::refine::{RefinedCif, library_for, load_instrument, resolve_spec};
use crate::{RefineOptions, Result, measured_wavelength};

/// What one pattern of a joint refinement has of its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistogramOptions {
    /// Its instrument file (ours or a GSAS `.prm`/`.instprm`, X-ray or neutron); else the
    /// options' instrument.
    pub instrument: Option<PathBuf>,
    /// Its refined 2θ range (°); else the options' range.
    pub two_theta_range: Option<(f64, f64)>,
    /// Its sample geometry (`bragg_brentano`, `debye_scherrer`); else the options', else its
    /// instrument file's.
    pub geometry: Option<String>,
}

/// A joint refinement job: the phases of `options` (each one structure: a CIF file or a
/// library id) refined on every pattern at once, each pattern with its own instrument and
/// range.
#[derive(Debug)]
pub struct JointJob {
    histograms: Vec<(Refiner, Option<Wavelength>, Vec<String>)>,
    phases: Vec<Phase>,
    options: RefineOptions,
}

/// A joint refinement's result and what the front ends write of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointRefined {
    /// The patterns' labels, in order.
    pub files: Vec<String>,
    /// The refinement.
    pub refinement: JointRefinement,
    /// One refined CIF per phase (sites with esds, every pattern's curves as `_pd_` loops).
    pub cifs: Vec<RefinedCif>,
}

impl JointRefined {
    /// `refinement.json` of a joint refinement: `histograms` (each pattern's file, Rwp and
    /// whole refinement, its phases' `sites` shared), the total Rwp, the joint stage's
    /// iterations, stop and warnings, and each later pattern's `hydrostatic` strain.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn refinement_json(&self) -> Result<String> {
        #[derive(Serialize)]
        struct Histogram<'a> {
            file: &'a str,
            rwp: f64,
            refinement: &'a xrd_refine::Refinement,
        }
        #[derive(Serialize)]
        struct Json<'a> {
            histograms: Vec<Histogram<'a>>,
            rwp: f64,
            iterations: usize,
            stop: xrd_refine::Stop,
            warnings: &'a [String],
            hydrostatic: &'a [xrd_refine::HydrostaticStrain],
        }
        let r = &self.refinement;
        let json = Json {
            histograms: self
                .files
                .iter()
                .zip(&r.histograms)
                .map(|(file, refinement)| Histogram {
                    file,
                    rwp: refinement.rwp,
                    refinement,
                })
                .collect(),
            rwp: r.rwp,
            iterations: r.iterations,
            stop: r.stop,
            warnings: &r.warnings,
            hydrostatic: &r.hydrostatic,
        };
        serde_json::to_string_pretty(&json).map_err(|e| crate::Error::Input(e.to_string()))
    }
}

impl JointJob {
    /// The job of `options` (its phases, library, background, stages — default
    /// [`Stage::STRUCTURE`]'s when they do not end with `atoms` — and site parameters) over the
    /// patterns described by `histograms`, one each, in order.
    ///
    /// # Errors
    /// Fewer than one pattern, references or a calibration (not joint), a spec naming several
    /// structures, and what [`crate::Refine::new`] refuses.
    pub fn new(options: RefineOptions, histograms: &[HistogramOptions]) -> Result<Self> {
        options.check()?;
        if histograms.is_empty() {
            return Err(invalid(
                "histograms",
                "a joint refinement needs at least one pattern",
            ));
        }
        if !options.references.is_empty() {
            return Err(invalid(
                "references",
                "a joint refinement refines structures, not measured references",
            ));
        }
        for (name, given) in [
            ("standard", options.standard.is_some()),
            ("calibrate", options.calibrate.is_some()),
            ("save_instrument", options.save_instrument.is_some()),
        ] {
            if given {
                return Err(invalid(name, "not in a joint refinement"));
            }
        }
        let texts: Vec<&str> = options.phases.iter().map(String::as_str).collect();
        let library = library_for(&texts, options.builtin, &options.library, None)?;
        let mut phases = Vec::with_capacity(texts.len());
        for text in &texts {
            let spec = resolve_spec("phases", text, library.as_deref(), options.max_candidates)?;
            if spec.candidates.len() != 1 {
                return Err(invalid(
                    "phases",
                    format!(
                        "`{text}` names {} structures: a joint refinement refines one (give a \
                         CIF file or a library id)",
                        spec.candidates.len()
                    ),
                ));
            }
            let name = std::path::Path::new(text)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .filter(|_| xrd_minerals::PhaseSpec::is_file(text))
                .unwrap_or_else(|| spec.candidates[0].name.clone());
            phases.push(spec.candidates[0].phase.clone().renamed(name));
        }
        let mut params: RefineParams = options.refine_params()?;
        if params.get_stages().last() != Some(&Stage::Atoms) {
            params = params.stages(Stage::STRUCTURE.to_vec());
        }
        let mut out = Vec::with_capacity(histograms.len());
        for (k, h) in histograms.iter().enumerate() {
            let path = h.instrument.as_deref().or(options.instrument.as_deref());
            let (instrument, wavelength, dropped) = load_instrument(path)?;
            let mut instrument = options.instrument_overrides(instrument)?;
            if let Some(g) = &h.geometry {
                instrument.geometry = g.parse().map_err(crate::Error::from)?;
            }
            let range = h.two_theta_range.or(options.two_theta_range);
            if let Some((lo, hi)) = range
                && !(lo.is_finite() && hi.is_finite() && lo < hi)
            {
                return Err(invalid(
                    "two_theta_range",
                    format!("pattern {}: {lo}–{hi}° is no range", k + 1),
                ));
            }
            let refiner = Refiner::new(phases.clone())
                .instrument(instrument)
                .params(params.clone().two_theta_range(range));
            out.push((refiner, wavelength, dropped));
        }
        Ok(Self {
            histograms: out,
            phases,
            options,
        })
    }

    /// The terms of each pattern's instrument file our profile does not carry.
    pub fn dropped_instrument_terms(&self) -> Vec<&[String]> {
        self.histograms
            .iter()
            .map(|(_, _, d)| d.as_slice())
            .collect()
    }

    /// Refines `patterns` ((label, pattern), one per histogram, in order) together.
    ///
    /// # Errors
    /// Another number of patterns than histograms, a range outside its pattern, and whatever
    /// the refinement refuses.
    pub fn run(&self, patterns: &[(String, Pattern)], control: &Control) -> Result<JointRefined> {
        if patterns.len() != self.histograms.len() {
            return Err(invalid(
                "instrument",
                format!(
                    "{} patterns and {} instruments/ranges: give one per pattern, in the \
                     patterns' order",
                    patterns.len(),
                    self.histograms.len()
                ),
            ));
        }
        let mut joint = xrd_refine::Joint::new().control(control.clone());
        for ((label, pattern), (refiner, wavelength, _)) in patterns.iter().zip(&self.histograms) {
            if let Some((lo, hi)) = refiner.get_params().get_two_theta_range() {
                let tt = pattern.two_theta();
                let (first, last) = (tt[0], tt[tt.len() - 1]);
                if lo >= last || hi <= first {
                    return Err(invalid(
                        "two_theta_range",
                        format!(
                            "{label}: {lo}–{hi}° lies outside the pattern ({first:.3}–{last:.3}°)"
                        ),
                    ));
                }
            }
            crate::refine::check_probe(label, pattern, refiner.get_instrument())?;
            let w = measured_wavelength(pattern.wavelength(), self.options.wavelength, *wavelength)
                .unwrap_or(Wavelength::CU_KA);
            joint = joint.histogram(refiner.clone().control(control.clone()), pattern.clone(), w);
        }
        let refinement = joint.fit()?;
        let named: Vec<(&str, &xrd_refine::Refinement)> = patterns
            .iter()
            .map(|(l, _)| l.as_str())
            .zip(&refinement.histograms)
            .collect();
        let mut cifs = Vec::new();
        for (p, phase) in self.phases.iter().enumerate() {
            let Some(result) = refinement.histograms.first().and_then(|h| h.phases.get(p)) else {
                continue;
            };
            let name = format!(
                "{}_{}",
                p + 1,
                result
                    .name
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            cifs.push(RefinedCif {
                phase: p,
                file_name: format!("{name}.cif"),
                text: xrd_refine::refined_cif(phase, result, &named)?,
            });
        }
        Ok(JointRefined {
            files: patterns.iter().map(|(l, _)| l.clone()).collect(),
            refinement,
            cifs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A neutron instrument beside data whose file names an X-ray tube is refused, naming the
    /// pattern; X-ray instruments and files without a wavelength pass.
    #[test]
    fn a_neutron_instrument_beside_xray_data_is_refused() {
        let tt: Vec<f64> = (0..100).map(|i| 10.0 + 0.1 * f64::from(i)).collect();
        let y = vec![10.0; 100];
        let plain = Pattern::new(tt, y).unwrap();
        let tube = plain.clone().with_wavelength(Some(Wavelength::CU_KA));
        let neutron = xrd_refine::Instrument {
            probe: xrd_sim::Probe::Neutron,
            ..Default::default()
        };
        let e = crate::refine::check_probe("a.xrdml", &tube, &neutron).unwrap_err();
        assert!(
            e.to_string()
                .contains("a.xrdml: a neutron instrument beside X-ray data"),
            "{e}"
        );
        assert!(crate::refine::check_probe("a", &plain, &neutron).is_ok());
        assert!(crate::refine::check_probe("a", &tube, &Default::default()).is_ok());
    }

    /// No pattern, references, a standard, or several structures for one spec are refused by
    /// the option's name.
    #[test]
    fn what_a_joint_refinement_refuses() {
        let options = RefineOptions {
            phases: vec!["anatase.cif".into()],
            ..Default::default()
        };
        let name = |r: Result<JointJob>| {
            r.err()
                .and_then(|e| e.invalid_parameter().map(|p| p.name))
                .unwrap_or("")
        };
        assert_eq!(name(JointJob::new(options.clone(), &[])), "histograms");
        let with = |f: fn(&mut RefineOptions)| {
            let mut o = options.clone();
            f(&mut o);
            name(JointJob::new(o, &[HistogramOptions::default()]))
        };
        assert_eq!(
            with(|o| {
                o.references = vec!["QUARTZ".into()];
                o.reference_library = Some("r.csv".into());
            }),
            "references"
        );
        assert_eq!(
            with(|o| {
                o.standard = Some(crate::Weighed {
                    spec: "anatase.cif".into(),
                    weight: 0.2,
                });
            }),
            "standard"
        );
    }
}
