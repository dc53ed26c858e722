#!/usr/bin/env python3
"""Naive PyTorch occlusion relevance Dev(2θ) of Utimula et al. 2022, section III.B.

Every masked copy of one pattern (window Δ = 0.03° = 3 points, stride 3 → 3,967 copies of an
11,900-point pattern, zeroed in the window) is encoded by the paper's encoder
(11,900 → 128 → 64 → 12 → 2, ReLU, ReLU, ReLU, tanh; PyTorch default init, float32) in batches,
and Dev is the Euclidean distance of each masked copy's latent point to the unmasked one's.
This is what `xrd_relevance::Relevance::profile_exact` replaces (bench `xrd_relevance`).

Deterministic (fixed seeds); prints the time per pattern (best and median of --repeats runs).
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn


def pattern(n: int, background: float, rng: np.random.Generator) -> np.ndarray:
    """80 Gaussian peaks (FWHM 0.05°, cut at 5 FWHM) on the paper's grid 1.00…119.99°, plus a background."""
    tt = 1.0 + 0.01 * np.arange(n)
    x = np.full(n, background)
    fwhm = 0.05
    sigma = fwhm / 2.354820045
    for _ in range(80):
        c = rng.uniform(tt[0], tt[-1])
        h = rng.uniform(0.02, 1.0)
        near = np.abs(tt - c) <= 5 * fwhm
        x[near] += h * np.exp(-0.5 * ((tt[near] - c) / sigma) ** 2)
    return x.astype(np.float32)


def encoder(n: int, hidden: list[int], latent: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    widths = [n, *hidden]
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers += [nn.Linear(widths[-1], latent), nn.Tanh()]
    return nn.Sequential(*layers)


@torch.inference_mode()
def relevance(enc: nn.Module, x: torch.Tensor, width: int, stride: int, batch: int) -> torch.Tensor:
    n = x.shape[0]
    starts = torch.arange(0, n, stride)
    origin = enc(x[None, :])[0]
    dev = torch.empty(len(starts))
    for b0 in range(0, len(starts), batch):
        s = starts[b0 : b0 + batch]
        copies = x.repeat(len(s), 1)
        cols = (s[:, None] + torch.arange(width)[None, :]).clamp(max=n - 1)
        copies.scatter_(1, cols, 0.0)
        dev[b0 : b0 + len(s)] = torch.linalg.vector_norm(enc(copies) - origin, dim=1)
    return dev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=11_900, help="pattern length (default 11900)")
    ap.add_argument("--width", type=int, default=3, help="window width in points (default 3 = 0.03°)")
    ap.add_argument("--stride", type=int, default=3, help="stride in points (default 3)")
    ap.add_argument("--batch", type=int, default=4096, help="masked copies per forward pass (default 4096: all at once, torch's fastest)")
    ap.add_argument("--repeats", type=int, default=10, help="timed runs (default 10)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args = ap.parse_args()

    torch.manual_seed(2022)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    enc = encoder(args.points, [128, 64, 12], 2).eval()
    x = torch.from_numpy(pattern(args.points, 0.01, np.random.default_rng(2022)))

    dev = relevance(enc, x, args.width, args.stride, args.batch)  # warm-up
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        dev = relevance(enc, x, args.width, args.stride, args.batch)
        times.append(time.perf_counter() - t)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(dev)} windows, batch {args.batch}")
    print(f"max Dev {dev.max().item():.6g}, windows with Dev = 0: {int((dev == 0).sum())}")
    print(f"naive occlusion per pattern: best {min(times) * 1e3:.1f} ms, median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
