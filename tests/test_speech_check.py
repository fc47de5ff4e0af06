"""Recordings with little or no speech get a warning: the detector's verdict on noise means nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from detector.speech_check import MIN_SPEECH_FRACTION, no_speech_warning, speech_fraction


def _sample() -> np.ndarray:
    here = Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac"
    return sf.read(here, dtype="float32")[0]


def test_speech_has_a_high_fraction_and_no_warning():
    x = _sample()
    assert speech_fraction(x) > 0.5
    assert no_speech_warning(x) is None


def test_noise_and_tones_are_flagged():
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(16000 * 20) * 0.05).astype(np.float32)
    t = np.arange(16000 * 20) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for x in (noise, tone):
        assert speech_fraction(x) < MIN_SPEECH_FRACTION
        w = no_speech_warning(x)
        assert w is not None and "little or no speech" in w


def test_too_short_or_other_rates_are_not_judged():
    assert speech_fraction(np.zeros(100, np.float32)) is None
    assert no_speech_warning(np.zeros(100, np.float32)) is None
    assert speech_fraction(np.zeros(16000, np.float32), 8000) is None


def test_analysis_warns_on_noise(tiny_model_dir):
    from detector.analysis import analyze_audio
    from detector.audio import AudioInfo, DecodedAudio
    from detector.model_service import ModelService

    svc = ModelService()
    svc.load(tiny_model_dir)
    x = (np.random.default_rng(1).standard_normal(16000 * 6) * 0.05).astype(np.float32)
    info = AudioInfo(name="hiss.wav", path="/tmp/hiss.wav", size_bytes=1, sha256="0" * 64, container="wav",
                     codec="pcm_s16le", sample_rate=16000, channels=1, duration_s=6.0)
    res = analyze_audio(DecodedAudio(samples=x, sample_rate=16000, info=info), svc)
    assert any("little or no speech" in w for w in res.to_dict()["provenance"]["warnings"])


def test_the_check_gives_torch_its_threads_back():
    import torch

    import detector.speech_check as sc

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    sc._model = None  # loading the TorchScript file is one of the moments it changes the thread count
    try:
        speech_fraction(_sample())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_windows_judged_side_by_side_as_if_each_were_alone():
    # The windows go through Silero as one batch; each must get what it gets on its own (fresh state).
    import torch

    from detector.speech_check import _FRAME, _vad, vad_frames, vad_windows

    rng = np.random.default_rng(1)
    x = np.concatenate([_sample(), (rng.standard_normal(16000 * 7) * 0.02).astype(np.float32), _sample()[:40000]])
    frames = vad_frames(x)
    model = _vad()
    alone = []
    with torch.inference_mode():
        for a, b in vad_windows(len(x)):
            model.reset_states()
            k = (b - a) // _FRAME
            alone += [float(model(torch.from_numpy(f), 16000)) for f in x[a:a + k * _FRAME].reshape(k, _FRAME)]
    assert len(frames.speech_prob) == len(alone) > 100
    assert np.allclose(frames.speech_prob, alone, atol=1e-4)
    assert np.ptp(alone) > 0.5  # speech and noise windows both present


def _real_speech_frames(seconds: float = 40.0) -> np.ndarray:
    """(windows, frames, 512) as the speech check cuts them, from real speech: the bundled sample and,
    where the project's data is present, a real and a fake clip of it."""
    from faik_testkit import SHARED_DATA

    from detector.speech_check import _FRAME, vad_windows

    parts = [_sample()]
    for rel in ("audio/fake/adain-vc/adain-vc-lvcpage/audio_adain_s2s_p225_224_p247_455.flac",):
        if (SHARED_DATA / rel).is_file():
            parts.append(sf.read(SHARED_DATA / rel, dtype="float32")[0])
    x = np.concatenate(parts)
    x = np.tile(x, int(np.ceil(seconds * 16000 / len(x))))[: int(seconds * 16000)]
    windows = vad_windows(len(x))
    k = (windows[0][1] - windows[0][0]) // _FRAME
    return np.stack([x[a:a + k * _FRAME].reshape(k, _FRAME) for a, _ in windows])


def test_batched_vad_equals_silero_frame_by_frame_on_real_speech():
    import torch

    from detector.speech_check import _probs_batched, _probs_stepwise, _vad

    model = _vad()
    frames = _real_speech_frames()
    assert frames.shape[0] >= 4
    with torch.inference_mode():
        stepwise = _probs_stepwise(model, frames, 16000)
        batched = _probs_batched(model, frames)
    assert batched is not None and batched.shape == stepwise.shape
    assert np.abs(batched - stepwise).max() < 1e-4
    assert np.array_equal(batched > 0.5, stepwise > 0.5)
    assert 0.3 < float(np.mean(stepwise > 0.5)) < 1.0  # real speech with pauses: both kinds of frame


def test_vad_frames_uses_the_batched_path(monkeypatch):
    from detector import speech_check

    def refuse(*_a, **_k):
        raise AssertionError("one model call per frame")

    monkeypatch.setattr(speech_check, "_probs_stepwise", refuse)
    assert speech_fraction(_sample()) > 0.5

