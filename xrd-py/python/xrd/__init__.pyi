"""Type stubs of the xrd package (the compiled module xrd._xrd and xrd.batch)."""

import os
from typing import Any, Callable, Iterable, Literal, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import results as results
from .results import (
    Classification,
    FittedLine,
    IdentifiedPhase,
    IndexedCell,
    PeakList,
    Refinement,
    Summation,
)

__version__: str

PathLike = Union[str, os.PathLike]
Wavelength = Union[float, str, None]
PatternLike = Union["Pattern", PathLike]
# `progress=`: called with (what, done, total, message) per event; an exception it raises stops
# the job and is raised again.
Progress = Callable[[str, int, int, str], Any]

class Pattern:
    """A powder pattern: 2θ (degrees, strictly increasing), intensities, optional esds, the
    wavelength when known and the file's metadata."""

    def __init__(
        self,
        two_theta: npt.ArrayLike,
        intensity: npt.ArrayLike,
        wavelength: Wavelength = None,
        sigma: Optional[npt.ArrayLike] = None,
        metadata: Optional[dict[str, Any]] = None,
    ) -> None: ...
    @property
    def two_theta(self) -> npt.NDArray[np.float64]: ...
    @property
    def intensity(self) -> npt.NDArray[np.float64]: ...
    @property
    def sigma(self) -> Optional[npt.NDArray[np.float64]]: ...
    @property
    def wavelength(self) -> Optional[float]: ...
    @property
    def radiation(self) -> Optional[str]: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    def save(self, path: PathLike) -> None: ...
    def __len__(self) -> int: ...

def read(path: PathLike, index: int = 0) -> Pattern: ...
def read_all(path: PathLike) -> list[Pattern]: ...
def simulate(
    structure: str,
    wavelength: Wavelength = None,
    two_theta: tuple[float, float] = (5.0, 90.0),
    step: float = 0.01,
    fwhm: Optional[float] = None,
    eta: Optional[float] = None,
    pymatgen_compatible: bool = False,
    instrument: Optional[PathLike] = None,
) -> Pattern: ...
def peaks(
    structure: str,
    wavelength: Wavelength = None,
    two_theta: tuple[float, float] = (5.0, 90.0),
    pymatgen_compatible: bool = False,
) -> list[dict[str, Any]]: ...
def identify(
    pattern: PatternLike,
    elements: Optional[Sequence[str]] = None,
    require: Optional[Sequence[str]] = None,
    library: Optional[Sequence[PathLike]] = None,
    builtin: bool = True,
    max_phases: Optional[int] = None,
    refine: bool = True,
    wavelength: Wavelength = None,
    min_score: Optional[float] = None,
    non_ambient: bool = False,
    significance: Optional[float] = None,
    min_rwp_gain: Optional[float] = None,
    top: Optional[int] = None,
    smoothing: Optional[float] = None,
    power: Optional[float] = None,
    noise_floor: Optional[float] = None,
    relative_floor: Optional[float] = None,
    strain: Optional[float] = None,
    strain_prior: Optional[float] = None,
    background: Optional[float] = None,
    background_method: Optional[Literal["top-hat", "snip"]] = None,
    cache: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
) -> list[IdentifiedPhase]: ...
@overload
def refine(
    pattern: PatternLike,
    phases: Sequence[str],
    library: Optional[Sequence[PathLike]] = None,
    builtin: bool = True,
    instrument: Optional[PathLike] = None,
    save_instrument: Optional[PathLike] = None,
    standard: Optional[tuple[str, float]] = None,
    particle_size: Optional[float] = None,
    monochromator: Optional[float] = None,
    polarisation: Optional[float] = None,
    capillary: Optional[float] = None,
    wavelength: Wavelength = None,
    two_theta_range: Optional[tuple[float, float]] = None,
    exclude: Optional[Sequence[tuple[float, float]]] = None,
    fix: Optional[Sequence[str]] = None,
    free: Optional[Sequence[str]] = None,
    background: Optional[int] = None,
    humps: Optional[int] = None,
    stages: Optional[Sequence[str]] = None,
    max_candidates: int = 3,
    references: Optional[Sequence[str]] = None,
    reference_library: Optional[PathLike] = None,
    alignment: Optional[Literal["reference", "sample", "none"]] = None,
    max_shift: Optional[float] = None,
    rir_bridge: str = "corundum",
    calibrate: Optional[tuple[str, float, PathLike]] = None,
    atoms: Optional[Sequence[str]] = None,
    restraints: Optional[Sequence[str]] = None,
    texture_harmonics: int = 0,
    joint: Literal[False] = False,
    progress: Optional[Progress] = None,
    geometry: Optional[str] = None,
) -> Refinement: ...
@overload
def refine(
    pattern: Sequence[PatternLike],
    phases: Sequence[str],
    library: Optional[Sequence[PathLike]] = None,
    builtin: bool = True,
    instrument: Optional[Union[PathLike, Sequence[PathLike]]] = None,
    *,
    geometry: Optional[Union[str, Sequence[str]]] = None,
    wavelength: Wavelength = None,
    two_theta_range: Optional[
        Union[tuple[float, float], Sequence[tuple[float, float]]]
    ] = None,
    exclude: Optional[Sequence[tuple[float, float]]] = None,
    fix: Optional[Sequence[str]] = None,
    free: Optional[Sequence[str]] = None,
    background: Optional[int] = None,
    stages: Optional[Sequence[str]] = None,
    atoms: Optional[Sequence[str]] = None,
    restraints: Optional[Sequence[str]] = None,
    joint: Literal[True],
    progress: Optional[Progress] = None,
) -> dict[str, Any]: ...
@overload
def refine(
    pattern: PatternLike,
    phases: None = None,
    *,
    references: Sequence[str],
    reference_library: PathLike,
    standard: Optional[tuple[str, float]] = None,
    wavelength: Wavelength = None,
    two_theta_range: Optional[tuple[float, float]] = None,
    exclude: Optional[Sequence[tuple[float, float]]] = None,
    fix: Optional[Sequence[str]] = None,
    free: Optional[Sequence[str]] = None,
    background: Optional[int] = None,
    alignment: Optional[Literal["reference", "sample", "none"]] = None,
    max_shift: Optional[float] = None,
    progress: Optional[Progress] = None,
) -> Summation: ...
def _options_fields(
    job: Literal["refine", "series", "simulate", "index", "peaks", "classify", "identify"],
) -> list[str]: ...
def _row_columns(kind: Literal["refinement", "summation", "identify"]) -> list[str]: ...
def index(
    pattern: PatternLike,
    wavelength: Wavelength = None,
    monoclinic: bool = False,
    all: bool = False,
    tolerance: Optional[float] = None,
    min_merit: Optional[float] = None,
    min_trial_merit: Optional[float] = None,
    min_indexed: Optional[float] = None,
    lines: Optional[int] = None,
) -> list[IndexedCell]: ...
def fit_peaks(
    pattern: PatternLike,
    wavelength: Wavelength = None,
    min_height: Optional[float] = None,
    noise_multiple: Optional[float] = None,
    min_separation: Optional[float] = None,
    background_window: Optional[float] = None,
    window: Optional[float] = None,
    max_group_lines: Optional[int] = None,
) -> PeakList: ...
def classify(
    pattern: PatternLike,
    elements: Optional[Sequence[str]] = None,
    require: Optional[Sequence[str]] = None,
    indexing: bool = True,
    library: bool = True,
    wavelength: Wavelength = None,
    model: Optional[PathLike] = None,
    cache: Optional[PathLike] = None,
    library_midpoint: Optional[float] = None,
    library_width: Optional[float] = None,
    library_temperature: Optional[float] = None,
    decisive_merit: Optional[float] = None,
    library_threshold: Optional[float] = None,
) -> Classification: ...

class FeatureSpace:
    """The 2-D feature space of Utimula et al. 2022 (the pipeline of `xrd feature-space`) and
    estimation of labels from it."""

    @staticmethod
    def fit(
        patterns: npt.NDArray[np.float64],
        labels: Optional[npt.NDArray[np.float64]] = None,
        method: Literal["auto", "autoencoder", "pca"] = "auto",
        epochs: int = 1000,
        restarts: int = 3,
        patience: int = 100,
        validation: float = 0.2,
        seed: int = 1,
    ) -> "FeatureSpace": ...
    def transform(self, patterns: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def reconstruct(self, patterns: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def estimate(self, patterns: npt.NDArray[np.float64]) -> list[dict[str, Any]]: ...
    @property
    def points(self) -> npt.NDArray[np.float64]: ...
    @property
    def method(self) -> str: ...
    @property
    def diagnostics(self) -> dict[str, Any]: ...

def batch(
    paths: Union[Iterable[PathLike], PathLike],
    function: Literal["identify", "refine", "classify", "index"] = "identify",
    client: Any = None,
    **kwargs: Any,
) -> Any: ...
def refine_series(
    files: Iterable[PathLike],
    phases: Sequence[str],
    client: Any = None,
    segments: Optional[int] = None,
    order: Optional[Sequence[float]] = None,
    *,
    library: Optional[Sequence[PathLike]] = None,
    builtin: bool = True,
    instrument: Optional[PathLike] = None,
    particle_size: Optional[float] = None,
    monochromator: Optional[float] = None,
    polarisation: Optional[float] = None,
    capillary: Optional[float] = None,
    wavelength: Wavelength = None,
    two_theta_range: Optional[tuple[float, float]] = None,
    exclude: Optional[Sequence[tuple[float, float]]] = None,
    fix: Optional[Sequence[str]] = None,
    free: Optional[Sequence[str]] = None,
    background: Optional[int] = None,
    humps: Optional[int] = None,
    stages: Optional[Sequence[str]] = None,
    max_candidates: int = 3,
    backward: bool = False,
    parametric: Optional[Sequence[str]] = None,
    out: Optional[PathLike] = None,
    resume: bool = False,
    progress: Optional[Progress] = None,
    background_hump: bool = True,
    geometry: Optional[str] = None,
) -> "pd.DataFrame": ...

class XrdError(Exception): ...
class InvalidInputError(XrdError, ValueError): ...
class InvalidParameterError(InvalidInputError): ...
class FormatError(InvalidInputError): ...
class FitError(InvalidInputError): ...
class XrdOSError(XrdError, OSError): ...
class XrdFileNotFoundError(XrdOSError, FileNotFoundError): ...
class XrdPermissionError(XrdOSError, PermissionError): ...
class CancelledError(XrdError): ...
