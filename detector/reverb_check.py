"""Is the speech reverberant (an echoing room)? Then a "real" verdict means little.

Why: room reverberation pushes the built-in model's scores towards "real". On val in a synthetic
room (RT60 0.25-0.6 s), faik-detector-v10 missed 73 % (v9: 75 %, v8: 76 %, v7: 85 %) of the AI-generated recordings at the default
threshold (its ``validation.json``) while calling almost no real recording AI-generated. A user who
sees "likely real" on a recording made in a hall, a stairwell or a bare room must be told so.

How (no model, a few milliseconds per window): a room smears each sound into the next. In the
40-band log-mel spectrogram that shows as slower falls after each sound, stronger correlation of
a band with itself 30-300 ms later, and less contrast between bands. :func:`reverb_features` takes
these statistics (320 numbers) from up to ``WINDOWS`` windows of ``WINDOW_S`` seconds spread over
the recording; a logistic regression, fitted by ``python -m detector.training fit-reverb-check``
on the train clips' dry, codec, telephone and noisy copies against their reverberant copies, turns
them into a score, and the threshold is the one that flags 1 % of the dry-ish train copies. The
fitted numbers and the rates measured on val live in ``resources/checks/reverb-check.json``: on
val's copies (never fitted on) it flags 96 % of the clips in the synthetic room and none of the
clean, MP3, telephone, noisy or Opus ones (1 % after AAC); the 58 val clips under a second get no
estimate.

Limits: it learnt one kind of room (the synthetic one of :func:`detector.channels.reverb`, also
behind the val figures), so real rooms, close microphones in large rooms and reverberant fakes are
untested; music or several voices at once can look like reverberation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from detector.chunking import spread_windows
from detector.linear_check import LinearCheck, load_check
from detector.model_validation import channel_figures

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
WINDOW_S = 10.0
WINDOWS = 6
MIN_SECONDS = 1.0  # less audio than this gets no estimate
DYNAMIC_RANGE = 8.0  # log10 units kept below the loudest bin (as Whisper's log-mel)
AC_LAGS = (3, 10, 30)  # frames: 30, 100, 300 ms
PARAMS_FILE = "reverb-check.json"


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    from detector.whisper_frontend import slaney_mel_filters

    return slaney_mel_filters(N_MELS, N_FFT, SAMPLE_RATE).numpy().astype(np.float64)


def _log_mel(x: np.ndarray) -> np.ndarray:
    """(T, 40) log10 mel power of a level-normalised 16 kHz signal (at least 50 frames)."""
    x = np.asarray(x, dtype=np.float64)
    x = x / (np.sqrt(np.mean(x * x)) + 1e-9) * 0.05
    if len(x) < N_FFT + HOP * 50:
        x = np.pad(x, (0, N_FFT + HOP * 50 - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP] * np.hanning(N_FFT)
    mel = np.log10(np.abs(np.fft.rfft(frames, axis=1)) ** 2 @ _mel_filters() + 1e-10)
    return np.maximum(mel, mel.max() - DYNAMIC_RANGE)


def _window_features(mel: np.ndarray) -> np.ndarray:
    d = np.diff(mel, axis=0)
    centred = mel - mel.mean(0)
    var = mel.var(0) + 1e-9
    autocorr = [(centred[:-k] * centred[k:]).mean(0) / var for k in AC_LAGS]
    falls = np.where(d < 0, d, np.nan)
    with warnings.catch_warnings():
        # A band that never falls (held at the floor) has no negative step: its slope counts as 0.
        warnings.simplefilter("ignore", RuntimeWarning)
        # How steep the falls are (10th percentile and median of the negative steps, per band)
        slopes = np.nan_to_num(np.nanpercentile(falls, [10, 50], axis=0))
    return np.concatenate([mel.mean(0) - mel.mean(), mel.std(0), d.std(0), *autocorr, slopes.ravel()])


def mean_window_features(samples: np.ndarray, sample_rate: int,
                         window_features: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | None:
    """The mean of ``window_features(log-mel)`` over up to ``WINDOWS`` windows of ``WINDOW_S`` spread over a
    16 kHz recording, or ``None`` for under ``MIN_SECONDS``, silence or another rate (shared by the signal
    checks)."""
    x = np.asarray(samples, dtype=np.float32)
    if sample_rate != SAMPLE_RATE or len(x) < MIN_SECONDS * SAMPLE_RATE:
        return None
    n = int(WINDOW_S * SAMPLE_RATE)
    # Only the windows are read (a whole-file pass would cost a copy of an hour-long recording);
    # digitally silent ones carry no room.
    from detector.audio import copy_windows

    windows = copy_windows(samples, spread_windows(len(x), n, min(WINDOWS, -(-len(x) // n))))
    sounding = [w for w in windows if float(np.max(np.abs(w))) > 1e-6]
    if not sounding:
        return None
    return np.mean([window_features(_log_mel(w)) for w in sounding], axis=0)


def reverb_features(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray | None:
    """320 spectro-temporal statistics of a 16 kHz recording (the mean over up to ``WINDOWS``
    windows spread over it), or ``None`` for under ``MIN_SECONDS``, silence or another rate."""
    return mean_window_features(samples, sample_rate, _window_features)


#: The fitted check (kept under its old name for callers and tests).
ReverbCheck = LinearCheck


@lru_cache(maxsize=4)
def load_reverb_check(path: str | None = None) -> ReverbCheck | None:
    """The shipped check (``resources/checks/reverb-check.json``), or ``None`` (logged) when the
    file is missing or unreadable: the analysis then goes on without this warning."""
    return load_check(path, PARAMS_FILE, "reverberation")


def reverb_warning(samples: np.ndarray, sample_rate: int = SAMPLE_RATE,
                   validation: Mapping[str, Any] | None = None,
                   check: ReverbCheck | None = None) -> str | None:
    """A warning for reverberant speech, quoting the model's measured miss rate under reverberation
    when ``validation`` (a model's ``validation.json``) has it; ``None`` otherwise."""
    check = check or load_reverb_check()
    if check is None:
        return None
    features = reverb_features(samples, sample_rate)
    if features is None or features.shape != check.mean.shape or not check.flags(features):
        return None
    room = channel_figures(validation, "reverb")
    if room:
        tested = (f"in testing in a reverberant room, this model missed {room['miss_rate']:.0%} of "
                  f"AI-generated recordings")
    else:
        tested = "this model's error rate under reverberation was not measured"
    return f"room echo (the voice sounds reverberant): {tested}; support for real speech means little here"
