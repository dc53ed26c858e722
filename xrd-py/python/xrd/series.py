"""Sequential refinement of a series as a pandas DataFrame, serially or in segments on Dask.

A series is chained: each frame starts from the previous frame's result, so one chain runs on
one core. On a Dask cluster a long series (or many series) is cut into contiguous segments,
each chained within itself on a worker (its first frame refined from the structures), and the
rows are gathered in the series' order: with one segment the rows equal ``xrd refine
--sequential``'s ``series.csv``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Iterable, Optional, Sequence


def _segment(files: list[str], phases: list[str], offset: int, kwargs: dict) -> dict:
    """One chained segment (runs on a worker)."""
    from . import _xrd

    return _xrd.refine_series(files, phases, offset=offset, **kwargs)


def refine_series(
    files: Iterable[str | os.PathLike],
    phases: Sequence[str],
    client: Any = None,
    segments: Optional[int] = None,
    order: Optional[Sequence[float]] = None,
    **kwargs: Any,
):
    """Refines pattern files as one series and returns a pandas DataFrame, one row per frame.

    ``files`` in the series' order; ``phases`` as for ``xrd.refine``; ``order`` each frame's
    order value (temperature, time); other keywords (``backward``, ``parametric``,
    ``wavelength``, ``instrument``, ``stages``, ``particle_size``, ``two_theta_range``,
    ``exclude``, ``fix``, ``free``, ``background``, ``library``) as ``xrd refine
    --sequential``. Columns: frame, file, order
    (named ``temperature_k`` when no ``order`` is given and every file's header gives a
    temperature, as in ``series.csv``), start (warm, cold, reseeded, failed), rwp, gof, per
    phase ``NAME_wt``, ``NAME_wt_esd``, ``NAME_detection_limit``, the cell with esds,
    ``NAME_size_nm``, ``NAME_strain``, then flags and error. ``df.attrs["parametric"]`` holds
    the parametric fits of the first segment; ``df.attrs["notes"]`` what the series says as a
    whole (``xrd refine --sequential``'s ``note:`` lines: a background peak chosen, how many
    frames' instrument widths or background a file or more terms would settle), each also a
    ``UserWarning``, a segment's prefixed by its frames.

    ``client``: a ``dask.distributed.Client``; the series is cut into ``segments`` contiguous
    segments (default: one per worker thread), each chained on a worker. ``out`` (a folder
    where each frame lands as it finishes, series.jsonl and series.state.json), ``resume``
    and ``progress`` (a callable given ``(what, done, total, message)`` per frame, whose
    exception stops the series) take one segment.
    """
    import pandas as pd

    files = [os.fspath(f) for f in files]
    phases = list(phases)
    if order is not None:
        order = [float(o) for o in order]
        if len(order) != len(files):
            raise ValueError(f"order has {len(order)} values for {len(files)} files")
    if client is None:
        n = 1 if segments is None else int(segments)
    else:
        n = int(segments) if segments is not None else max(1, sum(client.nthreads().values()))
    if n < 1:
        raise ValueError(f"segments must be at least 1, not {n}")
    n = min(n, max(1, len(files)))
    if n > 1 and any(kwargs.get(k) for k in ("out", "resume", "progress")):
        raise ValueError("out, resume and progress take one segment")
    bounds = [round(k * len(files) / n) for k in range(n + 1)]
    jobs = []
    for k in range(n):
        lo, hi = bounds[k], bounds[k + 1]
        kw = dict(kwargs)
        if order is not None:
            kw["order"] = order[lo:hi]
        jobs.append((files[lo:hi], phases, lo, kw))
    if client is None:
        results = [_segment(*job) for job in jobs]
    else:
        futures = [client.submit(_segment, *job, pure=False) for job in jobs]
        results = client.gather(futures)
    columns = list(results[0]["columns"])
    # The order column is `temperature_k` only when every segment's headers gave it.
    if any(r["columns"][2] != columns[2] for r in results):
        columns[2] = "order"
    rows = [row for r in results for row in r["rows"]]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["parametric"] = results[0]["parametric"]
    df.attrs["phases"] = results[0]["phases"]
    # What each chain says as a whole (the command's `note:` lines), named by its frames when
    # the series was cut; each also comes as a warning.
    notes = []
    for k, r in enumerate(results):
        lo, hi = bounds[k], bounds[k + 1]
        prefix = "" if n == 1 else f"frames {lo + 1}–{hi}: " if hi - lo > 1 else f"frame {hi}: "
        notes += [prefix + note for note in r["notes"]]
    df.attrs["notes"] = notes
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return df
