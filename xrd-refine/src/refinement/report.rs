//! A finished fit turned into its [`Refinement`]: quality and covariance, the phases, their
//! weights (microabsorption, an internal standard, detection limits) and the measured
//! references. Each step a function of its own.

use nalgebra::DMatrix;

use super::{
    HarmonicTexture, MICROABSORPTION_WARNING, MIN_SIZE_BROADENING, OVERLAP_CORRELATION, Overlap,
    ParameterValue, PhaseKind, PhaseResult, Refinement, Refiner, SENSITIVITY_PARTICLE_SIZE,
    SiteResult, hill_howard,
};
use crate::calibration::CalibratedPeak;
use crate::constraints::Constraints;
use crate::fit::{Data, Fit};
use crate::lm::{self, Stop};
use crate::model::{Model, Parts};
use crate::phase::{Intensities, Phase};
use crate::quality::Quality;
use crate::state::FitState;
use crate::summation::ReferenceResult;
use crate::weights::{self, DETECTION_SIGMAS, Weighed};
use crate::{Error, Result};

/// The covariance of the parameters refined last: the inverse normal matrix of their
/// variables, scaled by the fit's χ² per degree of freedom (and the residuals' serial
/// correlation), mapped back to the parameters through the constraints.
struct Covariance {
    constraints: Constraints,
    inverse: DMatrix<f64>,
    /// Variables without effect at the end (a width at its floor): no esd.
    inert: Vec<usize>,
    scale: f64,
}

/// Why an instrument file would help, after what the data could not tell apart: one text, so
/// that a series can count its frames that say it ([`crate::Sequential`]).
pub(crate) const INSTRUMENT_ADVICE: &str = "without an instrument file the instrument's widths are refined with the sample's \
     broadening, from one pattern (over a narrow angular range at synchrotron resolution they \
     are barely told apart), so sizes and strains carry part of the instrument's: give an \
     instrument file (`--instrument`), or refine one once on a standard (`--save-instrument`)";

impl Covariance {
    fn of(&self, a: usize, b: usize) -> f64 {
        self.constraints.covariance(a, b, |x, y| {
            if self.inert.contains(&x) || self.inert.contains(&y) {
                0.0
            } else {
                self.inverse[(x, y)] * self.scale
            }
        })
    }

    fn esd(&self, a: usize) -> f64 {
        self.of(a, a).max(0.0).sqrt()
    }

    /// Whether parameter `i`'s variable had no effect at the end (no esd).
    fn inert_param(&self, i: usize) -> bool {
        self.constraints
            .columns()
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|(c, _)| self.inert.contains(&c))
    }
}

/// The free parameter of another phase that phase `p`'s scale correlates with most.
fn overlap(model: &Model, covariance: &Covariance, p: usize) -> Option<Overlap> {
    let scale = model.layout.phases.get(p)?.scale;
    let free = |i: usize| covariance.constraints.is_free(i) && !covariance.inert_param(i);
    if !free(scale) {
        return None;
    }
    let vs = covariance.of(scale, scale);
    (0..model.table.len())
        .filter(|&j| free(j) && model.table[j].id.phase().is_some_and(|q| q != p))
        .filter_map(|j| {
            let vj = covariance.of(j, j);
            (vs > 0.0 && vj > 0.0).then(|| (j, covariance.of(scale, j) / (vs * vj).sqrt()))
        })
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(j, r)| Overlap {
            with: model.table[j].key.clone(),
            correlation: r,
        })
}

/// Each site of `atoms` at `values` (its parameters from index `first`), with esds from
/// `covariance`: a coordinate's through every free coordinate of its site that moves it.
pub(super) fn site_results(
    atoms: &crate::atoms::AtomModel,
    values: &[f64],
    first: usize,
    covariance: &dyn Fn(usize, usize) -> f64,
    lattice: &xrd_sim::Lattice,
) -> Vec<SiteResult> {
    let (m, g) = (lattice.metric(), lattice.reciprocal_metric());
    // The variance of Σₖ cₖ pₖ over parameters i, i+1, … .
    let var = |i: usize, c: &[f64]| {
        let mut v = 0.0;
        for (k, ck) in c.iter().enumerate() {
            for (l, cl) in c.iter().enumerate() {
                v += ck * cl * covariance(i + k, i + l);
            }
        }
        v.max(0.0).sqrt()
    };
    let phase = &values[first..first + atoms.n_params];
    atoms
        .sites
        .iter()
        .enumerate()
        .map(|(index, label_site)| {
            // A mixed site's last member reports its leader's position and displacement.
            let (o, site) = atoms.params_of(index);
            let i = first + o;
            let nd = site.directions.len();
            let nu = site.n_displacement();
            let xyz = site.position(&values[i..i + nd]);
            let xyz_esd = [0, 1, 2].map(|a| {
                let c: Vec<f64> = site.directions.iter().map(|d| d[a]).collect();
                var(i, &c)
            });
            let (u, u_esd, u_aniso, u_aniso_esd) = match &site.aniso {
                None => (values[i + nd], var(i + nd, &[1.0]), None, None),
                Some(a) => {
                    let q = &values[i + nd..i + nd + nu];
                    let u = a.u(q);
                    let esd = [0, 1, 2, 3, 4, 5].map(|c| {
                        let coef: Vec<f64> = a.directions.iter().map(|d| d[c]).collect();
                        var(i + nd, &coef)
                    });
                    // U_eq is linear in the parameters: its esd by its coefficients.
                    let coef: Vec<f64> = a
                        .directions
                        .iter()
                        .map(|d| crate::atoms::Aniso::u_eq(d, &m, &g))
                        .collect();
                    (
                        crate::atoms::Aniso::u_eq(&u, &m, &g),
                        var(i + nd, &coef),
                        Some(u),
                        Some(esd),
                    )
                }
            };
            // Its occupancy, or the group's total less its partners' (whose esds it has).
            let occupancy_esd = match (&label_site.tied, atoms.occupancy_index(index)) {
                (None, Some(k)) => var(first + k, &[1.0]),
                (Some(t), _) => {
                    let ks: Vec<usize> = t
                        .partners
                        .iter()
                        .filter_map(|&p| atoms.occupancy_index(p))
                        .collect();
                    let mut v = 0.0;
                    for &a in &ks {
                        for &b in &ks {
                            v += covariance(first + a, first + b);
                        }
                    }
                    v.max(0.0).sqrt()
                }
                (None, None) => 0.0,
            };
            SiteResult {
                label: label_site.label.clone(),
                element: label_site.element.symbol().to_string(),
                multiplicity: label_site.multiplicity,
                xyz,
                xyz_esd,
                u,
                u_esd,
                u_aniso,
                u_aniso_esd,
                occupancy: atoms.occupancy(phase, index),
                occupancy_esd,
            }
        })
        .collect()
}

/// What the statistics of the fit give the rest of the report.
struct Statistics {
    quality: Quality,
    covariance: Covariance,
    parameters: Vec<ParameterValue>,
}

/// The weights of the phases and references (phases first) and what they came from.
struct Weights {
    weighed: Weighed,
    /// Each component's weight per unit of scale (Z·M·V, corrected for microabsorption when
    /// asked; rir_scale / RIR for a reference).
    k: Vec<f64>,
    /// The phases' fractions without the microabsorption correction, when it was applied.
    uncorrected: Option<Vec<f64>>,
}

impl Refiner {
    pub(super) fn report(
        &self,
        model: &Model,
        data: &Data,
        fit: &FitState,
        free: &[usize],
        (iterations, stop): (usize, Stop),
    ) -> Result<Refinement> {
        let values = &fit.values[..];
        let mut parts = Parts::default();
        let f = model.evaluate(&fit.choices, values, None, Some(&mut parts));
        let mut warnings = Vec::new();
        let stats = self.statistics(model, data, fit, free, &f, &mut warnings)?;
        // A Debye–Scherrer offset along the beam held because the range cannot tell it from
        // the cell, while the offset across it was refined: the cell took it up.
        if let (Some(i), Some(r)) = (
            model.layout.displacement_along,
            model.along_offset_correlation(),
        ) && !free.contains(&i)
            && free.contains(&model.layout.displacement)
        {
            let (lo, hi) = (model.tt[0], model.tt[model.tt.len() - 1]);
            warnings.push(format!(
                "`specimen.displacement_along` held at 0: over {lo:.1}–{hi:.1}° it moves peaks as \
                 the cell does (correlation {r:.4}), so the cells carry any offset along the beam"
            ));
        }
        let mut phases = self.phase_results(model, fit, &stats, &mut warnings)?;
        for (p, ph) in phases.iter_mut().enumerate() {
            if !ph.sites.is_empty() {
                (ph.r_bragg, ph.r_f) = super::geometry::r_bragg(
                    model,
                    &fit.choices,
                    values,
                    p,
                    &data.y,
                    &f,
                    &parts.background,
                )
                .unzip();
            }
        }
        let terms = model.chebyshev_table().len();
        let background_check =
            super::background_advice::check(&model.tt, &data.y, &data.w, &f, terms);
        warnings.extend(super::background_advice::advice(
            background_check,
            model.layout.humps.len(),
        ));
        let w = self.weights(model, values, &phases, &stats, &mut warnings)?;
        for (p, ph) in phases.iter_mut().enumerate() {
            (ph.weight_fraction, ph.weight_fraction_esd) = w.weighed.fractions[p];
            ph.weight_fraction_uncorrected = w.uncorrected.as_ref().map(|u| u[p]);
        }
        self.detection_limits(model, data, fit, free, &stats, &w, &mut phases);
        let references = self.reference_results(model, values, &stats, &w);
        let l = &model.layout;
        let Quality {
            chi2_sum,
            dof,
            rp,
            rwp,
            rexp,
            durbin_watson,
            esd_factor,
            ..
        } = stats.quality;
        Ok(Refinement {
            phases,
            rp,
            rwp,
            rexp,
            chi2: chi2_sum / dof,
            gof: rwp / rexp,
            durbin_watson,
            esd_factor,
            background_check,
            instrument: model.instrument(
                values,
                self.params.instrument_standard || self.instrument.refined,
            ),
            displacement: values[l.displacement],
            displacement_along: l.displacement_along.map(|i| values[i]),
            parameters: stats.parameters,
            warnings,
            iterations,
            stop,
            points: data.y.len(),
            refined: free.len(),
            two_theta: model.tt.clone(),
            observed: data.y.clone(),
            calculated: f,
            background: parts.background,
            phase_curves: parts.phases,
            references,
            reference_curves: parts.references,
            amorphous: w.weighed.rest.map(|(r, _)| r.max(0.0)),
            restraints: model
                .restraints
                .iter()
                .map(|r| r.result(model, values))
                .collect(),
        })
    }

    /// Quality, the covariance of the parameters refined last, their values with esds, and
    /// warnings for parameters without effect, strongly correlated or stopped at a bound.
    fn statistics(
        &self,
        model: &Model,
        data: &Data,
        state: &FitState,
        free: &[usize],
        f: &[f64],
        warnings: &mut Vec<String>,
    ) -> Result<Statistics> {
        let values = &state.values[..];
        let quality = Quality::of(&data.y, f, &data.w, free.len());
        let constraints = Constraints::select(model.table.len(), free);
        let fit = Fit::new(model, &state.choices, data, &constraints, values);
        let (j, r, _) = fit.at_start();
        let mut normal = j.tr_mul(&j);
        let mut grad = j.tr_mul(&r);
        let inert = lm::hold_inert(&mut normal, &mut grad);
        let inverse = normal
            .clone()
            .cholesky()
            .map(|c| c.inverse())
            .ok_or_else(|| Error::Singular(fit.indistinguishable(&normal)))?;
        let table = &model.table;
        for &c in &inert {
            warnings.push(format!(
                "`{}` has no effect on the pattern at its value",
                constraints.name(table, c)
            ));
        }
        use crate::parameter::Id;
        let np = free.len();
        // Pairs of the instrument's widths with each other or with a phase's broadening that
        // the data cannot tell apart: what an instrument file would settle.
        let mut traded = Vec::new();
        let width = |i: usize| {
            constraints
                .members(i)
                .any(|k| matches!(table[k].id, Id::Width(_)))
        };
        let broadening = |i: usize| {
            constraints
                .members(i)
                .any(|k| matches!(table[k].id, Id::Width(_) | Id::Size(_) | Id::Strain(_)))
        };
        for a in 0..np {
            for b in a + 1..np {
                let r = inverse[(a, b)] / (inverse[(a, a)] * inverse[(b, b)]).sqrt();
                if r.abs() > self.params.max_correlation {
                    let (na, nb) = (constraints.name(table, a), constraints.name(table, b));
                    if (width(a) || width(b)) && broadening(a) && broadening(b) {
                        traded.push(format!("`{na}` and `{nb}` ({r:+.3})"));
                    }
                    warnings.push(format!("`{na}` and `{nb}` are correlated ({r:+.3})"));
                }
            }
        }
        let at_bound = |i: usize| table[i].at_bound(values[i]);
        for &i in free {
            if at_bound(i) {
                let key = &table[i].key;
                warnings.push(format!("`{key}` stopped at a bound ({})", values[i]));
            }
        }
        let widths_bounded = free
            .iter()
            .any(|&i| at_bound(i) && matches!(table[i].id, Id::Width(_)));
        if (widths_bounded || !traded.is_empty())
            && !self.instrument.refined
            && !self.params.instrument_standard
        {
            let what = if widths_bounded {
                "the instrument's peak widths ran to a bound".to_string()
            } else {
                format!("the data cannot tell {}", traded.join(", "))
            };
            warnings.push(format!("{what}: {INSTRUMENT_ADVICE}"));
        }
        let covariance = Covariance {
            constraints,
            inverse,
            inert,
            scale: quality.covariance_scale(),
        };
        let parameters = table
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let refined = covariance.constraints.is_free(i);
                ParameterValue {
                    id: p.key.clone(),
                    value: values[i],
                    esd: covariance.esd(i),
                    refined,
                    at_bound: refined && at_bound(i),
                }
            })
            .collect();
        Ok(Statistics {
            quality,
            covariance,
            parameters,
        })
    }

    /// Each phase's cell with esds, size, strain, texture, ticks and extracted intensities;
    /// the weights are filled in later.
    fn phase_results(
        &self,
        model: &Model,
        fit: &FitState,
        stats: &Statistics,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<PhaseResult>> {
        let values = &fit.values[..];
        let textured = fit.choices.directions();
        let l = &model.layout;
        let lambda = model.lines[0].0;
        let range = model.tt[0]..=model.tt[model.tt.len() - 1];
        let mut phases = Vec::with_capacity(self.phases.len());
        for (p, ph) in self.phases.iter().enumerate() {
            let pi = &l.phases[p];
            let pm = &model.phases[p];
            let cell_values = &values[pi.cell.clone()];
            let lattice = pm.cell.lattice(cell_values)?;
            let cell_cov: Vec<Vec<f64>> = pi
                .cell
                .clone()
                .map(|a| pi.cell.clone().map(|b| stats.covariance.of(a, b)).collect())
                .collect();
            let (cell, cell_esd) = pm.cell.parameters(cell_values, &cell_cov)?;
            let size = values[pi.size];
            let size_nm = (size > MIN_SIZE_BROADENING)
                .then(|| xrd_sim::powder::SCHERRER_K * lambda / size.to_radians() / 10.0);
            let ticks = pm
                .peaks
                .iter()
                .filter_map(|pk| {
                    let th = pk.theta(cell_values, model.radiation)?;
                    Some((2.0 * th.to_degrees() + model.shift(values, th), pk.hkl))
                })
                .filter(|(t, _)| range.contains(t))
                .collect();
            let kind = match ph.intensities() {
                Intensities::Structure => PhaseKind::Structure,
                Intensities::Extracted => PhaseKind::Pawley,
                Intensities::Calibrated { .. } => PhaseKind::Ponkcs,
            };
            // Only reflections the data could set: those inside the refined range.
            let extracted = if kind == PhaseKind::Pawley {
                pm.peaks
                    .iter()
                    .enumerate()
                    .filter(|(_, pk)| {
                        pk.theta(cell_values, model.radiation).is_some_and(|th| {
                            range.contains(&(2.0 * th.to_degrees() + model.shift(values, th)))
                        })
                    })
                    .flat_map(|(k, pk)| {
                        pk.members
                            .iter()
                            .enumerate()
                            .map(move |(j, m)| CalibratedPeak {
                                hkl: m.hkl,
                                intensity: fit.choices.member_f2(model, p, k, j),
                            })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            warnings.extend(phase_warnings(ph, kind));
            if let Some(a) = &pm.atoms {
                warnings.extend(a.notes.iter().map(|n| format!("{}: {n}", ph.name())));
            }
            let cov = |x: usize, y: usize| stats.covariance.of(x, y);
            let sites = pm
                .atoms
                .as_ref()
                .map(|a| site_results(a, values, pi.sites.start, &cov, &lattice))
                .unwrap_or_default();
            let (bonds, angles) = pm
                .atoms
                .as_ref()
                .map(|a| super::geometry::bonds_and_angles(a, &pm.cell, pi, values, &cov))
                .unwrap_or_default();
            let trades = overlap(model, &stats.covariance, p);
            phases.push(PhaseResult {
                sites,
                bonds,
                angles,
                r_bragg: None,
                r_f: None,
                kind,
                extracted,
                name: ph.name().to_string(),
                formula: if ph.has_chemistry() {
                    ph.structure().formula()
                } else {
                    String::new()
                },
                space_group: ph.space_group(),
                weight_fraction: 0.0,
                weight_fraction_esd: 0.0,
                cell,
                cell_esd,
                volume: lattice.volume(),
                size_nm,
                strain: values[pi.strain].to_radians() / 4.0,
                texture: textured[p]
                    .filter(|_| !fit.choices.harmonics(p))
                    .map(|d| (d, values[pi.texture])),
                overlap: trades
                    .clone()
                    .filter(|o| o.correlation.abs() > OVERLAP_CORRELATION),
                trades,
                texture_harmonics: model.harmonic_range(&fit.choices, values, p).map(|range| {
                    if range.0 <= 0.0 {
                        warnings.push(format!(
                            "{}: the harmonic texture weighs some reflections at {:.2}, not a \
                             physical pole density; try a lower order",
                            ph.name(),
                            range.0
                        ));
                    }
                    HarmonicTexture {
                        order: self.params.texture_harmonics,
                        weight_range: range,
                    }
                }),
                b_overall: values[pi.b],
                scale: values[pi.scale],
                cell_mass: pm.cell_mass,
                ticks,
                absent: fit.absent[p],
                detection_limit: None,
                hydrogen_added: if ph.has_chemistry() {
                    ph.missing_hydrogen()
                } else {
                    0.0
                },
                weight_fraction_uncorrected: None,
            });
        }
        Ok(phases)
    }

    /// Hill & Howard's weights, w ∝ S·ZM·V, with Brindley's microabsorption correction when a
    /// particle size is given (else a warning when it would matter), the references' weights
    /// from their RIRs, and an internal standard's scaling; esds from the scales' covariance.
    fn weights(
        &self,
        model: &Model,
        values: &[f64],
        phases: &[PhaseResult],
        stats: &Statistics,
        warnings: &mut Vec<String>,
    ) -> Result<Weights> {
        let l = &model.layout;
        // A Pawley phase's scale carries no weight: its intensities are the data's.
        let zmv: Vec<f64> = self
            .phases
            .iter()
            .zip(phases)
            .map(|(ph, r)| {
                if *ph.intensities() == Intensities::Extracted {
                    0.0
                } else {
                    r.cell_mass * r.volume
                }
            })
            .collect();
        let mut scales: Vec<usize> = l.phases.iter().map(|pi| pi.scale).collect();
        let s: Vec<f64> = scales.iter().map(|&i| values[i]).collect();
        let corrected = self.microabsorption(model, values, phases, &s, &zmv, warnings)?;
        let uncorrected = corrected.as_ref().map(|_| hill_howard(&s, &zmv));
        let zmv_raw = zmv.clone();
        let mut k = corrected.unwrap_or(zmv);
        // The references after the phases: S·ZMV per unit of their scale is rir_scale / RIR;
        // a background shape has no weight.
        for (r, &(scale, _)) in self.references.iter().zip(&l.references) {
            scales.push(scale);
            k.push(if r.is_background() {
                0.0
            } else {
                self.rir_scale.unwrap_or(0.0) / r.rir
            });
        }
        let all: Vec<f64> = scales.iter().map(|&i| values[i]).collect();
        // The uncorrected fractions, absolute beside a standard as the corrected ones are (the
        // standard's own then is its weighed fraction).
        let uncorrected = match (uncorrected, self.standard) {
            (Some(_), Some(standard)) if standard.0 < s.len() => {
                let raw = &zmv_raw;
                let none = |_: usize, _: usize| 0.0;
                weights::weigh(&s, raw, &none, Some(standard))
                    .map(|w| w.fractions.iter().map(|f| f.0).collect())
            }
            (u, _) => u,
        };
        let cov = |a: usize, b: usize| stats.covariance.of(scales[a], scales[b]);
        // Nothing weighs (every scale refined to zero, or the standard's): no fractions, and
        // detection limits as large as the basis is small (a phase's capped at 1).
        let weighed = weights::weigh(&all, &k, &cov, self.standard).unwrap_or_else(|| {
            warnings.push(match self.standard {
                Some(_) => "the internal standard refined to zero: no weight fractions".to_string(),
                None => "every scale refined to zero: no weight fractions".to_string(),
            });
            Weighed {
                fractions: vec![(0.0, 0.0); all.len()],
                rest: None,
                basis: f64::MIN_POSITIVE,
            }
        });
        Ok(Weights {
            weighed,
            k,
            uncorrected,
        })
    }

    /// Brindley's microabsorption correction of each phase's Z·M·V with the particle size
    /// given ([`Refiner::particle_size`], [`Phase::with_particle_size`]); none without one (the
    /// pattern cannot tell the diameter from the scale), but a warning when the correction at
    /// [`SENSITIVITY_PARTICLE_SIZE`] would move a fraction by more than
    /// [`MICROABSORPTION_WARNING`].
    fn microabsorption(
        &self,
        model: &Model,
        values: &[f64],
        phases: &[PhaseResult],
        s: &[f64],
        zmv: &[f64],
        warnings: &mut Vec<String>,
    ) -> Result<Option<Vec<f64>>> {
        let l = &model.layout;
        let given =
            self.particle_size.is_some() || self.phases.iter().any(|p| p.particle_size().is_some());
        let sizes: Vec<f64> = self
            .phases
            .iter()
            .map(|p| p.particle_size().or(self.particle_size).unwrap_or(0.0))
            .collect();
        // A phase known only by its cell has no absorption to correct with.
        let chemistry = self.phases.iter().all(Phase::has_chemistry) && self.references.is_empty();
        if !chemistry && given && sizes.iter().any(|&d| d > 0.0) {
            warnings.push(
                "no microabsorption correction: a phase or reference has no known composition"
                    .to_string(),
            );
        }
        let correcting = sizes.iter().any(|&d| d > 0.0);
        if !(chemistry && (correcting || !given && self.phases.len() > 1)) {
            return Ok(None);
        }
        let mut mu = Vec::new();
        let mut rho = Vec::new();
        for (p, ph) in self.phases.iter().enumerate() {
            let lattice = model.phases[p]
                .cell
                .lattice(&values[l.phases[p].cell.clone()])?;
            let structure = ph.structure().clone().with_lattice(lattice);
            match crate::absorption::linear_absorption(&structure, model.radiation) {
                Ok(m) => mu.push(m),
                // A wavelength without tabulated absorption: no correction to offer.
                Err(_) if !given => return Ok(None),
                Err(e) => return Err(e),
            }
            rho.push(crate::absorption::density(
                phases[p].cell_mass,
                phases[p].volume,
            ));
        }
        if correcting {
            // Radius in cm.
            let radius: Vec<f64> = sizes.iter().map(|d| d * 0.5e-4).collect();
            return crate::absorption::corrected(s, zmv, &mu, &rho, &radius).map(Some);
        }
        let radius = vec![SENSITIVITY_PARTICLE_SIZE * 0.5e-4; mu.len()];
        let alt = crate::absorption::corrected(s, zmv, &mu, &rho, &radius)?;
        let (w0, w1) = (hill_howard(s, zmv), hill_howard(s, &alt));
        let largest = w0
            .iter()
            .zip(&w1)
            .map(|(a, b)| b - a)
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
        if let Some((p, d)) = largest
            && d.abs() > MICROABSORPTION_WARNING
        {
            warnings.push(format!(
                "the phases absorb very differently: with {SENSITIVITY_PARTICLE_SIZE} µm \
                 particles, Brindley's microabsorption correction would move {} by {:+.1} wt% \
                 points (not applied: give the particle size to correct)",
                self.phases[p].name(),
                100.0 * d
            ));
        }
        Ok(None)
    }

    /// An absent phase's detection limit: the weight of [`DETECTION_SIGMAS`] esds of its
    /// scale freed at zero beside the parameters refined.
    #[allow(clippy::too_many_arguments)]
    fn detection_limits(
        &self,
        model: &Model,
        data: &Data,
        fit: &FitState,
        free: &[usize],
        stats: &Statistics,
        w: &Weights,
        phases: &mut [PhaseResult],
    ) {
        for (p, ph) in phases.iter_mut().enumerate() {
            if !ph.absent {
                continue;
            }
            let s = model.layout.phases[p].scale;
            let mut with: Vec<usize> = free.to_vec();
            with.push(s);
            with.sort_unstable();
            let with_scale = Constraints::select(model.table.len(), &with);
            let (j, r, _) =
                Fit::new(model, &fit.choices, data, &with_scale, &fit.values).at_start();
            let mut normal = j.tr_mul(&j);
            let mut grad = j.tr_mul(&r);
            lm::hold_inert(&mut normal, &mut grad);
            let k = with.iter().position(|&i| i == s).unwrap_or(0);
            let var = normal.cholesky().map_or(f64::INFINITY, |c| {
                c.inverse()[(k, k)] * stats.covariance.scale
            });
            let limit = weights::detection_limit(
                DETECTION_SIGMAS,
                var.max(0.0).sqrt(),
                w.k[p],
                w.weighed.basis,
            );
            ph.detection_limit = Some(limit.min(1.0));
        }
    }

    /// Each measured reference's scale, shift, weight and detection limit.
    fn reference_results(
        &self,
        model: &Model,
        values: &[f64],
        stats: &Statistics,
        w: &Weights,
    ) -> Vec<ReferenceResult> {
        let np = self.phases.len();
        self.references
            .iter()
            .zip(&model.layout.references)
            .enumerate()
            .map(|(j, (r, &(scale, shift)))| {
                let scale_esd = stats.covariance.esd(scale);
                let (weight_fraction, weight_fraction_esd) = w.weighed.fractions[np + j];
                ReferenceResult {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    rir: r.rir,
                    background: r.is_background(),
                    scale: values[scale],
                    scale_esd,
                    shift: values[shift],
                    shift_esd: stats.covariance.esd(shift),
                    weight_fraction,
                    weight_fraction_esd,
                    detection_limit: weights::detection_limit(
                        DETECTION_SIGMAS,
                        scale_esd,
                        w.k[np + j],
                        w.weighed.basis,
                    ),
                    detected: values[scale] > DETECTION_SIGMAS * scale_esd,
                    standard: self.standard.is_some_and(|(s, _)| s == np + j),
                }
            })
            .collect()
    }
}

/// Warnings about a phase itself: hydrogen added to its mass, a Pawley phase's lack of weight.
fn phase_warnings(ph: &Phase, kind: PhaseKind) -> Vec<String> {
    let mut out = Vec::new();
    if ph.has_chemistry() && ph.missing_hydrogen() > 0.0 {
        out.push(format!(
            "`{}` has no H sites: {} H per cell added to its formula mass by charge \
             balance (Hill–Howard weight; not to its scattering)",
            ph.name(),
            ph.missing_hydrogen()
        ));
    }
    if kind == PhaseKind::Pawley {
        out.push(format!(
            "`{}` is a Pawley phase: it has no weight fraction, and the others' are \
             fractions of the rest (an internal standard makes them absolute)",
            ph.name()
        ));
    }
    out
}
