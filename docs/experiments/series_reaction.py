"""`xrd refine --sequential` on the synthetic reaction series against its truth.

Write the frames first (nine phases, three to seven at a time, 0.2413 Å, no instrument file):

    cargo run --release -p xrd-benches --features probes --example series_frames -- DIR N --reaction

then, from the repository root, `python3 docs/experiments/series_reaction.py DIR [XRD] [extra
xrd refine arguments]`. Runs the command as a user would (every phase named by its CIF,
`--wavelength 0.2413 --particle-size 0 --sequential`), times the whole process and prints the
per-frame mean |weight fraction − truth| over the nine phases (an absent phase counts as 0) as
its median and 90th percentile, in wt% points, and the flags' counts.
"""
import csv, os, statistics, subprocess, sys, tempfile, time
from collections import Counter

d = sys.argv[1]
xrd = sys.argv[2] if len(sys.argv) > 2 else "./target/release/xrd"
extra = sys.argv[3:]
truth = list(csv.DictReader(open(os.path.join(d, "truth.csv"))))
phases = [c for c in truth[0] if c != "file"]
cifs = {
    "Anatase": "autoxrd_TiO2_141.cif", "Rutile": "Rutile.cif", "Manganosite": "autoxrd_MnO_225.cif",
    "Bixbyite": "autoxrd_Mn2O3_206.cif", "Zincite": "ZnO.cif", "In2O3": "In2O3_Marezio1966.cif",
    "LiCoO2": "LiCoO2.cif", "Halite": "KCl.cif", "Corundum": "Sapphire.cif",
}
out = tempfile.mkdtemp()
args = [xrd, "--quiet", "--format", "csv", "refine"] + [os.path.join(d, t["file"]) for t in truth]
for p in phases:
    args += ["--phase", f"../shared/data/cif/{cifs[p]}"]
args += ["--wavelength", "0.2413", "--particle-size", "0", "--sequential", "--out", out] + extra
t0 = time.time()
r = subprocess.run(args, capture_output=True, text=True)
dt = time.time() - t0
if r.returncode not in (0, 1):
    sys.exit(r.stderr[-2000:])
rows = list(csv.DictReader(open(os.path.join(out, "series.csv"))))
# The column prefix of each phase is its CIF's name (the phase's name in the refinement).
prefix = {p: os.path.splitext(cifs[p])[0].replace(" ", "_") for p in phases}
errors, flags = [], Counter()
for row, t in zip(rows, truth):
    e = []
    for p in phases:
        col = f"{prefix[p]}_wt"
        got = float(row[col]) if row.get(col) not in (None, "") else 0.0
        e.append(abs(got - float(t[p])))
    errors.append(100 * statistics.mean(e))
    for f in filter(None, (x.strip() for x in row["flags"].split(";"))):
        flags[f.split("(")[0]] += 1
errors.sort()
p90 = errors[min(len(errors) - 1, int(0.9 * len(errors)))]
print(f"{len(rows)} frames in {dt:.1f} s ({1000 * dt / len(rows):.0f} ms a frame); "
      f"mean |wt - truth| per frame: median {statistics.median(errors):.2f}, 90th percentile "
      f"{p90:.2f}, worst {errors[-1]:.2f} wt% points; flags {dict(flags)}")
