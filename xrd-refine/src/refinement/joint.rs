//! Several patterns, one structure: a joint Rietveld refinement (X-ray and neutron, two banks,
//! two wavelengths). Each pattern keeps its own scale, background, profile, zero and cell (its
//! wavelength's calibration puts each cell a little apart: a per-pattern cell is the general
//! form of GSAS-II's hydrostatic strain per histogram); the site parameters of each phase,
//! named alike in every pattern, are one set of variables.
//!
//! The plan: each pattern is refined alone through the stages before [`Stage::Atoms`], then
//! every pattern's last-stage parameters and the shared site parameters together, in one
//! least-squares problem whose residuals are the patterns' weighted residuals stacked.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use xrd_core::Control;
use xrd_io::{Pattern, Wavelength};

use super::{Refinement, Refiner, Run};
use crate::constraints::Column;
use crate::fit::{self, Data};
use crate::lm::{self, Halt, LevenbergMarquardt, Problem, Stop};
use crate::model::Model;
use crate::parameter::{Id, ParamId};
use crate::params::Stage;
use crate::state::{Choices, FitState};
use crate::{Error, Result};

/// A joint refinement of several patterns of one sample.
///
/// ```no_run
/// use xrd_refine::{gsas, Joint, Phase, RefineParams, Refiner, Stage};
/// use xrd_sim::Structure;
/// let phase = Phase::new("PbSO4", Structure::from_file("PbSO4-Wyckoff.cif")?)?;
/// let plan = RefineParams::new().stages(Stage::STRUCTURE.to_vec());
/// let mut joint = Joint::new();
/// for (file, prm, range) in [("PBSO4.XRA", "INST_XRY.PRM", (16.0, 110.0)),
///                            ("PBSO4.CWN", "inst_d1a.prm", (19.0, 120.0))] {
///     let g = gsas::read_instrument(prm)?;
///     let refiner = Refiner::new(vec![phase.clone()])
///         .instrument(g.instrument)
///         .params(plan.clone().two_theta_range(Some(range)));
///     joint = joint.histogram(refiner, xrd_io::read(file)?.remove(0), g.wavelength);
/// }
/// let fit = joint.fit()?;
/// for h in &fit.histograms {
///     println!("Rwp {:.2} %", 100.0 * h.rwp);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Joint {
    histograms: Vec<(Refiner, Pattern, Wavelength)>,
    control: Control,
}

/// What a joint refinement gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointRefinement {
    /// Each pattern's refinement, in the order given: its curves, R factors, parameters and
    /// phases (whose sites, shared, carry the joint fit's esds).
    pub histograms: Vec<Refinement>,
    /// The weighted R factor of all the patterns together.
    pub rwp: f64,
    /// Least-squares iterations of the joint stage.
    pub iterations: usize,
    /// Why the joint stage stopped.
    pub stop: Stop,
    /// What the joint stage found worth saying: parameters it could not tell apart.
    pub warnings: Vec<String>,
    /// Each later pattern's hydrostatic strain of each phase against the first pattern's
    /// cell: its lengths are the first's times 1 + ε.
    pub hydrostatic: Vec<HydrostaticStrain>,
}

/// A pattern's hydrostatic strain of one phase in a joint refinement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HydrostaticStrain {
    /// The pattern (0-based; never the first).
    pub pattern: usize,
    /// The phase's name.
    pub phase: String,
    /// ε: the cell's lengths are the first pattern's times 1 + ε.
    pub strain: f64,
    /// Its standard uncertainty.
    pub esd: f64,
}

/// Bounds of a hydrostatic scale of the reciprocal metric (±5 %, about ±2.5 % in length).
const HYDROSTATIC_BOUNDS: (f64, f64) = (0.95, 1.05);

/// A later pattern's cell parameter: the first pattern's times a scale of its own.
#[derive(Debug, Clone, Copy)]
struct Product {
    pattern: usize,
    param: usize,
    /// The variable of the first pattern's parameter.
    cell: usize,
    /// The variable of the scale.
    scale: usize,
}

/// A later pattern's hydrostatic scale of one phase's reciprocal metric.
#[derive(Debug, Clone, Copy)]
struct Hydrostatic {
    pattern: usize,
    phase: usize,
    var: usize,
    start: f64,
}

/// One pattern, prepared.
struct Prepared {
    model: Model,
    data: Data,
    fit: FitState,
    free: Vec<usize>,
    effort: (usize, Stop),
}

impl Joint {
    /// No pattern yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pattern, refined by `refiner` (its phases, instrument, range and plan; the plan
    /// must end in [`Stage::Atoms`], and every pattern's phases must be named alike) at
    /// `wavelength`.
    #[must_use]
    pub fn histogram(mut self, refiner: Refiner, pattern: Pattern, wavelength: Wavelength) -> Self {
        self.histograms.push((refiner, pattern, wavelength));
        self
    }

    /// A control to report progress to and to cancel by (each pattern's refiner keeps its own
    /// for its stages alone).
    #[must_use]
    pub fn control(mut self, control: Control) -> Self {
        self.control = control;
        self
    }

    fn check(&self) -> Result<()> {
        let Some((first, ..)) = self.histograms.first() else {
            return Err(crate::error::invalid(
                "histograms",
                "need at least one pattern",
            ));
        };
        let names = |r: &Refiner| -> Vec<String> {
            r.phases.iter().map(|p| p.name().to_string()).collect()
        };
        for (k, (r, ..)) in self.histograms.iter().enumerate() {
            if r.params.last_stage() != Stage::Atoms {
                return Err(crate::error::invalid(
                    "stages",
                    format!(
                        "pattern {}: a joint refinement refines the structure; its plan must end \
                         with the atoms stage",
                        k + 1
                    ),
                ));
            }
            if names(r) != names(first) {
                return Err(crate::error::invalid(
                    "phases",
                    format!(
                        "pattern {} refines {:?}, pattern 1 {:?}: every pattern needs the same \
                         phases, named alike",
                        k + 1,
                        names(r),
                        names(first)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Refines every pattern alone up to the atoms stage, then all together.
    ///
    /// # Errors
    /// A plan that does not end with [`Stage::Atoms`], patterns with other phases, and
    /// whatever [`Refiner::fit`] refuses of each pattern.
    pub fn fit(&self) -> Result<JointRefinement> {
        self.check()?;
        let mut prepared = Vec::with_capacity(self.histograms.len());
        for (k, (refiner, pattern, wavelength)) in self.histograms.iter().enumerate() {
            self.control.check()?;
            let mut p = refiner.before_atoms(pattern, *wavelength)?;
            // The restraints hold the one shared structure: counted once, with the first
            // pattern's.
            if k > 0 {
                p.model.restraints.clear();
            }
            // Every pattern after the first: an overall displacement of its own, relative to the
            // shared sites' U, for what falls off with angle in one pattern and not the other
            // (a polarisation or absorption not modelled, X-ray form factors against neutron
            // lengths); the first pattern's sets the U. On PbSO4 it brought the worst site from
            // 0.032 to 0.027 Å of the single crystal's, whichever pattern came first.
            if k > 0 {
                for (i, t) in p.model.table.iter().enumerate() {
                    if matches!(t.id, Id::B(_)) && !p.free.contains(&i) {
                        p.free.push(i);
                    }
                }
            }
            prepared.push(p);
        }
        // The variables: each pattern's free parameters its own, the sites' shared by name, and
        // every later pattern's cell the first's times a hydrostatic scale of its own.
        let mut vars: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut shared: Vec<(ParamId, usize)> = Vec::new();
        let mut columns: Vec<Vec<Column>> = Vec::with_capacity(prepared.len());
        let mut products: Vec<Product> = Vec::new();
        let mut hydrostatic: Vec<Hydrostatic> = Vec::new();
        for (h, p) in prepared.iter().enumerate() {
            let mut cols = vec![None; p.model.table.len()];
            for &i in &p.free {
                let param = &p.model.table[i];
                if let (Id::Cell(phase, _), true) = (param.id, h > 0) {
                    let first = &prepared[0];
                    let leader = first
                        .free
                        .iter()
                        .copied()
                        .find(|&k| first.model.table[k].key == param.key)
                        .and_then(|k| columns[0][k].map(|(v, _)| (k, v)));
                    if let Some((k, g)) = leader {
                        let scale = match hydrostatic
                            .iter()
                            .find(|s| s.pattern == h && s.phase == phase)
                        {
                            Some(s) => s.var,
                            None => {
                                vars.push(Vec::new());
                                let start = p.fit.values[i] / first.fit.values[k];
                                hydrostatic.push(Hydrostatic {
                                    pattern: h,
                                    phase,
                                    var: vars.len() - 1,
                                    start,
                                });
                                vars.len() - 1
                            }
                        };
                        products.push(Product {
                            pattern: h,
                            param: i,
                            cell: g,
                            scale,
                        });
                        continue;
                    }
                }
                let v = match param.id {
                    Id::Site(..) => match shared.iter().find(|(k, _)| *k == param.key) {
                        Some(&(_, v)) => v,
                        None => {
                            shared.push((param.key.clone(), vars.len()));
                            vars.push(Vec::new());
                            vars.len() - 1
                        }
                    },
                    _ => {
                        vars.push(Vec::new());
                        vars.len() - 1
                    }
                };
                vars[v].push((h, i));
                cols[i] = Some((v, 1.0));
            }
            columns.push(cols);
        }
        // A shared parameter starts from the first pattern's value; a hydrostatic scale from
        // the ratio of the cells the patterns were refined to alone.
        let hydro = |v: usize| hydrostatic.iter().find(|s| s.var == v);
        let mut x: Vec<f64> = vars
            .iter()
            .enumerate()
            .map(|(v, members)| match (hydro(v), members.first()) {
                (Some(s), _) => s.start,
                (None, Some(&(h, i))) => prepared[h].fit.values[i],
                (None, None) => 0.0,
            })
            .collect();
        let bounds = vars
            .iter()
            .enumerate()
            .map(|(v, members)| match (hydro(v), members.first()) {
                (Some(_), _) => HYDROSTATIC_BOUNDS,
                (None, Some(&(h, i))) => {
                    let p = &prepared[h].model.table[i];
                    (p.lo, p.hi)
                }
                (None, None) => (f64::NEG_INFINITY, f64::INFINITY),
            })
            .collect();
        let shifts = vars
            .iter()
            .map(|members| match members.first() {
                Some(&(h, i)) => prepared[h].model.table[i].id.max_shift(),
                None => f64::INFINITY,
            })
            .collect();
        // Each pattern's evaluation columns: its own and shared parameters' variables, then one
        // temporary column per cell parameter that follows the first pattern's, folded after.
        let m = vars.len();
        let mut evaluation = columns.clone();
        for (q, pr) in products.iter().enumerate() {
            evaluation[pr.pattern][pr.param] = Some((m + q, 1.0));
        }
        let problem = JointProblem {
            prepared: &prepared,
            vars: &vars,
            columns: &columns,
            evaluation: &evaluation,
            products: &products,
            hydrostatic: &hydrostatic,
            bounds,
            shifts,
        };
        let params = &self.histograms[0].0.params;
        let solver = LevenbergMarquardt {
            control: self.control.silent(),
            ..LevenbergMarquardt::new(params.max_iterations.max(20), params.tolerance)
        };
        let solved = solver.minimise(&problem, &mut x);
        let values = problem.values_at(&x);
        let solved = solved.map_err(|halt| match halt {
            Halt::NotFinite(normal) => {
                Error::Singular(lm::indistinguishable(&normal, |c| problem.name(c)))
            }
            Halt::Cancelled => Error::Cancelled(xrd_core::Cancelled),
        })?;
        // The joint covariance, for the shared sites' esds and the correlations.
        let (j, r, chi2) = problem.jacobian(&x);
        let n_points: usize = prepared.iter().map(|p| p.data.y.len()).sum();
        let mut normal = j.tr_mul(&j);
        let mut grad = j.tr_mul(&r);
        let inert = lm::hold_inert(&mut normal, &mut grad);
        let inverse = normal
            .clone()
            .try_inverse()
            .unwrap_or_else(|| DMatrix::zeros(normal.nrows(), normal.ncols()));
        let dof = n_points.saturating_sub(x.len()).max(1) as f64;
        let scale = chi2 / dof;
        let cov = |a: usize, b: usize| {
            if inert.contains(&a) || inert.contains(&b) {
                0.0
            } else {
                inverse[(a, b)] * scale
            }
        };
        let mut warnings = Vec::new();
        let max_correlation = params.max_correlation;
        for a in 0..x.len() {
            for b in a + 1..x.len() {
                let r = cov(a, b) / (cov(a, a) * cov(b, b)).sqrt();
                if r.abs() > max_correlation {
                    warnings.push(format!(
                        "`{}` and `{}` correlate at {r:.3}: the data hardly tell them apart",
                        problem.name(a),
                        problem.name(b)
                    ));
                }
            }
        }
        let prepared_names: Vec<Vec<String>> = prepared
            .iter()
            .map(|p| p.model.phases.iter().map(|ph| ph.name.clone()).collect())
            .collect();
        let mut histograms = Vec::with_capacity(prepared.len());
        let (mut num, mut den) = (0.0, 0.0);
        for (h, ((refiner, ..), mut p)) in self.histograms.iter().zip(prepared).enumerate() {
            p.fit.values = values[h].clone();
            let f = p.model.evaluate(&p.fit.choices, &p.fit.values, None, None);
            for ((y, w), f) in p.data.y.iter().zip(&p.data.w).zip(&f) {
                num += w * (y - f) * (y - f);
                den += w * y * y;
            }
            let effort = (p.effort.0 + solved.iterations, solved.stop);
            // Each pattern's own covariance for its own parameters; the shared sites' esds and
            // correlations are the joint fit's (alone, a pattern's relative B and the sites' U
            // are one).
            let own: Vec<usize> = p
                .free
                .iter()
                .copied()
                .filter(|&i| !matches!(p.model.table[i].id, Id::Site(..)))
                .collect();
            let mut refinement = refiner.report(&p.model, &p.data, &p.fit, &own, effort)?;
            // Shared sites: the joint fit's esds.
            let var_of = |i: usize| columns[h][i].map(|(v, _)| v);
            for (ph, pi) in refinement.phases.iter_mut().zip(&p.model.layout.phases) {
                let Some(atoms) = p.model.phases.iter().find(|m| m.name == ph.name) else {
                    continue;
                };
                let Some(atoms) = atoms.atoms.as_ref() else {
                    continue;
                };
                let joint_cov = |a: usize, b: usize| match (var_of(a), var_of(b)) {
                    (Some(va), Some(vb)) => cov(va, vb),
                    _ => 0.0,
                };
                let Some(m) = p.model.phases.iter().find(|m| m.name == ph.name) else {
                    continue;
                };
                let lattice = m.cell.lattice(&p.fit.values[pi.cell.clone()])?;
                ph.sites = super::report::site_results(
                    atoms,
                    &p.fit.values,
                    pi.sites.start,
                    &joint_cov,
                    &lattice,
                );
                {
                    (ph.bonds, ph.angles) = super::geometry::bonds_and_angles(
                        atoms,
                        &m.cell,
                        pi,
                        &p.fit.values,
                        &joint_cov,
                    );
                }
            }
            for pv in &mut refinement.parameters {
                if let Some(i) = p.model.table.iter().position(|t| t.key == pv.id)
                    && let Some(v) = var_of(i)
                {
                    pv.esd = cov(v, v).max(0.0).sqrt();
                }
            }
            histograms.push(refinement);
        }
        // s = (1 + ε)⁻²: the reciprocal metric scales as one over the lengths squared.
        let hydrostatic = hydrostatic
            .iter()
            .map(|s| {
                let v = x[s.var];
                HydrostaticStrain {
                    pattern: s.pattern,
                    phase: prepared_names[s.pattern][s.phase].clone(),
                    strain: v.powf(-0.5) - 1.0,
                    esd: 0.5 * v.powf(-1.5) * cov(s.var, s.var).max(0.0).sqrt(),
                }
            })
            .collect();
        Ok(JointRefinement {
            hydrostatic,
            histograms,
            rwp: (num / den.max(f64::MIN_POSITIVE)).sqrt(),
            iterations: solved.iterations,
            stop: solved.stop,
            warnings,
        })
    }
}

impl Refiner {
    /// The pattern refined through the stages of the plan before [`Stage::Atoms`], and the
    /// parameters the atoms stage frees.
    fn before_atoms(&self, pattern: &Pattern, wavelength: Wavelength) -> Result<Prepared> {
        self.check_inputs()?;
        let (tt, data) = self.measured(pattern)?;
        let model = self.prepare(tt, &data, wavelength)?;
        let before = self.params.clone().stages(
            self.params
                .stages
                .iter()
                .copied()
                .filter(|&s| s != Stage::Atoms)
                .collect(),
        );
        let (mut run, mut values) = Run::new(self, &model, &data, &before, FitState::cold(&model));
        if !before.stages.is_empty() {
            run.refine(&mut values, &self.phases)?;
        }
        let effort = (run.iterations, run.stop);
        // The atoms stage's parameters, under the whole plan.
        let (run, values) = Run::new(self, &model, &data, &self.params, run.into_state(values));
        let free = run.free(&values, Stage::Atoms);
        let fit = run.into_state(values);
        Ok(Prepared {
            model,
            data,
            fit,
            free,
            effort,
        })
    }
}

/// The stacked least-squares problem.
struct JointProblem<'a> {
    prepared: &'a [Prepared],
    /// Per variable, the (pattern, parameter) pairs that follow it.
    vars: &'a [Vec<(usize, usize)>],
    /// Per pattern, per parameter: its variable (none for one that follows a product).
    columns: &'a [Vec<Column>],
    /// Per pattern, per parameter: its column in an evaluation (products' beyond the
    /// variables).
    evaluation: &'a [Vec<Column>],
    products: &'a [Product],
    hydrostatic: &'a [Hydrostatic],
    bounds: Vec<(f64, f64)>,
    /// The largest step of each variable.
    shifts: Vec<f64>,
}

impl JointProblem<'_> {
    fn values_at(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut values: Vec<Vec<f64>> =
            self.prepared.iter().map(|p| p.fit.values.clone()).collect();
        for (v, members) in self.vars.iter().enumerate() {
            for &(h, i) in members {
                values[h][i] = x[v];
            }
        }
        for p in self.products {
            values[p.pattern][p.param] = x[p.cell] * x[p.scale];
        }
        values
    }

    /// A variable's name: its parameter's, and its pattern's number when it is one pattern's.
    fn name(&self, v: usize) -> String {
        if let Some(s) = self.hydrostatic.iter().find(|s| s.var == v) {
            let phase = &self.prepared[s.pattern].model.phases[s.phase].name;
            return format!("{phase}.cell.hydrostatic (pattern {})", s.pattern + 1);
        }
        let (h, i) = self.vars[v][0];
        let key = &self.prepared[h].model.table[i].key;
        if self.vars[v].len() > 1 || self.prepared.len() == 1 {
            key.to_string()
        } else {
            format!("{key} (pattern {})", h + 1)
        }
    }

    fn choices(&self, h: usize) -> &Choices {
        &self.prepared[h].fit.choices
    }
}

impl Problem for JointProblem<'_> {
    fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    fn max_shifts(&self) -> Option<&[f64]> {
        Some(&self.shifts)
    }

    fn chi2(&self, x: &[f64]) -> f64 {
        let values = self.values_at(x);
        let c: f64 = self
            .prepared
            .iter()
            .enumerate()
            .map(|(h, p)| fit::chi2(&p.model, self.choices(h), &values[h], &p.data))
            .sum();
        if c.is_finite() { c } else { f64::INFINITY }
    }

    fn jacobian(&self, x: &[f64]) -> (DMatrix<f64>, DVector<f64>, f64) {
        let values = self.values_at(x);
        let m = x.len();
        let restraints = &self.prepared[0].model.restraints;
        let rows: usize =
            self.prepared.iter().map(|p| p.data.y.len()).sum::<usize>() + restraints.len();
        let mut j = DMatrix::zeros(rows, m);
        let mut r = DVector::zeros(rows);
        let mut chi2 = 0.0;
        let mut row = 0;
        for (h, p) in self.prepared.iter().enumerate() {
            let n = p.data.y.len();
            let mut jh = DMatrix::zeros(n, m + self.products.len());
            let f = p.model.evaluate(
                self.choices(h),
                &values[h],
                Some((&self.evaluation[h], &mut jh)),
                None,
            );
            // A product's column into its two variables: ∂(g·s)/∂g = s, ∂(g·s)/∂s = g.
            for (q, pr) in self.products.iter().enumerate() {
                if pr.pattern != h {
                    continue;
                }
                for i in 0..n {
                    let d = jh[(i, m + q)];
                    jh[(i, pr.cell)] += x[pr.scale] * d;
                    jh[(i, pr.scale)] += x[pr.cell] * d;
                }
            }
            for i in 0..n {
                let sw = p.data.w[i].sqrt();
                r[row + i] = sw * (p.data.y[i] - f[i]);
                chi2 += r[row + i] * r[row + i];
                for c in 0..m {
                    j[(row + i, c)] = sw * jh[(i, c)];
                }
            }
            row += n;
        }
        for restraint in restraints {
            let mut jr = vec![0.0; m];
            let p = &self.prepared[0];
            let res = restraint.row(&p.model, &values[0], &self.columns[0], &mut jr);
            r[row] = res;
            chi2 += res * res;
            for (c, v) in jr.into_iter().enumerate() {
                j[(row, c)] = v;
            }
            row += 1;
        }
        (j, r, chi2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SiteResult;

    /// The sites of a refinement's phases.
    fn sites(r: &Refinement) -> Vec<SiteResult> {
        r.phases.iter().flat_map(|p| p.sites.clone()).collect()
    }
    use crate::{Instrument, Phase, RefineParams};
    use xrd_sim::{PowderParams, Profile, Simulator, Structure};

    const PBSO4: &str = "data_pbso4\n_cell_length_a 8.48\n_cell_length_b 5.398\n_cell_length_c 6.958\n\
        _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
        _symmetry_space_group_name_H-M 'P n m a'\n\
        loop_\n_space_group_symop_operation_xyz\nx,y,z\n1/2-x,1/2+y,1/2+z\nx,1/2-y,z\n1/2-x,-y,1/2+z\n\
        -x,-y,-z\n1/2+x,1/2-y,1/2-z\n-x,1/2+y,-z\n1/2+x,y,1/2-z\n\
        loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
        _atom_site_fract_z\n_atom_site_U_iso_or_equiv\n";

    fn structure(sites: &str) -> Structure {
        Structure::from_cif(&format!("{PBSO4}{sites}")).unwrap()
    }

    /// The true structure (anglesite's single-crystal sites) and a start 0.05–0.15 Å off.
    const TRUE: &str = "Pb Pb 0.18782 0.25 0.16722 0.019\nS S 0.0638 0.25 0.6837 0.008\n\
        O1 O 0.9079 0.25 0.5953 0.020\nO2 O 0.1921 0.25 0.5474 0.023\nO3 O 0.0809 0.0253 0.8091 0.015\n";
    const START: &str = "Pb Pb 0.1882 0.25 0.167 0.010\nS S 0.063 0.25 0.686 0.010\n\
        O1 O -0.095 0.25 0.600 0.010\nO2 O 0.181 0.25 0.543 0.010\nO3 O 0.085 0.026 0.806 0.010\n";

    /// A pattern of `s` at λ with counting noise of a fixed seed.
    fn pattern(s: &Structure, wavelength: Wavelength, seed: u64) -> Pattern {
        // f′, f″ as the refinement takes them.
        let anomalous = xrd_sim::Anomalous::at_line(wavelength);
        let sim = Simulator::new(
            PowderParams::new()
                .radiation(wavelength)
                .two_theta_range(15.0, 100.0)
                .anomalous(anomalous),
        )
        .unwrap();
        let grid = xrd_io::Grid::new(15.0, 0.03, 2834).unwrap();
        let peaks = sim.peaks(s).unwrap().scaled(20000.0);
        let y = sim
            .render(
                &peaks,
                &grid,
                &Profile::tch(0.004, -0.002, 0.004, 0.0, 0.02),
            )
            .unwrap();
        let mut state = seed;
        let noisy: Vec<f64> = y
            .iter()
            .map(|v| {
                // A portable LCG's uniform pair through Box–Muller.
                let mut u = || {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
                };
                let (a, b) = (u(), u());
                let g = (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos();
                let c = v + 100.0;
                (c + g * c.sqrt()).max(0.0)
            })
            .collect();
        Pattern::new(grid.positions(), noisy).unwrap()
    }

    /// Two synthetic X-ray patterns (Cu Kα and 0.8 Å, the second's cell 0.2 % longer)
    /// refined jointly from a start 0.01–0.15 Å off bring the sites back near the truth, one
    /// set of sites and one cell with the second pattern's hydrostatic strain.
    #[test]
    fn two_patterns_one_structure() {
        let truth = structure(TRUE);
        let start = structure(START);
        let phase = Phase::new("PbSO4", start).unwrap();
        let plan = RefineParams::new()
            .stages(Stage::STRUCTURE.to_vec())
            .background_terms(4);
        let mut joint = Joint::new();
        for (k, wl) in [
            Wavelength::CU_KA.without_alpha2(),
            Wavelength::synchrotron(0.8),
        ]
        .into_iter()
        .enumerate()
        {
            let refiner = Refiner::new(vec![phase.clone()])
                .instrument(Instrument::default())
                .params(plan.clone());
            // The second pattern's wavelength miscalibrated: its cell reads 0.2 % longer.
            let seen = if k == 0 {
                truth.clone()
            } else {
                let [a, b, c] = truth.lattice().lengths();
                let l = xrd_sim::Lattice::from_parameters(
                    a * 1.002,
                    b * 1.002,
                    c * 1.002,
                    90.0,
                    90.0,
                    90.0,
                )
                .unwrap();
                truth.clone().with_lattice(l)
            };
            joint = joint.histogram(refiner, pattern(&seen, wl, k as u64 + 1), wl);
        }
        let fit = joint.fit().unwrap();
        assert_eq!(fit.histograms.len(), 2);
        // One cell, the second pattern's hydrostatic strain found.
        let h = &fit.hydrostatic[0];
        assert_eq!((h.pattern, h.phase.as_str()), (1, "PbSO4"));
        assert!((h.strain - 0.002).abs() < 1e-4 && h.esd > 0.0, "{h:?}");
        let (a, b) = (sites(&fit.histograms[0]), sites(&fit.histograms[1]));
        assert_eq!(a, b, "one set of sites");
        let lattice = *truth.lattice();
        let want = crate::atoms::asymmetric_unit(&truth).unwrap().1;
        for (got, want) in a.iter().zip(&want) {
            let d = [0, 1, 2].map(|k| {
                let x = got.xyz[k] - want.frac[k];
                x - x.round()
            });
            let dist = xrd_sim::Lattice::cartesian(&lattice, d);
            let dist = (dist[0].powi(2) + dist[1].powi(2) + dist[2].powi(2)).sqrt();
            // Measured: Pb 0.0001, S 0.003, O 0.016–0.021 Å (oxygen beside lead, X-rays).
            let limit = if got.element == "O" { 0.03 } else { 0.006 };
            assert!(dist < limit, "{}: {dist:.4} Å off", got.label);
            assert!(got.xyz_esd.iter().any(|&e| e > 0.0));
        }
        for h in &fit.histograms {
            assert!(h.rwp < 0.05, "Rwp {}", h.rwp);
        }
    }

    /// A hard restraint holds its bond at the target; the refinement reports it; a restraint
    /// naming a site the phase lacks, or without the atoms stage, is refused by name.
    #[test]
    fn restraints_hold_and_bad_ones_are_named() {
        let truth = structure(TRUE);
        let phase = Phase::new("PbSO4", structure(START)).unwrap();
        let wl = Wavelength::CU_KA.without_alpha2();
        let p = pattern(&truth, wl, 3);
        let plan = RefineParams::new()
            .stages(Stage::STRUCTURE.to_vec())
            .background_terms(4);
        let hold = crate::Restraint::distance("PbSO4", "S", "O1", 1.40, 1e-4);
        let fit = Refiner::new(vec![phase.clone()])
            .params(plan.clone().restraints(vec![hold.clone()]))
            .fit(&p, wl)
            .unwrap();
        let r = &fit.restraints[0];
        assert!((r.value - 1.40).abs() < 0.005, "{r:?}");
        let bond = fit.phases[0]
            .bonds
            .iter()
            .find(|b| b.from == "S" && b.to == "O1")
            .unwrap();
        assert!((bond.distance - r.value).abs() < 1e-9, "{bond:?}");
        // Free, the same bond sits near the truth's 1.46 Å.
        let free = Refiner::new(vec![phase.clone()])
            .params(plan.clone())
            .fit(&p, wl)
            .unwrap();
        let b = free.phases[0]
            .bonds
            .iter()
            .find(|b| b.from == "S" && b.to == "O1")
            .unwrap();
        assert!((b.distance - 1.46).abs() < 0.03, "{b:?}");
        let missing = crate::Restraint::distance("PbSO4", "S", "O9", 1.4, 0.01);
        let e = Refiner::new(vec![phase.clone()])
            .params(plan.clone().restraints(vec![missing]))
            .fit(&p, wl)
            .unwrap_err();
        assert!(e.to_string().contains("no site `O9`"), "{e}");
        let e = Refiner::new(vec![phase])
            .params(RefineParams::new().restraints(vec![hold]))
            .fit(&p, wl)
            .unwrap_err();
        assert!(e.to_string().contains("atoms stage"), "{e}");
    }

    /// A partly occupied site (S at 0.85, its U held) is refined from full occupancy back
    /// to within 0.01 of the truth (a doped or vacant site quantified).
    #[test]
    fn an_occupancy_is_refined() {
        let truth = structure(
            "Pb Pb 0.18782 0.25 0.16722 0.019\nS S 0.0638 0.25 0.6837 0.008\n\
             O1 O 0.9079 0.25 0.5953 0.020\nO2 O 0.1921 0.25 0.5474 0.023\n\
             O3 O 0.0809 0.0253 0.8091 0.015\n",
        );
        let mut partial = truth.clone();
        for site in partial.sites_mut().iter_mut().filter(|s| s.label == "S") {
            site.occupancy = 0.85;
        }
        let wl = Wavelength::CU_KA.without_alpha2();
        let p = pattern(&partial, wl, 5);
        let phase = Phase::new("PbSO4", truth).unwrap();
        let plan = RefineParams::new()
            .stages(Stage::STRUCTURE.to_vec())
            .background_terms(4)
            .atoms(vec![
                crate::SiteParam::X,
                crate::SiteParam::Y,
                crate::SiteParam::Z,
                crate::SiteParam::Occupancy,
            ])
            .fixed(
                ["Pb", "O1", "O2", "O3"]
                    .iter()
                    .map(|l| format!("PbSO4.site.{l}.occ").parse().unwrap())
                    .collect(),
            );
        let fit = Refiner::new(vec![phase]).params(plan).fit(&p, wl).unwrap();
        let s = fit.phases[0].sites.iter().find(|s| s.label == "S").unwrap();
        // Measured: 0.8496 ± 0.0021.
        assert!((s.occupancy - 0.85).abs() < 0.01, "{s:?}");
        assert!(s.occupancy_esd > 0.0);
    }

    #[test]
    fn a_plan_without_atoms_and_other_phases_are_refused() {
        let phase = Phase::new("PbSO4", structure(START)).unwrap();
        let p = pattern(&structure(TRUE), Wavelength::CU_KA, 1);
        let plain = Refiner::new(vec![phase.clone()]);
        let e = Joint::new()
            .histogram(plain, p.clone(), Wavelength::CU_KA)
            .fit()
            .unwrap_err();
        assert!(e.to_string().contains("atoms stage"), "{e}");
        let plan = RefineParams::new().stages(Stage::STRUCTURE.to_vec());
        let other = Phase::new("anglesite", structure(START)).unwrap();
        let e = Joint::new()
            .histogram(
                Refiner::new(vec![phase]).params(plan.clone()),
                p.clone(),
                Wavelength::CU_KA,
            )
            .histogram(Refiner::new(vec![other]).params(plan), p, Wavelength::CU_KA)
            .fit()
            .unwrap_err();
        assert!(e.to_string().contains("same phases"), "{e}");
        assert!(Joint::new().fit().is_err());
    }
}
