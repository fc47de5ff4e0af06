"""Speech under steady background noise gets a warning: noise makes the detector miss fakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from detector.noise_check import MIN_FRAMES, NOISY_BELOW_DB, noise_warning, speech_to_noise_db
from detector.speech_check import VadFrames, vad_frames

VALIDATION = {"channels": {"noise-20db": {"eer": 0.27, "false_alarm_rate": 0.03, "miss_rate": 0.78, "ece": 0.2}}}


def _sample() -> np.ndarray:
    return sf.read(Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac", dtype="float32")[0]


def _with_noise(x: np.ndarray, snr_db: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    noise = np.random.default_rng(0).standard_normal(len(x)) * rms * 10 ** (-snr_db / 20)
    return (x + noise).astype(np.float32)


def test_snr_is_speech_frames_over_pause_frames():
    prob = np.r_[np.full(MIN_FRAMES, 0.9), np.full(MIN_FRAMES, 0.1), [0.5]]  # the unsure frame is ignored
    energy = np.r_[np.full(MIN_FRAMES, 1e-2), np.full(MIN_FRAMES, 1e-4), [1.0]]
    assert speech_to_noise_db(VadFrames(prob, energy)) == pytest.approx(20.0)
    # too few pauses (a clip spoken in one breath), digital silence, or no VAD: no estimate
    assert speech_to_noise_db(VadFrames(prob[: MIN_FRAMES + 3], energy[: MIN_FRAMES + 3])) is None
    assert speech_to_noise_db(VadFrames(prob, np.where(prob < 0.3, 0.0, energy))) is None
    assert speech_to_noise_db(None) is None


def test_clean_speech_has_no_warning_and_noisy_speech_quotes_the_measured_miss_rate():
    x = _sample()  # 28 s of studio speech with pauses
    assert speech_to_noise_db(vad_frames(x)) > NOISY_BELOW_DB + 10
    assert noise_warning(vad_frames(x), VALIDATION) is None
    noisy = vad_frames(_with_noise(x, 10.0))
    assert speech_to_noise_db(noisy) < NOISY_BELOW_DB
    w = noise_warning(noisy, VALIDATION)
    assert w is not None and "background noise" in w and "missed 78%" in w
    assert "not measured" in noise_warning(noisy, None)  # a model without validation.json


def test_light_noise_is_not_flagged():
    assert noise_warning(vad_frames(_with_noise(_sample(), 40.0)), VALIDATION) is None
