//! The state of a fit, apart from the prepared model: the working values and what the fit
//! chose beside them (texture directions with their cos² tables, a Pawley phase's extracted
//! intensities, phases held absent, overall B held). A run mutates one [`FitState`]; the model
//! it evaluates stays as prepared, so one model serves many fits, and the state serialises as
//! the warm start [`State`].

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::Model;
use crate::parameter::ParamId;

/// A phase's March–Dollase texture: its direction, and per peak, per member, cos² of the
/// angle between the member's normal and the direction (at the cell it was set at).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Texture {
    pub direction: [i32; 3],
    pub cos2: Vec<Vec<f64>>,
}

/// A Pawley phase's intensities as extracted: per peak Σ|F|², and per peak, per member |F|².
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Extracted {
    pub peaks: Vec<f64>,
    pub members: Vec<Vec<f64>>,
}

/// What a fit chose per phase beside the values; a phase without a choice evaluates as
/// prepared (random powder, its structure's or calibration's intensities).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Choices {
    texture: Vec<Option<Texture>>,
    extracted: Vec<Option<Extracted>>,
    /// Whether each phase's spherical-harmonic texture is on (its coefficients then weigh
    /// its reflections in place of a March–Dollase direction).
    harmonics: Vec<bool>,
}

impl Choices {
    /// No choice for any phase of `model`.
    pub fn none(model: &Model) -> Self {
        Self {
            texture: vec![None; model.phases.len()],
            extracted: vec![None; model.phases.len()],
            harmonics: vec![false; model.phases.len()],
        }
    }

    /// Whether phase `p`'s harmonic texture is on.
    pub fn harmonics(&self, p: usize) -> bool {
        self.harmonics.get(p).copied().unwrap_or(false)
    }

    /// Turns phase `p`'s harmonic texture on or off.
    pub fn set_harmonics(&mut self, p: usize, on: bool) {
        if let Some(h) = self.harmonics.get_mut(p) {
            *h = on;
        }
    }

    /// Whether each phase's harmonic texture is on.
    pub fn harmonics_on(&self) -> Vec<bool> {
        self.harmonics.clone()
    }

    /// Phase `p`'s texture, if one is set.
    pub fn texture(&self, p: usize) -> Option<&Texture> {
        self.texture.get(p).and_then(Option::as_ref)
    }

    /// Sets the texture direction of phase `p` (none: random powder) at cell `values`.
    pub fn set_texture(
        &mut self,
        model: &Model,
        p: usize,
        direction: Option<[i32; 3]>,
        values: &[f64],
    ) {
        let Some(d) = direction else {
            self.texture[p] = None;
            return;
        };
        let ph = &model.phases[p];
        let g = ph
            .cell
            .coefficients(&values[model.layout.phases[p].cell.clone()]);
        // hᵀ G* k with G* from the six coefficients.
        let dot = |a: [i32; 3], b: [i32; 3]| {
            let (a, b) = (a.map(f64::from), b.map(f64::from));
            g[0] * a[0] * b[0]
                + g[1] * a[1] * b[1]
                + g[2] * a[2] * b[2]
                + g[3] / 2.0 * (a[1] * b[2] + a[2] * b[1])
                + g[4] / 2.0 * (a[0] * b[2] + a[2] * b[0])
                + g[5] / 2.0 * (a[0] * b[1] + a[1] * b[0])
        };
        let dd = dot(d, d);
        let cos2 = ph
            .peaks
            .iter()
            .map(|pk| {
                pk.members
                    .iter()
                    .map(|m| {
                        let hd = dot(m.hkl, d);
                        (hd * hd / (dot(m.hkl, m.hkl) * dd)).clamp(0.0, 1.0)
                    })
                    .collect()
            })
            .collect();
        self.texture[p] = Some(Texture { direction: d, cos2 });
    }

    /// Each phase's texture direction, where one is set.
    pub fn directions(&self) -> Vec<Option<[i32; 3]>> {
        self.texture
            .iter()
            .map(|t| t.as_ref().map(|t| t.direction))
            .collect()
    }

    /// Σ|F|² of peak `k` of phase `p`: as extracted, else as prepared.
    pub fn peak_f2(&self, model: &Model, p: usize, k: usize) -> f64 {
        match &self.extracted[p] {
            Some(e) => e.peaks[k],
            None => model.phases[p].peaks[k].f2,
        }
    }

    /// |F|² of member `j` of peak `k` of phase `p`: as extracted, else as prepared.
    pub fn member_f2(&self, model: &Model, p: usize, k: usize, j: usize) -> f64 {
        match &self.extracted[p] {
            Some(e) => e.members[k][j],
            None => model.phases[p].peaks[k].members[j].f2,
        }
    }

    /// Sets peak `k` of phase `p` to Σ|F|² `v`: its members keep their proportions, or share
    /// it equally when they had none.
    pub fn set_peak_f2(&mut self, model: &Model, p: usize, k: usize, v: f64) {
        let e = self.extracted[p].get_or_insert_with(|| prepared(model, p));
        let old = e.peaks[k];
        let members = &mut e.members[k];
        if old > 0.0 {
            members.iter_mut().for_each(|m| *m *= v / old);
        } else {
            let share = v / members.len().max(1) as f64;
            members.iter_mut().for_each(|m| *m = share);
        }
        e.peaks[k] = v;
    }

    /// Per phase, per peak, Σ|F|² as the fit stands.
    fn intensities(&self, model: &Model) -> Vec<Vec<f64>> {
        (0..model.phases.len())
            .map(|p| {
                (0..model.phases[p].peaks.len())
                    .map(|k| self.peak_f2(model, p, k))
                    .collect()
            })
            .collect()
    }
}

/// Phase `p`'s intensities as prepared.
fn prepared(model: &Model, p: usize) -> Extracted {
    let peaks = &model.phases[p].peaks;
    Extracted {
        peaks: peaks.iter().map(|pk| pk.f2).collect(),
        members: peaks
            .iter()
            .map(|pk| pk.members.iter().map(|m| m.f2).collect())
            .collect(),
    }
}

/// Everything a fit changes: the working values and the choices beside them.
#[derive(Debug, Clone)]
pub(crate) struct FitState {
    pub values: Vec<f64>,
    pub choices: Choices,
    /// Phases held at scale 0.
    pub absent: Vec<bool>,
    /// Phases whose overall B the data did not carry (held at the structure's).
    pub fixed_b: Vec<bool>,
    /// Phases refined by their scale alone, everything else of theirs held (a phase coming
    /// back in a series, until the data carry its cell).
    pub held_shape: Vec<bool>,
    /// Of those, the phases whose shape a series holds because their lines overlap another
    /// phase's (released only where the data carry it without a slide).
    pub overlap_held: Vec<bool>,
}

impl FitState {
    /// A cold start: the model's starting values, no choices.
    pub fn cold(model: &Model) -> Self {
        Self {
            values: model.starts(),
            choices: Choices::none(model),
            absent: vec![false; model.phases.len()],
            fixed_b: vec![false; model.phases.len()],
            held_shape: vec![false; model.phases.len()],
            overlap_held: vec![false; model.phases.len()],
        }
    }

    /// The state `state` (of the same model: `ids` its parameters) on `model`: the values,
    /// phases held absent at scale 0, B held, texture directions set again at the state's
    /// cells, a Pawley phase's intensities.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when the state is of another model.
    pub fn warm(model: &Model, ids: &[ParamId], state: &State, pawley: &[bool]) -> Result<Self> {
        let n = model.phases.len();
        if state.ids != ids
            || state.values.len() != ids.len()
            || state.absent.len() != n
            || state.textured.len() > n
        {
            return Err(crate::error::invalid(
                "state",
                "the warm start is of another model (other phases, settings or range)",
            ));
        }
        let mut fit = Self::cold(model);
        fit.values.clone_from(&state.values);
        fit.absent.clone_from(&state.absent);
        if state.fixed_b.len() == n {
            fit.fixed_b.clone_from(&state.fixed_b);
        }
        if state.held_shape.len() == n {
            fit.held_shape.clone_from(&state.held_shape);
        }
        if state.overlap_held.len() == n {
            fit.overlap_held.clone_from(&state.overlap_held);
        }
        for (p, &d) in state.textured.iter().enumerate().take(n) {
            // A direction kept at r = 1 changes nothing, and there March–Dollase's slope in r
            // vanishes (summed over a form's members): a warm fit would step blindly.
            if (fit.values[model.layout.phases[p].texture] - 1.0).abs() < 1e-12 {
                continue;
            }
            if d.is_some() {
                fit.choices.set_texture(model, p, d, &fit.values);
            }
        }
        for (p, &on) in state.harmonics.iter().enumerate().take(n) {
            if on && !model.layout.phases[p].harmonics.is_empty() {
                fit.choices.set_harmonics(p, true);
            }
        }
        for (p, f2) in state.intensities.iter().enumerate().take(n) {
            if pawley[p] && f2.len() == model.phases[p].peaks.len() {
                for (k, &v) in f2.iter().enumerate() {
                    fit.choices.set_peak_f2(model, p, k, v);
                }
            }
        }
        for (p, &a) in fit.absent.iter().enumerate() {
            if a {
                fit.values[model.layout.phases[p].scale] = 0.0;
            }
        }
        Ok(fit)
    }

    /// The state to serialise and start a warm fit from.
    pub fn state(&self, model: &Model) -> State {
        State {
            ids: model.table.keys(),
            values: self.values.clone(),
            textured: self.choices.directions(),
            intensities: self.choices.intensities(model),
            absent: self.absent.clone(),
            fixed_b: self.fixed_b.clone(),
            held_shape: self.held_shape.clone(),
            overlap_held: self.overlap_held.clone(),
            harmonics: if self.choices.harmonics_on().contains(&true) {
                self.choices.harmonics_on()
            } else {
                Vec::new()
            },
        }
    }
}

/// Where a refinement ended: every parameter's value, the texture directions kept, a Pawley
/// phase's intensities and the phases held absent. A sequential refinement starts each frame
/// from the state of the frame before ([`crate::Refiner::fit_warm`]); it serialises, so that
/// an interrupted series resumes where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The parameters, in the model's order (a state fits only the same model).
    ids: Vec<ParamId>,
    values: Vec<f64>,
    textured: Vec<Option<[i32; 3]>>,
    /// Each phase's reflection intensities |F|² (extracted for a Pawley phase).
    intensities: Vec<Vec<f64>>,
    absent: Vec<bool>,
    /// Phases whose overall B the data did not carry (held at the structure's).
    #[serde(default)]
    fixed_b: Vec<bool>,
    /// Phases refined by their scale alone ([`State::with_shape_held`]).
    #[serde(default)]
    held_shape: Vec<bool>,
    /// Of those, the ones held because their lines overlap another phase's
    /// ([`State::with_overlap_held`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    overlap_held: Vec<bool>,
    /// Phases whose harmonic texture is on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    harmonics: Vec<bool>,
}

impl State {
    /// Which phases are held absent.
    pub fn absent(&self) -> &[bool] {
        &self.absent
    }

    /// The state with phase `p` held absent (scale 0, not refined) or freed again; a phase
    /// freed from absence starts from the scale its curve takes in a linear fit.
    #[must_use]
    pub fn with_absent(mut self, p: usize, absent: bool) -> Self {
        if let Some(a) = self.absent.get_mut(p) {
            *a = absent;
        }
        // Whether the data carry its B was judged with the phase there; held absent, it is
        // judged again when it comes back (else a phase that came back kept the structure's
        // B for good).
        if absent && let Some(f) = self.fixed_b.get_mut(p) {
            *f = false;
        }
        self
    }

    /// The state with phase `p` refined by its scale alone (its cell, widths, B and texture
    /// held at their values) or freed again.
    #[must_use]
    pub fn with_shape_held(mut self, p: usize, held: bool) -> Self {
        if self.held_shape.len() < self.absent.len() {
            self.held_shape.resize(self.absent.len(), false);
        }
        if let Some(h) = self.held_shape.get_mut(p) {
            *h = held;
        }
        if !held && let Some(h) = self.overlap_held.get_mut(p) {
            *h = false;
        }
        self
    }

    /// The state with phase `p`'s shape held because its lines overlap another phase's (a
    /// series' hold; released as [`State::with_shape_held`] releases it).
    #[must_use]
    pub(crate) fn with_overlap_held(self, p: usize) -> Self {
        let mut s = self.with_shape_held(p, true);
        if s.overlap_held.len() < s.absent.len() {
            s.overlap_held.resize(s.absent.len(), false);
        }
        if let Some(h) = s.overlap_held.get_mut(p) {
            *h = true;
        }
        s
    }

    /// Whether phase `p`'s shape is held for overlap ([`State::with_overlap_held`]).
    pub(crate) fn overlap_held(&self, p: usize) -> bool {
        self.overlap_held.get(p).copied().unwrap_or(false)
    }

    /// Which phases are refined by their scale alone.
    pub fn shape_held(&self) -> Vec<bool> {
        let mut h = self.held_shape.clone();
        h.resize(self.absent.len(), false);
        h
    }

    /// Takes the values of phase `phase`'s parameters but its scale from `other`, a state of
    /// the same model.
    pub(crate) fn copy_phase(&mut self, phase: &str, other: &State) {
        use crate::parameter::PhaseParam;
        if other.ids != self.ids {
            return;
        }
        for (i, id) in self.ids.iter().enumerate() {
            if id.is_of_phase(phase) && !matches!(id, ParamId::Phase(_, PhaseParam::Scale)) {
                self.values[i] = other.values[i];
            }
        }
    }

    /// Takes phase `phase`'s parameters but its scale from `start` (a state of the same model,
    /// every parameter at its start), its cell coefficients scaled as the cells of the phases
    /// `present` have scaled since that start (the median ratio of their reciprocal-metric
    /// coefficients, 1/f² for an expansion by f): a phase held absent in a heated series is
    /// tried back at its structure's cell expanded as the sample has expanded, not at room
    /// temperature's.
    pub(crate) fn copy_phase_expanded(&mut self, phase: &str, start: &State, present: &[&str]) {
        use crate::parameter::PhaseParam;
        if start.ids != self.ids {
            return;
        }
        let mut ratios: Vec<f64> = self
            .ids
            .iter()
            .enumerate()
            .filter(|(i, id)| {
                matches!(id, ParamId::Phase(n, PhaseParam::Cell(_)) if present.contains(&n.as_str()))
                    && start.values[*i].abs() > 1e-12
            })
            .map(|(i, _)| self.values[i] / start.values[i])
            .filter(|r| r.is_finite() && *r > 0.9 && *r < 1.1)
            .collect();
        self.copy_phase(phase, start);
        if ratios.is_empty() {
            return;
        }
        ratios.sort_by(f64::total_cmp);
        let k = ratios[ratios.len() / 2];
        for (i, id) in self.ids.iter().enumerate() {
            if matches!(id, ParamId::Phase(n, PhaseParam::Cell(_)) if n == phase) {
                self.values[i] *= k;
            }
        }
    }

    /// Sets parameter `id` to `v` (the tests' way to put a state where a fit could leave it).
    #[cfg(test)]
    pub(crate) fn set_value(&mut self, id: &ParamId, v: f64) {
        if let Some(i) = self.ids.iter().position(|n| n == id) {
            self.values[i] = v;
        }
    }

    /// The value of parameter `id`.
    pub fn value(&self, id: &ParamId) -> Option<f64> {
        self.ids
            .iter()
            .position(|n| n == id)
            .map(|i| self.values[i])
    }

    /// The parameters, in the model's order.
    pub fn ids(&self) -> &[ParamId] {
        &self.ids
    }
}
