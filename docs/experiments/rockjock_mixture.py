#!/usr/bin/env python3
"""Synthetic mixtures of RockJock's measured reference patterns, for `xrd refine --references`.

Each mixture: 20 wt% corundum (the internal standard) and 3-7 further minerals at 0-60 wt%
(renormalised to the remaining 80, one listed but absent), each shifted by a sample shift of up
to 0.15 deg plus its own of up to 0.05 deg (natural cubic spline, not the fit's interpolation), on
a grid offset from the references', over a smooth background, with Poisson-like counting noise.
Writes mixture_<seed>.xy and truth_<seed>.csv (id,weight_fraction,shift) into --out.
Standard library only, so CI can run it without numpy.

    python3 docs/experiments/rockjock_mixture.py --seed 1 --out /tmp/mix
"""
import argparse
import csv
import gzip
import io
import math
import os
import random

LIBRARY = "../shared/data/references/rockjock/rockjock_library_all168.csv.gz"
PHASES = "../shared/data/references/rockjock/rockjock_library_phases.csv"
# Distinct minerals a mixture draws from (clays, framework silicates, carbonates, oxides...).
MINERALS = [
    "QUARTZ", "ORDERED_MICROCLINE", "ALBITE_CLEAVELANDITE", "CALCITE", "DOLOMITE",
    "KAOLINITE_DRY_BRANCH", "ILLITE_1MD", "MONTMORILLONITE_WYO", "CHLORITE_CCA_2", "GYPSUM",
    "HEMATITE", "GOETHITE", "MUSCOVITE_2M1", "PYRITE", "ANATASE", "BARITE", "HALITE", "SIDERITE",
]


def read_library():
    with gzip.open(LIBRARY, "rt") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    tth = [float(r[0]) for r in rows[1:]]
    cols = {h: [float(r[i]) for r in rows[1:]] for i, h in enumerate(header) if i > 0}
    rir = {r["phase_id"]: float(r["rir"]) for r in csv.DictReader(open(PHASES))}
    return tth, cols, rir


def spline(start, step, y, xs):
    """Natural cubic spline through y on a uniform grid, at xs."""
    n = len(y)
    c, d, m = [0.0] * n, [0.0] * n, [0.0] * n
    for i in range(1, n - 1):
        rhs = 6.0 * (y[i + 1] - 2.0 * y[i] + y[i - 1])
        den = 4.0 - c[i - 1]
        c[i] = 1.0 / den
        d[i] = (rhs - d[i - 1]) / den
    for i in range(n - 2, 0, -1):
        m[i] = d[i] - c[i] * m[i + 1]
    out = []
    for x in xs:
        t = min(max((x - start) / step, 0.0), n - 1 - 1e-9)
        i = int(math.floor(t))
        u = t - i
        a = 1.0 - u
        out.append(a * y[i] + u * y[i + 1] + ((a ** 3 - a) * m[i] + (u ** 3 - u) * m[i + 1]) / 6.0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--phases", type=int, default=0, help="minerals beside corundum (0: 3-7 by seed)")
    ap.add_argument("--mix", nargs="*", metavar="ID=WT",
                    help="these minerals at these weight fractions beside the 0.2 of corundum "
                         "(instead of a random choice)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tth, cols, rir = read_library()
    if a.mix:
        picks = [m.split("=")[0] for m in a.mix]
        fractions = [float(m.split("=")[1]) for m in a.mix]
        assert abs(sum(fractions) - 0.8) < 1e-9, "the minerals make up 0.8 beside corundum"
    else:
        k = a.phases or rng.randint(3, 7)
        picks = rng.sample(MINERALS, k)
        raw = [rng.uniform(0.0, 0.6) for _ in range(k - 1)]
        fractions = [0.8 * w / sum(raw) for w in raw] + [0.0]
    sample_shift = rng.uniform(-0.15, 0.15)
    parts = [("CORUNDUM", 0.2, sample_shift)] + [
        (p, w, sample_shift + rng.uniform(-0.05, 0.05)) for p, w in zip(picks, fractions)
    ]
    xs = [5.51 + 0.02 * i for i in range(2900)]
    norm = sum(w * rir[p] for p, w, _ in parts)
    y = [40.0 + 120.0 * math.exp(-x / 12.0) for x in xs]
    start, step = tth[0], tth[1] - tth[0]
    for p, w, s in parts:
        ref = spline(start, step, cols[p], [x - s for x in xs])
        for i, v in enumerate(ref):
            y[i] += w * rir[p] / norm * v
    y = [max(0.0, round(v + math.sqrt(max(v, 1.0)) * rng.gauss(0.0, 1.0))) for v in y]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"mixture_{a.seed}.xy"), "w") as f:
        f.writelines(f"{x:.4f} {v:.0f}\n" for x, v in zip(xs, y))
    with open(os.path.join(a.out, f"truth_{a.seed}.csv"), "w") as f:
        f.write("id,weight_fraction,shift\n")
        f.writelines(f"{p},{w:.6f},{s:.5f}\n" for p, w, s in parts)


if __name__ == "__main__":
    main()
