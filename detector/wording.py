"""The words of a verdict, defined once: the window, the report, the CLI, the batch table and the JSON
all say what this module says.

:func:`assess` turns a file score into one of four outcomes — support for AI-generated speech, support
for real speech (each with a verbal strength from :mod:`detector.evidence`), inconclusive, or cannot
judge (too little speech, no speech, a channel the model's evidence was never measured on) — with its
headline, its explanation, the held-out "N of M" sentence and the chunk counts, as the plain dict a
result keeps in ``provenance.evidence``. :func:`describe` reads that dict back (or, for a result saved
before it existed, words its vote) for every renderer. "Likely …", "detected" and a "confidence"
percentage beside the verdict are gone: users read them as the chance the verdict is right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from detector.evidence import (CHUNK_AI_FROM, CHUNK_BAND_WORDS, CHUNK_REAL_BELOW, SCALE_TEXT, EvidenceMap, band_ceiling,
                               band_of, chunk_band_counts)

if TYPE_CHECKING:  # pragma: no cover
    from detector.result import AnalysisResult

#: Outcome labels (the values of :class:`detector.result.Verdict`).
OUT_AI, OUT_REAL, OUT_INCONCLUSIVE, OUT_CANNOT = "ai-generated", "real", "inconclusive", "cannot-judge"

CHANNEL_WORDS = {
    "clean": "clean audio",
    "mp3-32k": "MP3-compressed audio",
    "mp3-64k": "MP3-compressed audio",
    "opus-24k": "Opus-compressed audio",
    "aac-32k": "AAC-compressed audio",
    "phone-8k": "telephone-band audio",
    "phone-8k-mulaw": "telephone-band audio",
    "amr-12k": "mobile-phone audio",
    "voip": "audio from a messenger or meeting call",
    "call-neural": "audio that went through a call app's neural noise suppressor",
}
# Why a channel the model's map lacks cannot be judged, where the generic "never measured on ..." would not say
# enough: a suppressed call is the model's worst case (detector.suppression_check).
UNMEASURED_REASONS = {
    "call-neural": ("it sounds as if it went through a call app's neural noise suppressor, which makes real speech "
                    "sound AI-generated to this model, and its strength of evidence on such audio was never measured"),
}
NOT_STATED = "strength of evidence not stated for this model"
CANNOT_JUDGE = "Cannot judge"
INCONCLUSIVE = "Inconclusive: no support either way"
UNSURE_RANGE = f"unsure = P(AI) {CHUNK_REAL_BELOW:.2f}–{CHUNK_AI_FROM:.2f}"


def _sentence(text: str) -> str:
    """Capitalised first letter: explanations are shown as sentences."""
    return text[:1].upper() + text[1:]


def channel_words(channel: str | None) -> str:
    return CHANNEL_WORDS.get(channel or "", f"{channel} audio" if channel else "this audio")


def _ratio(x: float) -> str:
    """3.2, 14, 1 300: two significant figures at most."""
    if x >= 100:
        return f"{float(f'{x:.2g}'):,.0f}"
    return f"{x:.2g}" if x < 10 else f"{x:.0f}"


def headline_for(outcome: str, band: str | None, stated: bool) -> str:
    """The headline of an outcome: "Weak support for AI-generated speech", "Cannot judge" ..."""
    if outcome == OUT_CANNOT:
        return CANNOT_JUDGE
    if outcome == OUT_INCONCLUSIVE:
        return INCONCLUSIVE
    what = "AI-generated speech" if outcome == OUT_AI else "real speech"
    if not stated:
        return f"Leans towards {what}"
    return f"{(band or 'weak').capitalize()} support for {what}"


def chunk_line(counts: Mapping[str, int]) -> str:
    """"11 chunks: 6 AI-sounding, 5 unsure, 0 real-sounding (unsure = P(AI) 0.35–0.65)"."""
    n = sum(int(v) for v in counts.values())
    parts = ", ".join(f"{int(counts.get(b, 0))} {w}" for b, w in CHUNK_BAND_WORDS.items())
    return f"{n} chunk{'' if n == 1 else 's'}: {parts} ({UNSURE_RANGE})"


def held_out_text(held: Mapping[str, Any] | None, channel: str | None) -> str:
    """The "N of M" sentence from the model's held-out measurements ("" when there are none)."""
    if not held:
        return ""
    share = held.get("share")
    base = (f" (of all those held-out recordings, {float(share):.0%} were AI-generated)"
            if isinstance(share, (int, float)) else "")
    return (f"On held-out recordings ({channel_words(channel)}, from generators and speakers this model was not "
            f"trained on), files scoring {float(held['low']):.2f}–{float(held['high']):.2f} were AI-generated "
            f"{int(held['n'])} of {int(held['m'])} times{base}.")


def assess(score: float, chunk_probs: Sequence[float], emap: EvidenceMap | None, channel: str,
           cannot_judge: str | None = None, vote: tuple[str, str] | None = None) -> dict[str, Any]:
    """The outcome of one recording as ``provenance.evidence``.

    ``score``: the file score (mean P(AI) over chunks); ``chunk_probs``: every chunk's P(AI); ``emap``:
    the model's evidence map (None: strength not stated); ``channel``: the evaluation channel the recording
    looks like (:func:`detector.channel_check.recording_channel`); ``cannot_judge``: why the recording
    cannot be judged, if it cannot; ``vote``: ``(label, reason)`` of the seed-style vote
    (:func:`detector.result.file_verdict`), the outcome of a model without a map.
    """
    counts = chunk_band_counts(chunk_probs)
    ev: dict[str, Any] = {
        "score": float(score), "channel": channel, "channel_name": channel_words(channel),
        "stated": emap is not None, "likelihood_ratio": None, "log10_likelihood_ratio": None,
        "band": None, "supports": None, "capped": False, "max_band": dict(emap.max_band) if emap else None,
        "cannot_judge_reason": None, "held_out": None, "chunks": counts, "scale": SCALE_TEXT,
    }
    if emap is not None and cannot_judge is None and channel not in emap.channels:
        measured = ", ".join(sorted({channel_words(c) for c in emap.channels}))
        cannot_judge = UNMEASURED_REASONS.get(channel) or (
            f"this model's strength of evidence was never measured on {channel_words(channel)} (measured: {measured})")
    if cannot_judge is not None or not chunk_probs:
        ev["cannot_judge_reason"] = cannot_judge or "no audio was analysed"
        outcome, explanation = OUT_CANNOT, ev["cannot_judge_reason"]
    elif emap is None:
        outcome, why = vote if vote is not None else (OUT_INCONCLUSIVE, "")
        explanation = f"{NOT_STATED}; {why}" if why else NOT_STATED
    else:
        stated, raw, capped = emap.log10_lr(score, channel)
        band = band_of(stated)
        lr = 10.0 ** stated
        where = f"a score (mean P(AI)) of {score:.2f} on {channel_words(channel)}"
        lr_text = _ratio(lr)
        if band == "none":
            outcome = OUT_INCONCLUSIVE
            explanation = (f"likelihood ratio {lr_text}: {where} is about as probable for real as for "
                           f"AI-generated speech")
        else:
            outcome = OUT_AI if stated > 0 else OUT_REAL
            ev["supports"] = outcome
            first, second = ("AI-generated", "real") if stated > 0 else ("real", "AI-generated")
            if capped:
                # The map says more than held-out recordings bore out: say both, and state the cap.
                edge = 10.0 ** band_ceiling(band)
                lr_text = f"{_ratio(edge if stated > 0 else 1.0 / edge)}, capped"
                raw_times = _ratio(10.0 ** abs(raw))
                explanation = (f"likelihood ratio {lr_text}: for {where} the model's map gives {first} speech "
                               f"{raw_times} times the probability of {second} speech, but held-out recordings bear "
                               f"out no more than {band} support for {first} speech, so that is what is stated")
            else:
                explanation = (f"likelihood ratio {lr_text}: {where} is {_ratio(lr if stated > 0 else 1.0 / lr)} "
                               f"times as probable for {first} speech as for {second} speech")
        ev.update(likelihood_ratio=lr, likelihood_ratio_text=lr_text, log10_likelihood_ratio=stated, band=band,
                  capped=capped)
        table = emap.held_out.get(channel)
        if table is not None:
            ev["held_out"] = table.lookup(score)
    ev["outcome"] = outcome
    ev["headline"] = headline_for(outcome, ev["band"], ev["stated"])
    ev["explanation"] = _sentence(explanation)
    ev["held_out_text"] = held_out_text(ev["held_out"], channel) if outcome != OUT_CANNOT else ""
    ev["chunk_text"] = chunk_line(counts)
    return ev


@dataclass(frozen=True)
class Wording:
    """Everything a renderer says about a result's verdict."""

    outcome: str          # ai-generated | real | inconclusive | cannot-judge
    headline: str         # "Weak support for AI-generated speech"
    explanation: str      # the likelihood ratio in words, or why it cannot be judged
    held_out: str         # the "N of M" sentence ("" when none)
    chunks: str           # "11 chunks: 6 AI-sounding, 5 unsure, 0 real-sounding (...)"
    likelihood_ratio: float | None
    likelihood_ratio_text: str = ""  # "4.7", or "10, capped" where the map's cap applies

    @property
    def short(self) -> str:
        """The file list's and the batch table's cell: the headline, and the LR when there is one."""
        if self.likelihood_ratio is None:
            return self.headline
        return f"{self.headline} (LR {self.likelihood_ratio_text or _ratio(self.likelihood_ratio)})"

    def cli_line(self, name: str) -> str:
        return f"{name}: {self.short} — {self.explanation}; {self.chunks}"


def describe(result: "AnalysisResult") -> Wording:
    """The words for a result: from its ``provenance.evidence`` (what :func:`assess` wrote), or for a
    result saved before that block existed, its vote worded without a strength."""
    ev = result.provenance.get("evidence")
    if isinstance(ev, Mapping) and ev.get("headline"):
        lr = ev.get("likelihood_ratio")
        return Wording(str(ev.get("outcome", result.verdict.value)), str(ev["headline"]),
                       str(ev.get("explanation", "")), str(ev.get("held_out_text", "")),
                       str(ev.get("chunk_text", chunk_line(chunk_band_counts([c.prob_ai for c in result.chunks])))),
                       float(lr) if isinstance(lr, (int, float)) and math.isfinite(lr) else None,
                       str(ev.get("likelihood_ratio_text") or ""))
    outcome = result.verdict.value
    return Wording(outcome, headline_for(outcome, None, False),
                   _sentence(f"{NOT_STATED}; {result.verdict_reason}" if result.verdict_reason else NOT_STATED), "",
                   chunk_line(chunk_band_counts([c.prob_ai for c in result.chunks])), None)

