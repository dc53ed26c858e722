#!/usr/bin/env python3
"""Reference for the xrd-latent paint bench: scipy.interpolate.griddata(method="linear").

Paints the same 1000 x 1000 map from the same 150 known points as
benches/benches/xrd_latent.rs (identical point formula), prints the timing, and with
--compare PREFIX compares against the crate's painted map dumped by the bench
(XRD_LATENT_DUMP=PREFIX cargo bench -p xrd-benches --bench xrd_latent).

griddata triangulates the points (Delaunay, Qhull) and interpolates linearly inside the
convex hull (NaN outside). xrd-latent uses the triangle of the three nearest points (paper
Eq. 1-2) or the best enclosing triangle of the k nearest, without a triangulation.
"""
import argparse
import time

import numpy as np
from scipy.interpolate import griddata
from scipy.spatial import Delaunay

N_POINTS = 150


def known_points(n):
    """Mirror of known_points() in benches/benches/xrd_latent.rs."""
    t = np.arange(n, dtype=np.float64)
    x = np.modf(0.5 + t * 0.7548776662466927)[0] + 0.02 * np.sin(12.9898 * t)
    y = np.modf(0.5 + t * 0.5698402909980532)[0] + 0.02 * np.cos(78.233 * t)
    pts = np.stack([x, y], axis=1)
    vals = np.stack([np.sin(3 * x) * np.cos(2 * y), x * x + 0.5 * y], axis=1)
    return pts, vals


def grid(pts, side, margin=0.05):
    """Mirror of PaintGrid::around(points, 0.05, side, side)."""
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = (hi - lo) * margin
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], side)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], side)
    return xs, ys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=1000, help="map side (default 1000)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repetitions (default 5)")
    ap.add_argument("--compare", metavar="PREFIX", help="compare with PREFIX.values.f64 / PREFIX.kind.u8")
    args = ap.parse_args()

    pts, vals = known_points(N_POINTS)
    xs, ys = grid(pts, args.side)
    X, Y = np.meshgrid(xs, ys)  # row j = y[j], column i = x[i], like Painted::values
    griddata(pts, vals, (X[:2, :2], Y[:2, :2]), method="linear")  # warm-up

    times, cpu = [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        ref = griddata(pts, vals, (X, Y), method="linear")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    n = args.side * args.side
    best = min(times)
    print(f"scipy {__import__('scipy').__version__} griddata linear: {n} queries, {N_POINTS} points, "
          f"best {best * 1e3:.1f} ms of {args.repeats} ({n / best / 1e6:.2f} M estimates/s), "
          f"median {np.median(times) * 1e3:.1f} ms; CPU time best {min(cpu) * 1e3:.1f} ms "
          f"({min(cpu) / n * 1e9:.0f} ns CPU per estimate)")
    inside = ~np.isnan(ref[..., 0])
    print(f"inside the convex hull: {inside.mean() * 100:.2f} % of the grid")

    if args.compare:
        ours = np.fromfile(args.compare + ".values.f64", dtype="<f8").reshape(args.side, args.side, 2)
        kind = np.fromfile(args.compare + ".kind.u8", dtype=np.uint8).reshape(args.side, args.side)
        covered = kind < 2
        print(f"xrd-latent covered: {covered.mean() * 100:.2f} % (three nearest {np.mean(kind == 0) * 100:.2f} %, "
              f"k-nearest fallback {np.mean(kind == 1) * 100:.2f} %)")
        print(f"covered by xrd-latent but outside the hull: {np.sum(covered & ~inside)}; "
              f"inside the hull but not covered: {np.sum(inside & ~covered)}")
        both = covered & inside
        diff = np.abs(ours - ref).max(axis=2)
        tri = Delaunay(pts)
        # Same triangle as Delaunay? Compare the vertex sets only where the answers differ.
        same = diff <= 1e-12
        print(f"both answer: {both.sum()} points; identical (|Δ| ≤ 1e-12): {np.sum(same & both)} "
              f"({np.sum(same & both) / both.sum() * 100:.2f} %)")
        for k, name in [(0, "three nearest"), (1, "k-nearest fallback")]:
            m = both & (kind == k)
            if m.any():
                d = diff[m]
                print(f"  {name}: {m.sum()} points, identical {np.mean(d <= 1e-12) * 100:.2f} %, "
                      f"max |Δ| {d.max():.3e}, mean |Δ| {d.mean():.3e}, 99th pct {np.percentile(d, 99):.3e}")
        # Both against the true functions the known values were sampled from.
        truth = np.stack([np.sin(3 * X) * np.cos(2 * Y), X * X + 0.5 * Y], axis=2)
        for name, est in [("xrd-latent", ours), ("griddata  ", ref)]:
            err = np.abs(est - truth).max(axis=2)[both]
            print(f"  error vs the true functions, {name}: mean {err.mean():.3e}, 99th pct "
                  f"{np.percentile(err, 99):.3e}, max {err.max():.3e}")
        # Reference scale: the spread of the known values.
        print(f"value ranges: {np.ptp(vals[:, 0]):.3f}, {np.ptp(vals[:, 1]):.3f}; "
              f"Delaunay triangles: {len(tri.simplices)}")
        # Outside the hull: extrapolation is not compared (griddata gives NaN).


if __name__ == "__main__":
    main()
