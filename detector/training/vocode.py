""""Vocoded real" fakes: resynthesise real train clips with classic vocoders.

Why: a real clip and its resynthesis share speaker, language, sentence and channel and differ
only in synthesis artefacts (spectral-envelope smoothing, phase reconstruction, excitation
model). Training on such pairs pushes the model towards those artefacts and away from the
corpus/language shortcuts this data set is full of; the anti-spoofing literature reports that
this generalises to unseen neural vocoders.

Methods (all offline, deterministic):

* ``world``: WORLD analysis/synthesis (DIO + StoneMask F0, CheapTrick envelope, D4C
  aperiodicity) via ``pyworld``;
* ``gl``: Griffin-Lim phase reconstruction from the STFT magnitude;
* ``melgl``: 80-band mel magnitude inverted with Griffin-Lim (mel-spectrogram smoothing, like a
  neural vocoder's input representation).
"""

from __future__ import annotations

import sys
import types

import numpy as np

METHODS = ("world", "gl", "melgl")


def _import_pyworld():
    # pyworld 0.3.5 reads its version through pkg_resources, which new setuptools no longer ships;
    # a stand-in with get_distribution() is enough for that one call.
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            shim = types.ModuleType("pkg_resources")
            shim.get_distribution = lambda name: types.SimpleNamespace(version="unknown")  # type: ignore[attr-defined]
            sys.modules["pkg_resources"] = shim
    import pyworld

    return pyworld


def world_resynth(x: np.ndarray, sr: int) -> np.ndarray:
    """WORLD analysis-synthesis of ``x`` (float32 mono) at ``sr``; same length."""
    pw = _import_pyworld()
    xd = np.asarray(x, dtype=np.float64)
    f0, t = pw.dio(xd, sr, frame_period=5.0)
    f0 = pw.stonemask(xd, f0, t, sr)
    sp = pw.cheaptrick(xd, f0, t, sr)
    ap = pw.d4c(xd, f0, t, sr)
    y = pw.synthesize(f0, sp, ap, sr, 5.0)
    return _fit(y, len(x))


def gl_resynth(x: np.ndarray, sr: int, n_iter: int = 32, rng: np.random.Generator | None = None) -> np.ndarray:
    """Griffin-Lim from the linear STFT magnitude (n_fft 512, hop 128)."""
    import librosa

    mag = np.abs(librosa.stft(np.asarray(x, dtype=np.float32), n_fft=512, hop_length=128))
    y = librosa.griffinlim(mag, n_iter=n_iter, hop_length=128, n_fft=512,
                           random_state=rng if rng is not None else 0, length=len(x))
    return _fit(y, len(x))


def melgl_resynth(x: np.ndarray, sr: int, n_iter: int = 32) -> np.ndarray:
    """80-band mel magnitude (n_fft 1024, hop 256, up to 8 kHz) inverted with Griffin-Lim."""
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(x, dtype=np.float32), sr=sr, n_fft=1024,
                                         hop_length=256, n_mels=80, power=1.0)
    y = librosa.feature.inverse.mel_to_audio(mel, sr=sr, n_fft=1024, hop_length=256, power=1.0,
                                             n_iter=n_iter, length=len(x))
    return _fit(y, len(x))


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)[:n]
    if len(y) < n:
        y = np.concatenate([y, np.zeros(n - len(y), np.float32)])
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0.99:
        y = y * (0.99 / peak)
    return np.nan_to_num(y)


def resynthesise(x: np.ndarray, sr: int, method: str) -> np.ndarray:
    """Dispatch on ``method`` (one of ``METHODS``)."""
    if method == "world":
        return world_resynth(x, sr)
    if method == "gl":
        return gl_resynth(x, sr)
    if method == "melgl":
        return melgl_resynth(x, sr)
    raise ValueError(f"unknown vocoder {method!r}; choose from {METHODS}")
