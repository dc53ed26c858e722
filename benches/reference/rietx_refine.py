"""Quantitative phase analysis of one lab scan with rietx (PyPI ``rietx==1.10.0``).

The Python reference for ``xrd refine``: a Rietveld fit of a pattern against
one or more CIFs under rietx's own default staged plan, ``mccusker_default``
(scale + background, zero shift, cells, Caglioti W, then U V X Y; structures
held), on ``Instrument.bragg_brentano`` (flat plate, 217.5 mm radius) with the
Cu Kα doublet set to Kα1 1.540598 / Kα2 1.544426 Å at a fixed ratio 0.5, and
rietx's default Chebyshev background (4 terms unless ``--bkg-terms``).

It prints one JSON object: per phase (rietx's phase name, from the CIF data
block) the Hill & Howard weight fraction and its esd as rietx reports them,
Rwp, the fit status and warning codes; the median and minimum wall time of
one refinement over ``--repeat`` fits (each from the same starting values;
only the ``rietx.refine`` call is timed, not imports or file reading); and
the time from the start of the process (as the OS counts it, so interpreter
start-up and imports are in it) to the end of the first fit.

``--per-phase-broadening`` appends one stage to the plan that frees each
phase's Lorentzian size and strain widths (``phases.*.lor_size``,
``phases.*.lor_strain``) on top of the instrument profile.

One core: the thread variables below are set before numpy/rietx load, and
``RIETX_COMPILED_THREADS=1`` keeps rietx's compiled kernels on one thread.
``RIETX_TELEMETRY=0`` stops rietx writing run records under ``./.rietx``.

    benches/reference/.venv/bin/python benches/reference/rietx_refine.py \\
        PATTERN.csv|PATTERN.xrdml PHASE1.cif [PHASE2.cif ...] [--repeat 5] \\
        [--per-phase-broadening] [--bkg-terms N]

A CSV pattern is ``two_theta,intensity`` with one header line; rietx reads it
(and PANalytical ``.xrdml``) with ``rietx.read_pattern``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS", "RIETX_COMPILED_THREADS"):
    os.environ[_var] = "1"
os.environ["RIETX_TELEMETRY"] = "0"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import rietx as rx  # noqa: E402
from rietx.schemas.instrument import BackgroundChebyshev  # noqa: E402
from rietx.strategy.staged import RefinementPlan, Stage  # noqa: E402

CU_KA = (1.540598, 1.544426)
KA2_RATIO = 0.5


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc, 10 ms ticks); None elsewhere."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def instrument(bkg_terms: int | None) -> rx.Instrument:
    inst = rx.Instrument.bragg_brentano(radiation="CuKa", ka2_ratio=KA2_RATIO)
    for line, wl in zip(inst.source.lines, CU_KA, strict=True):
        line.wavelength.value = wl
    if bkg_terms is not None:
        inst.background = BackgroundChebyshev.with_terms(bkg_terms, vary=False)
    return inst


def plan(per_phase_broadening: bool) -> RefinementPlan:
    p = RefinementPlan.mccusker_default()
    if per_phase_broadening:
        p.stages.append(Stage("sample_broadening",
                              ["phases.*.lor_size", "phases.*.lor_strain"]))
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pattern")
    ap.add_argument("cifs", nargs="+")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--per-phase-broadening", action="store_true")
    ap.add_argument("--bkg-terms", type=int, default=None,
                    help="Chebyshev terms (default: rietx's own, 4)")
    args = ap.parse_args()

    data = rx.read_pattern(args.pattern)
    structure = rx.Structure(phases=[ph for c in args.cifs
                                     for ph in rx.Structure.from_cif(c).phases])
    inst = instrument(args.bkg_terms)
    the_plan = plan(args.per_phase_broadening)

    times, results, first_fit_end = [], [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        # the one-shot API deep-copies structure and instrument: every repeat
        # starts from the same values
        res = rx.refine(data, structure, inst, plan=the_plan, telemetry=False)
        times.append(time.perf_counter() - t0)
        if first_fit_end is None:
            first_fit_end = process_age_s()
        results.append(res)

    res = results[0]
    spread = max(abs(a.weight_fraction - b.weight_fraction)
                 for r in results for a, b in zip(r.qpa.phases, res.qpa.phases))
    print(json.dumps({
        "rietx": rx.__version__,
        "pattern": args.pattern,
        "plan": [s.name for s in the_plan.run_stages()],
        "per_phase_broadening": args.per_phase_broadening,
        "background_terms": len(inst.background.coefficients),
        "phases": {q.name: {"cif": str(Path(c)), "weight_fraction": q.weight_fraction,
                            "esd": q.weight_fraction_stderr}
                   for q, c in zip(res.qpa.phases, args.cifs, strict=True)},
        "rwp": res.statistics.rwp,
        "gof": res.statistics.gof,
        "status": res.status,
        "warnings": sorted({d.code for d in res.diagnostics
                            if d.level in ("warning", "error")}),
        "repeats": args.repeat,
        "max_weight_fraction_spread_over_repeats": spread,
        "fit_s_median": statistics.median(times),
        "fit_s_min": min(times),
        "fit_s_all": times,
        "process_start_to_first_fit_end_s": first_fit_end,
    }, indent=2))


if __name__ == "__main__":
    main()
