"""Sequential refinement of a 9-phase synchrotron reaction series with rietx (PyPI ``rietx==1.10.0``).

The Python reference for ``xrd refine --sequential`` on the reaction series:
``rietx.refine_sequential`` (warm starts with its reseed ladder, ``refit="single"``, forward)
over the first ``--frames`` frames of a folder of ``frame_NNNN.xy`` files (two columns: 2θ in
degrees, counts) with ``order.csv`` (``file,temperature_k``) and ``truth.csv`` (``file`` then
one weight-fraction column per phase). Every CIF is named, one per ``truth.csv`` column in the
same order (as a user names every phase the series may meet; phases absent from a frame stay
in the model), and each phase is named after its column. The instrument is
``Instrument.debye_scherrer`` (rietx's synchrotron/capillary preset: one line, polarization
0.99, no absorption or displacement terms) at ``--wavelength`` (default 0.2413 Å), no
instrument file, and rietx's default plan (``mccusker_default``).

A CIF gemmi refuses for a repeated single-value tag (``Sapphire.cif`` repeats
``_chemical_formula_sum``, the second one empty) is read from a copy in a temporary folder
that keeps the first occurrence; the JSON names every CIF so rewritten.

From the preset's starting profile (W 0.001 deg², X 0.001°; the frames' peaks are ≈0.024° FWHM
against the model's ≈0.036°) rietx 1.10.0 accepts no step after its ``zero`` stage on frame 0
(``cell``, ``profile_w``, ``profile``, ``closing`` end at their starting cost, Rwp ≈ 0.385), and
the warm refits accept none either: every frame reports frame 0's weights. Read ``per_frame``
before quoting the accuracy.

Prints one JSON object: the wall time of the ``refine_sequential`` call (not imports or file
reading), seconds per frame, the frames reseeded and failed, and per frame the weight fractions
against ``truth.csv`` (the median over frames of the mean |Δw| over all phases in wt% points,
a phase absent from the fit counting 0).

One core, as ``rietx_refine.py``.

    benches/reference/.venv/bin/python benches/reference/rietx_reaction.py DIR \\
        ANATASE.cif RUTILE.cif MNO.cif MN2O3.cif ZNO.cif IN2O3.cif LICOO2.cif KCL.cif \\
        CORUNDUM.cif [--frames 16] [--wavelength 0.2413]

With the shared CIFs (``DIR`` holding 384 frames):

    C=/work/shared/data/cif
    benches/reference/.venv/bin/python benches/reference/rietx_reaction.py /tmp/reaction384 \\
        $C/autoxrd_TiO2_141.cif $C/Rutile.cif $C/autoxrd_MnO_225.cif $C/autoxrd_Mn2O3_206.cif \\
        $C/ZnO.cif $C/In2O3_Marezio1966.cif $C/LiCoO2.cif $C/KCl.cif $C/Sapphire.cif
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
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import rietx as rx  # noqa: E402
from rietx_series import read_frames  # noqa: E402  (the same folder)

WAVELENGTH = 0.2413


def dedup_single_tags(text: str) -> str:
    """Drop every repeat of a ``_tag value`` line (tag and value on one line; first kept)."""
    seen, out = set(), []
    for line in text.splitlines(keepends=True):
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].startswith("_"):
            if parts[0].lower() in seen:
                continue
            seen.add(parts[0].lower())
        out.append(line)
    return "".join(out)


def read_phase(cif: str, name: str, tmp: Path, rewritten: list[str]):
    try:
        s = rx.Structure.from_cif(cif, phase_name=name)
    except ValueError as e:
        if "duplicate tag" not in str(e):
            raise
        copy = tmp / Path(cif).name
        copy.write_text(dedup_single_tags(Path(cif).read_text()))
        s = rx.Structure.from_cif(copy, phase_name=name)
        rewritten.append(str(cif))
    (ph,) = s.phases
    return ph


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("cifs", nargs="+", help="one CIF per truth.csv column, in its order")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--wavelength", type=float, default=WAVELENGTH)
    args = ap.parse_args()
    d = Path(args.dir)
    order = list(csv.DictReader(open(d / "order.csv")))[: args.frames]
    truth_rows = list(csv.DictReader(open(d / "truth.csv")))
    keys = [k for k in truth_rows[0] if k != "file"]
    if len(keys) != len(args.cifs):
        ap.error(f"{len(args.cifs)} CIFs for {len(keys)} truth.csv phases {keys}")
    truth = {r["file"]: r for r in truth_rows}
    patterns = read_frames(d, order)
    rewritten: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        structure = rx.Structure(phases=[read_phase(c, k, Path(tmp), rewritten)
                                         for c, k in zip(args.cifs, keys, strict=True)])
    inst = rx.Instrument.debye_scherrer(args.wavelength)
    t0 = time.perf_counter()
    res = rx.refine_sequential(patterns, structure, inst,
                               x=[float(r["temperature_k"]) for r in order],
                               x_label="temperature_k", telemetry=False)
    wall = time.perf_counter() - t0
    errors, frames = [], []
    for row, e in zip(order, res.entries, strict=True):
        w = {p.name: p.weight_fraction for p in e.qpa.phases} if e.qpa else {}
        t = {k: float(truth[row["file"]][k]) for k in keys}
        if w:
            errors.append(100 * sum(abs(w.get(k, 0.0) - t[k]) for k in keys) / len(keys))
        frames.append({"file": row["file"], "status": e.status, "reseeded": e.reseeded,
                       "rwp": e.statistics.rwp if e.statistics else None,
                       "mean_abs_error_wt_points": errors[-1] if w else None,
                       "weights": w})
    print(json.dumps({
        "rietx": rx.__version__,
        "instrument": "debye_scherrer",
        "wavelength": args.wavelength,
        "phases": dict(zip(keys, args.cifs, strict=True)),
        "cifs_rewritten_for_duplicate_tags": rewritten,
        "frames": len(order),
        "wall_s": wall,
        "s_per_frame": wall / len(order),
        "reseeded": sum(1 for e in res.entries if e.reseeded),
        "failed": res.n_failed,
        "frames_without_qpa": sum(1 for f in frames if not f["weights"]),
        "median_mean_abs_error_wt_points": statistics.median(errors) if errors else None,
        "per_frame": frames,
    }, indent=2))


if __name__ == "__main__":
    main()
