"""Small metric helpers for training-time model selection (labels: 1 = fake, scores: P(AI)).

The reported figures come from ``faik evaluate`` (``detector.evaluate``); these are the same
definitions in a few lines so the training recipe has no dependency beyond numpy.
"""

from __future__ import annotations

import numpy as np


def eer(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate (false alarms on real = misses on fake), linearly interpolated."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.min() == y.max():
        return float("nan")
    thr = np.unique(s)
    # Rates for "score >= t is fake" at every distinct threshold, plus one above the max.
    thr = np.r_[thr, np.inf]
    pos, neg = s[y == 1], s[y == 0]
    fnr = np.searchsorted(np.sort(pos), thr, side="left") / len(pos)
    fpr = 1.0 - np.searchsorted(np.sort(neg), thr, side="left") / len(neg)
    d = fnr - fpr
    i = int(np.argmax(d >= 0))
    if i == 0:
        return float((fnr[0] + fpr[0]) / 2)
    # Interpolate between i-1 (d<0) and i (d>=0).
    w = -d[i - 1] / (d[i] - d[i - 1] + 1e-12)
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


def ece(labels: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error of P(fake): bins on [0, 1] (right-closed), |mean P - fraction fake|."""
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if y.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, n_bins - 1)
    total = 0.0
    for k in range(n_bins):
        m = bins == k
        if m.any():
            total += m.sum() / y.size * abs(p[m].mean() - y[m].mean())
    return float(total)


def false_alarm_rate(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> float:
    """Share of real clips (label 0) scored >= threshold."""
    y = np.asarray(labels)
    s = np.asarray(scores)
    real = s[y == 0]
    return float((real >= threshold).mean()) if len(real) else float("nan")
