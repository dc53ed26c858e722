#!/usr/bin/env python3
"""PyTorch reference of xrd-ae's autoencoder (Utimula et al. 2022, section II).

The model is a module with two ``nn.Sequential`` attributes, ``encoder`` and ``decoder``; layer ``i`` of
each is module ``2i`` (``nn.Linear``) followed by module ``2i+1`` (its activation, ``nn.Identity()``
for a linear layer), so the ``state_dict`` names are ``encoder.0.weight``, ``encoder.0.bias``,
``encoder.2.weight``, ... — exactly the tensor names xrd-ae writes. The paper's network is
11,900 -> 128 -> 64 -> 12 -> 2 (ReLU hidden, tanh bottleneck) and the mirrored decoder
2 -> 12 -> 64 -> 128 -> 11,900 (ReLU hidden, linear output).

Modes (all deterministic):
  --encode WEIGHTS   load xrd-ae weights (``model.load_state_dict(load_file(WEIGHTS))``; the
                     architecture is read from the file's metadata) and print the encodings of the
                     synthetic patterns (or of --data, a safetensors file with a ``data`` tensor).
  --bench            time one epoch of 135 patterns at batch 10 with default ``Adam`` (+ L2 weight
                     decay 1e-5, MSE) and encoding 150 patterns, paper network, float32.
  --golden OUT       write the small golden file used by xrd-ae's tests (32 -> 8 -> 4 -> 2 network,
                     fixed weights, 4 inputs, PyTorch's encodings, reconstructions, loss and the
                     weights after one Adam step on those 4 inputs).

The synthetic patterns are the same as in benches/benches/xrd_ae.rs: 80 Gaussian peaks (sigma 3
points, cut to exact zeros beyond 12 points) at shared positions with small per-pattern shifts.
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn
from safetensors.torch import load_file, save_file

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
    "prelu": nn.PReLU,
}


class Autoencoder(nn.Module):
    def __init__(self, inputs, hidden, latent, hidden_act="relu", latent_act="tanh", output_act="identity"):
        super().__init__()
        widths = [inputs] + list(hidden) + [latent]
        k = len(widths) - 1
        enc, dec = [], []
        for i in range(k):
            enc += [nn.Linear(widths[i], widths[i + 1]), ACTIVATIONS[latent_act if i + 1 == k else hidden_act]()]
        for i in reversed(range(k)):
            dec += [nn.Linear(widths[i + 1], widths[i]), ACTIVATIONS[output_act if i == 0 else hidden_act]()]
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def synthetic_patterns(n=150, points=11_900, peaks=80):
    """Deterministic XRD-like patterns, rows normalised to a maximum of 1 (float64)."""
    out = np.zeros((n, points))
    j = np.arange(points)
    for i in range(n):
        for k in range(peaks):
            centre = 500 + (k * 9973) % (points - 1000) + ((i * 31 + k * 17) % 11) - 5
            height = 0.1 + 0.9 * (((i * 7 + k * 13) % 100) / 100.0)
            lo, hi = max(centre - 12, 0), min(centre + 12, points - 1)
            d = (j[lo:hi + 1] - centre) / 3.0
            out[i, lo:hi + 1] += height * np.exp(-0.5 * d * d)
        out[i] /= out[i].max()
    return out


def model_from_metadata(path):
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
    cfg = json.loads(meta["config"])
    layers = json.loads(meta["layers"])
    return Autoencoder(layers[0]["inputs"], cfg["hidden"], cfg["latent"], cfg["hidden_activation"],
                       cfg["latent_activation"], cfg["output_activation"])


def encode(args):
    model = model_from_metadata(args.encode)
    model.load_state_dict(load_file(args.encode))
    inputs = model.encoder[0].in_features
    if args.data:
        x = load_file(args.data)["data"].float()
    else:
        x = torch.from_numpy(synthetic_patterns(args.n, inputs)).float()
    with torch.no_grad():
        z = model.encoder(x)
    for row in z.tolist():
        print(" ".join(f"{v:.8f}" for v in row))


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = torch.from_numpy(synthetic_patterns()).float()
    model = Autoencoder(11_900, [128, 64, 12], 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    loss_fn = nn.MSELoss()
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(150, generator=gen)
    train = data[perm[15:]]

    def epoch():
        order = torch.randperm(train.shape[0], generator=gen)
        for s in range(0, train.shape[0], 10):
            xb = train[order[s:s + 10]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()

    epoch()  # warm-up (allocations, Adam state)
    times = []
    cpu = time.process_time()
    for _ in range(args.repeats):
        t = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu) / args.repeats
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    print(f"epoch (135 patterns, batch 10, Adam wd=1e-5): median {1e3 * statistics.median(times):.2f} ms, "
          f"min {1e3 * min(times):.2f} ms over {args.repeats} epochs; process CPU time {1e3 * cpu:.2f} ms")
    enc = []
    with torch.no_grad():
        model.encoder(data)
        cpu = time.process_time()
        for _ in range(50):
            t = time.perf_counter()
            model.encoder(data)
            enc.append(time.perf_counter() - t)
        cpu = (time.process_time() - cpu) / 50
    print(f"encode 150 patterns: median {1e3 * statistics.median(enc):.3f} ms, min {1e3 * min(enc):.3f} ms; "
          f"process CPU time {1e3 * cpu:.3f} ms")


def golden(args):
    torch.manual_seed(1234)
    model = Autoencoder(32, [8, 4], 2).double()
    # Round the initial weights to float32 so both sides start from exactly the same values.
    model = model.float()
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    j = torch.arange(32, dtype=torch.float64)
    x = torch.stack([torch.exp(-((j - c) / 2.5) ** 2) + 0.05 * torch.cos(j * (i + 1))
                     for i, c in enumerate([6.0, 12.5, 19.0, 25.5])]).float()
    with torch.no_grad():
        z = model.encoder(x)
        r = model(x)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    loss = nn.MSELoss()(model(x), x)
    loss.backward()
    opt.step()
    tensors = dict(initial)
    tensors.update({"golden.inputs": x, "golden.encodings": z, "golden.reconstructions": r,
                    "golden.loss": loss.detach().reshape(1)})
    tensors.update({f"after_adam.{k}": v.detach().clone() for k, v in model.state_dict().items()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, args.golden,
              metadata={"torch": torch.__version__, "hidden": "[8, 4]", "latent": "2", "lr": "1e-3",
                        "weight_decay": "1e-5", "note": "written by benches/reference/torch_autoencoder.py --golden"})
    print(f"wrote {args.golden}: loss {loss.item():.8f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encode", metavar="WEIGHTS", help="xrd-ae safetensors file to load and encode with")
    p.add_argument("--data", help="safetensors file with a `data` tensor (n x inputs) to encode")
    p.add_argument("--n", type=int, default=150, help="synthetic patterns to encode (default 150)")
    p.add_argument("--bench", action="store_true", help="time an epoch and encoding 150 patterns")
    p.add_argument("--threads", type=int, default=2, help="torch threads for --bench (default 2)")
    p.add_argument("--repeats", type=int, default=10, help="timed epochs for --bench (default 10)")
    p.add_argument("--golden", metavar="OUT", help="write the golden test file")
    args = p.parse_args()
    if args.encode:
        encode(args)
    elif args.bench:
        bench(args)
    elif args.golden:
        golden(args)
    else:
        p.print_help()


if __name__ == "__main__":
    main()
