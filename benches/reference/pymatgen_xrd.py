#!/usr/bin/env python3
"""Time pymatgen's XRDCalculator on the oracle structures (reference for benches/benches/xrd_sim.rs).

For each case: load the P1 CIF from ../shared/data/oracle, run XRDCalculator.get_pattern over the
case's 2θ range `--repeats` times and print the best and median wall time, plus the peak count.
Deterministic (no randomness); single process, numpy's default threading.

Usage: /work/pyref/bin/python benches/reference/pymatgen_xrd.py [--repeats N] [--oracle DIR] [--case NAME]
"""
import argparse
import os
import statistics
import time
import warnings

CASES = [
    ("si_cuka1_1.5406", 1.5406, (0, 120)),
    ("nacl_cuka1_1.5406", 1.5406, (0, 120)),
    ("smfe12_conv_lam0.496", 0.496, (0, 120)),
    ("smfe11ti_conv2x2x1_lam0.496", 0.496, (0, 120)),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_oracle = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "oracle"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per case (default 5)")
    ap.add_argument("--oracle", default=default_oracle, help="folder with the oracle CIFs")
    ap.add_argument("--case", default=None, help="only this case (e.g. smfe11ti_conv2x2x1_lam0.496)")
    args = ap.parse_args()

    import pymatgen
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Structure

    version = getattr(pymatgen, "__version__", None)
    if version is None:
        from importlib.metadata import version as v

        version = v("pymatgen")
    print(f"pymatgen {version}")
    print("case,atoms,peaks,best_s,median_s")
    for name, lam, rng in CASES:
        if args.case and name != args.case:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = Structure.from_file(os.path.join(args.oracle, f"{name}.cif"))
        calc = XRDCalculator(wavelength=lam)
        times = []
        n = 0
        for _ in range(args.repeats):
            t = time.perf_counter()
            p = calc.get_pattern(s, two_theta_range=rng)
            times.append(time.perf_counter() - t)
            n = len(p.x)
        print(f"{name},{len(s)},{n},{min(times):.4f},{statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
