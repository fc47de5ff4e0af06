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
