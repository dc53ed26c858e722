"""MnO lab scan: the cell residual of peak positions from scipy.signal (find_peaks, maxima on
the grid; and a parabola through the maximum's neighbours) against xrd peaks'."""
import csv, math, subprocess, sys, time
import numpy as np
from scipy.signal import find_peaks, savgol_filter
import xrd

path = "../shared/data/real/autoxrd_MnO.xy"
p = xrd.read(path)
x, y = np.asarray(p.two_theta), np.asarray(p.intensity)
lam = 1.540598
N = [3, 4, 8, 11, 12, 16, 19]

def cell_fit(tt):
    a, z = 4.445, 0.0
    for _ in range(30):
        J, r = [], []
        for t, n in zip(tt, N):
            c = lambda a, z: 2 * math.degrees(math.asin(lam * math.sqrt(n) / (2 * a))) + z
            r.append(t - c(a, z)); J.append([(c(a + 1e-6, z) - c(a - 1e-6, z)) / 2e-6, 1.0])
        d = np.linalg.lstsq(np.array(J), np.array(r), rcond=None)[0]
        a += d[0]; z += d[1]
    return a, z, max(abs(t - (2 * math.degrees(math.asin(lam * math.sqrt(n) / (2 * a))) + z)) for t, n in zip(tt, N))

t0 = time.perf_counter()
idx, _ = find_peaks(y, prominence=0.05 * y.max())
t1 = time.perf_counter()
print("scipy find_peaks:", len(idx), "peaks in %.2f ms" % ((t1 - t0) * 1e3))
ours = [r["two_theta"] for r in xrd.fit_peaks(p)]
print("  scipy peaks:", np.round(x[idx], 3))
idx = np.array([idx[np.argmin(abs(x[idx] - t))] for t in ours])
grid = x[idx]
print("  grid maxima: a %.5f zero %.4f worst %.4f°" % cell_fit(grid))
s = savgol_filter(y, 9, 2)
par = []
for i in idx:
    a_, b_, c_ = s[i - 1], s[i], s[i + 1]
    den = a_ - 2 * b_ + c_
    par.append(x[i] + (0.5 * (a_ - c_) / den if den < 0 else 0) * (x[1] - x[0]))
print("  parabola on Savitzky-Golay: a %.5f zero %.4f worst %.4f°" % cell_fit(par))
t0 = time.perf_counter()
rows = xrd.fit_peaks(p)
t1 = time.perf_counter()
print("xrd.fit_peaks: %d lines in %.2f ms" % (len(rows), (t1 - t0) * 1e3))
print("  fitted: a %.5f zero %.4f worst %.4f°" % cell_fit([r["two_theta"] for r in rows]))
print("step", x[1] - x[0])
