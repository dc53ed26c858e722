//! `import xrd`: the xrd workspace for Python (PyO3, abi3). Every function wraps a library crate;
//! the logic lives there, so Python and the `xrd` command give the same answers.

mod classify;
mod control;
mod errors;
mod feature_space;
mod identify;
mod index;
mod libraries;
mod pattern;
mod peaks;
mod refine;
mod simulate;

use pyo3::prelude::*;

/// The compiled part of the `xrd` package (re-exported by `xrd/__init__.py`).
#[pymodule]
fn _xrd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<pattern::Pattern>()?;
    m.add_function(wrap_pyfunction!(pattern::read, m)?)?;
    m.add_function(wrap_pyfunction!(pattern::read_all, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::peaks, m)?)?;
    m.add_function(wrap_pyfunction!(identify::identify, m)?)?;
    m.add_function(wrap_pyfunction!(refine::refine, m)?)?;
    m.add_function(wrap_pyfunction!(refine::refine_series, m)?)?;
    m.add_function(wrap_pyfunction!(refine::_options_fields, m)?)?;
    m.add_function(wrap_pyfunction!(refine::_row_columns, m)?)?;
    m.add_function(wrap_pyfunction!(index::index, m)?)?;
    m.add_function(wrap_pyfunction!(peaks::fit_peaks, m)?)?;
    m.add_function(wrap_pyfunction!(classify::classify, m)?)?;
    m.add_class::<feature_space::FeatureSpace>()?;
    Ok(())
}
