"""Speech through a neural noise suppressor (a call app's) is recognised: the model calls most such
real recordings AI-generated, so the verdict must not be read on the clean channel's evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from detector.channel_check import recording_channel
from detector.linear_check import LinearCheck
from detector.reverb_check import MIN_SECONDS
from detector.suppression_check import (CHANNEL, FEATURES, load_suppression_check, looks_suppressed,
                                        suppression_features, suppression_warning)
from detector.training.fit_suppression_check import fit
from detector.wording import UNMEASURED_REASONS

VALIDATION = {"channels": {CHANNEL: {"eer": 0.28, "false_alarm_rate": 0.66, "miss_rate": 0.1, "ece": 0.3}}}


def _sample() -> np.ndarray:
    return sf.read(Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac", dtype="float32")[0]


def _call(x: np.ndarray, seed: int = 0) -> np.ndarray:
    pytest.importorskip("pyrnnoise", reason="the neural suppressor is in the test extra: pip install pyrnnoise==0.4.5")
    from detector.channels import neural_call

    return neural_call(x, 16000, np.random.default_rng(seed))


def test_features_need_a_second_of_sound_at_16_khz():
    x = _sample()
    assert suppression_features(x[: int(MIN_SECONDS * 16000) - 1]) is None
    assert suppression_features(np.zeros(32000, np.float32)) is None  # digital silence
    assert suppression_features(x, 8000) is None
    f = suppression_features(x)
    assert f.shape == (525,) and np.isfinite(f).all()
    np.testing.assert_array_equal(f, suppression_features(x.copy()))  # deterministic
    np.testing.assert_allclose(suppression_features(x * 0.1), f, atol=1e-4)  # level does not matter


def test_shipped_check_flags_the_sample_through_a_suppressed_call_and_not_clean():
    check = load_suppression_check()
    assert check is not None, "resources/checks/suppression-check.json is missing"
    assert check.features == FEATURES
    x = _sample()
    assert not looks_suppressed(x, 16000, check)
    assert looks_suppressed(_call(x), 16000, check)


def test_shipped_check_carries_its_measured_rates():
    measured = load_suppression_check().measured
    assert "fit-suppression-check" in measured["command"]
    val = measured["val_flagged"]
    # what the module doc and the model card claim: most suppressed calls, few of the rest
    assert val[CHANNEL]["real"] > 0.5
    assert val["clean"]["real"] < 0.1 and val["clean"]["ai"] < 0.1


def test_the_warning_quotes_the_models_measured_false_alarms():
    assert "66%" in suppression_warning(VALIDATION) and "neural noise suppressor" in suppression_warning(VALIDATION)
    assert "verdict" not in suppression_warning(VALIDATION)  # no headline figure measured: none quoted
    measured = {"channels": {CHANNEL: {**VALIDATION["channels"][CHANNEL], "headline_false_alarm_rate": 0.04}}}
    assert "pointed 4% of them to AI-generated speech" in suppression_warning(measured)
    assert "not measured" in suppression_warning(None)


def test_a_suppressed_recording_is_judged_on_the_suppressed_call_channel():
    x = _sample()
    assert recording_channel(x, 16000, "opus") == "opus-24k"
    assert recording_channel(x, 16000, "opus", suppressed=True) == CHANNEL


def test_a_missing_or_broken_check_file_means_no_flag_not_a_crash(tmp_path: Path):
    assert load_suppression_check(str(tmp_path / "missing.json")) is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"mean": [1, 2], "std": [1], "coef": [1, 2], "intercept": 0, "threshold": 0}')
    assert load_suppression_check(str(bad)) is None
    # a check for other features (the wrong length) flags nothing
    other = LinearCheck(np.zeros(3), np.ones(3), np.ones(3), 0.0, -1e9, {})
    assert not looks_suppressed(_sample(), 16000, other)


def test_fit_separates_and_sets_the_threshold_at_two_percent_of_the_other_copies():
    rng = np.random.default_rng(0)
    other = rng.standard_normal((600, 5))
    call = rng.standard_normal((100, 5)) + np.array([5.0, 0, 0, 0, 0])
    check = fit(np.r_[other, call], np.array(["clean"] * 600 + [CHANNEL] * 100))
    flagged = np.array([check.flags(f) for f in np.r_[other, call]])
    assert flagged[:600].mean() == pytest.approx(0.02, abs=0.005)
    assert flagged[600:].mean() > 0.95
    again = LinearCheck.from_dict(check.to_dict())
    assert again.features == FEATURES and again.score(call[0]) == pytest.approx(check.score(call[0]))


def test_the_built_in_model_judges_a_suppressed_call_on_its_own_channel_and_says_why():
    """The sample (v12: weak support for AI-generated speech on clean audio) through a call with a neural
    suppressor: the result carries the note, and its evidence is read on the suppressed-call channel —
    "cannot judge" where the model's evidence map was never fitted there."""
    from detector.analysis import analyze_audio
    from detector.audio import AudioInfo, DecodedAudio
    from detector.model_service import BUILTIN_MODEL_DIR, ModelService

    if not (BUILTIN_MODEL_DIR / "config.json").is_file():
        pytest.skip("built-in model not installed yet")
    svc = ModelService()
    svc.load(None)

    def analyse(x: np.ndarray):
        info = AudioInfo(path="/tmp/call.wav", name="call.wav", size_bytes=1, sha256="ab" * 32, container="wav",
                         codec="pcm_s16le", sample_rate=16000, channels=1, duration_s=len(x) / 16000)
        return analyze_audio(DecodedAudio(samples=x, sample_rate=16000, info=info), svc).provenance

    x = _sample()
    clean = analyse(x)
    assert clean["evidence"]["channel"] == "clean"
    assert not any("neural noise suppressor" in w for w in clean["warnings"])
    call = analyse(_call(x))
    assert sum("neural noise suppressor" in w for w in call["warnings"]) == 1
    # the suppressor makes the whole call sound AI-made: no note sends the user to "AI-sounding" passages
    assert call["ai_stretches"] and not any("sounds AI-generated" in w for w in call["warnings"])
    ev = call["evidence"]
    assert ev["channel"] == CHANNEL
    if CHANNEL not in (svc.info.evidence or {}).get("channels", {}):
        assert ev["outcome"] == "cannot-judge" and ev["cannot_judge_reason"] == UNMEASURED_REASONS[CHANNEL]
    else:  # the map was fitted on dev's suppressed copies: a stated verdict, read on that channel
        assert ev["stated"] and ev["outcome"] != "cannot-judge" and ev["likelihood_ratio"] is not None


def test_a_model_whose_map_lacks_the_suppressed_call_channel_cannot_judge_it_and_says_why_in_words():
    """A flagged recording goes to the ``call-neural`` channel; a map without it gives "cannot judge" with
    the suppressor named, not the generic list of measured channels."""
    import dataclasses

    from detector.evidence import load_evidence
    from detector.model_service import BUILTIN_MODEL_DIR
    from detector.wording import assess

    emap = load_evidence(BUILTIN_MODEL_DIR)
    if emap is None:
        pytest.skip("built-in model not installed yet")
    without = dataclasses.replace(emap, channels={k: v for k, v in emap.channels.items() if k != CHANNEL})
    ev = assess(0.8, [0.8, 0.8], without, CHANNEL)
    assert ev["outcome"] == "cannot-judge" and ev["cannot_judge_reason"] == UNMEASURED_REASONS[CHANNEL]
    generic = assess(0.8, [0.8, 0.8], without, "amr-12k")  # no words of its own: the generic reason
    assert generic["outcome"] == "cannot-judge" and "never measured on mobile-phone audio (measured:" in generic[
        "cannot_judge_reason"]
    assert assess(0.8, [0.8, 0.8], emap, CHANNEL)["outcome"] != "cannot-judge"
