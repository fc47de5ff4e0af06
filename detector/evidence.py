"""Strength of evidence: a likelihood ratio from the file score, said on a fixed verbal scale.

Why: a journalist reads the headline, not the model card. "Likely AI-generated — confidence 81 %"
read as "81 % sure", while on generators the model had not met it was right far less often. The
forensic way to say how far a score supports one answer over the other is a likelihood ratio (LR):
how much more probable this score is for AI-generated speech than for real speech, estimated on
recordings the model never learnt from. The LR is then said on a fixed verbal scale (as in the ENFSI
guideline for evaluative reporting, 2015):

==============  ======================  ======================================
|log10 LR|      LR (either way)         words
==============  ======================  ======================================
< 0.3           under 2                 no support either way (inconclusive)
0.3 – 1         2 – 10                  weak support
1 – 2           10 – 100                moderate support
2 – 3           100 – 1 000             moderately strong support
>= 3            1 000 or more           strong support
==============  ======================  ======================================

The map from score to LR (:class:`EvidenceMap`) is fitted per channel (clean, compressed, telephone
band ...) on held-out predictions — for the built-in models, the *dev* part of train: generator
families and real sources kept out of training (:mod:`detector.training.data`) — as a logistic
regression of the class on ``logit(score)`` with both classes weighted equally, so its output is a
log likelihood ratio (the usual "linear calibration" of forensic speaker recognition). It is monotone,
finite, and capped: the strongest band it may use in each direction is *data* in the map, chosen by
:func:`earned_band` from measurements on val (the recordings the figures in the model card come from):
a band is used only where, on every channel measured, the val recordings it would be said for were
at least that band's LR more often AI-generated (or real) than the other class — and never above
"moderate" unless val shows it. A model without ``evidence.json`` gets "strength of evidence not stated
for this model" rather than an invented one.

Also here, shared with ``faik evaluate`` and the fitting command: Cllr and min Cllr (the log-likelihood-
ratio cost; Cllr >= 1 means the LRs mislead on average; min Cllr is what a perfect calibration of the
same scores would reach, via the pool-adjacent-violators algorithm), and chunk bands (AI-sounding /
unsure / real-sounding), defined once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

EVIDENCE_FILE = "evidence.json"

# ----------------------------------------------------------------------------- the verbal scale

#: Bands from weakest to strongest; "none" is "no support either way".
BANDS: tuple[str, ...] = ("none", "weak", "moderate", "moderately strong", "strong")
#: Lower edge of each band in |log10 LR| (ENFSI 2015: LR 2, 10, 100, 1 000).
BAND_EDGES: dict[str, float] = {"none": 0.0, "weak": math.log10(2.0), "moderate": 1.0,
                                "moderately strong": 2.0, "strong": 3.0}
#: The strongest band a map may state without val showing it earns more (the issue's rule).
DEFAULT_MAX_BAND = "moderate"
#: The LR is never stated beyond 10^4 either way ("strong" is the top of this scale).
LOG10_LR_LIMIT = 4.0
SCALE_TEXT = ("likelihood ratio (LR) = how many times more probable this score is for AI-generated than for "
              "real speech (below 1: for real); verbal scale after the ENFSI guideline: LR under 2 either way = "
              "no support either way, 2–10 weak, 10–100 moderate, 100–1 000 moderately strong, "
              "1 000 or more strong support")

AI, REAL = "ai-generated", "real"


def band_of(log10_lr: float) -> str:
    """The verbal band of ``|log10_lr|`` (uncapped)."""
    a = abs(float(log10_lr))
    out = "none"
    for name in BANDS:
        if a >= BAND_EDGES[name]:
            out = name
    return out


def weaker(a: str, b: str) -> str:
    """The weaker of two bands."""
    return a if BANDS.index(a) <= BANDS.index(b) else b


def band_ceiling(band: str) -> float:
    """The largest |log10 LR| a band covers (the next band's lower edge, or the scale's limit)."""
    i = BANDS.index(band)
    return BAND_EDGES[BANDS[i + 1]] if i + 1 < len(BANDS) else LOG10_LR_LIMIT


# ----------------------------------------------------------------------------- chunk bands

#: A chunk is "unsure" when its P(AI) lies in [0.5 - margin, 0.5 + margin): on val the model's chunks
#: near the threshold are about as often real as AI-generated (the bundled sample's real opening sits
#: at P(AI) 0.55-0.68), so calling them "AI" counts noise as evidence.
CHUNK_UNSURE_MARGIN = 0.15
CHUNK_AI_FROM = 0.5 + CHUNK_UNSURE_MARGIN
CHUNK_REAL_BELOW = 0.5 - CHUNK_UNSURE_MARGIN
CHUNK_BANDS: tuple[str, ...] = ("ai-sounding", "unsure", "real-sounding")
CHUNK_BAND_WORDS = {"ai-sounding": "AI-sounding", "unsure": "unsure", "real-sounding": "real-sounding"}


def chunk_band(prob_ai: float) -> str:
    """"ai-sounding" (P(AI) >= 0.65), "real-sounding" (< 0.35) or "unsure" (between)."""
    p = float(prob_ai)
    if p >= CHUNK_AI_FROM:
        return "ai-sounding"
    if p < CHUNK_REAL_BELOW:
        return "real-sounding"
    return "unsure"


def chunk_band_counts(probs: Sequence[float]) -> dict[str, int]:
    """How many chunks fall in each band (keys of :data:`CHUNK_BANDS`)."""
    counts = {b: 0 for b in CHUNK_BANDS}
    for p in probs:
        counts[chunk_band(p)] += 1
    return counts


# ----------------------------------------------------------------------------- metrics

def _logit(p: np.ndarray | float, eps: float = 1e-4) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    return np.log(q) - np.log1p(-q)


def cllr(labels: Sequence[int] | np.ndarray, llr: Sequence[float] | np.ndarray) -> float:
    """Log-likelihood-ratio cost (bits) of natural-log LRs ``llr``; ``labels`` 1 = AI-generated.

    0 is perfect, 1 is what "LR = 1 for everything" costs; above 1 the LRs mislead on average."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(llr, dtype=np.float64).ravel()
    if y.size != s.size or y.size == 0 or y.min() == y.max():
        raise ValueError("Cllr needs LRs for both AI-generated and real recordings")
    with np.errstate(over="ignore"):
        c_fake = np.mean(np.logaddexp(0.0, -s[y == 1]))
        c_real = np.mean(np.logaddexp(0.0, s[y == 0]))
    return float((c_fake + c_real) / (2.0 * math.log(2.0)))


def pav(y_sorted: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing fit to ``y_sorted`` (0/1 labels in score order)."""
    vals: list[float] = []
    wts: list[float] = []
    for v in np.asarray(y_sorted, dtype=np.float64):
        vals.append(float(v))
        wts.append(1.0)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w = wts[-2] + wts[-1]
            v2 = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w
            vals[-2:] = [v2]
            wts[-2:] = [w]
    return np.repeat(vals, np.asarray(wts, dtype=np.int64))


def min_cllr(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """Cllr after the best monotone calibration of ``scores`` (PAV; ties pooled): what the scores'
    order alone allows, whatever map turns them into LRs."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.size != s.size or y.size == 0 or y.min() == y.max():
        raise ValueError("min Cllr needs scores for both AI-generated and real recordings")
    # Sort by score, real before fake among ties, then pool ties into one block each.
    order = np.lexsort((y, s))
    ys, ss = y[order], s[order]
    post = pav(ys)
    # Equal scores must get one value: average the PAV output over each run of ties.
    _, first, counts = np.unique(ss, return_index=True, return_counts=True)
    for a, n in zip(first, counts):
        if n > 1:
            post[a:a + n] = post[a:a + n].mean()
    n1, n0 = int(y.sum()), int(y.size - y.sum())
    with np.errstate(divide="ignore"):
        llr = np.log(post) - np.log1p(-post) - math.log(n1 / n0)
    return cllr(ys, llr)


# ----------------------------------------------------------------------------- the map

@dataclass(frozen=True)
class ChannelMap:
    """log LR (natural) = slope * logit(score) + intercept, for one channel; with what it was fitted on."""

    slope: float
    intercept: float
    n_real: int
    n_fake: int

    def llr(self, score: float | np.ndarray) -> np.ndarray:
        return self.slope * _logit(score) + self.intercept

    def to_dict(self) -> dict[str, Any]:
        return {"slope": self.slope, "intercept": self.intercept, "n_real": self.n_real, "n_fake": self.n_fake}


def fit_channel_map(scores: Sequence[float], labels: Sequence[int], l2: float = 1e-3) -> ChannelMap:
    """Logistic regression of the label (1 = AI-generated) on ``logit(score)``, each class weighted to
    half the total, so the fitted log odds are a log likelihood ratio. Newton's method; a small ridge
    keeps it finite on separable data; the slope is floored at 0 (monotone: a higher score never
    means less support for AI-generated)."""
    y = np.asarray(labels, dtype=np.float64).ravel()
    x = _logit(np.asarray(scores, dtype=np.float64).ravel())
    n1, n0 = float(y.sum()), float(y.size - y.sum())
    if y.size != x.size or n1 == 0 or n0 == 0:
        raise ValueError("fitting an evidence map needs scores of both AI-generated and real recordings")
    w = np.where(y == 1, 0.5 / n1, 0.5 / n0)

    def loss(a: float, b: float) -> float:
        z = a * x + b
        return float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * a * a)

    a, b = 0.0, 0.0  # LR 1 everywhere: a well-conditioned start
    for _ in range(100):
        z = a * x + b
        p = 1.0 / (1.0 + np.exp(-z))
        g = np.array([np.sum(w * (p - y) * x) + l2 * a, np.sum(w * (p - y))])
        h = w * p * (1 - p)
        hess = np.array([[np.sum(h * x * x) + l2, np.sum(h * x)], [np.sum(h * x), np.sum(h) + 1e-12]])
        step = np.linalg.solve(hess, g)
        t, before = 1.0, loss(a, b)
        while loss(a - t * step[0], b - t * step[1]) > before + 1e-15 and t > 1e-6:  # damped Newton
            t /= 2
        a, b = a - t * step[0], b - t * step[1]
        if np.max(np.abs(t * step)) < 1e-10:
            break
    if a < 0:  # anti-monotone on these data: no information, LR 1 everywhere but the class balance
        a, b = 0.0, 0.0
    return ChannelMap(float(a), float(b), int(n0), int(n1))


#: Score edges of the held-out table (the N-of-M sentence).
HELD_OUT_EDGES: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
#: The sentence needs at least this many held-out recordings scoring near the recording.
MIN_HELD_OUT = 10


@dataclass(frozen=True)
class HeldOutTable:
    """Per score edge e: held-out AI-generated / real recordings scoring >= e and <= e, and the totals."""

    edges: tuple[float, ...]
    fake_at_least: tuple[int, ...]
    real_at_least: tuple[int, ...]
    fake_at_most: tuple[int, ...]
    real_at_most: tuple[int, ...]
    n_fake: int = 0
    n_real: int = 0

    @classmethod
    def build(cls, scores: Sequence[float], labels: Sequence[int],
              edges: Sequence[float] = HELD_OUT_EDGES) -> "HeldOutTable":
        s = np.asarray(scores, dtype=np.float64)
        y = np.asarray(labels, dtype=np.int64)
        f, r = s[y == 1], s[y == 0]
        return cls(tuple(float(e) for e in edges),
                   tuple(int((f >= e).sum()) for e in edges), tuple(int((r >= e).sum()) for e in edges),
                   tuple(int((f <= e).sum()) for e in edges), tuple(int((r <= e).sum()) for e in edges),
                   int(f.size), int(r.size))

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "HeldOutTable":
        return cls(*(tuple(d[k]) for k in ("edges", "fake_at_least", "real_at_least", "fake_at_most",
                                           "real_at_most")), int(d.get("n_fake", 0)), int(d.get("n_real", 0)))

    def lookup(self, score: float) -> dict[str, Any] | None:
        """How many held-out recordings scored near ``score`` and how many of them were AI-generated:
        the 0.05-wide bin between edges that holds the score, widened one edge at a time on both sides
        until it holds at least ``MIN_HELD_OUT`` recordings. ``{"low", "high", "n", "m", "share"}``
        (``n`` of ``m`` recordings scoring from ``low`` up to ``high`` were AI-generated; ``share``: the
        share of AI-generated among all of them, the base rate), or ``None`` when fewer than
        ``MIN_HELD_OUT`` were measured in all."""
        if not (self.n_fake + self.n_real):
            return None
        # Cumulative counts at or above each edge, with 0 (everything) and past 1 (nothing) added.
        edges = (0.0,) + tuple(self.edges) + (1.0 + 1e-9,)
        fake = (self.n_fake,) + tuple(self.fake_at_least) + (0,)
        real = (self.n_real,) + tuple(self.real_at_least) + (0,)
        s = min(max(float(score), 0.0), 1.0)
        i = max(k for k in range(len(edges) - 1) if edges[k] <= s + 1e-12)
        lo, hi = i, i + 1
        while True:
            n, r = fake[lo] - fake[hi], real[lo] - real[hi]
            if n + r >= MIN_HELD_OUT or (lo == 0 and hi == len(edges) - 1):
                break
            lo, hi = max(0, lo - 1), min(len(edges) - 1, hi + 1)
        if n + r < MIN_HELD_OUT:
            return None  # too few held-out recordings in all to say anything
        return {"low": edges[lo], "high": min(1.0, edges[hi]), "n": int(n), "m": int(n + r),
                "share": self.n_fake / (self.n_fake + self.n_real)}


@dataclass(frozen=True)
class EvidenceMap:
    """A model's score-to-LR maps per channel, its caps, and its held-out measurements (``evidence.json``)."""

    channels: dict[str, ChannelMap]
    max_band: dict[str, str]  # {"ai-generated": band, "real": band}
    held_out: dict[str, HeldOutTable] = field(default_factory=dict)  # per channel, from val
    measured: dict[str, Any] = field(default_factory=dict)  # val figures per channel (cllr, min_cllr, n ...)
    fitted_on: dict[str, Any] = field(default_factory=dict)
    weights_sha256: str = ""

    def log10_lr(self, score: float, channel: str) -> tuple[float, float, bool]:
        """``(stated log10 LR, uncapped log10 LR, capped?)`` for a file score on a channel."""
        raw = float(self.channels[channel].llr(score)) / math.log(10.0)
        raw = max(-LOG10_LR_LIMIT, min(LOG10_LR_LIMIT, raw))
        cap = band_ceiling(self.max_band[AI if raw >= 0 else REAL])
        # The top of a capped band is its ceiling; stated just inside it, so the band stays the cap.
        limit = cap if cap >= LOG10_LR_LIMIT else math.nextafter(cap, 0.0)
        stated = max(-limit, min(limit, raw))
        return stated, raw, stated != raw

    def llr(self, scores: Sequence[float] | np.ndarray, channel: str) -> np.ndarray:
        """Stated (capped) natural-log LRs for many scores on one channel (for Cllr)."""
        return np.array([self.log10_lr(float(s), channel)[0] * math.log(10.0) for s in np.ravel(scores)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "faik-evidence-map/1",
            "method": "logistic regression of the class on logit(file score), classes weighted equally "
                      "(log odds = log likelihood ratio), one per channel; capped at max_band",
            "file_score": "mean P(AI) over the app's chunks",
            "channels": {k: v.to_dict() for k, v in self.channels.items()},
            "max_band": dict(self.max_band),
            "held_out": {k: v.to_dict() for k, v in self.held_out.items()},
            "measured": self.measured,
            "fitted_on": self.fitted_on,
            "weights_sha256": self.weights_sha256,
        }

    def summary(self) -> dict[str, Any]:
        """What a result's provenance carries about the map (not the tables)."""
        return {"channels": sorted(self.channels), "max_band": dict(self.max_band),
                "fitted_on": self.fitted_on, "measured": self.measured}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EvidenceMap":
        chans = {str(k): ChannelMap(float(v["slope"]), float(v["intercept"]), int(v.get("n_real", 0)),
                                    int(v.get("n_fake", 0))) for k, v in dict(d["channels"]).items()}
        mb = {AI: str(d["max_band"][AI]), REAL: str(d["max_band"][REAL])}
        if not chans or any(b not in BANDS for b in mb.values()):
            raise ValueError("evidence map without channels or with an unknown band")
        return cls(chans, mb, {str(k): HeldOutTable.from_dict(v) for k, v in dict(d.get("held_out") or {}).items()},
                   dict(d.get("measured") or {}), dict(d.get("fitted_on") or {}), str(d.get("weights_sha256", "")))


def fit_evidence_map(scores: Sequence[float], labels: Sequence[int], channel: str = "clean") -> EvidenceMap:
    """One channel's map from held-out file scores (P(AI)) and labels (1 = AI-generated), capped at
    :data:`DEFAULT_MAX_BAND` until val measurements say otherwise (see :func:`earned_band`)."""
    return EvidenceMap({channel: fit_channel_map(scores, labels)}, {AI: DEFAULT_MAX_BAND, REAL: DEFAULT_MAX_BAND})


def earned_band(log10_lrs: Sequence[float], labels: Sequence[int], direction: str,
                ceiling: str = DEFAULT_MAX_BAND, min_count: int = 5) -> str:
    """The strongest band (up to ``ceiling``) that held-out recordings show this map earns in one
    ``direction`` (AI or REAL): for a band B, take the recordings whose LR reaches B's lower edge in that
    direction; B is earned when at least ``min_count`` of them are of the supported class and the
    empirical LR among them, (k_supported + 0.5) / (N_supported + 0.5) over (k_other + 0.5) / (N_other + 0.5),
    reaches B's lower edge. Bands must be earned in order (an unearned "weak" stops there)."""
    v = np.asarray(log10_lrs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    sign = 1.0 if direction == AI else -1.0
    sup, oth = (y == 1, y == 0) if direction == AI else (y == 0, y == 1)
    n_sup, n_oth = int(sup.sum()), int(oth.sum())
    best = "none"
    for b in BANDS[1:BANDS.index(ceiling) + 1]:
        reach = sign * v >= BAND_EDGES[b]
        k_sup, k_oth = int((reach & sup).sum()), int((reach & oth).sum())
        if k_sup < min_count:
            break
        emp = ((k_sup + 0.5) / (n_sup + 0.5)) / ((k_oth + 0.5) / (n_oth + 0.5))
        if math.log10(emp) < BAND_EDGES[b]:
            break
        best = b
    return best


def load_evidence(folder: str | Path) -> EvidenceMap | None:
    """The folder's ``evidence.json`` if present and readable, else ``None`` (never raises)."""
    try:
        return EvidenceMap.from_dict(json.loads((Path(folder) / EVIDENCE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_evidence(folder: str | Path, emap: EvidenceMap) -> Path:
    from detector.atomic import atomic_write_text

    return atomic_write_text(Path(folder) / EVIDENCE_FILE, json.dumps(emap.to_dict(), indent=1) + "\n")
