"""Pawley against Rietveld cells on the weighed mixtures of dara_dev.

For every scan: the Rietveld refinement of its weighed phases (as dara_refine.py), then, for each
phase in turn, the same refinement with that phase as a Pawley phase (`pawley:SOURCE`, the
structure Rietveld chose): the relative difference of its a, b, c from the Rietveld cell. Run
from the repository root after `cargo build --release -p xrd-cli`.
"""
import csv, io, statistics, subprocess

import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dara_specs import D, spec  # noqa: E402
truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append(r["component"])


def refine(path, specs):
    args = ["./target/release/xrd", "--format", "csv", "refine", path]
    for s in specs:
        args += ["--phase", s]
    p = subprocess.run(args, capture_output=True, text=True)
    return list(csv.DictReader(io.StringIO(p.stdout))), p.stderr


diffs = []
for f, comps in sorted(truth.items()):
    path = f"{D}/{f}"
    rows, err = refine(path, [spec[c] for c in comps])
    if len(rows) != len(comps):
        print(f, "Rietveld failed", err[-300:])
        continue
    sources = [r["source"] for r in rows]
    for k, c in enumerate(comps):
        specs = sources[:k] + ["pawley:" + sources[k]] + sources[k + 1:]
        prow, err = refine(path, specs)
        if len(prow) != len(comps):
            print(f, c, "Pawley failed", err[-300:])
            continue
        rel = max(abs(float(prow[k][x]) - float(rows[k][x])) / float(rows[k][x]) for x in "abc")
        diffs.append(rel)
        print(f"{f[:45]:45s} {c:8s} {rows[k]['name'][:14]:14s} max |Δ|/x {rel:.1e}  "
              f"Rwp {float(rows[k]['rwp']):.4f} -> {float(prow[k]['rwp']):.4f}")
print(f"{len(diffs)} phases: median {statistics.median(diffs):.1e}, worst {max(diffs):.1e}, "
      f"{sum(d < 1e-4 for d in diffs)} within 1e-4")
