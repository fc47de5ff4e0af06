"""Can the model find a fabricated stretch inside a real recording? A measurement on spliced val audio.

Why: a journalist's hardest case is not a wholly synthetic clip but a real interview with one sentence
replaced. The app answers the seed's question (is the file a deepfake? majority vote of its chunks)
and colours every chunk; how well those chunk colours *locate* an inserted fake, and how often a
wholly real recording shows stretches that look fake, had not been measured. Val clips are short
(≤ 10 s), so this builds longer recordings from them, deterministically:

* **hosts**: consecutive real val clips of one source (shuffled with a fixed seed), each levelled
  to the same loudness and joined with 10-ms fades, until at least ``host_s`` seconds; every real
  source with enough audio gives one or more hosts. A host alone is a **control** recording.
* **spliced**: the host with an **insert** — consecutive fake clips of one val family, levelled the
  same way, until at least ``insert_s`` seconds — put at a clip boundary of the host (never the first
  or last), so the fake's edges look like any other joint in the recording.

Each recording is analysed as the app analyses a file (its chunk plan, the model service's chunk
probabilities, optionally after a channel such as ``mp3-32k`` applied to the whole recording), and
:func:`summarise` reports chunk-level separation, the majority verdicts, and how often a run of
``k`` consecutive AI-looking chunks appears in spliced and in control recordings (see
:func:`detector.stretches.find_ai_stretches`). Choose on val, never fit on it.

    python -m detector.training splice-eval --data ../shared/data --model resources/models/faik-detector-v10
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.chunking import ChunkSettings, plan_chunks
from detector.evidence import CHUNK_AI_FROM
from detector.result import majority_says_ai
from detector.stretches import MIN_STRETCH_CHUNKS, ai_runs

SAMPLE_RATE = 16000
TARGET_RMS_DB = -26.0
FADE_S = 0.01


@dataclass(frozen=True)
class Recording:
    """One built recording: ``samples`` at 16 kHz and the insert's sample range (None for a control)."""

    name: str
    samples: np.ndarray
    insert: tuple[int, int] | None
    source: str
    family: str | None


def level(x: np.ndarray, target_db: float = TARGET_RMS_DB) -> np.ndarray:
    """``x`` scaled to ``target_db`` dBFS RMS (silent input unchanged)."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    return x if rms <= 1e-8 else (x * (10 ** (target_db / 20) / rms)).astype(np.float32)


def faded(x: np.ndarray, fade_s: float = FADE_S) -> np.ndarray:
    """``x`` with short linear fades in and out, so that joints do not click."""
    n = min(int(fade_s * SAMPLE_RATE), x.size // 2)
    if n <= 0:
        return x
    y = x.astype(np.float32, copy=True)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def _take_until(clips: Sequence[np.ndarray], start: int, seconds: float) -> tuple[list[np.ndarray], int]:
    """Clips from ``start`` on until their total reaches ``seconds``; returns them and the next index."""
    out, total, i = [], 0, start
    while i < len(clips) and total < seconds * SAMPLE_RATE:
        out.append(clips[i])
        total += clips[i].size
        i += 1
    return out, i


def build_recordings(rows: Sequence[dict[str, str]], load: Callable[[str], np.ndarray], *,
                     host_s: float = 30.0, insert_s: float = 8.0, seed: int = 0
                     ) -> list[Recording]:
    """Controls and spliced recordings from index ``rows`` (one split); ``load(file)`` gives 16-kHz
    mono samples. Every host gets one spliced copy per fake family, the family's insert clips
    rotating from host to host so that different clips are used."""
    rng = np.random.default_rng(seed)
    real, fake = defaultdict(list), defaultdict(list)
    for r in rows:
        (fake if r["label"] == "fake" else real)[r["family"]].append(r["file"])
    hosts: list[tuple[str, str, list[np.ndarray]]] = []  # (name, source, clips)
    for source in sorted(real):
        files = sorted(real[source])
        clips = [faded(level(load(f))) for f in (files[j] for j in rng.permutation(len(files)))]
        i, k = 0, 0
        while True:
            part, i = _take_until(clips, i, host_s)
            if sum(c.size for c in part) < host_s * SAMPLE_RATE or len(part) < 4:
                break
            hosts.append((f"{source}-{k}", source, part))
            k += 1
    families = {f: [faded(level(load(x))) for x in (sorted(v)[j] for j in rng.permutation(len(v)))]
                for f, v in sorted(fake.items())}
    out: list[Recording] = []
    for h, (name, source, part) in enumerate(hosts):
        out.append(Recording(name, np.concatenate(part), None, source, None))
        for family, clips in families.items():
            start = (h * 3) % len(clips)  # the next host's insert starts three clips further on
            ins, _ = _take_until(clips[start:] + clips[:start], 0, insert_s)
            at = int(rng.integers(1, len(part) - 1))  # a joint that is neither the first nor the last
            before, after = np.concatenate(part[:at]), np.concatenate(part[at:])
            insert = np.concatenate(ins)
            out.append(Recording(f"{name}+{family}", np.concatenate([before, insert, after]),
                                 (before.size, before.size + insert.size), source, family))
    return out


@dataclass(frozen=True)
class ScoredRecording:
    """A recording's chunk P(AI) and each chunk's share of samples that lie in the insert."""

    recording: Recording
    prob_ai: np.ndarray
    inside: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def score_recordings(recordings: Sequence[Recording], predict: Callable[[list[np.ndarray]], np.ndarray],
                     settings: ChunkSettings = ChunkSettings(), channel: str = "clean",
                     progress: Callable[[int, int], None] | None = None) -> list[ScoredRecording]:
    """Chunk each recording as the app does and score it with ``predict`` (chunks -> (n, 2) P(AI),
    P(real), e.g. ``ModelService.predict_proba``), after ``channel`` applied to the whole recording
    (seeded by its position, as ``faik evaluate``)."""
    from detector.evaluate import channel_copy

    out = []
    for i, rec in enumerate(recordings):
        if progress is not None:
            progress(i, len(recordings))
        x = rec.samples if channel == "clean" else channel_copy(rec.samples, SAMPLE_RATE, channel, i)
        spans = plan_chunks(int(x.size), SAMPLE_RATE, settings)
        probs = np.concatenate([np.asarray(predict([x[s.start:s.end] for s in spans[b:b + 8]]))
                                for b in range(0, len(spans), 8)])
        starts = np.array([s.start for s in spans])
        ends = np.array([s.end for s in spans])
        if rec.insert is None:
            inside = np.zeros(len(spans))
        else:
            a, b = rec.insert
            inside = np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None) / (ends - starts)
        out.append(ScoredRecording(rec, probs[:, 0].astype(np.float64), inside, starts, ends))
    return out


def _eer(labels: np.ndarray, scores: np.ndarray) -> float:
    from detector.evaluate import eer

    return float(eer(labels, scores)[0])


def summarise(scored: Sequence[ScoredRecording], threshold: float = 0.5, runs: Sequence[int] = (1, 2, 3)
              ) -> dict[str, object]:
    """Figures for the model card: chunk separation (chunks at least half inside an insert against chunks
    of control recordings), majority verdicts, and for each run length ``k`` how many recordings show
    ``k`` or more consecutive chunks at or above ``threshold`` (spliced: any such run, and one that
    overlaps the insert; controls: any such run = a false flag)."""
    spliced = [s for s in scored if s.recording.insert is not None]
    controls = [s for s in scored if s.recording.insert is None]
    fake_chunks = np.concatenate([s.prob_ai[s.inside >= 0.5] for s in spliced])
    real_chunks = np.concatenate([s.prob_ai for s in controls])
    labels = np.r_[np.ones(fake_chunks.size), np.zeros(real_chunks.size)]
    out: dict[str, object] = {
        "recordings": {"controls": len(controls), "spliced": len(spliced),
                       "mean_duration_s": float(np.mean([s.recording.samples.size for s in scored]) / SAMPLE_RATE),
                       "mean_insert_s": float(np.mean([(s.recording.insert[1] - s.recording.insert[0])
                                                       for s in spliced]) / SAMPLE_RATE)},
        "chunks": {"inside_insert": int(fake_chunks.size), "control": int(real_chunks.size),
                   "eer": _eer(labels, np.r_[fake_chunks, real_chunks]),
                   "inside_called_ai": float(np.mean(fake_chunks >= threshold)),
                   "control_called_ai": float(np.mean(real_chunks >= threshold))},
        "majority_verdict_ai": {"spliced": float(np.mean([majority_says_ai(s.prob_ai >= threshold) for s in spliced])),
                                "controls": float(np.mean([majority_says_ai(s.prob_ai >= threshold) for s in controls]))},
    }
    per_k = {}
    for k in runs:
        def flags(s: ScoredRecording) -> tuple[bool, bool]:
            found = ai_runs(s.prob_ai >= threshold, k)
            return bool(found), any(s.inside[a:b].max() > 0 for a, b in found)
        sp = np.array([flags(s) for s in spliced])
        hours = sum(s.recording.samples.size for s in controls) / SAMPLE_RATE / 3600
        per_k[str(k)] = {"spliced_flagged": float(sp[:, 0].mean()), "spliced_flag_on_insert": float(sp[:, 1].mean()),
                         "controls_flagged": float(np.mean([flags(s)[0] for s in controls])),
                         "control_stretches_per_hour": sum(len(ai_runs(s.prob_ai >= threshold, k))
                                                           for s in controls) / hours}
    out["runs"] = per_k
    fam = defaultdict(list)
    for s in spliced:
        fam[s.recording.family].append(float(np.mean(s.prob_ai[s.inside >= 0.5] >= threshold)))
    out["inside_called_ai_by_family"] = {f: float(np.mean(v)) for f, v in sorted(fam.items())}
    src = defaultdict(list)
    for s in controls:
        src[s.recording.source].append(float(np.mean(s.prob_ai >= threshold)))
    out["control_called_ai_by_source"] = {f: float(np.mean(v)) for f, v in sorted(src.items())}
    return out


def validation_section(summary: dict[str, object], settings: ChunkSettings, seeds: Sequence[int], n_rows: int,
                       min_chunks: int = MIN_STRETCH_CHUNKS, threshold: float = 0.5) -> dict[str, object]:
    """What ``validation.json`` keeps of a clean-channel :func:`summarise` for the app's stretch note
    (:func:`detector.stretches.stretch_note`): the figures of runs of ``min_chunks``."""
    runs = summary["runs"][str(min_chunks)]  # type: ignore[index]
    recs = summary["recordings"]  # type: ignore[assignment]
    return {
        "min_chunks": min_chunks, "chunk_duration": settings.chunk_duration, "overlap": settings.overlap,
        "threshold": threshold, "spliced": recs["spliced"], "controls": recs["controls"],
        "mean_insert_s": round(float(recs["mean_insert_s"]), 2),
        "insert_found": round(float(runs["spliced_flag_on_insert"]), 4),
        "controls_flagged": round(float(runs["controls_flagged"]), 4),
        "per_hour": round(float(runs["control_stretches_per_hour"]), 2),
        "command": "python -m detector.training splice-eval --data DATA --model MODEL --seeds "
                   + ",".join(str(s) for s in seeds)
                   + f" --chunk-duration {settings.chunk_duration:g} --overlap {settings.overlap:g}"
                   + f" --threshold {threshold:g}"
                   + " --validation MODEL/validation.json",
        "source_files": n_rows,
    }


def merge_section(validation: dict[str, object], section: dict[str, object]) -> dict[str, object]:
    """``validation`` with ``section`` among its ``stretches`` (a list, one entry per chunk setting
    and run length), replacing an entry measured at the same settings; sorted by settings."""
    key = ("chunk_duration", "overlap", "min_chunks")
    old = validation.get("stretches") or []
    entries = [e for e in ([old] if isinstance(old, dict) else list(old))
               if isinstance(e, dict) and tuple(e.get(k) for k in key) != tuple(section[k] for k in key)]
    entries.append(section)
    entries.sort(key=lambda e: tuple(float(e[k]) for k in key))
    return {**validation, "stretches": entries}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m detector.training splice-eval --data DIR --model DIR [--channel C] [--json F]``"""
    import argparse

    from detector.atomic import atomic_write_text
    from detector.audio import load_audio
    from detector.evaluate import read_index
    from detector.model_service import ModelService

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="shared data folder with index.csv and audio/")
    p.add_argument("--model", required=True, help="model folder (or hub id) to measure")
    p.add_argument("--split", default="val")
    p.add_argument("--channel", default="clean", help="channel applied to each whole recording (as faik evaluate)")
    p.add_argument("--host-seconds", type=float, default=30.0)
    p.add_argument("--insert-seconds", type=float, default=8.0)
    p.add_argument("--chunk-duration", type=float, default=5.0, help="the app's chunk setting to measure at")
    p.add_argument("--overlap", type=float, default=0.5, help="the app's overlap setting to measure at")
    p.add_argument("--threshold", type=float, default=CHUNK_AI_FROM,
                   help="P(AI) from which a chunk counts as AI-sounding (default: the app's, %(default)s)")
    p.add_argument("--seeds", default="0,1,2",
                   help="comma list: each seed orders the clips and places the inserts anew (the recordings pooled)")
    p.add_argument("--json", help="write the summary here as JSON")
    p.add_argument("--validation", help="add the clean-channel run-of-3 figures at these chunk settings to this "
                                        "validation.json of the model")
    a = p.parse_args(argv)
    settings = ChunkSettings(a.chunk_duration, a.overlap)
    root = Path(a.data)
    rows = read_index(root / "index.csv", split=a.split)
    seeds = [int(x) for x in a.seeds.split(",") if x.strip()]
    service = ModelService()
    info = service.load(a.model, "float32")  # the same figures on every machine (detector.precision)
    validation = None
    if a.validation:  # checked before the minutes of scoring, not after
        if a.channel != "clean":
            p.error("--validation takes the clean-channel figures: leave --channel out")
        validation = json.loads(Path(a.validation).read_text(encoding="utf-8"))
        if validation.get("weights_sha256") != info.weights_sha256:
            p.error(f"{a.validation} belongs to other weights than {a.model}")
    recs = [r for seed in seeds for r in build_recordings(rows, lambda f: load_audio(root / f).samples,
                                                          host_s=a.host_seconds, insert_s=a.insert_seconds, seed=seed)]
    scored = score_recordings(recs, service.predict_proba, settings, channel=a.channel)
    summary = summarise(scored, threshold=a.threshold)
    text = json.dumps(summary, indent=2)
    print(text)
    if a.json:
        atomic_write_text(a.json, text + "\n")
    if validation is not None:
        validation = merge_section(validation, validation_section(summary, settings, seeds, len(rows),
                                                                  threshold=a.threshold))
        atomic_write_text(a.validation, json.dumps(validation, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
