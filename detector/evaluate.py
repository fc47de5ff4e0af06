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
from detector.evidence import cllr, min_cllr
from detector.wording import OUT_AI, OUT_CANNOT, OUT_INCONCLUSIVE, OUT_REAL

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


# --------------------------------------------------------------------------- labelled-set evaluation

LABELS = {"real": 0, "fake": 1}


@dataclass(frozen=True)
class EvaluatedItem:
    """One file of the set: its label and the app's answer for it."""

    file: str
    label: int  # 1 = fake
    family: str
    language: str
    prob_ai: float  # file-level score: mean P(AI) over chunks
    is_deepfake: bool  # the seed's vote (majority of chunks), the contract's is_deepfake
    verdict: str  # the headline the user reads: ai-generated | real | inconclusive | cannot-judge
    duration_s: float


@dataclass(frozen=True)
class GroupStats:
    n: int
    n_fake: int
    accuracy: float
    mean_prob_ai: float
    eer: float | None  # within the group if it holds both classes, else against all clips of the other class

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Val's modern generator families (2022-2024 zero-shot TTS and VC; DATA.md, "Added 2026-12-07"). Models
# are chosen on this row: val's older families (<= 2022) promised far better than a model did on
# modern generators it had not met. Scored against every real clip of the set.
MODERN_FAMILIES = frozenset({
    "ardit", "e1tts", "flashspeech", "e3-tts", "hierspeechpp", "hiervst", "diff-hiervc", "dddm-vc", "matcha-tts",
})


@dataclass(frozen=True)
class RowStats:
    """Figures for one row of fakes (a named group of families) scored against all real clips."""

    n_real: int
    n_fake: int
    eer: float | None
    roc_auc: float | None
    ece: float | None
    false_alarm_rate: float | None
    miss_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def row_stats(items: Sequence["EvaluatedItem"], families: frozenset[str]) -> RowStats | None:
    """EER, AUC, ECE, false alarms and misses of the fakes in ``families`` against all real items.

    None when the set holds no fake of those families or no real clip."""
    chosen = [it for it in items if it.label == 0 or it.family in families]
    y = np.array([it.label for it in chosen], dtype=np.int64)
    n_fake = int(y.sum())
    n_real = int(y.size - n_fake)
    if n_fake == 0 or n_real == 0:
        return None
    s = np.array([it.prob_ai for it in chosen], dtype=np.float64)
    v = np.array([1.0 if it.is_deepfake else 0.0 for it in chosen])
    return RowStats(
        n_real=n_real, n_fake=n_fake, eer=eer(y, s)[0], roc_auc=roc_auc(y, s),
        ece=expected_calibration_error(y, s),
        false_alarm_rate=_none_if_nan(false_alarm_rate(y, v)), miss_rate=_none_if_nan(miss_rate(y, v)),
    )


# The headline outcomes a user can read (``detector.result.Verdict`` values), in the order reports print them.
HEADLINE_OUTCOMES = (OUT_AI, OUT_INCONCLUSIVE, OUT_CANNOT, OUT_REAL)


def headline_shares(items: Sequence["EvaluatedItem"], label: int,
                    families: frozenset[str] | None = None) -> dict[str, float] | None:
    """Fraction of the items of class ``label`` (0 real, 1 fake; only ``families`` if given) whose headline
    — the verdict the user reads, from the evidence map — is each of :data:`HEADLINE_OUTCOMES`.

    Why: the seed's chunk vote (``false_alarm_rate``, ``miss_rate``) is not what a journalist reads; the
    headline also says "inconclusive" or "cannot judge", so how often it points the wrong way is the
    figure that tells them how far to trust it. None when there is no such item."""
    chosen = [it.verdict for it in items if it.label == label and (families is None or it.family in families)]
    if not chosen:
        return None
    return {o: sum(v == o for v in chosen) / len(chosen) for o in HEADLINE_OUTCOMES}


@dataclass
class EvaluationReport:
    """Figures for one labelled set, model and channel; ``to_dict()`` is JSON-ready (NaN -> null)."""

    index: str
    split: str | None
    channel: str
    model: dict[str, Any]
    items: list[EvaluatedItem]
    failed: list[tuple[str, str]]
    audio_seconds: float
    wall_seconds: float
    n: int = 0
    n_real: int = 0
    n_fake: int = 0
    eer: float | None = None
    eer_threshold: float | None = None
    roc_auc: float | None = None
    accuracy: float | None = None
    ece: float | None = None
    false_alarm_rate: float | None = None
    miss_rate: float | None = None
    inconclusive_rate: float | None = None
    # Log-likelihood-ratio cost of the LRs the app states (the model's evidence map for this channel; a
    # model without one: P(AI) read as posterior odds at even prior) and of the best monotone map
    # (min Cllr). Cllr >= 1: the stated LRs mislead on average (detector.evidence).
    cllr: float | None = None
    min_cllr: float | None = None
    cllr_basis: str = ""
    per_family: dict[str, GroupStats] = field(default_factory=dict)
    per_language_false_alarm: dict[str, tuple[int, float]] = field(default_factory=dict)
    # EER within each language that has both classes (at least MIN_PER_CLASS files each): when the
    # classes' language mixes differ (val: 91 % of fakes are English, half of the real clips are
    # not), the pooled EER also rewards a model for telling languages apart; these do not.
    per_language_eer: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    # Val's modern families against all real clips (None when the set has none of them).
    modern: RowStats | None = None
    # What the user reads (headline_shares): "real", "fake" and, where the set has them, "modern fake".
    headline: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def x_real_time(self) -> float:
        return self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 else float("nan")

    @classmethod
    def build(cls, items: list[EvaluatedItem], **kw: Any) -> "EvaluationReport":
        rep = cls(items=items, **kw)
        y = np.array([it.label for it in items], dtype=np.int64)
        s = np.array([it.prob_ai for it in items], dtype=np.float64)
        verdict = np.array([1.0 if it.is_deepfake else 0.0 for it in items])
        rep.n, rep.n_fake = int(y.size), int(y.sum())
        rep.n_real = rep.n - rep.n_fake
        if y.size:
            rep.accuracy = accuracy(y, verdict)
            rep.ece = expected_calibration_error(y, s)
            rep.inconclusive_rate = float(np.mean([it.verdict == "inconclusive" for it in items]))
            rep.false_alarm_rate = _none_if_nan(false_alarm_rate(y, verdict))
            rep.miss_rate = _none_if_nan(miss_rate(y, verdict))
        if rep.n_real and rep.n_fake:
            rep.eer, rep.eer_threshold = eer(y, s)
            rep.roc_auc = roc_auc(y, s)
            llr, rep.cllr_basis = stated_llrs(s, rep.model, rep.channel)
            rep.cllr, rep.min_cllr = cllr(y, llr), min_cllr(y, s)
        rep.modern = row_stats(items, MODERN_FAMILIES)
        groups = {"real": headline_shares(items, 0), "fake": headline_shares(items, 1),
                  "modern fake": headline_shares(items, 1, MODERN_FAMILIES)}
        rep.headline = {k: v for k, v in groups.items() if v is not None}
        real_s, fake_s = s[y == 0], s[y == 1]
        for fam in sorted({it.family for it in items}):
            idx = [i for i, it in enumerate(items) if it.family == fam]
            fy, fs, fv = y[idx], s[idx], verdict[idx]
            rep.per_family[fam] = GroupStats(
                n=len(idx), n_fake=int(fy.sum()), accuracy=accuracy(fy, fv), mean_prob_ai=float(fs.mean()),
                eer=_group_eer(fy, fs, real_s, fake_s),
            )
        for lang in sorted({it.language for it in items if it.label == 0}):
            idx = [i for i, it in enumerate(items) if it.label == 0 and it.language == lang]
            rep.per_language_false_alarm[lang] = (len(idx), float(verdict[idx].mean()))
        for lang in sorted({it.language for it in items}):
            idx = [i for i, it in enumerate(items) if it.language == lang]
            n_fake = int(y[idx].sum())
            if min(n_fake, len(idx) - n_fake) >= MIN_PER_CLASS:
                rep.per_language_eer[lang] = (len(idx) - n_fake, n_fake, eer(y[idx], s[idx])[0])
        return rep

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({
            "index": self.index, "split": self.split, "channel": self.channel, "model": self.model,
            "n": self.n, "n_real": self.n_real, "n_fake": self.n_fake,
            "eer": self.eer, "eer_threshold": self.eer_threshold, "roc_auc": self.roc_auc,
            "accuracy": self.accuracy, "ece": self.ece,
            "cllr": self.cllr, "min_cllr": self.min_cllr, "cllr_basis": self.cllr_basis,
            "false_alarm_rate": self.false_alarm_rate, "miss_rate": self.miss_rate,
            "inconclusive_rate": self.inconclusive_rate,
            "modern": self.modern.to_dict() if self.modern is not None else None,
            "headline": self.headline,
            "audio_seconds": self.audio_seconds, "wall_seconds": self.wall_seconds, "x_real_time": self.x_real_time,
            "per_family": {k: v.to_dict() for k, v in self.per_family.items()},
            "per_language_false_alarm": {k: {"n": n, "false_alarm_rate": r}
                                         for k, (n, r) in self.per_language_false_alarm.items()},
            "per_language_eer": {k: {"n_real": nr, "n_fake": nf, "eer": e}
                                 for k, (nr, nf, e) in self.per_language_eer.items()},
            "failed": [{"file": f, "error": e} for f, e in self.failed],
            "items": [dict(it.__dict__) for it in self.items],
        })


def stated_llrs(scores: np.ndarray, model: dict[str, Any], channel: str) -> tuple[np.ndarray, str]:
    """Natural-log LRs the app would state for these file scores on ``channel``, and where they come from:
    the model's evidence map (``model["evidence"]``, :mod:`detector.evidence`) when it covers the channel,
    else P(AI) read as posterior odds at an even prior."""
    from detector.evidence import EvidenceMap, _logit

    ev = model.get("evidence") if isinstance(model, dict) else None
    if isinstance(ev, dict):
        try:
            emap = EvidenceMap.from_dict(ev)
        except (KeyError, TypeError, ValueError):
            emap = None
        if emap is not None and channel in emap.channels:
            return emap.llr(scores, channel), f"the model's evidence map ({channel})"
    return _logit(scores), "P(AI) as posterior odds (no evidence map for this channel)"


MIN_PER_CLASS = 5  # files of each class a language needs for its own EER


def _group_eer(fy: np.ndarray, fs: np.ndarray, real_s: np.ndarray, fake_s: np.ndarray) -> float | None:
    """EER of one family or source. Most hold one class only (a generator family, a real corpus),
    so such a group is scored against every clip of the other class in the set: a fake family
    against all real clips, a real source against all fake clips. None when the other class is absent."""
    if 0 < fy.sum() < fy.size:
        return eer(fy, fs)[0]
    other = real_s if fy.all() else fake_s
    if other.size == 0:
        return None
    other_label = 0 if fy.all() else 1
    return eer(np.r_[fy, np.full(other.size, other_label)], np.r_[fs, other])[0]


def _none_if_nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _pct(x: float | None) -> str:
    return "   n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}%"


def _num(x: float | None, fmt: str = "{:.3f}") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


_HEADLINE_WORDS = {OUT_AI: "supports AI-generated", OUT_INCONCLUSIVE: "inconclusive",
                   OUT_CANNOT: "cannot judge", OUT_REAL: "supports real"}


def format_report(rep: EvaluationReport) -> str:
    """A plain-text summary and per-family / per-language tables for a terminal."""
    name = rep.model.get("name", "?")
    lines = [
        f"model {name} ({rep.model.get('source_kind', '?')}, {rep.model.get('precision', 'float32')}), set {rep.index}"
        + (f" split={rep.split}" if rep.split else "") + f", channel {rep.channel}",
        f"files: {rep.n} ({rep.n_real} real, {rep.n_fake} fake)" + (f", {len(rep.failed)} failed" if rep.failed else ""),
        f"EER            {_pct(rep.eer)}   (threshold {_num(rep.eer_threshold)})",
        *[f"  within {lang:<6} {_pct(e)}   ({nr} real, {nf} fake: scores compared inside one language)"
          for lang, (nr, nf, e) in rep.per_language_eer.items()],
        *([f"modern row     EER {_pct(rep.modern.eer)}, AUC {_num(rep.modern.roc_auc)}, ECE {_num(rep.modern.ece)}, "
           f"false alarms {_pct(rep.modern.false_alarm_rate)}, misses {_pct(rep.modern.miss_rate)}   "
           f"({rep.modern.n_fake} fakes of val's modern families vs {rep.modern.n_real} real)"]
          if rep.modern is not None else []),
        f"ROC AUC        {_num(rep.roc_auc)}",
        f"accuracy       {_pct(rep.accuracy)}   (the seed's vote, is_deepfake: majority of chunks at P(AI) >= 0.5)",
        f"false alarms   {_pct(rep.false_alarm_rate)}   (real called AI-generated by the vote)",
        f"misses         {_pct(rep.miss_rate)}   (fake called real by the vote)",
        f"inconclusive   {_pct(rep.inconclusive_rate)}",
        *(["headline       what the user reads (evidence wording), per class:"]
          + [f"  {group:<12} " + ", ".join(f"{_HEADLINE_WORDS[o]} {_pct(share).strip()}" for o, share in shares.items())
             for group, shares in rep.headline.items()] if rep.headline else []),
        f"ECE            {_num(rep.ece)}   (15 bins, file score = mean P(AI) over chunks)",
        f"Cllr           {_num(rep.cllr)}   (min Cllr {_num(rep.min_cllr)}; LRs from {rep.cllr_basis or 'n/a'}; "
        f">= 1 misleads on average)",
        f"speed          {_num(rep.x_real_time, '{:.1f}')}x real time "
        f"({rep.audio_seconds:.0f} s of audio in {rep.wall_seconds:.1f} s, decoding included)",
        "",
        "per family: EER of a one-class family is against every clip of the other class in the set",
        f"{'family':<28} {'n':>5} {'fake':>5} {'accuracy':>9} {'mean P(AI)':>11} {'EER':>7}",
    ]
    for fam, g in rep.per_family.items():
        lines.append(f"{fam[:28]:<28} {g.n:>5} {g.n_fake:>5} {_pct(g.accuracy):>9} {g.mean_prob_ai:>11.3f} "
                     f"{_pct(g.eer) if g.eer is not None else '-':>7}")
    if rep.per_language_false_alarm:
        lines += ["", f"{'language (real clips)':<28} {'n':>5} {'false alarms':>13}"]
        for lang, (n, r) in rep.per_language_false_alarm.items():
            lines.append(f"{lang[:28]:<28} {n:>5} {_pct(r):>13}")
    if rep.failed:
        lines += ["", "failed:"] + [f"  {f}: {e}" for f, e in rep.failed]
    return "\n".join(lines)


def read_index(index_csv: str | Path, *, split: str | None = None) -> list[dict[str, str]]:
    """Rows of a labelled index (columns at least ``file``, ``label`` real|fake, ``family``)."""
    p = Path(index_csv)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise FaikError(f"index {p} not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FaikError(f"cannot read index {p}: {exc}") from None
    if not rows:
        raise FaikError(f"index {p} has no rows")
    missing = {"file", "label", "family"} - set(rows[0])
    if missing:
        raise FaikError(f"index {p} lacks column(s) {', '.join(sorted(missing))}; it needs file, label, family")
    for i, r in enumerate(rows, start=2):
        if r["label"] not in LABELS:
            raise FaikError(f"index {p} line {i}: label must be 'real' or 'fake', not {r['label']!r}")
    if split is not None:
        if "split" not in rows[0]:
            raise FaikError(f"index {p} has no 'split' column; drop --split")
        rows = [r for r in rows if r["split"] == split]
        if not rows:
            raise FaikError(f"index {p} has no rows with split {split!r}")
    return rows


def _subset(rows: list[dict[str, str]], limit: int | None) -> list[dict[str, str]]:
    """``limit`` rows spread evenly over the index (it is sorted by label/family, so the head is one class)."""
    if limit is None or limit >= len(rows):
        return rows
    if limit < 1:
        raise FaikError("limit must be at least 1")
    picks = np.linspace(0, len(rows) - 1, limit).round().astype(int)
    return [rows[i] for i in sorted(set(picks.tolist()))]


def channel_copy(samples: np.ndarray, sample_rate: int, channel: str, position: int) -> np.ndarray:
    """What ``faik evaluate --channel`` analyses for the file at ``position`` in its list: the decoded
    samples through :func:`detector.channels.apply_channel` with that position as the seed (so every run,
    and every tool that scores the same list, hears the same copy), made finite and clipped to [-1, 1]."""
    from detector.channels import apply_channel

    x = apply_channel(samples, sample_rate, channel, rng=np.random.default_rng(position))
    return np.clip(np.nan_to_num(x.astype(np.float32, copy=False)), -1.0, 1.0)


def evaluate_index(
    index_csv: str | Path,
    root: str | Path,
    service: Any,
    options: Any = None,
    *,
    split: str | None = None,
    channel: str = "clean",
    limit: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> EvaluationReport:
    """Analyse every listed file as the app would and score the answers.

    File score = mean P(AI) over chunks (``result.mean_prob_ai``), used for EER,
    ROC AUC and ECE; accuracy, false alarms and misses use the seed's vote
    (``is_deepfake``); ``headline`` counts the verdict the user reads. With ``channel`` other than ``clean`` the decoded audio
    first goes through :func:`detector.channels.apply_channel` (deterministic).
    A file that fails to decode is listed under ``failed`` and left out of the
    figures. ``progress(done, total, file)`` follows the files.
    """
    from detector.analysis import AnalysisOptions, analyze_audio
    from detector.audio import DecodedAudio, load_audio
    from detector.errors import SettingsError

    options = options or AnalysisOptions()
    rows = _subset(read_index(index_csv, split=split), limit)
    root = Path(root)
    if not root.is_dir():
        raise FaikError(f"audio root {root} is not a folder; give --root the folder the index paths start from")
    if channel != "clean":
        from detector.channels import CHANNEL_NAMES

        if channel not in CHANNEL_NAMES:
            raise SettingsError(f"unknown channel {channel!r}; choose one of: {', '.join(CHANNEL_NAMES)}")
    items: list[EvaluatedItem] = []
    failed: list[tuple[str, str]] = []
    audio_s = 0.0
    t0 = time.perf_counter()
    for i, r in enumerate(rows):
        if progress is not None:
            progress(i, len(rows), r["file"])
        try:
            audio = load_audio(root / r["file"])
            if channel != "clean":
                x = channel_copy(audio.samples, audio.sample_rate, channel, i)
                audio = DecodedAudio(samples=x, sample_rate=audio.sample_rate, info=audio.info, warnings=audio.warnings)
            res = analyze_audio(audio, service, options)
        except FaikError as exc:
            failed.append((r["file"], str(exc)))
            continue
        audio_s += audio.duration_s
        items.append(EvaluatedItem(
            file=r["file"], label=LABELS[r["label"]], family=r["family"], language=r.get("language") or "?",
            prob_ai=float(res.mean_prob_ai), is_deepfake=bool(res.is_deepfake), verdict=res.verdict.value,
            duration_s=float(audio.duration_s),
        ))
    wall = time.perf_counter() - t0
    if progress is not None:
        progress(len(rows), len(rows), "")
    info = getattr(service, "info", None)
    return EvaluationReport.build(
        items, index=str(index_csv), split=split, channel=channel,
        model=info.to_dict() if info is not None else {}, failed=failed,
        audio_seconds=audio_s, wall_seconds=wall,
    )
