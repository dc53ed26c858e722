"""Many pattern files at once on a Dask cluster: one task per file, one row per phase.

The scheduling, the workers and the cluster are Dask's (``dask.distributed``); this module only
maps an xrd function over files and gathers the rows into a pandas DataFrame, in the order of
the files, so that the result equals the serial loop's.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

_FUNCTIONS = ("identify", "refine", "classify", "index")


def _rows(function: str, path: str, kwargs: dict) -> list[dict]:
    """The rows of one file (runs on a worker)."""
    import xrd

    try:
        if function == "identify":
            return list(xrd.identify(path, **kwargs))
        if function == "refine":
            return list(xrd.refine(path, **kwargs)["rows"])
        if function == "classify":
            return [xrd.classify(path, **kwargs)]
        return list(xrd.index(path, **kwargs))
    except (OSError, ValueError) as e:
        # One bad file does not stop a batch: its row says why, as the command line's stderr.
        return [{"file": path, "error": f"{type(e).__name__}: {e}"}]


def _files(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Files as given; folders one level deep (hidden files skipped), sorted."""
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            out.extend(
                sorted(
                    os.path.join(p, f)
                    for f in os.listdir(p)
                    if not f.startswith(".") and os.path.isfile(os.path.join(p, f))
                )
            )
        else:
            out.append(p)
    return out


def batch(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    function: str = "identify",
    client: Any = None,
    **kwargs: Any,
):
    """Runs ``xrd.<function>`` over pattern files on Dask and returns a pandas DataFrame.

    ``paths``: files and folders (read one level deep). ``function``: "identify", "refine",
    "classify" or "index"; ``kwargs`` go to it unchanged (``elements=["Ti", "O"]``,
    ``phases=["TiO2"]``, ...). ``client``: a ``dask.distributed.Client``; without one, the
    files are processed one after the other in this process (the serial loop, same rows).

    One row per phase (per pattern for classify), with the file's path in ``file``; a file that
    cannot be processed gives one row with ``error`` set instead of stopping the batch.

    >>> from dask.distributed import Client, LocalCluster          # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> df = xrd.batch("scans/", "identify", client, elements=["Ti", "O"])  # doctest: +SKIP
    """
    import pandas as pd

    if function not in _FUNCTIONS:
        raise ValueError(f"function {function!r}: one of {', '.join(_FUNCTIONS)}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = _files(paths)
    if client is None:
        results = [_rows(function, f, kwargs) for f in files]
    else:
        futures = client.map(_rows, [function] * len(files), files, [kwargs] * len(files), pure=False)
        results = client.gather(futures)
    rows = [r for file_rows in results for r in file_rows]
    return pd.DataFrame(rows)
