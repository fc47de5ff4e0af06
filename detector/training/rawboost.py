"""RawBoost: random channel distortions of the raw waveform, for training only (Tak et al., ICASSP 2022).

Why: the detector's scores move with the recording channel (val: the telephone band raises false
alarms, a room or background noise hides fakes), and the recipe's channel copies cover only the
codecs and rooms it names. RawBoost draws a different random channel for every clip instead — random
multi-notch FIR filters applied to the signal and to its powers (linear and non-linear convolutive
noise), sparse impulsive noise proportional to the signal, and filtered stationary noise — so a
detector cannot lean on any one channel's colouring. Its authors report large gains on unseen
attacks of ASVspoof 2021 (LA and DF) from the same three algorithms, with the defaults used here
(their ``RawBoost.py`` and ``main.py``; re-written with an explicit random generator so the recipe
stays deterministic).

    y = rawboost(x, 16000, np.random.default_rng(0))          # one algorithm drawn at random
    y = rawboost(x, 16000, rng, algorithm="lnl+isd")          # or named
"""

from __future__ import annotations

import numpy as np
from scipy import signal

ALGORITHMS = ("lnl", "isd", "ssi", "lnl+isd")


def _notch_filter(rng: np.random.Generator, sr: int, n_bands: int = 5, min_f: float = 20.0, max_f: float = 8000.0,
                  min_bw: float = 100.0, max_bw: float = 1000.0, min_coeff: int = 10, max_coeff: int = 100,
                  min_gain_db: float = 0.0, max_gain_db: float = 0.0) -> np.ndarray:
    """FIR taps of ``n_bands`` random band-stop (notch) filters in series (``firwin`` with two cutoffs
    stops the band between them), scaled to a random peak gain."""
    taps = np.ones(1)
    nyquist = sr / 2
    for _ in range(n_bands):
        fc = rng.uniform(min_f, max_f)
        bw = rng.uniform(min_bw, max_bw)
        n = int(rng.integers(min_coeff, max_coeff + 1)) | 1  # odd length: firwin's band-stop needs it
        f1 = max(fc - bw / 2, 1e-3)
        f2 = min(fc + bw / 2, nyquist - 1e-3)
        taps = np.convolve(signal.firwin(n, [f1, f2], window="hamming", fs=sr), taps)
    _, h = signal.freqz(taps, 1, fs=sr)
    gain_db = rng.uniform(min_gain_db, max_gain_db)
    return 10 ** (gain_db / 20) * taps / np.max(np.abs(h))


def _fir(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``x`` filtered by ``taps`` without delay (the filter's group delay cut off), same length."""
    return signal.oaconvolve(x, taps)[len(taps) // 2: len(taps) // 2 + len(x)]


def _peak_normalise(x: np.ndarray, always: bool) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    return x / peak if peak > 0 and (always or peak > 1) else x


def lnl_convolutive(x: np.ndarray, sr: int, rng: np.random.Generator, n_powers: int = 5,
                    min_bias_db: float = 5.0, max_bias_db: float = 20.0) -> np.ndarray:
    """Linear and non-linear convolutive noise: the sum of random filters of x, x^2, ... x^n_powers
    (the higher powers quieter by 5-20 dB), i.e. a random coloured, mildly distorting channel."""
    y = np.zeros(len(x))
    for i in range(n_powers):
        quieter = (min_bias_db, max_bias_db) if i else (0.0, 0.0)
        taps = _notch_filter(rng, sr, min_gain_db=-quieter[1], max_gain_db=-quieter[0])
        y += _fir(np.power(x, i + 1), taps)
    return _peak_normalise(y - y.mean(), always=False)


def isd_additive(x: np.ndarray, rng: np.random.Generator, max_percent: float = 10.0, gain: float = 2.0
                 ) -> np.ndarray:
    """Impulsive signal-dependent noise: up to ``max_percent`` % of the samples disturbed by a random
    multiple of themselves (clicks and crackle of a poor transmission)."""
    y = x.astype(np.float64).copy()
    n = int(len(x) * rng.uniform(0, max_percent) / 100)
    where = rng.permutation(len(x))[:n]
    factor = (2 * rng.random(n) - 1) * (2 * rng.random(n) - 1)
    y[where] += gain * x[where] * factor
    return _peak_normalise(y, always=False)


def ssi_additive(x: np.ndarray, sr: int, rng: np.random.Generator, min_snr_db: float = 10.0,
                 max_snr_db: float = 40.0) -> np.ndarray:
    """Stationary signal-independent noise: white noise through a random filter, at 10-40 dB SNR."""
    noise = _peak_normalise(_fir(rng.normal(0, 1, len(x)), _notch_filter(rng, sr)), always=True)
    snr = rng.uniform(min_snr_db, max_snr_db)
    norm = np.linalg.norm(noise)
    if norm == 0:
        return x.astype(np.float64)
    return x + noise / norm * np.linalg.norm(x) / 10 ** (snr / 20)


def rawboost(x: np.ndarray, sr: int, rng: np.random.Generator, algorithm: str | None = None) -> np.ndarray:
    """``x`` (mono float) through one RawBoost algorithm (``ALGORITHMS``; drawn from ``rng`` when None),
    returned as float32 of the same length."""
    if algorithm is None:
        algorithm = str(rng.choice(ALGORITHMS))
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown RawBoost algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
    y = np.asarray(x, dtype=np.float64)
    if "lnl" in algorithm:
        y = lnl_convolutive(y, sr, rng)
    if "isd" in algorithm:
        y = isd_additive(y, rng)
    if algorithm == "ssi":
        y = ssi_additive(y, sr, rng)
    return y.astype(np.float32)
