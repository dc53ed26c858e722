//! `xrd.FeatureSpace`: the 2-D feature space of Utimula et al. 2022 — an autoencoder (xrd-ae) or
//! PCA maps patterns to points, and labels of unseen patterns are estimated from the triangle
//! of known points around them (xrd-latent), refused when they lie too far from any.

use ndarray::{Array2, ArrayView2};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use xrd_ae::{Autoencoder, AutoencoderParams, Pca, PcaParams};
use xrd_latent::{EstimateKind, RefusalPolicy, TriangleEstimator};

use crate::errors::{IntoPyResult, value_error};

#[derive(Debug, Clone)]
enum Map {
    Autoencoder(Box<Autoencoder<f32>>),
    Pca(Pca<f32>),
}

impl Map {
    fn encode(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>, xrd_ae::Error> {
        match self {
            Map::Autoencoder(a) => a.as_ref().encode(&x),
            Map::Pca(p) => xrd_ae::FeatureSpace::encode(p, x),
        }
    }

    fn reconstruct(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>, xrd_ae::Error> {
        match self {
            Map::Autoencoder(a) => a.as_ref().reconstruct(&x),
            Map::Pca(p) => xrd_ae::FeatureSpace::reconstruct(p, x),
        }
    }

    fn inputs(&self) -> usize {
        match self {
            Map::Autoencoder(a) => a.inputs(),
            Map::Pca(p) => xrd_ae::FeatureSpace::inputs(p),
        }
    }
}

/// The 2-D feature space of a set of patterns, and estimation of labels (e.g. compositions) of
/// unseen patterns from it (Utimula et al. 2022).
///
/// >>> import numpy as np, xrd
/// >>> x = np.random.default_rng(0).random((40, 50))
/// >>> fs = xrd.FeatureSpace.fit(x, method="pca")
/// >>> fs.transform(x).shape
/// (40, 2)
#[derive(Debug)]
#[pyclass(frozen, module = "xrd", name = "FeatureSpace")]
pub struct FeatureSpace {
    map: Map,
    points: Array2<f64>,
    labels: Option<Array2<f64>>,
    estimator: Option<TriangleEstimator<f64>>,
    refusal: f64,
    policy: Option<RefusalPolicy>,
}

fn matrix(name: &str, a: &Bound<'_, PyAny>) -> PyResult<Array2<f64>> {
    let arr: PyReadonlyArray2<'_, f64> = a.extract().map_err(|_| {
        value_error(format!(
            "{name}: a two-dimensional float64 array (rows are patterns)"
        ))
    })?;
    let m = arr.as_array().to_owned();
    if m.iter().any(|v| !v.is_finite()) {
        return Err(value_error(format!("{name}: NaN or infinite values")));
    }
    Ok(m)
}

impl FeatureSpace {
    fn build(
        map: Map,
        points: Array2<f64>,
        labels: Option<Array2<f64>>,
        refusal: f64,
    ) -> PyResult<Self> {
        let (estimator, policy) = match &labels {
            None => (None, None),
            Some(l) => {
                if l.nrows() != points.nrows() {
                    return Err(value_error(format!(
                        "labels: {} rows for {} patterns",
                        l.nrows(),
                        points.nrows()
                    )));
                }
                let est = TriangleEstimator::params()
                    .fit(points.view(), l.view())
                    .py()?;
                {
                    let known: Vec<[f64; 2]> =
                        points.rows().into_iter().map(|p| [p[0], p[1]]).collect();
                    (
                        Some(est),
                        Some(RefusalPolicy::within_extent(&known, refusal)),
                    )
                }
            }
        };
        Ok(Self {
            map,
            points,
            labels,
            estimator,
            refusal,
            policy,
        })
    }

    fn encode(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Array2<f64>> {
        let x = matrix("patterns", x)?.mapv(|v| v as f32);
        if x.ncols() != self.map.inputs() {
            return Err(value_error(format!(
                "patterns: {} points per pattern, the feature space was fitted on {}",
                x.ncols(),
                self.map.inputs()
            )));
        }
        let z = py.detach(|| self.map.encode(x.view())).py()?;
        Ok(z.mapv(f64::from))
    }
}

#[pymethods]
impl FeatureSpace {
    /// Fits the feature space on `patterns` (n × m float64, rows on one 2θ grid, scaled as you
    /// choose — the paper scales each to its maximum). `method` is "autoencoder" (the paper's
    /// network: hidden layers 128-64-12, tanh bottleneck of 2, Adam, `epochs` epochs, seeded by
    /// `seed`: the same seed gives the same space) or "pca" (two principal components).
    /// `labels` (n × k, e.g. compositions) make `estimate` possible; an estimate is refused
    /// beyond `refusal` × the diagonal of the known points' bounding box from the nearest one.
    #[staticmethod]
    #[pyo3(signature = (patterns, labels=None, method="autoencoder", epochs=1000, seed=0, refusal=0.3))]
    fn fit(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        method: &str,
        epochs: usize,
        seed: u64,
        refusal: f64,
    ) -> PyResult<Self> {
        if !(refusal.is_finite() && refusal > 0.0) {
            return Err(value_error(format!(
                "refusal {refusal}: a positive fraction"
            )));
        }
        let x = matrix("patterns", patterns)?.mapv(|v| v as f32);
        let labels = match labels {
            Some(l) if !l.is_none() => Some(matrix("labels", l)?),
            _ => None,
        };
        let map = py.detach(|| -> PyResult<Map> {
            match method {
                "autoencoder" => {
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                    let params = AutoencoderParams::<f32>::default().epochs(epochs);
                    let ae = params.fit(&x, &mut rng, |_| {}).py()?;
                    Ok(Map::Autoencoder(Box::new(ae)))
                }
                "pca" => Ok(Map::Pca(PcaParams::default().fit(&x).py()?)),
                other => Err(value_error(format!(
                    "method `{other}`: \"autoencoder\" or \"pca\""
                ))),
            }
        })?;
        let points = py.detach(|| map.encode(x.view())).py()?.mapv(f64::from);
        Self::build(map, points, labels, refusal)
    }

    /// The points (n × 2) of patterns in the feature space.
    fn transform<'py>(
        &self,
        py: Python<'py>,
        patterns: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(self.encode(py, patterns)?.into_pyarray(py))
    }

    /// The patterns decoded back from their points.
    fn reconstruct<'py>(
        &self,
        py: Python<'py>,
        patterns: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = matrix("patterns", patterns)?.mapv(|v| v as f32);
        let r = py.detach(|| self.map.reconstruct(x.view())).py()?;
        Ok(r.mapv(f64::from).into_pyarray(py))
    }

    /// Each pattern's labels estimated from the triangle of
    /// known points around its point: value (list), kind ("inside", "inside-k-nearest",
    /// "outside"), distance (to the nearest known point), refused.
    fn estimate<'py>(
        &self,
        py: Python<'py>,
        patterns: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let (Some(est), Some(policy)) = (&self.estimator, &self.policy) else {
            return Err(value_error("estimate: fit the feature space with labels"));
        };
        let z = self.encode(py, patterns)?;
        z.rows()
            .into_iter()
            .map(|p| {
                let e = est.estimate([p[0], p[1]]);
                let kind = match e.kind {
                    EstimateKind::Inside => "inside",
                    EstimateKind::InsideKNearest => "inside-k-nearest",
                    EstimateKind::Outside { .. } => "outside",
                };
                let d = PyDict::new(py);
                d.set_item("point", (p[0], p[1]))?;
                d.set_item("value", e.value.clone())?;
                d.set_item("kind", kind)?;
                d.set_item("distance", e.distance)?;
                d.set_item("refused", !policy.accepts(&e.kind, e.distance))?;
                Ok(d)
            })
            .collect()
    }

    /// The points (n × 2) of the patterns it was fitted on.
    #[getter]
    fn points<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.points.clone().into_pyarray(py)
    }

    /// "autoencoder" or "pca".
    #[getter]
    fn method(&self) -> &'static str {
        match self.map {
            Map::Autoencoder(_) => "autoencoder",
            Map::Pca(_) => "pca",
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "FeatureSpace({}, {} patterns of {} points{})",
            self.method(),
            self.points.nrows(),
            self.map.inputs(),
            self.labels
                .as_ref()
                .map_or(String::new(), |l| format!(", {} labels each", l.ncols()))
        )
    }

    /// Pickling: the model (safetensors or JSON), the points, the labels and the refusal.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let (method, model): (&str, Vec<u8>) = match &me.map {
            Map::Autoencoder(a) => ("autoencoder", a.to_safetensors().py()?),
            Map::Pca(p) => (
                "pca",
                serde_json::to_vec(p).map_err(|e| value_error(e.to_string()))?,
            ),
        };
        let args = PyTuple::new(
            py,
            [
                method.into_pyobject(py)?.into_any(),
                PyBytes::new(py, &model).into_any(),
                me.points.clone().into_pyarray(py).into_any(),
                match &me.labels {
                    Some(l) => l.clone().into_pyarray(py).into_any(),
                    None => py.None().into_bound(py),
                },
                me.refusal.into_pyobject(py)?.into_any(),
            ],
        )?;
        Ok((py.get_type::<FeatureSpace>().getattr("_from_state")?, args))
    }

    /// Rebuilds a pickled feature space.
    #[staticmethod]
    fn _from_state(
        method: &str,
        model: &[u8],
        points: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        refusal: f64,
    ) -> PyResult<Self> {
        let map = match method {
            "autoencoder" => Map::Autoencoder(Box::new(Autoencoder::from_safetensors(model).py()?)),
            "pca" => {
                Map::Pca(serde_json::from_slice(model).map_err(|e| value_error(e.to_string()))?)
            }
            other => return Err(value_error(format!("unknown feature space `{other}`"))),
        };
        let labels = match labels {
            Some(l) if !l.is_none() => Some(matrix("labels", l)?),
            _ => None,
        };
        Self::build(map, matrix("points", points)?, labels, refusal)
    }
}
