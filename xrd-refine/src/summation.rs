//! Full-pattern summation (RockJock, powdR's `fps`): a measured pattern fitted as a sum of
//! scaled, aligned measured reference patterns and a smooth background; weight fractions from
//! the scales and the references' RIRs. For phases without a usable crystal structure: clays,
//! poorly crystalline oxides, glass.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use xrd_io::Pattern;

use crate::error::{Error, Result, invalid};
use crate::model::chebyshev;
use crate::quality::Quality;
use crate::reference::Reference;

/// The shifts' Gauss–Newton stops when a step lowers χ² by less than this fraction (a smaller
/// gain moves no weight fraction by a ten-thousandth on the synthetic mixtures).
const SHIFT_TOLERANCE: f64 = 1e-6;

/// … or by less than this (χ² units): a change of 1 is one standard deviation of a parameter,
/// so one of a hundredth moves none measurably (and noise-free data converge too).
const SHIFT_MIN_GAIN: f64 = 0.01;

/// Damped trials of one Gauss–Newton step of the shifts before the search ends.
const SHIFT_TRIALS: usize = 6;

/// A shift step below this (°) ends the search: a ten-thousandth of a laboratory step.
const SHIFT_MIN_STEP: f64 = 1e-6;

/// How references are aligned with the measured pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Alignment {
    /// One 2θ shift for the whole sample (its displacement), then one per reference refined
    /// around it: references measured on other mounts sit a few hundredths of a degree apart.
    /// The default.
    #[default]
    PerReference,
    /// One 2θ shift for the whole sample.
    Sample,
    /// No shift: the references are taken where they were measured.
    None,
}

impl Alignment {
    /// The name used on the command line (`reference`, `sample`, `none`).
    pub fn name(self) -> &'static str {
        match self {
            Self::PerReference => "reference",
            Self::Sample => "sample",
            Self::None => "none",
        }
    }

    /// The alignment of a name of [`Alignment::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::PerReference, Self::Sample, Self::None]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// Settings of a [`Summation`].
///
/// ```
/// use xrd_refine::SummationParams;
/// assert!(SummationParams::new().max_shift(0.2).check().is_ok());
/// assert!(matches!(
///     SummationParams::new().background_terms(30).check(),
///     Err(xrd_refine::Error::InvalidParameter(p)) if p.name == "background_terms"
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummationParams {
    pub(crate) background_terms: usize,
    pub(crate) alignment: Alignment,
    pub(crate) max_shift: f64,
    pub(crate) max_iterations: usize,
    pub(crate) two_theta_range: Option<(f64, f64)>,
    pub(crate) detection_sigmas: f64,
    #[serde(default)]
    pub(crate) excluded: Vec<(f64, f64)>,
}

impl Default for SummationParams {
    fn default() -> Self {
        Self {
            background_terms: 4,
            alignment: Alignment::PerReference,
            max_shift: crate::weights::DEFAULT_MAX_SHIFT,
            max_iterations: 50,
            two_theta_range: None,
            detection_sigmas: crate::weights::DETECTION_SIGMAS,
            excluded: Vec::new(),
        }
    }
}

xrd_io::param_guard!(crate::Error => SummationParams);

impl SummationParams {
    /// The defaults (see each setter).
    pub fn new() -> Self {
        Self::default()
    }

    /// 2θ regions (°, each `(from, to)`) left out of the fit (default none).
    #[must_use]
    pub fn excluded(mut self, regions: Vec<(f64, f64)>) -> Self {
        self.excluded = regions;
        self
    }

    /// The regions set by [`SummationParams::excluded`].
    pub fn get_excluded(&self) -> &[(f64, f64)] {
        &self.excluded
    }

    xrd_io::setters! {
        /// Chebyshev background terms beside the references, 0–20 (default 4, a cubic: the
        /// references carry their own backgrounds, so the polynomial only takes up the
        /// difference between mounts).
        #[must_use]
        background_terms, get_background_terms: usize;

        /// How the references are aligned (default [`Alignment::PerReference`]).
        #[must_use]
        alignment, get_alignment: Alignment;

        /// The largest 2θ shift (°) of a reference against the pattern, in (0, 2] (default 0.3).
        #[must_use]
        max_shift, get_max_shift: f64;

        /// Gauss–Newton iterations of the shifts, ≥ 1 (default 50).
        #[must_use]
        max_iterations, get_max_iterations: usize;

        /// Fits only the points within this 2θ range (default: wherever every reference was
        /// measured).
        #[must_use]
        two_theta_range, get_two_theta_range: Option<(f64, f64)>;

        /// A reference is detected when its scale exceeds this many esds; the detection limit
        /// reported is the weight fraction of this many esds, in (0, 10] (default 3).
        #[must_use]
        detection_sigmas, get_detection_sigmas: f64;
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the first invalid value.
    pub fn check(&self) -> Result<()> {
        if self.background_terms > 20 {
            return Err(invalid(
                "background_terms",
                format!("{} must be in 0–20", self.background_terms),
            ));
        }
        if !(self.max_shift > 0.0 && self.max_shift <= 2.0) {
            return Err(invalid(
                "max_shift",
                format!("{} must be in (0, 2]", self.max_shift),
            ));
        }
        if self.max_iterations == 0 {
            return Err(invalid("max_iterations", "must be ≥ 1"));
        }
        if let Some((lo, hi)) = self.two_theta_range
            && !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo < hi && hi <= 180.0)
        {
            return Err(invalid(
                "two_theta_range",
                format!("need 0 ≤ min < max ≤ 180, got {lo}–{hi}"),
            ));
        }
        if !(self.detection_sigmas > 0.0 && self.detection_sigmas <= 10.0) {
            return Err(invalid(
                "detection_sigmas",
                format!("{} must be in (0, 10]", self.detection_sigmas),
            ));
        }
        crate::params::check_excluded(&self.excluded)
    }
}

/// One reference's part in a [`Quantification`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceResult {
    /// Its id in the library.
    pub id: String,
    /// The mineral's name.
    pub name: String,
    /// Its RIR.
    pub rir: f64,
    /// A background shape (no weight fraction).
    pub background: bool,
    /// Its scale (≥ 0) and esd.
    pub scale: f64,
    /// The scale's standard uncertainty.
    pub scale_esd: f64,
    /// Its 2θ shift (°): the pattern matches the reference at 2θ − shift.
    pub shift: f64,
    /// The shift's standard uncertainty (0 when it was not refined on its own).
    pub shift_esd: f64,
    /// Weight fraction (scale / RIR, normalised over the minerals, or against the internal
    /// standard); 0 for a background.
    pub weight_fraction: f64,
    /// Its standard uncertainty.
    pub weight_fraction_esd: f64,
    /// The weight fraction that [`SummationParams::detection_sigmas`] esds of its scale stand for.
    pub detection_limit: f64,
    /// Whether its scale exceeds [`SummationParams::detection_sigmas`] esds.
    pub detected: bool,
    /// Whether it is the internal standard.
    pub standard: bool,
}

impl ReferenceResult {
    /// Its kind as the tables name it: `background`, `standard` or `reference`.
    pub fn kind(&self) -> &'static str {
        if self.background {
            "background"
        } else if self.standard {
            "standard"
        } else {
            "reference"
        }
    }
}

/// The result of a [`Summation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantification {
    /// The references, in the order given.
    pub references: Vec<ReferenceResult>,
    /// With an internal standard: the amorphous or unaccounted rest (weight fraction, may come
    /// out slightly negative within its esd).
    pub amorphous: Option<f64>,
    /// Its standard uncertainty.
    pub amorphous_esd: Option<f64>,
    /// Profile R factor.
    pub rp: f64,
    /// Weighted profile R factor.
    pub rwp: f64,
    /// Expected R factor.
    pub rexp: f64,
    /// Reduced χ².
    pub chi2: f64,
    /// Goodness of fit Rwp / Rexp.
    pub gof: f64,
    /// Factor of the esds for serially correlated residuals (Bérar & Lelann).
    pub esd_factor: f64,
    /// Gauss–Newton iterations of the shifts.
    pub iterations: usize,
    /// Warnings: references that cannot be told apart, shifts at their bound.
    pub warnings: Vec<String>,
    /// 2θ of the points fitted.
    pub two_theta: Vec<f64>,
    /// Observed counts.
    pub observed: Vec<f64>,
    /// Calculated counts.
    pub calculated: Vec<f64>,
    /// The background: the polynomial plus the background references.
    pub background: Vec<f64>,
    /// Each reference's contribution (backgrounds included), in the order given.
    pub curves: Vec<Vec<f64>>,
}

/// A full-pattern summation to run: the references, settings and optionally an internal
/// standard.
///
/// ```
/// use xrd_io::Pattern;
/// use xrd_refine::{Reference, Summation};
/// // Two references with one peak each, and a mixture of 0.3 : 0.7 of their scales.
/// let peak = |c: f64| (0..500).map(move |i| {
///     let x = 20.0 + 0.02 * i as f64;
///     10.0 + 1000.0 * (-((x - c) / 0.08).powi(2)).exp()
/// }).collect::<Vec<f64>>();
/// let a = Reference { id: "A".into(), name: "Alpha".into(), rir: 2.0, start: 20.0, step: 0.02, counts: peak(24.0) };
/// let b = Reference { id: "B".into(), name: "Beta".into(), rir: 1.0, start: 20.0, step: 0.02, counts: peak(26.0) };
/// let y: Vec<f64> = a.counts.iter().zip(&b.counts).map(|(p, q)| 0.6 * p + 0.7 * q).collect();
/// let pattern = Pattern::uniform(20.0, 0.02, y)?;
/// let q = Summation::new(vec![a, b]).fit(&pattern)?;
/// // Weight fractions ∝ scale / RIR: 0.3 and 0.7.
/// assert!((q.references[0].weight_fraction - 0.3).abs() < 1e-3);
/// assert!((q.references[1].weight_fraction - 0.7).abs() < 1e-3);
/// # Ok::<(), xrd_refine::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Summation {
    references: Vec<Reference>,
    params: SummationParams,
    standard: Option<(usize, f64)>,
}

/// The pattern's points inside the fitted range and their weights.
struct Data<'a> {
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    chebyshev: Vec<Vec<f64>>,
    references: &'a [Reference],
    /// References set aside as not detected: their columns are zero in the fit.
    excluded: Vec<bool>,
}

/// The linear part solved at given shifts.
struct Projected {
    /// Scales then background coefficients.
    coefficients: Vec<f64>,
    chi2: f64,
}

/// Σ u·v with eight independent sums, so that the additions need not wait on one another;
/// the same result for the same inputs on every run.
fn dot(u: &[f64], v: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (uc, vc) = (u.chunks_exact(8), v.chunks_exact(8));
    let (ur, vr) = (uc.remainder(), vc.remainder());
    for (a, b) in uc.zip(vc) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    let tail: f64 = ur.iter().zip(vr).map(|(a, b)| a * b).sum();
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]) + tail
}

impl Data<'_> {
    /// Each reference's values and slopes at the points, shifted; zero for excluded ones
    /// unless `all`.
    fn columns_of(&self, shifts: &[f64], all: bool) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let mut values = Vec::with_capacity(self.references.len());
        let mut slopes = Vec::with_capacity(self.references.len());
        for (i, (r, &d)) in self.references.iter().zip(shifts).enumerate() {
            if self.excluded[i] && !all {
                values.push(vec![0.0; self.x.len()]);
                slopes.push(vec![0.0; self.x.len()]);
                continue;
            }
            let (v, s): (Vec<f64>, Vec<f64>) =
                self.x.iter().map(|&x| r.value_and_slope(x - d)).unzip();
            values.push(v);
            slopes.push(s);
        }
        (values, slopes)
    }

    fn columns(&self, shifts: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        self.columns_of(shifts, false)
    }

    /// Weighted normal equations of `columns` (scaled to unit diagonal: counts and Chebyshev
    /// terms differ by orders of magnitude) and their scale factors. Each entry is one
    /// contiguous dot product.
    fn normal(&self, columns: &[&[f64]]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = columns.len();
        let mut a = vec![0.0; n * n];
        let mut b = vec![0.0; n];
        let mut weighted = vec![0.0; self.x.len()];
        for i in 0..n {
            for ((o, w), c) in weighted.iter_mut().zip(&self.w).zip(columns[i]) {
                *o = w * c;
            }
            b[i] = dot(&weighted, &self.y);
            for j in i..n {
                a[i * n + j] = dot(&weighted, columns[j]);
            }
        }
        let scale: Vec<f64> = (0..n)
            .map(|i| {
                let d = a[i * n + i];
                if d > 0.0 { 1.0 / d.sqrt() } else { 1.0 }
            })
            .collect();
        for i in 0..n {
            b[i] *= scale[i];
            for j in i..n {
                let v = a[i * n + j] * scale[i] * scale[j];
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        (a, b, scale)
    }

    fn chi2(&self, columns: &[&[f64]], coefficients: &[f64]) -> f64 {
        let mut r = self.y.clone();
        for (c, s) in columns.iter().zip(coefficients) {
            if *s != 0.0 {
                r.iter_mut().zip(*c).for_each(|(o, v)| *o -= s * v);
            }
        }
        let wr: Vec<f64> = r.iter().zip(&self.w).map(|(r, w)| w * r).collect();
        dot(&wr, &r)
    }

    fn all_columns<'b>(&'b self, values: &'b [Vec<f64>]) -> Vec<&'b [f64]> {
        values
            .iter()
            .map(Vec::as_slice)
            .chain(self.chebyshev.iter().map(Vec::as_slice))
            .collect()
    }

    /// Non-negative scales and a free background at these reference columns.
    fn project(&self, values: &[Vec<f64>]) -> Result<Projected> {
        let columns = self.all_columns(values);
        let (a, b, scale) = self.normal(&columns);
        let bounded: Vec<bool> = (0..columns.len()).map(|i| i < values.len()).collect();
        let x = xrd_core::linalg::nnls_normal(&a, &b, &bounded, 1e-13)
            .ok_or_else(|| Error::Singular("the references and background terms".to_string()))?;
        let coefficients: Vec<f64> = x.iter().zip(&scale).map(|(v, s)| v * s).collect();
        let chi2 = self.chi2(&columns, &coefficients);
        Ok(Projected { coefficients, chi2 })
    }

    fn project_at(&self, shifts: &[f64]) -> Result<Projected> {
        // Values only: a trial needs no slopes.
        let values: Vec<Vec<f64>> = self
            .references
            .iter()
            .zip(shifts)
            .enumerate()
            .map(|(i, (r, &d))| {
                if self.excluded[i] {
                    vec![0.0; self.x.len()]
                } else {
                    self.x.iter().map(|&x| r.value(x - d)).collect()
                }
            })
            .collect();
        self.project(&values)
    }
}

impl Summation {
    /// A summation of these references (backgrounds among them are fitted, not quantified).
    pub fn new(references: Vec<Reference>) -> Self {
        Self {
            references,
            params: SummationParams::default(),
            standard: None,
        }
    }

    /// The settings.
    #[must_use]
    pub fn params(mut self, params: SummationParams) -> Self {
        self.params = params;
        self
    }

    /// An internal standard: reference `index` was weighed in at `weight_fraction` of the
    /// sample; fractions become absolute and the rest is reported as amorphous.
    #[must_use]
    pub fn standard(mut self, index: usize, weight_fraction: f64) -> Self {
        self.standard = Some((index, weight_fraction));
        self
    }

    fn check(&self) -> Result<()> {
        self.params.check()?;
        if self.references.is_empty() {
            return Err(invalid("references", "need at least one reference"));
        }
        if !self.references.iter().any(|r| !r.is_background()) {
            return Err(invalid(
                "references",
                "need at least one that is not a background",
            ));
        }
        for r in &self.references {
            r.check()?;
        }
        if let Some((i, w)) = self.standard {
            let Some(r) = self.references.get(i) else {
                return Err(invalid("standard", format!("index {i} is not a reference")));
            };
            if r.is_background() {
                return Err(invalid("standard", format!("{} is a background", r.id)));
            }
            if !(w > 0.0 && w < 1.0) {
                return Err(invalid(
                    "standard",
                    format!("weight fraction {w} must be in (0, 1)"),
                ));
            }
        }
        Ok(())
    }

    /// Fits the pattern.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid settings or references; [`Error::Pattern`] when
    /// too few points lie where every reference was measured; [`Error::Singular`] when the
    /// linear system cannot be solved; [`Error::InvalidParameter`] (`standard`) when the
    /// internal standard is not found in the pattern.
    pub fn fit(&self, pattern: &Pattern) -> Result<Quantification> {
        self.check()?;
        let p = &self.params;
        let refs = &self.references;
        // Where every reference is defined at every allowed shift.
        let mut lo = refs.iter().map(|r| r.start).fold(f64::MIN, f64::max) + p.max_shift;
        let mut hi = refs.iter().map(Reference::end).fold(f64::MAX, f64::min) - p.max_shift;
        if let Some((a, b)) = p.two_theta_range {
            lo = lo.max(a);
            hi = hi.min(b);
        }
        let sigma = pattern.sigma();
        let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for (k, (&t, &c)) in pattern
            .two_theta()
            .iter()
            .zip(pattern.intensity())
            .enumerate()
        {
            if t < lo || t > hi || crate::params::is_excluded(&p.excluded, t) {
                continue;
            }
            let s2 = match sigma {
                Some(s) => s[k] * s[k],
                None => c.max(1.0),
            };
            if !(s2 > 0.0 && s2.is_finite()) {
                return Err(Error::Pattern(format!("point {k} has esd {}", s2.sqrt())));
            }
            x.push(t);
            y.push(c);
            w.push(1.0 / s2);
        }
        let nr = refs.len();
        let nb = p.background_terms;
        if x.len() < 2 * (nr + nb) + 10 {
            return Err(Error::Pattern(format!(
                "{} points between {lo:.2}° and {hi:.2}° (where every reference is measured, \
                 less the largest shift): too few for {nr} references and {nb} background terms",
                x.len()
            )));
        }
        let chebyshev = if nb > 0 {
            chebyshev(&x, nb)
        } else {
            Vec::new()
        };
        let mut data = Data {
            x,
            y,
            w,
            chebyshev,
            references: refs,
            excluded: vec![false; refs.len()],
        };

        // One shift for the sample, by a search on a grid of two reference steps (at most
        // 0.04°, a third of a narrow peak's width): Gauss–Newton refines the shifts after it.
        let mut shifts = vec![0.0; nr];
        if p.alignment != Alignment::None {
            let step = 2.0
                * refs
                    .iter()
                    .map(|r| r.step)
                    .fold(f64::MAX, f64::min)
                    .min(0.02);
            let n = (p.max_shift / step).floor() as i64;
            let mut scan = Vec::new();
            for k in -n..=n {
                let d = k as f64 * step;
                scan.push((d, data.project_at(&vec![d; nr])?.chi2));
            }
            let best = scan
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .map_or(0, |(i, _)| i);
            let mut d = scan[best].0;
            if best > 0 && best + 1 < scan.len() {
                // The parabola through the best point and its neighbours.
                let (c0, c1, c2) = (scan[best - 1].1, scan[best].1, scan[best + 1].1);
                let den = c0 - 2.0 * c1 + c2;
                if den > 0.0 {
                    d += 0.5 * step * (c0 - c2) / den;
                }
            }
            shifts = vec![d.clamp(-p.max_shift, p.max_shift); nr];
        }

        let groups: Vec<usize> = match p.alignment {
            Alignment::PerReference => (0..nr).collect(),
            _ => vec![0; nr],
        };
        let ngroups = if p.alignment == Alignment::PerReference {
            nr
        } else {
            1
        };
        let sample_shift = shifts[0];
        let mut iterations = 0;
        // A reference whose scale stays within its detection limit is set aside (scale 0, the
        // sample's shift) and the rest fitted again: absent phases are reported, not fitted to
        // the noise.
        loop {
            let (aligned, current, its) = self.align(&data, shifts, &groups, ngroups)?;
            shifts = aligned;
            iterations += its;
            let q = self.report(&data, &shifts, &groups, ngroups, current, iterations)?;
            let is_standard = |i: usize| self.standard.is_some_and(|(s, _)| s == i);
            let undetected: Vec<usize> = (0..refs.len())
                .filter(|&i| {
                    let r = &q.references[i];
                    !r.background && !is_standard(i) && !r.detected && !data.excluded[i]
                })
                .collect();
            // Nothing to set aside, or nothing would be left to quantify: this is the answer.
            let left = (0..refs.len())
                .any(|i| !refs[i].is_background() && !data.excluded[i] && !undetected.contains(&i));
            if undetected.is_empty() || !left {
                return Ok(q);
            }
            for i in undetected {
                data.excluded[i] = true;
                shifts[i] = sample_shift;
            }
        }
    }

    /// The shifts refined by damped Gauss–Newton from `shifts`, each trial's linear part
    /// re-projected; the shifts, the linear part and the iterations taken.
    fn align(
        &self,
        data: &Data<'_>,
        mut shifts: Vec<f64>,
        groups: &[usize],
        ngroups: usize,
    ) -> Result<(Vec<f64>, Projected, usize)> {
        let p = &self.params;
        let nr = self.references.len();
        let mut iterations = 0;
        let mut current = data.project_at(&shifts)?;
        if p.alignment != Alignment::None {
            let mut lambda = 1e-3;
            while iterations < p.max_iterations {
                iterations += 1;
                let (values, slopes) = data.columns(&shifts);
                let c = &current.coefficients;
                // The shift columns: d model / d shift_g = −Σ_{i in g} s_i r_i'(x − δ_i).
                let mut shift_cols = vec![vec![0.0; data.x.len()]; ngroups];
                let mut active = vec![false; ngroups];
                for i in 0..nr {
                    if c[i] > 0.0 {
                        active[groups[i]] = true;
                        for (o, s) in shift_cols[groups[i]].iter_mut().zip(&slopes[i]) {
                            *o -= c[i] * s;
                        }
                    }
                }
                let active_groups: Vec<usize> = (0..ngroups).filter(|&g| active[g]).collect();
                if active_groups.is_empty() {
                    break;
                }
                let mut columns: Vec<&[f64]> = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    if c[i] > 0.0 {
                        columns.push(v);
                    }
                }
                columns.extend(data.chebyshev.iter().map(Vec::as_slice));
                let linear = columns.len();
                columns.extend(active_groups.iter().map(|&g| shift_cols[g].as_slice()));
                let (a, mut b, scale) = data.normal(&columns);
                // b holds JᵀWy; the gradient needs JᵀW(y − f).
                let f: Vec<f64> = (0..data.x.len())
                    .map(|k| {
                        (0..nr).map(|i| c[i] * values[i][k]).sum::<f64>()
                            + data
                                .chebyshev
                                .iter()
                                .zip(&c[nr..])
                                .map(|(t, s)| t[k] * s)
                                .sum::<f64>()
                    })
                    .collect();
                for (j, col) in columns.iter().enumerate() {
                    let jf: f64 = (0..data.x.len()).map(|k| data.w[k] * col[k] * f[k]).sum();
                    b[j] -= jf * scale[j];
                }
                let n = columns.len();
                let mut improved = false;
                // A few damped trials at most: where none lowers χ², the shifts are at their
                // minimum to the data's precision.
                for _ in 0..SHIFT_TRIALS {
                    let mut damped = a.clone();
                    for i in 0..n {
                        damped[i * n + i] *= 1.0 + lambda;
                    }
                    let Some(step) = xrd_core::linalg::solve(&damped, &b, 1e-15) else {
                        lambda *= 10.0;
                        continue;
                    };
                    // A step far below any measurable shift ends the search.
                    let largest = active_groups
                        .iter()
                        .enumerate()
                        .map(|(k, _)| (step[linear + k] * scale[linear + k]).abs())
                        .fold(0.0, f64::max);
                    if largest < SHIFT_MIN_STEP {
                        break;
                    }
                    let mut trial = shifts.clone();
                    for (k, &g) in active_groups.iter().enumerate() {
                        let delta = step[linear + k] * scale[linear + k];
                        for i in 0..nr {
                            if groups[i] == g && !data.excluded[i] {
                                trial[i] = (shifts[i] + delta).clamp(-p.max_shift, p.max_shift);
                            }
                        }
                    }
                    let projected = data.project_at(&trial)?;
                    if projected.chi2 < current.chi2 {
                        let gain = current.chi2 - projected.chi2;
                        shifts = trial;
                        current = projected;
                        lambda = (lambda / 3.0).max(1e-7);
                        improved = gain > SHIFT_TOLERANCE * current.chi2 && gain > SHIFT_MIN_GAIN;
                        break;
                    }
                    lambda *= 10.0;
                }
                if !improved {
                    break;
                }
            }
        }
        Ok((shifts, current, iterations))
    }

    /// Each reference's curve at its scale, the background (Chebyshev terms and background
    /// shapes) and the calculated pattern, from the references' columns `values` at unit scale.
    fn curves(
        &self,
        data: &Data<'_>,
        values: &[Vec<f64>],
        c: &[f64],
    ) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
        let refs = &self.references;
        let nr = refs.len();
        let m = data.x.len();
        let curves: Vec<Vec<f64>> = (0..nr)
            .map(|i| values[i].iter().map(|v| v * c[i]).collect())
            .collect();
        let mut background: Vec<f64> = (0..m)
            .map(|k| {
                data.chebyshev
                    .iter()
                    .zip(&c[nr..])
                    .map(|(t, s)| t[k] * s)
                    .sum()
            })
            .collect();
        for (i, r) in refs.iter().enumerate() {
            if r.is_background() {
                for (b, v) in background.iter_mut().zip(&curves[i]) {
                    *b += v;
                }
            }
        }
        let calculated: Vec<f64> = (0..m)
            .map(|k| {
                data.chebyshev
                    .iter()
                    .zip(&c[nr..])
                    .map(|(t, s)| t[k] * s)
                    .sum::<f64>()
                    + curves.iter().map(|cv| cv[k]).sum::<f64>()
            })
            .collect();
        (curves, background, calculated)
    }

    fn report(
        &self,
        data: &Data<'_>,
        shifts: &[f64],
        groups: &[usize],
        ngroups: usize,
        solved: Projected,
        iterations: usize,
    ) -> Result<Quantification> {
        let p = &self.params;
        let refs = &self.references;
        let nr = refs.len();
        let m = data.x.len();
        let c = &solved.coefficients;
        let (values, slopes) = data.columns_of(shifts, true);
        let (curves, background, calculated) = self.curves(data, &values, c);
        // The covariance: every scale (those at zero too, for their detection limits), the
        // background and the shifts of references present.
        let mut shift_active = vec![false; ngroups];
        for i in 0..nr {
            if c[i] > 0.0 && p.alignment != Alignment::None {
                shift_active[groups[i]] = true;
            }
        }
        let mut shift_cols = vec![vec![0.0; m]; ngroups];
        for i in 0..nr {
            if shift_active[groups[i]] {
                for (o, s) in shift_cols[groups[i]].iter_mut().zip(&slopes[i]) {
                    *o -= c[i] * s;
                }
            }
        }
        let mut columns = data.all_columns(&values);
        let shift_index: Vec<Option<usize>> = (0..ngroups)
            .map(|g| {
                shift_active[g].then(|| {
                    columns.push(&shift_cols[g]);
                    columns.len() - 1
                })
            })
            .collect();
        let refined = (0..nr).filter(|&i| c[i] > 0.0).count()
            + data.chebyshev.len()
            + shift_active.iter().filter(|&&a| a).count();
        let quality = Quality::of(&data.y, &calculated, &data.w, refined);
        let (a, _, scale) = data.normal(&columns);
        let n = columns.len();
        let matrix = DMatrix::from_row_slice(n, n, &a);
        let mut warnings = Vec::new();
        let inverse = match matrix.clone().cholesky() {
            Some(ch) => ch.inverse(),
            None => {
                warnings.push(
                    "the references cannot all be told apart by the data: esds from a \
                     pseudo-inverse"
                        .to_string(),
                );
                matrix
                    .pseudo_inverse(1e-12)
                    .map_err(|e| Error::Singular(e.to_string()))?
            }
        };
        let cs = quality.covariance_scale();
        let cov = |i: usize, j: usize| inverse[(i, j)] * scale[i] * scale[j] * cs;
        let k: Vec<f64> = refs
            .iter()
            .map(|r| if r.is_background() { 0.0 } else { 1.0 / r.rir })
            .collect();
        let Some(weighed) = crate::weights::weigh(&c[..nr], &k, &cov, self.standard) else {
            return Err(match self.standard {
                Some((s, _)) => invalid(
                    "standard",
                    format!(
                        "the internal standard {} is not found in the pattern",
                        refs[s].id
                    ),
                ),
                None => Error::Pattern("no reference fits the pattern".to_string()),
            });
        };
        let mut results = Vec::with_capacity(nr);
        for (i, r) in refs.iter().enumerate() {
            let scale_esd = cov(i, i).max(0.0).sqrt();
            let shift_esd = shift_index[groups[i]].map_or(0.0, |k| cov(k, k).max(0.0).sqrt());
            let (wf, wf_esd) = weighed.fractions[i];
            let limit =
                crate::weights::detection_limit(p.detection_sigmas, scale_esd, k[i], weighed.basis);
            results.push(ReferenceResult {
                id: r.id.clone(),
                name: r.name.clone(),
                rir: r.rir,
                background: r.is_background(),
                scale: c[i],
                scale_esd,
                shift: shifts[i],
                shift_esd,
                weight_fraction: wf,
                weight_fraction_esd: wf_esd,
                detection_limit: limit,
                detected: c[i] > p.detection_sigmas * scale_esd,
                standard: self.standard.is_some_and(|(s, _)| s == i),
            });
            if (shifts[i].abs() - p.max_shift).abs() < 1e-9 && c[i] > 0.0 {
                warnings.push(format!("{}: shift at its bound ±{}°", r.id, p.max_shift));
            }
        }
        for r in &results {
            if !r.background && r.weight_fraction > 0.0 && !r.detected {
                warnings.push(format!(
                    "{}: {:.4} is below its detection limit {:.4}",
                    r.id, r.weight_fraction, r.detection_limit
                ));
            }
        }
        let (amorphous, amorphous_esd) = weighed.rest.unzip();
        Ok(Quantification {
            references: results,
            amorphous,
            amorphous_esd,
            rp: quality.rp,
            rwp: quality.rwp,
            rexp: quality.rexp,
            chi2: quality.chi2_sum / quality.dof,
            gof: quality.rwp / quality.rexp,
            esd_factor: quality.esd_factor,
            iterations,
            warnings,
            two_theta: data.x.clone(),
            observed: data.y.clone(),
            calculated,
            background,
            curves,
        })
    }
}
