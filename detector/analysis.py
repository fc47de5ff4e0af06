"""One recording in, one :class:`~detector.result.AnalysisResult` out.

``analyze_file`` decodes (:mod:`detector.audio`) and calls ``analyze_audio``,
which plans chunks (:func:`detector.chunking.plan_chunks`: the tail and short
clips are covered), classifies them in batches with a loaded
:class:`~detector.model_service.ModelService` (batches side by side on the free cores,
:mod:`detector.parallel_calls`), reports progress, checks for
cancellation between batches, streams each chunk's answer, and aggregates
them with :func:`detector.result.aggregate`. The provenance block records what
was analysed, with which model and settings, and when.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

import detector
from detector.channel_check import (NARROWBAND_FRACTION, high_band_fraction, lossy_codec_warning, narrowband_warning,
                                    recording_channel)
from detector.chunking import ChunkSettings, ChunkSpan, plan_chunks
from detector.errors import AnalysisCancelled, AudioDecodeError, ModelNotReadyError, SettingsError
from detector.evidence import EvidenceMap
from detector.result import DEFAULT_THRESHOLD, AnalysisResult, ChunkResult, aggregate, file_verdict
from detector.noise_check import noise_warning
from detector.parallel_calls import ThreadSpread
from detector.reverb_check import reverb_warning
from detector.suppression_check import looks_suppressed, suppression_warning
from detector.speech_check import (cannot_judge_reason, no_speech_warning, short_recording_warning, speech_fraction,
                                   vad_frames)
from detector.stretches import find_ai_stretches, stretch_note
from detector.wording import assess
from detector.threads import ThreadGovernor, limit_numpy_blas_threads

if TYPE_CHECKING:  # pragma: no cover
    from detector.audio import DecodedAudio
    from detector.model_service import ModelService

APP_NAME = "fAIk Desktop"
MAX_BATCH_SIZE = 256
#: Audio per model call when the batch size is not given: 16 chunks of 5 s. Measured on the built-in model
#: (2 threads, 192 chunks of real speech, medians of six alternating rounds): in bfloat16 16 chunks a call
#: took 4.70 ms a chunk against 5.24 ms for 8 (the LSTM runs fuller batches), in float32 8.97 against 9.11 ms;
#: 24 chunks were no faster in bfloat16 and 9 % slower in float32. Counting audio rather than chunks keeps
#: long chunks from piling up memory: a 10-minute file at 30-s chunks peaked at 1.08 GB with 16 a call and
#: 0.79 GB with 8; this rule gives 3.
AUDIO_PER_CALL_S = 80.0


def default_batch_size(chunk_duration: float) -> int:
    """Chunks per model call when the user names none: about ``AUDIO_PER_CALL_S`` of audio (16 chunks of
    5 s, 3 of 30 s, 80 of 1 s), at least 1 and at most ``MAX_BATCH_SIZE``."""
    return int(max(1, min(MAX_BATCH_SIZE, round(AUDIO_PER_CALL_S / float(chunk_duration)))))

STATEMENT = (
    "This is statistical evidence from one detection model, not proof: it can miss generators it has "
    "not seen and can flag real speech after heavy processing (codecs, phone lines, noise); "
    "corroborate with other evidence before acting on it."
)

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]
ChunkFn = Callable[[ChunkResult], None]
#: Picks torch's thread count from the free cores when the user named none (one per process: its
#: looks compare with the previous one, so a batch of short files costs no extra look each).
THREADS = ThreadGovernor()


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse: the seed's chunk settings plus batch size (``None``: :func:`default_batch_size`)
    and thread count (``None``: chosen from the free cores before each batch)."""

    settings: ChunkSettings = field(default_factory=ChunkSettings)
    batch_size: int | None = None
    num_threads: int | None = None

    @property
    def chunks_per_call(self) -> int:
        """The batch size in effect: the one given, else about ``AUDIO_PER_CALL_S`` of audio."""
        if self.batch_size is not None:
            return self.batch_size
        return default_batch_size(self.settings.chunk_duration)

    def __post_init__(self) -> None:
        b = self.batch_size
        if b is not None and (isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= MAX_BATCH_SIZE):
            raise SettingsError(f"batch size must be a whole number from 1 to {MAX_BATCH_SIZE} (got {b!r})")
        t = self.num_threads
        if t is not None and (isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= 1024):
            raise SettingsError(f"thread count must be a whole number of at least 1 (got {t!r})")


def thread_count(options: AnalysisOptions) -> Callable[[], int]:
    """The thread count for the model, asked before each batch: the one the user named, else the free
    cores (:data:`THREADS`, which looks again every few seconds)."""
    named = options.num_threads
    return THREADS.decide if named is None else (lambda: named)


def resumable_chunks(resume: Sequence[ChunkResult], spans: Sequence[ChunkSpan]) -> list[ChunkResult]:
    """``resume`` as a list, after checking that it is the start of the chunk plan ``spans`` (same
    indices and times, to the microsecond): a cancelled run's chunks fit only the settings they were
    made with. Raises :class:`SettingsError` otherwise."""
    kept = list(resume)
    if len(kept) > len(spans):
        raise SettingsError(f"{len(kept)} chunks to resume from, but this recording has only {len(spans)}")
    for chunk, span in zip(kept, spans):
        if (chunk.chunk_index != span.index or abs(chunk.start_time - span.start_time) > 1e-6
                or abs(chunk.end_time - span.end_time) > 1e-6):
            raise SettingsError(f"chunk {chunk.chunk_index} to resume from ({chunk.start_time:g}-{chunk.end_time:g} s) "
                                f"does not match this analysis's chunk {span.index} ({span.start_time:g}-"
                                f"{span.end_time:g} s): were the chunk settings changed?")
    return kept


def warm_up(service: "ModelService") -> None:
    """Load the speech check's VAD and let the model answer one chunk (:meth:`ModelService.warm_up`),
    so the first file's analysis does not pay for their set-up.

    Why: a caller that shows "model ready" (the window) should mean what the benchmark means by it —
    loaded and a first chunk answered. About 0.1 s once on this project's 2-core machine; the
    window's first 2-minute file then ran 0.73 -> 0.68 s (issue 34: the window at the CLI's speed)."""
    vad_frames((0.01 * np.random.default_rng(0).standard_normal(2 * 16000)).astype(np.float32))
    service.warm_up()


def utc_now_iso() -> str:
    """Current UTC time as ISO 8601 with a ``Z`` suffix, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def analyze_audio(
    audio: "DecodedAudio",
    service: "ModelService",
    options: AnalysisOptions = AnalysisOptions(),
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    on_chunk: ChunkFn | None = None,
    resume: Sequence[ChunkResult] = (),
) -> AnalysisResult:
    """Classify every chunk of ``audio`` and aggregate (see the module docstring).

    ``progress(done, total)`` is called once with ``(done so far, total)`` and after each
    batch; ``cancel()`` is polled before each batch and raises
    :class:`AnalysisCancelled` when it returns True; ``on_chunk`` receives each
    chunk's result as soon as its batch is done (for a live display).

    ``resume``: the chunks a cancelled earlier run classified, from the first on, of the *same*
    recording with the same model and settings (the caller checks the file's hash and the model's
    weights). They are kept as they are, passed to ``on_chunk`` first, and the analysis continues
    after them; the result's provenance records how many (``resumed_chunks``). Why: cancelling at
    80 % of a 3-hour file and starting again should not cost the first 80 % twice. Chunks whose
    times do not match this run's chunk plan raise :class:`SettingsError`.
    """
    started = utc_now_iso()
    info = service.info
    if info is None or not service.is_ready():
        raise ModelNotReadyError("no model is loaded; load a model before analysing")
    if audio.sample_rate != info.sample_rate:
        raise SettingsError(
            f"audio is at {audio.sample_rate} Hz but the model expects {info.sample_rate} Hz; decode with load_audio()"
        )
    samples = audio.samples
    if samples.ndim != 1 or samples.size == 0:
        raise AudioDecodeError(f"{audio.info.name}: no audio samples to analyse")
    limit_numpy_blas_threads()  # numpy's spinning BLAS threads would take a core from the model's

    settings = options.settings
    spans = plan_chunks(int(samples.size), audio.sample_rate, settings)
    total = len(spans)
    results: list[ChunkResult] = resumable_chunks(resume, spans)
    from detector.audio import PageReleaser

    # A long recording is memory-mapped (detector.audio): the pages behind the chunks go back as the
    # analysis moves on, so a 3-hour file is never resident as a whole.
    pages = PageReleaser(samples)
    if on_chunk is not None:
        for chunk in results:
            on_chunk(chunk)
    if progress is not None:
        progress(len(results), total)
    per_call = options.chunks_per_call
    # The thread count (the user's, else the free cores, looked at again every few seconds so that a
    # neighbour that starts or stops mid-file is seen) is spread over batches classified side by side.
    spread = ThreadSpread(thread_count(options))
    # Slices are views: a 3-hour recording is never copied chunk by chunk.
    calls = spread.calls(lambda batch: service.predict_proba([samples[s.start:s.end] for s in batch]))
    batches = (spans[first:first + per_call] for first in range(len(results), total, per_call))
    for batch, probs in calls.run(batches, stop=cancel):
        for span, (p_ai, p_real) in zip(batch, probs):
            chunk = ChunkResult.from_probabilities(span, float(p_ai), float(p_real), DEFAULT_THRESHOLD)
            results.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
        if progress is not None:
            progress(len(results), total)
        nxt = len(results)  # the first chunk not yet answered; the calls in flight read only after it
        pages.upto(spans[nxt].start if nxt < total else samples.size)
    if calls.stopped:
        raise AnalysisCancelled(f"analysis of {audio.info.name} cancelled after {len(results)} of {total} chunks")
    spread.apply_here()  # the free cores now, for the checks below (the VAD is a torch model too)

    warnings = list(audio.warnings)
    validation = getattr(info, "validation", None)
    frames = vad_frames(samples, audio.sample_rate)  # one VAD pass for the speech and noise checks
    echo = reverb_warning(samples, audio.sample_rate, validation)
    # A room's echo fills the pauses between words, which the noise check reads as background noise;
    # when the echo is recognised, the noise note would only mis-name its cause (the advice is the
    # same, and the echo note quotes the larger miss rate), so it is left out.
    noise = None if echo is not None else noise_warning(frames, validation)
    duration_s = len(samples) / audio.sample_rate
    high_band = high_band_fraction(samples, audio.sample_rate)  # one pass for the channel and its warning
    # Speech through a neural noise suppressor (a call app's) sounds AI-made to the model: such a recording
    # is judged on that channel's evidence map, which the shipped map may lack (then: cannot judge). The
    # check learnt wideband calls only, so telephone-band audio stays on the telephone channel.
    suppressed = not high_band < NARROWBAND_FRACTION and looks_suppressed(samples, audio.sample_rate)
    # The outcome: support for AI-generated or real speech at a stated strength, inconclusive, or cannot
    # judge (detector.wording; the likelihood ratio from the model's evidence map for this channel).
    emap_dict = getattr(info, "evidence", None)
    emap = EvidenceMap.from_dict(emap_dict) if isinstance(emap_dict, dict) else None
    probs = [c.prob_ai for c in results]
    vote, vote_reason = file_verdict(results)
    evidence = assess(float(sum(probs) / len(probs)) if probs else 0.0, probs, emap,
                      recording_channel(samples, audio.sample_rate, audio.info.codec, fraction=high_band,
                                        suppressed=suppressed),
                      cannot_judge_reason(duration_s, speech_fraction(samples, audio.sample_rate, frames)),
                      (vote.value, vote_reason))
    stretches = find_ai_stretches(results)
    # The stretch note's figures hold for unprocessed speech; a suppressor makes whole recordings sound
    # AI-made, so on such a recording its note (which says that) stands in for the stretch note.
    for note in (None if suppressed else stretch_note(stretches, results, settings, validation,
                                                      outcome=evidence["outcome"]),
                 short_recording_warning(duration_s),
                 no_speech_warning(samples, audio.sample_rate, frames),
                 narrowband_warning(samples, audio.sample_rate, validation, audio.info.codec, fraction=high_band),
                 lossy_codec_warning(audio.info.codec, validation),
                 noise, echo, suppression_warning(validation) if suppressed else None):
        if note is not None:
            warnings.append(note)
    provenance = build_provenance(audio, info.to_dict(), options, started, warnings)
    provenance["ai_stretches"] = [st.to_dict() for st in stretches]
    if resume:
        # the audit trail says which chunks an earlier, cancelled run classified
        provenance["resumed_chunks"] = len(resume)
    return aggregate(results, settings, model_loaded=True, provenance=provenance, evidence=evidence)


def build_provenance(
    audio: "DecodedAudio",
    model: dict[str, Any],
    options: AnalysisOptions,
    started_at: str,
    warnings: list[str],
) -> dict[str, Any]:
    """The ``provenance`` block: what was analysed, with what, how, when, and what it means."""
    i = audio.info
    return {
        "input": {
            "name": i.name,
            "path": i.path,
            "size_bytes": int(i.size_bytes),
            "sha256": i.sha256,
            "container": i.container,
            "codec": i.codec,
            "sample_rate": int(i.sample_rate),
            "channels": int(i.channels),
            "duration_s": float(i.duration_s),
        },
        "decoded": {
            "sample_rate": int(audio.sample_rate),
            "duration_s": float(audio.duration_s),
            "num_samples": int(audio.samples.size),
        },
        "model": model,
        "settings": {
            "chunk_duration": float(options.settings.chunk_duration),
            "overlap": float(options.settings.overlap),
            "batch_size": int(options.chunks_per_call),
            "num_threads": options.num_threads,
            "threshold": DEFAULT_THRESHOLD,
        },
        "app": {"name": APP_NAME, "version": detector.__version__},
        "started_at": started_at,
        "finished_at": utc_now_iso(),
        "warnings": list(warnings),
        "statement": STATEMENT,
    }


def analyze_file(
    path: str | os.PathLike,
    service: "ModelService",
    options: AnalysisOptions = AnalysisOptions(),
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    on_chunk: ChunkFn | None = None,
    decode_progress: Callable[[float], None] | None = None,
    resume: Sequence[ChunkResult] = (),
) -> AnalysisResult:
    """Decode ``path`` to 16 kHz mono and :func:`analyze_audio` it; the file is only read.

    ``decode_progress(fraction)`` reports decoding (0..1) before chunk progress starts.
    """
    from detector.audio import load_audio

    if not service.is_ready():
        raise ModelNotReadyError("no model is loaded; load a model before analysing")
    audio = load_audio(path, progress=decode_progress, cancel=cancel)
    return analyze_audio(audio, service, options, progress=progress, cancel=cancel, on_chunk=on_chunk, resume=resume)
