"""The one way the recipe fits and reads a linear probe (detector.training.probe)."""

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from detector.training.probe import fit_probe, load_probe


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 2.0, size=(400, 12))
    y = (X[:, 0] - X[:, 3] + rng.normal(size=400) > 0).astype(int)
    return X, y


def test_logit_is_the_regressions_decision_on_standardised_features():
    X, y = _data()
    probe = fit_probe(X, y, C=0.1)
    mean, std = X.mean(0), X.std(0) + 1e-6
    reference = LogisticRegression(C=0.1, max_iter=5000, tol=1e-6).fit((X - mean) / std, y)
    new = _data(seed=1)[0]
    # Bit for bit: the recipe's distilled branch learns these numbers, and reruns must give the same bytes.
    assert np.array_equal(probe.logit(new), reference.decision_function((new - mean) / std))
    assert probe.logit(new).shape == (len(new),)


def test_a_loaded_probe_gives_the_same_logits_in_torch():
    X, y = _data()
    probe = fit_probe(X, y, C=1.0)
    mean_buf, std_buf, linear = torch.zeros(12), torch.ones(12), nn.Linear(12, 1)
    load_probe(probe, mean_buf, std_buf, linear)
    with torch.no_grad():
        torch_logits = linear((torch.from_numpy(X).float() - mean_buf) / std_buf).squeeze(-1).double().numpy()
    assert np.allclose(torch_logits, probe.logit(X), atol=1e-4)
