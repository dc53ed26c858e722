"""Weight fractions of `xrd refine` on the weighed mixtures of dara_dev against truth.csv.

Run from the repository root after `cargo build --release -p xrd-cli`; extra arguments go to
`xrd refine` (e.g. `--stages scale,cells,profile,texture,b`). Prints one line per scan and the
mean |error| in wt% points, with and without the four scans where NiO stands beside a far more
absorbing phase (microabsorption).
"""
import csv, subprocess, sys, io, os, statistics, time
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dara_specs import D, spec  # noqa: E402
truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append((r["component"], float(r["weight_fraction"])))
extra = sys.argv[1:]
errs = []; keys = []; tot = 0
for f, comps in sorted(truth.items()):
    args = [os.environ.get("XRD", "./target/release/xrd"), "--format", "csv", "refine", f"{D}/{f}"]
    for c, _ in comps: args += ["--phase", spec[c]]
    t = time.time()
    p = subprocess.run(args + extra, capture_output=True, text=True)
    dt = time.time() - t; tot += dt
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    if len(rows) != len(comps):
        print(f, "FAILED", p.stderr[-500:]); continue
    line = []
    for (c, w), r in zip(comps, rows):
        e = float(r["weight_fraction"]) - w
        errs.append(abs(e)); keys.append((f, c))
        line.append(f"{c} {float(r['weight_fraction']):.3f}±{float(r['weight_fraction_esd']):.3f} (true {w:.3}, {100*e:+.1f}) {r['name']}")
    print(f"{f[:45]:45s} Rwp {float(rows[0]['rwp']):.3f} {dt:.1f}s | " + "; ".join(line))
micro = [abs(e) for (f, _), e in zip(keys, errs) if ("NiO" in f and ("Bi2O3" in f or "V2O5_0p4005" in f))]
rest = [abs(e) for (f, _), e in zip(keys, errs) if not ("NiO" in f and ("Bi2O3" in f or "V2O5_0p4005" in f))]
print(f"without NiO-Bi2O3 and V2O5-NiO: mean |error| {100*statistics.mean(rest):.2f} (n={len(rest)}); those: {100*statistics.mean(micro):.2f} (n={len(micro)})")
# The halves of docs/experiments/2026-11-26-refine-particle-size.md: mixtures in name order,
# every other one to the tuning half (both scans of a mixture in the same half).
mixtures = sorted({f.split("--")[0] for f in truth})
tuning = {m for k, m in enumerate(mixtures) if k % 2 == 0}
half = lambda f: "tuning" if f.split("--")[0] in tuning else "reporting"
for h in ("tuning", "reporting"):
    e = [x for (f, _), x in zip(keys, errs) if half(f) == h]
    print(f"{h} half: mean |error| {100*statistics.mean(e):.2f} wt% points (n={len(e)})")
print(f"mean |error| {100*statistics.mean(errs):.2f} wt% points, worst {100*max(errs):.1f}, n={len(errs)}, total {tot:.0f}s")
