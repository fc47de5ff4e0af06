"""Stretches of a recording whose consecutive chunks all sound AI-generated.

Why: the seed's verdict is a majority vote, so a real recording with one fabricated sentence is called
real however clearly its chunks around that sentence sound AI-generated. A run of consecutive
AI-looking chunks is what a user should listen to first; a single AI-looking chunk among real ones is
common on real speech (the model card's false-alarm rates), a run of several is rarer
(measured on spliced val recordings, ``detector.training.splice_eval``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from detector.chunking import ChunkSettings
from detector.evidence import CHUNK_AI_FROM
from detector.result import ChunkResult, Verdict, file_verdict, majority_says_ai


def ai_runs(is_ai: Sequence[bool] | np.ndarray, min_chunks: int) -> list[tuple[int, int]]:
    """Half-open index ranges ``(first, last + 1)`` of the runs of at least ``min_chunks`` consecutive
    True values in ``is_ai`` (chunks in time order), earliest first."""
    if min_chunks < 1:
        raise ValueError(f"a stretch needs at least 1 chunk (got {min_chunks})")
    flags = np.asarray(is_ai, dtype=bool)
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if b - a >= min_chunks]


# Three chunks in a row span 10 s at the default 5 s / 50 %. Chosen on the spliced val recordings
# (model card): runs of 1 or 2 chunks would mark more inserted passages but also a fifth to a half of
# ~40-s real recordings; runs of 3 mark two thirds of ~10-s passages and one real recording in twenty.
MIN_STRETCH_CHUNKS = 3


@dataclass(frozen=True)
class Stretch:
    """A run of consecutive chunks that all sound AI-generated."""

    start_time: float
    end_time: float
    chunks: int
    mean_prob_ai: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def find_ai_stretches(chunks: Sequence[ChunkResult], min_chunks: int = MIN_STRETCH_CHUNKS) -> list[Stretch]:
    """The runs of at least ``min_chunks`` consecutive AI-sounding chunks (P(AI) >= ``CHUNK_AI_FROM``,
    :func:`detector.evidence.chunk_band`: an "unsure" chunk near the threshold breaks a run) in ``chunks``,
    taken in time order."""
    ordered = sorted(chunks, key=lambda c: (c.start_time, c.chunk_index))
    out = []
    for a, b in ai_runs([c.band == "ai-sounding" for c in ordered], min_chunks):
        run = ordered[a:b]
        out.append(Stretch(run[0].start_time, max(c.end_time for c in run), len(run),
                           float(np.mean([c.prob_ai for c in run]))))
    return out


def stretch_figures(validation: Mapping[str, Any] | None, settings: ChunkSettings,
                    min_chunks: int = MIN_STRETCH_CHUNKS) -> Mapping[str, Any] | None:
    """The model's measured stretch figures (``validation.json``'s ``stretches``, written by
    ``detector.training.splice_eval --validation``) when they were measured with these chunk settings
    and this run length, at the chunk threshold stretches use (``CHUNK_AI_FROM``); ``None`` otherwise (the
    figures do not carry over to other settings)."""
    for s in stretch_sections(validation):
        try:
            if (abs(float(s["chunk_duration"]) - settings.chunk_duration) < 1e-9
                    and abs(float(s["overlap"]) - settings.overlap) < 1e-9 and int(s["min_chunks"]) == min_chunks
                    and abs(float(s.get("threshold", 0.5)) - CHUNK_AI_FROM) < 1e-9):
                return s
        except (KeyError, TypeError, ValueError):
            continue
    return None


def stretch_sections(validation: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The entries of ``validation.json``'s ``stretches`` (one per chunk setting measured; a single
    entry may also stand alone)."""
    s = (validation or {}).get("stretches")
    items = [s] if isinstance(s, Mapping) else (s if isinstance(s, list) else [])
    return [e for e in items if isinstance(e, Mapping)]


#: Why the stretch figures are an upper bound (measured for v10, model card: a passage converted into
#: the host speaker's own voice was found in 1 of 30 spliced recordings, against 67.5 % in another voice).
OWN_VOICE_CAVEAT = "a passage converted into the speaker's own voice was found far less often"


def how_often(per_hour: float) -> str:
    """'about once', 'about twice', 'about 4 times', or 'less than once' (a rate per hour, in words)."""
    n = round(per_hour)
    if n < 1:
        return "less than once"
    return "about once" if n == 1 else "about twice" if n == 2 else f"about {n} times"


def stretch_note(stretches: Sequence[Stretch], chunks: Sequence[ChunkResult], settings: ChunkSettings,
                 validation: Mapping[str, Any] | None = None, min_chunks: int = MIN_STRETCH_CHUNKS,
                 outcome: str | None = None) -> str | None:
    """A note pointing at the AI-sounding stretches of a recording that is *not* called AI-generated as a
    whole (a real recording with a fabricated passage looks like that: the vote says real, or, when the
    passage is long, inconclusive); ``None`` when there is no stretch or the verdict on the whole file is
    AI-generated anyway. Quotes the model's measured figures when it ships them for these settings."""
    if outcome is None:
        outcome = file_verdict(chunks)[0].value
    if not stretches or not chunks or outcome == Verdict.AI_GENERATED.value:
        return None
    from detector.timeline import format_time

    shown = ", ".join(f"{format_time(s.start_time)}–{format_time(s.end_time)}" for s in stretches[:3])
    if len(stretches) > 3:
        shown += f" and {len(stretches) - 3} more"
    verb = "sounds" if len(stretches) == 1 else "sound"
    fig = stretch_figures(validation, settings, min_chunks)
    if fig:
        tested = (f"in testing, real recordings with about {float(fig['mean_insert_s']):.0f} s of AI speech in another "
                  f"voice spliced in showed such a stretch on the insert {float(fig['insert_found']):.0%} of the time, "
                  f"and wholly real recordings showed one {how_often(float(fig['per_hour']))} per hour of speech "
                  f"({OWN_VOICE_CAVEAT})")
    else:
        tested = "how often real speech shows such a stretch was not measured for this model at these chunk settings"
    them = "it" if len(stretches) == 1 else "them"
    # A long fabricated passage can hold most of the chunks and leave the vote inconclusive: say so
    # rather than "most of the recording does not", which would then be false.
    rest = ("the verdict on the whole recording is inconclusive" if majority_says_ai([c.is_ai_generated for c in chunks])
            else "most of the recording does not")
    return (f"{shown} {verb} AI-generated (at least {min_chunks} AI-sounding chunks in a row, P(AI) ≥ "
            f"{CHUNK_AI_FROM:g}) although {rest}: listen to "
            f"{them} closely, a fabricated passage would look like this; {tested}")
