//! Baseline (c): a DeepXRD-style direct regressor composition → pattern (Dong et al. 2022): a
//! dense network from xrd-ae's engine trained with the Pearson loss.

use ndarray::{Array1, Array2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};
use xrd_ae::{Activation, Init, Loss, Network, NetworkParams, Progress, TrainConfig};
use xrd_io::{Dataset, Float, Grid};

use crate::composition::check_composition;
use crate::{Error, PatternModel, Result};

/// Architecture and training of a [`DirectRegressor`]. Defaults: hidden widths `[32, 128]`
/// with PReLU (DeepXRD's activation), identity output, Pearson loss, PyTorch initialisation,
/// and xrd-ae's default training (minibatches of 10, 1000 epochs, 10 % validation, Adam).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegressorConfig {
    /// Widths of the hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers.
    pub activation: Activation,
    /// Initialisation.
    pub init: Init,
    /// Loss (Pearson, as DeepXRD found best).
    pub loss: Loss,
    /// Minibatches, epochs, validation, early stopping and optimiser.
    pub train: TrainConfig,
}

impl Default for RegressorConfig {
    fn default() -> Self {
        RegressorConfig {
            hidden: vec![32, 128],
            activation: Activation::Prelu,
            init: Init::Torch,
            loss: Loss::Pearson,
            train: TrainConfig::default(),
        }
    }
}

xrd_io::param_guard!(Error => RegressorConfig);

impl RegressorConfig {
    /// Validates every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] or the engine's parameter error.
    pub fn check(&self) -> Result<()> {
        if self.hidden.is_empty() {
            return Err(Error::param("hidden", "add at least one hidden layer"));
        }
        self.network::<f64>(1).check()?;
        Ok(())
    }

    fn network<F: Float>(&self, outputs: usize) -> NetworkParams<F> {
        let mut p = NetworkParams::<F>::default()
            .init(self.init)
            .loss(self.loss)
            .train(self.train);
        for &h in &self.hidden {
            p = p.layer(h, self.activation);
        }
        p.layer(outputs, Activation::Identity)
    }

    /// Trains a regressor on `data` (inputs: the label columns, targets: the patterns).
    ///
    /// The compositions are scaled to `[0, 1]` per component (over the training data); after
    /// training, one global affine map `a·y + b` is fitted by least squares from the network's
    /// outputs to the training patterns, because the Pearson loss leaves scale and offset free.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for data without labels; the engine's errors (e.g. too few rows).
    pub fn fit<F: Float, R: Rng + ?Sized>(
        &self,
        data: &Dataset<F>,
        rng: &mut R,
    ) -> Result<DirectRegressor<F>> {
        xrd_io::FitWith::fit_with(self, data, rng, |_| {})
    }
}

/// Compositions scaled per component: `(v − offset) · scale`.
fn scaled_inputs<F: Float>(labels: &Array2<f64>, offset: &[f64], scale: &[f64]) -> Array2<F> {
    let mut x = Array2::zeros(labels.raw_dim());
    for ((i, c), v) in labels.indexed_iter() {
        x[[i, c]] = F::of((v - offset[c]) * scale[c]);
    }
    x
}

/// Least-squares `a, b` minimising Σ (a·y + b − t)².
fn affine_fit<F: Float>(y: &Array2<F>, t: &Array2<F>) -> (F, F) {
    let n = y.len() as f64;
    let (mut sy, mut st, mut syy, mut syt) = (0.0, 0.0, 0.0, 0.0);
    for (&y, &t) in y.iter().zip(t.iter()) {
        let (y, t) = (y.as_f64(), t.as_f64());
        sy += y;
        st += t;
        syy += y * y;
        syt += y * t;
    }
    let var = syy - sy * sy / n;
    if n == 0.0 || var <= 0.0 {
        return (F::one(), F::zero());
    }
    let a = (syt - sy * st / n) / var;
    let b = (st - a * sy) / n;
    (F::of(a), F::of(b))
}

/// A trained composition → pattern network (baseline (c)); see [`RegressorConfig::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct DirectRegressor<F> {
    network: Network<F>,
    offset: Vec<f64>,
    scale: Vec<f64>,
    a: F,
    b: F,
    grid: Grid,
}

impl<F: Float> DirectRegressor<F> {
    /// The trained network (inputs: scaled compositions).
    pub fn network(&self) -> &Network<F> {
        &self.network
    }

    /// The output calibration `(a, b)`: pattern = `a · network output + b`.
    pub fn calibration(&self) -> (F, F) {
        (self.a, self.b)
    }

    /// Trains with `config`; see [`RegressorConfig::fit`].
    ///
    /// # Errors
    /// As [`RegressorConfig::fit`].
    pub fn fit<R: Rng + ?Sized>(
        config: &RegressorConfig,
        data: &Dataset<F>,
        rng: &mut R,
    ) -> Result<Self> {
        config.fit(data, rng)
    }
}

impl<F: Float> PatternModel<F> for DirectRegressor<F> {
    fn name(&self) -> &'static str {
        "regressor"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn components(&self) -> usize {
        self.offset.len()
    }

    fn predict(&self, composition: &[f64]) -> Result<Array1<F>> {
        check_composition(composition, self.offset.len())?;
        let labels = Array2::from_shape_vec((1, composition.len()), composition.to_vec())
            .map_err(|e| Error::shape("composition", "1 × components", e.to_string()))?;
        let y = self
            .network
            .predict(&scaled_inputs::<F>(&labels, &self.offset, &self.scale))?;
        Ok(y.row(0).mapv(|v| self.a * v + self.b))
    }
}

impl<'a, F: Float, R: Rng + ?Sized> xrd_io::FitWith<&'a Dataset<F>, R> for RegressorConfig {
    type Object = DirectRegressor<F>;
    type Progress = Progress;

    fn fit_with_checked(
        params: &xrd_io::Checked<Self>,
        data: &'a Dataset<F>,
        rng: &mut R,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<DirectRegressor<F>> {
        let m = data.labels.ncols();
        if m == 0 || data.is_empty() {
            return Err(Error::shape(
                "training data",
                "≥ 1 pattern with ≥ 1 composition (label) column",
                format!("{} × {} labels", data.labels.nrows(), m),
            ));
        }
        let mut lo = vec![f64::INFINITY; m];
        let mut hi = vec![f64::NEG_INFINITY; m];
        for row in data.labels.axis_iter(Axis(0)) {
            check_composition(&row.to_vec(), m)?;
            for (c, &v) in row.iter().enumerate() {
                lo[c] = lo[c].min(v);
                hi[c] = hi[c].max(v);
            }
        }
        let scale: Vec<f64> = lo
            .iter()
            .zip(&hi)
            .map(|(l, h)| if h > l { 1.0 / (h - l) } else { 0.0 })
            .collect();
        let x = scaled_inputs(&data.labels, &lo, &scale);
        let network =
            params
                .network::<F>(data.grid.len())
                .fit(&x, &data.patterns, rng, progress)?;
        let y = network.forward(x.view());
        let (a, b) = affine_fit(&y, &data.patterns);
        Ok(DirectRegressor {
            network,
            offset: lo,
            scale,
            a,
            b,
            grid: data.grid,
        })
    }
}
