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


_CONTEXT = 64  # samples of the previous frame Silero puts before each frame (16 kHz)
_lstm = None  # Silero's LSTM cell as a whole-sequence torch LSTM, built once (see _probs_batched)


def _probs_stepwise(model, frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """Silero's own streaming use: one model call per 32-ms step, the windows side by side as batch
    rows (its recurrent state is per row). The reference for :func:`_probs_batched`."""
    import torch

    model.reset_states()  # windows are independent
    batch = torch.from_numpy(frames)
    return torch.stack([model(batch[:, j], sample_rate).reshape(-1) for j in range(frames.shape[1])], dim=1).numpy()


def _silero_lstm(cell):
    """A one-layer ``nn.LSTM`` holding the weights of Silero's ``LSTMCell`` (same gate order), so
    the whole sequence runs in one call instead of one cell call per frame."""
    global _lstm
    if _lstm is None:
        import torch

        params = dict(cell.named_parameters())
        hidden = params["weight_hh"].shape[1]
        lstm = torch.nn.LSTM(params["weight_ih"].shape[1], hidden, batch_first=True)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(lstm, f"{name}_l0").copy_(params[name])
        _lstm = lstm.eval()
    return _lstm


def _probs_batched(model, frames: np.ndarray) -> np.ndarray | None:
    """Speech probabilities of (windows, frames, 512) samples in four calls, however many frames.

    Silero's 16-kHz model is a framewise front end (STFT and convolutions on each 32-ms frame with
    the previous frame's last 64 samples before it), then an LSTM cell over the frames, then a
    linear read-out. Only the cell depends on earlier frames; so the front end runs on every frame
    of every window at once, the cell's weights run as one LSTM over each window's frames, and the
    read-out on all of it: equal to :func:`_probs_stepwise` within float rounding (tests), where the
    step-by-step use cost one model call per 32 ms and most of a busy machine's VAD time.
    ``None`` if the model's insides are not the ones this was written for."""
    import torch

    try:
        inner = model._model
        stft, encoder, cell = inner.stft, inner.encoder, inner.decoder.rnn
        readout = getattr(inner.decoder.decoder, "2")  # Dropout, ReLU, Conv1d(128 -> 1, kernel 1), Sigmoid
        weight, bias = readout.weight, readout.bias
        if tuple(weight.shape[::2]) != (1, 1) or int(getattr(inner, "context_size_samples", _CONTEXT)) != _CONTEXT:
            return None
        lstm = _silero_lstm(cell)
    except (AttributeError, KeyError, RuntimeError):
        return None
    w, k, n = frames.shape
    context = np.zeros((w, k, _CONTEXT), dtype=np.float32)  # a window's first frame: zeros, as after reset
    context[:, 1:] = frames[:, :-1, -_CONTEXT:]
    x = torch.from_numpy(np.concatenate([context, frames], axis=2).reshape(w * k, _CONTEXT + n))
    features = encoder(stft(x)).reshape(w, k, -1)  # (windows, frames, 128)
    if features.shape[2] != lstm.input_size:
        return None
    hidden, _ = lstm(features)
    logits = torch.relu(hidden) @ weight.reshape(-1) + bias
    return torch.sigmoid(logits).numpy()


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
    from detector.audio import copy_windows

    spans = [(a, a + k * _FRAME) for a, _ in windows]
    frames = np.stack([w.reshape(k, _FRAME) for w in copy_windows(samples, spans)])  # (windows, k, 512)
    # The windows are judged side by side, each as if alone (see _probs_batched).
    try:
        with _lock, torch.inference_mode():
            probs = _probs_batched(model, frames)
            if probs is None:  # a Silero release whose insides differ: one call per 32-ms step
                probs = _probs_stepwise(model, frames, sample_rate)
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


#: Below this much detected speech (share of speech frames x duration) a recording cannot be judged:
#: val's shortest fakes hold about this much, and nothing with less was measured.
MIN_SPEECH_S = 1.0


def cannot_judge_reason(duration_s: float, fraction: float | None) -> str | None:
    """Why a recording cannot be judged — too short, no speech, too little speech — or ``None``.
    ``fraction``: :func:`speech_fraction` (``None`` when the VAD could not say: the duration decides)."""
    if duration_s < MIN_JUDGED_DURATION_S:
        return (f"too little sound: the recording is only {duration_s:.2f} s long (at least "
                f"{MIN_SPEECH_S:g} s of speech is needed)")
    if fraction is not None and fraction < MIN_SPEECH_FRACTION:
        return f"no speech found (speech in {fraction:.0%} of the sampled audio): the detector judges voices"
    if fraction is not None and fraction * duration_s < MIN_SPEECH_S:
        return (f"too little speech: about {fraction * duration_s:.1f} s detected (at least {MIN_SPEECH_S:g} s "
                f"is needed)")
    return None
