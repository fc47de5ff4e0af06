"""The speaker branch's front end (detector.speaker_frontend) against what it re-implements."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detector.speaker_frontend import (
    PARTIAL_FRAMES,
    SpeakerEncoder,
    find_resemblyzer_weights,
    load_resemblyzer_state,
    partial_starts,
)
from detector.whisper_frontend import slaney_mel_filters
from tests.faik_testkit import synth_speechlike, write_resemblyzer_checkpoint


def _encoder(tmp_path) -> SpeakerEncoder:
    enc = SpeakerEncoder().eval()
    enc.load_state_dict(load_resemblyzer_state(write_resemblyzer_checkpoint(tmp_path / "pretrained.pt")))
    return enc


def test_mel_is_librosas_melspectrogram():
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    assert np.abs(slaney_mel_filters(40, 400, 16000).numpy().T - ref).max() < 1e-6
    x = synth_speechlike(1.3, seed=1).astype(np.float32)
    want = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    got = SpeakerEncoder().mel(torch.from_numpy(x)[None])[0].numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_partial_windows_cover_the_chunk_like_resemblyzer():
    assert partial_starts(10) == [0]  # shorter than one window: one zero-padded window
    assert partial_starts(PARTIAL_FRAMES) == [0]
    assert partial_starts(501) == [0, 80, 160, 240, 320]  # a 5-s chunk
    assert partial_starts(501, step=160) == [0, 160, 320]  # no overlap: 3 windows instead of 5
    with pytest.raises(ValueError):
        partial_starts(501, step=0)


def test_partial_step_sets_how_many_windows_the_lstm_sees(tmp_path, monkeypatch):
    enc = _encoder(tmp_path)
    seen = []
    real = enc.embed_partials
    monkeypatch.setattr(enc, "embed_partials", lambda mels: seen.append(len(mels)) or real(mels))
    x = torch.from_numpy(synth_speechlike(5.0, seed=5))[None]
    with torch.inference_mode():
        enc(x)
        enc.step = 160
        enc(x)
    assert seen == [5, 3]


def test_checkpoint_loading_keeps_only_the_encoder_and_never_unpickles_code(tmp_path):
    path = write_resemblyzer_checkpoint(tmp_path / "pretrained.pt")
    state = load_resemblyzer_state(path)
    assert "similarity_weight" not in state and set(state) == set(SpeakerEncoder().state_dict())

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"model_state": {}, "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(Exception):
        load_resemblyzer_state(tmp_path / "evil.pt")


def test_embedding_is_unit_length_and_padding_does_not_change_it(tmp_path):
    enc = _encoder(tmp_path)
    short = torch.from_numpy(synth_speechlike(2.0, seed=2))
    long = torch.from_numpy(synth_speechlike(5.0, seed=3))
    batch = torch.zeros(2, len(long))
    batch[0, : len(short)] = short
    batch[1] = long
    with torch.inference_mode():
        both = enc(batch, torch.tensor([len(short), len(long)]))
        alone = enc(short[None])
    assert torch.allclose(both.norm(dim=1), torch.ones(2), atol=1e-5)
    assert torch.allclose(both[0], alone[0], atol=1e-5)


def test_lstm_matches_resemblyzers_voice_encoder(tmp_path):
    """Same weights, same partial windows: the same d-vectors as resemblyzer.VoiceEncoder.forward
    (only where Resemblyzer is installed, i.e. with the train extra)."""
    pytest.importorskip("webrtcvad")
    voice_encoder = pytest.importorskip("resemblyzer.voice_encoder")
    path = write_resemblyzer_checkpoint(tmp_path / "pretrained.pt", seed=4)
    ref = voice_encoder.VoiceEncoder("cpu", verbose=False, weights_fpath=path).eval()
    enc = SpeakerEncoder().eval()
    enc.load_state_dict(load_resemblyzer_state(path))
    mels = torch.rand(3, PARTIAL_FRAMES, 40)
    with torch.inference_mode():
        assert torch.allclose(enc.embed_partials(mels), ref(mels), atol=1e-6)


@pytest.mark.skipif(not __import__("importlib").util.find_spec("resemblyzer"), reason="train extra not installed")
def test_installed_resemblyzer_weights_are_found_and_load():
    state = load_resemblyzer_state(find_resemblyzer_weights())
    SpeakerEncoder().load_state_dict(state)


def test_missing_resemblyzer_says_how_to_install_it(monkeypatch):
    import importlib.util

    from detector.errors import SettingsError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SettingsError, match="pip install --no-deps Resemblyzer==0.1.4"):
        find_resemblyzer_weights()
