"""`xrd identify --elements` on the weighed mixtures of dara_dev against truth.csv.

Run from the repository root after `cargo build --release -p xrd-cli` (or with XRD=path/to/xrd
for another build); extra arguments go to
`xrd identify` (e.g. `--no-refine`, `--library ../shared/data/cif/LaOH3_Beall1977.cif`). The
elements given are those of the weighed components (`--no-elements`, taken by this script,
gives none: identification of an unknown). A found phase names a component when their
compositions agree (element fractions within 0.02); a found phase that names none is wrong.
Prints one line per scan, then: components found (of those the library holds, La(OH)3 being
absent from the built-in AMCSD), wrong phases per file, and the mean |weight-fraction error| of
the found components.
"""
import csv, io, os, re, subprocess, sys, statistics

D = "../shared/data/measured/dara_dev"
ELEMENTS = {"In2O3": "In,O", "La(OH)3": "La,O,H", "TiO2": "Ti,O", "MnCO3": "Mn,C,O",
            "Li2CO3": "Li,C,O", "ZrO2": "Zr,O", "NiO": "Ni,O", "Bi2O3": "Bi,O", "ZnO": "Zn,O",
            "V2O5": "V,O"}


def composition(formula):
    """Element fractions of a formula such as `Mn C O3`, `La(OH)3`, `Ti.992 O2`."""
    def expand(f):
        while "(" in f:
            f = re.sub(r"\(([^()]*)\)([0-9.]*)",
                       lambda m: " ".join(f"{e}{float(n or 1) * float(m.group(2) or 1)}"
                                          for e, n in re.findall(r"([A-Z][a-z]?)([0-9.]*)", m.group(1))),
                       f)
        return f
    counts = {}
    for e, n in re.findall(r"([A-Z][a-z]?)([0-9.]*)", expand(formula)):
        counts[e] = counts.get(e, 0) + (float(n) if n not in ("", ".") else 1.0)
    total = sum(counts.values())
    return {e: c / total for e, c in counts.items()}


def same(a, b):
    """Whether two formulas are one compound, traces aside (elements of at most 1 at.%, as the
    library's TRACE_FRACTION: `V2 Mg.01 O5` is V2O5)."""
    def major(f):
        c = composition(f)
        kept = {e: x for e, x in c.items() if x > 0.01}
        total = sum(kept.values())
        return {e: x / total for e, x in kept.items()}
    a, b = major(a), major(b)
    return a.keys() == b.keys() and all(abs(a[e] - b[e]) < 0.02 for e in a)


truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append((r["component"], float(r["weight_fraction"])))
extra = [a for a in sys.argv[1:] if a != "--no-elements"]
with_elements = "--no-elements" not in sys.argv[1:]
# The halves of docs/experiments/2026-11-26-refine-particle-size.md: mixtures in name order,
# every other one to the tuning half (both scans of a mixture in the same half).
mixtures = sorted({f.split("--")[0] for f in truth})
tuning = {m for k, m in enumerate(mixtures) if k % 2 == 0}
half = lambda f: "tuning" if f.split("--")[0] in tuning else "reporting"
tally = {h: {"found": 0, "held": 0, "wrong": 0, "files": 0, "errors": []} for h in ("tuning", "reporting")}
found_n = held_n = wrong_n = 0
errors = []
for f, comps in sorted(truth.items()):
    elements = sorted({e for c, _ in comps for e in ELEMENTS[c].split(",")})
    args = [os.environ.get("XRD", "./target/release/xrd"), "--format", "csv", "identify",
            f"{D}/{f}"] + (["--elements", ",".join(elements)] if with_elements else []) + extra
    p = subprocess.run(args, capture_output=True, text=True)
    rows = [r for r in csv.DictReader(io.StringIO(p.stdout)) if r["phase"] != "0"]
    line = []
    matched = set()
    summed = {}
    for r in rows:
        comp = next((c for c, _ in comps if same(c, r["formula"])), None)
        wf = r.get("weight_fraction") or ""
        if comp is None:
            wrong_n += 1
            line.append(f"WRONG {r['name']} ({r['formula']}) {wf}")
            continue
        matched.add(comp)
        w_true = dict(comps)[comp]
        if wf:
            summed[comp] = summed.get(comp, 0.0) + float(wf)
            line.append(f"{comp}={r['name']} {float(wf):.3f} (true {w_true:.3f})")
        else:
            line.append(f"{comp}={r['name']}")
    # A component found as two polymorphs (or two entries) weighs their sum.
    for comp, w in summed.items():
        errors.append(abs(w - dict(comps)[comp]))
    for c, _ in comps:
        if c == "La(OH)3" and "--library" not in " ".join(extra):
            continue
        held_n += 1
        if c in matched:
            found_n += 1
        else:
            line.append(f"MISSED {c}")
    t = tally[half(f)]
    t["files"] += 1
    t["wrong"] += sum(1 for x in line if x.startswith("WRONG"))
    t["held"] += sum(1 for c, _ in comps if not (c == "La(OH)3" and "--library" not in " ".join(extra)))
    t["found"] += sum(1 for c in matched if not (c == "La(OH)3" and "--library" not in " ".join(extra)))
    t["errors"] += [abs(w - dict(comps)[comp]) for comp, w in summed.items()]
    print(f"{f[:45]:45s} " + "; ".join(line))
print(f"found {found_n}/{held_n} components the library holds ({100 * found_n / held_n:.1f} %), "
      f"{wrong_n} wrong phases ({wrong_n / len(truth):.2f} per file)"
      + (f", found components' weight fractions off by {100 * statistics.mean(errors):.2f} wt% points on average (n={len(errors)})" if errors else ""))
for h, t in tally.items():
    e = t["errors"]
    print(f"{h} half: found {t['found']}/{t['held']}, {t['wrong'] / t['files']:.2f} wrong per file ({t['files']} files)"
          + (f", fractions off {100 * statistics.mean(e):.2f} wt% points (n={len(e)})" if e else ""))
