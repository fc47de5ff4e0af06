"""Training-time shorthands over :mod:`detector.evaluate`, so each metric has one definition.

Model selection wants a plain float and NaN (not an error) for a set that holds one class only.
"""

from __future__ import annotations

import numpy as np

from detector import evaluate as _evaluate
from detector.evaluate import expected_calibration_error as ece  # noqa: F401  (re-exported)
from detector.evaluate import false_alarm_rate  # noqa: F401  (re-exported)


def eer(labels: np.ndarray, scores: np.ndarray) -> float:
    """Equal error rate only (labels 1 = fake, scores = P(AI)); NaN when a class is missing."""
    y = np.asarray(labels)
    if y.size == 0 or y.min() == y.max():
        return float("nan")
    return _evaluate.eer(y, scores)[0]
