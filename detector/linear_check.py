"""A fitted linear detector over a recording's summary statistics: standardise, weigh, threshold.

The signal checks (:mod:`detector.reverb_check`, :mod:`detector.suppression_check`) each compute their
own statistics and ship one of these, fitted by a ``detector.training`` command, as JSON under
``resources/checks/`` (with the rates measured on val under ``measured``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinearCheck:
    """Standardise, linear score, threshold; ``features`` names the function that makes its input."""

    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    measured: Mapping[str, Any]
    features: str = "detector.reverb_check.reverb_features"

    def score(self, features: np.ndarray) -> float:
        """Higher = more like what the check looks for; ``threshold`` separates."""
        return float((features - self.mean) / self.std @ self.coef + self.intercept)

    def flags(self, features: np.ndarray) -> bool:
        return self.score(features) > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"features": self.features, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "threshold": self.threshold,
                "measured": dict(self.measured)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LinearCheck":
        arrays = [np.asarray(d[k], dtype=np.float64) for k in ("mean", "std", "coef")]
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise ValueError("mean, std and coef must be vectors of one length")
        return cls(*arrays, float(d["intercept"]), float(d["threshold"]), d.get("measured") or {},
                   str(d.get("features") or cls.features))


def load_check(path: str | None, file_name: str, what: str) -> LinearCheck | None:
    """The check at ``path``, else the shipped ``resources/checks/<file_name>``; ``None`` (logged, naming
    ``what``) when the file is missing or unreadable: the analysis then goes on without that check."""
    if path:
        p = Path(path)
    else:
        from detector.model_service import _resources_root

        p = _resources_root() / "checks" / file_name
    try:
        return LinearCheck.from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s check unavailable (%s): %s", what, p, exc)
        return None
