"""How much a weighed component's weight fraction depends on which library entry of its mineral
is refined: for every weighed component of dara_dev (the 2-minute scans), the mixture is refined
once with each entry of the component's mineral (`xrd library show`, pinned by id), the other
components as `xrd refine` resolves them. Prints per component the spread (max - min) of its
fraction over the entries, the error of the entry `xrd refine --phase NAME` chooses, and the
range of errors over all entries; then the means.

Run from the repository root after `cargo build --release -p xrd-cli`; extra arguments go to
every `xrd refine` (e.g. `--particle-size 3`).
"""
import csv, io, os, subprocess, sys, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dara_specs import D, spec  # noqa: E402

X = "./target/release/xrd"
extra = sys.argv[1:]
truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append((r["component"], float(r["weight_fraction"])))


def refine(f, specs):
    args = [X, "-q", "--format", "csv", "refine", f"{D}/{f}"]
    for s in specs:
        args += ["--phase", s]
    p = subprocess.run(args + extra, capture_output=True, text=True)
    return list(csv.DictReader(io.StringIO(p.stdout)))


spreads, chosen_errs, worst = [], [], []
for f, comps in sorted(truth.items()):
    if "--2min" not in f:
        continue
    base = refine(f, [spec[c] for c, _ in comps])
    if len(base) != len(comps):
        print(f, "FAILED"); continue
    for k, (c, w) in enumerate(comps):
        if spec[c].endswith(".cif"):
            continue  # given as a file: no entries to choose among
        mineral = base[k]["name"]
        p = subprocess.run([X, "--format", "csv", "library", "show", mineral], capture_output=True, text=True)
        ids = [r["id"] for r in csv.DictReader(io.StringIO(p.stdout))]
        fr = {}
        for i in ids:
            specs = [spec[cc] if j != k else i for j, (cc, _) in enumerate(comps)]
            rows = refine(f, specs)
            if len(rows) == len(comps):
                fr[i] = float(rows[k]["weight_fraction"])
        if not fr:
            continue
        chosen = float(base[k]["weight_fraction"]) - w
        errs = [v - w for v in fr.values()]
        spread = max(fr.values()) - min(fr.values())
        spreads.append(spread); chosen_errs.append(abs(chosen)); worst.append(max(abs(e) for e in errs))
        print(f"{f[:40]:40s} {c:8s} {mineral:14s} {len(fr):2d} entries: spread {100*spread:5.1f}, "
              f"chosen {base[k]['source']} {100*chosen:+5.1f}, errors {100*min(errs):+5.1f} .. {100*max(errs):+5.1f}")
print(f"mean spread {100*statistics.mean(spreads):.2f} wt% points (n={len(spreads)}); chosen entry's "
      f"mean |error| {100*statistics.mean(chosen_errs):.2f}; worst entry's mean |error| {100*statistics.mean(worst):.2f}")
