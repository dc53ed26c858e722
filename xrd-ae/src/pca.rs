//! Principal component analysis: the exact linear feature space the autoencoder is measured
//! against.

use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Axis, Data, Ix2};
use serde::{Deserialize, Serialize};
use xrd_core::Float;

use crate::dense::check_input;
use crate::{Error, FeatureSpace, Result};

/// Default number of components of [`PcaParams`]: 2, the paper's feature-space dimension.
pub const DEFAULT_COMPONENTS: usize = 2;

/// A component whose variance is below this fraction of the largest is treated as absent (the
/// data do not span that direction; its direction would be rounding noise).
pub const RANK_TOLERANCE: f64 = 1e-10;

/// Builder of a [`Pca`].
///
/// | parameter | default | valid |
/// |---|---|---|
/// | `components` | [`DEFAULT_COMPONENTS`] = 2 | `≥ 1`, at most the rank of the centred data |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PcaParams {
    /// Number of principal components kept (the feature-space dimension).
    components: usize,
}

impl Default for PcaParams {
    fn default() -> Self {
        PcaParams {
            components: DEFAULT_COMPONENTS,
        }
    }
}

xrd_core::param_guard!(Error => PcaParams);

impl PcaParams {
    xrd_core::setters! {
        /// Sets the number of components.
        components, get_components: usize;
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `components == 0`.
    pub fn check(&self) -> Result<()> {
        if self.components == 0 {
            return Err(Error::param("components", "must be ≥ 1"));
        }
        Ok(())
    }

    /// Fits the components to the rows of `x` (n × points): centres the rows and takes the
    /// leading eigenvectors of the covariance, through the smaller of the two Gram matrices
    /// (n × n when there are fewer patterns than points, as usual for diffraction patterns).
    /// Arithmetic is in `f64` whatever `F` is, so f32 and f64 fits agree to f32 rounding. Each
    /// component's sign is fixed so that its largest-magnitude loading is positive (the first
    /// such loading on ties): the same data always give the same feature space.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters or more components than the centred
    /// data have dimensions; [`Error::TooFewSamples`] for fewer than two rows;
    /// [`Error::NonFinite`] for NaN/∞ values; [`Error::ShapeMismatch`] for zero columns.
    pub fn fit<F: Float, S: Data<Elem = F>>(&self, x: &ArrayBase<S, Ix2>) -> Result<Pca<F>> {
        xrd_core::Fit::fit(self, x)
    }
}

/// A fitted principal component analysis: `z = V(x − μ)`, `x̂ = Vᵀz + μ` with orthonormal rows
/// of `V`. Built by [`PcaParams::fit`]; see [`FeatureSpace`] for encoding and decoding.
///
/// ```
/// use ndarray::array;
/// use xrd_ae::{FeatureSpace, Pca};
///
/// let x = array![[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [3.0, 6.0, 1.0], [4.0, 8.0, 1.0]];
/// let pca = Pca::params().components(2).fit(&x)?;
/// let z = pca.encode(x.view())?;
/// assert_eq!(z.dim(), (4, 2));
/// // Two components span these centred rows exactly.
/// assert!(pca.reconstruction_mse(x.view())? < 1e-20);
/// # Ok::<(), xrd_ae::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca<F = f64> {
    mean: Array1<F>,
    components: Array2<F>,
    /// `−Vμ`, so that encoding is one affine map `Vx − Vμ` (the form of a dense layer).
    offset: Array1<F>,
    variances: Vec<f64>,
    total_variance: f64,
}

impl Pca<f64> {
    /// The builder, with defaults.
    pub fn params() -> PcaParams {
        PcaParams::default()
    }
}

impl<F: Float> Pca<F> {
    /// The mean pattern μ.
    pub fn mean(&self) -> &Array1<F> {
        &self.mean
    }

    /// The components, one orthonormal row per feature-space axis (`latent × points`).
    pub fn components(&self) -> ArrayView2<'_, F> {
        self.components.view()
    }

    /// The offset `−Vμ` of the encoding `z = Vx − Vμ`.
    pub fn offset(&self) -> &Array1<F> {
        &self.offset
    }

    /// Variance of the training rows along each component (sample variance, `n − 1`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.variances
    }

    /// Fraction of the training rows' total variance along each component.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.variances
            .iter()
            .map(|v| {
                if self.total_variance > 0.0 {
                    v / self.total_variance
                } else {
                    0.0
                }
            })
            .collect()
    }
}

impl<F: Float> FeatureSpace<F> for Pca<F> {
    fn name(&self) -> &'static str {
        "pca"
    }

    fn inputs(&self) -> usize {
        self.components.ncols()
    }

    fn latent(&self) -> usize {
        self.components.nrows()
    }

    fn encode(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        check_input(x, self.inputs(), "patterns")?;
        Ok(x.dot(&self.components.t()) + self.offset.view().insert_axis(Axis(0)))
    }

    fn decode(&self, z: ArrayView2<'_, F>) -> Result<Array2<F>> {
        check_input(z, self.latent(), "latent points")?;
        Ok(z.dot(&self.components) + self.mean.view().insert_axis(Axis(0)))
    }
}

impl<'a, F: Float, S: Data<Elem = F>> xrd_core::Fit<&'a ArrayBase<S, Ix2>> for PcaParams {
    type Object = Pca<F>;

    /// The fit of [`PcaParams::fit`].
    fn fit_checked(params: &xrd_core::Checked<Self>, x: &'a ArrayBase<S, Ix2>) -> Result<Pca<F>> {
        let (n, d) = x.dim();
        if d == 0 {
            return Err(Error::shape("PCA data", "≥ 1 column", format!("{n} × 0")));
        }
        check_input(x.view(), d, "PCA data")?;
        if n < 2 {
            return Err(Error::TooFewSamples(format!(
                "PCA needs at least 2 patterns, got {n}"
            )));
        }
        let k = params.components;
        let xf = x.mapv(|v| v.as_f64());
        let mean = xf.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
        let xc = &xf - &mean.view().insert_axis(Axis(0));
        // Eigen-pairs of XcᵀXc: directly (d × d) or from XcXcᵀ (n × n), v = Xcᵀu / √λ.
        let small = n <= d;
        let gram = if small {
            xc.dot(&xc.t())
        } else {
            xc.t().dot(&xc)
        };
        let (values, vectors) =
            xrd_core::linalg::symmetric_eigen(gram.view()).ok_or_else(|| {
                Error::TooFewSamples("the eigen-decomposition did not converge".into())
            })?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let largest = values[order[0]].max(0.0);
        let rank = order
            .iter()
            .take_while(|&&i| values[i] > RANK_TOLERANCE * largest && values[i] > 0.0)
            .count();
        if k > rank {
            return Err(Error::param(
                "components",
                format!(
                    "{k} components asked for, but the centred data span only {rank} dimensions"
                ),
            ));
        }
        let mut components = Array2::<f64>::zeros((k, d));
        let mut variances = Vec::with_capacity(k);
        for (c, &i) in order.iter().take(k).enumerate() {
            let lambda = values[i];
            let mut v = if small {
                xc.t().dot(&vectors.column(i))
            } else {
                vectors.column(i).to_owned()
            };
            let norm = v.dot(&v).sqrt();
            v /= norm;
            let pivot = v
                .iter()
                .enumerate()
                .fold((0, 0.0f64), |(bi, bv), (j, &a)| {
                    if a.abs() > bv { (j, a.abs()) } else { (bi, bv) }
                })
                .0;
            if v[pivot] < 0.0 {
                v.mapv_inplace(|a| -a);
            }
            components.row_mut(c).assign(&v);
            variances.push(lambda / (n - 1) as f64);
        }
        let total_variance = values.iter().map(|&v| v.max(0.0)).sum::<f64>() / (n - 1) as f64;
        let offset = -components.dot(&mean);
        Ok(Pca {
            mean: mean.mapv(F::of),
            components: components.mapv(F::of),
            offset: offset.mapv(F::of),
            variances,
            total_variance,
        })
    }
}
