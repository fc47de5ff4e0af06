"""detector.result (aggregation, verdict, contract JSON) and detector.atomic (safe output)."""

from __future__ import annotations

import json
import os
import stat
import sys

import jsonschema
import pytest

from detector.atomic import atomic_write_bytes, atomic_write_text
from detector.chunking import ChunkSettings, ChunkSpan, plan_chunks
from detector.errors import FaikError
from detector.result import (
    DEFAULT_THRESHOLD,
    INCONCLUSIVE_MARGIN,
    AnalysisResult,
    ChunkResult,
    Summary,
    Verdict,
    aggregate,
    load_schema,
    validate_result_dict,
)

SR = 16000
SETTINGS = ChunkSettings(5.0, 0.5)


def chunks_from(probs: list[float], settings: ChunkSettings = SETTINGS) -> list[ChunkResult]:
    n = int(settings.chunk_duration * SR * (1 + (len(probs) - 1) * (1 - settings.overlap))) + 1
    spans = plan_chunks(n, SR, settings)
    assert len(spans) >= len(probs)
    return [ChunkResult.from_probabilities(s, p, 1.0 - p) for s, p in zip(spans, probs)]


# ----------------------------------------------------------------------------- chunk results


def test_chunk_from_probabilities():
    span = ChunkSpan(3, 40000, 120000, SR)
    ai = ChunkResult.from_probabilities(span, 0.8, 0.2)
    assert (ai.chunk_index, ai.start_time, ai.end_time) == (3, 2.5, 7.5)
    assert ai.is_ai_generated and ai.confidence == 0.8
    real = ChunkResult.from_probabilities(span, 0.3, 0.7)
    assert not real.is_ai_generated and real.confidence == 0.7


def test_threshold_is_inclusive_and_configurable():
    span = ChunkSpan(0, 0, 16000, SR)
    assert DEFAULT_THRESHOLD == 0.5
    assert ChunkResult.from_probabilities(span, 0.5, 0.5).is_ai_generated  # P(AI) >= threshold
    assert not ChunkResult.from_probabilities(span, 0.4999, 0.5001).is_ai_generated
    strict = ChunkResult.from_probabilities(span, 0.8, 0.2, threshold=0.9)
    assert not strict.is_ai_generated and strict.confidence == 0.2


def test_chunk_values_are_python_types():
    import numpy as np

    c = ChunkResult.from_probabilities(ChunkSpan(0, 0, 16000, SR), np.float32(0.75), np.float32(0.25))
    assert type(c.prob_ai) is float and type(c.confidence) is float and type(c.is_ai_generated) is bool
    json.dumps(c.to_dict())  # numpy scalars would fail here


def test_chunk_dict_roundtrip_and_keys():
    c = ChunkResult.from_probabilities(ChunkSpan(2, 16000, 32000, SR), 0.9, 0.1)
    d = c.to_dict()
    assert set(d) == {"chunk_index", "start_time", "end_time", "is_ai_generated", "confidence", "class_probabilities"}
    assert d["class_probabilities"] == {"ai_generated": 0.9, "real": 0.1}
    assert ChunkResult.from_dict(d) == c


# ----------------------------------------------------------------------------- aggregation


def test_majority_vote_and_overall_confidence():
    chunks = chunks_from([0.9, 0.8, 0.95, 0.1])
    r = aggregate(chunks, SETTINGS)
    assert r.is_deepfake and r.verdict == Verdict.AI_GENERATED
    assert r.summary.ai_generated_chunks == 3 and r.summary.real_chunks == 1
    assert r.summary.ai_generated_ratio == 0.75
    assert r.mean_prob_ai == pytest.approx((0.9 + 0.8 + 0.95 + 0.1) / 4)
    assert r.overall_confidence == pytest.approx(r.mean_prob_ai)  # mean P(AI) for a deepfake verdict
    assert r.summary.average_confidence == pytest.approx((0.9 + 0.8 + 0.95 + 0.9) / 4)
    assert r.total_chunks == 4 and r.model_loaded
    assert "3 of 4 chunks at P(AI) ≥ 0.5" in r.verdict_reason


def test_a_one_chunk_clip_reads_one_chunk_not_chunks():
    r = aggregate(chunks_from([0.9]), SETTINGS)
    assert "1 of 1 chunk at P(AI)" in r.verdict_reason


def test_real_verdict_uses_mean_p_real():
    r = aggregate(chunks_from([0.1, 0.05, 0.2]), SETTINGS)
    assert not r.is_deepfake and r.verdict == Verdict.REAL
    assert r.overall_confidence == pytest.approx((0.9 + 0.95 + 0.8) / 3)


def test_tie_is_not_a_deepfake_and_is_inconclusive():
    r = aggregate(chunks_from([0.9, 0.1, 0.9, 0.1]), SETTINGS)
    assert not r.is_deepfake  # the seed: more than 50 % needed
    assert r.verdict == Verdict.INCONCLUSIVE and r.verdict_reason.startswith("close vote: 2 of 4")


@pytest.mark.parametrize(
    "probs, verdict",
    [
        ([0.9] * 6 + [0.1] * 4, Verdict.INCONCLUSIVE),  # 60 % AI: within the margin
        ([0.9] * 4 + [0.1] * 6, Verdict.INCONCLUSIVE),  # 40 %
        ([0.9] * 7 + [0.1] * 3, Verdict.AI_GENERATED),  # 70 %
        ([0.9] * 3 + [0.1] * 7, Verdict.REAL),  # 30 %
    ],
)
def test_close_vote_margin(probs, verdict):
    assert INCONCLUSIVE_MARGIN == 0.1
    r = aggregate(chunks_from(probs), SETTINGS)
    assert r.verdict == verdict


def test_unsure_model_is_inconclusive_even_with_a_clear_vote():
    r = aggregate(chunks_from([0.55, 0.58, 0.56, 0.6, 0.52]), SETTINGS)
    assert r.is_deepfake and r.summary.ai_generated_ratio == 1.0
    assert r.verdict == Verdict.INCONCLUSIVE and "unsure" in r.verdict_reason and "0.56" in r.verdict_reason


def test_no_chunks():
    r = aggregate([], SETTINGS)
    assert r.verdict == Verdict.INCONCLUSIVE and r.verdict_reason == "no audio was analysed"
    assert not r.is_deepfake and r.total_chunks == 0 and r.overall_confidence == 0.0
    validate_result_dict(r.to_dict())


def test_summary_carries_settings_and_provenance_is_copied():
    prov = {"app": {"name": "fAIk Desktop"}}
    r = aggregate(chunks_from([0.2]), ChunkSettings(2.0, 0.25), provenance=prov)
    assert (r.summary.chunk_duration_seconds, r.summary.overlap_ratio) == (2.0, 0.25)
    prov["app"] = "changed"
    assert r.provenance == {"app": {"name": "fAIk Desktop"}}  # not aliased


# ----------------------------------------------------------------------------- contract JSON


def test_to_dict_validates_and_keeps_extras_under_provenance():
    r = aggregate(chunks_from([0.9, 0.2, 0.7]), SETTINGS, provenance={"input": {"name": "x.wav"}})
    d = r.to_dict()
    validate_result_dict(d)
    assert set(d) == {"is_deepfake", "overall_confidence", "model_loaded", "total_chunks", "chunks", "summary",
                      "provenance"}
    assert d["total_chunks"] == len(d["chunks"]) == 3
    v = d["provenance"]["verdict"]
    assert v["label"] == r.verdict.value and v["reason"] == r.verdict_reason
    assert v["mean_probability_ai_generated"] == r.mean_prob_ai and v["inconclusive_margin"] == INCONCLUSIVE_MARGIN
    assert d["provenance"]["input"] == {"name": "x.wav"}
    assert "verdict" not in r.provenance  # to_dict does not mutate the result


def test_json_roundtrip_is_exact():
    r = aggregate(chunks_from([0.91, 0.12, 0.77, 0.66]), SETTINGS,
                  provenance={"input": {"name": "Zoë — 北京.wav"}, "warnings": ["w"]})
    text = r.to_json()
    assert "Zoë — 北京.wav" in text  # ensure_ascii=False: names stay readable
    back = AnalysisResult.from_dict(json.loads(text))
    assert back == r


def test_from_dict_of_a_seed_style_result_without_provenance():
    r = aggregate(chunks_from([0.9, 0.8, 0.1]), SETTINGS)
    d = r.to_dict()
    del d["provenance"]
    back = AnalysisResult.from_dict(d)
    assert back.verdict == Verdict.AI_GENERATED and back.verdict_reason == ""
    assert back.mean_prob_ai == pytest.approx(r.mean_prob_ai)
    assert back.provenance == {}


def test_from_dict_rejects_invalid_json():
    d = aggregate(chunks_from([0.9]), SETTINGS).to_dict()
    d["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        AnalysisResult.from_dict(d)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("summary"),
        lambda d: d.__setitem__("overall_confidence", 1.5),
        lambda d: d["chunks"][0].__setitem__("confidence", -0.1),
        lambda d: d["chunks"][0]["class_probabilities"].pop("real"),
        lambda d: d["summary"].__setitem__("chunk_duration_seconds", 0.5),
        lambda d: d["summary"].__setitem__("overlap_ratio", 0.95),
        lambda d: d.__setitem__("is_deepfake", "yes"),
    ],
)
def test_schema_catches_broken_results(mutate):
    d = aggregate(chunks_from([0.9, 0.3]), SETTINGS).to_dict()
    mutate(d)
    with pytest.raises(jsonschema.ValidationError):
        validate_result_dict(d)


def test_nan_is_never_written_as_json():
    c = ChunkResult(0, 0.0, 1.0, float("nan"), float("nan"), False, float("nan"))
    r = aggregate([c], SETTINGS)
    with pytest.raises(ValueError):
        r.to_json()


def test_packaged_schema_is_the_shared_contract():
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "contract" / "analysis-result.schema.json"
    if not shared.exists():
        pytest.skip("shared contract not present")
    assert load_schema() == json.loads(shared.read_text("utf-8"))


def test_summary_roundtrip():
    s = Summary(4, 3, 1, 0.75, 0.9, 5.0, 0.5)
    assert Summary.from_dict(s.to_dict()) == s


# ----------------------------------------------------------------------------- atomic output


def test_atomic_write_creates_and_replaces(tmp_path):
    p = tmp_path / "out.json"
    assert atomic_write_text(p, "first") == p
    atomic_write_text(p, "second — ünïcode")
    assert p.read_text("utf-8") == "second — ünïcode"
    assert [x.name for x in tmp_path.iterdir()] == ["out.json"]


def test_atomic_write_failure_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    p = tmp_path / "out.json"
    p.write_text("old", "utf-8")

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write_bytes(p, b"new")
    assert p.read_text("utf-8") == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["out.json"]


def test_atomic_write_interrupted_mid_write(tmp_path, monkeypatch):
    """Even a KeyboardInterrupt during fsync leaves no half file and no temp file."""
    p = tmp_path / "out.json"
    p.write_text("old", "utf-8")

    def interrupt(_fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(p, "new")
    assert p.read_text("utf-8") == "old" and len(list(tmp_path.iterdir())) == 1


def test_atomic_write_refuses_protected_input(tmp_path):
    src = tmp_path / "evidence.wav"
    src.write_bytes(b"RIFF....")
    with pytest.raises(FaikError, match="refusing to overwrite the input file"):
        atomic_write_text(src, "x", protect=[src])
    alias = tmp_path / "link.wav"
    os.link(src, alias)  # same file under another name
    with pytest.raises(FaikError):
        atomic_write_text(alias, "x", protect=[str(src)])
    assert src.read_bytes() == b"RIFF...."
    atomic_write_text(tmp_path / "report.html", "ok", protect=[src, tmp_path / "missing.wav"])


def test_atomic_write_missing_folder(tmp_path):
    with pytest.raises(FaikError, match="does not exist"):
        atomic_write_text(tmp_path / "nope" / "out.json", "x")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_atomic_write_gives_normal_permissions(tmp_path):
    """mkstemp's private 0600 must not leak into exports; existing files keep their mode."""
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "new.json", "x")
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        p.chmod(0o640)
        atomic_write_text(p, "y")
        assert stat.S_IMODE(p.stat().st_mode) == 0o640
    finally:
        os.umask(old)
