"""The background check of `xrd refine` against refits with more Chebyshev terms.

Run from the repository root after `cargo build --release -p xrd-cli`, with numpy. For each
weighed mixture of dara_dev (its weighed phases) and three of XRD-AutoAnalyzer's lab scans: Rwp
with the default 6 terms; the Rwp one linear least-squares step on the fit's residuals predicts
for 12 terms (as `xrd_refine`'s check computes it, here from `fit.csv`); the Rwp of a refit with
`--background 12`; the largest change of a weight fraction; and whether the refinement advised
more terms. See docs/experiments/2026-11-29-background-advice.md.
"""
import csv, subprocess, sys, io, os
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dara_specs import D, spec  # noqa: E402
X = os.environ.get("XRD", "./target/release/xrd")
R = "../shared/data/real"
truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append(r["component"])
cases = [(f, f"{D}/{f}", sum((["--phase", spec[c]] for c in comps), []))
         for f, comps in sorted(truth.items())]
cases += [("autoxrd_TiO2.xy (anatase)", f"{R}/autoxrd_TiO2.xy", ["--phase", "amcsd:10735"]),
          ("autoxrd_MnO.xy", f"{R}/autoxrd_MnO.xy", ["--phase", "MnO"]),
          ("autoxrd_Mn2O3.xy", f"{R}/autoxrd_Mn2O3.xy", ["--phase", "Mn2O3"])]


def chebyshev(tt, n):
    x = 2 * (tt - tt[0]) / (tt[-1] - tt[0]) - 1
    t = [np.ones_like(x), x]
    for _ in range(2, n):
        t.append(2 * x * t[-1] - t[-2])
    return np.array(t[:n]).T


def refine(args, out=None):
    a = [X, "--format", "csv", "-q", "refine"] + args + (["--out", out] if out else [])
    p = subprocess.run(a, capture_output=True, text=True)
    return list(csv.DictReader(io.StringIO(p.stdout))), p.stderr


for name, path, phases in cases:
    out = "/tmp/xrd-background-advice"
    subprocess.run(["rm", "-rf", out])
    rows6, err = refine([path] + phases, out)
    fit = list(csv.DictReader(open(f"{out}/fit.csv")))
    tt = np.array([float(r["two_theta"]) for r in fit])
    y = np.array([float(r["observed"]) for r in fit])
    f = np.array([float(r["calculated"]) for r in fit])
    sw = np.sqrt(1 / np.maximum(y, 1))
    a = chebyshev(tt, 12) * sw[:, None]
    b = (y - f) * sw
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    predicted = np.sqrt(np.sum((b - a @ coef) ** 2) / np.sum((y * sw) ** 2))
    rows12, _ = refine([path] + phases + ["--background", "12"])
    r6, r12 = float(rows6[0]["rwp"]), float(rows12[0]["rwp"])
    moved = max(abs(float(p["weight_fraction"]) - float(q["weight_fraction"]))
                for p, q in zip(rows6, rows12))
    advised = "advised" if "Chebyshev terms instead of" in err else "-"
    print(f"{name[:42]:42s} Rwp {100*r6:5.2f} | predicted {100*predicted:5.2f} "
          f"({100*(1-predicted/r6):4.1f} %) | refit {100*r12:5.2f} ({100*(1-r12/r6):4.1f} %) "
          f"| weights moved {100*moved:3.1f} pts | {advised}")
