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

Training and inference speed of the same network against PyTorch: torch_classifier.py and xrd-ae's
benches.
"""
import argparse
import csv
import json
import sys

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


def load(path):
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    if meta.get("format") != "xrd-classify":
        sys.exit(f"{path}: not an xrd-classify file")
    layers = json.loads(meta["xrd_ae.layers"])
    members = int(meta["members"])
    grid = json.loads(meta["grid"])
    config = json.loads(meta["config"])
    if members == 1:
        model = build(layers)
    else:
        model = nn.ModuleList([build(layers) for _ in range(members)])
    # strict=True: every tensor of the file has a home in the module and vice versa.
    model.load_state_dict(load_file(path), strict=True)
    model.eval()
    nets = [model] if members == 1 else list(model)
    return nets, grid, config


BACKGROUND_WINDOW = 2.0  # degrees 2θ, xrd_classify::BACKGROUND_WINDOW


def running(y, h, fn):
    """fn over the window [i - h, i + h] (clipped at the ends) of every row of y."""
    n = y.shape[1]
    out = np.empty_like(y)
    for i in range(n):
        out[:, i] = fn(y[:, max(i - h, 0):min(i + h + 1, n)], axis=1)
    return out


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
    start, step = grid["start"], grid["step"]
    w = max(int(round(BACKGROUND_WINDOW / step)), 1)
    h = w // 2
    y = x.astype(np.float32).astype(np.float64)
    bg = running(running(y, h, np.min), h, np.mean)
    peaks = np.maximum(y - bg, 0.0)
    cut = cfg.get("peak_threshold", 0.0)
    if cut > 0.0:
        peaks = np.maximum(peaks - cut * peaks.max(axis=1, keepdims=True), 0.0)
    m = 2 * lags
    end = start + step * (n - 1)
    lnq = lambda t: np.log(np.sin(np.radians(0.5 * t)))
    l = lnq(start) + (lnq(end) - lnq(start)) * np.arange(m) / (m - 1)
    t = 2.0 * np.degrees(np.arcsin(np.minimum(np.exp(l), 1.0)))
    f = np.clip((t - start) / step, 0.0, n - 1)
    i = np.minimum(np.floor(f).astype(int), n - 2)
    f = f - i
    r = peaks[:, i] * (1.0 - f) + peaks[:, i + 1] * f
    zero = (r * r).sum(axis=1)
    ac = np.stack([(r[:, : m - k] * r[:, k:]).sum(axis=1) for k in range(lags)], axis=1)
    ac = np.where(zero[:, None] > 0, ac / np.where(zero > 0, zero, 1.0)[:, None], 0.0)
    return np.concatenate([pooled, ac], axis=1).astype(np.float32)


def probabilities(nets, x):
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        return torch.stack([torch.softmax(net(x).double(), dim=1) for net in nets]).mean(0).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--data", required=True, help="npz with a `patterns` matrix on the model's grid")
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--expected", required=True, help="predictions.csv of `classify evaluate`")
    args = ap.parse_args()

    nets, grid, config = load(args.model)
    x = np.load(args.data)["patterns"][: args.rows]
    if x.shape[1] != grid["n"]:
        sys.exit(f"patterns have {x.shape[1]} points, the model's grid {grid['n']}")
    p = probabilities(nets, transform(x, grid, config))
    with open(args.expected, newline="") as f:
        rows = {int(r["index"]): r for r in csv.DictReader(f)}
    worst, bad = 0.0, 0
    for i in range(len(x)):
        ours = rows[i]
        sg = int(np.argmax(p[i])) + 1
        cert = float(p[i].max())
        worst = max(worst, abs(cert - float(ours["certainty"])))
        if sg != int(ours["space_group"]) or abs(cert - float(ours["certainty"])) > CERTAINTY_TOL:
            bad += 1
            print(f"row {i}: torch {sg} ({cert:.6f}), xrd-classify {ours['space_group']} ({ours['certainty']})")
    print(f"{len(x)} patterns, {len(nets)} network(s): {len(x) - bad} match; "
          f"largest certainty difference {worst:.2e} (tolerance {CERTAINTY_TOL:g})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
