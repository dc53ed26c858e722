"""xrd: powder X-ray diffraction in Rust, for Python.

Read any pattern file, simulate patterns of structures, identify phases against a mineral
library, refine them (Rietveld: weight fractions, cells, sizes), list and fit their peaks,
index cells, classify crystal
symmetry, and build the 2-D feature space of Utimula et al. 2022. Every function wraps one of
the xrd library crates, so it answers as the ``xrd`` command does.

>>> import xrd
>>> p = xrd.simulate("anatase", two_theta=(20, 60))
>>> p.wavelength
1.540598

``xrd.results`` gives the shape of each function's result (``TypedDict``s).
``xrd.batch`` runs identify, refine, classify or index over many files on a Dask cluster.
``xrd.refine_series`` refines an in-situ series frame after frame (a DataFrame; segments on
Dask).
"""

from ._xrd import (
    FeatureSpace,
    Pattern,
    __version__,
    _options_fields,
    _row_columns,
    classify,
    fit_peaks,
    identify,
    index,
    peaks,
    read,
    read_all,
    refine,
    simulate,
)
from . import results
from .batch import batch
from .errors import (
    CancelledError,
    FitError,
    FormatError,
    InvalidInputError,
    InvalidParameterError,
    XrdError,
    XrdFileNotFoundError,
    XrdOSError,
    XrdPermissionError,
)
from .series import refine_series

__all__ = [
    "CancelledError",
    "FitError",
    "FormatError",
    "InvalidInputError",
    "InvalidParameterError",
    "XrdError",
    "XrdFileNotFoundError",
    "XrdOSError",
    "XrdPermissionError",
    "FeatureSpace",
    "Pattern",
    "__version__",
    "batch",
    "classify",
    "fit_peaks",
    "identify",
    "index",
    "peaks",
    "read",
    "read_all",
    "refine",
    "refine_series",
    "results",
    "simulate",
]
