"""Is there speech in the recording at all? A verdict on music, noise or tones says nothing.

Why: the detector scores any sound; on white noise the built-in model answers "real" with 98 %
confidence, which a user could quote. Silero VAD (MIT; its TorchScript weights, 2 MB, ship inside
the ``silero-vad`` wheel, so it works offline) measures the share of 32-ms frames that hold speech,
on two-second windows spread over about a quarter of the recording (at most 64 windows, judged side
by side as one batch: a 1-hour file costs ~0.2 s on 2 cores).
Below ``MIN_SPEECH_FRACTION`` the result carries a warning next to the verdict.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from importlib import resources

import numpy as np

from detector.chunking import spread_windows

MIN_SPEECH_FRACTION = 0.1  # speech clips in the project's data: >= 0.35; noise, tones: 0.0-0.01
# Below this a verdict rests on less than one chunk's minimum of sound, and nothing shorter was measured:
# val's clips under a second are all real (spoken digits), so how the model treats short fakes is unknown.
MIN_JUDGED_DURATION_S = 1.0
_WINDOWS = 64
_WINDOW_S = 2.0
_FRAME = 512  # samples at 16 kHz, what the model takes per call
_model = None
_lock = threading.Lock()


def _vad():
    """The Silero VAD TorchScript model, loaded once (thread-safe); None if the package is missing."""
    global _model
    with _lock:
        if _model is None:
            try:
                import torch

                path = resources.files("silero_vad.data") / "silero_vad.jit"
                with resources.as_file(path) as p, warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load is deprecated, not gone
                    _model = torch.jit.load(str(p), map_location="cpu").eval()
            except (ImportError, FileNotFoundError, RuntimeError):
                _model = False
        return _model or None


@dataclass(frozen=True)
class VadFrames:
    """Silero's speech probability and the mean square level of each 32-ms frame it judged, from
    two-second windows spread over about a quarter of the recording (one pass serves both the
    speech check and the noise check, :mod:`detector.noise_check`)."""

    speech_prob: np.ndarray
    energy: np.ndarray


def vad_windows(n_samples: int) -> list[tuple[int, int]]:
    """(start, end) of the two-second windows the speech check judges in ``n_samples`` of 16 kHz audio,
    all of one length.

    About a quarter of the audio (at most 64 windows, at least 4 = 8 s where there is that much):
    one window at a time the VAD ran at ~85x real time on 2 cores, so checking everything would have
    halved the speed of analysing a long file; on a short clip one window would miss most of its pauses."""
    n = int(_WINDOW_S * 16000)
    return spread_windows(n_samples, n, min(_WINDOWS, max(min(4, -(-n_samples // n)), n_samples // (4 * n))))


def vad_frames(samples: np.ndarray, sample_rate: int = 16000) -> VadFrames | None:
    """Per-frame speech probabilities and levels over two-second windows spread evenly over about a
    quarter of the 16 kHz recording (at most 64); ``None`` when the VAD is unavailable or the input
    is too short. Leaves torch's thread count as it found it."""
    import torch

    threads = torch.get_num_threads()  # before loading too: Silero's TorchScript sets one thread
    model = _vad()
    torch.set_num_threads(threads)
    if model is None or sample_rate != 16000:
        return None
    x = np.asarray(samples, dtype=np.float32)
    if len(x) < _FRAME:
        return None
    windows = vad_windows(len(x))
    k = (windows[0][1] - windows[0][0]) // _FRAME  # whole frames per window (spread_windows: all one length)
    frames = np.stack([x[a:a + k * _FRAME].reshape(k, _FRAME) for a, _ in windows])  # (windows, k, 512)
    try:
        with _lock, torch.inference_mode():
            # The windows go through the model side by side, one batch row each: its recurrent state
            # is per row, so each window is judged as if alone (probabilities equal to 2e-6), and 64
            # windows cost one call per 32-ms step instead of 64 (10x faster).
            model.reset_states()  # windows are independent
            batch = torch.from_numpy(frames)
            probs = torch.stack([model(batch[:, j], sample_rate).reshape(-1) for j in range(k)], dim=1).numpy()
    finally:
        # Silero's TorchScript sets torch to one thread when it runs; the detector wants its threads back.
        torch.set_num_threads(threads)
    # Window by window, frame by frame.
    probs = probs.reshape(-1).astype(np.float64)
    energies = np.mean(frames.astype(np.float64) ** 2, axis=2).reshape(-1)
    return VadFrames(probs, energies)


def speech_fraction(samples: np.ndarray, sample_rate: int = 16000, frames: VadFrames | None = None) -> float | None:
    """Share (0..1) of 32-ms frames judged speech (see :func:`vad_frames`; pass ``frames`` to reuse
    a pass); ``None`` when the VAD is unavailable or the input is too short."""
    frames = frames if frames is not None else vad_frames(samples, sample_rate)
    return None if frames is None else float(np.mean(frames.speech_prob > 0.5))


def no_speech_warning(samples: np.ndarray, sample_rate: int = 16000, frames: VadFrames | None = None) -> str | None:
    """A warning when the recording holds little or no speech; ``None`` otherwise (or if unknown)."""
    fraction = speech_fraction(samples, sample_rate, frames)
    if fraction is None or fraction >= MIN_SPEECH_FRACTION:
        return None
    return (f"little or no speech found (speech in {fraction:.0%} of the sampled audio): the detector judges "
            f"voices, so its verdict on this recording means little")


def short_recording_warning(duration_s: float) -> str | None:
    """A warning when the recording is shorter than ``MIN_JUDGED_DURATION_S`` (the model then judged a
    fraction of a second of sound, and the silence check and the VAD may not see anything either)."""
    if duration_s >= MIN_JUDGED_DURATION_S:
        return None
    return (f"the recording is only {duration_s:.2f} s long: too little sound to judge (the model was not tested on "
            f"recordings under {MIN_JUDGED_DURATION_S:g} s), so its verdict means little; analyse a longer excerpt")
