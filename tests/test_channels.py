"""Channel simulation: lengths kept, bands really removed, codecs really applied, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from detector.channels import CHANNEL_NAMES, apply_channel, random_augment
from detector.errors import SettingsError
from tests.conftest import synth_speechlike

SR = 16000


def _band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum() / spec.sum())


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    # Harmonics up to ~7 kHz plus broadband noise so every band has energy.
    rng = np.random.default_rng(3)
    return np.clip(synth_speechlike(2.0) + 0.02 * rng.standard_normal(2 * SR).astype(np.float32), -1, 1)


@pytest.mark.parametrize("name", CHANNEL_NAMES)
def test_every_channel_keeps_length_range_and_dtype(speech, name):
    y = apply_channel(speech, SR, name)
    assert y.dtype == np.float32 and y.shape == speech.shape
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0
    assert np.max(np.abs(y)) > 0.01  # not silenced


@pytest.mark.parametrize("name", [n for n in CHANNEL_NAMES if n != "clean"])
def test_channels_change_the_signal(speech, name):
    assert not np.allclose(apply_channel(speech, SR, name), speech, atol=1e-4)


def test_clean_is_identity_copy(speech):
    y = apply_channel(speech, SR, "clean")
    assert np.array_equal(y, speech) and y is not speech


@pytest.mark.parametrize("name", ["phone-8k", "phone-8k-mulaw", "amr-12k"])
def test_phone_removes_the_high_band(speech, name):
    assert _band_energy(speech, 4200, 8000) > 1e-3
    assert _band_energy(apply_channel(speech, SR, name), 4200, 8000) < 1e-4


def test_amr_is_the_mobile_codec_and_keeps_the_speech_band(speech):
    y = apply_channel(speech, SR, "amr-12k")
    # A speech codec: the 300-3400 Hz band keeps most of its energy, delayed by the codec's ~10 ms.
    assert _band_energy(y, 300, 3400) > 0.5 * _band_energy(speech, 300, 3400)
    corr = np.correlate(y[:8000], speech[:8000], mode="full")
    assert 0 < int(corr.argmax()) - 7999 < 400


def test_mp3_is_a_lossy_roundtrip_close_to_the_input(speech):
    y = apply_channel(speech, SR, "mp3-32k")
    # Lossy but the same signal (allowing for the encoder delay): high correlation at some lag.
    corr = np.correlate(y[:8000], speech[:8000], mode="full")
    best = corr.max() / (np.linalg.norm(y[:8000]) * np.linalg.norm(speech[:8000]))
    assert 0.8 < best < 0.9999


def test_noise_is_at_the_requested_snr(speech):
    y = apply_channel(speech, SR, "noise-20db")
    snr = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean((y - speech).astype(np.float64) ** 2))
    assert 19.0 < snr < 21.0


def test_default_rng_is_deterministic(speech):
    for name in ("noise-20db", "reverb", "gain", "mp3-32k"):
        assert np.array_equal(apply_channel(speech, SR, name), apply_channel(speech, SR, name))


def test_unknown_channel_is_a_user_error(speech):
    with pytest.raises(SettingsError, match="mp3-32k"):
        apply_channel(speech, SR, "vinyl")


def test_empty_input_survives():
    for name in CHANNEL_NAMES:
        assert apply_channel(np.zeros(0, np.float32), SR, name).shape == (0,)


def test_random_augment_is_seeded_and_varied(speech):
    a = [random_augment(speech, SR, np.random.default_rng(7))[1] for _ in range(2)]
    assert a[0] == a[1]
    descs = {random_augment(speech, SR, np.random.default_rng(s))[1] for s in range(40)}
    assert len(descs) >= 6 and "clean" in descs
    y, d = random_augment(speech, SR, np.random.default_rng(1), with_codecs=False)
    assert y.shape == speech.shape and not any(c in d for c in ("mp3", "opus", "aac", "phone"))


def test_recipe_offers_amr_copies_at_random_modes_without_changing_the_default(speech):
    from detector.training.train_whisper import ACOUSTIC_VARIANTS, build_parser

    assert "amr" not in build_parser().parse_args(["--data", "d", "--out", "o"]).tuned_variants.split(",")
    x = np.asarray(speech, dtype=np.float32)
    a = ACOUSTIC_VARIANTS["amr"](x, np.random.default_rng(3))
    assert a.shape == x.shape and np.array_equal(a, ACOUSTIC_VARIANTS["amr"](x, np.random.default_rng(3)))
    modes = {ACOUSTIC_VARIANTS["amr"](x, np.random.default_rng(s)).tobytes() for s in range(6)}
    assert len(modes) > 1  # the mode is drawn per clip


def test_packet_loss_conceals_with_the_last_packet_then_silence():
    from detector.channels import packet_loss

    x = np.linspace(0.1, 0.9, 16000 // 50 * 4, dtype=np.float32)  # four 20-ms packets at 16 kHz
    rng = np.random.default_rng(0)
    y = packet_loss(x, 16000, 1.0, rng)  # every packet lost: nothing to repeat, all silent
    assert not y.any()
    y = packet_loss(x, 16000, 0.0, rng)
    np.testing.assert_array_equal(y, x)


def test_spectral_gate_lowers_the_noise_floor_more_than_the_speech():
    from detector.channels import spectral_gate

    rng = np.random.default_rng(1)
    noise = 0.01 * rng.standard_normal(3 * SR).astype(np.float32)
    x = noise.copy()
    x[SR:] += 0.5 * synth_speechlike(2.0)[: 2 * SR]  # 1 s of noise alone, then speech over it
    y = spectral_gate(x, SR)
    assert y.shape == x.shape
    assert np.std(y[2000:SR - 2000]) < 0.5 * np.std(x[2000:SR - 2000])  # the noise-only lead-in is suppressed
    assert np.std(y[SR + 2000:]) > 0.8 * np.std(x[SR + 2000:])           # speech passes


def test_voip_call_is_seeded_keeps_length_and_is_offered_to_the_recipe(speech):
    from detector.channels import voip_call
    from detector.training.train_whisper import ACOUSTIC_VARIANTS

    a = voip_call(speech, 16000, np.random.default_rng(3))
    b = voip_call(speech, 16000, np.random.default_rng(3))
    c = voip_call(speech, 16000, np.random.default_rng(4))
    assert a.shape == speech.shape and a.dtype == np.float32 and np.abs(a).max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert "voip" in ACOUSTIC_VARIANTS


@pytest.mark.parametrize("n", [1, 100, 4780, 4800, 4801])
def test_auto_gain_and_the_call_chain_keep_the_length_of_clips_shorter_than_the_gain_window(n):
    # the gain window is 0.3 s (4 800 samples): a 0.3-s FSDD digit in val crashed the 'voip' channel
    from detector.channels import auto_gain, voip_call

    x = 0.1 * np.sin(np.arange(n, dtype=np.float32))
    assert auto_gain(x, SR).shape == (n,)
    for seed in range(4):
        assert voip_call(x, SR, np.random.default_rng(seed)).shape == (n,)


def test_a_pyav_build_without_an_encoder_gets_a_clear_message(monkeypatch):
    # PyAV 18.1.1's wheels dropped the libopencore AMR-NB encoder: the channel must say what to install.
    import av

    from detector.channels import amr_nb
    from detector.errors import FaikError

    monkeypatch.setattr(av, "codecs_available", set(av.codecs_available) - {"libopencore_amrnb"})
    with pytest.raises(FaikError, match=r"no libopencore_amrnb encoder.*av==18\.1\.0"):
        amr_nb(np.zeros(16000, np.float32), 16000)


def test_the_neural_suppressor_removes_steady_noise_and_lets_speech_through():
    from detector.channels import neural_suppress

    rng = np.random.default_rng(5)
    x = 0.02 * rng.standard_normal(3 * SR).astype(np.float32)
    x[SR:] += 0.5 * synth_speechlike(2.0)[: 2 * SR]  # 1 s of noise alone, then speech over it
    y = neural_suppress(x, SR)
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.std(y[2000:SR - 2000]) < 0.2 * np.std(x[2000:SR - 2000])  # the noise-only lead-in is removed
    assert np.std(y[SR + 2000:]) > 0.5 * np.std(x[SR + 2000:])          # speech passes
    assert neural_suppress(np.zeros(0, np.float32), SR).shape == (0,)


@pytest.mark.parametrize("n", [1, 479, 4800, 16001])
def test_the_neural_call_is_seeded_keeps_length_and_is_offered_to_the_recipe(speech, n):
    from detector.channels import neural_call
    from detector.training.train_whisper import ACOUSTIC_VARIANTS

    x = np.resize(speech, n)
    a = neural_call(x, SR, np.random.default_rng(3))
    np.testing.assert_array_equal(a, neural_call(x, SR, np.random.default_rng(3)))
    assert a.shape == (n,) and a.dtype == np.float32 and np.abs(a).max() <= 1.0
    if n > SR:
        assert not np.allclose(a, neural_call(x, SR, np.random.default_rng(4)))
    assert "voipnn" in ACOUSTIC_VARIANTS


def test_without_rnnoise_the_neural_channel_says_what_to_install(monkeypatch, speech):
    import importlib.util

    import detector.channels as channels

    channels._rnnoise_library.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    try:
        with pytest.raises(SettingsError, match=r"pip install pyrnnoise==0\.4\.5"):
            apply_channel(speech, SR, "call-neural")
    finally:
        monkeypatch.undo()
        channels._rnnoise_library.cache_clear()
