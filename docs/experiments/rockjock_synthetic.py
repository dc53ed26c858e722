#!/usr/bin/env python3
"""Full-pattern summation on synthetic RockJock mixtures (rockjock_mixture.py): errors of
`xrd refine --references` per weight fraction, for the default alignment and the others.

    cargo build --release -p xrd-cli
    python3 docs/experiments/rockjock_synthetic.py --seeds 40 [-- extra xrd refine arguments]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
XRD = os.environ.get("XRD_BIN", "target/release/xrd")
LIBRARY = "../shared/data/references/rockjock/rockjock_library_all168.csv.gz"


def run(seeds, extra, tmp):
    errs, absent, worst, times = [], [], (0.0, ""), []
    for seed in range(1, seeds + 1):
        subprocess.run([sys.executable, os.path.join(HERE, "rockjock_mixture.py"), "--seed", str(seed),
                        "--out", tmp], check=True)
        truth = list(csv.DictReader(open(os.path.join(tmp, f"truth_{seed}.csv"))))
        cmd = [XRD, "--format", "csv", "refine", os.path.join(tmp, f"mixture_{seed}.xy"),
               "--references", LIBRARY, "--standard", "CORUNDUM=0.2"]
        for t in truth:
            cmd += ["--reference", t["id"]]
        t0 = time.perf_counter()
        out = subprocess.run(cmd + extra, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t0)
        rows = {r["id"]: r for r in csv.DictReader(out.splitlines()) if r["id"]}
        for t in truth:
            if t["id"] == "CORUNDUM":
                continue
            w, got = float(t["weight_fraction"]), float(rows[t["id"]]["weight_fraction"])
            if w == 0.0:
                absent.append(got)
            else:
                errs.append(abs(got - w))
                if abs(got - w) > worst[0]:
                    worst = (abs(got - w), f"seed {seed} {t['id']}")
    return errs, absent, worst, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in [("per reference (default)", []), ("one sample shift", ["--alignment", "sample"]),
                            ("no shift", ["--alignment", "none"])]:
            errs, absent, worst, times = run(a.seeds, args + a.extra, tmp)
            within = sum(e <= 0.01 for e in errs)
            print(f"{label}: mean |error| {100 * statistics.mean(errs):.3f} wt% points over {len(errs)} fractions, "
                  f"{within}/{len(errs)} within 1 point, worst {100 * worst[0]:.2f} ({worst[1]}), "
                  f"absent max {100 * max(absent):.2f}, median {1000 * statistics.median(times):.0f} ms a file")


if __name__ == "__main__":
    main()
