"""A frozen pretrained speaker encoder as the third view of faik-detector-v3 to v5.

The encoder is Resemblyzer 0.1.4's GE2E d-vector network (3-layer LSTM over 40 Slaney mel bands of
the power spectrum, 25 ms / 10 ms, then a linear layer; Apache-2.0, trained on LibriSpeech and
VoxCeleb 1/2 for speaker verification). It was never trained on synthetic speech, but a speaker
embedding summarises voice quality, and on val a linear probe on it separates unseen generators
about as well as the Whisper stem — with different errors, so the fusion gains (model card).

Re-implemented in torch here so the app needs neither the ``resemblyzer`` package nor librosa at run
time: the weights are copied into the model's safetensors by the recipe
(:func:`load_resemblyzer_state`), and :class:`SpeakerEncoder` reproduces ``VoiceEncoder`` on
1.6-s partial windows with a 0.8-s step (tests check both against the originals).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from detector.errors import SettingsError
from detector.whisper_frontend import SAMPLE_RATE, slaney_mel_filters

N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s, Resemblyzer's partial utterance
PARTIAL_STEP = 80  # 0.8 s between partials (Resemblyzer's default rate is 1.3 per second; v3's setting)
HIDDEN = 256
TARGET_RMS = 10 ** (-30 / 20)  # Resemblyzer normalises to -30 dBFS


def partial_starts(n_frames: int, step: int = PARTIAL_STEP) -> list[int]:
    """First frame of each 160-frame partial window over ``n_frames`` mel frames, ``step`` frames apart
    (at least one; frames after the last full window are not used, a clip under 1.6 s gets one
    zero-padded window)."""
    if step < 1:
        raise ValueError(f"partial step must be at least 1 frame (got {step})")
    return list(range(0, max(1, n_frames - PARTIAL_FRAMES + 1), step))


class SpeakerEncoder(nn.Module):
    """Raw 16 kHz waveform (B, N) -> L2-normalised d-vector (B, 256), the mean of the partial
    windows' embeddings as in ``resemblyzer.VoiceEncoder.embed_utterance``. ``step`` is the distance
    between partial windows in 10-ms frames: the LSTM's cost is proportional to their number."""

    def __init__(self, step: int = PARTIAL_STEP) -> None:
        super().__init__()
        partial_starts(PARTIAL_FRAMES, step)  # validates step
        self.step = int(step)
        self.lstm = nn.LSTM(N_MELS, HIDDEN, 3, batch_first=True)
        self.linear = nn.Linear(HIDDEN, HIDDEN)
        self.register_buffer("filters", slaney_mel_filters(N_MELS, N_FFT, SAMPLE_RATE), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)

    def mel(self, wav: torch.Tensor) -> torch.Tensor:
        """(B, N) -> (B, frames, 40) mel power spectrum, as ``librosa.feature.melspectrogram``
        (centred frames, zero padding, not logarithmic: the encoder was trained on that)."""
        spec = torch.stft(wav, N_FFT, HOP, window=self.window, center=True, pad_mode="constant", return_complex=True)
        power = spec.real.square() + spec.imag.square()  # |X|^2 without abs()'s square root (~4x faster)
        return power.transpose(1, 2) @ self.filters

    def embed_partials(self, mels: torch.Tensor) -> torch.Tensor:
        """(P, 160, 40) partial windows -> (P, 256) L2-normalised embeddings."""
        _, (hidden, _) = self.lstm(mels)
        e = torch.relu(self.linear(hidden[-1]))
        return e / e.norm(dim=1, keepdim=True).clamp_min(1e-8)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``wav`` (B, N) levelled by the caller; ``lengths`` valid samples per row (default: all)."""
        mels = self.mel(wav)
        n_valid = [mels.shape[1]] * wav.shape[0] if lengths is None else (lengths // HOP + 1).tolist()
        windows, owner = [], []
        for row, t in enumerate(n_valid):
            t = min(int(t), mels.shape[1])
            for s in partial_starts(t, self.step):
                w = mels[row, s:s + PARTIAL_FRAMES]
                if w.shape[0] < PARTIAL_FRAMES:  # only when the row is shorter than one window
                    w = nn.functional.pad(w, (0, 0, 0, PARTIAL_FRAMES - w.shape[0]))
                windows.append(w)
                owner.append(row)
        emb = self.embed_partials(torch.stack(windows))
        index = torch.tensor(owner, device=wav.device)
        summed = torch.zeros(wav.shape[0], HIDDEN, dtype=emb.dtype, device=wav.device).index_add_(0, index, emb)
        return summed / summed.norm(dim=1, keepdim=True).clamp_min(1e-8)


def find_resemblyzer_weights() -> Path:
    """``pretrained.pt`` inside the installed Resemblyzer wheel (the package itself is never imported:
    its ``__init__`` pulls in webrtcvad, so ``pip install --no-deps Resemblyzer==0.1.4`` is enough)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise SettingsError("Resemblyzer's weights are not installed: pip install --no-deps Resemblyzer==0.1.4 "
                            "(only its weights file is used; --no-deps keeps out its obsolete 'typing' backport, "
                            "which breaks PyInstaller builds) or pass --speaker-encoder PATH/pretrained.pt")
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    if not path.is_file():
        raise SettingsError(f"{path} is missing: pip install --force-reinstall --no-deps Resemblyzer==0.1.4")
    return path


def load_resemblyzer_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The encoder weights of a Resemblyzer checkpoint (tensors only: ``weights_only`` loading never
    runs pickled code), keyed for :class:`SpeakerEncoder`."""
    state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
    return {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
