"""faik-detector v1: a small spectro-temporal CNN as a transformers architecture.

Why a custom architecture: the seed's hub model cannot be downloaded on offline laptops, so v1 was
trained from scratch by ``python -m detector.training train`` and is deliberately small. It is now one of the
two branches of the built-in v2 (``detector.faik_whisper_model``), which adds a probe on frozen
Whisper features; v1 still loads on its own as a model folder.

It is a normal ``transformers`` model so that the app loads it exactly like a hub model:

* ``FaikDetectorConfig`` (``model_type = "faik-detector"``) and
  ``FaikDetectorForAudioClassification`` are registered with ``AutoConfig`` and
  ``AutoModelForAudioClassification`` when this module is imported, so
  ``AutoModelForAudioClassification.from_pretrained(folder, use_safetensors=True)`` works
  without ``trust_remote_code``;
* its input is the raw 16 kHz waveform as a stock ``Wav2Vec2FeatureExtractor`` produces it
  (``input_values`` + optional ``attention_mask``), so ``AutoFeatureExtractor`` needs no custom code;
* the output is ``SequenceClassifierOutput(logits=...)`` with the seed's class order
  (0 = ai-generated, 1 = real).

Front end (inside the model, plain torch ops): STFT power spectrum -> two 64-band log filterbanks,
mel (where speech lives) and linear-frequency (LFCC-like: vocoder artefacts sit in the high band
too), each mean-normalised over time per utterance. The mean normalisation removes level and any
fixed channel colouring (microphone, codec EQ), which the label must not be learnt from.
Back end: a small residual CNN over (band, time), frequency collapsed into channels, a 1-D conv,
attentive statistics pooling over valid frames (any chunk length works, padding is masked) and a
2-way linear classifier. ``logit_scale`` holds the temperature fitted on held-out data, so the
softmax of the shipped logits is calibrated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
import detector.transformers_lean  # noqa: F401 - before transformers' model code: see its docstring
from transformers import (
    AutoConfig,
    AutoModelForAudioClassification,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import SequenceClassifierOutput

MODEL_TYPE = "faik-detector"
DEFAULT_ID2LABEL = {0: "ai-generated", 1: "real"}


class FaikDetectorConfig(PretrainedConfig):
    """Hyper-parameters of the front end and the CNN; all have working defaults."""

    model_type = MODEL_TYPE

    def __init__(
        self,
        sampling_rate: int = 16000,
        n_fft: int = 512,
        win_length: int = 400,
        hop_length: int = 160,
        n_mels: int = 64,
        n_linear: int = 64,
        f_min: float = 20.0,
        f_max: float = 8000.0,
        channels: tuple[int, ...] | list[int] = (8, 16, 32, 48),
        embed_dim: int = 128,
        attention_dim: int = 64,
        dropout: float = 0.2,
        stem_stride: int = 2,
        log_floor: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("id2label", dict(DEFAULT_ID2LABEL))
        kwargs.setdefault("label2id", {v: k for k, v in kwargs["id2label"].items()})
        super().__init__(**kwargs)
        self.sampling_rate = sampling_rate
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.n_linear = n_linear
        self.f_min = f_min
        self.f_max = f_max
        self.channels = list(channels)
        self.embed_dim = embed_dim
        self.attention_dim = attention_dim
        self.dropout = dropout
        self.stem_stride = stem_stride
        self.log_floor = log_floor


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def triangular_filterbank(centres_hz: np.ndarray, n_fft: int, sr: int, norm: str = "area") -> np.ndarray:
    """Triangles with peaks at ``centres_hz[1:-1]`` and feet at the neighbours; shape (bands, n_fft//2+1).

    ``norm="area"``: each band sums to 1 (bands of different widths get comparable magnitude; v1);
    ``norm="slaney"``: each band is scaled by 2 / (its width in Hz), as librosa and Whisper do.
    """
    bins = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    lo, mid, hi = centres_hz[:-2, None], centres_hz[1:-1, None], centres_hz[2:, None]
    up = (bins[None, :] - lo) / np.maximum(mid - lo, 1e-9)
    down = (hi - bins[None, :]) / np.maximum(hi - mid, 1e-9)
    fb = np.clip(np.minimum(up, down), 0.0, None)
    if norm == "area":
        fb /= np.maximum(fb.sum(axis=1, keepdims=True), 1e-9)
    elif norm == "slaney":
        fb *= 2.0 / (hi - lo)
    else:
        raise ValueError(f"unknown norm {norm!r}: use 'area' or 'slaney'")
    return fb.astype(np.float32)


def mel_filterbank(n_bands: int, n_fft: int, sr: int, f_min: float, f_max: float) -> np.ndarray:
    """HTK-style mel triangles (no librosa import at run time: it is slow to import)."""
    mels = np.linspace(_hz_to_mel(np.array(f_min)), _hz_to_mel(np.array(f_max)), n_bands + 2)
    return triangular_filterbank(_mel_to_hz(mels), n_fft, sr)


def linear_filterbank(n_bands: int, n_fft: int, sr: int, f_min: float, f_max: float) -> np.ndarray:
    """Evenly spaced triangles over ``[f_min, f_max]`` (LFCC-style: equal resolution in the high band)."""
    return triangular_filterbank(np.linspace(f_min, f_max, n_bands + 2), n_fft, sr)


class _ResBlock(nn.Module):
    """Two 3x3 convs with batch norm and a residual path, then max-pooling."""

    def __init__(self, c_in: int, c_out: int, pool: tuple[int, int]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
            if c_in != c_out
            else nn.Identity()
        )
        self.pool = nn.MaxPool2d(pool) if pool != (1, 1) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.pool(F.relu(y + self.skip(x)))


class _AttentiveStatsPool(nn.Module):
    """Attention-weighted mean and standard deviation over valid time steps."""

    def __init__(self, dim: int, attention_dim: int) -> None:
        super().__init__()
        self.attn = nn.Sequential(
            nn.Conv1d(dim, attention_dim, 1), nn.Tanh(), nn.Conv1d(attention_dim, 1, 1)
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # x: (B, D, T); mask: (B, T) bool, at least one True per row.
        scores = self.attn(x).squeeze(1).masked_fill(~mask, float("-inf"))
        w = torch.softmax(scores, dim=-1).unsqueeze(1)
        mean = (x * w).sum(-1)
        var = ((x - mean.unsqueeze(-1)) ** 2 * w).sum(-1)
        return torch.cat([mean, torch.sqrt(var.clamp_min(1e-6))], dim=1)


class FaikDetectorPreTrainedModel(PreTrainedModel):
    """Weight init and config binding for the Auto classes."""

    config_class = FaikDetectorConfig
    base_model_prefix = "faik"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Conv1d, nn.Conv2d)):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class FaikDetectorForAudioClassification(FaikDetectorPreTrainedModel):
    """Raw 16 kHz waveform -> logits over (ai-generated, real)."""

    #: feature planes the stem reads: log mel and log linear bands (a recipe experiment adds more)
    input_planes = 2

    def __init__(self, config: FaikDetectorConfig) -> None:
        super().__init__(config)
        c = config
        self.register_buffer(
            "mel_fb", torch.from_numpy(mel_filterbank(c.n_mels, c.n_fft, c.sampling_rate, c.f_min, c.f_max))
        )
        self.register_buffer(
            "lin_fb",
            torch.from_numpy(linear_filterbank(c.n_linear, c.n_fft, c.sampling_rate, c.f_min, c.f_max)),
        )
        self.register_buffer("window", torch.hann_window(c.win_length))
        # Calibration fitted on held-out data after training (Platt-style): logits are divided by
        # ``logit_scale`` (a temperature) and ``logit_bias`` is added (it shifts P(AI) as a whole).
        self.register_buffer("logit_scale", torch.ones(()))
        self.register_buffer("logit_bias", torch.zeros(c.num_labels))
        if c.n_mels != c.n_linear:
            raise ValueError("n_mels and n_linear must be equal (they are stacked as two input planes)")
        ch = list(c.channels)
        # A strided stem (default) halves band and time resolution before any full-width conv:
        # training cost on 2 CPU cores is dominated by the first layers.
        self.stem = nn.Sequential(
            nn.Conv2d(self.input_planes, ch[0], 3, stride=c.stem_stride, padding=1, bias=False), nn.BatchNorm2d(ch[0]), nn.ReLU(),
            *([nn.MaxPool2d(2)] if c.stem_stride == 1 else []),
        )
        # Two 2x2 pools in total reduce time by 4 (25 frames/s); the rest pool frequency only.
        pools = [(2, 2)] + [(2, 1)] * (len(ch) - 2)
        self.blocks = nn.ModuleList(
            [_ResBlock(ch[i], ch[i + 1], pools[i]) for i in range(len(ch) - 1)]
        )
        n_freq = c.n_mels // 2
        for p in pools:
            n_freq //= p[0]
        self.time_downsample = 4
        flat = ch[-1] * n_freq
        self.frame_proj = nn.Sequential(
            nn.Conv1d(flat, c.embed_dim, 3, padding=1, bias=False), nn.BatchNorm1d(c.embed_dim), nn.ReLU()
        )
        self.pool = _AttentiveStatsPool(c.embed_dim, c.attention_dim)
        self.head = nn.Sequential(
            nn.Linear(2 * c.embed_dim, c.embed_dim), nn.ReLU(), nn.Dropout(c.dropout),
            nn.Linear(c.embed_dim, c.num_labels),
        )
        self.post_init()

    # -- front end -------------------------------------------------------------------------
    def frame_features(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveform (B, N) -> normalised features (B, 2, bands, T) and a frame mask (B, T)."""
        spec, lengths = self.spectrum(input_values, attention_mask)
        return self.log_band_features(spec, lengths)

    def spectrum(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveform (B, N) -> complex STFT (B, F, T) of the masked waveform and each row's valid samples (B,)."""
        c = self.config
        x = input_values.float()
        if x.dim() == 1:
            x = x.unsqueeze(0)
        b, n = x.shape
        if attention_mask is None:
            lengths = torch.full((b,), n, dtype=torch.long, device=x.device)
        else:
            lengths = attention_mask.long().sum(-1).clamp_min(1)
            x = x * attention_mask.to(x.dtype)
        if n < c.n_fft:  # very short input: zero-pad so the STFT has at least one full frame
            x = F.pad(x, (0, c.n_fft - n))
        spec = torch.stft(
            x, n_fft=c.n_fft, hop_length=c.hop_length, win_length=c.win_length,
            window=self.window.to(x.dtype), center=True, pad_mode="reflect", return_complex=True,
        )
        return spec, lengths

    def log_band_features(self, spec: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Complex STFT (B, F, T) -> log mel and log linear bands (B, 2, bands, T), each mean-normalised over
        the row's valid frames, and the frame mask (B, T)."""
        c = self.config
        power = spec.real.square() + spec.imag.square()  # (B, F, T); square() is ~1.5x faster than ** 2
        mel = torch.log(torch.matmul(self.mel_fb, power) + c.log_floor)
        lin = torch.log(torch.matmul(self.lin_fb, power) + c.log_floor)
        feats = torch.stack([mel, lin], dim=1)  # (B, 2, bands, T)
        t = feats.shape[-1]
        n_frames = (lengths // c.hop_length + 1).clamp(max=t)
        mask = torch.arange(t, device=spec.device)[None, :] < n_frames[:, None]
        if bool(mask.all()):
            # Every frame valid (not so when a short input was padded to one FFT window): the same
            # numbers without the mask's passes over the features. The count is rounded to the
            # features' precision as the masked sum below does (in bfloat16, 501 frames count as
            # 500): the validated figures were measured that way.
            count = torch.tensor(float(t), dtype=feats.dtype, device=feats.device)
            return feats - feats.sum(-1, keepdim=True) / count, mask
        m = mask[:, None, None, :].to(feats.dtype)
        mean = (feats * m).sum(-1, keepdim=True) / m.sum(-1, keepdim=True).clamp_min(1.0)
        feats = (feats - mean) * m
        return feats, mask

    # -- network ---------------------------------------------------------------------------
    def embed(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled utterance embedding (B, 2*embed_dim)."""
        feats, mask = self.frame_features(input_values, attention_mask)
        if not self.training:
            # oneDNN's 2-D convolutions skip a layout reorder on channels-last input: the same numbers,
            # ~6 % less time for the whole built-in model (in-process A/B). Training keeps the layout
            # the v1 recipe was measured with.
            feats = feats.contiguous(memory_format=torch.channels_last)
        h = self.stem(feats)
        for blk in self.blocks:
            h = blk(h)
        b, ch, fr, t = h.shape
        h = self.frame_proj(h.reshape(b, ch * fr, t))
        # Frame mask at the reduced rate: a pooled step is valid if its first input frame was.
        mask_ds = mask[:, :: self.time_downsample][:, :t]
        if mask_ds.shape[1] < t:
            mask_ds = F.pad(mask_ds, (0, t - mask_ds.shape[1]), value=False)
        mask_ds[:, 0] = True
        return self.pool(h, mask_ds)

    def forward(
        self,
        input_values: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **_: Any,
    ) -> SequenceClassifierOutput | tuple:
        """Logits (B, 2), calibrated (temperature and bias); loss if ``labels`` given."""
        logits = self.head(self.embed(input_values, attention_mask)) / self.logit_scale + self.logit_bias
        loss = F.cross_entropy(logits, labels.long()) if labels is not None else None
        if return_dict is False:
            return (loss, logits) if loss is not None else (logits,)
        return SequenceClassifierOutput(loss=loss, logits=logits)


def count_parameters(model: nn.Module) -> int:
    """Trainable + frozen parameters (buffers excluded)."""
    return int(sum(p.numel() for p in model.parameters()))


def macs_hint(config: FaikDetectorConfig, seconds: float = 5.0) -> float:
    """Rough multiply-accumulate count of the conv trunk for a chunk, for sizing decisions."""
    t = int(seconds * config.sampling_rate / config.hop_length) + 1
    f = config.n_mels
    ch = list(config.channels)
    f0, t0 = (f, t) if config.stem_stride == 1 else (f // 2, t // 2)
    total = 2 * ch[0] * 9 * f0 * t0
    f, t = f // 2, t // 2
    pools = [(2, 2)] + [(2, 1)] * (len(ch) - 2)
    for i in range(len(ch) - 1):
        total += (ch[i] * ch[i + 1] + ch[i + 1] ** 2) * 9 * f * t
        f, t = f // pools[i][0], t // pools[i][1]
    return float(total)


AutoConfig.register(MODEL_TYPE, FaikDetectorConfig, exist_ok=True)
AutoModelForAudioClassification.register(FaikDetectorConfig, FaikDetectorForAudioClassification, exist_ok=True)

__all__ = [
    "DEFAULT_ID2LABEL",
    "MODEL_TYPE",
    "FaikDetectorConfig",
    "FaikDetectorForAudioClassification",
    "count_parameters",
    "linear_filterbank",
    "macs_hint",
    "mel_filterbank",
]
