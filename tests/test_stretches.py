"""AI-sounding stretches: found in the chunks, noted on recordings not called AI-generated as a whole."""

from __future__ import annotations

import numpy as np
import pytest

from faik_testkit import PeakService
from detector.analysis import analyze_audio
from detector.audio import AudioInfo, DecodedAudio
from detector.chunking import ChunkSettings, plan_chunks
from detector.result import ChunkResult, validate_result_dict
from detector.stretches import Stretch, ai_runs, find_ai_stretches, stretch_figures, stretch_note

SR = 16000
FIGURES = {"stretches": {"min_chunks": 3, "chunk_duration": 5.0, "overlap": 0.5, "threshold": 0.65,
                         "spliced": 1152, "controls": 72, "mean_insert_s": 9.8, "insert_found": 0.68,
                         "controls_flagged": 0.05, "per_hour": 4.4}}


def _chunks(p_ai: list[float], settings: ChunkSettings = ChunkSettings()) -> list[ChunkResult]:
    hop = settings.chunk_duration * (1 - settings.overlap)
    n = int(round((settings.chunk_duration + hop * (len(p_ai) - 1)) * SR))
    spans = plan_chunks(n, SR, settings)
    assert len(spans) == len(p_ai)
    return [ChunkResult.from_probabilities(s, p, 1 - p) for s, p in zip(spans, p_ai)]


def test_runs_are_half_open_ranges_of_at_least_the_asked_length():
    flags = [1, 1, 0, 1, 1, 1, 0, 0, 1]
    assert ai_runs(flags, 1) == [(0, 2), (3, 6), (8, 9)]
    assert ai_runs(flags, 2) == [(0, 2), (3, 6)]
    assert ai_runs(flags, 3) == [(3, 6)]
    assert ai_runs(flags, 4) == []
    assert ai_runs([], 1) == [] and ai_runs(np.ones(5, bool), 5) == [(0, 5)]
    with pytest.raises(ValueError, match="at least 1 chunk"):
        ai_runs(flags, 0)


def test_stretches_carry_times_chunk_counts_and_mean_probability():
    chunks = _chunks([0.1, 0.2, 0.9, 0.7, 0.8, 0.3, 0.66, 0.66, 0.1])  # 5 s chunks every 2.5 s
    found = find_ai_stretches(list(reversed(chunks)))  # order of the input does not matter
    assert found == [Stretch(5.0, 15.0, 3, pytest.approx(0.8))]
    assert find_ai_stretches(chunks, min_chunks=2)[1] == Stretch(15.0, 22.5, 2, pytest.approx(0.66))
    # Unsure chunks (P(AI) 0.35-0.65) are not AI-sounding: three at 0.6 in a row are no stretch.
    assert find_ai_stretches(_chunks([0.6, 0.6, 0.6, 0.1])) == []


def test_note_only_when_the_file_is_not_called_ai_and_quotes_matching_figures():
    mostly_real = _chunks([0.1, 0.2, 0.9, 0.7, 0.8, 0.3, 0.1, 0.2, 0.1])
    found = find_ai_stretches(mostly_real)
    note = stretch_note(found, mostly_real, ChunkSettings(), FIGURES)
    assert note.startswith("00:05.0–00:15.0 sounds AI-generated (at least 3 AI-sounding chunks in a row, P(AI) ≥ 0.65)")
    # figures measured at the seed's 0.5 threshold do not describe runs of AI-sounding chunks
    at_half = {"stretches": {**FIGURES["stretches"], "threshold": 0.5}}
    assert "68%" not in stretch_note(found, mostly_real, ChunkSettings(), at_half)
    assert "68%" in note and "about 4 times per hour" in note and "10 s of AI speech in another voice" in note
    assert "own voice was found far less often" in note  # the figures are an upper bound: said where quoted
    # other chunk settings or no figures: the stretch is still pointed at, the figures are not claimed
    other = stretch_note(found, mostly_real, ChunkSettings(4.0, 0.5), FIGURES)
    assert other is not None and "was not measured" in other and "68%" not in other
    assert "was not measured" in stretch_note(found, mostly_real, ChunkSettings(), None)
    assert stretch_figures(FIGURES, ChunkSettings(5.0, 0.25)) is None
    # several settings measured: the entry of the result's own settings is quoted
    at3 = {**FIGURES["stretches"], "chunk_duration": 3.0, "insert_found": 0.41}
    listed = {"stretches": [at3, FIGURES["stretches"]]}
    assert stretch_figures(listed, ChunkSettings(3.0, 0.5))["insert_found"] == 0.41
    assert stretch_figures(listed, ChunkSettings())["insert_found"] == 0.68
    assert "41%" in stretch_note(found, mostly_real, ChunkSettings(3.0, 0.5), listed)
    assert stretch_figures({"stretches": {"min_chunks": "x"}}, ChunkSettings()) is None
    # nothing to say: no stretch, or the whole file is called AI-generated anyway
    assert stretch_note([], mostly_real, ChunkSettings(), FIGURES) is None
    mostly_ai = _chunks([0.9, 0.8, 0.9, 0.2, 0.7])
    assert stretch_note(find_ai_stretches(mostly_ai), mostly_ai, ChunkSettings(), FIGURES) is None


def test_a_long_passage_that_leaves_the_verdict_inconclusive_is_still_pointed_at():
    # 4 of 7 chunks AI (57 %): the majority leans AI, but the vote is too close to call, so the
    # verdict is inconclusive and the stretch is where the user should listen.
    close = _chunks([0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1])
    note = stretch_note(find_ai_stretches(close), close, ChunkSettings(), FIGURES)
    assert note is not None and note.startswith("00:05.0–00:17.5 sounds AI-generated")
    assert "although the verdict on the whole recording is inconclusive" in note
    assert "most of the recording does not" not in note


def test_many_stretches_are_listed_up_to_three():
    p = [0.9, 0.9, 0.9, 0.1] * 5 + [0.1] * 30
    chunks = _chunks(p)
    note = stretch_note(find_ai_stretches(chunks), chunks, ChunkSettings(), None)
    assert note.count("–") == 3 and "and 2 more" in note and note.split(" and 2 more ")[1].startswith("sound ")
    assert "listen to them closely" in note


def test_analysis_reports_the_fabricated_passage_of_a_mostly_real_recording():
    t = np.arange(40 * SR) / SR
    amp = np.where((t >= 15) & (t < 27), 0.9, 0.2)  # "AI" from 15 to 27 s
    x = (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    info = AudioInfo(path="/tmp/interview.wav", name="interview.wav", size_bytes=1, sha256="ab" * 32,
                     container="wav", codec="pcm_s16le", sample_rate=SR, channels=1, duration_s=40.0)
    result = analyze_audio(DecodedAudio(x, SR, info), PeakService(FIGURES))
    assert not result.is_deepfake  # 6 of 15 chunks: the majority vote says real
    assert result.provenance["ai_stretches"] == [
        {"start_time": 12.5, "end_time": 30.0, "chunks": 6, "mean_prob_ai": pytest.approx(0.9, abs=1e-6)}]
    assert any(w.startswith("00:12.5–00:30.0 sounds AI-generated") for w in result.provenance["warnings"])
    validate_result_dict(result.to_dict())
    # a wholly "real" recording: no stretch, no note
    quiet = analyze_audio(DecodedAudio((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), SR, info),
                          PeakService(FIGURES))
    assert quiet.provenance["ai_stretches"] == []
    assert not any("in a row" in w for w in quiet.provenance["warnings"])


def test_the_rate_of_false_stretches_is_said_in_words():
    from detector.stretches import how_often

    assert [how_often(x) for x in (0.3, 1.35, 2.2, 6.24)] == [
        "less than once", "about once", "about twice", "about 6 times"]

