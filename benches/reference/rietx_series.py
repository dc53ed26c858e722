"""Sequential (chained) refinement of a series with rietx (PyPI ``rietx==1.10.0``).

The Python reference for ``xrd refine --sequential``: ``rietx.refine_sequential`` (warm
starts with its reseed ladder, ``refit="single"``, forward) over the first ``--frames`` frames
of a folder written by ``cargo run --release -p xrd-benches --features probes --example
series_frames -- DIR 384`` (``frame_NNNN.xy``, ``order.csv``, ``truth.csv``), with the same
three CIFs, on ``Instrument.bragg_brentano`` with the Cu Kα doublet (Kα1 1.540598 / Kα2
1.544426 Å, ratio 0.5) as ``rietx_refine.py`` sets it, and rietx's default plan.

Prints one JSON object: the wall time of the ``refine_sequential`` call (not imports or file
reading), seconds per frame, the frames reseeded and failed, and per frame the weight fractions
against ``truth.csv`` (the median over frames of the mean |Δw| in wt% points).

One core, as ``rietx_refine.py``.

    benches/reference/.venv/bin/python benches/reference/rietx_series.py DIR \\
        RUTILE.cif ZNO.cif MNO.cif [--frames 16]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS", "RIETX_COMPILED_THREADS"):
    os.environ[_var] = "1"
os.environ["RIETX_TELEMETRY"] = "0"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import rietx as rx  # noqa: E402

CU_KA = (1.540598, 1.544426)


def read_frames(d: Path, order: list[dict]) -> list:
    """The frames `order` names (two columns: 2θ in degrees, counts) as rietx patterns."""
    patterns = []
    for row in order:
        tt, y = [], []
        for line in open(d / row["file"]):
            a, b = line.split()
            tt.append(float(a))
            y.append(float(b))
        patterns.append(rx.PatternData(two_theta=tt, intensity=y))
    return patterns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("cifs", nargs="+")
    ap.add_argument("--frames", type=int, default=16)
    args = ap.parse_args()
    d = Path(args.dir)
    order = list(csv.DictReader(open(d / "order.csv")))[: args.frames]
    truth = {r["file"]: r for r in csv.DictReader(open(d / "truth.csv"))}
    patterns = read_frames(d, order)
    structure = rx.Structure(phases=[ph for c in args.cifs
                                     for ph in rx.Structure.from_cif(c).phases])
    inst = rx.Instrument.bragg_brentano(radiation="CuKa", ka2_ratio=0.5)
    for line, wl in zip(inst.source.lines, CU_KA, strict=True):
        line.wavelength.value = wl
    t0 = time.perf_counter()
    res = rx.refine_sequential(patterns, structure, inst,
                               x=[float(r["temperature_k"]) for r in order],
                               x_label="temperature_k", telemetry=False)
    wall = time.perf_counter() - t0
    keys = ["rutile", "zincite", "manganosite"]
    errors, frames = [], []
    for row, e in zip(order, res.entries, strict=True):
        w = [p.weight_fraction for p in e.qpa.phases] if e.qpa else []
        t = [float(truth[row["file"]][k]) for k in keys]
        if len(w) == len(t):
            errors.append(100 * sum(abs(a - b) for a, b in zip(w, t)) / len(t))
        frames.append({"file": row["file"], "status": e.status, "reseeded": e.reseeded,
                       "rwp": e.statistics.rwp if e.statistics else None, "weights": w})
    print(json.dumps({
        "rietx": rx.__version__,
        "frames": len(order),
        "wall_s": wall,
        "s_per_frame": wall / len(order),
        "reseeded": sum(1 for e in res.entries if e.reseeded),
        "failed": res.n_failed,
        "median_mean_abs_error_wt_points": statistics.median(errors) if errors else None,
        "per_frame": frames,
    }, indent=2))


if __name__ == "__main__":
    main()
