"""xrd.FeatureSpace: the paper's feature space from Python (fit, transform, estimate, refusal,
seeds, pickling) on patterns simulated from the (Sm,Zr)(Fe,Ti)12-like grid of a few structures."""

import pickle

import numpy as np
import pytest

import xrd


def series():
    """Patterns along a 2-D composition grid: peak positions and heights move with (x, y)."""
    t = np.linspace(20, 80, 300)
    labels, rows = [], []
    for x in np.linspace(0, 1, 6):
        for y in np.linspace(0, 1, 6):
            centres = [30 + 2 * x, 42 - 1.5 * y, 55 + x + y, 68]
            heights = [1.0, 0.5 + 0.5 * x, 0.8 - 0.4 * y, 0.3 + 0.2 * x * y]
            rows.append(sum(h * np.exp(-0.5 * ((t - c) / 0.3) ** 2) for c, h in zip(centres, heights)))
            labels.append([x, y])
    return np.array(rows), np.array(labels)


def test_pca_space_estimates_compositions_inside_and_refuses_far_ones():
    x, labels = series()
    known = np.arange(len(x)) % 2 == 0
    fs = xrd.FeatureSpace.fit(x[known], labels[known], method="pca")
    assert fs.method == "pca" and fs.points.shape == (known.sum(), 2)
    z = fs.transform(x)
    assert z.shape == (len(x), 2) and np.allclose(z[known], fs.points)
    est = fs.estimate(x[~known])
    accepted = [e for e in est if not e["refused"]]
    assert len(accepted) >= len(est) // 2
    err = [np.abs(np.array(e["value"]) - t).max() for e, t in zip(est, labels[~known]) if not e["refused"]]
    mean_predictor = [np.abs(labels[known].mean(0) - t).max() for t in labels[~known]]
    # Measured: median 0.20 (one grid step) against 0.50 for the mean of the known labels.
    assert np.median(err) <= 0.21 and np.median(mean_predictor) >= 0.45
    # Known patterns get their own labels back.
    for e, t in zip(fs.estimate(x[known]), labels[known]):
        assert np.allclose(e["value"], t, atol=1e-9) and e["kind"] == "inside"
    # A pattern unlike any known one lies far away and is refused.
    far = fs.estimate(np.full((1, x.shape[1]), 5.0))
    assert far[0]["refused"]


def test_autoencoder_space_is_seeded_and_pickles():
    x, labels = series()
    a = xrd.FeatureSpace.fit(x, labels, method="autoencoder", epochs=20, seed=7)
    b = xrd.FeatureSpace.fit(x, labels, method="autoencoder", epochs=20, seed=7)
    assert np.array_equal(a.transform(x), b.transform(x))
    c = pickle.loads(pickle.dumps(a))
    assert np.array_equal(c.transform(x), a.transform(x))
    assert c.estimate(x[:3]) == a.estimate(x[:3])
    assert a.reconstruct(x).shape == x.shape


def test_feature_space_errors():
    x, labels = series()
    with pytest.raises(ValueError, match="method"):
        xrd.FeatureSpace.fit(x, method="tsne")
    with pytest.raises(ValueError, match="labels"):
        xrd.FeatureSpace.fit(x, labels[:5], method="pca")
    with pytest.raises(ValueError, match="NaN"):
        xrd.FeatureSpace.fit(np.full((4, 3), np.nan), method="pca")
    fs = xrd.FeatureSpace.fit(x, method="pca")
    with pytest.raises(ValueError, match="with labels"):
        fs.estimate(x)
    with pytest.raises(ValueError, match="points per pattern"):
        fs.transform(x[:, :10])
