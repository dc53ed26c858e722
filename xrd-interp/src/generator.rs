//! Contour decoding (Utimula et al. 2022, Sec. III.C): find the feature-space point of a
//! composition on the composition contour and decode it.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use xrd_ae::{Autoencoder, FeatureSpace};
use xrd_io::{Dataset, Float, Grid};
use xrd_latent::{Estimate, TriangleEstimator, TriangleParams};

use crate::composition::{KnownCompositions, check_composition, same_composition};
use crate::{Error, PatternModel, Result};

/// Most Newton steps of [`Generator::walk`].
pub const MAX_WALK_STEPS: usize = 32;

/// Relative threshold below which a triangle's composition map counts as singular.
const SINGULAR: f64 = 1e-12;

/// Default of [`GeneratorParams::support_factor`].
pub const DEFAULT_SUPPORT_FACTOR: f64 = 1.0;

/// Which feature-space points carry the composition contour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Anchors {
    /// Every training pattern's latent point (the paper's contour). With many configurations
    /// per composition, the local triangles searched by `locate` rarely span two compositions'
    /// clusters, so compositions between clusters are often not reachable.
    #[default]
    Patterns,
    /// One point per known composition: the centroid of its patterns' latent points. The
    /// triangles then join neighbouring compositions, and an intermediate composition is found
    /// between the centroids of those that bracket it.
    Centroids,
}

/// Hyper-parameters of a [`Generator`] (the feature space is trained separately).
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `triangle` | [`TriangleParams::default`] | see xrd-latent |
/// | `support_factor` | [`DEFAULT_SUPPORT_FACTOR`] = 1 | finite, `> 0` |
/// | `anchors` | [`Anchors::Patterns`] | any |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorParams {
    /// The points the triangle estimator is fitted on.
    anchors: Anchors,
    /// Parameters of the triangle estimator fitted on the training latent points.
    triangle: TriangleParams,
    /// A generated point is flagged [`Generated::outside_data`] when its distance to the nearest
    /// training latent point exceeds `support_factor` × the *composition gap*: the largest
    /// distance from a training latent point to the nearest training point of another
    /// composition (the widest step the data itself takes between neighbouring compositions).
    support_factor: f64,
}

impl GeneratorParams {
    /// The `anchors` set by [`GeneratorParams::anchors`] (see there for the default).
    pub fn get_anchors(&self) -> Anchors {
        self.anchors
    }

    /// The `triangle` set by [`GeneratorParams::triangle`] (see there for the default).
    pub fn get_triangle(&self) -> &TriangleParams {
        &self.triangle
    }

    /// The `support_factor` set by [`GeneratorParams::support_factor`] (see there for the default).
    pub fn get_support_factor(&self) -> f64 {
        self.support_factor
    }
}

impl Default for GeneratorParams {
    fn default() -> Self {
        GeneratorParams {
            anchors: Anchors::Patterns,
            triangle: TriangleParams::default(),
            support_factor: DEFAULT_SUPPORT_FACTOR,
        }
    }
}

impl xrd_io::ParamGuard for GeneratorParams {
    type Error = Error;

    fn check_ref(&self) -> Result<()> {
        self.check()
    }
}

impl GeneratorParams {
    /// Sets the triangle-estimator parameters.
    pub fn triangle(mut self, triangle: TriangleParams) -> Self {
        self.triangle = triangle;
        self
    }

    /// Sets the anchors of the contour.
    pub fn anchors(mut self, anchors: Anchors) -> Self {
        self.anchors = anchors;
        self
    }

    /// Sets the support factor.
    pub fn support_factor(mut self, factor: f64) -> Self {
        self.support_factor = factor;
        self
    }

    /// Validates every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] or the estimator's parameter error.
    pub fn check(&self) -> Result<()> {
        if !(self.support_factor.is_finite() && self.support_factor > 0.0) {
            return Err(Error::param(
                "support_factor",
                format!("must be finite and > 0, got {}", self.support_factor),
            ));
        }
        self.triangle.check()?;
        Ok(())
    }

    /// A generator from a trained feature space (an `xrd_ae::Autoencoder`, an `xrd_ae::Pca`, …)
    /// of dimension 2 and the data it was trained on: every pattern is encoded and the triangle
    /// estimator is fitted on the latent points with the compositions (`data.labels`) as values.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the model's input width is not the grid length or its feature
    /// space is not 2-D, or when the data has no label columns; the model's and estimator's
    /// errors (e.g. fewer than three distinct latent points).
    pub fn build<F: Float, M: FeatureSpace<F>>(
        &self,
        model: M,
        data: &Dataset<F>,
    ) -> Result<Generator<F, M>> {
        self.check()?;
        if model.latent() != 2 {
            return Err(Error::ShapeMismatch {
                what: "feature space",
                expected: "2 dimensions".into(),
                found: format!("{}", model.latent()),
            });
        }
        if model.inputs() != data.grid.len() {
            return Err(Error::ShapeMismatch {
                what: "feature-space input",
                expected: format!("{} points (the data grid)", data.grid.len()),
                found: format!("{}", model.inputs()),
            });
        }
        if data.labels.ncols() == 0 {
            return Err(Error::ShapeMismatch {
                what: "training compositions",
                expected: "≥ 1 label column".into(),
                found: "none".into(),
            });
        }
        let latent = model.encode(data.patterns.view())?;
        let (latent, labels) = match self.anchors {
            Anchors::Patterns => (latent, data.labels.clone()),
            Anchors::Centroids => {
                let known = KnownCompositions::of(data)?;
                let mut centroids = Array2::zeros((known.len(), 2));
                for (k, rows) in known.members.iter().enumerate() {
                    for &r in rows {
                        for c in 0..2 {
                            centroids[[k, c]] += latent[[r, c]];
                        }
                    }
                    for c in 0..2 {
                        centroids[[k, c]] /= F::of_usize(rows.len());
                    }
                }
                (centroids, known.compositions)
            }
        };
        let values = labels.mapv(F::of);
        let estimator = self.triangle.fit(latent.view(), values.view())?;
        let gap = composition_gap(&latent, &labels);
        let ranges = (0..labels.ncols())
            .map(|c| {
                let col = labels.column(c);
                let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if hi > lo { hi - lo } else { 1.0 }
            })
            .collect();
        Ok(Generator {
            model,
            estimator,
            latent,
            labels,
            ranges,
            grid: data.grid,
            label_names: data.label_names.clone(),
            support_radius: F::of(gap * self.support_factor),
        })
    }
}

/// Largest distance from a latent point to the nearest latent point of another composition
/// (0 when there is a single composition).
fn composition_gap<F: Float>(latent: &Array2<F>, labels: &Array2<f64>) -> f64 {
    let n = latent.nrows();
    let mut widest = 0.0f64;
    for i in 0..n {
        let li = labels.row(i).to_vec();
        let nearest = (0..n)
            .filter(|&j| !same_composition(&labels.row(j).to_vec(), &li))
            .map(|j| {
                let dx = (latent[[i, 0]] - latent[[j, 0]]).as_f64();
                let dy = (latent[[i, 1]] - latent[[j, 1]]).as_f64();
                (dx * dx + dy * dy).sqrt()
            })
            .fold(f64::INFINITY, f64::min);
        if nearest.is_finite() {
            widest = widest.max(nearest);
        }
    }
    widest
}

/// A pattern generated for a composition.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated<F> {
    /// The requested composition.
    pub composition: Vec<f64>,
    /// The decoded pattern on the training grid.
    pub pattern: Array1<F>,
    /// The feature-space point it was decoded from.
    pub latent: [F; 2],
    /// The triangle estimate at that point (its value is the composition).
    pub estimate: Estimate<F>,
    /// Distance from the point to the nearest training latent point.
    pub distance: F,
    /// Whether the point lies outside the data: farther from every training pattern than the
    /// support radius (see [`GeneratorParams::support_factor`]). The decoder is then
    /// extrapolating across a gap wider than any inside the training data; treat the pattern
    /// with suspicion.
    pub outside_data: bool,
}

/// One step of a [`Generator::sweep`].
#[derive(Debug)]
pub struct SweepStep<F> {
    /// The composition of this step.
    pub composition: Vec<f64>,
    /// The generated pattern, or why there is none (e.g. [`Error::NotReachable`]).
    pub result: Result<Generated<F>>,
    /// Whether the step was reached by walking along the contour from the previous step, i.e.
    /// the series is continuous here. `false` for the first step, after an unreachable step, and
    /// where the contour breaks (the paper's triangle estimate jumps where the set of nearest
    /// points changes, so its contours can have gaps); such a step was found afresh by
    /// [`Generator::locate`].
    pub continued: bool,
}

/// Contour decoding: composition → feature-space point on the composition contour → decoded
/// pattern. Built by [`GeneratorParams::build`] (or [`Generator::new`] with defaults) on any
/// 2-D feature space `M` (default the autoencoder).
#[derive(Debug, Clone)]
pub struct Generator<F = f64, M = Autoencoder<F>> {
    model: M,
    estimator: TriangleEstimator<F>,
    /// The anchors' latent points (n × 2): the training rows, or one centroid per composition.
    latent: Array2<F>,
    /// The anchors' compositions (n × components).
    labels: Array2<f64>,
    /// Spread of each component over the training data (1 when constant).
    ranges: Vec<f64>,
    grid: Grid,
    label_names: Vec<String>,
    support_radius: F,
}

impl Generator {
    /// The default parameters, to adjust and then [`build`](GeneratorParams::build).
    pub fn params() -> GeneratorParams {
        GeneratorParams::default()
    }
}

impl<F: Float, M: FeatureSpace<F>> Generator<F, M> {
    /// A generator with [`GeneratorParams::default`]; see [`GeneratorParams::build`].
    ///
    /// # Errors
    /// As [`GeneratorParams::build`].
    pub fn new(model: M, data: &Dataset<F>) -> Result<Self> {
        GeneratorParams::default().build(model, data)
    }

    /// The feature space (autoencoder, PCA, …) the contour lives in.
    pub fn feature_space(&self) -> &M {
        &self.model
    }

    /// The triangle estimator over the training latent points.
    pub fn estimator(&self) -> &TriangleEstimator<F> {
        &self.estimator
    }

    /// Names of the composition components (the training data's label names).
    pub fn component_names(&self) -> &[String] {
        &self.label_names
    }

    /// Distance beyond which a generated point is flagged as outside the data.
    pub fn support_radius(&self) -> F {
        self.support_radius
    }

    /// Finds the feature-space point of `composition` with
    /// [`TriangleEstimator::locate`] (among the solutions, the one nearest to the training
    /// points) without decoding it.
    ///
    /// # Errors
    /// [`Error::InvalidComposition`]; [`Error::NotReachable`] when no point maps onto it.
    pub fn locate(&self, composition: &[f64]) -> Result<([F; 2], Estimate<F>)> {
        check_composition(composition, self.estimator.n_values())?;
        let target: Vec<(usize, F)> = composition
            .iter()
            .enumerate()
            .map(|(c, &v)| (c, F::of(v)))
            .collect();
        match self.estimator.locate(&target) {
            Ok(found) => Ok((found.point, found.estimate)),
            Err(xrd_latent::Error::NotReachable) => Err(Error::NotReachable {
                composition: composition.to_vec(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Generates the pattern of `composition` (one value per label column of the training
    /// data): its point on the composition contour, decoded.
    ///
    /// # Errors
    /// [`Error::InvalidComposition`]; [`Error::NotReachable`] when the contour does not pass
    /// through the composition — never a silent nearest guess.
    pub fn generate(&self, composition: &[f64]) -> Result<Generated<F>> {
        let (latent, estimate) = self.locate(composition)?;
        let pattern = self.decode_one(latent)?;
        Ok(self.finish(composition.to_vec(), pattern, latent, estimate))
    }

    /// Decodes one feature-space point through the feature space's single-point path (for an
    /// autoencoder, matrix–vector products several times faster than a one-row batch).
    ///
    /// # Errors
    /// The model's errors (a non-finite point).
    pub fn decode_one(&self, latent: [F; 2]) -> Result<Array1<F>> {
        Ok(self.model.decode_point(&latent)?)
    }

    /// Follows the composition contour from `start` to a point whose estimate is `composition`:
    /// Newton steps on the piecewise-affine estimate (minimum-norm steps through the
    /// pseudo-inverse of the triangle's affine map in use, each at most half the triangle's mean
    /// edge long). `None` when the walk leaves the data
    /// or does not converge within [`MAX_WALK_STEPS`] steps.
    pub fn walk(&self, composition: &[f64], start: [F; 2]) -> Option<([F; 2], Estimate<F>)> {
        let m = self.ranges.len();
        if composition.len() != m || composition.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let tol = self.estimator.get_params().get_locate_tolerance();
        let mut p = [start[0].as_f64(), start[1].as_f64()];
        for _ in 0..=MAX_WALK_STEPS {
            let est = self.estimator.estimate([F::of(p[0]), F::of(p[1])]);
            if !est.kind.is_inside() {
                return None;
            }
            let done = (0..m)
                .all(|j| ((composition[j] - est.value[j].as_f64()) / self.ranges[j]).abs() <= tol);
            if done {
                return Some(([F::of(p[0]), F::of(p[1])], est));
            }
            let [a, b, c] = est.triangle.map(|row| {
                [
                    self.latent[[row, 0]].as_f64(),
                    self.latent[[row, 1]].as_f64(),
                ]
            });
            let q = self.solve_in(est.triangle, composition, [a, b, c], p)?;
            let step = [q[0] - p[0], q[1] - p[1]];
            // Trust region: at most half the triangle's mean edge per step, so the walk moves
            // along the contour instead of leaping to a distant branch.
            let edge =
                |u: [f64; 2], v: [f64; 2]| ((u[0] - v[0]).powi(2) + (u[1] - v[1]).powi(2)).sqrt();
            let edges = (edge(a, b) + edge(b, c) + edge(a, c)) / 3.0;
            let len = (step[0] * step[0] + step[1] * step[1]).sqrt();
            let k = if len > 0.5 * edges {
                0.5 * edges / len
            } else {
                1.0
            };
            p = [p[0] + k * step[0], p[1] + k * step[1]];
        }
        None
    }

    /// The point of the plane nearest to `p` where the affine map of triangle `rows` (vertices
    /// `v`) takes `composition` (least squares over the components, scaled by their ranges):
    /// the unique solution when the map is regular, else the nearest point of the solution line
    /// inside the triangle, or of the whole line when it misses the triangle.
    fn solve_in(
        &self,
        rows: [usize; 3],
        composition: &[f64],
        v: [[f64; 2]; 3],
        p: [f64; 2],
    ) -> Option<[f64; 2]> {
        let [ra, rb, rc] = rows;
        let (mut uu, mut uv, mut vv, mut ur, mut vr) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (j, &cj) in composition.iter().enumerate() {
            let qa = self.labels[[ra, j]];
            let (du, dv) = (
                (self.labels[[rb, j]] - qa) / self.ranges[j],
                (self.labels[[rc, j]] - qa) / self.ranges[j],
            );
            let r = (cj - qa) / self.ranges[j];
            uu += du * du;
            uv += du * dv;
            vv += dv * dv;
            ur += du * r;
            vr += dv * r;
        }
        let [a, b, c] = v;
        let (ab, ac) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
        let plane = |s: f64, t: f64| [a[0] + s * ab[0] + t * ac[0], a[1] + s * ab[1] + t * ac[1]];
        let det = uu * vv - uv * uv;
        if det > SINGULAR * uu * vv && det > 0.0 {
            let s = (ur * vv - vr * uv) / det;
            let t = (uu * vr - uv * ur) / det;
            return Some(plane(s, t));
        }
        // Rank one: the solutions are the line n·(s, t) = h.
        let (n, h) = if uu >= vv {
            ([uu, uv], ur)
        } else {
            ([uv, vv], vr)
        };
        let nn = n[0] * n[0] + n[1] * n[1];
        if nn <= SINGULAR {
            return None;
        }
        // Barycentric coordinates of p, and its projection onto the line.
        let mdet = ab[0] * ac[1] - ac[0] * ab[1];
        if mdet.abs() <= SINGULAR * (ab[0].hypot(ab[1]) * ac[0].hypot(ac[1])).max(f64::MIN_POSITIVE)
        {
            return None;
        }
        let (px, py) = (p[0] - a[0], p[1] - a[1]);
        let sp = (px * ac[1] - ac[0] * py) / mdet;
        let tp = (ab[0] * py - px * ab[1]) / mdet;
        let off = (h - n[0] * sp - n[1] * tp) / nn;
        let foot = [sp + off * n[0], tp + off * n[1]];
        // Clip the line to the simplex s, t ≥ 0, s + t ≤ 1 (parametrised along d ⊥ n).
        let d = [-n[1], n[0]];
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut clip = |g: f64, dg: f64| {
            // Keep g + λ·dg ≥ 0.
            if dg.abs() <= f64::EPSILON {
                if g < 0.0 {
                    lo = f64::INFINITY;
                }
            } else if dg > 0.0 {
                lo = lo.max(-g / dg);
            } else {
                hi = hi.min(-g / dg);
            }
        };
        clip(foot[0], d[0]);
        clip(foot[1], d[1]);
        clip(1.0 - foot[0] - foot[1], -d[0] - d[1]);
        let lambda = if lo <= hi && lo < f64::INFINITY && hi > f64::NEG_INFINITY {
            0.0f64.clamp(lo, hi)
        } else {
            0.0
        };
        let (s, t) = (foot[0] + lambda * d[0], foot[1] + lambda * d[1]);
        Some(plane(s, t))
    }

    fn finish(
        &self,
        composition: Vec<f64>,
        pattern: Array1<F>,
        latent: [F; 2],
        estimate: Estimate<F>,
    ) -> Generated<F> {
        let distance = estimate.distance;
        Generated {
            composition,
            pattern,
            latent,
            distance,
            outside_data: distance > self.support_radius,
            estimate,
        }
    }

    /// Generates `steps` patterns (≥ 2) at compositions evenly spaced on the straight path from
    /// `from` to `to`, both ends included (e.g. x = 0 … 2 at y = 0). The first step is found
    /// with [`locate`](Self::locate); every further step [walks](Self::walk) along the contour
    /// from the previous point, so the series stays on one branch of the contour and changes
    /// continuously wherever the contour does (falling back to `locate` where the walk fails;
    /// see [`SweepStep::continued`]).
    /// Unreachable steps carry their error; the reachable ones are decoded in one batch.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `steps < 2`; [`Error::InvalidComposition`] for bad ends.
    pub fn sweep(&self, from: &[f64], to: &[f64], steps: usize) -> Result<Vec<SweepStep<F>>> {
        let m = self.estimator.n_values();
        check_composition(from, m)?;
        check_composition(to, m)?;
        if steps < 2 {
            return Err(Error::param(
                "steps",
                format!("a sweep needs ≥ 2 steps, got {steps}"),
            ));
        }
        let last = (steps - 1) as f64;
        let comps: Vec<Vec<f64>> = (0..steps)
            .map(|i| {
                let u = i as f64 / last;
                from.iter().zip(to).map(|(a, b)| a + u * (b - a)).collect()
            })
            .collect();
        // Each step continues from the previous point along the contour, so that the series
        // follows one branch of it; `locate` starts the walk and takes over where it fails.
        let mut located: Vec<Result<([F; 2], Estimate<F>)>> = Vec::with_capacity(steps);
        let mut continued = Vec::with_capacity(steps);
        let mut prev: Option<[F; 2]> = None;
        for c in &comps {
            let walked = prev.and_then(|p| self.walk(c, p));
            continued.push(walked.is_some());
            let r = match walked {
                Some(found) => Ok(found),
                None => self.locate(c),
            };
            prev = r.as_ref().ok().map(|(p, _)| *p);
            located.push(r);
        }
        let ok: Vec<F> = located
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|(p, _)| *p)
            .collect();
        let n_ok = ok.len() / 2;
        let decoded = if n_ok > 0 {
            let z = Array2::from_shape_vec((n_ok, 2), ok).map_err(|e| Error::ShapeMismatch {
                what: "latent points",
                expected: "n × 2".into(),
                found: e.to_string(),
            })?;
            self.model.decode(z.view())?
        } else {
            Array2::zeros((0, self.grid.len()))
        };
        let mut rows = decoded.axis_iter(Axis(0));
        Ok(comps
            .into_iter()
            .zip(located)
            .zip(continued)
            .map(|((composition, r), continued)| {
                let result = match r {
                    Ok((latent, estimate)) => match rows.next() {
                        Some(row) => {
                            Ok(self.finish(composition.clone(), row.to_owned(), latent, estimate))
                        }
                        None => Err(Error::ShapeMismatch {
                            what: "decoded sweep",
                            expected: format!("{n_ok} rows"),
                            found: "fewer".into(),
                        }),
                    },
                    Err(e) => Err(e),
                };
                SweepStep {
                    composition,
                    result,
                    continued,
                }
            })
            .collect())
    }
}

impl<F: Float, M: FeatureSpace<F>> PatternModel<F> for Generator<F, M> {
    fn name(&self) -> &'static str {
        "contour"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn components(&self) -> usize {
        self.estimator.n_values()
    }

    fn predict(&self, composition: &[f64]) -> Result<Array1<F>> {
        Ok(self.generate(composition)?.pattern)
    }
}

impl<'a, F: Float, M: FeatureSpace<F>> xrd_io::Fit<(M, &'a Dataset<F>)> for GeneratorParams {
    type Object = Generator<F, M>;

    /// Builds a generator from `data = (model, training data)`, as [`GeneratorParams::build`].
    fn fit_checked(
        params: &xrd_io::Checked<Self>,
        (model, data): (M, &'a Dataset<F>),
    ) -> Result<Generator<F, M>> {
        params.build(model, data)
    }
}
