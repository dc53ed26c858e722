"""Identification of mixtures of one element's oxides in two oxidation states (synthetic).

Each pair is simulated with `xrd simulate` (Cu Kα, 10-90°, pseudo-Voigt FWHM 0.12° for the
major phase and 0.20° for the minor, as a finer and a coarser powder), mixed with the minor
phase's strongest line at 40 % or 15 % of the major's, on a sloping background, with Poisson
noise (5,000 counts at the strongest line), then identified with `xrd identify`, with the
pair's elements (`--elements`) and without. A run passes when the phases named are the two
formulas, no more. Synthetic data made by the workspace's own simulator: the numbers say
whether identification can name such a pair, not how it does on measured scans.

Run from the repository root after `cargo build --release -p xrd-cli` (XRD=path for another
build): python3 docs/experiments/mixed_valence.py
"""
import csv, io, os, subprocess, sys, tempfile
import numpy as np

XRD = os.environ.get("XRD", "./target/release/xrd")
# (major, minor, elements, their formulas as the library writes them)
PAIRS = [
    ("hematite", "magnetite", "Fe,O", {"Fe2O3", "Fe3O4"}),
    ("magnetite", "hematite", "Fe,O", {"Fe2O3", "Fe3O4"}),
    ("tenorite", "cuprite", "Cu,O", {"CuO", "Cu2O"}),
    ("cuprite", "tenorite", "Cu,O", {"CuO", "Cu2O"}),
    ("amcsd:9391", "hausmannite", "Mn,O", {"Mn2O3", "Mn3O4"}),
    ("hausmannite", "amcsd:9391", "Mn,O", {"Mn2O3", "Mn3O4"}),
    ("Co3O4", "CoO", "Co,O", {"Co3O4", "CoO"}),
    ("cassiterite", "romarchite", "Sn,O", {"SnO2", "SnO"}),
]


def simulate(spec, fwhm, work):
    out = os.path.join(work, f"{spec.replace(':', '_')}_{fwhm}.csv")
    if not os.path.exists(out):
        subprocess.run([XRD, "-q", "--format", "csv", "simulate", spec, "--range", "10", "90",
                        "--fwhm", str(fwhm)], check=True, stdout=open(out, "w"),
                       stderr=subprocess.DEVNULL)
    d = np.loadtxt(out, delimiter=",", skiprows=1)
    return d[:, 0], d[:, 1] / d[:, 1].max()


def fractions(f):
    """Element fractions of a formula (`Fe2 O3`, `(Fe.034 Mn1.966) O3`), elements of less than
    2 at.% left out (traces, and the 1.5 at.% Fe of the hausmannite entry)."""
    import re
    counts = {}
    for e, n in re.findall(r"([A-Z][a-z]?)([0-9.]*)", f):
        counts[e] = counts.get(e, 0) + (float(n) if n not in ("", ".") else 1.0)
    total = sum(counts.values())
    return {e: n / total for e, n in counts.items() if n / total >= 0.02}


def same(a, b):
    a, b = fractions(a), fractions(b)
    return a.keys() == b.keys() and all(abs(a[e] - b[e]) < 0.02 for e in a)


def main():
    rng = np.random.default_rng(7)
    passed = {"with elements": 0, "without": 0}
    runs = 0
    with tempfile.TemporaryDirectory() as work:
        for major, minor, elements, want in PAIRS:
            t, a = simulate(major, 0.12, work)
            _, b = simulate(minor, 0.20, work)
            for share in (0.4, 0.15):
                y = a + share * b / b.max()
                counts = rng.poisson(5000 * y / y.max() + 300 + 400 * np.exp(-(t - 10) / 12))
                path = os.path.join(work, f"{major}_{minor}_{share}.xy".replace(":", "_"))
                np.savetxt(path, np.c_[t, counts], fmt="%.3f %d")
                runs += 1
                for mode, extra in (("with elements", ["--elements", elements]), ("without", [])):
                    p = subprocess.run([XRD, "-q", "--format", "csv", "identify", path] + extra,
                                       capture_output=True, text=True)
                    rows = [r for r in csv.DictReader(io.StringIO(p.stdout)) if r["phase"] != "0"]
                    named = [(r["formula"], r["weight_fraction"]) for r in rows]
                    ok = len(named) == 2 and all(any(same(n, w) for n, _ in named) for w in want)
                    passed[mode] += ok
                    print(f"{major:>11} + {share:.2f} {minor:<11} {mode:<13} "
                          f"{'ok ' if ok else 'BAD'} {named}")
    for mode, n in passed.items():
        print(f"{mode}: {n}/{runs} mixtures named as their two phases")


if __name__ == "__main__":
    sys.exit(main())
