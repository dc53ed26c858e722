//! `xrd.Pattern`, `xrd.read` and `xrd.read_all`: a measured or simulated powder pattern and the
//! file readers of xrd-io.

use std::path::PathBuf;

use ndarray::Array1;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use xrd_io::{Metadata, OutputFormat, Wavelength};

use crate::errors::{IntoPyResult, value_error};

/// A powder pattern: 2θ in degrees (strictly increasing), intensities, optional esds, the
/// wavelength when known and what the file said about the sample.
///
/// >>> import numpy as np, xrd
/// >>> p = xrd.Pattern(np.linspace(10, 80, 701), np.ones(701), wavelength="Cu")
/// >>> len(p), p.wavelength
/// (701, 1.540598)
#[derive(Debug)]
#[pyclass(frozen, module = "xrd", name = "Pattern")]
pub struct Pattern {
    two_theta: Array1<f64>,
    intensity: Array1<f64>,
    sigma: Option<Array1<f64>>,
    wavelength: Option<Wavelength>,
    meta: Metadata,
}

impl Pattern {
    /// The Python pattern of an xrd-io pattern.
    pub fn from_rust(p: &xrd_io::Pattern) -> Self {
        Self {
            two_theta: Array1::from(p.two_theta().to_vec()),
            intensity: Array1::from(p.intensity().to_vec()),
            sigma: p.sigma().map(|s| Array1::from(s.to_vec())),
            wavelength: p.wavelength(),
            meta: p.meta().clone(),
        }
    }

    /// The xrd-io pattern (checked again: every constructor checked it already).
    pub fn to_rust(&self) -> PyResult<xrd_io::Pattern> {
        let p = xrd_io::Pattern::new(self.two_theta.to_vec(), self.intensity.to_vec())
            .py()?
            .with_sigma(self.sigma.as_ref().map(|s| s.to_vec()))
            .py()?
            .with_wavelength(self.wavelength)
            .with_meta(self.meta.clone());
        Ok(p)
    }

    /// A pattern of arrays from Python, checked by xrd-io's constructors.
    fn checked(
        two_theta: &Bound<'_, PyAny>,
        intensity: &Bound<'_, PyAny>,
        sigma: Option<&Bound<'_, PyAny>>,
        wavelength: Option<Wavelength>,
        meta: Metadata,
    ) -> PyResult<Self> {
        let sigma = match sigma {
            Some(s) if !s.is_none() => Some(array_of("sigma", s)?),
            _ => None,
        };
        let p = xrd_io::Pattern::new(
            array_of("two_theta", two_theta)?,
            array_of("intensity", intensity)?,
        )
        .py()?
        .with_sigma(sigma)
        .py()?
        .with_wavelength(wavelength)
        .with_meta(meta);
        Ok(Self::from_rust(&p))
    }

    /// A read-only NumPy view of `array`, kept alive by `owner` (no copy).
    #[allow(unsafe_code)]
    fn view<'py>(
        owner: &Bound<'py, Self>,
        array: &Array1<f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        // SAFETY: `owner` is frozen, so `array` is never moved or changed while the view (which
        // holds a reference to `owner`) lives.
        let a = unsafe { PyArray1::borrow_from_array(array, owner.clone().into_any()) };
        let kwargs = PyDict::new(owner.py());
        kwargs.set_item("write", false)?;
        a.call_method("setflags", (), Some(&kwargs))?;
        Ok(a)
    }
}

/// A wavelength given from Python: Å as a number, or a name (`"Cu"`, `"MoKa1"`, `"1.5406"`).
pub fn wavelength_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Wavelength>> {
    let Some(v) = value else {
        return Ok(None);
    };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(x) = v.extract::<f64>() {
        return Wavelength::monochromatic(x).py().map(Some);
    }
    let s: String = v.extract().map_err(|_| {
        value_error("wavelength: a number (Å) or a name such as \"Cu\" or \"MoKa1\"")
    })?;
    s.parse::<Wavelength>().py().map(Some)
}

fn metadata_of(d: &Bound<'_, PyDict>) -> PyResult<Metadata> {
    let mut m = Metadata::default();
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        match key.as_str() {
            "sample" => m.sample = v.extract()?,
            "source" => m.source = v.extract()?,
            "comments" => m.comments = v.extract()?,
            "counting_time" => m.counting_time = v.extract()?,
            "extra" => m.extra = v.extract::<Vec<(String, String)>>()?,
            // Said by the reader, not settable.
            "format" => {}
            other => {
                return Err(value_error(format!(
                    "metadata: unknown key `{other}` (sample, source, comments, counting_time, \
                     extra)"
                )));
            }
        }
    }
    Ok(m)
}

fn array_of(name: &str, a: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    if let Ok(arr) = a.extract::<PyReadonlyArray1<'_, f64>>() {
        return Ok(arr.as_array().to_vec());
    }
    a.extract::<Vec<f64>>()
        .map_err(|_| value_error(format!("{name}: a one-dimensional array of numbers")))
}

#[pymethods]
impl Pattern {
    /// `two_theta` in degrees, strictly increasing and finite; `intensity` finite, of the same
    /// length; `wavelength` in Å or a name ("Cu", "MoKa1"); `sigma` the intensities' esds;
    /// `metadata` a dict with any of sample, source, comments, counting_time, extra.
    #[new]
    #[pyo3(signature = (two_theta, intensity, wavelength=None, sigma=None, metadata=None))]
    fn new(
        two_theta: &Bound<'_, PyAny>,
        intensity: &Bound<'_, PyAny>,
        wavelength: Option<&Bound<'_, PyAny>>,
        sigma: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let meta = match metadata {
            Some(d) => metadata_of(d)?,
            None => Metadata::default(),
        };
        Self::checked(
            two_theta,
            intensity,
            sigma,
            wavelength_of(wavelength)?,
            meta,
        )
    }

    /// 2θ in degrees (read-only NumPy view, no copy).
    #[getter]
    fn two_theta<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Self::view(slf, &slf.get().two_theta)
    }

    /// Intensities (read-only NumPy view, no copy).
    #[getter]
    fn intensity<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Self::view(slf, &slf.get().intensity)
    }

    /// The intensities' esds when the file gives them, else None.
    #[getter]
    fn sigma<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyArray1<f64>>>> {
        match &slf.get().sigma {
            Some(s) => Self::view(slf, s).map(Some),
            None => Ok(None),
        }
    }

    /// The wavelength in Å (Kα1 of a doublet) when known, else None.
    #[getter]
    fn wavelength(&self) -> Option<f64> {
        self.wavelength.map(|w| w.angstrom())
    }

    /// The wavelength in full ("Cu Kα1 1.540598 Å + Kα2 1.544426 Å (ratio 0.5)"), or None.
    #[getter]
    fn radiation(&self) -> Option<String> {
        self.wavelength.map(|w| w.to_string())
    }

    /// What the file said: format, source, sample, comments, counting_time, extra.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let m = &self.meta;
        d.set_item("format", m.format.map(|f| f.name()))?;
        d.set_item("source", m.source.clone())?;
        d.set_item("sample", m.sample.clone())?;
        d.set_item("comments", PyList::new(py, &m.comments)?)?;
        d.set_item("counting_time", m.counting_time)?;
        let extra = PyDict::new(py);
        for (k, v) in &m.extra {
            if !extra.contains(k)? {
                extra.set_item(k, v)?;
            }
        }
        d.set_item("extra", extra)?;
        Ok(d)
    }

    /// Writes the pattern: `.xy`, `.csv`, `.json` or `.npy` by the file's extension
    /// (atomically: a reader never sees half a file).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let format = OutputFormat::from_path(&path).ok_or_else(|| {
            value_error(format!(
                "{}: write .xy, .csv, .json or .npy",
                path.display()
            ))
        })?;
        let p = self.to_rust()?;
        py.detach(|| xrd_io::save(&path, &[p], format)).py()
    }

    fn __len__(&self) -> usize {
        self.two_theta.len()
    }

    fn __repr__(&self) -> String {
        let n = self.two_theta.len();
        let w = self
            .wavelength
            .map_or_else(|| "unknown wavelength".to_string(), |w| w.to_string());
        let source = self
            .meta
            .source
            .as_deref()
            .map_or(String::new(), |s| format!(" from {s}"));
        format!(
            "Pattern({n} points, 2θ {:.3}–{:.3}°, {w}{source})",
            self.two_theta[0],
            self.two_theta[n - 1]
        )
    }

    /// Pickling (Dask ships patterns between processes): the arrays, the wavelength as text
    /// (which reads back equal) and the metadata as JSON.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let meta = serde_json::to_string(&me.meta).map_err(|e| value_error(e.to_string()))?;
        let args = PyTuple::new(
            py,
            [
                PyArray1::from_slice(
                    py,
                    me.two_theta.as_slice().unwrap_or(&me.two_theta.to_vec()),
                )
                .into_any(),
                PyArray1::from_slice(
                    py,
                    me.intensity.as_slice().unwrap_or(&me.intensity.to_vec()),
                )
                .into_any(),
                match &me.sigma {
                    Some(s) => PyArray1::from_vec(py, s.to_vec()).into_any(),
                    None => py.None().into_bound(py),
                },
                me.wavelength
                    .map(|w| w.to_string())
                    .into_pyobject(py)?
                    .into_any(),
                meta.into_pyobject(py)?.into_any(),
            ],
        )?;
        let rebuild = py.get_type::<Pattern>().getattr("_from_state")?;
        Ok((rebuild, args))
    }

    /// Rebuilds a pickled pattern.
    #[staticmethod]
    fn _from_state(
        two_theta: &Bound<'_, PyAny>,
        intensity: &Bound<'_, PyAny>,
        sigma: Option<&Bound<'_, PyAny>>,
        wavelength: Option<String>,
        metadata: String,
    ) -> PyResult<Self> {
        let meta: Metadata =
            serde_json::from_str(&metadata).map_err(|e| value_error(e.to_string()))?;
        let wavelength = wavelength
            .map(|w| w.parse::<Wavelength>())
            .transpose()
            .py()?;
        Self::checked(two_theta, intensity, sigma, wavelength, meta)
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.two_theta == other.two_theta
            && self.intensity == other.intensity
            && self.sigma == other.sigma
            && self.wavelength == other.wavelength
            && self.meta == other.meta
    }
}

/// The pattern of a file in any format xrd reads (XRDML, RAW, BRML, RRUFF, GSAS, CIF powder
/// data, xy/xye/csv columns, NumPy .npy/.npz and more); `index` picks one of a file that holds
/// several. Raises FileNotFoundError / OSError when the file cannot be read, ValueError when it
/// is not a pattern.
#[pyfunction]
#[pyo3(signature = (path, index=0))]
pub fn read(py: Python<'_>, path: PathBuf, index: usize) -> PyResult<Pattern> {
    let mut all = py.detach(|| xrd_io::read(&path)).py()?;
    let n = all.len();
    if index >= n {
        return Err(value_error(format!(
            "{}: index {index}, but the file holds {n} pattern(s)",
            path.display()
        )));
    }
    Ok(Pattern::from_rust(&all.swap_remove(index)))
}

/// Every pattern of a file (most files hold one; NumPy .npz and some vendor files several).
#[pyfunction]
pub fn read_all(py: Python<'_>, path: PathBuf) -> PyResult<Vec<Pattern>> {
    let all = py.detach(|| xrd_io::read(&path)).py()?;
    Ok(all.iter().map(Pattern::from_rust).collect())
}

/// A pattern given from Python: a `Pattern`, or a path to read (its first pattern), with the
/// label rows are given under (the path, or the pattern's source file).
pub fn pattern_arg(py: Python<'_>, arg: &Bound<'_, PyAny>) -> PyResult<(String, xrd_io::Pattern)> {
    if let Ok(p) = arg.cast::<Pattern>() {
        let p = p.get();
        let label = p.meta.source.clone().unwrap_or_default();
        return Ok((label, p.to_rust()?));
    }
    let path: PathBuf = arg
        .extract()
        .map_err(|_| value_error("a Pattern or the path of a pattern file"))?;
    let mut all = py.detach(|| xrd_io::read(&path)).py()?;
    let label = path.display().to_string();
    if all.is_empty() {
        return Err(value_error(format!("{label}: no pattern")));
    }
    Ok((label, all.swap_remove(0)))
}

/// A measured pattern given from Python ([`pattern_arg`]) and the wavelength it was measured
/// at: the file's, else `wavelength`, else Cu Kα (as the command line's `--wavelength`); the
/// pattern carries it.
pub fn measured_arg(
    py: Python<'_>,
    arg: &Bound<'_, PyAny>,
    wavelength: Option<&Bound<'_, PyAny>>,
) -> PyResult<(String, xrd_io::Pattern, Wavelength)> {
    let (label, pattern) = pattern_arg(py, arg)?;
    let w = xrd_jobs::measured_wavelength(pattern.wavelength(), wavelength_of(wavelength)?, None)
        .unwrap_or(Wavelength::CU_KA);
    Ok((label, pattern.with_wavelength(Some(w)), w))
}
