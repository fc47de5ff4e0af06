"""Evaluation of a detector on a labelled set of recordings.

Conventions used throughout: ``labels`` are 1 for fake (AI-generated) and 0
for real; ``scores`` / ``probs`` are P(AI), so a higher score means "more
likely fake". The metric functions are pure numpy (no scikit-learn needed at
run time) so the CLI and the training scripts share one definition.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from detector.errors import FaikError

ArrayLike = Sequence[float] | np.ndarray


def _as_arrays(labels: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({y.size} vs {s.size})")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return y, s


def _roc_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct threshold (``score >= t`` is fake).

    Returns ``(fpr, tpr, thresholds)`` starting at (0, 0) with threshold +inf,
    like ``sklearn.metrics.roc_curve(drop_intermediate=False)``.
    """
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # Last index of each run of tied scores: ties move the curve in one step.
    distinct = np.where(np.diff(s_sorted))[0]
    idx = np.r_[distinct, y_sorted.size - 1]
    tps = np.cumsum(y_sorted)[idx]
    fps = (idx + 1) - tps
    n_pos, n_neg = int(y.sum()), int(y.size - y.sum())
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    thr = np.r_[np.inf, s_sorted[idx]]
    return fpr, tpr, thr


def _need_both_classes(y: np.ndarray, what: str) -> None:
    if y.size == 0 or y.min() == y.max():
        raise ValueError(f"{what} needs both real and fake examples")


def roc_auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve (trapezoids; ties count one half), as scikit-learn's ``roc_auc_score``."""
    y, s = _as_arrays(labels, scores)
    _need_both_classes(y, "ROC AUC")
    fpr, tpr, _ = _roc_points(y, s)
    return float(np.trapezoid(tpr, fpr) if hasattr(np, "trapezoid") else np.trapz(tpr, fpr))


def eer(labels: ArrayLike, scores: ArrayLike) -> tuple[float, float]:
    """Equal error rate and the threshold where it occurs: ``(eer, threshold)``.

    The EER is where the false-alarm rate on real (FPR) equals the miss rate on
    fake (FNR = 1 - TPR). Between the two ROC points where ``FNR - FPR``
    changes sign the rates are interpolated linearly (the usual convention in
    anti-spoofing, e.g. ASVspoof), so a perfectly separated set gives 0.0 and
    a random scorer about 0.5. The returned threshold is the score of the ROC
    point nearer the crossing (``score >= threshold`` counts as fake); for a
    perfect separation it is the lowest fake score.
    """
    y, s = _as_arrays(labels, scores)
    _need_both_classes(y, "EER")
    fpr, tpr, thr = _roc_points(y, s)
    fnr = 1.0 - tpr
    diff = fnr - fpr  # starts at 1 (threshold +inf), ends at -1 (every clip called fake)
    i = int(np.argmax(diff <= 0))  # first point where FNR <= FPR
    if i == 0:  # cannot happen (diff[0] = 1) but keep the arithmetic safe
        return 0.0, float(thr[1])
    d0, d1 = diff[i - 1], diff[i]
    w = d0 / (d0 - d1) if d0 != d1 else 0.0
    rate = (fpr[i - 1] + w * (fpr[i] - fpr[i - 1]) + fnr[i - 1] + w * (fnr[i] - fnr[i - 1])) / 2.0
    j = i if w >= 0.5 or not math.isfinite(thr[i - 1]) else i - 1
    return float(rate), float(thr[j])


def expected_calibration_error(labels: ArrayLike, probs: ArrayLike, n_bins: int = 15) -> float:
    """Expected calibration error of P(AI) with ``n_bins`` equal-width bins on [0, 1].

    ECE = sum over bins of (bin size / n) * |mean P(AI) in bin - fraction fake
    in bin|. Bins are right-closed (``(a, b]``) with the first one including 0,
    as in Guo et al. 2017's reference code. Empty sets give 0.0.
    """
    y, p = _as_arrays(labels, probs)
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    if y.size == 0:
        return 0.0
    if (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin k holds p in (edges[k], edges[k+1]]; p == 0 falls in bin 0.
    bins = np.clip(np.searchsorted(edges, p, side="left") - 1, 0, n_bins - 1)
    total = 0.0
    for k in range(n_bins):
        m = bins == k
        if m.any():
            total += m.sum() / y.size * abs(p[m].mean() - y[m].mean())
    return float(total)


def false_alarm_rate(labels: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> float:
    """Share of real clips (label 0) called fake (``score >= threshold``); NaN when there are none."""
    y, s = _as_arrays(labels, scores)
    real = y == 0
    if not real.any():
        return float("nan")
    return float((s[real] >= threshold).mean())


def miss_rate(labels: ArrayLike, scores: ArrayLike, threshold: float = 0.5) -> float:
    """Share of fake clips (label 1) called real (``score < threshold``); NaN when there are none."""
    y, s = _as_arrays(labels, scores)
    fake = y == 1
    if not fake.any():
        return float("nan")
    return float((s[fake] < threshold).mean())


def accuracy(labels: ArrayLike, predictions: ArrayLike) -> float:
    """Share of clips whose predicted label (1 = fake) equals the true one; NaN for none."""
    y, p = _as_arrays(labels, predictions)
    if y.size == 0:
        return float("nan")
    return float((y == (p >= 0.5)).mean())
