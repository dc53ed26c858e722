//! `xrd.FeatureSpace`: the 2-D feature space of Utimula et al. 2022 through xrd-latent's
//! pipeline (the one `xrd feature-space` runs): an autoencoder trained with restarts and early
//! stopping, or PCA, chosen by how well each reconstructs held-out patterns; labels of unseen
//! patterns estimated from the labelled points around them, refusal calibrated on their
//! leave-one-out.

use ndarray::{Array2, ArrayView2};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use xrd_ae::{Autoencoder, Pca};
use xrd_latent::{EstimationParams, PipelineData, PipelineParams, Space, SpaceChoice, points_of};

use crate::errors::{IntoPyResult, value_error};

#[derive(Debug, Clone)]
enum Map {
    Autoencoder(Box<Autoencoder<f32>>),
    Pca(Pca<f32>),
}

impl Map {
    fn as_space(&self) -> &(dyn xrd_ae::FeatureSpace<f32> + Sync) {
        match self {
            Map::Autoencoder(a) => a.as_ref(),
            Map::Pca(p) => p,
        }
    }
}

/// The 2-D feature space of a set of patterns, and estimation of labels (e.g. compositions) of
/// unseen patterns from it (Utimula et al. 2022), as `xrd feature-space` builds it.
///
/// >>> import numpy as np, xrd
/// >>> x = np.random.default_rng(0).random((40, 50))
/// >>> fs = xrd.FeatureSpace.fit(x, method="pca")
/// >>> fs.transform(x).shape, fs.method
/// ((40, 2), 'pca')
#[derive(Debug)]
#[pyclass(frozen, module = "xrd", name = "FeatureSpace")]
pub struct FeatureSpace {
    map: Map,
    /// Points of the fitted patterns.
    points: Array2<f64>,
    /// Labels of the first `labels.nrows()` fitted patterns.
    labels: Option<Array2<f64>>,
    /// The pipeline's diagnostics as JSON (empty after unpickling an old state).
    diagnostics: String,
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

/// The label group of each labelled row: rows with equal labels share a group (the purity of
/// the pipeline's diagnostics).
fn groups_of(labels: ArrayView2<'_, f64>) -> Vec<usize> {
    let mut seen: Vec<Vec<u64>> = Vec::new();
    labels
        .rows()
        .into_iter()
        .map(|r| {
            let key: Vec<u64> = r.iter().map(|v| v.to_bits()).collect();
            match seen.iter().position(|k| *k == key) {
                Some(g) => g,
                None => {
                    seen.push(key);
                    seen.len() - 1
                }
            }
        })
        .collect()
}

impl FeatureSpace {
    fn encode(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Array2<f64>> {
        let x = matrix("patterns", x)?.mapv(|v| v as f32);
        let space = self.map.as_space();
        if x.ncols() != space.inputs() {
            return Err(value_error(format!(
                "patterns: {} points per pattern, the feature space was fitted on {}",
                x.ncols(),
                space.inputs()
            )));
        }
        let z = py.detach(|| space.encode(x.view())).py()?;
        Ok(z.mapv(f64::from))
    }

    fn method_name(&self) -> &'static str {
        match self.map {
            Map::Autoencoder(_) => "autoencoder",
            Map::Pca(_) => "pca",
        }
    }
}

#[pymethods]
impl FeatureSpace {
    /// Fits the feature space on `patterns` (n × m float64, rows on one 2θ grid, scaled as you
    /// choose — the paper scales each to its maximum) with the pipeline of `xrd feature-space`:
    /// `method` "auto" keeps whichever of the autoencoder (the paper's network, `restarts`
    /// trainings of up to `epochs` epochs with early stopping after `patience`) and the
    /// 2-component PCA reconstructs the held-out `validation` fraction better; "autoencoder" or
    /// "pca" force one. `labels` (k × L, k ≤ n: the first k patterns are labelled, e.g. with
    /// their compositions) make `estimate` possible and the diagnostics' purity meaningful. The
    /// same `seed` gives the same space.
    #[staticmethod]
    #[pyo3(signature = (patterns, labels=None, method="auto", epochs=1000, restarts=3, patience=100, validation=0.2, seed=1))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        patterns: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        method: &str,
        epochs: usize,
        restarts: usize,
        patience: usize,
        validation: f64,
        seed: u64,
    ) -> PyResult<Self> {
        let choice = match method {
            "auto" => SpaceChoice::Auto,
            "autoencoder" => SpaceChoice::Autoencoder,
            "pca" => SpaceChoice::Pca,
            other => {
                return Err(value_error(format!(
                    "method `{other}`: \"auto\", \"autoencoder\" or \"pca\""
                )));
            }
        };
        let x = matrix("patterns", patterns)?.mapv(|v| v as f32);
        let labels = match labels {
            Some(l) if !l.is_none() => Some(matrix("labels", l)?),
            _ => None,
        };
        if let Some(l) = &labels
            && l.nrows() > x.nrows()
        {
            return Err(value_error(format!(
                "labels: {} rows for {} patterns",
                l.nrows(),
                x.nrows()
            )));
        }
        let groups = labels
            .as_ref()
            .map_or_else(Vec::new, |l| groups_of(l.view()));
        let params = PipelineParams::new()
            .epochs(epochs)
            .restarts(restarts)
            .patience(patience)
            .validation(validation)
            .seed(seed)
            .choice(choice);
        let fitted = py
            .detach(|| {
                params.fit(
                    PipelineData {
                        patterns: x.view(),
                        groups: &groups,
                        model: None,
                    },
                    |_| {},
                )
            })
            .py()?;
        let diagnostics =
            serde_json::to_string(&fitted.diagnostics).map_err(|e| value_error(e.to_string()))?;
        let map = match (fitted.chosen(), fitted.autoencoder) {
            (Space::Autoencoder, Some(a)) => Map::Autoencoder(Box::new(a)),
            _ => Map::Pca(fitted.pca),
        };
        let points = points_of(map.as_space(), x.view()).py()?;
        let points = Array2::from_shape_fn((points.len(), 2), |(i, j)| points[i][j]);
        Ok(Self {
            map,
            points,
            labels,
            diagnostics,
        })
    }

    /// The points (n × 2) of `patterns` in the feature space.
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
        let r = py
            .detach(|| self.map.as_space().reconstruct(x.view()))
            .py()?;
        Ok(r.mapv(f64::from).into_pyarray(py))
    }

    /// Each pattern's labels estimated from the labelled points around its point, by the
    /// estimator of lowest leave-one-out error (as `xrd feature-space --labels`): value (list),
    /// estimator ("triangle", "locallinear", "linear"), extrapolated, distance (to the nearest
    /// labelled point) and refused (beyond the distance calibrated on the leave-one-out).
    fn estimate<'py>(
        &self,
        py: Python<'py>,
        patterns: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let Some(labels) = &self.labels else {
            return Err(value_error("estimate: fit the feature space with labels"));
        };
        let z = self.encode(py, patterns)?;
        let query: Vec<[f64; 2]> = z.rows().into_iter().map(|p| [p[0], p[1]]).collect();
        let known = self.points.slice(ndarray::s![..labels.nrows(), ..]);
        let est = py
            .detach(|| EstimationParams::new().estimate(known, labels.view(), &query, None))
            .py()?;
        est.answers
            .iter()
            .zip(&query)
            .map(|((a, refused), p)| {
                let d = PyDict::new(py);
                d.set_item("point", (p[0], p[1]))?;
                d.set_item("value", a.value.clone())?;
                d.set_item("estimator", format!("{:?}", a.by).to_lowercase())?;
                d.set_item("extrapolated", a.extrapolated)?;
                d.set_item("distance", a.distance)?;
                d.set_item("refused", *refused)?;
                Ok(d)
            })
            .collect()
    }

    /// The points (n × 2) of the patterns it was fitted on.
    #[getter]
    fn points<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.points.clone().into_pyarray(py)
    }

    /// "autoencoder" or "pca": the feature space kept.
    #[getter]
    fn method(&self) -> &'static str {
        self.method_name()
    }

    /// What the pipeline measured of both spaces (validation errors, purity, the choice), as
    /// `xrd feature-space` writes it.
    #[getter]
    fn diagnostics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .getattr("loads")?
            .call1((self.diagnostics.as_str(),))
    }

    fn __repr__(&self) -> String {
        format!(
            "FeatureSpace({}, {} patterns of {} points{})",
            self.method_name(),
            self.points.nrows(),
            self.map.as_space().inputs(),
            self.labels
                .as_ref()
                .map_or(String::new(), |l| format!(", {} labelled", l.nrows()))
        )
    }

    /// Pickling: the model (safetensors or JSON), the points, the labels and the diagnostics.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let model: Vec<u8> = match &me.map {
            Map::Autoencoder(a) => a.to_safetensors().py()?,
            Map::Pca(p) => serde_json::to_vec(p).map_err(|e| value_error(e.to_string()))?,
        };
        let args = PyTuple::new(
            py,
            [
                me.method_name().into_pyobject(py)?.into_any(),
                PyBytes::new(py, &model).into_any(),
                me.points.clone().into_pyarray(py).into_any(),
                match &me.labels {
                    Some(l) => l.clone().into_pyarray(py).into_any(),
                    None => py.None().into_bound(py),
                },
                me.diagnostics.clone().into_pyobject(py)?.into_any(),
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
        diagnostics: String,
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
        Ok(Self {
            map,
            points: matrix("points", points)?,
            labels,
            diagnostics,
        })
    }
}
