"""The shapes of what the functions return, as ``TypedDict``s: the keys a result always has and
the type of each value (``None`` where a row has no value). The tests check every function's
result against its shape, so these stay what the functions return.

>>> from xrd.results import RefinementRow
>>> list(RefinementRow.__annotations__)[:4]
['file', 'phase', 'name', 'formula']
"""

from typing import Any, Dict, List, Optional, Tuple, TypedDict

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


class RefinementRow(TypedDict):
    """One refined phase, then each measured reference fitted beside the phases: the columns of
    ``xrd refine`` (xrd-jobs' ``RefinementRow``)."""

    file: str
    phase: int
    name: str
    formula: Optional[str]
    space_group: Optional[int]
    weight_fraction: float
    weight_fraction_esd: float
    weight_fraction_uncorrected: Optional[float]
    a: Optional[float]
    b: Optional[float]
    c: Optional[float]
    alpha: Optional[float]
    beta: Optional[float]
    gamma: Optional[float]
    size_nm: Optional[float]
    strain: Optional[float]
    source: str
    rwp: float
    gof: float
    kind: str


class Choice(TypedDict):
    """The structure a phase spec resolved to, and why (refinement.json's "choices")."""

    spec: str
    source: str
    judgement: Optional[str]
    reason: str
    compared: List[Dict[str, Any]]


class _Fit(TypedDict):
    rp: float
    rwp: float
    rexp: float
    chi2: float
    gof: float
    warnings: List[str]
    two_theta: Array
    observed: Array
    calculated: Array
    background: Array
    difference: Array
    phase_curves: Dict[str, Array]


class _Refinement(_Fit):
    rows: List[RefinementRow]
    durbin_watson: float
    amorphous: Optional[float]
    compared: List[List[Tuple[str, str, Optional[float]]]]
    refinement: Dict[str, Any]
    choices: List[Choice]


class Refinement(_Refinement, total=False):
    """``xrd.refine`` of phases (structures, Pawley, PONKCS; measured references beside them)."""

    calibration: Dict[str, Any]


class SummationRow(TypedDict):
    """One measured reference of a full-pattern summation, and a last row of kind "rest" with
    a standard (``xrd refine --references``)."""

    file: str
    phase: int
    id: Optional[str]
    name: str
    kind: str
    weight_fraction: float
    weight_fraction_esd: float
    detection_limit: Optional[float]
    scale: Optional[float]
    shift: Optional[float]
    rwp: float
    gof: float


class Summation(_Fit):
    """``xrd.refine`` of measured references alone (``references`` without ``phases``)."""

    rows: List[SummationRow]
    amorphous: Optional[float]
    amorphous_esd: Optional[float]
    quantification: Dict[str, Any]


class IdentifiedPhase(TypedDict):
    """One phase ``xrd.identify`` found: refined (weight fraction) or as search-match found it
    (share of the intensity); a pattern that matches nothing has one row, phase 0 named
    "(no match)", with none of the phase's values."""

    file: str
    phase: int
    name: str
    formula: Optional[str]
    space_group: Optional[int]
    score: Optional[float]
    share: Optional[float]
    source: Optional[str]
    weight_fraction: Optional[float]
    weight_fraction_esd: Optional[float]
    rwp: Optional[float]


class IndexedCell(TypedDict):
    """One cell ``xrd.index`` proposes."""

    file: str
    metric: str
    accepted: bool
    a: float
    b: float
    c: float
    beta: float
    zero_shift: float
    lines: int
    indexed: int
    merit: float
    likely_space_groups: List[int]


class FittedLine(TypedDict):
    """One line of ``xrd.fit_peaks``'s peak list (an esd is nan where the fit held its
    parameter at a limit; a ``UserWarning`` says which)."""

    file: str
    peak: int
    two_theta: float
    two_theta_esd: float
    d: float
    d_esd: float
    height: float
    area: float
    area_esd: float
    relative_intensity: float
    fwhm: float
    fwhm_esd: float
    integral_breadth: float
    eta: float
    asymmetry: float
    background: float
    group: int


class PeakList(List[FittedLine]):
    """What ``xrd.fit_peaks`` returns: its lines, a list of ``FittedLine`` as the command's rows,
    with the fit as a whole beside them, which the rows have no column for (the command says it
    on stderr, the workbench in its peak view):

    - ``rwp``: the weighted profile R over the fitted windows, a fraction (as ``xrd.refine``'s);
    - ``correlation_time``: of the fit's residuals, in points (1 for independent errors); every
      esd has been multiplied by its square root, ``esd_factor``;
    - ``two_theta``, ``observed``, ``calculated`` (the fitted lines and their backgrounds, the
      observed outside the fitted windows) and ``difference`` (observed − calculated), each an
      array over the pattern's points;
    - ``warnings``: what also came as ``UserWarning``s (there prefixed with the pattern's
      label).

    It compares, iterates and indexes as the plain list it is, and pickles with its fit.

    >>> lines = PeakList([], rwp=0.02, correlation_time=4.0, two_theta=[20.0], observed=[1.0],
    ...                  calculated=[1.5], difference=[-0.5], warnings=[])
    >>> lines == [], lines.esd_factor, lines.difference.tolist()
    (True, 2.0, [-0.5])
    """

    rwp: float
    correlation_time: float
    two_theta: Array
    observed: Array
    calculated: Array
    difference: Array
    warnings: List[str]

    def __init__(
        self,
        lines: Any,
        *,
        rwp: float,
        correlation_time: float,
        two_theta: Any,
        observed: Any,
        calculated: Any,
        difference: Any,
        warnings: List[str],
    ) -> None:
        super().__init__(lines)
        self.rwp = rwp
        self.correlation_time = correlation_time
        self.two_theta = np.asarray(two_theta, dtype=np.float64)
        self.observed = np.asarray(observed, dtype=np.float64)
        self.calculated = np.asarray(calculated, dtype=np.float64)
        self.difference = np.asarray(difference, dtype=np.float64)
        self.warnings = list(warnings)

    @property
    def esd_factor(self) -> float:
        """√τ: what every esd was multiplied by for the residuals' correlation."""
        return float(np.sqrt(self.correlation_time))

    def __repr__(self) -> str:
        return (
            f"PeakList({list.__repr__(self)}, rwp={self.rwp!r}, "
            f"correlation_time={self.correlation_time!r})"
        )


class Classification(TypedDict):
    """What ``xrd.classify`` reads of a pattern's symmetry."""

    file: str
    crystal_system: Optional[str]
    space_group: Optional[int]
    certainty: float
    top5: List[int]
    refused: bool
    decided_by: str
    phase: Optional[str]
    phase_score: Optional[float]
    warnings: List[str]


def conforms(value: Any, shape: Any) -> List[str]:
    """What keeps ``value`` (a dict) from having ``shape`` (one of the ``TypedDict``s above):
    keys missing, keys it does not know, and values of another type. Empty when it conforms."""
    import typing

    hints = typing.get_type_hints(shape)
    required = getattr(shape, "__required_keys__", set(hints))
    problems = [f"missing `{k}`" for k in sorted(required - set(value))]
    problems += [f"unknown `{k}`" for k in sorted(set(value) - set(hints))]
    for key, hint in hints.items():
        if key in value and not _is(value[key], hint):
            problems.append(f"`{key}` = {value[key]!r} is not {hint}")
    return problems


def _is(v: Any, hint: Any) -> bool:
    import typing

    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin is typing.Union:
        return any(_is(v, h) for h in typing.get_args(hint))
    if hint is type(None):
        return v is None
    if hint is float:
        return isinstance(v, (float, int)) and not isinstance(v, bool)
    if hint is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if origin in (list, List):
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(v, list) and all(_is(x, item) for x in v)
    if origin in (dict, Dict):
        key, item = typing.get_args(hint) or (Any, Any)
        return isinstance(v, dict) and all(_is(k, key) and _is(x, item) for k, x in v.items())
    if origin in (tuple, Tuple):
        args = typing.get_args(hint)
        return isinstance(v, (tuple, list)) and len(v) == len(args) and all(
            _is(x, a) for x, a in zip(v, args)
        )
    if origin is np.ndarray:
        return isinstance(v, np.ndarray)
    if isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__annotations__"):
        return isinstance(v, dict) and not conforms(v, hint)
    if isinstance(hint, type):
        return isinstance(v, hint)
    return True
