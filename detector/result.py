"""Typed analysis results that serialise to the contract's JSON.

The contract is ``detector/schema/analysis-result.schema.json`` (a copy of the
shared contract). Everything beyond the seed's keys lives under
``provenance``. The GUI, the CLI and the report all read these objects; none
of them re-derives a number.

Definitions (documented here because users read them in the report):

* a chunk is AI-generated when ``P(AI) >= threshold`` (0.5 by default);
  its ``confidence`` is the probability of the class it was given;
* the file ``is_deepfake`` when more than 50 % of its chunks are AI-generated
  (the seed's majority vote; a tie is *not* a deepfake);
* ``overall_confidence`` is the mean, over all chunks, of the probability of
  the class the file was given (mean P(AI) for a deepfake verdict, mean
  P(real) otherwise): how strongly the chunks, on average, support the verdict;
* the verdict users read (``verdict``, ``provenance.verdict``) comes from
  :func:`detector.wording.assess` when the analysis has one (``aggregate(...,
  evidence=...)``, as :func:`detector.analysis.analyze_audio` always does): support
  for AI-generated or real speech at a stated strength (the likelihood ratio of the
  mean P(AI), :mod:`detector.evidence`), inconclusive, or **cannot judge**; its
  words are in ``provenance.evidence``;
* without it (a bare ``aggregate``), the vote: **inconclusive** when the vote is
  close (the AI share of chunks lies within ``INCONCLUSIVE_MARGIN`` of 50 %) or
  when the chunks are unsure on average (mean P(AI) within ``INCONCLUSIVE_MARGIN``
  of 0.5). ``is_deepfake`` always carries the majority vote, as the contract requires.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from detector.chunking import ChunkSettings, ChunkSpan

INCONCLUSIVE_MARGIN = 0.1
DEFAULT_THRESHOLD = 0.5


class Verdict(str, Enum):
    AI_GENERATED = "ai-generated"
    REAL = "real"
    INCONCLUSIVE = "inconclusive"
    CANNOT_JUDGE = "cannot-judge"


@dataclass(frozen=True)
class ChunkResult:
    """The model's answer for one chunk."""

    chunk_index: int
    start_time: float
    end_time: float
    prob_ai: float
    prob_real: float
    is_ai_generated: bool
    confidence: float

    @classmethod
    def from_probabilities(
        cls, span: ChunkSpan, prob_ai: float, prob_real: float, threshold: float = DEFAULT_THRESHOLD
    ) -> "ChunkResult":
        is_ai = bool(prob_ai >= threshold)
        return cls(
            chunk_index=span.index,
            start_time=span.start_time,
            end_time=span.end_time,
            prob_ai=float(prob_ai),
            prob_real=float(prob_real),
            is_ai_generated=is_ai,
            confidence=float(prob_ai if is_ai else prob_real),
        )

    @property
    def band(self) -> str:
        """"ai-sounding", "unsure" or "real-sounding" (:func:`detector.evidence.chunk_band`): what every
        display calls the chunk; ``is_ai_generated`` stays the contract's P(AI) >= threshold."""
        from detector.evidence import chunk_band

        return chunk_band(self.prob_ai)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_index": self.chunk_index,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "is_ai_generated": self.is_ai_generated,
            "confidence": self.confidence,
            "class_probabilities": {"ai_generated": self.prob_ai, "real": self.prob_real},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ChunkResult":
        return cls(
            chunk_index=int(d["chunk_index"]),
            start_time=float(d["start_time"]),
            end_time=float(d["end_time"]),
            prob_ai=float(d["class_probabilities"]["ai_generated"]),
            prob_real=float(d["class_probabilities"]["real"]),
            is_ai_generated=bool(d["is_ai_generated"]),
            confidence=float(d["confidence"]),
        )


@dataclass(frozen=True)
class Summary:
    total_chunks: int
    ai_generated_chunks: int
    real_chunks: int
    ai_generated_ratio: float
    average_confidence: float
    chunk_duration_seconds: float
    overlap_ratio: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Summary":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class AnalysisResult:
    """One analysed recording; ``to_dict()`` validates against the contract."""

    is_deepfake: bool
    overall_confidence: float
    model_loaded: bool
    chunks: tuple[ChunkResult, ...]
    summary: Summary
    verdict: Verdict
    verdict_reason: str
    mean_prob_ai: float
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def total_chunks(self) -> int:
        return len(self.chunks)

    def to_dict(self) -> dict[str, Any]:
        prov = dict(self.provenance)
        prov["verdict"] = {
            "label": self.verdict.value,
            "reason": self.verdict_reason,
            "mean_probability_ai_generated": self.mean_prob_ai,
            "inconclusive_margin": INCONCLUSIVE_MARGIN,
        }
        return {
            "is_deepfake": self.is_deepfake,
            "overall_confidence": self.overall_confidence,
            "model_loaded": self.model_loaded,
            "total_chunks": self.total_chunks,
            "chunks": [c.to_dict() for c in self.chunks],
            "summary": self.summary.to_dict(),
            "provenance": prov,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AnalysisResult":
        """Rebuild a result from its JSON (e.g. a previously exported file)."""
        validate_result_dict(d)
        prov = dict(d.get("provenance", {}))
        v = prov.pop("verdict", None) or {}
        chunks = tuple(ChunkResult.from_dict(c) for c in d["chunks"])
        mean_ai = float(v.get("mean_probability_ai_generated", _mean([c.prob_ai for c in chunks])))
        return cls(
            is_deepfake=bool(d["is_deepfake"]),
            overall_confidence=float(d["overall_confidence"]),
            model_loaded=bool(d["model_loaded"]),
            chunks=chunks,
            summary=Summary.from_dict(d["summary"]),
            verdict=Verdict(v.get("label", Verdict.AI_GENERATED.value if d["is_deepfake"] else Verdict.REAL.value)),
            verdict_reason=str(v.get("reason", "")),
            mean_prob_ai=mean_ai,
            provenance=prov,
        )


def _mean(xs: Sequence[float]) -> float:
    return float(sum(xs) / len(xs)) if xs else 0.0


def of_chunks(part: int, total: int) -> str:
    """"2 of 5 chunks", "1 of 1 chunk": the count phrase every summary of a result uses."""
    return f"{part} of {total} chunk{'' if total == 1 else 's'}"


def sound(count: int) -> str:
    """The verb after a chunk count: "1 ... sounds", "0 / 2 ... sound"."""
    return "sounds" if count == 1 else "sound"


def majority_says_ai(is_ai: Sequence[bool]) -> bool:
    """The seed's vote: more than half of the chunks AI-generated (a tie, or no chunk, is not)."""
    return len(is_ai) > 0 and sum(bool(x) for x in is_ai) / len(is_ai) > 0.5


def file_verdict(chunks: Sequence[ChunkResult]) -> tuple[Verdict, str]:
    """The verdict on the whole recording and the reason given for it (see module docstring)."""
    n = len(chunks)
    n_ai = sum(1 for c in chunks if c.is_ai_generated)
    ratio = n_ai / n if n else 0.0
    mean_ai = _mean([c.prob_ai for c in chunks])
    if n == 0:
        return Verdict.INCONCLUSIVE, "no audio was analysed"
    if abs(ratio - 0.5) <= INCONCLUSIVE_MARGIN:
        return Verdict.INCONCLUSIVE, f"close vote: {of_chunks(n_ai, n)} at P(AI) ≥ {DEFAULT_THRESHOLD:g}"
    if abs(mean_ai - 0.5) <= INCONCLUSIVE_MARGIN:
        return Verdict.INCONCLUSIVE, f"the model is unsure: mean P(AI) over chunks is {mean_ai:.2f}"
    verdict = Verdict.AI_GENERATED if majority_says_ai([c.is_ai_generated for c in chunks]) else Verdict.REAL
    return verdict, (f"{of_chunks(n_ai, n)} at P(AI) ≥ {DEFAULT_THRESHOLD:g} (the seed's vote); "
                     f"mean P(AI) {mean_ai:.2f}")


def aggregate(
    chunks: Sequence[ChunkResult],
    settings: ChunkSettings,
    *,
    model_loaded: bool = True,
    provenance: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
) -> AnalysisResult:
    """Majority-vote the chunk answers into a file-level result (see module docstring).

    ``evidence`` (:func:`detector.wording.assess`) sets the verdict the user reads — its outcome and
    explanation — and goes to ``provenance.evidence``; without it the verdict is the vote's."""
    n = len(chunks)
    n_ai = sum(1 for c in chunks if c.is_ai_generated)
    ratio = n_ai / n if n else 0.0
    is_deepfake = majority_says_ai([c.is_ai_generated for c in chunks])
    mean_ai = _mean([c.prob_ai for c in chunks])
    mean_real = _mean([c.prob_real for c in chunks])
    overall = mean_ai if is_deepfake else mean_real
    verdict, reason = file_verdict(chunks)
    prov = dict(provenance or {})
    if evidence is not None:
        verdict, reason = Verdict(evidence["outcome"]), str(evidence["explanation"])
        prov["evidence"] = evidence
    summary = Summary(
        total_chunks=n,
        ai_generated_chunks=n_ai,
        real_chunks=n - n_ai,
        ai_generated_ratio=ratio,
        average_confidence=_mean([c.confidence for c in chunks]),
        chunk_duration_seconds=float(settings.chunk_duration),
        overlap_ratio=float(settings.overlap),
    )
    return AnalysisResult(
        is_deepfake=is_deepfake,
        overall_confidence=float(min(1.0, max(0.0, overall))),
        model_loaded=model_loaded,
        chunks=tuple(chunks),
        summary=summary,
        verdict=verdict,
        verdict_reason=reason,
        mean_prob_ai=mean_ai,
        provenance=prov,
    )


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The project's copy of the analysis-result contract."""
    text = resources.files("detector").joinpath("schema/analysis-result.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_result_dict(d: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``d`` matches the contract."""
    import jsonschema

    jsonschema.Draft202012Validator(load_schema()).validate(d)
