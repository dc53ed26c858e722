"""`xrd refine` on the synthetic textured carbonate mixtures against their truth (issue 64 part 4).

Write the scans first (calcite, gibbsite, dolomite, hematite; gibbsite platy on (001), the
carbonates on {104}):

    cargo run --release -p xrd-benches --features probes --example textured_mixtures -- DIR [N]

then, from the repository root, `python3 docs/experiments/textured_mixtures.py DIR [XRD]`.
Refines every scan with each texture correction (none, March–Dollase as by default, spherical
harmonics of order 4 and 8 beside it) with the phases by mineral name, as a user would, no
instrument file, and prints the mean |weight fraction − truth| in wt% points with each phase's
mean signed error, and the March–Dollase directions kept on each phase.
"""
import csv, json, os, statistics, subprocess, sys, tempfile

d = sys.argv[1]
xrd = sys.argv[2] if len(sys.argv) > 2 else "./target/release/xrd"
truth = list(csv.DictReader(open(os.path.join(d, "truth.csv"))))
names = [c for c in truth[0] if c != "file"]
variants = {
    "no texture": ["--stages", "scale,cells,profile"],
    "March-Dollase (default)": [],
    "+ harmonics order 4": ["--texture-harmonics", "4"],
    "+ harmonics order 8": ["--texture-harmonics", "8"],
}
for label, extra in variants.items():
    errs, signed, kept = [], {n: [] for n in names}, []
    for t in truth:
        args = [xrd, "--quiet", "--format", "json", "refine", os.path.join(d, t["file"])]
        for n in names:
            args += ["--phase", n]
        out = tempfile.mkdtemp()
        p = subprocess.run(args + ["--particle-size", "0", "--out", out] + extra,
                           capture_output=True, text=True)
        rows = json.loads(p.stdout or "[]")
        phases = json.load(open(os.path.join(out, "refinement.json")))["refinement"]["phases"]
        if len(rows) != len(names):
            print(t["file"], "FAILED", p.stderr[-300:])
            continue
        for n, r, ph in zip(names, rows, phases):
            e = 100 * (float(r["weight_fraction"]) - float(t[n]))
            errs.append(abs(e))
            signed[n].append(e)
            tex = ph.get("texture")
            kept.append((n, tuple(tex[0]) if tex else None))
    bias = ", ".join(f"{n} {statistics.mean(v):+.2f}" for n, v in signed.items())
    print(f"{label:26s} mean |error| {statistics.mean(errs):.2f} wt% points (n={len(errs)}); {bias}")
    for n in names:
        dirs = [k for m, k in kept if m == n]
        counts = {str(k): dirs.count(k) for k in set(dirs)}
        print(f"{'':26s} {n}: March-Dollase kept {counts}")
