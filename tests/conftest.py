"""Shared fixtures: synthetic audio and tiny models made on the fly (no network)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from faik_testkit import SHARED_DATA, save_tiny_wav2vec2, synth_speechlike  # noqa: F401  (re-exported)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never reach a hub: transformers/huggingface_hub honour these.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _float32_everywhere(monkeypatch):
    """Compute in float32 whatever the CPU, so the figures tests pin do not depend on whether the
    machine has AMX (where ``auto`` picks bfloat16); tests of the choice itself undo this."""
    monkeypatch.setattr("detector.precision.has_amx", lambda: False)


@pytest.fixture
def write_audio(tmp_path):
    """Write a synthetic signal with soundfile: ``write_audio(name, seconds, sr=16000, channels=1, subtype=None)``."""
    import soundfile as sf

    def _write(name: str, seconds: float, sr: int = 16000, channels: int = 1, subtype: str | None = None,
               signal: np.ndarray | None = None) -> Path:
        mono = synth_speechlike(seconds, sr) if signal is None else signal
        data = np.stack([mono] * channels, axis=1) if channels > 1 else mono
        path = tmp_path / name
        sf.write(str(path), data, sr, subtype=subtype)
        return path

    return _write


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """Folder with a tiny seed-style model (class 0 = fake, class 1 = real)."""
    return save_tiny_wav2vec2(tmp_path_factory.mktemp("tiny-w2v2"))
