#!/usr/bin/env python3
"""Speed of the Python bindings (xrd-py) beside their references, in one process and session.

1. simulate: xrd.peaks (the stick pattern) against pymatgen's XRDCalculator.get_pattern on the
   oracle structures (the cases of pymatgen_xrd.py); xrd.simulate adds the profile on a grid.
2. read: xrd.read of every pattern file of ../shared/data/real and dara_dev against geddes
   (Rust, PyO3) and xylib's Python reader (xylib-py) where they install.
3. per-call overhead: calls per second of xrd.Pattern on a 3-point pattern and of reading its
   arrays.
4. identify on a laboratory scan: the binding's time per call (library and references warm,
   one thread) against the `xrd` command's time per pattern for the same scan repeated N times
   in one run (one thread: --threads 1), which amortises the command's start.
5. Dask: xrd.batch identify over a folder of scans with a LocalCluster of 1 and of 2 workers
   (one thread each), patterns per second.

Usage: python benches/reference/xrd_py_bench.py [--xrd target/release/xrd] [--repeats 5]
Needs: pip install ./xrd-py[dask] pymatgen (and optionally xylib-py).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
CASES = [
    ("si_cuka1_1.5406", 1.5406, (0, 120)),
    ("nacl_cuka1_1.5406", 1.5406, (0, 120)),
    ("smfe12_conv_lam0.496", 0.496, (0, 120)),
    ("smfe11ti_conv2x2x1_lam0.496", 0.496, (0, 120)),
]
SCAN = os.path.join(DATA, "real", "autoxrd_Li2MnO3_MnO_TiO2.xy")


def best_median(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def simulate(repeats):
    import xrd

    print("\n## simulate: xrd.peaks vs pymatgen XRDCalculator.get_pattern (best of", repeats, ")")
    print("case,atoms,xrd_peaks_s,xrd_simulate_s,pymatgen_s,ratio_pymatgen_over_xrd")
    try:
        from pymatgen.analysis.diffraction.xrd import XRDCalculator
        from pymatgen.core import Structure
    except ImportError:
        print("pymatgen not installed: skipped")
        return
    for name, lam, rng in CASES:
        cif = os.path.join(DATA, "oracle", f"{name}.cif")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = Structure.from_file(cif)
        calc = XRDCalculator(wavelength=lam)
        pm, _ = best_median(lambda: calc.get_pattern(s, two_theta_range=rng), repeats)
        ours, _ = best_median(
            lambda: xrd.peaks(cif, wavelength=lam, two_theta=(max(rng[0], 1e-3), min(rng[1], 179.9)),
                              pymatgen_compatible=True), repeats)
        sim, _ = best_median(
            lambda: xrd.simulate(cif, wavelength=lam, two_theta=(5, 90), pymatgen_compatible=True), repeats)
        print(f"{name},{len(s)},{ours:.5f},{sim:.5f},{pm:.5f},{pm / ours:.1f}")


def read(repeats):
    import xrd

    files = [os.path.join(DATA, "real", f) for f in sorted(os.listdir(os.path.join(DATA, "real")))
             if not f.endswith(".cif")]
    dara = os.path.join(DATA, "measured", "dara_dev")
    files += [os.path.join(dara, f) for f in sorted(os.listdir(dara)) if f.endswith(".xrdml")]
    ours, _ = best_median(lambda: [xrd.read(f) for f in files], repeats)
    print(f"\n## read: {len(files)} files (real/ and dara_dev/)")
    print(f"xrd.read: {ours * 1e3:.2f} ms per folder, {ours / len(files) * 1e6:.0f} µs per file")
    readers = []
    try:
        import geddes  # Rust with PyO3 bindings, like xrd-py

        readers.append(("geddes", geddes.read))
    except ImportError:
        print("geddes not installed: no reference")
    try:
        import xylib  # xylib-py (C++ with SWIG)

        readers.append(("xylib-py", lambda f: xylib.load_file(f, "")))
    except ImportError:
        print("xylib-py not installed (its wheel does not build everywhere): no reference")
    for name, reader in readers:
        readable = []
        for f in files:
            try:
                reader(f)
                readable.append(f)
            except Exception:
                pass
        theirs, _ = best_median(lambda: [reader(f) for f in readable], repeats)
        ours_same, _ = best_median(lambda: [xrd.read(f) for f in readable], repeats)
        print(f"{name} reads {len(readable)} of the {len(files)}: {theirs * 1e3:.2f} ms; xrd.read the "
              f"same files {ours_same * 1e3:.2f} ms; {name} / xrd = {theirs / ours_same:.2f}")


def overhead():
    import numpy as np
    import xrd

    t, y = np.array([10.0, 20.0, 30.0]), np.array([1.0, 2.0, 3.0])
    n = 100_000
    start = time.perf_counter()
    for _ in range(n):
        xrd.Pattern(t, y)
    build = n / (time.perf_counter() - start)
    p = xrd.Pattern(t, y)
    start = time.perf_counter()
    for _ in range(n):
        p.intensity
    get = n / (time.perf_counter() - start)
    print("\n## per-call overhead (3-point pattern)")
    print(f"xrd.Pattern(t, y): {build:,.0f} calls/s; pattern.intensity: {get:,.0f} calls/s")


def identify(binary, copies):
    import xrd

    os.environ.setdefault("XRD_CACHE", os.path.join(ROOT, "target", "xrd-cache"))
    cache = os.environ["XRD_CACHE"]
    xrd.identify(SCAN)  # library and references into memory (and the disk cache)
    times = []
    for _ in range(copies):
        t = time.perf_counter()
        xrd.identify(SCAN)
        times.append(time.perf_counter() - t)
    ours = statistics.median(times)
    tmp = tempfile.mkdtemp()
    try:
        paths = []
        for k in range(copies):
            p = os.path.join(tmp, f"scan{k:03}.xy")
            shutil.copy(SCAN, p)
            paths.append(p)
        def run(ps):
            t = time.perf_counter()
            subprocess.run([binary, "--quiet", "--threads", "1", "identify", "--cache", cache, *ps],
                           check=True, capture_output=True)
            return time.perf_counter() - t
        one = min(run(paths[:1]) for _ in range(3))
        many = min(run(paths) for _ in range(3))
    finally:
        shutil.rmtree(tmp)
    per = (many - one) / (copies - 1)
    print(f"\n## identify {os.path.basename(SCAN)} (one thread, refinement on)")
    print(f"xrd.identify: {ours * 1e3:.1f} ms per call (median of {copies}); "
          f"`xrd identify --threads 1`: {per * 1e3:.1f} ms per pattern ((T{copies} - T1)/{copies - 1}); "
          f"binding adds {100 * (ours / per - 1):+.1f} %")


def dask_throughput(copies):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed not installed: skipped")
        return
    import xrd

    tmp = tempfile.mkdtemp()
    try:
        for k in range(copies):
            shutil.copy(SCAN, os.path.join(tmp, f"scan{k:03}.xy"))
        print(f"\n## Dask: xrd.batch identify over {copies} scans (LocalCluster, 1 thread per worker)")
        rate = {}
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                client.run(lambda: xrd.identify(SCAN))  # warm each worker
                t = time.perf_counter()
                df = xrd.batch(tmp, "identify", client)
                dt = time.perf_counter() - t
            rate[workers] = copies / dt
            print(f"{workers} worker(s): {dt:.2f} s, {rate[workers]:.2f} patterns/s ({len(df)} rows)")
        print(f"2 workers / 1 worker: {rate[2] / rate[1]:.2f}x")
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xrd", default=os.path.join(ROOT, "target", "release", "xrd"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--copies", type=int, default=24)
    args = ap.parse_args()
    # One thread inside each call: the comparisons are per core, Dask supplies the parallelism.
    os.environ["RAYON_NUM_THREADS"] = "1"
    import xrd

    print(f"xrd {xrd.__version__}, Python {sys.version.split()[0]}")
    simulate(args.repeats)
    read(args.repeats)
    overhead()
    identify(args.xrd, args.copies)
    dask_throughput(args.copies)


if __name__ == "__main__":
    main()
