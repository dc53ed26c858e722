"""xrd.FeatureSpace: the pipeline of `xrd feature-space` from Python (fit, transform, estimate,
refusal, seeds, diagnostics, pickling) on a two-parameter series of synthetic patterns."""

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


def test_pca_space_estimates_compositions_of_unseen_patterns():
    x, labels = series()
    known = np.arange(len(x)) % 2 == 0
    # Labelled rows first, then the rows to estimate (the pipeline's convention).
    order = np.concatenate([np.flatnonzero(known), np.flatnonzero(~known)])
    fs = xrd.FeatureSpace.fit(x[order], labels[known], method="pca")
    assert fs.method == "pca" and fs.points.shape == (len(x), 2)
    assert np.allclose(fs.transform(x[order]), fs.points)
    est = fs.estimate(x[~known])
    err = np.array([np.abs(np.array(e["value"]) - t).max() for e, t in zip(est, labels[~known])])
    mean_predictor = np.array([np.abs(labels[known].mean(0) - t).max() for t in labels[~known]])
    accepted = [not e["refused"] for e in est]
    # Better than predicting the mean of the known labels, on the answers given.
    assert sum(accepted) >= len(est) // 2
    assert np.median(err[accepted]) < np.median(mean_predictor)
    assert {e["estimator"] for e in est} <= {"triangle", "locallinear", "linear"}
    # A pattern unlike any known one lies far away and is refused.
    assert fs.estimate(np.full((1, x.shape[1]), 5.0))[0]["refused"]
    d = fs.diagnostics
    assert d["chosen"] == "pca" and d["purity"] is None


def test_autoencoder_space_is_seeded_and_pickles():
    x, labels = series()
    a = xrd.FeatureSpace.fit(x, labels, method="autoencoder", epochs=20, restarts=1, seed=7)
    b = xrd.FeatureSpace.fit(x, labels, method="autoencoder", epochs=20, restarts=1, seed=7)
    assert a.method == "autoencoder"
    assert np.array_equal(a.transform(x), b.transform(x))
    c = pickle.loads(pickle.dumps(a))
    assert np.array_equal(c.transform(x), a.transform(x))
    assert c.estimate(x[:3]) == a.estimate(x[:3])
    assert c.diagnostics == a.diagnostics
    assert a.reconstruct(x).shape == x.shape


def test_auto_keeps_the_space_that_reconstructs_better():
    x, labels = series()
    fs = xrd.FeatureSpace.fit(x, labels, epochs=20, restarts=1)
    d = fs.diagnostics
    assert fs.method == d["chosen"] and d["choice"] == "auto"
    assert d["autoencoder"] is not None and d["pca"] is not None


def test_feature_space_errors():
    x, labels = series()
    with pytest.raises(ValueError, match="method"):
        xrd.FeatureSpace.fit(x, method="tsne")
    with pytest.raises(ValueError, match="labels"):
        xrd.FeatureSpace.fit(x[:5], labels, method="pca")
    with pytest.raises(ValueError, match="NaN"):
        xrd.FeatureSpace.fit(np.full((4, 3), np.nan), method="pca")
    with pytest.raises(ValueError, match="validation"):
        xrd.FeatureSpace.fit(x, method="pca", validation=1.5)
    fs = xrd.FeatureSpace.fit(x, method="pca")
    with pytest.raises(ValueError, match="with labels"):
        fs.estimate(x)
    with pytest.raises(ValueError, match="points per pattern"):
        fs.transform(x[:, :10])
