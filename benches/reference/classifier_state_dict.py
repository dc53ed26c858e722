#!/usr/bin/env python3
"""PyTorch reference of xrd-classify's file format: loads a classifier written by
``classify train`` (``Classifier::save``) into plain PyTorch modules and checks that its
predictions match the ones xrd-classify wrote.

The file holds PyTorch ``state_dict`` names: one network is an ``nn.Sequential`` whose layer ``i`` is
an ``nn.Linear`` followed by its activation (``nn.ReLU()`` for the hidden layers, ``nn.Identity()`` for
the output, which gives the logits of the 230 space groups) and, for a layer with dropout, an
``nn.Dropout`` — for the default network ``Linear(512,512), ReLU(), Dropout(0.3),
Linear(512,256), ReLU(), Dropout(0.3), Linear(256,230), Identity()``, tensors ``0.weight``,
``3.weight``, ``6.weight`` and biases; an ensemble of N networks is an ``nn.ModuleList`` of N such
``nn.Sequential`` (``0.0.weight``, ``1.0.weight``, ...). Predictions run in ``model.eval()`` mode
(no dropout). The architecture comes from the metadata
(``xrd_ae.layers``, ``members``, ``grid``). The ensemble's prediction is the mean of the members'
softmax probabilities; the space group is the arg-max + 1, the certainty its probability.

A classifier trained with ``ClassifierParams::system_network`` (``classify train --system-network``;
format version 4) also holds a crystal-system network per member, the same ``nn.Sequential`` with 7
outputs (triclinic, monoclinic, orthorhombic, tetragonal, trigonal, hexagonal, cubic), under the
prefix ``system.`` (``system.0.weight``, ...; ``system.{k}.0.weight`` for member k of an ensemble;
architecture in ``xrd_ae_system.layers``). Its ensemble-averaged softmax q gives the crystal system,
and the space-group probabilities p are rescaled within each system s to sum to q(s):
p'(g) = p(g) / P(s) * q(s), P(s) the sum of p over the groups of s (q(s) spread evenly over the
groups where P(s) is below the smallest normal double). The certainty is then max p', and the
crystal system (checked too when the expected file has the column) the arg-max of q.

Before the networks, the patterns go through the input transform of the model's ``config``
(xrd-classify's ``input`` module), re-implemented here in NumPy: max-pooling by ``pool`` points (none
for ``pool`` 0),
``sqrt`` intensities if asked, and ``autocorrelation`` lags of the background-free pattern (less
``peak_threshold`` of its maximum, clipped at 0) on a ln Q grid of twice as many points.

    python benches/reference/classifier_state_dict.py MODEL.safetensors \\
        --data ../shared/data/measured/rruff_dev.npz --rows 16 \\
        --expected target/classify/evaluate/predictions.csv

``--expected`` is the ``predictions.csv`` that ``classify evaluate`` writes (columns ``index``,
``space_group``, ``certainty``, ...): the script checks the space group of every compared row and
the certainty to 1e-5, and exits non-zero on a mismatch.

``--bench`` (no ``--expected`` needed) times predicting every row of ``--data`` instead, like the Rust
bench ``xrd_classify/predict_rruff_457_shipped``: the input transform (a vectorised NumPy/SciPy form
of the one above: running minimum by ``scipy.ndimage.minimum_filter1d``, running mean by cumulative
sums, autocorrelation by FFT, on one thread; checked against the direct form to 1e-6 on the first
8 rows before timing) and the ensemble's probabilities in PyTorch (``--threads``, default 2).
Training speed of the same network:
``torch_classifier.py --bench --inputs 512 --hidden 512,256 --batch 64``.
"""
import argparse
import csv
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn
from safetensors import safe_open
from safetensors.torch import load_file

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
    "prelu": nn.PReLU,
}

CERTAINTY_TOL = 1e-5


def build(layers):
    mods = []
    for layer in layers:
        mods += [nn.Linear(layer["inputs"], layer["outputs"]), ACTIVATIONS[layer["activation"]]()]
        if layer.get("dropout", 0.0) > 0.0:
            mods.append(nn.Dropout(layer["dropout"]))
    return nn.Sequential(*mods)


SYSTEM_PREFIX = "system."
SYSTEMS = ["triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic"]


def module(layers, members, state):
    """One nn.Sequential, or an nn.ModuleList of `members`, holding `state` (strict)."""
    if members == 1:
        model = build(layers)
    else:
        model = nn.ModuleList([build(layers) for _ in range(members)])
    # strict=True: every tensor of the file has a home in the module and vice versa.
    model.load_state_dict(state, strict=True)
    model.eval()
    return [model] if members == 1 else list(model)


def load(path):
    """The space-group networks, the crystal-system networks (empty without), grid and config."""
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    if meta.get("format") != "xrd-classify":
        sys.exit(f"{path}: not an xrd-classify file")
    members = int(meta["members"])
    grid = json.loads(meta["grid"])
    config = json.loads(meta["config"])
    state = load_file(path)
    system_state = {k[len(SYSTEM_PREFIX):]: v for k, v in state.items() if k.startswith(SYSTEM_PREFIX)}
    group_state = {k: v for k, v in state.items() if not k.startswith(SYSTEM_PREFIX)}
    nets = module(json.loads(meta["xrd_ae.layers"]), members, group_state)
    systems = []
    if system_state:
        systems = module(json.loads(meta["xrd_ae_system.layers"]), members, system_state)
    return nets, systems, grid, config


BACKGROUND_WINDOW = 2.0  # degrees 2θ, xrd_classify::BACKGROUND_WINDOW


def running(y, h, fn):
    """fn over the window [i - h, i + h] (clipped at the ends) of every row of y."""
    n = y.shape[1]
    out = np.empty_like(y)
    for i in range(n):
        out[:, i] = fn(y[:, max(i - h, 0):min(i + h + 1, n)], axis=1)
    return out


def cut_peaks(peaks, cfg):
    """Less `peak_threshold` of each row's maximum, clipped at 0."""
    cut = cfg.get("peak_threshold", 0.0)
    if cut > 0.0:
        peaks = np.maximum(peaks - cut * peaks.max(axis=1, keepdims=True), 0.0)
    return peaks


def on_ln_q(peaks, grid, m):
    """Rows of `peaks` linearly interpolated at m points evenly spaced in ln sin θ over the grid."""
    start, step = grid["start"], grid["step"]
    n = peaks.shape[1]
    end = start + step * (n - 1)
    lnq = lambda t: np.log(np.sin(np.radians(0.5 * t)))
    l = lnq(start) + (lnq(end) - lnq(start)) * np.arange(m) / (m - 1)
    t = 2.0 * np.degrees(np.arcsin(np.minimum(np.exp(l), 1.0)))
    f = np.clip((t - start) / step, 0.0, n - 1)
    i = np.minimum(np.floor(f).astype(int), n - 2)
    f = f - i
    return peaks[:, i] * (1.0 - f) + peaks[:, i + 1] * f


def transform(x, grid, cfg):
    """The network input of patterns x (rows on the grid), as xrd-classify computes it."""
    pool = cfg.get("pool", 1)
    n = x.shape[1]
    if pool == 0:  # the autocorrelation alone
        pooled = np.zeros((x.shape[0], 0))
    else:
        width = -(-n // pool)
        padded = np.full((x.shape[0], width * pool), -np.inf, dtype=np.float64)
        padded[:, :n] = x
        pooled = padded.reshape(x.shape[0], width, pool).max(axis=2)
    if cfg.get("intensity", "linear") == "sqrt":
        pooled = np.sqrt(np.maximum(pooled, 0.0))
    lags = cfg.get("autocorrelation", 0)
    if lags == 0:
        return pooled.astype(np.float32)
    step = grid["step"]
    w = max(int(round(BACKGROUND_WINDOW / step)), 1)
    h = w // 2
    y = x.astype(np.float32).astype(np.float64)
    bg = running(running(y, h, np.min), h, np.mean)
    peaks = cut_peaks(np.maximum(y - bg, 0.0), cfg)
    m = 2 * lags
    r = on_ln_q(peaks, grid, m)
    zero = (r * r).sum(axis=1)
    ac = np.stack([(r[:, : m - k] * r[:, k:]).sum(axis=1) for k in range(lags)], axis=1)
    ac = np.where(zero[:, None] > 0, ac / np.where(zero > 0, zero, 1.0)[:, None], 0.0)
    return np.concatenate([pooled, ac], axis=1).astype(np.float32)


def fast_transform(x, grid, cfg):
    """`transform` for pool 0 (the default), vectorised: the same values up to rounding."""
    from scipy.ndimage import minimum_filter1d

    if cfg.get("pool", 1) != 0:
        raise SystemExit("--bench times the autocorrelation-only input (pool 0)")
    lags = cfg["autocorrelation"]
    step = grid["step"]
    n = x.shape[1]
    w = max(int(round(BACKGROUND_WINDOW / step)), 1)
    h = w // 2
    y = x.astype(np.float32).astype(np.float64)
    # The minimum over a clipped window equals the minimum with edge values repeated.
    lo = minimum_filter1d(y, 2 * h + 1, axis=1, mode="nearest")
    c = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(lo, axis=1)], axis=1)
    i = np.arange(n)
    a, b = np.maximum(i - h, 0), np.minimum(i + h + 1, n)
    peaks = cut_peaks(np.maximum(y - (c[:, b] - c[:, a]) / (b - a), 0.0), cfg)
    m = 2 * lags
    r = on_ln_q(peaks, grid, m)
    spec = np.fft.rfft(r, 2 * m, axis=1)
    ac = np.fft.irfft(spec * np.conj(spec), 2 * m, axis=1)[:, :lags]
    zero = ac[:, :1]
    ac = np.where(zero > 0, ac / np.where(zero > 0, zero, 1.0), 0.0)
    return ac.astype(np.float32)


def bench(nets, systems, grid, config, x, threads, repeats):
    torch.set_num_threads(threads)
    exact = transform(x[:8], grid, config)
    worst = float(np.abs(fast_transform(x[:8], grid, config) - exact).max())
    if worst > 1e-6:
        sys.exit(f"the vectorised transform differs from the direct one by {worst:.2e}")

    def predict():
        inputs = fast_transform(x, grid, config)
        p = probabilities(nets, inputs)
        if systems:
            p = rescale(p, probabilities(systems, inputs))
        return p

    predict()  # warm-up
    walls, parts = [], []
    cpu = time.process_time()
    for _ in range(repeats):
        t0 = time.perf_counter()
        inputs = fast_transform(x, grid, config)
        t1 = time.perf_counter()
        p = probabilities(nets, inputs)
        if systems:
            p = rescale(p, probabilities(systems, inputs))
        t2 = time.perf_counter()
        walls.append(t2 - t0)
        parts.append((t1 - t0, t2 - t1))
    cpu = (time.process_time() - cpu) / repeats
    med, best = statistics.median(walls), min(walls)
    n = len(x)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}; "
          f"{len(nets)} network(s); transform checked to {worst:.1e}")
    print(f"predict {n} patterns (transform + networks): median {1e3 * med:.2f} ms "
          f"({n / med:.0f} patterns/s), min {1e3 * best:.2f} ms ({n / best:.0f} patterns/s) over "
          f"{repeats} calls; process CPU time {1e3 * cpu:.2f} ms per call; median transform "
          f"{1e3 * statistics.median(a for a, _ in parts):.2f} ms, networks "
          f"{1e3 * statistics.median(b for _, b in parts):.2f} ms")


def probabilities(nets, x):
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        return torch.stack([torch.softmax(net(x).double(), dim=1) for net in nets]).mean(0).numpy()


def system_of(g):
    """Crystal-system index of space group g (International Tables ranges)."""
    for s, last in enumerate([2, 15, 74, 142, 167, 194, 230]):
        if g <= last:
            return s
    raise ValueError(g)


GROUP_SYSTEM = np.array([system_of(g) for g in range(1, 231)])


def rescale(p, q):
    """p'(g) = p(g) / P(s) * q(s) within each crystal system s (even spread where P underflows)."""
    out = np.empty_like(p)
    for s in range(7):
        cols = GROUP_SYSTEM == s
        total = p[:, cols].sum(axis=1, keepdims=True)
        ok = total >= np.finfo(np.float64).tiny
        out[:, cols] = np.where(ok, p[:, cols] / np.where(ok, total, 1.0) * q[:, s:s + 1],
                                q[:, s:s + 1] / cols.sum())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--data", required=True, help="npz with a `patterns` matrix on the model's grid")
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--expected", help="predictions.csv of `classify evaluate` (required unless --bench)")
    ap.add_argument("--bench", action="store_true", help="time predicting every row of --data")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for --bench (default 2)")
    ap.add_argument("--repeats", type=int, default=10, help="timed calls for --bench (default 10)")
    args = ap.parse_args()

    nets, systems, grid, config = load(args.model)
    if args.bench:
        x = np.load(args.data)["patterns"]
        if x.shape[1] != grid["n"]:
            sys.exit(f"patterns have {x.shape[1]} points, the model's grid {grid['n']}")
        bench(nets, systems, grid, config, x, args.threads, args.repeats)
        return
    if args.expected is None:
        ap.error("--expected is required unless --bench")
    x = np.load(args.data)["patterns"][: args.rows]
    if x.shape[1] != grid["n"]:
        sys.exit(f"patterns have {x.shape[1]} points, the model's grid {grid['n']}")
    inputs = transform(x, grid, config)
    p = probabilities(nets, inputs)
    if systems:
        q = probabilities(systems, inputs)
        p = rescale(p, q)
    else:
        q = np.stack([p[:, GROUP_SYSTEM == s].sum(axis=1) for s in range(7)], axis=1)
    with open(args.expected, newline="") as f:
        rows = {int(r["index"]): r for r in csv.DictReader(f)}
    worst, bad = 0.0, 0
    for i in range(len(x)):
        ours = rows[i]
        sg = int(np.argmax(p[i])) + 1
        cert = float(p[i].max())
        system = SYSTEMS[int(np.argmax(q[i]))]
        worst = max(worst, abs(cert - float(ours["certainty"])))
        if (sg != int(ours["space_group"]) or abs(cert - float(ours["certainty"])) > CERTAINTY_TOL
                or system != ours.get("crystal_system", system)):
            bad += 1
            print(f"row {i}: torch {sg} {system} ({cert:.6f}), "
                  f"xrd-classify {ours['space_group']} {ours.get('crystal_system', '')} ({ours['certainty']})")
    kind = f", {len(systems)} crystal-system network(s)" if systems else ""
    print(f"{len(x)} patterns, {len(nets)} network(s){kind}: {len(x) - bad} match; "
          f"largest certainty difference {worst:.2e} (tolerance {CERTAINTY_TOL:g})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
