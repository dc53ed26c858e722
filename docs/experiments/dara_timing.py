"""`xrd refine FILE --phase NAME…` as a whole process (library, resolution, fit, output) on the 20
weighed scans of dara_dev: each run three times, its median kept; prints the median over the
scans and the range. Run from the repository root after `cargo build --release -p xrd-cli`;
the first argument is the binary (default ./target/release/xrd), the rest go to `xrd refine`.
"""
import csv, os, statistics, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dara_specs import D, spec  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else "./target/release/xrd"
truth = {}
for r in csv.DictReader(open(f"{D}/truth.csv")):
    truth.setdefault(r["file"], []).append(r["component"])
times = []
for f, comps in sorted(truth.items()):
    args = [binary, "-q", "--format", "csv", "refine", f"{D}/{f}"]
    for c in comps:
        args += ["--phase", spec[c]]
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(args + sys.argv[2:], capture_output=True)
        runs.append(time.perf_counter() - t)
    times.append(statistics.median(runs))
print(f"median {statistics.median(times):.3f} s per scan over {len(times)} scans "
      f"(fastest {min(times):.3f}, slowest {max(times):.3f})")
