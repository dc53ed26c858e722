"""rietx 1.10's chained mode on the 11-BM CuCr2O4 cooling series (the comparison of
``xrd refine --sequential`` in docs/experiments/2026-11-26-sequential-refinement.md).

``rietx.refine_sequential`` over the 17 FXYE frames in temperature order, the beamline's
``OH_00.prm`` read by ``rietx.read_gsas_prm`` (frozen, as ours reads it), CuCr2O4.cif and
CuO.cif, rietx's default plan; one core. Prints per frame the temperature, Rwp, CuO's weight
fraction with its esd and CuCr2O4's b − c, then the wall time.

    python docs/experiments/series_cucr2o4_rietx.py ../shared/data/series/cucr2o4_11bm [N]

N: only the first N frames (default all 17). Each frame's line is printed as it lands.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS", "RIETX_COMPILED_THREADS"):
    os.environ[_var] = "1"
os.environ["RIETX_TELEMETRY"] = "0"

import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import rietx as rx  # noqa: E402

d = Path(sys.argv[1])
files = sorted(d.glob("OH_*.fxye"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))
files = files[: int(sys.argv[2])] if len(sys.argv) > 2 else files
temps = []
for f in files:
    m = re.search(r"Temp \(K\)\s*=\s*([0-9.]+)", f.read_text())
    temps.append(float(m.group(1)))
patterns = [rx.read_pattern(f) for f in files]
structure = rx.Structure(phases=[ph for c in ("CuCr2O4.cif", "CuO.cif")
                                 for ph in rx.Structure.from_cif(d / c).phases])
inst = rx.read_gsas_prm(d / "OH_00.prm")
t0 = time.perf_counter()


def landed(i, r):
    print(f"frame {i} done after {time.perf_counter() - t0:.1f} s", flush=True)


res = rx.refine_sequential(patterns, structure, inst, x=temps, x_label="temperature_k",
                           telemetry=False, on_result=landed)
wall = time.perf_counter() - t0
for t, e in zip(temps, res.entries):
    # The phases in the order given (CuCr2O4, then CuO); rietx names them by the CIF blocks.
    q = list(e.qpa.phases) if e.qpa else []
    cuo = q[1] if len(q) == 2 else None
    print(f"{t:8.3f} rwp {e.statistics.rwp if e.statistics else float('nan'):.4f} "
          f"CuO ({cuo.name if cuo else '-'}) "
          f"{cuo.weight_fraction if cuo else float('nan'):.4f} ± "
          f"{cuo.weight_fraction_stderr if cuo else float('nan'):.4f} {e.status} "
          f"reseeded={e.reseeded}")
print(f"wall {wall:.1f} s, {wall / len(files):.2f} s a frame")
