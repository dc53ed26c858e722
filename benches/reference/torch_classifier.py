#!/usr/bin/env python3
"""PyTorch reference of the space-group classifier networks measured by xrd-ae's and xrd-classify's benches.

The network is the ``nn.Sequential``
``Linear(8500, 1024), ReLU(), Dropout(0.3), Linear(1024, 512), ReLU(), Dropout(0.3), Linear(512, 230)``
trained with ``nn.CrossEntropyLoss()`` on the logits and ``torch.optim.Adam`` (lr 1e-3, L2 weight
decay 1e-7: xrd-ae's defaults), float32, 2 threads. Its ``state_dict`` names (``0.weight``,
``3.weight``, ``6.weight``, ...) are the names xrd-ae writes for the same network (an
``nn.Dropout`` module after the activation of each layer with dropout).

``--bench`` times, like the Rust benches ``xrd_ae/classifier_train_step_batch128`` and
``xrd_ae/classifier_predict_1000``:
  * one training step (forward, loss, backward, Adam) on 128 patterns (``--batch``), in
    ``model.train()`` mode;
  * predicting 1000 patterns in one call (``model.eval()``, ``torch.no_grad()``).

The patterns are dense like measured ones (no exact zeros): the synthetic peaks of
torch_autoencoder.py on 8500 points over a sloped background; the classes are fixed pseudo-random
labels. The same generator is in benches/src/lib.rs.

``--inputs 512 --hidden 512,256 --batch 64`` times xrd-classify's default network instead (the
bench ``xrd_classify/train_step_default_batch64``): its rows, of any width other than 8500, are
``autocorrelation_like`` (1 at lag 0, a decay and a ripple), as in benches/benches/xrd_classify.rs.
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


def autocorrelation_like(n, lags):
    """Rows shaped like xrd-classify's input (float64), as benches/benches/xrd_classify.rs."""
    i = np.arange(n, dtype=np.float64)[:, None]
    k = np.arange(lags, dtype=np.float64)[None, :]
    decay = np.exp(-k / (20.0 + i % 7.0))
    ripple = 0.5 + 0.5 * np.cos(0.05 * k * (1.0 + (i % 5.0) / 10.0))
    return 0.5 * decay + 0.5 * ripple * np.exp(-k / 300.0)


def rows(n, inputs):
    return dense_patterns(n, inputs) if inputs == INPUTS else autocorrelation_like(n, inputs)


def labels(n):
    return np.array([(i * 97 + 13) % CLASSES for i in range(n)])


def classifier(inputs=INPUTS, hidden=HIDDEN):
    a, b = hidden
    return nn.Sequential(
        nn.Linear(inputs, a), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(a, b), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(b, CLASSES),
    )


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    model = classifier(args.inputs, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    batch = args.batch
    x = torch.from_numpy(rows(batch, args.inputs)).float()
    y = torch.from_numpy(labels(batch))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(3):  # warm-up (allocations, Adam state)
        step()
    times = []
    cpu = time.process_time()
    for _ in range(args.repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu) / args.repeats
    med, best = statistics.median(times), min(times)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, "
          f"network {args.inputs} -> {hidden[0]} -> {hidden[1]} -> {CLASSES}")
    print(f"train step, batch {batch} (Adam, dropout 0.3, cross-entropy): median {1e3 * med:.2f} ms "
          f"({batch / med:.0f} patterns/s), min {1e3 * best:.2f} ms ({batch / best:.0f} patterns/s) "
          f"over {args.repeats} steps; process CPU time {1e3 * cpu:.2f} ms per step")

    xs = torch.from_numpy(rows(1000, args.inputs)).float()
    model.eval()
    pred = []
    with torch.no_grad():
        model(xs)
        cpu = time.process_time()
        for _ in range(args.repeats):
            t = time.perf_counter()
            model(xs)
            pred.append(time.perf_counter() - t)
        cpu = (time.process_time() - cpu) / args.repeats
    med, best = statistics.median(pred), min(pred)
    print(f"predict 1000 patterns: median {1e3 * med:.2f} ms ({1000 / med:.0f} patterns/s), "
          f"min {1e3 * best:.2f} ms ({1000 / best:.0f} patterns/s); process CPU time "
          f"{1e3 * cpu:.2f} ms per call")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", action="store_true", help="time a training step and predicting 1000 patterns")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--repeats", type=int, default=20, help="timed repetitions (default 20)")
    p.add_argument("--inputs", type=int, default=INPUTS, help=f"input width (default {INPUTS})")
    p.add_argument("--hidden", default=",".join(map(str, HIDDEN)),
                   help="two hidden widths (default %(default)s)")
    p.add_argument("--batch", type=int, default=128, help="training rows per step (default 128)")
    args = p.parse_args()
    if args.bench:
        bench(args)
    else:
        p.print_help()


if __name__ == "__main__":
    main()
