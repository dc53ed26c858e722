#!/usr/bin/env python3
"""PyTorch reference of the space-group classifier network measured by xrd-ae's benches.

The network is the ``nn.Sequential``
``Linear(8500, 1024), ReLU(), Dropout(0.3), Linear(1024, 512), ReLU(), Dropout(0.3), Linear(512, 230)``
trained with ``nn.CrossEntropyLoss()`` on the logits and ``torch.optim.Adam`` (lr 1e-3, L2 weight
decay 1e-7: xrd-ae's defaults), float32, 2 threads. Its ``state_dict`` names (``0.weight``,
``3.weight``, ``6.weight``, ...) are the names xrd-ae writes for the same network (an
``nn.Dropout`` module after the activation of each layer with dropout).

``--bench`` times, like the Rust benches ``xrd_ae/classifier_train_step_batch128`` and
``xrd_ae/classifier_predict_1000``:
  * one training step (forward, loss, backward, Adam) on 128 patterns, in ``model.train()`` mode;
  * predicting 1000 patterns in one call (``model.eval()``, ``torch.no_grad()``).

The patterns are dense like measured ones (no exact zeros): the synthetic peaks of
torch_autoencoder.py on 8500 points over a sloped background; the classes are fixed pseudo-random
labels. The same generator is in benches/benches/xrd_ae.rs.
"""
import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

INPUTS, HIDDEN, CLASSES = 8500, (1024, 512), 230
DROPOUT = 0.3


def dense_patterns(n, points=INPUTS, peaks=60):
    """Synthetic peaks over a background that is nowhere zero, rows scaled to max 1 (float64)."""
    out = np.zeros((n, points))
    j = np.arange(points)
    for i in range(n):
        out[i] = 0.05 + 0.03 * (j / points) + 0.01 * (((i * 7 + j * 13) % 17) / 17.0)
        for k in range(peaks):
            centre = 300 + (k * 7919 + i * 37) % (points - 600)
            height = 0.1 + 0.9 * (((i * 7 + k * 13) % 100) / 100.0)
            lo, hi = centre - 12, centre + 12
            d = (j[lo:hi + 1] - centre) / 3.0
            out[i, lo:hi + 1] += height * np.exp(-0.5 * d * d)
        out[i] /= out[i].max()
    return out


def labels(n):
    return np.array([(i * 97 + 13) % CLASSES for i in range(n)])


def classifier():
    a, b = HIDDEN
    return nn.Sequential(
        nn.Linear(INPUTS, a), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(a, b), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(b, CLASSES),
    )


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(dense_patterns(128)).float()
    y = torch.from_numpy(labels(128))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(3):  # warm-up (allocations, Adam state)
        step()
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    med, best = statistics.median(times), min(times)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    print(f"train step, batch 128 (Adam, dropout 0.3, cross-entropy): median {1e3 * med:.2f} ms "
          f"({128 / med:.0f} patterns/s), min {1e3 * best:.2f} ms ({128 / best:.0f} patterns/s) "
          f"over {args.repeats} steps")

    xs = torch.from_numpy(dense_patterns(1000)).float()
    model.eval()
    pred = []
    with torch.no_grad():
        model(xs)
        for _ in range(args.repeats):
            t = time.perf_counter()
            model(xs)
            pred.append(time.perf_counter() - t)
    med, best = statistics.median(pred), min(pred)
    print(f"predict 1000 patterns: median {1e3 * med:.2f} ms ({1000 / med:.0f} patterns/s), "
          f"min {1e3 * best:.2f} ms ({1000 / best:.0f} patterns/s)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", action="store_true", help="time a training step and predicting 1000 patterns")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--repeats", type=int, default=20, help="timed repetitions (default 20)")
    args = p.parse_args()
    if args.bench:
        bench(args)
    else:
        p.print_help()


if __name__ == "__main__":
    main()
