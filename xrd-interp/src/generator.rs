//! Contour decoding (Utimula et al. 2022, Sec. III.C): find the feature-space point of a
//! composition on the composition contour and decode it.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use xrd_ae::{Autoencoder, FeatureSpace};
use xrd_io::{Dataset, Float, Grid};
use xrd_latent::{Estimate, TriangleEstimator, TriangleParams};

use crate::composition::{KnownCompositions, check_composition, same_composition};
use crate::{Error, PatternModel, Result};

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
    /// The `triangle` set by [`GeneratorParams::triangle`] (see there for the default).
    pub fn get_triangle(&self) -> &TriangleParams {
        &self.triangle
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

xrd_io::param_guard!(Error => GeneratorParams);

impl GeneratorParams {
    /// Sets the triangle-estimator parameters.
    pub fn triangle(mut self, triangle: TriangleParams) -> Self {
        self.triangle = triangle;
        self
    }

    xrd_io::setters! {
        /// Sets the anchors of the contour.
        anchors, get_anchors: Anchors;

        /// Sets the support factor.
        support_factor, get_support_factor: f64;
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
        xrd_io::Fit::fit(self, (model, data))
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

/// The estimator's target for a composition: every component.
fn target<F: Float>(composition: &[f64]) -> Vec<(usize, F)> {
    composition
        .iter()
        .enumerate()
        .map(|(c, &v)| (c, F::of(v)))
        .collect()
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
    /// Fitted on the anchors' latent points: the training rows, or one centroid per composition.
    estimator: TriangleEstimator<F>,
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
        match self.estimator.locate(&target(composition)) {
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
        // The feature space's single-point path (for an autoencoder, matrix–vector products
        // several times faster than a one-row batch).
        let pattern = self.model.decode_point(&latent)?;
        Ok(self.finish(composition.to_vec(), pattern, latent, estimate))
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
    /// with [`locate`](Self::locate); every further step walks along the contour from the
    /// previous point ([`TriangleEstimator::walk`]), so the series stays on one branch of the
    /// contour and changes continuously wherever the contour does (falling back to `locate`
    /// where the walk fails; see [`SweepStep::continued`]). Unreachable steps carry their
    /// error; the reachable ones are decoded in one batch.
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
            let walked = prev.and_then(|p| self.estimator.walk(&target(c), p).ok());
            continued.push(walked.is_some());
            let r = match walked {
                Some(found) => Ok((found.point, found.estimate)),
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
            let z = Array2::from_shape_vec((n_ok, 2), ok)
                .map_err(|e| Error::shape("latent points", "n × 2", e.to_string()))?;
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
                        None => Err(Error::shape(
                            "decoded sweep",
                            format!("{n_ok} rows"),
                            "fewer",
                        )),
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

    /// Builds a generator from `data = (model, training data)`; the work of
    /// [`GeneratorParams::build`].
    fn fit_checked(
        params: &xrd_io::Checked<Self>,
        (model, data): (M, &'a Dataset<F>),
    ) -> Result<Generator<F, M>> {
        if model.latent() != 2 {
            return Err(Error::shape(
                "feature space",
                "2 dimensions",
                format!("{}", model.latent()),
            ));
        }
        if model.inputs() != data.grid.len() {
            return Err(Error::shape(
                "feature-space input",
                format!("{} points (the data grid)", data.grid.len()),
                format!("{}", model.inputs()),
            ));
        }
        if data.labels.ncols() == 0 {
            return Err(Error::shape(
                "training compositions",
                "≥ 1 label column",
                "none",
            ));
        }
        let latent = model.encode(data.patterns.view())?;
        let (latent, labels) = match params.anchors {
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
        let estimator = params.triangle.fit(latent.view(), values.view())?;
        let gap = composition_gap(&latent, &labels);
        Ok(Generator {
            model,
            estimator,
            grid: data.grid,
            label_names: data.label_names.clone(),
            support_radius: F::of(gap * params.support_factor),
        })
    }
}
